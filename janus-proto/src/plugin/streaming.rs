//! Streaming (`janus.plugin.streaming`): mountpoints that relay RTP, RTSP or files to viewers.
//!
//! Two kinds of request (field names and types as in the plugin's source, Janus 1.4.1):
//!
//! - **Synchronous**, answered at once inside the `success` of the `message`: [`List`],
//!   [`Info`], [`Create`], [`Edit`], [`KickAll`], [`Destroy`], [`Recording`], [`Enable`],
//!   [`Disable`]. Each implements [`SyncRequest`]; its `Reply` type decodes the answer.
//! - **Asynchronous**, acknowledged and then answered by an [`Event`]: [`Watch`] (the event
//!   carries Janus's offer), [`Start`] (sent with our answer), [`Pause`], [`Configure`],
//!   [`Switch`], [`Stop`].
//!
//! Errors arrive as `error_code` in either kind of answer: decoding gives
//! [`DecodeError::Plugin`], and [`ErrorCode::of`] names the code. Ids are [`Id`]s, numbers or
//! strings (`string_ids`).
//!
//! ```
//! use janus_proto::plugin::{PluginEvent, PluginRequest, streaming};
//! use janus_proto::PluginData;
//! use serde_json::json;
//!
//! let watch = streaming::Watch { media: Some(vec!["a".into()]), ..streaming::Watch::new(7) };
//! assert_eq!(watch.to_body().unwrap(), json!({"request": "watch", "id": 7, "media": ["a"]}));
//!
//! let data = PluginData {
//!     plugin: streaming::PLUGIN.into(),
//!     data: json!({"streaming": "event", "result": {"status": "preparing"}}),
//! };
//! assert_eq!(
//!     streaming::Event::decode(&data).unwrap(),
//!     streaming::Event::Status { status: streaming::Status::Preparing, extra: Default::default() },
//! );
//!
//! let error = PluginData {
//!     plugin: streaming::PLUGIN.into(),
//!     data: json!({"streaming": "event", "error_code": 455, "error": "No such mountpoint/stream 7"}),
//! };
//! let e = streaming::Event::decode(&error).unwrap_err();
//! assert_eq!(streaming::ErrorCode::of(&e), Some(streaming::ErrorCode::NoSuchMountpoint));
//! ```

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::id::Id;
use super::{DecodeError, PluginEvent, PluginRequest, SyncRequest, decode_as};
use crate::error::PluginError;
use crate::msg::PluginData;

/// The plugin package.
pub const PLUGIN: &str = "janus.plugin.streaming";

// ------------------------------------------------------------------------------------------
// Requests

/// `list` (synchronous): the mountpoints. Private ones are left out unless `admin_key` is
/// the plugin's. Reply: [`MountpointList`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(tag = "request", rename = "list")]
pub struct List {
    /// The plugin's admin key: with it, private mountpoints are listed too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_key: Option<String>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `info` (synchronous): one mountpoint in detail; with its `secret`, also the sensitive
/// parts (ports, PIN, secret, file name). Reply: [`MountpointInfo`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "info")]
pub struct Info {
    /// The mountpoint.
    pub id: Id,
    /// The mountpoint's secret, to see everything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Info {
    /// `info` on the mountpoint `id`.
    pub fn new(id: impl Into<Id>) -> Self {
        Self {
            id: id.into(),
            secret: None,
            extra: Map::new(),
        }
    }
}

/// What a mountpoint streams from (`type` of [`Create`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum MountpointType {
    /// RTP sent to the plugin's ports by an external tool (the `media` list says which).
    Rtp,
    /// A local file played once for all viewers together.
    Live,
    /// A local file played from the start for each viewer.
    Ondemand,
    /// An RTSP source the plugin connects to.
    Rtsp,
}

/// The kind of one stream of a mountpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum MediaType {
    /// An audio m-line.
    Audio,
    /// A video m-line.
    Video,
    /// Data-channel messages (UDP datagrams relayed as text or binary).
    Data,
}

