//! A hostile server: the harness's fake Janus ([`janus_tests::hostile`]) answers `create` and
//! `attach`, then misbehaves as each test scripts it, through both adapters and, where the
//! case exists on both, both transports. Each test asserts the documented outcome (a typed
//! error, a documented event) and that the client still works afterwards (a following request
//! gets its own answer), or that the session reports its end with a typed reason. Every wait
//! is bounded: a request by its deadline ([`DEADLINE`]), an event by [`WAIT`].
//!
//! No real Janus here (real Janus is the truth for real behaviour, in the other binaries): the
//! fake one listens on 127.0.0.1 and needs no namespace.
//!
//! The documented outcomes, as asserted:
//!
//! | the server sends | WebSocket | HTTP |
//! |---|---|---|
//! | truncated JSON | frame skipped, the request `TimedOut` | `Malformed`; on a poll, a failed poll |
//! | not UTF-8 | drop, reconnect, claim; `TransportLost` | `TransportLost`; a failed poll |
//! | over `max_message_size` (or a header announcing 1 TiB) | drop, reconnect, claim | `TooLarge`; a failed poll |
//! | one byte per second | `TimedOut` at the deadline, RSS flat | the same; a poll ends at its timeout |
//! | a connect answered one byte per second | `Unreachable` at `connect_timeout` | `Unreachable` at the probe's deadline |
//! | an unknown `janus` type | `Event::Unknown` on its session's queue (the client's without one) | on its session's queue |
//! | a transaction never sent, a second answer | `success` skipped, `event` a `PluginEvent` with that transaction; the request gets its own answer | the same on the poll; a POST body naming another transaction is `Malformed` |
//! | an event for an unknown handle | `PluginEvent` on the session's queue | the same |
//! | a close frame, any code | `Dropped("closed by the server: <code> ..")`, reconnect, claim; without reconnect `GaveUp` and `SessionLost(TransportLost)` | - |
//! | 404, 500, 502 | - | on a request `Malformed("HTTP <code>: ..")`; on a poll 500/502 a failed poll (three in a row: `SessionLost(TransportLost)`), 404 `SessionLost(NotFound)` |
//! | a redirect (301, 302, 307) | - | not followed: `Malformed`; on a poll a failed poll |
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, Instant};

use janus_proto::{
    ClientConfig, DisconnectReason, Event, HandleRef, PluginReply, Reconnect, RequestError,
    SessionId, SessionLostReason,
};
use janus_rtc::ClientError as Error;
use janus_tests::hostile::{Answer, Hostile};
use serde_json::json;

/// Each request's deadline.
const DEADLINE: Duration = Duration::from_secs(2);
/// The longest wait for an event.
const WAIT: Duration = Duration::from_secs(10);
/// The largest message the clients accept in these tests.
const CAP: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Ws,
    Http,
}

fn url(server: &Hostile, t: Transport) -> String {
    match t {
        Transport::Ws => server.ws_url(),
        Transport::Http => server.http_url(),
    }
}

fn config(url: &str) -> ClientConfig {
    ClientConfig::new([url])
        .unwrap()
        .request_timeout(DEADLINE)
        .max_message_size(CAP)
        .reconnect(Reconnect {
            max_rounds: 5,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(200),
        })
}

/// One adapter's client with a session and an EchoTest handle, as blocking calls.
trait Api: Sized {
    fn connect(config: ClientConfig) -> Result<Self, Error>;
    /// A new session (and handle) in place of the old ones.
    fn renew(&mut self) -> Result<(), Error>;
    fn message(&self) -> Result<PluginReply, Error>;
    fn session_id(&self) -> SessionId;
    fn handle_id(&self) -> HandleRef;
    fn client_event(&self, timeout: Duration) -> Result<Event, Error>;
    fn session_event(&self, timeout: Duration) -> Result<Event, Error>;
    /// The handle's next event from Janus (its connection's are skipped: there is none).
    fn handle_event(&self, timeout: Duration) -> Result<Event, Error>;
}

