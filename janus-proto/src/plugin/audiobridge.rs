//! AudioBridge (`janus.plugin.audiobridge`): an audio mixer. Each participant sends one
//! audio stream (WebRTC, or plain RTP) and receives the mix of the others; rooms are managed
//! over the same handle, and files can be played into a room.
//!
//! Requests are the structs below, one per request of the plugin's API (Janus 1.4.1), each
//! implementing [`PluginRequest`]. Every one says whether Janus answers it at once
//! (*synchronous*: the `success` reply of the `message` carries the answer) or later
//! (*asynchronous*: an `ack`, then an `event`, with a JSEP when one is due). The answers and
//! the events the plugin sends on its own decode as [`Event`]; a plugin error decodes as
//! [`DecodeError::Plugin`], whose code [`ErrorCode`] names.
//!
//! Room and participant ids are [`Id`]s: numbers by default, strings when the plugin is
//! configured with `string_ids`.
//!
//! ```
//! use janus_proto::plugin::{PluginEvent, PluginRequest, audiobridge};
//! use janus_proto::PluginData;
//! use serde_json::json;
//!
//! let mut join = audiobridge::Join::new(1234);
//! join.display = Some("bob".into());
//! join.muted = Some(true);
//! assert_eq!(
//!     join.to_body().unwrap(),
//!     json!({"request": "join", "room": 1234, "display": "bob", "muted": true})
//! );
//!
//! let data = PluginData {
//!     plugin: audiobridge::PLUGIN.into(),
//!     data: json!({"audiobridge": "joined", "room": 1234, "id": 9, "participants": [
//!         {"id": 8, "display": "alice", "setup": true, "muted": false}
//!     ]}),
//! };
//! let audiobridge::Event::Joined(joined) = audiobridge::Event::decode(&data).unwrap() else {
//!     panic!("not joined")
//! };
//! assert_eq!(joined.id, Some(9.into()));
//! assert_eq!(joined.participants[0].display.as_deref(), Some("alice"));
//!
//! let error = PluginData {
//!     plugin: audiobridge::PLUGIN.into(),
//!     data: json!({"audiobridge": "event", "error_code": 485, "error": "No such room (1)"}),
//! };
//! let e = audiobridge::Event::decode(&error).unwrap_err();
//! assert_eq!(audiobridge::ErrorCode::of(&e), Some(audiobridge::ErrorCode::NoSuchRoom));
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[cfg(doc)]
use super::PluginRequest;
use super::macros::wire_struct;
use super::{DecodeError, PluginEvent, decode_as};
use crate::error::PluginError;
use crate::msg::PluginData;

pub use super::id::Id;

/// The plugin package.
pub const PLUGIN: &str = "janus.plugin.audiobridge";

// ---------------------------------------------------------------------------------------
// Room management (synchronous)
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `create` (synchronous): makes a room; answered by [`Event::Created`].
    request Create = "create" {
        required {}
        optional {
            /// The id to give the room; the plugin picks one when unset.
            room: Id,
            /// Also save the room in the plugin's configuration file.
            permanent: bool,
            /// The room's name.
            description: String,
            /// Password for editing and destroying the room.
            secret: String,
            /// Password for joining the room.
            pin: String,
            /// Leave the room out of `list` answers.
            is_private: bool,
            /// Tokens that may join (an ACL; see [`Allowed`]).
            allowed: Vec<String>,
            /// The mixer's sampling rate, Hz (default 16000).
            sampling_rate: u32,
            /// Place participants in a stereo mix.
            spatial_audio: bool,
            /// Record the mix to a `.wav` file.
            record: bool,
            /// The `.wav` file.
            record_file: String,
            /// Folder of the `.wav` file.
            record_dir: String,
            /// Record each participant to its own `.mjr` file.
            mjrs: bool,
            /// Folder of the `.mjr` files.
            mjrs_dir: String,
            /// Let participants join over plain RTP too.
            allow_rtp_participants: bool,
            /// Negotiate the audio-level RTP extension (default true).
            audiolevel_ext: bool,
            /// Send `talking` / `stopped-talking` events.
            audiolevel_event: bool,
            /// Talk detection: packets to average (default 100, 2 s).
            audio_active_packets: u64,
            /// Talk detection: level threshold (0-127, dBov; default 25).
            audio_level_average: u64,
            /// Expected loss, percent (0-20), for outgoing FEC.
            default_expectedloss: u64,
            /// Opus bitrate for participants and forwarders, bits per second (0: libopus picks).
            default_bitrate: u64,
            /// Denoise participants (RNNoise) by default.
            denoise: bool,
            /// Group names participants can be tagged with (for forwarders).
            groups: Vec<String>,
            /// The plugin's `admin_key`, when it is configured.
            admin_key: String,
        }
    }
}

