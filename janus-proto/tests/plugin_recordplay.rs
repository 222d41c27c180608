//! The typed Record&Play API against fixtures: every file of
//! `tests/fixtures/plugins/recordplay/<janus version>/` was recorded from a real Janus
//! (`record_recordplay_fixtures` in janus-tests). Each must decode into the event its name
//! says, with the fields it carries (Janus 1.1's `done` is a bare string; `is_private` is
//! a boolean in some answers and a number in others).
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use janus_proto::plugin::PluginRequest;
use janus_proto::plugin::recordplay::{self, Configure, ErrorCode, Event};
use serde_json::{Value, json};

const ID: u64 = 1001;

fn expected_error(name: &str) -> Option<ErrorCode> {
    Some(match name {
        "error-invalid-request" => ErrorCode::InvalidRequest,
        "error-play-missing-id" | "error-record-no-sdp" => ErrorCode::MissingElement,
        "error-play-not-found" => ErrorCode::NotFound,
        "error-start-invalid-state" => ErrorCode::InvalidState,
        _ => return None,
    })
}

#[test]
fn every_recordplay_fixture_decodes_as_what_its_name_says() {
    let all = common::fixtures("recordplay");
    assert!(all.len() >= 34, "fixtures missing: {}", all.len());
    for (folder, name, message) in &all {
        let at = format!("{folder}/{name}");
        let decoded = common::decode::<Event>(message);
        if let Some(code) = expected_error(name) {
            let e = decoded.expect_err(&at);
            assert_eq!(ErrorCode::of(&e), Some(code), "{at}: {e}");
            continue;
        }
        let event = decoded.unwrap_or_else(|e| panic!("{at}: {e}"));
        check(&at, folder, name, &event, message);
    }
}

fn check(at: &str, folder: &str, name: &str, event: &Event, message: &Value) {
    let jsep = message["jsep"]["type"].as_str();
    let new = !folder.starts_with("1.1");
    match (name, event) {
        ("list-empty", Event::List(l)) => assert!(l.is_empty(), "{at}"),
        ("list", Event::List(l)) => {
            let r = &l[0];
            assert_eq!((r.id, r.name.as_deref()), (ID, Some("fixture")), "{at}");
            assert_eq!(
                (r.audio, r.video, r.data),
                (Some(true), Some(true), Some(false))
            );
            assert_eq!(r.audio_codec.as_deref(), Some("opus"), "{at}");
            assert_eq!(r.video_codec.as_deref(), Some("vp8"), "{at}");
            assert!(r.date.is_some(), "{at}");
            assert_eq!(r.is_private, new.then_some(false), "{at}");
        }
        ("update", Event::Ok) => {}
        ("configure", Event::Configured(s)) => {
            assert_eq!(s.video_bitrate_max, Some(512_000), "{at}");
            assert_eq!(s.video_keyframe_interval, Some(3), "{at}");
        }
        ("record-recording", Event::Recording(s)) => {
            assert_eq!(s.id, Some(ID), "{at}");
            assert_eq!(s.is_private, new.then_some(false), "{at}");
            assert_eq!(jsep, Some("answer"), "{at}");
        }
        ("pause", Event::Paused(s)) | ("resume", Event::Resumed(s)) => {
            assert_eq!(s.id, Some(ID), "{at}");
        }
        ("stop-stopped", Event::Stopped(s)) => {
            assert_eq!(s.id, Some(ID), "{at}");
            assert_eq!(s.is_private, new.then_some(false), "{at}: 0 is false");
        }
        ("play-preparing", Event::Preparing(s)) => {
            assert_eq!(s.id, Some(ID), "{at}");
            assert_eq!(jsep, Some("offer"), "{at}");
        }
        ("start-playing", Event::Playing(_)) => {}
        ("event-done-recording" | "event-done-playout", Event::Done(s)) => {
            assert_eq!(s.id, new.then_some(ID), "{at}");
        }
        _ => panic!("{at}: decoded as {event:?}"),
    }
}

#[test]
fn recordplay_requests_serialise_as_the_plugin_reads_them() {
    let configure = Configure {
        video_bitrate_max: Some(256_000),
        ..Configure::new()
    };
    assert_eq!(
        configure.to_body().unwrap(),
        json!({"request": "configure", "video-bitrate-max": 256_000})
    );
    assert_eq!(
        recordplay::Play::new(7_u64).to_body().unwrap(),
        json!({"request": "play", "id": 7})
    );
    assert_eq!(ErrorCode::from_code(440), ErrorCode::Unauthorized);
    assert_eq!(ErrorCode::from_code(4242).code(), 4242);
}
