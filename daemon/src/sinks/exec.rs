//! The `exec` sink: a program (no shell) with the event on stdin; its exit status decides.

use super::SinkError;
use crate::events::Event;

pub(super) async fn exec(command: &[String], event: &Event) -> Result<(), SinkError> {
    use tokio::io::AsyncWriteExt;
    let program = command[0].clone();
    let fail = |message: String| SinkError::Exec {
        program: program.clone(),
        message,
    };
    let mut child = tokio::process::Command::new(&command[0])
        .args(&command[1..])
        .env("TERMTRAIL_EVENT_TYPE", event.event_type.as_str())
        .env("TERMTRAIL_EVENT_ID", &event.id)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        // A timed-out delivery drops the child: do not leave it running.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            fail(format!(
                "cannot start it: {e}; check the path and that it is executable"
            ))
        })?;
    let body = serde_json::to_vec(event).expect("an event serialises");
    if let Some(mut stdin) = child.stdin.take() {
        // A program that exits without reading its input is its own business; its status decides.
        let _ = stdin.write_all(&body).await;
        drop(stdin);
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(fail(format!(
            "exited with {}: {}",
            out.status,
            stderr.trim().chars().take(500).collect::<String>()
        )))
    }
}
