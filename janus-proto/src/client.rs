//! The [`Client`]: one state machine per server connection, holding its sessions, handles
//! and pending transactions.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;
use tracing::{debug, trace, warn};

use crate::config::{ClientConfig, Server, TransportKind};
use crate::error::{Error, JanusError, RequestError};
use crate::event::{DisconnectReason, Event, Reply, SessionLostReason};
use crate::id::{
    HandleId, HandleRef, IdSource, RequestId, SeededIds, SessionId, TransactionId, transaction_from,
};
use crate::io::{HttpMethod, HttpRequest, HttpResponse, Input, Output, Transmit};
use crate::jsep::{Jsep, Negotiation, SignalingState, Trickle};
use crate::msg::incoming::parse_batch;
use crate::msg::request::Auth;
use crate::msg::{Incoming, PluginData, Request, RequestKind, ServerInfo};
use crate::timer::{Backoff, Timer, Timers};

/// How far ahead `Output::Timeout` points when nothing is scheduled.
const IDLE_WAKE: Duration = Duration::from_secs(3600);
/// How many lost sessions are remembered for sticky errors.
const MAX_LOST_REMEMBERED: usize = 1024;
/// How many detached handles a session remembers (to skip their stale events).
const MAX_GONE_HANDLES: usize = 64;
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
    pending: BTreeMap<TransactionId, Pending>,
    unsent: VecDeque<TransactionId>,
    http: BTreeMap<RequestId, HttpPurpose>,
    next_request: u64,
    timers: Timers,
    /// When the WebSocket being opened times out.
    connect_at: Option<Instant>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
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

#[derive(Debug, Clone, PartialEq)]
enum Conn {
    /// `connect` not called yet; commands queue.
    Idle,
    /// Trying `server`, the `tried`-th of this round.
    Trying {
        server: usize,
        tried: usize,
        round: u32,
        reconnect: bool,
        opened: bool,
        probe: Option<TransactionId>,
    },
    /// Pausing between reconnect rounds.
    Waiting {
        first: usize,
        round: u32,
        at: Instant,
    },
    /// Requests flow through `server`.
    Up { server: usize },
    /// Gave up; `connect` starts again.
    Down,
}

/// What a session is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Usable.
    Active,
    /// A `claim` is in flight (after a reconnect, or asked for); requests wait for it.
    Claiming,
    /// The transport dropped; a claim follows the reconnect.
    Reconnecting,
}

#[derive(Debug)]
struct Session {
    state: SessionState,
    handles: BTreeMap<HandleId, HandleEntry>,
    /// Recently detached handles, so that a late `detached` (or other stale event) does
    /// not bring one back.
    gone: VecDeque<HandleId>,
    keepalive_at: Option<Instant>,
    poll: Poll,
}

#[derive(Debug, Default)]
struct Poll {
    in_flight: Option<RequestId>,
    retry_at: Option<Instant>,
    failures: u32,
}

#[derive(Debug)]
struct HandleEntry {
    plugin: String,
    opaque_id: Option<String>,
    detach_tx: Option<TransactionId>,
    webrtc_up: bool,
    negotiation: Negotiation,
}

impl HandleEntry {
    fn new(plugin: String, opaque_id: Option<String>) -> Self {
        Self {
            plugin,
            opaque_id,
            detach_tx: None,
            webrtc_up: false,
            negotiation: Negotiation::default(),
        }
    }
}

/// A handle as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleInfo {
    /// The plugin package (empty for a handle first seen in an event after a claim).
    pub plugin: String,
    /// The opaque id given at attach.
    pub opaque_id: Option<String>,
    /// Whether the PeerConnection is up (between `webrtcup` and `hangup`).
    pub webrtc_up: bool,
    /// The JSEP negotiation state.
    pub signaling: SignalingState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    App,
    Probe,
    Keepalive,
    Reclaim,
}

#[derive(Debug)]
struct Pending {
    /// Until sent.
    request: Option<Request>,
    verb: Verb,
    origin: Origin,
    session: Option<SessionId>,
    handle: Option<HandleId>,
    deadline: Instant,
    acked: bool,
    http: Option<RequestId>,
    /// The signalling state to return to if a message carrying a JSEP fails.
    rollback: Option<SignalingState>,
}

/// The completion shape of a request, from its verb.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verb {
    Info,
    Ping,
    Create,
    Claim,
    Destroy,
    Keepalive,
    Attach {
        plugin: String,
        opaque_id: Option<String>,
    },
    Detach,
    Hangup,
    Message,
    Trickle,
}

