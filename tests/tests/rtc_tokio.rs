//! WebRTC through the tokio adapter: the scenarios of `rtc_echotest.rs`, `rtc_videocall.rs`
//! and `rtc_videoroom.rs` with `janus_tokio::Peer` (a `janus-rtc` connection on a tokio UDP
//! socket bound to the namespace's 127.0.0.2), signalling over WebSocket, plus the peer's
//! task ending when the `Peer` is dropped and an end-to-end encrypting peer (a
//! `FrameTransform`, `jsep.e2ee`) whose frames the EchoTest returns for it to decrypt. Every test runs under a time limit of its own;
//! senders are futures joined with the checks, stopped by a drop guard when a check fails.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeSet;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use janus_proto::plugin::textroom::{self, DataChannelRequest};
use janus_proto::{ClientConfig, Event, Jsep};
use janus_tests::media::frame_number;
use janus_tests::rtc::{
    DataEchoes, ECHOTEST, LAYER_TICK, StopOnDrop, TEXTROOM, TICK, VIDEOROOM, WAIT, audio_frame,
    binary_message, ice_ufrag, layer_frames, pick, sent_frame, text_message, video_frame,
};
use janus_tests::{Janus, JanusBuilder};
use janus_tokio::plugins::videocall::User;
use janus_tokio::rtc::{
    Error as RtcError, Event as RtcEvent, HandleEvent, IceRestartPolicy, IceState, PeerConfig,
    Track, TrackKind,
};
use janus_tokio::{Client, Connection, Error, Events, Handle, Peer, Session};
use serde_json::{Value, json};

/// Each test's own limit: far beyond what it needs, short of hanging CI.
const LIMIT: Duration = Duration::from_secs(90);

/// Fails the test if `body` takes longer than [`LIMIT`].
async fn within<T>(body: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, body)
        .await
        .expect("test timed out")
}

/// Starts a Janus; the harness blocks, so off the runtime's worker.
fn launch(builder: JanusBuilder) -> Janus {
    tokio::task::block_in_place(|| builder.launch()).unwrap()
}

async fn connect(janus: &Janus) -> Client {
    Client::connect(
        ClientConfig::new([janus.ws_url()])
            .unwrap()
            .request_timeout(WAIT),
    )
    .await
    .unwrap()
}

struct Echo {
    _janus: Janus,
    _client: Client,
    session: Session,
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
async fn echo_with(config: PeerConfig) -> Echo {
    echo_on(launch(Janus::builder()), config).await
}

/// The same on a Janus of the test's own configuration.
async fn echo_on(janus: Janus, config: PeerConfig) -> Echo {
    let client = connect(&janus).await;
    let session = client.create_session().await.unwrap();
    let mut handle = session.attach(ECHOTEST).await.unwrap();
    handle
        .add_peer(config, janus.media_ip().into())
        .await
        .unwrap();
    Echo {
        _janus: janus,
        _client: client,
        session,
        handle,
    }
}

/// The mid of our first local track of `kind`.
async fn mid_of(peer: &Connection, kind: TrackKind) -> String {
    let tracks = peer.call(|pc, _| pc.local_tracks()).await.unwrap();
    tracks.into_iter().find(|t| t.kind == kind).unwrap().mid
}

/// Waits on a handle's queue for both sides to say the connection is up.
async fn both_up(handle: &Handle) {
    handle
        .events()
        .wait_for(WAIT, pick::both_up())
        .await
        .unwrap();
}

async fn data_open(events: &Events<HandleEvent>) -> (String, String) {
    events.wait_for(WAIT, pick::data_open).await.unwrap()
}

/// Offers these tracks to the EchoTest through the handle, and waits for both sides to say
/// the connection is up (and for the data channel to open, when one is offered: its label
/// and protocol): no candidate and no Janus event handled by the test.
async fn connect_echo(e: &Echo, tracks: &[Track]) -> Option<(String, String)> {
    let body = json!({"audio": true, "video": true, "data": true});
    let reply = e.handle.offer(body, tracks).await.unwrap();
    assert_eq!(reply.data.data["result"], "ok", "{reply:?}");
    if !tracks.iter().any(|t| t.kind == TrackKind::Data) {
        both_up(&e.handle).await;
        return None;
    }
    let up = e.events().wait_for(WAIT, pick::up_with_data());
    Some(up.await.unwrap())
}

/// Writes the tests' audio (and video, when given) every tick until `stop`, ignoring
/// refusals (a muted or removed track); returns the video bytes written.
async fn send_media(peer: &Connection, audio: &str, video: Option<&str>, stop: &AtomicBool) -> u64 {
    let mut tick = tokio::time::interval(TICK);
    let (mut n, mut bytes) = (0u32, 0u64);
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let a = audio_frame(n);
        let _ = peer.write_frame(audio, a.rtp_time, &a.data).await;
        if let (Some(video), Some(v)) = (video, video_frame(n)) {
            if let Ok(true) = peer.write_frame(video, v.rtp_time, &v.data).await {
                bytes += v.data.len() as u64;
            }
        }
        n += 1;
    }
    bytes
}

/// Runs `checks` while media is being sent; the sender stops when they end, fail or time out.
async fn while_sending<T>(
    peer: &Connection,
    audio: &str,
    video: Option<&str>,
    checks: impl Future<Output = T>,
) -> (u64, T) {
    let stop = AtomicBool::new(false);
    let checking = async {
        let _stop = StopOnDrop(&stop);
        checks.await
    };
    tokio::join!(send_media(peer, audio, video, &stop), checking)
}

/// Waits for Janus's `media` event about `mid` saying `receiving`.
async fn janus_media(events: &Events<HandleEvent>, mid: &str, receiving: bool) {
    let seen = events.wait_for(WAIT, pick::janus_media(mid, receiving));
    seen.await
        .unwrap_or_else(|e| panic!("no media event for {mid} receiving={receiving}: {e}"));
}

/// Waits for one echoed frame on `mid` (dropping other events).
async fn echoed_on(events: &Events<HandleEvent>, mid: &str) {
    let seen = events.wait_for(WAIT, pick::frame_on(mid));
    seen.await
        .unwrap_or_else(|e| panic!("nothing echoed on {mid}: {e}"));
}

