//! Events for the application: replies to its requests and everything Janus tells it.
//! janus.js's callbacks become variants.

use std::fmt;

use serde_json::Value;

use crate::config::TransportKind;
use crate::error::{JanusError, RequestError};
use crate::id::{HandleRef, SessionId, TransactionId};
use crate::jsep::{Jsep, Trickle};
use crate::msg::{MediaState, PluginData, ServerInfo, SlowLink};

/// The successful result of a request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// `info`.
    ServerInfo(Box<ServerInfo>),
    /// `ping`.
    Pong,
    /// `create`: the new session (it is already kept alive or polled).
    SessionCreated(SessionId),
    /// `claim`: the session now belongs to this transport.
    SessionClaimed(SessionId),
    /// `destroy`.
    SessionDestroyed(SessionId),
    /// `attach`: the new handle.
    Attached(HandleRef),
    /// `message`: the plugin's reply, synchronous (`success`) or asynchronous (`event` with
    /// the same transaction), whichever Janus used.
    Plugin {
        /// The handle that answered.
        handle: HandleRef,
        /// What the plugin said.
        data: PluginData,
        /// Its session description, if any.
        jsep: Option<Jsep>,
    },
    /// `detach`: the handle is gone.
    Detached(HandleRef),
    /// `hangup`: the PeerConnection is closing.
    HungUp(HandleRef),
    /// `keepalive` or `trickle`: Janus acknowledged it.
    Acked,
    /// An Admin API request succeeded: the `success` message's fields but `janus` and
    /// `transaction` (`sessions`, `handles`, `info`, `data`, `level`, ...; see
    /// [`crate::admin`] for them typed).
    Admin(serde_json::Map<String, Value>),
}

/// A plugin's answer to a message: its data and, possibly, a JSEP.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginReply {
    /// What the plugin said.
    pub data: PluginData,
    /// Its session description.
    pub jsep: Option<Jsep>,
}

/// The reply a call expects, taken out of [`Reply`]: one home for "this request answers
/// with that", so that no adapter matches replies itself. A reply of another kind is a
/// [`RequestError::Malformed`] (Janus answered a request with something else).
impl Reply {
    /// The session of a `create` or `claim`.
    pub fn into_session(self) -> Result<SessionId, RequestError> {
        match self {
            Self::SessionCreated(s) | Self::SessionClaimed(s) => Ok(s),
            other => Err(other.unexpected()),
        }
    }

    /// The handle of an `attach`.
    pub fn into_handle(self) -> Result<HandleRef, RequestError> {
        match self {
            Self::Attached(h) => Ok(h),
            other => Err(other.unexpected()),
        }
    }

    /// The server's `info`.
    pub fn into_server_info(self) -> Result<ServerInfo, RequestError> {
        match self {
            Self::ServerInfo(i) => Ok(*i),
            other => Err(other.unexpected()),
        }
    }

    /// The plugin's answer to a `message`.
    pub fn into_plugin(self) -> Result<PluginReply, RequestError> {
        match self {
            Self::Plugin { data, jsep, .. } => Ok(PluginReply { data, jsep }),
            other => Err(other.unexpected()),
        }
    }

    /// The fields of an Admin API `success` ([`crate::admin`] decodes them).
    pub fn into_admin(self) -> Result<serde_json::Map<String, Value>, RequestError> {
        match self {
            Self::Admin(fields) => Ok(fields),
            other => Err(other.unexpected()),
        }
    }

    fn unexpected(&self) -> RequestError {
        RequestError::Malformed(format!("unexpected reply {self:?}"))
    }
}

/// Why a session ended without the application destroying it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionLostReason {
    /// Janus sent `timeout`: no keepalive in time.
    Timeout,
    /// Janus says it does not know the session (458): it timed out, or the server restarted.
    NotFound,
    /// The transport failed and did not come back in time (long poll failures, or WebSocket
    /// reconnect rounds exhausted).
    TransportLost,
    /// The session could not be claimed after a reconnect.
    ClaimRefused(JanusError),
}

impl fmt::Display for SessionLostReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("timed out on the server"),
            Self::NotFound => f.write_str("not found on the server"),
            Self::TransportLost => f.write_str("transport lost"),
            Self::ClaimRefused(e) => write!(f, "claim refused: {e}"),
        }
    }
}