impl Verb {
    fn of(kind: &RequestKind) -> Self {
        match kind {
            RequestKind::Info => Self::Info,
            RequestKind::Ping => Self::Ping,
            RequestKind::Create { .. } => Self::Create,
            RequestKind::Claim => Self::Claim,
            RequestKind::Destroy => Self::Destroy,
            RequestKind::Keepalive => Self::Keepalive,
            RequestKind::Attach { plugin, opaque_id } => Self::Attach {
                plugin: plugin.clone(),
                opaque_id: opaque_id.clone(),
            },
            RequestKind::Detach => Self::Detach,
            RequestKind::Hangup => Self::Hangup,
            RequestKind::Message { .. } => Self::Message,
            RequestKind::Trickle(_) => Self::Trickle,
        }
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
            pending: BTreeMap::new(),
            unsent: VecDeque::new(),
            http: BTreeMap::new(),
            next_request: 0,
            timers: Timers::default(),
            connect_at: None,
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

    // ------------------------------------------------------------------ commands

    /// Starts (or, after giving up, restarts) connecting to the server list, in order.
    /// `Event::Connected` or `Event::Disconnected { reason: Unreachable }` follows.
    pub fn connect(&mut self, now: Instant) {
        self.advance(now);
        if matches!(self.conn, Conn::Idle | Conn::Down) {
            self.start_round(0, 0, false);
        }
    }

    /// `info`: the server's description.
    pub fn info(&mut self, now: Instant) -> Result<TransactionId, Error> {
        self.submit(
            now,
            Request {
                kind: RequestKind::Info,
                session: None,
                handle: None,
            },
            Origin::App,
            None,
        )
    }

    /// `ping`.
    pub fn ping(&mut self, now: Instant) -> Result<TransactionId, Error> {
        self.submit(
            now,
            Request {
                kind: RequestKind::Ping,
                session: None,
                handle: None,
            },
            Origin::App,
            None,
        )
    }

    /// `create`: a new session. Completes with [`Reply::SessionCreated`]; from then on the
    /// client keeps it alive (WebSocket) or long-polls it (HTTP).
    pub fn create_session(&mut self, now: Instant) -> Result<TransactionId, Error> {
        self.submit(
            now,
            Request {
                kind: RequestKind::Create { id: None },
                session: None,
                handle: None,
            },
            Origin::App,
            None,
        )
    }

    /// `create` with an id of our choice (Janus answers 468 if it is taken).
    pub fn create_session_with_id(
        &mut self,
        now: Instant,
        id: SessionId,
    ) -> Result<TransactionId, Error> {
        self.submit(
            now,
            Request {
                kind: RequestKind::Create { id: Some(id) },
                session: None,
                handle: None,
            },
            Origin::App,
            None,
        )
    }

    /// `claim`: takes over a session that lives on the server (made by another connection, or
    /// before a restart of this program). Requests on it wait until the claim completes.
    /// (After a WebSocket reconnect the client claims its sessions by itself.)
    pub fn claim_session(
        &mut self,
        now: Instant,
        session: SessionId,
    ) -> Result<TransactionId, Error> {
        self.advance(now);
        let previous = self.sessions.get(&session).map(|s| s.state);
        self.sessions.entry(session).or_insert_with(|| Session {
            state: SessionState::Claiming,
            handles: BTreeMap::new(),
            gone: VecDeque::new(),
            keepalive_at: None,
            poll: Poll::default(),
        });
        if let Some(s) = self.sessions.get_mut(&session) {
            s.state = SessionState::Claiming;
        }
        let req = Request {
            kind: RequestKind::Claim,
            session: Some(session),
            handle: None,
        };
        let r = self.submit(now, req, Origin::App, None);
        // A refused call changes nothing: a session we already had keeps its state (and its
        // long poll, keepalive and requests); only one made up for the claim goes again.
        match (&r, previous) {
            (Ok(_), _) => {
                self.lost.remove(&session);
            }
            (Err(_), None) => {
                self.sessions.remove(&session);
            }
            (Err(_), Some(state)) => {
                if let Some(s) = self.sessions.get_mut(&session) {
                    s.state = state;
                }
            }
        }
        r
    }

    /// `keepalive` now, besides the automatic ones.
    pub fn keepalive(&mut self, now: Instant, session: SessionId) -> Result<TransactionId, Error> {
        self.check_session(session)?;
        self.submit(
            now,
            Request {
                kind: RequestKind::Keepalive,
                session: Some(session),
                handle: None,
            },
            Origin::App,
            None,
        )
    }

    /// `destroy`: ends the session and its handles.
    pub fn destroy_session(
        &mut self,
        now: Instant,
        session: SessionId,
    ) -> Result<TransactionId, Error> {
        self.check_session(session)?;
        self.submit(
            now,
            Request {
                kind: RequestKind::Destroy,
                session: Some(session),
                handle: None,
            },
            Origin::App,
            None,
        )
    }

    /// `attach`: a handle on `plugin` (e.g. `janus.plugin.echotest`).
    pub fn attach(
        &mut self,
        now: Instant,
        session: SessionId,
        plugin: &str,
        opaque_id: Option<&str>,
    ) -> Result<TransactionId, Error> {
        self.check_session(session)?;
        let kind = RequestKind::Attach {
            plugin: plugin.to_owned(),
            opaque_id: opaque_id.map(str::to_owned),
        };
        self.submit(
            now,
            Request {
                kind,
                session: Some(session),
                handle: None,
            },
            Origin::App,
            None,
        )
    }

    /// `message`: a plugin request with an optional JSEP. Completes with [`Reply::Plugin`]
    /// (from a synchronous `success` or the `event` after an `ack`), or with
    /// [`RequestError::Plugin`] when the plugin reports an `error_code`.
    pub fn message(
        &mut self,
        now: Instant,
        h: HandleRef,
        body: Value,
        jsep: Option<Jsep>,
    ) -> Result<TransactionId, Error> {
        self.check_handle(h)?;
        let mut rollback = None;
        if let Some(j) = &jsep {
            let entry = self.handle_entry_mut(h).ok_or(Error::UnknownHandle(h))?;
            let next = entry.negotiation.check_local(j.kind)?;
            rollback = Some(entry.negotiation.state);
            entry.negotiation.state = next;
        }
        let req = Request {
            kind: RequestKind::Message { body, jsep },
            session: Some(h.session),
            handle: Some(h.handle),
        };
        let r = self.submit(now, req, Origin::App, rollback);
        if r.is_err() {
            if let (Some(prev), Some(e)) = (rollback, self.handle_entry_mut(h)) {
                e.negotiation.state = prev;
            }
        }
        r
    }

    /// `trickle`: one candidate, several, or `Trickle::Completed`. Completes with
    /// [`Reply::Acked`]. Janus holds candidates that arrive before the JSEP they belong to.
    pub fn trickle(
        &mut self,
        now: Instant,
        h: HandleRef,
        candidates: Vec<Trickle>,
    ) -> Result<TransactionId, Error> {
        self.check_handle(h)?;
        let req = Request {
            kind: RequestKind::Trickle(candidates),
            session: Some(h.session),
            handle: Some(h.handle),
        };
        self.submit(now, req, Origin::App, None)
    }

    /// `hangup`: closes the handle's PeerConnection; the handle stays.
    pub fn hangup(&mut self, now: Instant, h: HandleRef) -> Result<TransactionId, Error> {
        self.check_handle(h)?;
        let req = Request {
            kind: RequestKind::Hangup,
            session: Some(h.session),
            handle: Some(h.handle),
        };
        self.submit(now, req, Origin::App, None)
    }

    /// `detach`: removes the handle. Completes on Janus's `success` or its `detached` event,
    /// whichever comes first; `Event::Detached` is emitted once either way.
    pub fn detach(&mut self, now: Instant, h: HandleRef) -> Result<TransactionId, Error> {
        self.check_handle(h)?;
        let req = Request {
            kind: RequestKind::Detach,
            session: Some(h.session),
            handle: Some(h.handle),
        };
        let tx = self.submit(now, req, Origin::App, None)?;
        if let Some(e) = self.handle_entry_mut(h) {
            e.detach_tx = Some(tx.clone());
        }
        Ok(tx)
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
        }
    }

