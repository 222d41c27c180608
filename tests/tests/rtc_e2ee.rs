//! End-to-end encryption through the VideoRoom (janus.js `e2ee` with insertable streams):
//! a publisher encrypts the committed Opus and VP8 samples with a
//! [`FrameTransform`](janus_blocking::rtc::FrameTransform); Janus relays what it cannot read.
//! A subscriber with the same key decodes the samples byte for byte; one without a transform
//! receives the encrypted bytes as they left the publisher; one with the wrong key drops
//! and counts every frame. Our offer says `"e2ee": true`, which Janus's answer repeats, and
//! so do its offers to the subscribers from 1.4 (1.1.2's do not: see [`subscribe`]).
//!
//! The scheme, [`Xor`], is a test fixture and NOT encryption: a repeating-key XOR after a
//! 4-byte marker derived from the key. It leaves the head of each frame in the clear as
//! janus.js's e2ee demo does ([`clear_header_len`]), so that keyframes stay visible.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use janus_blocking::rtc::transform::clear_header_len;
use janus_blocking::rtc::{
    Error as RtcError, Event as RtcEvent, FrameInfo, FrameTransform, PeerConfig, Track, TrackKind,
};
use janus_blocking::{Client, Handle, Peer, Session};
use janus_proto::ClientConfig;
use janus_tests::Janus;
use janus_tests::rtc::{StopOnDrop, VIDEOROOM, WAIT, pick};
use janus_tests::samples::{self, Kind, Samples};
use serde_json::{Value, json};

/// NOT secure, tests only: `clear head | marker | rest XOR key`, the marker telling keys
/// apart (a frame whose marker is not this key's fails to decrypt).
struct Xor {
    key: Vec<u8>,
}

impl Xor {
    fn boxed(key: &[u8]) -> Box<dyn FrameTransform> {
        Box::new(Self { key: key.to_vec() })
    }

    fn marker(&self) -> [u8; 4] {
        let mut m = *b"E2EE";
        for (i, b) in self.key.iter().enumerate() {
            m[i % 4] ^= b;
        }
        m
    }

    fn xor(&self, data: &[u8], out: &mut Vec<u8>) {
        out.extend(data.iter().zip(self.key.iter().cycle()).map(|(d, k)| d ^ k));
    }

    /// What [`encrypt`](FrameTransform::encrypt) makes of a frame: what the publisher sends.
    fn seal(&self, codec: &str, data: &[u8]) -> Vec<u8> {
        let clear = clear_header_len(codec, data);
        let mut out = data[..clear].to_vec();
        out.extend_from_slice(&self.marker());
        self.xor(&data[clear..], &mut out);
        out
    }
}

impl FrameTransform for Xor {
    fn encrypt(
        &mut self,
        frame: FrameInfo<'_>,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), RtcError> {
        out.extend(self.seal(frame.codec, data));
        Ok(())
    }

    fn decrypt(
        &mut self,
        frame: FrameInfo<'_>,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), RtcError> {
        // The clear head is measured on the received bytes: its first byte is the original's.
        let clear = clear_header_len(frame.codec, data);
        let Some(marker) = data.get(clear..clear + 4) else {
            return Err(RtcError::Transform("frame too short".into()));
        };
        if marker != self.marker() {
            return Err(RtcError::Transform("not sealed with this key".into()));
        }
        out.extend_from_slice(&data[..clear]);
        self.xor(&data[clear + 4..], out);
        Ok(())
    }
}

const KEY: &[u8] = b"the room's shared key";

/// A connection of its own (the test wires it to its handle, so that it sees the JSEPs),
/// with every candidate in the SDP; `key` sets the transform.
fn peer(janus: &Janus, key: Option<&[u8]>) -> Peer {
    let config = PeerConfig {
        trickle: false,
        ..PeerConfig::default()
    };
    let peer = Peer::bind(config, janus.media_ip().into(), 1024).unwrap();
    if let Some(key) = key {
        // `Send`: the transform moves to the connection's thread.
        peer.set_transform(Xor::boxed(key)).unwrap();
    }
    peer
}

