//! Two `PeerConnection`s wired to each other in memory, with simulated time: the sans-IO
//! contract (datagrams and time in, datagrams, deadlines and events out) carries a whole
//! negotiation, ICE, DTLS, SCTP and media, with no socket and no clock. And whatever bytes
//! arrive as SDP, candidates or datagrams, the result is a typed error, never a panic.
#![allow(clippy::unwrap_used, missing_docs)]
// The base instant of the simulated time; nothing else reads the clock.
#![allow(clippy::disallowed_methods)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use janus_proto::{Jsep, Trickle};
use janus_rtc::{Event, Input, Output, PeerConfig, PeerConnection, Track, TrackKind};
use proptest::prelude::*;

struct Side {
    pc: PeerConnection,
    events: Vec<Event>,
    candidates: Vec<Trickle>,
}

/// Moves every datagram between the two and advances time to the next deadline, `steps`
/// times; events and candidates are collected on each side.
fn run(a: &mut Side, b: &mut Side, now: &mut Instant, steps: usize) {
    for _ in 0..steps {
        let deadline = pump(a, b, *now).min(pump(b, a, *now));
        *now = deadline.clamp(
            *now + Duration::from_millis(1),
            *now + Duration::from_secs(1),
        );
        a.pc.handle_input(Input::Timeout(*now)).unwrap();
        b.pc.handle_input(Input::Timeout(*now)).unwrap();
    }
}

/// Delivers what `from` wants sent to `to`; returns `from`'s next deadline.
fn pump(from: &mut Side, to: &mut Side, now: Instant) -> Instant {
    loop {
        match from.pc.poll_output() {
            Output::Transmit(t) => {
                to.pc
                    .handle_input(Input::Receive(now, t.source, t.destination, &t.contents))
                    .unwrap();
            }
            // No TURN server over TCP here.
            Output::Stream(_) => {}
            Output::Event(Event::LocalCandidate(c)) => from.candidates.push(c),
            Output::Event(e) => from.events.push(e),
            Output::Timeout(at) => return at,
        }
    }
}

fn side(now: Instant, addr: &str) -> Side {
    let addr: SocketAddr = addr.parse().unwrap();
    Side {
        pc: PeerConnection::new(PeerConfig::default(), now, &[addr]),
        events: Vec::new(),
        candidates: Vec::new(),
    }
}

#[test]
fn two_peers_negotiate_connect_and_exchange_data_and_frames_in_simulated_time() {
    let mut now = Instant::now();
    let (mut a, mut b) = (side(now, "10.0.0.1:1000"), side(now, "10.0.0.2:2000"));
    let offer =
        a.pc.create_offer(&[Track::audio(), Track::data("chat")], false)
            .unwrap();
    let answer = b.pc.create_answer(&offer, &[]).unwrap();
    a.pc.handle_remote_jsep(&answer).unwrap();
    run(&mut a, &mut b, &mut now, 1);
    for c in std::mem::take(&mut a.candidates) {
        b.pc.add_remote_candidate(&c).unwrap();
    }
    for c in std::mem::take(&mut b.candidates) {
        a.pc.add_remote_candidate(&c).unwrap();
    }
    run(&mut a, &mut b, &mut now, 200);
    assert!(a.pc.is_connected() && b.pc.is_connected());
    assert!(
        b.events
            .iter()
            .any(|e| matches!(e, Event::DataOpen { label, .. } if label == "chat"))
    );
    let remote = b.pc.remote_tracks();
    assert_eq!(remote.len(), 1);
    assert_eq!(remote[0].kind, TrackKind::Audio);

    a.pc.send_data("chat", false, b"hello").unwrap();
    let mid = a.pc.local_tracks()[0].mid.clone();
    let frame = [0xF8, 1, 2, 3, 4, 5];
    for n in 0..5u64 {
        assert!(a.pc.write_frame(now, &mid, n * 960, &frame).unwrap());
        run(&mut a, &mut b, &mut now, 2);
    }
    run(&mut a, &mut b, &mut now, 20);
    assert!(
        b.events
            .iter()
            .any(|e| matches!(e, Event::Data(m) if m.data == b"hello" && !m.binary))
    );
    let frames = b
        .events
        .iter()
        .filter(|e| matches!(e, Event::Media(f) if *f.data == frame[..] && f.mid == mid))
        .count();
    assert!(frames >= 4, "frames received: {frames}");

    a.pc.close();
    run(&mut a, &mut b, &mut now, 20);
    assert!(matches!(a.events.last(), Some(Event::Closed)));
    assert!(b.events.iter().any(|e| matches!(e, Event::Closed)));
}

/// The RFC 6464 extension's URI, as our SDP names it.
const AUDIO_LEVEL_EXT: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

