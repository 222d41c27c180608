//! Ogg Opus (RFC 7845): one Opus packet per frame, with durations from the TOC byte.
//!
//! Ogg paging is the [`ogg`] crate's. What is hand-written: the OpusHead and OpusTags header
//! packets, packet durations from the TOC byte (RFC 6716 §3.1, [`packet_duration`]), and the
//! granule positions (RFC 7845 §4: a page's granule position counts the 48 kHz samples of every
//! packet that ends on or before it, pre-skip included, so a player's duration is
//! `last granule - pre_skip`).

use std::collections::VecDeque;
use std::io::{self, Read, Seek, SeekFrom, Write};

use ogg::{PacketReader, PacketWriteEndInfo, PacketWriter};

use crate::{Error, Frame};

/// The Opus RTP clock and the Ogg Opus granule clock, whatever the input rate was.
pub const OPUS_CLOCK_RATE: u32 = 48_000;

fn invalid(reason: impl Into<String>) -> Error {
    Error::Invalid {
        container: "Ogg Opus",
        reason: reason.into(),
    }
}

/// The identification header (RFC 7845 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpusHead {
    /// Output channels (1 mono, 2 stereo, ...).
    pub channels: u8,
    /// Samples (at 48 kHz) to drop from the start of the decoded output.
    pub pre_skip: u16,
    /// The encoder's input sample rate (information only; Opus always decodes at 48 kHz here).
    pub input_sample_rate: u32,
    /// Output gain, Q7.8 dB.
    pub output_gain: i16,
    /// Channel mapping family (0: mono or stereo, no table).
    pub mapping_family: u8,
    /// The channel mapping table (families other than 0): stream count, coupled count, mapping.
    pub mapping_table: Vec<u8>,
}

impl OpusHead {
    /// A head for `channels` (1 or 2, mapping family 0) and a pre-skip. For frames received
    /// over WebRTC the encoder's pre-skip is unknown: 0 keeps every sample; libopus's usual
    /// look-ahead is 312.
    pub fn new(channels: u8, pre_skip: u16) -> Self {
        Self {
            channels,
            pre_skip,
            input_sample_rate: OPUS_CLOCK_RATE,
            output_gain: 0,
            mapping_family: 0,
            mapping_table: Vec::new(),
        }
    }

    /// Parses an `OpusHead` packet.
    pub fn parse(p: &[u8]) -> Result<Self, Error> {
        if p.len() < 19 || &p[0..8] != b"OpusHead" {
            return Err(invalid("the first packet is not an OpusHead"));
        }
        if p[8] >> 4 != 0 {
            return Err(invalid(format!("OpusHead version {}", p[8])));
        }
        Ok(Self {
            channels: p[9],
            pre_skip: u16::from_le_bytes([p[10], p[11]]),
            input_sample_rate: u32::from_le_bytes([p[12], p[13], p[14], p[15]]),
            output_gain: i16::from_le_bytes([p[16], p[17]]),
            mapping_family: p[18],
            mapping_table: p[19..].to_vec(),
        })
    }

    /// The `OpusHead` packet.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(19 + self.mapping_table.len());
        p.extend_from_slice(b"OpusHead");
        p.push(1);
        p.push(self.channels);
        p.extend_from_slice(&self.pre_skip.to_le_bytes());
        p.extend_from_slice(&self.input_sample_rate.to_le_bytes());
        p.extend_from_slice(&self.output_gain.to_le_bytes());
        p.push(self.mapping_family);
        if self.mapping_family != 0 {
            p.extend_from_slice(&self.mapping_table);
        }
        p
    }
}

