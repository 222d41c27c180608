//! Arbitrary plugin data through every typed plugin's `Event::decode` and `PluginData::error`: a clean
//! result or error, never a panic, and the two agree on plugin errors.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    janus_sim::fuzz::plugin_events(data);
});
