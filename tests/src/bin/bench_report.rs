//! The bench table: reads what `cargo xtask bench` measured in one run (our figures from
//! `bench_signalling`, `bench_scale` and `bench_webrtc`, the anchors' JSON lines from
//! `../shared/anchors` run in the same namespace minutes before) and writes every figure as a
//! ratio to its anchor, with the goal of issue #16 and whether it is met:
//! `target/bench/bench.md` (Markdown) and `target/bench/bench.json`.
//!
//! `cargo run --release -p janus-tests --bin bench_report [DIR]` (DIR default `target/bench`).
//! A figure whose input is missing (a subset not run, a run that failed) or that no code
//! measures yet is a row that says "not measured" and why; nothing is filled in.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// How a row's figure is judged against its anchor.
#[derive(Clone, Copy)]
enum Goal {
    /// ours / anchor <= x.
    RatioAtMost(f64),
    /// ours / anchor >= x.
    RatioAtLeast(f64),
    /// ours / anchor < x.
    RatioBelow(f64),
    /// ours <= x, in the row's unit (no anchor measured in the run).
    AtMost(f64),
    /// No goal that a number can meet (e.g. "all alive": the row's figure says it).
    None,
}

/// One line of the table.
struct Row {
    measure: String,
    unit: &'static str,
    /// Our figure per adapter: janus-blocking, janus-tokio (None: not measured).
    ours: [Option<f64>; 2],
    anchor_name: String,
    anchor: Option<f64>,
    goal: Goal,
    goal_text: String,
    /// Why something is not measured, or what the figure means.
    note: String,
}

impl Row {
    fn ratio(&self, i: usize) -> Option<f64> {
        Some(self.ours[i]? / self.anchor.filter(|a| *a > 0.0)?)
    }

    fn met(&self, i: usize) -> Option<bool> {
        match self.goal {
            Goal::RatioAtMost(x) => self.ratio(i).map(|r| r <= x),
            Goal::RatioAtLeast(x) => self.ratio(i).map(|r| r >= x),
            Goal::RatioBelow(x) => self.ratio(i).map(|r| r < x),
            Goal::AtMost(x) => self.ours[i].map(|v| v <= x),
            Goal::None => None,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "measure": self.measure, "unit": self.unit,
            "janus_blocking": self.ours[0], "janus_tokio": self.ours[1],
            "anchor_name": self.anchor_name, "anchor": self.anchor,
            "ratio_janus_blocking": self.ratio(0), "ratio_janus_tokio": self.ratio(1),
            "goal": self.goal_text,
            "met_janus_blocking": self.met(0), "met_janus_tokio": self.met(1),
            "note": self.note,
        })
    }
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The `JSON {...}` line an anchor script prints last.
fn read_anchor(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("JSON "))?;
    serde_json::from_str(line).ok()
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return None;
    }
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Median over the anchor's rounds of the number at `pointer` (as `summarize.mjs` does).
fn across(rounds: &[Value], pointer: &str) -> Option<f64> {
    median(
        rounds
            .iter()
            .filter_map(|r| r.pointer(pointer)?.as_f64())
            .collect(),
    )
}

/// Median of every run's rate over all rounds.
fn rps_across(rounds: &[Value], pointer: &str) -> Option<f64> {
    median(
        rounds
            .iter()
            .filter_map(|r| r.pointer(pointer)?.as_array().cloned())
            .flatten()
            .filter_map(|x| x.as_f64())
            .collect(),
    )
}

fn fmt(v: Option<f64>, unit: &str) -> String {
    match v {
        None => "not measured".into(),
        Some(x) if x.abs() >= 100.0 => format!("{x:.0} {unit}"),
        Some(x) if x.abs() >= 10.0 => format!("{x:.1} {unit}"),
        Some(x) => format!("{x:.2} {unit}"),
    }
}

fn mark(m: Option<bool>) -> &'static str {
    match m {
        Some(true) => "yes",
        Some(false) => "**no**",
        None => "-",
    }
}

struct Inputs {
    janode: Vec<Value>,
    raw_ws: Vec<Value>,
    raw_http: Vec<Value>,
    janode_scale: Option<Value>,
    ours: Option<Value>,
    scale: Option<Value>,
    scale_blocking: Option<Value>,
    /// Per adapter, as `ADAPTERS`: janus-blocking's, janus-tokio's.
    webrtc: [Option<Value>; 2],
    failover: Option<Value>,
    /// Per adapter, as `ADAPTERS`.
    pcs: [Option<Value>; 2],
    sources: Vec<(PathBuf, bool)>,
}