#[test]
fn audio_levels_are_negotiated_sent_per_frame_and_read_per_remote_track() {
    use janus_rtc::{AudioLevel, Error};

    let mut now = Instant::now();
    let (mut a, mut b) = (side(now, "10.0.0.1:1000"), side(now, "10.0.0.2:2000"));
    let offer =
        a.pc.create_offer(&[Track::audio(), Track::video()], false)
            .unwrap();
    let answer = b.pc.create_answer(&offer, &[]).unwrap();
    for sdp in [&offer.sdp, &answer.sdp] {
        let audio = sdp.split("m=").find(|m| m.starts_with("audio")).unwrap();
        assert!(audio.contains(AUDIO_LEVEL_EXT), "{audio}");
    }
    a.pc.handle_remote_jsep(&answer).unwrap();
    run(&mut a, &mut b, &mut now, 1);
    for c in std::mem::take(&mut a.candidates) {
        b.pc.add_remote_candidate(&c).unwrap();
    }
    for c in std::mem::take(&mut b.candidates) {
        a.pc.add_remote_candidate(&c).unwrap();
    }
    run(&mut a, &mut b, &mut now, 200);
    assert!(a.pc.is_connected() && b.pc.is_connected());
    let tracks = a.pc.local_tracks();
    let audio = &tracks
        .iter()
        .find(|t| t.kind == TrackKind::Audio)
        .unwrap()
        .mid;
    let video = &tracks
        .iter()
        .find(|t| t.kind == TrackKind::Video)
        .unwrap()
        .mid;
    assert_eq!(a.pc.local_volume(audio), None);
    assert_eq!(b.pc.remote_volume(audio), None);

    // Loud frames, then quiet ones: each arrives with its own level.
    let frame = [0xF8, 1, 2, 3, 4, 5];
    let levels = [10u8, 10, 20, 127, 127];
    for (n, dbov) in (0u64..).zip(levels) {
        let level = AudioLevel::new(dbov).unwrap();
        assert!(
            a.pc.write_frame_with_level(now, audio, n * 960, &frame, level)
                .unwrap()
        );
        assert_eq!(a.pc.local_volume(audio), Some(level));
        run(&mut a, &mut b, &mut now, 2);
    }
    // A frame without a level carries none, and leaves the last level as it was.
    assert!(a.pc.write_frame(now, audio, 5 * 960, &frame).unwrap());
    run(&mut a, &mut b, &mut now, 20);
    let received: Vec<Option<(u8, bool)>> = b
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Media(f) if f.mid == *audio => {
                Some(f.audio_level.map(|l| (l.dbov(), l.voice())))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        received,
        [
            Some((10, true)),
            Some((10, true)),
            Some((20, true)),
            Some((127, false)),
            Some((127, false)),
            None
        ]
    );
    assert_eq!(b.pc.remote_volume(audio), Some(AudioLevel::SILENCE));
    assert_eq!(
        a.pc.local_volume(audio),
        Some(AudioLevel::new(127).unwrap())
    );

    // A level on a video track is a typed error, and nothing is sent.
    let err =
        a.pc.write_frame_with_level(now, video, 0, &frame, AudioLevel::SILENCE)
            .unwrap_err();
    assert_eq!(err, Error::NotAudio(video.clone()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_sdp_candidates_and_datagrams_never_panic(
        sdp in "(v=0\r\n)?((m|a|c|o|s|t)=[ -~]{0,40}\r\n){0,12}",
        candidate in "(candidate:)?[ -~]{0,60}",
        datagrams in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..8),
    ) {
        let now = Instant::now();
        let mut pc = PeerConnection::new(PeerConfig::default(), now, &["10.0.0.1:1000".parse().unwrap()]);
        let _ = pc.create_answer(&Jsep::offer(sdp.clone()), &[]);
        let _ = pc.create_offer(&[Track::audio()], false);
        let _ = pc.handle_remote_jsep(&Jsep::answer(sdp));
        let _ = pc.add_remote_candidate(&Trickle::Candidate(janus_proto::IceCandidate {
            candidate,
            sdp_mid: None,
            sdp_mline_index: None,
        }));
        for d in &datagrams {
            let _ = pc.handle_input(Input::Receive(now, "10.0.0.2:2000".parse().unwrap(), "10.0.0.1:1000".parse().unwrap(), d));
        }
        pc.handle_input(Input::Timeout(now + Duration::from_secs(1))).unwrap();
        let mut outputs = 0;
        while !matches!(pc.poll_output(), Output::Timeout(_)) {
            outputs += 1;
            prop_assert!(outputs < 10_000, "output never ends");
        }
    }
}