/// A publisher in room 1234 with the transform: its handle, connection, feed id and the
/// mids of its audio and video.
fn publish_encrypted(session: &Session, janus: &Janus) -> (Handle, Peer, Value, String, String) {
    let handle = session.attach(VIDEOROOM).unwrap();
    let joined = handle
        .message(
            json!({"request": "join", "ptype": "publisher", "room": 1234, "display": "e2ee"}),
            None,
        )
        .unwrap();
    assert_eq!(joined.data.data["videoroom"], "joined", "{joined:?}");
    let feed = joined.data.data["id"].clone();
    let peer = peer(janus, Some(KEY));
    let offer = peer
        .create_offer(
            &[Track::audio().send_only(), Track::video().send_only()],
            false,
        )
        .unwrap();
    // What we send: `"e2ee": true`, as janus.js does with `e2ee` set.
    assert!(offer.is_e2ee(), "{offer:?}");
    assert_eq!(serde_json::to_value(&offer).unwrap()["e2ee"], true);
    let reply = handle
        .message(json!({"request": "publish"}), Some(offer))
        .unwrap();
    assert_eq!(reply.data.data["configured"], "ok", "{reply:?}");
    let answer = reply.jsep.unwrap();
    // The VideoRoom took the publisher as encrypted: its answer says so.
    assert!(answer.is_e2ee(), "{answer:?}");
    peer.handle_remote_jsep(&answer).unwrap();
    peer.wait_for(WAIT, pick::connected).unwrap();
    handle.events().wait_for(WAIT, pick::webrtcup).unwrap();
    let tracks = peer.call(|pc, _| pc.local_tracks()).unwrap();
    let mid = |kind| {
        tracks
            .iter()
            .find(|t| t.kind == kind)
            .map(|t| t.mid.clone())
            .unwrap()
    };
    let (audio, video) = (mid(TrackKind::Audio), mid(TrackKind::Video));
    (handle, peer, feed, audio, video)
}

/// A subscriber to `feed` answering Janus's offer, with a transform under `key` (our
/// answer then says `e2ee`).
fn subscribe(session: &Session, janus: &Janus, feed: &Value, key: Option<&[u8]>) -> (Handle, Peer) {
    let handle = session.attach(VIDEOROOM).unwrap();
    let attached = handle
        .message(
            json!({"request": "join", "ptype": "subscriber", "room": 1234,
                   "streams": [{"feed": feed}]}),
            None,
        )
        .unwrap();
    assert_eq!(attached.data.data["videoroom"], "attached", "{attached:?}");
    let offer = attached.jsep.unwrap();
    // Janus 1.4 tells every subscriber of an encrypted feed, transform or not. 1.1.2 marks
    // only the publisher: its subscriptions know no `e2ee` (nor the refusal to mix
    // encrypted and clear feeds in one), so its offer says nothing.
    let version = janus.version();
    if version.at_least(1, 4, 0) {
        assert!(offer.is_e2ee(), "{offer:?}");
    } else if !version.at_least(1, 1, 3) {
        assert_eq!(offer.e2ee, None, "{offer:?}");
    }
    let peer = peer(janus, key);
    let answer = peer.create_answer(&offer, &[]).unwrap();
    assert_eq!(answer.is_e2ee(), key.is_some(), "{answer:?}");
    let started = handle
        .message(json!({"request": "start"}), Some(answer))
        .unwrap();
    assert_eq!(started.data.data["started"], "ok", "{started:?}");
    peer.wait_for(WAIT, pick::connected).unwrap();
    (handle, peer)
}

