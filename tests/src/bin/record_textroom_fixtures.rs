//! Records what a real Janus's TextRoom plugin says, as golden fixtures for
//! `janus-proto/tests/plugin_textroom.rs`.
//!
//! `cargo xtask netns -- cargo run -p janus-tests --bin record_textroom_fixtures [OUT_DIR]`
//! (default OUT_DIR: janus-proto/tests/fixtures/plugins/textroom). Files named
//! `datachannel-*.json` hold one data-channel text exactly as received; the others one whole
//! Janus message (`success` or `event` with `plugindata`). Every request is built with
//! `janus_proto::plugin::textroom`'s types. Two participants (alice and bob) each set up a
//! real PeerConnection with a data channel (`janus-blocking`'s `Peer`) and talk in a room;
//! then the room management again with the plugin's `string_ids` on (files prefixed
//! `string-ids-`). Takes a few seconds.
#![allow(clippy::print_stdout)]

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use janus_blocking::Peer;
use janus_blocking::rtc::{Event as RtcEvent, PeerConfig};
use janus_proto::Jsep;
use janus_proto::plugin::PluginRequest;
use janus_proto::plugin::textroom::{
    Ack, Allowed, AllowedAction, Announcement, Create, DataChannelRequest, Destroy, Edit, Exists,
    Join, Kick, Leave, List, ListParticipants, Message, PLUGIN, Restart, Setup,
};
use janus_tests::Janus;
use janus_tests::record::{Recorder, default_dir};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const SECRET: &str = "room-secret";
const WAIT: Duration = Duration::from_secs(10);
/// The data channel's label (janus.js's, and the plugin's default).
const LABEL: &str = "JanusDataChannel";

fn main() -> ExitCode {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| default_dir("textroom"), PathBuf::from);
    let mut janus = match Janus::launch() {
        Ok(j) => j,
        Err(e) => {
            eprintln!("recording failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    match record(&mut janus, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "recording failed: {e}\nJanus's log ends with:\n{}",
                janus.log_tail(40)
            );
            ExitCode::FAILURE
        }
    }
}

fn body<R: PluginRequest>(r: &R) -> Result<Value> {
    Ok(r.to_body()?)
}

/// One participant: a handle with a PeerConnection and its data channel, and the texts
/// received on it that nobody claimed yet.
struct Chat {
    handle: u64,
    peer: Peer,
    backlog: VecDeque<String>,
    next_tx: u32,
    name: &'static str,
}

impl Chat {
    /// `setup` (saved as `setup` when `save`), our answer with `ack` (saved as `ack`), and
    /// the data channel open.
    fn connect(r: &mut Recorder, janus: &Janus, name: &'static str, save: bool) -> Result<Self> {
        let handle = r.attach(PLUGIN)?;
        let setup = r.message(handle, body(&Setup::default())?, None)?;
        let offer: Jsep = serde_json::from_value(setup.value["jsep"].clone())?;
        let peer = Peer::bind(PeerConfig::default(), janus.media_ip().into(), 1024)?;
        let answer = peer.create_answer(&offer, &[])?;
        let ack = r.message(
            handle,
            body(&Ack::default())?,
            Some(serde_json::to_value(&answer)?),
        )?;
        if save {
            r.save("setup", &setup)?;
            r.save("ack", &ack)?;
        }
        let candidates: Vec<Value> = peer
            .take_local_candidates()
            .iter()
            .map(janus_proto::Trickle::to_value)
            .collect();
        if !candidates.is_empty() {
            r.trickle(handle, candidates)?;
        }
        r.wait_core(handle, "webrtcup", WAIT)?;
        peer.wait_for(WAIT, |e| matches!(e, RtcEvent::Connected).then_some(()))?;
        peer.call(|pc, _| pc.open_data_channel(LABEL, ""))??;
        peer.wait_for(WAIT, |e| {
            matches!(e, RtcEvent::DataOpen { .. }).then_some(())
        })?;
        Ok(Self {
            handle,
            peer,
            backlog: VecDeque::new(),
            next_tx: 0,
            name,
        })
    }

    /// Sends a request; returns its transaction.
    fn send<R: DataChannelRequest>(&mut self, request: &R) -> Result<String> {
        self.next_tx += 1;
        let tx = format!("{}-{}", self.name, self.next_tx);
        let text = request.to_text(&tx)?;
        self.peer.send_data(LABEL, false, text.as_bytes())?;
        Ok(tx)
    }

