//! tokio adapter for the Janus client.
//!
//! One driver task per [`Client`] owns the `janus-proto` core, the WebSocket
//! (tokio-tungstenite, subprotocol `janus-protocol`), the HTTP requests (reqwest, each a task
//! of the driver's `JoinSet`, aborted when the core cancels it) and the timer, and waits for
//! all of them in one `select!`, draining the core after every input. TLS is rustls with the
//! ring provider, chosen explicitly. The transport comes from each server URL's scheme
//! (`ws`, `wss`, `http`, `https`); the server list, fallback, keepalives, long polling,
//! reconnect and `claim` are the core's. The public handles talk to the task over bounded
//! channels, and every event goes to the bounded queue of the client, session or handle it
//! is for, as the core's [`Router`](janus_proto::router::Router) decides; while a queue is
//! full the task reads nothing from the server until that queue has room.
//!
//! Names and shapes match `janus-blocking` (`Client`, `Session`, `Handle`, `Events`,
//! `PluginReply`, `Error`), with `async fn`s: switching runtime is changing one import.
//!
//! ```no_run
//! use janus_tokio::Client;
//! use janus_proto::ClientConfig;
//! use serde_json::json;
//!
//! # async fn run() -> Result<(), janus_tokio::Error> {
//! let client = Client::connect(ClientConfig::new(["ws://127.0.0.1:8188"]).unwrap()).await?;
//! let session = client.create_session().await?;
//! let echo = session.attach("janus.plugin.echotest").await?;
//! let reply = echo.message(json!({"audio": true}), None).await?;
//! assert_eq!(reply.data.data["result"], "ok");
//! echo.detach().await?;
//! session.destroy().await?;
//! # Ok(()) }
//! ```
//!
//! # What this crate must never do
//!
//! - **Decide anything about the protocol.** What to send, when to retry, keep alive, poll,
//!   reconnect or claim, how a reply completes a request: all of it is `janus-proto`'s. A
//!   rule this crate would need, `janus-blocking` would need too: it belongs in the core.
//! - **Block a runtime thread**, or spawn tasks other than its driver, the driver's HTTP
//!   requests, one task per WebRTC [`Peer`] (its UDP socket, its calls and its
//!   deadline in one `select!`; it ends when the `Peer` is dropped), and one per TCP stream
//!   to a TURN server that a `Peer` asks for (ended with it).
//! - **Outlive its users.** The driver task ends when the last `Client`, `Session` and
//!   `Handle` are dropped (the command channel closes); its HTTP tasks are aborted and the
//!   WebSocket closed with it. Sessions are not destroyed then: call `destroy` first (on a
//!   WebSocket with `reclaim_session_timeout` 0 Janus ends them with the connection).
//! - **Grow without bound.** Commands and events go through bounded channels: while an event
//!   queue is full, the driver stops reading from the server (timers and calls go on) rather
//!   than dropping or buffering events.
//! - **Show a secret.** `apisecret` and `token` never appear in `Debug` output, logs or
//!   errors (HTTP errors are shown without their URL, which may carry them).
//!
//! Cancelling a call (dropping its future) after it was sent does not cancel the request: a
//! session or handle it creates stays on the server, unreachable, until the client closes.

mod client;
mod driver;
mod http;
mod peer;
pub mod plugins;
mod queue;
mod stream;
mod tls;
mod ws;

pub use client::{Builder, Client, EventStream, Events, Handle, Session};
pub use janus_proto as proto;
pub use janus_proto::PluginReply;
pub use janus_rtc as rtc;
/// What a call can fail with: the same type in both adapters.
pub use janus_rtc::ClientError as Error;
pub use peer::{Connection, Peer, local_ips};
