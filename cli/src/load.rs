//! `load`: many sessions with handles at a given rate on one client, optionally WebRTC
//! EchoTest calls with media beside them; per-operation latency percentiles (hdrhistogram),
//! errors by kind, events seen, the client's CPU time. Bounded: everything stops at the
//! deadline, and what had not finished by then is counted as `unfinished`.
//!
//! Each session, started at its slot (`i / rate` after the start): `create`, then for each
//! handle `attach` (the EchoTest) and one EchoTest `message`; it waits until every session has
//! got that far (or failed), everything is held open for `hold` while the client's keepalives
//! run, then each session sends one `keepalive` of its own, `detach`es its handles and is
//! `destroy`ed. The WebRTC calls are [`crate::echotest`] runs of `hold` seconds each (at
//! least two), started at once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use janus_proto::plugin::echotest;
use janus_tokio::rtc::HandleEvent;
use janus_tokio::{Client, Error as ClientError, Handle, Session};
use serde::Serialize;
use tokio::sync::watch;

use crate::echotest as webrtc;

const ECHOTEST: &str = "janus.plugin.echotest";

/// What to load the server with.
#[derive(Debug, Clone)]
pub struct Options {
    /// Sessions to create.
    pub sessions: u32,
    /// Handles per session.
    pub handles: u32,
    /// New sessions per second.
    pub rate: f64,
    /// WebRTC EchoTest calls; their settings (the address, the media) come from `call`.
    pub webrtc: u32,
    /// The settings of each call (its duration is set from `hold`).
    pub call: Option<webrtc::Options>,
    /// Everything stops at this long after the start.
    pub duration: Duration,
    /// How long everything is held open once created.
    pub hold: Duration,
}

/// Latency percentiles of one operation, ms.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Latency {
    /// Successful operations.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// What the WebRTC calls did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Calls {
    /// Calls started.
    pub started: u32,
    /// Calls whose EchoTest verdict was a pass.
    pub passed: u32,
    /// Offer sent -> Janus's `webrtcup`.
    pub webrtcup: Latency,
    /// Frames sent and echoed, all calls together.
    pub frames: (u64, u64),
    /// The failures of the calls that failed, as their reports said.
    pub failures: Vec<String>,
}

/// The load test's outcome.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Everything asked for succeeded before the deadline.
    pub ok: bool,
    /// Wall time, s.
    pub seconds: f64,
    /// The deadline stopped the test before everything was done.
    pub deadline_hit: bool,
    /// Sessions created, of those asked for.
    pub sessions: (u64, u32),
    /// Handles attached, of those asked for.
    pub handles: (u64, u64),
    /// Per operation (`create`, `attach`, `message`, `keepalive`, `detach`, `destroy`).
    pub operations: BTreeMap<&'static str, Latency>,
    /// Errors by operation and kind (`attach: timeout`, `create: janus 403`, ...).
    pub errors: BTreeMap<String, u64>,
    /// Events seen on the handles and the client, by name (`webrtcup`, `media`, ...).
    pub events: BTreeMap<String, u64>,
    /// The WebRTC calls.
    pub calls: Calls,
    /// Client CPU time (user + system, the whole process), s.
    pub cpu_seconds: f64,
    /// Client CPU per signalling request, µs (calls' media included in the total).
    pub cpu_per_request_us: f64,
}

/// Shared by the tasks: histograms and counters, locked briefly.
#[derive(Debug, Default)]
struct Stats {
    ops: BTreeMap<&'static str, Histogram<u64>>,
    errors: BTreeMap<String, u64>,
    events: BTreeMap<String, u64>,
}

impl Stats {
    fn ok(&mut self, op: &'static str, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        let h = self.ops.entry(op).or_insert_with(histogram);
        h.saturating_record(micros);
    }

    fn error(&mut self, op: &'static str, e: &ClientError) {
        *self.errors.entry(format!("{op}: {}", kind(e))).or_default() += 1;
    }

    fn event(&mut self, name: &str) {
        *self.events.entry(name.to_owned()).or_default() += 1;
    }
}

/// Microseconds from 1 µs to an hour, 3 significant figures (longer is recorded as an hour).
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3)
        .unwrap_or_else(|e| unreachable!("constant hdrhistogram bounds are valid: {e}"))
}