    /// The next text received (backlog first) that `pick` accepts; the others stay.
    fn wait(&mut self, pick: impl Fn(&Value) -> bool) -> Result<String> {
        let parse = |t: &str| serde_json::from_str::<Value>(t).unwrap_or(Value::Null);
        if let Some(at) = self.backlog.iter().position(|t| pick(&parse(t))) {
            return self
                .backlog
                .remove(at)
                .ok_or_else(|| "backlog changed".into());
        }
        let until = Instant::now() + WAIT;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(
                    format!("{}: timed out; unclaimed: {:?}", self.name, self.backlog).into(),
                );
            }
            match self.peer.recv_timeout(left) {
                Ok(RtcEvent::Data(m)) => {
                    let text = String::from_utf8_lossy(&m.data).into_owned();
                    if pick(&parse(&text)) {
                        return Ok(text);
                    }
                    self.backlog.push_back(text);
                }
                Ok(_) => {}
                Err(e) => {
                    return Err(format!("{}: {e}; unclaimed: {:?}", self.name, self.backlog).into());
                }
            }
        }
    }

    /// Sends a request and returns the answer that carries its transaction.
    fn ask<R: DataChannelRequest>(&mut self, request: &R) -> Result<String> {
        let tx = self.send(request)?;
        self.wait(|v| v["transaction"] == tx.as_str())
    }

    /// The next unsolicited text of kind `textroom`.
    fn next(&mut self, kind: &str) -> Result<String> {
        self.wait(|v| v["textroom"] == kind && v.get("transaction").is_none())
    }
}

/// A room's message or announcement with this text.
fn said(kind: &'static str, text: &'static str) -> impl Fn(&Value) -> bool {
    move |v: &Value| v["textroom"] == kind && v["text"] == text
}

