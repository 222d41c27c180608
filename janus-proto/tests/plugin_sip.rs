//! The typed SIP plugin API against fixtures. `tests/fixtures/plugins/sip/<janus version>/`
//! was recorded from a real Janus talking to a real SIP peer (`record_sip_fixtures` in
//! janus-tests, with sipp as registrar, caller and callee): every file must decode into
//! the event its name says. What that exchange cannot provoke (subscriptions, transfers,
//! helpers, forwarders, every error code) is in `handwritten/` (`*.handwritten.json`),
//! shaped as Janus 1.4.1's `janus_sip.c` builds each message (`call_id` and `unique_id`
//! beside `result`, the JSEP beside `plugindata`), with its fields checked. The requests
//! serialise as the plugin reads them.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use janus_proto::PluginData;
use janus_proto::plugin::sip::{
    self, Accept, Call, Decline, DtmfInfo, Event, ForwardStream, ForwardedStream, Headers, Hold,
    HoldDirection, Info, Message, Recording, RecordingAction, Register, RegisterType, Srtp,
    Subscribe,
};
use janus_proto::plugin::{PluginEvent, PluginRequest};
use serde_json::{Value, json};

use sip::ErrorCode;

const CID: &str = "hand-9f1c2e7a@127.0.0.2";
const ALICE: &str = "sip:alice@127.0.0.3";
const BOB: &str = "sip:bob@127.0.0.3";

/// The plugin error a fixture must decode to, by its name.
fn expected_error(name: &str) -> Option<ErrorCode> {
    Some(match name.strip_prefix("error-")? {
        "unknown-error" => ErrorCode::UnknownError,
        "no-message" => ErrorCode::NoMessage,
        "invalid-json" => ErrorCode::InvalidJson,
        // Recorded from Janus 1.1, which has no `keyframe` yet.
        "invalid-request" | "unknown-keyframe" => ErrorCode::InvalidRequest,
        "missing-element" => ErrorCode::MissingElement,
        "invalid-element" => ErrorCode::InvalidElement,
        "already-registered" => ErrorCode::AlreadyRegistered,
        "invalid-address" => ErrorCode::InvalidAddress,
        "wrong-state" => ErrorCode::WrongState,
        "missing-sdp" => ErrorCode::MissingSdp,
        "libsofia-error" => ErrorCode::LibsofiaError,
        "io-error" => ErrorCode::IoError,
        "recording-error" => ErrorCode::RecordingError,
        "too-strict" => ErrorCode::TooStrict,
        "helper-error" => ErrorCode::HelperError,
        "no-such-callid" => ErrorCode::NoSuchCallid,
        "no-such-stream" => ErrorCode::NoSuchStream,
        other => panic!("no error code for {other}"),
    })
}

#[test]
fn every_sip_fixture_decodes_as_what_its_name_says() {
    let all: Vec<_> = common::fixtures("sip")
        .into_iter()
        .filter(|(folder, _, _)| folder == "handwritten")
        .collect();
    assert!(all.len() >= 67, "fixtures missing: {}", all.len());
    let mut codes = Vec::new();
    for (folder, name, message) in &all {
        let at = format!("{folder}/{name}");
        let decoded = common::decode::<Event>(message);
        if let Some(code) = expected_error(name) {
            let e = decoded.expect_err(&at);
            assert_eq!(ErrorCode::of(&e), Some(code), "{at}: {e}");
            assert_eq!(ErrorCode::from_code(code.code()), code, "{at}");
            codes.push(code.code());
            continue;
        }
        let event = decoded.unwrap_or_else(|e| panic!("{at}: {e}"));
        check(&at, name, &event, message);
    }
    codes.sort_unstable();
    let mut every: Vec<u16> = (440..=455).collect();
    every.push(499);
    assert_eq!(codes, every, "one fixture per error code");
}

