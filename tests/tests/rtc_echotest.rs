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
use janus_tests::rtc::{DataEchoes, ECHOTEST, WAIT, binary_message, pick, text_message};
use serde_json::json;

struct Echo {
    _janus: Janus,
    _client: Client,
    _session: Session,
    handle: Handle,
    peer: Peer,
}

/// A Janus, a session with the EchoTest attached, and a peer bound on the media address.
fn echo_with(config: PeerConfig) -> Echo {
    echo_on(Janus::launch().unwrap(), config)
}

/// The same on a Janus of the test's own configuration.
fn echo_on(janus: Janus, config: PeerConfig) -> Echo {
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
    e.peer.wait_for(WAIT, pick::connected).unwrap();
    e.handle.events().wait_for(WAIT, pick::webrtcup).unwrap();
}

#[test]
fn audio_video_and_data_connect_and_janus_says_webrtcup() {
    let e = echo_with(PeerConfig::default());
    let started = Instant::now();
    connect(
        &e,
        &[
            Track::audio().labelled("mic"),
            Track::video().labelled("camera"),
            Track::data("echo"),
        ],
    );
    let (audio, video) = mids(&e.peer);
    assert_ne!(audio, video);
    let labels: Vec<_> = e
        .peer
        .call(|pc, _| pc.local_tracks())
        .unwrap()
        .into_iter()
        .map(|t| (t.kind, t.label))
        .collect();
    assert!(
        labels.contains(&(TrackKind::Audio, "mic".to_owned())),
        "{labels:?}"
    );
    assert!(
        labels.contains(&(TrackKind::Video, "camera".to_owned())),
        "{labels:?}"
    );
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
            .send_data("echo", false, text_message(i).as_bytes())
            .unwrap();
        e.peer.send_data("echo", true, &binary_message(i)).unwrap();
    }
    let mut echoes = DataEchoes::default();
    while !echoes.complete(100) {
        echoes.push(e.peer.wait_for(WAIT, pick::data).unwrap());
    }
    echoes.check();
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

/// Writes audio (20 ms) and video (40 ms) frames until `stop`, skipping muted or removed
/// tracks' errors; returns how many video bytes were written.
fn send_media(
    peer: &Peer,
    audio: &str,
    video: Option<&str>,
    stop: &std::sync::atomic::AtomicBool,
) -> u64 {
    let mut bytes = 0;
    let mut n = 0u32;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let _ = peer.write_frame(audio, u64::from(n) * OPUS_TICKS, &opus_frame(n, 80));
        if let Some(video) = video
            && n % 2 == 0
        {
            let frame = vp8_frame(n, n % 50 == 0, 2000);
            if let Ok(true) =
                peer.write_frame(video, u64::from(n / 2) * 2 * VP8_TICKS * 2 / 3, &frame)
            {
                bytes += frame.len() as u64;
            }
        }
        n += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    bytes
}

/// Waits for Janus's `media` event about `mid` saying `receiving`.
fn janus_media(handle: &Handle, mid: &str, receiving: bool) {
    handle
        .events()
        .wait_for(WAIT, pick::janus_media(mid, receiving))
        .unwrap_or_else(|e| panic!("no media event for {mid} receiving={receiving}: {e}"));
}

/// Waits for one echoed frame on `mid` (dropping other events).
fn echoed_on(peer: &Peer, mid: &str) {
    peer.wait_for(WAIT, pick::frame_on(mid))
        .unwrap_or_else(|e| panic!("nothing echoed on {mid}: {e}"));
}

#[test]
fn without_trickle_every_candidate_is_in_the_offer_and_it_connects() {
    let e = echo_with(PeerConfig {
        trickle: false,
        ..PeerConfig::default()
    });
    let jsep = e
        .peer
        .create_offer(&[Track::audio(), Track::data("echo")], false)
        .unwrap();
    assert_eq!(jsep.trickle, Some(false));
    assert!(jsep.sdp.contains("a=candidate:"), "{}", jsep.sdp);
    let reply = e
        .handle
        .message(json!({"audio": true}), Some(jsep))
        .unwrap();
    e.peer
        .handle_remote_jsep(reply.jsep.as_ref().unwrap())
        .unwrap();
    assert!(
        e.peer.take_local_candidates().is_empty(),
        "nothing to trickle"
    );
    e.peer.wait_for(WAIT, pick::connected).unwrap();
    e.handle.events().wait_for(WAIT, pick::webrtcup).unwrap();
}

#[test]
fn bitrate_of_the_echoed_video_is_close_to_what_was_sent() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::video()]);
    let (audio, video) = mids(&e.peer);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let started = Instant::now();
    let (sent, measured) = std::thread::scope(|s| {
        let sender = s.spawn(|| send_media(&e.peer, &audio, Some(&video), &stop));
        // Keep the event queue drained while the statistics accumulate.
        while started.elapsed() < Duration::from_secs(4) {
            let _ = e.peer.recv_timeout(Duration::from_millis(10));
        }
        let measured = e.peer.bitrate(&video).unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        (sender.join().unwrap(), measured)
    });
    let sent_bps = sent as f64 * 8.0 / started.elapsed().as_secs_f64();
    let measured = measured.expect("a bitrate after 4 s") as f64;
    eprintln!("video sent {sent_bps:.0} bit/s, echoed bitrate {measured:.0} bit/s");
    let ratio = measured / sent_bps;
    assert!((0.8..1.3).contains(&ratio), "ratio {ratio:.2}");
}