fn record(janus: &mut Janus, out: PathBuf) -> Result<()> {
    println!(
        "recording Janus {} at {} into {}",
        janus.version().string,
        janus.ws_url(),
        out.display()
    );
    let mut r = Recorder::new(janus, out.clone())?;
    let admin = r.attach(PLUGIN)?;

    // Room management over the Janus API (synchronous).
    r.record(admin, "list", body(&List::default())?)?;
    r.record(
        admin,
        "create",
        body(&Create {
            room: Some(42.into()),
            description: Some("Fixture room".into()),
            secret: Some(SECRET.into()),
            pin: Some("4242".into()),
            history: Some(3),
            ..Create::default()
        })?,
    )?;
    r.record(
        admin,
        "create-private",
        body(&Create {
            room: Some(43.into()),
            description: Some("Private room".into()),
            secret: Some(SECRET.into()),
            is_private: Some(true),
            ..Create::default()
        })?,
    )?;
    r.record(admin, "exists", body(&Exists::new(42))?)?;
    r.record(admin, "exists-not", body(&Exists::new(999))?)?;
    r.record(
        admin,
        "listparticipants-empty",
        body(&ListParticipants::new(42))?,
    )?;
    r.record(
        admin,
        "edit",
        body(&Edit {
            secret: Some(SECRET.into()),
            new_description: Some("Fixture room (edited)".into()),
            ..Edit::new(42)
        })?,
    )?;
    r.record(
        admin,
        "allowed-enable",
        body(&Allowed {
            secret: Some(SECRET.into()),
            ..Allowed::new(43, AllowedAction::Enable)
        })?,
    )?;
    r.record(
        admin,
        "allowed-add",
        body(&Allowed {
            secret: Some(SECRET.into()),
            allowed: Some(vec!["token-a".into(), "token-b".into()]),
            ..Allowed::new(43, AllowedAction::Add)
        })?,
    )?;
    r.record(
        admin,
        "allowed-remove",
        body(&Allowed {
            secret: Some(SECRET.into()),
            allowed: Some(vec!["token-b".into()]),
            ..Allowed::new(43, AllowedAction::Remove)
        })?,
    )?;
    r.record(
        admin,
        "announcement",
        body(&Announcement {
            secret: Some(SECRET.into()),
            ..Announcement::new(42, "Welcome")
        })?,
    )?;

    // Errors over the Janus API.
    r.record(
        admin,
        "error-create-room-exists",
        body(&Create {
            room: Some(42.into()),
            ..Create::default()
        })?,
    )?;
    r.record(
        admin,
        "error-destroy-unauthorized",
        body(&Destroy {
            secret: Some("wrong".into()),
            ..Destroy::new(42)
        })?,
    )?;
    r.record(
        admin,
        "error-listparticipants-no-such-room",
        body(&ListParticipants::new(999))?,
    )?;
    r.record(
        admin,
        "error-kick-no-such-user",
        body(&Kick {
            secret: Some(SECRET.into()),
            ..Kick::new(42, "nobody")
        })?,
    )?;
    r.record(admin, "error-missing-element", json!({"request": "exists"}))?;
    r.record(
        admin,
        "error-invalid-element",
        json!({"request": "exists", "room": "one"}),
    )?;
    r.record(admin, "error-unknown-request", json!({"request": "bogus"}))?;
    r.record(
        admin,
        "error-join-over-janus-api",
        json!({"request": "join", "room": 42, "username": "x"}),
    )?;
    let fresh = r.attach(PLUGIN)?;
    r.record(
        fresh,
        "error-restart-before-setup",
        body(&Restart::default())?,
    )?;

    // Two participants on data channels.
    let mut alice = Chat::connect(&mut r, janus, "alice", true)?;
    let setup_twice = r.message(alice.handle, body(&Setup::default())?, None)?;
    r.save("error-setup-twice", &setup_twice)?;
    let text = alice.ask(&List::default())?;
    r.save_text("datachannel-list-success", &text)?;
    let text = alice.ask(&Join {
        display: Some("Alice".into()),
        pin: Some("4242".into()),
        ..Join::new(42, "alice")
    })?;
    r.save_text("datachannel-join-success-first", &text)?;
    let text = alice.next("join")?;
    r.save_text("datachannel-join-self", &text)?;
    let text = alice.ask(&Join {
        pin: Some("4242".into()),
        ..Join::new(42, "alice")
    })?;
    r.save_text("datachannel-error-already-in-room", &text)?;
    let text = alice.ask(&Join::new(42, "alice2"))?;
    r.save_text("datachannel-error-wrong-pin", &text)?;
    let text = alice.ask(&Join::new(43, "alice"))?;
    r.save_text("datachannel-error-no-token", &text)?;
    let text = alice.ask(&Message::new(1234, "not joined"))?;
    r.save_text("datachannel-error-not-in-room", &text)?;
    let text = alice.ask(&Message::new(999, "nowhere"))?;
    r.save_text("datachannel-error-no-such-room", &text)?;

    let mut bob = Chat::connect(&mut r, janus, "bob", false)?;
    let text = bob.ask(&Join {
        pin: Some("4242".into()),
        ..Join::new(42, "alice")
    })?;
    r.save_text("datachannel-error-username-taken", &text)?;
    let text = bob.ask(&Join {
        pin: Some("4242".into()),
        display: Some("Bob".into()),
        ..Join::new(42, "bob")
    })?;
    r.save_text("datachannel-join-success", &text)?;
    let text = alice.next("join")?;
    r.save_text("datachannel-join", &text)?;
    bob.next("join")?; // bob's own join

    let text = alice.ask(&Message::new(42, "hello everybody"))?;
    r.save_text("datachannel-message-success", &text)?;
    let text = bob.wait(said("message", "hello everybody"))?;
    r.save_text("datachannel-message", &text)?;
    // A public message comes back to its sender too.
    alice.wait(said("message", "hello everybody"))?;
    let text = alice.ask(&Message {
        to: Some("bob".into()),
        ..Message::new(42, "psst")
    })?;
    r.save_text("datachannel-whisper-success", &text)?;
    let text = bob.wait(said("message", "psst"))?;
    r.save_text("datachannel-whisper", &text)?;
    let text = alice.ask(&Message {
        tos: Some(vec!["bob".into(), "nobody".into()]),
        ..Message::new(42, "psst, you two")
    })?;
    r.save_text("datachannel-whisper-tos-success", &text)?;
    bob.wait(said("message", "psst, you two"))?;
    alice.send(&Message {
        ack: Some(false),
        ..Message::new(42, "no ack wanted")
    })?;
    let text = bob.wait(said("message", "no ack wanted"))?;
    r.save_text("datachannel-message-no-ack", &text)?;
    alice.wait(said("message", "no ack wanted"))?;
    let text = alice.ask(&Announcement {
        secret: Some(SECRET.into()),
        ..Announcement::new(42, "Closing soon")
    })?;
    r.save_text("datachannel-announcement-success", &text)?;
    let text = bob.wait(said("announcement", "Closing soon"))?;
    r.save_text("datachannel-announcement", &text)?;
    alice.wait(said("announcement", "Closing soon"))?;
    // The API's announcement before anybody joined came as history, on join.
    let text = alice.wait(said("announcement", "Welcome"))?;
    r.save_text("datachannel-history-announcement", &text)?;
    let text = alice.ask(&ListParticipants::new(42))?;
    r.save_text("datachannel-listparticipants-success", &text)?;
    let text = alice.ask(&Exists::new(42))?;
    r.save_text("datachannel-exists-success", &text)?;

    // Bob leaves and comes back: the room's history is replayed first.
    let text = bob.ask(&Leave::new(42))?;
    r.save_text("datachannel-leave-success", &text)?;
    let text = alice.next("leave")?;
    r.save_text("datachannel-leave", &text)?;
    bob.send(&Join {
        pin: Some("4242".into()),
        display: Some("Bob".into()),
        ..Join::new(42, "bob")
    })?;
    let text = bob.wait(|v| v["textroom"] == "message" && v.get("display").is_some())?;
    r.save_text("datachannel-history-message", &text)?;
    alice.next("join")?;

    // Room management on the data channel answers `success`.
    let text = alice.ask(&Create {
        room: Some(44.into()),
        description: Some("Made on the data channel".into()),
        ..Create::default()
    })?;
    r.save_text("datachannel-create-success", &text)?;
    let text = alice.ask(&Edit {
        new_is_private: Some(true),
        ..Edit::new(44)
    })?;
    r.save_text("datachannel-edit-success", &text)?;
    let text = alice.ask(&Destroy::new(44))?;
    r.save_text("datachannel-destroy-success", &text)?;
    // Whoever destroys a room is told too, participant or not.
    let text = alice.wait(|v| v["textroom"] == "destroyed" && v["room"] == 44)?;
    r.save_text("datachannel-destroyed-by-us", &text)?;
    let text = alice.ask(&Allowed {
        secret: Some(SECRET.into()),
        ..Allowed::new(43, AllowedAction::Disable)
    })?;
    r.save_text("datachannel-allowed-disable-success", &text)?;

    // Kicked, over the Janus API; then the room destroyed with alice in it.
    r.record(
        admin,
        "kick",
        body(&Kick {
            secret: Some(SECRET.into()),
            ..Kick::new(42, "bob")
        })?,
    )?;
    let text = alice.next("kicked")?;
    r.save_text("datachannel-kicked", &text)?;
    let restart = r.message(alice.handle, body(&Restart::default())?, None)?;
    r.save("restart", &restart)?;
    r.record(
        admin,
        "destroy",
        body(&Destroy {
            secret: Some(SECRET.into()),
            ..Destroy::new(42)
        })?,
    )?;
    let text = alice.wait(|v| v["textroom"] == "destroyed" && v["room"] == 42)?;
    r.save_text("datachannel-destroyed", &text)?;
    r.record(
        admin,
        "destroy-private",
        body(&Destroy {
            secret: Some(SECRET.into()),
            ..Destroy::new(43)
        })?,
    )?;
    drop((alice, bob));
    r.destroy()?;
    let mut written = r.written.len();

    // Room management with string ids.
    janus.stop()?;
    std::fs::write(
        janus.config_dir().join("janus.plugin.textroom.jcfg"),
        "general: {\n\tjson = \"indented\"\n\tstring_ids = true\n}\n\
         room-lobby: {\n\tdescription = \"Lobby\"\n}\n",
    )?;
    janus.start()?;
    let mut r = Recorder::new(janus, out)?;
    r.prefix = "string-ids-".into();
    let admin = r.attach(PLUGIN)?;
    r.record(
        admin,
        "create",
        body(&Create {
            room: Some("chat".into()),
            description: Some("String ids".into()),
            ..Create::default()
        })?,
    )?;
    r.record(admin, "list", body(&List::default())?)?;
    r.record(admin, "exists", body(&Exists::new("chat"))?)?;
    r.record(
        admin,
        "listparticipants-empty",
        body(&ListParticipants::new("chat"))?,
    )?;
    r.record(
        admin,
        "edit",
        body(&Edit {
            new_description: Some("Chat".into()),
            ..Edit::new("chat")
        })?,
    )?;
    r.record(admin, "error-numeric-id", body(&Exists::new(42))?)?;
    r.record(admin, "destroy", body(&Destroy::new("chat"))?)?;
    r.destroy()?;
    written += r.written.len();
    println!("done: {written} files");
    Ok(())
}
