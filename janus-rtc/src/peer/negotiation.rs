//! Offer and answer with Janus (janus.js `createOffer`, `createAnswer`,
//! `handleRemoteJsep`), and the local and remote track events that follow a negotiation.

use std::collections::BTreeMap;

use janus_proto::{Jsep, SdpType};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::channel::ChannelConfig;
use str0m::media::{Direction, MediaKind, Mid, Simulcast, SimulcastLayer};

use super::PeerConnection;
use crate::sdp::{first_mid, narrow_offer, normalize_sdp};
use crate::{Error, Event, Output, Track, TrackAction, TrackInfo, TrackKind};

impl PeerConnection {
    /// Makes an offer (janus.js `createOffer`) with these tracks.
    ///
    /// The first offer adds every [`Track`] with [`TrackAction::Add`]; later ones are
    /// renegotiations: `Add` adds an m-line (or a data channel), `Remove` stops sending on
    /// the mid (receive-only when it still receives, else inactive), `Replace` changes the
    /// source, which needs no SDP change. No tracks and no `ice_restart` on a connection
    /// with media: a fresh offer with the media as it is (janus.js renegotiating without
    /// changes); with only data channels there is nothing str0m can offer again, and that
    /// is [`Error::NoChanges`].
    ///
    /// The returned [`Jsep`] may be edited before it is sent (janus.js `customizeSdp`), as
    /// long as the answer still matches what str0m offered. With trickle on, our candidates
    /// follow as [`Event::LocalCandidate`]s, then [`Trickle::Completed`](janus_proto::Trickle::Completed).
    #[must_use = "the offer goes to Janus in a `message`"]
    pub fn create_offer(&mut self, tracks: &[Track], ice_restart: bool) -> Result<Jsep, Error> {
        self.ensure_open()?;
        let first = self.mids.is_empty() && !self.has_data_mline;
        let trickle = self.config.trickle;
        if first && !trickle {
            self.add_local_candidates();
        }
        let unchanged_offer_toggle = self
            .mids
            .iter()
            .find_map(|mid| self.rtc.media(*mid).map(|m| (*mid, m.direction())));
        let mut new_mids = Vec::new();
        let mut api = self.rtc.sdp_api();
        let mut new_channels = Vec::new();
        for track in tracks {
            match (track.kind, track.action) {
                (TrackKind::Data, TrackAction::Add) => {
                    let config = channel_config(track);
                    if self.has_data_mline {
                        new_channels.push(config);
                    } else {
                        api.add_channel_with_config(config);
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
        if tracks.is_empty() && !ice_restart {
            if let Some((mid, dir)) = unchanged_offer_toggle {
                // janus.js renegotiates with the media as it is, but str0m makes offers
                // only for changes: turn the first m-line's direction and turn it back.
                // Both changes land in one offer, which names the direction as it is. The
                // turn flips a side that is idle, or else the sending side (str0m then
                // forgets the packets kept for retransmission; receiving is untouched).
                let turned = if dir.is_receiving() {
                    direction(!dir.is_sending(), true)
                } else {
                    direction(dir.is_sending(), true)
                };
                api.set_direction(mid, turned);
                api.set_direction(mid, dir);
            }
        }
        let applied = api.apply();
        self.mids.extend(new_mids);
        // Channels on an existing association open without an SDP change.
        for config in new_channels {
            self.open_channel(config.label, config.protocol);
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
        jsep.e2ee = self.has_transform().then_some(true);
        Ok(jsep)
    }

    /// Answers an offer from Janus (janus.js `createAnswer({jsep, tracks})`: Streaming,
    /// VideoRoom subscriber, a VideoCall callee, TextRoom), or a renegotiating offer.
    ///
    /// With no `tracks` the answer mirrors the offer: we receive what Janus sends and send
    /// where it receives. Otherwise each offered audio and video m-line takes the first
    /// track of its kind (or the one naming its mid): [`Track::recv_only`],
    /// [`Track::send_only`], [`Track::declined`] (or [`Track::remove`]) narrow it, a plain
    /// track sends and receives as far as the offer allows (sending on an offered m-line
    /// is how our own track is added), and an m-line no track asks for is received only.
    /// When the offer brings data channels (`m=application`) for the first time, the
    /// answer accepts them and opens a channel per data track (or `JanusDataChannel` when
    /// no tracks are given), which Janus's side sees as soon as SCTP is up.
    #[must_use = "the answer goes to Janus in a `message`"]
    pub fn create_answer(&mut self, offer: &Jsep, tracks: &[Track]) -> Result<Jsep, Error> {
        self.ensure_open()?;
        if offer.kind != SdpType::Offer {
            return Err(Error::Jsep("create_answer needs an offer"));
        }
        let narrowed = narrow_offer(&normalize_sdp(&offer.sdp), tracks);
        let sdp = SdpOffer::from_sdp_string(&narrowed).map_err(|e| Error::Sdp(e.to_string()))?;
        let had_data = self.has_data_mline;
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
            if !had_data {
                let data: Vec<&Track> = tracks
                    .iter()
                    .filter(|t| t.kind == TrackKind::Data)
                    .collect();
                if tracks.is_empty() {
                    self.open_channel(DEFAULT_CHANNEL.into(), String::new());
                }
                for track in data {
                    let config = channel_config(track);
                    self.open_channel(config.label, config.protocol);
                }
            }
        }
        if trickle && first {
            let candidates = self.add_local_candidates();
            self.trickle_candidates(first_mid(&sdp), candidates);
        }
        self.drain();
        self.refresh_tracks();
        let mut jsep = Jsep::answer(sdp);
        jsep.trickle = Some(trickle);
        jsep.e2ee = self.has_transform().then_some(true);
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

    /// Compares what str0m now sends and receives per mid with what we last reported, and
    /// reports the difference as local and remote track events.
    pub(super) fn refresh_tracks(&mut self) {
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

/// The label janus.js gives a data channel that names none.
const DEFAULT_CHANNEL: &str = "JanusDataChannel";

fn channel_config(track: &Track) -> ChannelConfig {
    ChannelConfig {
        label: track
            .label
            .clone()
            .unwrap_or_else(|| DEFAULT_CHANNEL.into()),
        protocol: track.protocol.clone().unwrap_or_default(),
        ..Default::default()
    }
}
