//! WebRTC with the real EchoTest through the blocking adapter, on the janus.js handle API: a
//! handle that owns its connection (`janus-rtc` on a UDP socket bound to the namespace's
//! 127.0.0.2), signalling over WebSocket. The tests trickle nothing and hand no Janus
//! event over by hand; one test uses the standalone `Peer` underneath.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use janus_blocking::rtc::{
    BandwidthEstimate, Event as RtcEvent, HandleEvent, IceRestartPolicy, IceState, PeerConfig,
    Track, TrackKind,
};
use janus_blocking::{Client, Connection, Events, Handle, Peer, Session};
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
}

impl Echo {
    /// The handle's connection.
    fn peer(&self) -> &Connection {
        self.handle.peer().unwrap()
    }

    /// The handle's one queue: Janus's events and the connection's.
    fn events(&self) -> &Events<HandleEvent> {
        self.handle.events()
    }
}

/// A Janus, a session with the EchoTest attached, and the handle's connection bound on the
/// media address.
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
    let mut handle = session.attach(ECHOTEST).unwrap();
    handle.add_peer(config, janus.media_ip().into()).unwrap();
    Echo {
        _janus: janus,
        _client: client,
        _session: session,
        handle,
    }
}

/// The mid of the connection's audio track.
fn audio_mid(peer: &Connection) -> String {
    let tracks = peer.call(|pc, _| pc.local_tracks()).unwrap();
    tracks
        .iter()
        .find(|t| t.kind == TrackKind::Audio)
        .unwrap()
        .mid
        .clone()
}

fn mids(peer: &Connection) -> (String, String) {
    let tracks = peer.call(|pc, _| pc.local_tracks()).unwrap();
    let mid = |k| tracks.iter().find(|t| t.kind == k).unwrap().mid.clone();
    (mid(TrackKind::Audio), mid(TrackKind::Video))
}

/// Offers these tracks through the handle and waits for both sides to say the connection
/// is up: no candidate and no Janus event handled by the test.
fn connect(e: &Echo, tracks: &[Track]) -> Option<(String, String)> {
    let reply = e
        .handle
        .offer(json!({"audio": true, "video": true, "data": true}), tracks)
        .unwrap();
    assert_eq!(reply.data.data["result"], "ok", "{reply:?}");
    if !tracks.iter().any(|t| t.kind == TrackKind::Data) {
        e.events().wait_for(WAIT, pick::both_up()).unwrap();
        return None;
    }
    Some(e.events().wait_for(WAIT, pick::up_with_data()).unwrap())
}

#[test]
fn audio_video_and_data_connect_and_janus_says_webrtcup() {
    let e = echo_with(PeerConfig::default());
    let started = Instant::now();
    let open = connect(
        &e,
        &[
            Track::audio().labelled("mic"),
            Track::video().labelled("camera"),
            Track::data("echo"),
        ],
    );
    assert_eq!(open.expect("a data channel").0, "echo");
    let (audio, video) = mids(e.peer());
    assert_ne!(audio, video);
    let labels: Vec<_> = e
        .peer()
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
    let remote = e.peer().call(|pc, _| pc.remote_tracks()).unwrap();
    assert_eq!(remote.len(), 2, "the EchoTest sends both back: {remote:?}");
    eprintln!("offer to webrtcup: {:?}", started.elapsed());
}

#[test]
fn data_channel_echoes_text_and_binary_in_order_with_its_protocol() {
    let e = echo_with(PeerConfig::default());
    let (label, protocol) = connect(
        &e,
        &[
            Track::audio(),
            Track::video(),
            Track::data("echo").protocol("echo-v1"),
        ],
    )
    .expect("a data channel");
    assert_eq!((label.as_str(), protocol.as_str()), ("echo", "echo-v1"));
    for i in 0..100 {
        e.peer()
            .send_data("echo", false, text_message(i).as_bytes())
            .unwrap();
        e.peer()
            .send_data("echo", true, &binary_message(i))
            .unwrap();
    }
    let mut echoes = DataEchoes::default();
    while !echoes.complete(100) {
        echoes.push(e.events().wait_for(WAIT, pick::data).unwrap());
    }
    echoes.check();
}

/// What came back while frames were sent: echoed frame numbers per mid, and the mids Janus
/// said it receives.
#[derive(Default)]
struct Echoed {
    audio: BTreeSet<u32>,
    video: BTreeSet<u32>,
    receiving: BTreeSet<String>,
}

