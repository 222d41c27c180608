//! The peer connection: str0m's `Rtc` behind the janus.js API.
//!
//! This module holds the struct, its construction, the input/output loop (`handle_input`,
//! `poll_output`, the drain of str0m into our queue) and closing. The rest is split by
//! concept, each an `impl PeerConnection` block of its own:
//! - [`negotiation`]: `create_offer`, `create_answer`, `handle_remote_jsep`, and the track
//!   events that follow a negotiation;
//! - [`candidates`]: our host candidates, those gathered from ICE servers, their trickle,
//!   Janus's trickled candidates and the handle events that carry them
//!   (`handle_janus_event`); the STUN/TURN side of gathering is `crate::gather`;
//! - [`media`]: writing frames (simulcast layers too), received frames, mute, bitrate, the
//!   track lists;
//! - [`data`]: data channels;
//! - [`dtmf`]: DTMF tones out (RFC 4733 telephone events) and in;
//! - [`level`]: RFC 6464 audio levels out (per frame) and in (per remote track);
//! - [`bandwidth`]: REMB and TWCC estimates, the application's cap, the target bitrate;
//! - [`e2ee`]: the frame transform (end-to-end encryption) on every frame in and out.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::change::SdpPendingOffer;
use str0m::channel::ChannelId;
use str0m::format::{Codec, FormatParams};
use str0m::media::{Frequency, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, IceConnectionState, Rtc};

use crate::gather::{Gathered, Gatherer, Received};
use crate::{AudioLevel, Error, Event, IceState, Input, Output, PeerConfig, TrackInfo};

mod bandwidth;
mod candidates;
mod data;
mod dtmf;
mod e2ee;
mod level;
mod media;
mod negotiation;

use media::Ingress;

/// A WebRTC peer connection with Janus (one per plugin handle), sans-IO.
///
/// The str0m rule that every mutation is followed by draining its output is kept inside:
/// each call that changes the connection drains str0m into this connection's queue, and
/// [`poll_output`](Self::poll_output) hands the queue out, ending with the next deadline.
///
/// Methods by family: [`handle_input`](Self::handle_input) takes datagrams and time,
/// [`poll_output`](Self::poll_output) gives datagrams, events and the deadline; the janus.js
/// calls (`create_offer`, `create_answer`, `handle_remote_jsep`, `add_remote_candidate`,
/// `handle_janus_event`, `write_frame`, `write_frame_with_level`, `send_data`, `insert_dtmf`, `mute`, `close`) change
/// the connection, and each must be followed by draining `poll_output`; getters take
/// `&self`.
// Fields and the private methods here are visible to the concept modules below (children
// of this one); what those modules define for the others is `pub(super)`.
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
    /// Open data channels and their labels, in the order they opened (`ChannelId` has no
    /// order of its own, and a `HashMap` would leak its random one into `data_channels`).
    channels: Vec<(ChannelId, String)>,
    has_data_mline: bool,
    ingress: BTreeMap<String, Ingress>,
    last_dtmf: Option<(String, u64)>,
    /// Tones waiting for their time: (when, mid, RFC 4733 event code, duration).
    dtmf_out: VecDeque<(Instant, String, u8, Duration)>,
    /// Per audio mid, the level of the last frame written with one (janus.js
    /// `getLocalVolume`).
    levels_out: BTreeMap<String, AudioLevel>,
    /// Per audio mid, the level of the last frame received with one (`getRemoteVolume`).
    levels_in: BTreeMap<String, AudioLevel>,
    /// Per sent audio mid: when the last frame was written and its RTP time, so that a
    /// tone lands on the same RTP timeline.
    audio_clock: BTreeMap<String, (Instant, u64)>,
    /// The latest send-bandwidth estimates and the application's cap.
    estimates: bandwidth::Estimates,
    /// The end-to-end encryption transform and what it has dropped.
    e2ee: e2ee::E2ee,
    queue: VecDeque<Output>,
    deadline: Instant,
    /// The latest instant an input brought.
    now: Instant,
    /// Since when ICE is disconnected, until it reports `Failed` (then `None`).
    disconnected_since: Option<Instant>,
    /// STUN Bindings and TURN allocations of `config.ice_servers`.
    gather: Gatherer,
    /// Server-reflexive and relayed candidates gathered so far, in order.
    gathered: Vec<Candidate>,
    /// Gathered and not yet given to str0m (see `drain`).
    fresh: Vec<Candidate>,
    /// Once an offer or answer trickles: the mid its candidates go on (what is gathered
    /// later trickles on it too).
    trickle_mid: Option<Option<String>>,
    /// The `candidate:` lines trickled since the last full list (an offer or answer):
    /// a candidate found twice (the same mapped address from a `stun:` and a `turn:` URL
    /// of one server) goes out once.
    trickled: std::collections::BTreeSet<String>,
    /// The end of candidates waits for gathering to complete.
    end_of_candidates_due: bool,
    /// `IceGatheringComplete` was told (or there was nothing to gather).
    gathering_done: bool,
    closed: bool,
}

