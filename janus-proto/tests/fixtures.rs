//! Golden fixtures: messages recorded from a real Janus 1.1.2 (re-record with
//! `cargo xtask netns -- cargo run -p janus-tests --bin record_fixtures`). Each must parse
//! into the variant its directory names and encode back to the same JSON.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};

use janus_proto::Incoming;
use janus_proto::msg::incoming::parse_batch;
use serde_json::Value;

fn fixtures() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut all = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        let kind = dir.file_name().unwrap().to_string_lossy().into_owned();
        if kind == "plugins" {
            continue; // plugin messages: tests/plugin_*.rs
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            all.push((kind.clone(), file.unwrap().path()));
        }
    }
    all.sort();
    all
}

/// The recorded JSON without what the parser deliberately does not keep.
fn comparable(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("opaque_id");
    }
    v
}

fn assert_round_trip(text: &str, parsed: &Incoming, path: &Path) {
    let original: Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        parsed.to_value(),
        comparable(original),
        "{}",
        path.display()
    );
}

#[test]
fn every_recorded_message_parses_as_its_kind_and_round_trips() {
    let all = fixtures();
    assert!(all.len() >= 25, "fixtures missing: {}", all.len());
    let mut seen = std::collections::BTreeSet::new();
    for (kind, path) in all.iter().filter(|(k, _)| k != "longpoll") {
        let text = std::fs::read_to_string(path).unwrap();
        let parsed = Incoming::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            !matches!(parsed, Incoming::Unknown(_)),
            "{} parsed as unknown",
            path.display()
        );
        assert_eq!(
            parsed.to_value()["janus"],
            kind.as_str(),
            "{}",
            path.display()
        );
        assert_round_trip(&text, &parsed, path);
        seen.insert(kind.clone());
    }
    for kind in [
        "ack",
        "success",
        "error",
        "pong",
        "server_info",
        "event",
        "detached",
        "timeout",
    ] {
        assert!(seen.contains(kind), "no fixture of kind {kind}");
    }
}

#[test]
fn recorded_long_poll_bodies_parse_as_batches() {
    for (_, path) in fixtures().iter().filter(|(k, _)| k == "longpoll") {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy();
        if name.starts_with("unknown-session-http-404") {
            // Janus answers a poll of an unknown session with an empty 404: the status
            // tells, the body is nothing to parse.
            assert!(text.trim().is_empty(), "{name}");
            assert!(
                matches!(parse_batch(&text).as_deref(), Ok([Err(_)])),
                "{name}"
            );
            continue;
        }
        let batch = parse_batch(&text).unwrap();
        let elements: Vec<Value> = match serde_json::from_str(&text).unwrap() {
            Value::Array(items) => items,
            one => vec![one],
        };
        assert_eq!(batch.len(), elements.len(), "{name}");
        for (parsed, original) in batch.iter().zip(elements) {
            let parsed = parsed.as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(parsed.to_value(), comparable(original), "{name}");
        }
        if name == "batch-of-three-events" {
            let txs: Vec<_> = batch
                .iter()
                .map(|m| {
                    m.as_ref()
                        .unwrap()
                        .transaction()
                        .unwrap()
                        .as_str()
                        .to_owned()
                })
                .collect();
            assert_eq!(
                txs,
                [
                    "fixture-http-msg-0",
                    "fixture-http-msg-1",
                    "fixture-http-msg-2"
                ],
                "in order"
            );
        }
    }
}

#[test]
fn recorded_replies_carry_what_the_client_relies_on() {
    let read = |p: &str| {
        Incoming::parse(
            &std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures")
                    .join(p),
            )
            .unwrap(),
        )
        .unwrap()
    };
    let Incoming::ServerInfo { info, .. } = read("server_info/info.json") else {
        panic!()
    };
    assert_eq!(
        (info.name.as_str(), info.session_timeout),
        ("Janus WebRTC Server", 4)
    );
    assert!(info.plugins.contains_key("janus.plugin.echotest"));
    let Incoming::Error { error, .. } = read("error/session-not-found.json") else {
        panic!()
    };
    assert_eq!(error.code, janus_proto::ErrorCode::SessionNotFound);
    let Incoming::Event {
        plugindata: Some(p),
        ..
    } = read("event/videoroom-no-such-room.json")
    else {
        panic!()
    };
    assert_eq!(p.error().map(|e| e.code), Some(426));
}

#[test]
fn recorded_webrtc_events_carry_their_details() {
    let read = |p: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(p);
        Incoming::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    assert!(matches!(
        read("webrtcup/echotest.json"),
        Incoming::WebrtcUp {
            session: Some(_),
            sender: Some(_)
        }
    ));
    for (file, kind, receiving) in [
        ("media/audio-receiving.json", "audio", true),
        ("media/video-receiving.json", "video", true),
        ("media/audio-stopped.json", "audio", false),
    ] {
        let Incoming::Media { media, .. } = read(file) else {
            panic!("{file}")
        };
        assert_eq!(
            (media.kind.as_str(), media.receiving),
            (kind, receiving),
            "{file}"
        );
        assert!(media.mid.is_some(), "{file}: Janus 1.1 names the mid");
    }
    let Incoming::Hangup { reason, .. } = read("hangup/after-webrtc.json") else {
        panic!("hangup")
    };
    assert_eq!(reason.as_deref(), Some("Janus API"));
    // With full trickle Janus trickles a candidate, then the end of candidates.
    let trickles: Vec<_> = [
        "trickle/offer-answered.json",
        "trickle/offer-answered-2.json",
    ]
    .into_iter()
    .map(|f| match read(f) {
        Incoming::Trickle { trickle, .. } => trickle,
        other => panic!("{f}: {other:?}"),
    })
    .collect();
    assert!(trickles.iter().any(
        |t| matches!(t, janus_proto::Trickle::Candidate(c) if c.candidate.contains("127.0.0.2"))
    ));
    assert!(trickles.contains(&janus_proto::Trickle::Completed));
}
