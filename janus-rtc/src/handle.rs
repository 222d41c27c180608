//! The WebRTC connection of a plugin handle, as janus.js keeps it: the glue between a
//! [`PeerConnection`] and the handle it belongs to, sans-IO.
//!
//! janus.js hides this inside its handle; here it is one state machine that both adapters
//! drive the same way, so neither writes it:
//! - **Janus's handle events go in** ([`HandleConnection::handle_janus_event`]): its
//!   trickled candidates are applied, `hangup` and `detached` close the connection, and
//!   every event except the trickle comes out again, in its place among the WebRTC
//!   events, so the application reads one ordered stream ([`HandleEvent`]).
//! - **Our candidates come out as [`HandleOutput::Trickle`]**, for the adapter to send as
//!   a `trickle` request, but only once the offer or answer they belong to went to Janus
//!   ([`HandleConnection::jsep_sent`]): Janus would queue earlier ones, yet over HTTP
//!   nothing orders two requests, and a candidate for an SDP Janus has not seen is noise.
//!   With trickle off they are in the SDP and nothing comes out. Janus's candidates that
//!   arrive before its answer (its `trickle` events and the reply to our `message` travel
//!   separately) wait for the answer, as janus.js queues them.
//! - **An answer that comes in a plugin event** (VideoCall and SIP answer a call in a
//!   later `accepted` event, not in the reply to the `call` that carried our offer) is
//!   applied on arrival while our offer waits for one.
//! - **A closed connection is not the end**: after a hangup, the next offer or answer
//!   starts a new [`PeerConnection`] on the same addresses (janus.js `hangup` then
//!   `createOffer` on the same handle).
//!
//! - **ICE that failed restarts on its own** when [`PeerConfig::restart_ice`] asks for it:
//!   a restart offer comes out as [`HandleOutput::RestartIce`], for the adapter to send as a
//!   `message` with the policy's body and to hand the reply's answer back
//!   ([`handle_remote_jsep`](HandleConnection::handle_remote_jsep)); one that has not
//!   connected within its `retry_after` is tried again, up to `max_attempts` in a row.
//!
//! The offer -> `message` with JSEP -> answer exchange itself is three calls an adapter
//! makes around its request: [`create_offer`](HandleConnection::create_offer), then
//! [`jsep_sent`](HandleConnection::jsep_sent) and
//! [`handle_remote_jsep`](HandleConnection::handle_remote_jsep) with the reply's JSEP.
//!
//! ```
//! use std::time::Instant;
//! use janus_rtc::{HandleConnection, HandleOutput, PeerConfig, Track};
//!
//! let now = Instant::now();
//! let mut conn = HandleConnection::new(PeerConfig::default(), now, &["127.0.0.2:40000".parse().unwrap()]);
//! let offer = conn.create_offer(now, &[Track::audio()], false).unwrap();
//! assert!(offer.sdp.contains("m=audio"));
//! // Before the offer is sent, our candidates are held back ...
//! let held = std::iter::from_fn(|| match conn.poll_output() {
//!     HandleOutput::Timeout(_) => None,
//!     other => Some(other),
//! });
//! assert!(!held.into_iter().any(|o| matches!(o, HandleOutput::Trickle(_))));
//! // ... and come out once it went to Janus in a `message`.
//! conn.jsep_sent();
//! assert!(matches!(conn.poll_output(), HandleOutput::Trickle(c) if !c.is_empty()));
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use janus_proto::{Jsep, Trickle};

use crate::{
    Error, Event, Input, Output, PeerConfig, PeerConnection, StreamCommand, Track, Transmit,
};

/// One event of a plugin handle that carries a WebRTC connection: what Janus said about
/// the handle, or what the connection did, in the order it happened.
#[derive(Debug)]
pub enum HandleEvent {
    /// Janus's event: a plugin event (janus.js `onmessage`, with a JSEP when Janus
    /// offers or renegotiates), `WebrtcUp` (`webrtcState(true)`), `Media` (`mediaState`),
    /// `SlowLink` (`slowLink`), `Hangup` (`webrtcState(false)`), `IceFailed`, `Detached`
    /// (`ondetached`). Janus's trickled candidates are applied, not passed on.
    Janus(janus_proto::Event),
    /// The connection's event: `IceState` (`iceState`), `LocalTrack` (`onlocaltrack`),
    /// `RemoteTrack` (`onremotetrack`), `Media` frames, `DataOpen` (`ondataopen`),
    /// `Data` (`ondata`), `Dtmf`, `KeyframeRequest`, `Closed` (`oncleanup`).
    Rtc(Event),
}

