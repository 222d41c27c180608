//! Pacing in simulated time: frames due at the right instants, loops keep timestamps rising.
#![allow(missing_docs, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use janus_media::{IvfReader, OpusReader, Paced, Pacer};

const VIDEO: &[u8] = include_bytes!("../samples/video.ivf");
const AUDIO: &[u8] = include_bytes!("../samples/audio.opus");

/// Runs the pacer like a real loop would (sleeping exactly until each `Wait`), recording
/// (offset from start, rtp_time) for `count` frames.
fn drive(pacer: &mut Pacer, start: Instant, count: usize) -> Vec<(Duration, u64)> {
    let mut now = start;
    let mut out = Vec::new();
    while out.len() < count {
        match pacer.poll(now) {
            Paced::Frame(f) => out.push((now - start, f.rtp_time)),
            Paced::Wait(until) => {
                assert!(until > now, "Wait must be in the future");
                now = until;
            }
            Paced::End => break,
        }
    }
    out
}

#[test]
fn video_frames_are_due_every_33ms_and_end() {
    let frames = IvfReader::new(VIDEO).unwrap().into_frames().unwrap();
    let start = Instant::now();
    let mut pacer = Pacer::new(frames, 90_000, start);
    let sent = drive(&mut pacer, start, 1000);
    assert_eq!(sent.len(), 90);
    for (i, (at, rtp)) in sent.iter().enumerate() {
        assert_eq!(*rtp, i as u64 * 3000);
        assert_eq!(*at, Duration::from_nanos(i as u64 * 1_000_000_000 / 30));
    }
    assert_eq!(pacer.poll(start + Duration::from_secs(60)), Paced::End);
    assert_eq!(pacer.next_due(), None);
}

#[test]
fn nothing_is_due_early_and_late_frames_all_come_out() {
    let frames = IvfReader::new(VIDEO).unwrap().into_frames().unwrap();
    let start = Instant::now();
    let mut pacer = Pacer::new(frames, 90_000, start);
    assert!(matches!(pacer.poll(start), Paced::Frame(f) if f.rtp_time == 0));
    let second = start + Duration::from_nanos(33_333_333);
    assert_eq!(pacer.poll(start), Paced::Wait(second));
    assert_eq!(
        pacer.poll(second - Duration::from_nanos(1)),
        Paced::Wait(second)
    );
    // A caller 1 s late gets the 30 overdue frames back to back, none skipped.
    let late = start + Duration::from_secs(1);
    let mut n = 0;
    while let Paced::Frame(f) = pacer.poll(late) {
        n += 1;
        assert_eq!(f.rtp_time, n * 3000);
    }
    assert_eq!(n, 30);
}

#[test]
fn looping_video_keeps_timestamps_increasing() {
    let frames = IvfReader::new(VIDEO).unwrap().into_frames().unwrap();
    let start = Instant::now();
    let mut pacer = Pacer::new(frames, 90_000, start).looping(true);
    assert_eq!(pacer.loop_length(), 270_000);
    let sent = drive(&mut pacer, start, 90 * 3 + 1);
    assert_eq!(sent.len(), 271);
    for (i, (at, rtp)) in sent.iter().enumerate() {
        assert_eq!(*rtp, i as u64 * 3000, "frame {i}");
        assert_eq!(*at, Duration::from_nanos(i as u64 * 1_000_000_000 / 30));
    }
    // The 271st frame is the first of the fourth pass, at 9 s.
    assert_eq!(sent[270].0, Duration::from_secs(9));
    assert_eq!(pacer.loops(), 3);
}

#[test]
fn looping_opus_every_20ms() {
    let frames = OpusReader::new(AUDIO).unwrap().into_frames().unwrap();
    let start = Instant::now();
    let mut pacer = Pacer::new(frames, 48_000, start).looping(true);
    assert_eq!(pacer.loop_length(), 151 * 960);
    let sent = drive(&mut pacer, start, 151 * 2 + 10);
    for (i, (at, rtp)) in sent.iter().enumerate() {
        assert_eq!(*rtp, i as u64 * 960);
        assert_eq!(*at, Duration::from_millis(i as u64 * 20));
    }
}

#[test]
fn no_frames_is_the_end_even_looping() {
    let mut pacer = Pacer::new(Vec::new(), 48_000, Instant::now()).looping(true);
    assert_eq!(pacer.poll(Instant::now()), Paced::End);
}
