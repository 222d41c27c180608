//! VideoCall (`janus.plugin.videocall`): two peers call each other by user name, their
//! media relayed through Janus.
//!
//! Every request of the plugin's API (Janus 1.1 and 1.4 alike) is a struct below: [`List`],
//! [`Register`], [`Call`] (with our offer), [`Accept`] (with our answer), [`Set`] and
//! [`Hangup`]. All are *asynchronous*: an `ack`, then an event with the same transaction.
//! Those answers, and the events the plugin sends on its own ([`Event::IncomingCall`] with
//! the caller's offer, [`Event::Accepted`] with the callee's answer, [`Event::Update`],
//! [`Event::Hangup`], ...), decode as [`Event`]. A plugin error decodes as
//! [`DecodeError::Plugin`], whose code [`ErrorCode`] names.
//!
//! ```
//! use janus_proto::plugin::{PluginEvent, PluginRequest, videocall};
//! use janus_proto::PluginData;
//! use serde_json::json;
//!
//! let call = videocall::Call::new("bob");
//! assert_eq!(call.to_body().unwrap(), json!({"request": "call", "username": "bob"}));
//!
//! let data = PluginData {
//!     plugin: videocall::PLUGIN.into(),
//!     data: json!({"videocall": "event", "result": {"event": "incomingcall", "username": "alice"}}),
//! };
//! let videocall::Event::IncomingCall(peer) = videocall::Event::decode(&data).unwrap() else {
//!     panic!("not a call")
//! };
//! assert_eq!(peer.username.as_deref(), Some("alice"));
//!
//! let error = PluginData {
//!     plugin: videocall::PLUGIN.into(),
//!     data: json!({"videocall": "event", "error_code": 478, "error": "Username 'carol' doesn't exist"}),
//! };
//! let e = videocall::Event::decode(&error).unwrap_err();
//! assert_eq!(videocall::ErrorCode::of(&e), Some(videocall::ErrorCode::NoSuchUsername));
//! ```

use serde::Deserialize;
use serde_json::{Map, Value};

#[cfg(doc)]
use super::PluginRequest;
use super::macros::{into_variants, wire_struct};
use super::{DecodeError, PluginEvent, decode_as};
use crate::error::PluginError;
use crate::msg::PluginData;

/// The plugin package.
pub const PLUGIN: &str = "janus.plugin.videocall";

// ---------------------------------------------------------------------------------------
// Requests (all asynchronous)
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `list`: the registered user names; answered by [`Event::List`].
    request List = "list" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `register`: takes a user name others can call (first come, first served; the handle
    /// keeps it until it is detached); answered by [`Event::Registered`].
    request Register = "register" {
        required {
            /// The name to take.
            username: String,
        }
        optional {}
    }
}

wire_struct! {
    /// `call`, sent with our JSEP offer: calls a registered user; answered by
    /// [`Event::Calling`]; the callee's answer comes later in [`Event::Accepted`].
    request Call = "call" {
        required {
            /// Whom to call.
            username: String,
        }
        optional {}
    }
}

wire_struct! {
    /// `accept`, sent with our JSEP answer to the [`Event::IncomingCall`] offer; answered by
    /// [`Event::Accepted`] (the caller gets one too, with our answer).
    request Accept = "accept" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `set`: changes what the plugin relays from us, caps our bitrate, records us; with a
    /// JSEP it renegotiates (the peer gets [`Event::Update`]). Answered by [`Event::Set`].
    request Set = "set" {
        required {}
        optional {
            /// Relay our audio to the peer.
            audio: bool,
            /// Relay our video to the peer.
            video: bool,
            /// Cap on our video bitrate (REMB), bits per second; 0 lifts it.
            bitrate: u64,
            /// Record our media (only ours: the peer records its own).
            record: bool,
            /// Base path of the recordings (`-audio.mjr`, `-video.mjr`, `-data.mjr` added).
            filename: String,
            /// Simulcast: the substream (0-2) to receive from the peer.
            substream: u8,
            /// Simulcast: the temporal layers (0-2) to receive from the peer.
            temporal: u8,
            /// Simulcast: microseconds without packets before dropping a substream.
            fallback: u64,
            /// The JSEP sent with it restarts ICE.
            restart: bool,
        }
    }
}