#[test]
fn every_recorded_sip_fixture_decodes_as_the_event_its_name_says() {
    let recorded: Vec<_> = common::fixtures("sip")
        .into_iter()
        .filter(|(folder, _, _)| folder != "handwritten")
        .collect();
    for version in ["1.1.2", "1.4.1"] {
        let n = recorded.iter().filter(|(f, _, _)| f == version).count();
        assert!(n >= 24, "{version}: {n} recorded fixtures");
    }
    for (folder, name, message) in &recorded {
        let at = format!("{folder}/{name}");
        let decoded = common::decode::<Event>(message);
        if let Some(code) = expected_error(name) {
            let e = decoded.expect_err(&at);
            assert_eq!(ErrorCode::of(&e), Some(code), "{at}: {e}");
            continue;
        }
        let event = decoded.unwrap_or_else(|e| panic!("{at}: {e}"));
        assert!(!matches!(event, Event::Other(_)), "{at}: {event:?}");
        // The name ends with the event the plugin says it is (`call-calling`,
        // `event-registration-failed`).
        let kind = message["plugindata"]["data"]["result"]["event"]
            .as_str()
            .unwrap()
            .replace('_', "-");
        assert!(name.ends_with(&kind), "{at}: {kind}");
        let jsep = message["jsep"]["type"].as_str();
        match &event {
            Event::Registered(r) => assert_eq!(r.username.as_deref(), Some("alice"), "{at}"),
            Event::RegistrationFailed(s) => assert_eq!(s.code, Some(403), "{at}"),
            Event::IncomingCall(c) => {
                let from = c.username.as_deref().unwrap();
                assert!(from.starts_with("sip:sipp@127.0.0.2:"), "{at}: {from}");
                assert!(c.call_id.is_some(), "{at}");
                assert_eq!(jsep, Some("offer"), "{at}");
            }
            Event::Accepted(a) if name == "event-accepted" => {
                let callee = a.username.as_deref().unwrap();
                assert!(callee.starts_with("sip:bob@127.0.0.2:"), "{at}: {callee}");
                assert_eq!(jsep, Some("answer"), "{at}");
            }
            Event::Hangup(s) => assert!(s.code.is_some() && s.reason.is_some(), "{at}"),
            Event::MessageDelivery(s) => assert_eq!(s.code, Some(200), "{at}"),
            Event::Proceeding(p) => assert_eq!(p.code, Some(180), "{at}"),
            _ => {}
        }
        if !matches!(event, Event::IncomingCall(_) | Event::Accepted(_)) {
            assert!(jsep.is_none(), "{at}: unexpected JSEP");
        }
    }
}

fn headers(pairs: &[(&str, &str)]) -> Option<Headers> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

