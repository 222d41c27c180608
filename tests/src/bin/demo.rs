//! Demo: starts a real Janus with the harness, prints what it reports about itself, stops it.
//!
//! Run it with `cargo xtask demo` (it needs the test network namespace). Later issues grow it
//! into a live EchoTest with media.

// A demo's job is to print to stdout.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;

use janus_tests::{HarnessError, Janus};
use serde_json::Value;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), HarnessError> {
    println!(
        "Starting Janus (private network namespace, media on {})...",
        janus_tests::MEDIA_IP
    );
    let mut janus = Janus::launch()?;
    let info = janus.info()?;
    println!();
    print!("{}", describe(&info));
    println!();
    println!("HTTP API:   {}", janus.http_url());
    println!("WebSocket:  {}", janus.ws_url());
    let (first, last) = janus.rtp_port_range();
    println!("RTP ports:  {first}-{last} on {}", janus.media_ip());
    janus.stop()?;
    println!("\nJanus stopped.");
    Ok(())
}

/// A readable summary of a `server_info` reply.
fn describe(info: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    let mut out = String::new();
    out.push_str(&format!(
        "{} {} ({})\n",
        text(&info["name"]),
        text(&info["version_string"]),
        text(&info["server-name"]),
    ));
    out.push_str(&format!(
        "  session timeout: {} s, reclaim: {} s, candidates timeout: {} s\n",
        info["session-timeout"], info["reclaim-session-timeout"], info["candidates-timeout"],
    ));
    out.push_str(&format!(
        "  api secret: {}, token auth: {}, full trickle: {}, ice-lite: {}\n",
        info["api_secret"], info["auth_token"], info["full-trickle"], info["ice-lite"],
    ));
    for (kind, key) in [
        ("transports", "transports"),
        ("plugins", "plugins"),
        ("event handlers", "events"),
        ("loggers", "loggers"),
    ] {
        let Some(modules) = info[key].as_object() else {
            continue;
        };
        out.push_str(&format!("  {kind} ({}):\n", modules.len()));
        for (package, module) in modules {
            out.push_str(&format!(
                "    {:<32} {:<8} {}\n",
                package,
                text(&module["version_string"]),
                text(&module["name"]),
            ));
        }
    }
    out
}
