//! Record&Play (`janus.plugin.recordplay`): records what a peer sends into `.mjr` files,
//! and plays recordings back over WebRTC.
//!
//! Every request of the plugin's API (Janus 1.1 and 1.4) is a struct below. [`List`],
//! [`Update`] and [`Configure`] are *synchronous* (the `success` of the `message` carries
//! the answer); [`Record`] (with our offer), [`Play`] (Janus offers), [`Start`] (with our
//! answer), [`Pause`], [`Resume`] and [`Stop`] are *asynchronous* (an `ack`, then an event).
//! Answers and the plugin's own events decode as [`Event`]; a plugin error decodes as
//! [`DecodeError::Plugin`], whose code [`ErrorCode`] names.
//!
//! ```
//! use janus_proto::plugin::{PluginEvent, PluginRequest, recordplay};
//! use janus_proto::PluginData;
//! use serde_json::json;
//!
//! let record = recordplay::Record { id: Some(7), ..recordplay::Record::new("greeting") };
//! assert_eq!(
//!     record.to_body().unwrap(),
//!     json!({"request": "record", "name": "greeting", "id": 7})
//! );
//!
//! let data = PluginData {
//!     plugin: recordplay::PLUGIN.into(),
//!     data: json!({"recordplay": "event", "result": {"status": "recording", "id": 7, "is_private": false}}),
//! };
//! let recordplay::Event::Recording(r) = recordplay::Event::decode(&data).unwrap() else {
//!     panic!("not recording")
//! };
//! assert_eq!((r.id, r.is_private), (Some(7), Some(false)));
//!
//! let error = PluginData {
//!     plugin: recordplay::PLUGIN.into(),
//!     data: json!({"recordplay": "event", "error_code": 416, "error": "No such recording"}),
//! };
//! let e = recordplay::Event::decode(&error).unwrap_err();
//! assert_eq!(recordplay::ErrorCode::of(&e), Some(recordplay::ErrorCode::NotFound));
//! ```

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

#[cfg(doc)]
use super::PluginRequest;
use super::macros::{into_variants, wire_struct};
use super::{DecodeError, PluginEvent, decode_as};
use crate::error::PluginError;
use crate::msg::PluginData;

/// The plugin package.
pub const PLUGIN: &str = "janus.plugin.recordplay";

// ---------------------------------------------------------------------------------------
// Synchronous requests
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `list` (synchronous): the finished recordings, private ones only with the
    /// `admin_key`; answered by [`Event::List`].
    request List = "list" {
        required {}
        optional {
            /// The plugin's admin key, to list private recordings too.
            admin_key: String,
        }
    }
}

wire_struct! {
    /// `update` (synchronous): rescans the recordings folder (for files added by hand);
    /// answered by [`Event::Ok`].
    request Update = "update" {
        required {}
        optional {
            /// The plugin's admin key (required when it has one).
            admin_key: String,
        }
    }
}

