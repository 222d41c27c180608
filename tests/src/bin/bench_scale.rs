//! Scale benchmark: 10,000 sessions with one EchoTest handle each on one WebSocket with
//! janus-tokio (or janus-blocking), mirroring `../shared/anchors/janode-scale.mjs` (run by `run-scale.sh`):
//! Janus's `session_timeout` 20 s, 50 creations in flight, keepalives every 10 s (janus-tokio's
//! default for a 20 s timeout: half of it), a 30 s hold, then an explicit `keepalive` on every
//! session (Janus answers an error for a session it timed out), then `destroy` of all.
//!
//! `cargo xtask netns -- cargo run --release -p janus-tests --bin bench_scale [OUT.json]`
//! (`cargo xtask bench -- scale` runs it beside janode's and puts both in the table).
//! `N`, `CONC` and `HOLD` (s) override the counts, as they do for the anchor. `ADAPTER=blocking`
//! runs the same with janus-blocking (50 threads in flight instead of 50 tasks; the explicit
//! keepalives from 50 threads).
//!
//! RSS per session+handle is (VmRSS after the creations - VmRSS once connected) / N, as the
//! anchor computes it. A control of three sessions created over HTTP and never kept alive
//! must be gone after the hold: that shows the timeout was in force.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use janus_proto::ClientConfig;
use janus_tests::Janus;
use janus_tests::bench::{percentile, status_kib};
use serde_json::{Value, json};

// With `--features dhat-heap` every allocation is recorded: the figures then include the
// live heap bytes per session+handle, and `target/bench/dhat-scale.json` (viewable in dhat's
// viewer; its "at t-end" figures are the moment after creation) says where they were
// allocated. Timings under the profiler mean nothing.
#[cfg(feature = "dhat-heap")]
#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// The heap profiler runs (it ends after the figures of the created sessions).
#[cfg(feature = "dhat-heap")]
static PROFILING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Bytes live on the heap, while the heap profiler runs.
fn heap_bytes() -> Option<u64> {
    #[cfg(feature = "dhat-heap")]
    return PROFILING
        .load(Ordering::Relaxed)
        .then(|| dhat::HeapStats::get().curr_bytes as u64);
    #[cfg(not(feature = "dhat-heap"))]
    None
}

const SESSION_TIMEOUT: u32 = 20;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn mem(janus_pid: &str) -> Value {
    json!({"rss_kib": status_kib("self", "VmRSS:"), "janus_rss_kib": status_kib(janus_pid, "VmRSS:"),
           "heap_bytes": heap_bytes()})
}

