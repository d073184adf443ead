//! `packaging/Containerfile`, checked as far as a machine without a container runtime allows: its
//! instructions parsed (known keywords, stages, `COPY --from` naming an earlier stage), the
//! runtime stage Debian slim with a non-root user, the archive's folder a volume and the browser
//! a build argument; what it copies from the context exists and target/ stays out of the
//! context; it builds exactly the binary and the shipped plugins; and the layout it installs
//! (binary and plugins side by side, the config in /etc) loads every plugin and the config.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One instruction: keyword (upper case) and its arguments, continuation lines joined.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

fn parse(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        let (keyword, args) = current.split_once(' ').unwrap_or((&current, ""));
        out.push(Instruction {
            keyword: keyword.to_owned(),
            args: args.trim().to_owned(),
        });
        current.clear();
    }
    assert!(
        current.is_empty(),
        "a continuation line ends the file: {current}"
    );
    out
}

/// The stages: (name, base image, instructions).
fn stages(instructions: &[Instruction]) -> Vec<(String, String, Vec<&Instruction>)> {
    let mut stages: Vec<(String, String, Vec<&Instruction>)> = Vec::new();
    for i in instructions {
        if i.keyword == "FROM" {
            let words: Vec<_> = i.args.split_whitespace().collect();
            let name = match words.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => name.to_string(),
                [_] => String::new(),
                _ => panic!("FROM {}: expected IMAGE [AS NAME]", i.args),
            };
            stages.push((name, words[0].to_owned(), Vec::new()));
        } else {
            let (_, _, body) = stages
                .last_mut()
                .unwrap_or_else(|| panic!("{} before the first FROM", i.keyword));
            body.push(i);
        }
    }
    stages
}

