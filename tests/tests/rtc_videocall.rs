//! The VideoCall workflows of both adapters (`plugins::videocall::User`) against the real
//! plugin, with real media. Two of our handles register (`list` names both), one calls
//! (typed `calling`), the other gets a typed `incomingcall` with the offer and accepts;
//! the caller's typed `accepted` brings the answer, which the handle applies (the relayed
//! SDP repeats `a=mid`, which str0m needs normalised). Then the Opus and VP8 samples flow
//! both ways, every frame received byte for byte one of the sample's, and data both ways.
//! `set` with `audio: false` stops the callee's audio at the caller (video goes on) and
//! `audio: true` brings it back; the same for video; `set` with a bitrate is answered;
//! `set` with `record` writes the caller's `.mjr` files; `set` with a new offer reaches the
//! callee as a typed `update`, whose answer comes back the same way; `hangup` is a typed
//! `hangup` at both, and both connections close. A caller offering G.711 sends DTMF end to
//! end (the EchoTest can never carry it). Calling an unknown user, registering a taken
//! name and calling before registering are typed plugin errors.
//! `blocking` and `tokio_adapter` run the same scenarios, each on its adapter.
#![allow(clippy::unwrap_used, missing_docs)]

use janus_proto::plugin::videocall::ErrorCode;
use janus_rtc::{HandleEvent, Track, TrackInfo, TrackKind};
use janus_tests::samples::Relayed;

/// Frames of each codec a side must receive byte for byte: 2 s of audio, 1 s of video.
const AUDIO_FRAMES: usize = 100;
const VIDEO_FRAMES: usize = 30;

/// What both sides send and receive: audio, video and a data channel.
fn av_data() -> [Track; 3] {
    [Track::audio(), Track::video(), Track::data("chat")]
}

/// The mids of our audio and video tracks.
fn mids(tracks: &[TrackInfo]) -> (String, String) {
    let mid = |kind| {
        tracks
            .iter()
            .find(|t| t.kind == kind)
            .map(|t| t.mid.clone())
            .unwrap()
    };
    (mid(TrackKind::Audio), mid(TrackKind::Video))
}

/// Takes one event into `relayed`; whether enough of both codecs arrived.
fn relayed_enough(relayed: &mut Relayed, e: HandleEvent) -> bool {
    if let HandleEvent::Rtc(janus_rtc::Event::Media(f)) = e {
        relayed.push(&f);
    }
    relayed.count("opus") >= AUDIO_FRAMES && relayed.count("vp8") >= VIDEO_FRAMES
}

/// The frames received: (Opus, VP8) counts.
fn count(e: &HandleEvent, counts: &mut (usize, usize)) {
    if let HandleEvent::Rtc(janus_rtc::Event::Media(f)) = e {
        match f.codec.to_ascii_lowercase().as_str() {
            "opus" => counts.0 += 1,
            "vp8" => counts.1 += 1,
            _ => {}
        }
    }
}

/// The plugin error code of an adapter error, typed.
fn videocall_code(code: Option<u16>) -> Option<ErrorCode> {
    code.map(ErrorCode::from_code)
}

mod blocking {
    use std::net::IpAddr;
    use std::path::Path;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use janus_blocking::plugins::videocall::{self, User};
    use janus_blocking::rtc::{Event as RtcEvent, PeerConfig};
    use janus_blocking::{Client, Connection, Session};
    use janus_proto::ClientConfig;
    use janus_proto::plugin::videocall::Set;
    use janus_proto::plugin::videocall::{Event, HungUp};
    use janus_tests::Janus;
    use janus_tests::media::{frame_number, opus_frame};
    use janus_tests::rtc::{StopOnDrop, WAIT, pick};
    use janus_tests::samples::{Kind, Samples};

    use super::*;

    fn session(janus: &Janus) -> Session {
        let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
        client.create_session().unwrap()
    }