    fn submit(
        &mut self,
        now: Instant,
        request: Request,
        origin: Origin,
        rollback: Option<SignalingState>,
    ) -> Result<TransactionId, Error> {
        self.advance(now);
        if self.conn == Conn::Down && origin == Origin::App {
            return Err(Error::NotConnected);
        }
        if origin == Origin::App && self.pending.len() >= self.cfg.max_in_flight {
            return Err(Error::TooManyInFlight(self.cfg.max_in_flight));
        }
        let tx = self.new_tx();
        let deadline = self.now + self.cfg.request_timeout;
        self.timers
            .set(Timer::Request(tx.clone()), None, Some(deadline));
        let pending = Pending {
            verb: Verb::of(&request.kind),
            session: request.session,
            handle: request.handle,
            request: Some(request),
            origin,
            deadline,
            acked: false,
            http: None,
            rollback,
        };
        debug!(tx = %tx, verb = ?pending.verb, "request queued");
        self.pending.insert(tx.clone(), pending);
        self.unsent.push_back(tx.clone());
        self.flush(self.now);
        Ok(tx)
    }

    /// Sends queued requests whose session is ready, in order.
    fn flush(&mut self, now: Instant) {
        let Conn::Up { server } = self.conn else {
            return;
        };
        let mut held = VecDeque::new();
        while let Some(tx) = self.unsent.pop_front() {
            let Some(p) = self.pending.get(&tx) else {
                continue;
            };
            let ready = match (p.session, &p.verb) {
                (None, _) => true,
                (Some(_), Verb::Claim) => true,
                (Some(s), _) => self
                    .sessions
                    .get(&s)
                    .is_none_or(|s| s.state == SessionState::Active),
            };
            if ready {
                self.send_now(now, server, &tx);
            } else {
                held.push_back(tx);
            }
        }
        self.unsent = held;
    }

    /// Encodes a pending request for `server` and hands it to the adapter.
    fn send_now(&mut self, now: Instant, server: usize, tx: &TransactionId) {
        let transport = self.cfg.servers[server].transport;
        let Some(request) = self.pending.get_mut(tx).and_then(|p| p.request.take()) else {
            return;
        };
        let text = request.encode(tx, self.auth(), transport == TransportKind::WebSocket);
        trace!(tx = %tx, verb = request.kind.verb(), len = text.len(), "send");
        match transport {
            TransportKind::WebSocket => self.transmits.push_back(Transmit::Ws(text)),
            TransportKind::Http => {
                let id = self.new_request_id();
                self.http.insert(id, HttpPurpose::Request(tx.clone()));
                if let Some(p) = self.pending.get_mut(tx) {
                    p.http = Some(id);
                }
                self.transmits.push_back(Transmit::Http(HttpRequest {
                    id,
                    method: HttpMethod::Post,
                    server,
                    path: request.http_path(),
                    body: Some(text),
                    timeout: self.cfg.request_timeout,
                }));
            }
        }
        let _ = now;
    }

    fn emit(&mut self, e: Event) {
        self.events.push_back(e);
    }

    /// Ends a pending request: removes it, its timer and its HTTP request, and tells the
    /// application when it asked for it. Returns the pending entry for the caller's own use.
    fn finish(
        &mut self,
        tx: &TransactionId,
        result: Result<Reply, RequestError>,
    ) -> Option<Pending> {
        let p = self.pending.remove(tx)?;
        self.timers
            .set(Timer::Request(tx.clone()), Some(p.deadline), None);
        if let Some(id) = p.http {
            if self.http.remove(&id).is_some() && result.is_err() {
                self.transmits.push_back(Transmit::Cancel(id));
            }
        }
        if let (Err(_), Some(prev), Some(s), Some(h)) = (&result, p.rollback, p.session, p.handle) {
            if let Some(e) = self.handle_entry_mut(HandleRef {
                session: s,
                handle: h,
            }) {
                e.negotiation.state = prev;
            }
        }
        debug!(tx = %tx, ok = result.is_ok(), "request done");
        // An explicit claim that got no answer (timeout, transport, garbage) leaves the session
        // not ours, as a refused one does (`on_error`); otherwise it would wait in `Claiming`
        // forever, neither polled nor kept alive.
        let unanswered_claim = p.verb == Verb::Claim
            && p.origin == Origin::App
            && matches!(
                result,
                Err(RequestError::TimedOut { .. }
                    | RequestError::TransportLost
                    | RequestError::Malformed(_))
            );
        if p.origin == Origin::App {
            self.emit(Event::Completed {
                tx: tx.clone(),
                result,
            });
        }
        if let (true, Some(s)) = (unanswered_claim, p.session) {
            self.drop_session(s, None);
        }
        Some(p)
    }

    // ------------------------------------------------------------------ connection

    fn start_round(&mut self, first: usize, round: u32, reconnect: bool) {
        self.conn = Conn::Trying {
            server: first,
            tried: 0,
            round,
            reconnect,
            opened: false,
            probe: None,
        };
        self.open_server();
    }

    fn open_server(&mut self) {
        let Conn::Trying { server, .. } = self.conn else {
            return;
        };
        let s = &self.cfg.servers[server];
        debug!(server, url = %s.url, "trying server");
        match s.transport {
            TransportKind::WebSocket => {
                let timeout = self.cfg.connect_timeout;
                self.transmits.push_back(Transmit::Connect {
                    server,
                    url: s.url.clone(),
                    timeout,
                });
                let at = self.now + timeout;
                self.timers
                    .set(Timer::Connect, self.connect_at.replace(at), Some(at));
            }
            TransportKind::Http => self.send_probe(),
        }
    }