/// `create` (synchronous): a new mountpoint. Which fields apply depends on `kind`: `media`
/// (and the RTP options) for [`MountpointType::Rtp`], `filename` for `Live`/`Ondemand`, the
/// `rtsp_*` fields and `url` for `Rtsp`. Reply: [`Created`].
///
/// The older single-stream RTP fields (`audioport`, `videopt`, `dataport`, ...) are
/// deprecated in favour of `media` and not typed here; pass them in `extra` if needed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "create")]
pub struct Create {
    /// What the mountpoint streams from.
    #[serde(rename = "type")]
    pub kind: MountpointType,
    /// The plugin's admin key (required when the plugin has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_key: Option<String>,
    /// The id to give it; chosen by the plugin when missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    /// Unique name; chosen by the plugin when missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Human-readable description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Free-form text handed to viewers (e.g. JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    /// Secret needed to edit, destroy, record or query it in full.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// PIN viewers must give to `watch`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// Leave it out of `list`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_private: Option<bool>,
    /// Also save it to the plugin's configuration file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permanent: Option<bool>,
    /// RTP: the streams, in m-line order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<MediaConfig>>,
    /// File and RTSP mountpoints: stream audio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio: Option<bool>,
    /// File and RTSP mountpoints: stream video.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<bool>,
    /// Data channels (for the older single-stream RTP form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<bool>,
    /// RTP: milliseconds during which packets with a new SSRC on a port are dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collision: Option<u32>,
    /// RTP and RTSP: keep this many milliseconds of video from the last keyframe for new viewers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bufferkf_ms: Option<u32>,
    /// RTP and RTSP: keep this many bytes of video from the last keyframe for new viewers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bufferkf_bytes: Option<u32>,
    /// RTP and RTSP: helper threads relaying to viewers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
    /// RTP: SRTP tag length of the incoming stream (32 or 80).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srtpsuite: Option<u32>,
    /// RTP: SRTP key of the incoming stream, base64 as in SDES.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srtpcrypto: Option<String>,
    /// RTP: the media is end-to-end encrypted (insertable streams); tell the viewers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e2ee: Option<bool>,
    /// RTP: negotiate the playout-delay RTP extension with viewers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playoutdelay_ext: Option<bool>,
    /// RTP: the extension id (1-14) carrying abs-capture-time in the incoming RTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abscapturetime_src_ext_id: Option<u8>,
    /// Live and on-demand: the file to play.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// File and RTSP: audio codec name (e.g. `opus`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audiocodec: Option<String>,
    /// File and RTSP: audio fmtp.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audiofmtp: Option<String>,
    /// File and RTSP: audio payload type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audiopt: Option<u8>,
    /// RTSP: video codec name (e.g. `h264`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub videocodec: Option<String>,
    /// RTSP: video fmtp.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub videofmtp: Option<String>,
    /// RTSP: video payload type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub videopt: Option<u8>,
    /// RTSP: the source's URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// RTSP: user name for the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtsp_user: Option<String>,
    /// RTSP: password for the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtsp_pwd: Option<String>,
    /// RTSP: retry `DESCRIBE` with the path only when the full URL gets a 404.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtsp_quirk: Option<bool>,
    /// RTSP: fail the `create` when the source cannot be reached (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtsp_failcheck: Option<bool>,
    /// RTSP: interface or address to receive the source's media on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtspiface: Option<String>,
    /// RTSP: seconds without media before reconnecting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtsp_reconnect_delay: Option<u32>,
    /// RTSP: cap on the keepalive period derived from the source's session timeout, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtsp_session_timeout: Option<u32>,
    /// RTSP: timeout of each RTSP request, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtsp_timeout: Option<u32>,
    /// RTSP: connection timeout, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtsp_conn_timeout: Option<u32>,
    /// RTSP: tell viewers when the source disconnects and reconnects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtsp_notify_changes: Option<bool>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Create {
    /// A `create` of this type with nothing else set.
    pub fn new(kind: MountpointType) -> Self {
        Self {
            kind,
            admin_key: None,
            id: None,
            name: None,
            description: None,
            metadata: None,
            secret: None,
            pin: None,
            is_private: None,
            permanent: None,
            media: None,
            audio: None,
            video: None,
            data: None,
            collision: None,
            bufferkf_ms: None,
            bufferkf_bytes: None,
            threads: None,
            srtpsuite: None,
            srtpcrypto: None,
            e2ee: None,
            playoutdelay_ext: None,
            abscapturetime_src_ext_id: None,
            filename: None,
            audiocodec: None,
            audiofmtp: None,
            audiopt: None,
            videocodec: None,
            videofmtp: None,
            videopt: None,
            url: None,
            rtsp_user: None,
            rtsp_pwd: None,
            rtsp_quirk: None,
            rtsp_failcheck: None,
            rtspiface: None,
            rtsp_reconnect_delay: None,
            rtsp_session_timeout: None,
            rtsp_timeout: None,
            rtsp_conn_timeout: None,
            rtsp_notify_changes: None,
            extra: Map::new(),
        }
    }

    /// An RTP mountpoint with these streams.
    pub fn rtp(media: Vec<MediaConfig>) -> Self {
        Self {
            media: Some(media),
            ..Self::new(MountpointType::Rtp)
        }
    }
}

/// One stream of an RTP mountpoint (an entry of [`Create::media`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MediaConfig {
    /// Audio, video or data.
    #[serde(rename = "type")]
    pub kind: MediaType,
    /// The mid the stream gets in viewers' SDP.
    pub mid: String,
    /// UDP port the plugin receives it on; 0 picks a free one from the plugin's range.
    pub port: u16,
    /// Track label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// msid to put on the m-line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msid: Option<String>,
    /// Multicast group to join.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcast: Option<String>,
    /// Interface or address to bind to (all when missing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iface: Option<String>,
    /// Port for RTCP with the source (0: a free one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtcpport: Option<u16>,
    /// Audio/video: RTP payload type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pt: Option<u8>,
    /// Audio/video: codec name (e.g. `opus`, `vp8`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// Audio/video: fmtp for the SDP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fmtp: Option<String>,
    /// Compensate clock skew of the incoming stream (experimental).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skew: Option<bool>,
    /// Video: the source sends simulcast (three ports: `port`, `port2`, `port3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simulcast: Option<bool>,
    /// Video simulcast: port of the second substream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port2: Option<u16>,
    /// Video simulcast: port of the third substream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port3: Option<u16>,
    /// Video: VP9 SVC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub svc: Option<bool>,
    /// Video H.264: sprop-parameter-sets to inject as SPS/PPS for sources that send none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub h264sps: Option<String>,
    /// Data: `text` or `binary` (default text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datatype: Option<String>,
    /// Data: keep the last message and send it to each new viewer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buffermsg: Option<bool>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MediaConfig {
    /// A stream of `kind` with mid `mid`, received on `port` (0: any free port).
    pub fn new(kind: MediaType, mid: impl Into<String>, port: u16) -> Self {
        Self {
            kind,
            mid: mid.into(),
            port,
            label: None,
            msid: None,
            mcast: None,
            iface: None,
            rtcpport: None,
            pt: None,
            codec: None,
            fmtp: None,
            skew: None,
            simulcast: None,
            port2: None,
            port3: None,
            svc: None,
            h264sps: None,
            datatype: None,
            buffermsg: None,
            extra: Map::new(),
        }
    }

    /// An audio or video stream with its payload type and codec.
    pub fn rtp(
        kind: MediaType,
        mid: impl Into<String>,
        port: u16,
        pt: u8,
        codec: impl Into<String>,
    ) -> Self {
        Self {
            pt: Some(pt),
            codec: Some(codec.into()),
            ..Self::new(kind, mid, port)
        }
    }
}

