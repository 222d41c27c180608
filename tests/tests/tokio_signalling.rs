//! The tokio client against a real Janus, over WebSocket and HTTP long poll: the same
//! scenarios as `blocking_signalling.rs`, plus the driver task's end when the last handle
//! goes. Each test runs on a runtime of its own under a time limit, so that nothing hangs.
#![allow(clippy::unwrap_used, missing_docs)]

use std::future::Future;
use std::time::{Duration, Instant};

use janus_proto::plugin::echotest;
use janus_proto::{
    ClientConfig, ErrorCode, Event, Reconnect, SessionId, SessionLostReason, TransactionId,
};
use janus_tests::{Janus, TcpProxy};
use janus_tokio::rtc::HandleEvent;
use janus_tokio::{Client, Error};
use serde_json::json;

const ECHOTEST: &str = "janus.plugin.echotest";
const VIDEOROOM: &str = "janus.plugin.videoroom";

/// Runs a test body on a two-worker runtime, failing it after `limit`.
fn run(limit: Duration, body: impl Future<Output = ()>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::timeout(limit, body)
            .await
            .expect("test timed out");
    });
}

/// Harness calls block (starting Janus, killing it): keep them off the driver's worker.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn both(janus: &Janus) -> [String; 2] {
    [janus.ws_url(), janus.http_url()]
}

async fn connect(url: &str) -> Client {
    Client::connect(
        ClientConfig::new([url])
            .unwrap()
            .seed(7)
            .request_timeout(Duration::from_secs(5)),
    )
    .await
    .expect("connects")
}

#[test]
fn info_names_the_server_over_both_transports() {
    run(Duration::from_secs(60), async {
        let janus = blocking(Janus::launch).unwrap();
        for url in both(&janus) {
            let client = connect(&url).await;
            let info = client.info().await.unwrap();
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
            client.ping().await.unwrap();
        }
    });
}

#[test]
fn echotest_session_attach_message_event_detach_destroy() {
    run(Duration::from_secs(60), async {
        let janus = blocking(Janus::launch).unwrap();
        for url in both(&janus) {
            let client = connect(&url).await;
            let session = client.create_session().await.unwrap();
            let echo = session.attach(ECHOTEST).await.unwrap();
            // The EchoTest acks and then answers with an event of the same transaction.
            let configure = echotest::Configure {
                audio: Some(true),
                bitrate: Some(128_000),
                ..Default::default()
            };
            let reply = echo.send(&configure, None).await.unwrap();
            assert_eq!(reply.data.plugin, ECHOTEST, "{url}");
            assert_eq!(
                reply.data.data["result"], "ok",
                "{url}: {}",
                reply.data.data
            );
            echo.detach().await.unwrap();
            session.destroy().await.unwrap();
        }
    });
}

#[test]
fn several_sessions_and_handles_get_their_own_events() {
    run(Duration::from_secs(60), async {
        let janus = blocking(Janus::launch).unwrap();
        for url in both(&janus) {
            let client = connect(&url).await;
            let mut sessions = Vec::new();
            let mut handles = Vec::new();
            for _ in 0..3 {
                let s = client.create_session().await.unwrap();
                handles.push(s.attach(ECHOTEST).await.unwrap());
                handles.push(s.attach(ECHOTEST).await.unwrap());
                sessions.push(s);
            }
            let ids: std::collections::BTreeSet<_> = handles.iter().map(|h| h.id()).collect();
            assert_eq!(ids.len(), 6, "distinct handles");
            // Each handle asks from a task of its own, all at once; each gets its own answers.
            let mut tasks = tokio::task::JoinSet::new();
            for (i, h) in handles.into_iter().enumerate() {
                tasks.spawn(async move {
                    for n in 0..10 {
                        let r = h
                            .message(json!({"bitrate": 1000 * (i * 100 + n + 1)}), None)
                            .await
                            .unwrap();
                        assert_eq!(r.data.data["result"], "ok");
                    }
                    h
                });
            }
            let handles = tasks.join_all().await;
            // Every answer completed its own request: nothing left over on any handle.
            for h in &handles {
                assert!(
                    h.events().try_recv().unwrap().is_none(),
                    "{url}: no stray event on {}",
                    h.id()
                );
            }
            for s in sessions {
                s.destroy().await.unwrap();
            }
        }
    });
}

