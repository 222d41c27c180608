//! Flows of the Janus core API, played in simulated time against a scripted Janus (the
//! world and the canned messages of janus-sim).
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use janus_proto::{
    ClientConfig, DisconnectReason, Error, ErrorCode, Event, HandleId, HandleRef, Jsep, Reconnect,
    Reply, RequestError, SessionId, SessionLostReason, SessionState, SignalingState, Transmit,
    Trickle,
};
use janus_sim::janus;
use janus_sim::world::{Via, World, secs};
use serde_json::json;

// ------------------------------------------------------------------ connecting

#[test]
fn connecting_over_websocket_probes_info_and_reports_the_server() {
    let mut w = World::new(ClientConfig::new(["ws://janus:8188"]).unwrap());
    w.client.connect(w.now);
    w.drain();
    assert_eq!(
        w.other.pop_front(),
        Some(Transmit::Connect {
            server: 0,
            url: "ws://janus:8188".into(),
            protocol: "janus-protocol",
            timeout: secs(10),
        })
    );
    w.input_opened();
    let (tx, via) = w.next_request("info");
    w.respond(via, json!({"janus":"server_info","transaction":tx,"session-timeout":20,"version_string":"1.1.2"}));
    let Some(Event::Connected {
        server: 0, info, ..
    }) = w.events.pop_front()
    else {
        panic!("{:?}", w.events)
    };
    assert_eq!(info.session_timeout, 20);
    assert_eq!(
        w.client.keepalive_period(),
        secs(10),
        "half the session timeout"
    );
}

#[test]
fn adapter_entropy_seeds_transaction_ids_unless_the_application_fixed_the_seed() {
    // The first transaction id (the connect probe's `info`) of a client built from `config`.
    let first_tx = |config: ClientConfig| {
        let mut w = World::new(config);
        w.client.connect(w.now);
        w.drain();
        w.input_opened();
        w.next_request("info").0
    };
    let url = "ws://janus:8188";
    let from = |seed| ClientConfig::new([url]).unwrap().seed_if_unset(seed);
    // Two clients an adapter seeded differently draw different ids...
    assert_ne!(first_tx(from(1)), first_tx(from(2)));
    // ...unless the application fixed the seed: then the adapter's entropy is ignored.
    let fixed = |seed| {
        ClientConfig::new([url])
            .unwrap()
            .seed(7)
            .seed_if_unset(seed)
    };
    assert_eq!(first_tx(fixed(1)), first_tx(fixed(2)));
    assert_eq!(
        first_tx(fixed(1)),
        first_tx(ClientConfig::new([url]).unwrap().seed(7))
    );
}

#[test]
fn an_absurd_session_timeout_keeps_the_default_keepalive_period() {
    // Found by fuzz/client_inputs: half of `session-timeout` in milliseconds overflowed.
    let mut w = World::new(ClientConfig::new(["ws://janus:8188"]).unwrap());
    w.client.connect(w.now);
    w.drain();
    w.input_opened();
    let (tx, via) = w.next_request("info");
    w.respond(
        via,
        json!({"janus":"server_info","transaction":tx,"session-timeout":u64::MAX}),
    );
    assert!(matches!(
        w.events.pop_front(),
        Some(Event::Connected { .. })
    ));
    assert_eq!(w.client.keepalive_period(), secs(25));
    let s = w.create_session(1);
    w.advance(secs(25));
    let (_, via) = w.next_request("keepalive");
    assert_eq!(via.body()["session_id"], s.0);
}

#[test]
fn server_list_falls_back_to_the_next_server_and_says_which_one_is_used() {
    let mut w = World::new(ClientConfig::new(["ws://down:1", "http://up/janus"]).unwrap());
    w.client.connect(w.now);
    w.drain();
    assert!(matches!(
        w.other.pop_front(),
        Some(Transmit::Connect { server: 0, .. })
    ));
    w.input_closed();
    assert!(matches!(
        w.events.pop_front(),
        Some(Event::ServerFailed { server: 0, .. })
    ));
    let (tx, via) = w.next_request("info");
    w.respond(via, json!({"janus":"server_info","transaction":tx}));
    assert!(matches!(
        w.events.pop_front(),
        Some(Event::Connected { server: 1, .. })
    ));
    assert_eq!(
        w.client
            .connected_server()
            .map(|(i, s)| (i, s.url.as_str())),
        Some((1, "http://up/janus"))
    );
}

#[test]
fn when_every_server_fails_the_client_is_unreachable_and_calls_fail_fast() {
    let mut w = World::new(ClientConfig::new(["http://a/janus", "http://b/janus"]).unwrap());
    let early = w.client.create_session(w.now).unwrap();
    w.client.connect(w.now);
    w.drain();
    for _ in 0..2 {
        let r = w.http.pop_front().unwrap();
        w.http_failed(r.id);
    }
    assert!(
        w.take_event(|e| matches!(
            e,
            Event::Disconnected {
                reason: DisconnectReason::Unreachable
            }
        ))
        .is_some()
    );
    assert_eq!(w.completed(&early), Err(RequestError::TransportLost));
    assert_eq!(w.client.create_session(w.now), Err(Error::NotConnected));
}

#[test]
fn a_server_that_never_answers_the_probe_times_out_and_the_next_is_tried() {
    let mut w = World::new(
        ClientConfig::new(["http://slow/janus", "http://up/janus"])
            .unwrap()
            .request_timeout(secs(2)),
    );
    w.client.connect(w.now);
    w.drain();
    let _ignored = w.http.pop_front().unwrap();
    w.advance(secs(3));
    assert!(
        w.take_event(|e| matches!(e, Event::ServerFailed { server: 0, .. }))
            .is_some()
    );
    w.answer_probe();
}

#[test]
fn requests_made_before_connecting_are_sent_once_connected() {
    let mut w = World::new(ClientConfig::new(["ws://janus"]).unwrap());
    let tx = w.client.create_session(w.now).unwrap();
    w.client.connect(w.now);
    w.drain();
    w.input_opened();
    w.answer_probe();
    let (wire_tx, via) = w.next_request("create");
    assert_eq!(wire_tx, tx.as_str());
    w.respond(via, janus::created(&wire_tx, 5));
    assert_eq!(w.completed(&tx), Ok(Reply::SessionCreated(SessionId(5))));
}

