//! RFC 6464 audio levels (janus.js `getLocalVolume`, `getRemoteVolume`): a level written
//! with an audio frame, the last level sent and the last level received per track.
//!
//! The extension (`urn:ietf:params:rtp-hdrext:ssrc-audio-level`) is in str0m's standard
//! extension map, so every offer and answer of ours names it on audio m-lines; Janus
//! accepts it when the room has `audiolevel_ext` (the default).

use std::time::Instant;

use super::PeerConnection;
use crate::{AudioLevel, Error};

impl PeerConnection {
    /// Writes an audio frame as [`write_frame`](Self::write_frame) does, with its
    /// level in the RFC 6464 header extension: what Janus's talk detection reads
    /// (AudioBridge and VideoRoom `talking` / `stopped-talking`). The level is the
    /// application's to measure; this crate does not decode audio.
    ///
    /// A `mid` that is not audio is [`Error::NotAudio`]. `Ok(false)`: dropped, as with
    /// `write_frame`, and the level is not remembered.
    pub fn write_frame_with_level(
        &mut self,
        now: Instant,
        mid: &str,
        rtp_time: u64,
        data: &[u8],
        level: AudioLevel,
    ) -> Result<bool, Error> {
        self.write_layer(now, mid, None, rtp_time, data, Some(level))
    }

    /// The level of the last frame written on `mid` with one (janus.js
    /// `getLocalVolume`); `None` before any.
    pub fn local_volume(&self, mid: &str) -> Option<AudioLevel> {
        self.levels_out.get(mid).copied()
    }

    /// The level of the last frame received on `mid` that carried one (janus.js
    /// `getRemoteVolume`); `None` before any. Each frame's own level is in
    /// [`MediaFrame::audio_level`](crate::MediaFrame::audio_level).
    pub fn remote_volume(&self, mid: &str) -> Option<AudioLevel> {
        self.levels_in.get(mid).copied()
    }
}
