//! The error of a Janus client with WebRTC: what a call on either adapter can fail with.
//!
//! It lives here, not in each adapter, because both adapters fail in exactly the same ways
//! and must name them the same; `janus-rtc` is the lowest crate that knows both the
//! signalling errors (`janus-proto`) and the WebRTC ones ([`Error`](crate::Error)). Both
//! adapters re-export it as their `Error`.

use janus_proto::{ErrorCode, RequestError};

/// What a call on a `janus-tokio` or `janus-blocking` client, session, handle or peer can
/// fail with.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The core refused the call before sending anything (unknown handle, session lost,
    /// too many requests in flight, JSEP out of order, ...).
    #[error(transparent)]
    Local(#[from] janus_proto::Error),
    /// The request was sent and failed: a Janus error, a plugin error, a timeout, or the
    /// loss of the transport or the session.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// No server of the list could be reached.
    #[error("no server answered: {0}")]
    Unreachable(String),
    /// The TLS configuration is unusable (e.g. a root certificate does not parse).
    #[error("TLS configuration: {0}")]
    Tls(String),
    /// Waiting for an event took longer than asked.
    #[error("timed out waiting")]
    Timeout,
    /// The WebRTC side refused (bad SDP from Janus, unknown mid or channel, closed
    /// connection, ...).
    #[error(transparent)]
    Rtc(#[from] crate::Error),
    /// The handle carries no WebRTC connection (give it one with `Handle::add_peer`).
    #[error("this handle has no WebRTC connection")]
    NoPeer,
    /// The handle carries a WebRTC connection already (one per handle, as in janus.js).
    #[error("this handle has a WebRTC connection already")]
    PeerExists,
    /// A connection was asked to bind no local address at all (an empty list).
    #[error("no local address to bind")]
    NoLocalAddress,
    /// A socket, a thread or a task could not be set up.
    #[error("I/O: {0}")]
    Io(String),
    /// The client is closed (its driver ended), or the peer's.
    #[error("client closed")]
    Closed,
    /// The SIP side refused (the SIP plugin's workflows): a registrar's answer to a
    /// `REGISTER`, a callee's to an `INVITE`, with its SIP status (0 when the plugin gave
    /// none).
    #[error("SIP {code} {reason}")]
    Sip {
        /// The SIP status code (`403`, `486`, ...).
        code: u16,
        /// Its reason phrase.
        reason: String,
    },
}

impl From<janus_proto::plugin::sip::SipStatus> for ClientError {
    fn from(status: janus_proto::plugin::sip::SipStatus) -> Self {
        Self::Sip {
            code: status.code.unwrap_or(0),
            reason: status.reason.unwrap_or_default(),
        }
    }
}

impl ClientError {
    /// The Janus core error code, if Janus answered with one.
    pub fn janus_code(&self) -> Option<ErrorCode> {
        match self {
            Self::Request(RequestError::Janus(e)) => Some(e.code),
            _ => None,
        }
    }

    /// The plugin's own `error_code`, if the plugin answered with one.
    pub fn plugin_code(&self) -> Option<u16> {
        match self {
            Self::Request(RequestError::Plugin(e)) => Some(e.code),
            _ => None,
        }
    }

    /// Whether a deadline passed (a request's, or an event wait's).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            Self::Timeout | Self::Request(RequestError::TimedOut { .. })
        )
    }
}