wire_struct! {
    /// `hangup`: ends the call, cancels ours or declines one; answered by
    /// [`Event::Hangup`], and the peer gets one too.
    request Hangup = "hangup" {
        required {}
        optional {
            /// Why (Janus 1.4 reads it but reports `Explicit hangup` anyway).
            reason: String,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// The VideoCall's own error codes (`error_code` in its answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 499: an error the plugin did not classify.
    UnknownError,
    /// 470: no message.
    NoMessage,
    /// 471: the message is not valid JSON.
    InvalidJson,
    /// 472: unknown or malformed request.
    InvalidRequest,
    /// 473: the handle must `register` first.
    RegisterFirst,
    /// 474: an element has the wrong type or value.
    InvalidElement,
    /// 475: a required element is missing.
    MissingElement,
    /// 476: the user name is taken.
    UsernameTaken,
    /// 477: this handle registered a name already.
    AlreadyRegistered,
    /// 478: nobody registered that name.
    NoSuchUsername,
    /// 479: calling oneself (use the EchoTest).
    UseEchoTest,
    /// 480: in a call already (us, or the callee).
    AlreadyInCall,
    /// 481: no call to accept.
    NoCall,
    /// 482: the request needs a JSEP.
    MissingSdp,
    /// 483: the SDP is not valid.
    InvalidSdp,
    /// Any other number.
    Unknown(u16),
}

impl ErrorCode {
    /// The code for a number.
    pub fn from_code(code: u16) -> Self {
        match code {
            499 => Self::UnknownError,
            470 => Self::NoMessage,
            471 => Self::InvalidJson,
            472 => Self::InvalidRequest,
            473 => Self::RegisterFirst,
            474 => Self::InvalidElement,
            475 => Self::MissingElement,
            476 => Self::UsernameTaken,
            477 => Self::AlreadyRegistered,
            478 => Self::NoSuchUsername,
            479 => Self::UseEchoTest,
            480 => Self::AlreadyInCall,
            481 => Self::NoCall,
            482 => Self::MissingSdp,
            483 => Self::InvalidSdp,
            n => Self::Unknown(n),
        }
    }

    /// The number on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::UnknownError => 499,
            Self::NoMessage => 470,
            Self::InvalidJson => 471,
            Self::InvalidRequest => 472,
            Self::RegisterFirst => 473,
            Self::InvalidElement => 474,
            Self::MissingElement => 475,
            Self::UsernameTaken => 476,
            Self::AlreadyRegistered => 477,
            Self::NoSuchUsername => 478,
            Self::UseEchoTest => 479,
            Self::AlreadyInCall => 480,
            Self::NoCall => 481,
            Self::MissingSdp => 482,
            Self::InvalidSdp => 483,
            Self::Unknown(n) => n,
        }
    }

    /// The VideoCall code of a decode failure, when it was a plugin error.
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

/// A `result` that names a user: who registered, who calls, who accepted, ...
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Peer {
    /// The user name, when the plugin gives one (the answers to our own `call` and
    /// `accept` carry none).
    pub username: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `hangup`: the call ended (our [`Hangup`], the peer's, or a connection that closed).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HungUp {
    /// Who hung up.
    pub username: Option<String>,
    /// Why (`Explicit hangup`, `Remote WebRTC hangup`, `User busy`, ...).
    pub reason: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `simulcast`: the substream or temporal layer relayed to us changed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Simulcast {
    /// The video codec.
    pub videocodec: Option<String>,
    /// The substream relayed now.
    pub substream: Option<u8>,
    /// The temporal layer relayed now.
    pub temporal: Option<u8>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `slow_link`: Janus saw heavy losses on our connection.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SlowLink {
    /// `audio` or `video`.
    pub media: Option<String>,
    /// Our bitrate cap now, bits per second (video).
    #[serde(rename = "current-bitrate")]
    pub current_bitrate: Option<u64>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// What the VideoCall says: answers to requests and events of its own.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The answer to [`List`]: the registered user names.
    List(Vec<String>),
    /// The answer to [`Register`].
    Registered(Peer),
    /// The answer to [`Call`]: the callee is being told.
    Calling(Peer),
    /// Someone calls us; the JSEP offer comes with it (answer it with [`Accept`]).
    IncomingCall(Peer),
    /// The call was accepted: our answer to [`Accept`], or, to the caller, the callee's
    /// acceptance with its JSEP answer.
    Accepted(Peer),
    /// The answer to [`Set`].
    Set(Peer),
    /// The peer renegotiated; its JSEP (offer or answer) comes with it.
    Update(Peer),
    /// The call ended.
    Hangup(HungUp),
    /// Simulcast layer change.
    Simulcast(Simulcast),
    /// Heavy losses.
    SlowLink(SlowLink),
    /// Anything this crate does not know, as sent.
    Other(Value),
}

fn shape(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Shape(e.to_string())
}

fn parse<T: serde::de::DeserializeOwned>(map: &Map<String, Value>) -> Result<T, DecodeError> {
    T::deserialize(Value::Object(map.clone())).map_err(shape)
}

impl PluginEvent for Event {
    fn decode(data: &PluginData) -> Result<Self, DecodeError> {
        let raw: Value = decode_as(data, PLUGIN)?;
        let Some(Value::Object(result)) = raw.get("result") else {
            return Ok(Self::Other(raw));
        };
        let mut m = result.clone();
        let Some(Value::String(kind)) = m.remove("event") else {
            return match m.get("list") {
                Some(list) => Ok(Self::List(
                    Vec::<String>::deserialize(list.clone()).map_err(shape)?,
                )),
                None => Ok(Self::Other(raw)),
            };
        };
        Ok(match kind.as_str() {
            "registered" => Self::Registered(parse(&m)?),
            "calling" => Self::Calling(parse(&m)?),
            "incomingcall" => Self::IncomingCall(parse(&m)?),
            "accepted" => Self::Accepted(parse(&m)?),
            "set" => Self::Set(parse(&m)?),
            "update" => Self::Update(parse(&m)?),
            "hangup" => Self::Hangup(parse(&m)?),
            "simulcast" => Self::Simulcast(parse(&m)?),
            "slow_link" => Self::SlowLink(parse(&m)?),
            _ => Self::Other(raw),
        })
    }
}

// ---------------------------------------------------------------------------------------
// The answers the workflows expect (for `plugin::expect`)
// ---------------------------------------------------------------------------------------

into_variants! {
    /// The answer to [`List`], or the event back (boxed).
    into_list => List(Vec<String>);
    /// The answer to [`Register`], or the event back.
    into_registered => Registered(Peer);
    /// The answer to [`Call`], or the event back.
    into_calling => Calling(Peer);
    /// An incoming call, or the event back.
    into_incoming_call => IncomingCall(Peer);
    /// The answer to [`Accept`] (or the caller's news of it), or the event back.
    into_accepted => Accepted(Peer);
    /// The answer to [`Set`], or the event back.
    into_set => Set(Peer);
    /// The peer's renegotiation, or the event back.
    into_update => Update(Peer);
    /// The answer to [`Hangup`] (or news of the peer's), or the event back.
    into_hangup => Hangup(HungUp);
}
