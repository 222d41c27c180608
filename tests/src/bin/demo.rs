//! Demo: starts a real Janus with the harness, prints what it reports about itself (janusctl's
//! `info` table), then runs janusctl's `echotest` against it: a live WebRTC call with the
//! EchoTest plugin (`janus-tokio` over WebSocket, `janus-rtc` on a UDP socket bound to the
//! namespace's media address) sending the committed VP8 and Opus samples, real media a
//! browser decodes, for 5 s; 1,000 data-channel round trips first; a line per second
//! (round trip, received bitrate, frames echoed, Janus's `media`/`slowlink` events); the
//! times to answer, ICE+DTLS and `webrtcup`; every echoed frame checked byte for byte; the
//! verdict. Hangs up, detaches, destroys the session and stops Janus. The exit code is the
//! verdict.
//!
//! Run it with `cargo xtask demo` (it needs the test network namespace). The call is
//! `janusctl::echotest::run`, the very code of `janusctl echotest`: only starting Janus is
//! the demo's own.

// A demo's job is to print to stdout.
#![allow(clippy::print_stdout)]

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use janus_proto::ClientConfig;
use janus_tests::Janus;
use janus_tokio::Client;
use janusctl::{echotest, info};

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("demo failed: no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<bool, String> {
    println!(
        "Starting Janus (private network namespace, media on {})...",
        janus_tests::MEDIA_IP
    );
    let mut janus =
        tokio::task::block_in_place(Janus::launch).map_err(|e| format!("starting Janus: {e}"))?;
    let config = ClientConfig::new([janus.ws_url()])
        .ok_or("a ws:// URL")?
        .request_timeout(Duration::from_secs(10));
    let client = Client::connect(config)
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    println!();
    print!("{}", info::table(&client.server_info()));
    println!();
    println!("HTTP API:   {}", janus.http_url());
    println!("WebSocket:  {}", janus.ws_url());
    let (first, last) = janus.rtp_port_range();
    println!("RTP ports:  {first}-{last} on {}", janus.media_ip());

    let mut options =
        echotest::Options::new(janus.media_ip().into()).map_err(|e| format!("the samples: {e}"))?;
    options.pings = 1000;
    println!(
        "\njanusctl echotest {} --ip {} --pings {} --duration {}s",
        janus.ws_url(),
        options.ip,
        options.pings,
        options.duration.as_secs()
    );
    let report = echotest::run(&client, &options, |second| {
        println!("{}", echotest::second_line(second));
        let _ = std::io::stdout().flush();
    })
    .await;
    print!("{}", echotest::summary(&report));
    tokio::task::block_in_place(|| janus.stop()).map_err(|e| format!("stopping Janus: {e}"))?;
    println!("\nJanus stopped.");
    Ok(report.passed())
}
