//! NoSIP (`janus.plugin.nosip`): bridges a WebRTC peer to a plain-RTP one whose signalling
//! is the application's. The plugin turns our JSEP into a barebone SDP for the other peer
//! ([`Generate`]) and the other peer's barebone SDP into a JSEP for us ([`Process`]).
//!
//! Every request of the plugin's API is a struct below, all *asynchronous* (an `ack`,
//! then an event): [`Generate`] (with our JSEP), [`Process`], [`Hangup`], [`Recording`],
//! [`Keyframe`] and the RTP forwarders ([`RtpForward`], [`StopRtpForward`],
//! [`ListForwarders`]; these last four not in Janus 1.1). Answers decode as [`Event`]; a plugin error
//! decodes as [`DecodeError::Plugin`], whose code [`ErrorCode`] names.
//!
//! ```
//! use janus_proto::plugin::{PluginEvent, PluginRequest, nosip};
//! use janus_proto::PluginData;
//! use serde_json::json;
//!
//! let process = nosip::Process::new(nosip::SdpType::Answer, "v=0\r\n");
//! assert_eq!(
//!     process.to_body().unwrap(),
//!     json!({"request": "process", "type": "answer", "sdp": "v=0\r\n"})
//! );
//!
//! let data = PluginData {
//!     plugin: nosip::PLUGIN.into(),
//!     data: json!({"nosip": "event", "result": {"event": "generated", "type": "offer",
//!                  "sdp": "v=0\r\n", "unique_id": "abc"}}),
//! };
//! let nosip::Event::Generated(g) = nosip::Event::decode(&data).unwrap() else {
//!     panic!("not generated")
//! };
//! assert_eq!((g.kind, g.unique_id.as_deref()), (nosip::SdpType::Offer, Some("abc")));
//!
//! let error = PluginData {
//!     plugin: nosip::PLUGIN.into(),
//!     data: json!({"nosip": "event", "error_code": 446, "error": "Missing SDP"}),
//! };
//! let e = nosip::Event::decode(&error).unwrap_err();
//! assert_eq!(nosip::ErrorCode::of(&e), Some(nosip::ErrorCode::MissingSdp));
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[cfg(doc)]
use super::PluginRequest;
use super::macros::{into_variants, wire_struct};
use super::{DecodeError, PluginEvent, decode_as};
use crate::error::PluginError;
use crate::msg::PluginData;

/// The plugin package.
pub const PLUGIN: &str = "janus.plugin.nosip";

/// Whether a barebone SDP is an offer or an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpType {
    /// An offer.
    Offer,
    /// An answer.
    Answer,
}

/// SDES-SRTP towards the plain-RTP peer (`srtp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Srtp {
    /// Offer SRTP, accept plain RTP.
    SdesOptional,
    /// Require SRTP.
    SdesMandatory,
}

// ---------------------------------------------------------------------------------------
// Requests (all asynchronous)
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `generate`, sent with our JSEP (offer or answer): the barebone SDP for the plain-RTP
    /// peer, with the plugin's RTP ports; answered by [`Event::Generated`].
    request Generate = "generate" {
        required {}
        optional {
            /// Opaque context of the application's, echoed to event handlers.
            info: String,
            /// SDES-SRTP towards the peer.
            srtp: Srtp,
            /// SRTP profile (`AES_CM_128_HMAC_SHA1_80`, `AES_CM_128_HMAC_SHA1_32`, ...).
            srtp_profile: String,
            /// A renegotiation of the session in progress.
            update: bool,
        }
    }
}

wire_struct! {
    /// `process`: the plain-RTP peer's barebone SDP; answered by [`Event::Processed`] with
    /// the JSEP for us (an answer to our offer starts the media).
    request Process = "process" {
        required {
            /// Offer or answer.
            #[serde(rename = "type")]
            kind: SdpType,
            /// The barebone SDP.
            sdp: String,
        }
        optional {
            /// Opaque context of the application's.
            info: String,
            /// SDES-SRTP towards the peer.
            srtp: Srtp,
            /// SRTP profile.
            srtp_profile: String,
            /// A renegotiation of the session in progress.
            update: bool,
        }
    }
}

wire_struct! {
    /// `hangup`: ends the session (Janus closes our connection); answered by
    /// [`Event::HangingUp`].
    request Hangup = "hangup" {
        required {}
        optional {}
    }
}

/// `start` or `stop` of [`Recording`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordingAction {
    /// Start recording.
    Start,
    /// Stop recording.
    Stop,
}

wire_struct! {
    /// `recording`: starts or stops recording the streams of either side; answered by
    /// [`Event::RecordingUpdated`].
    request Recording = "recording" {
        required {
            /// Start or stop.
            action: RecordingAction,
        }
        optional {
            /// Our audio.
            audio: bool,
            /// Our video.
            video: bool,
            /// The plain-RTP peer's audio.
            peer_audio: bool,
            /// The plain-RTP peer's video.
            peer_video: bool,
            /// Base path of the files (`-user-audio.mjr`, `-peer-video.mjr`, ... added).
            filename: String,
        }
    }
}

