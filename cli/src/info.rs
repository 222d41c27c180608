//! `info`: the server's `info` reply as a table.

use std::fmt::Write as _;

use janus_proto::ServerInfo;
use serde_json::Value;

/// A table of what an operator reads first: version, timeouts, auth, and every module.
pub fn table(info: &ServerInfo) -> String {
    let text = |key: &str| info.extra.get(key).map_or("?".to_owned(), show);
    let yes_no = |b: Option<bool>| b.map_or("?", |b| if b { "yes" } else { "no" });
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({})",
        info.name,
        info.version_string,
        text("server-name")
    );
    let rows = [
        ("session timeout", format!("{} s", info.session_timeout)),
        (
            "reclaim timeout",
            format!("{} s", info.reclaim_session_timeout),
        ),
        (
            "candidates timeout",
            format!("{} s", text("candidates-timeout")),
        ),
        ("api secret", yes_no(Some(info.api_secret)).to_owned()),
        ("token auth", yes_no(Some(info.auth_token)).to_owned()),
        ("full trickle", yes_no(info.full_trickle).to_owned()),
        ("ice-lite", text("ice-lite")),
        ("ice-tcp", text("ice-tcp")),
        ("ipv6", text("ipv6")),
        ("data channels", text("data_channels")),
        (
            "hangup on ICE failure",
            yes_no(info.hangup_on_failed).to_owned(),
        ),
        (
            "ICE consent freshness",
            yes_no(info.ice_consent_freshness).to_owned(),
        ),
    ];
    for (name, value) in rows {
        let _ = writeln!(out, "  {name:<24} {value}");
    }
    let modules = [
        ("transports", Some(&info.transports)),
        ("plugins", Some(&info.plugins)),
        (
            "event handlers",
            info.extra.get("events").and_then(Value::as_object),
        ),
        (
            "loggers",
            info.extra.get("loggers").and_then(Value::as_object),
        ),
    ];
    for (kind, list) in modules {
        let Some(list) = list.filter(|l| !l.is_empty()) else {
            continue;
        };
        let _ = writeln!(out, "  {kind} ({}):", list.len());
        for (package, module) in list {
            let field = |k: &str| module.get(k).map_or("?".to_owned(), show);
            let _ = writeln!(
                out,
                "    {package:<34} {:<8} {}",
                field("version_string"),
                field("name")
            );
        }
    }
    out
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_the_version_and_every_plugin() {
        let info: ServerInfo = serde_json::from_value(serde_json::json!({
            "name": "Janus WebRTC Server", "version": 1102, "version_string": "1.1.2",
            "server-name": "MyJanusInstance", "session-timeout": 60,
            "reclaim-session-timeout": 0, "candidates-timeout": 45, "api_secret": false,
            "auth_token": false, "full-trickle": false, "ice-lite": false,
            "transports": {"janus.transport.websockets": {"name": "JANUS WebSockets transport plugin", "version_string": "0.0.1"}},
            "plugins": {"janus.plugin.echotest": {"name": "JANUS EchoTest plugin", "version_string": "0.0.8"}},
        }))
        .expect("an info reply");
        let table = table(&info);
        assert!(
            table.starts_with("Janus WebRTC Server 1.1.2 (MyJanusInstance)\n"),
            "{table}"
        );
        assert!(table.contains("session timeout          60 s"), "{table}");
        assert!(table.contains("janus.plugin.echotest"), "{table}");
        assert!(table.contains("plugins (1):"), "{table}");
        assert!(!table.contains("loggers"), "{table}");
    }
}