/// An error's kind, without what varies between occurrences (ids, texts).
pub fn kind(e: &ClientError) -> String {
    if e.is_timeout() {
        return "timeout".into();
    }
    if let Some(code) = e.janus_code() {
        return format!("janus {}", code.code());
    }
    if let Some(code) = e.plugin_code() {
        return format!("plugin {code}");
    }
    match e {
        ClientError::Unreachable(_) => "unreachable".into(),
        ClientError::Closed => "closed".into(),
        ClientError::Io(_) => "io".into(),
        ClientError::Rtc(_) => "webrtc".into(),
        ClientError::Request(_) => "request".into(),
        ClientError::Local(_) => "refused locally".into(),
        _ => "other".into(),
    }
}

fn latency(h: &Histogram<u64>) -> Latency {
    let ms = |micros: u64| micros as f64 / 1000.0;
    Latency {
        count: h.len(),
        p50_ms: ms(h.value_at_quantile(0.5)),
        p90_ms: ms(h.value_at_quantile(0.9)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        max_ms: ms(h.max()),
    }
}

/// Progress bars while the test runs: sessions created, handles attached, calls done. They
/// draw where the target says (stderr when it is a terminal, nowhere otherwise).
#[derive(Debug, Clone)]
pub struct Progress {
    _bars: MultiProgress,
    sessions: ProgressBar,
    handles: ProgressBar,
    calls: ProgressBar,
}

impl Progress {
    /// Bars for this test, drawn to `target` (e.g. `ProgressDrawTarget::stderr()`).
    pub fn new(target: ProgressDrawTarget, options: &Options) -> Self {
        let bars = MultiProgress::with_draw_target(target);
        let style = ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = |name: &'static str, len: u64| {
            let b = bars.add(ProgressBar::new(len).with_style(style.clone()));
            b.set_prefix(name);
            b
        };
        let sessions = bar("sessions", u64::from(options.sessions));
        let handles = bar(
            "handles",
            u64::from(options.sessions) * u64::from(options.handles),
        );
        let calls = bar("webrtc", u64::from(options.webrtc));
        Self {
            _bars: bars,
            sessions,
            handles,
            calls,
        }
    }

    /// Hidden: for scripts and tests.
    pub fn hidden(options: &Options) -> Self {
        Self::new(ProgressDrawTarget::hidden(), options)
    }

    fn finish(&self) {
        for bar in [&self.sessions, &self.handles, &self.calls] {
            bar.abandon();
        }
    }
}