struct Blocking {
    handle: janus_blocking::Handle,
    session: janus_blocking::Session,
    client: janus_blocking::Client,
}

impl Api for Blocking {
    fn connect(config: ClientConfig) -> Result<Self, Error> {
        let client = janus_blocking::Client::connect(config)?;
        let session = client.create_session()?;
        let handle = session.attach("janus.plugin.echotest")?;
        Ok(Self {
            handle,
            session,
            client,
        })
    }
    fn renew(&mut self) -> Result<(), Error> {
        self.session = self.client.create_session()?;
        self.handle = self.session.attach("janus.plugin.echotest")?;
        Ok(())
    }
    fn message(&self) -> Result<PluginReply, Error> {
        self.handle.message(json!({"audio": true}), None)
    }
    fn session_id(&self) -> SessionId {
        self.session.id()
    }
    fn handle_id(&self) -> HandleRef {
        self.handle.id()
    }
    fn client_event(&self, timeout: Duration) -> Result<Event, Error> {
        self.client.events().recv_timeout(timeout)
    }
    fn session_event(&self, timeout: Duration) -> Result<Event, Error> {
        self.session.events().recv_timeout(timeout)
    }
    fn handle_event(&self, timeout: Duration) -> Result<Event, Error> {
        self.handle.events().wait_for(timeout, janus_event)
    }
}

struct Tokio {
    handle: janus_tokio::Handle,
    session: janus_tokio::Session,
    client: janus_tokio::Client,
    rt: ::tokio::runtime::Runtime,
}

impl Api for Tokio {
    fn connect(config: ClientConfig) -> Result<Self, Error> {
        let rt = ::tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (client, session, handle) = rt.block_on(async {
            let client = janus_tokio::Client::connect(config).await?;
            let session = client.create_session().await?;
            let handle = session.attach("janus.plugin.echotest").await?;
            Ok::<_, Error>((client, session, handle))
        })?;
        Ok(Self {
            handle,
            session,
            client,
            rt,
        })
    }
    fn renew(&mut self) -> Result<(), Error> {
        self.session = self.rt.block_on(self.client.create_session())?;
        self.handle = self
            .rt
            .block_on(self.session.attach("janus.plugin.echotest"))?;
        Ok(())
    }
    fn message(&self) -> Result<PluginReply, Error> {
        self.rt
            .block_on(self.handle.message(json!({"audio": true}), None))
    }
    fn session_id(&self) -> SessionId {
        self.session.id()
    }
    fn handle_id(&self) -> HandleRef {
        self.handle.id()
    }
    fn client_event(&self, timeout: Duration) -> Result<Event, Error> {
        self.rt.block_on(self.client.events().recv_timeout(timeout))
    }
    fn session_event(&self, timeout: Duration) -> Result<Event, Error> {
        self.rt
            .block_on(self.session.events().recv_timeout(timeout))
    }
    fn handle_event(&self, timeout: Duration) -> Result<Event, Error> {
        self.rt
            .block_on(self.handle.events().wait_for(timeout, janus_event))
    }
}

fn janus_event(e: janus_rtc::HandleEvent) -> Option<Event> {
    match e {
        janus_rtc::HandleEvent::Janus(e) => Some(e),
        janus_rtc::HandleEvent::Rtc(_) => None,
    }
}

/// The first event of `next` that `pick` maps to `Some`, within [`WAIT`].
fn wait_for<T>(
    what: &str,
    mut next: impl FnMut(Duration) -> Result<Event, Error>,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let until = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match next(left) {
            Ok(e) => {
                if let Some(t) = pick(&e) {
                    return t;
                }
                seen.push(e.name());
            }
            Err(e) => panic!("{what}: {e} (events seen: {seen:?})"),
        }
    }
}

/// The client still works: a message gets the plugin's own answer.
fn still_works<A: Api>(c: &A, what: &str) {
    let reply = c
        .message()
        .unwrap_or_else(|e| panic!("{what}: the next message failed: {e:?}"));
    assert_eq!(reply.data.data["result"], "ok", "{what}: {reply:?}");
}

