//! Real media for the plugin tests: the committed samples of `media/samples/` (3 s of VP8 and
//! of Opus made by FFmpeg), paced as they would play, and checks of what comes back: frames
//! relayed unchanged (VideoRoom) or re-encoded Opus (AudioBridge). Adapter-free, so that the
//! blocking and the tokio tests send and check the very same things.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use janus_media::{Frame, IvfReader, OpusReader, Paced, Pacer};
use janus_rtc::MediaFrame;

/// The Opus sample's packets (20 ms each, mono, 48 kHz RTP clock).
pub fn opus() -> Vec<Frame> {
    let file: &[u8] = include_bytes!("../../media/samples/audio.opus");
    OpusReader::new(file)
        .and_then(OpusReader::into_frames)
        .unwrap_or_default()
}

/// The VP8 sample's frames (30 fps, 90 kHz RTP clock, a keyframe every second).
pub fn vp8() -> Vec<Frame> {
    let file: &[u8] = include_bytes!("../../media/samples/video.ivf");
    IvfReader::new(file)
        .and_then(IvfReader::into_frames)
        .unwrap_or_default()
}

/// Which track a paced frame is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The Opus track.
    Audio,
    /// The VP8 track.
    Video,
}

/// The samples paced from a start instant, looping: what a sender writes when.
#[derive(Debug)]
pub struct Samples {
    audio: Pacer,
    video: Option<Pacer>,
}

impl Samples {
    /// Opus, and VP8 too when `video`, the first frames due at `start`.
    pub fn new(start: Instant, video: bool) -> Self {
        Self {
            audio: Pacer::new(opus(), 48_000, start).looping(true),
            video: video.then(|| Pacer::new(vp8(), 90_000, start).looping(true)),
        }
    }

    /// The frames due at `now`, and when the next one is (never more than 20 ms on).
    pub fn due(&mut self, now: Instant) -> (Vec<(Kind, Frame)>, Instant) {
        let mut frames = Vec::new();
        let mut next = now + Duration::from_millis(20);
        let pacers = std::iter::once((Kind::Audio, &mut self.audio))
            .chain(self.video.as_mut().map(|v| (Kind::Video, v)));
        for (kind, pacer) in pacers {
            loop {
                match pacer.poll(now) {
                    Paced::Frame(f) => frames.push((kind, f)),
                    Paced::Wait(at) => {
                        next = next.min(at);
                        break;
                    }
                    Paced::End => break,
                }
            }
        }
        (frames, next)
    }
}

/// What a VideoRoom subscriber received, checked frame by frame against the samples:
/// Janus relays without re-encoding, so every frame must be one of the sample's, byte for
/// byte.
#[derive(Debug)]
pub struct Relayed {
    opus: HashSet<Vec<u8>>,
    vp8: HashSet<Vec<u8>>,
    /// Frames identical to a sample frame, by codec (`opus`, `vp8`).
    pub identical: BTreeMap<String, usize>,
    /// Frames that are not (codec, length), at most a few kept.
    pub different: Vec<(String, usize)>,
}

impl Default for Relayed {
    fn default() -> Self {
        Self {
            opus: opus().into_iter().map(|f| f.data).collect(),
            vp8: vp8().into_iter().map(|f| f.data).collect(),
            identical: BTreeMap::new(),
            different: Vec::new(),
        }
    }
}

impl Relayed {
    /// Checks one received frame.
    pub fn push(&mut self, frame: &MediaFrame) {
        let codec = frame.codec.to_ascii_lowercase();
        let sent = match codec.as_str() {
            "opus" => &self.opus,
            "vp8" => &self.vp8,
            _ => {
                self.different.push((codec, frame.data.len()));
                return;
            }
        };
        if sent.contains(&*frame.data) {
            *self.identical.entry(codec).or_default() += 1;
        } else {
            self.different.push((codec, frame.data.len()));
        }
    }

    /// How many identical frames of `codec` (`opus`, `vp8`) arrived.
    pub fn count(&self, codec: &str) -> usize {
        self.identical.get(codec).copied().unwrap_or_default()
    }
}

/// Whether a frame looks like the AudioBridge's mix: Opus whose TOC byte (RFC 6716 §3.1)
/// says 20 ms, the mixer's packet time, and a payload after it.
pub fn is_mixed_opus(frame: &MediaFrame) -> bool {
    frame.codec.eq_ignore_ascii_case("opus")
        && frame.data.len() > 1
        && janus_media::ogg_opus::packet_duration(&frame.data) == Some(960)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_pace_both_tracks() {
        assert_eq!(opus().len(), 151);
        assert_eq!(vp8().len(), 90);
        let start = Instant::now();
        let mut s = Samples::new(start, true);
        let (first, next) = s.due(start);
        assert_eq!(
            first.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            [Kind::Audio, Kind::Video]
        );
        assert_eq!(next, start + Duration::from_millis(20));
        let (later, _) = s.due(start + Duration::from_secs(1));
        let audio = later.iter().filter(|(k, _)| *k == Kind::Audio).count();
        let video = later.len() - audio;
        assert_eq!((audio, video), (50, 30));
    }
}
