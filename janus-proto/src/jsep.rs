//! JSEP (session descriptions and trickle candidates) and the per-handle negotiation state.
//!
//! `janus-rtc` produces and consumes the SDP; this module only keeps the order right: which
//! side may offer, what an answer must follow, and which candidates must wait.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `offer` or `answer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpType {
    /// An offer.
    Offer,
    /// An answer.
    Answer,
}

/// A session description as Janus carries it in `jsep`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Jsep {
    /// Offer or answer.
    #[serde(rename = "type")]
    pub kind: SdpType,
    /// The SDP text.
    pub sdp: String,
    /// `false` when the sender does not trickle (all candidates are in the SDP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trickle: Option<bool>,
    /// `true` when the media of this description is end-to-end encrypted by the endpoints
    /// (janus.js `e2ee`, insertable streams): Janus then marks the handle, and the VideoRoom
    /// marks the publisher, so that it never mixes encrypted and clear feeds in one
    /// subscription, says `e2ee: true` in its offers to subscribers of that publisher, and
    /// flags its recordings as encrypted. Janus 1.1.2 and 1.4.1 read it alike. Sent only when
    /// `Some(true)`; absent reads as `None`.
    #[serde(default, skip_serializing_if = "not_true")]
    pub e2ee: Option<bool>,
    /// Other keys (`rid_order`, `force_relay`, ...), kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// serde's test for [`Jsep::e2ee`]: Janus reads only `true`, so nothing else is sent.
fn not_true(v: &Option<bool>) -> bool {
    *v != Some(true)
}

impl Jsep {
    /// Whether the description says its media is end-to-end encrypted (`"e2ee": true`).
    pub fn is_e2ee(&self) -> bool {
        self.e2ee == Some(true)
    }

    /// An offer with this SDP.
    pub fn offer(sdp: impl Into<String>) -> Self {
        Self {
            kind: SdpType::Offer,
            sdp: sdp.into(),
            trickle: None,
            e2ee: None,
            extra: Map::new(),
        }
    }

    /// An answer with this SDP.
    pub fn answer(sdp: impl Into<String>) -> Self {
        Self {
            kind: SdpType::Answer,
            sdp: sdp.into(),
            trickle: None,
            e2ee: None,
            extra: Map::new(),
        }
    }
}

/// One ICE candidate as trickled (`candidate`, `sdpMid`, `sdpMLineIndex`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceCandidate {
    /// The `candidate:` line without the `a=` prefix.
    pub candidate: String,
    /// The mid of the m-line it belongs to.
    #[serde(rename = "sdpMid", default, skip_serializing_if = "Option::is_none")]
    pub sdp_mid: Option<String>,
    /// The index of that m-line.
    #[serde(
        rename = "sdpMLineIndex",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sdp_mline_index: Option<u32>,
}

/// What a trickle carries: a candidate, or the end of candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trickle {
    /// One more candidate.
    Candidate(IceCandidate),
    /// No more candidates (`{"completed": true}`).
    Completed,
}

impl Trickle {
    /// The JSON object Janus expects in `candidate`.
    pub fn to_value(&self) -> Value {
        match self {
            Self::Candidate(c) => serde_json::to_value(c).unwrap_or(Value::Null),
            Self::Completed => serde_json::json!({ "completed": true }),
        }
    }

    /// Reads a `candidate` object as Janus sends it. `None` when it is neither shape.
    pub fn from_value(v: &Value) -> Option<Self> {
        if v.get("completed").and_then(Value::as_bool) == Some(true) {
            return Some(Self::Completed);
        }
        serde_json::from_value(v.clone()).ok().map(Self::Candidate)
    }
}

/// The WebRTC signalling state of one handle, as in the W3C `RTCSignalingState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignalingState {
    /// No offer outstanding: either side may offer.
    #[default]
    Stable,
    /// We sent an offer; we wait for Janus's answer.
    HaveLocalOffer,
    /// Janus sent an offer; we owe it an answer.
    HaveRemoteOffer,
}

/// A local JSEP that does not fit the negotiation state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// An offer while Janus's offer waits for our answer (glare: answer it first).
    #[error("glare: an offer from Janus is waiting for our answer")]
    Glare,
    /// An offer while our previous offer is still unanswered.
    #[error("our previous offer is still waiting for an answer")]
    OfferPending,
    /// An answer with no offer from Janus to answer.
    #[error("no remote offer to answer")]
    NoRemoteOffer,
}

/// Per-handle negotiation: the state machine plus remote candidates held back until the
/// remote description they belong to has been delivered.
#[derive(Debug, Default)]
pub(crate) struct Negotiation {
    pub(crate) state: SignalingState,
    /// Whether a remote description has been delivered in this PeerConnection's life.
    has_remote: bool,
    /// Remote trickles that arrived before any remote description.
    held: Vec<Trickle>,
}

/// How many early remote candidates a handle holds; more are delivered at once rather than
/// dropped (the application's peer connection will then reject or buffer them itself).
const MAX_HELD_CANDIDATES: usize = 64;