#[test]
fn synchronous_plugin_requests_answer_with_success() {
    run(Duration::from_secs(60), async {
        let janus = blocking(Janus::launch).unwrap();
        for url in both(&janus) {
            let client = connect(&url).await;
            let session = client.create_session().await.unwrap();
            let room = session.attach(VIDEOROOM).await.unwrap();
            let exists = room
                .message(json!({"request":"exists","room":1234}), None)
                .await
                .unwrap();
            assert_eq!(
                exists.data.data["exists"], true,
                "{url}: {}",
                exists.data.data
            );
            let list = room.message(json!({"request":"list"}), None).await.unwrap();
            assert!(
                list.data.data["list"]
                    .as_array()
                    .is_some_and(|l| !l.is_empty()),
                "{url}"
            );
            session.destroy().await.unwrap();
        }
    });
}

#[test]
fn janus_and_plugin_errors_come_back_typed() {
    run(Duration::from_secs(60), async {
        let janus = blocking(Janus::launch).unwrap();
        for url in both(&janus) {
            let client = connect(&url).await;
            let session = client.create_session().await.unwrap();
            let e = session.attach("janus.plugin.nope").await.unwrap_err();
            assert_eq!(
                e.janus_code(),
                Some(ErrorCode::PluginNotFound),
                "{url}: {e}"
            );
            // A plugin error: joining a VideoRoom room that does not exist (426).
            let room = session.attach(VIDEOROOM).await.unwrap();
            let e = room
                .message(
                    json!({"request":"join","room":999_999,"ptype":"publisher"}),
                    None,
                )
                .await
                .unwrap_err();
            assert_eq!(e.plugin_code(), Some(426), "{url}: no such room: {e}");
            let e = client
                .claim_session(SessionId(123_456_789))
                .await
                .unwrap_err();
            assert_eq!(
                e.janus_code(),
                Some(ErrorCode::SessionNotFound),
                "{url}: {e}"
            );
            session.destroy().await.unwrap();
        }
    });
}

#[test]
fn keepalives_carry_sessions_past_the_server_timeout_on_both_transports() {
    run(Duration::from_secs(60), async {
        let janus = blocking(|| Janus::builder().session_timeout(3).launch()).unwrap();
        let mut live = Vec::new();
        for url in both(&janus) {
            let client = connect(&url).await;
            let session = client.create_session().await.unwrap();
            let echo = session.attach(ECHOTEST).await.unwrap();
            live.push((url, client, session, echo));
        }
        // Both wait at once: three session timeouts.
        tokio::time::sleep(Duration::from_secs(10)).await;
        for (url, _client, session, echo) in &live {
            assert!(
                session.events().try_recv().unwrap().is_none(),
                "{url}: no timeout after three session timeouts"
            );
            let reply = echo.message(json!({"audio":true}), None).await.unwrap();
            assert_eq!(reply.data.data["result"], "ok", "{url}");
        }
    });
}

#[test]
fn a_session_without_keepalives_times_out_and_the_application_hears_it() {
    run(Duration::from_secs(60), async {
        let janus = blocking(|| Janus::builder().session_timeout(2).launch()).unwrap();
        // Over HTTP the `timeout` event comes back on the long poll.
        let mut idle = Vec::new();
        for url in both(&janus) {
            let config = ClientConfig::new([url.as_str()])
                .unwrap()
                .keepalive(Duration::from_secs(3600));
            let client = Client::connect(config).await.unwrap();
            let session = client.create_session().await.unwrap();
            idle.push((url, client, session));
        }
        for (url, _client, session) in &idle {
            let e = session
                .events()
                .recv_timeout(Duration::from_secs(15))
                .await
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
                    session.attach(ECHOTEST).await,
                    Err(Error::Local(janus_proto::Error::SessionLost { .. }))
                ),
                "{url}"
            );
        }
    });
}

#[test]
fn the_server_list_falls_back_past_a_refusing_server() {
    run(Duration::from_secs(60), async {
        let janus = blocking(Janus::launch).unwrap();
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = dead.local_addr().unwrap().port();
        drop(dead);
        let config =
            ClientConfig::new([format!("ws://127.0.0.1:{port}"), janus.http_url()]).unwrap();
        let client = Client::connect(config).await.unwrap();
        assert_eq!(client.server(), (1, janus.http_url()));
        assert!(matches!(
            client.events().try_recv().unwrap(),
            Some(Event::ServerFailed { server: 0, .. })
        ));
        client
            .create_session()
            .await
            .unwrap()
            .destroy()
            .await
            .unwrap();
    });
}

