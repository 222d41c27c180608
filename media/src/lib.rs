//! Media files for Janus bots: read encoded frames from a file, paced by their own timestamps,
//! to send them on a [`janus-rtc`] track; write the frames a handle receives back to a file.
//!
//! Like the rest of the workspace this crate does no I/O of its own choosing and reads no
//! clock: readers take any [`std::io::Read`], writers any [`std::io::Write`] (and use
//! [`std::io::Seek`] only where a method says so), and the [`Pacer`] is told `now` and answers
//! which frame is due and when the next one will be. Nothing here sleeps or spawns.
//!
//! # What it holds
//!
//! | container | read | write | codecs | module |
//! |---|---|---|---|---|
//! | IVF | [`IvfReader`] | [`IvfWriter`] | VP8, VP9, AV1 (from the fourcc) | [`ivf`] |
//! | Ogg Opus | [`OpusReader`] | [`OpusWriter`] | Opus, one packet per frame | [`ogg_opus`] |
//! | H.264 Annex B | [`H264Reader`] | [`H264Writer`] | H.264, an access unit per frame, at a frame rate given | [`h264`] |
//!
//! [`MediaFile::read`] reads either, told apart by its signature; a [`Schedule`] paces several
//! tracks (audio and video of a publisher) together.
//!
//! A [`Frame`] is one encoded frame with its RTP time in the codec's clock (90 kHz video, 48 kHz
//! Opus, [`Codec::clock_rate`]): exactly what `janus_rtc::PeerConnection::write_frame(now, mid,
//! rtp_time, data)` takes, and what a received `janus_rtc::MediaFrame` carries (`rtp_time`,
//! `data`). This crate does not depend on `janus-rtc`: the two meet in plain `u64`s and byte
//! slices, so the readers and writers work without a WebRTC stack.
//!
//! # Crates used, and what is hand-written
//!
//! - Ogg paging (pages, lacing, CRC, packet reassembly) is the [`ogg`] crate, reading and
//!   writing. The Opus layer on top (OpusHead/OpusTags, TOC durations, granule positions) is
//!   hand-written: it is RFC 7845 and RFC 6716 §3.1 arithmetic, and no kept crate does it without
//!   also bringing a decoder.
//! - IVF is hand-written (a 32-byte file header and a 12-byte header per frame): the `ivf` crate
//!   (0.1, from rav1e) writes only the `AV01` fourcc and panics on I/O errors, so it cannot write
//!   VP8 or VP9; see [`ivf`].
//!
//! - H.264 NAL units come out of the byte stream through the `h264-reader` crate; grouping them
//!   into access units is hand-written (a few lines of §7.4.1.2.3 the crate leaves to its
//!   callers); see [`h264`].
//!
//! Not here: WebM/Matroska (the kept demuxer crates read but do not write it, and a writer
//! would be most of a muxer), and keyframe requests when a recording starts or has a gap:
//! the writers report gaps, asking Janus is the caller's job (janusctl's `record` does it with
//! `request_keyframe`).
//!
//! # Example
//!
//! Read the committed VP8 sample and pace it in simulated time:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use janus_media::{IvfReader, Pacer, Paced};
//!
//! let file: &[u8] = include_bytes!("../samples/video.ivf");
//! let reader = IvfReader::new(file)?;
//! assert_eq!(reader.header().codec, Some(janus_media::Codec::Vp8));
//! let frames = reader.into_frames()?;
//! assert_eq!(frames.len(), 90);
//!
//! let start = Instant::now(); // any instant: the pacer never reads the clock
//! let mut pacer = Pacer::new(frames, 90_000, start).looping(true);
//! let mut now = start;
//! let mut sent = 0;
//! while sent < 120 {
//!     match pacer.poll(now) {
//!         // here: peer.write_frame(now, mid, frame.rtp_time, &frame.data)
//!         Paced::Frame(frame) => { assert_eq!(frame.rtp_time, sent * 3000); sent += 1; }
//!         Paced::Wait(until) => now = until, // a real loop sleeps until then
//!         Paced::End => unreachable!("looping never ends"),
//!     }
//! }
//! // Frame 119 is due 119/30 s after the start (to the nanosecond, rounded down).
//! assert_eq!(now - start, Duration::from_nanos(119 * 1_000_000_000 / 30));
//! # Ok::<(), janus_media::Error>(())
//! ```
//!
//! [`janus-rtc`]: https://docs.rs/janus-rtc

