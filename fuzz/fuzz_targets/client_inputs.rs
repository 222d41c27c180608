//! A `Client` (WebSocket or HTTP) driven by an arbitrary sequence of commands, Janus
//! messages from a small grammar, raw frames, HTTP answers, failures and time: never a panic,
//! every drain ends, no transaction completes twice.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    janus_sim::fuzz::client_inputs(std::time::Instant::now(), data);
});