fn load(dir: &Path) -> Inputs {
    let results = dir.join("anchors/results");
    let mut sources = Vec::new();
    let mut anchor = |name: &str| {
        let path = results.join(name);
        let v = read_anchor(&path);
        sources.push((path, v.is_some()));
        v
    };
    let janode = ["pinned-janode-r1.txt", "pinned-janode-r2.txt"]
        .iter()
        .filter_map(|f| anchor(f))
        .collect();
    let raw_ws = ["pinned-raw-ws-r1.txt", "pinned-raw-ws-r2.txt"]
        .iter()
        .filter_map(|f| anchor(f))
        .collect();
    let raw_http = anchor("raw-http.txt").into_iter().collect();
    let janode_scale = anchor("janode-scale-n10000-c50-ka10.txt");
    let mut ours = |name: &str| {
        let path = dir.join(name);
        let v = read_json(&path);
        sources.push((path, v.is_some()));
        v
    };
    Inputs {
        janode,
        raw_ws,
        raw_http,
        janode_scale,
        ours: ours("signalling.json"),
        scale: ours("scale.json"),
        scale_blocking: ours("scale-blocking.json"),
        webrtc: [ours("webrtc-blocking.json"), ours("webrtc.json")],
        failover: ours("failover.json"),
        pcs: [ours("pcs-blocking.json"), ours("pcs.json")],
        sources,
    }
}

const ADAPTERS: [&str; 2] = ["janus-blocking", "janus-tokio"];
const OPS: [(&str, &str); 3] = [
    ("keepalive", "keepalive"),
    ("info", "info"),
    ("echotest_msg", "EchoTest message"),
];

fn signalling_rows(inp: &Inputs, rows: &mut Vec<Row>) {
    let ours =
        |adapter: &str, pointer: &str| inp.ours.as_ref()?.get(adapter)?.pointer(pointer)?.as_f64();
    let missing = |what: &str, v: &[Value]| {
        if v.is_empty() {
            format!("{what} not run")
        } else {
            String::new()
        }
    };
    for (transport, label) in [("ws", "WS"), ("http", "HTTP")] {
        // janode speaks WebSocket only: over HTTP the anchor is the raw Node floor.
        let (cpu_anchor, cpu_name) = if transport == "ws" {
            (&inp.janode, "janode")
        } else {
            (
                &inp.raw_http,
                "raw Node HTTP floor (janode has no HTTP transport)",
            )
        };
        let floor = if transport == "ws" {
            (&inp.raw_ws, "raw Node WS floor")
        } else {
            (&inp.raw_http, "raw Node HTTP floor")
        };
        for (mode, mode_label) in [("seq", "sequential"), ("conc", "50 in flight")] {
            for (op, op_label) in OPS {
                let p = format!("/{transport}/{mode}/{op}/client_cpu_us_per_req");
                rows.push(Row {
                    measure: format!("client CPU per request, {label}, {op_label}, {mode_label}"),
                    unit: "us",
                    ours: ADAPTERS.map(|a| ours(a, &p)),
                    anchor_name: cpu_name.into(),
                    anchor: across(cpu_anchor, &format!("/{mode}/{op}/client_cpu_us_per_req")),
                    goal: Goal::RatioAtMost(1.0 / 3.0),
                    goal_text: "<= 1/3".into(),
                    note: missing(cpu_name, cpu_anchor),
                });
            }
        }
        for (op, op_label) in OPS {
            rows.push(Row {
                measure: format!("throughput, {label}, {op_label}, 50 in flight"),
                unit: "req/s",
                ours: ADAPTERS.map(|a| ours(a, &format!("/{transport}/conc/{op}/rps_median"))),
                anchor_name: floor.1.into(),
                anchor: rps_across(floor.0, &format!("/conc/{op}/rps_runs")),
                goal: Goal::RatioAtLeast(1.0),
                goal_text: ">= 1.0x".into(),
                note: missing(floor.1, floor.0),
            });
        }
        rows.push(Row {
            measure: format!("create + attach, {label}, sequential median"),
            unit: "us",
            ours: ADAPTERS.map(|a| ours(a, &format!("/{transport}/setup_median_us"))),
            anchor_name: floor.1.into(),
            anchor: across(floor.0, "/setup/median").map(|ms| ms * 1e3),
            goal: Goal::RatioAtMost(1.0),
            goal_text: "<= 1.0x".into(),
            note: missing(floor.1, floor.0),
        });
    }
}

