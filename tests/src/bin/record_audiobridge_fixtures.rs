//! Records what a real AudioBridge says, as fixtures for `janus-proto`'s typed AudioBridge
//! API.
//!
//! `cargo xtask netns -- cargo run -p janus-tests --bin record_audiobridge_fixtures [OUT_DIR]`
//! (Janus 1.4.1: `env JANUS_BINARY="$(cargo xtask janus-1.4)"` before `cargo run`). Writes
//! `OUT_DIR/<janus version>/<scenario>.json` (default OUT_DIR:
//! janus-proto/tests/fixtures/plugins/audiobridge), each one message exactly as Janus sent
//! it: the `success` or `event` answering a request, or an event another handle got.
//! Participants join without a PeerConnection; the announcement plays the repository's Opus
//! sample (`media/samples/audio.opus`). Takes about half a minute (events that never come
//! are waited for a few seconds each).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use janus_tests::Janus;
use janus_tests::plugin_session::{FixtureWriter, PluginSession};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const PLUGIN: &str = "janus.plugin.audiobridge";
/// How long to wait for an event that another handle should get.
const WAIT: Duration = Duration::from_secs(3);

fn main() -> ExitCode {
    let out = std::env::args().nth(1).map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../janus-proto/tests/fixtures/plugins/audiobridge")
        },
        PathBuf::from,
    );
    match record(&out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("recording failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn id(v: &Value, key: &str) -> Result<Value> {
    let id = &v["plugindata"]["data"][key];
    if id.is_null() {
        return Err(format!("no plugindata.data.{key} in {v}").into());
    }
    Ok(id.clone())
}

fn has(key: &'static str) -> impl Fn(&Value) -> bool {
    move |m| m["plugindata"]["data"].get(key).is_some()
}

fn kind(k: &'static str) -> impl Fn(&Value) -> bool {
    move |m| m["plugindata"]["data"]["audiobridge"] == k
}

#[allow(clippy::too_many_lines)]
fn record(out: &Path) -> Result<()> {
    let janus = Janus::builder().only_plugins(&["audiobridge"]).launch()?;
    let version = janus.version().string.clone();
    let mut w = FixtureWriter::new(out.join(&version))?;
    eprintln!(
        "recording the AudioBridge of Janus {version} into {}",
        out.display()
    );
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../media/samples/audio.opus")
        .canonicalize()?;
    let mut s = PluginSession::open(&janus, WAIT)?;
    let admin = s.attach(PLUGIN)?;
    let alice = s.attach(PLUGIN)?;
    let bob = s.attach(PLUGIN)?;
    let lone = s.attach(PLUGIN)?;
    let ask = |s: &mut PluginSession, w: &mut FixtureWriter, handle, name: &str, body| {
        let m = s.message(handle, body, None)?;
        w.save(name, &m).map_err(Box::<dyn std::error::Error>::from)
    };
    let secret = "s3cret";

    // Room management.
    ask(&mut s, &mut w, admin, "list", json!({"request": "list"}))?;
    let create = json!({"request": "create", "room": 7777, "description": "Fixtures",
        "secret": secret, "sampling_rate": 16000, "audiolevel_event": true,
        "record": false});
    ask(&mut s, &mut w, admin, "create", create.clone())?;
    ask(&mut s, &mut w, admin, "create-room-exists", create)?;
    ask(
        &mut s,
        &mut w,
        admin,
        "exists",
        json!({"request": "exists", "room": 7777}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "exists-not",
        json!({"request": "exists", "room": 999_999}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "edit",
        json!({"request": "edit", "room": 7777, "secret": secret, "new_description": "Edited"}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "edit-unauthorized",
        json!({"request": "edit", "room": 7777, "secret": "wrong", "new_description": "No"}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "allowed-add",
        json!({"request": "allowed", "room": 7777, "secret": secret, "action": "add",
               "allowed": ["token-a", "token-b"]}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "list-with-room",
        json!({"request": "list"}),
    )?;

    // Participants without a PeerConnection.
    let joined = ask(
        &mut s,
        &mut w,
        alice,
        "join",
        json!({"request": "join", "room": 7777, "display": "alice"}),
    )?;
    let alice_id = id(&joined, "id")?;
    let joined = ask(
        &mut s,
        &mut w,
        bob,
        "join-second",
        json!({"request": "join", "room": 7777, "display": "bob", "muted": true}),
    )?;
    let bob_id = id(&joined, "id")?;
    let other = s.event(alice, WAIT, kind("joined"))?;
    w.save_if("event-joined-other", other)?;
    ask(
        &mut s,
        &mut w,
        alice,
        "join-already-joined",
        json!({"request": "join", "room": 7777}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "listparticipants",
        json!({"request": "listparticipants", "room": 7777}),
    )?;
    ask(
        &mut s,
        &mut w,
        alice,
        "configure",
        json!({"request": "configure", "muted": true, "display": "alice-renamed"}),
    )?;
    let changed = s.event(bob, WAIT, has("participants"))?;
    w.save_if("event-participants-changed", changed)?;
    s.clear();
    ask(
        &mut s,
        &mut w,
        admin,
        "mute",
        json!({"request": "mute", "room": 7777, "secret": secret, "id": bob_id}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "unmute",
        json!({"request": "unmute", "room": 7777, "secret": secret, "id": bob_id}),
    )?;
    let unmuted = s.event(alice, WAIT, has("participants"))?;
    w.save_if("event-participant-unmuted", unmuted)?;
    ask(
        &mut s,
        &mut w,
        admin,
        "mute-room",
        json!({"request": "mute_room", "room": 7777, "secret": secret}),
    )?;
    let muted = s.event(alice, WAIT, has("muted"))?;
    w.save_if("event-room-muted", muted)?;
    ask(
        &mut s,
        &mut w,
        admin,
        "unmute-room",
        json!({"request": "unmute_room", "room": 7777, "secret": secret}),
    )?;
    s.clear();
    ask(
        &mut s,
        &mut w,
        admin,
        "suspend",
        json!({"request": "suspend", "room": 7777, "secret": secret, "id": bob_id}),
    )?;
    let suspended = s.event(alice, WAIT, has("suspended"))?;
    w.save_if("event-suspended", suspended)?;
    ask(
        &mut s,
        &mut w,
        admin,
        "resume",
        json!({"request": "resume", "room": 7777, "secret": secret, "id": bob_id}),
    )?;
    let resumed = s.event(alice, WAIT, has("resumed"))?;
    w.save_if("event-resumed", resumed)?;
    s.clear();
    ask(
        &mut s,
        &mut w,
        admin,
        "denoise-enable",
        json!({"request": "denoise_enable", "room": 7777, "secret": secret, "id": bob_id}),
    )?;
    ask(
        &mut s,
        &mut w,
        alice,
        "resetdecoder",
        json!({"request": "resetdecoder"}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "enable-recording",
        json!({"request": "enable_recording", "room": 7777, "secret": secret, "record": false}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "enable-mjrs",
        json!({"request": "enable_mjrs", "room": 7777, "secret": secret, "mjrs": false}),
    )?;

    // Forwarders and announcements.
    let added = ask(
        &mut s,
        &mut w,
        admin,
        "rtp-forward",
        json!({"request": "rtp_forward", "room": 7777, "secret": secret,
               "host": "127.0.0.1", "port": 5994, "codec": "opus"}),
    )?;
    let stream_id = id(&added, "stream_id")?;
    ask(
        &mut s,
        &mut w,
        admin,
        "listforwarders",
        json!({"request": "listforwarders", "room": 7777, "secret": secret}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "stop-rtp-forward",
        json!({"request": "stop_rtp_forward", "room": 7777, "secret": secret,
               "stream_id": stream_id}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "play-file",
        json!({"request": "play_file", "room": 7777, "secret": secret,
               "filename": sample.to_string_lossy(), "file_id": "sample", "loop": true}),
    )?;
    let started = s.event(alice, WAIT, kind("announcement-started"))?;
    w.save_if("event-announcement-started", started)?;
    ask(
        &mut s,
        &mut w,
        admin,
        "play-file-missing",
        json!({"request": "play_file", "room": 7777, "secret": secret,
               "filename": "/nonexistent.opus"}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "is-playing",
        json!({"request": "is_playing", "room": 7777, "secret": secret, "file_id": "sample"}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "listannouncements",
        json!({"request": "listannouncements", "room": 7777, "secret": secret}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "stop-file",
        json!({"request": "stop_file", "room": 7777, "secret": secret, "file_id": "sample"}),
    )?;
    let stopped = s.event(alice, WAIT, kind("announcement-stopped"))?;
    w.save_if("event-announcement-stopped", stopped)?;
    ask(
        &mut s,
        &mut w,
        admin,
        "stop-file-unknown",
        json!({"request": "stop_file", "room": 7777, "secret": secret, "file_id": "nope"}),
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "stop-all-files",
        json!({"request": "stop_all_files", "room": 7777, "secret": secret}),
    )?;
    s.clear();

    // Leaving, in every way.
    ask(
        &mut s,
        &mut w,
        admin,
        "kick",
        json!({"request": "kick", "room": 7777, "secret": secret, "id": bob_id}),
    )?;
    let kicked = s.event(alice, WAIT, has("kicked"))?;
    w.save_if("event-kicked", kicked)?;
    ask(
        &mut s,
        &mut w,
        alice,
        "changeroom",
        json!({"request": "changeroom", "room": 1234, "display": "alice-moved"}),
    )?;
    ask(
        &mut s,
        &mut w,
        alice,
        "hangup",
        json!({"request": "hangup"}),
    )?;
    ask(&mut s, &mut w, alice, "leave", json!({"request": "leave"}))?;
    ask(
        &mut s,
        &mut w,
        alice,
        "leave-not-joined",
        json!({"request": "leave"}),
    )?;
    let carol = s.attach(PLUGIN)?;
    let dave = s.attach(PLUGIN)?;
    s.message(
        carol,
        json!({"request": "join", "room": 7777, "display": "carol"}),
        None,
    )?;
    s.message(
        dave,
        json!({"request": "join", "room": 7777, "display": "dave"}),
        None,
    )?;
    s.clear();
    s.message(dave, json!({"request": "leave"}), None)?;
    let left = s.event(carol, WAIT, has("leaving"))?;
    w.save_if("event-leaving", left)?;
    ask(
        &mut s,
        &mut w,
        admin,
        "kick-all",
        json!({"request": "kick_all", "room": 7777, "secret": secret}),
    )?;
    let all = s.event(carol, WAIT, has("kicked_all"))?;
    w.save_if("event-kicked-all", all)?;
    let erin = s.attach(PLUGIN)?;
    s.message(
        erin,
        json!({"request": "join", "room": 7777, "display": "erin"}),
        None,
    )?;
    ask(
        &mut s,
        &mut w,
        admin,
        "destroy",
        json!({"request": "destroy", "room": 7777, "secret": secret}),
    )?;
    let destroyed = s.event(erin, WAIT, kind("destroyed"))?;
    w.save_if("event-destroyed", destroyed)?;

    // Errors.
    ask(
        &mut s,
        &mut w,
        lone,
        "join-no-such-room",
        json!({"request": "join", "room": 999_999}),
    )?;
    ask(
        &mut s,
        &mut w,
        lone,
        "configure-not-joined",
        json!({"request": "configure", "muted": false}),
    )?;
    ask(
        &mut s,
        &mut w,
        lone,
        "unknown-request",
        json!({"request": "bogus"}),
    )?;
    ask(
        &mut s,
        &mut w,
        lone,
        "missing-request",
        json!({"room": 7777}),
    )?;
    eprintln!("done: {} fixtures (alice {alice_id})", w.count());
    Ok(())
}
