//! Fail-over and reconnect benchmark, both adapters over WebSocket against a private Janus:
//!
//! - refused: a server list whose first entry refuses the connection (a closed port), the
//!   second is Janus: `connect` until the client is connected to the second, median of 20;
//! - silent: the first entry accepts TCP but never answers the WebSocket upgrade (a listener
//!   that never accepts), `connect_timeout` 200 ms: `connect` until connected to Janus,
//!   median of 5 (the goal is the configured timeout);
//! - reconnect: the client's WebSocket is cut (a [`TcpProxy`] between it and Janus shuts both
//!   sides down), the default reconnect policy brings it back and claims the session: from
//!   the cut until Janus said the session is reclaimed and a `keepalive` on it was answered,
//!   median of 20.
//!
//! `cargo xtask netns -- cargo run --release -p janus-tests --bin bench_failover [OUT.json]`
//! (`cargo xtask bench -- failover` runs it and puts it in the table).
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::net::TcpListener;
use std::time::{Duration, Instant};

use janus_proto::{ClientConfig, Event};
use janus_tests::{Janus, TcpProxy};
use serde_json::{Value, json};

const SILENT_TIMEOUT: Duration = Duration::from_millis(200);

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn summary(mut v: Vec<f64>) -> Value {
    v.sort_by(f64::total_cmp);
    json!({"n": v.len(), "median_ms": v.get(v.len() / 2), "max_ms": v.last(), "runs_ms": v})
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn main() {
    let out_path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bench/failover.json".into());
    let janus = Janus::builder()
        .reclaim_session_timeout(20)
        .launch()
        .unwrap();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("ws://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let refused = || {
        ClientConfig::new([format!("ws://127.0.0.1:{}", closed_port()), janus.ws_url()]).unwrap()
    };
    let quiet = || {
        ClientConfig::new([silent_url.clone(), janus.ws_url()])
            .unwrap()
            .connect_timeout(SILENT_TIMEOUT)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut out = json!({"silent_connect_timeout_ms": ms(SILENT_TIMEOUT)});

    for (adapter, key) in [("janus-blocking", "blocking"), ("janus-tokio", "tokio")] {
        let connect = |config: ClientConfig| -> (f64, usize) {
            let t = Instant::now();
            if key == "blocking" {
                let c = janus_blocking::Client::connect(config).unwrap();
                (ms(t.elapsed()), c.server().0)
            } else {
                let c = rt.block_on(janus_tokio::Client::connect(config)).unwrap();
                (ms(t.elapsed()), c.server().0)
            }
        };
        let mut runs = Vec::new();
        for _ in 0..20 {
            let (t, server) = connect(refused());
            assert_eq!(server, 1, "connected to Janus, the second of the list");
            runs.push(t);
        }
        out[adapter]["refused"] = summary(runs);
        let mut runs = Vec::new();
        for _ in 0..5 {
            let (t, server) = connect(quiet());
            assert_eq!(server, 1, "connected to Janus, the second of the list");
            runs.push(t);
        }
        out[adapter]["silent"] = summary(runs);

        let proxy = TcpProxy::start(janus.ws_port()).unwrap();
        let url = format!("ws://127.0.0.1:{}", proxy.port());
        let mut runs = Vec::new();
        if key == "blocking" {
            let client =
                janus_blocking::Client::connect(ClientConfig::new([url]).unwrap()).unwrap();
            let session = client.create_session().unwrap();
            for _ in 0..20 {
                let t = Instant::now();
                proxy.cut();
                session
                    .events()
                    .wait_for(Duration::from_secs(10), |e| {
                        matches!(e, Event::SessionReclaimed { .. }).then_some(())
                    })
                    .unwrap();
                session.keepalive().unwrap();
                runs.push(ms(t.elapsed()));
            }
            session.destroy().unwrap();
        } else {
            let client = rt
                .block_on(janus_tokio::Client::connect(
                    ClientConfig::new([url]).unwrap(),
                ))
                .unwrap();
            let session = rt.block_on(client.create_session()).unwrap();
            for _ in 0..20 {
                let t = Instant::now();
                proxy.cut();
                rt.block_on(async {
                    session
                        .events()
                        .wait_for(Duration::from_secs(10), |e| {
                            matches!(e, Event::SessionReclaimed { .. }).then_some(())
                        })
                        .await
                        .unwrap();
                    session.keepalive().await.unwrap();
                });
                runs.push(ms(t.elapsed()));
            }
            rt.block_on(session.destroy()).unwrap();
        }
        out[adapter]["reconnect"] = summary(runs);
        println!(
            "{adapter}: refused -> connected {} ms, silent -> connected {} ms, cut -> reclaimed + keepalive {} ms (medians)",
            out[adapter]["refused"]["median_ms"],
            out[adapter]["silent"]["median_ms"],
            out[adapter]["reconnect"]["median_ms"]
        );
    }
    drop(silent);
    if let Some(dir) = std::path::Path::new(&out_path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out_path, serde_json::to_string_pretty(&out).unwrap()).unwrap();
    println!("figures written to {out_path}");
}
