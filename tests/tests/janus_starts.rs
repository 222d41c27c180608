//! A Janus started by the harness answers `info` over HTTP and WebSocket, and several run at
//! once.

use janus_tests::{Janus, JsonStyle, MEDIA_IP};
use serde_json::{Value, json};

fn module_names(info: &Value, key: &str) -> Vec<String> {
    info[key]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn one_janus_starts_and_answers_info() {
    let janus = Janus::launch().expect("Janus starts");
    let info = janus.info().expect("info answers");

    assert_eq!(info["name"], "Janus WebRTC Server");
    // Either server (Debian's 1.1.2 or the 1.4.1 build): what the harness detected is what
    // `info` says, and the number and the string agree.
    let version = info["version_string"].as_str().expect("a version string");
    assert!(!version.is_empty(), "empty version_string");
    assert_eq!(version, janus.version().string);
    assert_eq!(info["version"], janus.version().number);
    let (major, minor, patch) = janus.version().triple();
    assert_eq!(
        janus.version().number,
        u64::from(major * 1000 + minor * 100 + patch),
        "version {version}"
    );
    let transports = module_names(&info, "transports");
    assert!(
        transports.contains(&"janus.transport.http".to_owned()),
        "{transports:?}"
    );
    assert!(
        transports.contains(&"janus.transport.websockets".to_owned()),
        "{transports:?}"
    );
    assert_eq!(
        transports.len(),
        2,
        "mqtt, rabbitmq, nanomsg, pfunix are disabled"
    );
    let plugins = module_names(&info, "plugins");
    assert!(
        plugins.contains(&"janus.plugin.echotest".to_owned()),
        "{plugins:?}"
    );
    assert!(
        plugins.contains(&"janus.plugin.streaming".to_owned()),
        "{plugins:?}"
    );
    assert!(
        module_names(&info, "events").is_empty(),
        "event handlers are disabled"
    );
    assert!(
        module_names(&info, "loggers").is_empty(),
        "loggers are disabled"
    );
    assert_eq!(info["session-timeout"], 60);
    assert_eq!(janus.media_ip(), MEDIA_IP);
}

#[test]
fn janus_answers_info_over_its_websocket() {
    let janus = Janus::launch().expect("Janus starts");
    let mut ws = janus
        .http_client()
        .websocket(&janus.ws_url())
        .expect("WebSocket handshake");
    assert_eq!(ws.protocol(), Some("janus-protocol"));
    let reply = ws
        .request(&json!({"janus": "info", "transaction": "ws-info"}))
        .expect("a reply");
    assert_eq!(reply["janus"], "server_info");
    assert_eq!(reply["transaction"], "ws-info");
}

#[test]
fn builder_options_reach_janus() {
    let janus = Janus::builder()
        .session_timeout(17)
        .reclaim_session_timeout(9)
        .full_trickle(true)
        .server_name("options-check")
        .only_plugins(&["echotest"])
        .debug_level(5)
        .json(JsonStyle::Compact)
        .launch()
        .expect("Janus starts");
    let raw = janus
        .http_client()
        .get(&format!("{}/info", janus.http_url()))
        .expect("info answers");
    assert!(!raw.body.trim().contains('\n'), "compact JSON is one line");
    assert!(janus.log_tail(1000).contains("Debug/log level is 5"));
    let info = raw.json().expect("info is JSON");
    assert_eq!(info["session-timeout"], 17);
    assert_eq!(info["reclaim-session-timeout"], 9);
    assert_eq!(info["full-trickle"], true);
    assert_eq!(info["server-name"], "options-check");
    assert_eq!(
        module_names(&info, "plugins"),
        vec!["janus.plugin.echotest"]
    );
}

#[test]
fn two_instances_run_at_once_on_distinct_ports() {
    let first = Janus::launch().expect("first Janus starts");
    let second = Janus::launch().expect("second Janus starts");

    let ports = [
        first.http_port(),
        first.ws_port(),
        second.http_port(),
        second.ws_port(),
    ];
    for (i, a) in ports.iter().enumerate() {
        for b in &ports[i + 1..] {
            assert_ne!(a, b, "ports {ports:?}");
        }
    }
    let (a, b) = (first.rtp_port_range(), second.rtp_port_range());
    assert!(a.1 < b.0 || b.1 < a.0, "RTP ranges overlap: {a:?} {b:?}");
    assert_eq!(first.info().expect("first answers")["janus"], "server_info");
    assert_eq!(
        second.info().expect("second answers")["janus"],
        "server_info"
    );
}
