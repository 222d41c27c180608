//! WebRTC benchmark: offer -> Janus `webrtcup` over 20 EchoTest calls (audio, video and a data
//! channel), and the data-channel echo round trip over 1,000 messages, with janusctl's
//! `echotest` code (the demo's), janus-tokio over WebSocket against a private Janus;
//! `ADAPTER=blocking` runs the same calls on janus-blocking ([`janus_tests::blocking_echotest`]).
//!
//! `cargo xtask netns -- cargo run --release -p janus-tests --bin bench_webrtc [OUT.json]`
//! (`cargo xtask bench -- webrtc` runs it and puts it in the table).
//!
//! Each call is a fresh session and handle on one client; the first call times 1,000
//! sequential data-channel round trips, the others none; each sends media for one second so
//! that the echo is checked (a call that fails is counted and left out of the medians).
//!
//! One more call runs traced ([`janus_tests::steps`]): the ms after its offer of each step
//! (answer applied, first ICE check out, its success, Janus's first check in, DTLS, SCTP,
//! the channel open, Janus's `webrtcup`) go to `steps_ms`.
//!
//! The anchor of the round trips, measured in the same run: the bare str0m loop
//! ([`janus_tests::bare_rtc`]), two str0m peers on 127.0.0.2 with no Janus, the same
//! 1,000 sequential messages and echoes of the same sizes.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Duration;

use janus_proto::ClientConfig;
use janus_tests::Janus;
use janusctl::echotest;
use serde_json::json;

const CALLS: usize = 20;
const PINGS: u32 = 1000;

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    (!v.is_empty()).then(|| v[v.len() / 2])
}

fn main() {
    let out_path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bench/webrtc.json".into());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut janus = Janus::launch().unwrap();
    let config = ClientConfig::new([janus.ws_url()])
        .unwrap()
        .request_timeout(Duration::from_secs(10));
    let blocking = std::env::var("ADAPTER").is_ok_and(|a| a == "blocking");
    let client = Client::connect(&rt, config, blocking);
    let mut options = echotest::Options::new(janus.media_ip().into()).unwrap();
    options.duration = Duration::from_secs(1);
    let (mut answer, mut connected, mut up) = (Vec::new(), Vec::new(), Vec::new());
    let (mut failed, mut pings) = (Vec::new(), None);
    for call in 0..CALLS {
        options.pings = if call == 0 { PINGS } else { 0 };
        let report = client.run(&rt, &options);
        let f = |v: Option<f64>| v.map_or("-".into(), |ms| format!("{ms:.2}"));
        println!(
            "  call {:>2}: offer -> answer {} ms, -> ICE+DTLS {} ms, -> webrtcup {} ms{}",
            call + 1,
            f(report.answer_ms),
            f(report.connected_ms),
            f(report.webrtcup_ms),
            if report.passed() { "" } else { "  FAILED" }
        );
        if !report.passed() {
            failed.push(report.failures.join("; "));
            continue;
        }
        answer.extend(report.answer_ms);
        connected.extend(report.connected_ms);
        up.extend(report.webrtcup_ms);
        if call == 0 {
            pings = Some(report.pings.clone());
        }
    }
    // One more call, traced: where its offer -> webrtcup went (tracing slows it a little;
    // the medians above are of calls without a subscriber).
    let steps = janus_tests::steps::capture().map(|capture| {
        options.pings = 0;
        capture.clear();
        let report = client.run(&rt, &options);
        let mut steps = janus_tests::steps::steps(&capture);
        steps.insert("traced_webrtcup_ms".into(), json!(report.webrtcup_ms));
        steps
    });
    println!("steps of one traced call (ms after the offer): {steps:?}");
    let mut out = json!({
        "adapter": if blocking { "janus-blocking" } else { "janus-tokio" },
        "calls": CALLS,
        "passed": up.len(),
        "failures": failed,
        "answer_median_ms": median(answer),
        "connected_median_ms": median(connected),
        "webrtcup_median_ms": median(up.clone()),
        "webrtcup_ms": up,
        "dc_rtt": pings,
        "steps_ms": steps,
    });
    println!(
        "medians: offer -> answer {} ms, -> ICE+DTLS {} ms, -> webrtcup {} ms; data channel {}",
        out["answer_median_ms"],
        out["connected_median_ms"],
        out["webrtcup_median_ms"],
        out["dc_rtt"]
    );
    drop(client);
    janus.stop().unwrap();
    let bare =
        janus_tests::bare_rtc::run(janus_tests::MEDIA_IP.into(), PINGS, Duration::from_secs(10));
    let bare = match bare {
        Ok(run) => {
            let q = |q| janus_tests::bare_rtc::quantile_ms(&run.rtts, q);
            json!({
                "connected_ms": run.connected_ms,
                "channel_open_ms": run.channel_open_ms,
                "dc_rtt": {"count": run.rtts.len(), "median_ms": q(0.5), "p99_ms": q(0.99), "max_ms": q(1.0)},
            })
        }
        Err(e) => json!({"error": e}),
    };
    println!("bare str0m loop: {bare}");
    out["bare_str0m"] = bare;
    if let Some(dir) = std::path::Path::new(&out_path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&out_path, serde_json::to_string_pretty(&out).unwrap()).unwrap();
    println!("figures written to {out_path}");
}

/// The client under test, in either adapter.
enum Client {
    Tokio(janus_tokio::Client),
    Blocking(janus_blocking::Client),
}

impl Client {
    fn connect(rt: &tokio::runtime::Runtime, config: ClientConfig, blocking: bool) -> Self {
        if blocking {
            Self::Blocking(janus_blocking::Client::connect(config).unwrap())
        } else {
            Self::Tokio(rt.block_on(janus_tokio::Client::connect(config)).unwrap())
        }
    }

    fn run(&self, rt: &tokio::runtime::Runtime, options: &echotest::Options) -> echotest::Report {
        match self {
            Self::Tokio(c) => rt.block_on(echotest::run(c, options, |_| {})),
            Self::Blocking(c) => janus_tests::blocking_echotest::run(c, options),
        }
    }
}