    /// Writes the samples until `stop`.
    fn send_samples(peer: &Connection, (audio, video): &(String, String), stop: &AtomicBool) {
        let mut samples = Samples::new(Instant::now(), true);
        while !stop.load(Ordering::Relaxed) {
            let (frames, next) = samples.due(Instant::now());
            for (kind, f) in frames {
                let mid = if kind == Kind::Audio { audio } else { video };
                let _ = peer.write_frame(mid, f.rtp_time, &f.data);
            }
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    }

    fn relayed(user: &User) -> Relayed {
        let mut relayed = Relayed::default();
        user.handle()
            .events()
            .wait_for(WAIT * 2, |e| relayed_enough(&mut relayed, e).then_some(()))
            .unwrap_or_else(|e| panic!("{e}: received {:?}", relayed.identical));
        relayed
    }

    /// Waits (up to `WAIT`) for a second in which the (Opus, VP8) frames `user` receives
    /// satisfy `ok`: what `set` changed shows whatever the load, frames already on their
    /// way when it was sent do not fail the test. Panics with the last counts.
    fn a_second_where(user: &User, ok: impl Fn(usize, usize) -> bool, what: &str) {
        let events = user.handle().events();
        let give_up = Instant::now() + WAIT;
        let mut counts = (0, 0);
        while Instant::now() < give_up {
            counts = (0, 0);
            let until = Instant::now() + Duration::from_secs(1);
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                match events.recv_timeout(left) {
                    Ok(e) => count(&e, &mut counts),
                    Err(_) => break,
                }
            }
            if ok(counts.0, counts.1) {
                return;
            }
        }
        panic!(
            "{what}: no such second; last {} opus, {} vp8",
            counts.0, counts.1
        );
    }

    /// Sends `text` on `chat` until `to` receives it (the plugin drops data until the
    /// receiver's SCTP association is ready, as a browser finds too).
    fn relay_data(from: &Connection, to: &User, text: &str) {
        let until = Instant::now() + WAIT;
        loop {
            from.send_data("chat", false, text.as_bytes()).unwrap();
            match to
                .handle()
                .events()
                .wait_for(Duration::from_millis(200), pick::data)
            {
                Ok(m) => {
                    assert_eq!(
                        (m.label.as_str(), m.data.as_slice()),
                        ("chat", text.as_bytes())
                    );
                    return;
                }
                Err(e) if e.is_timeout() && Instant::now() < until => {}
                Err(e) => panic!("{text:?} never relayed: {e}"),
            }
        }
    }

    /// Alice calls bob, bob accepts: both registered, both connected.
    fn call(session: &Session, ip: IpAddr, offered: &[Track], answered: &[Track]) -> (User, User) {
        let alice = User::register(session, PeerConfig::default(), ip, "alice").unwrap();
        let bob = User::register(session, PeerConfig::default(), ip, "bob").unwrap();
        let mut names = alice.list().unwrap();
        names.sort();
        assert_eq!(names, ["alice", "bob"]);
        alice.call("bob", offered).unwrap();
        let (caller, offer) = bob.wait_incoming_call(WAIT).unwrap();
        assert_eq!(caller.username.as_deref(), Some("alice"));
        bob.accept(&offer, answered).unwrap();
        let callee = alice.wait_accepted(WAIT).unwrap();
        assert_eq!(callee.username.as_deref(), Some("bob"));
        for u in [&alice, &bob] {
            u.handle().events().wait_for(WAIT, pick::connected).unwrap();
        }
        (alice, bob)
    }

    /// The peer's typed `hangup` and its connection's `Closed`, in either order.
    fn hangup_and_close(user: &User) -> HungUp {
        let (mut hangup, mut closed) = (None, false);
        user.handle()
            .events()
            .wait_for(WAIT, |e| {
                closed |= matches!(e, HandleEvent::Rtc(RtcEvent::Closed));
                if let Some(Ok(Event::Hangup(h))) = videocall::event(&e) {
                    hangup = Some(h);
                }
                (closed && hangup.is_some()).then_some(())
            })
            .unwrap();
        hangup.unwrap()
    }

    fn local_mids(user: &User) -> (String, String) {
        mids(&user.handle().peer().unwrap().local_tracks().unwrap())
    }

    fn mjr_size(base: &Path, kind: &str) -> u64 {
        let path = base.with_file_name(format!(
            "{}-{kind}.mjr",
            base.file_name().unwrap().to_string_lossy()
        ));
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
    }

