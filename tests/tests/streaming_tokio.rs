//! The Streaming workflows of `janus-tokio` against the real plugin: mountpoints made
//! with the typed `create`, fed with real RTP (Opus, VP8, data) by the test itself, watched
//! by a `Viewer` that must receive those frames byte for byte; `pause`, `start`, `switch`,
//! `configure`, `stop`, `destroy`, `list` and `info`, each checked by what arrives; then
//! `disable`/`enable` and `kick_all`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, Instant};

use janus_proto::ClientConfig;
use janus_proto::plugin::id::Id;
use janus_proto::plugin::streaming::{
    Configure, Destroy, Disable, Done, Enable, ErrorCode, Event, Info, KickAll, KickedAll, List,
    Status, StreamConfig, Watch,
};
use janus_tests::Janus;
use janus_tests::rtc::WAIT;
use janus_tests::streaming::{RtpSender, STREAMING, Tally, datagram, mountpoint};
use janus_tokio::plugins::streaming::{self, Viewer};
use janus_tokio::rtc::PeerConfig;
use janus_tokio::{Client, Session};
use serde_json::json;

/// Long enough for ~50 Opus and ~25 VP8 frames.
const WINDOW: Duration = Duration::from_secs(1);
/// What may still be on its way after a change.
const GRACE: Duration = Duration::from_millis(300);

/// Everything the viewer's handle receives for `d`.
async fn tally(viewer: &Viewer, d: Duration) -> Tally {
    let mut t = Tally::default();
    let until = Instant::now() + d;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match viewer.handle().events().recv_timeout(left).await {
            Ok(e) if !left.is_zero() => t.push(e),
            _ => return t,
        }
    }
}

