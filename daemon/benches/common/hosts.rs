//! For the benchmarks: the distinct host names that reach a server bound to 127.0.0.1 without
//! editing /etc/hosts, each its own host for termtrail's per-host limits.
//!
//! termtrail keys its per-host limits (`[fetch.hosts."HOST"]`, the limiter) by the URL's host as
//! the `url` crate gives it (`Url::host_str`), lower-cased, without the port: two ports on one
//! name are one host. Names that give distinct keys and still reach 127.0.0.1:
//! - `127.0.0.1`;
//! - `[::ffff:127.0.0.1]`, the IPv4-mapped IPv6 address: an IPv6 socket reaches the IPv4
//!   listener through Linux's dual stack (its key is `[::ffff:7f00:1]`); kept only if a
//!   connection through it succeeds here;
//! - `localhost` and any other name that /etc/hosts maps to 127.0.0.1 (a container's host name,
//!   for one), kept only if it resolves to loopback addresses alone, 127.0.0.1 among them.
//!
//! Not usable: `localhost.` (glibc's files lookup does not match the trailing dot: not found),
//! `127.1` or `2130706433` (the URL parser rewrites them to `127.0.0.1`, the same key),
//! `*.localhost` (unresolved without systemd's resolver) and other 127.x addresses (the servers
//! bind 127.0.0.1 only).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The names, in a stable order (`127.0.0.1` and `localhost` first), each a distinct host key.
pub fn loopback_hosts() -> Vec<String> {
    let mut names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    if mapped_v6_reaches_v4() {
        names.push("[::ffff:127.0.0.1]".to_owned());
    }
    let etc = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    for line in etc.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut fields = line.split_whitespace();
        if fields.next() != Some("127.0.0.1") {
            continue;
        }
        for name in fields {
            let name = name.to_ascii_lowercase();
            if !names.contains(&name) && resolves_to_loopback(&name) {
                names.push(name);
            }
        }
    }
    // Keep one name per host key, as termtrail computes it.
    let mut keys = BTreeSet::new();
    names.retain(|n| keys.insert(host_key(n)));
    names
}

/// termtrail's per-host key of `http://NAME/`: `Url::host_str`, lower-cased.
pub fn host_key(name: &str) -> String {
    url::Url::parse(&format!("http://{name}:1/"))
        .expect("a valid URL")
        .host_str()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn resolves_to_loopback(name: &str) -> bool {
    let Ok(addrs) = (name, 1).to_socket_addrs() else {
        return false;
    };
    let addrs: Vec<SocketAddr> = addrs.collect();
    addrs.iter().all(|a| a.ip().is_loopback())
        && addrs
            .iter()
            .any(|a| a.ip() == IpAddr::V4(Ipv4Addr::LOCALHOST))
}

fn mapped_v6_reaches_v4() -> bool {
    let Ok(listener) = TcpListener::bind("127.0.0.1:0") else {
        return false;
    };
    let Ok(port) = listener.local_addr().map(|a| a.port()) else {
        return false;
    };
    let mapped = SocketAddr::new(Ipv4Addr::LOCALHOST.to_ipv6_mapped().into(), port);
    TcpStream::connect_timeout(&mapped, Duration::from_secs(2)).is_ok()
}
