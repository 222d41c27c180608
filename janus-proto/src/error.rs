//! Errors: local misuse (returned from calls), Janus's own error codes, and request failures
//! (delivered as events).

use std::fmt;

use crate::id::{HandleRef, SessionId};

/// A core API error code from janus-gateway's `apierror.h` (Janus 1.1.x).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 403: missing or wrong `apisecret` or `token`.
    Unauthorized,
    /// 405: the token may not attach to this plugin.
    UnauthorizedPlugin,
    /// 450: transport-specific error.
    TransportSpecific,
    /// 452: the request is missing.
    MissingRequest,
    /// 453: unknown request.
    UnknownRequest,
    /// 454: the body is not valid JSON.
    InvalidJson,
    /// 455: the JSON is not an object.
    InvalidJsonObject,
    /// 456: a mandatory element is missing.
    MissingMandatoryElement,
    /// 457: the request is not valid for this path.
    InvalidRequestPath,
    /// 458: no such session (it timed out, was destroyed, or never existed).
    SessionNotFound,
    /// 459: no such handle in this session.
    HandleNotFound,
    /// 460: no such plugin.
    PluginNotFound,
    /// 461: the plugin refused the attach.
    PluginAttach,
    /// 462: the plugin could not handle the message.
    PluginMessage,
    /// 463: the plugin failed to detach.
    PluginDetach,
    /// 464: unknown JSEP type.
    JsepUnknownType,
    /// 465: the SDP in the JSEP is invalid.
    JsepInvalidSdp,
    /// 466: trickle for a stream that does not exist.
    TrickleInvalidStream,
    /// 467: an element has the wrong type.
    InvalidElementType,
    /// 468: the forced session id is in use.
    SessionConflict,
    /// 469: an answer arrived where none was expected.
    UnexpectedAnswer,
    /// 470: the token is not known.
    TokenNotFound,
    /// 471: the request does not fit the handle's WebRTC state.
    WebrtcState,
    /// 472: the server accepts no new sessions.
    NotAcceptingSessions,
    /// 490: unknown error.
    Unknown,
    /// Any other number (a newer Janus, or a plugin's own code).
    Other(u16),
}

impl ErrorCode {
    /// The number Janus uses on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::Unauthorized => 403,
            Self::UnauthorizedPlugin => 405,
            Self::TransportSpecific => 450,
            Self::MissingRequest => 452,
            Self::UnknownRequest => 453,
            Self::InvalidJson => 454,
            Self::InvalidJsonObject => 455,
            Self::MissingMandatoryElement => 456,
            Self::InvalidRequestPath => 457,
            Self::SessionNotFound => 458,
            Self::HandleNotFound => 459,
            Self::PluginNotFound => 460,
            Self::PluginAttach => 461,
            Self::PluginMessage => 462,
            Self::PluginDetach => 463,
            Self::JsepUnknownType => 464,
            Self::JsepInvalidSdp => 465,
            Self::TrickleInvalidStream => 466,
            Self::InvalidElementType => 467,
            Self::SessionConflict => 468,
            Self::UnexpectedAnswer => 469,
            Self::TokenNotFound => 470,
            Self::WebrtcState => 471,
            Self::NotAcceptingSessions => 472,
            Self::Unknown => 490,
            Self::Other(n) => n,
        }
    }

    /// After this error the session is gone on the server: further requests on it are useless.
    pub fn is_fatal_for_session(self) -> bool {
        matches!(self, Self::SessionNotFound)
    }
}

