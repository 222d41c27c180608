//! The committed `rtc_inputs` and `turn_stream` fuzz corpora (`../fuzz/corpus/<target>/`),
//! replayed through the entry points the fuzz targets call (`janus_sim::fuzz`), so that
//! every `cargo test` (stable, no libFuzzer) checks them.
#![allow(clippy::unwrap_used, missing_docs)]

use janus_sim::fuzz::corpus;
use janus_sim::world::epoch;

#[test]
fn rtc_inputs_corpus_never_panics_and_every_drain_ends() {
    for (path, bytes) in corpus("rtc_inputs") {
        eprintln!("{}", path.display());
        janus_sim::fuzz::rtc_inputs(epoch(), &bytes);
    }
}

#[test]
fn turn_stream_corpus_never_panics_and_every_drain_ends() {
    for (path, bytes) in corpus("turn_stream") {
        eprintln!("{}", path.display());
        janus_sim::fuzz::turn_stream(epoch(), &bytes);
    }
}
