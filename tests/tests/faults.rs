//! A server that stalls: Janus stopped with SIGSTOP in the middle of requests, through both
//! adapters and both transports. Each request in flight ends with the typed timeout at its
//! deadline (and not before), keepalives too; after SIGCONT the late replies Janus then
//! sends for the requests that timed out are answers to nothing: a new `attach` gets its own
//! handle (of the plugin it asked for), a new message its own answer, and the session is
//! alive.
//!
//! Janus killed (SIGKILL) and started again while a `claim` is in flight after a WebSocket
//! reconnect, and while a long poll is held: the session is reported lost as a typed
//! `SessionLost` (Janus forgot it), and the same client serves new sessions.
//!
//! An application that stops reading: Janus sends hundreds of times the event queue's bound
//! while nobody reads; the client stops reading from the server instead of buffering (its
//! memory stays flat), its keepalives carry the session past Janus's timeout meanwhile, and
//! once the application reads again every event arrives, in the order Janus sent them.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, Instant};

use janus_proto::plugin::videoroom::{Event as RoomEvent, List};
use janus_proto::{ClientConfig, ErrorCode, Event, Reconnect, RequestError, SessionLostReason};
use janus_tests::{Janus, TcpProxy};
use serde_json::json;

const ECHOTEST: &str = "janus.plugin.echotest";
const VIDEOROOM: &str = "janus.plugin.videoroom";
/// Each request's deadline while Janus is stopped.
const DEADLINE: Duration = Duration::from_secs(1);

fn config(url: &str) -> ClientConfig {
    ClientConfig::new([url]).unwrap().request_timeout(DEADLINE)
}

/// Reconnect rounds enough to outlast a restart of Janus.
fn patient(url: &str) -> ClientConfig {
    ClientConfig::new([url])
        .unwrap()
        .request_timeout(Duration::from_secs(3))
        .reconnect(Reconnect {
            max_rounds: 60,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(250),
        })
}