    /// An `info` that proves the server answers (and tells its session timeout).
    fn send_probe(&mut self) {
        let Conn::Trying { server, .. } = self.conn else {
            return;
        };
        let now = self.now;
        let tx = self.new_tx();
        let deadline = now + self.cfg.request_timeout;
        self.timers
            .set(Timer::Request(tx.clone()), None, Some(deadline));
        let request = Request {
            kind: RequestKind::Info,
            session: None,
            handle: None,
        };
        self.pending.insert(
            tx.clone(),
            Pending {
                verb: Verb::Info,
                request: Some(request),
                origin: Origin::Probe,
                session: None,
                handle: None,
                deadline,
                acked: false,
                http: None,
                rollback: None,
            },
        );
        if let Conn::Trying { probe, .. } = &mut self.conn {
            *probe = Some(tx.clone());
        }
        self.send_now(now, server, &tx);
    }

    fn on_opened(&mut self, _now: Instant) {
        match &mut self.conn {
            Conn::Trying {
                opened,
                probe: None,
                ..
            } if !*opened => {
                *opened = true;
                self.timers
                    .set(Timer::Connect, self.connect_at.take(), None);
                self.send_probe();
            }
            other => debug!(conn = ?other, "unexpected opened"),
        }
    }

    fn server_failed(&mut self, now: Instant, reason: &str) {
        let Conn::Trying {
            server,
            tried,
            round,
            reconnect,
            opened,
            probe,
        } = self.conn.clone()
        else {
            return;
        };
        if let Some(tx) = probe {
            self.finish(&tx, Err(RequestError::TransportLost));
        }
        self.timers
            .set(Timer::Connect, self.connect_at.take(), None);
        let url = self.cfg.servers[server].url.clone();
        warn!(server, %url, reason, "server failed");
        if opened {
            self.transmits.push_back(Transmit::Disconnect);
        }
        self.emit(Event::ServerFailed {
            server,
            url,
            reason: reason.to_owned(),
        });
        let n = self.cfg.servers.len();
        if tried + 1 < n {
            self.conn = Conn::Trying {
                server: (server + 1) % n,
                tried: tried + 1,
                round,
                reconnect,
                opened: false,
                probe: None,
            };
            self.open_server();
        } else if reconnect && round + 1 < self.cfg.reconnect.max_rounds {
            let backoff = Backoff::new(
                self.cfg.reconnect.initial_backoff,
                self.cfg.reconnect.max_backoff,
            )
            .delay(round);
            let at = now + backoff;
            self.timers.set(Timer::Reconnect, None, Some(at));
            self.conn = Conn::Waiting {
                first: (server + 1) % n,
                round: round + 1,
                at,
            };
        } else {
            self.give_up(if reconnect {
                DisconnectReason::GaveUp
            } else {
                DisconnectReason::Unreachable
            });
        }
    }

    fn give_up(&mut self, reason: DisconnectReason) {
        self.conn = Conn::Down;
        self.emit(Event::Disconnected { reason });
        let txs: Vec<_> = self.pending.keys().cloned().collect();
        for tx in txs {
            self.finish(&tx, Err(RequestError::TransportLost));
        }
        self.unsent.clear();
        let sessions: Vec<_> = self.sessions.keys().copied().collect();
        for s in sessions {
            self.lose_session(s, SessionLostReason::TransportLost);
        }
    }

    fn on_probe_ok(&mut self, info: ServerInfo) {
        let Conn::Trying {
            server, reconnect, ..
        } = self.conn
        else {
            return;
        };
        let s = &self.cfg.servers[server];
        let (url, transport) = (s.url.clone(), s.transport);
        debug!(server, %url, "connected");
        self.conn = Conn::Up { server };
        self.emit(Event::Connected {
            server,
            url,
            transport,
            info: Box::new(info.clone()),
        });
        self.info = Some(info);
        let now = self.now;
        let ids: Vec<_> = self.sessions.keys().copied().collect();
        for s in ids {
            let state = self.sessions.get(&s).map(|x| x.state);
            if reconnect && state == Some(SessionState::Reconnecting) {
                if let Some(x) = self.sessions.get_mut(&s) {
                    x.state = SessionState::Claiming;
                }
                let _ = self.submit(
                    now,
                    Request {
                        kind: RequestKind::Claim,
                        session: Some(s),
                        handle: None,
                    },
                    Origin::Reclaim,
                    None,
                );
            } else if state == Some(SessionState::Active) {
                self.session_ready(s);
            }
        }
    }

    fn on_closed(&mut self, now: Instant, why: &str) {
        match self.conn.clone() {
            Conn::Trying { .. } => self.server_failed(now, why),
            Conn::Up { server }
                if self.cfg.servers[server].transport == TransportKind::WebSocket =>
            {
                warn!(server, why, "websocket dropped");
                self.emit(Event::Disconnected {
                    reason: DisconnectReason::Dropped(why.to_owned()),
                });
                // Whatever was sent may or may not have been done: say so. Queued requests
                // wait for the reconnect.
                let sent: Vec<_> = self
                    .pending
                    .iter()
                    .filter(|(_, p)| p.request.is_none())
                    .map(|(tx, _)| tx.clone())
                    .collect();
                for tx in sent {
                    self.finish(&tx, Err(RequestError::TransportLost));
                }
                for (id, s) in &mut self.sessions {
                    s.state = SessionState::Reconnecting;
                    self.timers
                        .set(Timer::Keepalive(*id), s.keepalive_at.take(), None);
                }
                if self.cfg.reconnect.max_rounds == 0 {
                    self.give_up(DisconnectReason::GaveUp);
                } else {
                    self.start_round(server, 0, true);
                }
            }
            other => debug!(conn = ?other, why, "close ignored"),
        }
    }

    // ------------------------------------------------------------------ sessions

