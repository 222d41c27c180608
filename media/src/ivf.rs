//! IVF: VP8, VP9 and AV1 frames with their timestamps.
//!
//! The format is small enough to write by hand: a 32-byte file header (`DKIF`, version 0,
//! header length 32, fourcc, width, height, time base rate and scale, frame count, unused) and
//! before each frame a 12-byte header (payload length, 64-bit timestamp in time-base units), all
//! little-endian. The `ivf` crate (0.1, maintained inside rav1e for rav1e's own output) was not
//! used: its writer always writes the `AV01` fourcc (so it cannot write VP8 or VP9) and unwraps
//! every I/O error, and its reader would save about twenty lines while dropping the frame count.
//!
//! [`IvfWriter`] writes its time base as 1/90000, so RTP times go in unchanged. Bytes 24..28
//! are the "length": libvpx's documentation calls it the frame count, FFmpeg reads it as the
//! stream's duration in time-base units and writes it so (the frame count times the mean frame
//! interval). The two agree only when the time base is one frame, as in FFmpeg's own 30 fps
//! files; with a 90 kHz time base they differ, and the writer follows FFmpeg, whose ffprobe is
//! what people check recordings with. [`IvfWriter::finish_seekable`] fixes it up when the
//! writer can seek; [`IvfWriter::finish`] leaves it as written at the start (0), for pipes and
//! sockets. [`IvfHeader::frame_count`] is the raw field.

use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::{Codec, Error, Frame};

const FILE_HEADER_LEN: usize = 32;
const FRAME_HEADER_LEN: usize = 12;
/// The time base [`IvfWriter`] writes: the 90 kHz RTP video clock.
const RTP_VIDEO_RATE: u32 = 90_000;

fn invalid(reason: impl Into<String>) -> Error {
    Error::Invalid {
        container: "IVF",
        reason: reason.into(),
    }
}

/// The IVF file header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvfHeader {
    /// The fourcc as found (`VP80`, `VP90`, `AV01`, or another).
    pub fourcc: [u8; 4],
    /// The codec the fourcc names, if this crate knows it.
    pub codec: Option<Codec>,
    /// Width in pixels, as the header says.
    pub width: u16,
    /// Height in pixels, as the header says.
    pub height: u16,
    /// Time base denominator: timestamps count `1 / rate * scale` seconds (30 for a 30 fps file
    /// with scale 1).
    pub rate: u32,
    /// Time base numerator.
    pub scale: u32,
    /// The raw "length" field (bytes 24..28): a frame count for libvpx, the duration in
    /// time-base units for FFmpeg (see the [module doc](self)).
    pub frame_count: u32,
}

impl IvfHeader {
    fn parse(b: &[u8; FILE_HEADER_LEN]) -> Result<Self, Error> {
        if &b[0..4] != b"DKIF" {
            return Err(invalid("no DKIF signature"));
        }
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let header_len = usize::from(u16_at(6));
        if header_len < FILE_HEADER_LEN {
            return Err(invalid(format!("header length {header_len}")));
        }
        let fourcc = [b[8], b[9], b[10], b[11]];
        let (rate, scale) = (u32_at(16), u32_at(20));
        if rate == 0 || scale == 0 {
            return Err(invalid(format!("time base {scale}/{rate}")));
        }
        Ok(Self {
            fourcc,
            codec: Codec::from_fourcc(fourcc),
            width: u16_at(12),
            height: u16_at(14),
            rate,
            scale,
            frame_count: u32_at(24),
        })
    }

    fn header_len_extra(b: &[u8; FILE_HEADER_LEN]) -> usize {
        usize::from(u16::from_le_bytes([b[6], b[7]])).saturating_sub(FILE_HEADER_LEN)
    }
}

/// Reads IVF frames from any [`Read`], with RTP times in the 90 kHz video clock.
///
/// It looks one frame ahead, to give each frame its duration.
#[derive(Debug)]
pub struct IvfReader<R> {
    reader: R,
    header: IvfHeader,
    next: Option<(u64, Vec<u8>)>,
    last_duration: u64,
    first_pts: Option<u64>,
}

impl<R: Read> IvfReader<R> {
    /// Reads the file header (and the first frame's header).
    pub fn new(mut reader: R) -> Result<Self, Error> {
        let mut b = [0u8; FILE_HEADER_LEN];
        reader
            .read_exact(&mut b)
            .map_err(|_| invalid("shorter than its 32-byte header"))?;
        let header = IvfHeader::parse(&b)?;
        // A longer header than 32 bytes: skip what we do not know.
        let extra = IvfHeader::header_len_extra(&b);
        io::copy(&mut (&mut reader).take(extra as u64), &mut io::sink())?;
        // One frame of the nominal time base, until two frames say better.
        let last_duration = to_rtp(1, &header);
        let mut this = Self {
            reader,
            header,
            next: None,
            last_duration,
            first_pts: None,
        };
        this.next = this.read_raw()?;
        Ok(this)
    }