wire_struct! {
    /// `edit` (synchronous): changes a room's settings; answered by [`Event::Edited`].
    request Edit = "edit" {
        required {
            /// The room.
            room: Id,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
            /// New name.
            new_description: String,
            /// New secret.
            new_secret: String,
            /// New PIN (an empty string removes it).
            new_pin: String,
            /// New private flag.
            new_is_private: bool,
            /// New folder for `.wav` recordings.
            new_record_dir: String,
            /// New folder for `.mjr` recordings.
            new_mjrs_dir: String,
            /// Also change the configuration file.
            permanent: bool,
        }
    }
}

wire_struct! {
    /// `destroy` (synchronous): removes a room, kicking everyone; answered by
    /// [`Event::Destroyed`], and every participant gets [`Event::Destroyed`] too.
    request Destroy = "destroy" {
        required {
            /// The room.
            room: Id,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
            /// Also remove it from the configuration file.
            permanent: bool,
        }
    }
}

wire_struct! {
    /// `enable_recording` (synchronous): starts or stops recording the mix; answered by
    /// [`Event::Recording`].
    request EnableRecording = "enable_recording" {
        required {
            /// The room.
            room: Id,
            /// Record (true) or stop (false).
            record: bool,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
            /// The `.wav` file.
            record_file: String,
            /// Folder of the `.wav` file.
            record_dir: String,
        }
    }
}

wire_struct! {
    /// `enable_mjrs` (synchronous): starts or stops recording every participant to `.mjr`
    /// files; answered by [`Event::Mjrs`].
    request EnableMjrs = "enable_mjrs" {
        required {
            /// The room.
            room: Id,
            /// Record (true) or stop (false).
            mjrs: bool,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
            /// Folder of the `.mjr` files.
            mjrs_dir: String,
        }
    }
}

wire_struct! {
    /// `list` (synchronous): the rooms (private ones only with the `admin_key`); answered by
    /// [`Event::RoomList`].
    request List = "list" {
        required {}
        optional {
            /// The plugin's `admin_key`: private rooms are listed too.
            admin_key: String,
        }
    }
}

wire_struct! {
    /// `exists` (synchronous): whether a room exists; answered by [`Event::Exists`].
    request Exists = "exists" {
        required {
            /// The room.
            room: Id,
        }
        optional {}
    }
}

/// What an [`Allowed`] request does to the room's token list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AllowedAction {
    /// Start checking tokens.
    Enable,
    /// Stop checking tokens.
    Disable,
    /// Add tokens to the list.
    Add,
    /// Remove tokens from the list.
    Remove,
}

wire_struct! {
    /// `allowed` (synchronous): edits the room's token list (ACL); answered by
    /// [`Event::Allowed`].
    request Allowed = "allowed" {
        required {
            /// The room.
            room: Id,
            /// What to do.
            action: AllowedAction,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
            /// The tokens to add or remove.
            allowed: Vec<String>,
        }
    }
}

