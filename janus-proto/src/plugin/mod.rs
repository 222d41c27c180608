//! Typed plugin APIs: the extension point, and the stock plugins done so far.
//!
//! A plugin module is plain data: request structs that serialise to the `body` of a
//! `message` (implementing [`PluginRequest`]), and an event enum that decodes from
//! [`PluginData`] (implementing [`PluginEvent`]). Plugin crates outside this one add theirs
//! the same way; the core never needs to know them.

pub mod audiobridge;
pub mod echotest;
pub mod id;
mod macros;
pub mod nosip;
pub mod recordplay;
pub mod sip;
pub mod streaming;
pub mod textroom;
pub mod videocall;
pub mod videoroom;
pub mod voicemail;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::RequestError;
use crate::event::PluginReply;
use crate::jsep::{Jsep, SdpType};
use crate::msg::PluginData;

/// A plugin request: the `body` of a `message` to the plugin `PLUGIN`.
pub trait PluginRequest: Serialize {
    /// The plugin package, e.g. `janus.plugin.echotest`.
    const PLUGIN: &'static str;

    /// The body as JSON.
    fn to_body(&self) -> Result<Value, crate::Error> {
        serde_json::to_value(self).map_err(|e| crate::Error::Serialize(e.to_string()))
    }
}

/// A request the plugin answers at once, in the `success` of the `message` (no `ack`, no
/// event), and the type its answer decodes to.
pub trait SyncRequest: PluginRequest {
    /// The plugin's answer, decoded from the reply's `plugindata`.
    type Reply: PluginEvent;
}

/// What a plugin says, decoded from `plugindata`.
pub trait PluginEvent: Sized {
    /// Decodes; a plugin error (`error_code`) or an unknown shape is an error.
    fn decode(data: &PluginData) -> Result<Self, DecodeError>;
}

/// `plugindata` that does not decode as the expected plugin's event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// It came from another plugin.
    #[error("expected plugin {expected}, got {got}")]
    WrongPlugin {
        /// The plugin expected.
        expected: &'static str,
        /// The plugin that spoke.
        got: String,
    },
    /// The plugin reported an error.
    #[error(transparent)]
    Plugin(#[from] crate::error::PluginError),
    /// The JSON did not have the expected shape.
    #[error("unexpected plugin data: {0}")]
    Shape(String),
}

/// Decodes `data.data` as `T` after checking the plugin and its `error_code`.
pub fn decode_as<T: DeserializeOwned>(
    data: &PluginData,
    plugin: &'static str,
) -> Result<T, DecodeError> {
    if data.plugin != plugin {
        return Err(DecodeError::WrongPlugin {
            expected: plugin,
            got: data.plugin.clone(),
        });
    }
    if let Some(e) = data.error() {
        return Err(DecodeError::Plugin(e));
    }
    T::deserialize(&data.data).map_err(|e| DecodeError::Shape(e.to_string()))
}

/// A plugin's answer that does not decode is a malformed reply; its error is the plugin's.
impl From<DecodeError> for RequestError {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::Plugin(e) => Self::Plugin(e),
            other @ (DecodeError::WrongPlugin { .. } | DecodeError::Shape(_)) => {
                Self::Malformed(other.to_string())
            }
        }
    }
}

/// Decodes a plugin's answer as `E` and takes from it what the request expects: `want`
/// gives the part wanted, or the event back when it is another one, which is then a
/// [`RequestError::Malformed`] naming it. The rule the workflows of both adapters follow
/// for every answer (`janus-tokio` and `janus-blocking`, `plugins`).
///
/// ```
/// use janus_proto::plugin::{expect, videoroom};
/// use janus_proto::{PluginData, RequestError};
/// use serde_json::json;
///
/// let data = PluginData {
///     plugin: videoroom::PLUGIN.into(),
///     data: json!({"videoroom": "event", "configured": "ok"}),
/// };
/// assert!(expect(&data, videoroom::Event::into_configured).is_ok());
/// let joined = expect(&data, videoroom::Event::into_joined);
/// assert!(matches!(joined, Err(RequestError::Malformed(_))));
/// ```
pub fn expect<E: PluginEvent + std::fmt::Debug, T>(
    data: &PluginData,
    want: impl FnOnce(E) -> Result<T, Box<E>>,
) -> Result<T, RequestError> {
    want(E::decode(data)?)
        .map_err(|other| RequestError::Malformed(format!("unexpected answer: {other:?}")))
}

