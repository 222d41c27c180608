//! The typed NoSIP API against fixtures: every file of
//! `tests/fixtures/plugins/nosip/<janus version>/` was recorded from a real Janus
//! (`record_nosip_fixtures` in janus-tests): a call to and from a plain-RTP peer, the
//! recording, keyframe and forwarder requests, and the errors. Each must decode into the
//! event its name says, with the fields it carries.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use janus_proto::plugin::PluginRequest;
use janus_proto::plugin::nosip::{
    self, ErrorCode, Event, ForwardStream, ForwardedStream, Process, SdpType, Srtp,
};
use serde_json::{Value, json};

fn expected_error(name: &str) -> Option<ErrorCode> {
    Some(match name {
        "error-generate-no-sdp" => ErrorCode::MissingSdp,
        "error-process-missing-sdp" => ErrorCode::MissingElement,
        n if n == "error-invalid-request" || n.ends_with("-unknown") => ErrorCode::InvalidRequest,
        _ => return None,
    })
}

#[test]
fn every_nosip_fixture_decodes_as_what_its_name_says() {
    let all = common::fixtures("nosip");
    assert!(all.len() >= 28, "fixtures missing: {}", all.len());
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
        ("generate-offer" | "generate-answer", Event::Generated(g)) => {
            let kind = if name == "generate-offer" {
                SdpType::Offer
            } else {
                SdpType::Answer
            };
            assert_eq!(g.kind, kind, "{at}");
            assert!(g.sdp.contains("m=audio "), "{at}");
            assert_eq!(g.unique_id.is_some(), new, "{at}");
        }
        ("process-answer" | "process-offer", Event::Processed(p)) => {
            let want = if name == "process-answer" {
                "answer"
            } else {
                "offer"
            };
            assert_eq!(jsep, Some(want), "{at}");
            assert!(p.srtp.is_none(), "{at}");
            assert_eq!(p.unique_id.is_some(), new, "{at}");
        }
        ("recording-start" | "recording-stop", Event::RecordingUpdated(_))
        | ("keyframe", Event::KeyframeSent(_))
        | ("hangup", Event::HangingUp(_)) => {}
        ("rtp-forward", Event::RtpForward(f)) | ("listforwarders", Event::Forwarders(f)) => {
            assert_eq!(f.len(), 1, "{at}");
            assert_eq!(f[0].kind, Some(ForwardedStream::Audio), "{at}");
            assert_eq!(f[0].host.as_deref(), Some("127.0.0.2"), "{at}");
            assert!(f[0].stream_id.is_some() && f[0].port.is_some(), "{at}");
        }
        ("stop-rtp-forward", Event::StopRtpForward { stream_id }) => {
            assert!(stream_id.is_some(), "{at}");
        }
        _ => panic!("{at}: decoded as {event:?}"),
    }
}

#[test]
fn nosip_requests_serialise_as_the_plugin_reads_them() {
    let process = Process {
        srtp: Some(Srtp::SdesOptional),
        ..Process::new(SdpType::Offer, "v=0")
    };
    assert_eq!(
        process.to_body().unwrap(),
        json!({"request": "process", "type": "offer", "sdp": "v=0", "srtp": "sdes_optional"})
    );
    let forward = nosip::RtpForward::new(vec![ForwardStream::new(
        ForwardedStream::PeerVideo,
        "10.0.0.1",
        5004_u16,
    )]);
    assert_eq!(
        forward.to_body().unwrap(),
        json!({"request": "rtp_forward",
               "streams": [{"type": "peer_video", "host": "10.0.0.1", "port": 5004}]})
    );
    assert_eq!(ErrorCode::from_code(450), ErrorCode::TooStrict);
    assert_eq!(ErrorCode::Unknown(4242).code(), 4242);
}
