//! Records what a real SIP plugin says to a real SIP peer, as golden fixtures for
//! `janus-proto/tests/plugin_sip.rs`.
//!
//! `cargo xtask netns -- cargo run -p janus-tests --bin record_sip_fixtures [OUT_DIR]`
//! (Janus 1.4.1: `env JANUS_BINARY="$(cargo xtask janus-1.4)"` before `cargo run`). Writes
//! `OUT_DIR/<janus version>/<name>.json` (default OUT_DIR:
//! janus-proto/tests/fixtures/plugins/sip), each one whole Janus message as received, named
//! `<request>-<event>` for an answer, `event-<event>` for a later event and `error-<code>`
//! for a plugin error. Every request is built with `janus_proto::plugin::sip`'s types. sipp
//! (`janus_tests::sipp`) is the registrar, the caller of a call we accept and of one we
//! decline, and the callee that answers our call (INFO, MESSAGE, hold and unhold in it,
//! then our hangup); a real PeerConnection (`janus-blocking`'s `Peer`) carries our side.
#![allow(clippy::print_stdout)]

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use janus_blocking::Peer;
use janus_blocking::rtc::{PeerConfig, Track};
use janus_proto::plugin::PluginRequest;
use janus_proto::plugin::sip::{
    Accept, Call, Decline, DtmfInfo, Hangup, Hold, HoldDirection, Info, Keyframe, Message, PLUGIN,
    Register, Unhold,
};
use janus_tests::Janus;
use janus_tests::record::{Recorder, candidates, default_dir, jsep_of, jsep_value};
use janus_tests::sipp::{Scenario, Sipp};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const WAIT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| default_dir("sip"), PathBuf::from);
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

/// Whether a message is the plugin's `event` named `name`.
fn is_event(name: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["plugindata"]["data"]["result"]["event"] == name
}

/// Waits for the plugin's event `name` and saves it as `event-<name>`.
fn save_event(r: &mut Recorder, name: &'static str) -> Result<janus_tests::record::Message> {
    let m = r.wait(WAIT, is_event(name))?;
    r.save(&format!("event-{}", name.replace('_', "-")), &m)?;
    Ok(m)
}

fn register(registrar: &Sipp, password: &str) -> Register {
    Register {
        secret: Some(password.into()),
        proxy: Some(format!("sip:{}", registrar.addr())),
        ..Register::new(format!("sip:alice@{}", registrar.addr().ip()))
    }
}

fn registrar() -> Result<Sipp> {
    Ok(Sipp::serve(Scenario::Registrar {
        user: "alice".into(),
        password: "secret".into(),
    })?)
}

