//! Typed plugin workflows on the [`Handle`](crate::Handle) API, one call each for the
//! common paths of the janus.js demos: sequencing and decoding only, on the requests,
//! replies and events of [`janus_proto::plugin`] (whose rules they follow, sans-IO).
//! `janus-blocking` has the same workflows under the same names, with blocking calls.

pub mod streaming;
pub mod textroom;