/// An Opus packet's duration in 48 kHz samples, from its TOC byte (and, for code 3, the frame
/// count byte), per RFC 6716 §3.1. `None` for an empty or malformed packet.
pub fn packet_duration(packet: &[u8]) -> Option<u32> {
    let toc = *packet.first()?;
    let config = toc >> 3;
    // Frame size in 48 kHz samples.
    let frame = match config {
        0..=11 => [480, 960, 1920, 2880][usize::from(config % 4)], // SILK: 10, 20, 40, 60 ms
        12..=15 => [480, 960][usize::from(config % 2)],            // Hybrid: 10, 20 ms
        _ => [120, 240, 480, 960][usize::from(config % 4)],        // CELT: 2.5, 5, 10, 20 ms
    };
    let frames = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => u32::from(*packet.get(1)? & 0x3F),
    };
    let total = frame * frames;
    // RFC 6716 §3.2.5: at most 120 ms per packet.
    (frames > 0 && total <= 5760).then_some(total)
}

/// Reads Opus packets from an Ogg Opus file on any [`Read`] (a file, a slice, a pipe).
///
/// The OpusHead and OpusTags header packets are read in [`new`](Self::new) and skipped; the
/// head is kept ([`head`](Self::head): channels, pre-skip). Each [`Frame`] is one Opus packet;
/// its `duration` comes from the TOC byte and its `rtp_time` (48 kHz) is the sum of the
/// durations before it, starting where the first audio page's granule position says the stream
/// starts (0 for a file that starts at the beginning; RFC 7845 §4.5). Only the first logical
/// stream is read.
pub struct OpusReader<R: Read> {
    packets: PacketReader<Rewind<R>>,
    head: OpusHead,
    serial: u32,
    /// Frames of a page read but not handed out yet (a whole page is read before its first
    /// frame goes out, to learn the start time from its granule position).
    queued: VecDeque<Frame>,
    /// The next frame's RTP time, once known.
    position: Option<u64>,
    /// Packets of the first audio page, before its granule position is known.
    first_page: Vec<(Vec<u8>, u64)>,
}

impl<R: Read> std::fmt::Debug for OpusReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusReader")
            .field("head", &self.head)
            .field("serial", &self.serial)
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

impl<R: Read> OpusReader<R> {
    /// Reads the OpusHead and OpusTags packets.
    pub fn new(reader: R) -> Result<Self, Error> {
        let mut packets = PacketReader::new(Rewind::new(reader));
        let first = packets
            .read_packet()?
            .ok_or_else(|| invalid("no Ogg packets"))?;
        let head = OpusHead::parse(&first.data)?;
        let serial = first.stream_serial();
        let tags = loop {
            let p = packets
                .read_packet()?
                .ok_or_else(|| invalid("no OpusTags"))?;
            if p.stream_serial() == serial {
                break p;
            }
        };
        if !tags.data.starts_with(b"OpusTags") {
            return Err(invalid("the second packet is not OpusTags"));
        }
        Ok(Self {
            packets,
            head,
            serial,
            queued: VecDeque::new(),
            position: None,
            first_page: Vec::new(),
        })
    }

    /// The identification header: channels, pre-skip, input rate.
    pub fn head(&self) -> &OpusHead {
        &self.head
    }

    /// The channel count (from the OpusHead).
    pub fn channels(&self) -> u8 {
        self.head.channels
    }

    /// The pre-skip in 48 kHz samples (from the OpusHead): what a player drops from the start.
    pub fn pre_skip(&self) -> u16 {
        self.head.pre_skip
    }

    /// The next Opus packet, or `None` at the end of the stream.
    pub fn read_frame(&mut self) -> Result<Option<Frame>, Error> {
        loop {
            if let Some(f) = self.queued.pop_front() {
                return Ok(Some(f));
            }
            let Some(p) = self.packets.read_packet()? else {
                // Ended inside the first page (no granule seen): start at 0.
                self.release_first_page(None);
                return Ok(self.queued.pop_front());
            };
            if p.stream_serial() != self.serial {
                continue;
            }
            let duration = u64::from(
                packet_duration(&p.data)
                    .ok_or_else(|| invalid(format!("bad Opus packet ({} bytes)", p.data.len())))?,
            );
            match self.position {
                Some(pos) => {
                    self.position = Some(pos + duration);
                    self.queued.push_back(Frame {
                        rtp_time: pos,
                        duration,
                        keyframe: true,
                        data: p.data,
                    });
                }
                None => {
                    let end_of_page = p.last_in_page() || p.last_in_stream();
                    let granule = p.absgp_page();
                    self.first_page.push((p.data, duration));
                    if end_of_page {
                        self.release_first_page(Some(granule));
                    }
                }
            }
        }
    }

