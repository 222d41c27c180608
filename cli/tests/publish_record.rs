//! janusctl publish and record against a real Janus: the sample files published into a
//! VideoRoom by one janusctl, recorded by another, and the recordings read by ffprobe; a
//! Streaming mountpoint fed with the samples as RTP, recorded the same way.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use janus_blocking::Client;
use janus_blocking::plugins::{streaming, videoroom};
use janus_media::Schedule;
use janus_proto::ClientConfig;
use janus_proto::plugin::id::Id;
use janus_proto::plugin::videoroom::Create;
use janus_tests::Janus;
use janus_tests::streaming::{STREAMING, mountpoint};
use serde_json::Value;

const AUDIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../media/samples/audio.opus");
const VIDEO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../media/samples/video.ivf");
const H264: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../media/samples/video.h264");
const VIDEOROOM: &str = "janus.plugin.videoroom";

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

    let dir = tempdir("videoroom");
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

#[test]
fn h264_published_into_an_h264_room_records_as_an_annexb_stream_ffprobe_reads() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let admin = session.attach(VIDEOROOM).unwrap();
    let mut create = Create::new();
    create.room = Some(Id::from(264));
    create.videocodec = Some("h264".into());
    videoroom::request(&admin, &create).unwrap();

    let (ws, ip) = (janus.ws_url(), janus.media_ip().to_string());
    let mut publisher = janusctl(&[
        "publish",
        &ws,
        "--ip",
        &ip,
        "--room",
        "264",
        "--loop",
        "--duration",
        "8s",
        AUDIO,
        H264,
    ])
    .spawn()
    .unwrap();
    let (joined, _rest) = first_line(&mut publisher);
    let feed = joined
        .strip_prefix("publishing in room 264 as feed ")
        .unwrap_or_else(|| panic!("{joined:?}"))
        .to_owned();
    let dir = tempdir("h264");
    let out = janusctl(&[
        "record",
        &ws,
        "--ip",
        &ip,
        "--room",
        "264",
        "--feed",
        &feed,
        "--duration",
        "4s",
    ])
    .arg(&dir)
    .output()
    .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{said}");
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let video = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "h264"))
        .unwrap_or_else(|| panic!("no .h264 file\n{said}"));
    let (codec, packets, _) = ffprobe(&video);
    println!("ffprobe {}: {codec}, {packets} packets", video.display());
    assert_eq!(codec, "h264");
    // 30 fps from the first IDR frame, for up to four seconds.
    assert!(
        (85..=125).contains(&packets),
        "{packets} H.264 frames\n{said}"
    );
    assert!(
        said.contains(&format!("{packets} frames of H264")),
        "{said}"
    );
    // What was recorded is what was sent: every access unit is one of the sample's, but for
    // the access unit delimiters, which RTP does not carry (RFC 6184 §5.1 lets senders drop
    // them; str0m does).
    let sample: std::collections::HashSet<Vec<u8>> = janus_media::samples::h264()
        .unwrap()
        .frames
        .iter()
        .map(|f| without_delimiters(&f.data))
        .collect();
    let recorded = janus_media::MediaFile::read(std::fs::File::open(&video).unwrap()).unwrap();
    let unknown = recorded
        .frames
        .iter()
        .filter(|f| !sample.contains(&without_delimiters(&f.data)))
        .count();
    assert_eq!(
        unknown,
        0,
        "{unknown} of {} frames are not the sample's",
        recorded.frames.len()
    );
    let _ = publisher.wait();
}

/// An Annex B access unit without its delimiter NAL units (type 9), 4-byte start codes.
fn without_delimiters(au: &[u8]) -> Vec<u8> {
    let mut starts: Vec<usize> = (0..au.len().saturating_sub(3))
        .filter(|&i| au[i..i + 3] == [0, 0, 1])
        .collect();
    starts.push(au.len());
    let mut out = Vec::new();
    for w in starts.windows(2) {
        let mut nal = &au[w[0] + 3..w[1]];
        while nal.last() == Some(&0) && w[1] != au.len() {
            nal = &nal[..nal.len() - 1]; // the next start code's leading zero
        }
        if nal.first().is_some_and(|h| h & 0x1F != 9) {
            out.extend([0, 0, 0, 1]);
            out.extend(nal);
        }
    }
    out
}

