//! Records what a real Record&Play plugin says, as golden fixtures for
//! `janus-proto/tests/plugin_recordplay.rs`.
//!
//! `cargo xtask netns -- cargo run -p janus-tests --bin record_recordplay_fixtures [OUT_DIR]`
//! (Janus 1.4.1: `env JANUS_BINARY="$(cargo xtask janus-1.4)"` before `cargo run`). Writes
//! `OUT_DIR/<janus version>/<name>.json` (default OUT_DIR:
//! janus-proto/tests/fixtures/plugins/recordplay), each one whole Janus message as received.
//! Every request is built with `janus_proto::plugin::recordplay`'s types. A real
//! PeerConnection (`janus-blocking`'s `Peer`) records a second of the Opus and VP8 samples
//! (`recording`, `configure`, `pause`, `resume`, `stopped`, `done`), another plays it back
//! (`preparing`, `playing`, `done`); `list`, `update` and the plugin's errors around them.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use janus_blocking::Peer;
use janus_blocking::rtc::{PeerConfig, Track, TrackKind};
use janus_proto::plugin::PluginRequest;
use janus_proto::plugin::recordplay::{
    Configure, List, PLUGIN, Pause, Play, Record, Resume, Start, Stop, Update,
};
use janus_tests::Janus;
use janus_tests::record::{Recorder, candidates, default_dir, jsep_of, jsep_value};
use janus_tests::samples::{Kind, Samples};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const WAIT: Duration = Duration::from_secs(10);
const ID: u64 = 1001;

fn main() -> ExitCode {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| default_dir("recordplay"), PathBuf::from);
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

fn status_is(status: &'static str) -> impl Fn(&Value) -> bool {
    move |d| d["result"] == status || d["result"]["status"] == status
}

/// Writes the samples to `peer` for `how_long`.
fn send(peer: &Peer, how_long: Duration) -> Result<()> {
    let tracks = peer.local_tracks()?;
    let mid = |kind| {
        tracks
            .iter()
            .find(|t| t.kind == kind)
            .map(|t| t.mid.clone())
            .unwrap_or_default()
    };
    let (audio, video) = (mid(TrackKind::Audio), mid(TrackKind::Video));
    let start = Instant::now();
    let mut samples = Samples::new(start, true);
    while start.elapsed() < how_long {
        let (frames, next) = samples.due(Instant::now());
        for (kind, f) in frames {
            let mid = if kind == Kind::Audio { &audio } else { &video };
            peer.write_frame(mid, f.rtp_time, &f.data)?;
        }
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    Ok(())
}

fn record(out: PathBuf) -> Result<()> {
    let janus = Janus::builder().only_plugins(&["recordplay"]).launch()?;
    let version = janus.version().string.clone();
    println!("recording the Record&Play of Janus {version}");
    let mut r = Recorder::new(&janus, out.join(&version))?;
    let ip = janus.media_ip().into();
    let (recorder, player) = (r.attach(PLUGIN)?, r.attach(PLUGIN)?);

    r.record(recorder, "list-empty", body(&List::new())?)?;
    r.record(recorder, "update", body(&Update::new())?)?;
    let configure = Configure {
        video_bitrate_max: Some(512_000),
        video_keyframe_interval: Some(3),
        ..Configure::new()
    };
    r.record(recorder, "configure", body(&configure)?)?;
    r.record(
        recorder,
        "error-invalid-request",
        json!({"request": "dance"}),
    )?;
    r.record(
        player,
        "error-play-not-found",
        body(&Play::new(999_999_u64))?,
    )?;
    r.record(player, "error-play-missing-id", json!({"request": "play"}))?;
    r.record(player, "error-start-invalid-state", body(&Start::new())?)?;
    r.record(
        recorder,
        "error-record-no-sdp",
        body(&Record::new("no offer"))?,
    )?;

    let pr = Peer::bind(PeerConfig::default(), ip, 4096)?;
    let offer = pr.create_offer(
        &[Track::audio().send_only(), Track::video().send_only()],
        false,
    )?;
    let record = Record {
        id: Some(ID),
        ..Record::new("fixture")
    };
    let m = r.message(recorder, body(&record)?, Some(jsep_value(&offer)?))?;
    r.save("record-recording", &m)?;
    pr.handle_remote_jsep(&jsep_of(&m)?)?;
    r.trickle(recorder, candidates(&pr))?;
    r.wait_core(recorder, "webrtcup", WAIT)?;
    send(&pr, Duration::from_millis(600))?;
    r.record(recorder, "pause", body(&Pause::new())?)?;
    r.record(recorder, "resume", body(&Resume::new())?)?;
    send(&pr, Duration::from_millis(600))?;
    r.record(recorder, "stop-stopped", body(&Stop::new())?)?;
    let done = r.wait_event(recorder, WAIT, status_is("done"))?;
    r.save("event-done-recording", &done)?;
    r.record(player, "list", body(&List::new())?)?;

    let pp = Peer::bind(PeerConfig::default(), ip, 4096)?;
    let m = r.message(player, body(&Play::new(ID))?, None)?;
    r.save("play-preparing", &m)?;
    let answer = pp.create_answer(&jsep_of(&m)?, &[])?;
    let m = r.message(player, body(&Start::new())?, Some(jsep_value(&answer)?))?;
    r.save("start-playing", &m)?;
    r.trickle(player, candidates(&pp))?;
    let done = r.wait_event(player, WAIT, status_is("done"))?;
    r.save("event-done-playout", &done)?;
    r.destroy()?;
    println!("done: {} files", r.written.len());
    Ok(())
}