wire_struct! {
    /// `keyframe` (not in Janus 1.1): Janus sends a keyframe request (RTCP PLI) to us, to
    /// the peer, or both; answered by [`Event::KeyframeSent`].
    request Keyframe = "keyframe" {
        required {}
        optional {
            /// To us (the WebRTC user).
            user: bool,
            /// To the plain-RTP peer (when it negotiated PLI).
            peer: bool,
        }
    }
}

/// Which stream an RTP forwarder relays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ForwardedStream {
    /// Our audio.
    Audio,
    /// Our video.
    Video,
    /// The peer's audio.
    PeerAudio,
    /// The peer's video.
    PeerVideo,
}

wire_struct! {
    /// One forwarder of [`RtpForward`].
    object ForwardStream {
        required {
            /// Which stream.
            #[serde(rename = "type")]
            kind: ForwardedStream,
            /// Where to.
            host: String,
            /// Port there.
            port: u16,
        }
        optional {
            /// `ipv4` (default) or `ipv6`.
            host_family: String,
            /// SSRC to send with.
            ssrc: u32,
            /// Payload type to send with.
            pt: u8,
            /// SRTP tag length (32 or 80).
            srtp_suite: u8,
            /// SRTP key, base64 as in SDES.
            srtp_crypto: String,
        }
    }
}

wire_struct! {
    /// `rtp_forward` (not in Janus 1.1): relays streams of the call to other hosts;
    /// answered by [`Event::RtpForward`].
    request RtpForward = "rtp_forward" {
        required {
            /// The forwarders to add.
            streams: Vec<ForwardStream>,
        }
        optional {}
    }
}

wire_struct! {
    /// `stop_rtp_forward` (not in Janus 1.1); answered by [`Event::StopRtpForward`].
    request StopRtpForward = "stop_rtp_forward" {
        required {
            /// The forwarder.
            stream_id: u32,
        }
        optional {}
    }
}

wire_struct! {
    /// `listforwarders` (not in Janus 1.1); answered by [`Event::Forwarders`].
    request ListForwarders = "listforwarders" {
        required {}
        optional {}
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// The NoSIP's own error codes (`error_code` in its answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 499: an error the plugin did not classify.
    UnknownError,
    /// 440: no message.
    NoMessage,
    /// 441: the message is not valid JSON.
    InvalidJson,
    /// 442: unknown or malformed request.
    InvalidRequest,
    /// 443: a required element is missing.
    MissingElement,
    /// 444: an element has the wrong type or value.
    InvalidElement,
    /// 445: not possible in this state.
    WrongState,
    /// 446: no SDP where one is needed (or one that does not parse, or data channels).
    MissingSdp,
    /// 447: the SDP is not usable (no audio or video, no address).
    InvalidSdp,
    /// 448: ports or files could not be opened.
    IoError,
    /// 449: a recording could not be started.
    RecordingError,
    /// 450: SRTP required but not offered.
    TooStrict,
    /// 451: no such forwarder (not in Janus 1.1).
    NoSuchStream,
    /// Any other number.
    Unknown(u16),
}

impl ErrorCode {
    /// The code for a number.
    pub fn from_code(code: u16) -> Self {
        match code {
            499 => Self::UnknownError,
            440 => Self::NoMessage,
            441 => Self::InvalidJson,
            442 => Self::InvalidRequest,
            443 => Self::MissingElement,
            444 => Self::InvalidElement,
            445 => Self::WrongState,
            446 => Self::MissingSdp,
            447 => Self::InvalidSdp,
            448 => Self::IoError,
            449 => Self::RecordingError,
            450 => Self::TooStrict,
            451 => Self::NoSuchStream,
            n => Self::Unknown(n),
        }
    }

    /// The number on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::UnknownError => 499,
            Self::NoMessage => 440,
            Self::InvalidJson => 441,
            Self::InvalidRequest => 442,
            Self::MissingElement => 443,
            Self::InvalidElement => 444,
            Self::WrongState => 445,
            Self::MissingSdp => 446,
            Self::InvalidSdp => 447,
            Self::IoError => 448,
            Self::RecordingError => 449,
            Self::TooStrict => 450,
            Self::NoSuchStream => 451,
            Self::Unknown(n) => n,
        }
    }

    /// The NoSIP code of a decode failure, when it was a plugin error.
    pub fn of(error: &DecodeError) -> Option<Self> {
        match error {
            DecodeError::Plugin(e) => Some(e.into()),
            _ => None,
        }
    }
}

impl From<&PluginError> for ErrorCode {
    fn from(e: &PluginError) -> Self {
        Self::from_code(e.code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code())
    }
}

// ---------------------------------------------------------------------------------------
// Answers and events
// ---------------------------------------------------------------------------------------

