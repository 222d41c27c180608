//! The media files of `publish`, and the recordings of `record`.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use janus_media::{Codec, H264Writer, IvfWriter, MediaFile, OpusHead, OpusWriter};
use serde::Serialize;

use crate::{Error, Result};

/// What `publish` sends: at most one audio and one video file.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The Opus file.
    pub audio: Option<MediaFile>,
    /// The video file (VP8, VP9, AV1 or H.264).
    pub video: Option<MediaFile>,
}

impl Sources {
    /// Reads the files, each told apart by its signature (H.264 at `fps` frames a second);
    /// two of one kind is a usage error.
    pub fn open(paths: &[PathBuf], fps: u32) -> Result<Self> {
        let mut sources = Self::default();
        for path in paths {
            let file = read_at(path, fps)?;
            let slot = if file.is_video() {
                &mut sources.video
            } else {
                &mut sources.audio
            };
            if slot.replace(file).is_some() {
                return Err(Error::Usage(format!(
                    "{}: one audio and one video file at most",
                    path.display()
                )));
            }
        }
        Ok(sources)
    }
}

/// Reads a whole IVF, Ogg Opus or H.264 Annex B file (H.264 at 30 frames a second).
pub fn read(path: &Path) -> Result<MediaFile> {
    read_at(path, 30)
}

/// The same, H.264 at `fps` frames a second.
pub fn read_at(path: &Path, fps: u32) -> Result<MediaFile> {
    let file = File::open(path).map_err(|error| Error::File {
        path: path.to_owned(),
        error,
    })?;
    Ok(MediaFile::read_at(BufReader::new(file), fps)?)
}

/// A file being written from a received track: IVF for VP8, VP9 and AV1, Annex B for H.264,
/// Ogg Opus for audio.
#[derive(Debug)]
pub struct Recording {
    path: PathBuf,
    codec: Codec,
    writer: Writer,
    first: Option<u64>,
    last: u64,
    frames: u64,
}

#[derive(Debug)]
enum Writer {
    Ivf(IvfWriter<BufWriter<File>>),
    H264(H264Writer<BufWriter<File>>),
    Opus(OpusWriter<BufWriter<File>>),
}

/// What one recording holds, when it is finished.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Recorded {
    /// The file.
    pub path: PathBuf,
    /// The codec's SDP name.
    pub codec: String,
    /// Frames written.
    pub frames: u64,
    /// From the first frame to the last, s (the RTP clock).
    pub seconds: f64,
}

impl Recording {
    /// Creates `<dir>/<kind>-<mid>.<ext>` (`.ivf`, `.h264`, `.opus`) for frames of `codec` (an
    /// SDP name); `first` is the first frame, for what a header needs (the Opus channel
    /// count). `None` for a codec no writer here takes (G.711, say).
    pub fn create(dir: &Path, mid: &str, codec: &str, first: &[u8]) -> Result<Option<Self>> {
        let Some(codec) = Codec::from_sdp_name(codec) else {
            return Ok(None);
        };
        let (kind, ext) = match codec {
            Codec::Opus => ("audio", "opus"),
            Codec::H264 => ("video", "h264"),
            _ => ("video", "ivf"),
        };
        let safe: String = mid.chars().filter(char::is_ascii_alphanumeric).collect();
        let path = dir.join(format!("{kind}-{safe}.{ext}"));
        let file = File::create(&path).map_err(|error| Error::File {
            path: path.clone(),
            error,
        })?;
        let out = BufWriter::new(file);
        let writer = match codec {
            Codec::Opus => {
                // RFC 6716 §3.1: the TOC byte's `s` bit says stereo.
                let stereo = first.first().is_some_and(|toc| toc & 0x04 != 0);
                let head = OpusHead::new(if stereo { 2 } else { 1 }, 0);
                // A serial number only has to differ between the streams of one Ogg file.
                Writer::Opus(OpusWriter::new(out, head, 1)?)
            }
            Codec::H264 => Writer::H264(H264Writer::new(out)),
            _ => Writer::Ivf(IvfWriter::new(out, codec, 0, 0)?),
        };
        Ok(Some(Self {
            path,
            codec,
            writer,
            first: None,
            last: 0,
            frames: 0,
        }))
    }

    /// The codec written.
    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Writes one frame at its RTP time.
    pub fn write(&mut self, rtp_time: u64, data: &[u8]) -> Result<()> {
        match &mut self.writer {
            Writer::Ivf(w) => w.write_frame(rtp_time, data)?,
            Writer::H264(w) => w.write_frame(rtp_time, data)?,
            Writer::Opus(w) => w.write_frame(rtp_time, data)?,
        }
        self.first.get_or_insert(rtp_time);
        self.last = rtp_time;
        self.frames += 1;
        Ok(())
    }

    /// Fixes up the header (IVF), writes the last page (Ogg), and says what the file holds.
    pub fn finish(self) -> Result<Recorded> {
        let span = self.last - self.first.unwrap_or(self.last);
        let seconds = span as f64 / f64::from(self.codec.clock_rate());
        let flushed = match self.writer {
            Writer::Ivf(w) => w.finish_seekable().map(drop),
            Writer::H264(w) => w.finish().map(drop),
            Writer::Opus(w) => w.finish().map(drop),
        };
        flushed?;
        Ok(Recorded {
            path: self.path,
            codec: self.codec.sdp_name().to_owned(),
            frames: self.frames,
            seconds,
        })
    }
}
