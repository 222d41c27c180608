//! What the Streaming tests of both adapters share: the RTP mountpoint they create, a
//! sender that feeds it real RTP (Opus, VP8 and data datagrams) from a plain UDP socket,
//! and a tally of what a viewer received, checked byte for byte.

use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use janus_proto::plugin::streaming::{Create, Created, MediaConfig, MediaType};
use janus_rtc::{Event as RtcEvent, HandleEvent};

use crate::media::{frame_number, opus_frame, vp8_frame};

/// The Streaming plugin.
pub const STREAMING: &str = janus_proto::plugin::streaming::PLUGIN;
/// Opus payload type of the test mountpoints.
pub const OPUS_PT: u8 = 111;
/// VP8 payload type of the test mountpoints.
pub const VP8_PT: u8 = 100;
/// Bytes of an Opus test frame (after the TOC byte).
pub const OPUS_LEN: usize = 80;
/// Bytes of a VP8 test frame's payload: more than one RTP packet.
pub const VP8_LEN: usize = 2500;
/// The sender's tick: an Opus frame each, a VP8 frame every second one.
pub const TICK: Duration = Duration::from_millis(20);
/// RTP payload bytes per packet, at most.
const MTU: usize = 1100;

/// An RTP mountpoint: Opus on mid `a`, VP8 on `v`, text data on `d`, each on a port the
/// plugin picks (port 0).
pub fn mountpoint(id: u64, description: &str) -> Create {
    Create {
        id: Some(id.into()),
        description: Some(description.into()),
        ..Create::rtp(vec![
            MediaConfig::rtp(MediaType::Audio, "a", 0, OPUS_PT, "opus"),
            MediaConfig::rtp(MediaType::Video, "v", 0, VP8_PT, "vp8"),
            MediaConfig {
                datatype: Some("text".into()),
                ..MediaConfig::new(MediaType::Data, "d", 0)
            },
        ])
    }
}

/// Whether the VP8 frame numbered `n` is a keyframe (one a second).
fn is_key(n: u32) -> bool {
    n % 25 == 0
}

/// The Opus frame numbered `n`.
pub fn audio(n: u32) -> Vec<u8> {
    opus_frame(n, OPUS_LEN)
}

/// The VP8 frame numbered `n`.
pub fn video(n: u32) -> Vec<u8> {
    vp8_frame(n, is_key(n), VP8_LEN)
}

/// The data datagram numbered `n`.
pub fn datagram(n: u32) -> String {
    format!("data {n}")
}

/// A 12-byte RTP header.
fn rtp(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
    let mut h = vec![0x80, pt | if marker { 0x80 } else { 0 }];
    h.extend(seq.to_be_bytes());
    h.extend(ts.to_be_bytes());
    h.extend(ssrc.to_be_bytes());
    h
}

/// Feeds a mountpoint until dropped: every [`TICK`] Opus frame `base + n` (one RTP packet),
/// every second tick VP8 frame `base + n / 2` (RFC 7741: a one-byte descriptor, `S` on the
/// first packet, the marker on the last), every tenth a data datagram `base + n / 10`.
#[derive(Debug)]
pub struct RtpSender {
    stop: Arc<AtomicBool>,
    ticks: Arc<AtomicU32>,
    thread: Option<JoinHandle<()>>,
}

impl RtpSender {
    /// Starts sending to the ports of `created` on 127.0.0.1, frame numbers from `base`.
    pub fn start(created: &Created, base: u32) -> Self {
        let ports = ["a", "v", "d"].map(|mid| created.port(mid).expect("a port for each mid"));
        let (stop, ticks) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU32::new(0)),
        );
        let (stop2, ticks2) = (stop.clone(), ticks.clone());
        let thread = std::thread::spawn(move || {
            let socket = UdpSocket::bind("127.0.0.1:0").expect("a UDP socket");
            let send = |port: u16, b: &[u8]| {
                let _ = socket.send_to(b, ("127.0.0.1", port));
            };
            let (mut aseq, mut vseq) = (0u16, 0u16);
            let mut n = 0u32;
            let mut next = std::time::Instant::now();
            while !stop2.load(Ordering::Relaxed) {
                let mut packet = rtp(OPUS_PT, false, aseq, n * 960, 0xA000 + base);
                packet.extend(audio(base + n));
                send(ports[0], &packet);
                aseq = aseq.wrapping_add(1);
                if n % 2 == 0 {
                    let frame = video(base + n / 2);
                    let chunks: Vec<&[u8]> = frame.chunks(MTU).collect();
                    for (i, chunk) in chunks.iter().enumerate() {
                        let last = i + 1 == chunks.len();
                        let mut packet = rtp(VP8_PT, last, vseq, n / 2 * 3600, 0xB000 + base);
                        packet.push(if i == 0 { 0x10 } else { 0x00 });
                        packet.extend(*chunk);
                        send(ports[1], &packet);
                        vseq = vseq.wrapping_add(1);
                    }
                }
                if n % 10 == 0 {
                    send(ports[2], datagram(base + n / 10).as_bytes());
                }
                n += 1;
                ticks2.store(n, Ordering::Relaxed);
                next += TICK;
                std::thread::sleep(next.saturating_duration_since(std::time::Instant::now()));
            }
        });
        Self {
            stop,
            ticks,
            thread: Some(thread),
        }
    }

    /// Ticks sent so far (Opus frames; half as many VP8 frames).
    pub fn ticks(&self) -> u32 {
        self.ticks.load(Ordering::Relaxed)
    }
}

impl Drop for RtpSender {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What a viewer received: frame numbers per kind, data texts, and frames that were not
/// byte-identical to the one sent with their number.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Opus frame numbers, in arrival order.
    pub audio: Vec<u32>,
    /// VP8 frame numbers, in arrival order.
    pub video: Vec<u32>,
    /// Data-channel texts.
    pub data: Vec<String>,
    /// Frames that differ from what was sent (mid and frame number).
    pub corrupt: Vec<(String, Option<u32>)>,
    /// Data channels opened (labels).
    pub opened: Vec<String>,
}

impl Tally {
    /// Counts a handle event (frames, data, data channels opened); others are ignored.
    pub fn push(&mut self, event: HandleEvent) {
        match event {
            HandleEvent::Rtc(RtcEvent::Media(f)) => {
                let n = frame_number(&f.data);
                let sent = match (f.mid.as_str(), n) {
                    ("a", Some(n)) => Some((audio(n), &mut self.audio)),
                    ("v", Some(n)) => Some((video(n), &mut self.video)),
                    _ => None,
                };
                match (sent, n) {
                    (Some((bytes, list)), Some(n)) if *bytes == *f.data => list.push(n),
                    _ => self.corrupt.push((f.mid.clone(), n)),
                }
            }
            HandleEvent::Rtc(RtcEvent::Data(m)) => {
                self.data
                    .push(String::from_utf8_lossy(&m.data).into_owned());
            }
            HandleEvent::Rtc(RtcEvent::DataOpen { label, .. }) => self.opened.push(label),
            _ => {}
        }
    }

    /// Frames received, audio and video.
    pub fn frames(&self) -> usize {
        self.audio.len() + self.video.len()
    }
}