impl Echoed {
    /// Takes one event of the handle's queue: frames are checked byte for byte.
    fn take(&mut self, ev: HandleEvent, audio: &str) {
        match ev {
            HandleEvent::Rtc(RtcEvent::Media(f)) => {
                let n = frame_number(&f.data).unwrap();
                let expected = if f.mid == audio {
                    self.audio.insert(n);
                    opus_frame(n, 80)
                } else {
                    self.video.insert(n);
                    vp8_frame(n, n % 30 == 0, 1800)
                };
                assert_eq!(&*f.data, &expected[..], "frame {n} on {}", f.mid);
            }
            HandleEvent::Janus(Event::Media { media, .. }) if media.receiving => {
                self.receiving.extend(media.mid);
            }
            _ => {}
        }
    }
}

#[test]
fn audio_and_video_frames_come_back_unchanged_and_janus_reports_media() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::video()]);
    let (audio, video) = mids(e.peer());
    let mut sent_audio = BTreeSet::new();
    let mut sent_video = BTreeSet::new();
    let mut got = Echoed::default();
    let start = Instant::now();
    for n in 0..100u32 {
        let opus = opus_frame(n, 80);
        if e.peer()
            .write_frame(&audio, u64::from(n) * OPUS_TICKS, &opus)
            .unwrap()
        {
            sent_audio.insert(n);
        }
        if n % 2 == 0 {
            let vp8 = vp8_frame(n, n % 30 == 0, 1800);
            if e.peer()
                .write_frame(&video, u64::from(n / 2) * VP8_TICKS, &vp8)
                .unwrap()
            {
                sent_video.insert(n);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
        while let Ok(ev) = e.events().recv_timeout(Duration::ZERO) {
            got.take(ev, &audio);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline
        && (got.audio.len() < 90 || got.video.len() < 45 || got.receiving.len() < 2)
    {
        if let Ok(ev) = e.events().recv_timeout(Duration::from_millis(50)) {
            got.take(ev, &audio);
        }
    }
    eprintln!(
        "audio {}/{} video {}/{} echoed in {:?}",
        got.audio.len(),
        sent_audio.len(),
        got.video.len(),
        sent_video.len(),
        start.elapsed()
    );
    assert!(got.audio.is_subset(&sent_audio) && got.video.is_subset(&sent_video));
    assert!(got.audio.len() >= 90, "audio echoed: {}", got.audio.len());
    assert!(got.video.len() >= 45, "video echoed: {}", got.video.len());
    // Janus says it receives both mids, in the same queue.
    assert_eq!(got.receiving, BTreeSet::from([audio, video]));
}

/// Writes audio (20 ms) and video (40 ms) frames until `stop`, skipping muted or removed
/// tracks' errors; returns how many video bytes were written.
fn send_media(
    peer: &Connection,
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
fn janus_media(e: &Echo, mid: &str, receiving: bool) {
    e.events()
        .wait_for(WAIT, pick::janus_media(mid, receiving))
        .unwrap_or_else(|err| panic!("no media event for {mid} receiving={receiving}: {err}"));
}

/// Waits for one echoed frame on `mid` (dropping other events).
fn echoed_on(e: &Echo, mid: &str) {
    e.events()
        .wait_for(WAIT, pick::frame_on(mid))
        .unwrap_or_else(|err| panic!("nothing echoed on {mid}: {err}"));
}

/// Sends audio (and video) while `during` runs.
fn while_sending(e: &Echo, audio: &str, video: Option<&str>, during: impl FnOnce()) {
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let _stop = janus_tests::rtc::StopOnDrop(&stop);
        let sender = s.spawn(|| send_media(e.peer(), audio, video, &stop));
        during();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        sender.join().unwrap();
    });
}

#[test]
fn the_standalone_peer_without_trickle_puts_every_candidate_in_the_offer_and_connects() {
    // The lower layer: a `Peer` of its own, wired to the handle by the test.
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let handle = session.attach(ECHOTEST).unwrap();
    let config = PeerConfig {
        trickle: false,
        ..PeerConfig::default()
    };
    let peer = Peer::bind(config, janus.media_ip().into(), 1024).unwrap();
    let jsep = peer
        .create_offer(&[Track::audio(), Track::data("echo")], false)
        .unwrap();
    assert_eq!(jsep.trickle, Some(false));
    assert!(jsep.sdp.contains("a=candidate:"), "{}", jsep.sdp);
    let reply = handle.message(json!({"audio": true}), Some(jsep)).unwrap();
    peer.handle_remote_jsep(reply.jsep.as_ref().unwrap())
        .unwrap();
    assert!(
        peer.take_local_candidates().is_empty(),
        "nothing to trickle"
    );
    peer.wait_for(WAIT, pick::connected).unwrap();
    handle.events().wait_for(WAIT, pick::webrtcup).unwrap();
}

#[test]
fn bitrate_of_the_echoed_video_is_close_to_what_was_sent() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::video()]);
    let (audio, video) = mids(e.peer());
    let stop = std::sync::atomic::AtomicBool::new(false);
    let started = Instant::now();
    let (sent, measured) = std::thread::scope(|s| {
        let sender = s.spawn(|| send_media(e.peer(), &audio, Some(&video), &stop));
        // Keep the event queue drained while the statistics accumulate.
        while started.elapsed() < Duration::from_secs(4) {
            let _ = e.events().recv_timeout(Duration::from_millis(10));
        }
        let measured = e.peer().bitrate(&video).unwrap();
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
    let (audio, video) = mids(e.peer());
    while_sending(&e, &audio, Some(&video), || {
        janus_media(&e, &audio, true);
        e.peer().mute(&audio).unwrap();
        let muted = audio.clone();
        assert!(e.peer().call(move |pc, _| pc.is_muted(&muted)).unwrap());
        janus_media(&e, &audio, false);
        e.peer().unmute(&audio).unwrap();
        janus_media(&e, &audio, true);
    });
}

#[test]
fn renegotiation_adds_video_to_an_audio_call_then_removes_it() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::data("echo")]);
    let audio = e.peer().call(|pc, _| pc.local_tracks()).unwrap()[0]
        .mid
        .clone();
    while_sending(&e, &audio, None, || echoed_on(&e, &audio));

    // Add video.
    e.handle
        .offer(json!({"video": true}), &[Track::video()])
        .unwrap();
    let video = e
        .events()
        .wait_for(WAIT, |ev| match ev {
            HandleEvent::Rtc(RtcEvent::LocalTrack { track, on: true })
                if track.kind == TrackKind::Video =>
            {
                Some(track.mid)
            }
            _ => None,
        })
        .unwrap();
    while_sending(&e, &audio, Some(&video), || echoed_on(&e, &video));

    // Remove it again: no longer a local track, audio still echoed.
    e.handle
        .offer(json!({}), &[Track::remove(TrackKind::Video, video.clone())])
        .unwrap();
    e.events()
        .wait_for(WAIT, |ev| match ev {
            HandleEvent::Rtc(RtcEvent::LocalTrack { track, on: false }) if track.mid == video => {
                Some(())
            }
            _ => None,
        })
        .unwrap();
    assert!(
        e.peer()
            .write_frame(&video, 0, &vp8_frame(0, true, 100))
            .is_err()
    );
    while_sending(&e, &audio, None, || echoed_on(&e, &audio));
}