macro_rules! participant_request {
    ($(#[$meta:meta])* $name:ident = $request:literal) => {
        wire_struct! {
            $(#[$meta])*
            request $name = $request {
                required {
                    /// The room.
                    room: Id,
                    /// The participant.
                    id: Id,
                }
                optional {
                    /// The room's secret, when it has one.
                    secret: String,
                }
            }
        }
    };
}

macro_rules! room_request {
    ($(#[$meta:meta])* $name:ident = $request:literal) => {
        wire_struct! {
            $(#[$meta])*
            request $name = $request {
                required {
                    /// The room.
                    room: Id,
                }
                optional {
                    /// The room's secret, when it has one.
                    secret: String,
                }
            }
        }
    };
}

participant_request! {
    /// `mute` (synchronous): mutes a participant for the room; answered by
    /// [`Event::Success`]; the room gets [`Event::ParticipantsChanged`].
    Mute = "mute"
}

participant_request! {
    /// `unmute` (synchronous): lifts a [`Mute`]; answered by [`Event::Success`].
    Unmute = "unmute"
}

room_request! {
    /// `mute_room` (synchronous): mutes every participant but the admins; answered by
    /// [`Event::Success`]; the room gets [`Event::RoomMuted`].
    MuteRoom = "mute_room"
}

room_request! {
    /// `unmute_room` (synchronous): lifts a [`MuteRoom`]; answered by [`Event::Success`].
    UnmuteRoom = "unmute_room"
}

participant_request! {
    /// `denoise_enable` (synchronous): turns on noise suppression (RNNoise) for a
    /// participant; answered by [`Event::Success`]. (In the code, not in the plugin's doc.)
    DenoiseEnable = "denoise_enable"
}

participant_request! {
    /// `denoise_disable` (synchronous): turns noise suppression off; answered by
    /// [`Event::Success`].
    DenoiseDisable = "denoise_disable"
}

participant_request! {
    /// `kick` (synchronous): throws a participant out (they may join again); answered by
    /// [`Event::Success`]; the room gets [`Event::Kicked`].
    Kick = "kick"
}

room_request! {
    /// `kick_all` (synchronous): throws everyone out; answered by [`Event::Success`]; each
    /// participant gets [`Event::KickedAll`].
    KickAll = "kick_all"
}

wire_struct! {
    /// `suspend` (synchronous): takes a participant out of the mix without hanging up;
    /// answered by [`Event::Success`]; the room gets [`Event::Suspended`].
    request Suspend = "suspend" {
        required {
            /// The room.
            room: Id,
            /// The participant.
            id: Id,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
            /// Stop sending it room events while suspended.
            pause_events: bool,
            /// Stop its `.mjr` recording too.
            stop_record: bool,
        }
    }
}

wire_struct! {
    /// `resume` (synchronous): brings a suspended participant back; answered by
    /// [`Event::Success`]; the room gets [`Event::Resumed`].
    request Resume = "resume" {
        required {
            /// The room.
            room: Id,
            /// The participant.
            id: Id,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
            /// Record its contribution to a `.mjr` file.
            record: bool,
            /// Base name of that file.
            filename: String,
        }
    }
}

wire_struct! {
    /// `listparticipants` (synchronous): who is in a room; answered by
    /// [`Event::Participants`].
    request ListParticipants = "listparticipants" {
        required {
            /// The room.
            room: Id,
        }
        optional {}
    }
}

wire_struct! {
    /// `resetdecoder` (synchronous): rebuilds our Opus decoder (for garbled audio); answered
    /// by [`Event::Success`].
    request ResetDecoder = "resetdecoder" {
        required {}
        optional {}
    }
}

// ---------------------------------------------------------------------------------------
// RTP forwarding and announcements (synchronous)
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `rtp_forward` (synchronous): sends the room's mix (or a group's) as RTP to a host;
    /// answered by [`Event::ForwarderAdded`].
    request RtpForward = "rtp_forward" {
        required {
            /// The room.
            room: Id,
            /// Where to send.
            host: String,
            /// The port to send to.
            port: u16,
        }
        optional {
            /// `ipv4` or `ipv6`, to resolve `host` with.
            host_family: String,
            /// Forward only this group's mix.
            group: String,
            /// The SSRC to send with.
            ssrc: u32,
            /// `opus` (default), `pcma` or `pcmu`.
            codec: String,
            /// The payload type to send with (Opus; default 100).
            ptype: u8,
            /// SRTP: authentication tag length, 32 or 80.
            srtp_suite: u64,
            /// SRTP: the key, base64 (as in SDES).
            srtp_crypto: String,
            /// Send silence even when the room is empty.
            always_on: bool,
            /// The room's secret, when it has one.
            secret: String,
            /// The plugin's `admin_key`, when RTP forwarding is locked with it.
            admin_key: String,
        }
    }
}

wire_struct! {
    /// `stop_rtp_forward` (synchronous): removes a forwarder; answered by
    /// [`Event::ForwarderStopped`].
    request StopRtpForward = "stop_rtp_forward" {
        required {
            /// The room.
            room: Id,
            /// The forwarder.
            stream_id: u32,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
            /// The plugin's `admin_key`, when RTP forwarding is locked with it.
            admin_key: String,
        }
    }
}

room_request! {
    /// `listforwarders` (synchronous): the room's forwarders; answered by
    /// [`Event::Forwarders`]. (The plugin's doc also says `list_forwarders`; the code answers
    /// to `listforwarders`.)
    ListForwarders = "listforwarders"
}

wire_struct! {
    /// `play_file` (synchronous): plays an `.opus` file (on the server) into the mix;
    /// answered by [`Event::Announcement`]; the room gets [`Event::AnnouncementStarted`].
    request PlayFile = "play_file" {
        required {
            /// The room.
            room: Id,
            /// Path of the `.opus` file on the server.
            filename: String,
        }
        optional {
            /// Its id (random when unset).
            file_id: String,
            /// The group to play it in (rooms with groups).
            group: String,
            /// Play it over and over.
            #[serde(rename = "loop")]
            looped: bool,
            /// The room's secret, when it has one.
            secret: String,
            /// The plugin's `admin_key`, when RTP forwarding is locked with it.
            admin_key: String,
        }
    }
}

wire_struct! {
    /// `is_playing` (synchronous): whether an announcement still plays; answered by
    /// [`Event::Playing`].
    request IsPlaying = "is_playing" {
        required {
            /// The room.
            room: Id,
            /// The announcement.
            file_id: String,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
            /// The plugin's `admin_key`, when RTP forwarding is locked with it.
            admin_key: String,
        }
    }
}

room_request! {
    /// `listannouncements` (synchronous): the room's announcements; answered by
    /// [`Event::Announcements`].
    ListAnnouncements = "listannouncements"
}

wire_struct! {
    /// `stop_file` (synchronous): stops an announcement; answered by [`Event::Announcement`];
    /// the room gets [`Event::AnnouncementStopped`].
    request StopFile = "stop_file" {
        required {
            /// The room.
            room: Id,
            /// The announcement.
            file_id: String,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
            /// The plugin's `admin_key`, when RTP forwarding is locked with it.
            admin_key: String,
        }
    }
}

wire_struct! {
    /// `stop_all_files` (synchronous): stops every announcement; answered by
    /// [`Event::AnnouncementsStopped`].
    request StopAllFiles = "stop_all_files" {
        required {
            /// The room.
            room: Id,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
            /// The plugin's `admin_key`, when RTP forwarding is locked with it.
            admin_key: String,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Participants (asynchronous)
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `join` (asynchronous): enters a room, with or without a JSEP offer; answered by
    /// [`Event::Joined`] (with the answer, or an offer for `generate_offer`). The others get
    /// [`Event::Joined`] without `id`.
    request Join = "join" {
        required {
            /// The room.
            room: Id,
        }
        optional {
            /// The id to have; the plugin picks one when unset.
            id: Id,
            /// The group to be in (rooms with groups).
            group: String,
            /// The room's PIN, when it has one.
            pin: String,
            /// Display name.
            display: String,
            /// A token of the room's ACL.
            token: String,
            /// Start muted.
            muted: bool,
            /// Start suspended.
            suspended: bool,
            /// While suspended, get no room events.
            pause_events: bool,
            /// `opus` (default), `pcma` or `pcmu`.
            codec: String,
            /// Opus bitrate, bits per second (0: libopus picks).
            bitrate: u64,
            /// Opus complexity, 0-10 (default 4).
            quality: u8,
            /// Expected loss, percent (0-20), for FEC.
            expected_loss: u8,
            /// Volume, percent (100: unchanged).
            volume: u64,
            /// Spatial rooms: position, 0 (left) to 100 (right).
            spatial_position: u8,
            /// Talk detection: level threshold, instead of the room's.
            audio_level_average: u64,
            /// Talk detection: packets to average, instead of the room's.
            audio_active_packets: u64,
            /// Denoise us (RNNoise).
            denoise: bool,
            /// Record our contribution to a `.mjr` file.
            record: bool,
            /// Base name of that file.
            filename: String,
            /// Have the plugin make the offer (we answer with [`Configure`]).
            generate_offer: bool,
            /// Join over plain RTP instead of WebRTC.
            rtp: RtpParticipant,
            /// The room's secret: joins as an admin, whom `mute_room` does not mute.
            secret: String,
        }
    }
}

wire_struct! {
    /// Plain-RTP details of a participant ([`Join::rtp`], [`Configure::rtp`]).
    object RtpParticipant {
        required {}
        optional {
            /// The address to send the mix to.
            ip: String,
            /// The port to send the mix to.
            port: u16,
            /// The Opus payload type.
            payload_type: u8,
            /// The audio-level extension id.
            audiolevel_ext: u8,
            /// Send Opus FEC to it.
            fec: bool,
        }
    }
}

wire_struct! {
    /// `configure` (asynchronous): changes our participation (mute, volume, ...), and carries
    /// the JSEP offer or answer; answered by [`Event::Result`].
    request Configure = "configure" {
        required {}
        optional {
            /// Mute (true) or unmute (false).
            muted: bool,
            /// New display name.
            display: String,
            /// Opus bitrate, bits per second.
            bitrate: u64,
            /// Opus complexity, 0-10.
            quality: u8,
            /// Expected loss, percent (0-20).
            expected_loss: u8,
            /// Volume, percent.
            volume: u64,
            /// Spatial rooms: position, 0 (left) to 100 (right).
            spatial_position: u8,
            /// Denoise us (RNNoise).
            denoise: bool,
            /// Record our contribution to a `.mjr` file.
            record: bool,
            /// Base name of that file.
            filename: String,
            /// New group.
            group: String,
            /// Have the plugin make a new offer.
            generate_offer: bool,
            /// Plain RTP: where to send the mix now.
            rtp: RtpParticipant,
            /// The offer renegotiates (e.g. an ICE restart).
            update: bool,
        }
    }
}

wire_struct! {
    /// `changeroom` (asynchronous): leaves the room for another, keeping the PeerConnection;
    /// answered by [`Event::RoomChanged`].
    request ChangeRoom = "changeroom" {
        required {
            /// The room to move to.
            room: Id,
        }
        optional {
            /// The id to have there; the plugin picks one when unset.
            id: Id,
            /// The group to be in.
            group: String,
            /// The new room's PIN, when it has one.
            pin: String,
            /// Display name.
            display: String,
            /// A token of the new room's ACL.
            token: String,
            /// Start muted.
            muted: bool,
            /// Start suspended.
            suspended: bool,
            /// While suspended, get no room events.
            pause_events: bool,
            /// Opus bitrate, bits per second.
            bitrate: u64,
            /// Opus complexity, 0-10.
            quality: u8,
            /// Expected loss, percent (0-20).
            expected_loss: u8,
            /// Volume, percent.
            volume: u64,
            /// Spatial rooms: position, 0 (left) to 100 (right).
            spatial_position: u8,
            /// Denoise us (RNNoise).
            denoise: bool,
            /// The new room's secret: joins as an admin.
            secret: String,
        }
    }
}

wire_struct! {
    /// `leave` (asynchronous): leaves the room; answered by [`Event::Left`]; the others get
    /// [`Event::ParticipantLeft`].
    request Leave = "leave" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `hangup` (asynchronous): closes our PeerConnection, staying in the room; answered by
    /// [`Event::HangingUp`].
    request Hangup = "hangup" {
        required {}
        optional {}
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// The AudioBridge's own error codes (`error_code` in its answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 499: an error the plugin did not classify.
    UnknownError,
    /// 480: no message.
    NoMessage,
    /// 481: the message is not valid JSON.
    InvalidJson,
    /// 482: unknown or malformed request.
    InvalidRequest,
    /// 483: a required element is missing.
    MissingElement,
    /// 484: an element has the wrong type or value.
    InvalidElement,
    /// 485: no such room.
    NoSuchRoom,
    /// 486: the room exists already.
    RoomExists,
    /// 487: the handle has not joined a room.
    NotJoined,
    /// 488: libopus failed.
    LibopusError,
    /// 489: wrong or missing secret, PIN or token.
    Unauthorized,
    /// 490: the id is taken.
    IdExists,
    /// 491: the handle already joined.
    AlreadyJoined,
    /// 492: no such participant.
    NoSuchUser,
    /// 493: the SDP is not valid.
    InvalidSdp,
    /// 494: no such group.
    NoSuchGroup,
    /// Any other number.
    Unknown(u16),
}

impl ErrorCode {
    /// The code for a number.
    pub fn from_code(code: u16) -> Self {
        match code {
            499 => Self::UnknownError,
            480 => Self::NoMessage,
            481 => Self::InvalidJson,
            482 => Self::InvalidRequest,
            483 => Self::MissingElement,
            484 => Self::InvalidElement,
            485 => Self::NoSuchRoom,
            486 => Self::RoomExists,
            487 => Self::NotJoined,
            488 => Self::LibopusError,
            489 => Self::Unauthorized,
            490 => Self::IdExists,
            491 => Self::AlreadyJoined,
            492 => Self::NoSuchUser,
            493 => Self::InvalidSdp,
            494 => Self::NoSuchGroup,
            n => Self::Unknown(n),
        }
    }

    /// The number on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::UnknownError => 499,
            Self::NoMessage => 480,
            Self::InvalidJson => 481,
            Self::InvalidRequest => 482,
            Self::MissingElement => 483,
            Self::InvalidElement => 484,
            Self::NoSuchRoom => 485,
            Self::RoomExists => 486,
            Self::NotJoined => 487,
            Self::LibopusError => 488,
            Self::Unauthorized => 489,
            Self::IdExists => 490,
            Self::AlreadyJoined => 491,
            Self::NoSuchUser => 492,
            Self::InvalidSdp => 493,
            Self::NoSuchGroup => 494,
            Self::Unknown(n) => n,
        }
    }

    /// The AudioBridge code of a decode failure, when it was a plugin error.
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

/// A room and whether the configuration file changed: `created`, `edited`, `destroyed`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RoomChange {
    /// The room.
    pub room: Id,
    /// Whether the configuration file changed too (absent in the `destroyed` event).
    pub permanent: Option<bool>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `success` with `exists`: the answer to [`Exists`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RoomExists {
    /// The room asked about.
    pub room: Id,
    /// Whether it exists.
    pub exists: bool,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `success` with `list`: the answer to [`List`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RoomList {
    /// The rooms.
    pub list: Vec<RoomInfo>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A room, as [`List`] describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RoomInfo {
    /// Its id.
    pub room: Id,
    /// Its name.
    pub description: Option<String>,
    /// Joining needs a PIN.
    pub pin_required: Option<bool>,
    /// The mixer's sampling rate, Hz.
    pub sampling_rate: Option<u32>,
    /// The mix is spatial (stereo).
    pub spatial_audio: Option<bool>,
    /// The mix is being recorded.
    pub record: Option<bool>,
    /// The room is muted ([`MuteRoom`]).
    pub muted: Option<bool>,
    /// Participants.
    pub num_participants: Option<u64>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `success` with `allowed`: the answer to [`Allowed`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AllowedList {
    /// The room.
    pub room: Id,
    /// The whole token list now (absent after `disable`).
    #[serde(default)]
    pub allowed: Vec<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A participant, in [`Participants`], [`Joined`] and [`Event::ParticipantsChanged`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Participant {
    /// Its id.
    pub id: Id,
    /// Display name.
    pub display: Option<String>,
    /// Whether its PeerConnection (or RTP) is up.
    pub setup: Option<bool>,
    /// Whether it is muted.
    pub muted: Option<bool>,
    /// Whether it is suspended.
    pub suspended: Option<bool>,
    /// Whether it is talking (with audio levels).
    pub talking: Option<bool>,
    /// Spatial rooms: its position, 0 (left) to 100 (right).
    pub spatial_position: Option<u8>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `participants`: the answer to [`ListParticipants`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Participants {
    /// The room.
    pub room: Id,
    /// Who is in it.
    #[serde(default)]
    pub participants: Vec<Participant>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `joined`: the answer to [`Join`] (with our `id`), or the event the others get about a new
/// participant (without `id`; the newcomer is the one entry of `participants`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Joined {
    /// The room.
    pub room: Id,
    /// Our id (in the answer to our own join only).
    pub id: Option<Id>,
    /// Our display name.
    pub display: Option<String>,
    /// The other participants (or the newcomer).
    #[serde(default)]
    pub participants: Vec<Participant>,
    /// Plain-RTP joins: where to send our audio.
    pub rtp: Option<RtpDetails>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where the plugin expects a plain-RTP participant's audio ([`Joined::rtp`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RtpDetails {
    /// The address.
    pub ip: Option<String>,
    /// The port.
    pub port: Option<u16>,
    /// The payload type.
    pub payload_type: Option<u8>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `roomchanged`: the answer to [`ChangeRoom`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RoomChanged {
    /// The new room.
    pub room: Id,
    /// Our id there.
    pub id: Id,
    /// Our display name.
    pub display: Option<String>,
    /// The participants there.
    #[serde(default)]
    pub participants: Vec<Participant>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An RTP forwarder, in [`Forwarders`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Forwarder {
    /// Its id (for [`StopRtpForward`]).
    pub stream_id: u32,
    /// The group it forwards, if any.
    pub group: Option<String>,
    /// Where it sends.
    pub ip: Option<String>,
    /// The port it sends to.
    pub port: Option<u16>,
    /// The SSRC it sends with.
    pub ssrc: Option<u32>,
    /// The codec.
    pub codec: Option<String>,
    /// The payload type.
    pub ptype: Option<u8>,
    /// Whether it sends SRTP.
    pub srtp: Option<bool>,
    /// Whether it sends silence when the room is empty.
    pub always_on: Option<bool>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `forwarders`: the answer to [`ListForwarders`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Forwarders {
    /// The room.
    pub room: Id,
    /// Its forwarders.
    #[serde(default)]
    pub rtp_forwarders: Vec<Forwarder>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `success` with `stream_id` and `host`: the answer to [`RtpForward`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ForwarderAdded {
    /// The room.
    pub room: Id,
    /// The group forwarded, if any.
    pub group: Option<String>,
    /// The new forwarder's id.
    pub stream_id: u32,
    /// Where it sends.
    pub host: Option<String>,
    /// The port it sends to.
    pub port: Option<u16>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An announcement, in [`Announcements`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AnnouncementInfo {
    /// Its id.
    pub file_id: String,
    /// The file.
    pub filename: Option<String>,
    /// Whether it plays now.
    pub playing: Option<bool>,
    /// Whether it loops.
    #[serde(rename = "loop")]
    pub looped: Option<bool>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `announcements`: the answer to [`ListAnnouncements`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Announcements {
    /// The room.
    pub room: Id,
    /// Its announcements.
    #[serde(default)]
    pub announcements: Vec<AnnouncementInfo>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A plain `success` (e.g. [`Mute`], [`Kick`], [`Suspend`], [`ResetDecoder`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Success {
    /// The room, when given.
    pub room: Option<Id>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// What the AudioBridge says: answers to requests and events of its own.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// [`Create`] made the room.
    Created(RoomChange),
    /// [`Edit`] changed the room.
    Edited(RoomChange),
    /// The room was destroyed (the answer to [`Destroy`], or an event to its participants).
    Destroyed(RoomChange),
    /// The answer to [`Exists`].
    Exists(RoomExists),
    /// The answer to [`List`].
    RoomList(RoomList),
    /// The answer to [`Allowed`].
    Allowed(AllowedList),
    /// The answer to [`EnableRecording`]: whether the mix is recorded now.
    Recording {
        /// Whether it is.
        record: bool,
    },
    /// The answer to [`EnableMjrs`]: whether participants are recorded now.
    Mjrs {
        /// Whether they are.
        mjrs: bool,
    },
    /// The answer to [`RtpForward`].
    ForwarderAdded(ForwarderAdded),
    /// The answer to [`StopRtpForward`].
    ForwarderStopped {
        /// The room.
        room: Id,
        /// The forwarder removed.
        stream_id: u32,
    },
    /// The answer to [`PlayFile`] and [`StopFile`].
    Announcement {
        /// The room.
        room: Id,
        /// The announcement.
        file_id: String,
    },
    /// The answer to [`IsPlaying`].
    Playing {
        /// The room.
        room: Id,
        /// The announcement.
        file_id: String,
        /// Whether it plays.
        playing: bool,
    },
    /// The answer to [`StopAllFiles`].
    AnnouncementsStopped {
        /// The room.
        room: Id,
        /// The announcements stopped.
        file_ids: Vec<String>,
    },
    /// Any other `success`.
    Success(Success),
    /// The answer to [`ListParticipants`].
    Participants(Participants),
    /// The answer to [`ListForwarders`].
    Forwarders(Forwarders),
    /// The answer to [`ListAnnouncements`].
    Announcements(Announcements),
    /// We joined ([`Join`]), or someone else did.
    Joined(Joined),
    /// We moved ([`ChangeRoom`]).
    RoomChanged(RoomChanged),
    /// We left ([`Leave`]).
    Left {
        /// The room.
        room: Id,
        /// Our id.
        id: Option<Id>,
    },
    /// Our PeerConnection is closing ([`Hangup`], or Janus hung up).
    HangingUp {
        /// The room, when given.
        room: Option<Id>,
        /// Our id, when given.
        id: Option<Id>,
    },
    /// Our settings were applied ([`Configure`]): `result` is `ok`.
    Result {
        /// The room, when given.
        room: Option<Id>,
        /// The result.
        result: String,
    },
    /// Participants changed (muted, display name, setup, ...).
    ParticipantsChanged {
        /// The room.
        room: Id,
        /// The changed participants.
        participants: Vec<Participant>,
    },
    /// A participant left.
    ParticipantLeft {
        /// The room.
        room: Id,
        /// Who.
        id: Id,
    },
    /// A participant was kicked.
    Kicked {
        /// The room.
        room: Id,
        /// Who.
        id: Id,
    },
    /// Everyone was kicked ([`KickAll`]).
    KickedAll {
        /// The room.
        room: Id,
        /// The participant this event is for.
        id: Option<Id>,
    },
    /// The room was muted or unmuted ([`MuteRoom`], [`UnmuteRoom`]).
    RoomMuted {
        /// The room.
        room: Id,
        /// Whether it is muted now.
        muted: bool,
    },
    /// A participant was suspended.
    Suspended {
        /// The room.
        room: Id,
        /// Who.
        id: Id,
    },
    /// A participant was resumed (to the resumed one: with the current participants).
    Resumed {
        /// The room.
        room: Id,
        /// Who.
        id: Id,
        /// The participants (only to the resumed one, when its events were paused).
        participants: Vec<Participant>,
    },
    /// A participant started talking.
    Talking {
        /// The room.
        room: Id,
        /// Who.
        id: Id,
    },
    /// A participant stopped talking.
    StoppedTalking {
        /// The room.
        room: Id,
        /// Who.
        id: Id,
    },
    /// An announcement started playing.
    AnnouncementStarted {
        /// The room.
        room: Id,
        /// The announcement.
        file_id: String,
    },
    /// An announcement stopped.
    AnnouncementStopped {
        /// The room.
        room: Id,
        /// The announcement.
        file_id: String,
    },
    /// Anything this crate does not know, as sent.
    Other(Value),
}

fn shape(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Shape(e.to_string())
}

fn parse<T: serde::de::DeserializeOwned>(map: &Map<String, Value>) -> Result<T, DecodeError> {
    T::deserialize(Value::Object(map.clone())).map_err(shape)
}

fn field<T: serde::de::DeserializeOwned>(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<T>, DecodeError> {
    map.get(key)
        .map(|v| T::deserialize(v.clone()).map_err(shape))
        .transpose()
}

fn required<T: serde::de::DeserializeOwned>(
    map: &Map<String, Value>,
    key: &str,
) -> Result<T, DecodeError> {
    field(map, key)?.ok_or_else(|| DecodeError::Shape(format!("no `{key}` in {map:?}")))
}

impl Event {
    fn from_event(m: &Map<String, Value>, raw: &Value) -> Result<Self, DecodeError> {
        let room = || required::<Id>(m, "room");
        if m.contains_key("result") {
            return Ok(Self::Result {
                room: field(m, "room")?,
                result: match m.get("result") {
                    Some(Value::String(s)) => s.clone(),
                    other => other.map(Value::to_string).unwrap_or_default(),
                },
            });
        }
        if let Some(id) = m.get("resumed") {
            return Ok(Self::Resumed {
                room: room()?,
                id: Id::deserialize(id.clone()).map_err(shape)?,
                participants: field(m, "participants")?.unwrap_or_default(),
            });
        }
        if let Some(id) = field(m, "suspended")? {
            return Ok(Self::Suspended { room: room()?, id });
        }
        if let Some(id) = field(m, "leaving")? {
            return Ok(Self::ParticipantLeft { room: room()?, id });
        }
        if let Some(id) = field(m, "kicked")? {
            return Ok(Self::Kicked { room: room()?, id });
        }
        if m.contains_key("kicked_all") {
            return Ok(Self::KickedAll {
                room: room()?,
                id: field(m, "kicked_all")?,
            });
        }
        if m.contains_key("participants") {
            return Ok(Self::ParticipantsChanged {
                room: room()?,
                participants: required(m, "participants")?,
            });
        }
        if let Some(Value::Bool(muted)) = m.get("muted") {
            return Ok(Self::RoomMuted {
                room: room()?,
                muted: *muted,
            });
        }
        Ok(Self::Other(raw.clone()))
    }

    fn from_success(m: &Map<String, Value>) -> Result<Self, DecodeError> {
        let room = || required::<Id>(m, "room");
        if m.contains_key("exists") {
            return Ok(Self::Exists(parse(m)?));
        }
        if m.contains_key("list") {
            return Ok(Self::RoomList(parse(m)?));
        }
        if m.contains_key("allowed") {
            return Ok(Self::Allowed(parse(m)?));
        }
        if let Some(Value::Bool(record)) = m.get("record") {
            return Ok(Self::Recording { record: *record });
        }
        if let Some(Value::Bool(mjrs)) = m.get("mjrs") {
            return Ok(Self::Mjrs { mjrs: *mjrs });
        }
        if m.contains_key("stream_id") {
            return if m.contains_key("host") || m.contains_key("port") {
                Ok(Self::ForwarderAdded(parse(m)?))
            } else {
                Ok(Self::ForwarderStopped {
                    room: room()?,
                    stream_id: required(m, "stream_id")?,
                })
            };
        }
        if m.contains_key("file_id_list") {
            return Ok(Self::AnnouncementsStopped {
                room: room()?,
                file_ids: required(m, "file_id_list")?,
            });
        }
        if let Some(file_id) = field::<String>(m, "file_id")? {
            return Ok(match field(m, "playing")? {
                Some(playing) => Self::Playing {
                    room: room()?,
                    file_id,
                    playing,
                },
                None => Self::Announcement {
                    room: room()?,
                    file_id,
                },
            });
        }
        Ok(Self::Success(parse(m)?))
    }
}

impl PluginEvent for Event {
    fn decode(data: &PluginData) -> Result<Self, DecodeError> {
        let raw: Value = decode_as(data, PLUGIN)?;
        let Value::Object(mut m) = raw.clone() else {
            return Err(shape(format!("not an object: {raw}")));
        };
        let Some(Value::String(kind)) = m.remove("audiobridge") else {
            return Ok(Self::Other(raw));
        };
        let room = |m: &Map<String, Value>| required::<Id>(m, "room");
        Ok(match kind.as_str() {
            "created" => Self::Created(parse(&m)?),
            "edited" => Self::Edited(parse(&m)?),
            "destroyed" => Self::Destroyed(parse(&m)?),
            "success" => Self::from_success(&m)?,
            "participants" => Self::Participants(parse(&m)?),
            "forwarders" => Self::Forwarders(parse(&m)?),
            "announcements" => Self::Announcements(parse(&m)?),
            "joined" => Self::Joined(parse(&m)?),
            "roomchanged" => Self::RoomChanged(parse(&m)?),
            "left" => Self::Left {
                room: room(&m)?,
                id: field(&m, "id")?,
            },
            "hangingup" => Self::HangingUp {
                room: field(&m, "room")?,
                id: field(&m, "id")?,
            },
            "talking" => Self::Talking {
                room: room(&m)?,
                id: required(&m, "id")?,
            },
            "stopped-talking" => Self::StoppedTalking {
                room: room(&m)?,
                id: required(&m, "id")?,
            },
            "announcement-started" => Self::AnnouncementStarted {
                room: room(&m)?,
                file_id: required(&m, "file_id")?,
            },
            "announcement-stopped" => Self::AnnouncementStopped {
                room: room(&m)?,
                file_id: required(&m, "file_id")?,
            },
            "event" => Self::from_event(&m, &raw)?,
            _ => Self::Other(raw),
        })
    }
}

// ---------------------------------------------------------------------------------------
// The answers the workflows expect (for `plugin::expect`)
// ---------------------------------------------------------------------------------------

impl Event {
    /// The answer to our [`Join`], which has our `id` (returned apart), or the event back (boxed)
    /// (another participant's `joined` has none).
    pub fn into_joined(self) -> Result<(Id, Joined), Box<Self>> {
        match self {
            Self::Joined(j) => match j.id.clone() {
                Some(id) => Ok((id, j)),
                None => Err(Box::new(Self::Joined(j))),
            },
            other => Err(Box::new(other)),
        }
    }

    /// The answer to [`Configure`] (`result` `ok`), or the event back.
    pub fn into_configured(self) -> Result<(), Box<Self>> {
        match self {
            Self::Result { ref result, .. } if result == "ok" => Ok(()),
            other => Err(Box::new(other)),
        }
    }

    /// The answer to [`Leave`]: the room and our id, or the event back.
    pub fn into_left(self) -> Result<(Id, Option<Id>), Box<Self>> {
        match self {
            Self::Left { room, id } => Ok((room, id)),
            other => Err(Box::new(other)),
        }
    }

    /// The answer to [`ChangeRoom`], or the event back.
    pub fn into_room_changed(self) -> Result<RoomChanged, Box<Self>> {
        match self {
            Self::RoomChanged(r) => Ok(r),
            other => Err(Box::new(other)),
        }
    }

    /// The answer to [`ListParticipants`], or the event back.
    pub fn into_participants(self) -> Result<Participants, Box<Self>> {
        match self {
            Self::Participants(p) => Ok(p),
            other => Err(Box::new(other)),
        }
    }
}
