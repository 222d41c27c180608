//! Records what a real VideoCall plugin says, as golden fixtures for
//! `janus-proto/tests/plugin_videocall.rs`.
//!
//! `cargo xtask netns -- cargo run -p janus-tests --bin record_videocall_fixtures [OUT_DIR]`
//! (Janus 1.4.1: `env JANUS_BINARY="$(cargo xtask janus-1.4)"` before `cargo run`). Writes
//! `OUT_DIR/<janus version>/<name>.json` (default OUT_DIR:
//! janus-proto/tests/fixtures/plugins/videocall), each one whole Janus message as received.
//! Every request is built with `janus_proto::plugin::videocall`'s types. Two real
//! PeerConnections (`janus-blocking`'s `Peer`) make a call: `calling`, `incomingcall`,
//! `accepted` on both sides, `set`, a renegotiation (`update` both ways), `hangup` on both
//! sides; and the plugin's errors. Takes a few seconds.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use janus_blocking::Peer;
use janus_blocking::rtc::{PeerConfig, Track};
use janus_proto::plugin::PluginRequest;
use janus_proto::plugin::videocall::{Accept, Call, Hangup, List, PLUGIN, Register, Set};
use janus_tests::Janus;
use janus_tests::record::{Recorder, candidates, default_dir, jsep_of, jsep_value};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const WAIT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| default_dir("videocall"), PathBuf::from);
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

fn event_is(name: &'static str) -> impl Fn(&Value) -> bool {
    move |d| d["result"]["event"] == name
}

fn record(out: PathBuf) -> Result<()> {
    let janus = Janus::builder().only_plugins(&["videocall"]).launch()?;
    let version = janus.version().string.clone();
    println!("recording the VideoCall of Janus {version}");
    let mut r = Recorder::new(&janus, out.join(&version))?;
    let ip = janus.media_ip().into();
    let (alice, bob, carol) = (r.attach(PLUGIN)?, r.attach(PLUGIN)?, r.attach(PLUGIN)?);

    r.record(alice, "list-empty", body(&List::new())?)?;
    r.record(carol, "error-register-first", body(&Call::new("bob"))?)?;
    r.record(alice, "register", body(&Register::new("alice"))?)?;
    r.record(bob, "register-bob", body(&Register::new("bob"))?)?;
    r.record(
        carol,
        "error-username-taken",
        body(&Register::new("alice"))?,
    )?;
    r.record(
        alice,
        "error-already-registered",
        body(&Register::new("alicia"))?,
    )?;
    r.record(alice, "list", body(&List::new())?)?;
    r.record(
        alice,
        "error-missing-element",
        json!({"request": "register"}),
    )?;
    r.record(alice, "error-invalid-request", json!({"request": "dance"}))?;
    r.record(alice, "error-missing-sdp", body(&Call::new("bob"))?)?;
    r.record(bob, "error-no-call", body(&Accept::new())?)?;

    let pa = Peer::bind(PeerConfig::default(), ip, 1024)?;
    let pb = Peer::bind(PeerConfig::default(), ip, 1024)?;
    // The plugin checks the callee before the JSEP: no offer needed for these.
    r.record(alice, "error-no-such-username", body(&Call::new("nobody"))?)?;
    r.record(alice, "error-use-echo-test", body(&Call::new("alice"))?)?;
    let offer = pa.create_offer(&[Track::audio(), Track::video()], false)?;
    let m = r.message(alice, body(&Call::new("bob"))?, Some(jsep_value(&offer)?))?;
    r.save("call-calling", &m)?;
    r.trickle(alice, candidates(&pa))?;
    let incoming = r.wait_event(bob, WAIT, event_is("incomingcall"))?;
    r.save("event-incomingcall", &incoming)?;
    let answer = pb.create_answer(&jsep_of(&incoming)?, &[])?;
    let m = r.message(bob, body(&Accept::new())?, Some(jsep_value(&answer)?))?;
    r.save("accept-accepted", &m)?;
    r.trickle(bob, candidates(&pb))?;
    let accepted = r.wait_event(alice, WAIT, event_is("accepted"))?;
    r.save("event-accepted", &accepted)?;
    pa.handle_remote_jsep(&jsep_of(&accepted)?)?;
    r.wait_core(alice, "webrtcup", WAIT)?;
    r.wait_core(bob, "webrtcup", WAIT)?;

    let set = Set {
        bitrate: Some(256_000),
        audio: Some(true),
        video: Some(true),
        ..Set::new()
    };
    r.record(alice, "set", body(&set)?)?;
    let m = r.message(bob, json!({"request": "set", "substream": 5}), None)?;
    r.save("error-invalid-element", &m)?;
    // Alice renegotiates: bob gets her offer in `update`, answers with `set`, and alice
    // gets his answer in an `update` of hers.
    let offer = pa.create_offer(&[], false)?;
    let m = r.message(alice, body(&Set::new())?, Some(jsep_value(&offer)?))?;
    r.save("set-with-offer", &m)?;
    let update = r.wait_event(bob, WAIT, event_is("update"))?;
    r.save("event-update-offer", &update)?;
    let answer = pb.create_answer(&jsep_of(&update)?, &[])?;
    let m = r.message(bob, body(&Set::new())?, Some(jsep_value(&answer)?))?;
    r.save("set-with-answer", &m)?;
    let update = r.wait_event(alice, WAIT, event_is("update"))?;
    r.save("event-update-answer", &update)?;
    pa.handle_remote_jsep(&jsep_of(&update)?)?;

    r.record(alice, "hangup", body(&Hangup::new())?)?;
    let hangup = r.wait_event(bob, WAIT, event_is("hangup"))?;
    r.save("event-hangup", &hangup)?;
    r.record(bob, "hangup-no-call", body(&Hangup::new())?)?;
    r.destroy()?;
    println!("done: {} files", r.written.len());
    Ok(())
}