fn record(out: PathBuf) -> Result<()> {
    let janus = Janus::builder().only_plugins(&["sip"]).launch()?;
    let version = janus.version().string.clone();
    println!("recording the SIP plugin of Janus {version}");
    let mut r = Recorder::new(&janus, out.join(&version))?;
    let ip: IpAddr = janus.media_ip().into();
    let g711 = PeerConfig {
        opus: false,
        ..PeerConfig::default()
    };
    let (alice, mallory) = (r.attach(PLUGIN)?, r.attach(PLUGIN)?);

    // A wrong password, then the right one.
    let wrong = registrar()?;
    r.record(
        mallory,
        "register-registering",
        body(&register(&wrong, "wrong"))?,
    )?;
    save_event(&mut r, "registration_failed")?;
    wrong.finish(WAIT)?;
    let right = registrar()?;
    r.message(alice, body(&register(&right, "secret"))?, None)?;
    save_event(&mut r, "registered")?;
    let contact = right.wait_logged("contact", 1, WAIT)?[0].parse()?;
    let again = register(&right, "secret");
    right.finish(WAIT)?;

    // sipp calls us: one call accepted, one declined.
    let caller = Sipp::call(Scenario::Call, contact, "alice")?;
    let incoming = save_event(&mut r, "incomingcall")?;
    let pd = Peer::bind(g711.clone(), ip, 4096)?;
    let answer = pd.create_answer(&jsep_of(&incoming)?, &[])?;
    let m = r.message(alice, body(&Accept::new())?, Some(jsep_value(&answer)?))?;
    r.save("accept-accepted", &m)?;
    r.trickle(alice, candidates(&pd))?;
    r.wait_core(alice, "webrtcup", WAIT)?;
    r.message(alice, body(&Hangup::new())?, None)?;
    r.wait(WAIT, is_event("hangup"))?;
    caller.finish(WAIT)?;
    // Until its PeerConnection is gone and its media thread ended, the plugin answers a new
    // INVITE with 486 (a `missed_call`); nothing says when the thread ended: a pause.
    r.wait_core(alice, "hangup", WAIT)?;
    std::thread::sleep(Duration::from_secs(1));
    let caller = Sipp::call(Scenario::CallRefused(603), contact, "alice")?;
    r.wait(WAIT, is_event("incomingcall"))?;
    let decline = Decline {
        code: Some(603),
        ..Decline::new()
    };
    r.record(alice, "decline-declining", body(&decline)?)?;
    caller.finish(WAIT)?;
    r.wait(WAIT, is_event("hangup"))?;
    std::thread::sleep(Duration::from_secs(1));

    // Our call, answered by sipp.
    let bob = Sipp::serve(Scenario::Answer)?;
    let pc = Peer::bind(g711.clone(), ip, 4096)?;
    let offer = pc.create_offer(&[Track::audio()], false)?;
    let m = r.message(
        alice,
        body(&Call::new(bob.uri("bob")))?,
        Some(jsep_value(&offer)?),
    )?;
    r.save("call-calling", &m)?;
    save_event(&mut r, "ringing")?;
    save_event(&mut r, "proceeding")?;
    let accepted = save_event(&mut r, "accepted")?;
    pc.handle_remote_jsep(&jsep_of(&accepted)?)?;
    r.trickle(alice, candidates(&pc))?;
    r.wait_core(alice, "webrtcup", WAIT)?;
    r.record(alice, "dtmf-info-dtmfsent", body(&DtmfInfo::new("7"))?)?;
    bob.wait_logged("dtmf", 1, WAIT)?;
    r.record(
        alice,
        "message-messagesent",
        body(&Message::new("hello sipp"))?,
    )?;
    save_event(&mut r, "messagedelivery")?;
    r.record(
        alice,
        "info-infosent",
        body(&Info::new("text/plain", "an INFO"))?,
    )?;
    // sipp logs every INFO (`dtmf=`, empty for this one): the re-INVITE comes after it.
    bob.wait_logged("dtmf", 2, WAIT)?;
    let hold = Hold {
        direction: Some(HoldDirection::Sendonly),
        ..Hold::new()
    };
    r.record(alice, "hold-holding", body(&hold)?)?;
    bob.wait_logged("acked", 1, WAIT)?;
    r.record(alice, "unhold-resuming", body(&Unhold::new())?)?;
    bob.wait_logged("acked", 2, WAIT)?;
    let m = r.message(alice, body(&Keyframe::new())?, None)?;
    // Janus 1.1 has no `keyframe` yet: its refusal.
    let unknown = m["plugindata"]["data"]["error_code"] == 442;
    let name = if unknown {
        "error-unknown-keyframe"
    } else {
        "keyframe-keyframesent"
    };
    r.save(name, &m)?;
    r.record(alice, "hangup-hangingup", body(&Hangup::new())?)?;
    save_event(&mut r, "hangup")?;
    bob.finish(WAIT)?;

    // The plugin's refusals, last.
    r.record(alice, "error-invalid-request", json!({"request": "dance"}))?;
    r.record(alice, "error-already-registered", body(&again)?)?;
    r.record(
        mallory,
        "error-missing-element",
        json!({"request": "register"}),
    )?;
    let scratch = Peer::bind(g711, ip, 4096)?;
    let offer = scratch.create_offer(&[Track::audio()], false)?;
    let bad = Call::new("not a SIP URI");
    let m = r.message(alice, body(&bad)?, Some(jsep_value(&offer)?))?;
    r.save("error-invalid-address", &m)?;
    r.record(
        alice,
        "error-missing-sdp",
        body(&Call::new("sip:bob@127.0.0.2"))?,
    )?;

    r.destroy()?;
    println!("done: {} files", r.written.len());
    Ok(())
}
