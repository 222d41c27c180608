//! Arbitrary bytes into a `janus_rtc::PeerConnection`: as an offer and an answer from the
//! other side, as a trickled candidate, and as received datagrams (after a real offer, so
//! that ICE, DTLS and SRTP parsers are reached): a typed error or nothing, never a panic,
//! and the output always ends with a deadline. The logic is `janus_sim::fuzz`, shared with
//! the corpus replay in `janus-rtc/tests/fuzz_corpus_replay.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    janus_sim::fuzz::rtc_inputs(std::time::Instant::now(), data);
});