impl From<u16> for ErrorCode {
    fn from(n: u16) -> Self {
        match n {
            403 => Self::Unauthorized,
            405 => Self::UnauthorizedPlugin,
            450 => Self::TransportSpecific,
            452 => Self::MissingRequest,
            453 => Self::UnknownRequest,
            454 => Self::InvalidJson,
            455 => Self::InvalidJsonObject,
            456 => Self::MissingMandatoryElement,
            457 => Self::InvalidRequestPath,
            458 => Self::SessionNotFound,
            459 => Self::HandleNotFound,
            460 => Self::PluginNotFound,
            461 => Self::PluginAttach,
            462 => Self::PluginMessage,
            463 => Self::PluginDetach,
            464 => Self::JsepUnknownType,
            465 => Self::JsepInvalidSdp,
            466 => Self::TrickleInvalidStream,
            467 => Self::InvalidElementType,
            468 => Self::SessionConflict,
            469 => Self::UnexpectedAnswer,
            470 => Self::TokenNotFound,
            471 => Self::WebrtcState,
            472 => Self::NotAcceptingSessions,
            490 => Self::Unknown,
            n => Self::Other(n),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// An error reply from the Janus core: `{"janus":"error","error":{"code":..,"reason":..}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("janus error {code}: {reason}")]
pub struct JanusError {
    /// The code, as in `apierror.h`.
    pub code: ErrorCode,
    /// Janus's text for it.
    pub reason: String,
}

/// A plugin's own error, reported inside `plugindata.data` as `error_code` and `error`.
/// Each plugin has its own range of codes (e.g. VideoRoom 421-439, EchoTest 411-414).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plugin error {code}: {reason}")]
pub struct PluginError {
    /// The plugin's `error_code`.
    pub code: u16,
    /// The plugin's `error` text.
    pub reason: String,
}

/// Why a request did not complete with a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// Janus answered with an error.
    #[error(transparent)]
    Janus(#[from] JanusError),
    /// The plugin answered, but with its own error (`error_code` in `plugindata.data`).
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// No reply arrived in time. `acked` says whether Janus had acknowledged it.
    ///
    /// Also the end of a request whose answer came on a WebSocket as a frame that is not
    /// JSON (truncated, say): such a frame names no transaction that could be failed, so it
    /// is logged and skipped, and the request waits for its deadline. A server that sends
    /// its answer slower than the deadline (one byte a second) ends here too, on both
    /// transports; the connection is kept, and the late answer, once whole, answers nothing.
    #[error("request timed out (acked: {acked})")]
    TimedOut {
        /// Whether an `ack` had arrived before the deadline.
        acked: bool,
    },
    /// The transport went away with the request in flight; Janus may or may not have acted on it.
    ///
    /// This includes an answer the transport could not read as text: a WebSocket text frame
    /// that is not UTF-8 fails the connection (RFC 6455 section 8.1: the client reconnects and
    /// claims its sessions, as after any drop), and an HTTP answer whose body is not UTF-8
    /// fails that exchange only.
    #[error("transport lost with the request in flight")]
    TransportLost,
    /// The session the request belonged to ended first.
    #[error("session {0} ended with the request in flight")]
    SessionLost(SessionId),
    /// The reply could not be understood: over HTTP, a body that is not a Janus message (a
    /// truncated one, a proxy's `404`, `500` or `502` page: the text starts with `HTTP
    /// <status>`), or one naming another request's transaction. Redirects (`301`, `302`,
    /// `307`, ...) are not followed, by either adapter: they end here too, since following
    /// one would send the request, and its `apisecret` and token, somewhere not configured.
    /// On a long poll the same answers count as a failed poll instead
    /// ([`ClientConfig::max_poll_failures`](crate::ClientConfig::max_poll_failures); a `404`
    /// loses the session as [`SessionLostReason::NotFound`](crate::SessionLostReason::NotFound)).
    #[error("malformed reply: {0}")]
    Malformed(String),
    /// The reply was larger than [`ClientConfig::max_message_size`](crate::ClientConfig::max_message_size)
    /// allows (the limit, in bytes).
    #[error("reply over {0} bytes")]
    TooLarge(usize),
}

/// What a call on the [`Client`](crate::Client) refuses locally, before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The session is not known to this client (never created, destroyed, or lost).
    #[error("unknown session {0}")]
    UnknownSession(SessionId),
    /// The handle is not known to this client.
    #[error("unknown handle {0}")]
    UnknownHandle(HandleRef),
    /// The session was lost; every call on it now returns this.
    #[error("session {session} lost: {reason}")]
    SessionLost {
        /// The lost session.
        session: SessionId,
        /// Why it was lost.
        reason: crate::event::SessionLostReason,
    },
    /// The pending-transaction table is full (`ClientConfig::max_in_flight`).
    #[error("too many requests in flight ({0})")]
    TooManyInFlight(usize),
    /// The client gave up on every server; it must be reconnected with `connect`.
    #[error("not connected")]
    NotConnected,
    /// The request does not fit the handle's negotiation state (e.g. an answer without an offer).
    #[error(transparent)]
    Negotiation(#[from] crate::jsep::NegotiationError),
    /// An Admin API request on a client of the Janus API (see
    /// [`ClientConfig::admin_api`](crate::ClientConfig::admin_api)).
    #[error("an Admin API request needs a client made with ClientConfig::admin_api")]
    NotAdmin,
    /// A request body could not be serialised.
    #[error("cannot serialise request: {0}")]
    Serialize(String),
}

impl Error {
    /// Whether the call was refused for its JSEP not fitting the negotiation state.
    pub fn is_negotiation(&self) -> bool {
        matches!(self, Self::Negotiation(_))
    }
}

/// A message from the server that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot parse message from Janus: {0}")]
pub struct ParseError(pub String);
