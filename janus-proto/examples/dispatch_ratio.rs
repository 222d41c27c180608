//! Prints how long a connected `Client` takes to parse and dispatch typical Janus messages,
//! against a bare `serde_json::from_str::<Value>` of the same bytes (the floor any JSON
//! client pays), as a table of ns per message and their ratio.
//!
//! `cargo run --release -p janus-proto --example dispatch_ratio`
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

#[path = "../benches/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Duration;

use serde_json::Value;
use support::{Rig, batch_value, indented, media_value, wall_clock};

/// Best of `rounds` runs of `n` iterations, in ns per iteration.
fn best_ns(rounds: u32, n: u32, mut run: impl FnMut(u32) -> Duration) -> f64 {
    (0..rounds)
        .map(|_| run(n).as_secs_f64() * 1e9 / f64::from(n))
        .fold(f64::INFINITY, f64::min)
}

fn timed(n: u32, mut f: impl FnMut()) -> Duration {
    let start = wall_clock();
    for _ in 0..n {
        f();
    }
    start.elapsed()
}

fn main() {
    const ROUNDS: u32 = 15;
    const N: u32 = 2_000;
    let mut rows = Vec::new();

    let mut rig = Rig::ws();
    let sample = rig.pending_message();
    let ours = best_ns(ROUNDS, N, |n| {
        let events: Vec<String> = (0..n).map(|_| rig.pending_message()).collect();
        let start = wall_clock();
        for e in &events {
            black_box(rig.frame(e));
        }
        start.elapsed()
    });
    let floor = best_ns(ROUNDS, N, |n| {
        timed(n, || {
            black_box(serde_json::from_str::<Value>(black_box(&sample)).unwrap());
        })
    });
    rows.push((
        "event with plugindata (pending message)",
        sample.len(),
        ours,
        floor,
    ));

    let mut rig = Rig::ws();
    let text = indented(&media_value());
    let ours = best_ns(ROUNDS, N, |n| {
        timed(n, || {
            black_box(rig.frame(&text));
        })
    });
    let floor = best_ns(ROUNDS, N, |n| {
        timed(n, || {
            black_box(serde_json::from_str::<Value>(black_box(&text)).unwrap());
        })
    });
    rows.push(("media", text.len(), ours, floor));

    let mut rig = Rig::http();
    let text = indented(&batch_value());
    let ours = best_ns(ROUNDS, N / 4, |n| {
        timed(n, || {
            black_box(rig.poll_response(&text));
        })
    });
    let floor = best_ns(ROUNDS, N / 4, |n| {
        timed(n, || {
            black_box(serde_json::from_str::<Value>(black_box(&text)).unwrap());
        })
    });
    rows.push(("long-poll batch of 10 events", text.len(), ours, floor));

    println!(
        "| message | bytes | janus-proto ns | serde_json::Value ns | ratio |\n|---|---:|---:|---:|---:|"
    );
    for (name, bytes, ours, floor) in rows {
        println!(
            "| {name} | {bytes} | {ours:.0} | {floor:.0} | {:.2} |",
            ours / floor
        );
    }
}
