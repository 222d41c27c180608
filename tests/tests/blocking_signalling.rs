//! The blocking client against a real Janus, over WebSocket and HTTP long poll.
#![allow(clippy::unwrap_used, missing_docs)]

use std::thread;
use std::time::{Duration, Instant};

use janus_blocking::rtc::HandleEvent;
use janus_blocking::{Client, Error};
use janus_proto::plugin::echotest;
use janus_proto::{ClientConfig, ErrorCode, Event, Reconnect, SessionId, SessionLostReason};
use janus_tests::Janus;
use serde_json::json;

const ECHOTEST: &str = "janus.plugin.echotest";
const VIDEOROOM: &str = "janus.plugin.videoroom";

fn both(janus: &Janus) -> [String; 2] {
    [janus.ws_url(), janus.http_url()]
}

fn connect(url: &str) -> Client {
    Client::connect(
        ClientConfig::new([url])
            .unwrap()
            .seed(7)
            .request_timeout(Duration::from_secs(5)),
    )
    .expect("connects")
}

#[test]
fn info_names_the_server_over_both_transports() {
    let janus = Janus::launch().unwrap();
    for url in both(&janus) {
        let client = connect(&url);
        let info = client.info().unwrap();
        assert_eq!(info.name, "Janus WebRTC Server", "{url}");
        // No version pinned: the client parses what the harness detected, on either server.
        assert!(!info.version_string.is_empty(), "{url}");
        assert_eq!(info.version_string, janus.version().string, "{url}");
        assert_eq!(info.version, janus.version().number, "{url}");
        assert!(info.plugins.contains_key(ECHOTEST));
        assert_eq!(info.full_trickle, Some(false), "{url}");
        // ICE consent and hangup-on-failed are told by newer servers only.
        let newer = janus.version().at_least(1, 4, 0);
        assert_eq!(info.ice_consent_freshness.is_some(), newer, "{url}");
        assert_eq!(info.hangup_on_failed.is_some(), newer, "{url}");
        assert_eq!(client.server_info().session_timeout, info.session_timeout);
        client.ping().unwrap();
    }
}

#[test]
fn echotest_session_attach_message_event_detach_destroy() {
    let janus = Janus::launch().unwrap();
    for url in both(&janus) {
        let client = connect(&url);
        let session = client.create_session().unwrap();
        let echo = session.attach(ECHOTEST).unwrap();
        // The EchoTest acks and then answers with an event of the same transaction.
        let reply = echo
            .send(
                &echotest::Configure {
                    audio: Some(true),
                    bitrate: Some(128_000),
                    ..Default::default()
                },
                None,
            )
            .unwrap();
        assert_eq!(reply.data.plugin, ECHOTEST, "{url}");
        assert_eq!(
            reply.data.data["result"], "ok",
            "{url}: {}",
            reply.data.data
        );
        echo.detach().unwrap();
        session.destroy().unwrap();
    }
}

#[test]
fn several_sessions_and_handles_get_their_own_events() {
    let janus = Janus::launch().unwrap();
    for url in both(&janus) {
        let client = connect(&url);
        let sessions: Vec<_> = (0..3).map(|_| client.create_session().unwrap()).collect();
        let handles: Vec<_> = sessions
            .iter()
            .flat_map(|s| [s.attach(ECHOTEST).unwrap(), s.attach(ECHOTEST).unwrap()])
            .collect();
        let ids: std::collections::BTreeSet<_> = handles.iter().map(|h| h.id()).collect();
        assert_eq!(ids.len(), 6, "distinct handles");
        // Each handle asks in parallel; each gets its own answer.
        thread::scope(|scope| {
            for (i, h) in handles.iter().enumerate() {
                scope.spawn(move || {
                    for n in 0..10 {
                        let r = h
                            .message(json!({"bitrate": 1000 * (i * 100 + n + 1)}), None)
                            .unwrap();
                        assert_eq!(r.data.data["result"], "ok");
                    }
                });
            }
        });
        // Hanging up one handle (no PeerConnection yet) leaves the others quiet.
        for h in &handles {
            assert!(
                h.events().try_recv().unwrap().is_none(),
                "{url}: no stray event on {}",
                h.id()
            );
        }
        for s in sessions {
            s.destroy().unwrap();
        }
    }
}