    /// The file header.
    pub fn header(&self) -> &IvfHeader {
        &self.header
    }

    fn read_raw(&mut self) -> Result<Option<(u64, Vec<u8>)>, Error> {
        let mut h = [0u8; FRAME_HEADER_LEN];
        match read_full(&mut self.reader, &mut h)? {
            0 => return Ok(None),
            FRAME_HEADER_LEN => {}
            n => return Err(invalid(format!("truncated frame header ({n} bytes)"))),
        }
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let pts = u64::from_le_bytes([h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11]]);
        let mut data = vec![0; len];
        self.reader
            .read_exact(&mut data)
            .map_err(|_| invalid(format!("truncated frame of {len} bytes")))?;
        Ok(Some((pts, data)))
    }

    /// The next frame, or `None` at the end of the file.
    pub fn read_frame(&mut self) -> Result<Option<Frame>, Error> {
        let Some((pts, data)) = self.next.take() else {
            return Ok(None);
        };
        self.next = self.read_raw()?;
        let first = *self.first_pts.get_or_insert(pts);
        let rtp_time = to_rtp(pts.saturating_sub(first), &self.header);
        if let Some((next_pts, _)) = &self.next {
            let next = to_rtp(next_pts.saturating_sub(first), &self.header);
            if next > rtp_time {
                self.last_duration = next - rtp_time;
            }
        }
        let keyframe = self
            .header
            .codec
            .is_some_and(|codec| is_keyframe(codec, &data));
        Ok(Some(Frame {
            rtp_time,
            duration: self.last_duration,
            keyframe,
            data,
        }))
    }

    /// Reads every remaining frame.
    pub fn into_frames(mut self) -> Result<Vec<Frame>, Error> {
        let mut frames = Vec::new();
        while let Some(f) = self.read_frame()? {
            frames.push(f);
        }
        Ok(frames)
    }
}

