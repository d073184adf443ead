//! OTA's own versions of a document (`SERVICE_ID/TERMS TYPE.md` in a versions repository), to
//! score the imported texts against: each termtrail version is compared with the OTA version in
//! force at its date.

use std::time::SystemTime;

use git2::Repository;

use super::snapshots::Changes;

/// One OTA version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtaVersion {
    /// Its commit date (the fetch it was extracted from).
    pub at: SystemTime,
    /// The Markdown.
    pub text: String,
}

/// The versions of one document in an OTA versions repository whose changes are `changes`
/// ([`super::snapshots::read_changes`]), oldest first. A re-extraction OTA committed later with
/// the same date comes after the version it replaces.
pub fn ota_versions(
    repo: &Repository,
    changes: &Changes,
    service_id: &str,
    terms_type: &str,
) -> Result<Vec<OtaVersion>, git2::Error> {
    let Some(list) = changes.get(&format!("{service_id}/{terms_type}.md")) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(list.len());
    for change in list {
        let blob = repo.find_blob(change.blob)?;
        out.push(OtaVersion {
            at: change.at,
            text: String::from_utf8_lossy(blob.content()).into_owned(),
        });
    }
    out.sort_by_key(|v| v.at);
    Ok(out)
}

/// The OTA version in force at `at`: the last one dated at or before it.
pub fn in_force(versions: &[OtaVersion], at: SystemTime) -> Option<&OtaVersion> {
    versions.iter().rev().find(|v| v.at <= at)
}

/// The mean similarity ([`super::similarity::similarity`]) of `ours` (texts by date) to the OTA
/// versions in force at their dates; `None` when no text has an OTA version to compare with.
pub fn mean_similarity(ours: &[(SystemTime, String)], ota: &[OtaVersion]) -> Option<f64> {
    let scores: Vec<f64> = ours
        .iter()
        .filter_map(|(at, text)| {
            in_force(ota, *at).map(|v| super::similarity::similarity(text, &v.text))
        })
        .collect();
    (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn each_text_is_scored_against_the_version_in_force() {
        let ota = vec![
            OtaVersion {
                at: at(100),
                text: "# Terms\n\nWe keep data for thirty days.\n".into(),
            },
            OtaVersion {
                at: at(200),
                text: "# Terms\n\nWe keep data for ninety days.\n".into(),
            },
        ];
        assert_eq!(in_force(&ota, at(99)), None);
        assert_eq!(in_force(&ota, at(150)).map(|v| v.at), Some(at(100)));
        assert_eq!(in_force(&ota, at(200)).map(|v| v.at), Some(at(200)));
        let same = vec![
            (
                at(100),
                "# Terms\n\nWe keep data for thirty days.\n".to_owned(),
            ),
            (
                at(250),
                "# Terms\n\nWe keep data for ninety days.\n".to_owned(),
            ),
        ];
        assert_eq!(mean_similarity(&same, &ota), Some(1.0));
        // Compared with the wrong version, the score drops (so the pairing matters).
        let shifted = vec![(
            at(150),
            "# Terms\n\nWe keep data for ninety days.\n".to_owned(),
        )];
        assert!(mean_similarity(&shifted, &ota).is_some_and(|s| s < 1.0));
        assert_eq!(mean_similarity(&[(at(1), "x".to_owned())], &ota), None);
    }
}
