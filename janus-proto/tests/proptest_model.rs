//! The client against a scripted Janus, in random interleavings.
//!
//! Each case plays a random list of [`Op`]s over one transport (WebSocket or HTTP): calls of
//! the application, answers of a small fake Janus to whatever requests it saw on the wire (in
//! any order, right or wrong, or never), events Janus sends on its own, garbage, transport
//! loss, reconnects and time passing. Then Janus turns cooperative for a quiet minute, and
//! finally the transport dies for good and time runs out.
//!
//! What must hold throughout:
//! - no panic, and every drain of `poll_output` ends in `Timeout` within a bounded number of
//!   outputs, at a deadline in the future;
//! - `Completed` and `Acked` only for transactions a call returned, at most once each (and no
//!   `Acked` after `Completed`);
//! - events name handles of the session Janus sent them for; each event Janus sent is
//!   delivered at most once; a handle is `Detached` at most once;
//! - WebSocket frames only go out on an open socket; HTTP request ids are never reused, a
//!   `Cancel` names a request still in flight, and at most one long poll is in flight per
//!   session;
//! - `in_flight()` stays within `max_in_flight` plus the client's own requests (the probe,
//!   one keepalive and one claim per session).
//!
//! After the quiet minute nothing is pending; after the transport died every transaction
//! returned by a call has exactly one `Completed`, no session is left and no timer is set.
//!
//! The fake Janus ([`FakeJanus`]) and the application's calls ([`Call`], its strategies) come
//! from the harness crate, janus-sim; the steps of Janus, the transport and time, and the
//! checks, are the model's own.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use janus_proto::{
    Client, ClientConfig, DisconnectReason, Error, Event, HandleId, HandleRef, HttpMethod,
    HttpRequest, HttpResponse, Input, Output, Reconnect, Reply, RequestError, RequestId, SessionId,
    TransactionId, Transmit,
};
use janus_sim::janus::{self, Channel, FakeJanus, Say, Seen, seq_of};
use janus_sim::ops::{Call, Targets, pick_handle, pick_session, strategy};
use janus_sim::world::epoch;
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::Value;

const MAX_IN_FLIGHT: usize = 6;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
const EVENT_TIMEOUT: Duration = Duration::from_secs(10);
const MAXEV: usize = 4;
/// Janus answers a long poll with `keepalive` after this long without events.
const JANUS_POLL_HOLD: Duration = Duration::from_secs(30);
/// A drain longer than this is a loop, not work.
const MAX_OUTPUTS: usize = 1_000;
/// A session id neither side knows.
const STRANGER: SessionId = SessionId(4_242);

// ------------------------------------------------------------------ what happens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Ws,
    Http,
}

/// One step of a case. `u8` fields pick among what exists at that moment (modulo its count).
#[derive(Debug, Clone)]
enum Op {
    // the application
    Connect,
    Call(Call),
    // Janus
    Answer {
        request: u8,
        how: How,
    },
    /// Janus answers everything it saw, the natural way (this flavour).
    AnswerAll(u8),
    Unsolicited {
        session: u8,
        handle: u8,
        kind: u8,
    },
    Poll {
        request: u8,
        how: u8,
    },
    Garbage(String),
    Replay(u8),
    Restart,
    // the transport and time
    Open,
    Close,
    HttpFail(u8),
    StaleResponse,
    Advance(u64),
}