    #[test]
    #[allow(clippy::too_many_lines)]
    fn a_videocall_carries_the_samples_and_data_both_ways_and_set_changes_what_is_relayed() {
        let janus = Janus::launch().unwrap();
        let session = session(&janus);
        let ip = janus.media_ip().into();
        let (alice, bob) = call(&session, ip, &av_data(), &av_data());
        let (pa, pb) = (alice.handle().peer().unwrap(), bob.handle().peer().unwrap());
        let (ma, mb) = (local_mids(&alice), local_mids(&bob));
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            s.spawn(|| send_samples(pa, &ma, &stop));
            s.spawn(|| send_samples(pb, &mb, &stop));
            // Both ways, every frame one of the samples', byte for byte.
            for user in [&alice, &bob] {
                let relayed = relayed(user);
                assert!(relayed.different.is_empty(), "{:?}", relayed.different);
            }
            // (The channels opened meanwhile: their `DataOpen` went by with the frames.)
            relay_data(pa, &bob, "hello bob");
            relay_data(pb, &alice, "hello alice");

            // Bob's audio off: alice gets his video only; on again: his audio is back.
            bob.set(&Set {
                audio: Some(false),
                ..Set::new()
            })
            .unwrap();
            a_second_where(&alice, |opus, vp8| opus == 0 && vp8 > 10, "audio off");
            bob.set(&Set {
                audio: Some(true),
                ..Set::new()
            })
            .unwrap();
            a_second_where(&alice, |opus, _| opus > 20, "audio on again");
            bob.set(&Set {
                video: Some(false),
                ..Set::new()
            })
            .unwrap();
            a_second_where(&alice, |opus, vp8| vp8 == 0 && opus > 20, "video off");
            bob.set(&Set {
                video: Some(true),
                bitrate: Some(256_000),
                ..Set::new()
            })
            .unwrap();
            a_second_where(&alice, |_, vp8| vp8 > 10, "video on again");

            // Alice records herself for a second: her audio and video files grow.
            let base = janus.recordings_dir().join("alice-call");
            alice
                .set(&Set {
                    record: Some(true),
                    filename: Some(base.display().to_string()),
                    ..Set::new()
                })
                .unwrap();
            std::thread::sleep(Duration::from_secs(1));
            alice
                .set(&Set {
                    record: Some(false),
                    ..Set::new()
                })
                .unwrap();
            for kind in ["audio", "video"] {
                let size = mjr_size(&base, kind);
                assert!(size > 2000, "{kind} recording: {size} bytes");
            }

            // A renegotiation: alice's new offer is bob's typed `update`; his answer comes
            // back in alice's `update`, which her handle applies; media go on.
            alice.renegotiate(&Set::new(), &[]).unwrap();
            let offer = bob.wait_update(WAIT).unwrap();
            assert_eq!(offer.kind, janus_proto::SdpType::Offer);
            bob.answer_update(&offer, &Set::new(), &[]).unwrap();
            let answer = alice.wait_update(WAIT).unwrap();
            assert_eq!(answer.kind, janus_proto::SdpType::Answer);
            a_second_where(&bob, |opus, vp8| opus > 20 && vp8 > 10, "after the update");
        });

        // Alice hangs up: typed `hangup` at both; both connections close.
        let ours = alice.hangup().unwrap();
        assert_eq!(ours.username.as_deref(), Some("alice"));
        // Bob's connection may close before his `hangup` event comes: wait for both at once.
        let theirs = hangup_and_close(&bob);
        assert_eq!(theirs.username.as_deref(), Some("alice"));
        assert!(theirs.reason.is_some());
        alice
            .handle()
            .events()
            .wait_for(WAIT, pick::closed)
            .unwrap();
    }

    #[test]
    fn a_call_through_videocall_carries_g711_and_dtmf_between_two_handles() {
        let janus = Janus::launch().unwrap();
        let session = session(&janus);
        // G.711 so that telephone-event/8000 shares the audio clock.
        let config = PeerConfig {
            opus: false,
            ..PeerConfig::default()
        };
        let ip = janus.media_ip().into();
        let alice = User::register(&session, config.clone(), ip, "alice").unwrap();
        let bob = User::register(&session, config, ip, "bob").unwrap();
        alice.call("bob", &[Track::audio()]).unwrap();
        let (_, offer) = bob.wait_incoming_call(WAIT).unwrap();
        bob.accept(&offer, &[]).unwrap();
        alice.wait_accepted(WAIT).unwrap();
        for u in [&alice, &bob] {
            u.handle().events().wait_for(WAIT, pick::connected).unwrap();
        }
        let (pa, pb) = (alice.handle().peer().unwrap(), bob.handle().peer().unwrap());
        let audio = |p: &Connection| {
            p.local_tracks()
                .unwrap()
                .into_iter()
                .find(|t| t.kind == TrackKind::Audio)
                .unwrap()
                .mid
        };
        let (ma, mb) = (audio(pa), audio(pb));
        let codec = pa.call({
            let ma = ma.clone();
            move |pc, _| pc.send_codec(&ma)
        });
        assert_eq!(codec.unwrap().unwrap().1, 8000, "G.711 negotiated");
        // Audio from alice reaches bob.
        for n in 0..20u32 {
            pa.write_frame(&ma, u64::from(n) * 160, &opus_frame(n, 160))
                .unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        let n = bob
            .handle()
            .events()
            .wait_for(WAIT, |e| match e {
                HandleEvent::Rtc(RtcEvent::Media(f)) if f.mid == mb => frame_number(&f.data),
                _ => None,
            })
            .unwrap();
        assert!(n < 20);
        // DTMF from alice arrives at bob as the same digits, in order.
        pa.insert_dtmf(
            &ma,
            "123#",
            Duration::from_millis(100),
            Duration::from_millis(60),
        )
        .unwrap();
        let mut digits = String::new();
        while digits.len() < 4 {
            let d = bob
                .handle()
                .events()
                .wait_for(WAIT, |e| match e {
                    HandleEvent::Rtc(RtcEvent::Dtmf { digit, .. }) => Some(digit),
                    _ => None,
                })
                .unwrap();
            digits.push(d);
        }
        assert_eq!(digits, "123#");
        bob.hangup().unwrap();
        assert_eq!(
            alice.wait_hangup(WAIT).unwrap().username.as_deref(),
            Some("bob")
        );
    }

    #[test]
    fn calling_an_unknown_user_or_taking_a_taken_name_are_typed_videocall_errors() {
        let janus = Janus::launch().unwrap();
        let session = session(&janus);
        let ip = janus.media_ip().into();
        let alice = User::register(&session, PeerConfig::default(), ip, "alice").unwrap();
        let e = alice.call("nobody", &[Track::audio()]).unwrap_err();
        assert_eq!(
            videocall_code(e.plugin_code()),
            Some(ErrorCode::NoSuchUsername),
            "{e}"
        );
        let e = User::register(&session, PeerConfig::default(), ip, "alice").unwrap_err();
        assert_eq!(
            videocall_code(e.plugin_code()),
            Some(ErrorCode::UsernameTaken),
            "{e}"
        );
        let mut unregistered = session.attach(janus_tests::rtc::VIDEOCALL).unwrap();
        unregistered.add_peer(PeerConfig::default(), ip).unwrap();
        let e = janus_blocking::plugins::videocall::request(
            &unregistered,
            &janus_proto::plugin::videocall::Call::new("alice"),
        )
        .unwrap_err();
        assert_eq!(
            videocall_code(e.plugin_code()),
            Some(ErrorCode::RegisterFirst),
            "{e}"
        );
    }
}

