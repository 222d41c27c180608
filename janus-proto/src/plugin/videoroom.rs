//! VideoRoom (`janus.plugin.videoroom`): the SFU. Publishers send their streams into a room,
//! subscribers receive any mix of them; rooms are managed over the same handle.
//!
//! Requests are the structs below, one per request of the plugin's API (Janus 1.4.1), each
//! implementing [`PluginRequest`]. Every one says whether Janus answers it at once
//! (*synchronous*: the `success` reply of the `message` carries the answer) or later
//! (*asynchronous*: an `ack`, then an `event` with the answer, often with a JSEP). The
//! answers and the events the plugin sends on its own decode as [`Event`]; a plugin error
//! decodes as [`DecodeError::Plugin`], whose code [`ErrorCode`] names.
//!
//! Room, participant and feed ids are [`Id`]s: numbers by default, strings when the plugin
//! is configured with `string_ids`.
//!
//! ```
//! use janus_proto::plugin::{PluginEvent, PluginRequest, videoroom};
//! use janus_proto::PluginData;
//! use serde_json::json;
//!
//! let mut join = videoroom::JoinPublisher::new(1234);
//! join.display = Some("alice".into());
//! assert_eq!(
//!     join.to_body().unwrap(),
//!     json!({"request": "join", "ptype": "publisher", "room": 1234, "display": "alice"})
//! );
//!
//! let data = PluginData {
//!     plugin: videoroom::PLUGIN.into(),
//!     data: json!({"videoroom": "joined", "room": 1234, "description": "Demo Room",
//!                  "id": 42, "private_id": 7, "publishers": []}),
//! };
//! let videoroom::Event::Joined(joined) = videoroom::Event::decode(&data).unwrap() else {
//!     panic!("not joined")
//! };
//! assert_eq!((joined.id, joined.private_id), (42.into(), Some(7)));
//!
//! let error = PluginData {
//!     plugin: videoroom::PLUGIN.into(),
//!     data: json!({"videoroom": "event", "error_code": 426, "error": "No such room (1)"}),
//! };
//! let e = videoroom::Event::decode(&error).unwrap_err();
//! assert_eq!(videoroom::ErrorCode::of(&e), Some(videoroom::ErrorCode::NoSuchRoom));
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
pub const PLUGIN: &str = "janus.plugin.videoroom";

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
            /// Subscribers must name their publisher's `private_id`.
            require_pvtid: bool,
            /// Joins need a signed token naming the room (core token auth).
            signed_tokens: bool,
            /// Video bitrate cap for publishers, bits per second (0: none).
            bitrate: u64,
            /// The cap is a limit publishers cannot raise.
            bitrate_cap: bool,
            /// Keyframe request period, seconds (0: none).
            fir_freq: u64,
            /// Most publishers at once.
            publishers: u64,
            /// Allowed audio codecs, comma separated (e.g. `opus,pcmu`).
            audiocodec: String,
            /// Allowed video codecs, comma separated (e.g. `vp8,h264`).
            videocodec: String,
            /// VP9 profile to prefer.
            vp9_profile: String,
            /// H.264 profile to prefer.
            h264_profile: String,
            /// Negotiate Opus in-band FEC.
            opus_fec: bool,
            /// Negotiate Opus DTX.
            opus_dtx: bool,
            /// Negotiate the audio-level RTP extension.
            audiolevel_ext: bool,
            /// Send `talking` / `stopped-talking` events.
            audiolevel_event: bool,
            /// Packets of audio level to average for talk detection.
            audio_active_packets: u64,
            /// Average audio level threshold for talk detection (0-127, dBov).
            audio_level_average: u64,
            /// Negotiate the video-orientation RTP extension.
            videoorient_ext: bool,
            /// Negotiate the playout-delay RTP extension.
            playoutdelay_ext: bool,
            /// Negotiate transport-wide congestion control.
            transport_wide_cc_ext: bool,
            /// Record every publisher.
            record: bool,
            /// Folder for the recordings.
            rec_dir: String,
            /// Only the room secret may change recording.
            lock_record: bool,
            /// Tell participants about plain joins too (`joining` events), not only publishers.
            notify_joining: bool,
            /// Publishers must use end-to-end encryption.
            require_e2ee: bool,
            /// Add a placeholder publisher that subscriptions can point at.
            dummy_publisher: bool,
            /// The placeholder publisher's streams.
            dummy_streams: Vec<DummyStream>,
            /// The placeholder publisher claims end-to-end encryption.
            dummy_e2ee: bool,
            /// Relay threads for the room.
            threads: u64,
            /// The plugin's `admin_key`, when it is configured.
            admin_key: String,
        }
    }
}