fn main() {
    let out_path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bench/scale.json".into());
    let (n, conc, hold) = (env_or("N", 10_000), env_or("CONC", 50), env_or("HOLD", 30));
    #[cfg(feature = "dhat-heap")]
    let profiler = dhat::Profiler::builder()
        .file_name("target/bench/dhat-scale.json")
        .build();
    #[cfg(feature = "dhat-heap")]
    PROFILING.store(true, Ordering::Relaxed);
    let janus = Janus::builder()
        .session_timeout(SESSION_TIMEOUT)
        .launch()
        .unwrap();
    let jpid = janus.pid().unwrap().to_string();
    let adapter = std::env::var("ADAPTER").unwrap_or_else(|_| "tokio".into());
    let mut out = json!({"N": n, "CONC": conc, "HOLD": hold, "session_timeout": SESSION_TIMEOUT,
                         "adapter": format!("janus-{adapter}")});
    // Each session and each handle owns a bounded queue of its events, which allocates for
    // the events it holds: these sizes say what each costs.
    out["event_bytes"] = json!({
        "session_event": std::mem::size_of::<janus_proto::Event>(),
        "handle_event": std::mem::size_of::<janus_tokio::rtc::HandleEvent>(),
    });
    out["mem_start"] = mem(&jpid);
    // The verification sends N keepalives at once, as the anchor does: room for all of them
    // in the pending-request table (its default cap, 4,096, refuses the rest locally with
    // `TooManyInFlight` whenever Janus answers slower than they are sent).
    let config = ClientConfig::new([janus.ws_url()])
        .unwrap()
        .max_in_flight(n + 100);
    let client = Client::connect(&adapter, config);
    std::thread::sleep(Duration::from_millis(200));
    out["mem_connected"] = mem(&jpid);
    println!("connected {}", out["mem_connected"]);

    // The control: three sessions nobody keeps alive.
    let control: Vec<u64> = (0..3)
        .map(|i| {
            let r = janus
                .api_post(
                    "",
                    &json!({"janus": "create", "transaction": format!("c{i}")}),
                )
                .unwrap();
            r["data"]["id"].as_u64().unwrap()
        })
        .collect();

    let t0 = Instant::now();
    let (mut per, pairs) = client.create(n, conc);
    let create_ms = t0.elapsed().as_secs_f64() * 1e3;
    per.sort_by(f64::total_cmp);
    std::thread::sleep(Duration::from_millis(500));
    out["create_total_ms"] = create_ms.into();
    out["per_session_ms"] = json!({"median": percentile(&per, 0.5), "p99": percentile(&per, 0.99)});
    out["mem_after_create"] = mem(&jpid);
    let rss_per_pair = (out["mem_after_create"]["rss_kib"].as_f64().unwrap()
        - out["mem_connected"]["rss_kib"].as_f64().unwrap())
        / pairs.len() as f64;
    out["rss_kib_per_pair"] = rss_per_pair.into();
    if let (Some(after), Some(before)) = (heap_bytes(), out["mem_connected"]["heap_bytes"].as_u64())
    {
        let per = (after as f64 - before as f64) / pairs.len() as f64;
        out["heap_bytes_per_pair"] = per.into();
        println!("heap: {per:.0} bytes live per session+handle");
    }
    // The profile ends here, so that its "at t-end" figures are the live sessions and
    // handles (its peak comes later, while they are torn down).
    #[cfg(feature = "dhat-heap")]
    {
        PROFILING.store(false, Ordering::Relaxed);
        drop(profiler);
    }
    println!(
        "created {} sessions+handles in {create_ms:.0} ms (conc {conc}); per pair median {:.2} ms; \
         RSS {rss_per_pair:.2} KiB per session+handle",
        pairs.len(),
        percentile(&per, 0.5)
    );

    println!("holding {hold} s (session_timeout {SESSION_TIMEOUT} s, {adapter}'s keepalives)...");
    std::thread::sleep(Duration::from_secs(hold as u64));
    out["mem_after_hold"] = mem(&jpid);
    // What the client heard about its sessions during the hold (Janus's `timeout` is a
    // `SessionLost`), before the explicit keepalives.
    let heard = pairs.heard();
    let vt = Instant::now();
    let results = pairs.keepalive_all();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let bad = results.len() - ok;
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for e in results.into_iter().filter_map(Result::err) {
        *errors.entry(e).or_default() += 1;
    }
    let control_gone = control
        .iter()
        .filter(|id| {
            let r = janus
                .api_post(
                    &format!("/{id}"),
                    &json!({"janus": "keepalive", "transaction": "k"}),
                )
                .unwrap();
            r["janus"] == "error"
        })
        .count();
    out["verify"] = json!({"ok": ok, "bad": bad, "verify_ms": vt.elapsed().as_secs_f64() * 1e3,
                           "errors": errors, "session_events_during_hold": heard,
                           "control_timed_out": control_gone, "control": control.len()});
    println!("verify {}", out["verify"]);
    let dt = Instant::now();
    pairs.teardown();
    out["destroy_all_ms"] = (dt.elapsed().as_secs_f64() * 1e3).into();
    if let Some(dir) = std::path::Path::new(&out_path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out_path, serde_json::to_string_pretty(&out).unwrap()).unwrap();
    println!("figures written to {out_path}");
}

/// The client under test, in either adapter.
enum Client {
    Tokio(tokio::runtime::Runtime, Arc<janus_tokio::Client>),
    Blocking(janus_blocking::Client),
}

/// Its sessions and handles, held through the run.
enum Pairs {
    Tokio(
        tokio::runtime::Runtime,
        Vec<(Arc<janus_tokio::Session>, janus_tokio::Handle)>,
    ),
    Blocking(Vec<(janus_blocking::Session, janus_blocking::Handle)>),
}

