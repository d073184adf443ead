//! Provisions: the smallest citable units of a policy (a paragraph, a list item, a table row, a
//! heading), each with its heading path, followed from version to version under a stable id.
//!
//! Pure functions of texts, except `history`, which reads the archive: `split` cuts a version
//! into provisions, `words` reads their words, `matching` pairs the provisions of two versions,
//! `changes` describes the change provision by provision (class, topics, word diff), `lineage`
//! gives provisions stable ids over a document's history, `history` replays that history from
//! the archive, `report` shapes what the reading commands print, `dates` finds the dates a
//! version states.

pub mod changes;
pub mod dates;
pub mod history;
pub mod lineage;
pub mod matching;
pub mod report;
pub mod split;
pub mod words;

pub use changes::{ChangeKind, ChangeSet, ProvisionChange};
pub use dates::StatedDates;
pub use lineage::{Lineage, Tracked, VersionRef};
pub use split::{Kind, Provision};