#[test]
fn api_secret_right_wrong_and_missing() {
    run(Duration::from_secs(60), async {
        let janus = blocking(|| Janus::builder().api_secret("sesame").launch()).unwrap();
        for url in both(&janus) {
            let right = Client::connect(ClientConfig::new([&url]).unwrap().apisecret("sesame"))
                .await
                .unwrap();
            let session = right.create_session().await.unwrap();
            session.destroy().await.unwrap();
            for config in [
                ClientConfig::new([&url]).unwrap().apisecret("wrong"),
                ClientConfig::new([&url]).unwrap(),
            ] {
                let client = Client::connect(config).await.unwrap();
                let e = client.create_session().await.unwrap_err();
                assert_eq!(e.janus_code(), Some(ErrorCode::Unauthorized), "{url}: {e}");
            }
            // The secret is never shown.
            assert!(!format!("{right:?}").contains("sesame"));
            let builder = Client::builder(ClientConfig::new([&url]).unwrap().apisecret("sesame"));
            assert!(!format!("{builder:?}").contains("sesame"), "{builder:?}");
        }
    });
}

#[test]
fn token_auth_admits_the_listed_plugins_only() {
    run(Duration::from_secs(60), async {
        let janus = blocking(|| Janus::builder().token_auth("token-secret").launch()).unwrap();
        let token = janus.token(&[ECHOTEST]).unwrap();
        for url in both(&janus) {
            let client = Client::connect(ClientConfig::new([&url]).unwrap().token(&token))
                .await
                .unwrap();
            let session = client.create_session().await.unwrap();
            session.attach(ECHOTEST).await.unwrap();
            assert_eq!(
                session.attach(VIDEOROOM).await.unwrap_err().janus_code(),
                Some(ErrorCode::UnauthorizedPlugin),
                "{url}"
            );
            let anonymous = Client::connect(ClientConfig::new([&url]).unwrap())
                .await
                .unwrap();
            assert_eq!(
                anonymous.create_session().await.unwrap_err().janus_code(),
                Some(ErrorCode::Unauthorized),
                "{url}"
            );
        }
    });
}

#[test]
fn tls_wss_and_https_with_the_harness_certificate() {
    run(Duration::from_secs(60), async {
        let janus = blocking(|| Janus::builder().tls(true).launch()).unwrap();
        for url in [janus.wss_url().unwrap(), janus.https_url().unwrap()] {
            let client = Client::builder(ClientConfig::new([&url]).unwrap())
                .add_root_pem(janus.ca_cert_pem().unwrap().as_bytes())
                .unwrap()
                .connect()
                .await
                .unwrap_or_else(|e| panic!("{url}: {e}"));
            let session = client.create_session().await.unwrap();
            let echo = session.attach(ECHOTEST).await.unwrap();
            let reply = echo.message(json!({"audio":true}), None).await.unwrap();
            assert_eq!(reply.data.data["result"], "ok");
            // Without the test CA, the web PKI does not trust it.
            let untrusting = Client::connect(ClientConfig::new([&url]).unwrap()).await;
            assert!(untrusting.is_err(), "{url}");
        }
    });
}

#[test]
fn a_killed_server_fails_requests_then_a_restarted_one_serves_new_sessions() {
    run(Duration::from_secs(90), async {
        let mut janus = blocking(|| Janus::builder().reclaim_session_timeout(0).launch()).unwrap();
        let policy = Reconnect {
            max_rounds: 40,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(250),
        };
        for url in both(&janus) {
            let config = ClientConfig::new([&url])
                .unwrap()
                .request_timeout(Duration::from_secs(3))
                .reconnect(policy.clone());
            let client = Client::connect(config).await.unwrap();
            let session = client.create_session().await.unwrap();
            let echo = session.attach(ECHOTEST).await.unwrap();
            blocking(|| janus.kill()).unwrap();
            let started = Instant::now();
            let e = echo.message(json!({"audio":true}), None).await.unwrap_err();
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{url}: failed within a bounded time: {e}"
            );
            blocking(|| janus.start()).unwrap();
            // The old session is gone: the client reports it (claim refused or poll 404/458).
            let lost = session
                .events()
                .wait_for(Duration::from_secs(15), |e| match e {
                    Event::SessionLost { reason, .. } => Some(reason),
                    _ => None,
                })
                .await;
            assert!(lost.is_ok(), "{url}: {lost:?}");
            let fresh = client.create_session().await.unwrap();
            fresh.attach(ECHOTEST).await.unwrap();
        }
    });
}