/// The request failed with what `expected` accepts, within its deadline (and a margin).
fn fails_with<A: Api>(c: &A, what: &str, expected: impl Fn(&RequestError) -> bool) -> RequestError {
    let started = Instant::now();
    let err = c.message().expect_err(what);
    assert!(
        started.elapsed() < DEADLINE + Duration::from_secs(2),
        "{what}: not ended by its deadline ({:?})",
        started.elapsed()
    );
    match err {
        Error::Request(e) if expected(&e) => {
            eprintln!("{what}: {e}");
            e
        }
        other => panic!("{what}: unexpected {other:?}"),
    }
}

/// The WebSocket dropped, and the client reconnected and claimed its session back. Returns
/// the text of the drop.
fn reconnected_and_reclaimed<A: Api>(
    server: &Hostile,
    c: &A,
    what: &str,
    claims_before: usize,
) -> String {
    let reason = wait_for(
        what,
        |t| c.client_event(t),
        |e| match e {
            Event::Disconnected { reason } => Some(reason.clone()),
            _ => None,
        },
    );
    eprintln!("{what}: disconnected: {reason:?}");
    let DisconnectReason::Dropped(why) = reason else {
        panic!("{what}: {reason:?}");
    };
    let session = c.session_id();
    wait_for(
        what,
        |t| c.session_event(t),
        |e| matches!(e, Event::SessionReclaimed { session: s } if *s == session).then_some(()),
    );
    assert_eq!(server.claims(), claims_before + 1, "{what}: one claim");
    why
}

// ------------------------------------------------------------------ the cases

fn truncated_json<A: Api>(t: Transport) {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&url(&server, t))).unwrap();
    server.answer_next_message(Answer::Raw(
        br#"{"janus":"success","session_id":$SESSION,"transaction":"$TX","plugin"#.to_vec(),
    ));
    let what = format!("{t:?}: truncated JSON");
    match t {
        // A frame that does not parse names no transaction: it is skipped, and the request
        // it would have answered ends at its deadline.
        Transport::Ws => fails_with(&c, &what, |e| {
            matches!(e, RequestError::TimedOut { acked: false })
        }),
        // The body of a POST answers that POST: it fails as malformed.
        Transport::Http => fails_with(&c, &what, |e| matches!(e, RequestError::Malformed(_))),
    };
    still_works(&c, &what);
}

fn invalid_utf8<A: Api>(t: Transport) {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&url(&server, t))).unwrap();
    let mut bytes = br#"{"janus":"success","transaction":"$TX","x":""#.to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    bytes.extend_from_slice(br#""}"#);
    server.answer_next_message(Answer::Raw(bytes));
    let what = format!("{t:?}: invalid UTF-8");
    let claims = server.claims();
    // A WebSocket text frame that is not UTF-8 fails the connection (RFC 6455 8.1); an HTTP
    // answer that is not UTF-8 fails the exchange: either way the request's transport is
    // lost, typed.
    fails_with(&c, &what, |e| matches!(e, RequestError::TransportLost));
    if t == Transport::Ws {
        reconnected_and_reclaimed(&server, &c, &what, claims);
    }
    still_works(&c, &what);
}

fn over_the_cap<A: Api>(t: Transport) {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&url(&server, t))).unwrap();
    let mut big = br#"{"janus":"success","transaction":"$TX","x":""#.to_vec();
    big.resize(big.len() + 4 * CAP, b'x');
    big.extend_from_slice(br#""}"#);
    server.answer_next_message(Answer::Raw(big));
    let what = format!("{t:?}: over the cap");
    let claims = server.claims();
    let rss_before = janus_tests::rss_kib();
    match t {
        // The documented outcome of `max_message_size`: the WebSocket drops and reconnects.
        Transport::Ws => {
            fails_with(&c, &what, |e| matches!(e, RequestError::TransportLost));
            reconnected_and_reclaimed(&server, &c, &what, claims);
        }
        Transport::Http => {
            fails_with(
                &c,
                &what,
                |e| matches!(e, RequestError::TooLarge(n) if *n == CAP),
            );
        }
    }
    eprintln!(
        "{what}: RSS {} -> {} KiB",
        rss_before,
        janus_tests::rss_kib()
    );
    still_works(&c, &what);
}

