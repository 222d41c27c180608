//! Signalling benchmark: our clients (janus-blocking, janus-tokio) against a private Janus,
//! measured the way the anchor
//! scripts in `../shared/anchors` measure janode and the raw Node floors, so that the
//! figures can be put side by side as ratios.
//!
//! `cargo xtask netns -- cargo run --release -p janus-tests --bin bench_signalling [OUT.json]`
//!
//! Janus is pinned to CPU 1 and this process to CPU 0 (`taskset`), as `PIN=1` does for the
//! anchors. For each transport (WebSocket, HTTP long poll): create+attach latency;
//! sequential loops of `keepalive`, `info` and EchoTest `message` (ack, then the event);
//! the same with 50 requests in flight; client and Janus CPU per request; and the issue's
//! figure, one sequential loop of 1,000 EchoTest messages (msg/s). janus-blocking uses
//! threads for the requests in flight, janus-tokio tasks on a current-thread runtime (the
//! client has one pinned CPU; `TOKIO_WORKERS=2` runs two workers on it instead).
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Instant;

use std::future::Future;
use std::sync::Arc;

use janus_blocking::{Client, Handle, Session};
use janus_proto::ClientConfig;
use janus_tests::Janus;
use janus_tests::bench::{percentile, pin, self_cpu_us};
use serde_json::{Value, json};

const N_SETUP: usize = 50;
const N_SEQ: usize = 2000;
const N_CONC: usize = 20_000;
const CONC: usize = 50;
const RUNS: usize = 5;

/// CPU time (user + system) of another process, from /proc, in microseconds: 10 ms ticks, so
/// Janus's figure (which no goal uses) is coarse on the short loops, as it is for the anchors.
fn cpu_us(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<f64> = after
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the name; ticks of 10 ms.
    f.get(11)
        .zip(f.get(12))
        .map_or(0.0, |(u, s)| (u + s) * 10_000.0)
}

#[derive(Clone, Copy)]
struct Loop {
    rps: f64,
    median_us: f64,
    p99_us: f64,
    client_cpu_us: f64,
    janus_cpu_us: f64,
}

fn measure(janus_pid: &str, n: usize, run: impl FnOnce() -> Vec<f64>) -> Loop {
    let (c0, j0, t0) = (self_cpu_us(), cpu_us(janus_pid), Instant::now());
    let mut lat = run();
    let elapsed = t0.elapsed().as_secs_f64();
    let (c1, j1) = (self_cpu_us(), cpu_us(janus_pid));
    lat.sort_by(f64::total_cmp);
    Loop {
        rps: n as f64 / elapsed,
        median_us: percentile(&lat, 0.5),
        p99_us: percentile(&lat, 0.99),
        client_cpu_us: (c1 - c0) / n as f64,
        janus_cpu_us: (j1 - j0) / n as f64,
    }
}

fn seq(n: usize, f: &(dyn Fn() + Sync)) -> Vec<f64> {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect()
}

fn conc(n: usize, k: usize, f: &(dyn Fn() + Sync)) -> Vec<f64> {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..k).map(|_| scope.spawn(|| seq(n / k, f))).collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

fn median_run(mut runs: Vec<Loop>) -> (Loop, Vec<f64>) {
    let all: Vec<f64> = runs.iter().map(|r| r.rps.round()).collect();
    runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    (runs[runs.len() / 2], all)
}

fn report(label: &str, (l, runs): &(Loop, Vec<f64>)) -> Value {
    println!(
        "  {label:<28} {:>9.0} req/s (runs {runs:?})  lat median {:>6.1} us p99 {:>7.1} us  cpu/req client {:>5.1} us janus {:>5.1} us",
        l.rps, l.median_us, l.p99_us, l.client_cpu_us, l.janus_cpu_us
    );
    json!({"rps_median": l.rps, "rps_runs": runs, "lat_median_us": l.median_us, "lat_p99_us": l.p99_us,
           "client_cpu_us_per_req": l.client_cpu_us, "janus_cpu_us_per_req": l.janus_cpu_us})
}