#[test]
fn synchronous_plugin_requests_answer_with_success() {
    let janus = Janus::launch().unwrap();
    for url in both(&janus) {
        let client = connect(&url);
        let session = client.create_session().unwrap();
        let room = session.attach(VIDEOROOM).unwrap();
        let exists = room
            .message(json!({"request":"exists","room":1234}), None)
            .unwrap();
        assert_eq!(
            exists.data.data["exists"], true,
            "{url}: {}",
            exists.data.data
        );
        let list = room.message(json!({"request":"list"}), None).unwrap();
        assert!(
            list.data.data["list"]
                .as_array()
                .is_some_and(|l| !l.is_empty()),
            "{url}"
        );
        session.destroy().unwrap();
    }
}

#[test]
fn janus_and_plugin_errors_come_back_typed() {
    let janus = Janus::launch().unwrap();
    for url in both(&janus) {
        let client = connect(&url);
        let session = client.create_session().unwrap();
        let e = session.attach("janus.plugin.nope").unwrap_err();
        assert_eq!(
            e.janus_code(),
            Some(ErrorCode::PluginNotFound),
            "{url}: {e}"
        );
        let room = session.attach(VIDEOROOM).unwrap();
        let e = room
            .message(
                json!({"request":"join","room":999_999,"ptype":"publisher"}),
                None,
            )
            .unwrap_err();
        assert_eq!(e.plugin_code(), Some(426), "{url}: no such room: {e}");
        let e = client.claim_session(SessionId(123_456_789)).unwrap_err();
        assert_eq!(
            e.janus_code(),
            Some(ErrorCode::SessionNotFound),
            "{url}: {e}"
        );
        session.destroy().unwrap();
    }
}

#[test]
fn keepalives_carry_sessions_past_the_server_timeout_on_both_transports() {
    let janus = Janus::builder().session_timeout(3).launch().unwrap();
    let live: Vec<_> = both(&janus)
        .into_iter()
        .map(|url| {
            let client = connect(&url);
            let session = client.create_session().unwrap();
            let echo = session.attach(ECHOTEST).unwrap();
            (url, client, session, echo)
        })
        .collect();
    // Both wait at once: three session timeouts.
    thread::sleep(Duration::from_secs(10));
    for (url, _client, session, echo) in &live {
        assert!(
            session.events().try_recv().unwrap().is_none(),
            "{url}: no timeout after three session timeouts"
        );
        let reply = echo.message(json!({"audio":true}), None).unwrap();
        assert_eq!(reply.data.data["result"], "ok", "{url}");
    }
}

#[test]
fn a_session_without_keepalives_times_out_and_the_application_hears_it() {
    let janus = Janus::builder().session_timeout(2).launch().unwrap();
    // Over HTTP the `timeout` event comes back on the long poll.
    let idle: Vec<_> = both(&janus)
        .into_iter()
        .map(|url| {
            let config = ClientConfig::new([url.as_str()])
                .unwrap()
                .keepalive(Duration::from_secs(3600));
            let client = Client::connect(config).unwrap();
            let session = client.create_session().unwrap();
            (url, client, session)
        })
        .collect();
    for (url, _client, session) in &idle {
        let e = session
            .events()
            .recv_timeout(Duration::from_secs(15))
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(
            e,
            Event::SessionLost {
                session: session.id(),
                reason: SessionLostReason::Timeout
            },
            "{url}"
        );
        assert!(
            matches!(
                session.attach(ECHOTEST),
                Err(Error::Local(janus_proto::Error::SessionLost { .. }))
            ),
            "{url}"
        );
    }
}

#[test]
fn the_server_list_falls_back_past_a_refusing_server() {
    let janus = Janus::launch().unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let config = ClientConfig::new([format!("ws://127.0.0.1:{port}"), janus.http_url()]).unwrap();
    let client = Client::connect(config).unwrap();
    assert_eq!(client.server(), (1, janus.http_url()));
    assert!(matches!(
        client.events().try_recv().unwrap(),
        Some(Event::ServerFailed { server: 0, .. })
    ));
    client.create_session().unwrap().destroy().unwrap();
}

