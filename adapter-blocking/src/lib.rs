//! Blocking adapter for the Janus client, on std threads.
//!
//! The only place (with `janus-tokio`) that owns sockets, timers and threads. It holds no
//! protocol logic: every decision is made by `janus-proto`; this crate moves bytes and wakes
//! the core on time. No async runtime is in its dependency tree.