fn slowloris<A: Api>(t: Transport) {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&url(&server, t))).unwrap();
    let dribble = DEADLINE + Duration::from_secs(2);
    server.answer_next_message(Answer::Slow {
        per_byte: Duration::from_secs(1),
        dribble,
    });
    let what = format!("{t:?}: one byte per second");
    let rss_before = janus_tests::rss_kib();
    let started = Instant::now();
    fails_with(&c, &what, |e| {
        matches!(e, RequestError::TimedOut { acked: false })
    });
    assert!(started.elapsed() >= DEADLINE, "{what}: before its deadline");
    let rss_after = janus_tests::rss_kib();
    eprintln!(
        "{what}: timed out after {:?}; RSS {rss_before} -> {rss_after} KiB",
        started.elapsed()
    );
    assert!(
        rss_after < rss_before + 4 * 1024,
        "{what}: RSS grew from {rss_before} to {rss_after} KiB"
    );
    // The rest of the late answer comes once the dribble ends: an answer to nothing.
    std::thread::sleep(dribble.saturating_sub(started.elapsed()) + Duration::from_millis(200));
    still_works(&c, &what);
}

fn slow_start<A: Api>(t: Transport) {
    let server = Hostile::start().unwrap();
    server.slow_start(Some(Duration::from_secs(1)));
    let what = format!("{t:?}: a connect answered at one byte per second");
    let started = Instant::now();
    let Err(err) = A::connect(config(&url(&server, t)).connect_timeout(DEADLINE)) else {
        panic!("{what}: connected");
    };
    let took = started.elapsed();
    eprintln!("{what}: {err} after {took:?}");
    assert!(matches!(err, Error::Unreachable(_)), "{what}: {err:?}");
    assert!(
        took >= DEADLINE && took < DEADLINE + Duration::from_secs(2),
        "{what}: not ended at its deadline ({took:?})"
    );
    server.slow_start(None);
    let c = A::connect(config(&url(&server, t))).unwrap();
    still_works(&c, &what);
}

fn huge_frame_header<A: Api>() {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&server.ws_url())).unwrap();
    let what = "a frame header announcing a TiB";
    let claims = server.claims();
    let rss_before = janus_tests::rss_kib();
    // FIN + text, 64-bit length 2^40, then nothing.
    server.push_raw(&[0x81, 127, 0, 0, 1, 0, 0, 0, 0, 0]);
    let why = reconnected_and_reclaimed(&server, &c, what, claims);
    let rss_after = janus_tests::rss_kib();
    eprintln!("{what}: {why}; RSS {rss_before} -> {rss_after} KiB");
    assert!(
        rss_after < rss_before + 4 * 1024,
        "{what}: RSS grew from {rss_before} to {rss_after} KiB"
    );
    still_works(&c, what);
}