wire_struct! {
    /// `configure` (synchronous): settings of the recording in progress; answered by
    /// [`Event::Configured`] with the settings now.
    request Configure = "configure" {
        required {}
        optional {
            /// Video bitrate cap forced on the recorded peer (REMB), bits per second.
            #[serde(rename = "video-bitrate-max")]
            video_bitrate_max: u64,
            /// Seconds between the keyframe requests (PLI) the plugin sends the peer.
            #[serde(rename = "video-keyframe-interval")]
            video_keyframe_interval: u64,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Asynchronous requests
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `record`, sent with our JSEP offer: records what we send; answered by
    /// [`Event::Recording`] with the plugin's JSEP answer.
    request Record = "record" {
        required {
            /// The recording's name (not empty).
            name: String,
        }
        optional {
            /// The recording's id; the plugin picks one when unset.
            id: u64,
            /// Leave it out of `list`.
            is_private: bool,
            /// Base path of the files (media type and extension added).
            filename: String,
            /// Audio codec to prefer (e.g. `opus`).
            audiocodec: String,
            /// Video codec to prefer (e.g. `vp8`).
            videocodec: String,
            /// Video profile (VP9 `2`, H.264 `42e01f`, ...).
            videoprofile: String,
            /// Negotiate RED for audio when offered.
            opusred: bool,
            /// Data channels are recorded as text (default) or binary.
            textdata: bool,
            /// Renegotiation of the recording in progress (a new offer).
            update: bool,
        }
    }
}

wire_struct! {
    /// `play`: prepares the playout of a recording; answered by [`Event::Preparing`] with
    /// Janus's JSEP offer (answer it with [`Start`]).
    request Play = "play" {
        required {
            /// The recording.
            id: u64,
        }
        optional {
            /// Restart ICE: Janus offers again ([`Event::Restarting`]).
            restart: bool,
        }
    }
}

wire_struct! {
    /// `start`, sent with our JSEP answer: starts the playout; answered by
    /// [`Event::Playing`].
    request Start = "start" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `pause`: stops writing what arrives (the recording has no gap); answered by
    /// [`Event::Paused`].
    request Pause = "pause" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `resume`: writes again after [`Pause`]; answered by [`Event::Resumed`].
    request Resume = "resume" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `stop`: ends the recording or the playout (Janus closes the connection);
    /// answered by [`Event::Stopped`], then [`Event::Done`] when the connection is gone.
    request Stop = "stop" {
        required {}
        optional {}
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// The Record&Play's own error codes (`error_code` in its answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 499: an error the plugin did not classify.
    UnknownError,
    /// 411: no message.
    NoMessage,
    /// 412: the message is not valid JSON.
    InvalidJson,
    /// 413: unknown or malformed request.
    InvalidRequest,
    /// 414: an element has the wrong type or value.
    InvalidElement,
    /// 415: a required element is missing.
    MissingElement,
    /// 416: no such recording.
    NotFound,
    /// 417: the recording's files cannot be played.
    InvalidRecording,
    /// 418: not possible now (e.g. `start` before `play`, a second `record`).
    InvalidState,
    /// 419: the SDP is not valid (or missing).
    InvalidSdp,
    /// 420: a recording with that id exists.
    RecordingExists,
    /// 440: wrong or missing admin key.
    Unauthorized,
    /// Any other number.
    Unknown(u16),
}

impl ErrorCode {
    /// The code for a number.
    pub fn from_code(code: u16) -> Self {
        match code {
            499 => Self::UnknownError,
            411 => Self::NoMessage,
            412 => Self::InvalidJson,
            413 => Self::InvalidRequest,
            414 => Self::InvalidElement,
            415 => Self::MissingElement,
            416 => Self::NotFound,
            417 => Self::InvalidRecording,
            418 => Self::InvalidState,
            419 => Self::InvalidSdp,
            420 => Self::RecordingExists,
            440 => Self::Unauthorized,
            n => Self::Unknown(n),
        }
    }

    /// The number on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::UnknownError => 499,
            Self::NoMessage => 411,
            Self::InvalidJson => 412,
            Self::InvalidRequest => 413,
            Self::InvalidElement => 414,
            Self::MissingElement => 415,
            Self::NotFound => 416,
            Self::InvalidRecording => 417,
            Self::InvalidState => 418,
            Self::InvalidSdp => 419,
            Self::RecordingExists => 420,
            Self::Unauthorized => 440,
            Self::Unknown(n) => n,
        }
    }

    /// The Record&Play code of a decode failure, when it was a plugin error.
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

/// A flag Janus sends as a JSON boolean in some answers and as an integer in others
/// (`is_private` of `stopped` and `done` is `0`/`1`).
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
    }
    Ok(Option::<Flag>::deserialize(d)?.map(|f| match f {
        Flag::Bool(b) => b,
        Flag::Int(n) => n != 0,
    }))
}

