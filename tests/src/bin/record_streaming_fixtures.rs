//! Records what a real Janus's Streaming plugin says, as golden fixtures for
//! `janus-proto/tests/plugin_streaming.rs`.
//!
//! `cargo xtask netns -- cargo run -p janus-tests --bin record_streaming_fixtures [OUT_DIR]`
//! (default OUT_DIR: janus-proto/tests/fixtures/plugins/streaming). Each file is one whole
//! Janus message (`success` or `event` with `plugindata`), named after the request or event.
//! Every request is built with `janus_proto::plugin::streaming`'s types. One viewer makes a
//! real PeerConnection (`janus-blocking`'s `Peer`) to record `starting`/`started`, `pause`,
//! `configure` and `switch`; then the same with the plugin's `string_ids` on (files
//! prefixed `string-ids-`). Takes a few seconds.
#![allow(clippy::print_stdout)]

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use janus_blocking::Peer;
use janus_blocking::rtc::PeerConfig;
use janus_proto::Jsep;
use janus_proto::plugin::PluginRequest;
use janus_proto::plugin::id::Id;
use janus_proto::plugin::streaming::{
    Configure, Create, Destroy, Disable, Edit, Enable, Info, KickAll, List, MediaConfig, MediaType,
    PLUGIN, Pause, Recording, Start, Stop, StreamConfig, Switch, Watch,
};
use janus_tests::Janus;
use janus_tests::record::{Recorder, default_dir};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const SECRET: &str = "mp-secret";
const WAIT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| default_dir("streaming"), PathBuf::from);
    match record(out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("recording failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn body<R: PluginRequest>(r: &R) -> Result<Value> {
    Ok(r.to_body()?)
}

/// The RTP mountpoint of the fixtures: Opus audio, VP8 video and a text data channel, each
/// on a port the plugin picks.
fn av_mountpoint(id: impl Into<Id>, description: &str) -> Create {
    Create {
        id: Some(id.into()),
        description: Some(description.into()),
        metadata: Some("{\"channel\":1}".into()),
        secret: Some(SECRET.into()),
        ..Create::rtp(vec![
            MediaConfig {
                label: Some("Audio".into()),
                ..MediaConfig::rtp(MediaType::Audio, "a", 0, 111, "opus")
            },
            MediaConfig {
                label: Some("Video".into()),
                ..MediaConfig::rtp(MediaType::Video, "v", 0, 100, "vp8")
            },
            MediaConfig {
                datatype: Some("text".into()),
                ..MediaConfig::new(MediaType::Data, "d", 0)
            },
        ])
    }
}

/// A few Opus-looking RTP packets to `port`, so that `list` and `info` report `age_ms`.
fn feed_rtp(port: u64) -> Result<()> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    for seq in 0u16..5 {
        let mut packet = vec![0x80, 111];
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(&(u32::from(seq) * 960).to_be_bytes());
        packet.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        packet.extend_from_slice(&[0xf8, 0xff, 0xfe]);
        socket.send_to(&packet, ("127.0.0.1", u16::try_from(port)?))?;
    }
    std::thread::sleep(Duration::from_millis(100));
    Ok(())
}

fn status_is(status: &'static str) -> impl Fn(&Value) -> bool {
    move |d: &Value| d["result"]["status"] == status
}

fn record(out: PathBuf) -> Result<()> {
    let mut janus = Janus::launch()?;
    let result = record_on(&mut janus, out);
    if result.is_err() {
        eprintln!("Janus's log ends with:\n{}", janus.log_tail(40));
    }
    result
}

