//! `rss bench`: the counts it reports are the sockets that exist.
//!
//! A private namespace holds a small farm (established pairs behind one
//! listener per child), a few UDP sockets and unix socket pairs; `rss bench
//! -N <namespace file>` must count exactly those, from netlink and from the
//! `/proc/net` files alike.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::os::unix::net::UnixStream;
use std::process::{Command, Output};

use testkit::{Farm, NetNs, require_privileged};

const PAIRS: usize = 300;
const UDP: usize = 7;
const UNIX_PAIRS: usize = 3;

fn rss_bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rss"))
        .arg("bench")
        .args(args)
        .output()
        .expect("run rss")
}

/// The row of `table` from `source` in `rss bench -j` output.
fn row<'a>(doc: &'a serde_json::Value, table: &str, source: &str) -> &'a serde_json::Value {
    doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["table"] == table && r["source"] == source)
        .unwrap_or_else(|| panic!("no {table} {source} row in {doc:#}"))
}

#[test]
fn counts_equal_the_farm() {
    require_privileged!();
    let ns = NetNs::new().unwrap();
    let farm = Farm::start(&ns, PAIRS).unwrap();
    let held = ns
        .run(|| -> std::io::Result<_> {
            let udp: Vec<UdpSocket> = (0..UDP)
                .map(|_| UdpSocket::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))))
                .collect::<Result<_, _>>()?;
            let unix: Vec<(UnixStream, UnixStream)> = (0..UNIX_PAIRS)
                .map(|_| UnixStream::pair())
                .collect::<Result<_, _>>()?;
            Ok((udp, unix))
        })
        .unwrap();
    let path = ns.path();
    let path = path.to_str().unwrap();
    let tcp = (2 * farm.pairs() + farm.ports().len()) as u64;

    let o = rss_bench(&["-N", path, "-tuxi", "--runs", "2", "-j"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["runs"], 2);
    for (table, source, sockets) in [
        ("tcp", "netlink", tcp),
        ("tcp", "netlink -i", tcp),
        ("tcp", "/proc/net/tcp", tcp),
        ("tcp", "/proc/net/tcp6", 0),
        ("udp", "netlink", UDP as u64),
        ("udp", "/proc/net/udp", UDP as u64),
        ("udp", "/proc/net/udp6", 0),
        ("unix", "netlink", 2 * UNIX_PAIRS as u64),
        ("unix", "/proc/net/unix", 2 * UNIX_PAIRS as u64),
    ] {
        let r = row(&doc, table, source);
        assert_eq!(r["sockets"], sockets, "{table} {source}: {r:#}");
        assert_eq!(r["runs"], 2);
        assert!(r["min_s"].as_f64().unwrap() <= r["median_s"].as_f64().unwrap());
        assert!(r["median_s"].as_f64().unwrap() <= r["max_s"].as_f64().unwrap());
    }
    // One dump of this size takes several datagrams; tcp_info makes them more.
    let batches = |s| row(&doc, "tcp", s)["batches"].as_u64().unwrap();
    assert!(batches("netlink") > 1);
    assert!(batches("netlink -i") > batches("netlink"));
    assert!(row(&doc, "tcp", "/proc/net/tcp")["batches"].is_null());

    // -l: the listeners only (one per farm child); -4: no IPv6 file.
    let o = rss_bench(&["-N", path, "-tl4", "--runs=1", "-j"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let listeners = farm.ports().len() as u64;
    assert_eq!(row(&doc, "tcp", "netlink")["sockets"], listeners);
    assert_eq!(row(&doc, "tcp", "/proc/net/tcp")["sockets"], listeners);
    assert_eq!(doc["results"].as_array().unwrap().len(), 2, "{doc:#}");

    // The text table says the same.
    let o = rss_bench(&["-N", path, "-t", "--runs", "1"]);
    let text = String::from_utf8(o.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("tcp") && l.contains(" netlink "))
        .unwrap_or_else(|| panic!("no tcp netlink line in\n{text}"));
    assert_eq!(
        line.split_whitespace().nth(2),
        Some(tcp.to_string().as_str()),
        "{line}"
    );
    drop(held);
}

#[test]
fn bad_flags_exit_2_with_one_message() {
    for args in [
        &["--bogus"][..],
        &["-q"],
        &["--runs", "0"],
        &["--runs"],
        &["state", "listening"],
    ] {
        let o = rss_bench(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("rss: bench: "), "{args:?}: {err}");
        assert!(o.stdout.is_empty());
    }
    let o = rss_bench(&["--help"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("--runs <N>"));
}

#[test]
fn a_missing_namespace_is_a_failure() {
    let o = rss_bench(&["-N", "rss-no-such-namespace", "-t"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("rss: bench: "));
}
