//! janusctl against a real Janus: the binary as an operator runs it, its output and exit code.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use janus_tests::Janus;
use serde_json::Value;

fn janusctl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_janusctl"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn info_prints_the_servers_version_and_plugins_as_a_table_and_as_json() {
    let janus = Janus::launch().unwrap();
    let out = janusctl(&["info", &janus.ws_url()]);
    let table = text(&out.stdout);
    assert!(out.status.success(), "{table}{}", text(&out.stderr));
    let version = &janus.version().string;
    assert!(
        table.starts_with(&format!("Janus WebRTC Server {version} (")),
        "{table}"
    );
    assert!(table.contains("janus.plugin.echotest"), "{table}");
    assert!(table.contains("janus.transport.websockets"), "{table}");

    // Over HTTP, as JSON: the reply as Janus sent it, typed fields and the rest.
    let out = janusctl(&["info", &janus.http_url(), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version_string"], version.as_str());
    assert!(
        json["plugins"]["janus.plugin.videoroom"].is_object(),
        "{json}"
    );
}

#[test]
fn info_falls_over_to_the_next_server_of_the_list() {
    let janus = Janus::launch().unwrap();
    // Nothing listens on port 1 of the namespace's loopback: refused at once.
    let urls = format!("ws://127.0.0.1:1,{}", janus.http_url());
    let out = janusctl(&["info", &urls, "--timeout", "3s", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version_string"], janus.version().string.as_str());
}

#[test]
fn an_unreachable_server_is_an_error_exit_with_a_reason() {
    let out = janusctl(&["info", "ws://127.0.0.1:1", "--timeout", "2s"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with("janusctl: no server answered"), "{err}");
}

#[test]
fn echotest_passes_against_a_healthy_janus_with_a_line_per_second() {
    let janus = Janus::launch().unwrap();
    let ip = janus.media_ip().to_string();
    let out = janusctl(&[
        "echotest",
        &janus.ws_url(),
        "--ip",
        &ip,
        "--duration",
        "3s",
        "--pings",
        "20",
    ]);
    let report = text(&out.stdout);
    println!("{report}");
    assert!(out.status.success(), "{report}{}", text(&out.stderr));
    for second in 1..=3 {
        assert!(
            report.contains(&format!("\n  {second}s  rtt ")),
            "no line for second {second}:\n{report}"
        );
    }
    assert!(
        report.contains("codecs: audio opus/48000, video VP8/90000"),
        "{report}"
    );
    assert!(report.contains("data channel: 20 round trips"), "{report}");
    assert!(report.contains("identical: true"), "{report}");
    assert!(
        report
            .trim_end()
            .ends_with("PASS: the EchoTest echoed media and data"),
        "{report}"
    );
}

#[test]
fn echotest_json_report_counts_the_echoed_sample_frames() {
    let janus = Janus::launch().unwrap();
    let ip = janus.media_ip().to_string();
    let out = janusctl(&[
        "echotest",
        &janus.http_url(),
        "--ip",
        &ip,
        "--duration",
        "2s",
        "--pings",
        "5",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["failures"], Value::Array(vec![]), "{report}");
    assert_eq!(report["identical"], true);
    // 2 s of the samples: 50 Opus packets and 30 VP8 frames a second.
    let (audio_sent, video_sent) = (
        report["audio"][0].as_u64().unwrap(),
        report["video"][0].as_u64().unwrap(),
    );
    assert!((95..=105).contains(&audio_sent), "{report}");
    assert!((57..=63).contains(&video_sent), "{report}");
    assert!(
        report["audio"][1].as_u64().unwrap() * 10 >= audio_sent * 9,
        "{report}"
    );
    assert_eq!(report["pings"]["count"], 5);
    assert!(report["webrtcup_ms"].as_f64().unwrap() > 0.0);
}

#[test]
fn echotest_fails_with_a_non_zero_exit_when_janus_stops_mid_run() {
    let janus = Janus::launch().unwrap();
    let ip = janus.media_ip().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_janusctl"))
        .args([
            "echotest",
            &janus.ws_url(),
            "--ip",
            &ip,
            "--duration",
            "6s",
            "--pings",
            "5",
            "--timeout",
            "2s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    // Stop Janus (SIGSTOP) once the media has run for two seconds.
    for line in lines.by_ref() {
        let line = line.unwrap();
        let at_two = line.starts_with("  2s  rtt ");
        seen.push(line);
        if at_two {
            break;
        }
    }
    assert!(seen.iter().any(|l| l.starts_with("  2s")), "{seen:?}");
    let frozen = janus.freeze().unwrap();
    let started = Instant::now();
    seen.extend(lines.map_while(Result::ok));
    let status = child.wait().unwrap();
    drop(frozen);
    let report = seen.join("\n");
    assert_eq!(status.code(), Some(1), "{report}");
    assert!(report.contains("FAIL:"), "{report}");
    assert!(report.contains("frames echoed (90 % expected)"), "{report}");
    // Bounded by the run and the request timeout, not by Janus coming back.
    assert!(started.elapsed() < Duration::from_secs(30), "{report}");
}

#[test]
fn load_of_200_sessions_with_2_handles_and_5_webrtc_calls_all_succeed() {
    let janus = Janus::launch().unwrap();
    let ip = janus.media_ip().to_string();
    let out = janusctl(&[
        "load",
        &janus.ws_url(),
        "--ip",
        &ip,
        "--sessions",
        "200",
        "--handles",
        "2",
        "--rate",
        "200",
        "--webrtc",
        "5",
        "--hold",
        "2s",
        "--duration",
        "60s",
        "--json",
    ]);
    let summary: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    println!("{summary:#}");
    assert!(out.status.success(), "{summary:#}");
    assert_eq!(summary["ok"], true, "{summary:#}");
    assert_eq!(summary["errors"], serde_json::json!({}));
    assert_eq!(summary["sessions"], serde_json::json!([200, 200]));
    assert_eq!(summary["handles"], serde_json::json!([400, 400]));
    for (op, count) in [
        ("create", 200),
        ("attach", 400),
        ("message", 400),
        ("keepalive", 200),
        ("detach", 400),
        ("destroy", 200),
    ] {
        assert_eq!(
            summary["operations"][op]["count"], count,
            "{op}: {summary:#}"
        );
        assert!(summary["operations"][op]["p99_ms"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(summary["calls"]["passed"], 5, "{summary:#}");
    assert_eq!(summary["calls"]["webrtcup"]["count"], 5);
    assert!(summary["cpu_seconds"].as_f64().unwrap() > 0.0);
}

#[test]
fn load_stops_by_itself_at_its_duration() {
    let janus = Janus::launch().unwrap();
    let started = Instant::now();
    // 1,000 sessions at 50 a second would take 20 s: the 2 s deadline ends it.
    let out = janusctl(&[
        "load",
        &janus.ws_url(),
        "--sessions",
        "1000",
        "--rate",
        "50",
        "--duration",
        "2s",
        "--json",
    ]);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{summary:#}");
    assert_eq!(summary["ok"], false);
    let created = summary["sessions"][0].as_u64().unwrap();
    assert!((50..=150).contains(&created), "{summary:#}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn load_prints_a_table_of_percentiles_for_people() {
    let janus = Janus::launch().unwrap();
    let ip = janus.media_ip().to_string();
    let out = janusctl(&[
        "load",
        &janus.ws_url(),
        "--ip",
        &ip,
        "--sessions",
        "100",
        "--handles",
        "2",
        "--webrtc",
        "2",
        "--hold",
        "2s",
    ]);
    let table = text(&out.stdout);
    println!("{table}");
    assert!(out.status.success(), "{table}{}", text(&out.stderr));
    assert!(table.starts_with("OK in "), "{table}");
    assert!(
        table.contains("sessions 100/100, handles 200/200"),
        "{table}"
    );
    assert!(
        table.contains("  operation    count    p50 ms    p90 ms    p99 ms    max ms"),
        "{table}"
    );
    for op in [
        "create",
        "attach",
        "message",
        "keepalive",
        "detach",
        "destroy",
        "webrtcup",
    ] {
        assert!(table.contains(&format!("\n  {op:<10} ")), "{op}: {table}");
    }
    assert!(table.contains("webrtc calls: 2/2 passed"), "{table}");
    assert!(table.contains("errors: none"), "{table}");
}

#[test]
fn every_command_has_help_and_completions_generate() {
    for command in [
        "info",
        "echotest",
        "publish",
        "record",
        "load",
        "completions",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_janusctl"))
            .args([command, "--help"])
            .env("JANUS_TOKEN", "hunter2")
            .output()
            .unwrap();
        let help = text(&out.stdout);
        assert!(out.status.success(), "{command}: {}", text(&out.stderr));
        assert!(help.contains("Usage: janusctl "), "{command}: {help}");
        // Credentials' values never show, not even from the environment.
        assert!(!help.contains("hunter2"), "{command}: {help}");
    }
    for shell in ["bash", "zsh", "fish"] {
        let out = janusctl(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = text(&out.stdout);
        assert!(
            script.contains("janusctl") && script.contains("echotest"),
            "{shell}: {script}"
        );
    }
}

#[test]
fn a_token_from_the_environment_is_used_but_never_printed() {
    let janus = Janus::launch().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_janusctl"))
        .args(["info", &janus.ws_url(), "-vv"])
        .env("JANUS_TOKEN", "hunter2-secret-token")
        .env("JANUS_APISECRET", "sesame-apisecret")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    println!("{all}");
    // -vv traces what the client sends and receives, and those requests carry both.
    assert!(all.contains("janus_proto"), "no trace output: {all}");
    assert!(
        !all.contains("hunter2-secret-token") && !all.contains("sesame-apisecret"),
        "{all}"
    );
}
