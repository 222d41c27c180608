//! ICE candidates: our host candidates (in the SDP, or trickled as events), Janus's
//! trickled ones, and the handle events of the core that carry them.

use janus_proto::{IceCandidate, Trickle};
use str0m::Candidate;

use super::PeerConnection;
use crate::{Error, Event, Output};

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

    /// Adds a host candidate per local address; returns their `candidate:` lines.
    pub(super) fn add_local_candidates(&mut self) -> Vec<String> {
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
    pub(super) fn trickle_candidates(&mut self, mid: Option<String>, candidates: Vec<String>) {
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
}