fn unknown_janus_type<A: Api>(t: Transport) {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&url(&server, t))).unwrap();
    server.push(br#"{"janus":"surprise","session_id":$SESSION,"detail":42}"#);
    let what = format!("{t:?}: unknown janus type");
    let session = c.session_id();
    let raw = wait_for(
        &what,
        |t| c.session_event(t),
        |e| match e {
            Event::Unknown {
                session: Some(s),
                raw,
            } if *s == session => Some(raw.clone()),
            _ => None,
        },
    );
    assert_eq!(raw["janus"], "surprise", "{what}: {raw}");
    assert_eq!(raw["detail"], 42, "{what}: {raw}");
    if t == Transport::Ws {
        // Naming no session, it is the client's (on HTTP every message comes on a session's
        // long poll, so it is that session's).
        server.push(br#"{"janus":"surprise","detail":43}"#);
        let raw = wait_for(
            &what,
            |t| c.client_event(t),
            |e| match e {
                Event::Unknown { session: None, raw } => Some(raw.clone()),
                _ => None,
            },
        );
        assert_eq!(raw["detail"], 43, "{what}: {raw}");
    }
    still_works(&c, &what);
}

fn never_sent_transaction<A: Api>(t: Transport) {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&url(&server, t))).unwrap();
    server.answer_next_message(Answer::Before(vec![
        br#"{"janus":"success","session_id":$SESSION,"sender":$HANDLE,"transaction":"never-sent","plugindata":{"plugin":"janus.plugin.echotest","data":{"echotest":"event","result":"forged"}}}"#.to_vec(),
        br#"{"janus":"event","session_id":$SESSION,"sender":$HANDLE,"transaction":"never-sent","plugindata":{"plugin":"janus.plugin.echotest","data":{"echotest":"event","result":"forged"}}}"#.to_vec(),
    ]));
    let what = format!("{t:?}: a transaction never sent");
    // The request gets its own answer, not the forged one.
    still_works(&c, &what);
    // The plugin event is a plugin event of the handle, with the transaction it named; the
    // `success` answers nothing and goes nowhere.
    let handle = c.handle_id();
    let data = wait_for(
        &what,
        |t| c.handle_event(t),
        |e| match e {
            Event::PluginEvent {
                handle: h,
                tx: Some(tx),
                data,
                ..
            } if *h == handle && tx.as_str() == "never-sent" => Some(data.data.clone()),
            _ => None,
        },
    );
    assert_eq!(data["result"], "forged", "{what}");
    if t == Transport::Http {
        // The body of a POST that names another transaction does not answer the POST.
        server.answer_next_message(Answer::Raw(
            br#"{"janus":"success","session_id":$SESSION,"sender":$HANDLE,"transaction":"never-sent","plugindata":{"plugin":"janus.plugin.echotest","data":{"echotest":"event","result":"forged"}}}"#.to_vec(),
        ));
        fails_with(&c, &what, |e| matches!(e, RequestError::Malformed(_)));
        still_works(&c, &what);
    }
}

fn stale_reply<A: Api>(t: Transport) {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&url(&server, t))).unwrap();
    let what = format!("{t:?}: a second reply to a completed transaction");
    still_works(&c, &what);
    // The next message's answer comes after a second answer to the first one.
    server.answer_next_message(Answer::Before(vec![
        br#"{"janus":"success","session_id":$SESSION,"sender":$HANDLE,"transaction":"$PREV_TX","plugindata":{"plugin":"janus.plugin.echotest","data":{"echotest":"event","result":"stale"}}}"#.to_vec(),
        br#"{"janus":"event","session_id":$SESSION,"sender":$HANDLE,"transaction":"$PREV_TX","plugindata":{"plugin":"janus.plugin.echotest","data":{"echotest":"event","result":"stale"}}}"#.to_vec(),
    ]));
    still_works(&c, &what);
    let handle = c.handle_id();
    let data = wait_for(
        &what,
        |t| c.handle_event(t),
        |e| match e {
            Event::PluginEvent {
                handle: h,
                tx: Some(_),
                data,
                ..
            } if *h == handle => Some(data.data.clone()),
            _ => None,
        },
    );
    assert_eq!(data["result"], "stale", "{what}");
    still_works(&c, &what);
}

fn unknown_handle<A: Api>(t: Transport) {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&url(&server, t))).unwrap();
    server.push(br#"{"janus":"event","session_id":$SESSION,"sender":4242,"plugindata":{"plugin":"janus.plugin.echotest","data":{"echotest":"event","result":"who"}}}"#);
    let what = format!("{t:?}: an event for an unknown handle");
    let session = c.session_id();
    // Nobody listens to that handle: its session hears it.
    let data = wait_for(
        &what,
        |t| c.session_event(t),
        |e| match e {
            Event::PluginEvent { handle, data, .. }
                if handle.session == session && handle.handle.0 == 4242 =>
            {
                Some(data.data.clone())
            }
            _ => None,
        },
    );
    assert_eq!(data["result"], "who", "{what}");
    still_works(&c, &what);
}