/// One recording of [`Event::List`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RecordingInfo {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: Option<String>,
    /// When it was made (`YYYY-MM-DD HH:MM:SS`, the server's local time).
    pub date: Option<String>,
    /// Private (listed only with the admin key).
    #[serde(default, deserialize_with = "flag")]
    pub is_private: Option<bool>,
    /// It has audio.
    #[serde(default, deserialize_with = "flag")]
    pub audio: Option<bool>,
    /// It has video.
    #[serde(default, deserialize_with = "flag")]
    pub video: Option<bool>,
    /// It has data.
    #[serde(default, deserialize_with = "flag")]
    pub data: Option<bool>,
    /// Audio codec.
    pub audio_codec: Option<String>,
    /// Video codec.
    pub video_codec: Option<String>,
    /// Audio has RED.
    pub audio_red: Option<bool>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `result` of an asynchronous answer or event: a status and the recording it is about.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Status {
    /// The recording, when given.
    pub id: Option<u64>,
    /// Whether it is private, when given.
    #[serde(default, deserialize_with = "flag")]
    pub is_private: Option<bool>,
    /// A warning (e.g. about a codec of the recording).
    pub warning: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The settings of [`Event::Configured`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Settings {
    /// Video bitrate cap, bits per second.
    #[serde(rename = "video-bitrate-max")]
    pub video_bitrate_max: Option<u64>,
    /// Seconds between keyframe requests.
    #[serde(rename = "video-keyframe-interval")]
    pub video_keyframe_interval: Option<u64>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `slow_link`: Janus saw heavy losses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SlowLink {
    /// `audio` or `video`.
    pub media: Option<String>,
    /// The bitrate cap now, bits per second.
    #[serde(rename = "current-bitrate")]
    pub current_bitrate: Option<u64>,
    /// 1 when the losses are on what Janus receives, 0 on what it sends.
    pub uplink: Option<u8>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// What the Record&Play says: answers to requests and events of its own.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The answer to [`List`].
    List(Vec<RecordingInfo>),
    /// The answer to [`Update`].
    Ok,
    /// The answer to [`Configure`]: the settings now.
    Configured(Settings),
    /// The answer to [`Record`] (the JSEP answer comes with it).
    Recording(Status),
    /// The answer to [`Pause`].
    Paused(Status),
    /// The answer to [`Resume`].
    Resumed(Status),
    /// The answer to [`Play`] (Janus's JSEP offer comes with it).
    Preparing(Status),
    /// The answer to [`Play`] with `restart` (a new offer comes with it).
    Restarting(Status),
    /// The answer to [`Start`]: the playout runs.
    Playing(Status),
    /// The answer to [`Stop`].
    Stopped(Status),
    /// The recording or playout is over (the connection is gone; a playout also ends so
    /// when the recording does).
    Done(Status),
    /// Heavy losses.
    SlowLink(SlowLink),
    /// Anything this crate does not know, as sent.
    Other(Value),
}

fn shape(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Shape(e.to_string())
}

fn parse<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, DecodeError> {
    T::deserialize(value.clone()).map_err(shape)
}

impl Event {
    fn from_result(result: &Map<String, Value>, raw: &Value) -> Result<Self, DecodeError> {
        let status = result.get("status").and_then(Value::as_str).unwrap_or("");
        let mut rest = result.clone();
        rest.remove("status");
        let rest = Value::Object(rest);
        Ok(match status {
            "recording" => Self::Recording(parse(&rest)?),
            "paused" => Self::Paused(parse(&rest)?),
            "resumed" => Self::Resumed(parse(&rest)?),
            "preparing" => Self::Preparing(parse(&rest)?),
            "restarting" => Self::Restarting(parse(&rest)?),
            "playing" => Self::Playing(parse(&rest)?),
            "stopped" => Self::Stopped(parse(&rest)?),
            "done" => Self::Done(parse(&rest)?),
            "slow_link" => Self::SlowLink(parse(&rest)?),
            _ => Self::Other(raw.clone()),
        })
    }
}

impl PluginEvent for Event {
    fn decode(data: &PluginData) -> Result<Self, DecodeError> {
        let raw: Value = decode_as(data, PLUGIN)?;
        let kind = raw.get("recordplay").and_then(Value::as_str).unwrap_or("");
        Ok(match kind {
            "list" => Self::List(parse(raw.get("list").unwrap_or(&Value::Null))?),
            "ok" => Self::Ok,
            "configure" => Self::Configured(parse(raw.get("settings").unwrap_or(&Value::Null))?),
            "event" => match raw.get("result") {
                Some(Value::Object(result)) => Self::from_result(result, &raw)?,
                // Janus 1.1 says `done` as a bare string: `"result": "done"`.
                Some(Value::String(status)) => {
                    let mut result = Map::new();
                    result.insert("status".into(), Value::String(status.clone()));
                    Self::from_result(&result, &raw)?
                }
                _ => Self::Other(raw),
            },
            _ => Self::Other(raw),
        })
    }
}

// ---------------------------------------------------------------------------------------
// The answers the workflows expect (for `plugin::expect`)
// ---------------------------------------------------------------------------------------

into_variants! {
    /// The answer to [`List`], or the event back (boxed).
    into_list => List(Vec<RecordingInfo>);
    /// The answer to [`Configure`], or the event back.
    into_configured => Configured(Settings);
    /// The answer to [`Record`], or the event back.
    into_recording => Recording(Status);
    /// The answer to [`Pause`], or the event back.
    into_paused => Paused(Status);
    /// The answer to [`Resume`], or the event back.
    into_resumed => Resumed(Status);
    /// The answer to [`Play`], or the event back.
    into_preparing => Preparing(Status);
    /// The answer to [`Play`] with `restart`, or the event back.
    into_restarting => Restarting(Status);
    /// The answer to [`Start`], or the event back.
    into_playing => Playing(Status);
    /// The answer to [`Stop`], or the event back.
    into_stopped => Stopped(Status);
    /// The end of a recording or playout, or the event back.
    into_done => Done(Status);
}

impl Event {
    /// The answer to [`Update`], or the event back.
    pub fn into_ok(self) -> Result<(), Box<Self>> {
        match self {
            Self::Ok => Ok(()),
            other => Err(Box::new(other)),
        }
    }
}
