//! The Janus core API on the wire: requests we send ([`request`]) and messages we receive
//! ([`incoming`]). Both transports carry the same JSON; only the framing differs.

pub mod incoming;
pub mod request;

pub use incoming::{Incoming, MediaState, PluginData, ServerInfo, SlowLink};
pub use request::{Request, RequestKind};
