//! Writing what was read back out: payloads byte for byte, and ffprobe reads the files.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::io::Cursor;
use std::process::Command;

use janus_media::{Codec, IvfReader, IvfWriter, OpusHead, OpusReader, OpusWriter};

const VIDEO: &[u8] = include_bytes!("../samples/video.ivf");
const AUDIO: &[u8] = include_bytes!("../samples/audio.opus");

/// Writes what the VP8 sample holds, as a received stream would arrive (RTP times offset by an
/// arbitrary start).
fn write_ivf(seekable: bool) -> Vec<u8> {
    let frames = IvfReader::new(VIDEO).unwrap().into_frames().unwrap();
    let mut w = IvfWriter::new(Cursor::new(Vec::new()), Codec::Vp8, 0, 0).unwrap();
    for f in &frames {
        w.write_frame(1_234_567 + f.rtp_time, &f.data).unwrap();
    }
    assert_eq!(w.frames(), 90);
    let out = if seekable {
        w.finish_seekable()
    } else {
        w.finish()
    };
    out.unwrap().into_inner()
}

fn write_opus(drop: &[usize]) -> (Vec<u8>, u64, u64) {
    let reader = OpusReader::new(AUDIO).unwrap();
    let head = OpusHead::new(reader.channels(), reader.pre_skip());
    let frames = reader.into_frames().unwrap();
    let mut w = OpusWriter::new(Vec::new(), head, 0x4a41_4e55).unwrap();
    for (i, f) in frames.iter().enumerate() {
        if !drop.contains(&i) {
            w.write_frame(987_654 + f.rtp_time, &f.data).unwrap();
        }
    }
    let (duration, gaps) = (w.duration(), w.gaps());
    (w.finish().unwrap(), duration, gaps)
}

#[test]
fn ivf_round_trip_byte_for_byte() {
    let original = IvfReader::new(VIDEO).unwrap().into_frames().unwrap();
    let written = write_ivf(true);
    let reader = IvfReader::new(&written[..]).unwrap();
    let h = reader.header().clone();
    assert_eq!(
        (h.codec, h.width, h.height, h.frame_count),
        // The length field as FFmpeg writes and reads it: 90 frames of 3,000 ticks, 3 s.
        (Some(Codec::Vp8), 320, 240, 270_000)
    );
    assert_eq!((h.rate, h.scale), (90_000, 1));
    assert_eq!(reader.into_frames().unwrap(), original);
    // Not seekable: the same frames, the header's count left at 0 (and the size as given).
    let unfixed = write_ivf(false);
    let reader = IvfReader::new(&unfixed[..]).unwrap();
    assert_eq!((reader.header().frame_count, reader.header().width), (0, 0));
    assert_eq!(reader.into_frames().unwrap(), original);
}

#[test]
fn opus_round_trip_byte_for_byte() {
    let original = OpusReader::new(AUDIO).unwrap().into_frames().unwrap();
    let (written, duration, gaps) = write_opus(&[]);
    assert_eq!((duration, gaps), (151 * 960 - 312, 0));
    let reader = OpusReader::new(&written[..]).unwrap();
    assert_eq!((reader.channels(), reader.pre_skip()), (1, 312));
    assert_eq!(reader.into_frames().unwrap(), original);
}

#[test]
fn opus_gaps_are_filled_to_keep_time() {
    let (written, duration, gaps) = write_opus(&[10, 11, 12, 100]);
    assert_eq!((duration, gaps), (151 * 960 - 312, 4));
    let frames = OpusReader::new(&written[..])
        .unwrap()
        .into_frames()
        .unwrap();
    assert_eq!(frames.len(), 151);
    assert_eq!(frames[11].data, vec![0xF8]);
    assert_eq!(frames[150].rtp_time, 150 * 960);
}

/// `ffprobe` on `bytes`: (codec, packets, duration of the stream or of the format, the last
/// packet's pts_time). `None` (said out loud) when ffprobe is not installed.
fn ffprobe(name: &str, bytes: &[u8]) -> Option<(String, usize, f64, f64)> {
    let dir = std::env::temp_dir().join(format!("janus-media-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = match Command::new("ffprobe")
        .args(["-v", "error", "-count_packets", "-show_entries"])
        .arg("stream=codec_name,nb_read_packets,duration:format=duration")
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(&path)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            println!("SKIPPED: ffprobe not runnable ({e}); install Debian's ffmpeg");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "ffprobe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last_pts = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    println!("ffprobe {name}:\n{text}");
    let field = |k: &str| {
        text.lines()
            .filter_map(|l| l.strip_prefix(k)?.strip_prefix('='))
            .find(|v| *v != "N/A")
            .unwrap_or("")
            .to_owned()
    };
    let last = String::from_utf8(last_pts.stdout).unwrap();
    let last = last.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    Some((
        field("codec_name"),
        field("nb_read_packets").parse().unwrap(),
        field("duration").parse().unwrap(),
        last.trim().trim_end_matches(',').parse().unwrap(),
    ))
}

#[test]
fn ffprobe_reads_the_written_ivf() {
    let Some((codec, packets, _header_duration, last_pts)) = ffprobe("out.ivf", &write_ivf(true))
    else {
        return;
    };
    assert_eq!(codec, "vp8");
    assert_eq!(packets, 90);
    // The last frame starts at 89/30 s, so the stream plays 3 s. (FFmpeg takes the header's
    // frame count for a duration in 1/90000 units, so its duration field says 0.001.)
    assert!((last_pts - 89.0 / 30.0).abs() < 1e-4, "last pts {last_pts}");
}

#[test]
fn ffprobe_reads_the_written_opus_with_its_duration() {
    let (bytes, _, _) = write_opus(&[]);
    let Some((codec, packets, duration, last_pts)) = ffprobe("out.opus", &bytes) else {
        return;
    };
    assert_eq!(codec, "opus");
    assert_eq!(packets, 151);
    // 151 packets of 20 ms: FFmpeg 5.1 reports 3.02 s (it counts from the first packet's pts,
    // -312); a libopusfile player shows granule - pre-skip = 3.0135 s. The original is
    // end-trimmed to 3.0065 s, which frames received over RTP cannot know.
    assert!((duration - 3.02).abs() < 0.007, "duration {duration}");
    assert!(last_pts > 2.9 && last_pts < 3.01, "last pts {last_pts}");
}
