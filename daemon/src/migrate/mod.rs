//! Moving from Open Terms Archive to termtrail (`termtrail migrate-ota`): an OTA collection's
//! declarations become a termtrail config, and its snapshots repository becomes termtrail history
//! with the original dates, each capture extracted with the declaration in force at its date.
//!
//! - [`declaration`]: OTA's declaration files (services, terms, `combine`, histories, filters);
//! - [`translate`]: declarations to `[[document]]` tables, with warnings for what cannot be
//!   carried over;
//! - [`snapshots`]: which captures of an OTA snapshots repository make one fetch of a document,
//!   and under which declaration;
//! - [`replay`]: a document's captures through termtrail's pipeline, idempotently;
//! - [`similarity`] and [`versions`]: how close the imported texts are to OTA's own versions;
//! - [`run`]: the whole migration, and [`report`]: its summary.

pub mod declaration;
pub mod replay;
pub mod report;
pub mod run;
pub mod similarity;
pub mod snapshots;
pub mod translate;
pub mod versions;

use std::fmt;

/// Something a migration could not carry over, or had to decide: said to the user, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What it is about: an OTA service id, or a termtrail document id.
    pub subject: String,
    /// What happened and what to do.
    pub message: String,
}

impl Warning {
    /// A warning about an OTA service (a file of the collection).
    pub fn service(id: &str, message: String) -> Self {
        Self {
            subject: id.to_owned(),
            message,
        }
    }

    /// A warning about one document (`PLATFORM/KIND`).
    pub fn document(id: &str, message: String) -> Self {
        Self {
            subject: id.to_owned(),
            message,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}