/// Waits until `cond` holds, for at most `limit`.
fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool, what: &str) {
    let until = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < until, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A session's loss as the session's queue reports it: its reason.
fn lost(e: Event) -> Option<SessionLostReason> {
    match e {
        Event::SessionLost { reason, .. } => Some(reason),
        _ => None,
    }
}

/// Events queued for a client that does not read: many times its queue's bound, enough that
/// keeping them in memory would show (about 1 KiB each once parsed).
const FLOOD: usize = 10_000;
/// The client's event queue bound in the overload tests.
const CAPACITY: usize = 16;
/// Janus's session timeout in the overload tests, seconds: the flood is left unread longer.
const SESSION_TIMEOUT: u32 = 3;

/// Posts `FLOOD` EchoTest messages to the handle from outside the client (Janus's HTTP API,
/// each acked before the next), so that Janus pushes their events to the client's session,
/// in this order: transactions `flood-0`, `flood-1`, ...
fn flood(janus: &Janus, session: u64, handle: u64) {
    for i in 0..FLOOD {
        let body = json!({"janus": "message", "transaction": format!("flood-{i}"),
                          "body": {"audio": true}});
        let answer = janus
            .api_post(&format!("/{session}/{handle}"), &body)
            .unwrap();
        assert_eq!(answer["janus"], "ack", "{answer}");
    }
}

/// The transactions of the plugin events in `events`, and anything else.
fn flood_order(events: &[janus_blocking::rtc::HandleEvent]) -> (Vec<String>, usize) {
    let mut txs = Vec::new();
    let mut other = 0;
    for e in events {
        match e {
            janus_blocking::rtc::HandleEvent::Janus(Event::PluginEvent {
                tx: Some(tx), ..
            }) => {
                txs.push(tx.as_str().to_owned());
            }
            _ => other += 1,
        }
    }
    (txs, other)
}

fn expected_order() -> Vec<String> {
    (0..FLOOD).map(|i| format!("flood-{i}")).collect()
}

/// The typed timeout of a request Janus never answered.
fn assert_timed_out(err: &janus_rtc::ClientError, started: Instant, what: &str) {
    assert!(
        matches!(
            err,
            janus_rtc::ClientError::Request(RequestError::TimedOut { .. })
        ),
        "{what}: {err:?}"
    );
    assert!(
        started.elapsed() >= DEADLINE,
        "{what}: gave up before its deadline ({:?})",
        started.elapsed()
    );
}

mod blocking {
    use janus_blocking::Client;
    use janus_blocking::plugins::videoroom;

    use super::*;

    #[test]
    fn a_stopped_janus_times_requests_out_and_after_sigcont_each_new_request_gets_its_own_answer() {
        let janus = Janus::launch().unwrap();
        for url in [janus.ws_url(), janus.http_url()] {
            let client = Client::connect(config(&url)).unwrap();
            let session = client.create_session().unwrap();
            let echo = session.attach(ECHOTEST).unwrap();

            let frozen = janus.freeze().unwrap();
            let started = Instant::now();
            let err = session.attach(ECHOTEST).unwrap_err();
            assert_timed_out(&err, started, &format!("{url}: attach"));
            let started = Instant::now();
            let err = echo.message(json!({"audio": true}), None).unwrap_err();
            assert_timed_out(&err, started, &format!("{url}: message"));
            let started = Instant::now();
            let err = session.keepalive().unwrap_err();
            assert_timed_out(&err, started, &format!("{url}: keepalive"));
            drop(frozen);

            // Janus now answers the attach and the message that timed out; neither is taken
            // for an answer to what follows.
            let room = session.attach(VIDEOROOM).unwrap();
            let rooms = videoroom::request(&room, &List::new()).unwrap();
            assert!(matches!(rooms, RoomEvent::RoomList(_)), "{url}: {rooms:?}");
            let reply = echo.message(json!({"audio": false}), None).unwrap();
            assert_eq!(reply.data.data["result"], "ok", "{url}: {reply:?}");
            session.keepalive().unwrap();
            room.detach().unwrap();
            session.destroy().unwrap();
        }
    }

    #[test]
    fn janus_killed_while_a_claim_waits_and_started_again_loses_the_session_as_a_typed_event() {
        let mut janus = Janus::builder()
            .reclaim_session_timeout(20)
            .launch()
            .unwrap();
        let proxy = TcpProxy::start(janus.ws_port()).unwrap();
        let client = Client::connect(patient(&format!("ws://127.0.0.1:{}", proxy.port()))).unwrap();
        let session = client.create_session().unwrap();
        session.attach(ECHOTEST).unwrap();

        // The WebSocket drops; the client reconnects and its claim waits in the proxy.
        proxy.hold_after_handshake();
        proxy.cut();
        wait_until(
            Duration::from_secs(10),
            || proxy.waiting() > 0,
            "a claim held",
        );
        janus.kill().unwrap();
        proxy.release();
        janus.start().unwrap();

        let reason = session
            .events()
            .wait_for(Duration::from_secs(20), lost)
            .unwrap();
        eprintln!("session lost: {reason}");
        assert!(
            matches!(&reason, SessionLostReason::ClaimRefused(e) if e.code == ErrorCode::SessionNotFound),
            "{reason:?}"
        );
        let fresh = client.create_session().unwrap();
        fresh.attach(ECHOTEST).unwrap();
    }

    #[test]
    fn janus_killed_while_a_long_poll_is_held_and_started_again_loses_the_session_as_a_typed_event()
    {
        let mut janus = Janus::launch().unwrap();
        let proxy = TcpProxy::start(janus.http_port()).unwrap();
        let client =
            Client::connect(patient(&format!("http://127.0.0.1:{}/janus", proxy.port()))).unwrap();
        let session = client.create_session().unwrap();
        session.attach(ECHOTEST).unwrap();
        wait_until(
            Duration::from_secs(10),
            || proxy.gets() > 0,
            "a long poll out",
        );
        janus.kill().unwrap();
        janus.start().unwrap();

        let reason = session
            .events()
            .wait_for(Duration::from_secs(20), lost)
            .unwrap();
        eprintln!("session lost: {reason}");
        assert!(
            matches!(
                reason,
                SessionLostReason::NotFound | SessionLostReason::TransportLost
            ),
            "{reason:?}"
        );
        let fresh = client.create_session().unwrap();
        fresh.attach(ECHOTEST).unwrap();
    }

    #[test]
    fn an_application_that_stops_reading_gets_every_event_in_order_later_with_flat_memory() {
        let janus = Janus::builder()
            .session_timeout(SESSION_TIMEOUT)
            .launch()
            .unwrap();
        for url in [janus.ws_url(), janus.http_url()] {
            let client = Client::builder(ClientConfig::new([&url]).unwrap())
                .event_capacity(CAPACITY)
                .connect()
                .unwrap();
            let session = client.create_session().unwrap();
            let echo = session.attach(ECHOTEST).unwrap();
            let rss_before = janus_tests::rss_kib();
            assert!(rss_before > 0, "VmRSS unreadable");
            let started = Instant::now();
            flood(&janus, session.id().0, echo.id().handle.0);
            // Unread for longer than Janus's session timeout: only keepalives keep it.
            std::thread::sleep(Duration::from_secs(u64::from(SESSION_TIMEOUT) + 2));
            let rss_flooded = janus_tests::rss_kib();

            let mut events = Vec::new();
            while events.len() < FLOOD {
                match echo.events().recv_timeout(Duration::from_secs(10)) {
                    Ok(e) => events.push(e),
                    Err(e) => panic!("{url}: {e} after {} events", events.len()),
                }
            }
            let (txs, other) = flood_order(&events);
            eprintln!(
                "{url}: {FLOOD} events unread for {:?} with a queue of {CAPACITY}: RSS \
                 {rss_before} KiB -> {rss_flooded} KiB; {} in order, {other} others",
                started.elapsed(),
                txs.len()
            );
            assert_eq!(txs, expected_order(), "{url}");
            assert!(
                rss_flooded < rss_before + 2 * 1024,
                "{url}: RSS {rss_before} KiB -> {rss_flooded} KiB"
            );
            // The session outlived Janus's timeout while nobody read.
            assert!(
                session.events().try_recv().unwrap().is_none(),
                "{url}: the session's queue holds something (lost?)"
            );
            session.keepalive().unwrap();
            session.destroy().unwrap();
        }
    }
}

mod tokio_adapter {
    use std::future::Future;

    use janus_tokio::Client;
    use janus_tokio::plugins::videoroom;

    use super::*;

    fn run(body: impl Future<Output = ()>) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(120), body)
                .await
                .expect("test timed out");
        });
    }

    #[test]
    fn a_stopped_janus_times_requests_out_and_after_sigcont_each_new_request_gets_its_own_answer() {
        let janus = Janus::launch().unwrap();
        run(async {
            for url in [janus.ws_url(), janus.http_url()] {
                let client = Client::connect(config(&url)).await.unwrap();
                let session = client.create_session().await.unwrap();
                let echo = session.attach(ECHOTEST).await.unwrap();

                let frozen = janus.freeze().unwrap();
                let started = Instant::now();
                let err = session.attach(ECHOTEST).await.unwrap_err();
                assert_timed_out(&err, started, &format!("{url}: attach"));
                let started = Instant::now();
                let err = echo
                    .message(json!({"audio": true}), None)
                    .await
                    .unwrap_err();
                assert_timed_out(&err, started, &format!("{url}: message"));
                let started = Instant::now();
                let err = session.keepalive().await.unwrap_err();
                assert_timed_out(&err, started, &format!("{url}: keepalive"));
                drop(frozen);

                let room = session.attach(VIDEOROOM).await.unwrap();
                let rooms = videoroom::request(&room, &List::new()).await.unwrap();
                assert!(matches!(rooms, RoomEvent::RoomList(_)), "{url}: {rooms:?}");
                let reply = echo.message(json!({"audio": false}), None).await.unwrap();
                assert_eq!(reply.data.data["result"], "ok", "{url}: {reply:?}");
                session.keepalive().await.unwrap();
                room.detach().await.unwrap();
                session.destroy().await.unwrap();
            }
        });
    }

    #[test]
    fn janus_killed_while_a_claim_waits_and_started_again_loses_the_session_as_a_typed_event() {
        let mut janus = Janus::builder()
            .reclaim_session_timeout(20)
            .launch()
            .unwrap();
        let proxy = TcpProxy::start(janus.ws_port()).unwrap();
        run(async {
            let url = format!("ws://127.0.0.1:{}", proxy.port());
            let client = Client::connect(patient(&url)).await.unwrap();
            let session = client.create_session().await.unwrap();
            session.attach(ECHOTEST).await.unwrap();

            proxy.hold_after_handshake();
            proxy.cut();
            tokio::task::block_in_place(|| {
                wait_until(
                    Duration::from_secs(10),
                    || proxy.waiting() > 0,
                    "a claim held",
                );
                janus.kill().unwrap();
                proxy.release();
                janus.start().unwrap();
            });

            let reason = session
                .events()
                .wait_for(Duration::from_secs(20), lost)
                .await
                .unwrap();
            eprintln!("session lost: {reason}");
            assert!(
                matches!(&reason, SessionLostReason::ClaimRefused(e) if e.code == ErrorCode::SessionNotFound),
                "{reason:?}"
            );
            let fresh = client.create_session().await.unwrap();
            fresh.attach(ECHOTEST).await.unwrap();
        });
    }

    #[test]
    fn janus_killed_while_a_long_poll_is_held_and_started_again_loses_the_session_as_a_typed_event()
    {
        let mut janus = Janus::launch().unwrap();
        let proxy = TcpProxy::start(janus.http_port()).unwrap();
        run(async {
            let url = format!("http://127.0.0.1:{}/janus", proxy.port());
            let client = Client::connect(patient(&url)).await.unwrap();
            let session = client.create_session().await.unwrap();
            session.attach(ECHOTEST).await.unwrap();
            tokio::task::block_in_place(|| {
                wait_until(
                    Duration::from_secs(10),
                    || proxy.gets() > 0,
                    "a long poll out",
                );
                janus.kill().unwrap();
                janus.start().unwrap();
            });

            let reason = session
                .events()
                .wait_for(Duration::from_secs(20), lost)
                .await
                .unwrap();
            eprintln!("session lost: {reason}");
            assert!(
                matches!(
                    reason,
                    SessionLostReason::NotFound | SessionLostReason::TransportLost
                ),
                "{reason:?}"
            );
            let fresh = client.create_session().await.unwrap();
            fresh.attach(ECHOTEST).await.unwrap();
        });
    }

    #[test]
    fn an_application_that_stops_reading_gets_every_event_in_order_later_with_flat_memory() {
        let janus = Janus::builder()
            .session_timeout(SESSION_TIMEOUT)
            .launch()
            .unwrap();
        run(async {
            for url in [janus.ws_url(), janus.http_url()] {
                let client = Client::builder(ClientConfig::new([&url]).unwrap())
                    .event_capacity(CAPACITY)
                    .connect()
                    .await
                    .unwrap();
                let session = client.create_session().await.unwrap();
                let echo = session.attach(ECHOTEST).await.unwrap();
                let rss_before = janus_tests::rss_kib();
                assert!(rss_before > 0, "VmRSS unreadable");
                let (s, h) = (session.id().0, echo.id().handle.0);
                tokio::task::block_in_place(|| {
                    flood(&janus, s, h);
                    std::thread::sleep(Duration::from_secs(u64::from(SESSION_TIMEOUT) + 2));
                });
                let rss_flooded = janus_tests::rss_kib();

                let mut events = Vec::new();
                while events.len() < FLOOD {
                    match echo.events().recv_timeout(Duration::from_secs(10)).await {
                        Ok(e) => events.push(e),
                        Err(e) => panic!("{url}: {e} after {} events", events.len()),
                    }
                }
                let (txs, other) = flood_order(&events);
                eprintln!(
                    "{url}: {FLOOD} events unread with a queue of {CAPACITY}: RSS \
                     {rss_before} KiB -> {rss_flooded} KiB; {} in order, {other} others",
                    txs.len()
                );
                assert_eq!(txs, expected_order(), "{url}");
                assert!(
                    rss_flooded < rss_before + 2 * 1024,
                    "{url}: RSS {rss_before} KiB -> {rss_flooded} KiB"
                );
                assert!(
                    session.events().try_recv().unwrap().is_none(),
                    "{url}: the session's queue holds something (lost?)"
                );
                session.keepalive().await.unwrap();
                session.destroy().await.unwrap();
            }
        });
    }
}