// ------------------------------------------------------------------ beyond the blocking twelve

#[test]
fn long_poll_with_maxev_delivers_queued_events_in_one_batch_in_order() {
    run(Duration::from_secs(60), async {
        let janus = blocking(Janus::launch).unwrap();
        let proxy = TcpProxy::start(janus.http_port()).unwrap();
        let url = format!("http://127.0.0.1:{}/janus", proxy.port());
        let config = ClientConfig::new([&url]).unwrap().long_poll_maxev(10);
        let client = Client::connect(config).await.unwrap();
        let session = client.create_session().await.unwrap();
        let echo = session.attach(ECHOTEST).await.unwrap();
        let (s, h) = (session.id().0, echo.id().handle.0);
        let post = |tx: String| {
            let body = json!({"janus":"message","transaction":tx,"body":{"audio":true}});
            janus.api_post(&format!("/{s}/{h}"), &body).unwrap()
        };
        let next_tx = async || match echo.events().recv_timeout(Duration::from_secs(10)).await {
            Ok(HandleEvent::Janus(Event::PluginEvent { tx: Some(tx), .. })) => tx,
            other => panic!("expected a plugin event, got {other:?}"),
        };
        // The client's long poll is out. Hold whatever it sends next (its next GET), then
        // answer that poll with one event: from now on events queue up in Janus.
        wait_until(|| proxy.gets() >= 1).await;
        proxy.hold();
        assert_eq!(blocking(|| post("first".into()))["janus"], "ack");
        assert_eq!(next_tx().await, TransactionId::from("first"));
        let gets = proxy.gets();
        let sent: Vec<_> = (0..8).map(|i| format!("queued-{i}")).collect();
        for tx in &sent {
            assert_eq!(blocking(|| post(tx.clone()))["janus"], "ack");
        }
        proxy.release();
        let mut got = Vec::new();
        for _ in &sent {
            got.push(next_tx().await.as_str().to_owned());
        }
        assert_eq!(got, sent, "in the order Janus queued them");
        // The held GET fetched the queue (a second one at most if the plugin was still
        // pushing), and the next one hangs: far fewer GETs than events.
        let used = proxy.gets() - gets;
        assert!(used <= 3, "{used} GETs for {} queued events", sent.len());
    });
}

#[test]
fn a_cut_websocket_reconnects_claims_and_the_handle_keeps_working() {
    run(Duration::from_secs(60), async {
        let janus = blocking(|| Janus::builder().reclaim_session_timeout(20).launch()).unwrap();
        let proxy = TcpProxy::start(janus.ws_port()).unwrap();
        let policy = Reconnect {
            max_rounds: 20,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(250),
        };
        let config = ClientConfig::new([format!("ws://127.0.0.1:{}", proxy.port())])
            .unwrap()
            .request_timeout(Duration::from_secs(5))
            .reconnect(policy);
        let client = Client::connect(config).await.unwrap();
        let session = client.create_session().await.unwrap();
        let echo = session.attach(ECHOTEST).await.unwrap();
        let reply = echo.message(json!({"audio":true}), None).await.unwrap();
        assert_eq!(reply.data.data["result"], "ok");

        proxy.cut();
        let dropped = client
            .events()
            .wait_for(Duration::from_secs(10), |e| match e {
                Event::Disconnected { reason } => Some(reason),
                _ => None,
            })
            .await;
        assert!(dropped.is_ok(), "the client saw the drop: {dropped:?}");
        let reclaimed = session
            .events()
            .wait_for(Duration::from_secs(15), |e| match e {
                Event::SessionReclaimed { session } => Some(session),
                _ => None,
            })
            .await
            .unwrap();
        assert_eq!(reclaimed, session.id());
        assert!(proxy.connections() >= 2, "a new connection");

        // The same handle works, and every event after the claim arrives: 20 messages at
        // once, each answered by its own event.
        let mut pending = tokio::task::JoinSet::new();
        let echo = std::sync::Arc::new(echo);
        for i in 0..20u32 {
            let echo = std::sync::Arc::clone(&echo);
            pending.spawn(async move {
                echo.message(json!({"bitrate": 10_000 + i}), None)
                    .await
                    .map(|r| r.data.data["result"].clone())
            });
        }
        for r in pending.join_all().await {
            assert_eq!(r.unwrap(), "ok");
        }
        assert!(
            echo.events().try_recv().unwrap().is_none(),
            "no stray event"
        );
        session.destroy().await.unwrap();
    });
}