// ------------------------------------------------------------------ transactions

#[test]
fn message_completes_on_the_event_after_its_ack() {
    let mut w = World::ws();
    let s = w.create_session(1);
    let h = w.attach(s, 2);
    let tx = w
        .client
        .message(w.now, h, json!({"audio":true}), None)
        .unwrap();
    w.drain();
    let (wire, via) = w.next_request("message");
    assert_eq!(via.body()["body"], json!({"audio":true}));
    assert_eq!(via.body()["handle_id"], 2);
    w.frame(janus::ack(&wire, 1));
    assert!(matches!(w.events.pop_front(), Some(Event::Acked { .. })));
    assert!(w.not_completed(&tx));
    w.frame(janus::echotest_event(&wire, 1, 2));
    let Ok(Reply::Plugin {
        handle,
        data,
        jsep: None,
    }) = w.completed(&tx)
    else {
        panic!()
    };
    assert_eq!((handle, data.data["result"].as_str()), (h, Some("ok")));
    assert!(
        w.events.is_empty(),
        "the event is the completion, not also a PluginEvent: {:?}",
        w.events
    );
}

#[test]
fn an_event_that_beats_its_ack_completes_the_message_and_the_late_ack_is_ignored() {
    let mut w = World::ws();
    let s = w.create_session(1);
    let h = w.attach(s, 2);
    let tx = w
        .client
        .message(w.now, h, json!({}), Some(Jsep::offer("v=0")))
        .unwrap();
    w.drain();
    let (wire, _) = w.next_request("message");
    w.frame(json!({"janus":"event","session_id":1,"sender":2,"transaction":wire,
        "plugindata":{"plugin":"janus.plugin.echotest","data":{"result":"ok"}},"jsep":{"type":"answer","sdp":"v=0"}}));
    let Ok(Reply::Plugin { jsep: Some(j), .. }) = w.completed(&tx) else {
        panic!()
    };
    assert_eq!(j, Jsep::answer("v=0"));
    w.frame(janus::ack(&wire, 1));
    assert!(w.events.is_empty(), "{:?}", w.events);
    assert_eq!(
        w.client.handle_info(h).unwrap().signaling,
        SignalingState::Stable
    );
}