#[test]
fn api_secret_right_wrong_and_missing() {
    let janus = Janus::builder().api_secret("sesame").launch().unwrap();
    for url in both(&janus) {
        let right =
            Client::connect(ClientConfig::new([&url]).unwrap().apisecret("sesame")).unwrap();
        right.create_session().unwrap().destroy().unwrap();
        for config in [
            ClientConfig::new([&url]).unwrap().apisecret("wrong"),
            ClientConfig::new([&url]).unwrap(),
        ] {
            let client = Client::connect(config).unwrap();
            let e = client.create_session().unwrap_err();
            assert_eq!(e.janus_code(), Some(ErrorCode::Unauthorized), "{url}: {e}");
        }
    }
}

#[test]
fn token_auth_admits_the_listed_plugins_only() {
    let janus = Janus::builder()
        .token_auth("token-secret")
        .launch()
        .unwrap();
    let token = janus.token(&[ECHOTEST]).unwrap();
    for url in both(&janus) {
        let client = Client::connect(ClientConfig::new([&url]).unwrap().token(&token)).unwrap();
        let session = client.create_session().unwrap();
        session.attach(ECHOTEST).unwrap();
        assert_eq!(
            session.attach(VIDEOROOM).unwrap_err().janus_code(),
            Some(ErrorCode::UnauthorizedPlugin),
            "{url}"
        );
        let anonymous = Client::connect(ClientConfig::new([&url]).unwrap()).unwrap();
        assert_eq!(
            anonymous.create_session().unwrap_err().janus_code(),
            Some(ErrorCode::Unauthorized),
            "{url}"
        );
    }
}

#[test]
fn tls_wss_and_https_with_the_harness_certificate() {
    let janus = Janus::builder().tls(true).launch().unwrap();
    for url in [janus.wss_url().unwrap(), janus.https_url().unwrap()] {
        let client = Client::builder(ClientConfig::new([&url]).unwrap())
            .add_root_pem(janus.ca_cert_pem().unwrap().as_bytes())
            .unwrap()
            .connect()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let session = client.create_session().unwrap();
        assert_eq!(
            session
                .attach(ECHOTEST)
                .unwrap()
                .message(json!({"audio":true}), None)
                .unwrap()
                .data
                .data["result"],
            "ok"
        );
        // Without the test CA, the web PKI does not trust it.
        assert!(
            Client::connect(ClientConfig::new([&url]).unwrap()).is_err(),
            "{url}"
        );
    }
}

#[test]
fn a_killed_server_fails_requests_then_a_restarted_one_serves_new_sessions() {
    let mut janus = Janus::builder()
        .reclaim_session_timeout(0)
        .launch()
        .unwrap();
    let policy = Reconnect {
        max_rounds: 40,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(250),
    };
    for url in both(&janus) {
        let client = Client::connect(
            ClientConfig::new([&url])
                .unwrap()
                .request_timeout(Duration::from_secs(3))
                .reconnect(policy.clone()),
        )
        .unwrap();
        let session = client.create_session().unwrap();
        let echo = session.attach(ECHOTEST).unwrap();
        janus.kill().unwrap();
        let started = Instant::now();
        let e = echo.message(json!({"audio":true}), None).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{url}: failed within a bounded time: {e}"
        );
        janus.start().unwrap();
        // The old session is gone: the client reports it (claim refused or poll 404/458).
        let lost = session
            .events()
            .wait_for(Duration::from_secs(15), |e| match e {
                Event::SessionLost { reason, .. } => Some(reason),
                _ => None,
            });
        assert!(lost.is_ok(), "{url}: {lost:?}");
        let fresh = client.create_session().unwrap();
        fresh.attach(ECHOTEST).unwrap();
    }
}

// ------------------------------------------------------------------ long poll batches, reconnect