#[allow(clippy::too_many_lines)]
fn check(at: &str, name: &str, event: &Event, message: &Value) {
    let jsep = message["jsep"]["type"].as_str();
    let cid = Some(CID);
    if !matches!(
        name,
        "event-progress" | "event-accepted" | "event-incomingcall"
    ) && name != "event-updatingcall"
    {
        assert!(jsep.is_none(), "{at}: unexpected JSEP");
    }
    match (name, event) {
        ("register-registering", Event::Registering(d)) => {
            assert!(d.call_id.is_none(), "{at}");
            assert!(d.extra.contains_key("unique_id"), "{at}");
        }
        ("register-guest-registered" | "register-helper-registered", Event::Registered(r)) => {
            assert_eq!(r.username.as_deref(), Some(ALICE), "{at}");
            assert_eq!(r.register_sent, Some(false), "{at}");
            assert_eq!(r.master_id, Some(1_879_048_192), "{at}");
            assert!(r.unique_id.is_some(), "{at}");
            let helper = name.contains("helper");
            assert_eq!(r.helper, helper.then_some(true), "{at}");
            assert_eq!(
                sip::registered_or_failed(event.clone()),
                Some(Ok(r.clone()))
            );
        }
        ("event-registered", Event::Registered(r)) => {
            assert_eq!(r.register_sent, Some(true), "{at}");
            // `unique_id` sits beside `result` here, and moves into the payload.
            assert!(r.unique_id.is_some(), "{at}");
            assert_eq!(r.headers, headers(&[("X-Registrar", "test")]), "{at}");
        }
        ("event-registration-failed", Event::RegistrationFailed(s)) => {
            assert_eq!(
                (s.code, s.reason.as_deref()),
                (Some(403), Some("Forbidden"))
            );
            let Some(Err(failed)) = sip::registered_or_failed(event.clone()) else {
                panic!("{at}: not a failure")
            };
            assert_eq!(&failed, s);
        }
        ("unregister-unregistering", Event::Unregistering(_))
        | ("unsubscribe-unsubscribing", Event::Unsubscribing(_))
        | ("reset-reset", Event::Reset(_)) => {}
        ("event-unregistered", Event::Unregistered(r)) => {
            assert_eq!(r.username.as_deref(), Some(ALICE), "{at}");
            assert_eq!(
                sip::unregistered_or_failed(event.clone()),
                Some(Ok(r.clone()))
            );
            assert_eq!(sip::registered_or_failed(event.clone()), None, "{at}");
        }
        ("subscribe-subscribing", Event::Subscribing(d)) => {
            assert_eq!(d.call_id.as_deref(), Some("sub-1@127.0.0.2"), "{at}");
        }
        ("event-subscribe-succeeded", Event::SubscribeSucceeded(s)) => {
            assert_eq!((s.code, s.expires), (Some(202), Some(3600)), "{at}");
            assert_eq!(s.call_id.as_deref(), Some("sub-1@127.0.0.2"), "{at}");
        }
        ("event-subscribe-failed", Event::SubscribeFailed(s)) => {
            assert_eq!(s.code, Some(489), "{at}");
            assert_eq!(s.call_id.as_deref(), Some("sub-1@127.0.0.2"), "{at}");
        }
        ("event-notify", Event::Notify(n)) => {
            assert_eq!(n.notify.as_deref(), Some("message-summary"), "{at}");
            assert_eq!(n.substate.as_deref(), Some("active"), "{at}");
            assert_eq!(
                n.content_type.as_deref(),
                Some("application/simple-message-summary")
            );
            assert!(
                n.content
                    .as_deref()
                    .unwrap()
                    .starts_with("Messages-Waiting")
            );
        }
        ("call-calling", Event::Calling(d))
        | ("progress-progressed", Event::Progressed(d))
        | ("accept-accepting", Event::Accepting(d))
        | ("update-updating", Event::Updating(d))
        | ("update-updated", Event::Updated(d))
        | ("hold-holding", Event::Holding(d))
        | ("unhold-resuming", Event::Resuming(d))
        | ("transfer-transferring", Event::Transferring(d))
        | ("hangup-hangingup", Event::HangingUp(d))
        | ("info-infosent", Event::InfoSent(d))
        | ("dtmf-info-dtmfsent", Event::DtmfSent(d))
        | ("recording-recordingupdated", Event::RecordingUpdated(d))
        | ("keyframe-keyframesent", Event::KeyframeSent(d))
        | ("send-ringing", Event::Done(d)) => {
            assert_eq!(d.call_id.as_deref(), cid, "{at}");
            assert!(d.extra.is_empty(), "{at}: {:?}", d.extra);
        }
        ("event-ringing", Event::Ringing(p)) => {
            assert_eq!(p.headers, headers(&[("X-Ring", "1")]), "{at}");
            assert_eq!(p.call_id.as_deref(), cid, "{at}");
        }
        ("event-proceeding", Event::Proceeding(p)) => assert_eq!(p.code, Some(100), "{at}"),
        ("event-progress", Event::Progress(a)) => {
            assert_eq!(a.username.as_deref(), Some(BOB), "{at}");
            assert_eq!(jsep, Some("answer"), "{at}");
            assert_eq!(sip::accepted_or_hangup(event.clone()), None, "{at}");
        }
        ("event-accepted" | "event-accepted-after-progress", Event::Accepted(a)) => {
            assert_eq!(a.username.as_deref(), Some(BOB), "{at}");
            assert_eq!(a.call_id.as_deref(), cid, "{at}");
            let with_sdp = name == "event-accepted";
            assert_eq!(jsep.is_some(), with_sdp, "{at}");
            if with_sdp {
                assert_eq!(jsep, Some("answer"), "{at}");
                assert_eq!(a.headers, headers(&[("X-Answered-By", "bob")]), "{at}");
            }
            assert_eq!(sip::accepted_or_hangup(event.clone()), Some(Ok(a.clone())));
        }
        ("accept-accepted", Event::Accepted(a)) => {
            assert!(a.username.is_none(), "{at}");
            assert_eq!(a.call_id.as_deref(), cid, "{at}");
        }
        ("event-hangup-busy", Event::Hangup(s)) => {
            assert_eq!(
                (s.code, s.reason.as_deref()),
                (Some(486), Some("Busy Here"))
            );
            assert_eq!(s.reason_header.as_deref(), Some("User busy"), "{at}");
            assert_eq!(s.reason_header_protocol.as_deref(), Some("Q.850"), "{at}");
            assert_eq!(s.reason_header_cause.as_deref(), Some("17"), "{at}");
            assert_eq!(sip::accepted_or_hangup(event.clone()), Some(Err(s.clone())));
        }
        ("event-hangup", Event::Hangup(s)) => {
            assert_eq!(s.code, Some(200), "{at}");
            assert_eq!(s.call_id.as_deref(), cid, "{at}");
        }
        ("event-incomingcall" | "event-incomingcall-offerless", Event::IncomingCall(c)) => {
            assert_eq!(c.username.as_deref(), Some(ALICE), "{at}");
            assert_eq!(c.callee.as_deref(), Some(BOB), "{at}");
            assert_eq!(c.call_id.as_deref(), cid, "{at}");
            if name == "event-incomingcall" {
                assert_eq!(jsep, Some("offer"), "{at}");
                assert_eq!(c.displayname.as_deref(), Some("Alice"), "{at}");
                assert_eq!(c.headers, headers(&[("X-Call", "yes")]), "{at}");
                assert_eq!(c.srtp, Some(Srtp::SdesOptional), "{at}");
            } else {
                // No SDP, so no SRTP to report either.
                assert!(c.srtp.is_none() && c.displayname.is_none(), "{at}");
            }
        }
        ("event-updatingcall", Event::UpdatingCall(c)) => {
            assert_eq!(c.username.as_deref(), Some(ALICE), "{at}");
            assert_eq!(jsep, Some("offer"), "{at}");
        }
        ("event-missed-call", Event::MissedCall(m)) => {
            assert_eq!(m.caller.as_deref(), Some("sip:carol@127.0.0.3"), "{at}");
            assert_eq!(m.displayname.as_deref(), Some("Carol"), "{at}");
            assert_eq!(m.callee.as_deref(), Some(BOB), "{at}");
            assert_eq!(m.call_id.as_deref(), Some("hand-2d3e@127.0.0.4"), "{at}");
        }
        ("decline-declining", Event::Declining(d)) => {
            assert_eq!((d.code, d.refer_id), (Some(486), None), "{at}");
            assert_eq!(d.call_id.as_deref(), cid, "{at}");
        }
        ("decline-transfer-declining", Event::Declining(d)) => {
            assert_eq!((d.code, d.refer_id), (Some(603), Some(7)), "{at}");
        }
        ("event-transfer", Event::Transfer(t)) => {
            assert_eq!(t.refer_id, Some(7), "{at}");
            assert_eq!(t.refer_to.as_deref(), Some("sip:carol@127.0.0.3"), "{at}");
            assert_eq!(t.referred_by.as_deref(), Some(BOB), "{at}");
            assert_eq!(t.replaces.as_deref(), Some("hand-2d3e@127.0.0.4"), "{at}");
            assert!(t.call_id.is_none(), "{at}");
        }
        ("event-info", Event::Info(i)) => {
            assert_eq!(i.sender.as_deref(), Some(BOB), "{at}");
            assert_eq!(i.kind.as_deref(), Some("application/x-test"), "{at}");
            assert_eq!(i.content.as_deref(), Some("hello"), "{at}");
            assert_eq!(i.call_id.as_deref(), cid, "{at}");
        }
        ("event-message", Event::Message(m)) => {
            assert_eq!(m.sender.as_deref(), Some(BOB), "{at}");
            assert_eq!(m.content.as_deref(), Some("hi alice"), "{at}");
            assert_eq!(m.content_type.as_deref(), Some("text/plain"), "{at}");
        }
        ("message-messagesent", Event::MessageSent(d)) => {
            // The message's own Call-ID, in `result`, wins over the call's beside it.
            assert_eq!(d.call_id.as_deref(), Some("msg-1@127.0.0.2"), "{at}");
        }
        ("event-messagedelivery", Event::MessageDelivery(s)) => {
            assert_eq!((s.code, s.reason.as_deref()), (Some(202), Some("Accepted")));
            assert_eq!(s.call_id.as_deref(), Some("msg-1@127.0.0.2"), "{at}");
        }
        ("event-dtmf", Event::Dtmf(d)) => {
            assert_eq!(d.signal.as_deref(), Some("5"), "{at}");
            assert_eq!(d.duration, Some(160), "{at}");
            assert_eq!(d.sender.as_deref(), Some(BOB), "{at}");
        }
        ("rtp-forward-rtp-forward", Event::RtpForward(f))
        | ("listforwarders-forwarders", Event::Forwarders(f)) => {
            assert_eq!(f.len(), 1, "{at}");
            assert_eq!(f[0].kind, Some(ForwardedStream::Audio), "{at}");
            assert_eq!((f[0].stream_id, f[0].port), (Some(1), Some(5002)), "{at}");
        }
        ("stop-rtp-forward-stop-rtp-forward", Event::StopRtpForward { stream_id }) => {
            assert_eq!(*stream_id, Some(1), "{at}");
        }
        _ => panic!("{at}: decoded as {event:?}"),
    }
}

