//! tokio adapter for the Janus client.
//!
//! The only place (with `janus-blocking`) that owns sockets, timers and tasks. It holds no
//! protocol logic: every decision is made by `janus-proto`; this crate moves bytes and wakes
//! the core on time.
