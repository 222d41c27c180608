//! Records what a real VoiceMail plugin says, as golden fixtures for
//! `janus-proto/tests/plugin_voicemail.rs`.
//!
//! `cargo xtask netns -- cargo run -p janus-tests --bin record_voicemail_fixtures [OUT_DIR]`.
//! Writes `OUT_DIR/<janus version>/<name>.json` (default OUT_DIR:
//! janus-proto/tests/fixtures/plugins/voicemail), each one whole Janus message as received.
//! Debian's Janus 1.1.2 has the plugin; a Janus without it (1.4.1) records nothing and
//! says so. A real PeerConnection (`janus-blocking`'s `Peer`) records a second of the Opus
//! sample: `starting` with the answer, `started`, `done` with the file; and the errors.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use janus_blocking::Peer;
use janus_blocking::rtc::{PeerConfig, Track};
use janus_proto::plugin::PluginRequest;
use janus_proto::plugin::voicemail::{PLUGIN, Record, Stop, Update};
use janus_tests::Janus;
use janus_tests::record::{Recorder, candidates, default_dir, jsep_of, jsep_value};
use janus_tests::samples::Samples;
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const WAIT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| default_dir("voicemail"), PathBuf::from);
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

fn record(out: PathBuf) -> Result<()> {
    let janus = Janus::builder().only_plugins(&["voicemail"]).launch()?;
    let version = janus.version().string.clone();
    if !janus.has_plugin(PLUGIN)? {
        println!("Janus {version} has no VoiceMail plugin: nothing to record");
        return Ok(());
    }
    println!("recording the VoiceMail of Janus {version}");
    let mut r = Recorder::new(&janus, out.join(&version))?;
    let ip = janus.media_ip().into();
    let handle = r.attach(PLUGIN)?;
    r.record(handle, "error-update-invalid-state", body(&Update::new())?)?;
    r.record(handle, "error-invalid-request", json!({"request": "dance"}))?;

    let peer = Peer::bind(PeerConfig::default(), ip, 4096)?;
    let offer = peer.create_offer(&[Track::audio()], false)?;
    let m = r.message(handle, body(&Record::new())?, Some(jsep_value(&offer)?))?;
    r.save("record-starting", &m)?;
    peer.handle_remote_jsep(&jsep_of(&m)?)?;
    r.trickle(handle, candidates(&peer))?;
    let started = r.wait_event(handle, WAIT, |d| d["status"] == "started")?;
    r.save("event-started", &started)?;
    r.record(handle, "error-already-recording", body(&Record::new())?)?;
    let mid = peer.local_tracks()?[0].mid.clone();
    let start = Instant::now();
    let mut samples = Samples::new(start, false);
    while start.elapsed() < Duration::from_secs(1) {
        let (frames, next) = samples.due(Instant::now());
        for (_, f) in frames {
            peer.write_frame(&mid, f.rtp_time, &f.data)?;
        }
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    r.record(handle, "stop-done", body(&Stop::new())?)?;
    r.wait_core(handle, "detached", WAIT)?;
    r.destroy()?;
    println!("done: {} files", r.written.len());
    Ok(())
}