/// How Janus answers a request it saw.
#[derive(Debug, Clone, Copy)]
enum How {
    /// As Janus would; the number picks the variant (ack before or after the event, ...).
    Natural(u8),
    Error(u16),
    Never,
    Malformed,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::Connect),
        // One flat union (see `janus_sim::ops::strategy`), weighted like `any_call`.
        4 => strategy::create().prop_map(Op::Call),
        8 => strategy::attach().prop_map(Op::Call),
        12 => strategy::message().prop_map(Op::Call),
        4 => strategy::trickle().prop_map(Op::Call),
        2 => strategy::detach().prop_map(Op::Call),
        2 => strategy::hangup().prop_map(Op::Call),
        1 => strategy::destroy().prop_map(Op::Call),
        1 => strategy::keepalive().prop_map(Op::Call),
        1 => strategy::claim().prop_map(Op::Call),
        1 => strategy::ping().prop_map(Op::Call),
        1 => strategy::info().prop_map(Op::Call),
        30 => (any::<u8>(), how()).prop_map(|(request, how)| Op::Answer { request, how }),
        8 => any::<u8>().prop_map(Op::AnswerAll),
        10 => (any::<u8>(), any::<u8>(), 0u8..12)
            .prop_map(|(session, handle, kind)| Op::Unsolicited { session, handle, kind }),
        8 => (any::<u8>(), 0u8..12).prop_map(|(request, how)| Op::Poll { request, how }),
        2 => garbage().prop_map(Op::Garbage),
        1 => any::<u8>().prop_map(Op::Replay),
        1 => Just(Op::Restart),
        8 => Just(Op::Open),
        1 => Just(Op::Close),
        1 => any::<u8>().prop_map(Op::HttpFail),
        1 => Just(Op::StaleResponse),
        8 => prop_oneof![6 => 0u64..2_000, 1 => 2_000u64..70_000].prop_map(Op::Advance),
    ]
}

fn how() -> impl Strategy<Value = How> {
    prop_oneof![
        12 => any::<u8>().prop_map(How::Natural),
        3 => prop_oneof![
            Just(458u16), Just(459), Just(403), Just(460), Just(462), Just(465), Just(490),
            400u16..600
        ]
        .prop_map(How::Error),
        1 => Just(How::Never),
        1 => Just(How::Malformed),
    ]
}

