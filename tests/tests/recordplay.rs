//! The Record&Play workflows of both adapters (`plugins::recordplay::Recorder` and
//! `Player`) against the real plugin, with real media, recordings in the instance's own
//! folder. A recorder sends the Opus and VP8 samples (typed `recording` with the id asked
//! for), `configure`s its bitrate cap and keyframe interval (the settings echoed), `pause`s
//! and `resume`s (typed), `stop`s (typed `stopped`, then `done`); `list` shows the
//! recording with audio and video; `update` rescans (typed `ok`). `janus-pp-rec` converts
//! both `.mjr` files into files `ffprobe` reads as Opus and VP8 with about the recorded
//! duration. A player `play`s it back: every frame it receives is one of the samples', byte
//! for byte (the plugin replays the recorded packets), until the typed `done`. Playing an
//! unknown id is a typed `NotFound`. `blocking` and `tokio_adapter` run the same scenarios.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;

use janus_proto::plugin::recordplay::{ErrorCode, Event, RecordingInfo};
use janus_rtc::{HandleEvent, Track, TrackInfo, TrackKind};
use janus_tests::samples::Relayed;
use janus_tests::tools::{ffprobe, pp_rec};

/// The recording's id.
const ID: u64 = 4242;
/// How long the recorder sends, and how long of it is paused (not recorded).
const SENDING_MS: u64 = 4000;
const PAUSED_MS: u64 = 1000;

fn send_only() -> [Track; 2] {
    [Track::audio().send_only(), Track::video().send_only()]
}

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

/// The listed recording `ID`, with audio and video.
fn check_listed(list: &[RecordingInfo]) {
    let ours = list.iter().find(|r| r.id == ID).expect("listed");
    assert_eq!(ours.name.as_deref(), Some("samples"));
    assert_eq!(
        (ours.audio, ours.video),
        (Some(true), Some(true)),
        "{ours:?}"
    );
    assert_eq!(ours.audio_codec.as_deref(), Some("opus"));
    assert_eq!(ours.video_codec.as_deref(), Some("vp8"));
}

/// `janus-pp-rec` turns each `.mjr` into a file `ffprobe` reads, of about the recorded
/// length (what was sent minus the pause; generous bounds for the connection's start).
fn check_files(dir: &Path) {
    let recorded = (SENDING_MS - PAUSED_MS) as f64 / 1000.0;
    for (kind, ext, codec) in [("audio", "opus", "opus"), ("video", "webm", "vp8")] {
        let mjr = dir.join(format!("rec-{ID}-{kind}.mjr"));
        assert!(mjr.exists(), "{} missing", mjr.display());
        let out = dir.join(format!("converted-{kind}.{ext}"));
        pp_rec(&mjr, &out).unwrap();
        let probe = ffprobe(&out).unwrap();
        assert_eq!(probe.codecs, [codec], "{probe:?}");
        assert!(
            probe.duration > recorded - 1.5 && probe.duration < recorded + 1.5,
            "{kind}: {probe:?}, about {recorded} s recorded"
        );
    }
}

/// Takes one event into `relayed`; whether the player's frames suffice: 2 s of audio and
/// 1 s of video.
fn played_enough(relayed: &mut Relayed, e: &HandleEvent) -> bool {
    if let HandleEvent::Rtc(janus_rtc::Event::Media(f)) = e {
        relayed.push(f);
    }
    relayed.count("opus") >= 100 && relayed.count("vp8") >= 30
}

fn code(e: Option<u16>) -> Option<ErrorCode> {
    e.map(ErrorCode::from_code)
}

fn is_ok(e: &Event) -> bool {
    matches!(e, Event::Ok)
}

mod blocking {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use janus_blocking::plugins::recordplay::{self, Player, Recorder};
    use janus_blocking::rtc::PeerConfig;
    use janus_blocking::{Client, Connection, Session};
    use janus_proto::ClientConfig;
    use janus_proto::plugin::recordplay::{Configure, List, Play, Record, Update};
    use janus_tests::Janus;
    use janus_tests::rtc::{StopOnDrop, WAIT, pick};
    use janus_tests::samples::{Kind, Samples};

    use super::*;

    fn session(janus: &Janus) -> Session {
        let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
        client.create_session().unwrap()
    }

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