#[test]
fn the_containerfile_is_well_formed_non_root_and_installs_a_layout_that_works() {
    let text = std::fs::read_to_string(repo().join("packaging/Containerfile")).expect("read");
    let instructions = parse(&text);
    const KNOWN: [&str; 18] = [
        "FROM",
        "RUN",
        "CMD",
        "LABEL",
        "EXPOSE",
        "ENV",
        "ADD",
        "COPY",
        "ENTRYPOINT",
        "VOLUME",
        "USER",
        "WORKDIR",
        "ARG",
        "ONBUILD",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "SHELL",
        "MAINTAINER",
    ];
    for i in &instructions {
        assert!(
            KNOWN.contains(&i.keyword.as_str()),
            "unknown instruction {}",
            i.keyword
        );
    }
    let stages = stages(&instructions);
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    let (build, runtime) = (&stages[0], &stages[1]);
    assert!(
        build.0 == "build" && build.1.starts_with("rust:") && build.1.contains("slim"),
        "{build:?}"
    );
    assert!(
        runtime.1.starts_with("debian:") && runtime.1.ends_with("-slim"),
        "{:?}",
        runtime.1
    );

    // COPY --from names an earlier stage; COPY from the context names files that exist.
    let names: Vec<_> = stages.iter().map(|s| s.0.as_str()).collect();
    for (n, (_, _, body)) in stages.iter().enumerate() {
        for i in body.iter().filter(|i| i.keyword == "COPY") {
            match i.args.strip_prefix("--from=") {
                Some(rest) => {
                    let from = rest.split_whitespace().next().unwrap_or_default();
                    assert!(
                        names[..n].contains(&from),
                        "COPY --from={from}: no earlier stage"
                    );
                }
                None => {
                    let src = i.args.split_whitespace().next().unwrap_or_default();
                    assert!(
                        repo().join(src).exists(),
                        "COPY {src}: not in the repository"
                    );
                }
            }
        }
    }
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).expect(".dockerignore");
    assert!(
        ignore.lines().any(|l| l.trim() == "target/"),
        "target/ must stay out of the context"
    );

    // The build compiles the binary and every shipped plugin, nothing else.
    let cargo = build
        .2
        .iter()
        .find(|i| i.keyword == "RUN" && i.args.starts_with("cargo build"))
        .expect("a cargo build");
    assert!(
        cargo.args.contains("--release") && cargo.args.contains("--locked"),
        "{}",
        cargo.args
    );
    let built: BTreeSet<String> = cargo
        .args
        .split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[0] == "-p")
        .map(|w| w[1].to_owned())
        .collect();
    let mut shipped = BTreeSet::from(["termtrail".to_owned()]);
    for entry in std::fs::read_dir(repo().join("plugins")).expect("plugins/") {
        let manifest = entry.expect("entry").path().join("Cargo.toml");
        let Ok(m) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let m: toml::Table = m.parse().expect("a Cargo.toml");
        let lib = m["lib"].get("name").and_then(|n| n.as_str());
        // The template's own library name keeps it out of discovery; it is not shipped.
        if lib.is_none_or(|n| n.starts_with("termtrail_plugin_")) {
            shipped.insert(m["package"]["name"].as_str().expect("name").to_owned());
        }
    }
    assert_eq!(built, shipped);
    assert_eq!(shipped.len(), 11, "the binary and ten plugins: {shipped:?}");

    // The runtime stage: the browser a build argument, a non-root user last, the archive's
    // folder a volume, the daemon as the command.
    let body = &runtime.2;
    let find = |k: &'static str| body.iter().filter(move |i| i.keyword == k);
    assert!(find("ARG").any(|i| i.args == "BROWSER=none"));
    assert!(
        find("RUN").any(|i| i.args.contains("\"$BROWSER\" = \"chromium\"")
            && i.args
                .contains("install -y --no-install-recommends chromium")),
        "chromium installed only with BROWSER=chromium"
    );
    let user = find("USER").next_back().expect("a USER").args.clone();
    assert!(
        !["root", "0"].contains(&user.split(':').next().unwrap_or_default()),
        "{user}"
    );
    let last_user = body
        .iter()
        .rposition(|i| i.keyword == "USER")
        .expect("USER");
    assert!(
        body[last_user..].iter().all(|i| i.keyword != "RUN"),
        "nothing runs as root after USER"
    );
    let workdir = find("WORKDIR").next_back().expect("a WORKDIR").args.clone();
    assert!(
        find("VOLUME").any(|i| i.args.contains(&format!("\"{workdir}\""))),
        "the archive's folder {workdir} is a volume"
    );
    assert!(find("RUN")
        .any(|i| i.args.contains("useradd") && i.args.contains(&format!("--home-dir {workdir}"))));
    assert_eq!(
        find("ENTRYPOINT").next_back().expect("ENTRYPOINT").args,
        "[\"/usr/local/bin/termtrail\"]"
    );
    assert_eq!(find("CMD").next_back().expect("CMD").args, "[\"run\"]");
    assert!(find("ENV").any(|i| i.args == "TERMTRAIL_CONFIG=/etc/termtrail/termtrail.toml"));

    // The layout it installs, rebuilt from this build: the binary with the plugin libraries
    // beside it and the config in etc/: every plugin loads and the config validates.
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let bin = root.path().join("usr/local/bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::create_dir_all(root.path().join("etc/termtrail")).expect("mkdir");
    let built_dir = Path::new(termtrail_bin())
        .parent()
        .expect("target dir")
        .to_owned();
    let link = |from: &Path, to: &Path| {
        std::fs::hard_link(from, to)
            .or_else(|_| std::fs::copy(from, to).map(drop))
            .expect("link into the layout")
    };
    link(Path::new(termtrail_bin()), &bin.join("termtrail"));
    let mut plugins = 0;
    for entry in std::fs::read_dir(&built_dir).expect("target dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("libtermtrail_plugin_") && name.ends_with(".so") {
            link(&path, &bin.join(name));
            plugins += 1;
        }
    }
    assert_eq!(
        plugins, 10,
        "run `cargo build --workspace` first: the plugins are missing"
    );
    let config = root.path().join("etc/termtrail/termtrail.toml");
    std::fs::copy(repo().join("config/termtrail.toml"), &config).expect("copy config");
    for args in [["plugins"], ["validate"]] {
        let out = Command::new(bin.join("termtrail"))
            .current_dir(root.path())
            .args(args)
            .env("TERMTRAIL_CONFIG", &config)
            .env_remove("RUST_LOG")
            .output()
            .expect("termtrail runs");
        assert!(
            out.status.success(),
            "{args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        );
        if args == ["plugins"] {
            let listing = String::from_utf8_lossy(&out.stdout);
            assert!(
                listing.contains(&bin.display().to_string()),
                "plugins found beside the binary:\n{listing}"
            );
        }
    }
}