/// The JSEP offer of a plugin's answer, which the request expects (a VideoRoom subscriber's
/// `join`, a plugin's `generate_offer`): none, or an answer instead, is a
/// [`RequestError::Malformed`].
pub fn offer_of(reply: &PluginReply) -> Result<&Jsep, RequestError> {
    match &reply.jsep {
        Some(jsep) if jsep.kind == SdpType::Offer => Ok(jsep),
        Some(jsep) => Err(RequestError::Malformed(format!(
            "expected a JSEP offer, got {:?}",
            jsep.kind
        ))),
        None => Err(RequestError::Malformed(
            "expected a JSEP offer, got none".into(),
        )),
    }
}

/// A handle's event decoded as plugin `E`'s, if it is a plugin event (janus.js
/// `onmessage`); other events (`webrtcup`, `media`, `hangup`, ...) are `None`.
///
/// ```
/// use janus_proto::plugin::{event_of, videoroom};
/// use janus_proto::{Event, HandleId, HandleRef, PluginData, SessionId};
/// use serde_json::json;
///
/// let handle = HandleRef { session: SessionId(1), handle: HandleId(2) };
/// let event = Event::PluginEvent {
///     handle,
///     tx: None,
///     data: PluginData {
///         plugin: videoroom::PLUGIN.into(),
///         data: json!({"videoroom": "event", "room": 1234, "leaving": 7}),
///     },
///     jsep: None,
/// };
/// let Some(Ok(videoroom::Event::ParticipantLeft(gone))) = event_of(&event) else {
///     panic!("not a leaving participant")
/// };
/// assert_eq!(gone.id, 7.into());
/// assert!(event_of::<videoroom::Event>(&Event::WebrtcUp { handle }).is_none());
/// ```
pub fn event_of<E: PluginEvent>(event: &crate::Event) -> Option<Result<E, DecodeError>> {
    match event {
        crate::Event::PluginEvent { data, .. } => Some(E::decode(data)),
        _ => None,
    }
}

/// The JSEP of a handle's plugin event, if it carries one (Janus offering on its own, e.g.
/// a VideoRoom subscription renegotiated after a publisher left).
pub fn jsep_of(event: &crate::Event) -> Option<&Jsep> {
    match event {
        crate::Event::PluginEvent { jsep, .. } => jsep.as_ref(),
        _ => None,
    }
}

impl crate::Client {
    /// Sends a typed plugin request (see [`PluginRequest`]) as a `message`.
    pub fn send<R: PluginRequest>(
        &mut self,
        now: std::time::Instant,
        handle: crate::HandleRef,
        request: &R,
        jsep: Option<crate::Jsep>,
    ) -> Result<crate::TransactionId, crate::Error> {
        let body = request.to_body()?;
        self.message(now, handle, body, jsep)
    }
}

/// Decodes a plugin's answer as `T` for a caller that reports
/// [`RequestError`]s (the adapters' plugin workflows): the plugin's `error_code` is
/// [`RequestError::Plugin`], an answer of another plugin or shape is
/// [`RequestError::Malformed`].
///
/// ```
/// use janus_proto::plugin::{reply_as, streaming};
/// use janus_proto::{PluginData, RequestError};
/// use serde_json::json;
///
/// let data = PluginData {
///     plugin: streaming::PLUGIN.into(),
///     data: json!({"streaming": "event", "error_code": 455, "error": "No such mountpoint"}),
/// };
/// let e = reply_as::<streaming::Event>(&data).unwrap_err();
/// assert!(matches!(e, RequestError::Plugin(p) if p.code == 455));
/// ```
pub fn reply_as<T: PluginEvent>(data: &PluginData) -> Result<T, crate::RequestError> {
    // The mapping is `From<DecodeError> for RequestError`'s, the one home of that rule.
    Ok(T::decode(data)?)
}
