//! Sans-IO signalling core for the Janus WebRTC Server.
//!
//! This crate decides everything a Janus client says on the wire and keeps the state of
//! sessions, plugin handles and transactions. It never performs I/O: it owns no socket, reads
//! no clock, draws no randomness, spawns no thread and has no `async`. Time and received data
//! go in as inputs; bytes to send, deadlines and application events come out.
