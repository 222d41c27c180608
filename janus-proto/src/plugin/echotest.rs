//! EchoTest (`janus.plugin.echotest`): Janus sends back what it receives.
//!
//! ```
//! use janus_proto::plugin::{PluginEvent, PluginRequest, echotest};
//! use janus_proto::PluginData;
//!
//! let body = echotest::Configure { audio: Some(true), video: Some(true), ..Default::default() }.to_body().unwrap();
//! assert_eq!(body, serde_json::json!({"audio": true, "video": true}));
//!
//! let data = PluginData {
//!     plugin: echotest::PLUGIN.into(),
//!     data: serde_json::json!({"echotest": "event", "result": "ok"}),
//! };
//! assert_eq!(echotest::Event::decode(&data), Ok(echotest::Event::Result(echotest::Outcome::Ok)));
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{DecodeError, PluginEvent, PluginRequest, decode_as};
use crate::msg::PluginData;

/// The plugin package.
pub const PLUGIN: &str = "janus.plugin.echotest";

/// The EchoTest's one request: what to echo and how. Every field is optional; send it with
/// the offer to start, and again at any time to change settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Configure {
    /// Echo audio back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<bool>,
    /// Echo video back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<bool>,
    /// Echo data-channel messages back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<bool>,
    /// Cap the video bitrate Janus asks us for (REMB), bits per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bitrate: Option<u32>,
    /// Record the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<bool>,
    /// Base name of the recording.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Simulcast: the substream to send back (0-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substream: Option<u8>,
    /// Simulcast: the temporal layer to send back (0-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal: Option<u8>,
    /// Preferred video codec for the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub videocodec: Option<String>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PluginRequest for Configure {
    const PLUGIN: &'static str = PLUGIN;
}

/// The outcome the EchoTest reports in `result`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The request was applied.
    Ok,
    /// The PeerConnection is gone (after a hangup).
    Done,
    /// Anything else, as sent.
    Other(String),
}

/// What the EchoTest says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// `{"echotest":"event","result":..}`.
    Result(Outcome),
    /// Simulcast layer change: `{"echotest":"event","substream":..,"temporal":..}`.
    Simulcast {
        /// The substream now relayed.
        substream: Option<u8>,
        /// The temporal layer now relayed.
        temporal: Option<u8>,
    },
}

#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    substream: Option<u8>,
    #[serde(default)]
    temporal: Option<u8>,
}

impl PluginEvent for Event {
    fn decode(data: &PluginData) -> Result<Self, DecodeError> {
        let w: Wire = decode_as(data, PLUGIN)?;
        match (w.result, w.substream, w.temporal) {
            (Some(Value::String(r)), _, _) => Ok(Self::Result(match r.as_str() {
                "ok" => Outcome::Ok,
                "done" => Outcome::Done,
                _ => Outcome::Other(r),
            })),
            (Some(other), _, _) => Ok(Self::Result(Outcome::Other(other.to_string()))),
            (None, substream, temporal) if substream.is_some() || temporal.is_some() => {
                Ok(Self::Simulcast {
                    substream,
                    temporal,
                })
            }
            (None, _, _) => Err(DecodeError::Shape(data.data.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::PluginError;
    use serde_json::json;

    fn data(v: Value) -> PluginData {
        PluginData {
            plugin: PLUGIN.into(),
            data: v,
        }
    }

    #[test]
    fn errors_and_foreign_plugins_do_not_decode_as_events() {
        let e = Event::decode(&data(
            json!({"echotest":"event","error_code":412,"error":"Invalid element"}),
        ));
        assert_eq!(
            e,
            Err(DecodeError::Plugin(PluginError {
                code: 412,
                reason: "Invalid element".into()
            }))
        );
        let foreign = PluginData {
            plugin: "janus.plugin.videoroom".into(),
            data: json!({}),
        };
        assert!(matches!(
            Event::decode(&foreign),
            Err(DecodeError::WrongPlugin { .. })
        ));
    }

    #[test]
    fn simulcast_and_done() {
        assert_eq!(
            Event::decode(&data(json!({"echotest":"event","result":"done"}))),
            Ok(Event::Result(Outcome::Done))
        );
        assert_eq!(
            Event::decode(&data(
                json!({"echotest":"event","substream":1,"temporal":0})
            )),
            Ok(Event::Simulcast {
                substream: Some(1),
                temporal: Some(0)
            })
        );
    }
}