#[test]
fn dropping_the_last_client_session_and_handle_ends_the_driver_task() {
    // A current-thread runtime of its own: its task count is this test's alone.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let janus = Janus::launch().unwrap();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(60), async {
            let tasks = || {
                tokio::runtime::Handle::current()
                    .metrics()
                    .num_alive_tasks()
            };
            for url in both(&janus) {
                let before = tasks();
                let client = connect(&url).await;
                let session = client.create_session().await.unwrap();
                let echo = session.attach(ECHOTEST).await.unwrap();
                echo.message(json!({"audio":true}), None).await.unwrap();
                // The driver, and on HTTP the long poll too.
                assert!(tasks() > before, "{url}: the driver runs");
                drop(client);
                drop(session);
                // A handle alone keeps the driver alive.
                echo.message(json!({"audio":true}), None).await.unwrap();
                drop(echo);
                wait_until(|| tasks() == before).await;
            }
        })
        .await
        .expect("test timed out");
    });
}

/// Waits until `cond` holds, checking every few milliseconds (the test's own time limit
/// bounds the wait).
async fn wait_until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn a_full_event_queue_pauses_reading_and_loses_nothing_once_drained() {
    run(Duration::from_secs(60), async {
        let janus = blocking(Janus::launch).unwrap();
        for url in [janus.ws_url(), janus.http_url()] {
            let config = ClientConfig::new([&url]).unwrap().seed(7);
            let client = Client::builder(config)
                .event_capacity(2)
                .connect()
                .await
                .unwrap();
            let session = client.create_session().await.unwrap();
            let echo = session.attach(ECHOTEST).await.unwrap();
            let (s, h) = (session.id().0, echo.id().handle.0);
            // Messages the client did not send: their events are the handle's own, 10 of
            // them for a queue of 2, and nobody reads until all were posted.
            let sent: Vec<String> = (0..10).map(|i| format!("outside-{i}")).collect();
            for tx in &sent {
                let body = json!({"janus":"message","transaction":tx,"body":{"audio":true}});
                let ack = blocking(|| janus.api_post(&format!("/{s}/{h}"), &body).unwrap());
                assert_eq!(ack["janus"], "ack");
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut got = Vec::new();
            while got.len() < sent.len() {
                match echo.events().recv_timeout(Duration::from_secs(10)).await {
                    Ok(HandleEvent::Janus(Event::PluginEvent { tx: Some(tx), .. })) => {
                        got.push(tx.as_str().to_owned());
                    }
                    other => panic!("{url}: expected a plugin event, got {other:?}"),
                }
            }
            assert_eq!(
                got, sent,
                "{url}: every event, in the order Janus sent them"
            );
            // Reading resumed: the client still talks to Janus.
            client.ping().await.unwrap();
        }
    });
}

/// Whether Janus forgot `session` within 10 s (a keepalive from outside gets 458).
async fn gone(janus: &Janus, session: SessionId) -> bool {
    let body = json!({"janus":"keepalive","transaction":"outside"});
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let reply = blocking(|| janus.api_post(&format!("/{}", session.0), &body).unwrap());
        if reply["error"]["code"] == 458 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[test]
fn dropped_sessions_and_a_dropped_client_leave_nothing_on_the_server() {
    run(Duration::from_secs(60), async {
        let janus = blocking(Janus::launch).unwrap();
        for url in both(&janus) {
            let client = connect(&url).await;
            assert!(client.is_connected(), "{url}");
            let session = client.create_session().await.unwrap();
            let id = session.id();
            let echo = session.attach(ECHOTEST).await.unwrap();
            assert_eq!(echo.plugin(), ECHOTEST);
            drop(session);
            echo.message(json!({"audio": true}), None).await.unwrap();
            drop(echo);
            assert!(gone(&janus, id).await, "{url}: session {id} left behind");

            let left = client.create_session().await.unwrap();
            let id = left.id();
            drop((client, left));
            assert!(gone(&janus, id).await, "{url}: session {id} left behind");
        }
    });
}