/// Why the client is not connected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// No server of the list answered.
    Unreachable,
    /// The WebSocket dropped: the server closed it (with whatever close code: 1000, 1001,
    /// 1011, 4000, ... all mean the same here), the connection failed, or a message was over
    /// [`ClientConfig::max_message_size`](crate::ClientConfig::max_message_size) or was a
    /// text frame that is not UTF-8. A reconnect follows, then a `claim` of every session
    /// ([`Event::SessionReclaimed`] each), unless
    /// [`Reconnect::max_rounds`](crate::Reconnect::max_rounds) is 0: then
    /// [`DisconnectReason::GaveUp`] follows at once and the sessions are lost. The text is
    /// for logs; after a close frame of the server both adapters write `closed by the server:
    /// <code> <reason>`.
    Dropped(String),
    /// The WebSocket dropped and every reconnect round failed.
    GaveUp,
}

impl DisconnectReason {
    /// [`Dropped`](Self::Dropped) after the server's close frame (its code and reason), or
    /// a close without one: the text both adapters give the core.
    ///
    /// ```
    /// use janus_proto::DisconnectReason;
    /// let reason = DisconnectReason::closed_by_server(Some((1011, "bye")));
    /// assert_eq!(reason, DisconnectReason::Dropped("closed by the server: 1011 bye".into()));
    /// ```
    pub fn closed_by_server(close: Option<(u16, &str)>) -> Self {
        Self::Dropped(match close {
            Some((code, reason)) => format!("closed by the server: {code} {reason}"),
            None => "closed by the server: no close code".into(),
        })
    }

    /// The text of a [`Dropped`](Self::Dropped) (what an adapter hands the core), empty
    /// for the others.
    pub fn text(&self) -> &str {
        match self {
            Self::Dropped(text) => text,
            _ => "",
        }
    }
}

/// Something the application should hear about.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    // --- connection ---
    /// A server answered: requests flow through it now.
    Connected {
        /// Index in the server list.
        server: usize,
        /// Its URL.
        url: String,
        /// Its transport.
        transport: TransportKind,
        /// What it said of itself.
        info: Box<ServerInfo>,
    },
    /// A server of the list did not answer; the next one is tried.
    ServerFailed {
        /// Index in the server list.
        server: usize,
        /// Its URL.
        url: String,
        /// What happened (for logs).
        reason: String,
    },
    /// The connection is gone (see the reason for whether it comes back).
    Disconnected {
        /// Why.
        reason: DisconnectReason,
    },
    /// After a reconnect, the session was claimed again on the new connection.
    SessionReclaimed {
        /// The session.
        session: SessionId,
    },

    // --- requests ---
    /// A request ended: exactly one of these for every transaction a call returned.
    Completed {
        /// The transaction the call returned.
        tx: TransactionId,
        /// The reply, or why there is none.
        result: Result<Reply, RequestError>,
    },
    /// Janus acknowledged a plugin message; its result follows as `Completed`.
    Acked {
        /// The message's transaction.
        tx: TransactionId,
        /// Janus's note, if any.
        hint: Option<String>,
    },

    // --- sessions and handles ---
    /// The session is gone; calls on it now fail with `Error::SessionLost`.
    SessionLost {
        /// The session.
        session: SessionId,
        /// Why.
        reason: SessionLostReason,
    },
    /// A plugin spoke on its own (janus.js `onmessage`), or spoke again on a transaction
    /// already answered, or on one this client never sent: `tx` is then that transaction,
    /// and no request is completed by it. (A `success`, `ack` or `pong` with such a
    /// transaction answers nothing and is skipped.) An event for a handle this client does
    /// not know, in a live session, goes to that session's queue in both adapters.
    PluginEvent {
        /// The handle.
        handle: HandleRef,
        /// The transaction it refers to, if any.
        tx: Option<TransactionId>,
        /// What the plugin said.
        data: PluginData,
        /// Its session description, if any.
        jsep: Option<Jsep>,
    },
    /// ICE and DTLS are up (janus.js `webrtcState(true)`).
    WebrtcUp {
        /// The handle.
        handle: HandleRef,
    },
    /// Janus started or stopped receiving a medium (janus.js `mediaState`).
    Media {
        /// The handle.
        handle: HandleRef,
        /// What changed.
        media: MediaState,
    },
    /// Janus saw many losses (janus.js `slowLink`).
    SlowLink {
        /// The handle.
        handle: HandleRef,
        /// Which way, how bad.
        link: SlowLink,
    },
    /// The PeerConnection closed (janus.js `webrtcState(false, reason)`).
    Hangup {
        /// The handle.
        handle: HandleRef,
        /// Janus's reason.
        reason: Option<String>,
    },
    /// ICE failed (Janus `ice-failed`; a hangup usually follows).
    IceFailed {
        /// The handle.
        handle: HandleRef,
    },
    /// The handle is gone (janus.js `ondetached`), whoever asked for it.
    Detached {
        /// The handle.
        handle: HandleRef,
    },
    /// A remote candidate, or the end of them, delivered after the remote description it
    /// belongs to.
    Trickle {
        /// The handle.
        handle: HandleRef,
        /// The candidate.
        trickle: Trickle,
    },
    /// [`Client::close`](crate::Client::close) is done: every session it had to destroy is
    /// destroyed (or its request ended), the connection is closing. Nothing follows.
    Closed,
    /// A message this crate does not know yet, as it came (never dropped).
    Unknown {
        /// The session it named, if any.
        session: Option<SessionId>,
        /// The raw JSON.
        raw: Value,
    },
}

