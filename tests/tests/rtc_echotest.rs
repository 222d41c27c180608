//! WebRTC with the real EchoTest through the blocking adapter: `janus-rtc` on a UDP socket
//! bound to the namespace's 127.0.0.2, signalling over WebSocket.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use janus_blocking::rtc::{Event as RtcEvent, PeerConfig, Track, TrackKind};
use janus_blocking::{Client, Handle, Peer, Session};
use janus_proto::{ClientConfig, Event};
use janus_tests::Janus;
use janus_tests::media::{OPUS_TICKS, VP8_TICKS, frame_number, opus_frame, vp8_frame};
use serde_json::json;

const ECHOTEST: &str = "janus.plugin.echotest";
const WAIT: Duration = Duration::from_secs(10);

struct Echo {
    _janus: Janus,
    _client: Client,
    _session: Session,
    handle: Handle,
    peer: Peer,
}

/// A Janus, a session with the EchoTest attached, and a peer bound on the media address.
fn echo_with(config: PeerConfig) -> Echo {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(
        ClientConfig::new([janus.ws_url()])
            .unwrap()
            .request_timeout(WAIT),
    )
    .unwrap();
    let session = client.create_session().unwrap();
    let handle = session.attach(ECHOTEST).unwrap();
    let peer = Peer::bind(config, janus.media_ip().into(), 4096).unwrap();
    Echo {
        _janus: janus,
        _client: client,
        _session: session,
        handle,
        peer,
    }
}

fn mids(peer: &Peer) -> (String, String) {
    let tracks = peer.call(|pc, _| pc.local_tracks()).unwrap();
    let mid = |k| tracks.iter().find(|t| t.kind == k).unwrap().mid.clone();
    (mid(TrackKind::Audio), mid(TrackKind::Video))
}

/// Offers audio, video and data, and waits for both sides to say the connection is up.
fn connect(e: &Echo, tracks: &[Track]) {
    let reply = e
        .peer
        .offer(
            &e.handle,
            json!({"audio": true, "video": true, "data": true}),
            tracks,
            false,
        )
        .unwrap();
    assert_eq!(reply.data.data["result"], "ok", "{reply:?}");
    e.peer
        .wait_for(WAIT, |ev| matches!(ev, RtcEvent::Connected).then_some(()))
        .unwrap();
    e.handle
        .events()
        .wait_for(WAIT, |ev| {
            matches!(ev, Event::WebrtcUp { .. }).then_some(())
        })
        .unwrap();
}

#[test]
fn audio_video_and_data_connect_and_janus_says_webrtcup() {
    let e = echo_with(PeerConfig::default());
    let started = Instant::now();
    connect(&e, &[Track::audio(), Track::video(), Track::data("echo")]);
    let (audio, video) = mids(&e.peer);
    assert_ne!(audio, video);
    let remote = e.peer.call(|pc, _| pc.remote_tracks()).unwrap();
    assert_eq!(remote.len(), 2, "the EchoTest sends both back: {remote:?}");
    eprintln!("offer to webrtcup: {:?}", started.elapsed());
}

#[test]
fn data_channel_echoes_text_and_binary_in_order() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::video(), Track::data("echo")]);
    e.peer
        .wait_for(WAIT, |ev| {
            matches!(ev, RtcEvent::DataOpen { label } if label == "echo").then_some(())
        })
        .unwrap();
    for i in 0..100 {
        e.peer
            .send_data("echo", false, format!("text {i}").as_bytes())
            .unwrap();
        e.peer
            .send_data("echo", true, &[i as u8, 0, 255, (i * 7) as u8])
            .unwrap();
    }
    let (mut texts, mut binaries) = (Vec::new(), Vec::new());
    while texts.len() < 100 || binaries.len() < 100 {
        let msg = e
            .peer
            .wait_for(WAIT, |ev| match ev {
                RtcEvent::Data(m) => Some(m),
                _ => None,
            })
            .unwrap();
        assert_eq!(msg.label, "echo");
        if msg.binary {
            binaries.push(msg.data);
        } else {
            texts.push(String::from_utf8(msg.data).unwrap());
        }
    }
    // The EchoTest prefixes text, and echoes binary unchanged.
    for (i, t) in texts.iter().enumerate() {
        assert_eq!(*t, format!("Janus EchoTest here! You wrote: text {i}"));
    }
    for (i, b) in binaries.iter().enumerate() {
        assert_eq!(*b, vec![i as u8, 0, 255, (i * 7) as u8]);
    }
}

#[test]
fn audio_and_video_frames_come_back_unchanged_and_janus_reports_media() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::video()]);
    let (audio, video) = mids(&e.peer);
    let mut sent_audio = BTreeSet::new();
    let mut sent_video = BTreeSet::new();
    let (mut got_audio, mut got_video) = (BTreeSet::new(), BTreeSet::new());
    let start = Instant::now();
    for n in 0..100u32 {
        let opus = opus_frame(n, 80);
        if e.peer
            .write_frame(&audio, u64::from(n) * OPUS_TICKS, &opus)
            .unwrap()
        {
            sent_audio.insert(n);
        }
        if n % 2 == 0 {
            let vp8 = vp8_frame(n, n % 30 == 0, 1800);
            if e.peer
                .write_frame(&video, u64::from(n / 2) * VP8_TICKS, &vp8)
                .unwrap()
            {
                sent_video.insert(n);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
        while let Ok(ev) = e.peer.recv_timeout(Duration::ZERO) {
            if let RtcEvent::Media(f) = ev {
                let n = frame_number(&f.data).unwrap();
                let expected = if f.mid == audio {
                    got_audio.insert(n);
                    opus_frame(n, 80)
                } else {
                    got_video.insert(n);
                    vp8_frame(n, n % 30 == 0, 1800)
                };
                assert_eq!(&*f.data, &expected[..], "frame {n} on {}", f.mid);
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline && (got_audio.len() < 90 || got_video.len() < 45) {
        if let Ok(RtcEvent::Media(f)) = e.peer.recv_timeout(Duration::from_millis(50)) {
            let n = frame_number(&f.data).unwrap();
            if f.mid == audio {
                got_audio.insert(n)
            } else {
                got_video.insert(n)
            };
        }
    }
    eprintln!(
        "audio {}/{} video {}/{} echoed in {:?}",
        got_audio.len(),
        sent_audio.len(),
        got_video.len(),
        sent_video.len(),
        start.elapsed()
    );
    assert!(got_audio.is_subset(&sent_audio) && got_video.is_subset(&sent_video));
    assert!(got_audio.len() >= 90, "audio echoed: {}", got_audio.len());
    assert!(got_video.len() >= 45, "video echoed: {}", got_video.len());
    // Janus says it receives both mids.
    let mut receiving = BTreeSet::new();
    while receiving.len() < 2 {
        let (mid, on) = e
            .handle
            .events()
            .wait_for(WAIT, |ev| match ev {
                Event::Media { media, .. } => Some((media.mid.clone(), media.receiving)),
                _ => None,
            })
            .unwrap();
        if on {
            receiving.insert(mid.unwrap());
        }
    }
    assert_eq!(receiving, BTreeSet::from([audio, video]));
}