#[test]
fn a_synchronous_plugin_reply_completes_the_message() {
    let mut w = World::http();
    let s = w.create_session(1);
    let h = w.attach(s, 2);
    let tx = w
        .client
        .message(w.now, h, json!({"request":"list"}), None)
        .unwrap();
    w.drain();
    let (wire, via) = w.next_request("message");
    let Via::Http(_, path, _) = &via else {
        panic!()
    };
    assert_eq!(path, "/1/2");
    w.respond(
        via,
        json!({"janus":"success","session_id":1,"sender":2,"transaction":wire,
        "plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"success","list":[]}}}),
    );
    let Ok(Reply::Plugin { data, .. }) = w.completed(&tx) else {
        panic!()
    };
    assert_eq!(data.data["list"], json!([]));
}

#[test]
fn plugin_and_core_errors_are_typed() {
    let mut w = World::ws();
    let s = w.create_session(1);
    let attach = w
        .client
        .attach(w.now, s, "janus.plugin.nope", None)
        .unwrap();
    w.drain();
    let (wire, _) = w.next_request("attach");
    w.frame(janus::error(&wire, Some(1), 460, "No such plugin"));
    let Err(RequestError::Janus(e)) = w.completed(&attach) else {
        panic!()
    };
    assert_eq!(e.code, ErrorCode::PluginNotFound);

    let h = w.attach(s, 2);
    let join = w
        .client
        .message(w.now, h, json!({"request":"join","room":999}), None)
        .unwrap();
    w.drain();
    let (wire, _) = w.next_request("message");
    w.frame(janus::ack(&wire, 1));
    w.frame(json!({"janus":"event","session_id":1,"sender":2,"transaction":wire,
        "plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"event","error_code":426,"error":"No such room (999)"}}}));
    let Err(RequestError::Plugin(p)) = w.completed(&join) else {
        panic!()
    };
    assert_eq!((p.code, p.reason.as_str()), (426, "No such room (999)"));
}

#[test]
fn a_request_with_no_reply_times_out_once() {
    let mut w = World::ws_with(
        ClientConfig::new(["ws://j"])
            .unwrap()
            .request_timeout(secs(5))
            .event_timeout(secs(30)),
    );
    let s = w.create_session(1);
    let h = w.attach(s, 2);
    let tx = w.client.message(w.now, h, json!({}), None).unwrap();
    w.drain();
    let (wire, _) = w.next_request("message");
    w.frame(janus::ack(&wire, 1));
    assert!(matches!(w.events.pop_front(), Some(Event::Acked { .. })));
    w.advance(secs(10));
    assert!(
        w.not_completed(&tx),
        "after an ack the event timeout applies"
    );
    w.advance(secs(25));
    assert_eq!(
        w.completed(&tx),
        Err(RequestError::TimedOut { acked: true })
    );
    w.frame(json!({"janus":"event","session_id":1,"sender":2,"transaction":wire,"plugindata":{"plugin":"p","data":{}}}));
    let Some(Event::PluginEvent { tx: Some(late), .. }) = w.events.pop_front() else {
        panic!("a late event is still delivered")
    };
    assert_eq!(late.as_str(), wire);
}

#[test]
fn the_pending_table_is_bounded() {
    let mut w = World::ws_with(ClientConfig::new(["ws://j"]).unwrap().max_in_flight(3));
    for _ in 0..3 {
        w.client.ping(w.now).unwrap();
    }
    assert_eq!(w.client.ping(w.now), Err(Error::TooManyInFlight(3)));
    w.drain();
    let (wire, _) = w.next_request("ping");
    w.frame(janus::pong(&wire));
    assert!(w.client.ping(w.now).is_ok(), "room again after a reply");
}

// ------------------------------------------------------------------ sessions

#[test]
fn websocket_keepalives_keep_a_session_alive_at_the_derived_period() {
    let mut w = World::ws();
    let s = w.create_session(7);
    assert_eq!(w.client.keepalive_period(), secs(25));
    for _ in 0..4 {
        w.advance(secs(24));
        assert!(w.ws.is_empty(), "not yet");
        w.advance(secs(1));
        let (wire, via) = w.next_request("keepalive");
        assert_eq!(via.body()["session_id"], 7);
        w.frame(janus::ack(&wire, 7));
    }
    assert!(
        w.events.is_empty(),
        "internal keepalives tell the application nothing: {:?}",
        w.events
    );
    assert!(w.client.session_state(s).is_some());
}

#[test]
fn the_server_timeout_ends_the_session_and_later_calls_say_so() {
    let mut w = World::ws();
    let s = w.create_session(7);
    let h = w.attach(s, 8);
    let tx = w.client.message(w.now, h, json!({}), None).unwrap();
    w.drain();
    w.frame(json!({"janus":"timeout","session_id":7}));
    assert_eq!(w.completed(&tx), Err(RequestError::SessionLost(s)));
    assert_eq!(
        w.events.pop_front(),
        Some(Event::SessionLost {
            session: s,
            reason: SessionLostReason::Timeout
        })
    );
    assert_eq!(
        w.client.attach(w.now, s, "p", None),
        Err(Error::SessionLost {
            session: s,
            reason: SessionLostReason::Timeout
        })
    );
    w.advance(secs(120));
    assert!(
        !w.ws.iter().any(|v| v["janus"] == "keepalive"),
        "no keepalive for a dead session"
    );
}

#[test]
fn error_458_on_any_request_loses_the_session() {
    let mut w = World::ws();
    let s = w.create_session(7);
    let tx = w.client.attach(w.now, s, "p", None).unwrap();
    w.drain();
    let (wire, _) = w.next_request("attach");
    w.frame(json!({"janus":"error","transaction":wire,"error":{"code":458,"reason":"No such session 7"}}));
    assert!(
        matches!(w.completed(&tx), Err(RequestError::Janus(e)) if e.code == ErrorCode::SessionNotFound)
    );
    assert_eq!(
        w.events.pop_front(),
        Some(Event::SessionLost {
            session: s,
            reason: SessionLostReason::NotFound
        })
    );
}

#[test]
fn destroy_ends_the_session_quietly() {
    let mut w = World::ws();
    let s = w.create_session(7);
    let tx = w.client.destroy_session(w.now, s).unwrap();
    w.drain();
    let (wire, _) = w.next_request("destroy");
    w.frame(janus::success(&wire, 7));
    assert_eq!(w.completed(&tx), Ok(Reply::SessionDestroyed(s)));
    assert!(w.events.is_empty());
    assert_eq!(w.client.session_ids().count(), 0);
    w.frame(janus::webrtcup(7, 1));
    assert!(
        w.events.is_empty(),
        "events of a destroyed session are stale"
    );
}

// ------------------------------------------------------------------ HTTP long poll

#[test]
fn http_long_poll_keeps_one_get_in_flight_and_delivers_batches_in_order() {
    let mut w = World::http_with(
        ClientConfig::new(["http://j/janus"])
            .unwrap()
            .long_poll_maxev(5)
            .apisecret("s&cret"),
    );
    let s = w.create_session(3);
    let h = w.attach(s, 4);
    assert_eq!(w.polls_in_flight(), 1);
    let get = w.next_poll();
    assert!(get.path.starts_with("/3?maxev=5&rid="), "{}", get.path);
    assert!(get.path.ends_with("&apisecret=s%26cret"), "{}", get.path);
    assert!(
        !format!("{get:?}").contains("cret"),
        "Debug hides credentials"
    );
    let batch = json!([
        {"janus":"webrtcup","session_id":3,"sender":4},
        {"janus":"media","session_id":3,"sender":4,"type":"audio","mid":"0","receiving":true},
        {"janus":"slowlink","session_id":3,"sender":4,"mid":"1","media":"video","uplink":true,"lost":12},
        {"janus":"keepalive"}
    ]);
    w.http_response(get.id, 200, &batch.to_string());
    assert_eq!(w.events.pop_front(), Some(Event::WebrtcUp { handle: h }));
    assert!(
        matches!(w.events.pop_front(), Some(Event::Media { media, .. }) if media.receiving && media.kind == "audio")
    );
    assert!(
        matches!(w.events.pop_front(), Some(Event::SlowLink { link, .. }) if link.lost == 12 && link.uplink)
    );
    assert!(w.events.is_empty());
    assert!(w.client.handle_info(h).unwrap().webrtc_up);
    assert_eq!(
        w.polls_in_flight(),
        1,
        "the next poll follows at once, and only one"
    );
}

#[test]
fn http_async_event_arrives_on_the_long_poll_after_the_post_acks() {
    let mut w = World::http();
    let s = w.create_session(3);
    let h = w.attach(s, 4);
    let tx = w
        .client
        .message(w.now, h, json!({"audio":true}), None)
        .unwrap();
    w.drain();
    let (wire, via) = w.next_request("message");
    w.respond(via, janus::ack(&wire, 3));
    let get = w.next_poll();
    let ev = json!({"janus":"event","session_id":3,"sender":4,"transaction":wire,"plugindata":{"plugin":"janus.plugin.echotest","data":{"result":"ok"}}});
    w.http_response(get.id, 200, &ev.to_string());
    assert!(matches!(w.completed(&tx), Ok(Reply::Plugin { .. })));
}

#[test]
fn long_poll_failures_back_off_then_lose_the_session() {
    let mut w = World::http_with(
        ClientConfig::new(["http://j/janus"])
            .unwrap()
            .max_poll_failures(3),
    );
    let s = w.create_session(3);
    let get = w.next_poll();
    w.http_failed(get.id);
    assert_eq!(w.polls_in_flight(), 0, "backing off");
    w.advance(Duration::from_millis(249));
    assert_eq!(w.polls_in_flight(), 0);
    w.advance(Duration::from_millis(1));
    let get = w.next_poll();
    w.http_response(get.id, 500, "oops");
    w.advance(Duration::from_millis(500));
    let get = w.next_poll();
    w.http_failed(get.id);
    assert_eq!(
        w.events.pop_front(),
        Some(Event::SessionLost {
            session: s,
            reason: SessionLostReason::TransportLost
        })
    );
}

#[test]
fn a_successful_poll_resets_the_failure_count() {
    let mut w = World::http_with(
        ClientConfig::new(["http://j/janus"])
            .unwrap()
            .max_poll_failures(2),
    );
    let _s = w.create_session(3);
    for _ in 0..5 {
        let get = w.next_poll();
        w.http_failed(get.id);
        w.advance(secs(1));
        let get = w.next_poll();
        w.http_response(get.id, 200, r#"{"janus":"keepalive"}"#);
    }
    assert!(w.events.is_empty(), "{:?}", w.events);
}

#[test]
fn http_sessions_get_keepalives_too_because_a_held_poll_is_not_activity() {
    let mut w = World::http();
    let s = w.create_session(3);
    let _held = w.next_poll();
    w.advance(secs(25));
    let (wire, via) = w.next_request("keepalive");
    let Via::Http(_, path, _) = &via else {
        panic!("over HTTP")
    };
    assert_eq!(path, "/3");
    w.respond(via, janus::ack(&wire, 3));
    assert!(w.events.is_empty(), "{:?}", w.events);
    assert_eq!(
        w.polls_in_flight(),
        0,
        "the held poll is still the only one"
    );
    assert!(w.client.session_state(s).is_some());
}

#[test]
fn destroy_over_http_completes_even_when_the_held_poll_learns_first() {
    let mut w = World::http();
    let s = w.create_session(3);
    let get = w.next_poll();
    let tx = w.client.destroy_session(w.now, s).unwrap();
    w.drain();
    let (wire, via) = w.next_request("destroy");
    // Janus destroys the session and answers the held GET before the POST.
    w.http_response(get.id, 404, "");
    w.respond(via, janus::success(&wire, 3));
    assert_eq!(w.completed(&tx), Ok(Reply::SessionDestroyed(s)));
    assert!(
        w.events.is_empty(),
        "no SessionLost for a destroyed session: {:?}",
        w.events
    );
}

#[test]
fn poll_404_means_the_session_is_gone() {
    let mut w = World::http();
    let s = w.create_session(3);
    let get = w.next_poll();
    w.http_response(get.id, 404, "");
    assert_eq!(
        w.events.pop_front(),
        Some(Event::SessionLost {
            session: s,
            reason: SessionLostReason::NotFound
        })
    );
    assert_eq!(w.polls_in_flight(), 0);
}

#[test]
fn an_http_answer_naming_another_transaction_does_not_complete_the_post_it_answers() {
    let mut w = World::http();
    let s = w.create_session(3);
    let h = w.attach(s, 4);
    let first = w.client.message(w.now, h, json!({}), None).unwrap();
    w.drain();
    let (wire, via) = w.next_request("message");
    w.respond(via, janus::echotest_event(&wire, 3, 4));
    assert!(w.completed(&first).is_ok());
    // The next POST is answered with the first one's transaction (a stale or forged answer).
    let tx = w.client.message(w.now, h, json!({}), None).unwrap();
    w.drain();
    let (_, via) = w.next_request("message");
    w.respond(via, janus::echotest_event(&wire, 3, 4));
    assert!(
        matches!(w.completed(&tx), Err(RequestError::Malformed(why)) if why.contains("another")),
        "{:?}",
        w.events
    );
}

#[test]
fn destroying_an_http_session_cancels_its_long_poll() {
    let mut w = World::http();
    let s = w.create_session(3);
    let get = w.next_poll();
    let tx = w.client.destroy_session(w.now, s).unwrap();
    w.drain();
    let (wire, via) = w.next_request("destroy");
    w.respond(via, janus::success(&wire, 3));
    assert_eq!(w.completed(&tx), Ok(Reply::SessionDestroyed(s)));
    assert!(w.other.contains(&Transmit::Cancel(get.id)));
    w.http_response(get.id, 200, r#"{"janus":"keepalive"}"#);
    assert_eq!(
        w.polls_in_flight(),
        0,
        "a stale poll response starts nothing"
    );
}

// ------------------------------------------------------------------ reconnect and claim

#[test]
fn a_dropped_websocket_reconnects_claims_the_session_and_events_flow_again() {
    let mut w = World::ws();
    let s = w.create_session(9);
    let h = w.attach(s, 10);
    let in_flight = w.client.message(w.now, h, json!({}), None).unwrap();
    w.drain();
    let _ = w.next_request("message");
    w.input_closed();
    assert!(matches!(
        w.events.pop_front(),
        Some(Event::Disconnected {
            reason: DisconnectReason::Dropped(_)
        })
    ));
    assert_eq!(w.completed(&in_flight), Err(RequestError::TransportLost));
    let queued = w
        .client
        .message(w.now, h, json!({"after":"reconnect"}), None)
        .unwrap();
    w.drain();
    assert!(matches!(
        w.other.pop_front(),
        Some(Transmit::Connect { server: 0, .. })
    ));
    w.input_opened();
    w.answer_probe();
    let (wire, via) = w.next_request("claim");
    assert_eq!(via.body()["session_id"], 9);
    assert!(
        w.ws.is_empty(),
        "requests on the session wait for the claim"
    );
    w.frame(janus::success(&wire, 9));
    assert_eq!(
        w.events.pop_front(),
        Some(Event::SessionReclaimed { session: s })
    );
    let (wire, via) = w.next_request("message");
    assert_eq!(via.body()["body"]["after"], "reconnect");
    w.frame(json!({"janus":"event","session_id":9,"sender":10,"transaction":wire,"plugindata":{"plugin":"p","data":{}}}));
    assert!(matches!(w.completed(&queued), Ok(Reply::Plugin { .. })));
    w.frame(janus::hangup(9, 10, "test"));
    assert_eq!(
        w.events.pop_front(),
        Some(Event::Hangup {
            handle: h,
            reason: Some("test".into())
        })
    );
}

#[test]
fn a_refused_claim_after_reconnect_loses_the_session() {
    let mut w = World::ws();
    let s = w.create_session(9);
    w.input_closed();
    w.events.clear();
    w.other.clear();
    w.input_opened();
    w.answer_probe();
    let (wire, _) = w.next_request("claim");
    w.frame(janus::error(&wire, Some(9), 458, "No such session"));
    let Some(Event::SessionLost {
        session,
        reason: SessionLostReason::ClaimRefused(e),
    }) = w.events.pop_front()
    else {
        panic!("{:?}", w.events)
    };
    assert_eq!((session, e.code), (s, ErrorCode::SessionNotFound));
    assert!(
        w.client.create_session(w.now).is_ok(),
        "a new session can be made"
    );
}

#[test]
fn reconnect_gives_up_after_its_rounds_and_reports_every_loss() {
    let policy = Reconnect {
        max_rounds: 3,
        initial_backoff: secs(1),
        max_backoff: secs(2),
    };
    let mut w = World::ws_with(ClientConfig::new(["ws://j"]).unwrap().reconnect(policy));
    let s = w.create_session(9);
    w.input_closed();
    for _ in 0..3 {
        assert!(
            matches!(w.other.pop_front(), Some(Transmit::Connect { .. })),
            "{:?}",
            w.other
        );
        w.input_closed();
        w.advance(secs(2));
    }
    assert!(
        w.take_event(|e| matches!(
            e,
            Event::Disconnected {
                reason: DisconnectReason::GaveUp
            }
        ))
        .is_some(),
        "{:?}",
        w.events
    );
    assert!(
        w.take_event(|e| *e
            == Event::SessionLost {
                session: s,
                reason: SessionLostReason::TransportLost
            })
        .is_some()
    );
    assert_eq!(w.client.ping(w.now), Err(Error::NotConnected));
    w.client.connect(w.now);
    w.drain();
    assert!(
        matches!(w.other.pop_front(), Some(Transmit::Connect { .. })),
        "connect starts over"
    );
}

#[test]
fn a_fresh_client_can_claim_a_session_and_adopts_its_handles() {
    let mut w = World::ws();
    let tx = w.client.claim_session(w.now, SessionId(77)).unwrap();
    w.drain();
    let (wire, _) = w.next_request("claim");
    w.frame(janus::success(&wire, 77));
    assert_eq!(w.completed(&tx), Ok(Reply::SessionClaimed(SessionId(77))));
    w.frame(janus::webrtcup(77, 5));
    let h = HandleRef {
        session: SessionId(77),
        handle: HandleId(5),
    };
    assert_eq!(w.events.pop_front(), Some(Event::WebrtcUp { handle: h }));
    assert!(
        w.client.message(w.now, h, json!({}), None).is_ok(),
        "the adopted handle is usable"
    );
}

// ------------------------------------------------------------------ handles

#[test]
fn events_are_routed_to_their_own_session_and_handle() {
    let mut w = World::ws();
    let (s1, s2) = (w.create_session(1), w.create_session(2));
    let a = w.attach(s1, 10);
    let b = w.attach(s1, 11);
    let c = w.attach(s2, 10);
    for (s, h) in [(2, 10), (1, 11), (1, 10)] {
        w.frame(json!({"janus":"event","session_id":s,"sender":h,"plugindata":{"plugin":"p","data":{"n":s*100+h}}}));
    }
    let got: Vec<_> = w
        .events
        .drain(..)
        .map(|e| match e {
            Event::PluginEvent {
                handle,
                data,
                tx: None,
                ..
            } => (handle, data.data["n"].as_u64().unwrap()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(got, vec![(c, 210), (b, 111), (a, 110)]);
}

#[test]
fn detach_completes_once_whether_detached_or_success_comes_first() {
    for detached_first in [true, false] {
        let mut w = World::ws();
        let s = w.create_session(1);
        let h = w.attach(s, 2);
        let tx = w.client.detach(w.now, h).unwrap();
        w.drain();
        let (wire, _) = w.next_request("detach");
        let detached = janus::detached(1, 2);
        let success = janus::success(&wire, 1);
        let (first, second) = if detached_first {
            (detached, success)
        } else {
            (success, detached)
        };
        w.frame(first);
        w.frame(second);
        assert_eq!(w.completed(&tx), Ok(Reply::Detached(h)));
        assert_eq!(
            w.events.drain(..).collect::<Vec<_>>(),
            vec![Event::Detached { handle: h }]
        );
        assert_eq!(w.client.handle_ids(s).count(), 0);
    }
}

#[test]
fn a_handle_detached_by_the_server_fails_its_pending_requests() {
    let mut w = World::ws();
    let s = w.create_session(1);
    let h = w.attach(s, 2);
    let tx = w.client.message(w.now, h, json!({}), None).unwrap();
    w.drain();
    w.frame(janus::detached(1, 2));
    assert!(
        matches!(w.completed(&tx), Err(RequestError::Janus(e)) if e.code == ErrorCode::HandleNotFound)
    );
    assert_eq!(w.events.pop_front(), Some(Event::Detached { handle: h }));
    assert_eq!(w.client.hangup(w.now, h), Err(Error::UnknownHandle(h)));
}

#[test]
fn a_late_detached_after_the_session_was_lost_and_claimed_again_is_not_reported_twice() {
    // Found by tests/proptest_model.rs: the `detached` waited in Janus's queue while the
    // session was lost (a poll answered 404) and claimed again.
    let mut w = World::http();
    let s = w.create_session(3);
    let h = w.attach(s, 4);
    let tx = w.client.detach(w.now, h).unwrap();
    w.drain();
    let (wire, via) = w.next_request("detach");
    w.respond(via, janus::success(&wire, 3));
    assert_eq!(w.completed(&tx), Ok(Reply::Detached(h)));
    assert_eq!(w.events.pop_front(), Some(Event::Detached { handle: h }));
    let get = w.next_poll();
    w.http_response(get.id, 404, "");
    assert!(matches!(
        w.events.pop_front(),
        Some(Event::SessionLost { .. })
    ));
    let claim = w.client.claim_session(w.now, s).unwrap();
    w.drain();
    let (wire, via) = w.next_request("claim");
    w.respond(via, janus::success(&wire, 3));
    assert_eq!(w.completed(&claim), Ok(Reply::SessionClaimed(s)));
    let get = w.next_poll();
    let late = json!([{"janus":"detached","session_id":3,"sender":4}]);
    w.http_response(get.id, 200, &late.to_string());
    assert!(w.events.is_empty(), "{:?}", w.events);
    assert_eq!(w.client.handle_ids(s).count(), 0, "not adopted either");
}

#[test]
fn an_unanswered_claim_leaves_the_session_not_ours() {
    // Found by tests/proptest_model.rs: the session stayed `Claiming` for ever, neither
    // polled nor kept alive, and outlived the transport.
    let mut w = World::http_with(
        ClientConfig::new(["http://janus/janus"])
            .unwrap()
            .request_timeout(secs(5)),
    );
    let tx = w.client.claim_session(w.now, SessionId(9)).unwrap();
    let queued = w.client.attach(w.now, SessionId(9), "p", None).unwrap();
    w.drain();
    let _claim = w.next_request("claim");
    w.advance(secs(5));
    assert_eq!(
        w.completed(&tx),
        Err(RequestError::TimedOut { acked: false })
    );
    assert_eq!(
        w.completed(&queued),
        Err(RequestError::SessionLost(SessionId(9)))
    );
    assert_eq!(w.client.session_ids().count(), 0);
    assert_eq!(
        w.client.attach(w.now, SessionId(9), "p", None),
        Err(Error::UnknownSession(SessionId(9)))
    );
}

#[test]
fn a_claim_refused_locally_leaves_a_live_session_as_it_was() {
    // Found by tests/proptest_model.rs: `claim_session` on a full pending table removed the
    // live session, so a later claim made a fresh one and a second long poll went out while
    // the first was still held by Janus.
    let mut w = World::http_with(
        ClientConfig::new(["http://janus/janus"])
            .unwrap()
            .max_in_flight(2),
    );
    let s = w.create_session(3);
    assert_eq!(w.polls_in_flight(), 1);
    let _busy = (w.client.ping(w.now).unwrap(), w.client.ping(w.now).unwrap());
    assert_eq!(
        w.client.claim_session(w.now, s),
        Err(Error::TooManyInFlight(2))
    );
    assert_eq!(w.client.session_state(s), Some(SessionState::Active));
    w.drain();
    for _ in 0..2 {
        let (wire, via) = w.next_request("ping");
        w.respond(via, janus::pong(&wire));
    }
    let claim = w.client.claim_session(w.now, s).unwrap();
    w.drain();
    let (wire, via) = w.next_request("claim");
    w.respond(via, janus::success(&wire, 3));
    assert_eq!(w.completed(&claim), Ok(Reply::SessionClaimed(s)));
    assert_eq!(w.polls_in_flight(), 1, "still the one long poll");
}

#[test]
fn unknown_events_reach_the_application_raw() {
    let mut w = World::ws();
    let _ = w.create_session(1);
    w.frame(json!({"janus":"future-thing","session_id":1,"x":[1,2]}));
    assert_eq!(
        w.events.pop_front(),
        Some(Event::Unknown {
            session: Some(SessionId(1)),
            raw: json!({"janus":"future-thing","session_id":1,"x":[1,2]})
        })
    );
}

// ------------------------------------------------------------------ JSEP

#[test]
fn negotiation_order_is_enforced_locally_and_followed_remotely() {
    let mut w = World::ws();
    let s = w.create_session(1);
    let h = w.attach(s, 2);
    assert!(
        w.client
            .message(w.now, h, json!({}), Some(Jsep::answer("v=0")))
            .unwrap_err()
            .is_negotiation()
    );
    // Janus offers (Streaming `watch`), then early candidates are held until we had its offer.
    w.frame(json!({"janus":"trickle","session_id":1,"sender":2,"candidate":{"completed":true}}));
    assert!(w.events.is_empty(), "held: no remote description yet");
    w.frame(json!({"janus":"event","session_id":1,"sender":2,"plugindata":{"plugin":"p","data":{}},"jsep":{"type":"offer","sdp":"v=0"}}));
    assert!(matches!(
        w.events.pop_front(),
        Some(Event::PluginEvent { jsep: Some(_), .. })
    ));
    assert_eq!(
        w.events.pop_front(),
        Some(Event::Trickle {
            handle: h,
            trickle: Trickle::Completed
        })
    );
    assert_eq!(
        w.client.handle_info(h).unwrap().signaling,
        SignalingState::HaveRemoteOffer
    );
    assert!(
        w.client
            .message(w.now, h, json!({}), Some(Jsep::offer("v=0")))
            .unwrap_err()
            .is_negotiation(),
        "glare"
    );
    w.client
        .message(
            w.now,
            h,
            json!({"request":"start"}),
            Some(Jsep::answer("v=0")),
        )
        .unwrap();
    assert_eq!(
        w.client.handle_info(h).unwrap().signaling,
        SignalingState::Stable
    );
}

#[test]
fn a_failed_offer_rolls_the_negotiation_back() {
    let mut w = World::ws();
    let s = w.create_session(1);
    let h = w.attach(s, 2);
    let tx = w
        .client
        .message(w.now, h, json!({}), Some(Jsep::offer("bad")))
        .unwrap();
    w.drain();
    assert_eq!(
        w.client.handle_info(h).unwrap().signaling,
        SignalingState::HaveLocalOffer
    );
    let (wire, _) = w.next_request("message");
    w.frame(janus::error(&wire, Some(1), 465, "Invalid SDP"));
    assert!(
        matches!(w.completed(&tx), Err(RequestError::Janus(e)) if e.code == ErrorCode::JsepInvalidSdp)
    );
    assert_eq!(
        w.client.handle_info(h).unwrap().signaling,
        SignalingState::Stable
    );
}

#[test]
fn hangup_resets_the_peer_connection_state() {
    let mut w = World::ws();
    let s = w.create_session(1);
    let h = w.attach(s, 2);
    w.client
        .message(w.now, h, json!({}), Some(Jsep::offer("v=0")))
        .unwrap();
    w.frame(janus::webrtcup(1, 2));
    w.frame(janus::hangup(1, 2, "DTLS alert"));
    let info = w.client.handle_info(h).unwrap();
    assert_eq!(
        (info.webrtc_up, info.signaling),
        (false, SignalingState::Stable)
    );
    assert!(
        w.client
            .message(w.now, h, json!({}), Some(Jsep::offer("v=0")))
            .is_ok(),
        "a new offer may follow"
    );
}

#[test]
fn trickle_sends_candidates_and_completes_on_ack() {
    let mut w = World::ws();
    let s = w.create_session(1);
    let h = w.attach(s, 2);
    let tx = w
        .client
        .trickle(w.now, h, vec![Trickle::Completed])
        .unwrap();
    w.drain();
    let (wire, via) = w.next_request("trickle");
    assert_eq!(via.body()["candidate"], json!({"completed":true}));
    w.frame(janus::ack(&wire, 1));
    assert_eq!(w.completed(&tx), Ok(Reply::Acked));
}

// ------------------------------------------------------------------ secrets

#[test]
fn credentials_go_on_every_request_and_never_into_debug_output() {
    let mut w = World::ws_with(
        ClientConfig::new(["ws://j"])
            .unwrap()
            .apisecret("apisecret-xyz")
            .token("token-abc"),
    );
    let _ = w.create_session(1);
    w.client.ping(w.now).unwrap();
    let mut sent = Vec::new();
    loop {
        match w.client.poll_output() {
            janus_proto::Output::Timeout(_) => break,
            other => sent.push(other),
        }
    }
    assert!(!format!("{sent:?} {:?}", w.client).contains("xyz"));
    let Some(janus_proto::Output::Transmit(Transmit::Ws(ping))) = sent.pop() else {
        panic!("{sent:?}")
    };
    let ping: serde_json::Value = serde_json::from_str(&ping).unwrap();
    assert_eq!(ping["janus"], "ping");
    assert_eq!(
        (ping["apisecret"].as_str(), ping["token"].as_str()),
        (Some("apisecret-xyz"), Some("token-abc"))
    );
}

// ------------------------------------------------------------------ deadlines and limits

#[test]
fn a_websocket_that_does_not_open_in_time_fails_over_to_the_next_server() {
    let config = ClientConfig::new(["ws://slow", "ws://fast"])
        .unwrap()
        .connect_timeout(secs(2));
    let mut w = World::new(config);
    w.client.connect(w.now);
    w.drain();
    assert!(matches!(
        w.other.pop_front(),
        Some(Transmit::Connect { server: 0, timeout, .. }) if timeout == secs(2)
    ));
    w.advance(Duration::from_millis(1999));
    assert!(w.other.is_empty() && w.events.is_empty(), "{:?}", w.events);
    w.advance(Duration::from_millis(1));
    assert!(matches!(
        w.events.pop_front(),
        Some(Event::ServerFailed { server: 0, .. })
    ));
    // The adapter abandons the handshake, then opens the next server.
    assert_eq!(w.other.pop_front(), Some(Transmit::Disconnect));
    assert!(matches!(
        w.other.pop_front(),
        Some(Transmit::Connect { server: 1, .. })
    ));
    w.input_opened();
    w.answer_probe();
    // An open WebSocket is not timed out any more.
    w.advance(secs(5));
    assert!(w.events.is_empty(), "{:?}", w.events);
}

#[test]
fn when_no_websocket_opens_in_time_the_client_is_unreachable() {
    let config = ClientConfig::new(["ws://slow"])
        .unwrap()
        .connect_timeout(secs(1));
    let mut w = World::new(config);
    w.client.connect(w.now);
    w.drain();
    w.advance(secs(1));
    assert!(matches!(
        w.events.pop_front(),
        Some(Event::ServerFailed { server: 0, .. })
    ));
    assert_eq!(
        w.events.pop_front(),
        Some(Event::Disconnected {
            reason: DisconnectReason::Unreachable
        })
    );
    assert_eq!(
        w.other.drain(..).collect::<Vec<_>>(),
        vec![
            Transmit::Connect {
                server: 0,
                url: "ws://slow".into(),
                protocol: "janus-protocol",
                timeout: secs(1)
            },
            Transmit::Disconnect
        ]
    );
}

#[test]
fn an_http_reply_over_the_size_limit_fails_its_request_typed() {
    let mut w = World::http_with(
        ClientConfig::new(["http://janus/janus"])
            .unwrap()
            .max_message_size(200),
    );
    let tx = w.client.info(w.now).unwrap();
    w.drain();
    let (sent, via) = w.next_request("info");
    let Via::Http(id, _, _) = via else {
        panic!("over HTTP")
    };
    let padding = "x".repeat(200);
    let body = json!({"janus":"server_info","transaction":sent,"name":padding}).to_string();
    w.http_response(id, 200, &body);
    assert_eq!(w.completed(&tx), Err(RequestError::TooLarge(200)));
    // At the limit is fine.
    let tx = w.client.ping(w.now).unwrap();
    w.drain();
    let (sent, via) = w.next_request("ping");
    let Via::Http(id, _, _) = via else {
        panic!("over HTTP")
    };
    let mut body = json!({"janus":"pong","transaction":sent}).to_string();
    body.push_str(&" ".repeat(200 - body.len()));
    w.http_response(id, 200, &body);
    assert_eq!(w.completed(&tx), Ok(Reply::Pong));
}

#[test]
fn a_websocket_message_over_the_size_limit_drops_the_connection_and_it_reconnects() {
    let mut w = World::ws_with(
        ClientConfig::new(["ws://janus"])
            .unwrap()
            .seed(1)
            .max_message_size(300),
    );
    w.frame(json!({"janus":"event","session_id":1,"sender":2,"padding":"x".repeat(300)}));
    assert!(matches!(
        w.events.pop_front(),
        Some(Event::Disconnected {
            reason: DisconnectReason::Dropped(_)
        })
    ));
    assert_eq!(w.other.pop_front(), Some(Transmit::Disconnect));
    assert!(matches!(
        w.other.pop_front(),
        Some(Transmit::Connect { server: 0, .. })
    ));
}

#[test]
fn failed_long_polls_are_retried_after_the_configured_backoff() {
    let mut w = World::http_with(
        ClientConfig::new(["http://janus/janus"])
            .unwrap()
            .seed(1)
            .max_poll_failures(5)
            .max_message_size(1000)
            .long_poll_retry(secs(1), secs(3)),
    );
    w.create_session(1);
    let mut pauses = Vec::new();
    for n in 0..4 {
        let poll = w.next_poll();
        if n == 1 {
            // A body over the limit counts as a failed poll too.
            w.http_response(poll.id, 200, &format!("[{}]", " ".repeat(1000)));
        } else {
            w.http_response(poll.id, 500, "");
        }
        let failed_at = w.now;
        while w.polls_in_flight() == 0 {
            w.advance(Duration::from_millis(100));
        }
        pauses.push((w.now - failed_at).as_millis());
    }
    assert_eq!(pauses, [1000, 2000, 3000, 3000]);
    assert!(w.events.is_empty(), "{:?}", w.events);
}

// ------------------------------------------------------------------ letting go, closing

#[test]
fn a_released_session_is_destroyed_on_the_server_and_nothing_completes_for_it() {
    let mut w = World::ws();
    let s = w.create_session(5);
    w.client.release_session(w.now, s);
    w.drain();
    let (tx, via) = w.next_request("destroy");
    w.respond(via, janus::success(&tx, 5));
    assert!(w.events.is_empty(), "{:?}", w.events);
    assert_eq!(w.client.session_ids().count(), 0);
    // No keepalive for it any more.
    w.advance(secs(60));
    assert!(w.ws.is_empty(), "{:?}", w.ws);
}

#[test]
fn without_destroy_on_drop_a_released_session_is_only_forgotten() {
    let mut w = World::ws_with(
        ClientConfig::new(["ws://janus"])
            .unwrap()
            .seed(1)
            .destroy_on_drop(false),
    );
    let s = w.create_session(5);
    w.client.release_session(w.now, s);
    w.drain();
    assert!(w.ws.is_empty(), "no destroy: {:?}", w.ws);
    assert_eq!(w.client.session_ids().count(), 0);
    w.advance(secs(60));
    assert!(w.ws.is_empty(), "no keepalive: {:?}", w.ws);
}

#[test]
fn close_destroys_every_session_then_says_closed_and_disconnects() {
    let mut w = World::http();
    w.create_session(5);
    w.create_session(6);
    w.client.close(w.now);
    w.drain();
    let mut destroyed = Vec::new();
    for _ in 0..2 {
        let (tx, via) = w.next_request("destroy");
        let Via::Http(_, path, _) = &via else {
            panic!("over HTTP")
        };
        let session: u64 = path.trim_start_matches('/').parse().unwrap();
        destroyed.push(session);
        assert!(w.events.is_empty(), "not closed before every destroy ended");
        w.respond(via, janus::success(&tx, session));
    }
    destroyed.sort_unstable();
    assert_eq!(destroyed, [5, 6]);
    assert_eq!(w.events.pop_front(), Some(Event::Closed));
    assert!(w.other.contains(&Transmit::Disconnect));
    let cancelled = w
        .other
        .iter()
        .filter(|t| matches!(t, Transmit::Cancel(_)))
        .count();
    assert_eq!(cancelled, 2, "long polls cancelled with their sessions");
}

#[test]
fn close_ends_within_a_request_timeout_when_janus_never_answers() {
    let mut w = World::ws_with(
        ClientConfig::new(["ws://janus"])
            .unwrap()
            .seed(1)
            .request_timeout(secs(3)),
    );
    w.create_session(5);
    w.client.close(w.now);
    w.drain();
    let _unanswered = w.next_request("destroy");
    w.advance(Duration::from_millis(2999));
    assert!(w.events.is_empty(), "{:?}", w.events);
    w.advance(Duration::from_millis(1));
    assert_eq!(w.events.pop_front(), Some(Event::Closed));
    assert_eq!(w.client.session_ids().count(), 0);
}

#[test]
fn an_admin_client_opens_the_admin_subprotocol_and_sends_its_secret_with_each_request() {
    use janus_proto::admin::{AdminRequest, HandleInfo, ListSessions};
    let config = ClientConfig::new(["ws://janus:7188"])
        .unwrap()
        .admin_api(Some("overlord"))
        .seed(3);
    let mut w = World::new(config);
    w.client.connect(w.now);
    w.drain();
    assert!(matches!(
        w.other.pop_front(),
        Some(Transmit::Connect {
            protocol: "janus-admin-protocol",
            ..
        })
    ));
    w.input_opened();
    w.answer_probe();
    let tx = w.client.admin(w.now, ListSessions.call()).unwrap();
    w.drain();
    let (wire_tx, via) = w.next_request("list_sessions");
    assert_eq!(via.body()["admin_secret"], "overlord");
    assert_eq!(via.body().get("apisecret"), None);
    w.respond(
        via,
        json!({"janus": "success", "transaction": wire_tx, "sessions": [11, 12]}),
    );
    let Ok(Reply::Admin(fields)) = w.completed(&tx) else {
        panic!("an admin reply")
    };
    assert_eq!(
        serde_json::Value::Object(fields),
        json!({"sessions": [11, 12]})
    );

    // A handle's request carries its ids in the body over WebSocket; a refusal is typed.
    let h = HandleRef {
        session: SessionId(11),
        handle: HandleId(7),
    };
    let tx = w.client.admin(w.now, HandleInfo::new(h).call()).unwrap();
    w.drain();
    let (wire_tx, via) = w.next_request("handle_info");
    assert_eq!(
        (
            via.body()["session_id"].as_u64(),
            via.body()["handle_id"].as_u64()
        ),
        (Some(11), Some(7))
    );
    w.respond(via, json!({"janus": "error", "transaction": wire_tx, "error": {"code": 403, "reason": "Unauthorized request (wrong or missing secret/token)"}}));
    let Err(janus_proto::RequestError::Janus(e)) = w.completed(&tx) else {
        panic!("a Janus error")
    };
    assert_eq!(e.code, janus_proto::ErrorCode::Unauthorized);
}

#[test]
fn admin_requests_over_http_go_to_the_session_and_handle_path_and_ordinary_clients_refuse_them() {
    use janus_proto::admin::{AdminRequest, ListHandles};
    let config = ClientConfig::new(["http://janus:7088/admin"])
        .unwrap()
        .admin_api(None)
        .seed(4);
    let mut w = World::http_with(config);
    let tx = w
        .client
        .admin(
            w.now,
            ListHandles {
                session: SessionId(5),
            }
            .call(),
        )
        .unwrap();
    w.drain();
    let (wire_tx, via) = w.next_request("list_handles");
    let Via::Http(_, path, body) = &via else {
        panic!("HTTP")
    };
    assert_eq!(path, "/5");
    // No secret configured: none sent, not even an empty one.
    assert_eq!(body.get("admin_secret"), None);
    assert_eq!(body.get("session_id"), None, "the path carries it");
    w.respond(
        via,
        json!({"janus": "success", "transaction": wire_tx, "session_id": 5, "handles": [1]}),
    );
    assert!(matches!(w.completed(&tx), Ok(Reply::Admin(_))));

    let mut plain = World::ws();
    let err = plain.client.admin(
        plain.now,
        ListHandles {
            session: SessionId(5),
        }
        .call(),
    );
    assert_eq!(err, Err(janus_proto::Error::NotAdmin));
}