/// Where an event belongs, for embedders that hand events to per-session or per-handle
/// queues (both adapters do): a waiting request, a handle, a session, or the client itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// The connection as a whole.
    Client,
    /// One session (its loss, its reclaim, or an unknown message that names it).
    Session(SessionId),
    /// One handle.
    Handle(HandleRef),
    /// The caller waiting for this request.
    Transaction(&'a TransactionId),
}

impl Event {
    /// A short name of the event's kind, for counters and logs: Janus's own `janus` type for
    /// what comes from the wire (`webrtcup`, `media`, `slowlink`, `hangup`, `detached`,
    /// `event` for a plugin's, `trickle`, ...), and the client's own for the rest
    /// (`connected`, `server-failed`, `disconnected`, `reclaimed`, `completed`, `ack`,
    /// `session-lost`, `closed`, `unknown`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Connected { .. } => "connected",
            Self::ServerFailed { .. } => "server-failed",
            Self::Disconnected { .. } => "disconnected",
            Self::SessionReclaimed { .. } => "reclaimed",
            Self::Completed { .. } => "completed",
            Self::Acked { .. } => "ack",
            Self::SessionLost { .. } => "session-lost",
            Self::PluginEvent { .. } => "event",
            Self::WebrtcUp { .. } => "webrtcup",
            Self::Media { .. } => "media",
            Self::SlowLink { .. } => "slowlink",
            Self::Hangup { .. } => "hangup",
            Self::IceFailed { .. } => "ice-failed",
            Self::Detached { .. } => "detached",
            Self::Trickle { .. } => "trickle",
            Self::Closed => "closed",
            Self::Unknown { .. } => "unknown",
        }
    }

    /// Where this event belongs.
    ///
    /// ```
    /// use janus_proto::{Event, HandleId, HandleRef, Route, SessionId};
    /// let handle = HandleRef { session: SessionId(1), handle: HandleId(2) };
    /// assert_eq!(Event::WebrtcUp { handle }.route(), Route::Handle(handle));
    /// ```
    pub fn route(&self) -> Route<'_> {
        match self {
            Self::Connected { .. }
            | Self::ServerFailed { .. }
            | Self::Disconnected { .. }
            | Self::Closed => Route::Client,
            Self::Unknown { session: None, .. } => Route::Client,
            Self::Unknown {
                session: Some(s), ..
            }
            | Self::SessionReclaimed { session: s }
            | Self::SessionLost { session: s, .. } => Route::Session(*s),
            Self::Completed { tx, .. } | Self::Acked { tx, .. } => Route::Transaction(tx),
            Self::PluginEvent { handle, .. }
            | Self::WebrtcUp { handle }
            | Self::Media { handle, .. }
            | Self::SlowLink { handle, .. }
            | Self::Hangup { handle, .. }
            | Self::IceFailed { handle }
            | Self::Detached { handle }
            | Self::Trickle { handle, .. } => Route::Handle(*handle),
        }
    }
}