fn scale_rows(inp: &Inputs, rows: &mut Vec<Row>) {
    let n = |v: &Value| v["N"].as_f64().filter(|n| *n > 0.0);
    let both = [inp.scale_blocking.as_ref(), inp.scale.as_ref()];
    let ours = |f: &dyn Fn(&Value) -> Option<f64>| both.map(|s| s.and_then(f));
    let janode = inp.janode_scale.as_ref();
    let threads = "janus-blocking: 50 threads in flight, janus-tokio: 50 tasks";
    rows.push(Row {
        measure: "10,000 sessions + handles on one WS: creation time (50 in flight)".into(),
        unit: "ms",
        ours: ours(&|s| s["create_total_ms"].as_f64()),
        anchor_name: "janode (run-scale.sh)".into(),
        anchor: janode.and_then(|j| j["create_total_ms"].as_f64()),
        goal: Goal::RatioBelow(1.0),
        goal_text: "< 1.0x".into(),
        note: threads.into(),
    });
    let janode_rss = janode.and_then(|j| {
        let after = j.pointer("/mem_after_create/rss_MiB")?.as_f64()?;
        let before = j.pointer("/mem_connected/rss_MiB")?.as_f64()?;
        Some((after - before) * 1024.0 / n(j)?)
    });
    rows.push(Row {
        measure: "10,000 sessions + handles: client RSS per session+handle".into(),
        unit: "KiB",
        ours: ours(&|s| s["rss_kib_per_pair"].as_f64()),
        anchor_name: "janode (run-scale.sh)".into(),
        anchor: janode_rss,
        goal: Goal::RatioAtMost(0.1),
        goal_text: "<= 1/10".into(),
        note: "(VmRSS after creation - VmRSS once connected) / N, as the anchor computes it; \
               `--features dhat-heap` gives the live heap bytes per pair and where they are"
            .into(),
    });
    let alive =
        |v: &Value| -> Option<f64> { Some(v.pointer("/verify/ok")?.as_f64()? / n(v)? * 100.0) };
    let control = both
        .iter()
        .flatten()
        .map(|s| {
            format!(
                "{} after a {} s hold, session_timeout {} s: control sessions without \
                 keepalives timed out: {}/{}",
                s["adapter"].as_str().unwrap_or("?"),
                s["HOLD"],
                s["session_timeout"],
                s["verify"]["control_timed_out"],
                s["verify"]["control"]
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    rows.push(Row {
        measure: "10,000 sessions + handles: alive after the hold (keepalive answered)".into(),
        unit: "%",
        ours: ours(&alive),
        anchor_name: "janode (run-scale.sh)".into(),
        anchor: janode.and_then(alive),
        goal: Goal::None,
        goal_text: "all alive (100 %)".into(),
        note: control,
    });
}

fn webrtc_rows(inp: &Inputs, rows: &mut Vec<Row>) {
    let [b, t] = [inp.webrtc[0].as_ref(), inp.webrtc[1].as_ref()];
    let of = |key: &str| [b, t].map(|w| w.and_then(|w| w.pointer(key)?.as_f64()));
    let passed = |w: Option<&Value>| {
        w.map_or("not run".into(), |w| {
            format!("{} of {} calls passed", w["passed"], w["calls"])
        })
    };
    let calls = format!(
        "janusctl echotest code over WS (janus-blocking: its twin, `blocking_echotest`); \
         janus-blocking {}, janus-tokio {}",
        passed(b),
        passed(t)
    );
    let [answer, connected] = ["/answer_median_ms", "/connected_median_ms"].map(&of);
    rows.push(Row {
        measure: "offer -> Janus webrtcup, EchoTest audio+video+data, median of 20".into(),
        unit: "ms",
        ours: of("/webrtcup_median_ms"),
        anchor_name: "demo before this bench: 31-40 ms (issue #16, not re-measured)".into(),
        anchor: None,
        goal: Goal::AtMost(15.0),
        goal_text: "<= 15 ms".into(),
        note: format!(
            "{calls}; offer -> answer median {} / {}, -> ICE+DTLS median {} / {} \
             (blocking / tokio){}",
            fmt(answer[0], "ms"),
            fmt(answer[1], "ms"),
            fmt(connected[0], "ms"),
            fmt(connected[1], "ms"),
            t.map_or(String::new(), steps_note)
        ),
    });
    // The anchor: the bare loop of the tokio run (both runs measure one; the first found).
    let bare = t.or(b).map(|w| &w["bare_str0m"]);
    let bare_error = bare.and_then(|b| b["error"].as_str());
    for (key, label) in [("median_ms", "median"), ("p99_ms", "p99")] {
        rows.push(Row {
            measure: format!("data-channel echo RTT over 1,000 messages, {label}"),
            unit: "ms",
            ours: of(&format!("/dc_rtt/{key}")),
            anchor_name: "bare str0m loop (two str0m peers, no Janus, same run)".into(),
            anchor: bare.and_then(|b| b["dc_rtt"][key].as_f64()),
            goal: Goal::RatioAtMost(1.0),
            goal_text: "<= 1.0x (no worse than the bare loop)".into(),
            note: match bare_error {
                Some(e) => format!("the bare loop failed: {e}"),
                None => "ours crosses Janus (its SCTP stack and threads), the anchor \
                         a second str0m on a thread of its own"
                    .into(),
            },
        });
    }
}

/// One traced call's steps, ms after its offer, for the note of the `webrtcup` row.
fn steps_note(w: &Value) -> String {
    let s = &w["steps_ms"];
    let at = |k: &str| s[k].as_f64().map_or("?".into(), |v| format!("{v:.1}"));
    if !s.is_object() {
        return String::new();
    }
    format!(
        "; one traced call, ms after the offer: answer applied {}, our first ICE check out {}, \
         its success {}, nominated {}, Janus's first check in {}, DTLS server hello {}, DTLS \
         done {}, connected {}, Janus's webrtcup {}, SCTP up {}, channel open {}: the wait is \
         Janus's first check (libnice paces its checks, 20 ms a tick), not ours",
        at("answer_applied"),
        at("first_binding_out"),
        at("binding_success"),
        at("nominated"),
        at("janus_binding_in"),
        at("dtls_server_hello"),
        at("dtls_done"),
        at("connected"),
        at("webrtcup"),
        at("sctp_up"),
        at("channel_open"),
    )
}

fn failover_rows(inp: &Inputs, rows: &mut Vec<Row>) {
    let f = inp.failover.as_ref();
    let of = |pointer: String| ADAPTERS.map(|a| f?.get(a)?.pointer(&pointer)?.as_f64());
    let timeout = f.and_then(|f| f["silent_connect_timeout_ms"].as_f64());
    rows.push(Row {
        measure: "fail-over to the next server when the first refuses (connect until connected), median of 20".into(),
        unit: "ms",
        ours: of("/refused/median_ms".into()),
        anchor_name: "janus.js 210 ms (issue #16, not re-measured)".into(),
        anchor: None,
        goal: Goal::AtMost(20.0),
        goal_text: "< 20 ms".into(),
        note: "WebSocket".into(),
    });
    rows.push(Row {
        measure: "fail-over when the first never answers the upgrade, median of 5".into(),
        unit: "ms",
        ours: of("/silent/median_ms".into()),
        anchor_name: "the configured connect timeout".into(),
        anchor: timeout,
        // The timeout itself plus the second server's connect: within 10 % of the timeout.
        goal: Goal::RatioAtMost(1.1),
        goal_text: "the connect timeout (<= 1.1x)".into(),
        note: "WebSocket; a listener that never accepts".into(),
    });
    rows.push(Row {
        measure:
            "reconnect + claim after a cut WebSocket, until a keepalive is answered, median of 20"
                .into(),
        unit: "ms",
        ours: of("/reconnect/median_ms".into()),
        anchor_name: "janus.js 10-16 ms (issue #16, not re-measured)".into(),
        anchor: None,
        goal: Goal::AtMost(5.0),
        goal_text: "< 5 ms".into(),
        note: "default reconnect policy; the cut is a TCP proxy shutting both sides down".into(),
    });
}

fn pcs_rows(inp: &Inputs, rows: &mut Vec<Row>) {
    let [b, t] = [inp.pcs[0].as_ref(), inp.pcs[1].as_ref()];
    let of = |key: &str| [b, t].map(|p| p.and_then(|p| p[key].as_f64()));
    let n = t.or(b).map_or("?".into(), |p| p["pcs"].to_string());
    let passed = |p: Option<&Value>| {
        p.map_or("not run".into(), |p| {
            format!(
                "{} of {} passed, median offer -> webrtcup {}",
                p["passed"],
                p["pcs"],
                fmt(p["webrtcup_median_ms"].as_f64(), "ms")
            )
        })
    };
    let why = "janusctl echotest code (janus-blocking: its twin, a thread per call), Opus \
               20 ms frames and the VP8 sample (about 190 kbit/s) for 5 s each; Janus gets an \
               RTP port range wide enough for the calls (`PCS=500 cargo xtask bench -- pcs` \
               for the issue's 500)";
    rows.push(Row {
        measure: format!(
            "{n} concurrent EchoTest PeerConnections with media: slowest offer -> webrtcup"
        ),
        unit: "ms",
        ours: of("webrtcup_max_ms"),
        anchor_name:
            "100 small-frame PCs through janus-tokio up in 0.6 s (issue #16, not re-measured)"
                .into(),
        anchor: None,
        goal: Goal::None,
        goal_text: "500 up within 3 s".into(),
        note: format!(
            "janus-blocking: {}; janus-tokio: {}; {why}",
            passed(b),
            passed(t)
        ),
    });
    let side = |p: Option<&Value>| {
        let get = |key: &str| p.and_then(|p| p[key].as_f64());
        format!(
            "the client {} of its core, Janus {} of its own, most bytes waiting unread in UDP \
             buffers: ours {}, Janus's {}",
            fmt(get("client_core_pct"), "%"),
            fmt(get("janus_core_pct"), "%"),
            fmt(get("udp_backlog_peak_bytes_client"), "B"),
            fmt(get("udp_backlog_peak_bytes_janus"), "B")
        )
    };
    rows.push(Row {
        measure: format!("{n} concurrent PeerConnections: client CPU per PC (whole run, one core)"),
        unit: "% core",
        ours: of("client_core_share_per_pc_pct"),
        anchor_name: "Chromium 6.5-7 % of a core per PC (issue #16, not re-measured)".into(),
        anchor: None,
        goal: Goal::None,
        goal_text: "reported".into(),
        note: format!(
            "setup, 5 s of media and hangup together; janus-blocking: {}; janus-tokio: {} (the \
             side that falls behind is the limit)",
            side(b),
            side(t)
        ),
    });
    rows.push(Row {
        measure: format!("{n} concurrent PeerConnections: client peak RSS growth per PC"),
        unit: "KiB",
        ours: of("rss_peak_growth_kib_per_pc"),
        anchor_name: "-".into(),
        anchor: None,
        goal: Goal::None,
        goal_text: "reported".into(),
        note: String::new(),
    });
}

fn markdown(rows: &[Row], inp: &Inputs) -> String {
    let mut md = String::from(
        "# cargo xtask bench\n\nOur figures beside the anchors of `../shared/anchors`, measured in \
         the same run, in the same kind of private network namespace (Janus on CPU 1, the \
         client on CPU 0, for the signalling rows). Ratio = ours / anchor.\n\n\
         | measure | janus-blocking | janus-tokio | anchor | ratio (blocking / tokio) | goal | \
         met (blocking / tokio) | note |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let ratio = |i| r.ratio(i).map_or("-".to_string(), |x| format!("{x:.2}x"));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {}: {} | {} / {} | {} | {} / {} | {} |",
            r.measure,
            fmt(r.ours[0], r.unit),
            fmt(r.ours[1], r.unit),
            r.anchor_name,
            r.anchor.map_or("-".into(), |a| fmt(Some(a), r.unit)),
            ratio(0),
            ratio(1),
            r.goal_text,
            mark(r.met(0)),
            mark(r.met(1)),
            r.note
        );
    }
    md.push_str("\nInputs (a subset run leaves the other parts' files of an earlier run):\n\n");
    let now = std::time::SystemTime::now();
    for (path, ok) in &inp.sources {
        let when = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .map_or("missing".into(), |t| {
                let age = now.duration_since(t).unwrap_or_default().as_secs();
                format!("written {age} s before this table")
            });
        let _ = writeln!(
            md,
            "- `{}`: {}{}",
            path.display(),
            when,
            if *ok { "" } else { " (not read)" }
        );
    }
    md
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/bench".into()),
    );
    let inp = load(&dir);
    let mut rows = Vec::new();
    signalling_rows(&inp, &mut rows);
    scale_rows(&inp, &mut rows);
    webrtc_rows(&inp, &mut rows);
    pcs_rows(&inp, &mut rows);
    failover_rows(&inp, &mut rows);
    let md = markdown(&rows, &inp);
    let json = json!({"rows": rows.iter().map(Row::to_json).collect::<Vec<_>>()});
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("bench.md"), &md))
        .and_then(|()| {
            std::fs::write(
                dir.join("bench.json"),
                serde_json::to_string_pretty(&json).unwrap_or_default(),
            )
        });
    print!("{md}");
    match written {
        Ok(()) => println!("\nwritten to {}", dir.join("bench.md").display()),
        Err(e) => {
            eprintln!("bench_report: cannot write to {}: {e}", dir.display());
            std::process::exit(1);
        }
    }
}
