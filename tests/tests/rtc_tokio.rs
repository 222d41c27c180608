//! WebRTC through the tokio adapter: the scenarios of `rtc_echotest.rs`, `rtc_videocall.rs`
//! and `rtc_videoroom.rs` with `janus_tokio::Peer` (a `janus-rtc` connection on a tokio UDP
//! socket bound to the namespace's 127.0.0.2), signalling over WebSocket, plus the peer's
//! task ending when the `Peer` is dropped. Every test runs under a time limit of its own;
//! senders are futures joined with the checks, stopped by a drop guard when a check fails.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use janus_proto::{ClientConfig, Event, Jsep, Trickle};
use janus_tests::media::frame_number;
use janus_tests::rtc::{
    DataEchoes, ECHOTEST, LAYER_TICK, StopOnDrop, TICK, VIDEOCALL, VIDEOROOM, WAIT, audio_frame,
    binary_message, ice_ufrag, layer_frames, pick, sent_frame, text_message, video_frame,
};
use janus_tests::{Janus, JanusBuilder};
use janus_tokio::rtc::{Error as RtcError, Event as RtcEvent, PeerConfig, Track, TrackKind};
use janus_tokio::{Client, Error, Handle, Peer, Session};
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
    _session: Session,
    handle: Handle,
    peer: Peer,
}

/// A Janus, a session with the EchoTest attached, and a peer bound on the media address.
async fn echo_with(config: PeerConfig) -> Echo {
    let janus = launch(Janus::builder());
    let client = connect(&janus).await;
    let session = client.create_session().await.unwrap();
    let handle = session.attach(ECHOTEST).await.unwrap();
    let peer = Peer::bind(config, janus.media_ip().into(), 4096)
        .await
        .unwrap();
    Echo {
        _janus: janus,
        _client: client,
        _session: session,
        handle,
        peer,
    }
}

/// The mid of our first local track of `kind`.
async fn mid_of(peer: &Peer, kind: TrackKind) -> String {
    let tracks = peer.call(|pc, _| pc.local_tracks()).await.unwrap();
    tracks.into_iter().find(|t| t.kind == kind).unwrap().mid
}

async fn webrtcup(handle: &Handle) {
    handle
        .events()
        .wait_for(WAIT, pick::webrtcup)
        .await
        .unwrap();
}

async fn peer_connected(peer: &Peer) {
    peer.wait_for(WAIT, pick::connected).await.unwrap();
}

async fn data_open(peer: &Peer) {
    peer.wait_for(WAIT, pick::data_open).await.unwrap();
}

/// Offers these tracks to the EchoTest, and waits for both sides to say the connection is up.
async fn connect_echo(e: &Echo, tracks: &[Track]) {
    let body = json!({"audio": true, "video": true, "data": true});
    let reply = e.peer.offer(&e.handle, body, tracks, false).await.unwrap();
    assert_eq!(reply.data.data["result"], "ok", "{reply:?}");
    peer_connected(&e.peer).await;
    webrtcup(&e.handle).await;
}