fn record_on(janus: &mut Janus, out: PathBuf) -> Result<()> {
    println!(
        "recording Janus {} at {} into {}",
        janus.version().string,
        janus.ws_url(),
        out.display()
    );
    let mut r = Recorder::new(janus, out.clone())?;
    let admin = r.attach(PLUGIN)?;

    // Synchronous requests.
    r.record(admin, "list-empty", body(&List::default())?)?;
    let created = r.record(admin, "create-rtp", body(&av_mountpoint(1, "Fixture A/V"))?)?;
    r.record(
        admin,
        "create-rtp-private",
        body(&Create {
            id: Some(2.into()),
            description: Some("Private audio".into()),
            is_private: Some(true),
            pin: Some("1234".into()),
            ..Create::rtp(vec![MediaConfig::rtp(
                MediaType::Audio,
                "a",
                0,
                111,
                "opus",
            )])
        })?,
    )?;
    r.record(
        admin,
        "create-rtp-same-media",
        body(&av_mountpoint(3, "Fixture A/V 2"))?,
    )?;
    let audio_port = created.value["plugindata"]["data"]["stream"]["ports"][0]["port"]
        .as_u64()
        .ok_or("no audio port in the created reply")?;
    feed_rtp(audio_port)?;
    r.record(admin, "list", body(&List::default())?)?;
    r.record(admin, "info", body(&Info::new(1))?)?;
    r.record(
        admin,
        "info-with-secret",
        body(&Info {
            secret: Some(SECRET.into()),
            ..Info::new(1)
        })?,
    )?;
    r.record(
        admin,
        "edit",
        body(&Edit {
            secret: Some(SECRET.into()),
            new_description: Some("Fixture A/V (edited)".into()),
            new_pin: Some(String::new()),
            ..Edit::new(1)
        })?,
    )?;
    r.record(
        admin,
        "disable",
        // (Janus 1.1.2 crashes on a disable that stops recordings when none runs.)
        body(&Disable {
            secret: Some(SECRET.into()),
            stop_recording: Some(false),
            ..Disable::new(1)
        })?,
    )?;
    r.record(
        admin,
        "enable",
        body(&Enable {
            secret: Some(SECRET.into()),
            ..Enable::new(1)
        })?,
    )?;
    let recording = std::env::temp_dir().join(format!("streaming-fixture-{}", std::process::id()));
    r.record(
        admin,
        "recording-start",
        body(&Recording {
            secret: Some(SECRET.into()),
            ..Recording::start(1, [("a", recording.display().to_string())])
        })?,
    )?;
    r.record(
        admin,
        "recording-stop",
        body(&Recording {
            secret: Some(SECRET.into()),
            ..Recording::stop(1, ["a"])
        })?,
    )?;
    let _ = std::fs::remove_file(recording.with_extension("mjr"));

    // Errors, synchronous and asynchronous.
    r.record(
        admin,
        "error-info-no-such-mountpoint",
        body(&Info::new(999))?,
    )?;
    r.record(
        admin,
        "error-create-id-taken",
        body(&av_mountpoint(1, "again"))?,
    )?;
    r.record(
        admin,
        "error-edit-unauthorized",
        body(&Edit {
            secret: Some("wrong".into()),
            ..Edit::new(1)
        })?,
    )?;
    r.record(admin, "error-unknown-request", json!({"request": "bogus"}))?;
    r.record(admin, "error-missing-element", json!({"request": "info"}))?;
    r.record(
        admin,
        "error-invalid-element",
        json!({"request": "info", "id": "one"}),
    )?;
    // (A fresh handle each: a handle that watched once stays tied to its mountpoint.)
    let h = r.attach(PLUGIN)?;
    r.record(h, "error-watch-no-such-mountpoint", body(&Watch::new(999))?)?;
    let h = r.attach(PLUGIN)?;
    r.record(h, "error-switch-not-watching", body(&Switch::new(3))?)?;
    if janus.version().at_least(1, 4, 0) {
        // (Janus 1.1.2 does not answer a `stop` on a handle that never watched.)
        let h = r.attach(PLUGIN)?;
        r.record(h, "stop-idle", body(&Stop::default())?)?;
    }

    record_viewer(&mut r, janus)?;

    // Viewers that only got as far as the offer are still viewers: kick_all and destroy
    // tell them.
    let kicked = r.attach(PLUGIN)?;
    r.message(kicked, body(&Watch::new(1))?, None)?;
    r.record(
        admin,
        "kick-all",
        body(&KickAll {
            secret: Some(SECRET.into()),
            ..KickAll::new(1)
        })?,
    )?;
    let event = r.wait_event(kicked, WAIT, status_is("kicked_all"))?;
    r.save("event-kicked-all", &event)?;
    let orphan = r.attach(PLUGIN)?;
    r.message(orphan, body(&Watch::new(3))?, None)?;
    r.record(
        admin,
        "destroy",
        body(&Destroy {
            secret: Some(SECRET.into()),
            ..Destroy::new(3)
        })?,
    )?;
    let event = r.wait_event(orphan, WAIT, status_is("stopped"))?;
    r.save("event-stopped", &event)?;
    r.record(admin, "destroy-private", body(&Destroy::new(2))?)?;
    r.destroy()?;
    let mut written = r.written.len();

    // The same plugin with string ids.
    janus.stop()?;
    std::fs::write(
        janus.config_dir().join("janus.plugin.streaming.jcfg"),
        "general: {\n\tstring_ids = true\n}\n",
    )?;
    janus.start()?;
    let mut r = Recorder::new(janus, out)?;
    r.prefix = "string-ids-".into();
    let admin = r.attach(PLUGIN)?;
    r.record(admin, "create", body(&av_mountpoint("tv", "String ids"))?)?;
    r.record(admin, "list", body(&List::default())?)?;
    r.record(
        admin,
        "info-with-secret",
        body(&Info {
            secret: Some(SECRET.into()),
            ..Info::new("tv")
        })?,
    )?;
    r.record(
        admin,
        "edit",
        body(&Edit {
            secret: Some(SECRET.into()),
            new_metadata: Some("news".into()),
            ..Edit::new("tv")
        })?,
    )?;
    r.record(admin, "error-numeric-id", body(&Info::new(1))?)?;
    let viewer = r.attach(PLUGIN)?;
    let offer = r.message(viewer, body(&Watch::new("tv"))?, None)?;
    r.save("watch-preparing", &offer)?;
    r.record(
        admin,
        "kick-all",
        body(&KickAll {
            secret: Some(SECRET.into()),
            ..KickAll::new("tv")
        })?,
    )?;
    r.wait_event(viewer, WAIT, status_is("kicked_all"))?;
    r.record(
        admin,
        "destroy",
        body(&Destroy {
            secret: Some(SECRET.into()),
            ..Destroy::new("tv")
        })?,
    )?;
    r.destroy()?;
    written += r.written.len();
    println!("done: {written} files");
    Ok(())
}