    /// The first audio page is complete: its granule position minus its packets' durations is
    /// where the stream starts.
    fn release_first_page(&mut self, granule: Option<u64>) {
        let total: u64 = self.first_page.iter().map(|(_, d)| d).sum();
        let mut pos = match granule {
            // The last page of a short stream may be end-trimmed (granule below the total).
            Some(g) if g != u64::MAX => g.saturating_sub(total),
            _ => 0,
        };
        for (data, duration) in self.first_page.drain(..) {
            self.queued.push_back(Frame {
                rtp_time: pos,
                duration,
                keyframe: true,
                data,
            });
            pos += duration;
        }
        self.position = Some(pos);
    }

    /// Reads every remaining packet.
    pub fn into_frames(mut self) -> Result<Vec<Frame>, Error> {
        let mut frames = Vec::new();
        while let Some(f) = self.read_frame()? {
            frames.push(f);
        }
        Ok(frames)
    }
}

/// Gives a [`Read`] the little [`Seek`] the `ogg` reader needs: when it looks for a page's
/// capture pattern it may read past the header and seek back a few bytes. Keeps the bytes read
/// since the last refill (at least `KEEP`) and seeks within them; any other seek is an error.
struct Rewind<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
}

impl<R> Rewind<R> {
    const KEEP: usize = 4096;

    fn new(inner: R) -> Self {
        Self {
            inner,
            buf: Vec::new(),
            pos: 0,
        }
    }
}

impl<R: Read> Read for Rewind<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.buf.len() {
            // Refill: keep the tail for seeking back, append a fresh chunk.
            let drop = self.buf.len().saturating_sub(Self::KEEP);
            self.buf.drain(..drop);
            self.pos = self.buf.len();
            let mut chunk = [0u8; 8192];
            let n = self.inner.read(&mut chunk)?;
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl<R: Read> Seek for Rewind<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let SeekFrom::Current(delta) = to else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "Ogg Opus reader: only short relative seeks are possible",
            ));
        };
        let target = i64::try_from(self.pos).unwrap_or(i64::MAX) + delta;
        match usize::try_from(target) {
            Ok(t) if t <= self.buf.len() => {
                self.pos = t;
                // Positions are relative to the buffer; nobody uses the value.
                Ok(t as u64)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "Ogg Opus reader: seek outside the buffered bytes",
            )),
        }
    }
}

/// Writes Opus packets to an Ogg Opus file, with granule positions that make players show the
/// right duration.
///
/// [`new`](Self::new) writes the OpusHead and OpusTags pages. Each page's granule position is
/// the running total of its packets' TOC durations from 0 (the pre-skipped samples are among
/// them: a player shows `granule - pre_skip`), so the pages are
/// consistent whatever the RTP times say. A jump in RTP time (packets lost, or DTX) is filled
/// with TOC-only packets of 20 ms (zero-length frames, which a decoder conceals: RFC 6716
/// §3.2.1), so the audio stays in time with the gap; [`gaps`](Self::gaps) counts them. A page
/// ends every second of audio, so a recording cut short loses at most that. The last packet is
/// held back until the next one (or [`finish`](Self::finish)), to mark the end of the stream.
pub struct OpusWriter<W: Write> {
    pages: PacketWriter<'static, W>,
    head: OpusHead,
    serial: u32,
    /// Samples written (the pre-skip is among them): the granule position after the held packet.
    granule: u64,
    /// The RTP time the next packet should have.
    expected_rtp: Option<u64>,
    held: Option<Vec<u8>>,
    held_granule: u64,
    since_page: u64,
    packets: u64,
    gaps: u64,
}

