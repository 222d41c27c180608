//! A media file of any container this crate reads, told apart by its first bytes.

use std::io::Read;

use crate::{Codec, Error, Frame, IvfReader, OpusReader};

/// The frames of one file and the codec they are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// The codec (from the IVF fourcc, or Opus for Ogg Opus).
    pub codec: Codec,
    /// Every frame, in file order.
    pub frames: Vec<Frame>,
}

impl MediaFile {
    /// Reads a whole IVF, Ogg Opus or H.264 Annex B file, telling them apart by their
    /// signature (`DKIF`, `OggS`, a start code), not by a file name; H.264 at 30 frames a
    /// second (see [`read_at`](Self::read_at) for another rate).
    ///
    /// ```
    /// let file: &[u8] = include_bytes!("../samples/audio.opus");
    /// let audio = janus_media::MediaFile::read(file)?;
    /// assert_eq!((audio.codec, audio.frames.len()), (janus_media::Codec::Opus, 151));
    /// # Ok::<(), janus_media::Error>(())
    /// ```
    pub fn read(reader: impl Read) -> Result<Self, Error> {
        Self::read_at(reader, 30)
    }

    /// The same, H.264 at `h264_frame_rate` frames a second (the other containers carry
    /// their own timestamps).
    pub fn read_at(mut reader: impl Read, h264_frame_rate: u32) -> Result<Self, Error> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        match bytes.get(..4) {
            Some(b"DKIF") => {
                let ivf = IvfReader::new(&bytes[..])?;
                let Some(codec) = ivf.header().codec else {
                    let fourcc = String::from_utf8_lossy(&ivf.header().fourcc).into_owned();
                    return Err(Error::Invalid {
                        container: "IVF",
                        reason: format!("fourcc {fourcc:?} is not VP8, VP9 or AV1"),
                    });
                };
                Ok(Self {
                    codec,
                    frames: ivf.into_frames()?,
                })
            }
            Some(b"OggS") => Ok(Self {
                codec: Codec::Opus,
                frames: OpusReader::new(&bytes[..])?.into_frames()?,
            }),
            _ if crate::h264::looks_like_annexb(&bytes) => {
                Self::read_h264(&bytes[..], h264_frame_rate)
            }
            _ => Err(Error::Invalid {
                container: "media",
                reason: "neither IVF (DKIF), Ogg (OggS) nor H.264 Annex B (a start code)".into(),
            }),
        }
    }

    /// Reads an H.264 Annex B stream at `frame_rate` frames a second (the stream itself has
    /// no timestamps).
    pub fn read_h264(reader: impl Read, frame_rate: u32) -> Result<Self, Error> {
        Ok(Self {
            codec: Codec::H264,
            frames: crate::H264Reader::new(reader, frame_rate)?.into_frames(),
        })
    }

    /// Whether this is a video codec.
    pub fn is_video(&self) -> bool {
        self.codec != Codec::Opus
    }

    /// How long one pass plays, from the first frame to the end of the last.
    pub fn duration(&self) -> std::time::Duration {
        let ticks = match (self.frames.first(), self.frames.last()) {
            (Some(first), Some(last)) => (last.rtp_time + last.duration) - first.rtp_time,
            _ => 0,
        };
        crate::ticks_to_duration(ticks, self.codec.clock_rate())
    }
}
