//! For the benchmarks: the noisy fixture's documents in a termtrail config, spread over the
//! loopback host names (`hosts.rs`) and the servers' ports.

/// The kinds of a platform's documents (Open Terms Archive's terms types).
const KINDS: [&str; 6] = [
    "privacy-policy",
    "terms-of-service",
    "acceptable-use-policy",
    "commercial-terms",
    "trackers-policy",
    "developer-terms",
];

/// Document `i`'s URL: the host names in turn, and the ports in turn.
pub fn url(hosts: &[String], ports: &[u16], i: usize) -> String {
    let host = &hosts[i % hosts.len()];
    let port = ports[(i / hosts.len()) % ports.len()];
    format!("http://{host}:{port}/p{i}")
}

/// A config of `docs` documents (`main` without `.ad`), `head` (top-level tables) first, 8
/// fetches at once per host and no delay between them.
pub fn config(head: &str, hosts: &[String], ports: &[u16], docs: usize) -> String {
    // The per-host limits set in `[fetch]`, which every host inherits: a `[fetch.hosts."HOST"]`
    // table cannot name an IPv6 address (its key has colons).
    let mut toml = format!(
        "{head}\n[archive]\npath = \"archive\"\n\n[fetch]\nper_host_concurrency = 8\nper_host_delay = \"0s\"\n"
    );
    for i in 0..docs {
        // Several kinds per platform, as a platform has several documents.
        toml.push_str(&format!(
            "\n[[document]]\nplatform = \"p{}\"\nkind = \"{}\"\nurl = \"{}\"\nselect = [\"main\"]\nremove = [\".ad\"]\n",
            i / KINDS.len(),
            KINDS[i % KINDS.len()],
            url(hosts, ports, i)
        ));
    }
    toml
}