/// The close codes of RFC 6455 7.4.1 a server may send, and one of the private range.
const CLOSE_CODES: [u16; 9] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 4000];

fn close_codes<A: Api>() {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&server.ws_url())).unwrap();
    for code in CLOSE_CODES {
        let what = format!("close code {code}");
        let claims = server.claims();
        let sockets = server.websockets();
        server.close_websocket(code);
        let why = reconnected_and_reclaimed(&server, &c, &what, claims);
        assert!(
            why.starts_with(&format!("closed by the server: {code} ")),
            "{what}: {why}"
        );
        assert_eq!(
            server.websockets(),
            sockets + 1,
            "{what}: one new WebSocket"
        );
        still_works(&c, &what);
    }
}

fn close_without_reconnect<A: Api>() {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&server.ws_url()).reconnect(Reconnect {
        max_rounds: 0,
        ..Reconnect::default()
    }))
    .unwrap();
    let what = "close code 1001 without reconnect";
    server.close_websocket(1001);
    let mut reasons = Vec::new();
    while reasons.len() < 2 {
        reasons.push(wait_for(
            what,
            |t| c.client_event(t),
            |e| match e {
                Event::Disconnected { reason } => Some(reason.clone()),
                _ => None,
            },
        ));
    }
    assert!(
        matches!(&reasons[0], DisconnectReason::Dropped(why) if why.contains("1001")),
        "{what}: {reasons:?}"
    );
    assert_eq!(reasons[1], DisconnectReason::GaveUp, "{what}");
    let session = c.session_id();
    let reason = wait_for(
        what,
        |t| c.session_event(t),
        |e| match e {
            Event::SessionLost { session: s, reason } if *s == session => Some(reason.clone()),
            _ => None,
        },
    );
    assert_eq!(reason, SessionLostReason::TransportLost, "{what}");
    assert!(
        matches!(c.message(), Err(Error::Local(_))),
        "{what}: calls fail locally"
    );
    assert_eq!(server.websockets(), 1, "{what}: no reconnect");
}

fn http_status_on_requests<A: Api>() {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&server.http_url())).unwrap();
    for code in [404, 500, 502] {
        let what = format!("HTTP {code} on a request");
        server.answer_next_message(Answer::status(code));
        let e = fails_with(&c, &what, |e| matches!(e, RequestError::Malformed(_)));
        assert!(
            e.to_string().contains(&format!("HTTP {code}")),
            "{what}: {e}"
        );
        still_works(&c, &what);
    }
}

