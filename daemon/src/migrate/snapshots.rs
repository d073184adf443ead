//! Which captures of an OTA snapshots repository make one fetch of a document, and under which
//! declaration.
//!
//! OTA commits each page's bytes to `SERVICE_ID/TERMS TYPE.EXT` (one page), or to
//! `SERVICE_ID/TERMS TYPE #PAGE_ID.EXT` for each page of a `combine` declaration (`PAGE_ID` made
//! from the page's URL path, see [`page_id`]), only when the bytes changed, each commit dated at the
//! fetch. All pages of one fetch share its date. So a fetch of a document is a date at which one of
//! its files changed; its pages are, for each page the declaration then in force names, that file's
//! latest bytes at that date. A fetch missing a page (never captured yet) gives no version in OTA
//! and is skipped here too.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use git2::{Delta, Oid, Repository, Sort};

use super::declaration::TermsHistory;

/// One change of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileChange {
    /// The commit's date: the fetch time.
    pub at: SystemTime,
    /// The file's new content.
    pub blob: Oid,
}

/// Every file's changes, oldest first, by path.
pub type Changes = BTreeMap<String, Vec<FileChange>>;

/// Reads every file change of the repository's current branch, in one walk, oldest first.
pub fn read_changes(repo: &Repository) -> Result<Changes, git2::Error> {
    let head = repo.head()?.peel_to_commit()?;
    let mut walk = repo.revwalk()?;
    walk.push(head.id())?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let mut out = Changes::new();
    for id in walk {
        let commit = repo.find_commit(id?)?;
        let tree = commit.tree()?;
        let parent = match commit.parent(0) {
            Ok(p) => Some(p.tree()?),
            Err(_) => None,
        };
        let diff = repo.diff_tree_to_tree(parent.as_ref(), Some(&tree), None)?;
        let at = SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(commit.time().seconds()).unwrap_or(0));
        for delta in diff.deltas() {
            if !matches!(
                delta.status(),
                Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied
            ) {
                continue;
            }
            let file = delta.new_file();
            let Some(path) = file.path().and_then(|p| p.to_str()) else {
                continue;
            };
            out.entry(path.to_owned()).or_default().push(FileChange {
                at,
                blob: file.id(),
            });
        }
    }
    Ok(out)
}

/// File extensions OTA's id of a page drops (a known type is "a web server implementation
/// detail", not part of the page's identity).
const KNOWN_EXTENSIONS: &[&str] = &[
    "html", "htm", "xhtml", "shtml", "php", "asp", "aspx", "jsp", "pdf", "txt", "json", "xml",
    "md", "rtf", "doc", "docx", "odt",
];

/// OTA's id of a page of a `combine` declaration: its URL's decoded path without a known file
/// extension, the non-empty segments joined with `-`, and `\ : " < > | * ?` made `_`.
pub fn page_id(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let path = percent_decode(parsed.path());
    let trimmed = match path.rsplit_once('.') {
        Some((stem, ext))
            if !ext.contains('/')
                && KNOWN_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) =>
        {
            stem.to_owned()
        }
        _ => path,
    };
    let id: String = trimmed
        .split('/')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .chars()
        .map(|c| match c {
            '\\' | ':' | '"' | '<' | '>' | '|' | '*' | '?' => '_',
            c => c,
        })
        .collect();
    Some(id)
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

/// One page of a planned fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPage {
    /// The file in the snapshots repository.
    pub path: String,
    /// Its content at the fetch.
    pub blob: Oid,
}

/// One fetch to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFetch {
    /// When it was fetched.
    pub at: SystemTime,
    /// The declaration in force then: an index into [`TermsHistory::all`].
    pub declaration: usize,
    /// Its pages, in the declaration's order.
    pub pages: Vec<PlannedPage>,
}

/// The file stem of a file under `SERVICE_ID/`: its name without the extension.
fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

