//! The JSON form (`serde`): every socket of a namespace survives a round
//! trip, and fields this version does not know are dropped by the lenient
//! reader and rejected, with their place, by `from_json_strict`.

use std::net::TcpStream;

use sockdiag::{Query, Socket, from_json_strict};
use testkit::{listener, require_privileged};

#[test]
fn every_socket_to_json_and_back_strictly() {
    require_privileged!();
    let ns = testkit::NetNs::new().unwrap();
    let _held = ns.run(|| {
        let l = listener("127.0.0.1:7200".parse().unwrap(), 4, None).unwrap();
        let c = TcpStream::connect("127.0.0.1:7200").unwrap();
        let (a, _) = l.accept().unwrap();
        let u = std::net::UdpSocket::bind("127.0.0.1:7201").unwrap();
        let (p, q) = std::os::unix::net::UnixStream::pair().unwrap();
        (l, c, a, u, p, q)
    });
    let diag = sockdiag::NetNs::from_path(ns.path()).unwrap();
    let sockets: Vec<Socket> = Query::all()
        .with_info()
        .with_memory()
        .dump_in(&diag)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for want in ["127.0.0.1:7200", "127.0.0.1:7201"] {
        assert!(
            sockets.iter().any(|s| s.local.to_string() == want),
            "{want} missing"
        );
    }
    assert!(sockets.iter().any(|s| s.tcp_info.is_some()));
    let text = serde_json::to_string(&sockets).unwrap();
    let back: Vec<Socket> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, sockets);
    // The strict reader accepts all that this version writes.
    let strict: Vec<Socket> = from_json_strict(&text).expect("our own JSON is strict-clean");
    assert_eq!(strict, sockets);
}

/// One listener as `rss -j` writes it, with `extra` spliced into its object.
fn listener_json(extra: &str) -> String {
    format!(
        r#"[{{"netid":"tcp","family":"inet","state":"listen",
            "local":{{"addr":"127.0.0.1","port":22}},"peer":{{"addr":"0.0.0.0","port":0}},
            "recv_q":1,"send_q":128,"inode":9{extra}}}]"#
    )
}

#[test]
fn unknown_fields_are_dropped_leniently_and_rejected_strictly() {
    let plain: Vec<Socket> = serde_json::from_str(&listener_json("")).unwrap();
    for (extra, place) in [
        (r#","from_the_future":7"#, "[0].from_the_future"),
        (r#","new_block":{"a":[1,2]}"#, "[0].new_block"),
        (
            r#","tcp_info":{"rtt":100,"next_year_counter":5}"#,
            "[0].tcp_info.next_year_counter",
        ),
        (
            r#","processes":[{"command":"sshd","pid":1,"fd":3,"container":"c1"}]"#,
            "[0].processes[0].container",
        ),
    ] {
        let text = listener_json(extra);
        // Lenient: read, the unknown field gone.
        let lenient: Vec<Socket> = serde_json::from_str(&text).expect(extra);
        assert_eq!(lenient[0].send_q, 128);
        assert!(
            !serde_json::to_string(&lenient)
                .unwrap()
                .contains(place.rsplit('.').next().unwrap())
        );
        // Strict: an error naming the place.
        let err = from_json_strict::<Vec<Socket>>(&text).expect_err(extra);
        assert_eq!(
            err.to_string(),
            format!("unknown field at {place} (written by a newer version?)")
        );
    }
    // Known fields, and empty values the writer leaves out, read strictly.
    let known = listener_json(r#","interface":0,"tcp_info":{"rtt":100}"#);
    let strict: Vec<Socket> = from_json_strict(&known).unwrap();
    assert_eq!(strict[0].tcp_info.as_ref().and_then(|t| t.rtt()), Some(100));
    assert_eq!(strict[0].local, plain[0].local);
    // An endpoint's keys say its kind: an unknown one is an error in both.
    let odd = listener_json("").replace(r#""port":22"#, r#""port":22,"zone":"x""#);
    assert!(serde_json::from_str::<Vec<Socket>>(&odd).is_err());
    assert!(from_json_strict::<Vec<Socket>>(&odd).is_err());
}
