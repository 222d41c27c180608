//! TextRoom plugin fixtures, recorded from real Janus 1.1.2 (and 1.4.1, in `janus-1.4.1/`)
//! by `cargo xtask netns -- cargo run -p janus-tests --bin record_textroom_fixtures`:
//! `datachannel-*.json` are texts received on the data channel, the others whole Janus
//! messages. Every file must decode into the type its name says, with the fields checked;
//! a file with no expectation here fails the test.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use janus_proto::plugin::id::Id;
use janus_proto::plugin::textroom::{
    AllowedList, Created, Destroyed, Edited, ErrorCode, Event, Incoming, Joined, ParticipantList,
    Response, RoomExists, RoomList, Sent, Success,
};
use janus_proto::plugin::{DecodeError, PluginEvent};
use janus_proto::{Jsep, PluginData};
use serde_json::{Value, json};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// (path below the fixture folder, file text).
fn fixtures() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plugins/textroom");
    let mut paths = Vec::new();
    files(&root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap().display().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

fn api_error(data: &PluginData) -> ErrorCode {
    let e = Event::decode(data).unwrap_err();
    assert!(matches!(e, DecodeError::Plugin(_)), "{e:?}");
    assert_eq!(Success::decode(data).unwrap_err(), e);
    ErrorCode::of(&e).unwrap()
}

fn ok_event(message: &Value, offer: bool) {
    let data: PluginData = serde_json::from_value(message["plugindata"].clone()).unwrap();
    assert_eq!(
        Event::decode(&data).unwrap(),
        Event::Ok {
            extra: Default::default()
        }
    );
    assert_eq!(message.get("jsep").is_some(), offer);
    if offer {
        let jsep: Jsep = serde_json::from_value(message["jsep"].clone()).unwrap();
        assert!(jsep.sdp.contains("m=application"), "{}", jsep.sdp);
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Checks a whole Janus message; `false` if its name is not known here.
fn check_api(stem: &str, string_ids: bool, message: &Value) -> bool {
    let data: PluginData = serde_json::from_value(message["plugindata"].clone()).unwrap();
    let room = |n: u64| {
        if string_ids {
            Id::from("chat")
        } else {
            Id::from(n)
        }
    };
    match stem {
        "list" => {
            let list = RoomList::decode(&data).unwrap();
            let (id, description) = if string_ids {
                (Id::from("lobby"), "Lobby")
            } else {
                (Id::from(1234), "Demo Room")
            };
            let demo = list.list.iter().find(|r| r.room == id).unwrap();
            assert_eq!(demo.description.as_deref(), Some(description));
            assert!(!demo.pin_required);
            assert_eq!((demo.num_participants, demo.history), (0, Some(0)));
            assert!(demo.extra.is_empty() && list.extra.is_empty());
        }
        "create" | "create-private" => {
            let c = Created::decode(&data).unwrap();
            let n = if stem == "create" { 42 } else { 43 };
            assert_eq!((c.room, c.permanent), (room(n), false));
            assert!(c.extra.is_empty());
        }
        "exists" | "exists-not" => {
            let e = RoomExists::decode(&data).unwrap();
            let n = if stem == "exists" { 42 } else { 999 };
            assert_eq!((e.room, e.exists), (room(n), stem == "exists"));
        }
        "listparticipants-empty" => {
            let p = ParticipantList::decode(&data).unwrap();
            assert_eq!(p.room, room(42));
            assert!(p.participants.is_empty() && p.extra.is_empty());
        }
        "edit" => {
            let e = Edited::decode(&data).unwrap();
            assert_eq!((e.room, e.permanent), (room(42), false));
        }
        "destroy" | "destroy-private" => {
            let d = Destroyed::decode(&data).unwrap();
            let n = if stem == "destroy" { 42 } else { 43 };
            assert_eq!((d.room, d.permanent), (room(n), false));
        }
        "allowed-enable" | "allowed-add" | "allowed-remove" => {
            let a = AllowedList::decode(&data).unwrap();
            assert_eq!(a.room, Id::from(43));
            let want: &[&str] = match stem {
                "allowed-enable" => &[],
                "allowed-add" => &["token-a", "token-b"],
                _ => &["token-a"],
            };
            assert_eq!(sorted(a.allowed.unwrap()), want);
        }
        "announcement" => assert_eq!(Success::decode(&data).unwrap(), Success::default()),
        "kick" => {
            // Janus 1.1.2 says `"textbridge":"success"`; 1.4.1 `"textroom":"success"`.
            let s = Success::decode(&data).unwrap();
            assert!(s.extra.is_empty() || s.extra["textbridge"] == "success");
        }
        "setup" | "restart" => ok_event(message, true),
        "ack" => ok_event(message, false),
        "error-create-room-exists" => assert_eq!(api_error(&data), ErrorCode::RoomExists),
        "error-destroy-unauthorized" => assert_eq!(api_error(&data), ErrorCode::Unauthorized),
        "error-listparticipants-no-such-room" => {
            assert_eq!(api_error(&data), ErrorCode::NoSuchRoom);
        }
        "error-kick-no-such-user" => assert_eq!(api_error(&data), ErrorCode::NoSuchUser),
        "error-missing-element" => assert_eq!(api_error(&data), ErrorCode::MissingElement),
        "error-invalid-element" | "error-numeric-id" => {
            assert_eq!(api_error(&data), ErrorCode::InvalidElement);
        }
        "error-unknown-request" | "error-join-over-janus-api" => {
            assert_eq!(api_error(&data), ErrorCode::InvalidRequest);
        }
        "error-restart-before-setup" | "error-setup-twice" => {
            assert_eq!(api_error(&data), ErrorCode::AlreadySetup);
        }
        _ => return false,
    }
    true
}

fn response(incoming: &Incoming) -> &Response {
    match incoming {
        Incoming::Success(r) => {
            assert!(r.transaction.starts_with("alice-") || r.transaction.starts_with("bob-"));
            r
        }
        other => panic!("not a success: {other:?}"),
    }
}

fn participants(list: &[janus_proto::plugin::textroom::Participant]) -> Vec<(&str, Option<&str>)> {
    let mut v: Vec<_> = list
        .iter()
        .map(|p| (p.username.as_str(), p.display.as_deref()))
        .collect();
    v.sort_unstable();
    v
}

/// Checks a data-channel text; `false` if its name is not known here.
#[allow(clippy::too_many_lines)]
fn check_datachannel(stem: &str, text: &str) -> bool {
    let incoming = Incoming::from_text(text).unwrap();
    let room42 = Id::from(42);
    if let Some(error) = stem.strip_prefix("error-") {
        let Incoming::Error {
            transaction,
            error: e,
        } = &incoming
        else {
            panic!("not an error: {incoming:?}")
        };
        assert!(transaction.is_some());
        let code = match error {
            "already-in-room" => ErrorCode::AlreadyInRoom,
            "no-such-room" => ErrorCode::NoSuchRoom,
            "no-token" => ErrorCode::Unauthorized,
            "not-in-room" => ErrorCode::NotInRoom,
            "username-taken" => ErrorCode::UsernameExists,
            "wrong-pin" => ErrorCode::MissingElement, // no PIN given
            _ => return false,
        };
        assert_eq!(ErrorCode::from(e), code);
        return true;
    }
    match stem {
        "list-success" => {
            let list: RoomList = response(&incoming).decode().unwrap();
            let ours = list.list.iter().find(|r| r.room == room42).unwrap();
            assert!(ours.pin_required);
            assert_eq!(ours.history, Some(3));
            assert_eq!(ours.description.as_deref(), Some("Fixture room (edited)"));
            assert!(list.list.iter().all(|r| r.room != Id::from(43)), "private");
        }
        "join-success-first" => {
            let j: Joined = response(&incoming).decode().unwrap();
            assert!(j.participants.is_empty());
        }
        "join-success" => {
            let j: Joined = response(&incoming).decode().unwrap();
            assert_eq!(participants(&j.participants), [("alice", Some("Alice"))]);
        }
        "listparticipants-success" => {
            let p: ParticipantList = response(&incoming).decode().unwrap();
            assert_eq!(p.room, room42);
            assert_eq!(
                participants(&p.participants),
                [("alice", Some("Alice")), ("bob", Some("Bob"))]
            );
        }
        "message-success" => {
            let s: Sent = response(&incoming).decode().unwrap();
            assert_eq!(s.sent, None);
        }
        "whisper-success" | "whisper-tos-success" => {
            let s: Sent = response(&incoming).decode().unwrap();
            let mut want = BTreeMap::from([("bob".to_owned(), true)]);
            if stem == "whisper-tos-success" {
                want.insert("nobody".into(), false);
            }
            assert_eq!(s.sent.unwrap(), want);
        }
        "announcement-success" | "leave-success" => {
            let s: Success = response(&incoming).decode().unwrap();
            assert!(s.extra.is_empty());
        }
        "exists-success" => {
            let e: RoomExists = response(&incoming).decode().unwrap();
            assert_eq!((e.room, e.exists), (room42, true));
        }
        "create-success" => {
            let c: Created = response(&incoming).decode().unwrap();
            assert_eq!(c.room, Id::from(44));
        }
        "edit-success" => {
            let e: Edited = response(&incoming).decode().unwrap();
            assert_eq!(e.room, Id::from(44));
        }
        "destroy-success" => {
            let d: Destroyed = response(&incoming).decode().unwrap();
            assert_eq!(d.room, Id::from(44));
        }
        "allowed-disable-success" => {
            let a: AllowedList = response(&incoming).decode().unwrap();
            assert_eq!((a.room, a.allowed), (Id::from(43), None));
        }
        "message" | "message-no-ack" | "whisper" | "history-message" => {
            let Incoming::Message(m) = incoming else {
                panic!("{incoming:?}")
            };
            let text = match stem {
                "message" | "history-message" => "hello everybody",
                "whisper" => "psst",
                _ => "no ack wanted",
            };
            assert_eq!(
                (m.room, m.from.as_str(), m.text.as_str()),
                (room42, "alice", text)
            );
            assert_eq!(m.whisper, stem == "whisper");
            assert_eq!(m.display.is_some(), stem == "history-message");
            assert!(m.date.starts_with("20"), "{}", m.date);
            assert!(m.extra.is_empty());
        }
        "announcement" | "history-announcement" => {
            let Incoming::Announcement(a) = incoming else {
                panic!("{incoming:?}")
            };
            let text = if stem == "announcement" {
                "Closing soon"
            } else {
                "Welcome"
            };
            assert_eq!((a.room, a.text.as_str()), (room42, text));
        }
        "join-self" | "join" => {
            let Incoming::Join(p) = incoming else {
                panic!("{incoming:?}")
            };
            let who = if stem == "join" {
                ("bob", Some("Bob"))
            } else {
                ("alice", Some("Alice"))
            };
            assert_eq!((p.username.as_str(), p.display.as_deref()), who);
            assert_eq!(p.room, room42);
        }
        "leave" | "kicked" => {
            let p = match incoming {
                Incoming::Leave(p) if stem == "leave" => p,
                Incoming::Kicked(p) if stem == "kicked" => p,
                other => panic!("{other:?}"),
            };
            assert_eq!((p.room, p.username.as_str()), (room42, "bob"));
        }
        "destroyed" | "destroyed-by-us" => {
            let Incoming::Destroyed { room, extra } = incoming else {
                panic!("{incoming:?}")
            };
            let n = if stem == "destroyed" { 42 } else { 44 };
            assert_eq!(room, Id::from(n));
            assert!(extra.is_empty());
        }
        _ => return false,
    }
    true
}

fn check(name: &str, text: &str) -> bool {
    let stem = name.rsplit('/').next().unwrap().trim_end_matches(".json");
    if let Some(dc) = stem.strip_prefix("datachannel-") {
        return check_datachannel(dc, text);
    }
    let message: Value = serde_json::from_str(text).unwrap();
    match stem.strip_prefix("string-ids-") {
        Some(rest) => check_api(rest, true, &message),
        None => check_api(stem, false, &message),
    }
}

#[test]
fn every_fixture_decodes_into_its_type() {
    let all = fixtures();
    assert!(all.len() >= 60, "fixtures missing: {}", all.len());
    let unknown: Vec<_> = all
        .iter()
        .filter(|(name, text)| !check(name, text))
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(
        unknown.is_empty(),
        "fixtures without expectations: {unknown:?}"
    );
}

#[test]
fn every_janus_version_recorded_has_the_same_files() {
    let all = fixtures();
    let names = |prefix: &str| -> std::collections::BTreeSet<String> {
        all.iter()
            .filter_map(|(n, _)| n.strip_prefix(prefix).map(str::to_owned))
            .filter(|n| !n.contains('/'))
            .collect()
    };
    assert_eq!(names(""), names("janus-1.4.1/"));
}

#[test]
fn what_a_newer_janus_adds_is_kept_not_refused() {
    let (_, text) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "datachannel-message.json")
        .unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["reactions"] = json!({"+1": 2});
    let Incoming::Message(m) = Incoming::from_value(v).unwrap() else {
        panic!()
    };
    assert_eq!(m.extra["reactions"], json!({"+1": 2}));
    let novel = json!({"textroom": "typing", "room": 42, "username": "bob"});
    assert_eq!(
        Incoming::from_value(novel.clone()).unwrap(),
        Incoming::Other(novel)
    );
    let event = json!({"textroom": "event", "result": "ok", "took_ms": 1});
    let Event::Ok { extra } = Event::decode(&PluginData {
        plugin: "janus.plugin.textroom".into(),
        data: event,
    })
    .unwrap() else {
        panic!()
    };
    assert_eq!(extra["took_ms"], 1);
}
