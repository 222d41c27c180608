//! The committed `rtc_inputs` fuzz corpus (`../fuzz/corpus/rtc_inputs/`), replayed through
//! the entry point the fuzz target calls (`janus_sim::fuzz::rtc_inputs`), so that every
//! `cargo test` (stable, no libFuzzer) checks it.
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
