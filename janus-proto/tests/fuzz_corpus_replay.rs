//! The committed fuzz corpora of janus-proto's targets (`../fuzz/corpus/<target>/`),
//! replayed through the same entry points the fuzz targets call (`janus_sim::fuzz`), so that
//! every `cargo test` (stable, no libFuzzer) checks them. (`rtc_inputs` is replayed by
//! janus-rtc's `tests/fuzz_corpus_replay.rs`.)
#![allow(clippy::unwrap_used, missing_docs)]

use janus_sim::fuzz::{self, corpus};
use janus_sim::world::epoch;

#[test]
fn incoming_json_corpus_parses_without_panic() {
    for (path, bytes) in corpus("incoming_json") {
        eprintln!("{}", path.display());
        fuzz::incoming_json(epoch(), &bytes);
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
        fuzz::client_inputs(epoch(), &bytes);
    }
}

#[test]
fn plugin_events_corpus_decodes_or_fails_cleanly() {
    for (path, bytes) in corpus("plugin_events") {
        eprintln!("{}", path.display());
        fuzz::plugin_events(&bytes);
    }
}