#[test]
fn an_offer_without_tracks_renegotiates_with_the_media_as_it_is() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::video(), Track::data("echo")]);
    let (audio, video) = mids(e.peer());
    let before = e.peer().call(|pc, _| pc.local_tracks()).unwrap();
    // janus.js `createOffer({})` on a live connection: a fresh offer, Janus answers it.
    let reply = e.handle.offer(json!({}), &[]).unwrap();
    assert_eq!(
        reply.jsep.as_ref().unwrap().kind,
        janus_proto::SdpType::Answer
    );
    assert_eq!(e.peer().call(|pc, _| pc.local_tracks()).unwrap(), before);
    while_sending(&e, &audio, Some(&video), || {
        echoed_on(&e, &audio);
        echoed_on(&e, &video);
    });
    data_round_trip(&e, "after the renegotiation");
}

#[test]
fn replacing_a_track_sends_new_frames_on_the_same_mid_without_renegotiating() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::video()]);
    let (audio, video) = mids(e.peer());
    while_sending(&e, &audio, Some(&video), || echoed_on(&e, &video));
    // janus.js `replaceTrack`: the same mid, another source. No SDP change is needed, so
    // no offer is made ...
    let replace = [Track::replace(TrackKind::Video, video.clone())];
    let offered = e
        .peer()
        .call(move |pc, _| pc.create_offer(&replace, false))
        .unwrap();
    assert!(
        matches!(offered, Err(janus_blocking::rtc::Error::NoChanges)),
        "{offered:?}"
    );
    // ... and frames of the new source (other sizes, a fresh keyframe) echo on that mid.
    for n in 0..20u32 {
        let frame = vp8_frame(1000 + n, n == 0, 700);
        e.peer()
            .write_frame(&video, u64::from(1000 + n) * VP8_TICKS, &frame)
            .unwrap();
        std::thread::sleep(Duration::from_millis(40));
    }
    let replaced = e
        .events()
        .wait_for(WAIT, |ev| match ev {
            HandleEvent::Rtc(RtcEvent::Media(f))
                if f.mid == video && frame_number(&f.data).is_some_and(|n| n >= 1000) =>
            {
                Some(f)
            }
            _ => None,
        })
        .unwrap();
    let n = frame_number(&replaced.data).unwrap();
    assert_eq!(&*replaced.data, &vp8_frame(n, n == 1000, 700)[..]);
}