impl From<Event> for HandleEvent {
    fn from(e: Event) -> Self {
        Self::Rtc(e)
    }
}

impl From<janus_proto::Event> for HandleEvent {
    fn from(e: janus_proto::Event) -> Self {
        Self::Janus(e)
    }
}

impl HandleEvent {
    /// Whether this is a received media frame, or the report of one that did not decrypt:
    /// the events that an adapter drops (and counts) rather than waits for room in a full
    /// queue, since a late frame is worth nothing (and the decrypt failures stay counted in
    /// [`PeerConnection::decrypt_failures`](crate::PeerConnection::decrypt_failures)); every
    /// other event waits, so that none is lost.
    pub fn is_droppable(&self) -> bool {
        matches!(
            self,
            Self::Rtc(Event::Media(_) | Event::DecryptFailed { .. })
        )
    }

    /// The connection's event, if it is one.
    pub fn rtc(&self) -> Option<&Event> {
        match self {
            Self::Rtc(e) => Some(e),
            Self::Janus(_) => None,
        }
    }

    /// Janus's event, if it is one.
    pub fn janus(&self) -> Option<&janus_proto::Event> {
        match self {
            Self::Janus(e) => Some(e),
            Self::Rtc(_) => None,
        }
    }
}

/// One result of [`HandleConnection::poll_output`]; drain it until `Timeout`.
#[derive(Debug)]
#[must_use]
pub enum HandleOutput {
    /// A datagram to send.
    Transmit(Transmit),
    /// Something to do with a TCP stream (TURN over TCP or TLS): see [`Output::Stream`].
    Stream(StreamCommand),
    /// Our candidates (the last batch ends with [`Trickle::Completed`]): send them to
    /// Janus in one `trickle` request on this handle.
    Trickle(Vec<Trickle>),
    /// Something the application hears about.
    Event(HandleEvent),
    /// ICE failed and [`PeerConfig::restart_ice`] is set: send `offer` to Janus in a
    /// `message` on this handle with `body`, call
    /// [`jsep_sent`](HandleConnection::jsep_sent), and give the reply's answer to
    /// [`handle_remote_jsep`](HandleConnection::handle_remote_jsep). A failed request needs
    /// nothing more: the restart is tried again after the policy's `retry_after`.
    RestartIce {
        /// The policy's plugin message.
        body: serde_json::Value,
        /// The restart offer.
        offer: Jsep,
    },
    /// Nothing more now: call `handle_input(Input::Timeout(..))` at this instant, or
    /// earlier when another input arrives.
    Timeout(Instant),
}

/// A plugin handle's WebRTC connection: a [`PeerConnection`] plus what janus.js does for
/// it on the handle's behalf (see [the module](crate::handle)).
#[derive(Debug)]
pub struct HandleConnection {
    config: PeerConfig,
    local_addrs: Vec<SocketAddr>,
    pc: PeerConnection,
    /// Our candidates of a JSEP that has not gone to Janus yet.
    held: Vec<Trickle>,
    holding: bool,
    /// Outputs ready before the connection's own: Janus's events in their place, and the
    /// connection's outputs drained ahead of them.
    queue: VecDeque<HandleOutput>,
    /// The connection's output that ended a batch of candidates, due after the batch.
    after_batch: Option<HandleOutput>,
    /// Our offer is out and its answer not applied yet.
    awaiting_answer: bool,
    /// Janus's candidates that came before its answer (its trickle and the reply to our
    /// `message` travel separately, so they may): applied right after the answer.
    early: Vec<Trickle>,
    /// Automatic ICE restarts since ICE last connected.
    restarts: u32,
    /// When the last automatic restart is tried again if ICE has not connected by then.
    retry_at: Option<Instant>,
    /// ICE failed: the automatic restart comes out next.
    restart_due: bool,
    /// The latest instant an input brought.
    now: Instant,
}

impl HandleConnection {
    /// A connection whose host candidates are `local_addrs` (the adapter's UDP sockets).
    pub fn new(config: PeerConfig, now: Instant, local_addrs: &[SocketAddr]) -> Self {
        Self {
            pc: PeerConnection::new(config.clone(), now, local_addrs),
            config,
            local_addrs: local_addrs.to_vec(),
            held: Vec::new(),
            holding: false,
            queue: VecDeque::new(),
            after_batch: None,
            awaiting_answer: false,
            early: Vec::new(),
            restarts: 0,
            retry_at: None,
            restart_due: false,
            now,
        }
    }

