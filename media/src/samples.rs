//! The committed samples, built in: three seconds of real VP8 and Opus (made with FFmpeg, see
//! `samples/README.md`), for bots, diagnostics and tests that need media a browser can decode
//! without shipping files of their own.

use crate::{Error, MediaFile};

/// `samples/video.ivf`: VP8 320x240 at 30 fps, 90 frames, a keyframe every second.
pub const VP8_IVF: &[u8] = include_bytes!("../samples/video.ivf");

/// `samples/video.h264`: H.264 Constrained Baseline 320x240 at 30 fps, 90 frames, an IDR
/// frame (with SPS and PPS) every second, access unit delimiters.
pub const H264_ANNEXB: &[u8] = include_bytes!("../samples/video.h264");

/// `samples/audio.opus`: Opus mono 48 kHz, 151 packets of 20 ms (a 440 Hz tone).
pub const OPUS_OGG: &[u8] = include_bytes!("../samples/audio.opus");

/// The VP8 sample's frames.
pub fn vp8() -> Result<MediaFile, Error> {
    MediaFile::read(VP8_IVF)
}

/// The H.264 sample's frames.
pub fn h264() -> Result<MediaFile, Error> {
    MediaFile::read(H264_ANNEXB)
}

/// The Opus sample's frames.
pub fn opus() -> Result<MediaFile, Error> {
    MediaFile::read(OPUS_OGG)
}
