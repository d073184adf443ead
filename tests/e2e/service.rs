//! The systemd units in `packaging/`: accepted by `systemd-analyze verify` without a warning,
//! with the built binary in place of the installed one, and sandboxed: `systemd-analyze
//! security` rates their exposure (0 safest, 10 unprotected).

use std::path::Path;
use std::process::Command;

use crate::util::*;

fn analyze() -> &'static str {
    let present = || {
        Command::new("systemd-analyze")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    ensure_package("systemd", present);
    "systemd-analyze"
}

/// Copies the unit into `dir` with `ExecStart` pointing at the binary under test (verify checks
/// that the command exists).
fn unit(dir: &Path, name: &str) -> String {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(repo.join("packaging").join(name)).expect("read unit");
    assert!(
        text.contains("ExecStart=/usr/local/bin/termtrail "),
        "{text}"
    );
    let text = text.replace("/usr/local/bin/termtrail", termtrail_bin());
    std::fs::write(dir.join(name), text).expect("write unit");
    name.to_owned()
}

#[test]
fn the_units_verify_cleanly_and_are_sandboxed() {
    let tool = analyze();
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, max_exposure) in [("termtrail.service", 4.0), ("termtrail-web.service", 2.0)] {
        let file = unit(dir.path(), name);
        let out = Command::new(tool)
            .current_dir(dir.path())
            .args(["verify", "--man=no", &file])
            .output()
            .expect("systemd-analyze runs");
        // An unknown or misspelt directive is only a warning: the check is an empty stderr.
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{name}: {}",
            stderr(&out)
        );
        let out = Command::new(tool)
            .current_dir(dir.path())
            .args(["security", "--offline=yes", "--no-pager", &file])
            .output()
            .expect("systemd-analyze runs");
        let report = String::from_utf8_lossy(&out.stdout);
        let exposure: f64 = report
            .lines()
            .find_map(|l| {
                l.split_once("Overall exposure level for ")?
                    .1
                    .split_once(": ")
            })
            .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("{name}: no exposure level in {report}\n{}", stderr(&out)));
        assert!(
            exposure <= max_exposure,
            "{name}: exposure {exposure}\n{report}"
        );
        let text = std::fs::read_to_string(dir.path().join(&file)).expect("read unit");
        for directive in [
            "DynamicUser=yes",
            "StateDirectory=termtrail",
            "ProtectSystem=strict",
            "NoNewPrivileges=yes",
        ] {
            assert!(text.contains(directive), "{name} lacks {directive}");
        }
    }
}