async fn session(janus: &Janus) -> (Client, Session) {
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap())
        .await
        .unwrap();
    let session = client.create_session().await.unwrap();
    (client, session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_gets_the_mountpoints_rtp_byte_for_byte_and_pause_start_switch_configure_destroy_act_on_it()
 {
    let janus = tokio::task::block_in_place(Janus::launch).unwrap();
    let (_client, session) = session(&janus).await;
    let admin = session.attach(STREAMING).await.unwrap();
    let a = streaming::request(&admin, &mountpoint(1001, "A"))
        .await
        .unwrap();
    let b = streaming::request(&admin, &mountpoint(1002, "B"))
        .await
        .unwrap();
    assert_eq!(
        (a.stream.id.clone(), b.stream.id.clone()),
        (1001.into(), 1002.into())
    );

    // list and info, typed.
    let list = streaming::request(&admin, &List::default()).await.unwrap();
    let ids: Vec<Id> = list.list.iter().map(|m| m.id.clone()).collect();
    assert!(
        ids.contains(&1001.into()) && ids.contains(&1002.into()),
        "{ids:?}"
    );
    let info = streaming::request(&admin, &Info::new(1001))
        .await
        .unwrap()
        .info;
    assert_eq!(info.description.as_deref(), Some("A"));
    let mids: Vec<_> = info
        .media
        .iter()
        .map(|m| m.mid.clone().unwrap_or_default())
        .collect();
    assert_eq!(mids, ["a", "v", "d"]);

    let feed_a = RtpSender::start(&a, 0);
    let feed_b = RtpSender::start(&b, 1_000_000);
    let (viewer, said) = Viewer::watch(
        &session,
        PeerConfig::default(),
        janus.media_ip().into(),
        &Watch::new(1001),
    )
    .await
    .unwrap();
    assert_eq!(said.status(), Some(&Status::Starting), "{said:?}");

    // Frames of A arrive, each as sent.
    let first = tally(&viewer, 2 * WINDOW).await;
    eprintln!(
        "watching A: {} Opus, {} VP8, {} data, channels {:?} (sender at tick {})",
        first.audio.len(),
        first.video.len(),
        first.data.len(),
        first.opened,
        feed_a.ticks()
    );
    assert!(first.corrupt.is_empty(), "{:?}", first.corrupt);
    assert!(first.audio.len() >= 50, "{first:?}");
    assert!(first.video.len() >= 20, "{first:?}");
    assert!(
        first
            .audio
            .iter()
            .chain(&first.video)
            .all(|n| *n < 1_000_000)
    );
    assert!(first.audio.windows(2).all(|w| w[0] < w[1]), "in order");
    // The datagrams sent to the data port arrive on the data channel Janus opens.
    assert_eq!(first.opened, ["JanusDataChannel"]);
    assert!(first.data.len() >= 5, "{first:?}");
    let n: u32 = first.data[0]["data ".len()..].parse().unwrap();
    let sent: Vec<String> = (n..).take(first.data.len()).map(datagram).collect();
    assert_eq!(first.data, sent);

    // pause: nothing arrives any more; start: it does again.
    let paused = viewer.pause().await.unwrap();
    assert_eq!(paused.status(), Some(&Status::Pausing), "{paused:?}");
    tally(&viewer, GRACE).await;
    let during = tally(&viewer, WINDOW).await;
    assert_eq!(during.frames(), 0, "frames while paused: {during:?}");
    let resumed = viewer.start().await.unwrap();
    assert!(
        matches!(resumed.status(), Some(Status::Started | Status::Starting)),
        "{resumed:?}"
    );
    let after = tally(&viewer, WINDOW).await;
    eprintln!(
        "paused: {} frames; resumed: {} Opus, {} VP8",
        during.frames(),
        after.audio.len(),
        after.video.len()
    );
    assert!(after.audio.len() >= 25, "{after:?}");
    assert!(after.corrupt.is_empty(), "{:?}", after.corrupt);

    // switch to B: B's frames (numbered from 1,000,000) arrive instead.
    let switched = viewer.switch(1002).await.unwrap();
    assert!(
        matches!(&switched, Event::Switched { id, .. } if *id == 1002.into()),
        "{switched:?}"
    );
    tally(&viewer, GRACE).await;
    let on_b = tally(&viewer, WINDOW).await;
    eprintln!("on B: {} Opus, {} VP8", on_b.audio.len(), on_b.video.len());
    assert!(on_b.audio.len() >= 25, "{on_b:?}");
    assert!(
        on_b.audio
            .iter()
            .chain(&on_b.video)
            .all(|n| *n >= 1_000_000),
        "{on_b:?}"
    );
    assert!(on_b.corrupt.is_empty(), "{:?}", on_b.corrupt);

    // configure: video off, audio on (`streams` since Janus 1.2; before, one stream's
    // `mid` and `send` at the top level).
    let video_off = if janus.version().at_least(1, 2, 0) {
        Configure {
            streams: vec![StreamConfig {
                send: Some(false),
                ..StreamConfig::new("v")
            }],
            ..Configure::default()
        }
    } else {
        let extra = json!({"mid": "v", "send": false});
        Configure {
            extra: extra.as_object().unwrap().clone(),
            ..Configure::default()
        }
    };
    let configured = viewer.configure(&video_off).await.unwrap();
    assert!(
        matches!(configured, Event::Configured { .. }),
        "{configured:?}"
    );
    tally(&viewer, GRACE).await;
    let audio_only = tally(&viewer, WINDOW).await;
    assert!(audio_only.audio.len() >= 25, "{audio_only:?}");
    assert!(audio_only.video.is_empty(), "{audio_only:?}");
    eprintln!(
        "video off: {} Opus, {} VP8",
        audio_only.audio.len(),
        audio_only.video.len()
    );

    // destroy B: the viewer hears it, typed.
    let destroyed = streaming::request(&admin, &Destroy::new(1002))
        .await
        .unwrap();
    assert_eq!(destroyed.destroyed, 1002.into());
    let stopped = viewer
        .wait_event(WAIT, |e| e.status() == Some(&Status::Stopped))
        .await
        .unwrap();
    assert_eq!(stopped.status(), Some(&Status::Stopped));
    drop(feed_b);

    // A second viewer of A stops on its own.
    let (second, _) = Viewer::watch(
        &session,
        PeerConfig::default(),
        janus.media_ip().into(),
        &Watch::new(1001),
    )
    .await
    .unwrap();
    let got = tally(&second, WINDOW).await;
    assert!(got.audio.len() >= 10, "{got:?}");
    let stopping = second.stop().await.unwrap();
    assert_eq!(stopping.status(), Some(&Status::Stopping), "{stopping:?}");
    drop(feed_a);
    let list = streaming::request(&admin, &List::default()).await.unwrap();
    let ids: Vec<Id> = list.list.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids, [Id::from(1001)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_a_mountpoint_that_does_not_exist_is_a_typed_plugin_error() {
    let janus = tokio::task::block_in_place(Janus::launch).unwrap();
    let (_client, session) = session(&janus).await;
    let e = Viewer::watch(
        &session,
        PeerConfig::default(),
        janus.media_ip().into(),
        &Watch::new(999),
    )
    .await
    .unwrap_err();
    let code = e.plugin_code().map(ErrorCode::from_code);
    assert_eq!(code, Some(ErrorCode::NoSuchMountpoint), "{e:?}");
    let admin = session.attach(STREAMING).await.unwrap();
    let e = streaming::request(&admin, &Info::new(999))
        .await
        .unwrap_err();
    assert_eq!(
        e.plugin_code().map(ErrorCode::from_code),
        Some(ErrorCode::NoSuchMountpoint)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_mountpoint_relays_nothing_and_relays_again_once_enabled() {
    let janus = tokio::task::block_in_place(Janus::launch).unwrap();
    let (_client, session) = session(&janus).await;
    let admin = session.attach(STREAMING).await.unwrap();
    let created = streaming::request(&admin, &mountpoint(1102, "toggle"))
        .await
        .unwrap();
    let _feed = RtpSender::start(&created, 0);
    let ip = janus.media_ip().into();
    let watch = Watch::new(1102);
    let (viewer, _) = Viewer::watch(&session, PeerConfig::default(), ip, &watch)
        .await
        .unwrap();
    let before = tally(&viewer, WINDOW).await;
    assert!(before.audio.len() >= 25, "{before:?}");

    // `stop_recording: false`: with the default (true) Janus 1.1.2 and 1.4.1 dereference
    // the recorder of every stream, recording or not, and crash.
    let disable = Disable {
        stop_recording: Some(false),
        ..Disable::new(1102)
    };
    let _: Done = streaming::request(&admin, &disable).await.unwrap();
    let info = streaming::request(&admin, &Info::new(1102))
        .await
        .unwrap()
        .info;
    assert_eq!(info.enabled, Some(false), "{info:?}");
    tally(&viewer, GRACE).await;
    let disabled = tally(&viewer, WINDOW).await;
    assert_eq!(disabled.frames(), 0, "frames while disabled: {disabled:?}");
    // `watch` is still accepted (the plugin only stops relaying): nothing arrives either.
    let (late, said) = Viewer::watch(&session, PeerConfig::default(), ip, &watch)
        .await
        .unwrap();
    assert_eq!(said.status(), Some(&Status::Starting), "{said:?}");
    let late_disabled = tally(&late, WINDOW).await;
    assert_eq!(late_disabled.frames(), 0, "{late_disabled:?}");

    let _: Done = streaming::request(&admin, &Enable::new(1102))
        .await
        .unwrap();
    let info = streaming::request(&admin, &Info::new(1102))
        .await
        .unwrap()
        .info;
    assert_eq!(info.enabled, Some(true), "{info:?}");
    for v in [&viewer, &late] {
        let again = tally(v, WINDOW).await;
        assert!(again.audio.len() >= 25, "{again:?}");
        assert!(again.video.len() >= 10, "{again:?}");
        assert!(again.corrupt.is_empty(), "{:?}", again.corrupt);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kick_all_removes_every_viewer_with_the_kicked_all_status() {
    let janus = tokio::task::block_in_place(Janus::launch).unwrap();
    let (_client, session) = session(&janus).await;
    let admin = session.attach(STREAMING).await.unwrap();
    let created = streaming::request(&admin, &mountpoint(1103, "kick"))
        .await
        .unwrap();
    let _feed = RtpSender::start(&created, 0);
    let ip = janus.media_ip().into();
    let mut viewers = Vec::new();
    for _ in 0..2 {
        let (v, _) = Viewer::watch(&session, PeerConfig::default(), ip, &Watch::new(1103))
            .await
            .unwrap();
        viewers.push(v);
    }
    for v in &viewers {
        let got = tally(v, WINDOW).await;
        assert!(got.audio.len() >= 25, "{got:?}");
    }
    let _: KickedAll = streaming::request(&admin, &KickAll::new(1103))
        .await
        .unwrap();
    for v in &viewers {
        let kicked = v
            .wait_event(WAIT, |e| e.status() == Some(&Status::KickedAll))
            .await
            .unwrap();
        assert_eq!(kicked.status(), Some(&Status::KickedAll));
    }
    tally(&viewers[0], GRACE).await;
    let after = tally(&viewers[0], WINDOW).await;
    assert_eq!(after.frames(), 0, "frames after kick_all: {after:?}");
}
