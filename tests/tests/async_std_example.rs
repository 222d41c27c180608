//! The async-std example (`src/bin/async_std_echotest.rs`, janus-proto driven directly with
//! async-std and async-tungstenite, no adapter) against a real Janus.
#![allow(clippy::unwrap_used, missing_docs)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use janus_tests::Janus;

#[test]
fn async_std_drives_the_core_through_an_echotest_exchange() {
    let janus = Janus::launch().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_async_std_echotest"))
        .arg(janus.ws_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A time limit: the example must finish on its own.
    let until = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > until {
            let _ = child.kill();
            panic!("the example did not finish in 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let lines: Vec<_> = stdout.lines().collect();
    let at = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{stdout}"))
    };
    // Each step, in order; the plugin's event carries the EchoTest's answer.
    let steps = [
        at("connected to ws://"),
        at("session "),
        at("attached to janus.plugin.echotest"),
        at("event from janus.plugin.echotest: {\"echotest\":\"event\",\"result\":\"ok\"}"),
        lines.len() - 1,
    ];
    assert!(
        steps.windows(2).all(|w| w[0] < w[1]),
        "steps out of order:\n{stdout}"
    );
    assert!(lines.last().unwrap().ends_with(" destroyed"), "{stdout}");
}
