//! VoiceMail (`janus.plugin.voicemail`): records up to 10 seconds of Opus audio from us
//! into an Ogg file and says where it is. Debian's Janus 1.1.2 has it;
//! 1.4.1 ships no VoiceMail plugin.
//!
//! The plugin's requests (Janus 1.1) are [`Record`] (with our JSEP offer), [`Update`] (a
//! renegotiation) and [`Stop`], all *asynchronous* (an `ack`, then an event). Answers and
//! the plugin's own events ([`Event::Started`] once our connection is up, [`Event::Done`]
//! with the file) decode as [`Event`]; a plugin error decodes as [`DecodeError::Plugin`],
//! whose code [`ErrorCode`] names. After `done` the plugin ends the handle (`detached`).
//!
//! ```
//! use janus_proto::plugin::{PluginEvent, voicemail};
//! use janus_proto::PluginData;
//! use serde_json::json;
//!
//! let data = PluginData {
//!     plugin: voicemail::PLUGIN.into(),
//!     data: json!({"voicemail": "event", "status": "done",
//!                  "recording": "/voicemail//janus-voicemail-42.opus"}),
//! };
//! let voicemail::Event::Done(done) = voicemail::Event::decode(&data).unwrap() else {
//!     panic!("not done")
//! };
//! assert_eq!(done.file_name(), Some("janus-voicemail-42.opus"));
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
pub const PLUGIN: &str = "janus.plugin.voicemail";

wire_struct! {
    /// `record`, sent with our JSEP offer (Opus audio; video is declined): starts a
    /// message; answered by [`Event::Starting`] with the plugin's JSEP answer.
    request Record = "record" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `update`, sent with a new offer: renegotiates (e.g. an ICE restart) while
    /// recording; answered by [`Event::Updating`].
    request Update = "update" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `stop`: ends the message before its 10 seconds; answered by [`Event::Done`], after
    /// which the plugin ends the handle.
    request Stop = "stop" {
        required {}
        optional {}
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// The VoiceMail's own error codes (`error_code` in its answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 499: an error the plugin did not classify.
    UnknownError,
    /// 460: no message.
    NoMessage,
    /// 461: the message is not valid JSON.
    InvalidJson,
    /// 462: unknown request.
    InvalidRequest,
    /// 463: a required element is missing.
    MissingElement,
    /// 464: an element has the wrong type or value (or end-to-end encryption).
    InvalidElement,
    /// 465: a message is being recorded already.
    AlreadyRecording,
    /// 466: the file could not be opened.
    IoError,
    /// 467: the Ogg stream could not be set up.
    LiboggError,
    /// 468: not recording (an `update` too early or too late).
    InvalidState,
    /// Any other number.
    Unknown(u16),
}

impl ErrorCode {
    /// The code for a number.
    pub fn from_code(code: u16) -> Self {
        match code {
            499 => Self::UnknownError,
            460 => Self::NoMessage,
            461 => Self::InvalidJson,
            462 => Self::InvalidRequest,
            463 => Self::MissingElement,
            464 => Self::InvalidElement,
            465 => Self::AlreadyRecording,
            466 => Self::IoError,
            467 => Self::LiboggError,
            468 => Self::InvalidState,
            n => Self::Unknown(n),
        }
    }

    /// The number on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::UnknownError => 499,
            Self::NoMessage => 460,
            Self::InvalidJson => 461,
            Self::InvalidRequest => 462,
            Self::MissingElement => 463,
            Self::InvalidElement => 464,
            Self::AlreadyRecording => 465,
            Self::IoError => 466,
            Self::LiboggError => 467,
            Self::InvalidState => 468,
            Self::Unknown(n) => n,
        }
    }

    /// The VoiceMail code of a decode failure, when it was a plugin error.
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

/// `done`: the message is recorded.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Done {
    /// Where it is, as the plugin's `base` path names it (a URL path for a web server
    /// serving the plugin's `path` folder), e.g. `/voicemail//janus-voicemail-42.opus`.
    pub recording: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Done {
    /// The file's name (its last path segment), which is the same in the plugin's `path`
    /// folder on the server.
    pub fn file_name(&self) -> Option<&str> {
        self.recording.as_deref()?.rsplit('/').next()
    }
}

/// What the VoiceMail says.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The answer to [`Record`] before our connection is up (the JSEP answer comes with it).
    Starting,
    /// Recording: our connection is up (the answer to [`Record`] when it already was).
    Started,
    /// The answer to [`Update`].
    Updating,
    /// The message is recorded (the answer to [`Stop`], or its 10 seconds are over).
    Done(Done),
    /// Anything this crate does not know, as sent.
    Other(Value),
}

impl PluginEvent for Event {
    fn decode(data: &PluginData) -> Result<Self, DecodeError> {
        let raw: Value = decode_as(data, PLUGIN)?;
        let status = raw.get("status").and_then(Value::as_str).unwrap_or("");
        Ok(match status {
            "starting" => Self::Starting,
            "started" => Self::Started,
            "updating" => Self::Updating,
            "done" => {
                let mut m = raw.as_object().cloned().unwrap_or_default();
                m.remove("voicemail");
                m.remove("status");
                Self::Done(
                    Done::deserialize(Value::Object(m))
                        .map_err(|e| DecodeError::Shape(e.to_string()))?,
                )
            }
            _ => Self::Other(raw),
        })
    }
}

into_variants! {
    /// The end of the message, or the event back (boxed).
    into_done => Done(Done);
}

impl Event {
    /// The answer to [`Record`] (`starting` or `started`), or the event back.
    pub fn into_recording(self) -> Result<(), Box<Self>> {
        match self {
            Self::Starting | Self::Started => Ok(()),
            other => Err(Box::new(other)),
        }
    }
}
