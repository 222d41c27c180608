//! Arbitrary bytes as a WebSocket frame (`Incoming::parse`) and as an HTTP long-poll body
//! (`parse_batch`), then into connected clients: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    janus_sim::fuzz::incoming_json(std::time::Instant::now(), data);
});