impl Client {
    fn connect(adapter: &str, config: ClientConfig) -> Self {
        match adapter {
            "tokio" => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                let client = rt.block_on(janus_tokio::Client::connect(config)).unwrap();
                Self::Tokio(rt, Arc::new(client))
            }
            "blocking" => Self::Blocking(janus_blocking::Client::connect(config).unwrap()),
            other => panic!("ADAPTER={other}: tokio or blocking"),
        }
    }

    /// `n` sessions with an EchoTest handle each, `conc` in flight (tasks, or threads for
    /// the blocking adapter); the milliseconds each pair took.
    fn create(self, n: usize, conc: usize) -> (Vec<f64>, Pairs) {
        let next = Arc::new(AtomicUsize::new(0));
        match self {
            Self::Tokio(rt, client) => {
                let created = rt.block_on(async {
                    let mut tasks = tokio::task::JoinSet::new();
                    for _ in 0..conc {
                        let (client, next) = (Arc::clone(&client), Arc::clone(&next));
                        tasks.spawn(async move {
                            let mut mine = Vec::new();
                            while next.fetch_add(1, Ordering::Relaxed) < n {
                                let s0 = Instant::now();
                                let s = client.create_session().await.unwrap();
                                let h = s.attach("janus.plugin.echotest").await.unwrap();
                                mine.push((s0.elapsed().as_secs_f64() * 1e3, Arc::new(s), h));
                            }
                            mine
                        });
                    }
                    tasks.join_all().await
                });
                let (per, pairs) = created
                    .into_iter()
                    .flatten()
                    .map(|(ms, s, h)| (ms, (s, h)))
                    .unzip();
                (per, Pairs::Tokio(rt, pairs))
            }
            Self::Blocking(client) => {
                let created: Vec<_> = std::thread::scope(|scope| {
                    let workers: Vec<_> = (0..conc)
                        .map(|_| {
                            let (client, next) = (&client, Arc::clone(&next));
                            scope.spawn(move || {
                                let mut mine = Vec::new();
                                while next.fetch_add(1, Ordering::Relaxed) < n {
                                    let s0 = Instant::now();
                                    let s = client.create_session().unwrap();
                                    let h = s.attach("janus.plugin.echotest").unwrap();
                                    mine.push((s0.elapsed().as_secs_f64() * 1e3, (s, h)));
                                }
                                mine
                            })
                        })
                        .collect();
                    workers
                        .into_iter()
                        .flat_map(|w| w.join().unwrap())
                        .collect()
                });
                let (per, pairs) = created.into_iter().unzip();
                (per, Pairs::Blocking(pairs))
            }
        }
    }
}

impl Pairs {
    fn len(&self) -> usize {
        match self {
            Self::Tokio(_, p) => p.len(),
            Self::Blocking(p) => p.len(),
        }
    }

    /// What the sessions heard so far (Janus's `timeout` is a `SessionLost`), by event name.
    fn heard(&self) -> BTreeMap<String, usize> {
        let mut heard: BTreeMap<String, usize> = BTreeMap::new();
        let mut count = |name: &str| *heard.entry(name.to_owned()).or_default() += 1;
        match self {
            Self::Tokio(_, pairs) => {
                for (s, _) in pairs {
                    while let Ok(Some(e)) = s.events().try_recv() {
                        count(e.name());
                    }
                }
            }
            Self::Blocking(pairs) => {
                for (s, _) in pairs {
                    while let Ok(Some(e)) = s.events().try_recv() {
                        count(e.name());
                    }
                }
            }
        }
        heard
    }

    /// An explicit `keepalive` on every session: all at once (tokio), or from 50 threads.
    fn keepalive_all(&self) -> Vec<Result<(), String>> {
        match self {
            Self::Tokio(rt, pairs) => rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for (s, _) in pairs {
                    let s = Arc::clone(s);
                    tasks.spawn(async move {
                        s.keepalive().await.map_err(|e| janusctl::load::kind(&e))
                    });
                }
                tasks.join_all().await
            }),
            Self::Blocking(pairs) => std::thread::scope(|scope| {
                let workers: Vec<_> = pairs
                    .chunks(pairs.len().div_ceil(50).max(1))
                    .map(|chunk| {
                        scope.spawn(move || {
                            chunk
                                .iter()
                                .map(|(s, _)| s.keepalive().map_err(|e| e.to_string()))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|w| w.join().unwrap())
                    .collect()
            }),
        }
    }

    /// Detaches every handle and destroys every session.
    fn teardown(self) {
        match self {
            Self::Tokio(rt, pairs) => rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for (s, h) in pairs {
                    tasks.spawn(async move {
                        let _ = h.detach().await;
                        if let Ok(s) = Arc::try_unwrap(s) {
                            let _ = s.destroy().await;
                        }
                    });
                }
                tasks.join_all().await;
            }),
            Self::Blocking(pairs) => {
                let mut pairs = pairs;
                let per = pairs.len().div_ceil(50).max(1);
                std::thread::scope(|scope| {
                    while !pairs.is_empty() {
                        let chunk: Vec<_> = pairs.drain(..per.min(pairs.len())).collect();
                        scope.spawn(move || {
                            for (s, h) in chunk {
                                let _ = h.detach();
                                let _ = s.destroy();
                            }
                        });
                    }
                });
            }
        }
    }
}
