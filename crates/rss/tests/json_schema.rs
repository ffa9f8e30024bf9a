//! The JSON schema of `rss -j`: generated from the library's types
//! (`sockdiag::socket_list_schema`), committed as
//! `schema/rss-socket.schema.json`, and checked against real output.
//!
//! After changing the model, regenerate the file with
//! `RSS_UPDATE_SCHEMA=1 cargo test --test main json_schema::`.

use crate::common;

use std::path::PathBuf;

use testkit::require_privileged;

fn schema_path() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("schema/rss-socket.schema.json")
}

#[test]
fn committed_schema_is_the_generated_one() {
    let generated = sockdiag::socket_list_schema();
    if std::env::var_os("RSS_UPDATE_SCHEMA").is_some() {
        std::fs::write(schema_path(), &generated).unwrap();
    }
    let committed = std::fs::read_to_string(schema_path()).unwrap();
    assert!(
        committed == generated,
        "schema/rss-socket.schema.json is stale: regenerate it with RSS_UPDATE_SCHEMA=1 cargo test --test main json_schema::"
    );
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(schema_path()).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

#[test]
fn real_output_of_every_table_matches_the_schema_and_reads_back() {
    require_privileged!();
    let w = common::world();
    let v = validator();
    for (args, least) in [
        (&["-a", "-j"][..], 20),
        (&["-a", "-j", "-e", "-m", "-i", "-o", "-p"], 20),
        // Packet, raw and netlink: whatever the namespace holds.
        (&["-a", "-j", "-0", "-w", "--netlink", "-e"], 0),
    ] {
        let text = common::rss(&w, args);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = v.iter_errors(&json).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "rss {args:?}: {errors:#?}");
        let sockets: Vec<sockdiag::Socket> = serde_json::from_str(&text).unwrap();
        // Every socket of the world is there, and reads back as printed.
        assert!(
            sockets.len() >= least,
            "rss {args:?}: {} sockets",
            sockets.len()
        );
        let again = serde_json::to_value(&sockets).unwrap();
        assert_eq!(again, json, "rss {args:?}: read back differs");
    }
}

#[test]
fn the_schema_rejects_what_is_not_a_socket() {
    let v = validator();
    for bad in [
        serde_json::json!([{"netid": "tcp"}]),
        serde_json::json!([{"netid": "tcp", "family": "inet", "state": "estab", "recv_q": 0, "send_q": 0, "local": null, "peer": null, "inode": 0, "timer": null}]),
        serde_json::json!([{"netid": "tcp", "family": "inet", "state": {"unknown": 300}, "recv_q": 0, "send_q": 0, "local": null, "peer": null, "inode": 0, "timer": null}]),
    ] {
        assert!(!v.is_valid(&bad), "{bad}");
    }
    let good = serde_json::json!([{"netid": "tcp", "family": "inet", "state": {"unknown": 40}, "recv_q": 0, "send_q": 0, "local": {"addr": "10.0.0.1", "port": 22}, "peer": null, "inode": 0, "timer": null}]);
    assert!(v.is_valid(&good));
}