/// Sends one text message on `echo` and waits for its echo.
async fn data_round_trip(e: &Echo, text: &str) {
    e.peer()
        .send_data("echo", false, text.as_bytes())
        .await
        .unwrap();
    let echoed = e.events().wait_for(WAIT, pick::echo_of(text));
    echoed
        .await
        .unwrap_or_else(|err| panic!("no echo of {text:?}: {err}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_video_and_data_connect_and_janus_says_webrtcup() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        let open = connect_echo(&e, &[Track::audio(), Track::video(), Track::data("echo")]).await;
        assert_eq!(open.expect("a data channel").0, "echo");
        let audio = mid_of(e.peer(), TrackKind::Audio).await;
        let video = mid_of(e.peer(), TrackKind::Video).await;
        assert_ne!(audio, video);
        let remote = e.peer().call(|pc, _| pc.remote_tracks()).await.unwrap();
        assert_eq!(remote.len(), 2, "the EchoTest sends both back: {remote:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_channel_echoes_text_and_binary_in_order_with_its_protocol() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        let data = Track::data("echo").protocol("echo-v1");
        let (label, protocol) = connect_echo(&e, &[Track::audio(), Track::video(), data])
            .await
            .expect("a data channel");
        assert_eq!((label.as_str(), protocol.as_str()), ("echo", "echo-v1"));
        for i in 0..100 {
            let text = text_message(i);
            e.peer()
                .send_data("echo", false, text.as_bytes())
                .await
                .unwrap();
            e.peer()
                .send_data("echo", true, &binary_message(i))
                .await
                .unwrap();
        }
        let mut echoes = DataEchoes::default();
        while !echoes.complete(100) {
            echoes.push(e.events().wait_for(WAIT, pick::data).await.unwrap());
        }
        echoes.check();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_and_video_frames_come_back_unchanged_and_janus_reports_media() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::video()]).await;
        let audio = mid_of(e.peer(), TrackKind::Audio).await;
        let video = mid_of(e.peer(), TrackKind::Video).await;
        // 100 ticks: 100 audio frames, 50 video frames; the echoes are read meanwhile.
        let sending = async {
            let mut sent = (BTreeSet::new(), BTreeSet::new());
            let mut tick = tokio::time::interval(TICK);
            for n in 0..100u32 {
                tick.tick().await;
                let a = audio_frame(n);
                if e.peer()
                    .write_frame(&audio, a.rtp_time, &a.data)
                    .await
                    .unwrap()
                {
                    sent.0.insert(n);
                }
                if let Some(v) = video_frame(n) {
                    if e.peer()
                        .write_frame(&video, v.rtp_time, &v.data)
                        .await
                        .unwrap()
                    {
                        sent.1.insert(n);
                    }
                }
            }
            sent
        };
        // Frames and Janus's media events come in the one queue.
        let receiving = async {
            let (mut got, mut receiving) = ((BTreeSet::new(), BTreeSet::new()), BTreeSet::new());
            let until = Instant::now() + TICK * 100 + Duration::from_secs(2);
            while Instant::now() < until
                && (got.0.len() < 90 || got.1.len() < 45 || receiving.len() < 2)
            {
                let left = until.saturating_duration_since(Instant::now());
                match e.events().recv_timeout(left).await {
                    Ok(HandleEvent::Rtc(RtcEvent::Media(f))) => {
                        let n = frame_number(&f.data).unwrap();
                        let is_audio = f.mid == audio;
                        assert_eq!(
                            &*f.data,
                            &sent_frame(is_audio, n)[..],
                            "frame {n} on {}",
                            f.mid
                        );
                        if is_audio {
                            got.0.insert(n);
                        } else {
                            got.1.insert(n);
                        }
                    }
                    Ok(HandleEvent::Janus(Event::Media { media, .. })) if media.receiving => {
                        receiving.extend(media.mid);
                    }
                    _ => {}
                }
            }
            (got, receiving)
        };
        let (sent, (got, receiving)) = tokio::join!(sending, receiving);
        assert!(got.0.is_subset(&sent.0) && got.1.is_subset(&sent.1));
        assert!(got.0.len() >= 90, "audio echoed: {}", got.0.len());
        assert!(got.1.len() >= 45, "video echoed: {}", got.1.len());
        // Janus says it receives both mids.
        assert_eq!(receiving, BTreeSet::from([audio, video]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standalone_peer_without_trickle_puts_every_candidate_in_the_offer_and_connects() {
    within(async {
        // The lower layer: a `Peer` of its own, wired to the handle by the test.
        let janus = launch(Janus::builder());
        let client = connect(&janus).await;
        let session = client.create_session().await.unwrap();
        let handle = session.attach(ECHOTEST).await.unwrap();
        let config = PeerConfig {
            trickle: false,
            ..PeerConfig::default()
        };
        let peer = Peer::bind(config, janus.media_ip().into(), 1024)
            .await
            .unwrap();
        let tracks = [Track::audio(), Track::data("echo")];
        let jsep = peer.create_offer(&tracks, false).await.unwrap();
        assert_eq!(jsep.trickle, Some(false));
        assert!(jsep.sdp.contains("a=candidate:"), "{}", jsep.sdp);
        let reply = handle
            .message(json!({"audio": true}), Some(jsep))
            .await
            .unwrap();
        peer.handle_remote_jsep(reply.jsep.as_ref().unwrap())
            .await
            .unwrap();
        assert!(
            peer.take_local_candidates().is_empty(),
            "nothing to trickle"
        );
        peer.wait_for(WAIT, pick::connected).await.unwrap();
        handle
            .events()
            .wait_for(WAIT, pick::webrtcup)
            .await
            .unwrap();
        peer.wait_for(WAIT, pick::data_open).await.unwrap();
        peer.send_data("echo", false, b"untrickled").await.unwrap();
        peer.wait_for(WAIT, pick::echo_of("untrickled"))
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitrate_of_the_echoed_video_is_close_to_what_was_sent() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::video()]).await;
        let audio = mid_of(e.peer(), TrackKind::Audio).await;
        let video = mid_of(e.peer(), TrackKind::Video).await;
        let started = Instant::now();
        let measure = async {
            // Keep the event queue drained while the statistics accumulate.
            while started.elapsed() < Duration::from_secs(4) {
                let _ = e.events().recv_timeout(Duration::from_millis(10)).await;
            }
            e.peer().bitrate(&video).await.unwrap()
        };
        let (sent, measured) = while_sending(e.peer(), &audio, Some(&video), measure).await;
        let sent_bps = sent as f64 * 8.0 / started.elapsed().as_secs_f64();
        let measured = measured.expect("a bitrate after 4 s") as f64;
        eprintln!("video sent {sent_bps:.0} bit/s, echoed bitrate {measured:.0} bit/s");
        let ratio = measured / sent_bps;
        assert!((0.8..1.3).contains(&ratio), "ratio {ratio:.2}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn muting_a_track_stops_janus_receiving_it_and_unmuting_resumes() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::video()]).await;
        let audio = mid_of(e.peer(), TrackKind::Audio).await;
        let video = mid_of(e.peer(), TrackKind::Video).await;
        let checks = async {
            janus_media(e.events(), &audio, true).await;
            e.peer().mute(&audio).await.unwrap();
            let mid = audio.clone();
            let muted = e.peer().call(move |pc, _| pc.is_muted(&mid)).await;
            assert!(muted.unwrap());
            janus_media(e.events(), &audio, false).await;
            e.peer().unmute(&audio).await.unwrap();
            janus_media(e.events(), &audio, true).await;
        };
        while_sending(e.peer(), &audio, Some(&video), checks).await;
    })
    .await;
}

/// The mid of the next local track of `kind` that starts (`on`) or stops.
async fn local_track(events: &Events<HandleEvent>, kind: TrackKind, on: bool) -> String {
    events
        .wait_for(WAIT, |ev| match ev {
            HandleEvent::Rtc(RtcEvent::LocalTrack { track, on: o })
                if track.kind == kind && o == on =>
            {
                Some(track.mid)
            }
            _ => None,
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renegotiation_adds_video_to_an_audio_call_then_removes_it() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::data("echo")]).await;
        let audio = mid_of(e.peer(), TrackKind::Audio).await;
        while_sending(e.peer(), &audio, None, echoed_on(e.events(), &audio)).await;

        // Add video.
        e.handle
            .offer(json!({"video": true}), &[Track::video()])
            .await
            .unwrap();
        let video = local_track(e.events(), TrackKind::Video, true).await;
        while_sending(
            e.peer(),
            &audio,
            Some(&video),
            echoed_on(e.events(), &video),
        )
        .await;

        // Remove it again: no longer a local track, audio still echoed.
        let remove = [Track::remove(TrackKind::Video, video.clone())];
        e.handle.offer(json!({}), &remove).await.unwrap();
        assert_eq!(
            local_track(e.events(), TrackKind::Video, false).await,
            video
        );
        let key = video_frame(0).unwrap();
        let refused = e.peer().write_frame(&video, key.rtp_time, &key.data).await;
        assert!(refused.is_err(), "{refused:?}");
        while_sending(e.peer(), &audio, None, echoed_on(e.events(), &audio)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_without_tracks_renegotiates_with_the_media_as_it_is() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        let open = connect_echo(&e, &[Track::audio(), Track::video(), Track::data("echo")]).await;
        assert_eq!(open.expect("a data channel").0, "echo");
        let audio = mid_of(e.peer(), TrackKind::Audio).await;
        let video = mid_of(e.peer(), TrackKind::Video).await;
        let before = e.peer().call(|pc, _| pc.local_tracks()).await.unwrap();
        let reply = e.handle.offer(json!({}), &[]).await.unwrap();
        assert_eq!(reply.jsep.unwrap().kind, janus_proto::SdpType::Answer);
        assert_eq!(
            e.peer().call(|pc, _| pc.local_tracks()).await.unwrap(),
            before
        );
        let echoes = async {
            echoed_on(e.events(), &audio).await;
            echoed_on(e.events(), &video).await;
        };
        while_sending(e.peer(), &audio, Some(&video), echoes).await;
        data_round_trip(&e, "after the renegotiation").await;
    })
    .await;
}

/// ICE states the connection reports until `until` says stop.
async fn ice_states_until(
    events: &Events<HandleEvent>,
    mut until: impl FnMut(&[IceState]) -> bool,
) -> Vec<IceState> {
    let mut states = Vec::new();
    let seen = events
        .wait_for(WAIT, |ev| {
            if let HandleEvent::Rtc(RtcEvent::IceState(s)) = ev {
                states.push(s);
            }
            until(&states).then_some(())
        })
        .await;
    seen.unwrap_or_else(|err| panic!("ICE states {states:?}: {err}"));
    states
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ice_restart_runs_ice_again_and_data_keeps_flowing() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::data("echo")])
            .await
            .expect("a data channel");
        data_round_trip(&e, "before").await;
        let mut theirs = Vec::new();
        for round in 0..2 {
            let reply = e.handle.restart_ice(json!({})).await.unwrap();
            theirs.push(ice_ufrag(&reply.jsep.unwrap().sdp).unwrap().to_owned());
            // Our agent checks pairs again with the new credentials and connects again.
            let states =
                ice_states_until(e.events(), janus_tests::rtc::checked_and_connected).await;
            eprintln!("ICE after restart {round}: {states:?}");
            for i in 0..10 {
                data_round_trip(&e, &format!("after {round}.{i}")).await;
            }
        }
        assert_ne!(theirs[0], theirs[1], "Janus answers each restart anew");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hangup_closes_both_sides_and_a_new_offer_on_the_same_handle_works() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::data("echo")]).await;
        e.handle.hangup().await.unwrap();
        // Ours closes at once (janus.js `oncleanup`), Janus says `hangup`.
        let (mut closed, mut hangup) = (false, false);
        let both = e.events().wait_for(WAIT, |ev| {
            match ev {
                HandleEvent::Rtc(RtcEvent::Closed) => closed = true,
                HandleEvent::Janus(Event::Hangup { .. }) => hangup = true,
                _ => {}
            }
            (closed && hangup).then_some(())
        });
        both.await.unwrap();
        // janus.js makes a new PeerConnection for the next call on the handle; so does ours.
        connect_echo(&e, &[Track::audio(), Track::data("echo")])
            .await
            .expect("a data channel");
        data_round_trip(&e, "second call").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_sdp_from_either_side_is_a_typed_error() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        let refused = e
            .handle
            .answer(json!({}), &Jsep::offer("m=audio\r\n"), &[])
            .await;
        assert!(
            matches!(refused, Err(Error::Rtc(RtcError::Sdp(_)))),
            "{refused:?}"
        );
        let offered = e
            .peer()
            .call(|pc, _| pc.create_offer(&[Track::audio()], false));
        offered.await.unwrap().unwrap();
        let bad = Jsep::answer("v=0\r\nthis is not sdp\r\n");
        let refused = e
            .peer()
            .call(move |pc, _| pc.handle_remote_jsep(&bad))
            .await;
        assert!(matches!(refused, Ok(Err(RtcError::Sdp(_)))), "{refused:?}");
        // Janus refuses a broken offer with a plugin/core error, typed by the signalling side.
        let broken = Some(Jsep::offer("v=0\r\nnonsense\r\n"));
        let err = e
            .handle
            .message(json!({"audio": true}), broken)
            .await
            .unwrap_err();
        assert!(
            err.janus_code().is_some() || err.plugin_code().is_some(),
            "{err:?}"
        );
        // A handle without a connection says so.
        let bare = e.session.attach(ECHOTEST).await.unwrap();
        let refused = bare.offer(json!({}), &[Track::audio()]).await;
        assert!(matches!(refused, Err(Error::NoPeer)), "{refused:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_full_trickle_janus_candidates_reach_the_connection_without_the_application() {
    within(async {
        let e = echo_on(
            launch(Janus::builder().full_trickle(true)),
            PeerConfig::default(),
        )
        .await;
        let tracks = [Track::audio(), Track::data("echo")];
        let reply = e
            .handle
            .offer(json!({"audio": true}), &tracks)
            .await
            .unwrap();
        // Every candidate of Janus's is trickled, none is in its answer: the connection can
        // only come up if the handle applied them.
        assert!(!reply.jsep.unwrap().sdp.contains("a=candidate:"));
        // What came, should it not come up (ours and Janus's log, to tell the sides apart).
        let mut seen = Vec::new();
        let mut up = pick::up_with_data();
        let came = e.events().wait_for(WAIT, |ev| {
            seen.push(format!("{ev:?}").chars().take(300).collect::<String>());
            up(ev)
        });
        if came.await.is_err() {
            panic!("events: {seen:#?}\n{}", e._janus.log_tail(60));
        }
        data_round_trip(&e, "trickled").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_janus_goes_silent_ice_is_disconnected_then_failed() {
    within(async {
        let e = echo_with(PeerConfig {
            ice_failed_after: Some(Duration::from_secs(1)),
            ..PeerConfig::default()
        })
        .await;
        connect_echo(&e, &[Track::audio()]).await;
        // Janus answers no more STUN checks (nor anything else) while frozen.
        let _frozen = e._janus.freeze().unwrap();
        let mut states = Vec::new();
        let failed = e.events().wait_for(Duration::from_secs(60), |ev| {
            if let HandleEvent::Rtc(RtcEvent::IceState(s)) = ev {
                states.push(s);
            }
            states.contains(&IceState::Failed).then_some(())
        });
        failed
            .await
            .unwrap_or_else(|err| panic!("ICE states {states:?}: {err}"));
        let disconnected = states.iter().position(|s| *s == IceState::Disconnected);
        let failed = states.iter().position(|s| *s == IceState::Failed);
        assert!(
            matches!((disconnected, failed), (Some(d), Some(f)) if d < f),
            "{states:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_a_track_sends_new_frames_on_the_same_mid_without_renegotiating() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::video()]).await;
        let audio = mid_of(e.peer(), TrackKind::Audio).await;
        let video = mid_of(e.peer(), TrackKind::Video).await;
        while_sending(
            e.peer(),
            &audio,
            Some(&video),
            echoed_on(e.events(), &video),
        )
        .await;
        // janus.js `replaceTrack`: the same mid, another source. No SDP change is needed,
        // so no offer is made ...
        let replace = [Track::replace(TrackKind::Video, video.clone())];
        let offered = e
            .peer()
            .call(move |pc, _| pc.create_offer(&replace, false))
            .await;
        assert!(
            matches!(offered, Ok(Err(RtcError::NoChanges))),
            "{offered:?}"
        );
        // ... and frames of the new source (other sizes, a fresh keyframe) echo on that mid.
        let mut tick = tokio::time::interval(TICK * 2);
        for n in 0..20u32 {
            tick.tick().await;
            let frame = janus_tests::media::vp8_frame(1000 + n, n == 0, 700);
            let rtp_time = u64::from(1000 + n) * janus_tests::media::VP8_TICKS;
            e.peer()
                .write_frame(&video, rtp_time, &frame)
                .await
                .unwrap();
        }
        let replaced = e.events().wait_for(WAIT, |ev| match ev {
            HandleEvent::Rtc(RtcEvent::Media(f))
                if f.mid == video && frame_number(&f.data).is_some_and(|n| n >= 1000) =>
            {
                Some(f)
            }
            _ => None,
        });
        let replaced = replaced.await.unwrap();
        let n = frame_number(&replaced.data).unwrap();
        assert_eq!(
            &*replaced.data,
            &janus_tests::media::vp8_frame(n, n == 1000, 700)[..]
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answering_the_textroom_offer_opens_a_data_channel_that_carries_requests_and_messages() {
    within(async {
        let janus = launch(Janus::builder());
        let client = connect(&janus).await;
        let session = client.create_session().await.unwrap();
        let mut room = session.attach(TEXTROOM).await.unwrap();
        room.add_peer(PeerConfig::default(), janus.media_ip().into())
            .await
            .unwrap();
        // `setup`: Janus offers a PeerConnection with only a data channel.
        let setup = room
            .message(json!({"request": "setup"}), None)
            .await
            .unwrap();
        let offer = setup.jsep.expect("Janus offers");
        assert!(offer.sdp.contains("m=application"), "{}", offer.sdp);
        let tracks = [Track::data("textroom")];
        room.answer(json!({"request": "ack"}), &offer, &tracks)
            .await
            .unwrap();
        let (label, _) = data_open(room.events()).await;
        assert_eq!(label, "textroom");
        let peer = room.peer().unwrap();

        // Join the room over the channel: Janus answers on it.
        let mut join = textroom::Join::new(1234, "bot");
        join.display = Some("Bot".into());
        let join = join.to_text("t-join").unwrap().into_bytes();
        peer.send_data("textroom", false, &join).await.unwrap();
        let joined = room
            .events()
            .wait_for(WAIT, pick::json_data(|v| v["transaction"] == "t-join"));
        let joined = joined.await.unwrap();
        assert_eq!(joined["textroom"], "success", "{joined}");

        // A message to the room comes back to us, its sender, as a participant.
        let say = textroom::Message::new(1234, "hello room")
            .to_text("t-say")
            .unwrap()
            .into_bytes();
        peer.send_data("textroom", false, &say).await.unwrap();
        let heard = room
            .events()
            .wait_for(WAIT, pick::json_data(|v| v["textroom"] == "message"));
        let heard = heard.await.unwrap();
        let said = (heard["from"].as_str(), heard["text"].as_str());
        assert_eq!(said, (Some("bot"), Some("hello room")));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroying_the_session_closes_its_handles_connection() {
    within(async {
        let janus = launch(Janus::builder());
        let client = connect(&janus).await;
        let session = client.create_session().await.unwrap();
        let mut handle = session.attach(ECHOTEST).await.unwrap();
        let ip = janus.media_ip().into();
        handle.add_peer(PeerConfig::default(), ip).await.unwrap();
        let body = json!({"audio": true});
        handle.offer(body, &[Track::audio()]).await.unwrap();
        both_up(&handle).await;
        session.destroy().await.unwrap();
        // The handle outlives its session here: its connection closes, its queue ends.
        handle.events().wait_for(WAIT, pick::closed).await.unwrap();
        while handle.events().recv_timeout(WAIT).await.is_ok() {}
        let ended = handle
            .events()
            .recv_timeout(Duration::from_millis(10))
            .await;
        assert!(matches!(ended, Err(Error::Closed)), "{ended:?}");
    })
    .await;
}

/// A VideoCall handle with its connection, registered as `name` (typed `register`).
async fn videocall_user(session: &Session, name: &str, config: PeerConfig, ip: IpAddr) -> User {
    User::register(session, config, ip, name).await.unwrap()
}

/// Alice calls bob with `offered`; bob answers with `answered` (typed `call`,
/// `incomingcall`, `accept`, `accepted`). Returns when both connections are up.
async fn call(alice: &User, bob: &User, offered: &[Track], answered: &[Track]) {
    alice.call("bob", offered).await.unwrap();
    let (caller, offer) = bob.wait_incoming_call(WAIT).await.unwrap();
    assert_eq!(caller.username.as_deref(), Some("alice"));
    bob.accept(&offer, answered).await.unwrap();
    // Alice's answer comes in the `accepted` event: the handle applies it on arrival.
    alice.wait_accepted(WAIT).await.unwrap();
    for u in [alice, bob] {
        u.handle()
            .events()
            .wait_for(WAIT, pick::connected)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_through_videocall_carries_audio_and_dtmf_between_two_handles() {
    within(async {
        let janus = launch(Janus::builder());
        let client = connect(&janus).await;
        let session = client.create_session().await.unwrap();
        // G.711 so that telephone-event/8000 shares the audio clock.
        let config = PeerConfig {
            opus: false,
            ..PeerConfig::default()
        };
        let ip = janus.media_ip().into();
        let alice = videocall_user(&session, "alice", config.clone(), ip).await;
        let bob = videocall_user(&session, "bob", config, ip).await;
        call(&alice, &bob, &[Track::audio()], &[]).await;
        // The rest is on the handles (their connections and events).
        let (alice, bob) = (alice.into_handle(), bob.into_handle());
        let (pa, pb) = (alice.peer().unwrap(), bob.peer().unwrap());
        let ma = mid_of(pa, TrackKind::Audio).await;
        let mb = mid_of(pb, TrackKind::Audio).await;
        let mid = ma.clone();
        let codec = pa.call(move |pc, _| pc.send_codec(&mid)).await.unwrap();
        assert_eq!(codec.unwrap().1, 8000, "G.711 negotiated");

        // Audio from alice reaches bob (G.711: 160 samples a frame).
        let mut tick = tokio::time::interval(TICK);
        for n in 0..20u32 {
            tick.tick().await;
            let frame = audio_frame(n).data;
            pa.write_frame(&ma, u64::from(n) * 160, &frame)
                .await
                .unwrap();
        }
        let n = bob
            .events()
            .wait_for(WAIT, |e| match e {
                HandleEvent::Rtc(RtcEvent::Media(f)) if f.mid == mb => frame_number(&f.data),
                _ => None,
            })
            .await
            .unwrap();
        assert!(n < 20);
        // The callee's own track, added in its answer, reaches the caller.
        for n in 100..120u32 {
            tick.tick().await;
            let frame = audio_frame(n).data;
            pb.write_frame(&mb, u64::from(n) * 160, &frame)
                .await
                .unwrap();
        }
        let n = alice
            .events()
            .wait_for(WAIT, |e| match e {
                HandleEvent::Rtc(RtcEvent::Media(f)) if f.mid == ma => frame_number(&f.data),
                _ => None,
            })
            .await
            .unwrap();
        assert!((100..120).contains(&n), "{n}");

        // DTMF from alice arrives at bob as the same digits, in order.
        let (tone, gap) = (Duration::from_millis(100), Duration::from_millis(60));
        pa.insert_dtmf(&ma, "123#", tone, gap).await.unwrap();
        let mut digits = String::new();
        while digits.len() < 4 {
            let pick = |e| match e {
                HandleEvent::Rtc(RtcEvent::Dtmf { digit, .. }) => Some(digit),
                _ => None,
            };
            digits.push(bob.events().wait_for(WAIT, pick).await.unwrap());
        }
        assert_eq!(digits, "123#");

        // Janus's hangup closes both connections, with no application code.
        alice
            .message(json!({"request": "hangup"}), None)
            .await
            .unwrap();
        for h in [&alice, &bob] {
            h.events().wait_for(WAIT, pick::closed).await.unwrap();
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_videocall_callee_answers_with_its_own_tracks_and_data_flows_both_ways() {
    within(async {
        let janus = launch(Janus::builder());
        let client = connect(&janus).await;
        let session = client.create_session().await.unwrap();
        let ip = janus.media_ip().into();
        let alice = videocall_user(&session, "alice", PeerConfig::default(), ip).await;
        let bob = videocall_user(&session, "bob", PeerConfig::default(), ip).await;
        // Alice offers audio, video and data; bob receives her audio only, declines video,
        // sends nothing, and accepts the data channel.
        let offered = [Track::audio(), Track::video(), Track::data("chat")];
        let answered = [
            Track::audio().recv_only(),
            Track::video().declined(),
            Track::data("chat"),
        ];
        call(&alice, &bob, &offered, &answered).await;
        // The rest is on the handles (their connections and events).
        let (alice, bob) = (alice.into_handle(), bob.into_handle());
        let (pa, pb) = (alice.peer().unwrap(), bob.peer().unwrap());
        assert!(pb.local_tracks().await.unwrap().is_empty());
        let remote = pb.remote_tracks().await.unwrap();
        assert_eq!(remote.len(), 1, "{remote:?}");
        assert_eq!(remote[0].kind, TrackKind::Audio);
        data_open(bob.events()).await;
        data_open(alice.events()).await;
        relayed(pa, &bob, "hello bob").await;
        relayed(pb, &alice, "hello alice").await;
    })
    .await;
}

/// Sends `text` on the `chat` channel until the other side's handle receives it. The
/// VideoCall relays data only once Janus's SCTP stack said the receiver's association has
/// drained (`dataready`), which comes a little after the channel opened: messages before
/// that are dropped by Janus, as a browser would find too.
async fn relayed(from: &Connection, to: &Handle, text: &str) {
    let until = Instant::now() + WAIT;
    loop {
        from.send_data("chat", false, text.as_bytes())
            .await
            .unwrap();
        let got = to
            .events()
            .wait_for(Duration::from_millis(200), pick::data)
            .await;
        match got {
            Ok(m) => {
                assert_eq!(
                    (m.label.as_str(), m.data.as_slice()),
                    ("chat", text.as_bytes())
                );
                return;
            }
            Err(e) if e.is_timeout() && Instant::now() < until => continue,
            Err(e) => panic!("{text:?} never relayed: {e}"),
        }
    }
}

/// Sends the three simulcast layers every [`LAYER_TICK`] until `stop`.
async fn send_layers(peer: &Connection, mid: &str, stop: &AtomicBool) {
    let mut tick = tokio::time::interval(LAYER_TICK);
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let (rtp_time, frames) = layer_frames(n);
        for (rid, frame) in frames {
            let _ = peer.write_simulcast_frame(mid, rid, rtp_time, &frame).await;
        }
        n += 1;
    }
}

/// Waits until the subscriber receives `count` frames in a row of layer `rid`.
async fn receives_layer(events: &Events<HandleEvent>, rid: &str, count: usize) {
    let mut run = 0;
    while run < count {
        let layer = events.wait_for(WAIT, pick::layer).await;
        let layer = layer.unwrap_or_else(|e| panic!("waiting for layer {rid}: {e}"));
        run = if layer == Some(rid) { run + 1 } else { 0 };
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulcast_publisher_is_received_in_the_layer_the_subscriber_asks_for() {
    within(async {
        let janus = launch(Janus::builder());
        let client = connect(&janus).await;
        let session = client.create_session().await.unwrap();
        let ip = janus.media_ip().into();

        // Publisher.
        let mut publisher = session.attach(VIDEOROOM).await.unwrap();
        publisher.add_peer(PeerConfig::default(), ip).await.unwrap();
        let join = json!({"request": "join", "ptype": "publisher", "room": 1234, "display": "sim"});
        let joined = publisher.message(join, None).await.unwrap();
        assert_eq!(joined.data.data["videoroom"], "joined", "{joined:?}");
        let feed = joined.data.data["id"].clone();
        let tracks = [Track::video().send_only().simulcast()];
        let reply = publisher.offer(json!({"request": "publish"}), &tracks).await.unwrap();
        assert_eq!(reply.data.data["configured"], "ok", "{reply:?}");
        // The feed exists for subscribers once Janus has its side up too.
        both_up(&publisher).await;
        let video = mid_of(publisher.peer().unwrap(), TrackKind::Video).await;

        let stop = AtomicBool::new(false);
        let checks = async {
            let _stop = StopOnDrop(&stop);
            // Subscriber: Janus offers, we answer.
            let mut subscriber = session.attach(VIDEOROOM).await.unwrap();
            subscriber.add_peer(PeerConfig::default(), ip).await.unwrap();
            let join = json!({"request": "join", "ptype": "subscriber", "room": 1234, "streams": [{"feed": feed}]});
            let attached = subscriber.message(join, None).await.unwrap();
            assert_eq!(attached.data.data["videoroom"], "attached", "{attached:?}");
            let offer = attached.jsep.as_ref().unwrap();
            subscriber.answer(json!({"request": "start"}), offer, &[]).await.unwrap();
            subscriber.events().wait_for(WAIT, pick::connected).await.unwrap();
            let remote = subscriber.peer().unwrap().call(|pc, _| pc.remote_tracks()).await;
            assert_eq!(remote.as_ref().unwrap().len(), 1, "{remote:?}");

            // Janus starts with the highest layer, then switches to the one asked for.
            receives_layer(subscriber.events(), "h", 10).await;
            let low = json!({"request": "configure", "substream": 0});
            subscriber.message(low, None).await.unwrap();
            // Janus says when it has switched (after a keyframe of the new layer).
            let switched = pick::plugin_event(|d| d["substream"] == 0);
            let (switched, _) = subscriber.events().wait_for(WAIT, switched).await.unwrap();
            assert_eq!(switched["videoroom"], "event", "{switched}");
            receives_layer(subscriber.events(), "l", 10).await;
            let middle = json!({"request": "configure", "substream": 1});
            subscriber.message(middle, None).await.unwrap();
            receives_layer(subscriber.events(), "m", 10).await;
        };
        tokio::join!(send_layers(publisher.peer().unwrap(), &video, &stop), checks);
    })
    .await;
}

/// A publisher in room 1234 with its connection up, sending `tracks`: its handle, feed id
/// and video mid.
async fn publish(
    session: &Session,
    ip: IpAddr,
    display: &str,
    tracks: &[Track],
) -> (Handle, Value, String) {
    let mut publisher = session.attach(VIDEOROOM).await.unwrap();
    publisher.add_peer(PeerConfig::default(), ip).await.unwrap();
    let join = json!({"request": "join", "ptype": "publisher", "room": 1234, "display": display});
    let joined = publisher.message(join, None).await.unwrap();
    assert_eq!(joined.data.data["videoroom"], "joined", "{joined:?}");
    let feed = joined.data.data["id"].clone();
    let reply = publisher
        .offer(json!({"request": "publish"}), tracks)
        .await
        .unwrap();
    assert_eq!(reply.data.data["configured"], "ok", "{reply:?}");
    both_up(&publisher).await;
    let video = mid_of(publisher.peer().unwrap(), TrackKind::Video).await;
    (publisher, feed, video)
}

/// Sends VP8 frames numbered from `first` every other tick until `stop`.
async fn send_video(peer: &Connection, mid: &str, first: u32, stop: &AtomicBool) {
    let mut tick = tokio::time::interval(TICK * 2);
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        let frame = janus_tests::media::vp8_frame(first + n, n % 25 == 0, 600);
        let rtp_time = u64::from(n) * janus_tests::media::VP8_TICKS;
        let _ = peer.write_frame(mid, rtp_time, &frame).await;
        n += 1;
    }
}

/// Waits for a received frame whose number `from` accepts: its mid.
async fn frame_from(subscriber: &Handle, mut from: impl FnMut(u32) -> bool) -> String {
    let seen = subscriber.events().wait_for(WAIT, |ev| match ev {
        HandleEvent::Rtc(RtcEvent::Media(f)) if frame_number(&f.data).is_some_and(&mut from) => {
            Some(f.mid)
        }
        _ => None,
    });
    seen.await.unwrap()
}

/// The next offer Janus makes on its own, in a plugin event.
async fn janus_offer(subscriber: &Handle) -> Jsep {
    let offer = subscriber.events().wait_for(WAIT, |ev| match ev {
        HandleEvent::Janus(Event::PluginEvent {
            jsep: Some(jsep), ..
        }) if jsep.kind == janus_proto::SdpType::Offer => Some(jsep),
        _ => None,
    });
    offer.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_answers_janus_offers_for_an_ice_restart_a_feed_added_and_a_feed_gone() {
    /// Frames from the first publisher are numbered below this one, the second's above.
    const SECOND: u32 = 500_000;
    within(async {
        let janus = launch(Janus::builder());
        let client = connect(&janus).await;
        let session = client.create_session().await.unwrap();
        let ip = janus.media_ip().into();
        let sending = [Track::video().send_only()];
        let (first, first_feed, first_mid) = publish(&session, ip, "first", &sending).await;
        let (second, second_feed, second_mid) = publish(&session, ip, "second", &sending).await;
        let stop = AtomicBool::new(false);
        let checks = async {
            let _stop = StopOnDrop(&stop);
            let mut subscriber = session.attach(VIDEOROOM).await.unwrap();
            subscriber.add_peer(PeerConfig::default(), ip).await.unwrap();
            let join = json!({"request": "join", "ptype": "subscriber", "room": 1234, "streams": [{"feed": first_feed}]});
            let attached = subscriber.message(join, None).await.unwrap();
            let offer = attached.jsep.unwrap();
            subscriber.answer(json!({"request": "start"}), &offer, &[]).await.unwrap();
            let from_first = frame_from(&subscriber, |n| n < SECOND).await;

            // A restart from the plugin's side: Janus offers with new ICE credentials, our
            // answer restarts ICE here too, and the feed goes on.
            let restart = json!({"request": "configure", "restart": true});
            let restarted = subscriber.message(restart, None).await.unwrap();
            let offer = match restarted.jsep {
                Some(jsep) => jsep,
                None => janus_offer(&subscriber).await,
            };
            subscriber.answer(json!({"request": "start"}), &offer, &[]).await.unwrap();
            let ran = janus_tests::rtc::checked_and_connected;
            let states = ice_states_until(subscriber.events(), ran).await;
            eprintln!("ICE after Janus's restart: {states:?}");
            assert_eq!(frame_from(&subscriber, |n| n < SECOND).await, from_first);

            // Take the second feed too: Janus renegotiates with an offer of its own.
            let more = json!({"request": "subscribe", "streams": [{"feed": second_feed}]});
            let updated = subscriber.message(more, None).await.unwrap();
            let offer = updated.jsep.expect("Janus offers the new stream");
            assert_eq!(offer.kind, janus_proto::SdpType::Offer);
            subscriber.answer(json!({"request": "start"}), &offer, &[]).await.unwrap();
            let from_second = frame_from(&subscriber, |n| n >= SECOND).await;
            assert_ne!(from_first, from_second, "the second feed on an m-line of its own");

            // The second publisher leaves: Janus offers, unasked, without its stream.
            second.hangup().await.unwrap();
            let offer = janus_offer(&subscriber).await;
            subscriber.answer(json!({"request": "start"}), &offer, &[]).await.unwrap();
            let remote = subscriber.peer().unwrap().call(|pc, _| pc.remote_tracks()).await;
            let remote = remote.unwrap();
            assert!(
                remote.iter().any(|t| t.mid == from_first) && !remote.iter().any(|t| t.mid == from_second),
                "{remote:?}"
            );
            assert_eq!(frame_from(&subscriber, |n| n < SECOND).await, from_first);
        };
        tokio::join!(
            send_video(first.peer().unwrap(), &first_mid, 0, &stop),
            send_video(second.peer().unwrap(), &second_mid, SECOND, &stop),
            checks
        );
    })
    .await;
}

/// Tasks alive on this test's runtime (a current-thread one: its tasks are this test's).
fn tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Waits until `cond` holds, checking every few milliseconds (the test's limit bounds it).
async fn wait_until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn dropping_the_peer_ends_its_task_even_with_its_event_queue_full() {
    // Current-thread runtime: the harness may block it while Janus starts, nothing runs yet.
    let janus = Janus::launch().unwrap();
    within(async {
        let client = connect(&janus).await;
        let session = client.create_session().await.unwrap();
        let handle = session.attach(ECHOTEST).await.unwrap();
        let ip = janus.media_ip().into();

        // A peer that never negotiates.
        let before = tasks();
        let idle = Peer::bind(PeerConfig::default(), ip, 16).await.unwrap();
        assert_eq!(tasks(), before + 1, "the peer's task runs");
        drop(idle);
        wait_until(|| tasks() == before).await;

        // A connected peer whose events nobody reads: the echoed frames fill its queue and
        // are then dropped and counted; closing it queues an event that is no frame, for
        // which the task waits for room, until the peer goes.
        let peer = Peer::bind(PeerConfig::default(), ip, 32).await.unwrap();
        let body = json!({"audio": true});
        peer.offer(&handle, body, &[Track::audio()], false)
            .await
            .unwrap();
        handle
            .events()
            .wait_for(WAIT, pick::webrtcup)
            .await
            .unwrap();
        wait_until(|| tasks() == before + 1).await;
        let audio = mid_of(&peer, TrackKind::Audio).await;
        let mut tick = tokio::time::interval(TICK);
        let mut n = 0;
        while peer.dropped_frames() == 0 {
            tick.tick().await;
            let a = audio_frame(n);
            peer.write_frame(&audio, a.rtp_time, &a.data).await.unwrap();
            n += 1;
        }
        peer.close().await.unwrap();
        drop(peer);
        wait_until(|| tasks() == before).await;
    })
    .await;
}

#[tokio::test]
async fn dropping_a_handle_ends_its_connection_task_even_with_its_event_queue_full() {
    let janus = Janus::launch().unwrap();
    within(async {
        let client = Client::builder(ClientConfig::new([janus.ws_url()]).unwrap())
            .event_capacity(32)
            .connect()
            .await
            .unwrap();
        let session = client.create_session().await.unwrap();
        let before = tasks();
        let mut handle = session.attach(ECHOTEST).await.unwrap();
        handle
            .add_peer(PeerConfig::default(), janus.media_ip().into())
            .await
            .unwrap();
        handle
            .offer(json!({"audio": true}), &[Track::audio()])
            .await
            .unwrap();
        both_up(&handle).await;
        // Nobody reads the handle's queue: echoed frames fill it, then are dropped.
        let peer = handle.peer().unwrap();
        let audio = mid_of(peer, TrackKind::Audio).await;
        let mut tick = tokio::time::interval(TICK);
        let mut n = 0;
        while peer.dropped_frames() == 0 {
            tick.tick().await;
            let a = audio_frame(n);
            peer.write_frame(&audio, a.rtp_time, &a.data).await.unwrap();
            n += 1;
        }
        drop(handle);
        wait_until(|| tasks() <= before).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_restart_policy_failed_ice_restarts_by_itself_once_janus_answers_again() {
    within(async {
        let e = echo_with(PeerConfig {
            ice_failed_after: Some(Duration::from_secs(1)),
            restart_ice: Some(IceRestartPolicy::with_body(json!({}))),
            ..PeerConfig::default()
        })
        .await;
        connect_echo(&e, &[Track::audio(), Track::data("echo")])
            .await
            .expect("a data channel");
        data_round_trip(&e, "before the freeze").await;
        let frozen = e._janus.freeze().unwrap();
        let mut states = Vec::new();
        e.events()
            .wait_for(Duration::from_secs(60), |ev| {
                if let HandleEvent::Rtc(RtcEvent::IceState(s)) = ev {
                    states.push(s);
                }
                states.contains(&IceState::Failed).then_some(())
            })
            .await
            .unwrap_or_else(|err| panic!("ICE states {states:?}: {err}"));
        // The restart went out when ICE failed; Janus reads it once it runs again.
        drop(frozen);
        let after = ice_states_until(e.events(), janus_tests::rtc::checked_and_connected).await;
        eprintln!("ICE: {states:?}, then by itself {after:?}");
        for i in 0..5 {
            data_round_trip(&e, &format!("after the automatic restart {i}")).await;
        }
    })
    .await;
}

/// NOT secure, tests only: every byte of the frame XOR one key byte, nothing left clear
/// (a scheme may encrypt whole frames on a single, non-simulcast stream).
struct WholeFrameXor(u8);

impl janus_tokio::rtc::FrameTransform for WholeFrameXor {
    fn encrypt(
        &mut self,
        _: janus_tokio::rtc::FrameInfo<'_>,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), RtcError> {
        out.extend(data.iter().map(|b| b ^ self.0));
        Ok(())
    }

    fn decrypt(
        &mut self,
        frame: janus_tokio::rtc::FrameInfo<'_>,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), RtcError> {
        self.encrypt(frame, data, out)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypting_peer_gets_its_frames_back_from_the_echotest_decrypted() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        // `Send`: the boxed transform moves into the connection's task.
        e.peer()
            .set_transform(Box::new(WholeFrameXor(0x5a)))
            .await
            .unwrap();
        let body = json!({"audio": true, "video": true});
        let reply = e
            .handle
            .offer(body, &[Track::audio(), Track::video()])
            .await
            .unwrap();
        // The EchoTest took our `"e2ee": true` and says it back.
        let answer = reply.jsep.as_ref().unwrap();
        assert!(answer.is_e2ee(), "{answer:?}");
        both_up(&e.handle).await;
        let audio = mid_of(e.peer(), TrackKind::Audio).await;
        let video = mid_of(e.peer(), TrackKind::Video).await;
        let sending = async {
            let mut tick = tokio::time::interval(TICK);
            for n in 0..100u32 {
                tick.tick().await;
                let a = audio_frame(n);
                let _ = e.peer().write_frame(&audio, a.rtp_time, &a.data).await;
                if let Some(v) = video_frame(n) {
                    let _ = e.peer().write_frame(&video, v.rtp_time, &v.data).await;
                }
            }
        };
        let receiving = async {
            let mut got = (BTreeSet::new(), BTreeSet::new());
            let until = Instant::now() + TICK * 100 + Duration::from_secs(2);
            while Instant::now() < until && (got.0.len() < 90 || got.1.len() < 45) {
                let left = until.saturating_duration_since(Instant::now());
                if let Ok(HandleEvent::Rtc(RtcEvent::Media(f))) =
                    e.events().recv_timeout(left).await
                {
                    // Decrypted by the transform: the frame as written.
                    let n = frame_number(&f.data).unwrap();
                    let is_audio = f.mid == audio;
                    assert_eq!(&*f.data, &sent_frame(is_audio, n)[..], "frame {n}");
                    if is_audio {
                        got.0.insert(n);
                    } else {
                        got.1.insert(n);
                    }
                }
            }
            got
        };
        let ((), got) = tokio::join!(sending, receiving);
        eprintln!(
            "echoed and decrypted: {} audio, {} video",
            got.0.len(),
            got.1.len()
        );
        assert!(got.0.len() >= 90 && got.1.len() >= 45, "{got:?}");
        assert_eq!(e.peer().decrypt_failures().await.unwrap(), 0);
    })
    .await;
}