/// Runs the load test on `client`.
pub async fn run(client: &Client, options: &Options, progress: &Progress) -> Summary {
    let cpu_start = cpu_time();
    let start = Instant::now();
    let deadline = start + options.duration;
    let stats = Arc::new(Mutex::new(Stats::default()));
    let ready = Arc::new(AtomicUsize::new(0));
    let (release, released) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();

    let call_seconds = options.hold.max(Duration::from_secs(2));
    let calls = Arc::new(Mutex::new(Calls {
        started: options.webrtc,
        ..Calls::default()
    }));
    let mut webrtcup = histogram();
    let webrtcup_times = Arc::new(Mutex::new(Vec::new()));
    if let Some(call) = &options.call {
        for _ in 0..options.webrtc {
            let (client, calls, times, bar) = (
                client.clone(),
                calls.clone(),
                webrtcup_times.clone(),
                progress.calls.clone(),
            );
            let mut call = call.clone();
            call.duration = call_seconds;
            call.pings = 10;
            tasks.spawn(async move {
                let report = webrtc::run(&client, &call, |_| {}).await;
                let mut c = calls.lock().unwrap_or_else(PoisonError::into_inner);
                c.passed += u32::from(report.passed());
                c.frames.0 += u64::from(report.audio.0 + report.video.0);
                c.frames.1 += u64::from(report.audio.1 + report.video.1);
                c.failures.extend(report.failures.iter().cloned());
                if let Some(ms) = report.webrtcup_ms {
                    times
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(ms);
                }
                bar.inc(1);
            });
        }
    }

    let rate = options.rate.max(0.001);
    for i in 0..options.sessions {
        let slot = start + Duration::from_secs_f64(f64::from(i) / rate);
        if slot >= deadline {
            break;
        }
        tokio::time::sleep_until(slot.into()).await;
        let task = SessionTask {
            client: client.clone(),
            handles: options.handles,
            stats: stats.clone(),
            ready: ready.clone(),
            released: released.clone(),
            progress: progress.clone(),
        };
        tasks.spawn(task.run());
    }

    // Hold once every session is ready (or has failed), then let them close.
    let all = options.sessions as usize;
    while ready.load(Ordering::Acquire) < all && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let hold_end = (Instant::now() + options.hold).min(deadline);
    tokio::time::sleep_until(hold_end.into()).await;
    let _ = release.send(true);

    let mut deadline_hit = false;
    loop {
        match tokio::time::timeout_at(deadline.into(), tasks.join_next()).await {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                deadline_hit = true;
                let left = tasks.len() as u64;
                tasks.abort_all();
                stats
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .errors
                    .insert("unfinished at the deadline".into(), left);
                break;
            }
        }
    }
    while let Ok(Some(e)) = client.events().try_recv() {
        stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .event(e.name());
    }
    progress.finish();

    let stats = std::mem::take(&mut *stats.lock().unwrap_or_else(PoisonError::into_inner));
    let mut calls = std::mem::take(&mut *calls.lock().unwrap_or_else(PoisonError::into_inner));
    for ms in webrtcup_times
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
    {
        webrtcup.saturating_record((ms * 1000.0) as u64);
    }
    calls.webrtcup = latency(&webrtcup);
    let operations: BTreeMap<_, _> = stats.ops.iter().map(|(k, h)| (*k, latency(h))).collect();
    let count = |op: &str| operations.get(op).map_or(0, |l| l.count);
    let requests: u64 = operations.values().map(|l| l.count).sum();
    let cpu = cpu_time().saturating_sub(cpu_start).as_secs_f64();
    let handles_wanted = u64::from(options.sessions) * u64::from(options.handles);
    let ok = stats.errors.is_empty()
        && !deadline_hit
        && count("create") == u64::from(options.sessions)
        && count("destroy") == u64::from(options.sessions)
        && count("attach") == handles_wanted
        && calls.passed == options.webrtc;
    Summary {
        ok,
        seconds: start.elapsed().as_secs_f64(),
        deadline_hit,
        sessions: (count("create"), options.sessions),
        handles: (count("attach"), handles_wanted),
        errors: stats.errors,
        events: stats.events,
        calls,
        cpu_seconds: cpu,
        cpu_per_request_us: if requests == 0 {
            0.0
        } else {
            cpu * 1e6 / requests as f64
        },
        operations,
    }
}

/// One session's life in the test.
struct SessionTask {
    client: Client,
    handles: u32,
    stats: Arc<Mutex<Stats>>,
    ready: Arc<AtomicUsize>,
    released: watch::Receiver<bool>,
    progress: Progress,
}

impl SessionTask {
    fn stats(&self) -> std::sync::MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn timed<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = Result<T, ClientError>>,
    ) -> Option<T> {
        let started = Instant::now();
        match call.await {
            Ok(t) => {
                self.stats().ok(op, started.elapsed());
                Some(t)
            }
            Err(e) => {
                self.stats().error(op, &e);
                None
            }
        }
    }

    async fn run(mut self) {
        let opened = self.open().await;
        self.ready.fetch_add(1, Ordering::AcqRel);
        let Some((session, handles)) = opened else {
            return;
        };
        let _ = self.released.wait_for(|r| *r).await;
        self.timed("keepalive", session.keepalive()).await;
        for handle in handles {
            while let Ok(Some(e)) = handle.events().try_recv() {
                self.stats().event(event_name(&e));
            }
            self.timed("detach", handle.detach()).await;
        }
        self.timed("destroy", session.destroy()).await;
    }

    /// Create, attach and message; `None` when the session could not be created.
    async fn open(&self) -> Option<(Session, Vec<Handle>)> {
        let session = self.timed("create", self.client.create_session()).await?;
        self.progress.sessions.inc(1);
        let mut handles = Vec::new();
        for _ in 0..self.handles {
            let Some(handle) = self.timed("attach", session.attach(ECHOTEST)).await else {
                continue;
            };
            self.progress.handles.inc(1);
            let request = echotest::Configure {
                audio: Some(true),
                ..Default::default()
            };
            self.timed("message", handle.send(&request, None)).await;
            handles.push(handle);
        }
        Some((session, handles))
    }
}