/// Other keys of an answer, kept as sent (a newer Janus adds some).
pub type Extra = Map<String, Value>;

/// `generated`: the barebone SDP for the plain-RTP peer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Generated {
    /// Offer (we offered) or answer (we answered the peer's offer).
    #[serde(rename = "type")]
    pub kind: SdpType,
    /// The SDP to give the peer: the plugin's address and RTP ports.
    pub sdp: String,
    /// The plugin's id of this session (not in Janus 1.1).
    pub unique_id: Option<String>,
    /// It renegotiated the session.
    pub update: Option<bool>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `processed`: the peer's SDP was taken; the JSEP for us comes with it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Processed {
    /// The SRTP the peer's SDP asked for, if any.
    pub srtp: Option<Srtp>,
    /// The plugin's id of this session (not in Janus 1.1).
    pub unique_id: Option<String>,
    /// It renegotiated the session.
    pub update: Option<bool>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An RTP forwarder, in [`Event::RtpForward`] and [`Event::Forwarders`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Forwarder {
    /// Its id (for [`StopRtpForward`]).
    pub stream_id: Option<u32>,
    /// Which stream.
    #[serde(rename = "type")]
    pub kind: Option<ForwardedStream>,
    /// Where to.
    pub host: Option<String>,
    /// Port there.
    pub port: Option<u16>,
    /// `audio` or `video`.
    pub media: Option<String>,
    /// SSRC it sends with.
    pub ssrc: Option<u32>,
    /// Payload type it sends with.
    pub pt: Option<u8>,
    /// Encrypted.
    pub srtp: Option<bool>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A `result` with nothing more to say than its name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Done {
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// What the NoSIP says.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The answer to [`Generate`].
    Generated(Generated),
    /// The answer to [`Process`].
    Processed(Processed),
    /// The answer to [`Hangup`].
    HangingUp(Done),
    /// The answer to [`Recording`].
    RecordingUpdated(Done),
    /// The answer to [`Keyframe`].
    KeyframeSent(Done),
    /// The answer to [`RtpForward`]: the forwarders added.
    RtpForward(Vec<Forwarder>),
    /// The answer to [`StopRtpForward`].
    StopRtpForward {
        /// The forwarder stopped.
        stream_id: Option<u32>,
    },
    /// The answer to [`ListForwarders`].
    Forwarders(Vec<Forwarder>),
    /// Anything this crate does not know, as sent.
    Other(Value),
}

fn shape(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Shape(e.to_string())
}

fn parse<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, DecodeError> {
    T::deserialize(value.clone()).map_err(shape)
}

impl PluginEvent for Event {
    fn decode(data: &PluginData) -> Result<Self, DecodeError> {
        let raw: Value = decode_as(data, PLUGIN)?;
        let Some(Value::Object(result)) = raw.get("result") else {
            return Ok(Self::Other(raw));
        };
        let mut m = result.clone();
        let Some(Value::String(kind)) = m.remove("event") else {
            return Ok(Self::Other(raw));
        };
        let rest = Value::Object(m);
        // `rtp_forward` names them `forwarders`, `listforwarders` `rtp_forwarders` (1.4.1).
        let forwarders = || {
            let list = rest
                .get("forwarders")
                .or_else(|| rest.get("rtp_forwarders"));
            parse(list.unwrap_or(&Value::Array(vec![])))
        };
        Ok(match kind.as_str() {
            "generated" => Self::Generated(parse(&rest)?),
            "processed" => Self::Processed(parse(&rest)?),
            "hangingup" => Self::HangingUp(parse(&rest)?),
            "recordingupdated" => Self::RecordingUpdated(parse(&rest)?),
            "keyframesent" => Self::KeyframeSent(parse(&rest)?),
            "rtp_forward" => Self::RtpForward(forwarders()?),
            "stop_rtp_forward" => Self::StopRtpForward {
                stream_id: parse(rest.get("stream_id").unwrap_or(&Value::Null))?,
            },
            "forwarders" => Self::Forwarders(forwarders()?),
            _ => Self::Other(raw),
        })
    }
}

into_variants! {
    /// The answer to [`Generate`], or the event back (boxed).
    into_generated => Generated(Generated);
    /// The answer to [`Process`], or the event back.
    into_processed => Processed(Processed);
    /// The answer to [`Hangup`], or the event back.
    into_hanging_up => HangingUp(Done);
    /// The answer to [`Recording`], or the event back.
    into_recording_updated => RecordingUpdated(Done);
    /// The answer to [`Keyframe`], or the event back.
    into_keyframe_sent => KeyframeSent(Done);
    /// The answer to [`RtpForward`], or the event back.
    into_rtp_forward => RtpForward(Vec<Forwarder>);
    /// The answer to [`ListForwarders`], or the event back.
    into_forwarders => Forwarders(Vec<Forwarder>);
}