/// Sends one text message and waits for its echo.
fn data_round_trip(e: &Echo, text: &str) {
    e.peer().send_data("echo", false, text.as_bytes()).unwrap();
    e.events()
        .wait_for(WAIT, pick::echo_of(text))
        .unwrap_or_else(|err| panic!("no echo of {text:?}: {err}"));
}

/// ICE states the connection reports until `until` says stop.
fn ice_states_until(e: &Echo, mut until: impl FnMut(&[IceState]) -> bool) -> Vec<IceState> {
    let mut states = Vec::new();
    e.events()
        .wait_for(WAIT, |ev| {
            if let HandleEvent::Rtc(RtcEvent::IceState(s)) = ev {
                states.push(s);
            }
            until(&states).then_some(())
        })
        .unwrap_or_else(|err| panic!("ICE states {states:?}: {err}"));
    states
}

#[test]
fn an_ice_restart_runs_ice_again_and_data_keeps_flowing() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::data("echo")]).expect("a data channel");
    data_round_trip(&e, "before");
    let ufrag = |reply: &janus_blocking::PluginReply| {
        janus_tests::rtc::ice_ufrag(&reply.jsep.as_ref().unwrap().sdp)
            .unwrap()
            .to_owned()
    };
    let first = e.handle.restart_ice(json!({})).unwrap();
    // Our agent checks pairs again with the new credentials and connects again.
    let states = ice_states_until(&e, |s| {
        s.iter()
            .position(|s| *s == IceState::Checking)
            .is_some_and(|c| {
                s[c..]
                    .iter()
                    .any(|s| matches!(s, IceState::Connected | IceState::Completed))
            })
    });
    eprintln!("ICE after the restart: {states:?}");
    let second = e.handle.restart_ice(json!({})).unwrap();
    assert_ne!(
        ufrag(&first),
        ufrag(&second),
        "Janus answers each restart anew"
    );
    ice_states_until(&e, |s| s.contains(&IceState::Checking));
    for i in 0..20 {
        data_round_trip(&e, &format!("after {i}"));
    }
}

#[test]
fn hangup_closes_both_sides_and_a_new_offer_on_the_same_handle_works() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::data("echo")]);
    e.handle.hangup().unwrap();
    // Ours closes at once (janus.js `oncleanup`), Janus says `hangup`.
    let (mut closed, mut hangup) = (false, None);
    e.events()
        .wait_for(WAIT, |ev| {
            match ev {
                HandleEvent::Rtc(RtcEvent::Closed) => closed = true,
                HandleEvent::Janus(Event::Hangup { reason, .. }) => hangup = Some(reason),
                _ => {}
            }
            (closed && hangup.is_some()).then_some(())
        })
        .unwrap();
    eprintln!("Janus's hangup reason: {hangup:?}");
    // janus.js makes a new PeerConnection for the next call on the handle; so does ours.
    connect(&e, &[Track::audio(), Track::data("echo")]).expect("a data channel");
    data_round_trip(&e, "second call");
}

#[test]
fn broken_sdp_from_either_side_is_a_typed_error() {
    let e = echo_with(PeerConfig::default());
    fn is_sdp_error<T>(r: &Result<T, janus_blocking::Error>) -> bool {
        matches!(
            r,
            Err(janus_blocking::Error::Rtc(janus_blocking::rtc::Error::Sdp(
                _
            )))
        )
    }
    let bad_offer = janus_proto::Jsep::offer("m=audio\r\n");
    assert!(is_sdp_error(&e.handle.answer(json!({}), &bad_offer, &[])));
    let _ = e
        .peer()
        .call(|pc, _| pc.create_offer(&[Track::audio()], false))
        .unwrap()
        .unwrap();
    let bad = janus_proto::Jsep::answer("v=0\r\nthis is not sdp\r\n");
    assert!(is_sdp_error(
        &e.peer()
            .call(move |pc, _| pc.handle_remote_jsep(&bad))
            .unwrap()
            .map_err(janus_blocking::Error::from)
    ));
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
    // A handle without a connection says so.
    let bare = e._session.attach(ECHOTEST).unwrap();
    assert!(matches!(
        bare.offer(json!({}), &[Track::audio()]),
        Err(janus_blocking::Error::NoPeer)
    ));
}

