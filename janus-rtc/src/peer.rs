//! The peer connection: str0m's `Rtc` behind the janus.js API.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use janus_proto::{IceCandidate, Jsep, SdpType, Trickle};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::channel::{ChannelConfig, ChannelId};
use str0m::format::{Codec, CodecExtra, FormatParams, PayloadParams};
use str0m::media::{
    Direction, Frequency, MediaKind, MediaTime, Mid, Pt, Rid, Simulcast, SimulcastLayer,
    TelephoneEvent,
};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, IceConnectionState, Rtc};

use crate::event::{DataMessage, MediaFrame};
use crate::sdp::{first_mid, normalize_sdp};
use crate::{Error, Event, IceState, Output, PeerConfig, Track, TrackAction, TrackInfo, TrackKind};

/// A WebRTC peer connection with Janus (one per plugin handle), sans-IO.
///
/// The str0m rule that every mutation is followed by draining its output is kept inside:
/// each call that changes the connection drains str0m into this connection's queue, and
/// [`poll_output`](Self::poll_output) hands the queue out, ending with the next deadline.
pub struct PeerConnection {
    rtc: Rtc,
    config: PeerConfig,
    local_addrs: Vec<SocketAddr>,
    pending: Option<SdpPendingOffer>,
    /// Every mid we know, in m-line order of their first appearance.
    mids: Vec<Mid>,
    local: BTreeMap<String, TrackInfo>,
    remote: BTreeMap<String, TrackInfo>,
    muted: Vec<String>,
    channels: HashMap<ChannelId, String>,
    has_data_mline: bool,
    ingress: HashMap<String, Ingress>,
    last_dtmf: Option<(String, u64)>,
    /// Tones waiting for their time: (when, mid, RFC 4733 event code, duration).
    dtmf_out: VecDeque<(Instant, String, u8, Duration)>,
    /// Per sent audio mid: when the last frame was written and its RTP time, so that a
    /// tone lands on the same RTP timeline.
    audio_clock: HashMap<String, (Instant, u64)>,
    queue: VecDeque<Output>,
    deadline: Instant,
    closed: bool,
}

/// The last receive-statistics sample of a mid, and the bitrate since the one before.
#[derive(Debug, Clone, Copy)]
struct Ingress {
    at: Instant,
    bytes: u64,
    bitrate: Option<u64>,
}

