//! What comes out of a [`PeerConnection`](crate::PeerConnection).

use std::sync::Arc;
use std::time::Instant;

use janus_proto::Trickle;

use crate::{AudioLevel, Error, IceServerError, TrackInfo};

/// ICE connectivity, as janus.js `iceState` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IceState {
    /// Waiting for remote candidates.
    New,
    /// Checking pairs.
    Checking,
    /// A pair works.
    Connected,
    /// Checks are over and a pair works.
    Completed,
    /// Connectivity was lost.
    Disconnected,
    /// Connectivity stayed lost for [`PeerConfig::ice_failed_after`](crate::PeerConfig::ice_failed_after)
    /// (a browser's `failed`): only an ICE restart brings it back.
    Failed,
}

/// An encoded frame received on a track (depacketised: one whole frame).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFrame {
    /// The mid of the track.
    pub mid: String,
    /// The codec, as named in the SDP (`opus`, `VP8`, `H264`, ...).
    pub codec: String,
    /// The RTP timestamp, in `clock_rate` units.
    pub rtp_time: u64,
    /// The codec's RTP clock rate.
    pub clock_rate: u32,
    /// When its first packet arrived.
    pub network_time: Instant,
    /// A keyframe (video).
    pub keyframe: bool,
    /// False after a gap in the packets: a decoder may need a keyframe.
    pub contiguous: bool,
    /// The frame.
    pub data: Arc<[u8]>,
    /// Its RFC 6464 audio level, when the sender put one in (audio; the extension is
    /// negotiated whenever both sides know it).
    pub audio_level: Option<AudioLevel>,
}

/// A data-channel message received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataMessage {
    /// The channel's label.
    pub label: String,
    /// Sent as binary (`true`) or text.
    pub binary: bool,
    /// The payload.
    pub data: Vec<u8>,
}

/// What Janus, or the path to it, lets us send: see
/// [`PeerConnection::target_bitrate`](crate::PeerConnection::target_bitrate).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BandwidthEstimate {
    /// Janus's REMB for a track we send: the plugin's cap (the EchoTest's or VideoRoom's
    /// `bitrate`) or Janus's own estimate.
    Remb {
        /// The track's mid.
        mid: String,
        /// Bit/s.
        bitrate: u64,
    },
    /// Our estimate of the connection's send bandwidth, from Janus's transport-wide
    /// congestion feedback ([`PeerConfig::bandwidth_estimation`](crate::PeerConfig::bandwidth_estimation)).
    Twcc {
        /// Bit/s.
        bitrate: u64,
        /// Whether the estimator may probe for more (it needs a video track sending).
        can_probe: bool,
    },
}

/// What a [`PeerConnection`](crate::PeerConnection) tells the application.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// One of our candidates (then [`Trickle::Completed`]) to trickle to Janus.
    LocalCandidate(Trickle),
    /// An ICE server of [`PeerConfig::ice_servers`](crate::PeerConfig::ice_servers) gave no
    /// candidate: a bad or unresolved URL, no answer, or a refused TURN allocation (wrong
    /// credentials are [`IceServerError::Allocation`] with code 401). Gathering goes on with
    /// the other servers.
    IceServerError {
        /// The URL as configured.
        url: String,
        /// What went wrong.
        error: IceServerError,
    },
    /// Every ICE server answered or gave up (the browser's `icegatheringstate` `complete`);
    /// only told when [`PeerConfig::ice_servers`](crate::PeerConfig::ice_servers) is not
    /// empty. With trickle off, an offer made after it carries every candidate.
    IceGatheringComplete,
    /// ICE state change (janus.js `iceState`).
    IceState(IceState),
    /// ICE and DTLS are up: media and data may flow (Janus will say `webrtcup`).
    Connected,
    /// A local track started (`on`) or stopped being sent (janus.js `onlocaltrack`).
    LocalTrack {
        /// The track.
        track: TrackInfo,
        /// Added or removed.
        on: bool,
    },
    /// A remote track started or stopped arriving (janus.js `onremotetrack`).
    RemoteTrack {
        /// The track.
        track: TrackInfo,
        /// Added or removed.
        on: bool,
    },
    /// An encoded frame from Janus.
    Media(MediaFrame),
    /// A DTMF (RFC 4733) telephone event received on an audio track.
    Dtmf {
        /// The audio track's mid.
        mid: String,
        /// The digit: `0`-`9`, `*`, `#`, `A`-`D`.
        digit: char,
    },
    /// Janus asks for a keyframe on a video track we send (PLI or FIR).
    KeyframeRequest {
        /// The track's mid.
        mid: String,
    },
    /// A send-bandwidth estimate changed (a new REMB value from Janus for a track, or our
    /// TWCC estimate moved by more than 1/16). The latest of each is kept:
    /// [`PeerConnection::remb`](crate::PeerConnection::remb),
    /// [`twcc_estimate`](crate::PeerConnection::twcc_estimate).
    BandwidthEstimate(BandwidthEstimate),
    /// A received frame that the connection's [`FrameTransform`](crate::FrameTransform)
    /// could not decrypt (a wrong key, a frame sent in the clear): it was dropped, and
    /// counted in [`PeerConnection::decrypt_failures`](crate::PeerConnection::decrypt_failures).
    DecryptFailed {
        /// The track's mid.
        mid: String,
        /// What the transform said ([`Error::Transform`] as a rule).
        error: Error,
    },
    /// A data channel opened (janus.js `ondataopen(label, protocol)`), ours or Janus's.
    DataOpen {
        /// Its label.
        label: String,
        /// Its subprotocol (empty for none).
        protocol: String,
    },
    /// A data-channel message (janus.js `ondata`).
    Data(DataMessage),
    /// A data channel closed.
    DataClosed {
        /// Its label.
        label: String,
    },
    /// The WebRTC engine failed; the connection is unusable (then [`Event::Closed`]).
    Failed(Error),
    /// The connection is closed, by us ([`close`](crate::PeerConnection::close)) or by the
    /// other side (janus.js `oncleanup`).
    Closed,
}