#[test]
fn with_full_trickle_janus_candidates_reach_the_connection_without_the_application() {
    let janus = Janus::builder().full_trickle(true).launch().unwrap();
    let e = echo_on(janus, PeerConfig::default());
    let reply = e
        .handle
        .offer(
            json!({"audio": true}),
            &[Track::audio(), Track::data("echo")],
        )
        .unwrap();
    // Every candidate of Janus's is trickled, none is in its answer: the connection can
    // only come up if the handle applied them.
    assert!(!reply.jsep.unwrap().sdp.contains("a=candidate:"));
    // What came, should it not come up (ours and Janus's log, to tell the sides apart).
    let mut seen = Vec::new();
    let mut up = pick::up_with_data();
    let r = e.events().wait_for(WAIT, |ev| {
        seen.push(format!("{ev:?}").chars().take(300).collect::<String>());
        up(ev)
    });
    if r.is_err() {
        panic!("events: {seen:#?}\n{}", e._janus.log_tail(60));
    }
    data_round_trip(&e, "trickled");
}

#[test]
fn h264_frames_come_back_when_h264_is_the_video_codec() {
    use janus_tests::media::{h264_frame, h264_number};
    let e = echo_with(PeerConfig {
        vp8: false,
        ..PeerConfig::default()
    });
    connect(&e, &[Track::audio(), Track::video()]);
    let (_, video) = mids(e.peer());
    let codec = e.peer().call({
        let video = video.clone();
        move |pc, _| pc.send_codec(&video)
    });
    assert_eq!(codec.unwrap().unwrap().0, "H264");
    let mut got = BTreeSet::new();
    let take = |ev: HandleEvent, got: &mut BTreeSet<u32>| {
        if let HandleEvent::Rtc(RtcEvent::Media(f)) = ev
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
    };
    for n in 0..50u32 {
        let frame = h264_frame(n, n % 10 == 0, 1500);
        assert!(
            e.peer()
                .write_frame(&video, u64::from(n) * VP8_TICKS, &frame)
                .unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
        while let Ok(ev) = e.events().recv_timeout(Duration::ZERO) {
            take(ev, &mut got);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline && got.len() < 45 {
        if let Ok(ev) = e.events().recv_timeout(Duration::from_millis(50)) {
            take(ev, &mut got);
        }
    }
    assert!(got.len() >= 45, "H.264 frames echoed: {}", got.len());
}

#[test]
fn when_janus_goes_silent_ice_is_disconnected_then_failed_and_a_restart_after_sigcont_recovers() {
    let e = echo_with(PeerConfig {
        ice_failed_after: Some(Duration::from_secs(1)),
        ..PeerConfig::default()
    });
    connect(&e, &[Track::audio(), Track::data("echo")]).expect("a data channel");
    data_round_trip(&e, "before the freeze");
    // Janus answers no more STUN checks (nor anything else) while frozen.
    let frozen = e._janus.freeze().unwrap();
    let mut states = Vec::new();
    e.events()
        .wait_for(Duration::from_secs(60), |ev| {
            if let HandleEvent::Rtc(RtcEvent::IceState(s)) = ev {
                states.push(s);
            }
            states.contains(&IceState::Failed).then_some(())
        })
        .unwrap_or_else(|err| panic!("ICE states {states:?}: {err}"));
    let disconnected = states.iter().position(|s| *s == IceState::Disconnected);
    let failed = states.iter().position(|s| *s == IceState::Failed);
    assert!(
        matches!((disconnected, failed), (Some(d), Some(f)) if d < f),
        "{states:?}"
    );

    // Janus back: a failed pair is not checked again (as in a browser), so the way back is
    // janus.js's, an ICE restart; then data flows as before.
    drop(frozen);
    e.handle.restart_ice(json!({})).unwrap();
    let states = ice_states_until(&e, |s| {
        s.iter()
            .any(|s| matches!(s, IceState::Connected | IceState::Completed))
    });
    eprintln!("ICE after the restart: {states:?}");
    for i in 0..5 {
        data_round_trip(&e, &format!("after the restart {i}"));
    }
}

#[test]
fn a_janus_frozen_for_a_few_seconds_mid_call_echoes_media_and_data_again_after_sigcont() {
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::data("echo")]).expect("a data channel");
    let audio = audio_mid(e.peer());
    data_round_trip(&e, "before the freeze");

    // Numbered frames every 20 ms, so that an echo of one sent after the thaw can be told
    // from those Janus had queued while it was stopped.
    let (next, stop) = (AtomicU32::new(0), AtomicBool::new(false));
    let mut states = Vec::new();
    let mut echoed_from = |from: u32| {
        e.events()
            .wait_for(WAIT, |ev| match ev {
                HandleEvent::Rtc(RtcEvent::IceState(s)) => {
                    states.push(s);
                    None
                }
                HandleEvent::Rtc(RtcEvent::Media(f)) if f.mid == audio => {
                    frame_number(&f.data).filter(|n| *n >= from)
                }
                _ => None,
            })
            .unwrap_or_else(|err| panic!("no echo of a frame from {from} on: {err}"))
    };
    std::thread::scope(|s| {
        let _stop = janus_tests::rtc::StopOnDrop(&stop);
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let _ = e
                    .peer()
                    .write_frame(&audio, u64::from(n) * OPUS_TICKS, &opus_frame(n, 80));
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        echoed_from(0);
        // Three seconds: shorter than our agent's nine unanswered checks, so the pair
        // stays up; Janus's queued packets are handled after the thaw.
        let frozen = e._janus.freeze().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(frozen);
        let n = echoed_from(next.load(Ordering::Relaxed));
        eprintln!("frame {n} echoed after the thaw");
        stop.store(true, Ordering::Relaxed);
    });
    assert!(
        !states
            .iter()
            .any(|s| matches!(s, IceState::Disconnected | IceState::Failed)),
        "{states:?}"
    );
    for i in 0..5 {
        data_round_trip(&e, &format!("after the thaw {i}"));
    }
}

#[test]
fn destroying_the_session_closes_its_handles_connection() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let mut handle = session.attach(ECHOTEST).unwrap();
    handle
        .add_peer(PeerConfig::default(), janus.media_ip().into())
        .unwrap();
    handle
        .offer(json!({"audio": true}), &[Track::audio()])
        .unwrap();
    handle.events().wait_for(WAIT, pick::both_up()).unwrap();
    session.destroy().unwrap();
    // The handle outlives its session here: its connection closes, its queue ends.
    handle.events().wait_for(WAIT, pick::closed).unwrap();
    while handle.events().recv_timeout(WAIT).is_ok() {}
    assert!(matches!(
        handle.events().recv_timeout(Duration::from_millis(10)),
        Err(janus_blocking::Error::Closed)
    ));
}

