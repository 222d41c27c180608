//! Entry point of the `rtc_inputs` fuzz target (`fuzz/fuzz_targets/rtc_inputs.rs`) and of
//! its corpus replay (`tests/fuzz_corpus_replay.rs`), behind the `fuzzing` feature. Not a
//! public API.
//!
//! [`rtc_inputs`]: arbitrary bytes into a [`PeerConnection`] as an offer and an answer from
//! the other side, as a trickled candidate, and as received datagrams (after a real offer,
//! so that ICE, DTLS and SRTP parsers are reached): a typed error or nothing, never a panic,
//! and the output always ends with a deadline.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use janus_proto::{IceCandidate, Jsep, Trickle};

use crate::{Input, Output, PeerConfig, PeerConnection, Track};

/// A drain longer than this is a loop, not work.
const MAX_OUTPUTS: usize = 100_000;

/// The first bytes up to a NUL are the SDP and candidate text, the rest datagrams of
/// lengths given by their first byte. Panics when a drain does not end.
pub fn rtc_inputs(now: Instant, data: &[u8]) {
    let local = SocketAddr::from(([10, 0, 0, 1], 1000));
    let remote = SocketAddr::from(([10, 0, 0, 2], 2000));
    let (text, rest) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(text);

    let mut answering = PeerConnection::new(PeerConfig::default(), now, &[local]);
    let _ = answering.create_answer(&Jsep::offer(text.as_ref()));

    let mut pc = PeerConnection::new(PeerConfig::default(), now, &[local]);
    let _ = pc.create_offer(&[Track::audio(), Track::video(), Track::data("f")], false);
    let _ = pc.handle_remote_jsep(&Jsep::answer(text.as_ref()));
    let _ = pc.add_remote_candidate(&Trickle::Candidate(IceCandidate {
        candidate: text.into_owned(),
        sdp_mid: None,
        sdp_mline_index: None,
    }));
    let mut rest = rest;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        let _ = pc.handle_input(Input::Receive(now, remote, local, &tail[..len]));
        rest = &tail[len..];
    }
    let _ = pc.handle_input(Input::Timeout(now + Duration::from_millis(10)));
    for p in [&mut pc, &mut answering] {
        let mut n = 0;
        while !matches!(p.poll_output(), Output::Timeout(_)) {
            n += 1;
            assert!(n < MAX_OUTPUTS, "output never ends");
        }
    }
}