fn garbage() -> impl Strategy<Value = String> {
    prop_oneof![
        prop_oneof![
            Just(""),
            Just("{"),
            Just("null"),
            Just("[]"),
            Just("[{\"janus\":\"keepalive\"},7]"),
            Just("{\"janus\":5}"),
            Just("{\"janus\":\"error\",\"transaction\":\"x\"}"),
            Just("{\"janus\":\"trickle\",\"session_id\":1,\"sender\":2}"),
            Just("{\"janus\":\"event\",\"sender\":\"two\"}"),
            Just("{\"janus\":\"success\",\"data\":{\"id\":-1}}"),
            Just("{\"janus\":\"server_info\",\"session-timeout\":\"soon\"}"),
            Just("{\"janus\":\"media\",\"session_id\":18446744073709551615,\"sender\":0}"),
        ]
        .prop_map(str::to_owned),
        vec(any::<u8>(), 0..40).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

// ------------------------------------------------------------------ the harness

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Socket {
    Closed,
    Connecting,
    Open,
}

struct Outstanding {
    request: HttpRequest,
    /// For a long poll: its session.
    poll: Option<u64>,
    sent: Instant,
}

struct Harness {
    transport: Transport,
    client: Client,
    janus: FakeJanus,
    now: Instant,
    deadline: Instant,
    socket: Socket,
    socket_no: u32,
    http: BTreeMap<RequestId, Outstanding>,
    issued: BTreeSet<RequestId>,
    /// Ids of HTTP requests no longer in flight, for stale responses.
    finished: Vec<RequestId>,
    /// Transactions returned by calls, and the completions seen.
    returned: BTreeSet<TransactionId>,
    completed: BTreeMap<TransactionId, Result<Reply, RequestError>>,
    acked: BTreeSet<TransactionId>,
    delivered: BTreeSet<u64>,
    detached: BTreeSet<HandleRef>,
    /// The client gave up (`connect` starts it again).
    down: bool,
    /// The transport is gone for good: every connection attempt and request fails.
    dead: bool,
}

impl Harness {
    fn new(transport: Transport) -> Self {
        let url = match transport {
            Transport::Ws => "ws://janus:8188",
            Transport::Http => "http://janus:8088/janus",
        };
        let config = ClientConfig::new([url])
            .unwrap()
            .seed(7)
            .request_timeout(REQUEST_TIMEOUT)
            .event_timeout(EVENT_TIMEOUT)
            .max_in_flight(MAX_IN_FLIGHT)
            .long_poll_maxev(MAXEV as u32)
            .reconnect(Reconnect {
                max_rounds: 3,
                initial_backoff: Duration::from_millis(250),
                max_backoff: Duration::from_secs(1),
            });
        let now = epoch();
        let mut h = Self {
            transport,
            client: Client::new(config, now),
            janus: FakeJanus::default(),
            now,
            deadline: now,
            socket: Socket::Closed,
            socket_no: 0,
            http: BTreeMap::new(),
            issued: BTreeSet::new(),
            finished: Vec::new(),
            returned: BTreeSet::new(),
            completed: BTreeMap::new(),
            acked: BTreeSet::new(),
            delivered: BTreeSet::new(),
            detached: BTreeSet::new(),
            down: false,
            dead: false,
        };
        h.client.connect(now);
        h.drain();
        h
    }

    // -------------------------------------------------------------- the drain and its checks

    fn drain(&mut self) {
        for _ in 0..MAX_OUTPUTS {
            match self.client.poll_output() {
                Output::Transmit(t) => self.on_transmit(t),
                Output::Event(e) => self.on_event(e),
                Output::Timeout(at) => {
                    assert!(at > self.now, "the next deadline is not in the future");
                    self.deadline = at;
                    self.check_bounds();
                    return;
                }
            }
        }
        panic!("poll_output did not return Timeout within {MAX_OUTPUTS} outputs");
    }

    fn check_bounds(&self) {
        let sessions = self.client.session_ids().count();
        let own = 1 + 2 * sessions;
        assert!(
            self.client.in_flight() <= MAX_IN_FLIGHT + own,
            "in_flight {} with {sessions} sessions",
            self.client.in_flight()
        );
    }

    fn on_transmit(&mut self, t: Transmit) {
        match t {
            Transmit::Connect { server: 0, .. } => {
                assert_eq!(self.transport, Transport::Ws);
                self.socket = Socket::Connecting;
                self.socket_no += 1;
                self.forget_socket();
            }
            Transmit::Connect { server, .. } => panic!("connect to unknown server {server}"),
            Transmit::Ws(text) => {
                assert_eq!(self.socket, Socket::Open, "frame sent on a socket not open");
                let body: Value = serde_json::from_str(&text).unwrap();
                let channel = Channel::Ws(self.socket_no);
                let (session, handle) = (body["session_id"].as_u64(), body["handle_id"].as_u64());
                self.saw(&body, session, handle, channel);
            }
            Transmit::Http(r) => {
                assert_eq!(self.transport, Transport::Http);
                assert!(self.issued.insert(r.id), "request id {} reused", r.id);
                let mut poll = None;
                match r.method {
                    HttpMethod::Get => {
                        let s: u64 = r.path[1..].split('?').next().unwrap().parse().unwrap();
                        assert!(
                            !self.http.values().any(|o| o.poll == Some(s)),
                            "two long polls in flight for session {s}"
                        );
                        poll = Some(s);
                    }
                    HttpMethod::Post => {
                        let body: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
                        let mut ids = r.path.split('/').skip(1).map(|p| p.parse().unwrap());
                        let (session, handle) = (ids.next(), ids.next());
                        self.saw(&body, session, handle, Channel::Http(r.id));
                    }
                }
                let sent = self.now;
                self.http.insert(
                    r.id,
                    Outstanding {
                        request: r,
                        poll,
                        sent,
                    },
                );
            }
            Transmit::Cancel(id) => {
                assert!(
                    self.http.contains_key(&id),
                    "cancel of request {id} not in flight"
                );
                self.retire(id);
            }
            Transmit::Disconnect => {
                self.socket = Socket::Closed;
                self.forget_socket();
            }
        }
    }

    fn saw(&mut self, body: &Value, session: Option<u64>, handle: Option<u64>, channel: Channel) {
        self.janus
            .seen
            .push(Seen::from_body(body, session, handle, channel));
    }

    /// Requests that came on a socket now closed can no longer be answered.
    fn forget_socket(&mut self) {
        self.janus
            .seen
            .retain(|r| !matches!(r.channel, Channel::Ws(_)));
    }

    /// An HTTP request is no longer in flight (answered, failed or cancelled).
    fn retire(&mut self, id: RequestId) -> Option<Outstanding> {
        self.janus.seen.retain(|r| r.channel != Channel::Http(id));
        self.finished.push(id);
        self.http.remove(&id)
    }

    fn on_event(&mut self, e: Event) {
        if let Some(seq) = seq_of(&e) {
            assert!(self.delivered.insert(seq), "event {seq} delivered twice");
        }
        match &e {
            Event::Completed { tx, result } => {
                assert!(self.returned.contains(tx), "completion of unknown {tx}");
                assert!(
                    self.completed.insert(tx.clone(), result.clone()).is_none(),
                    "{tx} completed twice"
                );
                match result {
                    Ok(
                        Reply::Attached(h)
                        | Reply::Plugin { handle: h, .. }
                        | Reply::Detached(h)
                        | Reply::HungUp(h),
                    ) => self.assert_owned(*h),
                    Ok(Reply::SessionCreated(s)) => assert!(self.janus.ever.contains(&s.0)),
                    _ => {}
                }
            }
            Event::Acked { tx, .. } => {
                assert!(self.returned.contains(tx), "ack of unknown {tx}");
                assert!(
                    !self.completed.contains_key(tx),
                    "ack of {tx} after its end"
                );
                assert!(self.acked.insert(tx.clone()), "{tx} acked twice");
            }
            Event::Detached { handle } => {
                self.assert_owned(*handle);
                assert!(self.detached.insert(*handle), "{handle} detached twice");
            }
            Event::PluginEvent { handle, .. }
            | Event::WebrtcUp { handle }
            | Event::Media { handle, .. }
            | Event::SlowLink { handle, .. }
            | Event::Hangup { handle, .. }
            | Event::IceFailed { handle }
            | Event::Trickle { handle, .. } => self.assert_owned(*handle),
            Event::Disconnected {
                reason: DisconnectReason::GaveUp | DisconnectReason::Unreachable,
            } => self.down = true,
            Event::Connected { .. } => self.down = false,
            _ => {}
        }
    }

    fn assert_owned(&self, h: HandleRef) {
        assert_eq!(
            self.janus.owner.get(&h.handle.0),
            Some(&h.session.0),
            "{h} is not a handle of that session"
        );
    }

    // -------------------------------------------------------------- the application

    fn call(&mut self, f: impl FnOnce(&mut Client, Instant) -> Result<TransactionId, Error>) {
        if let Ok(tx) = f(&mut self.client, self.now) {
            assert!(self.returned.insert(tx.clone()), "{tx} returned twice");
        }
        self.drain();
    }

    // -------------------------------------------------------------- Janus and the wire

    /// Janus says these: on the WebSocket if it is open, or as the answer to the HTTP POST
    /// and on the session's long poll.
    fn say(&mut self, channel: Channel, says: Vec<Say>) {
        for s in says {
            match (channel, s) {
                (Channel::Ws(n), Say::Reply(v) | Say::Event(_, v)) => {
                    if n == self.socket_no && self.socket == Socket::Open {
                        self.janus.remember(&v);
                        self.frame(&v.to_string());
                    }
                }
                (Channel::Http(id), Say::Reply(v)) => {
                    self.janus.remember(&v);
                    self.respond(id, 200, &v.to_string());
                }
                (Channel::Http(_), Say::Event(session, v)) => {
                    self.janus.queued.entry(session).or_default().push_back(v);
                }
            }
        }
    }

    fn frame(&mut self, text: &str) {
        if self.socket == Socket::Open {
            self.client.handle_input(Input::Frame(self.now, text));
            self.drain();
        }
    }

    fn respond(&mut self, id: RequestId, status: u16, body: &str) {
        self.retire(id);
        self.client.handle_input(Input::HttpResponse(
            self.now,
            id,
            HttpResponse { status, body },
        ));
        self.drain();
    }

    fn fail(&mut self, id: RequestId) {
        self.retire(id);
        self.client
            .handle_input(Input::HttpFailed(self.now, id, "connection reset"));
        self.drain();
    }

    /// Janus answers the pending request `n`.
    fn answer(&mut self, n: usize, how: How) {
        if self.janus.seen.is_empty() {
            return;
        }
        let r = self.janus.seen.remove(n % self.janus.seen.len());
        let says = match how {
            How::Natural(variant) => self.janus.natural(&r, variant),
            How::Error(code) => vec![Say::Reply(janus::error(&r.tx, r.session, code, "scripted"))],
            How::Never => return,
            How::Malformed => match r.channel {
                Channel::Ws(_) => return self.frame("{\"janus\":\"success\",\"transaction\":"),
                Channel::Http(id) => return self.respond(id, 500, "<html>Internal Server Error"),
            },
        };
        self.say(r.channel, says);
    }

    /// Janus answers the long poll `n` (or, `how` >= 8, it fails in some way).
    fn answer_poll(&mut self, n: usize, how: u8) {
        let polls: Vec<_> = self
            .http
            .iter()
            .filter_map(|(id, o)| Some((*id, o.poll?)))
            .collect();
        let Some(&(id, s)) = polls.get(n % polls.len().max(1)) else {
            return;
        };
        if !self.janus.sessions.contains_key(&s) {
            let body = janus::session_error(s, 458, "No such session");
            return self.respond(id, 200, &body.to_string());
        }
        match how {
            0..8 => {
                let queue = self.janus.queued.entry(s).or_default();
                let batch: Vec<Value> = queue.drain(..queue.len().min(MAXEV)).collect();
                if batch.is_empty() {
                    self.respond(id, 200, r#"{"janus":"keepalive"}"#);
                } else {
                    self.respond(id, 200, &Value::Array(batch).to_string());
                }
            }
            8 => self.respond(id, 404, "Not Found"),
            9 => self.respond(id, 502, "<html>Bad Gateway"),
            10 => self.respond(
                id,
                200,
                r#"{"janus":"error","error":{"code":403,"reason":"Unauthorized request"}}"#,
            ),
            _ => self.fail(id),
        }
    }

    fn advance(&mut self, d: Duration) {
        let until = self.now + d;
        for _ in 0..10_000 {
            let adapter = self.http.values().map(|o| o.sent + o.request.timeout).min();
            let janus = self
                .http
                .values()
                .filter(|o| o.poll.is_some())
                .map(|o| o.sent + JANUS_POLL_HOLD)
                .min();
            let next = [Some(self.deadline), adapter, janus]
                .into_iter()
                .flatten()
                .min()
                .unwrap();
            if next > until {
                break;
            }
            self.now = self.now.max(next);
            self.client.handle_timeout(self.now);
            self.drain();
            // Janus ends long polls held for 30 s; the adapter gives up on requests past
            // their timeout.
            let now = self.now;
            let held: Vec<_> = self
                .http
                .iter()
                .filter(|(_, o)| o.poll.is_some() && o.sent + JANUS_POLL_HOLD <= now)
                .map(|(id, _)| *id)
                .collect();
            for id in held {
                if self.dead {
                    self.fail(id);
                } else if self.http.contains_key(&id) {
                    self.respond(id, 200, r#"{"janus":"keepalive"}"#);
                }
            }
            let late: Vec<_> = self
                .http
                .iter()
                .filter(|(_, o)| o.sent + o.request.timeout <= now)
                .map(|(id, _)| *id)
                .collect();
            for id in late {
                if self.http.contains_key(&id) {
                    self.fail(id);
                }
            }
        }
        self.now = self.now.max(until);
        self.client.handle_timeout(self.now);
        self.drain();
    }

    fn close(&mut self) {
        if self.socket != Socket::Closed {
            self.socket = Socket::Closed;
            self.forget_socket();
            self.client
                .handle_input(Input::Closed(self.now, "connection reset"));
            self.drain();
        }
    }

    // -------------------------------------------------------------- a case

    fn apply(&mut self, op: Op) {
        let now = self.now;
        match op {
            Op::Connect => {
                self.client.connect(now);
                self.drain();
            }
            Op::Call(call) => {
                let command = call.command(self);
                self.call(|c, now| c.execute(now, command));
            }
            Op::Answer { request, how } => self.answer(usize::from(request), how),
            Op::AnswerAll(variant) => {
                while !self.janus.seen.is_empty() {
                    self.answer(0, How::Natural(variant));
                }
            }
            Op::Unsolicited {
                session,
                handle,
                kind,
            } => {
                let sessions: Vec<_> = self.janus.sessions.keys().copied().collect();
                let Some(&s) = sessions.get(usize::from(session) % sessions.len().max(1)) else {
                    return;
                };
                let handles: Vec<_> = self.janus.sessions[&s].iter().copied().collect();
                let Some(&h) = handles.get(usize::from(handle) % handles.len().max(1)) else {
                    return;
                };
                let event = self.janus.unsolicited(s, h, kind);
                match self.transport {
                    Transport::Ws => self.frame(&event.to_string()),
                    Transport::Http => self.janus.queued.entry(s).or_default().push_back(event),
                }
            }
            Op::Poll { request, how } => self.answer_poll(usize::from(request), how),
            Op::Garbage(text) => match self.transport {
                Transport::Ws => self.frame(&text),
                Transport::Http => {
                    if let Some(&id) = self.http.keys().next() {
                        self.respond(id, 200, &text);
                    }
                }
            },
            Op::Replay(n) => {
                let said = &self.janus.said;
                let Some(v) = said.get(usize::from(n) % said.len().max(1)).cloned() else {
                    return;
                };
                match (self.transport, v["session_id"].as_u64()) {
                    (Transport::Ws, _) => self.frame(&v.to_string()),
                    (Transport::Http, Some(s)) => {
                        self.janus.queued.entry(s).or_default().push_back(v);
                    }
                    (Transport::Http, None) => {}
                }
            }
            Op::Restart => {
                // Janus restarts: it forgets every session, and every connection drops.
                self.janus.sessions.clear();
                self.janus.queued.clear();
                self.janus.seen.clear();
                self.close();
                let ids: Vec<_> = self.http.keys().copied().collect();
                for id in ids {
                    if self.http.contains_key(&id) {
                        self.fail(id);
                    }
                }
            }
            Op::Open => {
                if self.socket == Socket::Connecting && !self.dead {
                    self.socket = Socket::Open;
                    self.client.handle_input(Input::Opened(now));
                    self.drain();
                }
            }
            Op::Close => self.close(),
            Op::HttpFail(n) => {
                let ids: Vec<_> = self.http.keys().copied().collect();
                if let Some(&id) = ids.get(usize::from(n) % ids.len().max(1)) {
                    self.fail(id);
                }
            }
            Op::StaleResponse => {
                if let Some(&id) = self.finished.last() {
                    self.client.handle_input(Input::HttpResponse(
                        now,
                        id,
                        HttpResponse {
                            status: 200,
                            body: r#"{"janus":"keepalive"}"#,
                        },
                    ));
                    self.drain();
                }
            }
            Op::Advance(ms) => self.advance(Duration::from_millis(ms)),
        }
    }

    /// Janus answers everything, as Janus would, until nothing is left to answer.
    fn cooperate(&mut self) {
        for _ in 0..1_000 {
            if self.down {
                self.down = false;
                self.client.connect(self.now);
                self.drain();
            }
            if self.socket == Socket::Connecting {
                self.apply(Op::Open);
            } else if !self.janus.seen.is_empty() {
                self.answer(0, How::Natural(0));
            } else if let Some(n) = self
                .http
                .values()
                .filter(|o| o.poll.is_some())
                .position(|o| {
                    let s = o.poll.unwrap();
                    !self.janus.sessions.contains_key(&s)
                        || self.janus.queued.get(&s).is_some_and(|q| !q.is_empty())
                })
            {
                self.answer_poll(n, 0);
            } else {
                return;
            }
        }
        panic!("a cooperative Janus never runs out of answers");
    }

    /// A quiet minute with a cooperative Janus: everything pending ends.
    fn settle(&mut self) {
        for _ in 0..60 {
            self.cooperate();
            self.advance(Duration::from_secs(1));
        }
        self.cooperate();
        assert_eq!(
            self.client.in_flight(),
            0,
            "requests left after a quiet minute"
        );
    }

    /// The transport dies for good; time runs out.
    fn shut_down(&mut self) {
        self.dead = true;
        for _ in 0..100 {
            self.close();
            while let Some(&id) = self.http.keys().next() {
                self.fail(id);
            }
            let idle = self.deadline >= self.now + Duration::from_secs(3600);
            if idle && self.client.in_flight() == 0 && self.client.session_ids().count() == 0 {
                break;
            }
            self.advance(Duration::from_secs(10));
        }
        let never: Vec<_> = self
            .returned
            .iter()
            .filter(|tx| !self.completed.contains_key(*tx))
            .collect();
        assert!(never.is_empty(), "never completed: {never:?}");
        assert_eq!(self.client.in_flight(), 0);
        assert_eq!(
            self.client.session_ids().count(),
            0,
            "sessions outlived the transport"
        );
        assert!(
            self.deadline >= self.now + Duration::from_secs(3600),
            "timers left after everything ended"
        );
    }
}

impl Targets for Harness {
    fn session(&self, n: u8) -> SessionId {
        pick_session(&self.client, n, STRANGER)
    }

    fn handle(&self, n: u8) -> HandleRef {
        pick_handle(
            &self.client,
            n,
            HandleRef {
                session: STRANGER,
                handle: HandleId(1),
            },
        )
    }

    /// A session Janus has (perhaps one this client lost), or one it never had.
    fn claimable(&self, n: u8) -> SessionId {
        let all: Vec<_> = self.janus.ever.iter().copied().collect();
        all.get(usize::from(n) % (all.len() + 1))
            .map_or(STRANGER, |&s| SessionId(s))
    }
}

/// Plays a case: connect (Janus answers the probe), the ops, a quiet minute, the end.
fn run(transport: Transport, ops: Vec<Op>) {
    let mut h = Harness::new(transport);
    h.apply(Op::Open);
    h.answer(0, How::Natural(0));
    for op in ops {
        h.apply(op);
    }
    h.settle();
    h.shut_down();
}

fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(192);
    ProptestConfig {
        cases,
        max_shrink_iters: 4_096,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn websocket_client_keeps_its_promises(ops in vec(op(), 1..150)) {
        run(Transport::Ws, ops);
    }

    #[test]
    fn http_client_keeps_its_promises(ops in vec(op(), 1..150)) {
        run(Transport::Http, ops);
    }
}

#[test]
fn the_harness_sees_a_plain_session_through() {
    // The model's own smoke test: a create, an attach and a message with an offer, answered
    // the natural way, end with the replies the scenario tests expect.
    for transport in [Transport::Ws, Transport::Http] {
        let mut h = Harness::new(transport);
        h.apply(Op::Open);
        h.answer(0, How::Natural(0));
        h.apply(Op::Call(Call::Create));
        h.cooperate();
        h.apply(Op::Call(Call::Attach(0)));
        h.cooperate();
        h.apply(Op::Call(Call::Message {
            handle: 0,
            jsep: Some(true),
        }));
        h.cooperate();
        let replies: Vec<_> = h.completed.values().cloned().collect();
        assert!(
            matches!(replies.as_slice(), [Ok(_), Ok(_), Ok(_)]),
            "{transport:?}: {replies:?}"
        );
        assert!(
            h.completed.values().any(
                |r| matches!(r, Ok(Reply::Plugin { jsep: Some(j), .. }) if j.sdp == "v=0\r\n")
            ),
            "{transport:?}: the answer came with the event"
        );
        h.settle();
        h.shut_down();
        assert_eq!(h.completed.len(), 3);
    }
}