/// Feeds a Streaming mountpoint with the samples as plain RTP from the test's own socket
/// (Opus one packet per frame; VP8 split per RFC 7741 with a one-byte descriptor, `S` on the
/// first packet, the marker on the last) until `stop`.
fn feed_samples(audio_port: u16, video_port: u16, stop: &AtomicBool) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let start = Instant::now();
    let mut schedule = Schedule::new(start)
        .track(0u8, janus_media::samples::opus().unwrap(), true)
        .track(1u8, janus_media::samples::vp8().unwrap(), true);
    let (mut seq, mut next) = ([0u16; 2], start);
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let (due, at) = schedule.due(Instant::now());
        for (track, frame) in due {
            let (pt, port) = if track == 0 {
                (111, audio_port)
            } else {
                (100, video_port)
            };
            let chunks: Vec<&[u8]> = frame.data.chunks(1100).collect();
            for (i, chunk) in chunks.iter().enumerate() {
                let marker = i + 1 == chunks.len() && track == 1;
                let s = &mut seq[usize::from(track)];
                let mut packet = vec![0x80, pt | if marker { 0x80 } else { 0 }];
                packet.extend(s.to_be_bytes());
                packet.extend((frame.rtp_time as u32).to_be_bytes());
                packet.extend((0x5000 + u32::from(track)).to_be_bytes());
                if track == 1 {
                    packet.push(if i == 0 { 0x10 } else { 0x00 });
                }
                packet.extend(*chunk);
                let _ = socket.send_to(&packet, ("127.0.0.1", port));
                *s = s.wrapping_add(1);
            }
        }
        next = at.unwrap_or(next + Duration::from_millis(20));
    }
}

#[test]
fn a_streaming_mountpoint_fed_with_the_samples_records_to_files_ffprobe_reads() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let admin = session.attach(STREAMING).unwrap();
    let created = streaming::request(&admin, &mountpoint(4242, "janusctl")).unwrap();
    let (a, v) = (created.port("a").unwrap(), created.port("v").unwrap());
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let _feeder = s.spawn(|| feed_samples(a, v, &stop));
        let dir = tempdir("streaming");
        let ip = janus.media_ip().to_string();
        let out = janusctl(&[
            "record",
            &janus.http_url(),
            "--ip",
            &ip,
            "--mountpoint",
            "4242",
            "--duration",
            "3s",
        ])
        .arg(&dir)
        .output()
        .unwrap();
        stop.store(true, Ordering::Relaxed);
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        println!("{said}");
        assert!(
            out.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (audio, video) = (dir.join("audio-a.opus"), dir.join("video-v.ivf"));
        let (codec, packets, duration) = ffprobe(&audio);
        println!(
            "ffprobe {}: {codec}, {packets} packets, {duration} s",
            audio.display()
        );
        assert_eq!(codec, "opus");
        assert!(
            (130..=155).contains(&packets),
            "{packets} Opus packets\n{said}"
        );
        assert!((2.5..=3.2).contains(&duration), "Opus {duration} s\n{said}");
        // From the first keyframe: the plain-RTP source cannot be asked for one, and the
        // sample has one a second.
        let (codec, packets, duration) = ffprobe(&video);
        println!(
            "ffprobe {}: {codec}, {packets} packets, {duration} s",
            video.display()
        );
        assert_eq!(codec, "vp8");
        assert!((55..=95).contains(&packets), "{packets} VP8 frames\n{said}");
        assert!((1.8..=3.2).contains(&duration), "VP8 {duration} s\n{said}");
    });
}

/// A fresh folder under the system's temporary one, removed by nobody (the namespace's
/// tmpfs goes with it).
fn tempdir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("janusctl-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
