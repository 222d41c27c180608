//! The test harness of janus-proto and janus-rtc, in one unpublished crate (`publish =
//! false`): everything the tests, the fuzz targets and the benches need to play the
//! application, Janus and the network around a sans-IO client, built on the public API only.
//!
//! - [`world`]: the simulated world of the scenario tests: a [`janus_proto::Client`], a clock
//!   moved by hand, what the client sent, and helpers to answer as Janus would
//!   (`janus-proto/tests/scenarios.rs`).
//! - [`janus`]: the fake Janus: canned replies and events (used by the world, the fuzz rig,
//!   the proptest model and the bench rig), and [`janus::FakeJanus`], a stateful Janus that
//!   answers whatever requests it saw (the proptest model,
//!   `janus-proto/tests/proptest_model.rs`).
//! - [`ops`]: the operation grammar: the application calls shared by the `client_inputs` fuzz
//!   target and the proptest model (`arbitrary` and, with the `proptest` feature, proptest
//!   strategies), and the rest of the fuzz target's steps.
//! - [`fuzz`]: the entry points of the fuzz targets (`fuzz/fuzz_targets/*.rs`), also called
//!   on stable by the corpus replays (`janus-proto/tests/fuzz_corpus_replay.rs`,
//!   `janus-rtc/tests/fuzz_corpus_replay.rs`) so that `cargo test` replays every committed
//!   corpus.
//!
//! The benches (`janus-proto/benches/dispatch.rs`, `examples/dispatch_ratio.rs`) build their
//! connected clients from [`janus`] too. janus-proto and janus-rtc dev-depend on this crate
//! (Cargo allows the cycle for integration tests and benches); no published crate depends
//! on it.
//!
//! Like the core it reads no clock but [`world::epoch`], the base of simulated time, and
//! draws no randomness: every case is a function of its bytes or its seed.
#![allow(clippy::unwrap_used)] // a harness: a panic is a failed check, with its message

pub mod fuzz;
pub mod janus;
pub mod ops;
pub mod world;
