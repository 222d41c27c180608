//! The [`Client`]: one state machine per server connection, holding its sessions, handles
//! and pending transactions.
//!
//! One type, several `impl Client` blocks, one per concept (quinn-proto's `connection/` is the
//! model). This file holds the struct, its constructors and getters, the `handle_*`/`poll_*`
//! entry points, the timer dispatch and the small helpers the others share; then:
//!
//! - [`request`]: the request methods, the transaction table (`Pending`), the queue of requests
//!   waiting for their session, sending, the request timeout and `finish`;
//! - [`connection`]: the server list, opening and probing a server, its connect deadline,
//!   fallback, reconnect rounds and giving up;
//! - [`session`]: sessions and handles, claim, keepalive, losing and dropping a session,
//!   a handle's end;
//! - [`incoming`]: WebSocket frames and HTTP answers, parsed and routed;
//! - [`reply`]: what `ack`, `success`, `error` and a plugin `event` do to their request;
//! - [`long_poll`]: the long poll of each session on HTTP.

mod connection;
mod incoming;
mod long_poll;
mod reply;
mod request;
mod session;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::config::{ClientConfig, Server};
use crate::error::Error;
use crate::event::{Event, SessionLostReason};
use crate::id::{
    HandleId, HandleRef, IdSource, RequestId, SeededIds, SessionId, TransactionId, transaction_from,
};
use crate::io::{Input, Output, Transmit};
use crate::msg::request::Auth;
use crate::msg::{Request, RequestKind, ServerInfo};
use crate::timer::{Timer, Timers};

use connection::Conn;
use request::{Origin, Pending};
use session::{HandleEntry, Session};

pub use session::{HandleInfo, SessionState};

/// How far ahead `Output::Timeout` points when nothing is scheduled.
const IDLE_WAKE: Duration = Duration::from_secs(3600);

/// janus.js's keepalive period, and the cap of the derived one.
const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(25);

/// The signalling state machine of one Janus server connection.
///
/// It follows the sans-IO contract of the crate: feed it with [`Client::handle_input`] and
/// the command methods (each takes `now`), then drain [`Client::poll_output`] until it
/// returns [`Output::Timeout`]. It never blocks, never reads the clock and never fails on
/// anything the server sends: bad input is logged and skipped.
///
/// Method families: commands (`connect`, `create_session`, `attach`, `message`, `trickle`,
/// `hangup`, `detach`, `destroy_session`, `claim_session`, `info`, `ping`, `keepalive`) return
/// a [`TransactionId`] at once and complete later with exactly one [`Event::Completed`];
/// `handle_input` consumes what happened; `poll_output` produces what to do; getters
/// (`session_ids`, `handle_info`, `server_info`, ...) take `&self`.
pub struct Client {
    cfg: ClientConfig,
    ids: Box<dyn IdSource>,
    now: Instant,
    conn: Conn,
    info: Option<ServerInfo>,
    sessions: BTreeMap<SessionId, Session>,
    lost: BTreeMap<SessionId, SessionLostReason>,
    lost_order: VecDeque<SessionId>,
    /// The detached handles of each lost session remembered: a claim of the session starts
    /// with them, so that a stale event cannot bring a detached handle back (and detach it
    /// a second time).
    lost_gone: BTreeMap<SessionId, VecDeque<HandleId>>,
    pending: BTreeMap<TransactionId, Pending>,
    unsent: VecDeque<TransactionId>,
    http: BTreeMap<RequestId, HttpPurpose>,
    next_request: u64,
    /// Every deadline (requests, keepalives, poll retries, reconnect, connect), by what it is
    /// for; no other field keeps a copy of one.
    timers: Timers,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    /// `close` was called; `closed` once `Event::Closed` went out.
    closing: bool,
    closed: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("conn", &self.conn)
            .field("sessions", &self.sessions.len())
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
enum HttpPurpose {
    Request(TransactionId),
    Poll(SessionId),
}

impl Client {
    /// A client for this configuration, not yet connected. Call [`Client::connect`].
    pub fn new(cfg: ClientConfig, now: Instant) -> Self {
        let ids = Box::new(SeededIds::new(cfg.seed.unwrap_or(0)));
        Self::with_id_source(cfg, ids, now)
    }

    /// Like [`Client::new`], with a source of randomness of the embedder's choice.
    pub fn with_id_source(cfg: ClientConfig, ids: Box<dyn IdSource>, now: Instant) -> Self {
        Self {
            cfg,
            ids,
            now,
            conn: Conn::Idle,
            info: None,
            sessions: BTreeMap::new(),
            lost: BTreeMap::new(),
            lost_order: VecDeque::new(),
            lost_gone: BTreeMap::new(),
            pending: BTreeMap::new(),
            unsent: VecDeque::new(),
            http: BTreeMap::new(),
            next_request: 0,
            timers: Timers::default(),
            closing: false,
            closed: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    // ------------------------------------------------------------------ getters

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// The server requests go to now, with its index in the list.
    pub fn connected_server(&self) -> Option<(usize, &Server)> {
        match self.conn {
            Conn::Up { server } => Some((server, &self.cfg.servers[server])),
            Conn::Idle | Conn::Trying { .. } | Conn::Waiting { .. } | Conn::Down => None,
        }
    }

    /// What the connected server said of itself.
    pub fn server_info(&self) -> Option<&ServerInfo> {
        self.info.as_ref()
    }

    /// The live sessions.
    pub fn session_ids(&self) -> impl Iterator<Item = SessionId> + '_ {
        self.sessions.keys().copied()
    }

    /// A live session's state.
    pub fn session_state(&self, session: SessionId) -> Option<SessionState> {
        self.sessions.get(&session).map(|s| s.state)
    }

    /// The handles of a live session.
    pub fn handle_ids(&self, session: SessionId) -> impl Iterator<Item = HandleRef> + '_ {
        self.sessions.get(&session).into_iter().flat_map(move |s| {
            s.handles
                .keys()
                .map(move |&handle| HandleRef { session, handle })
        })
    }