#[test]
fn every_event_kind_has_a_fixture() {
    let mut kinds: Vec<String> = common::fixtures("sip")
        .iter()
        .filter_map(|(_, _, m)| m["plugindata"]["data"]["result"]["event"].as_str())
        .map(str::to_owned)
        .collect();
    kinds.sort();
    kinds.dedup();
    let every = [
        "accepted",
        "accepting",
        "calling",
        "declining",
        "dtmf",
        "dtmfsent",
        "forwarders",
        "hangingup",
        "hangup",
        "holding",
        "incomingcall",
        "info",
        "infosent",
        "keyframesent",
        "message",
        "messagedelivery",
        "messagesent",
        "missed_call",
        "notify",
        "proceeding",
        "progress",
        "progressed",
        "recordingupdated",
        "registered",
        "registering",
        "registration_failed",
        "reset",
        "resuming",
        "ringing",
        "rtp_forward",
        "stop_rtp_forward",
        "subscribe_failed",
        "subscribe_succeeded",
        "subscribing",
        "transfer",
        "transferring",
        "unregistered",
        "unregistering",
        "unsubscribing",
        "updated",
        "updating",
        "updatingcall",
    ];
    assert_eq!(kinds, every);
}

#[test]
fn sip_requests_serialise_as_the_plugin_reads_them() {
    let register = Register {
        kind: Some(RegisterType::Helper),
        secret: Some("s3cret".into()),
        authuser: Some("alice".into()),
        display_name: Some("Alice".into()),
        proxy: Some("sip:127.0.0.3".into()),
        outbound_proxy: Some("sip:127.0.0.4".into()),
        headers: headers(&[("X-Who", "me")]),
        contact_params: headers(&[("transport", "udp")]),
        incoming_header_prefixes: Some(vec!["X-".into()]),
        master_id: Some(7),
        register_ttl: Some(60),
        force_udp: Some(true),
        sips: Some(false),
        rfc2543_cancel: Some(true),
        ..Register::new(ALICE)
    };
    assert_eq!(
        register.to_body().unwrap(),
        json!({"request": "register", "username": ALICE, "type": "helper", "force_udp": true,
               "sips": false, "rfc2543_cancel": true, "secret": "s3cret", "authuser": "alice",
               "display_name": "Alice", "headers": {"X-Who": "me"},
               "contact_params": {"transport": "udp"}, "master_id": 7,
               "incoming_header_prefixes": ["X-"], "register_ttl": 60,
               "proxy": "sip:127.0.0.3", "outbound_proxy": "sip:127.0.0.4"})
    );
    let call = Call {
        call_id: Some(CID.into()),
        srtp: Some(Srtp::SdesMandatory),
        srtp_profile: Some("AES_CM_128_HMAC_SHA1_80".into()),
        autoaccept_reinvites: Some(false),
        refer_id: Some(7),
        headers: headers(&[("X-Call", "yes")]),
        ..Call::new(BOB)
    };
    assert_eq!(
        call.to_body().unwrap(),
        json!({"request": "call", "uri": BOB, "headers": {"X-Call": "yes"}, "call_id": CID,
               "srtp": "sdes_mandatory", "srtp_profile": "AES_CM_128_HMAC_SHA1_80",
               "autoaccept_reinvites": false, "refer_id": 7})
    );
    let accept = Accept {
        srtp: Some(Srtp::SdesOptional),
        autoaccept_reinvites: Some(true),
        ..Accept::new()
    };
    assert_eq!(
        accept.to_body().unwrap(),
        json!({"request": "accept", "srtp": "sdes_optional", "autoaccept_reinvites": true})
    );
    let decline = Decline {
        code: Some(603),
        ..Decline::new()
    };
    assert_eq!(
        decline.to_body().unwrap(),
        json!({"request": "decline", "code": 603})
    );
    let hold = Hold {
        direction: Some(HoldDirection::Inactive),
        ..Hold::new()
    };
    assert_eq!(
        hold.to_body().unwrap(),
        json!({"request": "hold", "direction": "inactive"})
    );
    assert_eq!(
        sip::Unhold::new().to_body().unwrap(),
        json!({"request": "unhold"})
    );
    let dtmf = DtmfInfo {
        duration: Some(250),
        ..DtmfInfo::new("#")
    };
    assert_eq!(
        dtmf.to_body().unwrap(),
        json!({"request": "dtmf_info", "digit": "#", "duration": 250})
    );
    let message = Message {
        content_type: Some("text/plain".into()),
        uri: Some(BOB.into()),
        ..Message::new("hi")
    };
    assert_eq!(
        message.to_body().unwrap(),
        json!({"request": "message", "content": "hi", "content_type": "text/plain", "uri": BOB})
    );
    assert_eq!(
        Info::new("application/x-test", "hello").to_body().unwrap(),
        json!({"request": "info", "type": "application/x-test", "content": "hello"})
    );
    let subscribe = Subscribe {
        to: Some(BOB.into()),
        subscribe_ttl: Some(3600),
        ..Subscribe::new("message-summary")
    };
    assert_eq!(
        subscribe.to_body().unwrap(),
        json!({"request": "subscribe", "event": "message-summary", "to": BOB,
               "subscribe_ttl": 3600})
    );
    let recording = Recording {
        audio: Some(true),
        peer_audio: Some(true),
        send_peer_pli: Some(true),
        filename: Some("/tmp/call".into()),
        ..Recording::new(RecordingAction::Start)
    };
    assert_eq!(
        recording.to_body().unwrap(),
        json!({"request": "recording", "action": "start", "audio": true, "peer_audio": true,
               "send_peer_pli": true, "filename": "/tmp/call"})
    );
    let forward = sip::RtpForward::new(vec![ForwardStream::new(
        ForwardedStream::PeerAudio,
        "10.0.0.1",
        5004_u16,
    )]);
    assert_eq!(
        forward.to_body().unwrap(),
        json!({"request": "rtp_forward",
               "streams": [{"type": "peer_audio", "host": "10.0.0.1", "port": 5004}]})
    );
    let transfer = sip::Transfer {
        replace: Some(CID.into()),
        ..sip::Transfer::new("sip:carol@127.0.0.3")
    };
    assert_eq!(
        transfer.to_body().unwrap(),
        json!({"request": "transfer", "uri": "sip:carol@127.0.0.3", "replace": CID})
    );
    for (body, request) in [
        (sip::Unregister::new().to_body(), "unregister"),
        (sip::Unsubscribe::new("presence").to_body(), "unsubscribe"),
        (sip::Progress::new().to_body(), "progress"),
        (sip::SendRinging::new().to_body(), "send_ringing"),
        (sip::Update::new().to_body(), "update"),
        (sip::Hangup::new().to_body(), "hangup"),
        (sip::Keyframe::new().to_body(), "keyframe"),
        (
            sip::StopRtpForward::new(1_u32).to_body(),
            "stop_rtp_forward",
        ),
        (sip::ListForwarders::new().to_body(), "listforwarders"),
        (sip::Reset::new().to_body(), "reset"),
    ] {
        assert_eq!(body.unwrap()["request"], request);
    }
    assert_eq!(<Register as PluginRequest>::PLUGIN, "janus.plugin.sip");
    assert_eq!(ErrorCode::from_code(4242), ErrorCode::Unknown(4242));
    assert_eq!(ErrorCode::Unknown(4242).code(), 4242);
    assert_eq!(ErrorCode::NoSuchCallid.to_string(), "454");
}