impl std::fmt::Debug for PeerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerConnection")
            .field("local_addrs", &self.local_addrs)
            .field("local", &self.local)
            .field("remote", &self.remote)
            .field("channels", &self.data_channels())
            .field("connected", &self.rtc.is_connected())
            .field("closed", &self.closed)
            .field("e2ee", &self.has_transform())
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
        if let Some(initial) = config.bandwidth_estimation {
            builder = builder.enable_bwe(Some(str0m::bwe::Bitrate::from(initial)));
        }
        let rtc = builder.build(now);
        let gather = Gatherer::new(
            &config.ice_servers,
            config.ice_transport_policy,
            config.turn_tls.as_ref(),
            local_addrs,
            now,
        );
        let mut pc = Self {
            rtc,
            config,
            local_addrs: local_addrs.to_vec(),
            pending: None,
            mids: Vec::new(),
            local: BTreeMap::new(),
            remote: BTreeMap::new(),
            muted: Vec::new(),
            channels: Vec::new(),
            has_data_mline: false,
            ingress: BTreeMap::new(),
            last_dtmf: None,
            dtmf_out: VecDeque::new(),
            audio_clock: BTreeMap::new(),
            levels_out: BTreeMap::new(),
            levels_in: BTreeMap::new(),
            estimates: bandwidth::Estimates::default(),
            e2ee: e2ee::E2ee::default(),
            queue: VecDeque::new(),
            deadline: now,
            now,
            disconnected_since: None,
            gather,
            gathered: Vec::new(),
            fresh: Vec::new(),
            trickle_mid: None,
            trickled: std::collections::BTreeSet::new(),
            end_of_candidates_due: false,
            gathering_done: false,
            closed: false,
        };
        // The first Bindings and Allocates are out with the first drain.
        pc.drain();
        pc
    }

    // ------------------------------------------------------------------ input / output

    /// Consumes something that happened: a datagram received on one of the adapter's
    /// sockets ([`Input::Receive`]), or time passing ([`Input::Timeout`], at the deadline of
    /// the last [`Output::Timeout`]). Drain [`poll_output`](Self::poll_output) after it.
    ///
    /// A datagram that is not WebRTC (STUN, DTLS, RTP, RTCP) is an [`Error::Datagram`] the
    /// adapter may log and ignore; a timeout never fails.
    pub fn handle_input(&mut self, input: Input<'_>) -> Result<(), Error> {
        // After `close`, str0m may still have its goodbyes to send.
        if self.closed && !self.rtc.is_alive() {
            return Ok(());
        }
        self.now = self.now.max(input.at());
        match input {
            Input::Receive(now, source, destination, contents) => {
                match self
                    .gather
                    .handle_receive(now, source, destination, contents)
                {
                    Received::Handled => self.drain(),
                    Received::Relayed {
                        peer,
                        relayed,
                        data,
                    } => {
                        // From the peer to our relayed address, as str0m sees it.
                        let receive = Receive::new(Protocol::Udp, peer, relayed, &data)
                            .map_err(|e| Error::Datagram(e.to_string()));
                        match receive {
                            Ok(receive) => {
                                let result =
                                    self.rtc.handle_input(str0m::Input::Receive(now, receive));
                                self.after_input(result);
                            }
                            Err(e) => {
                                self.drain();
                                return Err(e);
                            }
                        }
                    }
                    Received::NotOurs => {
                        let receive = Receive::new(Protocol::Udp, source, destination, contents)
                            .map_err(|e| Error::Datagram(e.to_string()))?;
                        let result = self.rtc.handle_input(str0m::Input::Receive(now, receive));
                        self.after_input(result);
                    }
                }
            }
            Input::Stream(now, event) => {
                for relayed in self.gather.handle_stream(now, event) {
                    // From the peer to our relayed address, as str0m sees it.
                    match Receive::new(Protocol::Udp, relayed.peer, relayed.relayed, &relayed.data)
                    {
                        Ok(receive) => {
                            let result = self.rtc.handle_input(str0m::Input::Receive(now, receive));
                            if let Err(e) = result {
                                tracing::debug!(error = %e, "relayed datagram refused");
                            }
                        }
                        Err(e) => tracing::debug!(error = %e, "relayed datagram not WebRTC"),
                    }
                }
                self.drain();
            }
            Input::Timeout(now) => {
                self.gather.handle_timeout(now);
                let result = self.rtc.handle_input(str0m::Input::Timeout(now));
                self.after_input(result);
                self.send_due_dtmf(now);
                self.check_ice_failed(now);
            }
        }
        Ok(())
    }

    /// The next datagram to send, event, or the deadline when there is nothing else.
    #[must_use = "drain poll_output until it returns Output::Timeout"]
    pub fn poll_output(&mut self) -> Output {
        self.queue.pop_front().unwrap_or_else(|| {
            let failing = self.ice_failure_due();
            let gathering = (!self.closed).then(|| self.gather.deadline()).flatten();
            let soonest = [self.dtmf_out.front().map(|t| t.0), failing, gathering]
                .into_iter()
                .flatten()
                .fold(self.deadline, Instant::min);
            Output::Timeout(soonest)
        })
    }

    /// When a disconnected ICE will be reported failed.
    fn ice_failure_due(&self) -> Option<Instant> {
        Some(self.disconnected_since? + self.config.ice_failed_after?)
    }

    fn check_ice_failed(&mut self, now: Instant) {
        if self.ice_failure_due().is_some_and(|due| now >= due) {
            self.disconnected_since = None;
            self.queue
                .push_back(Output::Event(Event::IceState(IceState::Failed)));
        }
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

    fn after_input(&mut self, result: Result<(), str0m::RtcError>) {
        if let Err(e) = result {
            // A datagram str0m cannot use (a stray or late packet) is not fatal.
            tracing::debug!(error = %e, "input refused");
        }
        self.drain();
    }

    /// Moves str0m's and gathering's output into our queue until str0m names its next
    /// deadline; what gathering found goes to str0m (which may send at once: hence the
    /// loop, bounded by the candidates gathered).
    fn drain(&mut self) {
        loop {
            self.drain_rtc();
            self.pull_gather();
            if self.closed || self.fresh.is_empty() {
                break;
            }
            for candidate in std::mem::take(&mut self.fresh) {
                self.add_gathered(candidate);
            }
        }
        self.check_gathering_done();
    }

    /// Gathering's datagrams and errors to our queue, its candidates to `fresh`.
    fn pull_gather(&mut self) {
        while let Some(g) = self.gather.poll() {
            match g {
                Gathered::Transmit(t) => self.queue.push_back(Output::Transmit(t)),
                Gathered::Stream(s) => self.queue.push_back(Output::Stream(s)),
                Gathered::Candidate(c) => self.fresh.push(c),
                Gathered::Error { url, error } => {
                    if !self.closed {
                        tracing::info!(%url, %error, "ICE server gave no candidate");
                        self.queue
                            .push_back(Output::Event(Event::IceServerError { url, error }));
                    }
                }
            }
        }
    }

    /// Tells the end of gathering once, and fails a relay-only connection without a relay.
    fn check_gathering_done(&mut self) {
        if self.gathering_done || self.closed || !self.gather.is_complete() {
            return;
        }
        self.gathering_done = true;
        if !self.config.ice_servers.is_empty() {
            self.queue
                .push_back(Output::Event(Event::IceGatheringComplete));
        }
        if self.end_of_candidates_due {
            self.end_of_candidates_due = false;
            self.push_end_of_candidates();
        }
        if self.config.ice_transport_policy == crate::IceTransportPolicy::Relay
            && self.gather.relay_count() == 0
        {
            let why = if self.config.ice_servers.is_empty() {
                "no ICE servers configured"
            } else {
                "every TURN server failed (see the IceServerError events)"
            };
            self.queue
                .push_back(Output::Event(Event::Failed(Error::NoRelayCandidate(
                    why.to_owned(),
                ))));
            self.rtc.disconnect();
            self.finish();
        }
    }

    /// Moves str0m's output into our queue until it names its next deadline (its
    /// datagrams from a relayed address go through the TURN server).
    fn drain_rtc(&mut self) {
        loop {
            match self.rtc.poll_output() {
                Ok(str0m::Output::Timeout(at)) => {
                    self.deadline = at;
                    break;
                }
                Ok(str0m::Output::Transmit(t)) => {
                    let t = crate::Transmit {
                        source: t.source,
                        destination: t.destination,
                        contents: t.contents.into(),
                    };
                    if let Some(t) = self.gather.send(self.now, t) {
                        self.queue.push_back(Output::Transmit(t));
                    }
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
            // TURN allocations are deleted (the Refresh with lifetime 0 goes out now).
            self.gather.close(self.now);
            self.pull_gather();
            self.dtmf_out.clear();
            self.disconnected_since = None;
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

    /// One str0m event: handled by the module of its concept, queued as ours if it is news.
    fn on_event(&mut self, event: str0m::Event) {
        // Closed is the last event; what str0m says while it says goodbye is not news.
        if self.closed {
            return;
        }
        let out = match event {
            str0m::Event::Connected => Some(Event::Connected),
            str0m::Event::IceConnectionStateChange(s) => {
                // str0m never gives up on its own; `Failed` is our grace period's end.
                self.disconnected_since =
                    (s == IceConnectionState::Disconnected).then_some(self.now);
                Some(Event::IceState(match s {
                    IceConnectionState::New => IceState::New,
                    IceConnectionState::Checking => IceState::Checking,
                    IceConnectionState::Connected => IceState::Connected,
                    IceConnectionState::Completed => IceState::Completed,
                    IceConnectionState::Disconnected => IceState::Disconnected,
                }))
            }
            str0m::Event::MediaAdded(added) => {
                if !self.mids.contains(&added.mid) {
                    self.mids.push(added.mid);
                }
                self.refresh_tracks();
                None
            }
            str0m::Event::MediaChanged(_) => {
                self.refresh_tracks();
                None
            }
            str0m::Event::MediaData(data) => self.on_media_data(data),
            str0m::Event::ChannelOpen(id, label) => Some(self.on_channel_open(id, label)),
            str0m::Event::ChannelData(d) => Some(self.on_channel_data(d)),
            str0m::Event::ChannelClose(id) => self.on_channel_close(id),
            str0m::Event::MediaIngressStats(s) => {
                self.on_ingress_stats(&s);
                None
            }
            str0m::Event::KeyframeRequest(k) => Some(Event::KeyframeRequest {
                mid: k.mid.to_string(),
            }),
            str0m::Event::EgressBitrateEstimate(kind) => self.on_estimate(kind),
            str0m::Event::Closed => {
                self.finish();
                None
            }
            _ => None,
        };
        if let Some(out) = out {
            self.queue.push_back(Output::Event(out));
        }
    }
}