mod file;
pub mod h264;
pub mod ivf;
pub mod ogg_opus;
mod pacer;
pub mod samples;
mod schedule;

use std::io;

pub use file::MediaFile;
pub use h264::{H264Reader, H264Writer};
pub use ivf::{IvfHeader, IvfReader, IvfWriter};
pub use ogg_opus::{OpusHead, OpusReader, OpusWriter};
pub use pacer::{Paced, Pacer};
pub use schedule::Schedule;

/// A codec this crate reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// VP8 (IVF fourcc `VP80`).
    Vp8,
    /// VP9 (IVF fourcc `VP90`).
    Vp9,
    /// AV1 (IVF fourcc `AV01`).
    Av1,
    /// H.264 (Annex B byte stream).
    H264,
    /// Opus (Ogg Opus).
    Opus,
}

impl Codec {
    /// The RTP clock rate: 90 kHz for video, 48 kHz for Opus.
    pub const fn clock_rate(self) -> u32 {
        match self {
            Self::Vp8 | Self::Vp9 | Self::Av1 | Self::H264 => 90_000,
            Self::Opus => 48_000,
        }
    }

    /// The codec's name as in the SDP and in `janus_rtc::MediaFrame::codec` (`VP8`, `VP9`,
    /// `AV1`, `H264`, `opus`).
    pub const fn sdp_name(self) -> &'static str {
        match self {
            Self::Vp8 => "VP8",
            Self::Vp9 => "VP9",
            Self::Av1 => "AV1",
            Self::H264 => "H264",
            Self::Opus => "opus",
        }
    }

    /// The codec an SDP name stands for, case-insensitively (`vp8`, `VP9`, `AV1`, `h264`,
    /// `opus`).
    pub fn from_sdp_name(name: &str) -> Option<Self> {
        [Self::Vp8, Self::Vp9, Self::Av1, Self::H264, Self::Opus]
            .into_iter()
            .find(|c| c.sdp_name().eq_ignore_ascii_case(name))
    }

    /// The IVF fourcc (`None` for Opus and H.264, which this crate does not put in IVF).
    pub const fn fourcc(self) -> Option<[u8; 4]> {
        match self {
            Self::Vp8 => Some(*b"VP80"),
            Self::Vp9 => Some(*b"VP90"),
            Self::Av1 => Some(*b"AV01"),
            Self::H264 | Self::Opus => None,
        }
    }

    /// The video codec an IVF fourcc names.
    pub fn from_fourcc(fourcc: [u8; 4]) -> Option<Self> {
        [Self::Vp8, Self::Vp9, Self::Av1]
            .into_iter()
            .find(|c| c.fourcc() == Some(fourcc))
    }
}

/// One encoded frame read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// When it plays, in the codec's RTP clock ([`Codec::clock_rate`]), counted from the start
    /// of the file (from 0 unless the file's own timestamps start later). The [`Pacer`] adds the
    /// length of the file for each loop, so it keeps increasing.
    pub rtp_time: u64,
    /// How long it plays, in the same clock: Opus from the packet's TOC byte; video until the
    /// next frame (the last frame repeats the one before it).
    pub duration: u64,
    /// A keyframe (video; always true for Opus). VP8 and VP9 from the frame header's frame type,
    /// AV1 from a sequence header OBU in the temporal unit.
    pub keyframe: bool,
    /// The encoded frame.
    pub data: Vec<u8>,
}

/// What can go wrong reading or writing a media file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The reader or writer failed.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// The file is not what it should be (bad signature, truncated header, bad packet).
    #[error("invalid {container} file: {reason}")]
    Invalid {
        /// `IVF` or `Ogg Opus`.
        container: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The Ogg layer failed (from the `ogg` crate).
    #[error("ogg: {0}")]
    Ogg(#[from] ogg::OggReadError),
    /// The codec cannot go in this container (Opus in IVF).
    #[error("{0:?} cannot be written to {1}")]
    Unsupported(Codec, &'static str),
}

/// Ticks of a `clock_rate` clock as a [`std::time::Duration`].
pub(crate) fn ticks_to_duration(ticks: u64, clock_rate: u32) -> std::time::Duration {
    let nanos = u128::from(ticks) * 1_000_000_000 / u128::from(clock_rate.max(1));
    std::time::Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}
