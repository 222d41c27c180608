//! Concurrent PeerConnections: `PCS` EchoTest calls (default 50) started at once on one
//! janus-tokio client, each with audio, video and a data channel sending the built-in Opus
//! (20 ms frames) and VP8 samples for 5 s (janusctl's `echotest` code, every echoed frame
//! checked), the client pinned to CPU 0 and Janus to CPU 1. `ADAPTER=blocking` runs the same
//! calls on one janus-blocking client, a thread per call ([`janus_tests::blocking_echotest`]).
//!
//! `cargo xtask netns -- cargo run --release -p janus-tests --bin bench_pcs [OUT.json]`
//! (`cargo xtask bench -- pcs` runs it and puts it in the table).
//!
//! Figures: calls passed; the slowest and the median offer -> `webrtcup` of the calls (each
//! from its own offer, sent once its session and handle exist); the client's CPU over the
//! whole run (setup, 5 s of media, hangup) per call as a share of one core, from
//! `CLOCK_PROCESS_CPUTIME_ID`, and in all; Janus's share of its core over the run (from
//! `/proc`); the client's peak RSS growth per call; for each side, the UDP datagrams the
//! kernel dropped at its full receive buffers and the most bytes waiting unread in them at
//! once (sampled every 200 ms from `/proc/net/udp`): the side that falls behind is the limit. Janus gets an RTP port
//! range wide enough for `PCS` calls (`JanusBuilder::rtp_ports`): `PCS=500` is the issue's
//! figure.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use janus_proto::ClientConfig;
use janus_tests::Janus;
use janus_tests::bench::{pin, proc_cpu_s, self_cpu_us, status_kib, udp_drops};
use janusctl::echotest;
use serde_json::json;