/// Writes the tests' audio (and video, when given) every tick until `stop`, ignoring
/// refusals (a muted or removed track); returns the video bytes written.
async fn send_media(peer: &Peer, audio: &str, video: Option<&str>, stop: &AtomicBool) -> u64 {
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
    peer: &Peer,
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
async fn janus_media(handle: &Handle, mid: &str, receiving: bool) {
    let seen = handle
        .events()
        .wait_for(WAIT, pick::janus_media(mid, receiving));
    seen.await
        .unwrap_or_else(|e| panic!("no media event for {mid} receiving={receiving}: {e}"));
}

/// Waits for one echoed frame on `mid` (dropping other events).
async fn echoed_on(peer: &Peer, mid: &str) {
    let seen = peer.wait_for(WAIT, pick::frame_on(mid));
    seen.await
        .unwrap_or_else(|e| panic!("nothing echoed on {mid}: {e}"));
}

/// Sends one text message on `echo` and waits for its echo.
async fn data_round_trip(peer: &Peer, text: &str) {
    peer.send_data("echo", false, text.as_bytes())
        .await
        .unwrap();
    let echoed = peer.wait_for(WAIT, pick::echo_of(text));
    echoed
        .await
        .unwrap_or_else(|e| panic!("no echo of {text:?}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_video_and_data_connect_and_janus_says_webrtcup() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::video(), Track::data("echo")]).await;
        let audio = mid_of(&e.peer, TrackKind::Audio).await;
        let video = mid_of(&e.peer, TrackKind::Video).await;
        assert_ne!(audio, video);
        let remote = e.peer.call(|pc, _| pc.remote_tracks()).await.unwrap();
        assert_eq!(remote.len(), 2, "the EchoTest sends both back: {remote:?}");
        data_open(&e.peer).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_channel_echoes_text_and_binary_in_order() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::video(), Track::data("echo")]).await;
        data_open(&e.peer).await;
        for i in 0..100 {
            let text = text_message(i);
            e.peer
                .send_data("echo", false, text.as_bytes())
                .await
                .unwrap();
            e.peer
                .send_data("echo", true, &binary_message(i))
                .await
                .unwrap();
        }
        let mut echoes = DataEchoes::default();
        while !echoes.complete(100) {
            echoes.push(e.peer.wait_for(WAIT, pick::data).await.unwrap());
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
        let audio = mid_of(&e.peer, TrackKind::Audio).await;
        let video = mid_of(&e.peer, TrackKind::Video).await;
        // 100 ticks: 100 audio frames, 50 video frames; the echoes are read meanwhile.
        let sending = async {
            let mut sent = (BTreeSet::new(), BTreeSet::new());
            let mut tick = tokio::time::interval(TICK);
            for n in 0..100u32 {
                tick.tick().await;
                let a = audio_frame(n);
                if e.peer
                    .write_frame(&audio, a.rtp_time, &a.data)
                    .await
                    .unwrap()
                {
                    sent.0.insert(n);
                }
                if let Some(v) = video_frame(n) {
                    if e.peer
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
        let receiving = async {
            let mut got = (BTreeSet::new(), BTreeSet::new());
            let until = Instant::now() + TICK * 100 + Duration::from_secs(2);
            while Instant::now() < until && (got.0.len() < 90 || got.1.len() < 45) {
                let left = until.saturating_duration_since(Instant::now());
                let Ok(RtcEvent::Media(f)) = e.peer.recv_timeout(left).await else {
                    continue;
                };
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
            got
        };
        let (sent, got) = tokio::join!(sending, receiving);
        assert!(got.0.is_subset(&sent.0) && got.1.is_subset(&sent.1));
        assert!(got.0.len() >= 90, "audio echoed: {}", got.0.len());
        assert!(got.1.len() >= 45, "video echoed: {}", got.1.len());
        // Janus says it receives both mids.
        let mut receiving = BTreeSet::new();
        while receiving.len() < 2 {
            let pick = |ev| match ev {
                Event::Media { media, .. } => Some((media.mid.clone(), media.receiving)),
                _ => None,
            };
            if let (mid, true) = e.handle.events().wait_for(WAIT, pick).await.unwrap() {
                receiving.insert(mid.unwrap());
            }
        }
        assert_eq!(receiving, BTreeSet::from([audio, video]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_trickle_every_candidate_is_in_the_offer_and_it_connects() {
    within(async {
        let e = echo_with(PeerConfig {
            trickle: false,
            ..PeerConfig::default()
        })
        .await;
        let tracks = [Track::audio(), Track::data("echo")];
        let jsep = e.peer.create_offer(&tracks, false).await.unwrap();
        assert_eq!(jsep.trickle, Some(false));
        assert!(jsep.sdp.contains("a=candidate:"), "{}", jsep.sdp);
        let reply = e
            .handle
            .message(json!({"audio": true}), Some(jsep))
            .await
            .unwrap();
        e.peer
            .handle_remote_jsep(reply.jsep.as_ref().unwrap())
            .await
            .unwrap();
        assert!(
            e.peer.take_local_candidates().is_empty(),
            "nothing to trickle"
        );
        peer_connected(&e.peer).await;
        webrtcup(&e.handle).await;
        data_open(&e.peer).await;
        data_round_trip(&e.peer, "untrickled").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitrate_of_the_echoed_video_is_close_to_what_was_sent() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::video()]).await;
        let audio = mid_of(&e.peer, TrackKind::Audio).await;
        let video = mid_of(&e.peer, TrackKind::Video).await;
        let started = Instant::now();
        let measure = async {
            // Keep the event queue drained while the statistics accumulate.
            while started.elapsed() < Duration::from_secs(4) {
                let _ = e.peer.recv_timeout(Duration::from_millis(10)).await;
            }
            e.peer.bitrate(&video).await.unwrap()
        };
        let (sent, measured) = while_sending(&e.peer, &audio, Some(&video), measure).await;
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
        let audio = mid_of(&e.peer, TrackKind::Audio).await;
        let video = mid_of(&e.peer, TrackKind::Video).await;
        let checks = async {
            janus_media(&e.handle, &audio, true).await;
            e.peer.mute(&audio).await.unwrap();
            let mid = audio.clone();
            let muted = e.peer.call(move |pc, _| pc.is_muted(&mid)).await;
            assert!(muted.unwrap());
            janus_media(&e.handle, &audio, false).await;
            e.peer.unmute(&audio).await.unwrap();
            janus_media(&e.handle, &audio, true).await;
        };
        while_sending(&e.peer, &audio, Some(&video), checks).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renegotiation_adds_video_to_an_audio_call_then_removes_it() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::data("echo")]).await;
        let audio = mid_of(&e.peer, TrackKind::Audio).await;
        while_sending(&e.peer, &audio, None, echoed_on(&e.peer, &audio)).await;

        // Add video.
        let add = [Track::video()];
        let body = json!({"video": true});
        e.peer.offer(&e.handle, body, &add, false).await.unwrap();
        let video = e
            .peer
            .wait_for(WAIT, |ev| match ev {
                RtcEvent::LocalTrack { track, on: true } if track.kind == TrackKind::Video => {
                    Some(track.mid)
                }
                _ => None,
            })
            .await
            .unwrap();
        while_sending(&e.peer, &audio, Some(&video), echoed_on(&e.peer, &video)).await;

        // Remove it again: no longer a local track, audio still echoed.
        let remove = [Track::remove(TrackKind::Video, video.clone())];
        e.peer
            .offer(&e.handle, json!({}), &remove, false)
            .await
            .unwrap();
        e.peer
            .wait_for(WAIT, |ev| match ev {
                RtcEvent::LocalTrack { track, on: false } if track.mid == video => Some(()),
                _ => None,
            })
            .await
            .unwrap();
        let key = video_frame(0).unwrap();
        let refused = e.peer.write_frame(&video, key.rtp_time, &key.data).await;
        assert!(refused.is_err(), "{refused:?}");
        while_sending(&e.peer, &audio, None, echoed_on(&e.peer, &audio)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ice_restart_negotiates_new_credentials_and_data_keeps_flowing() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::data("echo")]).await;
        data_open(&e.peer).await;
        data_round_trip(&e.peer, "before").await;
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..2 {
            let offer = e.peer.create_offer(&[], true).await.unwrap();
            ours.push(ice_ufrag(&offer.sdp).unwrap().to_owned());
            let reply = e.handle.message(json!({}), Some(offer)).await.unwrap();
            let answer = reply.jsep.unwrap();
            theirs.push(ice_ufrag(&answer.sdp).unwrap().to_owned());
            e.peer.handle_remote_jsep(&answer).await.unwrap();
            e.peer.trickle(&e.handle).await.unwrap();
            for i in 0..10 {
                data_round_trip(&e.peer, &format!("after {i}")).await;
            }
        }
        // Each restart brings new credentials on both sides.
        assert_ne!(ours[0], ours[1]);
        assert_ne!(theirs[0], theirs[1]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hangup_closes_both_sides_and_a_new_peer_on_the_same_handle_works() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        connect_echo(&e, &[Track::audio(), Track::data("echo")]).await;
        e.handle.hangup().await.unwrap();
        let hangup = e
            .handle
            .events()
            .wait_for(WAIT, |ev| matches!(ev, Event::Hangup { .. }).then_some(ev))
            .await
            .unwrap();
        e.peer.handle_janus_event(&hangup).await.unwrap();
        e.peer.wait_for(WAIT, pick::closed).await.unwrap();
        let closed = e.peer.create_offer(&[Track::audio()], false).await;
        assert!(
            matches!(closed, Err(Error::Rtc(RtcError::Closed))),
            "{closed:?}"
        );
        // janus.js makes a new PeerConnection for the next call; so do we.
        let again = Peer::bind(PeerConfig::default(), e.peer.local_addr().ip(), 1024)
            .await
            .unwrap();
        let body = json!({"audio": true, "data": true});
        let tracks = [Track::audio(), Track::data("echo")];
        again.offer(&e.handle, body, &tracks, false).await.unwrap();
        peer_connected(&again).await;
        webrtcup(&e.handle).await;
        data_open(&again).await;
        data_round_trip(&again, "second call").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_sdp_from_either_side_is_a_typed_error() {
    within(async {
        let e = echo_with(PeerConfig::default()).await;
        e.peer.create_offer(&[Track::audio()], false).await.unwrap();
        let bad = Jsep::answer("v=0\r\nthis is not sdp\r\n");
        let refused = e.peer.handle_remote_jsep(&bad).await;
        assert!(
            matches!(refused, Err(Error::Rtc(RtcError::Sdp(_)))),
            "{refused:?}"
        );
        let refused = e.peer.create_answer(&Jsep::offer("m=audio\r\n")).await;
        assert!(
            matches!(refused, Err(Error::Rtc(RtcError::Sdp(_)))),
            "{refused:?}"
        );
        // An offer where an answer belongs.
        let refused = e.peer.handle_remote_jsep(&Jsep::offer("v=0\r\n")).await;
        assert!(matches!(refused, Err(Error::Rtc(_))), "{refused:?}");
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
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_full_trickle_janus_trickles_its_candidates_and_they_are_applied() {
    within(async {
        let janus = launch(Janus::builder().full_trickle(true));
        let client = connect(&janus).await;
        let session = client.create_session().await.unwrap();
        let handle = session.attach(ECHOTEST).await.unwrap();
        let peer = Peer::bind(PeerConfig::default(), janus.media_ip().into(), 1024)
            .await
            .unwrap();
        let tracks = [Track::audio(), Track::data("echo")];
        peer.offer(&handle, json!({"audio": true}), &tracks, false)
            .await
            .unwrap();
        // Janus's candidates come as `trickle` events; the peer gets each from the handle.
        let mut candidates = 0;
        loop {
            let ev = handle.events().recv_timeout(WAIT).await.unwrap();
            if let Event::Trickle {
                trickle: Trickle::Candidate(_),
                ..
            } = &ev
            {
                candidates += 1;
            }
            peer.handle_janus_event(&ev).await.unwrap();
            if matches!(ev, Event::WebrtcUp { .. }) {
                break;
            }
        }
        assert!(candidates >= 1, "Janus trickled its candidates");
        data_open(&peer).await;
        data_round_trip(&peer, "trickled").await;
    })
    .await;
}

/// The next VideoCall event named `name` on `handle`, with its JSEP.
async fn videocall_event(handle: &Handle, name: &str) -> (Value, Option<Jsep>) {
    let event = handle.events().wait_for(WAIT, pick::videocall_event(name));
    event
        .await
        .unwrap_or_else(|e| panic!("no {name} event: {e}"))
}

async fn register(handle: &Handle, name: &str) {
    let body = json!({"request": "register", "username": name});
    let reply = handle.message(body, None).await.unwrap();
    assert_eq!(
        reply.data.data["result"]["event"], "registered",
        "{reply:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_through_videocall_carries_audio_and_dtmf_between_two_peers() {
    within(async {
        let janus = launch(Janus::builder());
        let client = connect(&janus).await;
        let session = client.create_session().await.unwrap();
        let alice = session.attach(VIDEOCALL).await.unwrap();
        let bob = session.attach(VIDEOCALL).await.unwrap();
        register(&alice, "alice").await;
        register(&bob, "bob").await;
        // G.711 so that telephone-event/8000 shares the audio clock.
        let config = PeerConfig {
            opus: false,
            ..PeerConfig::default()
        };
        let ip = janus.media_ip().into();
        let pa = Peer::bind(config.clone(), ip, 4096).await.unwrap();
        let pb = Peer::bind(config, ip, 4096).await.unwrap();

        let offer = pa.create_offer(&[Track::audio()], false).await.unwrap();
        let call = json!({"request": "call", "username": "bob"});
        alice.message(call, Some(offer)).await.unwrap();
        pa.trickle(&alice).await.unwrap();
        let (_, offer) = videocall_event(&bob, "incomingcall").await;
        let answer = pb.create_answer(&offer.unwrap()).await.unwrap();
        bob.message(json!({"request": "accept"}), Some(answer))
            .await
            .unwrap();
        pb.trickle(&bob).await.unwrap();
        let (_, answer) = videocall_event(&alice, "accepted").await;
        // What Janus relays is a peer's SDP with the repeated `a=mid` janus-rtc normalises.
        pa.handle_remote_jsep(&answer.unwrap()).await.unwrap();
        peer_connected(&pa).await;
        peer_connected(&pb).await;
        let ma = mid_of(&pa, TrackKind::Audio).await;
        let mb = mid_of(&pb, TrackKind::Audio).await;
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
        let n = pb
            .wait_for(WAIT, |e| match e {
                RtcEvent::Media(f) if f.mid == mb => frame_number(&f.data),
                _ => None,
            })
            .await
            .unwrap();
        assert!(n < 20);

        // DTMF from alice arrives at bob as the same digits, in order.
        let (tone, gap) = (Duration::from_millis(100), Duration::from_millis(60));
        pa.insert_dtmf(&ma, "123#", tone, gap).await.unwrap();
        let mut digits = String::new();
        while digits.len() < 4 {
            let pick = |e| match e {
                RtcEvent::Dtmf { digit, .. } => Some(digit),
                _ => None,
            };
            digits.push(pb.wait_for(WAIT, pick).await.unwrap());
        }
        assert_eq!(digits, "123#");

        alice
            .message(json!({"request": "hangup"}), None)
            .await
            .unwrap();
        for h in [&alice, &bob] {
            h.events()
                .wait_for(WAIT, |ev| matches!(ev, Event::Hangup { .. }).then_some(()))
                .await
                .unwrap();
        }
    })
    .await;
}

/// Sends the three simulcast layers every [`LAYER_TICK`] until `stop`.
async fn send_layers(peer: &Peer, mid: &str, stop: &AtomicBool) {
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
async fn receives_layer(peer: &Peer, rid: &str, count: usize) {
    let mut run = 0;
    while run < count {
        let layer = peer.wait_for(WAIT, pick::layer).await;
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
        let publisher = session.attach(VIDEOROOM).await.unwrap();
        let join = json!({"request": "join", "ptype": "publisher", "room": 1234, "display": "sim"});
        let joined = publisher.message(join, None).await.unwrap();
        assert_eq!(joined.data.data["videoroom"], "joined", "{joined:?}");
        let feed = joined.data.data["id"].clone();
        let pub_peer = Peer::bind(PeerConfig::default(), ip, 1024).await.unwrap();
        let tracks = [Track::video().send_only().simulcast()];
        let publish = json!({"request": "publish"});
        let reply = pub_peer.offer(&publisher, publish, &tracks, false).await.unwrap();
        assert_eq!(reply.data.data["configured"], "ok", "{reply:?}");
        peer_connected(&pub_peer).await;
        // The feed exists for subscribers once Janus has its side up too.
        webrtcup(&publisher).await;
        let video = mid_of(&pub_peer, TrackKind::Video).await;

        let stop = AtomicBool::new(false);
        let checks = async {
            let _stop = StopOnDrop(&stop);
            // Subscriber: Janus offers, we answer.
            let subscriber = session.attach(VIDEOROOM).await.unwrap();
            let join = json!({"request": "join", "ptype": "subscriber", "room": 1234, "streams": [{"feed": feed}]});
            let attached = subscriber.message(join, None).await.unwrap();
            assert_eq!(attached.data.data["videoroom"], "attached", "{attached:?}");
            let sub_peer = Peer::bind(PeerConfig::default(), ip, 4096).await.unwrap();
            let start = json!({"request": "start"});
            let offer = attached.jsep.as_ref().unwrap();
            sub_peer.answer(&subscriber, start, offer).await.unwrap();
            peer_connected(&sub_peer).await;
            let remote = sub_peer.call(|pc, _| pc.remote_tracks()).await.unwrap();
            assert_eq!(remote.len(), 1, "{remote:?}");

            // Janus starts with the highest layer, then switches to the one asked for.
            receives_layer(&sub_peer, "h", 10).await;
            let low = json!({"request": "configure", "substream": 0});
            subscriber.message(low, None).await.unwrap();
            // Janus says when it has switched (after a keyframe of the new layer).
            let switched = pick::plugin_event(|d| d["substream"] == 0);
            let (switched, _) = subscriber.events().wait_for(WAIT, switched).await.unwrap();
            assert_eq!(switched["videoroom"], "event", "{switched}");
            receives_layer(&sub_peer, "l", 10).await;
            let middle = json!({"request": "configure", "substream": 1});
            subscriber.message(middle, None).await.unwrap();
            receives_layer(&sub_peer, "m", 10).await;
        };
        tokio::join!(send_layers(&pub_peer, &video, &stop), checks);
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
        webrtcup(&handle).await;
        assert_eq!(tasks(), before + 1);
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