/// Echoed video bytes on `mid` over `window`, as kbit/s; Janus's `slowlink` events seen
/// meanwhile go to `slow`.
fn echoed_kbps(
    e: &Echo,
    mid: &str,
    window: Duration,
    slow: &mut Vec<janus_proto::SlowLink>,
) -> u64 {
    let until = Instant::now() + window;
    let mut bytes = 0u64;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match e.events().recv_timeout(left) {
            Ok(HandleEvent::Rtc(RtcEvent::Media(f))) if f.mid == mid => {
                bytes += f.data.len() as u64;
            }
            Ok(HandleEvent::Janus(Event::SlowLink { link, .. })) => slow.push(link),
            _ => {}
        }
    }
    bytes * 8 / window.as_millis().max(1) as u64
}

#[test]
fn a_squeezed_path_drops_packets_janus_reports_slowlink_the_bitrate_falls_and_comes_back() {
    let janus = Janus::builder().slowlink_threshold(4).launch().unwrap();
    let e = echo_on(janus, PeerConfig::default());
    connect(&e, &[Track::audio(), Track::video()]);
    let (audio, video) = mids(e.peer());
    let port = e.peer().local_addr().port();
    while_sending(&e, &audio, Some(&video), || {
        let mut slow = Vec::new();
        let window = Duration::from_secs(2);
        // The first window lets the echo settle.
        echoed_kbps(&e, &video, window, &mut slow);
        let before = echoed_kbps(&e, &video, window, &mut slow);
        let rss_before = janus_tests::rss_kib();
        assert!(rss_before > 0, "VmRSS unreadable");

        // 100 kbit/s each way for our flow: about a quarter of what we send.
        let squeeze = janus_tests::squeeze::Squeeze::udp_port(port, 100).unwrap();
        slow.clear();
        let mut squeezed = Vec::new();
        for _ in 0..3 {
            squeezed.push(echoed_kbps(&e, &video, window, &mut slow));
        }
        let dropped = squeeze.dropped().unwrap();
        let rss_squeezed = janus_tests::rss_kib();
        drop(squeeze);
        let janus_slow = slow.clone();

        let mut after = 0;
        for _ in 0..5 {
            after = echoed_kbps(&e, &video, window, &mut slow);
            if after * 10 >= before * 8 {
                break;
            }
        }
        eprintln!(
            "echoed video: {before} kbit/s, squeezed {squeezed:?} ({dropped} packets \
             dropped), then {after}; slowlink while squeezed: {janus_slow:?}; \
             RSS {rss_before} KiB -> {rss_squeezed} KiB"
        );
        assert!(dropped > 0, "the squeeze dropped nothing");
        assert!(!janus_slow.is_empty(), "no slowlink from Janus");
        let worst = squeezed.iter().copied().min().unwrap();
        assert!(
            worst * 2 < before,
            "{before} kbit/s squeezed to {squeezed:?}"
        );
        assert!(
            after * 10 >= before * 8,
            "{after} kbit/s after the squeeze, {before} before"
        );
        // Losses are not kept: no more than a few MiB more while squeezed.
        assert!(
            rss_squeezed < rss_before + 16 * 1024,
            "RSS {rss_before} KiB -> {rss_squeezed} KiB"
        );
    });
}