fn main() {
    let out_path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bench/pcs.json".into());
    let pcs: usize = std::env::var("PCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    // One RTP port per bundled PeerConnection, and room to spare.
    let ports = u16::try_from(pcs + pcs / 5).unwrap_or(u16::MAX).max(100);
    let mut janus = Janus::builder().rtp_ports(ports).launch().unwrap();
    let janus_pid = janus.pid().unwrap();
    pin(&janus_pid.to_string(), "1");
    pin(&std::process::id().to_string(), "0");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = ClientConfig::new([janus.ws_url()])
        .unwrap()
        .request_timeout(Duration::from_secs(20));
    let blocking = std::env::var("ADAPTER").is_ok_and(|a| a == "blocking");
    let client = if blocking {
        Client::Blocking(janus_blocking::Client::connect(config).unwrap())
    } else {
        Client::Tokio(Arc::new(
            rt.block_on(janus_tokio::Client::connect(config)).unwrap(),
        ))
    };
    let mut options = echotest::Options::new(janus.media_ip().into()).unwrap();
    options.pings = 0;
    options.duration = Duration::from_secs(5);
    options.wait = Duration::from_secs(20);
    let options = Arc::new(options);
    let rss0 = status_kib("self", "VmRSS:");
    let (c0, t0, j0) = (self_cpu_us() / 1e6, Instant::now(), proc_cpu_s(janus_pid));
    // Datagrams the kernel dropped at each side's full receive buffers, sampled every 200 ms
    // while the calls run (the highest count seen per socket).
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = Arc::clone(&sampling);
        let janus = janus_pid.to_string();
        std::thread::spawn(move || {
            let (mut ours, mut theirs) = (BTreeMap::new(), BTreeMap::new());
            // The most bytes waiting unread in all of each side's sockets at once.
            let mut backlog = [0u64; 2];
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                for (i, (seen, pid)) in [(&mut ours, "self"), (&mut theirs, janus.as_str())]
                    .into_iter()
                    .enumerate()
                {
                    let mut waiting = 0;
                    for (inode, (n, w)) in udp_drops(pid) {
                        let at = seen.entry(inode).or_insert(0u64);
                        *at = (*at).max(n);
                        waiting += w;
                    }
                    backlog[i] = backlog[i].max(waiting);
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            (
                ours.values().sum::<u64>(),
                theirs.values().sum::<u64>(),
                backlog,
            )
        })
    };
    let reports = match &client {
        Client::Tokio(client) => rt.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..pcs {
                let (client, options) = (Arc::clone(client), Arc::clone(&options));
                tasks.spawn(async move { echotest::run(&client, &options, |_| {}).await });
            }
            tasks.join_all().await
        }),
        Client::Blocking(client) => std::thread::scope(|s| {
            let calls: Vec<_> = (0..pcs)
                .map(|_| s.spawn(|| janus_tests::blocking_echotest::run(client, &options)))
                .collect();
            calls.into_iter().map(|c| c.join().unwrap()).collect()
        }),
    };
    let (cpu, wall) = (self_cpu_us() / 1e6 - c0, t0.elapsed().as_secs_f64());
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let (client_drops, janus_drops, [client_backlog, janus_backlog]) = sampler.join().unwrap();
    // Janus's share of its one core over the run: near 100 % means the server is the limit.
    let janus_core_pct = (proc_cpu_s(janus_pid) - j0) / wall * 100.0;
    let peak = status_kib("self", "VmHWM:");
    let passed = reports.iter().filter(|r| r.passed()).count();
    let mut up: Vec<f64> = reports.iter().filter_map(|r| r.webrtcup_ms).collect();
    up.sort_by(f64::total_cmp);
    let failures: Vec<String> = reports
        .iter()
        .filter(|r| !r.passed())
        .map(|r| r.failures.join("; "))
        .collect();
    let frames: (u64, u64) = reports.iter().fold((0, 0), |(s, e), r| {
        (
            s + u64::from(r.audio.0 + r.video.0),
            e + u64::from(r.audio.1 + r.video.1),
        )
    });
    // Frames our peers received but dropped because the call's loop had not read its queue.
    let queue_dropped: u64 = reports.iter().map(|r| r.dropped_frames).sum();
    let out = json!({
        "adapter": if blocking { "janus-blocking" } else { "janus-tokio" },
        "pcs": pcs,
        "passed": passed,
        "failures": failures,
        "webrtcup_max_ms": up.last(),
        "webrtcup_median_ms": up.get(up.len() / 2),
        "wall_s": wall,
        "media_s": options.duration.as_secs_f64(),
        "client_cpu_s": cpu,
        "client_core_share_per_pc_pct": cpu / wall / pcs as f64 * 100.0,
        "client_core_pct": cpu / wall * 100.0,
        "janus_core_pct": janus_core_pct,
        "udp_dropped_client": client_drops,
        "udp_dropped_janus": janus_drops,
        "udp_backlog_peak_bytes_client": client_backlog,
        "udp_backlog_peak_bytes_janus": janus_backlog,
        "frames_dropped_at_full_queues": queue_dropped,
        "rss_peak_growth_kib_per_pc": (peak - rss0) / pcs as f64,
        "frames_sent_echoed": frames,
    });
    println!(
        "{passed}/{pcs} calls passed; offer -> webrtcup median {} ms, slowest {} ms; client CPU \
         {:.3} % of a core per call ({:.0} % in all), Janus {janus_core_pct:.0} % of its core; \
         peak RSS +{:.0} KiB per call; frames sent/echoed {frames:?}; UDP datagrams dropped \
         at full receive buffers: {client_drops} ours, {janus_drops} Janus's; frames dropped at \
         full event queues: {queue_dropped}; most bytes waiting unread in UDP buffers: \
         {client_backlog} ours, {janus_backlog} Janus's",
        out["webrtcup_median_ms"],
        out["webrtcup_max_ms"],
        out["client_core_share_per_pc_pct"].as_f64().unwrap_or(0.0),
        out["client_core_pct"].as_f64().unwrap_or(0.0),
        out["rss_peak_growth_kib_per_pc"].as_f64().unwrap_or(0.0),
    );
    for f in &failures {
        println!("  failed: {f}");
    }
    drop(client);
    janus.stop().unwrap();
    if let Some(dir) = std::path::Path::new(&out_path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out_path, serde_json::to_string_pretty(&out).unwrap()).unwrap();
    println!("figures written to {out_path}");
}

/// The client under test, in either adapter.
enum Client {
    Tokio(Arc<janus_tokio::Client>),
    Blocking(janus_blocking::Client),
}