wire_struct! {
    /// A placeholder stream of [`Create::dummy_streams`].
    object DummyStream {
        required {
            /// The codec (e.g. `opus`, `vp8`).
            codec: String,
        }
        optional {
            /// An fmtp line for it.
            fmtp: String,
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
            /// New private flag.
            new_is_private: bool,
            /// New secret.
            new_secret: String,
            /// New PIN.
            new_pin: String,
            /// New `require_pvtid`.
            new_require_pvtid: bool,
            /// New bitrate cap, bits per second.
            new_bitrate: u64,
            /// New keyframe request period, seconds.
            new_fir_freq: u64,
            /// New publisher limit.
            new_publishers: u64,
            /// New `lock_record`.
            new_lock_record: bool,
            /// New recording folder.
            new_rec_dir: String,
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
    /// `exists` (synchronous): whether a room exists; answered by [`Event::Exists`].
    request Exists = "exists" {
        required {
            /// The room.
            room: Id,
        }
        optional {}
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

wire_struct! {
    /// `kick` (synchronous): throws a participant out (they may join again); answered by
    /// [`Event::Success`]. The participant gets [`Event::LeftRoom`] with reason `kicked`,
    /// the others [`Event::ParticipantKicked`].
    request Kick = "kick" {
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

wire_struct! {
    /// `moderate` (synchronous): mutes or unmutes one of a participant's streams for
    /// everybody; answered by [`Event::Success`], then [`Event::Moderation`] to the room.
    request Moderate = "moderate" {
        required {
            /// The room.
            room: Id,
            /// The participant.
            id: Id,
            /// The mid of the participant's stream.
            mid: String,
            /// Mute (true) or lift the moderator's mute (false).
            mute: bool,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
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
    /// `listforwarders` (synchronous): the RTP forwarders of a room; answered by
    /// [`Event::Forwarders`].
    request ListForwarders = "listforwarders" {
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

wire_struct! {
    /// `enable_recording` (synchronous): starts or stops recording every publisher;
    /// answered by [`Event::Recording`].
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
        }
    }
}

// ---------------------------------------------------------------------------------------
// RTP forwarding (synchronous)
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `rtp_forward` (synchronous): relays a publisher's streams as plain (or SRTP) RTP to
    /// a host; answered by [`Event::RtpForward`].
    request RtpForward = "rtp_forward" {
        required {
            /// The room.
            room: Id,
            /// The publisher to forward.
            publisher_id: Id,
            /// Where to send (each stream may override it).
            host: String,
        }
        optional {
            /// `ipv4` or `ipv6`, to resolve `host` with.
            host_family: String,
            /// The streams to forward, with their ports.
            streams: Vec<ForwardStream>,
            /// Forward the relayed simulcast substream only, as a subscriber would get it.
            simulcast: bool,
            /// SRTP: authentication tag length, 32 or 80.
            srtp_suite: u64,
            /// SRTP: the key, base64 (as in SDES).
            srtp_crypto: String,
            /// The room's secret, when it has one.
            secret: String,
            /// The plugin's `admin_key`, when RTP forwarding is locked with it.
            admin_key: String,
        }
    }
}

wire_struct! {
    /// One stream of an [`RtpForward`].
    object ForwardStream {
        required {
            /// The publisher's mid of the stream.
            mid: String,
            /// The port to send to.
            port: u16,
        }
        optional {
            /// The host to send to, instead of the request's.
            host: String,
            /// `ipv4` or `ipv6`.
            host_family: String,
            /// A port to get RTCP feedback from the receiver on.
            rtcp_port: u16,
            /// The SSRC to send with.
            ssrc: u32,
            /// The payload type to send with.
            pt: u8,
            /// Forward only the relayed simulcast substream.
            simulcast: bool,
            /// SRTP: authentication tag length, 32 or 80.
            srtp_suite: u64,
            /// SRTP: the key, base64.
            srtp_crypto: String,
            /// Simulcast: port for the second substream.
            port_2: u16,
            /// Simulcast: SSRC for the second substream.
            ssrc_2: u32,
            /// Simulcast: payload type for the second substream.
            pt_2: u8,
            /// Simulcast: port for the third substream.
            port_3: u16,
            /// Simulcast: SSRC for the third substream.
            ssrc_3: u32,
            /// Simulcast: payload type for the third substream.
            pt_3: u8,
        }
    }
}

wire_struct! {
    /// `stop_rtp_forward` (synchronous): removes a forwarder; answered by
    /// [`Event::StopRtpForward`].
    request StopRtpForward = "stop_rtp_forward" {
        required {
            /// The room.
            room: Id,
            /// The publisher.
            publisher_id: Id,
            /// The forwarder, as [`Forwarder::stream_id`] named it.
            stream_id: u64,
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
// Remote publishers: room cascading between Janus instances (synchronous)
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `publish_remotely` (synchronous): sends a local publisher's media to a remote
    /// publisher made on another Janus with [`AddRemotePublisher`]; answered by
    /// [`Event::PublishedRemotely`].
    request PublishRemotely = "publish_remotely" {
        required {
            /// The room.
            room: Id,
            /// The local publisher.
            publisher_id: Id,
            /// A name for this remotization (to stop it with [`UnpublishRemotely`]).
            remote_id: String,
            /// Where to send (the remote's `ip`).
            host: String,
            /// The port to send to (the remote's `port`).
            port: u16,
        }
        optional {
            /// `ipv4` or `ipv6`.
            host_family: String,
            /// The remote's RTCP port.
            rtcp_port: u16,
            /// SRTP: authentication tag length, 32 or 80.
            srtp_suite: u64,
            /// SRTP: the key, base64.
            srtp_crypto: String,
            /// The room's secret, when it has one.
            secret: String,
            /// The plugin's `admin_key`, when RTP forwarding is locked with it.
            admin_key: String,
        }
    }
}

wire_struct! {
    /// `unpublish_remotely` (synchronous): stops one remotization; answered by
    /// [`Event::Success`] (with `room` and `id`).
    request UnpublishRemotely = "unpublish_remotely" {
        required {
            /// The room.
            room: Id,
            /// The local publisher.
            publisher_id: Id,
            /// The remotization's name.
            remote_id: String,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
        }
    }
}

wire_struct! {
    /// `listremotes` (synchronous): a local publisher's remotizations; answered by
    /// [`Event::Remotes`]. (The plugin's doc says `list_remotes`; the code answers to
    /// `listremotes`.)
    request ListRemotes = "listremotes" {
        required {
            /// The room.
            room: Id,
            /// The local publisher.
            publisher_id: Id,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
        }
    }
}

wire_struct! {
    /// `add_remote_publisher` (synchronous): makes a publisher whose media comes from
    /// another Janus; answered by [`Event::RemotePublisherAdded`] (where to send it), and
    /// announced to the room like a local one ([`Event::Publishers`]).
    request AddRemotePublisher = "add_remote_publisher" {
        required {
            /// The room.
            room: Id,
            /// Its streams.
            streams: Vec<RemoteStream>,
        }
        optional {
            /// The id to give it; the plugin picks one when unset.
            id: Id,
            /// Its display name.
            display: String,
            /// Its metadata.
            metadata: Value,
            /// Multicast group to receive on.
            mcast: String,
            /// Interface or address to bind to.
            iface: String,
            /// Port to receive every stream on (0: any).
            port: u16,
            /// SRTP: authentication tag length, 32 or 80.
            srtp_suite: u64,
            /// SRTP: the key, base64.
            srtp_crypto: String,
            /// The room's secret, when it has one.
            secret: String,
        }
    }
}

wire_struct! {
    /// `update_remote_publisher` (synchronous): tells the room about a remote publisher's
    /// changed streams; answered by [`Event::Success`].
    request UpdateRemotePublisher = "update_remote_publisher" {
        required {
            /// The room.
            room: Id,
            /// The remote publisher.
            id: Id,
            /// The new or changed streams.
            streams: Vec<RemoteStream>,
        }
        optional {
            /// New display name.
            display: String,
            /// New metadata.
            metadata: Value,
            /// SRTP: authentication tag length, 32 or 80.
            srtp_suite: u64,
            /// SRTP: the key, base64.
            srtp_crypto: String,
            /// The room's secret, when it has one.
            secret: String,
        }
    }
}

wire_struct! {
    /// `remove_remote_publisher` (synchronous): removes a remote publisher; answered by
    /// [`Event::Success`], and the room hears it leave.
    request RemoveRemotePublisher = "remove_remote_publisher" {
        required {
            /// The room.
            room: Id,
            /// The remote publisher.
            id: Id,
        }
        optional {
            /// The room's secret, when it has one.
            secret: String,
        }
    }
}

wire_struct! {
    /// One stream of a remote publisher ([`AddRemotePublisher`], [`UpdateRemotePublisher`]).
    object RemoteStream {
        required {
            /// The mid on the source Janus.
            mid: String,
            /// The m-line index on the source Janus.
            mindex: u64,
            /// `audio`, `video` or `data`.
            #[serde(rename = "type")]
            kind: String,
        }
        optional {
            /// The codec.
            codec: String,
            /// A text description.
            description: String,
            /// The stream is inactive.
            disabled: bool,
            /// Opus in stereo.
            stereo: bool,
            /// Opus FEC.
            fec: bool,
            /// Opus DTX.
            dtx: bool,
            /// H.264 profile.
            h264_profile: String,
            /// VP9 profile.
            vp9_profile: String,
            /// Video with simulcast.
            simulcast: bool,
            /// Video with SVC.
            svc: bool,
            /// Id of the audio-level extension.
            audiolevel_ext_id: u8,
            /// Id of the video-orientation extension.
            videoorient_ext_id: u8,
            /// Id of the playout-delay extension.
            playoutdelay_ext_id: u8,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Publishers (asynchronous)
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `join` as a publisher (asynchronous): enters a room as a participant, publishing or
    /// not; answered by [`Event::Joined`]. With `notify_joining` the others get
    /// [`Event::Joining`].
    request JoinPublisher = "join" {
        fixed {
            /// Always `publisher`.
            ptype: PublisherType,
        }
        required {
            /// The room.
            room: Id,
        }
        optional {
            /// The id to have; the plugin picks one when unset.
            id: Id,
            /// Display name.
            display: String,
            /// Metadata shown to the others.
            metadata: Value,
            /// The room's PIN, when it has one.
            pin: String,
            /// A token of the room's ACL (or a signed token).
            token: String,
        }
    }
}

/// The `ptype` of a publisher's join: serialises as `"publisher"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublisherType;

/// The `ptype` of a subscriber's join: serialises as `"subscriber"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubscriberType;

impl Serialize for PublisherType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("publisher")
    }
}

impl Serialize for SubscriberType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("subscriber")
    }
}

wire_struct! {
    /// `joinandconfigure` (asynchronous): [`JoinPublisher`] and [`Publish`] in one, sent
    /// with the JSEP offer; answered by [`Event::Joined`] with the JSEP answer.
    request JoinAndConfigure = "joinandconfigure" {
        fixed {
            /// Always `publisher`.
            ptype: PublisherType,
        }
        required {
            /// The room.
            room: Id,
        }
        optional {
            /// The id to have; the plugin picks one when unset.
            id: Id,
            /// Display name.
            display: String,
            /// Metadata shown to the others.
            metadata: Value,
            /// The room's PIN, when it has one.
            pin: String,
            /// A token of the room's ACL (or a signed token).
            token: String,
            /// Audio codec to prefer among those offered.
            audiocodec: String,
            /// Video codec to prefer among those offered.
            videocodec: String,
            /// Video bitrate cap, bits per second.
            bitrate: u64,
            /// Record this publisher.
            record: bool,
            /// Base name of the recording.
            filename: String,
            /// Talk detection: packets to average, instead of the room's.
            audio_active_packets: u64,
            /// Talk detection: level threshold, instead of the room's.
            audio_level_average: u64,
            /// Text descriptions of the published streams.
            descriptions: Vec<StreamDescription>,
        }
    }
}

wire_struct! {
    /// `publish` (asynchronous, with the JSEP offer): starts publishing; answered by
    /// [`Event::Configured`] with the JSEP answer; the room gets [`Event::Publishers`] once
    /// media flows.
    request Publish = "publish" {
        required {}
        optional {
            /// Audio codec to prefer among those offered.
            audiocodec: String,
            /// Video codec to prefer among those offered.
            videocodec: String,
            /// Video bitrate cap, bits per second.
            bitrate: u64,
            /// Ask for a keyframe.
            keyframe: bool,
            /// Record this publisher.
            record: bool,
            /// Base name of the recording.
            filename: String,
            /// New display name.
            display: String,
            /// New metadata.
            metadata: Value,
            /// Talk detection: packets to average, instead of the room's.
            audio_active_packets: u64,
            /// Talk detection: level threshold, instead of the room's.
            audio_level_average: u64,
            /// Text descriptions of the published streams.
            descriptions: Vec<StreamDescription>,
            /// The room's secret (needed to change recording when `lock_record` is set).
            secret: String,
        }
    }
}

wire_struct! {
    /// A text description of a published stream ([`Publish::descriptions`]).
    object StreamDescription {
        required {
            /// The mid of the stream.
            mid: String,
            /// The text (e.g. "screen").
            description: String,
        }
        optional {}
    }
}

wire_struct! {
    /// `configure` on a publisher (asynchronous): changes how it publishes (or, with a JSEP
    /// offer, renegotiates); answered by [`Event::Configured`].
    request ConfigurePublisher = "configure" {
        required {}
        optional {
            /// Video bitrate cap, bits per second.
            bitrate: u64,
            /// Ask for a keyframe.
            keyframe: bool,
            /// Record this publisher.
            record: bool,
            /// Base name of the recording.
            filename: String,
            /// New display name (the room gets [`Event::ParticipantUpdated`]).
            display: String,
            /// New metadata (the room gets [`Event::ParticipantUpdated`]).
            metadata: Value,
            /// Talk detection: packets to average, instead of the room's.
            audio_active_packets: u64,
            /// Talk detection: level threshold, instead of the room's.
            audio_level_average: u64,
            /// Per-stream changes.
            streams: Vec<PublisherStreamConfig>,
            /// Text descriptions of the published streams.
            descriptions: Vec<StreamDescription>,
            /// The JSEP offer is a renegotiation.
            update: bool,
            /// The room's secret (needed to change recording when `lock_record` is set).
            secret: String,
        }
    }
}

wire_struct! {
    /// A per-stream change of a [`ConfigurePublisher`].
    object PublisherStreamConfig {
        required {
            /// The mid of the published stream.
            mid: String,
        }
        optional {
            /// Relay it (true) or hold it back (false).
            send: bool,
            /// Ask for a keyframe on it.
            keyframe: bool,
            /// Playout delay minimum, in 10 ms units.
            min_delay: i64,
            /// Playout delay maximum, in 10 ms units.
            max_delay: i64,
        }
    }
}

wire_struct! {
    /// `unpublish` (asynchronous): stops publishing and closes the PeerConnection; answered
    /// by [`Event::Unpublished`]; the room gets [`Event::PublisherUnpublished`].
    request Unpublish = "unpublish" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `leave` (asynchronous): leaves the room (a publisher) or ends the subscription (a
    /// subscriber); answered by [`Event::LeftRoom`] or [`Event::Left`].
    request Leave = "leave" {
        required {}
        optional {}
    }
}

// ---------------------------------------------------------------------------------------
// Subscribers (asynchronous)
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `join` as a subscriber (asynchronous): subscribes to streams of one or more
    /// publishers; answered by [`Event::Attached`] with a JSEP offer, to be answered with
    /// [`Start`].
    request JoinSubscriber = "join" {
        fixed {
            /// Always `subscriber`.
            ptype: SubscriberType,
        }
        required {
            /// The room.
            room: Id,
        }
        optional {
            /// The streams to receive.
            streams: Vec<SubscribeStream>,
            /// The `private_id` of the participant subscribing (required by `require_pvtid`).
            private_id: u64,
            /// Renegotiate by itself when a subscribed publisher leaves (default true).
            autoupdate: bool,
            /// Name the publisher in each stream's msid.
            use_msid: bool,
            /// The room's PIN, when it has one.
            pin: String,
            /// A token of the room's ACL (or a signed token).
            token: String,
            /// Deprecated single-publisher form: the publisher (use `streams`).
            feed: Id,
        }
    }
}

impl JoinSubscriber {
    /// Asks to subscribe, in `room`, to `streams`.
    pub fn to_streams(room: impl Into<Id>, streams: Vec<SubscribeStream>) -> Self {
        let mut join = Self::new(room);
        join.streams = Some(streams);
        join
    }
}

wire_struct! {
    /// A stream to subscribe to: all of a publisher's, or one by its mid.
    object SubscribeStream {
        required {
            /// The publisher.
            feed: Id,
        }
        optional {
            /// The publisher's mid of the stream (all its streams when unset).
            mid: String,
            /// A label of ours, echoed in the stream's description.
            crossrefid: String,
            /// Relay it (true) or hold it back (false).
            send: bool,
            /// Simulcast: the substream to receive (0-2).
            substream: u8,
            /// Simulcast: the temporal layer to receive (0-2).
            temporal: u8,
            /// Simulcast: microseconds without packets before dropping a substream.
            fallback: u64,
            /// SVC: the spatial layer to receive.
            spatial_layer: u8,
            /// SVC: the temporal layer to receive.
            temporal_layer: u8,
            /// Playout delay minimum, in 10 ms units.
            min_delay: i64,
            /// Playout delay maximum, in 10 ms units.
            max_delay: i64,
        }
    }
}

wire_struct! {
    /// What to stop receiving: a publisher's streams, one of them, or one of our m-lines.
    object UnsubscribeStream {
        required {}
        optional {
            /// The publisher.
            feed: Id,
            /// The publisher's mid of the stream.
            mid: String,
            /// Our (the subscription's) mid.
            sub_mid: String,
        }
    }
}

wire_struct! {
    /// `start` (asynchronous): sent with the JSEP answer to an offer, or alone to resume after
    /// [`Pause`]; answered by [`Event::Started`].
    request Start = "start" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `pause` (asynchronous): stops relaying every stream of the subscription; answered by
    /// [`Event::Paused`].
    request Pause = "pause" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `configure` on a subscriber (asynchronous): per-stream send and layer choices, or an
    /// ICE restart; answered by [`Event::Configured`] (and a new offer for `restart`).
    request ConfigureSubscriber = "configure" {
        required {}
        optional {
            /// Per-stream changes.
            streams: Vec<SubscriberStreamConfig>,
            /// Send a new offer with an ICE restart.
            restart: bool,
            /// Send a new offer (renegotiate).
            update: bool,
        }
    }
}

wire_struct! {
    /// A per-stream change of a [`ConfigureSubscriber`].
    object SubscriberStreamConfig {
        required {
            /// Our (the subscription's) mid.
            mid: String,
        }
        optional {
            /// Relay it (true) or hold it back (false).
            send: bool,
            /// Simulcast: the substream to receive (0-2).
            substream: u8,
            /// Simulcast: the temporal layer to receive (0-2).
            temporal: u8,
            /// Simulcast: microseconds without packets before dropping a substream.
            fallback: u64,
            /// SVC: the spatial layer to receive.
            spatial_layer: u8,
            /// SVC: the temporal layer to receive.
            temporal_layer: u8,
            /// Talk detection: packets to average, instead of the room's.
            audio_active_packets: u64,
            /// Talk detection: level threshold, instead of the room's.
            audio_level_average: u64,
            /// Playout delay minimum, in 10 ms units.
            min_delay: i64,
            /// Playout delay maximum, in 10 ms units.
            max_delay: i64,
        }
    }
}

wire_struct! {
    /// `subscribe` (asynchronous): adds streams to the subscription; answered by
    /// [`Event::Updated`] (with a new offer when the SDP changes) or [`Event::Updating`].
    request Subscribe = "subscribe" {
        required {
            /// The streams to add.
            streams: Vec<SubscribeStream>,
        }
        optional {}
    }
}

wire_struct! {
    /// `unsubscribe` (asynchronous): removes streams from the subscription; answered like
    /// [`Subscribe`].
    request Unsubscribe = "unsubscribe" {
        required {
            /// The streams to remove.
            streams: Vec<UnsubscribeStream>,
        }
        optional {}
    }
}

wire_struct! {
    /// `update` (asynchronous): adds and removes streams in one renegotiation; answered like
    /// [`Subscribe`]. At least one of the two lists must be given.
    request Update = "update" {
        required {}
        optional {
            /// The streams to add.
            subscribe: Vec<SubscribeStream>,
            /// The streams to remove.
            unsubscribe: Vec<UnsubscribeStream>,
        }
    }
}

wire_struct! {
    /// `switch` (asynchronous): feeds some of our m-lines from other publishers' streams,
    /// without renegotiating; answered by [`Event::Switched`].
    request Switch = "switch" {
        required {
            /// The changes.
            streams: Vec<SwitchStream>,
        }
        optional {}
    }
}

wire_struct! {
    /// One change of a [`Switch`].
    object SwitchStream {
        required {
            /// The publisher to take the stream from.
            feed: Id,
            /// The publisher's mid of it.
            mid: String,
            /// Our m-line to put it on.
            sub_mid: String,
        }
        optional {
            /// Simulcast: the substream to receive (0-2).
            substream: u8,
            /// Simulcast: the temporal layer to receive (0-2).
            temporal: u8,
            /// SVC: the spatial layer to receive.
            spatial_layer: u8,
            /// SVC: the temporal layer to receive.
            temporal_layer: u8,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// The VideoRoom's own error codes (`error_code` in its answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 499: an error the plugin did not classify.
    UnknownError,
    /// 421: no message.
    NoMessage,
    /// 422: the message is not valid JSON.
    InvalidJson,
    /// 423: unknown or malformed request.
    InvalidRequest,
    /// 424: the handle must `join` first.
    JoinFirst,
    /// 425: the handle already joined.
    AlreadyJoined,
    /// 426: no such room.
    NoSuchRoom,
    /// 427: the room exists already.
    RoomExists,
    /// 428: no such feed (publisher).
    NoSuchFeed,
    /// 429: a required element is missing.
    MissingElement,
    /// 430: an element has the wrong type or value.
    InvalidElement,
    /// 431: the JSEP type is not the expected one.
    InvalidSdpType,
    /// 432: the room has as many publishers as it allows.
    PublishersFull,
    /// 433: wrong or missing secret, PIN or token.
    Unauthorized,
    /// 434: already publishing.
    AlreadyPublished,
    /// 435: not publishing.
    NotPublished,
    /// 436: the id is taken.
    IdExists,
    /// 437: the SDP is not valid.
    InvalidSdp,
    /// 438: the feed cannot be subscribed to (e.g. it is our own).
    InvalidFeed,
    /// Any other number.
    Unknown(u16),
}

impl ErrorCode {
    /// The code for a number.
    pub fn from_code(code: u16) -> Self {
        match code {
            499 => Self::UnknownError,
            421 => Self::NoMessage,
            422 => Self::InvalidJson,
            423 => Self::InvalidRequest,
            424 => Self::JoinFirst,
            425 => Self::AlreadyJoined,
            426 => Self::NoSuchRoom,
            427 => Self::RoomExists,
            428 => Self::NoSuchFeed,
            429 => Self::MissingElement,
            430 => Self::InvalidElement,
            431 => Self::InvalidSdpType,
            432 => Self::PublishersFull,
            433 => Self::Unauthorized,
            434 => Self::AlreadyPublished,
            435 => Self::NotPublished,
            436 => Self::IdExists,
            437 => Self::InvalidSdp,
            438 => Self::InvalidFeed,
            n => Self::Unknown(n),
        }
    }

    /// The number on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::UnknownError => 499,
            Self::NoMessage => 421,
            Self::InvalidJson => 422,
            Self::InvalidRequest => 423,
            Self::JoinFirst => 424,
            Self::AlreadyJoined => 425,
            Self::NoSuchRoom => 426,
            Self::RoomExists => 427,
            Self::NoSuchFeed => 428,
            Self::MissingElement => 429,
            Self::InvalidElement => 430,
            Self::InvalidSdpType => 431,
            Self::PublishersFull => 432,
            Self::Unauthorized => 433,
            Self::AlreadyPublished => 434,
            Self::NotPublished => 435,
            Self::IdExists => 436,
            Self::InvalidSdp => 437,
            Self::InvalidFeed => 438,
            Self::Unknown(n) => n,
        }
    }

    /// The VideoRoom code of a decode failure, when it was a plugin error.
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

/// `created`: the room [`Create`] made.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Created {
    /// The room.
    pub room: Id,
    /// Whether it was saved to the configuration file.
    pub permanent: Option<bool>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `edited`: the answer to [`Edit`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Edited {
    /// The room.
    pub room: Id,
    /// Whether the configuration file was changed too.
    pub permanent: Option<bool>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `destroyed`: the answer to [`Destroy`], and the event every participant of the room gets.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Destroyed {
    /// The room.
    pub room: Id,
    /// Whether it was removed from the configuration file too (in the answer only).
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
    /// Hidden from plain `list` requests.
    pub is_private: Option<bool>,
    /// Most publishers at once.
    pub max_publishers: Option<u64>,
    /// Video bitrate cap, bits per second.
    pub bitrate: Option<u64>,
    /// The cap cannot be raised by publishers.
    pub bitrate_cap: Option<bool>,
    /// Keyframe request period, seconds.
    pub fir_freq: Option<u64>,
    /// Subscribers must give a `private_id`.
    pub require_pvtid: Option<bool>,
    /// Publishers must use end-to-end encryption.
    pub require_e2ee: Option<bool>,
    /// The room has a placeholder publisher.
    pub dummy_publisher: Option<bool>,
    /// Plain joins are announced.
    pub notify_joining: Option<bool>,
    /// Allowed audio codecs, comma separated.
    pub audiocodec: Option<String>,
    /// Allowed video codecs, comma separated.
    pub videocodec: Option<String>,
    /// Opus FEC is negotiated.
    pub opus_fec: Option<bool>,
    /// Opus DTX is negotiated.
    pub opus_dtx: Option<bool>,
    /// The room is being recorded.
    pub record: Option<bool>,
    /// Where recordings go.
    pub rec_dir: Option<String>,
    /// Only the secret may change recording.
    pub lock_record: Option<bool>,
    /// Participants (publishers, active or not).
    pub num_participants: Option<u64>,
    /// The audio-level extension is negotiated.
    pub audiolevel_ext: Option<bool>,
    /// Talk events are sent.
    pub audiolevel_event: Option<bool>,
    /// Talk detection: packets averaged.
    pub audio_active_packets: Option<u64>,
    /// Talk detection: level threshold.
    pub audio_level_average: Option<u64>,
    /// The video-orientation extension is negotiated.
    pub videoorient_ext: Option<bool>,
    /// The playout-delay extension is negotiated.
    pub playoutdelay_ext: Option<bool>,
    /// Transport-wide congestion control is negotiated.
    pub transport_wide_cc_ext: Option<bool>,
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

/// `participants`: the answer to [`ListParticipants`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Participants {
    /// The room.
    pub room: Id,
    /// Who is in it.
    #[serde(default)]
    pub participants: Vec<ParticipantInfo>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A participant, as [`ListParticipants`] describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ParticipantInfo {
    /// Its id.
    pub id: Id,
    /// Display name.
    pub display: Option<String>,
    /// Metadata.
    pub metadata: Option<Value>,
    /// Whether it is publishing now.
    pub publisher: Option<bool>,
    /// Whether it is talking (with audio levels).
    pub talking: Option<bool>,
    /// The room's placeholder publisher.
    pub dummy: Option<bool>,
    /// A remote publisher ([`AddRemotePublisher`]).
    pub remote: Option<bool>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `forwarders`: the answer to [`ListForwarders`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Forwarders {
    /// The room.
    pub room: Id,
    /// The publishers with forwarders, and theirs.
    #[serde(default)]
    pub publishers: Vec<PublisherForwarders>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A publisher's forwarders, in [`Forwarders`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublisherForwarders {
    /// The publisher.
    pub publisher_id: Id,
    /// Its display name.
    pub display: Option<String>,
    /// Its metadata.
    pub metadata: Option<Value>,
    /// Its forwarders.
    #[serde(default)]
    pub forwarders: Vec<Forwarder>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An RTP forwarder.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Forwarder {
    /// Its id (for [`StopRtpForward`]).
    pub stream_id: u64,
    /// `audio`, `video` or `data`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Where it sends.
    pub host: Option<String>,
    /// The port it sends to.
    pub port: Option<u16>,
    /// Our port for RTCP from the receiver.
    pub local_rtcp_port: Option<u16>,
    /// The receiver's RTCP port.
    pub remote_rtcp_port: Option<u16>,
    /// The SSRC it sends with.
    pub ssrc: Option<u32>,
    /// The payload type it sends with.
    pub pt: Option<u8>,
    /// The simulcast substream it relays.
    pub substream: Option<u8>,
    /// Whether it sends SRTP.
    pub srtp: Option<bool>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `rtp_forward`: the answer to [`RtpForward`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RtpForwardReply {
    /// The room.
    pub room: Id,
    /// The publisher.
    pub publisher_id: Id,
    /// The new forwarders.
    #[serde(default)]
    pub forwarders: Vec<Forwarder>,
    /// Other keys (the deprecated `rtp_stream` summary lands here).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `stop_rtp_forward`: the answer to [`StopRtpForward`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RtpForwardStopped {
    /// The room.
    pub room: Id,
    /// The publisher.
    pub publisher_id: Id,
    /// The forwarder removed.
    pub stream_id: u64,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `success` with `ip`: the answer to [`AddRemotePublisher`], saying where the source
/// Janus must send ([`PublishRemotely`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RemotePublisherAdded {
    /// The room.
    pub room: Id,
    /// The remote publisher's id here.
    pub id: Id,
    /// The address to send its RTP to.
    pub ip: String,
    /// The port to send its RTP to.
    pub port: u16,
    /// The port to get RTCP feedback from.
    pub rtcp_port: Option<u16>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `success` with `remote_id`: the answer to [`PublishRemotely`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublishedRemotely {
    /// The room.
    pub room: Id,
    /// The local publisher.
    pub id: Id,
    /// The remotization's name.
    pub remote_id: String,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `success` with `list` and `id`: the answer to [`ListRemotes`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Remotes {
    /// The room.
    pub room: Id,
    /// The local publisher.
    pub id: Id,
    /// Its remotizations.
    #[serde(default)]
    pub list: Vec<Remotization>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One remotization, in [`Remotes`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Remotization {
    /// Its name.
    pub remote_id: String,
    /// Where it sends.
    pub host: Option<String>,
    /// The port it sends to.
    pub port: Option<u16>,
    /// The RTCP port.
    pub rtcp_port: Option<u16>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A plain `success` (e.g. [`Kick`], [`Moderate`], [`RemoveRemotePublisher`],
/// [`UnpublishRemotely`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Success {
    /// The room, when given.
    pub room: Option<Id>,
    /// The participant, when given.
    pub id: Option<Id>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `joined`: the answer to [`JoinPublisher`] and [`JoinAndConfigure`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Joined {
    /// The room.
    pub room: Id,
    /// The room's name.
    pub description: Option<String>,
    /// Our id in the room (subscribers name it as `feed`).
    pub id: Id,
    /// Our private id (for subscriptions, see [`JoinSubscriber::private_id`]).
    pub private_id: Option<u64>,
    /// The publishers active now.
    #[serde(default)]
    pub publishers: Vec<Publisher>,
    /// The participants not publishing (only in rooms with `notify_joining`).
    #[serde(default)]
    pub attendees: Vec<Attendee>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An active publisher, in [`Joined`] and [`Event::Publishers`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Publisher {
    /// Its id (the `feed` to subscribe to).
    pub id: Id,
    /// Display name.
    pub display: Option<String>,
    /// Metadata.
    pub metadata: Option<Value>,
    /// The room's placeholder publisher.
    pub dummy: Option<bool>,
    /// Its streams.
    #[serde(default)]
    pub streams: Vec<PublishedStream>,
    /// Whether it is talking (deprecated: see the streams').
    pub talking: Option<bool>,
    /// Other keys (e.g. the deprecated `audio_codec`, `video_codec`).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A published stream.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PublishedStream {
    /// `audio`, `video` or `data`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its m-line index.
    pub mindex: Option<u64>,
    /// Its mid.
    pub mid: Option<String>,
    /// Inactive (codec and description are then missing).
    pub disabled: Option<bool>,
    /// The codec.
    pub codec: Option<String>,
    /// Its text description.
    pub description: Option<String>,
    /// Muted by a moderator.
    pub moderated: Option<bool>,
    /// Simulcast.
    pub simulcast: Option<bool>,
    /// SVC.
    pub svc: Option<bool>,
    /// Audio activity (with audio levels).
    pub talking: Option<bool>,
    /// Opus in stereo.
    pub stereo: Option<bool>,
    /// Opus FEC.
    pub fec: Option<bool>,
    /// Opus DTX.
    pub dtx: Option<bool>,
    /// H.264 profile.
    #[serde(rename = "h264-profile")]
    pub h264_profile: Option<String>,
    /// VP9 profile.
    #[serde(rename = "vp9-profile")]
    pub vp9_profile: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A participant who is not publishing, in [`Joined::attendees`] and [`Event::Joining`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Attendee {
    /// Its id.
    pub id: Id,
    /// Display name.
    pub display: Option<String>,
    /// Metadata.
    pub metadata: Option<Value>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `attached`: the answer to [`JoinSubscriber`], with the JSEP offer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Attached {
    /// The room.
    pub room: Id,
    /// The subscription's streams.
    #[serde(default)]
    pub streams: Vec<SubscriptionStream>,
    /// Legacy single-publisher subscriptions: the publisher.
    pub id: Option<Id>,
    /// Legacy single-publisher subscriptions: its display name.
    pub display: Option<String>,
    /// Other keys (e.g. a `warning` about the deprecated API).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `updated`: the answer to [`Subscribe`], [`Unsubscribe`] and [`Update`] (and what a
/// subscriber gets when its publishers change), with a JSEP offer when the SDP changed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Updated {
    /// The room.
    pub room: Id,
    /// The whole subscription now (absent when nothing changed in the SDP).
    pub streams: Option<Vec<SubscriptionStream>>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A stream of a subscription.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SubscriptionStream {
    /// Its m-line index.
    pub mindex: u64,
    /// Its mid (ours, not the publisher's).
    pub mid: String,
    /// `audio`, `video` or `data`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether a publisher stream feeds it.
    pub active: Option<bool>,
    /// The publisher feeding it.
    pub feed_id: Option<Id>,
    /// The publisher's mid of it.
    pub feed_mid: Option<String>,
    /// The publisher's display name.
    pub feed_display: Option<String>,
    /// The publisher's metadata.
    pub feed_metadata: Option<Value>,
    /// The publisher's description of it.
    pub feed_description: Option<String>,
    /// Our label from [`SubscribeStream::crossrefid`].
    pub crossrefid: Option<String>,
    /// Whether it is relayed.
    pub send: Option<bool>,
    /// Whether it is ready to send media.
    pub ready: Option<bool>,
    /// The codec.
    pub codec: Option<String>,
    /// H.264 profile.
    #[serde(rename = "h264-profile")]
    pub h264_profile: Option<String>,
    /// VP9 profile.
    #[serde(rename = "vp9-profile")]
    pub vp9_profile: Option<String>,
    /// Simulcast state (substream, temporal layer and their targets).
    pub simulcast: Option<Value>,
    /// SVC state (spatial and temporal layers and their targets).
    pub svc: Option<Value>,
    /// Playout-delay settings.
    #[serde(rename = "playout-delay")]
    pub playout_delay: Option<Value>,
    /// Data channels: how many publishers feed it.
    pub sources: Option<u64>,
    /// Data channels: the publishers feeding it.
    #[serde(default)]
    pub source_ids: Vec<Id>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `event` with `switched`: the answer to [`Switch`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Switched {
    /// The room.
    pub room: Id,
    /// How many changes were made.
    pub changes: Option<u64>,
    /// The whole subscription now.
    #[serde(default)]
    pub streams: Vec<SubscriptionStream>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A participant leaving, unpublishing or kicked (the event the others get).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ParticipantGone {
    /// The room.
    pub room: Id,
    /// The participant.
    pub id: Id,
    /// Its display name.
    pub display: Option<String>,
    /// Its metadata.
    pub metadata: Option<Value>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `talking` or `stopped-talking` (rooms with `audiolevel_event`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Talking {
    /// The room.
    pub room: Id,
    /// The publisher.
    pub id: Id,
    /// The m-line index of its audio stream.
    pub mindex: Option<u64>,
    /// The mid of its audio stream.
    pub mid: Option<String>,
    /// Average audio level, dBov (127 silence, 0 loudest).
    #[serde(rename = "audio-level-dBov-avg")]
    pub audio_level: Option<f64>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// What the VideoRoom says: answers to requests and events of its own.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// [`Create`] made the room.
    Created(Created),
    /// [`Edit`] changed the room.
    Edited(Edited),
    /// The room was destroyed (the answer to [`Destroy`], or an event to its participants).
    Destroyed(Destroyed),
    /// The answer to [`Exists`].
    Exists(RoomExists),
    /// The answer to [`List`].
    RoomList(RoomList),
    /// The answer to [`Allowed`].
    Allowed(AllowedList),
    /// The answer to [`ListParticipants`].
    Participants(Participants),
    /// The answer to [`ListForwarders`].
    Forwarders(Forwarders),
    /// The answer to [`RtpForward`].
    RtpForward(RtpForwardReply),
    /// The answer to [`StopRtpForward`].
    StopRtpForward(RtpForwardStopped),
    /// The answer to [`EnableRecording`]: whether the room records now.
    Recording {
        /// Whether it records.
        record: bool,
    },
    /// The answer to [`AddRemotePublisher`].
    RemotePublisherAdded(RemotePublisherAdded),
    /// The answer to [`PublishRemotely`].
    PublishedRemotely(PublishedRemotely),
    /// The answer to [`ListRemotes`].
    Remotes(Remotes),
    /// Any other `success`.
    Success(Success),
    /// We joined as a publisher ([`JoinPublisher`], [`JoinAndConfigure`]).
    Joined(Joined),
    /// We subscribed ([`JoinSubscriber`]); the JSEP offer comes with it.
    Attached(Attached),
    /// The subscription changed.
    Updated(Updated),
    /// A subscription change is queued behind a renegotiation in progress.
    Updating {
        /// The room.
        room: Id,
    },
    /// New or changed active publishers.
    Publishers {
        /// The room.
        room: Id,
        /// The publishers.
        publishers: Vec<Publisher>,
    },
    /// A participant joined (rooms with `notify_joining`).
    Joining {
        /// The room.
        room: Id,
        /// Who.
        joining: Attendee,
    },
    /// A participant left the room.
    ParticipantLeft(ParticipantGone),
    /// A participant was kicked.
    ParticipantKicked(ParticipantGone),
    /// A publisher stopped publishing.
    PublisherUnpublished(ParticipantGone),
    /// A participant's display name or metadata changed.
    ParticipantUpdated {
        /// Who.
        id: Id,
        /// The display name now.
        display: Option<String>,
        /// The metadata now.
        metadata: Option<Value>,
    },
    /// A moderator muted or unmuted a participant's stream ([`Moderate`]).
    Moderation {
        /// The room.
        room: Id,
        /// The participant.
        id: Id,
        /// The mid of its stream.
        mid: String,
        /// Whether it is muted now.
        muted: bool,
    },
    /// Our publisher or subscriber settings were applied (`configure`, [`Publish`]).
    Configured {
        /// The room, when given.
        room: Option<Id>,
    },
    /// We stopped publishing ([`Unpublish`]).
    Unpublished {
        /// The room, when given.
        room: Option<Id>,
    },
    /// We left the room as a publisher ([`Leave`]), or were kicked (`reason`: `kicked`).
    LeftRoom {
        /// The room, when given.
        room: Option<Id>,
        /// Why, when it was not our request.
        reason: Option<String>,
    },
    /// The subscription started or resumed ([`Start`]).
    Started {
        /// The room, when given.
        room: Option<Id>,
    },
    /// The subscription paused ([`Pause`]).
    Paused {
        /// The room, when given.
        room: Option<Id>,
    },
    /// The subscription ended ([`Leave`] on a subscriber).
    Left {
        /// The room, when given.
        room: Option<Id>,
    },
    /// The answer to [`Switch`].
    Switched(Switched),
    /// The simulcast or SVC layer relayed on one of our streams changed.
    LayerChanged {
        /// The room.
        room: Option<Id>,
        /// Our mid.
        mid: Option<String>,
        /// Simulcast substream now relayed.
        substream: Option<u8>,
        /// Simulcast temporal layer now relayed.
        temporal: Option<u8>,
        /// SVC spatial layer now relayed.
        spatial_layer: Option<u8>,
        /// SVC temporal layer now relayed.
        temporal_layer: Option<u8>,
    },
    /// A publisher started talking.
    Talking(Talking),
    /// A publisher stopped talking.
    StoppedTalking(Talking),
    /// Janus saw heavy losses on our connection (`current-bitrate` for publishers).
    SlowLink {
        /// The publisher's bitrate cap now, bits per second.
        current_bitrate: Option<u64>,
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

/// A participant who left, unpublished or was kicked: `key` holds its id.
fn gone(map: &Map<String, Value>, key: &str) -> Result<ParticipantGone, DecodeError> {
    let mut m = map.clone();
    let id = m
        .remove(key)
        .ok_or_else(|| DecodeError::Shape(format!("no `{key}`")))?;
    m.insert("id".into(), id);
    parse(&m)
}

fn is_ok(map: &Map<String, Value>, key: &str) -> bool {
    map.get(key).and_then(Value::as_str) == Some("ok")
}

impl Event {
    fn from_event(m: &Map<String, Value>, raw: &Value) -> Result<Self, DecodeError> {
        let room = || field::<Id>(m, "room");
        if m.contains_key("publishers") {
            return Ok(Self::Publishers {
                room: required(m, "room")?,
                publishers: required(m, "publishers")?,
            });
        }
        if m.contains_key("joining") {
            return Ok(Self::Joining {
                room: required(m, "room")?,
                joining: required(m, "joining")?,
            });
        }
        if m.contains_key("switched") {
            return Ok(Self::Switched(parse(m)?));
        }
        if is_ok(m, "configured") {
            return Ok(Self::Configured { room: room()? });
        }
        if is_ok(m, "started") {
            return Ok(Self::Started { room: room()? });
        }
        if is_ok(m, "paused") {
            return Ok(Self::Paused { room: room()? });
        }
        if is_ok(m, "left") {
            return Ok(Self::Left { room: room()? });
        }
        if is_ok(m, "unpublished") {
            return Ok(Self::Unpublished { room: room()? });
        }
        if is_ok(m, "leaving") {
            return Ok(Self::LeftRoom {
                room: room()?,
                reason: field(m, "reason")?,
            });
        }
        if m.contains_key("unpublished") {
            return Ok(Self::PublisherUnpublished(gone(m, "unpublished")?));
        }
        if m.contains_key("leaving") {
            return Ok(Self::ParticipantLeft(gone(m, "leaving")?));
        }
        if m.contains_key("kicked") {
            return Ok(Self::ParticipantKicked(gone(m, "kicked")?));
        }
        if let Some(moderation) = m.get("moderation").and_then(Value::as_str) {
            return Ok(Self::Moderation {
                room: required(m, "room")?,
                id: required(m, "id")?,
                mid: required(m, "mid")?,
                muted: moderation == "muted",
            });
        }
        let layers = ["substream", "temporal", "spatial_layer", "temporal_layer"];
        if layers.iter().any(|k| m.contains_key(*k)) {
            return Ok(Self::LayerChanged {
                room: room()?,
                mid: field(m, "mid")?,
                substream: field(m, "substream")?,
                temporal: field(m, "temporal")?,
                spatial_layer: field(m, "spatial_layer")?,
                temporal_layer: field(m, "temporal_layer")?,
            });
        }
        if m.contains_key("id") && (m.contains_key("display") || m.contains_key("metadata")) {
            return Ok(Self::ParticipantUpdated {
                id: required(m, "id")?,
                display: field(m, "display")?,
                metadata: field(m, "metadata")?,
            });
        }
        Ok(Self::Other(raw.clone()))
    }

    fn from_success(m: &Map<String, Value>) -> Result<Self, DecodeError> {
        if m.contains_key("exists") {
            return Ok(Self::Exists(parse(m)?));
        }
        if m.contains_key("list") {
            return if m.contains_key("id") {
                Ok(Self::Remotes(parse(m)?))
            } else {
                Ok(Self::RoomList(parse(m)?))
            };
        }
        if m.contains_key("allowed") {
            return Ok(Self::Allowed(parse(m)?));
        }
        if m.contains_key("ip") {
            return Ok(Self::RemotePublisherAdded(parse(m)?));
        }
        if m.contains_key("remote_id") {
            return Ok(Self::PublishedRemotely(parse(m)?));
        }
        if let (Some(Value::Bool(record)), 1) = (m.get("record"), m.len()) {
            return Ok(Self::Recording { record: *record });
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
        let Some(Value::String(kind)) = m.remove("videoroom") else {
            return Ok(Self::Other(raw));
        };
        Ok(match kind.as_str() {
            "created" => Self::Created(parse(&m)?),
            "edited" => Self::Edited(parse(&m)?),
            "destroyed" => Self::Destroyed(parse(&m)?),
            "success" => Self::from_success(&m)?,
            "participants" => Self::Participants(parse(&m)?),
            "forwarders" => Self::Forwarders(parse(&m)?),
            "rtp_forward" => Self::RtpForward(parse(&m)?),
            "stop_rtp_forward" => Self::StopRtpForward(parse(&m)?),
            "joined" => Self::Joined(parse(&m)?),
            "attached" => Self::Attached(parse(&m)?),
            "updated" => Self::Updated(parse(&m)?),
            "updating" => Self::Updating {
                room: required(&m, "room")?,
            },
            "talking" => Self::Talking(parse(&m)?),
            "stopped-talking" => Self::StoppedTalking(parse(&m)?),
            "slow_link" => Self::SlowLink {
                current_bitrate: field(&m, "current-bitrate")?,
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
    /// The answer to [`JoinPublisher`] and [`JoinAndConfigure`], or the event back (boxed).
    pub fn into_joined(self) -> Result<Joined, Box<Self>> {
        match self {
            Self::Joined(j) => Ok(j),
            other => Err(Box::new(other)),
        }
    }

    /// The answer to [`JoinSubscriber`], or the event back.
    pub fn into_attached(self) -> Result<Attached, Box<Self>> {
        match self {
            Self::Attached(a) => Ok(a),
            other => Err(Box::new(other)),
        }
    }

    /// The answer to [`Publish`], [`ConfigurePublisher`] and [`ConfigureSubscriber`], or
    /// the event back.
    pub fn into_configured(self) -> Result<(), Box<Self>> {
        match self {
            Self::Configured { .. } => Ok(()),
            other => Err(Box::new(other)),
        }
    }

    /// The answer to [`Start`], or the event back.
    pub fn into_started(self) -> Result<(), Box<Self>> {
        match self {
            Self::Started { .. } => Ok(()),
            other => Err(Box::new(other)),
        }
    }

    /// The answer to [`Pause`], or the event back.
    pub fn into_paused(self) -> Result<(), Box<Self>> {
        match self {
            Self::Paused { .. } => Ok(()),
            other => Err(Box::new(other)),
        }
    }

    /// The answer to [`Unpublish`], or the event back.
    pub fn into_unpublished(self) -> Result<(), Box<Self>> {
        match self {
            Self::Unpublished { .. } => Ok(()),
            other => Err(Box::new(other)),
        }
    }

    /// The answer to [`Leave`], a publisher's ([`Event::LeftRoom`]) or a subscriber's
    /// ([`Event::Left`]), or the event back.
    pub fn into_left(self) -> Result<(), Box<Self>> {
        match self {
            Self::LeftRoom { .. } | Self::Left { .. } => Ok(()),
            other => Err(Box::new(other)),
        }
    }

    /// The answer to [`Subscribe`], [`Unsubscribe`] and [`Update`]: `Some` with the
    /// subscription as it is now, `None` when the change waits behind a renegotiation in
    /// progress ([`Event::Updating`]; its offer comes later, in an [`Event::Updated`] plugin
    /// event); or the event back.
    pub fn into_updated(self) -> Result<Option<Updated>, Box<Self>> {
        match self {
            Self::Updated(u) => Ok(Some(u)),
            Self::Updating { .. } => Ok(None),
            other => Err(Box::new(other)),
        }
    }

    /// The answer to [`Switch`], or the event back.
    pub fn into_switched(self) -> Result<Switched, Box<Self>> {
        match self {
            Self::Switched(s) => Ok(s),
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

/// What a subscriber knows of its subscription, kept up to date from the plugin's answers
/// and events (sans-IO: the adapters' `Subscriber` workflows hold one).
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// The room.
    pub room: Id,
    /// Its streams (our m-lines), as the plugin last described them.
    pub streams: Vec<SubscriptionStream>,
}

impl Subscription {
    /// The subscription an [`Attached`] answer describes.
    pub fn new(attached: &Attached) -> Self {
        Self {
            room: attached.room.clone(),
            streams: attached.streams.clone(),
        }
    }

    /// Takes in what an event of the handle says of the subscription ([`Event::Updated`]
    /// with streams, [`Event::Switched`]); other events leave it as it is. Whether it
    /// changed.
    pub fn apply(&mut self, event: &Event) -> bool {
        match event {
            Event::Updated(u) => self.updated(u),
            Event::Switched(s) => self.switched(s),
            _ => false,
        }
    }

    /// Takes in an [`Updated`] answer: its streams, when it has them (whether it did).
    pub fn updated(&mut self, updated: &Updated) -> bool {
        match &updated.streams {
            Some(streams) => {
                self.streams.clone_from(streams);
                true
            }
            None => false,
        }
    }

    /// Takes in a [`Switched`] answer: its streams, when it has them (whether it did).
    pub fn switched(&mut self, switched: &Switched) -> bool {
        if switched.streams.is_empty() {
            return false;
        }
        self.streams.clone_from(&switched.streams);
        true
    }

    /// Our stream (m-line) fed by `feed`'s stream `feed_mid`, if any.
    pub fn stream_of(&self, feed: &Id, feed_mid: &str) -> Option<&SubscriptionStream> {
        self.streams
            .iter()
            .find(|s| s.feed_id.as_ref() == Some(feed) && s.feed_mid.as_deref() == Some(feed_mid))
    }
}