    /// A session became usable: keep it alive, and long-poll it on HTTP.
    ///
    /// Keepalives go on both transports (janus.js sends them on WebSocket only): a GET held
    /// by Janus does not count as activity while it hangs, so with a `session_timeout`
    /// shorter than Janus's 30 s hold a polled session would time out (recorded in
    /// `tests/fixtures/longpoll/session-timeout-during-hold.json`).
    fn session_ready(&mut self, s: SessionId) {
        let Conn::Up { server } = self.conn else {
            return;
        };
        self.arm_keepalive(s);
        if self.cfg.servers[server].transport == TransportKind::Http {
            self.long_poll(s);
        }
    }

    fn arm_keepalive(&mut self, s: SessionId) {
        let at = self.now + self.keepalive_period();
        if let Some(sess) = self.sessions.get_mut(&s) {
            self.timers
                .set(Timer::Keepalive(s), sess.keepalive_at.replace(at), Some(at));
        }
    }

    fn long_poll(&mut self, s: SessionId) {
        let Conn::Up { server } = self.conn else {
            return;
        };
        let Some(sess) = self.sessions.get(&s) else {
            return;
        };
        if sess.poll.in_flight.is_some() || sess.state != SessionState::Active {
            return;
        }
        let id = self.new_request_id();
        let rid = self.ids.next_u64() >> 12;
        let mut path = format!("/{s}?maxev={}&rid={rid}", self.cfg.long_poll_maxev);
        if let Some(secret) = &self.cfg.apisecret {
            path.push_str("&apisecret=");
            percent_encode(secret.expose(), &mut path);
        }
        if let Some(token) = &self.cfg.token {
            path.push_str("&token=");
            percent_encode(token.expose(), &mut path);
        }
        if let Some(sess) = self.sessions.get_mut(&s) {
            sess.poll.in_flight = Some(id);
        }
        self.http.insert(id, HttpPurpose::Poll(s));
        self.transmits.push_back(Transmit::Http(HttpRequest {
            id,
            method: HttpMethod::Get,
            server,
            path,
            body: None,
            timeout: self.cfg.long_poll_timeout,
        }));
    }

    fn poll_failed(&mut self, now: Instant, s: SessionId, why: &str) {
        let max = self.cfg.max_poll_failures;
        let Some(sess) = self.sessions.get_mut(&s) else {
            return;
        };
        sess.poll.in_flight = None;
        sess.poll.failures += 1;
        warn!(session = %s, failures = sess.poll.failures, why, "long poll failed");
        if sess.poll.failures >= max {
            self.lose_session(s, SessionLostReason::TransportLost);
            return;
        }
        let (initial, max_delay) = self.cfg.long_poll_retry;
        let at = now + Backoff::new(initial, max_delay).delay(sess.poll.failures - 1);
        self.timers.set(
            Timer::PollRetry(s),
            sess.poll.retry_at.replace(at),
            Some(at),
        );
    }

    /// Forgets a session, fails its requests, and tells the application.
    fn lose_session(&mut self, s: SessionId, reason: SessionLostReason) {
        // A session we are destroying that the server no longer knows (its held long poll
        // answered 404 before the POST's success arrived) has simply been destroyed.
        let destroying = self
            .pending
            .iter()
            .find(|(_, p)| p.verb == Verb::Destroy && p.session == Some(s))
            .map(|(tx, _)| tx.clone());
        if let Some(tx) = destroying {
            if matches!(
                reason,
                SessionLostReason::NotFound | SessionLostReason::Timeout
            ) {
                self.finish(&tx, Ok(Reply::SessionDestroyed(s)));
                self.drop_session(s, None);
                return;
            }
        }
        if !self.drop_session(s, Some(&reason)) {
            return;
        }
        self.lost.insert(s, reason.clone());
        self.lost_order.push_back(s);
        if self.lost_order.len() > MAX_LOST_REMEMBERED {
            if let Some(old) = self.lost_order.pop_front() {
                self.lost.remove(&old);
            }
        }
        warn!(session = %s, %reason, "session lost");
        self.emit(Event::SessionLost { session: s, reason });
    }

    /// Removes a session with its timers, long poll and pending requests. `false` if unknown.
    fn drop_session(&mut self, s: SessionId, _reason: Option<&SessionLostReason>) -> bool {
        let Some(sess) = self.sessions.remove(&s) else {
            return false;
        };
        self.timers
            .set(Timer::Keepalive(s), sess.keepalive_at, None);
        self.timers
            .set(Timer::PollRetry(s), sess.poll.retry_at, None);
        if let Some(id) = sess.poll.in_flight {
            self.http.remove(&id);
            self.transmits.push_back(Transmit::Cancel(id));
        }
        let txs: Vec<_> = self
            .pending
            .iter()
            .filter(|(_, p)| p.session == Some(s))
            .map(|(tx, _)| tx.clone())
            .collect();
        for tx in txs {
            self.finish(&tx, Err(RequestError::SessionLost(s)));
        }
        true
    }

    // ------------------------------------------------------------------ timers

