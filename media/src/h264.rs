//! H.264 in Annex B byte streams (`.h264`, `.264`): NAL units after start codes, grouped into
//! access units (one frame each).
//!
//! Splitting the stream into NAL units, and reading the slice header's first field, is the
//! `h264-reader` crate (its Annex B push parser and RBSP bit reader). Grouping NAL units into
//! access units is written here, after H.264 §7.4.1.2.3, and only as far as a sender of
//! whole frames needs it: a new access unit starts at an access unit delimiter, at a
//! parameter set or SEI that follows a picture's slices, or at a slice whose
//! `first_mb_in_slice` is 0 after another picture's slices (streams with arbitrary slice
//! order are outside that rule). The byte stream carries no timestamps: the reader is told the
//! frame rate, and gives frame `i` the RTP time `i * 90000 / rate`.
//!
//! [`H264Writer`] writes what a handle receives: str0m hands H.264 frames over in Annex B
//! already, so the writer only makes sure each frame starts with a start code.

use std::io::{Read, Write};

use h264_reader::annexb::AnnexBReader;
use h264_reader::nal::{Nal, RefNal, UnitType};
use h264_reader::push::NalInterest;
use h264_reader::rbsp::BitRead;

use crate::{Error, Frame};

/// The 4-byte start code written before every NAL unit.
const START_CODE: [u8; 4] = [0, 0, 0, 1];
const RTP_VIDEO_RATE: u64 = 90_000;

/// One NAL unit as found: its type, whether it is a slice opening a new picture, its bytes
/// (header and emulation-prevention bytes included).
struct Unit {
    kind: UnitType,
    first_slice: bool,
    bytes: Vec<u8>,
}

/// Reads an Annex B H.264 stream into frames (access units), at `frame_rate` frames a second.
#[derive(Debug)]
pub struct H264Reader {
    frames: Vec<Frame>,
}

impl H264Reader {
    /// Reads the whole stream.
    pub fn new(mut reader: impl Read, frame_rate: u32) -> Result<Self, Error> {
        if frame_rate == 0 {
            return Err(invalid("a frame rate of 0"));
        }
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        let units = units(&bytes);
        if units.is_empty() {
            return Err(invalid("no NAL unit after a start code"));
        }
        let tick = RTP_VIDEO_RATE / u64::from(frame_rate);
        let frames = access_units(units)
            .into_iter()
            .enumerate()
            .map(|(i, au)| Frame {
                rtp_time: i as u64 * RTP_VIDEO_RATE / u64::from(frame_rate),
                duration: tick,
                keyframe: au
                    .iter()
                    .any(|u| u.kind == UnitType::SliceLayerWithoutPartitioningIdr),
                data: au
                    .iter()
                    .flat_map(|u| START_CODE.iter().chain(&u.bytes))
                    .copied()
                    .collect(),
            })
            .collect();
        Ok(Self { frames })
    }

    /// The frames, in stream order.
    pub fn into_frames(self) -> Vec<Frame> {
        self.frames
    }
}

fn invalid(reason: &str) -> Error {
    Error::Invalid {
        container: "H.264 Annex B",
        reason: reason.into(),
    }
}

/// Every complete NAL unit of the stream.
fn units(bytes: &[u8]) -> Vec<Unit> {
    let mut units = Vec::new();
    {
        let mut parser = AnnexBReader::accumulate(|nal: RefNal<'_>| {
            if !nal.is_complete() {
                return NalInterest::Buffer;
            }
            let Ok(header) = nal.header() else {
                return NalInterest::Ignore; // a corrupt header: skip the unit
            };
            let kind = header.nal_unit_type();
            let slice = matches!(
                kind,
                UnitType::SliceLayerWithoutPartitioningNonIdr
                    | UnitType::SliceLayerWithoutPartitioningIdr
                    | UnitType::SliceDataPartitionALayer
            );
            let first_slice = slice && nal.rbsp_bits().read_ue("first_mb_in_slice").ok() == Some(0);
            let mut raw = Vec::new();
            if nal.reader().read_to_end(&mut raw).is_ok() {
                units.push(Unit {
                    kind,
                    first_slice,
                    bytes: raw,
                });
            }
            NalInterest::Ignore
        });
        parser.push(bytes);
        // The end of the stream ends the last unit.
        parser.reset();
    }
    units
}

/// NAL units grouped into access units (see the module doc).
fn access_units(units: Vec<Unit>) -> Vec<Vec<Unit>> {
    let mut aus: Vec<Vec<Unit>> = Vec::new();
    let mut has_picture = false;
    for unit in units {
        let id = unit.kind.id();
        let is_vcl = (1..=5).contains(&id);
        let opens = match id {
            9 => true,                      // access unit delimiter
            6..=8 | 14..=18 => has_picture, // SEI, SPS, PPS, prefix: before a picture
            _ => is_vcl && unit.first_slice && has_picture,
        };
        if opens || aus.is_empty() {
            aus.push(Vec::new());
            has_picture = false;
        }
        has_picture |= is_vcl;
        if let Some(au) = aus.last_mut() {
            au.push(unit);
        }
    }
    // Units before the first picture (a lone delimiter at the end) make no frame.
    aus.retain(|au| au.iter().any(|u| (1..=5).contains(&u.kind.id())));
    aus
}

/// Writes received H.264 frames as an Annex B stream (`.h264`), each frame starting with a
/// start code. The stream has no timestamps: players assume a frame rate (FFmpeg: 25 fps
/// unless told otherwise with `-r`).
#[derive(Debug)]
pub struct H264Writer<W> {
    writer: W,
    frames: u64,
}

impl<W: Write> H264Writer<W> {
    /// A stream written to `writer`.
    pub fn new(writer: W) -> Self {
        Self { writer, frames: 0 }
    }

    /// Writes one frame (the RTP time is not stored: Annex B has no place for it).
    pub fn write_frame(&mut self, _rtp_time: u64, data: &[u8]) -> Result<(), Error> {
        if !(data.starts_with(&START_CODE) || data.starts_with(&START_CODE[1..])) {
            self.writer.write_all(&START_CODE)?;
        }
        self.writer.write_all(data)?;
        self.frames += 1;
        Ok(())
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> Result<W, Error> {
        self.writer.flush()?;
        Ok(self.writer)
    }
}

/// Whether `bytes` start like an Annex B stream (a 3- or 4-byte start code).
pub(crate) fn looks_like_annexb(bytes: &[u8]) -> bool {
    bytes.starts_with(&START_CODE) || bytes.starts_with(&START_CODE[1..])
}

/// Whether an Annex B access unit holds an IDR slice (NAL type 5): a keyframe.
pub(crate) fn has_idr(data: &[u8]) -> bool {
    data.windows(4)
        .any(|w| w[..3] == START_CODE[1..] && w[3] & 0x1F == 5)
}