mod tokio_adapter {
    use std::future::Future;
    use std::net::IpAddr;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use janus_proto::ClientConfig;
    use janus_proto::plugin::videocall::Event;
    use janus_proto::plugin::videocall::Set;
    use janus_tests::Janus;
    use janus_tests::rtc::{StopOnDrop, WAIT, pick};
    use janus_tests::samples::{Kind, Samples};
    use janus_tokio::plugins::videocall::{self, User};
    use janus_tokio::rtc::PeerConfig;
    use janus_tokio::{Client, Connection, Session};

    use super::*;

    async fn within<T>(body: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(90), body)
            .await
            .expect("test timed out")
    }

    async fn session(janus: &Janus) -> Session {
        let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap())
            .await
            .unwrap();
        client.create_session().await.unwrap()
    }

    async fn send_samples(peer: &Connection, (audio, video): (String, String), stop: &AtomicBool) {
        let mut samples = Samples::new(Instant::now(), true);
        while !stop.load(Ordering::Relaxed) {
            let (frames, next) = samples.due(Instant::now());
            for (kind, f) in frames {
                let mid = if kind == Kind::Audio { &audio } else { &video };
                let _ = peer.write_frame(mid, f.rtp_time, &f.data).await;
            }
            tokio::time::sleep_until(next.into()).await;
        }
    }

    /// As the blocking `a_second_where`.
    async fn a_second_where(user: &User, ok: impl Fn(usize, usize) -> bool, what: &str) {
        let events = user.handle().events();
        let give_up = Instant::now() + WAIT;
        let mut counts = (0, 0);
        while Instant::now() < give_up {
            counts = (0, 0);
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                while let Ok(e) = events.recv().await {
                    count(&e, &mut counts);
                }
            })
            .await;
            if ok(counts.0, counts.1) {
                return;
            }
        }
        panic!(
            "{what}: no such second; last {} opus, {} vp8",
            counts.0, counts.1
        );
    }

    async fn local_mids(user: &User) -> (String, String) {
        mids(&user.handle().peer().unwrap().local_tracks().await.unwrap())
    }

    async fn call(session: &Session, ip: IpAddr) -> (User, User) {
        let alice = User::register(session, PeerConfig::default(), ip, "alice")
            .await
            .unwrap();
        let bob = User::register(session, PeerConfig::default(), ip, "bob")
            .await
            .unwrap();
        assert_eq!(alice.list().await.unwrap().len(), 2);
        alice.call("bob", &av_data()).await.unwrap();
        let (caller, offer) = bob.wait_incoming_call(WAIT).await.unwrap();
        assert_eq!(caller.username.as_deref(), Some("alice"));
        bob.accept(&offer, &av_data()).await.unwrap();
        let callee = alice.wait_accepted(WAIT).await.unwrap();
        assert_eq!(callee.username.as_deref(), Some("bob"));
        for u in [&alice, &bob] {
            u.handle()
                .events()
                .wait_for(WAIT, pick::connected)
                .await
                .unwrap();
        }
        (alice, bob)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_videocall_carries_the_samples_both_ways_and_set_and_hangup_are_typed() {
        let janus = Janus::launch().unwrap();
        within(async {
            let session = session(&janus).await;
            let ip = janus.media_ip().into();
            let (alice, bob) = call(&session, ip).await;
            let (pa, pb) = (alice.handle().peer().unwrap(), bob.handle().peer().unwrap());
            let (ma, mb) = (local_mids(&alice).await, local_mids(&bob).await);
            let stop = AtomicBool::new(false);
            let _stop = StopOnDrop(&stop);
            let check = async {
                for user in [&alice, &bob] {
                    let mut relayed = Relayed::default();
                    user.handle()
                        .events()
                        .wait_for(WAIT * 2, |e| relayed_enough(&mut relayed, e).then_some(()))
                        .await
                        .unwrap_or_else(|e| panic!("{e}: received {:?}", relayed.identical));
                    assert!(relayed.different.is_empty(), "{:?}", relayed.different);
                }
                bob.set(&Set {
                    video: Some(false),
                    ..Set::new()
                })
                .await
                .unwrap();
                a_second_where(&alice, |opus, vp8| vp8 == 0 && opus > 20, "video off").await;
                bob.set(&Set {
                    video: Some(true),
                    ..Set::new()
                })
                .await
                .unwrap();
                a_second_where(&alice, |_, vp8| vp8 > 10, "video on again").await;
                stop.store(true, Ordering::Relaxed);
            };
            tokio::join!(
                send_samples(pa, ma, &stop),
                send_samples(pb, mb, &stop),
                check
            );
            let ours = bob.hangup().await.unwrap();
            assert_eq!(ours.username.as_deref(), Some("bob"));
            // Alice's connection may close before her `hangup` event: wait for both at once.
            let (mut theirs, mut closed) = (None, false);
            alice
                .handle()
                .events()
                .wait_for(WAIT, |e| {
                    closed |= matches!(e, HandleEvent::Rtc(janus_rtc::Event::Closed));
                    if let Some(Ok(Event::Hangup(h))) = videocall::event(&e) {
                        theirs = Some(h);
                    }
                    (closed && theirs.is_some()).then_some(())
                })
                .await
                .unwrap();
            assert_eq!(theirs.unwrap().username.as_deref(), Some("bob"));
            bob.handle()
                .events()
                .wait_for(WAIT, pick::closed)
                .await
                .unwrap();
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn calling_an_unknown_user_is_a_typed_videocall_error() {
        let janus = Janus::launch().unwrap();
        within(async {
            let session = session(&janus).await;
            let ip = janus.media_ip().into();
            let alice = User::register(&session, PeerConfig::default(), ip, "alice")
                .await
                .unwrap();
            let e = alice.call("nobody", &[Track::audio()]).await.unwrap_err();
            assert_eq!(
                videocall_code(e.plugin_code()),
                Some(ErrorCode::NoSuchUsername),
                "{e}"
            );
            let e = User::register(&session, PeerConfig::default(), ip, "alice")
                .await
                .unwrap_err();
            assert_eq!(
                videocall_code(e.plugin_code()),
                Some(ErrorCode::UsernameTaken),
                "{e}"
            );
        })
        .await;
    }
}