#[test]
fn the_register_answer_says_whether_to_wait() {
    let data = |result: Value| PluginData {
        plugin: sip::PLUGIN.into(),
        data: json!({"sip": "event", "result": result}),
    };
    let registering = Event::decode(&data(json!({"event": "registering"}))).unwrap();
    assert_eq!(registering.into_register_answer(), Ok(None));
    let guest = Event::decode(&data(json!({"event": "registered", "username": ALICE,
                                           "register_sent": false})))
    .unwrap();
    assert!(
        matches!(guest.into_register_answer(), Ok(Some(r)) if r.username.as_deref() == Some(ALICE))
    );
    let calling = Event::decode(&data(json!({"event": "calling"}))).unwrap();
    assert!(calling.into_register_answer().is_err());
}

#[test]
fn unknown_sip_events_and_new_fields_are_kept() {
    let data = PluginData {
        plugin: sip::PLUGIN.into(),
        data: json!({"sip": "event", "result": {"event": "dtmf", "signal": "1", "color": "blue"}}),
    };
    let Ok(Event::Dtmf(d)) = Event::decode(&data) else {
        panic!("not a dtmf")
    };
    assert_eq!(d.extra["color"], "blue");
    let data = PluginData {
        plugin: sip::PLUGIN.into(),
        data: json!({"sip": "event", "result": {"event": "teleported"}}),
    };
    assert!(matches!(Event::decode(&data).unwrap(), Event::Other(_)));
    let other = PluginData {
        plugin: "janus.plugin.nosip".into(),
        data: json!({"nosip": "event"}),
    };
    assert!(Event::decode(&other).is_err());
}
