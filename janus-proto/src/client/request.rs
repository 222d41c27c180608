//! Requests and their transactions: the public request methods, the pending table, the queue
//! of requests waiting for their session, encoding and sending, the request timeout, and
//! [`Client::finish`], the one way a transaction ends.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde_json::Value;
use tracing::{debug, trace, warn};

use crate::config::TransportKind;
use crate::error::{Error, RequestError};
use crate::event::{Event, Reply, SessionLostReason};
use crate::id::{HandleId, HandleRef, RequestId, SessionId, TransactionId};
use crate::io::{HttpMethod, HttpRequest, Transmit};
use crate::jsep::{Jsep, SignalingState, Trickle};
use crate::msg::{Request, RequestKind};
use crate::timer::Timer;

use super::connection::Conn;
use super::session::SessionState;
use super::{Client, HttpPurpose};

/// How much longer than its request an HTTP POST may take before the adapter gives up on
/// it: the request's deadline comes first.
const HTTP_BACKSTOP: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    App,
    Probe,
    Keepalive,
    Reclaim,
    /// A `destroy` for a session the application let go of, or for [`Client::close`]:
    /// nobody waits for its answer.
    Release,
}

#[derive(Debug)]
pub(super) struct Pending {
    /// Until sent.
    pub(super) request: Option<Request>,
    pub(super) verb: Verb,
    pub(super) origin: Origin,
    pub(super) session: Option<SessionId>,
    pub(super) handle: Option<HandleId>,
    /// An `ack` came (its timer then moved to the event timeout). Kept apart from the timer:
    /// a second ack is skipped, and a timeout says whether the server had acknowledged.
    pub(super) acked: bool,
    pub(super) http: Option<RequestId>,
    /// The signalling state to return to if a message carrying a JSEP fails.
    pub(super) rollback: Option<SignalingState>,
}

/// The completion shape of a request, from its verb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verb {
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
    /// An Admin API request: completes with the whole `success` message.
    Admin,
}

impl Verb {
    pub(super) fn of(kind: &RequestKind) -> Self {
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
            RequestKind::Admin { .. } => Self::Admin,
        }
    }
}

impl Client {
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

    /// An Admin API request (on a client made with
    /// [`ClientConfig::admin_api`](crate::ClientConfig::admin_api)): completes with
    /// [`Reply::Admin`], the `success` message's fields; a refusal is a
    /// [`RequestError::Janus`] (403 for a wrong secret). See [`crate::admin`] for the typed
    /// requests and replies.
    pub fn admin(
        &mut self,
        now: Instant,
        call: crate::admin::Call,
    ) -> Result<TransactionId, Error> {
        if !self.cfg.is_admin() {
            return Err(Error::NotAdmin);
        }
        self.submit(
            now,
            Request {
                kind: RequestKind::Admin {
                    verb: call.verb,
                    fields: call.fields,
                },
                session: call.session,
                handle: call.handle,
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

    /// The application let go of `session` (the adapters call this when its last `Session`
    /// and `Handle` object is dropped): it is destroyed on the server, or, with
    /// [`ClientConfig::destroy_on_drop`](crate::ClientConfig::destroy_on_drop) off, only
    /// forgotten here. Nothing completes for it. Unknown or lost sessions are ignored.
    pub fn release_session(&mut self, now: Instant, session: SessionId) {
        if !self.sessions.contains_key(&session) {
            return;
        }
        if self.cfg.destroy_on_drop {
            let request = Request {
                kind: RequestKind::Destroy,
                session: Some(session),
                handle: None,
            };
            if self.submit(now, request, Origin::Release, None).is_ok() {
                return;
            }
        }
        self.drop_session(session, None);
    }

    /// Closes the client (janus.js `destroy()`): every session still here is released as
    /// by [`release_session`](Self::release_session); once their `destroy`s have ended
    /// (answered, refused or timed out) the connection closes and [`Event::Closed`] comes
    /// out, at the latest one request timeout from now.
    pub fn close(&mut self, now: Instant) {
        if self.closing {
            return;
        }
        self.closing = true;
        let sessions: Vec<_> = self.sessions.keys().copied().collect();
        for s in sessions {
            self.release_session(now, s);
        }
        self.check_closed();
    }

    /// Emits `Closed` once a close has no `destroy` left in flight.
    fn check_closed(&mut self) {
        let releasing = self.pending.values().any(|p| p.origin == Origin::Release);
        if self.closing && !self.closed && !releasing {
            self.closed = true;
            self.transmits.push_back(Transmit::Disconnect);
            self.emit(Event::Closed);
        }
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

    pub(super) fn submit(
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
        self.timers.set(Timer::Request(tx.clone()), deadline);
        let pending = Pending {
            verb: Verb::of(&request.kind),
            session: request.session,
            handle: request.handle,
            request: Some(request),
            origin,
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
    pub(super) fn flush(&mut self, now: Instant) {
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
    pub(super) fn send_now(&mut self, now: Instant, server: usize, tx: &TransactionId) {
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
                    // The request's own timer ends it (`TimedOut`, and the POST cancelled);
                    // the POST's timeout is only a backstop after that, so that an adapter's
                    // timer firing first cannot turn a timeout into `TransportLost`.
                    timeout: self.cfg.request_timeout + HTTP_BACKSTOP,
                }));
            }
        }
        let _ = now;
    }

    /// Ends a pending request: removes it, its timer and its HTTP request, and tells the
    /// application when it asked for it. Returns the pending entry for the caller's own use.
    pub(super) fn finish(
        &mut self,
        tx: &TransactionId,
        result: Result<Reply, RequestError>,
    ) -> Option<Pending> {
        let p = self.pending.remove(tx)?;
        self.timers.stop(&Timer::Request(tx.clone()));
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
        let failed = result.is_err();
        if p.origin == Origin::App {
            self.emit(Event::Completed {
                tx: tx.clone(),
                result,
            });
        }
        if let (true, Some(s)) = (unanswered_claim, p.session) {
            self.drop_session(s, None);
        }
        if p.origin == Origin::Release {
            // Refused or unanswered, the session is no longer the application's either.
            if let (true, Some(s)) = (failed, p.session) {
                self.drop_session(s, None);
            }
            self.check_closed();
        }
        Some(p)
    }

    pub(super) fn request_timed_out(&mut self, now: Instant, tx: &TransactionId) {
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
            Origin::App | Origin::Release => {}
        }
    }
}
