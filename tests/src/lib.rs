//! Harness that runs a real Janus WebRTC Server for integration tests, demos and benchmarks.
//!
//! Every [`Janus`] runs from the config templates in `tests/config/`, on free ports of
//! 127.0.0.1, inside the project's private network namespace: Janus never offers a loopback
//! ICE candidate, so the namespace holds a veth `v0` carrying [`MEDIA_IP`] (127.0.0.2), the
//! only address Janus gathers candidates on (unless [`JanusBuilder::every_media_address`] adds
//! [`MEDIA_IP_2`] and [`MEDIA_IP6`], also on `v0`) and the one clients must bind their media
//! sockets to. Nothing in that namespace routes anywhere else. Run tests with `cargo xtask test`, or
//! any command with `cargo xtask netns -- <cmd>`; outside the namespace [`Janus::launch`] fails
//! with a message that says so ([`require_namespace`]), so no test ever skips silently.
//!
//! ```no_run
//! # fn main() -> Result<(), janus_tests::HarnessError> {
//! use janus_tests::Janus;
//!
//! let janus = Janus::builder()
//!     .api_secret("s3cret")
//!     .tls(true)
//!     .launch()?;
//! let info = janus.info()?;
//! assert_eq!(info["name"], "Janus WebRTC Server");
//! let _https = janus.https_url()?; // trust janus.ca_cert_pem()
//! # Ok(()) }
//! ```

/// The README's code examples, compiled by `cargo test --doc` so that they stay true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeExamples;

pub mod bare_rtc;
pub mod bench;
pub mod blocking_echotest;
mod config;
pub mod coturn;
mod error;
pub mod hostile;
pub mod http;
mod janus;
pub mod media;
pub mod netns;
pub mod plain_rtp;
pub mod plugin_session;
mod ports;
mod proxy;
pub mod record;
pub mod rtc;
pub mod samples;
pub mod sipp;
pub mod squeeze;
pub mod steps;
pub mod streaming;
mod tls;
mod token;
pub mod tools;

pub use config::{JanusBuilder, JsonStyle};
pub use error::{HarnessError, Result};
pub use http::{HttpClient, HttpResponse, WebSocket};
pub use janus::{Frozen, Janus, JanusVersion, janus_binary, skip};
pub use netns::{
    MEDIA_INTERFACE, MEDIA_IP, MEDIA_IP_2, MEDIA_IP6, NAMESPACE_ADDRS, TURN_IP,
    require_media_addresses, require_namespace,
};
pub use proxy::TcpProxy;
pub use token::{TOKEN_REALM, signed_token};

/// This process's resident memory in KiB (`VmRSS` of `/proc/self/status`), for tests that
/// show memory stays bounded; 0 when it cannot be read.
pub fn rss_kib() -> u64 {
    bench::status_kib("self", "VmRSS:") as u64
}
