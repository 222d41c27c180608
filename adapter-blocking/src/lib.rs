//! Blocking adapter for the Janus client, on std threads.
//!
//! One driver thread per [`Client`] owns the `janus-proto` core, the WebSocket and the
//! timer, and waits in a single `mio` poll (no busy polling, no async runtime); HTTP requests
//! run on a small pool of worker threads (ureq), each long poll on a thread of its own. TLS
//! is rustls (ring). Every decision is the core's: this crate moves bytes and wakes the core
//! on time, then hands each event to the queue of the client, session or handle it is for.
//!
//! Names match `janus-tokio`: `Client`, `Session`, `Handle`, `Events`, `Error`.

mod client;
mod driver;
mod http;
mod peer;
mod tls;
mod ws;

pub use client::{Builder, Client, Events, Handle, Session};
pub use janus_proto as proto;
pub use janus_proto::PluginReply;
pub use janus_rtc as rtc;
/// What a call can fail with: the same type in both adapters.
pub use janus_rtc::ClientError as Error;
pub use peer::Peer;