fn bench_transport(janus: &Janus, url: &str) -> Value {
    let pid = janus.pid().unwrap().to_string();
    let client = Client::connect(ClientConfig::new([url]).unwrap().seed(1)).unwrap();
    let mut out = json!({"url": url});

    // A1: create + attach, sequential.
    let mut setup = Vec::new();
    for i in 0..N_SETUP + 5 {
        let t = Instant::now();
        let s: Session = client.create_session().unwrap();
        let h: Handle = s.attach("janus.plugin.echotest").unwrap();
        if i >= 5 {
            setup.push(t.elapsed().as_secs_f64() * 1e6);
        }
        if let Err(e) = h.detach() {
            let mut seen = Vec::new();
            while let Ok(Some(ev)) = s.events().try_recv() {
                seen.push(ev);
            }
            panic!("detach failed: {e}; session events: {seen:?}");
        }
        s.destroy().unwrap();
    }
    setup.sort_by(f64::total_cmp);
    println!(
        "  create+attach               median {:.1} us  p99 {:.1} us",
        percentile(&setup, 0.5),
        percentile(&setup, 0.99)
    );
    out["setup_median_us"] = percentile(&setup, 0.5).into();

    let session = client.create_session().unwrap();
    let handle = session.attach("janus.plugin.echotest").unwrap();
    let keepalive = || session.keepalive().unwrap();
    let info = || drop(client.info().unwrap());
    let message = || {
        let r = handle.message(json!({"audio": true}), None).unwrap();
        assert_eq!(r.data.data["result"], "ok");
    };
    let ops: [(&str, &(dyn Fn() + Sync)); 3] = [
        ("keepalive", &keepalive),
        ("info", &info),
        ("echotest_msg", &message),
    ];
    for (name, f) in ops {
        seq(200, f);
        conc(2000, CONC, f);
        let s = median_run(
            (0..RUNS)
                .map(|_| measure(&pid, N_SEQ, || seq(N_SEQ, f)))
                .collect(),
        );
        out["seq"][name] = report(&format!("seq {name}"), &s);
        let c = median_run(
            (0..RUNS)
                .map(|_| measure(&pid, N_CONC, || conc(N_CONC, CONC, f)))
                .collect(),
        );
        out["conc"][name] = report(&format!("{CONC}-in-flight {name}"), &c);
    }
    // The figure: one sequential loop of 1,000 EchoTest messages.
    let one = measure(&pid, 1000, || seq(1000, &message));
    println!("  1,000 sequential EchoTest messages: {:.0} msg/s", one.rps);
    out["echotest_1000_seq_rps"] = one.rps.into();
    handle.detach().unwrap();
    session.destroy().unwrap();
    out
}

// ------------------------------------------------------------------ janus-tokio

async fn seq_async<F, Fut>(n: usize, f: &F) -> Vec<f64>
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f().await;
        lat.push(t.elapsed().as_secs_f64() * 1e6);
    }
    lat
}

async fn conc_async<F, Fut>(n: usize, k: usize, f: Arc<F>) -> Vec<f64>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..k {
        let f = Arc::clone(&f);
        tasks.spawn(async move { seq_async(n / k, &*f).await });
    }
    tasks.join_all().await.into_iter().flatten().collect()
}