/// A viewer with a real PeerConnection: `watch` (Janus offers), `start` with our answer,
/// `started` once the PeerConnection is up, then `pause`, `start` again, an ICE restart
/// (`watch` with `restart`, `start` with the new answer), `configure`,
/// `switch`, an `edit` that notifies viewers, and `stop`.
fn record_viewer(r: &mut Recorder, janus: &Janus) -> Result<()> {
    let viewer = r.attach(PLUGIN)?;
    let preparing = r.message(viewer, body(&Watch::new(1))?, None)?;
    r.save("watch-preparing", &preparing)?;
    let offer: Jsep = serde_json::from_value(preparing.value["jsep"].clone())?;
    let peer = Peer::bind(PeerConfig::default(), janus.media_ip().into(), 1024)?;
    let answer = peer.create_answer(&offer, &[])?;
    let starting = r.message(
        viewer,
        body(&Start::default())?,
        Some(serde_json::to_value(&answer)?),
    )?;
    r.save("start-starting", &starting)?;
    let candidates: Vec<Value> = peer
        .take_local_candidates()
        .iter()
        .map(janus_proto::Trickle::to_value)
        .collect();
    if !candidates.is_empty() {
        r.trickle(viewer, candidates)?;
    }
    r.wait_core(viewer, "webrtcup", WAIT)?;
    let started = r.wait_event(viewer, WAIT, status_is("started"))?;
    r.save("event-started", &started)?;
    r.record(viewer, "pause-pausing", body(&Pause::default())?)?;
    r.record(viewer, "start-resumed", body(&Start::default())?)?;
    // An ICE restart: Janus offers again, we answer with `start`.
    let updating = r.message(
        viewer,
        body(&Watch {
            restart: Some(true),
            ..Watch::new(1)
        })?,
        None,
    )?;
    r.save("watch-restart-updating", &updating)?;
    let offer: Jsep = serde_json::from_value(updating.value["jsep"].clone())?;
    let answer = peer.create_answer(&offer, &[])?;
    let restarted = r.message(
        viewer,
        body(&Start::default())?,
        Some(serde_json::to_value(&answer)?),
    )?;
    r.save("start-after-restart", &restarted)?;
    let candidates: Vec<Value> = peer
        .take_local_candidates()
        .iter()
        .map(janus_proto::Trickle::to_value)
        .collect();
    if !candidates.is_empty() {
        r.trickle(viewer, candidates)?;
    }
    r.record(
        viewer,
        "configure-configured",
        body(&Configure {
            streams: vec![StreamConfig {
                send: Some(false),
                ..StreamConfig::new("v")
            }],
            ..Configure::default()
        })?,
    )?;
    r.record(viewer, "switch-switched", body(&Switch::new(3))?)?;
    let admin = r.attach(PLUGIN)?;
    r.record(
        admin,
        "edit-with-event",
        body(&Edit {
            secret: Some(SECRET.into()),
            new_metadata: Some("{\"channel\":2}".into()),
            edited_event: Some(true),
            ..Edit::new(3)
        })?,
    )?;
    let edited = r.wait_event(viewer, WAIT, |d| d["event"] == "edited")?;
    r.save("event-edited", &edited)?;
    r.record(viewer, "stop-stopping", body(&Stop::default())?)?;
    r.wait_core(viewer, "hangup", WAIT)?;
    drop(peer);
    Ok(())
}
