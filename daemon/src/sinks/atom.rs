//! The `atom` sink: the feed file is read back (atom_syndication), the event's entry replaces an
//! entry with its id (a re-delivery after a crash) or is added first, the last `max_entries` are
//! kept, and the feed is written whole, atomically. A feed that cannot be read is an error: the
//! event stays pending, and nothing in the file is thrown away.

use std::io::Write;
use std::path::Path;

use atom_syndication::{
    Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text, WriteConfig,
};

use super::{format, io, SinkError};
use crate::events::Event;

/// The id of the entry of `event` (stable across re-deliveries).
fn entry_id(event: &Event) -> String {
    format!("urn:termtrail:{}", event.id.replace(['/', ' '], ":"))
}

/// An RFC 3339 time, or 1970 when it is not one (the feed needs a date).
fn date(rfc3339: &str) -> FixedDateTime {
    chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap_or_default()
}

/// The feed's entry for `event`.
fn entry(event: &Event) -> Entry {
    let mut e = Entry {
        id: entry_id(event),
        title: Text::plain(event.headline.clone()),
        updated: date(&event.fetched_at),
        summary: Some(Text::plain(format::text(event))),
        content: Some(Content {
            value: Some(format::html(event)),
            content_type: Some("html".to_owned()),
            ..Content::default()
        }),
        ..Entry::default()
    };
    if event.url.starts_with("http") {
        e.links = vec![Link {
            href: event.url.clone(),
            rel: "alternate".to_owned(),
            ..Link::default()
        }];
    }
    e
}

/// The feed at `path`: what it holds, or a new empty feed when there is no file yet.
fn read(path: &Path) -> Result<Feed, SinkError> {
    match std::fs::read(path) {
        Ok(bytes) => Feed::read_from(&bytes[..]).map_err(|e| SinkError::Feed {
            path: path.display().to_string(),
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Feed::default()),
        Err(e) => Err(io(path)(e)),
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), SinkError> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// Adds `event` to the feed at `path` (sink `name`, feed title `title`), keeping the last `max`
/// entries, newest first.
pub(super) fn append(
    path: &Path,
    max: usize,
    title: &str,
    name: &str,
    event: &Event,
) -> Result<(), SinkError> {
    // A version event and an availability alert may reach the same feed at once; the rewrite is a
    // read-modify-write, so one at a time.
    static FEEDS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = FEEDS.lock().unwrap_or_else(|e| e.into_inner());
    let mut feed = read(path)?;
    let new = entry(event);
    let mut entries: Vec<Entry> = feed.entries.drain(..).filter(|e| e.id != new.id).collect();
    entries.insert(0, new);
    entries.truncate(max);
    feed.updated = entries.iter().map(|e| e.updated).max().unwrap_or_default();
    feed.entries = entries;
    feed.title = Text::plain(title);
    feed.id = format!("urn:termtrail:feed:{name}");
    feed.generator = Some(Generator {
        value: "termtrail".to_owned(),
        ..Generator::default()
    });
    feed.authors = vec![Person {
        name: "termtrail".to_owned(),
        ..Person::default()
    }];
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    let mut xml = feed
        .write_with_config(Vec::new(), config)
        .map_err(|e| SinkError::Feed {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    xml.push(b'\n');
    write_atomically(path, &xml)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::events::{availability_event, EventType};

    fn events(n: u64) -> Vec<Event> {
        let doc = crate::document::DocumentId::parse("a/b").expect("id");
        let at = |s: u64| std::time::UNIX_EPOCH + Duration::from_secs(s);
        (0..n)
            .map(|i| {
                availability_event(
                    EventType::Unavailable,
                    &doc,
                    "t <&>",
                    "https://x/",
                    3,
                    None,
                    at(i * 10),
                )
            })
            .collect()
    }

    #[test]
    fn atom_keeps_the_last_entries_and_replaces_a_redelivered_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let feed = dir.path().join("feed.xml");
        let events = events(4);
        for e in &events {
            append(&feed, 3, "T", "n", e).expect("append");
        }
        // Delivered again after a crash: same entry, not a new one.
        append(&feed, 3, "T", "n", &events[3]).expect("append");
        let xml = std::fs::read_to_string(&feed).expect("feed");
        let parsed = Feed::read_from(xml.as_bytes()).expect("a feed");
        let ids: Vec<&str> = parsed.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [3, 2, 1].map(|i| entry_id(&events[i])),
            "newest first, the oldest gone, no double: {xml}"
        );
        assert_eq!(parsed.title.value, "T");
        assert_eq!(parsed.entries[0].title.value, events[3].headline);
        assert_eq!(parsed.updated, date(&events[3].fetched_at));
    }

    /// A feed file that cannot be read is reported, and left as it is: no entry is lost.
    #[test]
    fn a_corrupt_feed_is_an_error_and_is_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let feed = dir.path().join("feed.xml");
        let events = events(2);
        append(&feed, 10, "T", "n", &events[0]).expect("append");
        let mut bytes = std::fs::read(&feed).expect("feed");
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&feed, &bytes).expect("corrupt it");
        let e = append(&feed, 10, "T", "n", &events[1]).expect_err("corrupt");
        assert!(matches!(e, SinkError::Feed { .. }), "{e}");
        assert!(e.to_string().contains("feed.xml"), "{e}");
        assert_eq!(std::fs::read(&feed).expect("feed"), bytes, "left as it was");
    }
}