/// Waits until `cond` holds, checking every few milliseconds, for at most `limit`.
fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < until, "condition not met within {limit:?}");
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn long_poll_with_maxev_delivers_queued_events_in_one_batch_in_order() {
    let janus = Janus::launch().unwrap();
    let proxy = janus_tests::TcpProxy::start(janus.http_port()).unwrap();
    let url = format!("http://127.0.0.1:{}/janus", proxy.port());
    let client = Client::connect(ClientConfig::new([&url]).unwrap().long_poll_maxev(10)).unwrap();
    let session = client.create_session().unwrap();
    let echo = session.attach(ECHOTEST).unwrap();
    let (s, h) = (session.id().0, echo.id().handle.0);
    let post = |tx: &str| {
        let body = json!({"janus":"message","transaction":tx,"body":{"audio":true}});
        janus.api_post(&format!("/{s}/{h}"), &body).unwrap()["janus"].clone()
    };
    let next_tx = || match echo.events().recv_timeout(Duration::from_secs(10)) {
        Ok(HandleEvent::Janus(Event::PluginEvent { tx: Some(tx), .. })) => tx.as_str().to_owned(),
        other => panic!("expected a plugin event, got {other:?}"),
    };
    // The client's long poll is out. Hold whatever it sends next (its next GET), then answer
    // that poll with one event: from now on events queue up in Janus.
    wait_until(Duration::from_secs(10), || proxy.gets() >= 1);
    proxy.hold();
    assert_eq!(post("first"), "ack");
    assert_eq!(next_tx(), "first");
    let gets = proxy.gets();
    let sent: Vec<_> = (0..8).map(|i| format!("queued-{i}")).collect();
    for tx in &sent {
        assert_eq!(post(tx), "ack");
    }
    proxy.release();
    let got: Vec<_> = sent.iter().map(|_| next_tx()).collect();
    assert_eq!(got, sent, "in the order Janus queued them");
    // The held GET fetched the queue (a second one at most if the plugin was still pushing),
    // and the next one hangs: far fewer GETs than events.
    let used = proxy.gets() - gets;
    assert!(used <= 3, "{used} GETs for {} queued events", sent.len());
}

#[test]
fn a_cut_websocket_reconnects_claims_and_the_handle_keeps_working() {
    let janus = Janus::builder()
        .reclaim_session_timeout(20)
        .launch()
        .unwrap();
    let proxy = janus_tests::TcpProxy::start(janus.ws_port()).unwrap();
    let policy = Reconnect {
        max_rounds: 20,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(250),
    };
    let config = ClientConfig::new([format!("ws://127.0.0.1:{}", proxy.port())])
        .unwrap()
        .request_timeout(Duration::from_secs(5))
        .reconnect(policy);
    let client = Client::connect(config).unwrap();
    let session = client.create_session().unwrap();
    let echo = session.attach(ECHOTEST).unwrap();
    let reply = echo.message(json!({"audio":true}), None).unwrap();
    assert_eq!(reply.data.data["result"], "ok");

    proxy.cut();
    let dropped = client
        .events()
        .wait_for(Duration::from_secs(10), |e| match e {
            Event::Disconnected { reason } => Some(reason),
            _ => None,
        });
    assert!(dropped.is_ok(), "the client saw the drop: {dropped:?}");
    let reclaimed = session
        .events()
        .wait_for(Duration::from_secs(15), |e| match e {
            Event::SessionReclaimed { session } => Some(session),
            _ => None,
        })
        .unwrap();
    assert_eq!(reclaimed, session.id());
    assert!(proxy.connections() >= 2, "a new connection");

    // The same handle works, and every event after the claim arrives: 20 messages at once,
    // each answered by its own event.
    thread::scope(|scope| {
        let asks: Vec<_> = (0..20u32)
            .map(|i| {
                let echo = &echo;
                scope.spawn(move || echo.message(json!({"bitrate": 10_000 + i}), None))
            })
            .collect();
        for ask in asks {
            assert_eq!(ask.join().unwrap().unwrap().data.data["result"], "ok");
        }
    });
    assert!(
        echo.events().try_recv().unwrap().is_none(),
        "no stray event"
    );
    session.destroy().unwrap();
}

