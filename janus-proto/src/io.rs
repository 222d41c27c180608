//! What goes in ([`Input`]) and what comes out ([`Output`], [`Transmit`]).

use std::fmt;
use std::time::{Duration, Instant};

use crate::event::Event;
use crate::id::RequestId;

/// Something that happened outside the core, with the instant it happened.
///
/// Instants must not go backwards; an older one is treated as the latest seen (str0m's rule
/// for `Input::Receive`).
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Time passed. Early or repeated timeouts are harmless no-ops.
    Timeout(Instant),
    /// The WebSocket asked for by [`Transmit::Connect`] is open.
    Opened(Instant),
    /// The WebSocket closed, or could not be opened. The text is for logs.
    Closed(Instant, &'a str),
    /// A text frame arrived on the WebSocket.
    Frame(Instant, &'a str),
    /// An HTTP request handed out as [`Transmit::Http`] got a response.
    HttpResponse(Instant, RequestId, HttpResponse<'a>),
    /// An HTTP request failed without a response (refused, reset, timed out). Text for logs.
    HttpFailed(Instant, RequestId, &'a str),
}

impl Input<'_> {
    /// When it happened.
    pub fn at(&self) -> Instant {
        match *self {
            Self::Timeout(t)
            | Self::Opened(t)
            | Self::Closed(t, _)
            | Self::Frame(t, _)
            | Self::HttpResponse(t, _, _)
            | Self::HttpFailed(t, _, _) => t,
        }
    }
}

/// An HTTP response: status and body text.
#[derive(Debug, Clone, Copy)]
pub struct HttpResponse<'a> {
    /// The status code.
    pub status: u16,
    /// The body, as text.
    pub body: &'a str,
}

/// `GET` or `POST`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// Long poll (and nothing else).
    Get,
    /// Every request.
    Post,
}

/// One HTTP request for the adapter to perform, then report with `Input::HttpResponse` or
/// `Input::HttpFailed` carrying the same `id`.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Hand it back with the response.
    pub id: RequestId,
    /// GET or POST.
    pub method: HttpMethod,
    /// Index of the server in the configured list.
    pub server: usize,
    /// Appended to that server's URL: `""`, `/{session}`, `/{session}/{handle}`, or the
    /// long-poll `/{session}?maxev=..&rid=..`, which carries the `apisecret` and token in
    /// its query when they are configured (Janus reads a long poll's credentials from the
    /// query only): never log it, nor hand it to an HTTP client that does.
    pub path: String,
    /// JSON body of a POST; it carries the credentials too.
    pub body: Option<String>,
    /// Give up after this long and report `Input::HttpFailed`.
    pub timeout: Duration,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.split('?').next().unwrap_or_default();
        f.debug_struct("HttpRequest")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("server", &self.server)
            .field("path", &path)
            .field("body_len", &self.body.as_ref().map(String::len))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Bytes for the adapter to move. Bodies may carry credentials: `Debug` prints lengths only.
#[derive(Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Open a WebSocket with this subprotocol to this server; report `Input::Opened` or
    /// `Input::Closed`. Any previous WebSocket is to be closed first.
    Connect {
        /// Index in the configured server list.
        server: usize,
        /// Its URL.
        url: String,
        /// The subprotocol to ask for (`Sec-WebSocket-Protocol`): `janus-protocol`, or
        /// `janus-admin-protocol` for an Admin API client.
        protocol: &'static str,
        /// The core gives up on this attempt after this long (it then sends
        /// [`Transmit::Disconnect`] and tries the next server); an adapter may use it to bound
        /// a blocking handshake.
        timeout: Duration,
    },
    /// Send this text frame on the open WebSocket. Every request carries the configured
    /// `apisecret` and token: write it through nothing that logs what it writes (both
    /// adapters encode the frame themselves, since tungstenite logs written frames at TRACE).
    Ws(String),
    /// Perform this HTTP request.
    Http(HttpRequest),
    /// Abandon this HTTP request: its answer is no longer wanted.
    Cancel(RequestId),
    /// Close the WebSocket; no `Input::Closed` is expected for it.
    Disconnect,
}

impl fmt::Debug for Transmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect {
                server,
                url,
                protocol,
                timeout,
            } => f
                .debug_struct("Connect")
                .field("server", server)
                .field("url", url)
                .field("protocol", protocol)
                .field("timeout", timeout)
                .finish(),
            Self::Ws(text) => f.debug_struct("Ws").field("len", &text.len()).finish(),
            Self::Http(r) => r.fmt(f),
            Self::Cancel(id) => f.debug_tuple("Cancel").field(id).finish(),
            Self::Disconnect => f.write_str("Disconnect"),
        }
    }
}

/// What the core wants done next. Drain `poll_output` until it returns `Timeout`.
#[derive(Debug)]
#[must_use]
pub enum Output {
    /// Send this.
    Transmit(Transmit),
    /// Tell the application this.
    Event(Event),
    /// Nothing more for now: call `handle_input(Input::Timeout(..))` at this instant, or
    /// earlier when another input arrives. Always the last output of a drain.
    Timeout(Instant),
}