fn http_status_on_long_poll<A: Api>() {
    let server = Hostile::start().unwrap();
    let mut c = A::connect(config(&server.http_url())).unwrap();
    // One failed poll: the next one goes out and the session lives on.
    for code in [500, 502] {
        let what = format!("HTTP {code} on a long poll");
        let polls = server.polls();
        server.answer_next_poll(Answer::status(code));
        let started = Instant::now();
        while server.polls() < polls + 2 {
            assert!(
                started.elapsed() < WAIT,
                "{what}: no poll after the failed one"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server.push(br#"{"janus":"surprise","session_id":$SESSION}"#);
        let session = c.session_id();
        wait_for(
            &what,
            |t| c.session_event(t),
            |e| matches!(e, Event::Unknown { session: Some(s), .. } if *s == session).then_some(()),
        );
        still_works(&c, &what);
    }
    // Three in a row (`max_poll_failures`): the session is lost, typed.
    let what = "HTTP 502 on three long polls in a row";
    for _ in 0..3 {
        server.answer_next_poll(Answer::status(502));
    }
    let session = c.session_id();
    let reason = wait_for(
        what,
        |t| c.session_event(t),
        |e| match e {
            Event::SessionLost { session: s, reason } if *s == session => Some(reason.clone()),
            _ => None,
        },
    );
    assert_eq!(reason, SessionLostReason::TransportLost, "{what}");
    assert!(
        matches!(
            c.message(),
            Err(Error::Local(janus_proto::Error::SessionLost { .. }))
        ),
        "{what}: calls on the lost session fail locally"
    );
    // A 404 on a long poll: Janus does not know the session.
    c.renew().unwrap();
    let what = "HTTP 404 on a long poll";
    server.answer_next_poll(Answer::status(404));
    let session = c.session_id();
    let reason = wait_for(
        what,
        |t| c.session_event(t),
        |e| match e {
            Event::SessionLost { session: s, reason } if *s == session => Some(reason.clone()),
            _ => None,
        },
    );
    assert_eq!(reason, SessionLostReason::NotFound, "{what}");
    c.renew().unwrap();
    still_works(&c, what);
}

/// After a long poll answered with `answer`, the next poll goes out and brings events.
fn poll_survives<A: Api>(server: &Hostile, c: &A, answer: Answer, what: &str) {
    let polls = server.polls();
    server.answer_next_poll(answer);
    let started = Instant::now();
    while server.polls() < polls + 2 {
        assert!(
            started.elapsed() < WAIT,
            "{what}: no poll after the failed one"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server.push(br#"{"janus":"surprise","session_id":$SESSION}"#);
    let session = c.session_id();
    wait_for(
        what,
        |t| c.session_event(t),
        |e| matches!(e, Event::Unknown { session: Some(s), .. } if *s == session).then_some(()),
    );
    still_works(c, what);
}

fn garbage_on_long_poll<A: Api>() {
    let server = Hostile::start().unwrap();
    let c = A::connect(config(&server.http_url()).long_poll_timeout(DEADLINE)).unwrap();
    let what = "a truncated long-poll answer";
    poll_survives(
        &server,
        &c,
        Answer::Raw(br#"[{"janus":"event","sess"#.to_vec()),
        what,
    );
    let what = "a long-poll answer that is not UTF-8";
    poll_survives(
        &server,
        &c,
        Answer::Raw(b"[{\"janus\":\"\xff\"}]".to_vec()),
        what,
    );
    let what = "a long-poll answer over the cap";
    let mut big = br#"[{"janus":"keepalive","x":""#.to_vec();
    big.resize(big.len() + 2 * CAP, b'x');
    big.extend_from_slice(br#""}]"#);
    poll_survives(&server, &c, Answer::Raw(big), what);
    // One byte a second: the poll's own timeout ends it.
    let what = "a long-poll answer at one byte per second";
    let rss_before = janus_tests::rss_kib();
    poll_survives(
        &server,
        &c,
        Answer::Slow {
            per_byte: Duration::from_secs(1),
            dribble: DEADLINE + Duration::from_secs(2),
        },
        what,
    );
    let rss_after = janus_tests::rss_kib();
    eprintln!("{what}: RSS {rss_before} -> {rss_after} KiB");
    assert!(
        rss_after < rss_before + 4 * 1024,
        "{what}: RSS grew from {rss_before} to {rss_after} KiB"
    );
}

fn redirects<A: Api>() {
    let server = Hostile::start().unwrap();
    let mut c = A::connect(config(&server.http_url())).unwrap();
    for code in [301, 302, 307] {
        let what = format!("HTTP {code} on a request");
        // To this very server: followed, it would be answered (307 keeps the POST).
        let (s, h) = server.ids();
        let location = format!("{}/{s}/{h}", server.http_url());
        let messages = server.messages();
        server.answer_next_message(Answer::redirect(code, &location));
        let e = fails_with(&c, &what, |e| matches!(e, RequestError::Malformed(_)));
        assert!(
            e.to_string().contains(&format!("HTTP {code}")),
            "{what}: {e}"
        );
        assert_eq!(server.messages(), messages + 1, "{what}: not followed");
        still_works(&c, &what);
    }
    // On a long poll: a failed poll, the next one follows.
    let what = "HTTP 302 on a long poll";
    let polls = server.polls();
    let (s, _) = server.ids();
    server.answer_next_poll(Answer::redirect(302, &format!("{}/{s}", server.http_url())));
    let started = Instant::now();
    while server.polls() < polls + 2 {
        assert!(
            started.elapsed() < WAIT,
            "{what}: no poll after the failed one"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    still_works(&c, what);
    c.renew().unwrap();
}

// ------------------------------------------------------------------ both adapters

macro_rules! tests {
    ($adapter:ident: $($name:ident => $case:ident $(($($arg:expr),*))?;)*) => {
        $(
            #[test]
            fn $name() {
                $case::<$adapter>($($($arg),*)?)
            }
        )*
    };
}

macro_rules! both_adapters {
    ($($t:tt)*) => {
        mod blocking {
            use super::*;
            tests!(Blocking: $($t)*);
        }
        mod tokio {
            use super::*;
            tests!(Tokio: $($t)*);
        }
    };
}

both_adapters! {
    ws_a_truncated_json_frame_is_skipped_and_its_request_times_out_typed_then_the_session_works
        => truncated_json(Transport::Ws);
    http_a_truncated_json_body_is_a_malformed_reply_and_the_session_keeps_working
        => truncated_json(Transport::Http);
    ws_a_text_frame_that_is_not_utf8_drops_the_websocket_which_reconnects_and_claims
        => invalid_utf8(Transport::Ws);
    http_a_body_that_is_not_utf8_is_a_lost_exchange_and_the_session_keeps_working
        => invalid_utf8(Transport::Http);
    ws_a_frame_over_the_cap_drops_the_websocket_which_reconnects_and_claims
        => over_the_cap(Transport::Ws);
    http_a_body_over_the_cap_is_too_large_typed_and_the_session_keeps_working
        => over_the_cap(Transport::Http);
    ws_an_answer_at_one_byte_per_second_times_out_at_the_deadline_with_flat_memory
        => slowloris(Transport::Ws);
    http_an_answer_at_one_byte_per_second_times_out_at_the_deadline_with_flat_memory
        => slowloris(Transport::Http);
    ws_an_upgrade_answered_at_one_byte_per_second_fails_the_connect_at_its_deadline
        => slow_start(Transport::Ws);
    http_an_info_answered_at_one_byte_per_second_fails_the_connect_at_its_deadline
        => slow_start(Transport::Http);
    ws_a_frame_header_announcing_a_terabyte_drops_the_websocket_without_allocating_it
        => huge_frame_header;
    ws_an_unknown_janus_type_reaches_its_session_as_an_unknown_event
        => unknown_janus_type(Transport::Ws);
    http_an_unknown_janus_type_reaches_its_session_as_an_unknown_event
        => unknown_janus_type(Transport::Http);
    ws_a_reply_with_a_transaction_never_sent_answers_no_request
        => never_sent_transaction(Transport::Ws);
    http_a_reply_with_a_transaction_never_sent_answers_no_request
        => never_sent_transaction(Transport::Http);
    ws_a_second_reply_to_a_completed_transaction_is_not_the_answer_to_the_next_request
        => stale_reply(Transport::Ws);
    http_a_second_reply_to_a_completed_transaction_is_not_the_answer_to_the_next_request
        => stale_reply(Transport::Http);
    ws_an_event_for_an_unknown_handle_reaches_its_session
        => unknown_handle(Transport::Ws);
    http_an_event_for_an_unknown_handle_reaches_its_session
        => unknown_handle(Transport::Http);
    every_websocket_close_code_is_a_drop_then_a_reconnect_and_a_claim
        => close_codes;
    a_websocket_close_without_reconnect_gives_up_and_loses_the_session_typed
        => close_without_reconnect;
    http_404_500_502_on_a_request_are_malformed_replies_and_the_session_keeps_working
        => http_status_on_requests;
    http_500_502_on_a_long_poll_are_retried_three_lose_the_session_and_404_is_not_found
        => http_status_on_long_poll;
    http_a_truncated_non_utf8_oversized_or_slow_long_poll_answer_is_a_failed_poll_retried
        => garbage_on_long_poll;
    http_redirects_are_not_followed_a_request_fails_malformed_a_poll_is_retried
        => redirects;
}