/// The fetches of one document (OTA service `service_id`, terms type `terms_type`) found in
/// `changes`, oldest first (see the module documentation).
pub fn plan_fetches(
    changes: &Changes,
    service_id: &str,
    terms_type: &str,
    history: &TermsHistory,
) -> Vec<PlannedFetch> {
    let prefix = format!("{service_id}/");
    let single = terms_type.to_owned();
    let combined = format!("{terms_type} #");
    // Every change of the document's files, by date (commit order kept within a date).
    let mut events: Vec<(SystemTime, &str, Oid)> = Vec::new();
    for (path, list) in changes.range(prefix.clone()..) {
        let Some(name) = path.strip_prefix(&prefix) else {
            break;
        };
        if name.contains('/') {
            continue;
        }
        let s = stem(name);
        if s == single || s.starts_with(&combined) {
            events.extend(list.iter().map(|c| (c.at, path.as_str(), c.blob)));
        }
    }
    events.sort_by_key(|e| e.0);
    let all = history.all();
    let mut latest: HashMap<&str, Oid> = HashMap::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let at = events[i].0;
        let mut changed: Vec<&str> = Vec::new();
        while i < events.len() && events[i].0 == at {
            latest.insert(events[i].1, events[i].2);
            changed.push(events[i].1);
            i += 1;
        }
        let (index, declaration) = history.at(at);
        debug_assert!(index < all.len());
        let sources = declaration.sources();
        let pages: Option<Vec<PlannedPage>> = if sources.len() == 1 {
            // One page: the file of this name that changed at this date (its type may change).
            changed
                .iter()
                .rev()
                .find(|p| stem(&p[prefix.len()..]) == single)
                .map(|p| {
                    vec![PlannedPage {
                        path: (*p).to_owned(),
                        blob: latest[*p],
                    }]
                })
        } else {
            let mut pages = Vec::new();
            let mut any_changed = false;
            for s in &sources {
                let Some(id) = page_id(&s.url) else {
                    pages.clear();
                    break;
                };
                let want = format!("{combined}{id}");
                // The page's latest file (of whichever type) at this date.
                let found = latest
                    .iter()
                    .filter(|(p, _)| stem(&p[prefix.len()..]) == want)
                    .max_by_key(|(p, _)| changed.contains(p));
                match found {
                    Some((p, blob)) => {
                        any_changed |= changed.contains(p);
                        pages.push(PlannedPage {
                            path: (*p).to_owned(),
                            blob: *blob,
                        });
                    }
                    None => {
                        pages.clear();
                        break;
                    }
                }
            }
            (any_changed && pages.len() == sources.len()).then_some(pages)
        };
        if let Some(pages) = pages {
            out.push(PlannedFetch {
                at,
                declaration: index,
                pages,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::declaration::{parse_time, PastDeclaration, TermsDeclaration};

    fn t(s: &str) -> SystemTime {
        parse_time(s).expect("valid")
    }

    fn oid(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).expect("20 bytes")
    }

    fn decl(json: &str) -> TermsDeclaration {
        serde_json::from_str(json).expect("valid")
    }

    #[test]
    fn page_ids_follow_ota() {
        for (url, want) in [
            ("https://e.org/legal/terms", "legal-terms"),
            ("https://e.org/legal/terms.html", "legal-terms"),
            (
                "https://e.org/legal/privacy%20policy/",
                "legal-privacy policy",
            ),
            ("https://e.org/a:b/c.v2", "a_b-c.v2"),
            ("https://e.org/", ""),
        ] {
            assert_eq!(page_id(url).as_deref(), Some(want), "{url}");
        }
        assert_eq!(page_id("not a url"), None);
    }

    #[test]
    fn fetches_are_planned_under_the_declaration_in_force() {
        // Single page until 2025-03-01, then two pages.
        let history = TermsHistory {
            current: decl(
                r#"{ "select": "main", "combine": [ { "fetch": "https://e.org/tos" }, { "fetch": "https://e.org/tos/eu.html" } ] }"#,
            ),
            past: vec![PastDeclaration {
                valid_until: t("2025-03-01T00:00:00Z"),
                declaration: decl(r#"{ "fetch": "https://e.org/tos", "select": "main" }"#),
            }],
        };
        let mut changes = Changes::new();
        let mut add = |path: &str, at: &str, n: u8| {
            changes
                .entry(path.to_owned())
                .or_default()
                .push(FileChange {
                    at: t(at),
                    blob: oid(n),
                })
        };
        add("Acme/Terms of Service.html", "2025-01-01T10:00:00Z", 1);
        add("Acme/Terms of Service.html", "2025-02-01T10:00:00Z", 2);
        // Another document of the service, and another service: not this document's.
        add("Acme/Privacy Policy.html", "2025-02-01T10:00:00Z", 9);
        add("Acme Two/Terms of Service.html", "2025-02-01T10:00:00Z", 9);
        // The first two-page fetch has only one page so far: no fetch.
        add("Acme/Terms of Service #tos.html", "2025-04-01T10:00:00Z", 3);
        add(
            "Acme/Terms of Service #tos-eu.html",
            "2025-04-02T10:00:00Z",
            4,
        );
        // Only the second page changes: the first page's latest bytes complete the fetch.
        add(
            "Acme/Terms of Service #tos-eu.html",
            "2025-05-01T10:00:00Z",
            5,
        );
        // Both change at one fetch.
        add("Acme/Terms of Service #tos.html", "2025-06-01T10:00:00Z", 6);
        add(
            "Acme/Terms of Service #tos-eu.html",
            "2025-06-01T10:00:00Z",
            7,
        );
        let plan = plan_fetches(&changes, "Acme", "Terms of Service", &history);
        let got: Vec<(String, usize, Vec<u8>)> = plan
            .iter()
            .map(|f| {
                (
                    crate::time_fmt::rfc3339(f.at),
                    f.declaration,
                    f.pages.iter().map(|p| p.blob.as_bytes()[0]).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("2025-01-01T10:00:00Z".to_owned(), 0, vec![1]),
                ("2025-02-01T10:00:00Z".to_owned(), 0, vec![2]),
                ("2025-04-02T10:00:00Z".to_owned(), 1, vec![3, 4]),
                ("2025-05-01T10:00:00Z".to_owned(), 1, vec![3, 5]),
                ("2025-06-01T10:00:00Z".to_owned(), 1, vec![6, 7]),
            ]
        );
        assert_eq!(plan[2].pages[1].path, "Acme/Terms of Service #tos-eu.html");
    }

    #[test]
    fn changes_are_read_from_every_commit_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = Repository::init(dir.path()).expect("init");
        let mut parent: Option<Oid> = None;
        for (i, (path, body)) in [
            ("Acme/Privacy Policy.html", "one"),
            ("Acme/Terms of Service.html", "tos"),
            ("Acme/Privacy Policy.html", "two"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut index = repo.index().expect("index");
            let blob = repo.blob(body.as_bytes()).expect("blob");
            index
                .add(&git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: 0o100644,
                    uid: 0,
                    gid: 0,
                    file_size: 0,
                    id: blob,
                    flags: 0,
                    flags_extended: 0,
                    path: path.as_bytes().to_vec(),
                })
                .expect("add");
            let tree = repo
                .find_tree(index.write_tree().expect("tree"))
                .expect("tree");
            let sig = git2::Signature::new(
                "OTA",
                "ota@example.org",
                &git2::Time::new(1_700_000_000 + i as i64 * 3600, 0),
            )
            .expect("signature");
            let parents: Vec<git2::Commit> = parent
                .iter()
                .map(|p| repo.find_commit(*p).expect("parent"))
                .collect();
            let refs: Vec<&git2::Commit> = parents.iter().collect();
            parent = Some(
                repo.commit(Some("HEAD"), &sig, &sig, "Record", &tree, &refs)
                    .expect("commit"),
            );
        }
        let changes = read_changes(&repo).expect("reads");
        assert_eq!(changes.len(), 2);
        let pp = &changes["Acme/Privacy Policy.html"];
        assert_eq!(pp.len(), 2);
        assert!(pp[0].at < pp[1].at);
        assert_eq!(repo.find_blob(pp[1].blob).expect("blob").content(), b"two");
    }
}
