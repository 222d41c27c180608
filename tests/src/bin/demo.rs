//! Demo: starts a real Janus with the harness, prints what it reports about itself, then
//! talks to it with the blocking client (`janus-blocking`): a session, a handle on the
//! EchoTest, one message and its event, detach and destroy. Stops Janus.
//!
//! Run it with `cargo xtask demo` (it needs the test network namespace). Later issues grow it
//! into a live EchoTest with media: each step is one function, in the order `run` calls them.

// A demo's job is to print to stdout.
#![allow(clippy::print_stdout)]

use std::fmt::Display;
use std::process::ExitCode;
use std::time::Duration;

use janus_blocking::{Client, Handle, Session};
use janus_proto::ClientConfig;
use janus_proto::plugin::echotest;
use janus_tests::Janus;
use serde_json::Value;

const ECHOTEST: &str = "janus.plugin.echotest";

/// Any step's failure, as text for the one line the demo prints when it fails.
type DemoResult<T = ()> = Result<T, String>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> DemoResult {
    let mut janus = start_janus()?;
    let client = connect(&janus.ws_url())?;
    let (session, echo) = open_echotest(&client)?;
    echotest_message(&echo)?;
    close_echotest(session, echo)?;
    janus.stop().map_err(step("stopping Janus"))?;
    println!("\nJanus stopped.");
    Ok(())
}

/// Wraps an error with the step it happened in.
fn step<E: Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

/// Starts Janus in the namespace and prints its server info, URLs and RTP range.
fn start_janus() -> DemoResult<Janus> {
    println!(
        "Starting Janus (private network namespace, media on {})...",
        janus_tests::MEDIA_IP
    );
    let janus = Janus::launch().map_err(step("starting Janus"))?;
    let info = janus.info().map_err(step("asking Janus for info"))?;
    println!();
    print!("{}", describe(&info));
    println!();
    println!("HTTP API:   {}", janus.http_url());
    println!("WebSocket:  {}", janus.ws_url());
    let (first, last) = janus.rtp_port_range();
    println!("RTP ports:  {first}-{last} on {}", janus.media_ip());
    Ok(janus)
}

/// Connects the blocking client (the transport comes from the URL's scheme).
fn connect(url: &str) -> DemoResult<Client> {
    let config = ClientConfig::new([url])
        .ok_or("a ws:// or http:// URL")?
        .request_timeout(Duration::from_secs(10));
    let client = Client::connect(config).map_err(step("connecting"))?;
    let (_, used) = client.server();
    println!(
        "\nConnected to {used} ({:?}), session timeout {} s",
        client.transport(),
        client.server_info().session_timeout
    );
    Ok(client)
}

/// A session and a handle on the EchoTest.
fn open_echotest(client: &Client) -> DemoResult<(Session, Handle)> {
    let session = client.create_session().map_err(step("create"))?;
    println!("Session {} created", session.id());
    let echo = session.attach(ECHOTEST).map_err(step("attach"))?;
    println!("Attached to {ECHOTEST}: handle {}", echo.id().handle);
    Ok((session, echo))
}

/// One EchoTest message; Janus acks it, then the plugin answers with an event.
fn echotest_message(echo: &Handle) -> DemoResult {
    let request = echotest::Configure {
        audio: Some(true),
        video: Some(true),
        bitrate: Some(256_000),
        ..Default::default()
    };
    let reply = echo.send(&request, None).map_err(step("message"))?;
    println!(
        "EchoTest message {{audio, video, bitrate 256000}} -> event from {}: {}",
        reply.data.plugin, reply.data.data
    );
    Ok(())
}

/// Detaches the handle and destroys the session.
fn close_echotest(session: Session, echo: Handle) -> DemoResult {
    echo.detach().map_err(step("detach"))?;
    println!("Handle detached");
    let id = session.id();
    session.destroy().map_err(step("destroy"))?;
    println!("Session {id} destroyed");
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
