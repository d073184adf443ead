//! Ids across versions of synthetic documents: each test replays a short history and checks
//! which provisions kept their id.

use super::*;

const DOC: &str = "acme/terms-of-service";

const V1: &str = "# Terms\n\n## 1. Services\n\n1.1 We provide the chat service to you.\n\n1.2 We may change the service at any time.\n\n## 2. Your Data\n\nWe keep your chats for 30 days and then delete them.\n\nWe share your data with service providers who host the service.\n\n## 3. Disputes\n\nDisputes are resolved by the courts of Delaware.\n";

/// Replays `versions` and returns, for each, the (id, text) of its provisions.
fn replay(versions: &[&str]) -> Vec<Vec<(String, String)>> {
    let mut l = Lineage::new(DOC);
    versions
        .iter()
        .enumerate()
        .map(|(i, text)| {
            l.advance(&format!("c{i}"), i as i64, text, None);
            l.provisions()
                .iter()
                .map(|t| (t.id.clone(), t.provision.text.clone()))
                .collect()
        })
        .collect()
}

fn id_of(version: &[(String, String)], starts: &str) -> String {
    version
        .iter()
        .find(|(_, t)| t.starts_with(starts))
        .unwrap_or_else(|| panic!("no provision starting {starts:?} in {version:#?}"))
        .0
        .clone()
}

fn same_id(v2: &str, old_start: &str, new_start: &str) {
    let r = replay(&[V1, v2]);
    assert_eq!(
        id_of(&r[0], old_start),
        id_of(&r[1], new_start),
        "{old_start:?} -> {new_start:?}"
    );
}

#[test]
fn ids_are_derived_from_the_history_alone() {
    let a = replay(&[V1, &V1.replace("30 days", "90 days")]);
    let b = replay(&[V1, &V1.replace("30 days", "90 days")]);
    assert_eq!(a, b, "the same history gives the same ids");
    let ids: HashSet<&String> = a[0].iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), a[0].len(), "unique within a version");
    assert!(a[0]
        .iter()
        .all(|(id, _)| id.len() == 11 && id.starts_with('p')));
    let mut other = Lineage::new("other/terms-of-service");
    other.advance("c0", 0, V1, None);
    assert_ne!(
        other.provisions()[0].id,
        a[0][0].0,
        "ids differ between documents"
    );
}

#[test]
fn ids_survive_renumbering() {
    let v2 = V1
        .replace("## 1. Services", "## A. Services")
        .replace("1.1 We provide", "A.1 We provide")
        .replace("1.2 We may", "A.2 We may")
        .replace("## 2. Your Data", "## B. Your Data");
    same_id(&v2, "1.1 We provide", "A.1 We provide");
    same_id(&v2, "## 1. Services", "## A. Services");
    same_id(&v2, "We keep your chats", "We keep your chats");
}

#[test]
fn ids_survive_a_heading_rename() {
    let v2 = V1.replace("## 2. Your Data", "## 2. Information About You");
    same_id(&v2, "## 2. Your Data", "## 2. Information About You");
    same_id(&v2, "We keep your chats", "We keep your chats");
}

#[test]
fn ids_survive_a_moved_paragraph() {
    let v2 = V1
        .replace("We share your data with service providers who host the service.\n\n", "")
        .replace(
            "1.1 We provide the chat service to you.\n\n",
            "1.1 We provide the chat service to you.\n\nWe share your data with service providers who host the service.\n\n",
        );
    same_id(&v2, "We share your data", "We share your data");
}

#[test]
fn ids_survive_a_reworded_paragraph_and_last_changed_follows() {
    let v2 = V1.replace(
        "We keep your chats for 30 days and then delete them.",
        "We keep your chats for 90 days and then delete them permanently.",
    );
    let v3 = v2.replace("Delaware", "Texas");
    let mut l = Lineage::new(DOC);
    l.advance("c0", 0, V1, None);
    l.advance("c1", 1, &v2, None);
    l.advance("c2", 2, &v3, None);
    let keep = l
        .provisions()
        .iter()
        .find(|t| t.provision.text.starts_with("We keep"))
        .expect("there");
    assert_eq!(keep.first_seen.commit, "c0");
    assert_eq!(keep.last_changed.commit, "c1");
    let courts = l
        .provisions()
        .iter()
        .find(|t| t.provision.text.starts_with("Disputes"))
        .expect("there");
    assert_eq!(courts.last_changed.commit, "c2");
    let services = &l.provisions()[2];
    assert_eq!(services.last_changed.commit, "c0", "{services:?}");
}

#[test]
fn a_split_keeps_the_id_on_one_part_and_a_merge_on_the_joined_paragraph() {
    let split = V1.replace(
        "We keep your chats for 30 days and then delete them.",
        "We keep your chats for 30 days.\n\nAfter that period we delete every one of them for good.",
    );
    let r = replay(&[V1, &split, V1]);
    let original = id_of(&r[0], "We keep your chats");
    let parts = [
        id_of(&r[1], "We keep your chats"),
        id_of(&r[1], "After that period"),
    ];
    assert!(parts.contains(&original), "{parts:?} vs {original}");
    assert_ne!(parts[0], parts[1]);
    // Merged back: the joined paragraph keeps the id its larger part had.
    let merged = id_of(&r[2], "We keep your chats");
    assert!(parts.contains(&merged), "{merged} vs {parts:?}");
}

#[test]
fn changes_carry_ids() {
    let mut l = Lineage::new(DOC);
    let first = l
        .advance("c0", 0, V1, Some(&Taxonomy::default()))
        .expect("asked");
    assert!(first
        .provisions
        .iter()
        .all(|p| p.change == changes::ChangeKind::Added));
    let keep_id = l.provisions()[5].id.clone();
    let set = l
        .advance(
            "c1",
            1,
            &V1.replace("30 days", "90 days"),
            Some(&Taxonomy::default()),
        )
        .expect("asked");
    assert_eq!(set.provisions.len(), 1, "{:#?}", set.provisions);
    assert_eq!(set.provisions[0].id, keep_id);
    assert_eq!(set.topics, ["data-retention"]);
}