/// The same measures as [`bench_transport`], with the tokio client on `rt`.
fn bench_transport_tokio(rt: &tokio::runtime::Runtime, janus: &Janus, url: &str) -> Value {
    let pid = janus.pid().unwrap().to_string();
    let config = ClientConfig::new([url]).unwrap().seed(1);
    let client = rt.block_on(janus_tokio::Client::connect(config)).unwrap();
    let mut out = json!({"url": url});

    let mut setup = Vec::new();
    rt.block_on(async {
        for i in 0..N_SETUP + 5 {
            let t = Instant::now();
            let s = client.create_session().await.unwrap();
            let h = s.attach("janus.plugin.echotest").await.unwrap();
            if i >= 5 {
                setup.push(t.elapsed().as_secs_f64() * 1e6);
            }
            h.detach().await.unwrap();
            s.destroy().await.unwrap();
        }
    });
    setup.sort_by(f64::total_cmp);
    println!(
        "  create+attach               median {:.1} us  p99 {:.1} us",
        percentile(&setup, 0.5),
        percentile(&setup, 0.99)
    );
    out["setup_median_us"] = percentile(&setup, 0.5).into();

    let session = Arc::new(rt.block_on(client.create_session()).unwrap());
    let handle = Arc::new(
        rt.block_on(session.attach("janus.plugin.echotest"))
            .unwrap(),
    );
    let client = Arc::new(client);
    macro_rules! op {
        ($name:literal, $f:expr) => {{
            let f = Arc::new($f);
            rt.block_on(seq_async(200, &*f));
            rt.block_on(conc_async(2000, CONC, Arc::clone(&f)));
            let s = median_run(
                (0..RUNS)
                    .map(|_| measure(&pid, N_SEQ, || rt.block_on(seq_async(N_SEQ, &*f))))
                    .collect(),
            );
            out["seq"][$name] = report(&format!("seq {}", $name), &s);
            let c = median_run(
                (0..RUNS)
                    .map(|_| {
                        measure(&pid, N_CONC, || {
                            rt.block_on(conc_async(N_CONC, CONC, Arc::clone(&f)))
                        })
                    })
                    .collect(),
            );
            out["conc"][$name] = report(&format!("{CONC}-in-flight {}", $name), &c);
            f
        }};
    }
    let s = Arc::clone(&session);
    op!("keepalive", move || {
        let s = Arc::clone(&s);
        async move { s.keepalive().await.unwrap() }
    });
    let c = Arc::clone(&client);
    op!("info", move || {
        let c = Arc::clone(&c);
        async move { drop(c.info().await.unwrap()) }
    });
    let h = Arc::clone(&handle);
    let message = op!("echotest_msg", move || {
        let h = Arc::clone(&h);
        async move {
            let r = h.message(json!({"audio": true}), None).await.unwrap();
            assert_eq!(r.data.data["result"], "ok");
        }
    });
    // The figure: one sequential loop of 1,000 EchoTest messages.
    let one = measure(&pid, 1000, || rt.block_on(seq_async(1000, &*message)));
    println!("  1,000 sequential EchoTest messages: {:.0} msg/s", one.rps);
    out["echotest_1000_seq_rps"] = one.rps.into();
    drop(message);
    let handle = Arc::try_unwrap(handle).unwrap();
    rt.block_on(handle.detach()).unwrap();
    let session = Arc::try_unwrap(session).unwrap();
    rt.block_on(session.destroy()).unwrap();
    out
}

fn main() {
    let out_path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bench/signalling.json".into());
    let janus = Janus::builder().session_timeout(60).launch().unwrap();
    pin(&janus.pid().unwrap().to_string(), "1");
    pin(&std::process::id().to_string(), "0");
    let mut results = json!({"n_seq": N_SEQ, "n_conc": N_CONC, "conc": CONC, "runs": RUNS});
    // `BENCH_ONLY=janus-tokio-ws` (adapter-transport) runs one pair, e.g. under `perf record`.
    let only = std::env::var("BENCH_ONLY").ok();
    let wanted = |adapter: &str, transport: &str| {
        only.as_deref()
            .is_none_or(|o| o == format!("{adapter}-{transport}"))
    };
    for (name, url) in [("http", janus.http_url()), ("ws", janus.ws_url())] {
        if !wanted("janus-blocking", name) {
            continue;
        }
        println!("janus-blocking over {name} ({url})");
        results["janus-blocking"][name] = bench_transport(&janus, &url);
    }
    // The client has one core: a current-thread runtime, as one would pick for one core
    // (`TOKIO_WORKERS=2`: two workers on that core, which costs wake-ups across threads).
    let workers = std::env::var("TOKIO_WORKERS").map_or(0, |w| w.parse().unwrap());
    let rt = if workers == 0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .unwrap()
    };
    for (name, url) in [("http", janus.http_url()), ("ws", janus.ws_url())] {
        if !wanted("janus-tokio", name) {
            continue;
        }
        println!("janus-tokio over {name} ({url})");
        results["janus-tokio"][name] = bench_transport_tokio(&rt, &janus, &url);
    }
    println!("\n1,000 sequential EchoTest messages (msg/s):");
    for client in ["janus-blocking", "janus-tokio"] {
        for name in ["ws", "http"] {
            let rps = results[client][name]["echotest_1000_seq_rps"]
                .as_f64()
                .unwrap_or(0.0);
            println!("  {client:<15} {name:<5} {rps:>8.0}");
        }
    }
    if let Some(dir) = std::path::Path::new(&out_path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out_path, serde_json::to_string_pretty(&results).unwrap()).unwrap();
    println!("figures written to {out_path}");
}
