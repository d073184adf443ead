//! Publishing the archive (`[archive] push`): `main`, `snapshots` and the sink cursors pushed
//! with libgit2 to local bare repositories and read back with the real git CLI; a remote that
//! is missing or not a repository fails without holding up checks, shows as pending in
//! `termtrail remotes`, and catches up once it exists (in `check` and in the daemon).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::*;

/// A fixture tracking one document served at `/a`, pushing to `remotes`, with `extra` TOML at
/// the top of the file.
fn publishing(remotes: &[&Path], archive_extra: &str, extra: &str) -> Fixture {
    let f = Fixture::new();
    f.write_config(&[("acme", "privacy-policy", "/a")], "");
    let list: Vec<String> = remotes
        .iter()
        .map(|r| format!("\"{}\"", r.display()))
        .collect();
    let toml = std::fs::read_to_string(f.config_path()).expect("read config");
    let toml = toml.replacen(
        "fsync = false\n",
        &format!(
            "fsync = false\npush = [{}]\n{archive_extra}",
            list.join(", ")
        ),
        1,
    );
    std::fs::write(f.config_path(), format!("{extra}{toml}")).expect("write config");
    f.server.set("/a", Page::html(policy_page(0, 1, 1, 2_000)));
    f
}

fn bare(dir: &Path) {
    let out = Command::new("git")
        .args(["init", "--bare", "-q"])
        .arg(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git init --bare failed");
}

/// `termtrail remotes --json`'s remote `name`.
fn remote_status(f: &Fixture, name: &str) -> serde_json::Value {
    let out = f.run(&["remotes", "--json"]);
    assert!(out.status.success(), "remotes failed: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("remotes --json");
    v["remotes"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no remote {name} in {v}"))
        .clone()
}

/// Commits not pushed to a remote, per local ref.
fn pending(status: &serde_json::Value) -> Vec<(String, u64)> {
    status["refs"]
        .as_array()
        .expect("refs")
        .iter()
        .map(|r| {
            (
                r["local"].as_str().expect("local").to_owned(),
                r["pending"].as_u64().expect("pending"),
            )
        })
        .collect()
}

#[test]
fn check_pushes_main_snapshots_and_sink_cursors_to_a_bare_repository() {
    let remotes = tempfile::tempdir().expect("tempdir");
    let (one, two) = (
        remotes.path().join("terms.git"),
        remotes.path().join("mirror.git"),
    );
    bare(&one);
    bare(&two);
    let f = publishing(&[&one, &two], "push_sinks = true\n", "");
    let mut toml = std::fs::read_to_string(f.config_path()).expect("read");
    toml.push_str(&format!(
        "\n[[sink]]\nname = \"log\"\ntype = \"jsonl\"\npath = \"{}/events.jsonl\"\n",
        f.path().display()
    ));
    std::fs::write(f.config_path(), toml).expect("write");
    for revision in [1, 2] {
        f.server
            .set("/a", Page::html(policy_page(0, revision, 1, 2_000)));
        assert_eq!(f.check()["errors"].as_u64(), Some(0));
        for remote in [&one, &two] {
            for branch in ["main", "snapshots", "refs/termtrail/sinks/log"] {
                assert_eq!(
                    git(remote, &["rev-parse", branch]),
                    f.git(&["rev-parse", branch]),
                    "{branch} on {}",
                    remote.display()
                );
            }
            assert_eq!(
                git(remote, &["rev-list", "--count", "main"]).trim(),
                revision.to_string()
            );
            git(remote, &["fsck", "--strict", "--no-progress"]);
        }
    }
    // The remote's copy reads like the archive: the text of the last version.
    assert_eq!(
        git(&one, &["show", "main:acme/privacy-policy.md"]),
        f.git(&["show", "main:acme/privacy-policy.md"])
    );
    for name in ["terms", "mirror"] {
        let s = remote_status(&f, name);
        assert_eq!(
            pending(&s),
            [
                ("refs/heads/main".to_owned(), 0),
                ("refs/heads/snapshots".to_owned(), 0),
                ("refs/termtrail/sinks/log".to_owned(), 0)
            ],
            "{s}"
        );
        assert!(
            s["last_success"].as_i64().is_some() && s["last_error"].is_null(),
            "{s}"
        );
    }
    // What each remote accepted is recorded beside the branches, readable with git.
    assert_eq!(
        f.git(&["rev-parse", "refs/termtrail/pushed/terms/heads/main"]),
        f.git(&["rev-parse", "main"])
    );
    let text = f.run(&["remotes"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("terms  ") && text.contains("pushed") && !text.contains("not pushed"),
        "{text}"
    );
}

#[test]
fn a_namespace_pushes_each_instance_to_its_own_branch_pair() {
    let remotes = tempfile::tempdir().expect("tempdir");
    let shared = remotes.path().join("shared.git");
    bare(&shared);
    let f = publishing(&[&shared], "push_namespace = \"eu-1\"\n", "");
    f.check();
    assert_eq!(
        git(&shared, &["rev-parse", "eu-1/main", "eu-1/snapshots"]),
        f.git(&["rev-parse", "main", "snapshots"])
    );
    let branches = git(&shared, &["for-each-ref", "--format=%(refname)"]);
    assert_eq!(
        branches.lines().collect::<Vec<_>>(),
        ["refs/heads/eu-1/main", "refs/heads/eu-1/snapshots"]
    );
}

#[test]
fn check_leaves_a_remote_that_is_not_a_repository_pending_then_catches_up() {
    let remotes = tempfile::tempdir().expect("tempdir");
    let remote = remotes.path().join("later.git");
    // A plain file where the repository should be: not a repository.
    std::fs::write(&remote, "not a repository").expect("write");
    let f = publishing(&[&remote], "", "");
    let report = f.check();
    assert_eq!(
        report["new"].as_u64(),
        Some(1),
        "the check went on: {report}"
    );
    let s = remote_status(&f, "later");
    assert_eq!(
        pending(&s),
        [
            ("refs/heads/main".to_owned(), 1),
            ("refs/heads/snapshots".to_owned(), 1)
        ]
    );
    assert_eq!(s["failures"].as_u64(), Some(1), "{s}");
    let error = s["last_error"].as_str().expect("an error");
    assert!(error.contains("remote later: cannot push"), "{error}");
    let text = f.run(&["remotes"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("1 commit(s) not pushed")
            && text.contains("last error (1 failure(s) in a row)"),
        "{text}"
    );
    // The repository appears; the next run pushes what was pending, without a new version.
    std::fs::remove_file(&remote).expect("remove");
    bare(&remote);
    assert_eq!(f.check()["unchanged"].as_u64(), Some(1));
    assert_eq!(
        git(&remote, &["rev-parse", "main"]),
        f.git(&["rev-parse", "main"])
    );
    let s = remote_status(&f, "later");
    assert!(pending(&s).iter().all(|(_, n)| *n == 0), "{s}");
    assert!(s["last_error"].is_null() && s["failures"] == 0, "{s}");
}

#[test]
fn the_daemon_keeps_checking_while_a_remote_fails_and_pushes_once_it_exists() {
    let remotes = tempfile::tempdir().expect("tempdir");
    let remote = remotes.path().join("missing.git");
    let f = publishing(
        &[&remote],
        "",
        "[schedule]\ninterval = \"1s\"\njitter = 0.0\n",
    );
    let child = Command::new(termtrail_bin())
        .current_dir(f.path())
        .arg("--config")
        .arg(f.config_path())
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("termtrail run starts");
    let mut daemon = crate::web_daemon::Running(child);
    let status = |f: &Fixture| remote_status(f, "missing");
    wait_for("the first version", Duration::from_secs(30), || {
        f.count("main") == 1
    });
    wait_for(
        "the failed push to be recorded",
        Duration::from_secs(30),
        || status(&f)["last_error"].is_string(),
    );
    assert!(pending(&status(&f)).iter().all(|(_, n)| *n >= 1));
    // Checks go on while the remote fails.
    f.server.set("/a", Page::html(policy_page(0, 2, 1, 2_000)));
    wait_for(
        "the change while the remote fails",
        Duration::from_secs(30),
        || f.count("main") == 2,
    );
    let s = status(&f);
    assert_eq!(pending(&s)[0], ("refs/heads/main".to_owned(), 2), "{s}");
    // The remote appears; the next commit (or the backoff) pushes everything.
    bare(&remote);
    f.server.set("/a", Page::html(policy_page(0, 3, 1, 2_000)));
    wait_for("the push to catch up", Duration::from_secs(60), || {
        f.count("main") == 3 && {
            let s = status(&f);
            s["last_error"].is_null() && pending(&s).iter().all(|(_, n)| *n == 0)
        }
    });
    assert_eq!(
        git(&remote, &["rev-parse", "main"]),
        f.git(&["rev-parse", "main"])
    );
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]).trim(), "3");
    crate::web_daemon::sigterm(&mut daemon);
}

#[test]
fn env_addresses_are_read_at_push_time_and_passwords_never_show() {
    let remotes = tempfile::tempdir().expect("tempdir");
    let later = remotes.path().join("from-env.git");
    bare(&later);
    let f = Fixture::new();
    f.write_config(&[("acme", "privacy-policy", "/a")], "");
    let toml = std::fs::read_to_string(f.config_path()).expect("read config");
    // An https remote refusing connections (port 1), its password in the URL; and an address
    // in an environment variable.
    let toml = toml.replacen(
        "fsync = false\n",
        "fsync = false\npush = [\"https://bot:s3cret-literal@127.0.0.1:1/x.git\", \"env:TERMTRAIL_TEST_PUSH_URL\"]\n",
        1,
    );
    std::fs::write(f.config_path(), toml).expect("write config");
    f.server.set("/a", Page::html(policy_page(0, 1, 1, 2_000)));
    let secret_env = "https://bot:s3cret-env@127.0.0.1:1/y.git";
    let out = f.run_env(
        &["check", "--json"],
        &[("TERMTRAIL_TEST_PUSH_URL", secret_env)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let listing = f.run(&["remotes"]);
    let json = f.run(&["remotes", "--json"]);
    let record = std::fs::read_to_string(f.archive().join("termtrail-push.json")).expect("record");
    for text in [
        stderr(&out),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&listing.stdout).into_owned(),
        String::from_utf8_lossy(&json.stdout).into_owned(),
        record,
    ] {
        assert!(!text.contains("s3cret"), "a password shows: {text}");
    }
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains("x  https://bot:***@127.0.0.1:1/x.git"),
        "{listing}"
    );
    assert!(
        listing.contains("termtrail-test-push-url  env:TERMTRAIL_TEST_PUSH_URL"),
        "{listing}"
    );
    let x = remote_status(&f, "x");
    assert!(
        x["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("remote x: cannot push")),
        "{x}"
    );
    let env = remote_status(&f, "termtrail-test-push-url");
    assert!(
        env["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("failed to connect to 127.0.0.1")),
        "{env}"
    );
    // Read at push time: unset, the remote fails saying so; set to a repository, it is pushed.
    let out = f.run(&["check", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let env = remote_status(&f, "termtrail-test-push-url");
    assert!(
        env["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("environment variable TERMTRAIL_TEST_PUSH_URL is not set")),
        "{env}"
    );
    let out = f.run_env(
        &["check", "--json"],
        &[("TERMTRAIL_TEST_PUSH_URL", &later.display().to_string())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        git(&later, &["rev-parse", "main"]),
        f.git(&["rev-parse", "main"])
    );
    let env = remote_status(&f, "termtrail-test-push-url");
    assert!(env["last_error"].is_null(), "{env}");
    assert!(remote_status(&f, "x")["last_error"].is_string());
}

/// `sshd` on 127.0.0.1 (a free port), accepting one key; killed when dropped.
struct Sshd {
    child: std::process::Child,
    port: u16,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .output()
        .expect("ssh-keygen runs");
    assert!(out.status.success(), "ssh-keygen: {}", stderr(&out));
}

/// Starts sshd with a host key in `dir`, letting in the holder of `client_pub`.
fn sshd(dir: &Path, client_pub: &Path) -> Sshd {
    ensure_package("openssh-server", || Path::new("/usr/sbin/sshd").exists());
    let host_key = dir.join("host_key");
    keygen(&host_key);
    std::fs::copy(client_pub, dir.join("authorized_keys")).expect("authorized_keys");
    // sshd run by root separates privileges into this (empty) folder.
    std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let d = dir.display();
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n\
         AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nPasswordAuthentication no\n\
         KbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin prohibit-password\n"
    );
    std::fs::write(dir.join("sshd_config"), config).expect("sshd_config");
    let child = Command::new("/usr/sbin/sshd")
        .args(["-D", "-e", "-f"])
        .arg(dir.join("sshd_config"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sshd starts");
    let sshd = Sshd { child, port };
    wait_for("sshd to listen", Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    sshd
}

#[test]
fn pushes_over_ssh_with_the_users_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).expect("mkdir");
    let key = home.join(".ssh/id_ed25519");
    keygen(&key);
    let server = dir.path().join("server");
    std::fs::create_dir_all(&server).expect("mkdir");
    let sshd = sshd(&server, &key.with_extension("pub"));
    // First the client knows another key for the server: the push is refused.
    let other = dir.path().join("other_key");
    keygen(&other);
    let known = |key: &Path| {
        let public = std::fs::read_to_string(key.with_extension("pub")).expect("public key");
        std::fs::write(
            home.join(".ssh/known_hosts"),
            format!("[127.0.0.1]:{} {public}", sshd.port),
        )
        .expect("known_hosts");
    };
    known(&other);
    let remote = dir.path().join("remote.git");
    bare(&remote);
    let user = String::from_utf8(
        Command::new("id")
            .arg("-un")
            .output()
            .expect("id runs")
            .stdout,
    )
    .expect("utf-8");
    let url = format!(
        "ssh://{}@127.0.0.1:{}{}",
        user.trim(),
        sshd.port,
        remote.display()
    );
    let f = Fixture::new();
    f.write_config(&[("acme", "privacy-policy", "/a")], "");
    let toml = std::fs::read_to_string(f.config_path()).expect("read config");
    let toml = toml.replacen(
        "fsync = false\n",
        &format!("fsync = false\npush = [\"{url}\"]\n"),
        1,
    );
    std::fs::write(f.config_path(), toml).expect("write config");
    f.server.set("/a", Page::html(policy_page(0, 1, 1, 2_000)));
    let check = || {
        let out = Command::new(termtrail_bin())
            .current_dir(f.path())
            .arg("--config")
            .arg(f.config_path())
            .args(["check", "--json"])
            .env("HOME", &home)
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("RUST_LOG")
            .output()
            .expect("termtrail runs");
        assert!(out.status.success(), "{}", stderr(&out));
    };
    check();
    let s = remote_status(&f, "remote");
    assert!(
        s["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("remote remote: cannot push")),
        "{s}"
    );
    assert_eq!(pending(&s)[0], ("refs/heads/main".to_owned(), 1), "{s}");
    // With the server's own key known, the pending commits go.
    known(&server.join("host_key"));
    check();
    let s = remote_status(&f, "remote");
    assert!(s["last_error"].is_null(), "{s}");
    assert_eq!(
        git(&remote, &["rev-parse", "main", "snapshots"]),
        f.git(&["rev-parse", "main", "snapshots"])
    );
}