/// Writes the samples, paced and looping, until `stop`.
fn send_samples(peer: &Peer, audio: &str, video: &str, stop: &AtomicBool) {
    let mut samples = Samples::new(Instant::now(), true);
    while !stop.load(Ordering::Relaxed) {
        let (frames, next) = samples.due(Instant::now());
        for (kind, frame) in frames {
            let mid = if kind == Kind::Audio { audio } else { video };
            let _ = peer.write_frame(mid, frame.rtp_time, &frame.data);
        }
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}

/// What a subscriber got: frames by codec, keyframes flagged, decrypt failures reported.
#[derive(Debug, Default)]
struct Received {
    opus: Vec<Vec<u8>>,
    vp8: Vec<Vec<u8>>,
    keyframes: usize,
    failed: usize,
}

/// Collects until `done` or 10 s.
fn receive(peer: &Peer, mut done: impl FnMut(&Received) -> bool) -> Received {
    let mut got = Received::default();
    let until = Instant::now() + WAIT;
    while !done(&got) && Instant::now() < until {
        match peer.recv_timeout(Duration::from_millis(100)) {
            Ok(RtcEvent::Media(f)) if f.codec == "opus" => got.opus.push(f.data.to_vec()),
            Ok(RtcEvent::Media(f)) if f.codec == "VP8" => {
                got.keyframes += usize::from(f.keyframe);
                got.vp8.push(f.data.to_vec());
            }
            Ok(RtcEvent::DecryptFailed { error, .. }) => {
                assert!(matches!(error, RtcError::Transform(_)), "{error:?}");
                got.failed += 1;
            }
            _ => {}
        }
    }
    got
}

fn sample_set(codec: &str, seal: Option<&Xor>) -> HashSet<Vec<u8>> {
    let frames = if codec == "opus" {
        samples::opus()
    } else {
        samples::vp8()
    };
    frames
        .into_iter()
        .map(|f| match seal {
            Some(x) => x.seal(codec, &f.data),
            None => f.data,
        })
        .collect()
}

/// Frames each subscriber must get: 2 s of Opus, 2 s of VP8 (the samples last 3 s).
const OPUS_FRAMES: usize = 100;
const VP8_FRAMES: usize = 60;

#[test]
fn a_subscriber_with_the_publishers_key_decodes_its_frames_and_one_without_sees_the_encrypted_bytes()
 {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let (_publisher, sender, feed, audio, video) = publish_encrypted(&session, &janus);

    let stop = AtomicBool::new(false);
    let (keyed, plain) = std::thread::scope(|s| {
        let writer = s.spawn(|| send_samples(&sender, &audio, &video, &stop));
        let _stop = StopOnDrop(&stop);
        let (_a, with_key) = subscribe(&session, &janus, &feed, Some(KEY));
        let (_b, without) = subscribe(&session, &janus, &feed, None);
        let enough = |r: &Received| r.opus.len() >= OPUS_FRAMES && r.vp8.len() >= VP8_FRAMES;
        let (keyed, plain) = std::thread::scope(|inner| {
            let keyed = inner.spawn(|| receive(&with_key, enough));
            let plain = inner.spawn(|| receive(&without, enough));
            (keyed.join().unwrap(), plain.join().unwrap())
        });
        assert_eq!(with_key.decrypt_failures().unwrap(), 0);
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        (keyed, plain)
    });
    eprintln!(
        "with the key: {} opus, {} vp8 ({} keyframes); without: {} opus, {} vp8 ({} keyframes)",
        keyed.opus.len(),
        keyed.vp8.len(),
        keyed.keyframes,
        plain.opus.len(),
        plain.vp8.len(),
        plain.keyframes
    );
    assert!(
        keyed.opus.len() >= OPUS_FRAMES && keyed.vp8.len() >= VP8_FRAMES,
        "{keyed:?}"
    );
    assert!(
        plain.opus.len() >= OPUS_FRAMES && plain.vp8.len() >= VP8_FRAMES,
        "{plain:?}"
    );
    assert_eq!((keyed.failed, plain.failed), (0, 0));

    // With the key: every frame is one of the samples, byte for byte.
    let (opus, vp8) = (sample_set("opus", None), sample_set("VP8", None));
    assert!(
        keyed.opus.iter().all(|f| opus.contains(f)),
        "an Opus frame differs"
    );
    assert!(
        keyed.vp8.iter().all(|f| vp8.contains(f)),
        "a VP8 frame differs"
    );
    // Without: no frame is a sample; each is a sample as the publisher sealed it.
    let x = Xor { key: KEY.to_vec() };
    let (sealed_opus, sealed_vp8) = (sample_set("opus", Some(&x)), sample_set("VP8", Some(&x)));
    assert!(
        plain
            .opus
            .iter()
            .all(|f| !opus.contains(f) && sealed_opus.contains(f))
    );
    assert!(
        plain
            .vp8
            .iter()
            .all(|f| !vp8.contains(f) && sealed_vp8.contains(f))
    );
    // The clear head keeps keyframes visible to those who cannot decrypt (Janus too).
    assert!(plain.keyframes >= 1 && keyed.keyframes >= 1, "{plain:?}");
}

#[test]
fn a_subscriber_with_the_wrong_key_drops_and_counts_every_frame() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let (_publisher, sender, feed, audio, video) = publish_encrypted(&session, &janus);

    let stop = AtomicBool::new(false);
    let (got, counted) = std::thread::scope(|s| {
        let writer = s.spawn(|| send_samples(&sender, &audio, &video, &stop));
        let _stop = StopOnDrop(&stop);
        let (_c, wrong) = subscribe(&session, &janus, &feed, Some(b"another key"));
        let got = receive(&wrong, |r| r.failed >= OPUS_FRAMES + VP8_FRAMES);
        let counted = wrong.decrypt_failures().unwrap();
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        (got, counted)
    });
    eprintln!("wrong key: {} frames failed, {counted} counted", got.failed);
    assert!(got.failed >= OPUS_FRAMES + VP8_FRAMES, "{got:?}");
    assert!(got.opus.is_empty() && got.vp8.is_empty(), "{got:?}");
    // The count includes failures not yet read as events.
    assert!(counted >= got.failed as u64, "{counted} < {}", got.failed);
}
