//! The typed VideoCall API against fixtures: every file of
//! `tests/fixtures/plugins/videocall/<janus version>/` was recorded from a real Janus
//! (`record_videocall_fixtures` in janus-tests). Each must decode into the event its name
//! says, with the fields it carries; the requests serialise as the plugin reads them.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use janus_proto::plugin::PluginRequest;
use janus_proto::plugin::videocall::{self, ErrorCode, Event, Set};
use serde_json::{Value, json};

/// The plugin error a fixture must decode to, by its folder and name.
fn expected_error(folder: &str, name: &str) -> Option<ErrorCode> {
    Some(match name {
        "error-already-registered" => ErrorCode::AlreadyRegistered,
        "error-invalid-element" => ErrorCode::InvalidElement,
        "error-invalid-request" => ErrorCode::InvalidRequest,
        // Janus 1.1 checks "already registered" wrongly before the missing name.
        "error-missing-element" if folder.starts_with("1.1") => ErrorCode::AlreadyRegistered,
        "error-missing-element" => ErrorCode::MissingElement,
        "error-missing-sdp" => ErrorCode::MissingSdp,
        "error-no-call" => ErrorCode::NoCall,
        "error-no-such-username" => ErrorCode::NoSuchUsername,
        "error-register-first" => ErrorCode::RegisterFirst,
        "error-use-echo-test" => ErrorCode::UseEchoTest,
        "error-username-taken" => ErrorCode::UsernameTaken,
        _ => return None,
    })
}

#[test]
fn every_videocall_fixture_decodes_as_what_its_name_says() {
    let all = common::fixtures("videocall");
    assert!(all.len() >= 50, "fixtures missing: {}", all.len());
    for (folder, name, message) in &all {
        let at = format!("{folder}/{name}");
        let decoded = common::decode::<Event>(message);
        if let Some(code) = expected_error(folder, name) {
            let e = decoded.expect_err(&at);
            assert_eq!(ErrorCode::of(&e), Some(code), "{at}: {e}");
            assert_eq!(code.code(), ErrorCode::from_code(code.code()).code());
            continue;
        }
        let event = decoded.unwrap_or_else(|e| panic!("{at}: {e}"));
        check(&at, name, &event, message);
    }
}

fn check(at: &str, name: &str, event: &Event, message: &Value) {
    let jsep = message["jsep"]["type"].as_str();
    match (name, event) {
        ("list-empty", Event::List(l)) => assert!(l.is_empty(), "{at}"),
        ("list", Event::List(l)) => {
            let mut l = l.clone();
            l.sort();
            assert_eq!(l, ["alice", "bob"], "{at}");
        }
        ("register" | "register-bob", Event::Registered(p)) => {
            assert!(
                matches!(p.username.as_deref(), Some("alice" | "bob")),
                "{at}"
            );
        }
        ("call-calling", Event::Calling(_)) | ("accept-accepted", Event::Accepted(_)) => {
            assert!(jsep.is_none(), "{at}");
        }
        ("event-incomingcall", Event::IncomingCall(p)) => {
            assert_eq!(p.username.as_deref(), Some("alice"), "{at}");
            assert_eq!(jsep, Some("offer"), "{at}");
        }
        ("event-accepted", Event::Accepted(p)) => {
            assert_eq!(p.username.as_deref(), Some("bob"), "{at}");
            assert_eq!(jsep, Some("answer"), "{at}");
        }
        ("set" | "set-with-offer" | "set-with-answer", Event::Set(_)) => {}
        ("event-update-offer", Event::Update(_)) => assert_eq!(jsep, Some("offer"), "{at}"),
        ("event-update-answer", Event::Update(_)) => assert_eq!(jsep, Some("answer"), "{at}"),
        ("hangup" | "event-hangup", Event::Hangup(h)) => {
            assert_eq!(h.username.as_deref(), Some("alice"), "{at}");
            assert!(h.reason.is_some(), "{at}");
        }
        ("hangup-no-call", Event::Hangup(h)) => {
            assert_eq!(h.username.as_deref(), Some("bob"), "{at}");
        }
        _ => panic!("{at}: decoded as {event:?}"),
    }
}

#[test]
fn videocall_requests_serialise_as_the_plugin_reads_them() {
    let set = Set {
        audio: Some(false),
        bitrate: Some(128_000),
        record: Some(true),
        filename: Some("/tmp/me".into()),
        ..Set::new()
    };
    assert_eq!(
        set.to_body().unwrap(),
        json!({"request": "set", "audio": false, "bitrate": 128_000, "record": true,
               "filename": "/tmp/me"})
    );
    assert_eq!(
        videocall::Register::new("bob").to_body().unwrap(),
        json!({"request": "register", "username": "bob"})
    );
    assert_eq!(
        videocall::Hangup::new().to_body().unwrap(),
        json!({"request": "hangup"})
    );
    assert_eq!(ErrorCode::from_code(4242), ErrorCode::Unknown(4242));
}

#[test]
fn unknown_videocall_events_and_new_fields_are_kept() {
    let data = janus_proto::PluginData {
        plugin: videocall::PLUGIN.into(),
        data: json!({"videocall": "event", "result": {"event": "registered", "username": "a",
                     "color": "blue"}}),
    };
    let Ok(Event::Registered(p)) = janus_proto::plugin::PluginEvent::decode(&data) else {
        panic!("not registered")
    };
    assert_eq!(p.extra["color"], "blue");
    let data = janus_proto::PluginData {
        plugin: videocall::PLUGIN.into(),
        data: json!({"videocall": "event", "result": {"event": "teleported"}}),
    };
    let decoded: Event = janus_proto::plugin::PluginEvent::decode(&data).unwrap();
    assert!(matches!(decoded, Event::Other(_)));
}