#[test]
fn a_handle_nobody_reads_drops_and_counts_frames_but_keeps_every_data_message_and_event() {
    let janus = Janus::launch().unwrap();
    let client = Client::builder(ClientConfig::new([janus.ws_url()]).unwrap())
        .event_capacity(32)
        .connect()
        .unwrap();
    let session = client.create_session().unwrap();
    let mut handle = session.attach(ECHOTEST).unwrap();
    handle
        .add_peer(PeerConfig::default(), janus.media_ip().into())
        .unwrap();
    let e = Echo {
        _janus: janus,
        _client: client,
        _session: session,
        handle,
    };
    connect(&e, &[Track::audio(), Track::data("echo")]).expect("a data channel");
    let audio = audio_mid(e.peer());

    // Nobody reads for four seconds: 100 frames echoed into a queue of 32, 20 data
    // messages among the last 40 (sent from another thread: a send waits while the connection
    // waits for room), then the audio stops and Janus says so.
    const FRAMES: u32 = 100;
    const MESSAGES: usize = 20;
    let texts: Vec<_> = (0..MESSAGES).map(|i| format!("unread {i}")).collect();
    std::thread::scope(|s| {
        s.spawn(|| {
            for n in 0..FRAMES {
                e.peer()
                    .write_frame(&audio, u64::from(n) * OPUS_TICKS, &opus_frame(n, 80))
                    .unwrap();
                // Frames alone first (more than the queue holds: some are dropped), then
                // data messages among them.
                if n >= 60 && n % 2 == 0 {
                    let text = &texts[((n - 60) / 2) as usize];
                    e.peer().send_data("echo", false, text.as_bytes()).unwrap();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        std::thread::sleep(Duration::from_secs(4));
    });
    let dropped = e.peer().dropped_frames();

    let (mut frames, mut data, mut media_off) = (0u64, Vec::new(), false);
    while let Ok(ev) = e.events().recv_timeout(Duration::from_millis(500)) {
        match ev {
            HandleEvent::Rtc(RtcEvent::Media(f)) if f.mid == audio => frames += 1,
            HandleEvent::Rtc(RtcEvent::Data(m)) => {
                data.push(String::from_utf8_lossy(&m.data).into_owned());
            }
            HandleEvent::Janus(Event::Media { media, .. }) if !media.receiving => {
                media_off = true;
            }
            _ => {}
        }
    }
    eprintln!(
        "{frames} frames read, {dropped} dropped and counted, {} messages",
        data.len()
    );
    assert!(dropped > 0, "nothing dropped with a queue of 32");
    let echoed: Vec<_> = texts
        .iter()
        .map(|t| janus_tests::rtc::echoed_text(t))
        .collect();
    assert_eq!(data, echoed, "every data message, in order");
    if !media_off {
        // Janus's timer may say so only now.
        e.events()
            .wait_for(WAIT, pick::janus_media(&audio, false))
            .expect("Janus's `media` event (receiving: false)");
    }
    // Not every echoed frame is read or counted: while the queue is full the connection
    // reads nothing, and frames that waited in the socket meanwhile may not all make it.
    assert!(frames > 0, "no frame read after the pause");
}

/// The next REMB Janus sends for `mid`, as the connection announced it.
fn next_remb(e: &Echo, mid: &str) -> u64 {
    e.events()
        .wait_for(WAIT, |ev| match ev {
            HandleEvent::Rtc(RtcEvent::BandwidthEstimate(BandwidthEstimate::Remb {
                mid: m,
                bitrate,
            })) if m == mid => Some(bitrate),
            _ => None,
        })
        .unwrap()
}

#[test]
fn the_echotest_bitrate_cap_arrives_as_a_remb_estimate_and_caps_the_target_with_ours() {
    let e = echo_with(PeerConfig::default());
    connect(&e, &[Track::audio(), Track::video()]);
    let (audio, video) = mids(e.peer());
    while_sending(&e, &audio, Some(&video), || {
        // The EchoTest sends a REMB with its cap when the cap changes (janus_echotest.c).
        let reply = e.handle.message(json!({"bitrate": 128_000}), None).unwrap();
        assert_eq!(reply.data.data["result"], "ok", "{reply:?}");
        assert_eq!(next_remb(&e, &video), 128_000);
        let seen = e.peer().call({
            let video = video.clone();
            move |pc, _| (pc.remb(&video), pc.target_bitrate(&video))
        });
        assert_eq!(seen.unwrap(), (Some(128_000), Some(128_000)));

        // A higher cap from Janus, and a lower one of our own (janus.js setMaxBitrate).
        e.handle.message(json!({"bitrate": 512_000}), None).unwrap();
        assert_eq!(next_remb(&e, &video), 512_000);
        let target = e.peer().call({
            let video = video.clone();
            move |pc, _| {
                pc.set_max_bitrate(Some(300_000));
                (pc.max_bitrate(), pc.target_bitrate(&video))
            }
        });
        assert_eq!(target.unwrap(), (Some(300_000), Some(300_000)));
    });
}

/// Our TWCC estimates (bit/s) announced within `window`, frames and other events dropped.
fn twcc_estimates(e: &Echo, window: Duration) -> Vec<u64> {
    let until = Instant::now() + window;
    let mut seen = Vec::new();
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        if let Ok(HandleEvent::Rtc(RtcEvent::BandwidthEstimate(BandwidthEstimate::Twcc {
            bitrate,
            ..
        }))) = e.events().recv_timeout(left)
        {
            seen.push(bitrate);
        }
    }
    seen
}

#[test]
fn the_twcc_estimate_follows_a_squeeze_of_the_path_down_and_back_up() {
    let config = PeerConfig {
        bandwidth_estimation: Some(1_000_000),
        ..PeerConfig::default()
    };
    let e = echo_with(config);
    connect(&e, &[Track::audio(), Track::video()]);
    let (audio, video) = mids(e.peer());
    let port = e.peer().local_addr().port();
    let estimate = || e.peer().call(|pc, _| pc.twcc_estimate()).unwrap();
    while_sending(&e, &audio, Some(&video), || {
        // About 430 kbit/s of media against a start of 1 Mbit/s: Janus's feedback shows no
        // congestion, and the estimate holds.
        let open = twcc_estimates(&e, Duration::from_secs(3));
        let before = estimate().expect("no TWCC estimate: no feedback from Janus");

        // 100 kbit/s for our flow: the estimate falls (it lags the squeeze: the queue in
        // the shaper drains after it), then climbs again once the path is open.
        let squeeze = janus_tests::squeeze::Squeeze::udp_port(port, 100).unwrap();
        let squeezed = twcc_estimates(&e, Duration::from_secs(5));
        drop(squeeze);
        let mut after = Vec::new();
        for _ in 0..10 {
            after.extend(twcc_estimates(&e, Duration::from_secs(2)));
            let low = squeezed
                .iter()
                .chain(&after)
                .copied()
                .min()
                .unwrap_or(before);
            if after.last().is_some_and(|&last| last > low * 3) {
                break;
            }
        }
        eprintln!(
            "TWCC estimates (bit/s): open {open:?} (holding {before}), squeezed {squeezed:?}, \
             after {after:?}"
        );
        let low = squeezed.iter().chain(&after).copied().min().unwrap();
        assert!(
            low * 2 < before,
            "the estimate did not fall: {before} -> {low}"
        );
        assert!(
            low < 350_000,
            "the estimate stayed above what we send: {low}"
        );
        let last = *after.last().expect("no estimate after the squeeze");
        assert!(
            last > low * 3,
            "the estimate did not climb back: {low} -> {last}"
        );
        assert_eq!(
            estimate(),
            Some(last),
            "the latest estimate is the last announced"
        );
    });
}

#[test]
fn with_the_restart_policy_failed_ice_restarts_by_itself_once_janus_answers_again() {
    let e = echo_with(PeerConfig {
        ice_failed_after: Some(Duration::from_secs(1)),
        restart_ice: Some(IceRestartPolicy::with_body(json!({}))),
        ..PeerConfig::default()
    });
    connect(&e, &[Track::audio(), Track::data("echo")]).expect("a data channel");
    data_round_trip(&e, "before the freeze");
    let frozen = e._janus.freeze().unwrap();
    let mut states = Vec::new();
    e.events()
        .wait_for(Duration::from_secs(60), |ev| {
            if let HandleEvent::Rtc(RtcEvent::IceState(s)) = ev {
                states.push(s);
            }
            states.contains(&IceState::Failed).then_some(())
        })
        .unwrap_or_else(|err| panic!("ICE states {states:?}: {err}"));

    // The restart offer went out when ICE failed, to a Janus still frozen: it reads it
    // once it runs again, and the connection comes back with no call from the test.
    drop(frozen);
    let after = ice_states_until(&e, |s| {
        s.iter()
            .any(|s| matches!(s, IceState::Connected | IceState::Completed))
    });
    eprintln!("ICE: {states:?}, then by itself {after:?}");
    assert!(
        after.contains(&IceState::Checking),
        "no new checks: {after:?}"
    );
    for i in 0..5 {
        data_round_trip(&e, &format!("after the automatic restart {i}"));
    }
}
