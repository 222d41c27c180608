//! Sans-IO WebRTC peer connection for Janus, on str0m, speaking the janus.js tracks model.
//!
//! It never opens a socket and never reads the clock: datagrams and time go in, datagrams to
//! send, deadlines and media events come out. The adapters own the UDP sockets.