fn event_name(e: &HandleEvent) -> &'static str {
    match e {
        HandleEvent::Janus(e) => e.name(),
        HandleEvent::Rtc(_) => "webrtc",
    }
}

/// The process's CPU time so far (user + system, every thread).
fn cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// The summary as a table for people.
pub fn table(s: &Summary) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} in {:.1} s: sessions {}/{}, handles {}/{}{}",
        if s.ok { "OK" } else { "FAILED" },
        s.seconds,
        s.sessions.0,
        s.sessions.1,
        s.handles.0,
        s.handles.1,
        if s.deadline_hit {
            " (deadline hit)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "  {:<10} {:>7} {:>9} {:>9} {:>9} {:>9}",
        "operation", "count", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
    let calls = [("webrtcup", &s.calls.webrtcup)];
    let rows = s
        .operations
        .iter()
        .map(|(k, l)| (*k, l))
        .chain(calls.into_iter().filter(|(_, l)| l.count > 0));
    for (op, l) in rows {
        let _ = writeln!(
            out,
            "  {op:<10} {:>7} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
            l.count, l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms
        );
    }
    if s.calls.started > 0 {
        let _ = writeln!(
            out,
            "  webrtc calls: {}/{} passed, frames {} sent, {} echoed",
            s.calls.passed, s.calls.started, s.calls.frames.0, s.calls.frames.1
        );
        for f in &s.calls.failures {
            let _ = writeln!(out, "    - {f}");
        }
    }
    let list = |m: &BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        out,
        "  errors: {}",
        if s.errors.is_empty() {
            "none".into()
        } else {
            list(&s.errors)
        }
    );
    let _ = writeln!(
        out,
        "  events: {}",
        if s.events.is_empty() {
            "none".into()
        } else {
            list(&s.events)
        }
    );
    let _ = writeln!(
        out,
        "  client CPU: {:.3} s, {:.1} µs per request",
        s.cpu_seconds, s.cpu_per_request_us
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options {
            sessions: 3,
            handles: 2,
            rate: 10.0,
            webrtc: 1,
            call: None,
            duration: Duration::from_secs(5),
            hold: Duration::from_secs(1),
        }
    }

    #[test]
    fn progress_draws_a_bar_per_kind_with_counts() {
        let term = indicatif::InMemoryTerm::new(10, 100);
        let progress = Progress::new(
            ProgressDrawTarget::term_like(Box::new(term.clone())),
            &options(),
        );
        progress.sessions.inc(2);
        progress.handles.inc(4);
        progress.calls.inc(1);
        progress.finish();
        let screen = term.contents();
        assert!(screen.contains("sessions ["), "{screen}");
        assert!(screen.contains("] 2/3"), "{screen}");
        assert!(screen.contains("] 4/6"), "{screen}");
        assert!(
            screen.contains("webrtc [") && screen.contains("] 1/1"),
            "{screen}"
        );
    }

    #[test]
    fn latencies_are_percentiles_in_milliseconds() {
        let mut stats = Stats::default();
        for ms in 1..=100 {
            stats.ok("create", Duration::from_millis(ms));
        }
        let l = latency(&stats.ops["create"]);
        assert_eq!(l.count, 100);
        assert!((l.p50_ms - 50.0).abs() < 0.1, "{l:?}");
        assert!((l.p99_ms - 99.0).abs() < 0.1, "{l:?}");
        assert!((l.max_ms - 100.0).abs() < 0.1, "{l:?}");
    }

    #[test]
    fn the_table_says_failed_and_lists_errors_by_kind() {
        let mut errors = BTreeMap::new();
        errors.insert("attach: timeout".to_owned(), 3);
        let s = Summary {
            errors,
            sessions: (2, 3),
            ..Summary::default()
        };
        let t = table(&s);
        assert!(t.starts_with("FAILED in 0.0 s: sessions 2/3"), "{t}");
        assert!(t.contains("errors: attach: timeout 3"), "{t}");
    }

    #[test]
    fn the_cpu_clock_advances_with_work() {
        let before = cpu_time();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        std::hint::black_box(x);
        assert!(cpu_time() > before);
    }
}