    /// A handle's state.
    pub fn handle_info(&self, h: HandleRef) -> Option<HandleInfo> {
        let e = self.sessions.get(&h.session)?.handles.get(&h.handle)?;
        Some(HandleInfo {
            plugin: e.plugin.clone(),
            opaque_id: e.opaque_id.clone(),
            webrtc_up: e.webrtc_up,
            signaling: e.negotiation.state,
        })
    }

    /// Requests sent or queued that have not completed.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// The keepalive period in force (WebSocket).
    pub fn keepalive_period(&self) -> Duration {
        if let Some(p) = self.cfg.keepalive {
            return p;
        }
        match self.info.as_ref().map(|i| i.session_timeout) {
            Some(t) if t > 0 => DEFAULT_KEEPALIVE.min(Duration::from_millis(t.saturating_mul(500))),
            _ => DEFAULT_KEEPALIVE,
        }
    }

    // ------------------------------------------------------------------ input / output

    /// Consumes something that happened. Never fails: what cannot be understood is logged
    /// and skipped.
    pub fn handle_input(&mut self, input: Input<'_>) {
        self.advance(input.at());
        let now = self.now;
        match input {
            Input::Timeout(_) => self.on_timeout(now),
            Input::Opened(_) => self.on_opened(now),
            Input::Closed(_, why) => self.on_closed(now, why),
            Input::Frame(_, text) => self.on_frame(now, text),
            Input::HttpResponse(_, id, resp) => self.on_http_response(now, id, resp),
            Input::HttpFailed(_, id, why) => self.on_http_failed(now, id, why),
        }
        self.flush(now);
    }

    /// Same as `handle_input(Input::Timeout(now))`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.handle_input(Input::Timeout(now));
    }

    /// The next thing to do. Drain it until it returns [`Output::Timeout`], after every call
    /// that takes `now`. Transmits come before events, in the order they were decided.
    pub fn poll_output(&mut self) -> Output {
        if let Some(t) = self.transmits.pop_front() {
            return Output::Transmit(t);
        }
        if let Some(e) = self.events.pop_front() {
            return Output::Event(e);
        }
        Output::Timeout(self.poll_timeout())
    }

    /// The next deadline (a far one when idle). A pure read.
    pub fn poll_timeout(&self) -> Instant {
        if !self.transmits.is_empty() || !self.events.is_empty() {
            return self.now;
        }
        self.timers.next().unwrap_or(self.now + IDLE_WAKE)
    }

    // ------------------------------------------------------------------ internals: plumbing

    fn advance(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
    }

    fn check_session(&self, s: SessionId) -> Result<(), Error> {
        if self.sessions.contains_key(&s) {
            Ok(())
        } else if let Some(reason) = self.lost.get(&s) {
            Err(Error::SessionLost {
                session: s,
                reason: reason.clone(),
            })
        } else {
            Err(Error::UnknownSession(s))
        }
    }

    fn check_handle(&self, h: HandleRef) -> Result<(), Error> {
        self.check_session(h.session)?;
        if self
            .sessions
            .get(&h.session)
            .is_some_and(|s| s.handles.contains_key(&h.handle))
        {
            Ok(())
        } else {
            Err(Error::UnknownHandle(h))
        }
    }

    fn handle_entry_mut(&mut self, h: HandleRef) -> Option<&mut HandleEntry> {
        self.sessions
            .get_mut(&h.session)?
            .handles
            .get_mut(&h.handle)
    }

    fn new_tx(&mut self) -> TransactionId {
        loop {
            let tx = transaction_from(self.ids.next_u64());
            if !self.pending.contains_key(&tx) {
                return tx;
            }
        }
    }

    fn new_request_id(&mut self) -> RequestId {
        self.next_request += 1;
        RequestId(self.next_request)
    }

    fn auth(&self) -> Auth<'_> {
        Auth {
            apisecret: self.cfg.apisecret.as_ref(),
            token: self.cfg.token.as_ref(),
            admin_secret: self.cfg.admin.as_ref().and_then(Option::as_ref),
        }
    }

    fn emit(&mut self, e: Event) {
        self.events.push_back(e);
    }

    // ------------------------------------------------------------------ timers

    fn on_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.pop_due(now) {
            match timer {
                Timer::Request(tx) => self.request_timed_out(now, &tx),
                Timer::Keepalive(s) => {
                    if let Some(sess) = self.sessions.get(&s) {
                        if sess.state == SessionState::Active {
                            let req = Request {
                                kind: RequestKind::Keepalive,
                                session: Some(s),
                                handle: None,
                            };
                            let _ = self.submit(now, req, Origin::Keepalive, None);
                            self.arm_keepalive(s);
                        }
                    }
                }
                // `long_poll` skips a session that is gone.
                Timer::PollRetry(s) => self.long_poll(s),
                Timer::Reconnect => {
                    if let Conn::Waiting { first, round, .. } = self.conn {
                        self.start_round(first, round, true);
                    }
                }
                // Not open in time: the adapter abandons the handshake, the attempt failed.
                Timer::Connect => {
                    self.transmits.push_back(Transmit::Disconnect);
                    self.server_failed(now, "websocket not open in time");
                }
            }
        }
    }
}