impl Negotiation {
    /// A local JSEP is about to be sent.
    pub(crate) fn check_local(&self, kind: SdpType) -> Result<SignalingState, NegotiationError> {
        match (kind, self.state) {
            (SdpType::Offer, SignalingState::Stable) => Ok(SignalingState::HaveLocalOffer),
            (SdpType::Offer, SignalingState::HaveLocalOffer) => Err(NegotiationError::OfferPending),
            (SdpType::Offer, SignalingState::HaveRemoteOffer) => Err(NegotiationError::Glare),
            (SdpType::Answer, SignalingState::HaveRemoteOffer) => Ok(SignalingState::Stable),
            (SdpType::Answer, _) => Err(NegotiationError::NoRemoteOffer),
        }
    }

    /// A remote JSEP was received. Returns the held candidates that may now be delivered.
    /// An out-of-order remote JSEP is not refused (it is Janus's word); the state follows it.
    pub(crate) fn on_remote(&mut self, kind: SdpType) -> Vec<Trickle> {
        let expected = matches!(
            (kind, self.state),
            (SdpType::Offer, SignalingState::Stable)
                | (SdpType::Answer, SignalingState::HaveLocalOffer)
        );
        if !expected {
            tracing::warn!(?kind, state = ?self.state, "remote jsep out of order");
        }
        self.state = match kind {
            SdpType::Offer => SignalingState::HaveRemoteOffer,
            SdpType::Answer => SignalingState::Stable,
        };
        self.has_remote = true;
        std::mem::take(&mut self.held)
    }

    /// A remote trickle arrived: deliver it now, or hold it until the remote description.
    pub(crate) fn on_remote_trickle(&mut self, t: Trickle) -> Option<Trickle> {
        if self.has_remote || self.held.len() >= MAX_HELD_CANDIDATES {
            Some(t)
        } else {
            self.held.push(t);
            None
        }
    }

    /// The PeerConnection is gone (`hangup`): a new negotiation may start from scratch.
    /// Returns candidates still held, which the caller delivers rather than loses.
    pub(crate) fn reset(&mut self) -> Vec<Trickle> {
        let held = std::mem::take(&mut self.held);
        *self = Self::default();
        held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offer_then_answer_returns_to_stable() {
        let mut n = Negotiation::default();
        n.state = n.check_local(SdpType::Offer).expect("offer from stable");
        assert_eq!(
            n.check_local(SdpType::Offer),
            Err(NegotiationError::OfferPending)
        );
        n.on_remote(SdpType::Answer);
        assert_eq!(n.state, SignalingState::Stable);
    }

    #[test]
    fn janus_offer_must_be_answered_before_offering() {
        let mut n = Negotiation::default();
        n.on_remote(SdpType::Offer);
        assert_eq!(n.check_local(SdpType::Offer), Err(NegotiationError::Glare));
        n.state = n
            .check_local(SdpType::Answer)
            .expect("answer to remote offer");
        assert_eq!(n.state, SignalingState::Stable);
        assert_eq!(
            n.check_local(SdpType::Answer),
            Err(NegotiationError::NoRemoteOffer)
        );
    }

    #[test]
    fn early_remote_candidates_wait_for_the_description() {
        let mut n = Negotiation::default();
        assert_eq!(n.on_remote_trickle(Trickle::Completed), None);
        assert_eq!(n.on_remote(SdpType::Offer), vec![Trickle::Completed]);
        assert_eq!(
            n.on_remote_trickle(Trickle::Completed),
            Some(Trickle::Completed)
        );
    }

    #[test]
    fn trickle_round_trips_both_shapes() {
        let c = Trickle::Candidate(IceCandidate {
            candidate: "candidate:1 1 udp 2113937151 127.0.0.2 40000 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
        });
        assert_eq!(Trickle::from_value(&c.to_value()), Some(c));
        assert_eq!(
            Trickle::from_value(&Trickle::Completed.to_value()),
            Some(Trickle::Completed)
        );
    }

    #[test]
    fn e2ee_is_sent_only_when_true_and_read_typed() {
        let mut jsep = Jsep::offer("v=0");
        assert!(
            serde_json::to_value(&jsep)
                .expect("a jsep serialises")
                .get("e2ee")
                .is_none()
        );
        jsep.e2ee = Some(false);
        assert!(
            serde_json::to_value(&jsep)
                .expect("a jsep serialises")
                .get("e2ee")
                .is_none()
        );
        jsep.e2ee = Some(true);
        let v = serde_json::to_value(&jsep).expect("a jsep serialises");
        assert_eq!(v["e2ee"], true);
        let back: Jsep = serde_json::from_value(v).expect("reads back");
        assert!(back.is_e2ee() && back.extra.is_empty());
        let plain: Jsep =
            serde_json::from_value(serde_json::json!({"type": "answer", "sdp": "v=0"}))
                .expect("a plain answer reads");
        assert_eq!(plain.e2ee, None);
    }
}
