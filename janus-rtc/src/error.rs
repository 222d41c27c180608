//! The crate's one error type.

/// What a `PeerConnection` call can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SDP from the other side does not parse or cannot be applied.
    #[error("bad SDP: {0}")]
    Sdp(String),
    /// A JSEP of the wrong kind for this call (e.g. an offer given as an answer).
    #[error("unexpected JSEP: {0}")]
    Jsep(&'static str),
    /// An answer arrived but no offer of ours is waiting for one.
    #[error("no local offer is waiting for an answer")]
    NoPendingOffer,
    /// Nothing to negotiate: no track changes and no ICE restart.
    #[error("nothing to negotiate")]
    NoChanges,
    /// No track with this mid.
    #[error("no track with mid {0}")]
    UnknownMid(String),
    /// No data channel with this label.
    #[error("no data channel labelled {0:?}")]
    UnknownChannel(String),
    /// A trickled candidate that does not parse.
    #[error("bad candidate: {0}")]
    Candidate(String),
    /// A received datagram that is not WebRTC (STUN, DTLS, RTP or RTCP).
    #[error("not a WebRTC datagram: {0}")]
    Datagram(String),
    /// The connection is closed; a new negotiation needs a new `PeerConnection`.
    #[error("the peer connection is closed")]
    Closed,
    /// Not a DTMF digit (`0`-`9`, `*`, `#`, `A`-`D`).
    #[error("not a DTMF tone: {0:?}")]
    Dtmf(char),
    /// An audio level above 127 (RFC 6464 levels are 0 to 127 -dBov).
    #[error("not an audio level (0 to 127 -dBov): {0}")]
    AudioLevel(u8),
    /// An audio level given for a track that is not audio.
    #[error("track {0} is not audio")]
    NotAudio(String),
    /// An ICE server URL that does not parse (`stun:host[:port]`,
    /// `turn:host[:port][?transport=udp|tcp]`, `turns:host[:port]`).
    #[error("bad ICE server URL: {0}")]
    IceServerUrl(String),
    /// The transport policy is `relay` and no TURN server gave a relayed candidate.
    #[error("no relayed candidate (ice_transport_policy relay): {0}")]
    NoRelayCandidate(String),
    /// A [`FrameTransform`](crate::FrameTransform) refused a frame (the application's
    /// words: a wrong key, a frame too short, ...).
    #[error("frame transform: {0}")]
    Transform(String),
    /// TLS roots for `turns:` servers that are not usable certificates.
    #[error("TLS: {0}")]
    Tls(String),
    /// str0m refused the operation.
    #[error("webrtc: {0}")]
    Rtc(String),
}

impl From<str0m::RtcError> for Error {
    fn from(e: str0m::RtcError) -> Self {
        Self::Rtc(e.to_string())
    }
}