#[test]
fn a_full_event_queue_pauses_reading_and_loses_nothing_once_drained() {
    let janus = Janus::launch().unwrap();
    for url in both(&janus) {
        let config = ClientConfig::new([&url]).unwrap().seed(7);
        let client = Client::builder(config).event_capacity(2).connect().unwrap();
        let session = client.create_session().unwrap();
        let echo = session.attach(ECHOTEST).unwrap();
        let (s, h) = (session.id().0, echo.id().handle.0);
        // Messages the client did not send: their events are the handle's own, 10 of them
        // for a queue of 2, and nobody reads until all were posted.
        let sent: Vec<String> = (0..10).map(|i| format!("outside-{i}")).collect();
        for tx in &sent {
            let body = json!({"janus":"message","transaction":tx,"body":{"audio":true}});
            assert_eq!(
                janus.api_post(&format!("/{s}/{h}"), &body).unwrap()["janus"],
                "ack"
            );
        }
        thread::sleep(Duration::from_millis(300));
        let mut got = Vec::new();
        while got.len() < sent.len() {
            match echo.events().recv_timeout(Duration::from_secs(10)) {
                Ok(HandleEvent::Janus(Event::PluginEvent { tx: Some(tx), .. })) => {
                    got.push(tx.as_str().to_owned())
                }
                other => panic!("{url}: expected a plugin event, got {other:?}"),
            }
        }
        assert_eq!(
            got, sent,
            "{url}: every event, in the order Janus sent them"
        );
        // Reading resumed: the client still talks to Janus.
        client.ping().unwrap();
    }
}

/// What Janus says of a session now: `ack` while it lives, `error` 458 once it is gone.
fn keepalive_from_outside(janus: &Janus, session: SessionId) -> serde_json::Value {
    let body = json!({"janus":"keepalive","transaction":"outside"});
    janus.api_post(&format!("/{}", session.0), &body).unwrap()
}

fn gone(janus: &Janus, session: SessionId) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if keepalive_from_outside(janus, session)["error"]["code"] == 458 {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_session_dropped_with_its_handles_is_destroyed_on_the_server() {
    let janus = Janus::launch().unwrap();
    for url in both(&janus) {
        let client = connect(&url);
        let session = client.create_session().unwrap();
        let id = session.id();
        let echo = session.attach(ECHOTEST).unwrap();
        assert_eq!(echo.plugin(), ECHOTEST);
        drop(session);
        // A handle still in use keeps its session.
        thread::sleep(Duration::from_millis(200));
        assert_eq!(keepalive_from_outside(&janus, id)["janus"], "ack", "{url}");
        echo.message(json!({"audio": true}), None).unwrap();
        drop(echo);
        assert!(gone(&janus, id), "{url}: session {id} still on the server");
        assert!(client.is_connected(), "{url}");
    }
}

#[test]
fn without_destroy_on_drop_a_dropped_session_stays_until_janus_times_it_out() {
    let janus = Janus::launch().unwrap();
    for url in both(&janus) {
        let config = ClientConfig::new([&url])
            .unwrap()
            .seed(7)
            .destroy_on_drop(false);
        let client = Client::connect(config).unwrap();
        let session = client.create_session().unwrap();
        let id = session.id();
        drop(session);
        thread::sleep(Duration::from_millis(300));
        assert_eq!(keepalive_from_outside(&janus, id)["janus"], "ack", "{url}");
        drop(client);
    }
}

#[test]
fn closing_the_client_destroys_the_sessions_left() {
    let janus = Janus::launch().unwrap();
    for url in both(&janus) {
        let client = connect(&url);
        let kept = client.create_session().unwrap();
        let other = client.create_session().unwrap();
        let ids = [kept.id(), other.id()];
        let _handle = kept.attach(ECHOTEST).unwrap();
        drop((client, kept, other, _handle));
        for id in ids {
            assert!(gone(&janus, id), "{url}: session {id} still on the server");
        }
    }
}
