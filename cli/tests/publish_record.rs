//! janusctl publish and record against a real Janus: the sample files published into a
//! VideoRoom by one janusctl, recorded by another, and the recordings read by ffprobe.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use janus_tests::Janus;
use serde_json::Value;

const AUDIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../media/samples/audio.opus");
const VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../media/samples/video.ivf");

fn janusctl(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_janusctl"));
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// The first line of a child's stdout.
fn first_line(child: &mut Child) -> (String, impl Iterator<Item = String> + use<>) {
    let mut lines = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok);
    (lines.next().unwrap_or_default(), lines)
}

/// What ffprobe reads of a file's first stream: codec, packets, duration (s).
fn ffprobe(path: &Path) -> (String, u64, f64) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_packets", "-of", "json"])
        .args([
            "-show_entries",
            "stream=codec_name,nb_read_packets:format=duration",
        ])
        .arg(path)
        .output()
        .expect("ffprobe (Debian's ffmpeg) is installed");
    assert!(
        out.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stream = &json["streams"][0];
    let number = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(-1.0)
    };
    (
        stream["codec_name"].as_str().unwrap_or_default().to_owned(),
        number(&stream["nb_read_packets"]) as u64,
        number(&json["format"]["duration"]),
    )
}

#[test]
fn a_published_sample_recorded_from_the_room_reads_back_in_ffprobe() {
    let janus = Janus::launch().unwrap();
    let (ws, ip) = (janus.ws_url(), janus.media_ip().to_string());
    let mut publisher = janusctl(&[
        "publish",
        &ws,
        "--ip",
        &ip,
        "--room",
        "1234",
        "--loop",
        "--duration",
        "9s",
        AUDIO,
        VIDEO,
    ])
    .spawn()
    .unwrap();
    let (joined, rest) = first_line(&mut publisher);
    let feed = joined
        .strip_prefix("publishing in room 1234 as feed ")
        .unwrap_or_else(|| panic!("{joined:?}"))
        .to_owned();

    let dir = tempdir();
    let recorder = janusctl(&[
        "record",
        &ws,
        "--ip",
        &ip,
        "--room",
        "1234",
        "--feed",
        &feed,
        "--duration",
        "4s",
    ])
    .arg(&dir)
    .output()
    .unwrap();
    let said = String::from_utf8_lossy(&recorder.stdout).into_owned();
    assert!(
        recorder.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&recorder.stderr)
    );

    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}\n{said}");
    let (audio, video) = (&files[0], &files[1]);
    assert!(
        audio.to_string_lossy().ends_with(".opus") && video.to_string_lossy().ends_with(".ivf"),
        "{files:?}"
    );

    // Four seconds of a 50 packet/s Opus track, from the first packet that came.
    println!("{said}");
    let (codec, packets, duration) = ffprobe(audio);
    println!(
        "ffprobe {}: {codec}, {packets} packets, {duration} s",
        audio.display()
    );
    assert_eq!(codec, "opus");
    assert!(
        (170..=205).contains(&packets),
        "{packets} Opus packets\n{said}"
    );
    assert!((3.4..=4.2).contains(&duration), "Opus {duration} s\n{said}");
    // VP8 at 30 fps from the first keyframe (the sample has one a second; the recorder asks
    // for one at once): at least three of the four seconds.
    let (codec, packets, duration) = ffprobe(video);
    println!(
        "ffprobe {}: {codec}, {packets} packets, {duration} s",
        video.display()
    );
    assert_eq!(codec, "vp8");
    assert!(
        (85..=125).contains(&packets),
        "{packets} VP8 frames\n{said}"
    );
    assert!((2.8..=4.2).contains(&duration), "VP8 {duration} s\n{said}");
    // What the recorder says it wrote is what ffprobe counts.
    assert!(said.contains(&format!("{packets} frames of VP8")), "{said}");

    let status = publisher.wait().unwrap();
    let summary: Vec<String> = rest.collect();
    assert!(status.success(), "{summary:?}{}", {
        let mut err = String::new();
        use std::io::Read;
        publisher
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        err
    });
    assert!(
        summary.iter().any(|l| l.starts_with("published 9.")),
        "{summary:?}"
    );
}

/// A fresh folder under the system's temporary one, removed by nobody (the namespace's
/// tmpfs goes with it).
fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("janusctl-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