impl std::fmt::Debug for PeerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerConnection")
            .field("local_addrs", &self.local_addrs)
            .field("local", &self.local)
            .field("remote", &self.remote)
            .field("channels", &self.channels.values().collect::<Vec<_>>())
            .field("connected", &self.rtc.is_connected())
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl PeerConnection {
    /// A connection whose host candidates are `local_addrs`: the addresses of the UDP
    /// sockets the adapter bound (127.0.0.2 in the test namespace).
    pub fn new(config: PeerConfig, now: Instant, local_addrs: &[SocketAddr]) -> Self {
        let mut builder = Rtc::builder()
            .set_stats_interval(config.stats_interval)
            .clear_codecs()
            .enable_opus(config.opus, false)
            .enable_pcmu(config.g711, false)
            .enable_pcma(config.g711, false)
            .enable_vp8(config.vp8)
            .enable_h264(config.h264)
            .enable_vp9(config.vp9);
        if config.dtmf {
            // 126: clear of str0m's default payload types (RTX among them uses 101).
            builder.codec_config().add_config(
                Pt::from(126),
                None,
                Codec::Tele,
                Frequency::EIGHT_KHZ,
                None,
                FormatParams::default(),
            );
        }
        let rtc = builder.build(now);
        Self {
            rtc,
            config,
            local_addrs: local_addrs.to_vec(),
            pending: None,
            mids: Vec::new(),
            local: BTreeMap::new(),
            remote: BTreeMap::new(),
            muted: Vec::new(),
            channels: HashMap::new(),
            has_data_mline: false,
            ingress: HashMap::new(),
            last_dtmf: None,
            dtmf_out: VecDeque::new(),
            audio_clock: HashMap::new(),
            queue: VecDeque::new(),
            deadline: now,
            closed: false,
        }
    }

    /// Makes an offer (janus.js `createOffer`) with these tracks.
    ///
    /// The first offer adds every [`Track`] with [`TrackAction::Add`]; later ones are
    /// renegotiations: `Add` adds an m-line (or a data channel), `Remove` stops sending on
    /// the mid (receive-only when it still receives, else inactive), `Replace` changes the
    /// source, which needs no SDP change. No tracks and no `ice_restart`: nothing to
    /// negotiate ([`Error::NoChanges`]), as janus.js keeps the media as it is.
    ///
    /// The returned [`Jsep`] may be edited before it is sent (janus.js `customizeSdp`), as
    /// long as the answer still matches what str0m offered. With trickle on, our candidates
    /// follow as [`Event::LocalCandidate`]s, then [`Trickle::Completed`].
    pub fn create_offer(&mut self, tracks: &[Track], ice_restart: bool) -> Result<Jsep, Error> {
        self.ensure_open()?;
        let first = self.mids.is_empty() && !self.has_data_mline;
        let trickle = self.config.trickle;
        if first && !trickle {
            self.add_local_candidates();
        }
        let mut new_mids = Vec::new();
        let mut api = self.rtc.sdp_api();
        let mut new_channels = Vec::new();
        for track in tracks {
            match (track.kind, track.action) {
                (TrackKind::Data, TrackAction::Add) => {
                    let label = track
                        .label
                        .clone()
                        .unwrap_or_else(|| "JanusDataChannel".into());
                    if self.has_data_mline {
                        new_channels.push(label);
                    } else {
                        api.add_channel(label);
                        self.has_data_mline = true;
                    }
                }
                (TrackKind::Data, _) => {}
                (kind, TrackAction::Add) => {
                    let dir = direction(track.send, track.recv);
                    let simulcast = (kind == TrackKind::Video && track.simulcast).then(|| {
                        let mut s = Simulcast::new();
                        for rid in ["h", "m", "l"] {
                            s.send.push(SimulcastLayer::new(rid));
                        }
                        s
                    });
                    let media_kind = if kind == TrackKind::Audio {
                        MediaKind::Audio
                    } else {
                        MediaKind::Video
                    };
                    new_mids.push(api.add_media(
                        media_kind,
                        dir,
                        None,
                        track.label.clone(),
                        simulcast,
                    ));
                }
                (_, TrackAction::Remove) => {
                    let mid = known_mid(&self.mids, track.mid.as_deref())?;
                    let recv = self.remote.contains_key(&mid.to_string());
                    let dir = if recv {
                        Direction::RecvOnly
                    } else {
                        Direction::Inactive
                    };
                    api.set_direction(mid, dir);
                }
                (_, TrackAction::Replace) => {
                    let mid = known_mid(&self.mids, track.mid.as_deref())?;
                    let sending = self.local.contains_key(&mid.to_string());
                    if track.send && !sending {
                        let recv = self.remote.contains_key(&mid.to_string());
                        api.set_direction(mid, direction(true, recv));
                    }
                }
            }
        }
        if ice_restart {
            api.ice_restart(true);
        }
        let applied = api.apply();
        self.mids.extend(new_mids);
        // Channels on an existing association open without an SDP change.
        for label in new_channels {
            self.open_channel(label);
        }
        let Some((offer, pending)) = applied else {
            self.drain();
            return Err(Error::NoChanges);
        };
        self.pending = Some(pending);
        let sdp = offer.to_sdp_string();
        if trickle {
            let candidates = self.add_local_candidates();
            self.trickle_candidates(first_mid(&sdp), candidates);
        }
        self.drain();
        let mut jsep = Jsep::offer(sdp);
        jsep.trickle = Some(trickle);
        Ok(jsep)
    }

    /// Answers an offer from Janus (janus.js `createAnswer`: Streaming, VideoRoom
    /// subscriber, a VideoCall call). The answer mirrors the offer: we receive what Janus
    /// sends and send where it receives; a renegotiating offer updates the connection.
    pub fn create_answer(&mut self, offer: &Jsep) -> Result<Jsep, Error> {
        self.ensure_open()?;
        if offer.kind != SdpType::Offer {
            return Err(Error::Jsep("create_answer needs an offer"));
        }
        let sdp = SdpOffer::from_sdp_string(&normalize_sdp(&offer.sdp))
            .map_err(|e| Error::Sdp(e.to_string()))?;
        let first = self.mids.is_empty() && !self.has_data_mline;
        let trickle = self.config.trickle;
        if first && !trickle {
            self.add_local_candidates();
        }
        // A pending offer of ours is rolled back by str0m: glare is the core's business.
        self.pending = None;
        let answer = self.rtc.sdp_api().accept_offer(sdp);
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                self.drain();
                return Err(Error::Sdp(e.to_string()));
            }
        };
        let sdp = answer.to_sdp_string();
        self.learn_mids(&sdp);
        if sdp.contains("m=application") {
            self.has_data_mline = true;
        }
        if trickle && first {
            let candidates = self.add_local_candidates();
            self.trickle_candidates(first_mid(&sdp), candidates);
        }
        self.drain();
        self.refresh_tracks();
        let mut jsep = Jsep::answer(sdp);
        jsep.trickle = Some(trickle);
        Ok(jsep)
    }

    /// Applies Janus's answer to our offer (janus.js `handleRemoteJsep`). Candidates in the
    /// answer (Janus answers in half-trickle) are applied with it.
    pub fn handle_remote_jsep(&mut self, jsep: &Jsep) -> Result<(), Error> {
        self.ensure_open()?;
        if jsep.kind != SdpType::Answer {
            return Err(Error::Jsep("an offer from Janus goes to create_answer"));
        }
        let Some(pending) = self.pending.take() else {
            return Err(Error::NoPendingOffer);
        };
        let answer = SdpAnswer::from_sdp_string(&normalize_sdp(&jsep.sdp))
            .map_err(|e| Error::Sdp(e.to_string()))?;
        let result = self.rtc.sdp_api().accept_answer(pending, answer);
        self.drain();
        result.map_err(|e| Error::Sdp(e.to_string()))?;
        self.refresh_tracks();
        Ok(())
    }

    /// Adds a candidate that Janus trickled (`Event::Trickle` of the core). The end of
    /// candidates needs nothing here.
    pub fn add_remote_candidate(&mut self, trickle: &Trickle) -> Result<(), Error> {
        let Trickle::Candidate(c) = trickle else {
            return Ok(());
        };
        let line = c.candidate.trim();
        let line = line.strip_prefix("a=").unwrap_or(line);
        let candidate =
            Candidate::from_sdp_string(line).map_err(|e| Error::Candidate(e.to_string()))?;
        self.rtc.add_remote_candidate(candidate);
        self.drain();
        Ok(())
    }

    /// Hands over an event of the plugin handle this connection belongs to, as janus.js
    /// does with its handle's messages: Janus's trickled candidates are applied and its
    /// `hangup` closes the connection. Every other event needs nothing here (see
    /// [`wants_janus_event`](Self::wants_janus_event)).
    pub fn handle_janus_event(&mut self, event: &janus_proto::Event) -> Result<(), Error> {
        match event {
            janus_proto::Event::Trickle { trickle, .. } => self.add_remote_candidate(trickle),
            janus_proto::Event::Hangup { .. } => {
                self.close();
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Whether [`handle_janus_event`](Self::handle_janus_event) does anything with this
    /// event, so that an adapter can skip handing over the others.
    pub fn wants_janus_event(event: &janus_proto::Event) -> bool {
        matches!(
            event,
            janus_proto::Event::Trickle { .. } | janus_proto::Event::Hangup { .. }
        )
    }

    /// A datagram received on one of the adapter's sockets (`destination` is that socket's
    /// address). A datagram that is not WebRTC (STUN, DTLS, RTP, RTCP) is an error the
    /// adapter may log and ignore.
    pub fn handle_receive(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> Result<(), Error> {
        // After `close`, str0m may still have its goodbyes to send.
        if self.closed && !self.rtc.is_alive() {
            return Ok(());
        }
        let receive = Receive::new(Protocol::Udp, source, destination, contents)
            .map_err(|e| Error::Datagram(e.to_string()))?;
        let result = self.rtc.handle_input(str0m::Input::Receive(now, receive));
        self.after_input(result);
        Ok(())
    }

    /// Time passed: call at the deadline of the last [`Output::Timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed && !self.rtc.is_alive() {
            return;
        }
        let result = self.rtc.handle_input(str0m::Input::Timeout(now));
        self.after_input(result);
        self.send_due_dtmf(now);
    }

    /// Queues DTMF tones on the audio track `mid` (janus.js `dtmf`): `tones` of `0`-`9`,
    /// `*`, `#`, `A`-`D`, each lasting `duration` with `gap` between them (janus.js
    /// defaults: 500 ms and 50 ms; the gap is at least 50 ms). Sent as RFC 4733 telephone
    /// events, at their time, by [`handle_timeout`](Self::handle_timeout).
    pub fn insert_dtmf(
        &mut self,
        now: Instant,
        mid: &str,
        tones: &str,
        duration: Duration,
        gap: Duration,
    ) -> Result<(), Error> {
        self.ensure_open()?;
        let track = self
            .local
            .get(mid)
            .ok_or_else(|| Error::UnknownMid(mid.to_owned()))?;
        if track.kind != TrackKind::Audio {
            return Err(Error::UnknownMid(mid.to_owned()));
        }
        let codes = tones
            .chars()
            .map(|c| dtmf_code(c).ok_or(Error::Dtmf(c)))
            .collect::<Result<Vec<_>, _>>()?;
        let duration = duration.clamp(Duration::from_millis(40), Duration::from_secs(6));
        let gap = gap.max(Duration::from_millis(50));
        let mut at = self
            .dtmf_out
            .back()
            .map_or(now, |(t, _, _, d)| *t + *d + gap)
            .max(now);
        for code in codes {
            self.dtmf_out
                .push_back((at, mid.to_owned(), code, duration));
            at += duration + gap;
        }
        Ok(())
    }

    fn send_due_dtmf(&mut self, now: Instant) {
        while let Some((at, ..)) = self.dtmf_out.front() {
            if *at > now {
                break;
            }
            let Some((_, mid, code, duration)) = self.dtmf_out.pop_front() else {
                break;
            };
            if let Err(e) = self.write_tone(now, &mid, code, duration) {
                self.queue.push_back(Output::Event(Event::Failed(e)));
            }
        }
    }

    fn write_tone(
        &mut self,
        now: Instant,
        mid: &str,
        code: u8,
        duration: Duration,
    ) -> Result<(), Error> {
        if !self.rtc.is_connected() {
            return Err(Error::Rtc("DTMF before the connection is up".into()));
        }
        let elapsed = |at: Instant| now.saturating_duration_since(at);
        let (since, rtp) = self.audio_clock.get(mid).copied().unwrap_or((now, 0));
        let writer = self
            .rtc
            .writer(Mid::from(mid))
            .ok_or_else(|| Error::UnknownMid(mid.to_owned()))?;
        // The audio codec whose clock a telephone event can share.
        let params = writer
            .payload_params()
            .find(|p| p.spec().codec.is_audio() && p.spec().clock_rate == Frequency::EIGHT_KHZ)
            .copied()
            .ok_or(Error::Rtc(
                "DTMF needs G.711 (8 kHz) audio and telephone-event/8000".into(),
            ))?;
        let clock = params.spec().clock_rate;
        let ticks = (elapsed(since).as_secs_f64() * f64::from(clock.get())) as u64;
        let event = TelephoneEvent {
            event: code,
            end: true,
            volume: 10,
            duration,
        };
        let result = writer.telephone_event(event).write(
            params.pt(),
            now,
            MediaTime::new(rtp + ticks, clock),
            Vec::new(),
        );
        self.drain();
        result.map_err(Error::from)
    }

    /// The next datagram to send, event, or the deadline when there is nothing else.
    pub fn poll_output(&mut self) -> Output {
        self.queue.pop_front().unwrap_or_else(|| {
            let dtmf = self.dtmf_out.front().map(|t| t.0);
            Output::Timeout(dtmf.map_or(self.deadline, |d| d.min(self.deadline)))
        })
    }

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
        self.write_layer(now, mid, None, rtp_time, data)
    }

    /// Writes one frame of the simulcast layer `rid` (`h`, `m` or `l`, as offered by a
    /// [`Track::simulcast`] video track) to `mid`. Janus forwards one layer to each
    /// subscriber, as it chooses (`substream` 2, 1, 0 for `h`, `m`, `l`).
    pub fn write_simulcast_frame(
        &mut self,
        now: Instant,
        mid: &str,
        rid: &str,
        rtp_time: u64,
        data: &[u8],
    ) -> Result<bool, Error> {
        self.write_layer(now, mid, Some(rid), rtp_time, data)
    }

    fn write_layer(
        &mut self,
        now: Instant,
        mid: &str,
        rid: Option<&str>,
        rtp_time: u64,
        data: &[u8],
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
        if params.spec().codec.is_audio() {
            self.audio_clock.insert(mid.to_owned(), (now, rtp_time));
        }
        let result = writer.write(params.pt(), now, MediaTime::new(rtp_time, clock), data);
        self.drain();
        result?;
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

    /// Sends a data-channel message on the open channel `label` (janus.js `data`).
    pub fn send_data(&mut self, label: &str, binary: bool, data: &[u8]) -> Result<(), Error> {
        self.ensure_open()?;
        let id = self
            .channels
            .iter()
            .find(|(_, l)| l.as_str() == label)
            .map(|(id, _)| *id)
            .ok_or_else(|| Error::UnknownChannel(label.to_owned()))?;
        let result = match self.rtc.channel(id) {
            Some(mut ch) => ch.write(binary, data).map(|_| ()),
            None => return Err(Error::UnknownChannel(label.to_owned())),
        };
        self.drain();
        result.map_err(Error::from)
    }

    /// Opens another data channel on the association (no renegotiation once data was
    /// negotiated; before that, pass a [`Track::data`] to the next offer instead).
    pub fn open_data_channel(&mut self, label: &str) -> Result<(), Error> {
        self.ensure_open()?;
        if !self.has_data_mline {
            return Err(Error::Jsep("no data m-line yet: offer a Track::data first"));
        }
        self.open_channel(label.to_owned());
        self.drain();
        Ok(())
    }

    /// Labels of the open data channels.
    pub fn data_channels(&self) -> Vec<&str> {
        self.channels.values().map(String::as_str).collect()
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

    /// The tracks Janus sends us (janus.js `getRemoteTracks`).
    pub fn remote_tracks(&self) -> Vec<TrackInfo> {
        self.remote.values().cloned().collect()
    }

    /// ICE and DTLS are up.
    pub fn is_connected(&self) -> bool {
        self.rtc.is_connected()
    }

    /// Closes the connection (janus.js `hangup`; sending the `hangup` request is the
    /// signalling side's job). [`Event::Closed`] follows. A new negotiation needs a new
    /// `PeerConnection`, as in janus.js.
    pub fn close(&mut self) {
        if self.closed {
            return;
        }
        // A graceful close: RTCP BYE, SCTP shutdown and DTLS close_notify go out (now or on
        // the next timeouts), so the other side learns at once instead of by ICE timeout.
        if self.rtc.close().is_err() {
            self.rtc.disconnect();
        }
        self.drain();
        self.finish();
    }

    /// Whether the connection is closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    fn ensure_open(&self) -> Result<(), Error> {
        if self.closed {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    fn open_channel(&mut self, label: String) {
        let config = ChannelConfig {
            label,
            ..Default::default()
        };
        self.rtc.direct_api().create_data_channel(config);
    }

    /// Adds a host candidate per local address; returns their `candidate:` lines.
    fn add_local_candidates(&mut self) -> Vec<String> {
        let mut lines = Vec::with_capacity(self.local_addrs.len());
        for addr in self.local_addrs.clone() {
            match Candidate::host(addr, "udp") {
                Ok(c) => {
                    lines.push(c.to_sdp_string());
                    self.rtc.add_local_candidate(c);
                }
                Err(e) => tracing::warn!(%addr, error = %e, "unusable local address"),
            }
        }
        lines
    }

    /// Queues `candidates` for trickling (on the first m-line's mid), then their end.
    fn trickle_candidates(&mut self, mid: Option<String>, candidates: Vec<String>) {
        for candidate in candidates {
            self.queue
                .push_back(Output::Event(Event::LocalCandidate(Trickle::Candidate(
                    IceCandidate {
                        candidate,
                        sdp_mid: mid.clone(),
                        sdp_mline_index: Some(0),
                    },
                ))));
        }
        self.queue
            .push_back(Output::Event(Event::LocalCandidate(Trickle::Completed)));
    }

    fn learn_mids(&mut self, sdp: &str) {
        for line in sdp.lines() {
            if let Some(mid) = line.strip_prefix("a=mid:") {
                let mid = Mid::from(mid.trim());
                if self.rtc.media(mid).is_some() && !self.mids.contains(&mid) {
                    self.mids.push(mid);
                }
            }
        }
    }

    fn after_input(&mut self, result: Result<(), str0m::RtcError>) {
        if let Err(e) = result {
            // A datagram str0m cannot use (a stray or late packet) is not fatal.
            tracing::debug!(error = %e, "input refused");
        }
        self.drain();
    }

    /// Moves str0m's output into our queue until it names its next deadline.
    fn drain(&mut self) {
        loop {
            match self.rtc.poll_output() {
                Ok(str0m::Output::Timeout(at)) => {
                    self.deadline = at;
                    break;
                }
                Ok(str0m::Output::Transmit(t)) => {
                    self.queue.push_back(Output::Transmit(crate::Transmit {
                        source: t.source,
                        destination: t.destination,
                        contents: t.contents.into(),
                    }))
                }
                Ok(str0m::Output::Event(e)) => self.on_event(e),
                Err(e) => {
                    self.queue
                        .push_back(Output::Event(Event::Failed(Error::from(e))));
                    self.finish();
                    break;
                }
            }
        }
    }

    fn finish(&mut self) {
        if !self.closed {
            self.closed = true;
            self.dtmf_out.clear();
            for (_, track) in std::mem::take(&mut self.local) {
                self.queue
                    .push_back(Output::Event(Event::LocalTrack { track, on: false }));
            }
            for (_, track) in std::mem::take(&mut self.remote) {
                self.queue
                    .push_back(Output::Event(Event::RemoteTrack { track, on: false }));
            }
            self.queue.push_back(Output::Event(Event::Closed));
        }
    }

    fn on_event(&mut self, event: str0m::Event) {
        // Closed is the last event; what str0m says while it says goodbye is not news.
        if self.closed {
            return;
        }
        let out = match event {
            str0m::Event::Connected => Event::Connected,
            str0m::Event::IceConnectionStateChange(s) => Event::IceState(match s {
                IceConnectionState::New => IceState::New,
                IceConnectionState::Checking => IceState::Checking,
                IceConnectionState::Connected => IceState::Connected,
                IceConnectionState::Completed => IceState::Completed,
                IceConnectionState::Disconnected => IceState::Disconnected,
            }),
            str0m::Event::MediaAdded(added) => {
                if !self.mids.contains(&added.mid) {
                    self.mids.push(added.mid);
                }
                self.refresh_tracks();
                return;
            }
            str0m::Event::MediaChanged(_) => {
                self.refresh_tracks();
                return;
            }
            str0m::Event::MediaData(data) => {
                let mid = data.mid.to_string();
                if let CodecExtra::Tele(tele) = data.codec_extra {
                    let key = (mid.clone(), data.time.numer());
                    if !tele.end || self.last_dtmf.as_ref() == Some(&key) {
                        return;
                    }
                    self.last_dtmf = Some(key);
                    match dtmf_digit(tele.event) {
                        Some(digit) => Event::Dtmf { mid, digit },
                        None => return,
                    }
                } else {
                    let spec = data.params.spec();
                    Event::Media(MediaFrame {
                        keyframe: data.is_keyframe(),
                        mid,
                        codec: spec.codec.to_string(),
                        rtp_time: data.time.numer(),
                        clock_rate: spec.clock_rate.get(),
                        network_time: data.network_time,
                        contiguous: data.contiguous,
                        data: Arc::clone(&data.data),
                    })
                }
            }
            str0m::Event::ChannelOpen(id, label) => {
                self.channels.insert(id, label.clone());
                Event::DataOpen { label }
            }
            str0m::Event::ChannelData(d) => {
                let label = self.channels.get(&d.id).cloned().unwrap_or_default();
                Event::Data(DataMessage {
                    label,
                    binary: d.binary,
                    data: d.data,
                })
            }
            str0m::Event::ChannelClose(id) => match self.channels.remove(&id) {
                Some(label) => Event::DataClosed { label },
                None => return,
            },
            str0m::Event::MediaIngressStats(s) => {
                // Simulcast layers we receive are left out: the bitrate is per mid.
                if s.rid.is_none() {
                    let mid = s.mid.to_string();
                    let prev = self.ingress.get(&mid).copied();
                    let bitrate = prev.and_then(|p| {
                        let dt = s.timestamp.checked_duration_since(p.at)?.as_secs_f64();
                        (dt > 0.0)
                            .then(|| (s.bytes.saturating_sub(p.bytes) as f64 * 8.0 / dt) as u64)
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
                return;
            }
            str0m::Event::KeyframeRequest(k) => Event::KeyframeRequest {
                mid: k.mid.to_string(),
            },
            str0m::Event::Closed => {
                self.finish();
                return;
            }
            _ => return,
        };
        self.queue.push_back(Output::Event(out));
    }

    /// Compares what str0m now sends and receives per mid with what we last reported, and
    /// reports the difference as local and remote track events.
    fn refresh_tracks(&mut self) {
        let mut local = BTreeMap::new();
        let mut remote = BTreeMap::new();
        for mid in &self.mids {
            let Some(media) = self.rtc.media(*mid) else {
                continue;
            };
            let kind = match media.kind() {
                MediaKind::Audio => TrackKind::Audio,
                MediaKind::Video => TrackKind::Video,
            };
            let dir = media.direction();
            let info = TrackInfo {
                mid: mid.to_string(),
                kind,
                send: dir.is_sending(),
                recv: dir.is_receiving(),
                label: media.track_id().to_owned(),
            };
            if info.send {
                local.insert(info.mid.clone(), info.clone());
            }
            if info.recv {
                remote.insert(info.mid.clone(), info);
            }
        }
        let diff = |old: &BTreeMap<String, TrackInfo>, new: &BTreeMap<String, TrackInfo>| {
            let gone: Vec<TrackInfo> = old
                .iter()
                .filter(|(k, _)| !new.contains_key(*k))
                .map(|(_, t)| t.clone())
                .collect();
            let came: Vec<TrackInfo> = new
                .iter()
                .filter(|(k, _)| !old.contains_key(*k))
                .map(|(_, t)| t.clone())
                .collect();
            (gone, came)
        };
        let (gone, came) = diff(&self.local, &local);
        for track in gone {
            self.queue
                .push_back(Output::Event(Event::LocalTrack { track, on: false }));
        }
        for track in came {
            self.queue
                .push_back(Output::Event(Event::LocalTrack { track, on: true }));
        }
        let (gone, came) = diff(&self.remote, &remote);
        for track in gone {
            self.queue
                .push_back(Output::Event(Event::RemoteTrack { track, on: false }));
        }
        for track in came {
            self.queue
                .push_back(Output::Event(Event::RemoteTrack { track, on: true }));
        }
        self.muted.retain(|m| local.contains_key(m));
        self.local = local;
        self.remote = remote;
    }
}

/// A codec frames are written in: not telephone-event, RTX or RED.
fn is_media_codec(params: &PayloadParams) -> bool {
    let codec = params.spec().codec;
    codec.is_audio() || codec.is_video()
}

fn direction(send: bool, recv: bool) -> Direction {
    match (send, recv) {
        (true, true) => Direction::SendRecv,
        (true, false) => Direction::SendOnly,
        (false, true) => Direction::RecvOnly,
        (false, false) => Direction::Inactive,
    }
}

fn known_mid(mids: &[Mid], mid: Option<&str>) -> Result<Mid, Error> {
    let mid = mid.ok_or(Error::Jsep("replace and remove need the track's mid"))?;
    mids.iter()
        .find(|m| m.to_string() == mid)
        .copied()
        .ok_or_else(|| Error::UnknownMid(mid.to_owned()))
}

/// The RFC 4733 event code of a DTMF digit.
fn dtmf_code(digit: char) -> Option<u8> {
    const DIGITS: &str = "0123456789*#ABCD";
    DIGITS
        .find(digit.to_ascii_uppercase())
        .and_then(|i| u8::try_from(i).ok())
}

/// RFC 4733 event codes 0-15.
fn dtmf_digit(event: u8) -> Option<char> {
    const DIGITS: &[u8; 16] = b"0123456789*#ABCD";
    DIGITS.get(usize::from(event)).map(|b| char::from(*b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtmf_codes_map_to_their_digits() {
        assert_eq!(dtmf_digit(0), Some('0'));
        assert_eq!(dtmf_digit(10), Some('*'));
        assert_eq!(dtmf_digit(11), Some('#'));
        assert_eq!(dtmf_digit(15), Some('D'));
        assert_eq!(dtmf_digit(16), None);
        for d in "0123456789*#ABCD".chars() {
            assert_eq!(dtmf_code(d).and_then(dtmf_digit), Some(d));
        }
        assert_eq!(dtmf_code('x'), None);
    }
}
