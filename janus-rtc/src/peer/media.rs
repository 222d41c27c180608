//! Media: frames written to local tracks (simulcast layers too), frames received, mute,
//! the received bitrate, and the track lists.

use std::sync::Arc;
use std::time::Instant;

use str0m::format::{CodecExtra, PayloadParams};
use str0m::media::{KeyframeRequestKind, MediaData, MediaTime, Mid, Rid};
use str0m::stats::MediaIngressStats;

use super::PeerConnection;
use crate::event::MediaFrame;
use crate::{AudioLevel, Error, Event, FrameInfo, TrackInfo};

/// The last receive-statistics sample of a mid, and the bitrate since the one before.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ingress {
    at: Instant,
    bytes: u64,
    bitrate: Option<u64>,
}

impl PeerConnection {
    /// Writes one encoded frame (an Opus packet, a VP8 or H.264 frame) to the local track
    /// `mid`, with its RTP timestamp in the codec's clock (48 kHz Opus, 90 kHz video, 8 kHz
    /// G.711). The first codec negotiated on the mid is used.
    ///
    /// `Ok(false)`: dropped, because the connection is not up yet or the track is muted.
    pub fn write_frame(
        &mut self,
        now: Instant,
        mid: &str,
        rtp_time: u64,
        data: &[u8],
    ) -> Result<bool, Error> {
        self.write_layer(now, mid, None, rtp_time, data, None)
    }

    /// Writes one frame of the simulcast layer `rid` (`h`, `m` or `l`, as offered by a
    /// [`Track::simulcast`](crate::Track::simulcast) video track) to `mid`. Janus forwards one layer to each
    /// subscriber, as it chooses (`substream` 2, 1, 0 for `h`, `m`, `l`).
    pub fn write_simulcast_frame(
        &mut self,
        now: Instant,
        mid: &str,
        rid: &str,
        rtp_time: u64,
        data: &[u8],
    ) -> Result<bool, Error> {
        self.write_layer(now, mid, Some(rid), rtp_time, data, None)
    }

    /// Writes a frame: of a simulcast layer when `rid` is given, with an RFC 6464 audio
    /// level in its header extension when `level` is (audio only).
    pub(super) fn write_layer(
        &mut self,
        now: Instant,
        mid: &str,
        rid: Option<&str>,
        rtp_time: u64,
        data: &[u8],
        level: Option<AudioLevel>,
    ) -> Result<bool, Error> {
        self.ensure_open()?;
        if !self.local.contains_key(mid) {
            return Err(Error::UnknownMid(mid.to_owned()));
        }
        if !self.rtc.is_connected() || self.muted.iter().any(|m| m == mid) {
            return Ok(false);
        }
        let Some(mut writer) = self.rtc.writer(Mid::from(mid)) else {
            return Err(Error::UnknownMid(mid.to_owned()));
        };
        if let Some(rid) = rid {
            writer = writer.rid(Rid::from(rid));
        }
        let Some(params) = writer.payload_params().find(|p| is_media_codec(p)).copied() else {
            return Err(Error::Rtc(format!("no codec negotiated on {mid}")));
        };
        let clock = params.spec().clock_rate;
        let audio = params.spec().codec.is_audio();
        if let Some(level) = level {
            if !audio {
                return Err(Error::NotAudio(mid.to_owned()));
            }
            let (dbov, voice) = level.to_str0m();
            writer = writer.audio_level(dbov, voice);
        }
        if audio {
            self.audio_clock.insert(mid.to_owned(), (now, rtp_time));
        }
        let codec = params.spec().codec.to_string();
        let info = FrameInfo {
            mid,
            codec: &codec,
            rid,
            rtp_time,
        };
        // The fields are disjoint: str0m's writer and our transform's output buffer.
        let result = match self.e2ee.outgoing(info, data) {
            Ok(bytes) => writer
                .write(params.pt(), now, MediaTime::new(rtp_time, clock), bytes)
                .map_err(Error::from),
            Err(e) => Err(e),
        };
        self.drain();
        result?;
        if let Some(level) = level {
            self.levels_out.insert(mid.to_owned(), level);
        }
        Ok(true)
    }

    /// The codec and clock rate [`write_frame`](Self::write_frame) uses on `mid`, once
    /// negotiated.
    pub fn send_codec(&mut self, mid: &str) -> Option<(String, u32)> {
        let writer = self.rtc.writer(Mid::from(mid))?;
        let params = writer.payload_params().find(|p| is_media_codec(p))?;
        let spec = params.spec();
        let codec = (spec.codec.to_string(), spec.clock_rate.get());
        Some(codec)
    }