    fn on_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.pop_due(now) {
            match timer {
                Timer::Request(tx) => self.request_timed_out(now, &tx),
                Timer::Keepalive(s) => {
                    if let Some(sess) = self.sessions.get_mut(&s) {
                        sess.keepalive_at = None;
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
                Timer::PollRetry(s) => {
                    if let Some(sess) = self.sessions.get_mut(&s) {
                        sess.poll.retry_at = None;
                        self.long_poll(s);
                    }
                }
                Timer::Reconnect => {
                    if let Conn::Waiting { first, round, .. } = self.conn {
                        self.start_round(first, round, true);
                    }
                }
                // Not open in time: the adapter abandons the handshake, the attempt failed.
                Timer::Connect => {
                    self.connect_at = None;
                    self.transmits.push_back(Transmit::Disconnect);
                    self.server_failed(now, "websocket not open in time");
                }
            }
        }
    }

    fn request_timed_out(&mut self, now: Instant, tx: &TransactionId) {
        let Some(p) = self.pending.get(tx) else {
            return;
        };
        let (origin, acked, session) = (p.origin, p.acked, p.session);
        // The request may still be queued behind a reconnect or claim: it is gone either way.
        self.unsent.retain(|t| t != tx);
        // The timer entry was already popped; `finish` tolerates that.
        self.finish(tx, Err(RequestError::TimedOut { acked }));
        match origin {
            Origin::Probe => self.server_failed(now, "no answer to info"),
            Origin::Reclaim => {
                if let Some(s) = session {
                    self.lose_session(s, SessionLostReason::TransportLost);
                }
            }
            Origin::Keepalive => warn!(session = ?session, "keepalive unanswered"),
            Origin::App => {}
        }
    }

    // ------------------------------------------------------------------ received data

    fn on_frame(&mut self, now: Instant, text: &str) {
        let limit = self.cfg.max_message_size;
        if text.len() > limit {
            warn!(
                len = text.len(),
                limit, "websocket message over the size limit"
            );
            self.transmits.push_back(Transmit::Disconnect);
            return self.on_closed(now, "message over the size limit");
        }
        match Incoming::parse(text) {
            Ok(msg) => self.on_message(now, msg, None, None),
            Err(e) => warn!(error = %e, len = text.len(), "unparsable frame skipped"),
        }
    }

    fn on_http_response(&mut self, now: Instant, id: RequestId, resp: HttpResponse<'_>) {
        let limit = self.cfg.max_message_size;
        let too_large = resp.body.len() > limit;
        match self.http.remove(&id) {
            None => debug!(request = %id, "stale http response"),
            Some(HttpPurpose::Request(tx)) if too_large => {
                warn!(
                    len = resp.body.len(),
                    limit, "HTTP body over the size limit"
                );
                if let Some(p) = self.pending.get_mut(&tx) {
                    p.http = None;
                }
                if self.is_probe(&tx) {
                    self.server_failed(now, "HTTP body over the size limit");
                } else {
                    self.finish(&tx, Err(RequestError::TooLarge(limit)));
                }
            }
            Some(HttpPurpose::Poll(s)) if too_large => {
                if let Some(sess) = self.sessions.get_mut(&s) {
                    sess.poll.in_flight = None;
                    self.poll_failed(now, s, "HTTP body over the size limit");
                }
            }
            Some(HttpPurpose::Request(tx)) => {
                if let Some(p) = self.pending.get_mut(&tx) {
                    p.http = None;
                }
                match Incoming::parse(resp.body) {
                    Ok(msg) => self.on_message(now, msg, Some(tx), None),
                    Err(e) => {
                        let why = format!("HTTP {}: {e}", resp.status);
                        if self.is_probe(&tx) {
                            self.server_failed(now, &why);
                        } else {
                            self.finish(&tx, Err(RequestError::Malformed(why)));
                        }
                    }
                }
            }
            Some(HttpPurpose::Poll(s)) => self.on_poll_response(now, s, resp),
        }
    }

    fn on_poll_response(&mut self, now: Instant, s: SessionId, resp: HttpResponse<'_>) {
        if let Some(sess) = self.sessions.get_mut(&s) {
            sess.poll.in_flight = None;
        } else {
            return;
        }
        if resp.status == 404 {
            self.lose_session(s, SessionLostReason::NotFound);
            return;
        }
        let batch = match parse_batch(resp.body) {
            Ok(b) if resp.status < 400 => b,
            Ok(_) | Err(_) => return self.poll_failed(now, s, &format!("HTTP {}", resp.status)),
        };
        // An error in place of events is about the poll itself (bad credentials, or no session).
        if let [
            Ok(Incoming::Error {
                transaction: None,
                error,
                ..
            }),
        ] = batch.as_slice()
        {
            if error.code.is_fatal_for_session() {
                self.lose_session(s, SessionLostReason::NotFound);
            } else {
                let why = error.to_string();
                self.poll_failed(now, s, &why);
            }
            return;
        }
        if let Some(sess) = self.sessions.get_mut(&s) {
            sess.poll.failures = 0;
        }
        for item in batch {
            match item {
                Ok(msg) => self.on_message(now, msg, None, Some(s)),
                Err(e) => warn!(error = %e, "unparsable long-poll element skipped"),
            }
        }
        self.long_poll(s);
    }

    fn on_http_failed(&mut self, now: Instant, id: RequestId, why: &str) {
        match self.http.remove(&id) {
            None => debug!(request = %id, "stale http failure"),
            Some(HttpPurpose::Request(tx)) => {
                if let Some(p) = self.pending.get_mut(&tx) {
                    p.http = None;
                }
                if self.is_probe(&tx) {
                    self.server_failed(now, why);
                } else {
                    self.finish(&tx, Err(RequestError::TransportLost));
                }
            }
            Some(HttpPurpose::Poll(s)) => self.poll_failed(now, s, why),
        }
    }

    fn is_probe(&self, tx: &TransactionId) -> bool {
        matches!(&self.conn, Conn::Trying { probe: Some(p), .. } if p == tx)
    }

    /// Routes one message. `http_tx`: the request whose POST this body answers.
    /// `polled`: the session whose long poll carried it.
    fn on_message(
        &mut self,
        now: Instant,
        msg: Incoming,
        http_tx: Option<TransactionId>,
        polled: Option<SessionId>,
    ) {
        let tx = msg
            .transaction()
            .cloned()
            .filter(|t| self.pending.contains_key(t))
            .or(http_tx);
        match msg {
            Incoming::Ack { hint, .. } => {
                if let Some(tx) = tx {
                    self.on_ack(now, &tx, hint);
                }
            }
            Incoming::Success {
                session,
                sender,
                data,
                plugindata,
                ..
            } => {
                if let Some(tx) = tx {
                    self.on_success(&tx, session, sender, data, plugindata);
                }
            }
            Incoming::Error { session, error, .. } => {
                self.on_error(now, tx, session.or(polled), error)
            }
            Incoming::Pong { .. } => {
                if let Some(tx) = tx {
                    self.finish(&tx, Ok(Reply::Pong));
                }
            }
            Incoming::ServerInfo { info, .. } => match tx {
                Some(tx) if self.is_probe(&tx) => {
                    self.finish(&tx, Ok(Reply::ServerInfo(info.clone())));
                    self.on_probe_ok(*info);
                }
                Some(tx) => {
                    self.finish(&tx, Ok(Reply::ServerInfo(info)));
                }
                None => {}
            },
            Incoming::Event {
                session,
                sender,
                plugindata,
                jsep,
                transaction,
            } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                self.on_plugin_event(h, tx.or(transaction), plugindata, jsep);
            }
            Incoming::WebrtcUp { session, sender } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                if let Some(e) = self.handle_entry_mut(h) {
                    e.webrtc_up = true;
                }
                self.emit(Event::WebrtcUp { handle: h });
            }
            Incoming::Media {
                session,
                sender,
                media,
            } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                self.emit(Event::Media { handle: h, media });
            }
            Incoming::SlowLink {
                session,
                sender,
                link,
            } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                self.emit(Event::SlowLink { handle: h, link });
            }
            Incoming::Hangup {
                session,
                sender,
                reason,
            } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                let mut held = Vec::new();
                if let Some(e) = self.handle_entry_mut(h) {
                    e.webrtc_up = false;
                    held = e.negotiation.reset();
                }
                for trickle in held {
                    self.emit(Event::Trickle { handle: h, trickle });
                }
                self.emit(Event::Hangup { handle: h, reason });
            }
            Incoming::IceFailed { session, sender } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                self.emit(Event::IceFailed { handle: h });
            }
            Incoming::Detached { session, sender } => {
                // A handle this client does not have is not adopted just to be reported gone
                // (a late `detached` after the session was lost and claimed again would
                // report the same handle detached twice).
                let session = session.or(polled);
                let known = session.zip(sender).is_some_and(|(s, h)| {
                    self.sessions
                        .get(&s)
                        .is_some_and(|x| x.handles.contains_key(&h))
                });
                if !known {
                    debug!(?session, ?sender, "detached for an unknown handle skipped");
                    return;
                }
                let Some(h) = self.route(session, sender) else {
                    return;
                };
                self.on_detached(h);
            }
            Incoming::Trickle {
                session,
                sender,
                trickle,
            } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                let now_or_later = match self.handle_entry_mut(h) {
                    Some(e) => e.negotiation.on_remote_trickle(trickle),
                    None => Some(trickle),
                };
                if let Some(trickle) = now_or_later {
                    self.emit(Event::Trickle { handle: h, trickle });
                }
            }
            Incoming::Timeout { session } => {
                if let Some(s) = session.or(polled) {
                    self.lose_session(s, SessionLostReason::Timeout);
                }
            }
            Incoming::Keepalive => {}
            Incoming::Unknown(raw) => {
                let session = raw
                    .get("session_id")
                    .and_then(Value::as_u64)
                    .map(SessionId)
                    .or(polled);
                self.emit(Event::Unknown { session, raw });
            }
        }
    }

    /// The handle an event is for. Events for sessions this client no longer has (destroyed
    /// or lost) are stale and skipped; a handle not seen before in a live session (after a
    /// claim by a fresh client) is adopted.
    fn route(&mut self, session: Option<SessionId>, sender: Option<HandleId>) -> Option<HandleRef> {
        let (Some(session), Some(handle)) = (session, sender) else {
            warn!(?session, ?sender, "event without session or sender skipped");
            return None;
        };
        let Some(s) = self.sessions.get_mut(&session) else {
            debug!(%session, "event for a session no longer here skipped");
            return None;
        };
        if !s.handles.contains_key(&handle) {
            if s.gone.contains(&handle) {
                debug!(%session, %handle, "event for a detached handle skipped");
                return None;
            }
            s.handles
                .insert(handle, HandleEntry::new(String::new(), None));
        }
        Some(HandleRef { session, handle })
    }

    fn on_ack(&mut self, now: Instant, tx: &TransactionId, hint: Option<String>) {
        let Some(p) = self.pending.get_mut(tx) else {
            return;
        };
        match p.verb {
            Verb::Keepalive | Verb::Trickle => {
                self.finish(tx, Ok(Reply::Acked));
            }
            Verb::Message => {
                if p.acked {
                    return;
                }
                p.acked = true;
                let old = p.deadline;
                p.deadline = now + self.cfg.event_timeout;
                let new = p.deadline;
                let app = p.origin == Origin::App;
                self.timers
                    .set(Timer::Request(tx.clone()), Some(old), Some(new));
                if app {
                    self.emit(Event::Acked {
                        tx: tx.clone(),
                        hint,
                    });
                }
            }
            _ => p.acked = true,
        }
    }

    fn on_success(
        &mut self,
        tx: &TransactionId,
        session: Option<SessionId>,
        sender: Option<HandleId>,
        data: Option<Value>,
        plugindata: Option<PluginData>,
    ) {
        let Some(p) = self.pending.get(tx) else {
            return;
        };
        let id = data
            .as_ref()
            .and_then(|d| d.get("id"))
            .and_then(Value::as_u64);
        let (verb, origin, psession, phandle) = (p.verb.clone(), p.origin, p.session, p.handle);
        match verb {
            Verb::Create => {
                let Some(id) = id else {
                    self.finish(
                        tx,
                        Err(RequestError::Malformed(
                            "create success without data.id".into(),
                        )),
                    );
                    return;
                };
                let s = SessionId(id);
                self.lost.remove(&s);
                self.sessions.insert(
                    s,
                    Session {
                        state: SessionState::Active,
                        handles: BTreeMap::new(),
                        gone: VecDeque::new(),
                        keepalive_at: None,
                        poll: Poll::default(),
                    },
                );
                self.finish(tx, Ok(Reply::SessionCreated(s)));
                self.session_ready(s);
            }
            Verb::Claim => {
                let Some(s) = psession else { return };
                if let Some(sess) = self.sessions.get_mut(&s) {
                    sess.state = SessionState::Active;
                }
                self.finish(tx, Ok(Reply::SessionClaimed(s)));
                if origin == Origin::Reclaim {
                    self.emit(Event::SessionReclaimed { session: s });
                }
                self.session_ready(s);
            }
            Verb::Destroy => {
                let Some(s) = psession else { return };
                self.finish(tx, Ok(Reply::SessionDestroyed(s)));
                self.drop_session(s, None);
            }
            Verb::Attach { plugin, opaque_id } => {
                let (Some(s), Some(id)) = (psession, id) else {
                    self.finish(
                        tx,
                        Err(RequestError::Malformed(
                            "attach success without data.id".into(),
                        )),
                    );
                    return;
                };
                let h = HandleRef {
                    session: s,
                    handle: HandleId(id),
                };
                if let Some(sess) = self.sessions.get_mut(&s) {
                    sess.handles
                        .insert(h.handle, HandleEntry::new(plugin, opaque_id));
                }
                self.finish(tx, Ok(Reply::Attached(h)));
            }
            Verb::Detach => {
                let (Some(s), Some(hid)) = (psession, phandle) else {
                    return;
                };
                self.on_detached(HandleRef {
                    session: s,
                    handle: hid,
                });
            }
            Verb::Hangup => {
                let (Some(s), Some(hid)) = (psession, phandle) else {
                    return;
                };
                self.finish(
                    tx,
                    Ok(Reply::HungUp(HandleRef {
                        session: s,
                        handle: hid,
                    })),
                );
            }
            Verb::Message => {
                let (Some(s), Some(hid)) = (psession.or(session), phandle.or(sender)) else {
                    return;
                };
                let h = HandleRef {
                    session: s,
                    handle: hid,
                };
                let data = plugindata.unwrap_or_else(|| PluginData {
                    plugin: self.plugin_of(h),
                    data: Value::Null,
                });
                let result = match data.error() {
                    Some(e) => Err(RequestError::Plugin(e)),
                    None => Ok(Reply::Plugin {
                        handle: h,
                        data,
                        jsep: None,
                    }),
                };
                self.finish(tx, result);
            }
            Verb::Keepalive | Verb::Trickle => {
                self.finish(tx, Ok(Reply::Acked));
            }
            Verb::Info | Verb::Ping => {
                self.finish(
                    tx,
                    Err(RequestError::Malformed(
                        "success where a reply was expected".into(),
                    )),
                );
            }
        }
    }

    fn plugin_of(&self, h: HandleRef) -> String {
        self.sessions
            .get(&h.session)
            .and_then(|s| s.handles.get(&h.handle))
            .map(|e| e.plugin.clone())
            .unwrap_or_default()
    }

    fn on_error(
        &mut self,
        now: Instant,
        tx: Option<TransactionId>,
        session: Option<SessionId>,
        error: JanusError,
    ) {
        let Some(tx) = tx else {
            warn!(%error, "error for no pending request");
            return;
        };
        if self.is_probe(&tx) {
            let why = error.to_string();
            self.server_failed(now, &why);
            return;
        }
        let Some(p) = self.finish(&tx, Err(RequestError::Janus(error.clone()))) else {
            return;
        };
        let session = p.session.or(session);
        match (p.origin, session) {
            (Origin::Reclaim, Some(s)) => {
                self.lose_session(s, SessionLostReason::ClaimRefused(error))
            }
            (_, Some(s)) if error.code.is_fatal_for_session() => {
                self.lose_session(s, SessionLostReason::NotFound)
            }
            (_, Some(s)) if p.verb == Verb::Claim => {
                // A refused explicit claim: the session is not ours.
                self.drop_session(s, None);
            }
            _ => {}
        }
    }

    fn on_plugin_event(
        &mut self,
        h: HandleRef,
        tx: Option<TransactionId>,
        plugindata: Option<PluginData>,
        jsep: Option<Jsep>,
    ) {
        let mut held = Vec::new();
        if let (Some(j), Some(e)) = (&jsep, self.handle_entry_mut(h)) {
            held = e.negotiation.on_remote(j.kind);
        }
        let data = plugindata.unwrap_or_else(|| PluginData {
            plugin: self.plugin_of(h),
            data: Value::Null,
        });
        let answers = tx
            .as_ref()
            .and_then(|t| self.pending.get(t))
            .is_some_and(|p| {
                p.verb == Verb::Message
                    && p.session == Some(h.session)
                    && p.handle == Some(h.handle)
            });
        match tx {
            Some(tx) if answers => {
                let result = match data.error() {
                    Some(e) if jsep.is_none() => Err(RequestError::Plugin(e)),
                    _ => Ok(Reply::Plugin {
                        handle: h,
                        data,
                        jsep,
                    }),
                };
                self.finish(&tx, result);
            }
            tx => self.emit(Event::PluginEvent {
                handle: h,
                tx,
                data,
                jsep,
            }),
        }
        for trickle in held {
            self.emit(Event::Trickle { handle: h, trickle });
        }
    }

    /// The handle is gone (by `detached` or the `success` of `detach`, whichever first).
    fn on_detached(&mut self, h: HandleRef) {
        let Some(session) = self.sessions.get_mut(&h.session) else {
            return;
        };
        let Some(entry) = session.handles.remove(&h.handle) else {
            return;
        };
        session.gone.push_back(h.handle);
        if session.gone.len() > MAX_GONE_HANDLES {
            session.gone.pop_front();
        }
        if let Some(tx) = entry.detach_tx {
            self.finish(&tx, Ok(Reply::Detached(h)));
        }
        // Other requests on the handle cannot be answered any more.
        let txs: Vec<_> = self
            .pending
            .iter()
            .filter(|(_, p)| p.session == Some(h.session) && p.handle == Some(h.handle))
            .map(|(tx, _)| tx.clone())
            .collect();
        for tx in txs {
            let error = JanusError {
                code: crate::error::ErrorCode::HandleNotFound,
                reason: "handle detached".into(),
            };
            self.finish(&tx, Err(RequestError::Janus(error)));
        }
        self.emit(Event::Detached { handle: h });
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
fn percent_encode(s: &str, out: &mut String) {
    use std::fmt::Write as _;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}
