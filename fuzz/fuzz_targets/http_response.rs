//! Arbitrary bytes as what an HTTP server sends back, read by janus-blocking's HTTP/1.1
//! answer reader in two different splits (the same outcome, bounded memory), then the
//! answer's status and body into a connected HTTP client as its long-poll answer and as a
//! request's: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((status, body)) = janus_blocking::fuzzing::http_response(data) {
        janus_sim::fuzz::http_answer(std::time::Instant::now(), status, &body);
    }
});
