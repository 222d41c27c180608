//! The typed VoiceMail API against fixtures: every file of
//! `tests/fixtures/plugins/voicemail/<janus version>/` was recorded from a real Janus
//! (`record_voicemail_fixtures` in janus-tests; only Janus 1.1.2 has the plugin). Each
//! must decode into the event its name says, with the fields it carries.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use janus_proto::plugin::PluginRequest;
use janus_proto::plugin::voicemail::{self, ErrorCode, Event};
use serde_json::json;

fn expected_error(name: &str) -> Option<ErrorCode> {
    Some(match name {
        "error-already-recording" => ErrorCode::AlreadyRecording,
        "error-invalid-request" => ErrorCode::InvalidRequest,
        "error-update-invalid-state" => ErrorCode::InvalidState,
        _ => return None,
    })
}

#[test]
fn every_voicemail_fixture_decodes_as_what_its_name_says() {
    let all = common::fixtures("voicemail");
    assert!(all.len() >= 6, "fixtures missing: {}", all.len());
    for (folder, name, message) in &all {
        let at = format!("{folder}/{name}");
        let decoded = common::decode::<Event>(message);
        if let Some(code) = expected_error(name) {
            let e = decoded.expect_err(&at);
            assert_eq!(ErrorCode::of(&e), Some(code), "{at}: {e}");
            continue;
        }
        let event = decoded.unwrap_or_else(|e| panic!("{at}: {e}"));
        match (name.as_str(), &event) {
            ("record-starting", Event::Starting) => {
                assert_eq!(message["jsep"]["type"], "answer", "{at}");
            }
            ("event-started", Event::Started) => {}
            ("stop-done", Event::Done(d)) => {
                let file = d.file_name().expect(&at);
                assert!(
                    file.starts_with("janus-voicemail-") && file.ends_with(".opus"),
                    "{at}"
                );
            }
            _ => panic!("{at}: decoded as {event:?}"),
        }
    }
}

#[test]
fn voicemail_requests_serialise_as_the_plugin_reads_them() {
    assert_eq!(
        voicemail::Record::new().to_body().unwrap(),
        json!({"request": "record"})
    );
    assert_eq!(
        voicemail::Stop::new().to_body().unwrap(),
        json!({"request": "stop"})
    );
    assert_eq!(ErrorCode::from_code(466), ErrorCode::IoError);
    assert_eq!(ErrorCode::from_code(4242), ErrorCode::Unknown(4242));
}