    /// The peer connection now (a new one after a hangup and a new negotiation): for
    /// frames, data, DTMF, mute, bitrate. Drain [`poll_output`](Self::poll_output) after
    /// a call that changes it.
    pub fn connection(&mut self) -> &mut PeerConnection {
        &mut self.pc
    }

    /// janus.js `createOffer({tracks, iceRestart})`: see [`PeerConnection::create_offer`].
    /// Our candidates wait for [`jsep_sent`](Self::jsep_sent).
    pub fn create_offer(
        &mut self,
        now: Instant,
        tracks: &[Track],
        ice_restart: bool,
    ) -> Result<Jsep, Error> {
        self.reopen(now);
        self.hold();
        let offer = self.pc.create_offer(tracks, ice_restart)?;
        self.awaiting_answer = true;
        self.early.clear();
        Ok(offer)
    }

    /// janus.js `createAnswer({jsep, tracks})`: see [`PeerConnection::create_answer`].
    /// Our candidates wait for [`jsep_sent`](Self::jsep_sent).
    pub fn create_answer(
        &mut self,
        now: Instant,
        offer: &Jsep,
        tracks: &[Track],
    ) -> Result<Jsep, Error> {
        self.reopen(now);
        self.hold();
        self.awaiting_answer = false;
        self.pc.create_answer(offer, tracks)
    }

    /// janus.js `handleRemoteJsep`: Janus's answer to our offer. Janus's candidates that
    /// came before it are applied with it.
    pub fn handle_remote_jsep(&mut self, jsep: &Jsep) -> Result<(), Error> {
        self.pc.handle_remote_jsep(jsep)?;
        self.awaiting_answer = false;
        for trickle in std::mem::take(&mut self.early) {
            self.add_remote_candidate(&trickle);
        }
        Ok(())
    }

    fn add_remote_candidate(&mut self, trickle: &Trickle) {
        if let Err(e) = self.pc.add_remote_candidate(trickle) {
            tracing::debug!(error = %e, "Janus's candidate ignored");
        }
    }

    /// The offer or answer went to Janus: our candidates may follow it.
    pub fn jsep_sent(&mut self) {
        self.holding = false;
        self.pull();
        if !self.held.is_empty() {
            self.queue
                .push_back(HandleOutput::Trickle(std::mem::take(&mut self.held)));
        }
    }

    /// An event of the handle from Janus: its trickled candidates are applied, `hangup`
    /// and `detached` close the connection, and every event but the trickle comes out in
    /// its place among the connection's events.
    pub fn handle_janus_event(&mut self, event: janus_proto::Event) {
        // What the connection said before this event comes out before it.
        self.pull();
        match event {
            janus_proto::Event::Trickle { trickle, .. } if self.awaiting_answer => {
                self.early.push(trickle);
            }
            janus_proto::Event::PluginEvent {
                jsep: Some(ref jsep),
                ..
            } if self.awaiting_answer && jsep.kind == janus_proto::SdpType::Answer => {
                // The answer that a plugin sends in an event of its own (VideoCall
                // `accepted`, SIP `accepted`): applied on arrival, the event still told.
                let answer = jsep.clone();
                self.queue
                    .push_back(HandleOutput::Event(HandleEvent::Janus(event)));
                if let Err(e) = self.handle_remote_jsep(&answer) {
                    self.queue
                        .push_back(HandleOutput::Event(HandleEvent::Rtc(Event::Failed(e))));
                }
            }
            e => {
                // The connection's own rule for its handle's events (trickle applied,
                // `hangup` closes); a detached handle takes its connection with it.
                if let Err(err) = self.pc.handle_janus_event(&e) {
                    tracing::debug!(error = %err, "Janus's candidate ignored");
                }
                if matches!(e, janus_proto::Event::Detached { .. }) {
                    self.pc.close();
                }
                // What the connection says in turn is still in its own queue: it comes out
                // after this event (`pull` below).
                if !matches!(e, janus_proto::Event::Trickle { .. }) {
                    self.queue
                        .push_back(HandleOutput::Event(HandleEvent::Janus(e)));
                }
            }
        }
        self.pull();
    }

    /// A datagram or time passing: see [`PeerConnection::handle_input`].
    pub fn handle_input(&mut self, input: Input<'_>) -> Result<(), Error> {
        let now = input.at();
        self.now = self.now.max(now);
        if self.retry_at.is_some_and(|at| at <= now) {
            self.retry_at = None;
            self.restart_ice(now);
        }
        self.pc.handle_input(input)
    }

