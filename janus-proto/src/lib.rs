//! Sans-IO signalling core for the Janus WebRTC Server.
//!
//! This crate decides everything a Janus client says on the wire and keeps the state of
//! sessions, plugin handles and transactions. It is fully deterministic: it owns no socket,
//! reads no clock, draws no randomness of its own (transaction ids come from an injected
//! [`IdSource`], seeded by the embedder), spawns no thread and has no `async`. Time and
//! received data go in as [`Input`]s; bytes to send, the next deadline and application
//! [`Event`]s come out of [`Client::poll_output`]. The adapters (`janus-tokio`,
//! `janus-blocking`, or your own event loop) only move bytes and wake the core on time.
//!
//! # The run loop
//!
//! **After every call that takes `now` (a command or `handle_input`), drain
//! [`Client::poll_output`] until it returns [`Output::Timeout`].** Outputs come in this order:
//! transmits, then events, then the deadline. Instants must not go backwards.
//!
//! ```no_run
//! use std::time::Instant;
//! use janus_proto::{Client, ClientConfig, Event, Input, Output, Reply, Transmit};
//!
//! # fn wait_for_input(_deadline: Instant) -> Option<String> { None }
//! # fn send_frame(_text: String) {}
//! let config = ClientConfig::new(["ws://127.0.0.1:8188"]).unwrap().seed(42);
//! let mut client = Client::new(config, Instant::now());
//! client.connect(Instant::now());
//! loop {
//!     let deadline = loop {
//!         match client.poll_output() {
//!             Output::Transmit(Transmit::Ws(text)) => send_frame(text),
//!             Output::Transmit(other) => { /* open the socket, HTTP, ... */ let _ = other; }
//!             Output::Event(Event::Connected { .. }) => {
//!                 client.create_session(Instant::now()).unwrap();
//!             }
//!             Output::Event(Event::Completed { result: Ok(Reply::SessionCreated(s)), .. }) => {
//!                 client.attach(Instant::now(), s, "janus.plugin.echotest", None).unwrap();
//!             }
//!             Output::Event(_other) => {}
//!             Output::Timeout(at) => break at,
//!         }
//!     };
//!     match wait_for_input(deadline) {
//!         Some(frame) => client.handle_input(Input::Frame(Instant::now(), &frame)),
//!         None => client.handle_input(Input::Timeout(Instant::now())),
//!     }
//! }
//! ```
//!
//! # What it covers
//!
//! - Requests: `create` (optionally with an id), `attach`, `message` (+ JSEP), `trickle`
//!   (one, many, completed), `keepalive`, `detach`, `hangup`, `destroy`, `claim`, `info`, `ping`;
//!   `apisecret` and `token` on each, never in `Debug` output.
//! - Transactions: exactly one [`Event::Completed`] per request: a reply, a Janus error with its
//!   typed code, a plugin error, a timeout, or the loss of the transport or session. A plugin
//!   message completes on a synchronous `success` or on the `event` after its `ack`, whichever
//!   order they arrive in.
//! - Sessions: keepalives on both transports (period derived from the server's
//!   `session-timeout`; a GET that Janus holds does not count as activity), one long poll per
//!   session on HTTP (`maxev` batches, configurable backoff after errors), the server's
//!   `timeout`, reconnect with automatic `claim`.
//! - Deadlines and limits, the same for every adapter: request and event timeouts, the
//!   WebSocket connect deadline, the largest message accepted (`ClientConfig`).
//! - Event delivery for embedders with per-session and per-handle queues: [`router`].
//! - Server list with fallback, in order; the `Connected` event names the server used.
//! - Handles: events routed by `sender`; WebRTC state from `webrtcup`/`hangup`; the JSEP
//!   negotiation state (who may offer, glare, early remote candidates held).
//!
//! # Where things live
//!
//! - `client/`: the [`Client`], one `impl Client` per concept. `mod.rs`: the struct, getters,
//!   `handle_input`/`poll_output`/`poll_timeout` and the timer dispatch; `request.rs`: the
//!   request methods, the pending transactions, queueing, sending, the request timeout and
//!   `finish`; `connection.rs`: the server list, open and probe, the connect deadline,
//!   fallback, reconnect rounds, giving up; `session.rs`: sessions and handles, claim,
//!   keepalive, losing a session; `incoming.rs`: frames and HTTP answers parsed and routed;
//!   `reply.rs`: what `ack`, `success`, `error` and a plugin `event` do to their request;
//!   `long_poll.rs`: the long poll of each session on HTTP.
//! - `timer.rs`: the timer table (every deadline, by what it is for) and the backoff.
//! - [`router`]: where each event goes (client, session or handle queue), for embedders.
//! - [`msg`]: the core API on the wire, requests encoded and messages parsed; [`plugin`]:
//!   typed plugin requests and events; [`jsep`]: JSEP and the negotiation state.
//! - `config.rs` ([`ClientConfig`]), `io.rs` ([`Input`], [`Output`], [`Transmit`]), `event.rs`
//!   ([`Event`], [`Reply`]), `error.rs`, `id.rs` (ids and the [`IdSource`]), `command.rs`
//!   ([`Command`], a request as a value).
//! - The simulated world, fake Janus and fuzz entry points that test this crate live in the
//!   unpublished `janus-sim` crate (`sim/`), not here.

pub mod admin;
mod client;
mod command;
mod config;
mod error;
mod event;
mod id;
mod io;
pub mod jsep;
pub mod msg;
pub mod plugin;
pub mod router;
mod timer;

pub use client::{Client, HandleInfo, SessionState};
pub use command::Command;
pub use config::{ClientConfig, Reconnect, Secret, Server, TransportKind};
pub use error::{Error, ErrorCode, JanusError, ParseError, PluginError, RequestError};
pub use event::{DisconnectReason, Event, PluginReply, Reply, Route, SessionLostReason};
pub use id::{HandleId, HandleRef, IdSource, RequestId, SeededIds, SessionId, TransactionId};
pub use io::{HttpMethod, HttpRequest, HttpResponse, Input, Output, Transmit};
pub use jsep::{IceCandidate, Jsep, SdpType, SignalingState, Trickle};
pub use msg::{Incoming, MediaState, PluginData, ServerInfo, SlowLink};
