//! End-to-end tests: the real `termtrail` binary against a fixture HTTP server on 127.0.0.1,
//! with the archive checked by the real `git` CLI. One test binary (ripgrep's layout), one module
//! per area.

mod audit;
mod raw_server;
mod server;
mod util;

mod archive_flow;
mod archive_growth;
mod browser;
mod cli;
mod container;
mod daemon;
mod fetch_behaviour;
mod fidelity_rules;
mod hard_documents;
mod hostile;
mod migrate_ota;
mod plugin;
mod plugin_authoring;
mod provisions;
mod publish;
mod receiver;
mod recovery;
mod service;
mod sinks;
mod web;
mod web_daemon;