#[test]
fn muting_a_track_stops_janus_receiving_it_and_unmuting_resumes() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::video()]);
    let (audio, video) = mids(&e.peer);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let sender = s.spawn(|| send_media(&e.peer, &audio, Some(&video), &stop));
        janus_media(&e.handle, &audio, true);
        e.peer.mute(&audio).unwrap();
        assert!(
            e.peer
                .call({
                    let audio = audio.clone();
                    move |pc, _| pc.is_muted(&audio)
                })
                .unwrap()
        );
        janus_media(&e.handle, &audio, false);
        e.peer.unmute(&audio).unwrap();
        janus_media(&e.handle, &audio, true);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        sender.join().unwrap();
    });
}

#[test]
fn renegotiation_adds_video_to_an_audio_call_then_removes_it() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::data("echo")]);
    let audio = e.peer.call(|pc, _| pc.local_tracks()).unwrap()[0]
        .mid
        .clone();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let sender = s.spawn(|| send_media(&e.peer, &audio, None, &stop));
        echoed_on(&e.peer, &audio);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        sender.join().unwrap();
    });

    // Add video.
    e.peer
        .offer(&e.handle, json!({"video": true}), &[Track::video()], false)
        .unwrap();
    let video = e
        .peer
        .wait_for(WAIT, |ev| match ev {
            RtcEvent::LocalTrack { track, on: true } if track.kind == TrackKind::Video => {
                Some(track.mid)
            }
            _ => None,
        })
        .unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let sender = s.spawn(|| send_media(&e.peer, &audio, Some(&video), &stop));
        echoed_on(&e.peer, &video);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        sender.join().unwrap();
    });

    // Remove it again: no longer a local track, audio still echoed.
    e.peer
        .offer(
            &e.handle,
            json!({}),
            &[Track::remove(TrackKind::Video, video.clone())],
            false,
        )
        .unwrap();
    e.peer
        .wait_for(WAIT, |ev| match ev {
            RtcEvent::LocalTrack { track, on: false } if track.mid == video => Some(()),
            _ => None,
        })
        .unwrap();
    assert!(
        e.peer
            .write_frame(&video, 0, &vp8_frame(0, true, 100))
            .is_err()
    );
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let sender = s.spawn(|| send_media(&e.peer, &audio, None, &stop));
        echoed_on(&e.peer, &audio);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        sender.join().unwrap();
    });
}

/// Sends one text message and waits for its echo.
fn data_round_trip(peer: &Peer, text: &str) {
    peer.send_data("echo", false, text.as_bytes()).unwrap();
    peer.wait_for(WAIT, pick::echo_of(text))
        .unwrap_or_else(|e| panic!("no echo of {text:?}: {e}"));
}

#[test]
fn ice_restart_negotiates_new_credentials_and_data_keeps_flowing() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::data("echo")]);
    e.peer.wait_for(WAIT, pick::data_open).unwrap();
    data_round_trip(&e.peer, "before");
    let first = e.peer.create_offer(&[], true).unwrap();
    let ufrag = |sdp: &str| {
        sdp.lines()
            .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
            .unwrap()
            .to_owned()
    };
    let reply = e.handle.message(json!({}), Some(first.clone())).unwrap();
    let answer = reply.jsep.unwrap();
    e.peer.handle_remote_jsep(&answer).unwrap();
    e.peer.trickle(&e.handle).unwrap();
    // Janus answers a restart with credentials of its own, new as well.
    let restarted = e.peer.create_offer(&[], true).unwrap();
    assert_ne!(
        ufrag(&first.sdp),
        ufrag(&restarted.sdp),
        "new local credentials each restart"
    );
    let reply = e.handle.message(json!({}), Some(restarted)).unwrap();
    e.peer
        .handle_remote_jsep(reply.jsep.as_ref().unwrap())
        .unwrap();
    e.peer.trickle(&e.handle).unwrap();
    assert_ne!(ufrag(&answer.sdp), ufrag(&reply.jsep.unwrap().sdp));
    for i in 0..20 {
        data_round_trip(&e.peer, &format!("after {i}"));
    }
}

