//! The committed fuzz corpora (`../fuzz/corpus/<target>/`), replayed through the same entry
//! points the fuzz targets call, so that every `cargo test` (stable, no libFuzzer) checks
//! them.
#![allow(clippy::unwrap_used, missing_docs)]

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use janus_proto::fuzzing;

#[allow(clippy::disallowed_methods)] // the base instant of the simulated clients
fn epoch() -> Instant {
    Instant::now()
}

/// Every file of a target's corpus, sorted by name; a target without seeds fails.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[test]
fn incoming_json_corpus_parses_without_panic() {
    for (path, bytes) in corpus("incoming_json") {
        eprintln!("{}", path.display());
        fuzzing::incoming_json(epoch(), &bytes);
    }
}

#[test]
fn incoming_json_seeds_are_janus_messages_we_understand() {
    // The hand-written seeds (`*.json`) are real-looking Janus messages: each must parse,
    // and none may fall through to `Unknown` except the one that is meant to.
    for (path, bytes) in corpus("incoming_json") {
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        let batch = janus_proto::msg::incoming::parse_batch(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for msg in batch {
            let msg = msg.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let unknown = matches!(msg, janus_proto::Incoming::Unknown(_));
            assert_eq!(
                unknown,
                path.ends_with("unknown.json"),
                "{}: {msg:?}",
                path.display()
            );
        }
    }
}

#[test]
fn client_inputs_corpus_drives_clients_without_panic() {
    for (path, bytes) in corpus("client_inputs") {
        eprintln!("{}", path.display());
        fuzzing::client_inputs(epoch(), &bytes);
    }
}

#[test]
fn plugin_events_corpus_decodes_or_fails_cleanly() {
    for (path, bytes) in corpus("plugin_events") {
        eprintln!("{}", path.display());
        fuzzing::plugin_events(&bytes);
    }
}
