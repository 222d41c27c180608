//! Sessions and their handles: claim, keepalive, a session's loss (remembered for sticky
//! errors) and removal, and a handle's end.

use std::collections::VecDeque;
use std::time::Instant;

use tracing::warn;

use crate::config::TransportKind;
use crate::error::{Error, JanusError, RequestError};
use crate::event::{Event, Reply, SessionLostReason};
use crate::id::{HandleId, HandleRef, SessionId, TransactionId};
use crate::io::Transmit;
use crate::jsep::{Negotiation, SignalingState};
use crate::msg::{Request, RequestKind};
use crate::timer::Timer;

use super::Client;
use super::connection::Conn;
use super::long_poll::Poll;
use super::request::{Origin, Verb};

/// How many lost sessions are remembered for sticky errors.
const MAX_LOST_REMEMBERED: usize = 1024;

/// How many detached handles a session remembers (to skip their stale events).
const MAX_GONE_HANDLES: usize = 64;

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
pub(super) struct Session {
    pub(super) state: SessionState,
    pub(super) handles: Handles,
    /// Recently detached handles, so that a late `detached` (or other stale event) does
    /// not bring one back.
    pub(super) gone: VecDeque<HandleId>,
    pub(super) poll: Poll,
}

/// A session's handles, in attach order. Most sessions hold one or two, so a vector: a
/// `BTreeMap` allocates a node of eleven entries for the first (~1.2 KiB per session, the
/// largest part of an idle session at 10,000 of them).
#[derive(Debug, Default)]
pub(super) struct Handles(Vec<(HandleId, HandleEntry)>);

impl Handles {
    pub(super) fn contains_key(&self, id: &HandleId) -> bool {
        self.get(id).is_some()
    }

    pub(super) fn get(&self, id: &HandleId) -> Option<&HandleEntry> {
        self.0.iter().find(|(h, _)| h == id).map(|(_, e)| e)
    }

    pub(super) fn get_mut(&mut self, id: &HandleId) -> Option<&mut HandleEntry> {
        self.0.iter_mut().find(|(h, _)| h == id).map(|(_, e)| e)
    }

    /// Adds a handle, or replaces the entry of one we hold.
    pub(super) fn insert(&mut self, id: HandleId, entry: HandleEntry) {
        match self.get_mut(&id) {
            Some(e) => *e = entry,
            None => {
                // Exactly one slot for the first: the common case stays one allocation.
                if self.0.capacity() == 0 {
                    self.0.reserve_exact(1);
                }
                self.0.push((id, entry));
            }
        }
    }

    pub(super) fn remove(&mut self, id: &HandleId) -> Option<HandleEntry> {
        let at = self.0.iter().position(|(h, _)| h == id)?;
        Some(self.0.remove(at).1)
    }

    pub(super) fn keys(&self) -> impl Iterator<Item = &HandleId> {
        self.0.iter().map(|(h, _)| h)
    }
}

#[derive(Debug)]
pub(super) struct HandleEntry {
    pub(super) plugin: String,
    pub(super) opaque_id: Option<String>,
    pub(super) detach_tx: Option<TransactionId>,
    pub(super) webrtc_up: bool,
    pub(super) negotiation: Negotiation,
}

impl HandleEntry {
    pub(super) fn new(plugin: String, opaque_id: Option<String>) -> Self {
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

impl Client {
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
        if previous.is_none() {
            // A session lost earlier comes back knowing which of its handles were detached.
            let gone = self.lost_gone.get(&session).cloned().unwrap_or_default();
            self.sessions.insert(
                session,
                Session {
                    state: SessionState::Claiming,
                    handles: Handles::default(),
                    gone,
                    poll: Poll::default(),
                },
            );
        }
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

    /// A session became usable: keep it alive, and long-poll it on HTTP.
    ///
    /// Keepalives go on both transports (janus.js sends them on WebSocket only): a GET held
    /// by Janus does not count as activity while it hangs, so with a `session_timeout`
    /// shorter than Janus's 30 s hold a polled session would time out (recorded in
    /// `tests/fixtures/longpoll/session-timeout-during-hold.json`).
    pub(super) fn session_ready(&mut self, s: SessionId) {
        let Conn::Up { server } = self.conn else {
            return;
        };
        self.arm_keepalive(s);
        if self.cfg.servers[server].transport == TransportKind::Http {
            self.long_poll(s);
        }
    }

    pub(super) fn arm_keepalive(&mut self, s: SessionId) {
        let at = self.now + self.keepalive_period();
        if self.sessions.contains_key(&s) {
            self.timers.set(Timer::Keepalive(s), at);
        }
    }

    /// Forgets a session, fails its requests, and tells the application.
    pub(super) fn lose_session(&mut self, s: SessionId, reason: SessionLostReason) {
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
        let gone = self.sessions.get(&s).map(|x| x.gone.clone());
        if !self.drop_session(s, Some(&reason)) {
            return;
        }
        self.lost.insert(s, reason.clone());
        self.lost_gone.insert(s, gone.unwrap_or_default());
        self.lost_order.push_back(s);
        if self.lost_order.len() > MAX_LOST_REMEMBERED {
            if let Some(old) = self.lost_order.pop_front() {
                self.lost.remove(&old);
                self.lost_gone.remove(&old);
            }
        }
        warn!(session = %s, %reason, "session lost");
        self.emit(Event::SessionLost { session: s, reason });
    }

    /// Removes a session with its timers, long poll and pending requests. `false` if unknown.
    pub(super) fn drop_session(
        &mut self,
        s: SessionId,
        _reason: Option<&SessionLostReason>,
    ) -> bool {
        let Some(sess) = self.sessions.remove(&s) else {
            return false;
        };
        self.timers.stop(&Timer::Keepalive(s));
        self.timers.stop(&Timer::PollRetry(s));
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

    /// The handle is gone (by `detached` or the `success` of `detach`, whichever first).
    pub(super) fn on_detached(&mut self, h: HandleRef) {
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

    pub(super) fn plugin_of(&self, h: HandleRef) -> String {
        self.sessions
            .get(&h.session)
            .and_then(|s| s.handles.get(&h.handle))
            .map(|e| e.plugin.clone())
            .unwrap_or_default()
    }
}