#[test]
fn hangup_closes_both_sides_and_a_new_offer_on_the_same_handle_works() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::data("echo")]);
    e.handle.hangup().unwrap();
    let hangup = e
        .handle
        .events()
        .wait_for(WAIT, |ev| matches!(ev, Event::Hangup { .. }).then_some(ev))
        .unwrap();
    e.peer.handle_janus_event(&hangup).unwrap();
    e.peer.wait_for(WAIT, pick::closed).unwrap();
    assert!(matches!(
        e.peer.create_offer(&[Track::audio()], false),
        Err(janus_blocking::Error::Rtc(
            janus_blocking::rtc::Error::Closed
        ))
    ));
    // janus.js makes a new PeerConnection for the next call; so do we.
    let again = Peer::bind(PeerConfig::default(), e.peer.local_addr().ip(), 1024).unwrap();
    again
        .offer(
            &e.handle,
            json!({"audio": true, "data": true}),
            &[Track::audio(), Track::data("echo")],
            false,
        )
        .unwrap();
    again.wait_for(WAIT, pick::connected).unwrap();
    e.handle.events().wait_for(WAIT, pick::webrtcup).unwrap();
    again.wait_for(WAIT, pick::data_open).unwrap();
    data_round_trip(&again, "second call");
}

#[test]
fn broken_sdp_from_either_side_is_a_typed_error() {
    let e = echo_with(PeerConfig::default());
    let _ = e.peer.create_offer(&[Track::audio()], false).unwrap();
    let bad = janus_proto::Jsep::answer("v=0\r\nthis is not sdp\r\n");
    assert!(matches!(
        e.peer.handle_remote_jsep(&bad),
        Err(janus_blocking::Error::Rtc(janus_blocking::rtc::Error::Sdp(
            _
        )))
    ));
    let bad_offer = janus_proto::Jsep::offer("m=audio\r\n");
    assert!(matches!(
        e.peer.create_answer(&bad_offer),
        Err(janus_blocking::Error::Rtc(janus_blocking::rtc::Error::Sdp(
            _
        )))
    ));
    // An offer where an answer belongs, and an answer with no offer out.
    let offer = janus_proto::Jsep::offer("v=0\r\n");
    assert!(e.peer.handle_remote_jsep(&offer).is_err());
    // Janus refuses a broken offer with a plugin/core error, typed by the signalling side.
    let err = e
        .handle
        .message(
            json!({"audio": true}),
            Some(janus_proto::Jsep::offer("v=0\r\nnonsense\r\n")),
        )
        .unwrap_err();
    assert!(
        err.janus_code().is_some() || err.plugin_code().is_some(),
        "{err:?}"
    );
}

#[test]
fn with_full_trickle_janus_trickles_its_candidates_and_they_are_applied() {
    let janus = Janus::builder().full_trickle(true).launch().unwrap();
    let Echo { handle, peer, .. } = &echo_on(janus, PeerConfig::default());
    peer.offer(
        handle,
        json!({"audio": true}),
        &[Track::audio(), Track::data("echo")],
        false,
    )
    .unwrap();
    // Janus's candidates come as `trickle` events; the peer gets each from the handle.
    let mut candidates = 0;
    loop {
        let ev = handle.events().recv_timeout(WAIT).unwrap();
        if let Event::Trickle { trickle, .. } = &ev {
            if matches!(trickle, janus_proto::Trickle::Candidate(_)) {
                candidates += 1;
            }
        }
        peer.handle_janus_event(&ev).unwrap();
        if matches!(ev, Event::WebrtcUp { .. }) {
            break;
        }
    }
    assert!(candidates >= 1, "Janus trickled its candidates");
    peer.wait_for(WAIT, pick::data_open).unwrap();
    data_round_trip(peer, "trickled");
}

#[test]
fn h264_frames_come_back_when_h264_is_the_video_codec() {
    use janus_tests::media::{h264_frame, h264_number};
    let e = echo_with(PeerConfig {
        vp8: false,
        ..PeerConfig::default()
    });
    connect(&e, &[Track::audio(), Track::video()]);
    let (_, video) = mids(&e.peer);
    let codec = e.peer.call({
        let video = video.clone();
        move |pc, _| pc.send_codec(&video)
    });
    assert_eq!(codec.unwrap().unwrap().0, "H264");
    let mut got = BTreeSet::new();
    for n in 0..50u32 {
        let frame = h264_frame(n, n % 10 == 0, 1500);
        assert!(
            e.peer
                .write_frame(&video, u64::from(n) * VP8_TICKS, &frame)
                .unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
        while let Ok(ev) = e.peer.recv_timeout(Duration::ZERO) {
            if let RtcEvent::Media(f) = ev
                && f.mid == video
            {
                assert_eq!(f.codec, "H264");
                let n = h264_number(&f.data).unwrap();
                // The slice comes back whole (the decoder-side framing may differ).
                let slice = &h264_frame(n, n % 10 == 0, 1500)[..];
                let tail = &slice[slice.len() - 1500..];
                assert!(f.data.ends_with(tail), "frame {n}");
                got.insert(n);
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline && got.len() < 45 {
        if let Ok(RtcEvent::Media(f)) = e.peer.recv_timeout(Duration::from_millis(50))
            && let Some(n) = h264_number(&f.data)
        {
            got.insert(n);
        }
    }
    assert!(got.len() >= 45, "H.264 frames echoed: {}", got.len());
}