/// `edit` (synchronous): change a mountpoint's description, metadata, secret, PIN or
/// privacy. Reply: [`Edited`]; with `edited_event` and new metadata, viewers also get
/// [`Event::Edited`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "edit")]
pub struct Edit {
    /// The mountpoint.
    pub id: Id,
    /// Its current secret (required when it has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_description: Option<String>,
    /// New metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_metadata: Option<String>,
    /// New secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_secret: Option<String>,
    /// New PIN (an empty string removes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_pin: Option<String>,
    /// New privacy (left out of `list` or not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_is_private: Option<bool>,
    /// Also save the change to the configuration file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permanent: Option<bool>,
    /// Tell the viewers when the metadata changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_event: Option<bool>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Edit {
    /// An `edit` of the mountpoint `id` that changes nothing yet.
    pub fn new(id: impl Into<Id>) -> Self {
        Self {
            id: id.into(),
            secret: None,
            new_description: None,
            new_metadata: None,
            new_secret: None,
            new_pin: None,
            new_is_private: None,
            permanent: None,
            edited_event: None,
            extra: Map::new(),
        }
    }
}

/// A request that names a mountpoint and, optionally, its secret.
macro_rules! id_secret_request {
    ($(#[$doc:meta])* $name:ident, $wire:literal, $reply:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(tag = "request", rename = $wire)]
        pub struct $name {
            /// The mountpoint.
            pub id: Id,
            /// Its secret (required when it has one).
            #[serde(skip_serializing_if = "Option::is_none")]
            pub secret: Option<String>,
            /// Other keys, as given.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }

        impl $name {
            #[doc = concat!("`", $wire, "` on the mountpoint `id`.")]
            pub fn new(id: impl Into<Id>) -> Self {
                Self { id: id.into(), secret: None, extra: Map::new() }
            }
        }

        impl PluginRequest for $name {
            const PLUGIN: &'static str = PLUGIN;
        }

        impl SyncRequest for $name {
            type Reply = $reply;
        }
    };
}

id_secret_request!(
    /// `kick_all` (synchronous): remove every viewer of a mountpoint (not on-demand ones); each
    /// gets [`Status::KickedAll`] and its PeerConnection closed. Reply: [`KickedAll`].
    KickAll,
    "kick_all",
    KickedAll
);

id_secret_request!(
    /// `enable` (synchronous): let viewers watch a disabled mountpoint again. Reply: [`Done`].
    Enable,
    "enable",
    Done
);

/// `destroy` (synchronous): remove a mountpoint; its viewers get [`Status::Stopped`] and
/// their PeerConnections closed. Reply: [`Destroyed`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "destroy")]
pub struct Destroy {
    /// The mountpoint.
    pub id: Id,
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
    /// `destroy` the mountpoint `id`.
    pub fn new(id: impl Into<Id>) -> Self {
        Self {
            id: id.into(),
            secret: None,
            permanent: None,
            extra: Map::new(),
        }
    }
}

/// `disable` (synchronous): keep a mountpoint but refuse new viewers. Reply: [`Done`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "disable")]
pub struct Disable {
    /// The mountpoint.
    pub id: Id,
    /// Its secret (required when it has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Also stop its recordings (default true). Janus 1.1.2 and 1.4.1 crash on that
    /// default when any stream of an RTP mountpoint is not being recorded (they close
    /// every stream's recorder, NULL ones included): send `Some(false)` unless every stream
    /// records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_recording: Option<bool>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Disable {
    /// `disable` the mountpoint `id`.
    pub fn new(id: impl Into<Id>) -> Self {
        Self {
            id: id.into(),
            secret: None,
            stop_recording: None,
            extra: Map::new(),
        }
    }
}

/// Start or stop, for [`Recording`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordingAction {
    /// Start recording the streams named.
    Start,
    /// Stop recording the streams named.
    Stop,
}

/// One stream to start or stop recording (an entry of [`Recording::media`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingStream {
    /// The stream's mid.
    pub mid: String,
    /// Start only: base name of the `.mjr` file (Janus adds the extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `recording` (synchronous): start or stop recording streams of a live RTP mountpoint to
/// `.mjr` files. Reply: [`Done`].
///
/// The older `audio`/`video`/`data` keys (file names to start, booleans to stop) are
/// deprecated in favour of `media` and not typed; pass them in `extra` if needed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "recording")]
pub struct Recording {
    /// Start or stop.
    pub action: RecordingAction,
    /// The mountpoint.
    pub id: Id,
    /// Its secret (required when it has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The streams, by mid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<RecordingStream>>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Recording {
    /// Start recording each `(mid, file name)` of the mountpoint `id`.
    pub fn start<M: Into<String>, F: Into<String>>(
        id: impl Into<Id>,
        streams: impl IntoIterator<Item = (M, F)>,
    ) -> Self {
        Self {
            action: RecordingAction::Start,
            id: id.into(),
            secret: None,
            media: Some(
                streams
                    .into_iter()
                    .map(|(mid, file)| RecordingStream {
                        mid: mid.into(),
                        filename: Some(file.into()),
                        extra: Map::new(),
                    })
                    .collect(),
            ),
            extra: Map::new(),
        }
    }

    /// Stop recording each mid of the mountpoint `id`.
    pub fn stop<M: Into<String>>(id: impl Into<Id>, mids: impl IntoIterator<Item = M>) -> Self {
        Self {
            action: RecordingAction::Stop,
            id: id.into(),
            secret: None,
            media: Some(
                mids.into_iter()
                    .map(|mid| RecordingStream {
                        mid: mid.into(),
                        filename: None,
                        extra: Map::new(),
                    })
                    .collect(),
            ),
            extra: Map::new(),
        }
    }
}

/// `watch` (asynchronous): subscribe to a mountpoint. Answered by [`Status::Preparing`]
/// with Janus's offer (or `Updating` for a renegotiation with `restart`); send the answer
/// with [`Start`]. With our own offer as the JSEP, Janus answers instead.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "watch")]
pub struct Watch {
    /// The mountpoint.
    pub id: Id,
    /// Its PIN (required when it has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// The mids to receive; missing or empty means all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<String>>,
    /// Already watching: renegotiate with an ICE restart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<bool>,
    /// Deprecated (use `media`): offer the mountpoint's audio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer_audio: Option<bool>,
    /// Deprecated (use `media`): offer the mountpoint's video.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer_video: Option<bool>,
    /// Deprecated (use `media`): offer the mountpoint's data channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer_data: Option<bool>,
    /// Simulcast: the substream to start with (0-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substream: Option<u8>,
    /// Simulcast: the temporal layer to start with (0-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal: Option<u8>,
    /// Simulcast: microseconds without packets before dropping to a lower substream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<u32>,
    /// VP9 SVC: the spatial layer to start with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spatial_layer: Option<u8>,
    /// VP9 SVC: the temporal layer to start with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal_layer: Option<u8>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Watch {
    /// `watch` the mountpoint `id`, every stream.
    pub fn new(id: impl Into<Id>) -> Self {
        Self {
            id: id.into(),
            pin: None,
            media: None,
            restart: None,
            offer_audio: None,
            offer_video: None,
            offer_data: None,
            substream: None,
            temporal: None,
            fallback: None,
            spatial_layer: None,
            temporal_layer: None,
            extra: Map::new(),
        }
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
    /// `start` (asynchronous): send it with our answer after [`Watch`], or alone to resume
    /// after [`Pause`]. Answered by [`Status::Starting`] (or `Started` when resuming); a
    /// [`Status::Started`] follows when media flows.
    Start,
    "start"
);

bare_request!(
    /// `pause` (asynchronous): stop relaying every stream, keeping the PeerConnection.
    /// Answered by [`Status::Pausing`].
    Pause,
    "pause"
);

bare_request!(
    /// `stop` (asynchronous): end the subscription and close the PeerConnection. Answered
    /// by [`Status::Stopping`] (or [`Status::Idle`] when not watching).
    Stop,
    "stop"
);

/// What to change for one stream of a subscription (an entry of [`Configure::streams`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamConfig {
    /// The stream's mid.
    pub mid: String,
    /// Relay this stream (false pauses just it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send: Option<bool>,
    /// Simulcast: the substream to receive (0-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substream: Option<u8>,
    /// Simulcast: the temporal layer to receive (0-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal: Option<u8>,
    /// Simulcast: microseconds without packets before dropping to a lower substream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<u32>,
    /// VP9 SVC: the spatial layer to receive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spatial_layer: Option<u8>,
    /// VP9 SVC: the temporal layer to receive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal_layer: Option<u8>,
    /// Playout-delay extension: minimum delay, in 10 ms units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_delay: Option<i32>,
    /// Playout-delay extension: maximum delay, in 10 ms units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_delay: Option<i32>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl StreamConfig {
    /// A change to the stream `mid` that changes nothing yet.
    pub fn new(mid: impl Into<String>) -> Self {
        Self {
            mid: mid.into(),
            send: None,
            substream: None,
            temporal: None,
            fallback: None,
            spatial_layer: None,
            temporal_layer: None,
            min_delay: None,
            max_delay: None,
            extra: Map::new(),
        }
    }
}

/// `configure` (asynchronous): change what each stream of the subscription relays.
/// Answered by [`Event::Configured`]; layer changes are reported later as
/// [`Event::Layers`].
///
/// The older form with one stream's keys at the top level (`mid`, `send`, ...) and the
/// deprecated `audio`/`video`/`data` switches go in `extra` if needed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(tag = "request", rename = "configure")]
pub struct Configure {
    /// The changes, per stream.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<StreamConfig>,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `switch` (asynchronous): move the subscription to another live RTP mountpoint with the
/// same media, on the same PeerConnection. Answered by [`Event::Switched`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "request", rename = "switch")]
pub struct Switch {
    /// The mountpoint to switch to.
    pub id: Id,
    /// Other keys, as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Switch {
    /// `switch` to the mountpoint `id`.
    pub fn new(id: impl Into<Id>) -> Self {
        Self {
            id: id.into(),
            extra: Map::new(),
        }
    }
}

macro_rules! plugin_request {
    ($($name:ident),*) => {
        $(impl PluginRequest for $name {
            const PLUGIN: &'static str = PLUGIN;
        })*
    };
}

plugin_request!(
    List, Info, Create, Edit, Destroy, Disable, Recording, Watch, Configure, Switch
);

impl SyncRequest for List {
    type Reply = MountpointList;
}
impl SyncRequest for Info {
    type Reply = MountpointInfo;
}
impl SyncRequest for Create {
    type Reply = Created;
}
impl SyncRequest for Edit {
    type Reply = Edited;
}
impl SyncRequest for Destroy {
    type Reply = Destroyed;
}
impl SyncRequest for Disable {
    type Reply = Done;
}
impl SyncRequest for Recording {
    type Reply = Done;
}

// ------------------------------------------------------------------------------------------
// Synchronous replies

/// Decodes a synchronous reply whose `streaming` field must be `kind`; that field is not
/// kept, every other unknown one lands in the reply's `extra`.
fn reply<T: DeserializeOwned>(data: &PluginData, kind: &str) -> Result<T, DecodeError> {
    let mut v: Map<String, Value> = decode_as(data, PLUGIN)?;
    match v.remove("streaming") {
        Some(Value::String(k)) if k == kind => {}
        other => {
            return Err(DecodeError::Shape(format!(
                "expected streaming {kind:?}, got {}",
                other.unwrap_or(Value::Null)
            )));
        }
    }
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
    MountpointList => "list",
    MountpointInfo => "info",
    Created => "created",
    Edited => "edited",
    Destroyed => "destroyed",
    KickedAll => "kicked_all",
    Done => "ok",
);

/// Reply to [`List`]: `{"streaming":"list","list":[..]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MountpointList {
    /// The mountpoints (fewer fields each than [`MountpointInfo`] gives).
    pub list: Vec<Mountpoint>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Info`]: `{"streaming":"info","info":{..}}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MountpointInfo {
    /// The mountpoint.
    pub info: Mountpoint,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A mountpoint as `list` and `info` describe it. `list` gives the id, type, description,
/// metadata, enabled flag and streams; `info` more, and the sensitive fields only with the
/// secret.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Mountpoint {
    /// Its id.
    pub id: Id,
    /// `live` or `on demand` (how it is played, not its source).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its unique name (`info` with the secret).
    #[serde(default)]
    pub name: Option<String>,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Its metadata.
    #[serde(default)]
    pub metadata: Option<String>,
    /// Whether viewers may watch it.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Its secret (`info` with the secret).
    #[serde(default)]
    pub secret: Option<String>,
    /// Its PIN (`info` with the secret).
    #[serde(default)]
    pub pin: Option<String>,
    /// Whether it is private (`info` with the secret; only present when true).
    #[serde(default)]
    pub is_private: Option<bool>,
    /// Number of viewers (`info` with the secret).
    #[serde(default)]
    pub viewers: Option<u64>,
    /// File mountpoints: the file (`info` with the secret).
    #[serde(default)]
    pub filename: Option<String>,
    /// Whether the source is RTSP (`info`).
    #[serde(default)]
    pub rtsp: Option<bool>,
    /// Whether the source is SRTP (`info`).
    #[serde(default)]
    pub srtp: Option<bool>,
    /// The address the RTP streams are bound to (`info` with the secret).
    #[serde(default)]
    pub host: Option<String>,
    /// Its streams.
    #[serde(default)]
    pub media: Vec<StreamInfo>,
    /// Fields this version does not know (and the RTSP, buffering, thread details).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One stream of a mountpoint, as `list` and `info` describe it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StreamInfo {
    /// `audio`, `video` or `data`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its mid (RTP sources).
    #[serde(default)]
    pub mid: Option<String>,
    /// Its m-line index (`info`).
    #[serde(default)]
    pub mindex: Option<u32>,
    /// Its label.
    #[serde(default)]
    pub label: Option<String>,
    /// Its msid, if configured.
    #[serde(default)]
    pub msid: Option<String>,
    /// Milliseconds since media last arrived on it.
    #[serde(default)]
    pub age_ms: Option<u64>,
    /// Payload type (`info`).
    #[serde(default)]
    pub pt: Option<u8>,
    /// Codec name (`info`).
    #[serde(default)]
    pub codec: Option<String>,
    /// SDP rtpmap (`info`).
    #[serde(default)]
    pub rtpmap: Option<String>,
    /// SDP fmtp (`info`).
    #[serde(default)]
    pub fmtp: Option<String>,
    /// UDP port it is received on (`info` with the secret).
    #[serde(default)]
    pub port: Option<u16>,
    /// RTCP port (`info` with the secret).
    #[serde(default)]
    pub rtcpport: Option<u16>,
    /// Second simulcast port (`info` with the secret).
    #[serde(default)]
    pub port2: Option<u16>,
    /// Third simulcast port (`info` with the secret).
    #[serde(default)]
    pub port3: Option<u16>,
    /// Data streams: `text` or `binary` (`info`).
    #[serde(default)]
    pub datatype: Option<String>,
    /// File being recorded to (`info` with the secret).
    #[serde(default)]
    pub recording: Option<String>,
    /// Fields this version does not know (and simulcast/SVC flags).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Create`]: `{"streaming":"created","created":<name>,"permanent":..,"stream":{..}}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Created {
    /// The new mountpoint's name.
    pub created: String,
    /// Whether it was saved to the configuration file.
    #[serde(default)]
    pub permanent: bool,
    /// The new mountpoint.
    pub stream: CreatedStream,
    /// Fields this version does not know (e.g. `warning` for the deprecated request form).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The mountpoint in a [`Created`] reply.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CreatedStream {
    /// Its id.
    pub id: Id,
    /// `live` or `on demand`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether it is private.
    #[serde(default)]
    pub is_private: Option<bool>,
    /// RTP mountpoints: the ports each stream is received on.
    #[serde(default)]
    pub ports: Vec<StreamPorts>,
    /// Fields this version does not know (and the older `audio_port`-style fields).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where one stream of a new RTP mountpoint is received.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StreamPorts {
    /// `audio`, `video` or `data`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its mid.
    pub mid: String,
    /// Its msid, if configured.
    #[serde(default)]
    pub msid: Option<String>,
    /// The address bound.
    #[serde(default)]
    pub host: Option<String>,
    /// The RTP port.
    #[serde(default)]
    pub port: Option<u16>,
    /// The RTCP port, if any.
    #[serde(default)]
    pub rtcp_port: Option<u16>,
    /// Simulcast: the second port.
    #[serde(default)]
    pub port_2: Option<u16>,
    /// Simulcast: the third port.
    #[serde(default)]
    pub port_3: Option<u16>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Edit`]: `{"streaming":"edited","id":..,"permanent":..}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Edited {
    /// The mountpoint.
    pub id: Id,
    /// Whether the change was saved to the configuration file.
    #[serde(default)]
    pub permanent: bool,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Destroy`]: `{"streaming":"destroyed","destroyed":<id>}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Destroyed {
    /// The mountpoint destroyed.
    pub destroyed: Id,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`KickAll`]: `{"streaming":"kicked_all"}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct KickedAll {
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Reply to [`Enable`], [`Disable`] and [`Recording`]: `{"streaming":"ok"}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Done {
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// ------------------------------------------------------------------------------------------
// Asynchronous events

/// The `status` of a subscription, in `{"streaming":"event","result":{"status":..}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// After [`Watch`]: the offer is in the event's JSEP.
    Preparing,
    /// After a [`Watch`] with `restart`: the new offer is in the event's JSEP.
    Updating,
    /// After [`Start`]: waiting for the PeerConnection.
    Starting,
    /// Media is being relayed (also the answer to [`Start`] when resuming).
    Started,
    /// After [`Pause`].
    Pausing,
    /// After [`Stop`]: the PeerConnection is being closed.
    Stopping,
    /// The mountpoint was destroyed, or the on-demand file ended.
    Stopped,
    /// [`KickAll`] removed this viewer.
    KickedAll,
    /// [`Stop`] while not watching.
    Idle,
    /// Any other status, as sent.
    Other(String),
}

impl Status {
    fn from_wire(s: &str) -> Self {
        match s {
            "preparing" => Self::Preparing,
            "updating" => Self::Updating,
            "starting" => Self::Starting,
            "started" => Self::Started,
            "pausing" => Self::Pausing,
            "stopping" => Self::Stopping,
            "stopped" => Self::Stopped,
            "kicked_all" => Self::KickedAll,
            "idle" => Self::Idle,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A simulcast or SVC layer change of one stream (`result` with `substream`, `temporal`,
/// `spatial_layer` or `temporal_layer`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Layers {
    /// The stream's mid (missing in the immediate answer to a [`Configure`]).
    #[serde(default)]
    pub mid: Option<String>,
    /// Simulcast: the substream now relayed.
    #[serde(default)]
    pub substream: Option<u8>,
    /// Simulcast: the temporal layer now relayed.
    #[serde(default)]
    pub temporal: Option<u8>,
    /// VP9 SVC: the spatial layer now relayed.
    #[serde(default)]
    pub spatial_layer: Option<u8>,
    /// VP9 SVC: the temporal layer now relayed.
    #[serde(default)]
    pub temporal_layer: Option<u8>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What the Streaming plugin says to a viewer, asynchronously. Errors (`error_code`) are
/// [`DecodeError::Plugin`]; anything this version does not know is [`Event::Other`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A subscription status (see [`Status`]).
    Status {
        /// The status.
        status: Status,
        /// Other fields of `result`.
        extra: Map<String, Value>,
    },
    /// The answer to [`Configure`]: `result: {"event":"configured"}`.
    Configured {
        /// Other fields of `result`.
        extra: Map<String, Value>,
    },
    /// The answer to [`Switch`]: `result: {"switched":"ok","id":..}`.
    Switched {
        /// The mountpoint now watched.
        id: Id,
        /// Other fields of `result`.
        extra: Map<String, Value>,
    },
    /// A simulcast or SVC layer change.
    Layers(Layers),
    /// The mountpoint's metadata changed (an [`Edit`] with `edited_event`):
    /// `{"event":"edited","id":..,"metadata":..}`, no `streaming` field.
    Edited {
        /// The mountpoint.
        id: Id,
        /// Its new metadata.
        metadata: Option<String>,
        /// Other fields.
        extra: Map<String, Value>,
    },
    /// The RTSP source went away (`rtsp_notify_changes`): `{"event":"rtsp-disconnected","id":..}`.
    RtspDisconnected {
        /// The mountpoint.
        id: Id,
        /// Other fields.
        extra: Map<String, Value>,
    },
    /// The RTSP source is back: `{"event":"rtsp-reconnected","id":..}`.
    RtspReconnected {
        /// The mountpoint.
        id: Id,
        /// Other fields.
        extra: Map<String, Value>,
    },
    /// Anything else, as sent (the whole `plugindata.data`).
    Other(Value),
}

#[derive(Deserialize)]
struct IdAndRest {
    id: Id,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl Event {
    fn from_result(mut result: Map<String, Value>, whole: &Value) -> Self {
        if let Some(Value::String(status)) = result.get("status") {
            let status = Status::from_wire(status);
            result.remove("status");
            return Self::Status {
                status,
                extra: result,
            };
        }
        if result.get("event").and_then(Value::as_str) == Some("configured") {
            result.remove("event");
            return Self::Configured { extra: result };
        }
        if result.get("switched").and_then(Value::as_str) == Some("ok") {
            result.remove("switched");
            if let Ok(r) = IdAndRest::deserialize(Value::Object(result)) {
                return Self::Switched {
                    id: r.id,
                    extra: r.extra,
                };
            }
            return Self::Other(whole.clone());
        }
        let layered = ["substream", "temporal", "spatial_layer", "temporal_layer"]
            .iter()
            .any(|k| result.contains_key(*k));
        if layered {
            if let Ok(l) = Layers::deserialize(Value::Object(result)) {
                return Self::Layers(l);
            }
        }
        Self::Other(whole.clone())
    }

    fn from_notification(kind: &str, mut rest: Map<String, Value>, whole: &Value) -> Self {
        let metadata = match rest.remove("metadata") {
            Some(Value::String(m)) => Some(m),
            _ => None,
        };
        let Ok(r) = IdAndRest::deserialize(Value::Object(rest)) else {
            return Self::Other(whole.clone());
        };
        match kind {
            "edited" => Self::Edited {
                id: r.id,
                metadata,
                extra: r.extra,
            },
            "rtsp-disconnected" => Self::RtspDisconnected {
                id: r.id,
                extra: r.extra,
            },
            "rtsp-reconnected" => Self::RtspReconnected {
                id: r.id,
                extra: r.extra,
            },
            _ => Self::Other(whole.clone()),
        }
    }
}

impl PluginEvent for Event {
    fn decode(data: &PluginData) -> Result<Self, DecodeError> {
        let mut v: Map<String, Value> = decode_as(data, PLUGIN)?;
        if let Some(Value::Object(result)) = v.remove("result") {
            return Ok(Self::from_result(result, &data.data));
        }
        if v.get("streaming").is_none() {
            if let Some(Value::String(kind)) = v.remove("event") {
                return Ok(Self::from_notification(&kind, v, &data.data));
            }
        }
        Ok(Self::Other(data.data.clone()))
    }
}

// ------------------------------------------------------------------------------------------
// What a viewer expects (the rules of the adapters' `streaming::Viewer`)

impl Event {
    /// A handle's event decoded as the Streaming plugin's, if it is a plugin event (janus.js
    /// `onmessage`); other events (`webrtcup`, `media`, `hangup`, ...) are `None`.
    ///
    /// ```
    /// use janus_proto::plugin::streaming::{Event, Status};
    /// use janus_proto::{HandleId, HandleRef, PluginData, SessionId};
    /// use serde_json::json;
    ///
    /// let handle = HandleRef { session: SessionId(1), handle: HandleId(2) };
    /// let event = janus_proto::Event::PluginEvent {
    ///     handle,
    ///     tx: None,
    ///     data: PluginData {
    ///         plugin: janus_proto::plugin::streaming::PLUGIN.into(),
    ///         data: json!({"streaming": "event", "result": {"status": "stopped"}}),
    ///     },
    ///     jsep: None,
    /// };
    /// let decoded = Event::of(&event).unwrap().unwrap();
    /// assert_eq!(decoded.status(), Some(&Status::Stopped));
    /// assert!(Event::of(&janus_proto::Event::WebrtcUp { handle }).is_none());
    /// ```
    pub fn of(event: &crate::Event) -> Option<Result<Self, DecodeError>> {
        match event {
            crate::Event::PluginEvent { data, .. } => Some(Self::decode(data)),
            _ => None,
        }
    }

    /// The subscription's status, if this is a status event.
    pub fn status(&self) -> Option<&Status> {
        match self {
            Self::Status { status, .. } => Some(status),
            _ => None,
        }
    }
}

impl Created {
    /// The RTP port the stream `mid` of the new mountpoint is received on (the port the
    /// plugin picked when it was asked for port 0).
    pub fn port(&self, mid: &str) -> Option<u16> {
        self.stream
            .ports
            .iter()
            .find(|p| p.mid == mid)
            .and_then(|p| p.port)
    }
}

/// What the answer to a [`Watch`] must be: a status event, [`Status::Preparing`] (or
/// [`Status::Updating`] for a `restart`), with Janus's offer. Returns both; anything else is
/// a [`RequestError`](crate::RequestError) (the plugin's error, or a malformed answer).
pub fn watch_offer(
    reply: &crate::PluginReply,
) -> Result<(Event, crate::Jsep), crate::RequestError> {
    let event: Event = super::reply_as(&reply.data)?;
    match event.status() {
        Some(Status::Preparing | Status::Updating) => {}
        _ => {
            return Err(crate::RequestError::Malformed(format!(
                "expected status preparing, got {event:?}"
            )));
        }
    }
    let offer = super::offer_of(reply)?.clone();
    Ok((event, offer))
}

// ------------------------------------------------------------------------------------------
// Errors

/// The Streaming plugin's own `error_code`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 450: no message.
    NoMessage,
    /// 451: the body is not a JSON object.
    InvalidJson,
    /// 452: unknown request, or not valid here (e.g. recording a file mountpoint).
    InvalidRequest,
    /// 453: a mandatory field is missing.
    MissingElement,
    /// 454: a field has the wrong type or value.
    InvalidElement,
    /// 455: no such mountpoint.
    NoSuchMountpoint,
    /// 456: the mountpoint could not be created (e.g. its id or name is taken).
    CantCreate,
    /// 457: wrong secret, PIN or admin key.
    Unauthorized,
    /// 458: the switch is not possible.
    CantSwitch,
    /// 459: the recording could not be started.
    CantRecord,
    /// 460: the request does not fit the subscription's state (e.g. already watching).
    InvalidState,
    /// 461: the SDP could not be used.
    InvalidSdp,
    /// 470: any other failure.
    UnknownError,
    /// A code this version does not know.
    Unknown(u16),
}

impl ErrorCode {
    /// The code for a number.
    pub fn from_code(code: u16) -> Self {
        match code {
            450 => Self::NoMessage,
            451 => Self::InvalidJson,
            452 => Self::InvalidRequest,
            453 => Self::MissingElement,
            454 => Self::InvalidElement,
            455 => Self::NoSuchMountpoint,
            456 => Self::CantCreate,
            457 => Self::Unauthorized,
            458 => Self::CantSwitch,
            459 => Self::CantRecord,
            460 => Self::InvalidState,
            461 => Self::InvalidSdp,
            470 => Self::UnknownError,
            n => Self::Unknown(n),
        }
    }

    /// The number on the wire.
    pub fn code(self) -> u16 {
        match self {
            Self::NoMessage => 450,
            Self::InvalidJson => 451,
            Self::InvalidRequest => 452,
            Self::MissingElement => 453,
            Self::InvalidElement => 454,
            Self::NoSuchMountpoint => 455,
            Self::CantCreate => 456,
            Self::Unauthorized => 457,
            Self::CantSwitch => 458,
            Self::CantRecord => 459,
            Self::InvalidState => 460,
            Self::InvalidSdp => 461,
            Self::UnknownError => 470,
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

    fn data(v: Value) -> PluginData {
        PluginData {
            plugin: PLUGIN.into(),
            data: v,
        }
    }

    fn body<R: PluginRequest>(r: &R) -> Value {
        r.to_body().unwrap()
    }

    #[test]
    fn requests_encode_exactly() {
        assert_eq!(body(&List::default()), json!({"request": "list"}));
        assert_eq!(
            body(&Info {
                secret: Some("s".into()),
                ..Info::new(3)
            }),
            json!({"request": "info", "id": 3, "secret": "s"})
        );
        let mut create = Create::rtp(vec![
            MediaConfig::rtp(MediaType::Audio, "a", 0, 111, "opus"),
            MediaConfig {
                datatype: Some("text".into()),
                ..MediaConfig::new(MediaType::Data, "d", 5000)
            },
        ]);
        create.id = Some("tv".into());
        create.description = Some("TV".into());
        create.extra.insert("audioport".into(), json!(5002));
        assert_eq!(
            body(&create),
            json!({"request": "create", "type": "rtp", "id": "tv", "description": "TV",
                   "audioport": 5002,
                   "media": [
                       {"type": "audio", "mid": "a", "port": 0, "pt": 111, "codec": "opus"},
                       {"type": "data", "mid": "d", "port": 5000, "datatype": "text"}]})
        );
        assert_eq!(
            body(&Create {
                filename: Some("/x.opus".into()),
                audio: Some(true),
                ..Create::new(MountpointType::Ondemand)
            }),
            json!({"request": "create", "type": "ondemand", "filename": "/x.opus", "audio": true})
        );
        assert_eq!(
            body(&Edit {
                new_metadata: Some("m".into()),
                edited_event: Some(true),
                ..Edit::new(3)
            }),
            json!({"request": "edit", "id": 3, "new_metadata": "m", "edited_event": true})
        );
        assert_eq!(
            body(&KickAll::new(3)),
            json!({"request": "kick_all", "id": 3})
        );
        assert_eq!(
            body(&Destroy {
                permanent: Some(false),
                ..Destroy::new(3)
            }),
            json!({"request": "destroy", "id": 3, "permanent": false})
        );
        assert_eq!(
            body(&Recording::start(3, [("a", "/tmp/a")])),
            json!({"request": "recording", "action": "start", "id": 3,
                   "media": [{"mid": "a", "filename": "/tmp/a"}]})
        );
        assert_eq!(
            body(&Recording::stop(3, ["a"])),
            json!({"request": "recording", "action": "stop", "id": 3, "media": [{"mid": "a"}]})
        );
        assert_eq!(body(&Enable::new(3)), json!({"request": "enable", "id": 3}));
        assert_eq!(
            body(&Disable {
                stop_recording: Some(false),
                ..Disable::new(3)
            }),
            json!({"request": "disable", "id": 3, "stop_recording": false})
        );
        assert_eq!(
            body(&Watch {
                pin: Some("1".into()),
                ..Watch::new(3)
            }),
            json!({"request": "watch", "id": 3, "pin": "1"})
        );
        assert_eq!(body(&Start::default()), json!({"request": "start"}));
        assert_eq!(body(&Pause::default()), json!({"request": "pause"}));
        assert_eq!(body(&Stop::default()), json!({"request": "stop"}));
        assert_eq!(
            body(&Configure {
                streams: vec![StreamConfig {
                    send: Some(false),
                    ..StreamConfig::new("v")
                }],
                ..Default::default()
            }),
            json!({"request": "configure", "streams": [{"mid": "v", "send": false}]})
        );
        assert_eq!(
            body(&Switch::new("other")),
            json!({"request": "switch", "id": "other"})
        );
    }

    #[test]
    fn events_decode_and_keep_what_they_do_not_know() {
        assert_eq!(
            Event::decode(&data(
                json!({"streaming": "event", "result": {"status": "started", "new": 1}})
            ))
            .unwrap(),
            Event::Status {
                status: Status::Started,
                extra: json!({"new": 1}).as_object().unwrap().clone()
            }
        );
        assert_eq!(
            Event::decode(&data(
                json!({"streaming": "event", "result": {"status": "rewinding"}})
            ))
            .unwrap(),
            Event::Status {
                status: Status::Other("rewinding".into()),
                extra: Map::new()
            }
        );
        assert_eq!(
            Event::decode(&data(
                json!({"streaming": "event", "result": {"switched": "ok", "id": "b"}})
            ))
            .unwrap(),
            Event::Switched {
                id: "b".into(),
                extra: Map::new()
            }
        );
        assert_eq!(
            Event::decode(&data(
                json!({"streaming": "event", "result": {"mid": "v", "substream": 1}})
            ))
            .unwrap(),
            Event::Layers(Layers {
                mid: Some("v".into()),
                substream: Some(1),
                ..Default::default()
            })
        );
        assert_eq!(
            Event::decode(&data(
                json!({"event": "edited", "id": 3, "metadata": "new"})
            ))
            .unwrap(),
            Event::Edited {
                id: 3.into(),
                metadata: Some("new".into()),
                extra: Map::new()
            }
        );
        assert_eq!(
            Event::decode(&data(json!({"event": "rtsp-reconnected", "id": 3}))).unwrap(),
            Event::RtspReconnected {
                id: 3.into(),
                extra: Map::new()
            }
        );
        let odd = json!({"streaming": "event", "result": {"surprise": true}});
        assert_eq!(
            Event::decode(&data(odd.clone())).unwrap(),
            Event::Other(odd)
        );
    }

    #[test]
    fn a_watch_answer_needs_preparing_and_an_offer() {
        let offer = crate::Jsep {
            kind: crate::SdpType::Offer,
            sdp: "v=0".into(),
            trickle: None,
            e2ee: None,
            extra: Map::new(),
        };
        let preparing = crate::PluginReply {
            data: data(json!({"streaming": "event", "result": {"status": "preparing"}})),
            jsep: Some(offer.clone()),
        };
        let (event, jsep) = watch_offer(&preparing).unwrap();
        assert_eq!(event.status(), Some(&Status::Preparing));
        assert_eq!(jsep, offer);
        let no_offer = crate::PluginReply {
            jsep: None,
            ..preparing.clone()
        };
        assert!(matches!(
            watch_offer(&no_offer),
            Err(crate::RequestError::Malformed(_))
        ));
        let started = crate::PluginReply {
            data: data(json!({"streaming": "event", "result": {"status": "started"}})),
            ..preparing
        };
        assert!(matches!(
            watch_offer(&started),
            Err(crate::RequestError::Malformed(_))
        ));
        let created = Created::decode(&data(json!({"streaming": "created", "created": "x",
            "stream": {"id": 1, "type": "live", "ports": [{"type": "audio", "mid": "a", "port": 20001}]}})))
        .unwrap();
        assert_eq!(created.port("a"), Some(20001));
        assert_eq!(created.port("v"), None);
    }

    #[test]
    fn replies_check_their_kind() {
        let ok = data(json!({"streaming": "ok"}));
        assert_eq!(Done::decode(&ok).unwrap(), Done::default());
        assert!(matches!(Edited::decode(&ok), Err(DecodeError::Shape(_))));
        let e = Done::decode(&data(
            json!({"streaming": "event", "error_code": 457, "error": "Unauthorized"}),
        ))
        .unwrap_err();
        assert_eq!(ErrorCode::of(&e), Some(ErrorCode::Unauthorized));
        assert_eq!(ErrorCode::from_code(499), ErrorCode::Unknown(499));
        assert_eq!(ErrorCode::Unknown(499).code(), 499);
        for n in 440..480 {
            assert_eq!(ErrorCode::from_code(n).code(), n);
        }
    }
}