    /// Asks Janus for a keyframe on a video track we receive (an RTCP PLI), as a decoder or a
    /// recorder does when it starts or after a gap (janus.js leaves this to the browser).
    /// Janus passes the request on to the publisher (VideoRoom) or asks its RTP source
    /// (Streaming).
    pub fn request_keyframe(&mut self, mid: &str) -> Result<(), Error> {
        let mut writer = self
            .rtc
            .writer(Mid::from(mid))
            .ok_or_else(|| Error::UnknownMid(mid.to_owned()))?;
        let result = writer
            .request_keyframe(None, KeyframeRequestKind::Pli)
            .map_err(|e| Error::Rtc(format!("keyframe request on {mid}: {e}")));
        self.drain();
        result
    }

    /// Stops sending on a local audio or video track without renegotiating (janus.js
    /// `muteAudio`/`muteVideo`): frames written to it are dropped until [`unmute`].
    ///
    /// [`unmute`]: Self::unmute
    pub fn mute(&mut self, mid: &str) -> Result<(), Error> {
        if !self.local.contains_key(mid) {
            return Err(Error::UnknownMid(mid.to_owned()));
        }
        if !self.is_muted(mid) {
            self.muted.push(mid.to_owned());
        }
        Ok(())
    }

    /// Sends again on a muted track.
    pub fn unmute(&mut self, mid: &str) -> Result<(), Error> {
        if !self.local.contains_key(mid) {
            return Err(Error::UnknownMid(mid.to_owned()));
        }
        self.muted.retain(|m| m != mid);
        Ok(())
    }

    /// Whether the track is muted (janus.js `isAudioMuted`/`isVideoMuted`).
    pub fn is_muted(&self, mid: &str) -> bool {
        self.muted.iter().any(|m| m == mid)
    }

    /// The bitrate received on `mid`, in bits per second, between the last two statistics
    /// samples (janus.js `getBitrate`). `None` before two samples.
    pub fn bitrate(&self, mid: &str) -> Option<u64> {
        self.ingress.get(mid).and_then(|i| i.bitrate)
    }

    /// The tracks we send (janus.js `getLocalTracks`).
    pub fn local_tracks(&self) -> Vec<TrackInfo> {
        self.local.values().cloned().collect()
    }

    /// A received frame, or a telephone event (to [`dtmf`](super::dtmf)).
    pub(super) fn on_media_data(&mut self, data: MediaData) -> Option<Event> {
        let mid = data.mid.to_string();
        if let CodecExtra::Tele(tele) = data.codec_extra {
            return self.on_telephone_event(mid, data.time.numer(), &tele);
        }
        let spec = data.params.spec();
        let codec = spec.codec.to_string();
        let info = FrameInfo {
            mid: &mid,
            codec: &codec,
            rid: None,
            rtp_time: data.time.numer(),
        };
        let frame = match self.e2ee.incoming(info, &data.data) {
            None => Arc::clone(&data.data),
            Some(Ok(clear)) => Arc::from(clear),
            Some(Err(error)) => return Some(Event::DecryptFailed { mid, error }),
        };
        let audio_level = data
            .ext_vals
            .audio_level
            .map(|l| AudioLevel::from_str0m(l, data.ext_vals.voice_activity));
        if let Some(level) = audio_level {
            self.levels_in.insert(mid.clone(), level);
        }
        Some(Event::Media(MediaFrame {
            audio_level,
            keyframe: data.is_keyframe(),
            mid,
            codec,
            rtp_time: data.time.numer(),
            clock_rate: spec.clock_rate.get(),
            network_time: data.network_time,
            contiguous: data.contiguous,
            data: frame,
        }))
    }

    /// A receive-statistics sample: the bitrate of its mid since the sample before.
    pub(super) fn on_ingress_stats(&mut self, s: &MediaIngressStats) {
        // Simulcast layers we receive are left out: the bitrate is per mid.
        if s.rid.is_none() {
            let mid = s.mid.to_string();
            let prev = self.ingress.get(&mid).copied();
            let bitrate = prev.and_then(|p| {
                let dt = s.timestamp.checked_duration_since(p.at)?.as_secs_f64();
                (dt > 0.0).then(|| (s.bytes.saturating_sub(p.bytes) as f64 * 8.0 / dt) as u64)
            });
            self.ingress.insert(
                mid,
                Ingress {
                    at: s.timestamp,
                    bytes: s.bytes,
                    bitrate: bitrate.or(prev.and_then(|p| p.bitrate)),
                },
            );
        }
    }

    /// The tracks Janus sends us (janus.js `getRemoteTracks`).
    pub fn remote_tracks(&self) -> Vec<TrackInfo> {
        self.remote.values().cloned().collect()
    }
}

/// A codec frames are written in: not telephone-event, RTX or RED.
fn is_media_codec(params: &PayloadParams) -> bool {
    let codec = params.spec().codec;
    codec.is_audio() || codec.is_video()
}