    #[test]
    fn a_recording_of_the_samples_is_listed_converts_and_plays_back_frame_for_frame() {
        let janus = Janus::launch().unwrap();
        let session = session(&janus);
        let ip = janus.media_ip().into();
        let record = Record {
            id: Some(ID),
            ..Record::new("samples")
        };
        let recorder =
            Recorder::record(&session, PeerConfig::default(), ip, &record, &send_only()).unwrap();
        assert_eq!(recorder.id(), Some(ID));
        recorder
            .handle()
            .events()
            .wait_for(WAIT, pick::connected)
            .unwrap();
        let settings = recorder
            .configure(&Configure {
                video_bitrate_max: Some(512_000),
                video_keyframe_interval: Some(2),
                ..Configure::new()
            })
            .unwrap();
        assert_eq!(
            (settings.video_bitrate_max, settings.video_keyframe_interval),
            (Some(512_000), Some(2))
        );
        let peer = recorder.handle().peer().unwrap();
        let m = mids(&peer.local_tracks().unwrap());
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            s.spawn(|| send_samples(peer, &m, &stop));
            let half = Duration::from_millis((SENDING_MS - PAUSED_MS) / 2);
            std::thread::sleep(half);
            assert_eq!(recorder.pause().unwrap().id, Some(ID));
            std::thread::sleep(Duration::from_millis(PAUSED_MS));
            assert_eq!(recorder.resume().unwrap().id, Some(ID));
            std::thread::sleep(half);
        });
        let stopped = recorder.stop().unwrap();
        assert_eq!(stopped.id, Some(ID));
        // (Janus 1.1 says `done` without the id.)
        assert!(recorder.wait_done(WAIT).is_ok());

        let admin = session
            .attach(janus_proto::plugin::recordplay::PLUGIN)
            .unwrap();
        assert!(is_ok(&recordplay::request(&admin, &Update::new()).unwrap()));
        let Event::List(list) = recordplay::request(&admin, &List::new()).unwrap() else {
            panic!("not a list")
        };
        check_listed(&list);
        check_files(&janus.recordings_dir());

        let player = Player::play(&session, PeerConfig::default(), ip, &Play::new(ID)).unwrap();
        assert_eq!(player.preparing().id, Some(ID));
        let mut relayed = Relayed::default();
        player
            .handle()
            .events()
            .wait_for(WAIT, |e| played_enough(&mut relayed, &e).then_some(()))
            .unwrap_or_else(|e| panic!("{e}: played {:?}", relayed.identical));
        assert!(relayed.different.len() <= 2, "{:?}", relayed.different);
        assert!(player.wait_done(WAIT).is_ok());
    }

    #[test]
    fn playing_an_unknown_recording_is_a_typed_record_and_play_error() {
        let janus = Janus::launch().unwrap();
        let session = session(&janus);
        let ip = janus.media_ip().into();
        let e =
            Player::play(&session, PeerConfig::default(), ip, &Play::new(999_999_u64)).unwrap_err();
        assert_eq!(code(e.plugin_code()), Some(ErrorCode::NotFound), "{e}");
    }
}

mod tokio_adapter {
    use std::future::Future;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use janus_proto::ClientConfig;
    use janus_proto::plugin::recordplay::{List, Play, Record, Update};
    use janus_tests::Janus;
    use janus_tests::rtc::{StopOnDrop, WAIT, pick};
    use janus_tests::samples::{Kind, Samples};
    use janus_tokio::plugins::recordplay::{self, Player, Recorder};
    use janus_tokio::rtc::PeerConfig;
    use janus_tokio::{Client, Connection};

    use super::*;

    async fn within<T>(body: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(90), body)
            .await
            .expect("test timed out")
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_recording_of_the_samples_is_listed_converts_and_plays_back_frame_for_frame() {
        let janus = Janus::launch().unwrap();
        within(async {
            let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap())
                .await
                .unwrap();
            let session = client.create_session().await.unwrap();
            let ip = janus.media_ip().into();
            let record = Record {
                id: Some(ID),
                ..Record::new("samples")
            };
            let recorder =
                Recorder::record(&session, PeerConfig::default(), ip, &record, &send_only())
                    .await
                    .unwrap();
            assert_eq!(recorder.id(), Some(ID));
            recorder
                .handle()
                .events()
                .wait_for(WAIT, pick::connected)
                .await
                .unwrap();
            let peer = recorder.handle().peer().unwrap();
            let m = mids(&peer.local_tracks().await.unwrap());
            let stop = AtomicBool::new(false);
            let _stop = StopOnDrop(&stop);
            let steps = async {
                let half = Duration::from_millis((SENDING_MS - PAUSED_MS) / 2);
                tokio::time::sleep(half).await;
                assert_eq!(recorder.pause().await.unwrap().id, Some(ID));
                tokio::time::sleep(Duration::from_millis(PAUSED_MS)).await;
                assert_eq!(recorder.resume().await.unwrap().id, Some(ID));
                tokio::time::sleep(half).await;
                stop.store(true, Ordering::Relaxed);
            };
            tokio::join!(send_samples(peer, m, &stop), steps);
            assert_eq!(recorder.stop().await.unwrap().id, Some(ID));
            assert!(recorder.wait_done(WAIT).await.is_ok());

            let admin = session
                .attach(janus_proto::plugin::recordplay::PLUGIN)
                .await
                .unwrap();
            assert!(is_ok(
                &recordplay::request(&admin, &Update::new()).await.unwrap()
            ));
            let Event::List(list) = recordplay::request(&admin, &List::new()).await.unwrap() else {
                panic!("not a list")
            };
            check_listed(&list);
            check_files(&janus.recordings_dir());

            let player = Player::play(&session, PeerConfig::default(), ip, &Play::new(ID))
                .await
                .unwrap();
            let mut relayed = Relayed::default();
            player
                .handle()
                .events()
                .wait_for(WAIT, |e| played_enough(&mut relayed, &e).then_some(()))
                .await
                .unwrap_or_else(|e| panic!("{e}: played {:?}", relayed.identical));
            assert!(relayed.different.len() <= 2, "{:?}", relayed.different);
            assert!(player.wait_done(WAIT).await.is_ok());
            let e = Player::play(&session, PeerConfig::default(), ip, &Play::new(999_999_u64))
                .await
                .unwrap_err();
            assert_eq!(code(e.plugin_code()), Some(ErrorCode::NotFound), "{e}");
        })
        .await;
    }
}
