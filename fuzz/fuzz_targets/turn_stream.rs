//! Arbitrary bytes as what TURN servers answer on a connection's TCP and TLS streams (a
//! relay-only `janus_rtc::PeerConnection` with one server of each): never a panic, every
//! drain ends, no stream closed twice. The logic is `janus_sim::fuzz::turn_stream`, shared
//! with the corpus replay in `janus-rtc/tests/fuzz_corpus_replay.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    janus_sim::fuzz::turn_stream(std::time::Instant::now(), data);
});
