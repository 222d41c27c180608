//! Blocking adapter for the Janus client, on std threads.
//!
//! One driver thread per [`Client`] owns the `janus-proto` core, the WebSocket and the
//! timer, and waits in a single `mio` poll (no busy polling, no async runtime); HTTP requests
//! are non-blocking connections in that same poll (HTTP/1.1 on httparse, keep-alive
//! connections per origin: a held long poll holds a connection, not a thread). TLS is rustls
//! (ring). While an event queue is full the driver reads nothing from the server; the
//! reader's next `recv` wakes it. Every decision is the core's: this crate moves bytes and wakes the core
//! on time, then hands each event to the queue of the client, session or handle it is for.
//!
//! Names match `janus-tokio`: `Client`, `Session`, `Handle`, `Events`, `Error`.

mod client;
mod driver;
mod http;
mod http_response;
mod peer;
pub mod plugins;
mod stream;
mod tls;
mod ws;

pub use client::{Builder, Client, Events, Handle, Session};
pub use janus_proto as proto;
pub use janus_proto::PluginReply;
pub use janus_rtc as rtc;
/// What a call can fail with: the same type in both adapters.
pub use janus_rtc::ClientError as Error;
pub use peer::{Connection, Peer, local_ips};

/// Entry points for the fuzz targets (`fuzz/`), behind the `fuzzing` feature: not API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    /// An HTTP/1.1 answer's bytes, split into reads as the first byte says, with a body
    /// limit from the second: the same outcome in any split, bounded memory. The answer's
    /// status and body, when it is one.
    pub fn http_response(data: &[u8]) -> Option<(u16, String)> {
        crate::http_response::fuzz_decode(data)
    }
}
