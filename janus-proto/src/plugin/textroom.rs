//! TextRoom (`janus.plugin.textroom`): text chat rooms over a data channel.
//!
//! The PeerConnection is set up over the Janus API: [`Setup`] (asynchronous; Janus answers
//! with [`Event::Ok`] and an offer with one data channel), then [`Ack`] with our answer;
//! [`Restart`] for an ICE restart. Everything else travels as JSON text on the data channel,
//! each request with a `textroom` name and a `transaction` ([`DataChannelRequest::to_text`]),
//! each answer a `success` or `error` with that transaction, and the room's traffic as
//! unsolicited messages: all of it decodes with [`Incoming::from_text`].
//!
//! The room-management requests ([`List`], [`ListParticipants`], [`Exists`], [`Create`],
//! [`Edit`], [`Destroy`], [`Announcement`], [`Allowed`], [`Kick`]) also work over the Janus
//! API as synchronous `message`s ([`SyncRequest`]); [`Join`], [`Leave`] and [`Message`] are
//! data channel only. Either way a request's answer decodes as its `Reply` type.
//! Field names and types follow the plugin's source (Janus 1.4.1); ids are [`Id`]s.
//!
//! ```
//! use janus_proto::plugin::textroom::{self, DataChannelRequest, Incoming};
//! use janus_proto::plugin::{PluginRequest, SyncRequest};
//! use serde_json::{Value, json};
//!
//! // The same request, as a `message` body and as a data-channel text.
//! let exists = textroom::Exists::new(1234);
//! assert_eq!(exists.to_body().unwrap(), json!({"request": "exists", "room": 1234}));
//! let text = exists.to_text("t1").unwrap();
//! assert_eq!(
//!     serde_json::from_str::<Value>(&text).unwrap(),
//!     json!({"textroom": "exists", "room": 1234, "transaction": "t1"})
//! );
//!
//! // What comes back on the data channel.
//! let reply = r#"{"textroom":"success","room":1234,"exists":true,"transaction":"t1"}"#;
//! let Incoming::Success(response) = Incoming::from_text(reply).unwrap() else { panic!() };
//! assert_eq!(response.transaction, "t1");
//! let answer: <textroom::Exists as SyncRequest>::Reply = response.decode().unwrap();
//! assert!(answer.exists);
//!
//! let chat = r#"{"textroom":"message","room":1234,"from":"bob","date":"2024-01-01T10:00:00+0000","text":"hi"}"#;
//! let Incoming::Message(m) = Incoming::from_text(chat).unwrap() else { panic!() };
//! assert_eq!((m.from.as_str(), m.text.as_str(), m.whisper), ("bob", "hi", false));
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::id::Id;
use super::{DecodeError, PluginEvent, PluginRequest, SyncRequest, decode_as};
use crate::error::PluginError;
use crate::msg::PluginData;

/// The plugin package.
pub const PLUGIN: &str = "janus.plugin.textroom";

// ------------------------------------------------------------------------------------------
// Requests

/// A TextRoom request that travels on the data channel.
///
/// Its `Serialize` form is the Janus API one (`"request": <name>`); [`to_text`] turns it
/// into the data-channel form: `"textroom": <name>` and the `transaction` its answer will
/// carry. With the answer, [`Response::decode`] gives `Reply`.
///
/// [`to_text`]: DataChannelRequest::to_text
pub trait DataChannelRequest: Serialize {
    /// What the `success` answer decodes to.
    type Reply: PluginEvent;

    /// The request as data-channel text, with `transaction`.
    fn to_text(&self, transaction: &str) -> Result<String, crate::Error> {
        let ser = |e: serde_json::Error| crate::Error::Serialize(e.to_string());
        let mut v = match serde_json::to_value(self).map_err(ser)? {
            Value::Object(o) => o,
            other => return Err(crate::Error::Serialize(format!("not an object: {other}"))),
        };
        let name = v.remove("request").unwrap_or(Value::Null);
        v.insert("textroom".into(), name);
        v.insert("transaction".into(), transaction.into());
        serde_json::to_string(&v).map_err(ser)
    }
}

