//! The committed `rtc_inputs` fuzz corpus (`../fuzz/corpus/rtc_inputs/`), replayed through
//! the entry point the fuzz target calls (`janus_rtc::fuzzing::rtc_inputs`), so that every
//! `cargo test` (stable, no libFuzzer) checks it.
#![allow(clippy::unwrap_used, missing_docs)]

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

#[allow(clippy::disallowed_methods)] // the base instant of the simulated connections
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
fn rtc_inputs_corpus_never_panics_and_every_drain_ends() {
    for (path, bytes) in corpus("rtc_inputs") {
        eprintln!("{}", path.display());
        janus_rtc::fuzzing::rtc_inputs(epoch(), &bytes);
    }
}
