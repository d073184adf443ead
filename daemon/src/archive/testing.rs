//! For unit tests elsewhere: version commits written straight into a bare repository, shaped as
//! the archive writes them, without the writer thread; the git CLI run on a repository.

use git2::{Oid, Repository};

/// Commits `text` as `doc`'s version on `main` at Unix time `time`, with the `Document` and
/// `Source-URL` trailers and then `extra` (more trailer lines, each ending in a newline).
pub fn commit_version(repo: &Repository, doc: &str, text: &str, time: i64, extra: &str) -> Oid {
    let parent = repo
        .refname_to_id(super::MAIN)
        .ok()
        .map(|id| repo.find_commit(id).expect("parent"));
    let mut index = git2::Index::new().expect("index");
    if let Some(p) = &parent {
        index
            .read_tree(&p.tree().expect("tree"))
            .expect("read tree");
    }
    let blob = repo.blob(text.as_bytes()).expect("blob");
    let entry = git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o100644,
        uid: 0,
        gid: 0,
        file_size: text.len() as u32,
        id: blob,
        flags: 0,
        flags_extended: 0,
        path: format!("{doc}.md").into_bytes(),
    };
    index.add(&entry).expect("add");
    let tree = repo
        .find_tree(index.write_tree_to(repo).expect("tree"))
        .expect("tree");
    let sig = git2::Signature::new("t", "t@localhost", &git2::Time::new(time, 0)).expect("sig");
    let msg =
        format!("Update {doc}\n\nDocument: {doc}\nSource-URL: https://example.org/{doc}\n{extra}");
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(Some(super::MAIN), &sig, &sig, &msg, &tree, &parents)
        .expect("commit")
}

/// `git -C DIR ARGS...` with the real git CLI; its stdout (the test fails if git does).
pub fn git_cli(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}
