//! Parse-and-dispatch of typical Janus messages through a connected `Client`, beside a bare
//! `serde_json::from_str::<Value>` of the same bytes, one group per message so that the
//! ratio shows. Bytes in Janus's default `json = "indented"` style.
//!
//! `cargo bench -p janus-proto --bench dispatch`; for a one-screen table of the ratios,
//! `cargo run --release -p janus-proto --example dispatch_ratio`.
#![allow(missing_docs, clippy::unwrap_used)]

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;
use support::{Rig, batch_value, indented, media_value, wall_clock};

/// Pending messages set up (untimed) per timed chunk.
const CHUNK: u64 = 64;

fn event_for_a_pending_message(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_with_plugindata");
    let mut rig = Rig::ws();
    let sample = rig.pending_message();
    rig.frame(&sample);
    g.bench_function("janus_proto", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(CHUNK);
                let events: Vec<String> = (0..n).map(|_| rig.pending_message()).collect();
                let start = wall_clock();
                for e in &events {
                    black_box(rig.frame(e));
                }
                total += start.elapsed();
                left -= n;
            }
            total
        });
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_str::<Value>(black_box(&sample)).unwrap());
    });
    g.finish();
}

fn media_event(c: &mut Criterion) {
    let mut g = c.benchmark_group("media");
    let mut rig = Rig::ws();
    let text = indented(&media_value());
    g.bench_function("janus_proto", |b| b.iter(|| rig.frame(black_box(&text))));
    g.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_str::<Value>(black_box(&text)).unwrap());
    });
    g.finish();
}

fn long_poll_batch_of_ten(c: &mut Criterion) {
    let mut g = c.benchmark_group("long_poll_batch_10");
    let mut rig = Rig::http();
    let text = indented(&batch_value());
    g.bench_function("janus_proto", |b| {
        b.iter(|| rig.poll_response(black_box(&text)));
    });
    g.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_str::<Value>(black_box(&text)).unwrap());
    });
    g.finish();
}

criterion_group!(
    benches,
    event_for_a_pending_message,
    media_event,
    long_poll_batch_of_ten
);
criterion_main!(benches);