/// Reads until `buf` is full or the reader ends; returns how many bytes were read.
pub(crate) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Time-base units to the 90 kHz clock (relative to the file's first frame).
fn to_rtp(pts: u64, h: &IvfHeader) -> u64 {
    let t = u128::from(pts) * u128::from(RTP_VIDEO_RATE) * u128::from(h.scale) / u128::from(h.rate);
    u64::try_from(t).unwrap_or(u64::MAX)
}

/// Whether an encoded frame is a keyframe, from its first bytes.
///
/// VP8: bit 0 of the frame tag is 0 (RFC 6386 §9.1). VP9: the uncompressed header's
/// `show_existing_frame` and `frame_type` are 0 (VP9 spec §6.2). AV1: the temporal unit holds a
/// sequence header OBU (type 1), which encoders put before every keyframe; a heuristic, not a
/// parse of the frame header. H.264 (an Annex B access unit): it holds an IDR slice.
pub fn is_keyframe(codec: Codec, data: &[u8]) -> bool {
    let Some(&b) = data.first() else {
        return false;
    };
    match codec {
        Codec::Vp8 => b & 1 == 0,
        Codec::Vp9 => {
            if b >> 6 != 0b10 {
                return false;
            }
            let profile = ((b >> 5) & 1) | (((b >> 4) & 1) << 1);
            // Bits after the profile: a reserved zero bit in profile 3, then
            // show_existing_frame, then frame_type.
            let rest = if profile == 3 { b << 5 } else { b << 4 };
            rest & 0xC0 == 0
        }
        Codec::Av1 => av1_has_sequence_header(data),
        Codec::H264 => crate::h264::has_idr(data),
        Codec::Opus => true,
    }
}

fn av1_has_sequence_header(mut data: &[u8]) -> bool {
    while let Some(&h) = data.first() {
        let obu_type = (h >> 3) & 0xF;
        if obu_type == 1 {
            return true;
        }
        let has_ext = h & 0x4 != 0;
        let has_size = h & 0x2 != 0;
        let mut i = 1 + usize::from(has_ext);
        if !has_size {
            return false; // the last OBU: its size is the rest
        }
        // leb128 size
        let mut size: usize = 0;
        for k in 0..8 {
            let Some(&byte) = data.get(i) else {
                return false;
            };
            i += 1;
            size |= usize::from(byte & 0x7F) << (7 * k);
            if byte & 0x80 == 0 {
                break;
            }
        }
        let Some(rest) = data.get(i.saturating_add(size)..) else {
            return false;
        };
        data = rest;
    }
    false
}

/// Writes VP8, VP9 or AV1 frames to an IVF file, their RTP times (90 kHz) as timestamps.
///
/// The header goes out in [`new`](Self::new) with a frame count of 0; see
/// [`finish_seekable`](Self::finish_seekable) and [`finish`](Self::finish) for how it ends.
/// Timestamps are written relative to the first frame's RTP time, so the file starts at 0.
#[derive(Debug)]
pub struct IvfWriter<W> {
    writer: W,
    codec: Codec,
    width: u16,
    height: u16,
    first_rtp: Option<u64>,
    last_rtp: u64,
    frames: u32,
}

impl<W: Write> IvfWriter<W> {
    /// Writes the file header. `width` and `height` may be 0 when unknown: for VP8 they are then
    /// taken from the first keyframe and written by [`finish_seekable`](Self::finish_seekable).
    pub fn new(mut writer: W, codec: Codec, width: u16, height: u16) -> Result<Self, Error> {
        let Some(fourcc) = codec.fourcc() else {
            return Err(Error::Unsupported(codec, "IVF"));
        };
        let mut h = [0u8; FILE_HEADER_LEN];
        h[0..4].copy_from_slice(b"DKIF");
        h[6..8].copy_from_slice(&(FILE_HEADER_LEN as u16).to_le_bytes());
        h[8..12].copy_from_slice(&fourcc);
        h[12..14].copy_from_slice(&width.to_le_bytes());
        h[14..16].copy_from_slice(&height.to_le_bytes());
        h[16..20].copy_from_slice(&RTP_VIDEO_RATE.to_le_bytes());
        h[20..24].copy_from_slice(&1u32.to_le_bytes());
        writer.write_all(&h)?;
        Ok(Self {
            writer,
            codec,
            width,
            height,
            first_rtp: None,
            last_rtp: 0,
            frames: 0,
        })
    }

    /// Writes one frame: `rtp_time` in the 90 kHz clock (a `janus_rtc::MediaFrame`'s
    /// `rtp_time`), `data` the encoded frame.
    pub fn write_frame(&mut self, rtp_time: u64, data: &[u8]) -> Result<(), Error> {
        let first = *self.first_rtp.get_or_insert(rtp_time);
        let len = u32::try_from(data.len()).map_err(|_| invalid("frame over 4 GiB"))?;
        if self.codec == Codec::Vp8 && self.width == 0 && is_keyframe(Codec::Vp8, data) {
            // RFC 6386 §9.1: 3-byte tag, start code 9d 01 2a, then 14-bit width and height.
            if data.len() >= 10 && data[3..6] == [0x9d, 0x01, 0x2a] {
                self.width = u16::from_le_bytes([data[6], data[7]]) & 0x3FFF;
                self.height = u16::from_le_bytes([data[8], data[9]]) & 0x3FFF;
            }
        }
        let mut h = [0u8; FRAME_HEADER_LEN];
        h[0..4].copy_from_slice(&len.to_le_bytes());
        h[4..12].copy_from_slice(&rtp_time.wrapping_sub(first).to_le_bytes());
        self.writer.write_all(&h)?;
        self.writer.write_all(data)?;
        self.last_rtp = rtp_time;
        self.frames = self.frames.saturating_add(1);
        Ok(())
    }

    /// Frames written so far.
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// The stream's length in 90 kHz ticks as FFmpeg computes it: the frames times the mean
    /// interval between them (so the last frame lasts as long as the mean one), 0 for fewer
    /// than two frames.
    pub fn length(&self) -> u32 {
        let span = self
            .last_rtp
            .wrapping_sub(self.first_rtp.unwrap_or(self.last_rtp));
        let ticks = match self.frames {
            0 | 1 => 0,
            n => span * u64::from(n) / u64::from(n - 1),
        };
        u32::try_from(ticks).unwrap_or(u32::MAX)
    }

    /// Flushes and returns the writer, leaving the header as written in [`new`](Self::new)
    /// (frame count 0): for writers that cannot seek.
    pub fn finish(mut self) -> Result<W, Error> {
        self.writer.flush()?;
        Ok(self.writer)
    }
}

impl<W: Write + Seek> IvfWriter<W> {
    /// Fixes up the header (the length as FFmpeg reads it, see the [module doc](self), and a
    /// VP8 size learnt from the first keyframe),
    /// seeks back to the end, flushes and returns the writer. The header is assumed to start at
    /// the writer's position 0.
    pub fn finish_seekable(mut self) -> Result<W, Error> {
        let end = self.writer.stream_position()?;
        self.writer.seek(SeekFrom::Start(12))?;
        self.writer.write_all(&self.width.to_le_bytes())?;
        self.writer.write_all(&self.height.to_le_bytes())?;
        self.writer.seek(SeekFrom::Start(24))?;
        self.writer.write_all(&self.length().to_le_bytes())?;
        self.writer.seek(SeekFrom::Start(end))?;
        self.writer.flush()?;
        Ok(self.writer)
    }
}