    /// The reply to a [`HandleOutput::RestartIce`] `message`: its answer (`None` when the
    /// request failed or carried none; the restart is tried again after the policy's
    /// `retry_after`).
    pub fn restart_answered(&mut self, answer: Option<Jsep>) {
        match answer {
            Some(answer) => {
                if let Err(e) = self.handle_remote_jsep(&answer) {
                    tracing::debug!(error = %e, "ICE restart answer refused");
                }
            }
            None => tracing::debug!("ICE restart got no answer; tried again later"),
        }
    }

    /// The automatic restart ([`PeerConfig::restart_ice`]), when it has attempts left.
    fn restart_ice(&mut self, now: Instant) {
        let Some(policy) = self.config.restart_ice.clone() else {
            return;
        };
        if self.restarts >= policy.max_attempts || self.pc.is_closed() {
            return;
        }
        self.restarts += 1;
        self.retry_at = Some(now + policy.retry_after);
        match self.create_offer(now, &[], true) {
            Ok(offer) => {
                tracing::debug!(attempt = self.restarts, "ICE failed: restarting it");
                self.queue.push_back(HandleOutput::RestartIce {
                    body: policy.body,
                    offer,
                });
            }
            Err(e) => self
                .queue
                .push_back(HandleOutput::Event(HandleEvent::Rtc(Event::Failed(e)))),
        }
    }

    /// Keeps the restart policy's count: ICE that connects starts it again, ICE that
    /// failed restarts.
    fn watch_ice(&mut self, out: &HandleOutput) {
        match out {
            HandleOutput::Event(HandleEvent::Rtc(Event::IceState(
                crate::IceState::Connected | crate::IceState::Completed,
            ))) => {
                self.restarts = 0;
                self.retry_at = None;
            }
            HandleOutput::Event(HandleEvent::Rtc(Event::IceState(crate::IceState::Failed))) => {
                // After the event: the application hears `Failed`, then the restart.
                self.restart_due = true;
            }
            _ => {}
        }
    }

    /// Closes the connection (janus.js `hangup`; the `hangup` request is the adapter's).
    pub fn close(&mut self) {
        self.pc.close();
    }

    /// The next output.
    pub fn poll_output(&mut self) -> HandleOutput {
        if std::mem::take(&mut self.restart_due) {
            self.restart_ice(self.now);
        }
        match self.queue.pop_front() {
            Some(out) => out,
            None => self.next_from_pc(),
        }
    }

    /// The connection's next output, with our candidates gathered into one trickle (or
    /// held back while the JSEP they belong to has not gone out).
    fn next_from_pc(&mut self) -> HandleOutput {
        if let Some(out) = self.after_batch.take() {
            return out;
        }
        let mut candidates = Vec::new();
        loop {
            let out = match self.pc.poll_output() {
                Output::Event(Event::LocalCandidate(c)) => {
                    candidates.push(c);
                    continue;
                }
                Output::Transmit(t) => HandleOutput::Transmit(t),
                Output::Stream(s) => HandleOutput::Stream(s),
                Output::Event(e) => HandleOutput::Event(HandleEvent::Rtc(e)),
                Output::Timeout(at) => {
                    HandleOutput::Timeout(self.retry_at.map_or(at, |retry| retry.min(at)))
                }
            };
            self.watch_ice(&out);
            if candidates.is_empty() {
                return out;
            }
            if self.holding {
                self.held.append(&mut candidates);
                return out;
            }
            // The batch first, then what ended it.
            if !matches!(out, HandleOutput::Timeout(_)) {
                self.after_batch = Some(out);
            }
            return HandleOutput::Trickle(candidates);
        }
    }

    /// Moves what the connection has to say now into our queue, so that what comes next
    /// queues behind it.
    fn pull(&mut self) {
        loop {
            match self.next_from_pc() {
                HandleOutput::Timeout(_) => return,
                out => self.queue.push_back(out),
            }
        }
    }

    fn hold(&mut self) {
        self.holding = true;
        // Candidates of an earlier negotiation that never went out are stale now.
        self.held.clear();
    }

    fn reopen(&mut self, now: Instant) {
        if self.pc.is_closed() {
            // The end-to-end encryption transform is the handle's, as in janus.js.
            let transform = self.pc.take_transform();
            self.pc = PeerConnection::new(self.config.clone(), now, &self.local_addrs);
            if let Some(transform) = transform {
                self.pc.set_transform(transform);
            }
        }
    }
}