impl<W: Write> std::fmt::Debug for OpusWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusWriter")
            .field("head", &self.head)
            .field("granule", &self.granule)
            .field("packets", &self.packets)
            .field("gaps", &self.gaps)
            .finish_non_exhaustive()
    }
}

impl<W: Write> OpusWriter<W> {
    /// Writes the OpusHead and OpusTags (vendor `janus-media`) pages. `serial` is the Ogg
    /// stream's serial number (any value; a file holds one stream).
    pub fn new(writer: W, head: OpusHead, serial: u32) -> Result<Self, Error> {
        let mut pages = PacketWriter::new(writer);
        pages.write_packet(head.to_bytes(), serial, PacketWriteEndInfo::EndPage, 0)?;
        let vendor = b"janus-media";
        let mut tags = Vec::new();
        tags.extend_from_slice(b"OpusTags");
        tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
        tags.extend_from_slice(vendor);
        tags.extend_from_slice(&0u32.to_le_bytes());
        pages.write_packet(tags, serial, PacketWriteEndInfo::EndPage, 0)?;
        Ok(Self {
            pages,
            granule: 0,
            head,
            serial,
            expected_rtp: None,
            held: None,
            held_granule: 0,
            since_page: 0,
            packets: 0,
            gaps: 0,
        })
    }

    /// Writes one Opus packet: `rtp_time` in the 48 kHz clock (a `janus_rtc::MediaFrame`'s
    /// `rtp_time`), `data` the packet. A packet whose TOC is malformed is an error and is not
    /// written.
    pub fn write_frame(&mut self, rtp_time: u64, data: &[u8]) -> Result<(), Error> {
        let duration = u64::from(
            packet_duration(data)
                .ok_or_else(|| invalid(format!("bad Opus packet ({} bytes)", data.len())))?,
        );
        if let Some(expected) = self.expected_rtp {
            // Fill a gap of whole 20 ms packets; a packet early or late by less stays as is.
            let filler = [0xF8 | if self.head.channels > 1 { 0x04 } else { 0 }];
            let mut missing = rtp_time.saturating_sub(expected);
            while missing >= 960 {
                self.push(filler.to_vec(), 960)?;
                self.gaps += 1;
                missing -= 960;
            }
        }
        self.expected_rtp = Some(rtp_time + duration);
        self.push(data.to_vec(), duration)?;
        self.packets += 1;
        Ok(())
    }

    fn push(&mut self, packet: Vec<u8>, duration: u64) -> Result<(), Error> {
        if let Some(held) = self.held.take() {
            let end_page = self.since_page >= u64::from(OPUS_CLOCK_RATE);
            let info = if end_page {
                self.since_page = 0;
                PacketWriteEndInfo::EndPage
            } else {
                PacketWriteEndInfo::NormalPacket
            };
            self.pages
                .write_packet(held, self.serial, info, self.held_granule)?;
        }
        self.granule += duration;
        self.since_page += duration;
        self.held = Some(packet);
        self.held_granule = self.granule;
        Ok(())
    }

    /// Opus packets written (not counting gap fillers).
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// 20 ms filler packets written for gaps in RTP time.
    pub fn gaps(&self) -> u64 {
        self.gaps
    }

    /// The duration written so far, in 48 kHz samples (the last granule position minus the
    /// pre-skip): what a player will show.
    pub fn duration(&self) -> u64 {
        self.granule.saturating_sub(u64::from(self.head.pre_skip))
    }

    /// Writes the held packet as the end of the stream, flushes and returns the writer.
    pub fn finish(mut self) -> Result<W, Error> {
        if let Some(held) = self.held.take() {
            self.pages.write_packet(
                held,
                self.serial,
                PacketWriteEndInfo::EndStream,
                self.held_granule,
            )?;
        }
        let mut w = self.pages.into_inner();
        w.flush()?;
        Ok(w)
    }
}