/// A request with no fields of its own.
macro_rules! bare_request {
    ($(#[$doc:meta])* $name:ident, $wire:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        #[serde(tag = "request", rename = $wire)]
        pub struct $name {
            /// Other keys, as given.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }

        impl PluginRequest for $name {
            const PLUGIN: &'static str = PLUGIN;
        }
    };
}

bare_request!(
    /// `setup` (asynchronous, Janus API only): ask for the PeerConnection. Answered by
    /// [`Event::Ok`] with Janus's offer (one data channel) in the JSEP.
    Setup,
    "setup"
);

bare_request!(
    /// `ack` (asynchronous, Janus API only): send it with our answer to Janus's offer.
    /// Answered by [`Event::Ok`].
    Ack,
    "ack"
);

bare_request!(
    /// `restart` (asynchronous, Janus API only): ICE restart; answered by [`Event::Ok`] with
    /// a new offer, to which we reply with [`Ack`].
    Restart,
    "restart"
);

/// `list` (synchronous; Janus API or data channel): the public rooms, and the private ones
/// too with the plugin's admin key. Reply: [`RoomList`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(tag = "request", rename = "list")]
pub struct List {
    /// The plugin's admin key: with it, private rooms are listed too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_key: Option<String>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A request that names a room and nothing else.
macro_rules! room_request {
    ($(#[$doc:meta])* $name:ident, $wire:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(tag = "request", rename = $wire)]
        pub struct $name {
            /// The room.
            pub room: Id,
            /// Other keys, as given.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }

        impl $name {
            #[doc = concat!("`", $wire, "` for the room `room`.")]
            pub fn new(room: impl Into<Id>) -> Self {
                Self { room: room.into(), extra: Map::new() }
            }
        }
    };
}

room_request!(
    /// `listparticipants` (synchronous; Janus API or data channel): who is in a room.
    /// Reply: [`ParticipantList`].
    ListParticipants,
    "listparticipants"
);

room_request!(
    /// `exists` (synchronous; Janus API or data channel): whether a room exists. Reply:
    /// [`RoomExists`].
    Exists,
    "exists"
);

room_request!(
    /// `leave` (data channel only): leave a room; the others get [`Incoming::Leave`].
    /// Reply: [`Success`].
    Leave,
    "leave"
);

/// `create` (synchronous; Janus API or data channel): a new room. Reply: [`Created`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(tag = "request", rename = "create")]
pub struct Create {
    /// The id to give it; chosen by the plugin when missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<Id>,
    /// The plugin's admin key (required when the plugin has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_key: Option<String>,
    /// Human-readable description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Secret needed to edit, destroy, kick, announce and manage its ACL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// PIN needed to join.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// Leave it out of `list`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_private: Option<bool>,
    /// How many public messages to keep and replay to each new participant (0: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<u32>,
    /// URL the plugin POSTs every public message to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post: Option<String>,
    /// Tokens allowed to join (turns the token check on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// Also save it to the plugin's configuration file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permanent: Option<bool>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `edit` (synchronous; Janus API or data channel): change a room's description, secret,
/// PIN, privacy or POST backend. Reply: [`Edited`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "edit")]
pub struct Edit {
    /// The room.
    pub room: Id,
    /// Its current secret (required when it has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_description: Option<String>,
    /// New secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_secret: Option<String>,
    /// New PIN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_pin: Option<String>,
    /// New POST backend URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_post: Option<String>,
    /// New privacy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_is_private: Option<bool>,
    /// Also save the change to the configuration file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permanent: Option<bool>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Edit {
    /// An `edit` of the room `room` that changes nothing yet.
    pub fn new(room: impl Into<Id>) -> Self {
        Self {
            room: room.into(),
            secret: None,
            new_description: None,
            new_secret: None,
            new_pin: None,
            new_post: None,
            new_is_private: None,
            permanent: None,
            extra: Map::new(),
        }
    }
}

/// `destroy` (synchronous; Janus API or data channel): remove a room; its participants get
/// [`Incoming::Destroyed`]. Reply: [`Destroyed`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "destroy")]
pub struct Destroy {
    /// The room.
    pub room: Id,
    /// Its secret (required when it has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Also remove it from the configuration file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permanent: Option<bool>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Destroy {
    /// `destroy` the room `room`.
    pub fn new(room: impl Into<Id>) -> Self {
        Self {
            room: room.into(),
            secret: None,
            permanent: None,
            extra: Map::new(),
        }
    }
}

/// `announcement` (synchronous; Janus API or data channel): a message from the room itself
/// to every participant ([`Incoming::Announcement`]). Reply: [`Success`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "announcement")]
pub struct Announcement {
    /// The room.
    pub room: Id,
    /// The text.
    pub text: String,
    /// The room's secret (required when it has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Announcement {
    /// Announce `text` in the room `room`.
    pub fn new(room: impl Into<Id>, text: impl Into<String>) -> Self {
        Self {
            room: room.into(),
            text: text.into(),
            secret: None,
            extra: Map::new(),
        }
    }
}

/// What [`Allowed`] does to a room's token list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AllowedAction {
    /// Check tokens on `join` from now on.
    Enable,
    /// Stop checking tokens.
    Disable,
    /// Add the tokens given.
    Add,
    /// Remove the tokens given.
    Remove,
}

/// `allowed` (synchronous; Janus API or data channel): manage the tokens that may join a
/// room. Reply: [`AllowedList`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "allowed")]
pub struct Allowed {
    /// The room.
    pub room: Id,
    /// What to do.
    pub action: AllowedAction,
    /// The tokens to add or remove.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// The room's secret (required when it has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Allowed {
    /// `allowed` with `action` on the room `room` and no tokens.
    pub fn new(room: impl Into<Id>, action: AllowedAction) -> Self {
        Self {
            room: room.into(),
            action,
            allowed: None,
            secret: None,
            extra: Map::new(),
        }
    }
}

/// `kick` (synchronous; Janus API or data channel): remove a participant from a room (they
/// may join again unless their token is removed too); the others get [`Incoming::Kicked`].
/// Reply: [`Success`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "kick")]
pub struct Kick {
    /// The room.
    pub room: Id,
    /// The participant's username.
    pub username: String,
    /// The room's secret (required when it has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Kick {
    /// Kick `username` out of the room `room`.
    pub fn new(room: impl Into<Id>, username: impl Into<String>) -> Self {
        Self {
            room: room.into(),
            username: username.into(),
            secret: None,
            extra: Map::new(),
        }
    }
}

/// `join` (data channel only): enter a room under a unique username. The room's history
/// (if any) comes first as [`Incoming::Message`]s, then everybody, us included, gets
/// [`Incoming::Join`]. Reply: [`Joined`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "join")]
pub struct Join {
    /// The room.
    pub room: Id,
    /// Our username, unique in the room.
    pub username: String,
    /// The room's PIN (required when it has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// Our token, when the room checks them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// Replay the room's history to us (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<bool>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Join {
    /// Join the room `room` as `username`.
    pub fn new(room: impl Into<Id>, username: impl Into<String>) -> Self {
        Self {
            room: room.into(),
            username: username.into(),
            pin: None,
            token: None,
            display: None,
            history: None,
            extra: Map::new(),
        }
    }
}

/// `message` (data channel only): say something in a room, to everybody or, with `to` or
/// `tos` (not both), as a whisper. Reply: [`Sent`], unless `ack` is false (then none).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "message")]
pub struct Message {
    /// The room.
    pub room: Id,
    /// The text (any string: JSON, XML, ...).
    pub text: String,
    /// Whisper to this username only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Whisper to these usernames only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tos: Option<Vec<String>>,
    /// Want a `success` back (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack: Option<bool>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Message {
    /// Say `text` to everybody in the room `room`.
    pub fn new(room: impl Into<Id>, text: impl Into<String>) -> Self {
        Self {
            room: room.into(),
            text: text.into(),
            to: None,
            tos: None,
            ack: None,
            extra: Map::new(),
        }
    }
}

macro_rules! room_management {
    ($($name:ident => $reply:ty),* $(,)?) => {
        $(
            impl PluginRequest for $name {
                const PLUGIN: &'static str = PLUGIN;
            }
            impl SyncRequest for $name {
                type Reply = $reply;
            }
            impl DataChannelRequest for $name {
                type Reply = $reply;
            }
        )*
    };
}

room_management!(
    List => RoomList,
    ListParticipants => ParticipantList,
    Exists => RoomExists,
    Create => Created,
    Edit => Edited,
    Destroy => Destroyed,
    Announcement => Success,
    Allowed => AllowedList,
    Kick => Success,
);

impl DataChannelRequest for Join {
    type Reply = Joined;
}
impl DataChannelRequest for Leave {
    type Reply = Success;
}
impl DataChannelRequest for Message {
    type Reply = Sent;
}

// ------------------------------------------------------------------------------------------
// Replies (the same over the Janus API and the data channel)

/// Decodes a reply whose `textroom` field is `success` (data channel) or `api_kind` (what
/// `create`, `edit` and `destroy` answer with over the Janus API), or missing: Janus 1.1.2
/// answers `listparticipants` without it, and `kick` with `"textbridge":"success"` instead
/// (that key is kept in `extra`). The `textroom` and `transaction` fields are not kept;
/// other unknown ones land in the reply's `extra`.
fn reply<T: DeserializeOwned>(data: &PluginData, api_kind: &str) -> Result<T, DecodeError> {
    let mut v: Map<String, Value> = decode_as(data, PLUGIN)?;
    match v.remove("textroom") {
        Some(Value::String(k)) if k == "success" || k == api_kind => {}
        None => {}
        Some(other) => {
            return Err(DecodeError::Shape(format!(
                "expected textroom \"success\", got {other}"
            )));
        }
    }
    v.remove("transaction");
    T::deserialize(Value::Object(v)).map_err(|e| DecodeError::Shape(e.to_string()))
}

macro_rules! reply_event {
    ($($name:ident => $kind:literal),* $(,)?) => {
        $(impl PluginEvent for $name {
            fn decode(data: &PluginData) -> Result<Self, DecodeError> {
                reply(data, $kind)
            }
        })*
    };
}

reply_event!(
    RoomList => "success",
    ParticipantList => "success",
    RoomExists => "success",
    Created => "created",
    Edited => "edited",
    Destroyed => "destroyed",
    AllowedList => "success",
    Joined => "success",
    Sent => "success",
    Success => "success",
);

/// Reply to [`List`]: `{"textroom":"success","list":[..]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RoomList {
    /// The rooms.
    pub list: Vec<RoomInfo>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A room, as `list` describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RoomInfo {
    /// Its id.
    pub room: Id,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether joining needs a PIN.
    #[serde(default)]
    pub pin_required: bool,
    /// How many are in it.
    #[serde(default)]
    pub num_participants: u64,
    /// How many messages it keeps for new participants.
    #[serde(default)]
    pub history: Option<u64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A participant, as `listparticipants` and `join` name them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Participant {
    /// Their username.
    pub username: String,
    /// Their display name, if any.
    #[serde(default)]
    pub display: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`ListParticipants`]: `{"textroom":"success","room":..,"participants":[..]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ParticipantList {
    /// The room.
    pub room: Id,
    /// Who is in it.
    pub participants: Vec<Participant>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Exists`]: `{"textroom":"success","room":..,"exists":..}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RoomExists {
    /// The room asked about.
    pub room: Id,
    /// Whether it exists.
    pub exists: bool,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Create`]: `{"textroom":"created","room":..,"permanent":..}` (`success` on the
/// data channel).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Created {
    /// The new room.
    pub room: Id,
    /// Whether it was saved to the configuration file.
    #[serde(default)]
    pub permanent: bool,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Edit`]: `{"textroom":"edited","room":..,"permanent":..}` (`success` on the
/// data channel).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Edited {
    /// The room.
    pub room: Id,
    /// Whether the change was saved to the configuration file.
    #[serde(default)]
    pub permanent: bool,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Destroy`]: `{"textroom":"destroyed","room":..,"permanent":..}` (`success` on
/// the data channel).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Destroyed {
    /// The room.
    pub room: Id,
    /// Whether it was also removed from the configuration file.
    #[serde(default)]
    pub permanent: bool,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Allowed`]: `{"textroom":"success","room":..,"allowed":[..]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AllowedList {
    /// The room.
    pub room: Id,
    /// The complete token list after the change (missing after `disable`).
    #[serde(default)]
    pub allowed: Option<Vec<String>>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Join`]: `{"textroom":"success","participants":[..]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Joined {
    /// The others already in the room.
    pub participants: Vec<Participant>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Message`] (when `ack` is not false): `{"textroom":"success"}`, with `sent`
/// for whispers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Sent {
    /// Whispers: for each username addressed, whether they were in the room.
    #[serde(default)]
    pub sent: Option<BTreeMap<String, bool>>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Leave`], [`Kick`] and [`Announcement`]: `{"textroom":"success"}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Success {
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// ------------------------------------------------------------------------------------------
// Events over the Janus API

/// What the TextRoom plugin says over the Janus API, asynchronously: the answer to
/// [`Setup`], [`Ack`] and [`Restart`]. Errors (`error_code`) are [`DecodeError::Plugin`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `{"textroom":"event","result":"ok"}`; after [`Setup`] and [`Restart`], with an offer.
    Ok {
        /// Other fields.
        extra: Map<String, Value>,
    },
    /// Anything else, as sent.
    Other(Value),
}

impl PluginEvent for Event {
    fn decode(data: &PluginData) -> Result<Self, DecodeError> {
        let mut v: Map<String, Value> = decode_as(data, PLUGIN)?;
        let is_event = v.get("textroom").and_then(Value::as_str) == Some("event");
        if is_event && v.get("result").and_then(Value::as_str) == Some("ok") {
            v.remove("textroom");
            v.remove("result");
            return Ok(Self::Ok { extra: v });
        }
        Ok(Self::Other(data.data.clone()))
    }
}

// ------------------------------------------------------------------------------------------
// Data-channel messages

/// A chat message (`"textroom":"message"`), public or whispered; also what a room's history
/// replays on `join`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChatMessage {
    /// The room.
    pub room: Id,
    /// The sender's username.
    pub from: String,
    /// When it was sent, as the plugin formats it (`%FT%T%z`, e.g. `2024-01-01T10:00:00+0000`).
    pub date: String,
    /// The text.
    pub text: String,
    /// Whether it was whispered to us rather than said to the room.
    #[serde(default)]
    pub whisper: bool,
    /// The sender's display name (history replays only).
    #[serde(default)]
    pub display: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An announcement from the room itself (`"textroom":"announcement"`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RoomAnnouncement {
    /// The room.
    pub room: Id,
    /// When it was sent, as the plugin formats it.
    pub date: String,
    /// The text.
    pub text: String,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Somebody joined, left or was kicked out of a room.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Presence {
    /// The room.
    pub room: Id,
    /// Their username.
    pub username: String,
    /// Their display name, if any (joins only).
    #[serde(default)]
    pub display: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `success` answer to a data-channel request: any text with a `transaction` and no
/// `error_code` (Janus 1.1.2 answers `listparticipants` without `"textroom":"success"`, and
/// `kick` with `"textbridge":"success"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The request's transaction.
    pub transaction: String,
    /// The whole answer, `textroom` and `transaction` included.
    pub data: Value,
}

impl Response {
    /// Decodes the answer as `T`, usually the request's
    /// [`Reply`](DataChannelRequest::Reply).
    pub fn decode<T: PluginEvent>(&self) -> Result<T, DecodeError> {
        T::decode(&PluginData {
            plugin: PLUGIN.to_owned(),
            data: self.data.clone(),
        })
    }
}

/// A text received on the TextRoom data channel.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Incoming {
    /// A request succeeded.
    Success(Response),
    /// A request failed.
    Error {
        /// The request's transaction (missing when the request had none, or was not JSON).
        transaction: Option<String>,
        /// The plugin's code and text; [`ErrorCode::from`] names the code.
        error: PluginError,
    },
    /// A chat message, public or whispered (or history, on `join`).
    Message(ChatMessage),
    /// An announcement.
    Announcement(RoomAnnouncement),
    /// Somebody (we too, after our own `join`) joined a room.
    Join(Presence),
    /// Somebody left a room.
    Leave(Presence),
    /// Somebody was kicked out of a room.
    Kicked(Presence),
    /// A room we were in was destroyed.
    Destroyed {
        /// The room.
        room: Id,
        /// Fields this version does not know.
        extra: Map<String, Value>,
    },
    /// Anything else, as received.
    Other(Value),
}

#[derive(Deserialize)]
struct RoomAndRest {
    room: Id,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl Incoming {
    /// Decodes a text received on the data channel. Only text that is not a JSON object is
    /// an error; an unknown kind is [`Incoming::Other`].
    pub fn from_text(text: &str) -> Result<Self, DecodeError> {
        let v: Value = serde_json::from_str(text).map_err(|e| DecodeError::Shape(e.to_string()))?;
        Self::from_value(v)
    }

    /// Decodes a data-channel message already parsed as JSON.
    pub fn from_value(v: Value) -> Result<Self, DecodeError> {
        let Value::Object(mut o) = v else {
            return Err(DecodeError::Shape(format!("not an object: {v}")));
        };
        let transaction = o
            .get("transaction")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(code) = o.get("error_code").and_then(Value::as_u64) {
            let reason = o
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            return Ok(Self::Error {
                transaction,
                error: PluginError {
                    code: u16::try_from(code).unwrap_or(u16::MAX),
                    reason,
                },
            });
        }
        // An answer is whatever carries a transaction: Janus 1.1.2 answers some requests
        // without `"textroom":"success"` (see [`Response`]).
        if let Some(transaction) = transaction {
            return Ok(Self::Success(Response {
                transaction,
                data: Value::Object(o),
            }));
        }
        let kind = match o.get("textroom") {
            Some(Value::String(k)) => k.clone(),
            _ => return Ok(Self::Other(Value::Object(o))),
        };
        let whole = Value::Object(o.clone());
        o.remove("textroom");
        let rest = Value::Object(o);
        let decoded = match kind.as_str() {
            "message" => ChatMessage::deserialize(rest).ok().map(Self::Message),
            "announcement" => RoomAnnouncement::deserialize(rest)
                .ok()
                .map(Self::Announcement),
            "join" => Presence::deserialize(rest).ok().map(Self::Join),
            "leave" => Presence::deserialize(rest).ok().map(Self::Leave),
            "kicked" => Presence::deserialize(rest).ok().map(Self::Kicked),
            "destroyed" => RoomAndRest::deserialize(rest)
                .ok()
                .map(|r| Self::Destroyed {
                    room: r.room,
                    extra: r.extra,
                }),
            _ => None,
        };
        Ok(decoded.unwrap_or(Self::Other(whole)))
    }
}

// ------------------------------------------------------------------------------------------
// A participant's rules (the adapters' `textroom::Participant`)

/// The label of the data channel a participant's answer opens (janus.js's default).
pub const LABEL: &str = "JanusDataChannel";

/// How long a participant waits for the answer to a data-channel request, unless told
/// otherwise.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the answer to [`Setup`] (or [`Restart`]) must be: [`Event::Ok`] with Janus's offer
/// of one data channel. Returns the offer; anything else is a
/// [`RequestError`](crate::RequestError) (the plugin's error, or a malformed answer).
pub fn setup_offer(reply: &crate::PluginReply) -> Result<crate::Jsep, crate::RequestError> {
    match super::reply_as::<Event>(&reply.data)? {
        Event::Ok { .. } => Ok(super::offer_of(reply)?.clone()),
        other => Err(crate::RequestError::Malformed(format!(
            "expected result ok, got {other:?}"
        ))),
    }
}

/// Matches the answers that come on the data channel to the requests that asked for them,
/// sans-IO: pure data, fed by whoever reads the channel.
///
/// [`request`](Self::request) gives each request a transaction of its own (`<prefix>-<n>`)
/// and marks it pending; every text received goes to [`handle_text`](Self::handle_text):
/// an answer (`success` or `error`) to a pending transaction waits for
/// [`take_reply`](Self::take_reply), everything else (the room's traffic, and answers to
/// transactions nobody waits for) queues for [`pop_incoming`](Self::pop_incoming), in the
/// order it came. So a caller waiting for its own answer never loses the room's messages
/// that arrive meanwhile, and never takes another request's answer.
///
/// ```
/// use janus_proto::plugin::textroom::{Incoming, Join, Transactions};
///
/// let mut tx = Transactions::new("alice");
/// let (join, text) = tx.request(&Join::new(1234, "alice")).unwrap();
/// assert_eq!(join, "alice-1");
/// assert!(text.contains(r#""transaction":"alice-1""#));
/// // The room speaks before the answer comes: queued, not taken for it.
/// tx.handle_text(br#"{"textroom":"join","room":1234,"username":"bob"}"#).unwrap();
/// assert!(tx.take_reply::<<Join as janus_proto::plugin::textroom::DataChannelRequest>::Reply>(&join).is_none());
/// tx.handle_text(br#"{"textroom":"success","transaction":"alice-1","participants":[]}"#).unwrap();
/// let joined = tx.take_reply::<janus_proto::plugin::textroom::Joined>(&join).unwrap().unwrap();
/// assert!(joined.participants.is_empty());
/// assert!(matches!(tx.pop_incoming(), Some(Incoming::Join(p)) if p.username == "bob"));
/// assert!(tx.pop_incoming().is_none());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Transactions {
    prefix: String,
    next: u64,
    pending: BTreeMap<String, Option<Result<Response, PluginError>>>,
    incoming: std::collections::VecDeque<Incoming>,
}

impl Transactions {
    /// A matcher whose transactions start with `prefix` (unique per data channel is enough:
    /// the plugin answers on the channel that asked).
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            ..Self::default()
        }
    }

    /// A new transaction, pending from now on.
    pub fn begin(&mut self) -> String {
        self.next += 1;
        let transaction = format!("{}-{}", self.prefix, self.next);
        self.pending.insert(transaction.clone(), None);
        transaction
    }

    /// `request` as data-channel text with a new pending transaction: (transaction, text).
    pub fn request<R: DataChannelRequest>(
        &mut self,
        request: &R,
    ) -> Result<(String, String), crate::Error> {
        let transaction = self.begin();
        match request.to_text(&transaction) {
            Ok(text) => Ok((transaction, text)),
            Err(e) => {
                self.pending.remove(&transaction);
                Err(e)
            }
        }
    }

    /// Takes a text received on the data channel. Only a text that is not a JSON object is
    /// an error (and is dropped).
    pub fn handle_text(&mut self, text: &[u8]) -> Result<(), DecodeError> {
        let v: Value =
            serde_json::from_slice(text).map_err(|e| DecodeError::Shape(e.to_string()))?;
        self.handle_incoming(Incoming::from_value(v)?);
        Ok(())
    }

    /// Takes a decoded data-channel message.
    pub fn handle_incoming(&mut self, incoming: Incoming) {
        let transaction = match &incoming {
            Incoming::Success(r) => Some(r.transaction.as_str()),
            Incoming::Error { transaction, .. } => transaction.as_deref(),
            _ => None,
        };
        let slot = transaction.and_then(|t| self.pending.get_mut(t));
        match (slot, incoming) {
            (Some(slot @ None), Incoming::Success(r)) => *slot = Some(Ok(r)),
            (Some(slot @ None), Incoming::Error { error, .. }) => *slot = Some(Err(error)),
            (_, other) => self.incoming.push_back(other),
        }
    }

    /// The answer to `transaction`, decoded as `T` (usually the request's
    /// [`Reply`](DataChannelRequest::Reply)), once it came; the transaction is then no
    /// longer pending. The plugin's error is [`RequestError::Plugin`](crate::RequestError::Plugin).
    pub fn take_reply<T: PluginEvent>(
        &mut self,
        transaction: &str,
    ) -> Option<Result<T, crate::RequestError>> {
        if !matches!(self.pending.get(transaction), Some(Some(_))) {
            return None;
        }
        match self.pending.remove(transaction)?? {
            Ok(response) => Some(super::reply_as(&PluginData {
                plugin: PLUGIN.to_owned(),
                data: response.data,
            })),
            Err(error) => Some(Err(crate::RequestError::Plugin(error))),
        }
    }

    /// Stops waiting for `transaction` (e.g. after a timeout): its answer, if it still
    /// comes, is queued as incoming.
    pub fn cancel(&mut self, transaction: &str) {
        self.pending.remove(transaction);
    }

    /// Whether `transaction` is pending (asked, and its answer not taken).
    pub fn is_pending(&self, transaction: &str) -> bool {
        self.pending.contains_key(transaction)
    }

    /// The next message that is no pending request's answer, in the order received.
    pub fn pop_incoming(&mut self) -> Option<Incoming> {
        self.incoming.pop_front()
    }
}

// ------------------------------------------------------------------------------------------
// Errors

/// The TextRoom plugin's own `error_code`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 411: no message.
    NoMessage,
    /// 412: not JSON, or not a JSON object.
    InvalidJson,
    /// 413: a mandatory field is missing.
    MissingElement,
    /// 414: a field has the wrong type or value.
    InvalidElement,
    /// 415: unknown request (or one not allowed over this path, e.g. `join` over the Janus API).
    InvalidRequest,
    /// 416: `setup` when already set up, or `restart` before it.
    AlreadySetup,
    /// 417: no such room.
    NoSuchRoom,
    /// 418: a room with that id exists already.
    RoomExists,
    /// 419: wrong secret, PIN, token or admin key.
    Unauthorized,
    /// 420: the username is taken in that room.
    UsernameExists,
    /// 421: already in that room.
    AlreadyInRoom,
    /// 422: not in that room.
    NotInRoom,
    /// 423: no such participant.
    NoSuchUser,
    /// 499: any other failure.
    UnknownError,
    /// A code this version does not know.
    Unknown(u16),
}

impl ErrorCode {
    /// The code for a number.
    pub fn from_code(code: u16) -> Self {
        match code {
            411 => Self::NoMessage,
            412 => Self::InvalidJson,
            413 => Self::MissingElement,
            414 => Self::InvalidElement,
            415 => Self::InvalidRequest,
            416 => Self::AlreadySetup,
            417 => Self::NoSuchRoom,
            418 => Self::RoomExists,
            419 => Self::Unauthorized,
            420 => Self::UsernameExists,
            421 => Self::AlreadyInRoom,
            422 => Self::NotInRoom,
            423 => Self::NoSuchUser,
            499 => Self::UnknownError,
            n => Self::Unknown(n),
        }
    }

    /// The number on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::NoMessage => 411,
            Self::InvalidJson => 412,
            Self::MissingElement => 413,
            Self::InvalidElement => 414,
            Self::InvalidRequest => 415,
            Self::AlreadySetup => 416,
            Self::NoSuchRoom => 417,
            Self::RoomExists => 418,
            Self::Unauthorized => 419,
            Self::UsernameExists => 420,
            Self::AlreadyInRoom => 421,
            Self::NotInRoom => 422,
            Self::NoSuchUser => 423,
            Self::UnknownError => 499,
            Self::Unknown(n) => n,
        }
    }

    /// The code of a plugin error in a decode failure, if that is what it is.
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

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body<R: PluginRequest>(r: &R) -> Value {
        r.to_body().unwrap()
    }

    fn text<R: DataChannelRequest>(r: &R) -> Value {
        serde_json::from_str(&r.to_text("tx").unwrap()).unwrap()
    }

    #[test]
    fn janus_api_requests_encode_exactly() {
        assert_eq!(body(&Setup::default()), json!({"request": "setup"}));
        assert_eq!(body(&Ack::default()), json!({"request": "ack"}));
        assert_eq!(body(&Restart::default()), json!({"request": "restart"}));
        assert_eq!(
            body(&List {
                admin_key: Some("k".into()),
                ..Default::default()
            }),
            json!({"request": "list", "admin_key": "k"})
        );
        assert_eq!(
            body(&ListParticipants::new(1)),
            json!({"request": "listparticipants", "room": 1})
        );
        assert_eq!(
            body(&Create {
                room: Some("lobby".into()),
                history: Some(5),
                allowed: Some(vec!["t".into()]),
                ..Default::default()
            }),
            json!({"request": "create", "room": "lobby", "history": 5, "allowed": ["t"]})
        );
        assert_eq!(
            body(&Edit {
                new_post: Some("http://x".into()),
                secret: Some("s".into()),
                ..Edit::new(1)
            }),
            json!({"request": "edit", "room": 1, "secret": "s", "new_post": "http://x"})
        );
        assert_eq!(
            body(&Destroy::new(1)),
            json!({"request": "destroy", "room": 1})
        );
        assert_eq!(
            body(&Announcement::new(1, "hello")),
            json!({"request": "announcement", "room": 1, "text": "hello"})
        );
        assert_eq!(
            body(&Allowed {
                allowed: Some(vec!["a".into()]),
                ..Allowed::new(1, AllowedAction::Add)
            }),
            json!({"request": "allowed", "room": 1, "action": "add", "allowed": ["a"]})
        );
        assert_eq!(
            body(&Kick::new(1, "bob")),
            json!({"request": "kick", "room": 1, "username": "bob"})
        );
    }

    #[test]
    fn data_channel_requests_encode_exactly() {
        assert_eq!(
            text(&Join {
                display: Some("Bob".into()),
                history: Some(false),
                ..Join::new(1, "bob")
            }),
            json!({"textroom": "join", "transaction": "tx", "room": 1, "username": "bob",
                   "display": "Bob", "history": false})
        );
        assert_eq!(
            text(&Leave::new("lobby")),
            json!({"textroom": "leave", "transaction": "tx", "room": "lobby"})
        );
        assert_eq!(
            text(&Message {
                tos: Some(vec!["a".into(), "b".into()]),
                ack: Some(false),
                ..Message::new(1, "psst")
            }),
            json!({"textroom": "message", "transaction": "tx", "room": 1, "text": "psst",
                   "tos": ["a", "b"], "ack": false})
        );
        assert_eq!(
            text(&Kick::new(1, "bob")),
            json!({"textroom": "kick", "transaction": "tx", "room": 1, "username": "bob"})
        );
    }

    #[test]
    fn incoming_texts_decode() {
        let e = Incoming::from_text(
            r#"{"textroom":"error","error_code":417,"error":"No such room (9)","transaction":"t"}"#,
        )
        .unwrap();
        let Incoming::Error { transaction, error } = e else {
            panic!("{e:?}")
        };
        assert_eq!(transaction.as_deref(), Some("t"));
        assert_eq!(ErrorCode::from(&error), ErrorCode::NoSuchRoom);
        assert_eq!(
            Incoming::from_text(r#"{"textroom":"leave","room":1,"username":"bob"}"#).unwrap(),
            Incoming::Leave(Presence {
                room: 1.into(),
                username: "bob".into(),
                display: None,
                extra: Map::new()
            })
        );
        assert_eq!(
            Incoming::from_text(r#"{"textroom":"destroyed","room":"x"}"#).unwrap(),
            Incoming::Destroyed {
                room: "x".into(),
                extra: Map::new()
            }
        );
        let odd = json!({"textroom": "typing", "room": 1});
        assert_eq!(
            Incoming::from_text(&odd.to_string()).unwrap(),
            Incoming::Other(odd)
        );
        assert!(Incoming::from_text("not json").is_err());
        let Incoming::Success(r) = Incoming::from_text(
            r#"{"textroom":"success","transaction":"t","sent":{"a":true,"b":false}}"#,
        )
        .unwrap() else {
            panic!()
        };
        let sent: Sent = r.decode().unwrap();
        assert_eq!(
            sent.sent.unwrap(),
            BTreeMap::from([("a".to_owned(), true), ("b".to_owned(), false)])
        );
    }

    #[test]
    fn transactions_match_answers_to_their_requests() {
        let mut tx = Transactions::new("p");
        let (a, _) = tx.request(&Leave::new(1)).unwrap();
        let (b, text) = tx.request(&Message::new(1, "hi")).unwrap();
        assert_ne!(a, b);
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap()["transaction"],
            json!(b)
        );
        // b's error first, then a's success, then an answer nobody waits for.
        tx.handle_text(
            br#"{"textroom":"error","error_code":422,"error":"Not in room","transaction":"p-2"}"#,
        )
        .unwrap();
        tx.handle_text(br#"{"textroom":"success","transaction":"p-1"}"#)
            .unwrap();
        tx.handle_text(br#"{"textroom":"success","transaction":"other"}"#)
            .unwrap();
        assert!(tx.handle_text(b"nope").is_err());
        let e = tx.take_reply::<Sent>(&b).unwrap().unwrap_err();
        assert!(
            matches!(e, crate::RequestError::Plugin(p) if ErrorCode::from(&p) == ErrorCode::NotInRoom)
        );
        assert!(!tx.is_pending(&b));
        assert!(tx.take_reply::<Sent>(&b).is_none(), "taken once");
        assert_eq!(
            tx.take_reply::<Success>(&a).unwrap().unwrap(),
            Success::default()
        );
        assert!(
            matches!(tx.pop_incoming(), Some(Incoming::Success(r)) if r.transaction == "other")
        );
        assert!(tx.pop_incoming().is_none());
        // A second answer to a transaction already answered, and a cancelled one, queue up.
        let c = tx.begin();
        tx.cancel(&c);
        tx.handle_text(format!(r#"{{"textroom":"success","transaction":"{c}"}}"#).as_bytes())
            .unwrap();
        assert!(tx.take_reply::<Success>(&c).is_none());
        assert!(matches!(tx.pop_incoming(), Some(Incoming::Success(_))));
    }

    #[test]
    fn a_setup_answer_needs_ok_and_an_offer() {
        let data = |v: Value| PluginData {
            plugin: PLUGIN.into(),
            data: v,
        };
        let offer = crate::Jsep {
            kind: crate::SdpType::Offer,
            sdp: "v=0".into(),
            trickle: None,
            e2ee: None,
            extra: Map::new(),
        };
        let ok = crate::PluginReply {
            data: data(json!({"textroom": "event", "result": "ok"})),
            jsep: Some(offer.clone()),
        };
        assert_eq!(setup_offer(&ok).unwrap(), offer);
        let answer = crate::PluginReply {
            jsep: Some(crate::Jsep {
                kind: crate::SdpType::Answer,
                ..offer
            }),
            ..ok
        };
        assert!(matches!(
            setup_offer(&answer),
            Err(crate::RequestError::Malformed(_))
        ));
        let error = crate::PluginReply {
            data: data(json!({"textroom": "error", "error_code": 416, "error": "already"})),
            jsep: None,
        };
        assert!(
            matches!(setup_offer(&error), Err(crate::RequestError::Plugin(p)) if p.code == 416)
        );
    }

    #[test]
    fn api_replies_and_events() {
        let data = |v: Value| PluginData {
            plugin: PLUGIN.into(),
            data: v,
        };
        let created = Created::decode(&data(
            json!({"textroom": "created", "room": 5, "permanent": false}),
        ))
        .unwrap();
        assert_eq!(created.room, Id::from(5));
        assert!(created.extra.is_empty());
        assert!(matches!(
            Created::decode(&data(json!({"textroom": "edited", "room": 5}))),
            Err(DecodeError::Shape(_))
        ));
        assert_eq!(
            Event::decode(&data(json!({"textroom": "event", "result": "ok"}))).unwrap(),
            Event::Ok { extra: Map::new() }
        );
        let e = Event::decode(&data(
            json!({"textroom": "error", "error_code": 416, "error": "PeerConnection already setup"}),
        ))
        .unwrap_err();
        assert_eq!(ErrorCode::of(&e), Some(ErrorCode::AlreadySetup));
        for n in 400..510 {
            assert_eq!(ErrorCode::from_code(n).code(), n);
        }
    }
}
