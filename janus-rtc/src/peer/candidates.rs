//! ICE candidates: our host candidates and those gathered from ICE servers (in the SDP, or
//! trickled as events), Janus's trickled ones, and the handle events of the core that carry
//! them.
//!
//! Gathered candidates trickle as they come once the offer or answer trickled its own; the
//! end of candidates waits for gathering to complete. A server-reflexive candidate equal to
//! a host one (no NAT between us and the STUN server, as in the test namespace) is trickled
//! all the same, so that Janus sees what the server said; str0m keeps only the host one for
//! its own pairs (RFC 8445 redundancy), which changes nothing on the wire. With the
//! transport policy `relay`, host and server-reflexive candidates are never given out.

use janus_proto::{IceCandidate, Trickle};
use str0m::Candidate;
use str0m::CandidateKind;

use super::PeerConnection;
use crate::{Error, Event, IceTransportPolicy, Output};

impl PeerConnection {
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
    #[must_use]
    pub fn wants_janus_event(event: &janus_proto::Event) -> bool {
        matches!(
            event,
            janus_proto::Event::Trickle { .. } | janus_proto::Event::Hangup { .. }
        )
    }

    /// Adds a host candidate per local address (none with the policy `relay`) and the
    /// candidates gathered so far; returns their `candidate:` lines.
    pub(super) fn add_local_candidates(&mut self) -> Vec<String> {
        // A new description lists every candidate again (an ICE restart needs them all).
        self.trickled.clear();
        let mut lines = Vec::with_capacity(self.local_addrs.len() + self.gathered.len());
        if self.config.ice_transport_policy == IceTransportPolicy::All {
            for addr in self.local_addrs.clone() {
                match Candidate::host(addr, "udp") {
                    Ok(c) => {
                        lines.push(c.to_sdp_string());
                        self.rtc.add_local_candidate(c);
                    }
                    Err(e) => tracing::warn!(%addr, error = %e, "unusable local address"),
                }
            }
        }
        for c in self.gathered.clone() {
            lines.push(self.add_to_rtc(c));
        }
        lines
    }

    /// A candidate from an ICE server: to str0m, and trickled when the trickle has begun.
    pub(super) fn add_gathered(&mut self, c: Candidate) {
        if self.config.ice_transport_policy == IceTransportPolicy::Relay
            && c.kind() != CandidateKind::Relayed
        {
            return;
        }
        tracing::debug!(kind = ?c.kind(), "candidate gathered");
        self.gathered.push(c.clone());
        let line = self.add_to_rtc(c);
        if let Some(mid) = self.trickle_mid.clone() {
            self.push_candidate(mid, line);
        }
    }

    /// Gives str0m a candidate; its `candidate:` line, as str0m keeps it when it does.
    fn add_to_rtc(&mut self, c: Candidate) -> String {
        let line = c.to_sdp_string();
        match self.rtc.add_local_candidate(c) {
            Some(kept) => kept.to_sdp_string(),
            None => line,
        }
    }

    /// Queues `candidates` for trickling (on the first m-line's mid), then their end (once
    /// gathering is complete).
    pub(super) fn trickle_candidates(&mut self, mid: Option<String>, candidates: Vec<String>) {
        for candidate in candidates {
            self.push_candidate(mid.clone(), candidate);
        }
        self.trickle_mid = Some(mid);
        if self.gathering_done {
            self.push_end_of_candidates();
        } else {
            self.end_of_candidates_due = true;
        }
    }

    fn push_candidate(&mut self, mid: Option<String>, candidate: String) {
        if !self.trickled.insert(candidate.clone()) {
            return;
        }
        self.queue
            .push_back(Output::Event(Event::LocalCandidate(Trickle::Candidate(
                IceCandidate {
                    candidate,
                    sdp_mid: mid,
                    sdp_mline_index: Some(0),
                },
            ))));
    }

    pub(super) fn push_end_of_candidates(&mut self) {
        self.queue
            .push_back(Output::Event(Event::LocalCandidate(Trickle::Completed)));
    }
}
