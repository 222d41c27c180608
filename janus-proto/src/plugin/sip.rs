//! SIP (`janus.plugin.sip`): Janus acts as a SIP user agent for us: it registers an
//! account at a registrar, places and takes calls with SIP peers, and relays their plain
//! RTP (or SDES-SRTP) to and from our WebRTC connection.
//!
//! Every request of the plugin's API (Janus 1.4) is a struct below, all *asynchronous*: an
//! `ack`, then an event with the same transaction. The account: [`Register`] (a real
//! `REGISTER`, a `guest` that sends none, or a `helper` handle for more calls of the same
//! account), [`Unregister`]. Calls: [`Call`] (with our offer), [`Progress`], [`Accept`]
//! (with our answer, or an offer to an offerless `INVITE`), [`SendRinging`], [`Decline`],
//! [`Update`], [`Hold`], [`Unhold`], [`Transfer`], [`Hangup`]. In and out of calls:
//! [`Message`], [`Info`], [`DtmfInfo`], [`Subscribe`], [`Unsubscribe`]. Media:
//! [`Recording`], [`Keyframe`], [`RtpForward`], [`StopRtpForward`], [`ListForwarders`];
//! and [`Reset`].
//!
//! Answers, and what the SIP side says later ([`Event::Registered`],
//! [`Event::IncomingCall`] with the caller's offer, [`Event::Accepted`] with the callee's
//! answer, [`Event::Hangup`], ...) decode as [`Event`]. The plugin puts the SIP `Call-ID`
//! an event is about next to `result`; decoding moves it into the payload's `call_id`
//! (when `result` has none of its own), and the same for the `unique_id` of `registered`.
//! A SIP failure (a registrar's `403`, a callee's `486`) is an event with its status
//! ([`SipStatus`]); a plugin error decodes as [`DecodeError::Plugin`], whose code
//! [`ErrorCode`] names.
//!
//! ```
//! use janus_proto::plugin::{PluginEvent, PluginRequest, sip};
//! use janus_proto::PluginData;
//! use serde_json::json;
//!
//! let register = sip::Register {
//!     kind: Some(sip::RegisterType::Guest),
//!     ..sip::Register::new("sip:alice@example.com")
//! };
//! assert_eq!(
//!     register.to_body().unwrap(),
//!     json!({"request": "register", "username": "sip:alice@example.com", "type": "guest"})
//! );
//!
//! let data = PluginData {
//!     plugin: sip::PLUGIN.into(),
//!     data: json!({"sip": "event", "call_id": "abc",
//!                  "result": {"event": "incomingcall", "username": "sip:bob@example.com"}}),
//! };
//! let sip::Event::IncomingCall(call) = sip::Event::decode(&data).unwrap() else {
//!     panic!("not a call")
//! };
//! assert_eq!(call.username.as_deref(), Some("sip:bob@example.com"));
//! assert_eq!(call.call_id.as_deref(), Some("abc"));
//!
//! let error = PluginData {
//!     plugin: sip::PLUGIN.into(),
//!     data: json!({"sip": "event", "error_code": 447, "error": "Wrong state (register first)"}),
//! };
//! let e = sip::Event::decode(&error).unwrap_err();
//! assert_eq!(sip::ErrorCode::of(&e), Some(sip::ErrorCode::WrongState));
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[cfg(doc)]
use super::PluginRequest;
use super::macros::{into_variants, wire_struct};
use super::{DecodeError, PluginEvent, decode_as};
use crate::error::PluginError;
use crate::msg::PluginData;

pub use super::nosip::{ForwardStream, ForwardedStream, Forwarder};

/// The plugin package.
pub const PLUGIN: &str = "janus.plugin.sip";

/// SIP headers, name to value: extra ones to send (`headers` of a request), or those of an
/// incoming message whose names start with a prefix of
/// [`Register::incoming_header_prefixes`].
pub type Headers = BTreeMap<String, String>;

/// What kind of account a [`Register`] sets up (unset: a normal one, with a `REGISTER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RegisterType {
    /// No `REGISTER`: the URI is used as `From` of our calls only (we cannot be called).
    Guest,
    /// A further handle of an account registered on another one (`master_id`), for more
    /// calls at the same time.
    Helper,
}

/// SDES-SRTP towards the SIP peer (`srtp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Srtp {
    /// Offer SRTP, accept plain RTP.
    SdesOptional,
    /// Require SRTP.
    SdesMandatory,
}

/// The media direction a [`Hold`] asks of the SIP peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HoldDirection {
    /// We keep sending, the peer stops (the plugin's default).
    Sendonly,
    /// We stop sending, the peer keeps on.
    Recvonly,
    /// Neither sends.
    Inactive,
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

// ---------------------------------------------------------------------------------------
// Requests: the account
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `register`: sets up the SIP account of the handle. A normal one is answered by
    /// [`Event::Registering`], then [`Event::Registered`] or
    /// [`Event::RegistrationFailed`] when the registrar answers; a `guest`, a `helper` or
    /// `send_register: false` by [`Event::Registered`] at once.
    request Register = "register" {
        required {
            /// Our SIP URI (`sip:alice@example.com`).
            username: String,
        }
        optional {
            /// Guest or helper (unset: a normal account).
            #[serde(rename = "type")]
            kind: RegisterType,
            /// `false`: no `REGISTER` is sent (the account is set up all the same).
            send_register: bool,
            /// Force UDP for the SIP signalling.
            force_udp: bool,
            /// Force TCP for the SIP signalling.
            force_tcp: bool,
            /// Register a SIPS URI too.
            sips: bool,
            /// Cancel calls the RFC 2543 way (a `BYE` before the answer).
            rfc2543_cancel: bool,
            /// Answer incoming `INVITE`s with a `180 Ringing` by ourselves (unset: the
            /// plugin does; `false`: we do with [`SendRinging`]).
            automatic_ringing: bool,
            /// The password.
            secret: String,
            /// The password as an HA1 hash (instead of `secret`).
            ha1_secret: String,
            /// The user for digest authentication, when not the URI's.
            authuser: String,
            /// The display name in our `From`.
            display_name: String,
            /// The `User-Agent` to send.
            user_agent: String,
            /// Extra headers of the `REGISTER`.
            headers: Headers,
            /// Extra parameters of our `Contact`.
            contact_params: Headers,
            /// Helpers: the `master_id` of the account's handle (from its
            /// [`Event::Registered`]).
            master_id: u32,
            /// Register again with new details while registered (no
            /// [`ErrorCode::AlreadyRegistered`]).
            refresh: bool,
            /// Which headers of incoming messages to report (name prefixes, e.g. `X-`).
            incoming_header_prefixes: Vec<String>,
            /// The expiry asked of the registrar, seconds.
            register_ttl: u32,
            /// The registrar (`sip:example.com`).
            proxy: String,
            /// The outbound proxy, if any.
            outbound_proxy: String,
        }
    }
}

wire_struct! {
    /// `unregister`: a `REGISTER` with expiry 0; answered by [`Event::Unregistering`],
    /// then [`Event::Unregistered`].
    request Unregister = "unregister" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `subscribe`: a `SUBSCRIBE` to an event package (`message-summary`, `presence`,
    /// ...); answered by [`Event::Subscribing`], then [`Event::SubscribeSucceeded`] or
    /// [`Event::SubscribeFailed`]; the `NOTIFY`s come as [`Event::Notify`].
    request Subscribe = "subscribe" {
        required {
            /// The event package.
            event: String,
        }
        optional {
            /// Whom to subscribe to (unset: ourselves).
            to: String,
            /// The `Accept` header.
            accept: String,
            /// The expiry asked, seconds.
            subscribe_ttl: u32,
            /// The `Call-ID` to use for the subscription.
            call_id: String,
            /// Extra headers.
            headers: Headers,
            /// A body for the `SUBSCRIBE`.
            content: String,
            /// Its content type.
            content_type: String,
        }
    }
}

wire_struct! {
    /// `unsubscribe`: ends a subscription of ours; answered by [`Event::Unsubscribing`].
    request Unsubscribe = "unsubscribe" {
        required {
            /// The event package subscribed to.
            event: String,
        }
        optional {
            /// Whom we subscribed to.
            to: String,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Requests: calls
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `call`, sent with our JSEP offer: an `INVITE`; answered by [`Event::Calling`], then
    /// [`Event::Ringing`], [`Event::Proceeding`], [`Event::Progress`] (early media) and
    /// [`Event::Accepted`] with the callee's answer, or [`Event::Hangup`] (refused).
    request Call = "call" {
        required {
            /// Whom to call (`sip:bob@example.com`).
            uri: String,
        }
        optional {
            /// Extra headers of the `INVITE`.
            headers: Headers,
            /// The `Call-ID` to use (unset: the plugin makes one).
            call_id: String,
            /// SDES-SRTP towards the callee.
            srtp: Srtp,
            /// SRTP profile (`AES_CM_128_HMAC_SHA1_80`, `AES_CM_128_HMAC_SHA1_32`, ...).
            srtp_profile: String,
            /// `false`: relay the peer's re-`INVITE`s to us ([`Event::UpdatingCall`])
            /// instead of accepting them blindly.
            autoaccept_reinvites: bool,
            /// The call follows a transfer: the `refer_id` of its [`Event::Transfer`].
            refer_id: u32,
            /// The password, for a guest whose `INVITE` is challenged.
            secret: String,
            /// The password as an HA1 hash.
            ha1_secret: String,
            /// The user for digest authentication.
            authuser: String,
        }
    }
}

wire_struct! {
    /// `accept`, sent with our JSEP answer to the [`Event::IncomingCall`] offer (a `200
    /// OK`), answered by [`Event::Accepted`]; or, to an offerless `INVITE`, with our offer,
    /// answered by [`Event::Accepting`], the caller's answer coming later in
    /// [`Event::Accepted`].
    request Accept = "accept" {
        required {}
        optional {
            /// SDES-SRTP towards the caller.
            srtp: Srtp,
            /// SRTP profile (offerless `INVITE`s only).
            srtp_profile: String,
            /// Extra headers of the `200 OK`.
            headers: Headers,
            /// `false`: relay re-`INVITE`s to us instead of accepting them blindly.
            autoaccept_reinvites: bool,
        }
    }
}

wire_struct! {
    /// `progress`, sent with our JSEP answer: a `183 Session Progress` (early media);
    /// answered by [`Event::Progressed`]; [`Accept`] follows.
    request Progress = "progress" {
        required {}
        optional {
            /// SDES-SRTP towards the caller.
            srtp: Srtp,
            /// SRTP profile.
            srtp_profile: String,
            /// Extra headers of the `183`.
            headers: Headers,
            /// `false`: relay re-`INVITE`s to us.
            autoaccept_reinvites: bool,
        }
    }
}

wire_struct! {
    /// `send_ringing`: a `180 Ringing` to the caller (with `automatic_ringing: false`);
    /// answered by an event without `result` ([`Event::Done`]).
    request SendRinging = "send_ringing" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `decline`: refuses the incoming call, or a transfer ([`Event::Transfer`]); answered
    /// by [`Event::Declining`]. Janus (1.1.2 to 1.4.1) takes the INVITE's SIP handle only
    /// after it sent `incomingcall`: a decline sent within moments of that event is answered
    /// `declining` but never reaches the caller (Janus logs "NUA Handle for 200 OK still
    /// null??"), so an automatic decline should wait a little first.
    request Decline = "decline" {
        required {}
        optional {
            /// The SIP status to answer with (unset: `486 Busy Here`).
            code: u16,
            /// Extra headers of the answer.
            headers: Headers,
            /// Refuse this transfer instead of the call.
            refer_id: u32,
        }
    }
}

wire_struct! {
    /// `update`, sent with a JSEP (`update: true` in it): renegotiates the call (a
    /// re-`INVITE` with our offer, answered by [`Event::Updating`]; or our answer to an
    /// [`Event::UpdatingCall`], answered by [`Event::Updated`]).
    request Update = "update" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `hold`: a re-`INVITE` that puts the SIP peer on hold; answered by
    /// [`Event::Holding`]. Our WebRTC side is not renegotiated. Out of a call the plugin
    /// drops it without an answer.
    request Hold = "hold" {
        required {}
        optional {
            /// The direction to ask (unset: `sendonly`).
            direction: HoldDirection,
            /// Extra headers of the re-`INVITE`.
            headers: Headers,
        }
    }
}

wire_struct! {
    /// `unhold`: a re-`INVITE` back to the directions before [`Hold`]; answered by
    /// [`Event::Resuming`] (and, like it, dropped out of a call).
    request Unhold = "unhold" {
        required {}
        optional {
            /// Extra headers of the re-`INVITE`.
            headers: Headers,
        }
    }
}

wire_struct! {
    /// `transfer`: a `REFER` of the peer to another URI (blind, or attended with
    /// `replace`); answered by [`Event::Transferring`].
    request Transfer = "transfer" {
        required {
            /// Where to.
            uri: String,
        }
        optional {
            /// Attended transfer: the `Call-ID` of the call that replaces ours.
            replace: String,
        }
    }
}

wire_struct! {
    /// `hangup`: a `BYE` (or a `CANCEL` of a call not yet answered); answered by
    /// [`Event::HangingUp`], then [`Event::Hangup`].
    request Hangup = "hangup" {
        required {}
        optional {
            /// Extra headers of the `BYE`.
            headers: Headers,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Requests: in and out of calls
// ---------------------------------------------------------------------------------------

wire_struct! {
    /// `message`: a SIP `MESSAGE`, in the call or, with `uri`, to anyone; answered by
    /// [`Event::MessageSent`], then [`Event::MessageDelivery`] with the peer's status.
    request Message = "message" {
        required {
            /// The text.
            content: String,
        }
        optional {
            /// Its content type (unset: `text/plain`).
            content_type: String,
            /// To whom, out of a call.
            uri: String,
            /// Extra headers.
            headers: Headers,
            /// The `Call-ID` to send it with.
            call_id: String,
        }
    }
}

wire_struct! {
    /// `info`: a SIP `INFO` in the call; answered by [`Event::InfoSent`].
    request Info = "info" {
        required {
            /// Its content type (`application/dtmf-relay`, ...).
            #[serde(rename = "type")]
            kind: String,
            /// Its body.
            content: String,
        }
        optional {
            /// Extra headers.
            headers: Headers,
        }
    }
}

wire_struct! {
    /// `dtmf_info`: a DTMF tone as a SIP `INFO` (`application/dtmf-relay`); answered by
    /// [`Event::DtmfSent`]. (Tones in the media are RFC 2833 events of our connection.)
    request DtmfInfo = "dtmf_info" {
        required {
            /// One character: `0`-`9`, `*`, `#`, `A`-`D`.
            digit: String,
        }
        optional {
            /// Milliseconds (unset, 0 or over 5000: 160).
            duration: u32,
            /// Extra headers.
            headers: Headers,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Requests: media
// ---------------------------------------------------------------------------------------

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
            /// The SIP peer's audio.
            peer_audio: bool,
            /// The SIP peer's video.
            peer_video: bool,
            /// Ask the SIP peer for a keyframe when its video recording starts.
            send_peer_pli: bool,
            /// Base path of the files (`-user-audio.mjr`, `-peer-video.mjr`, ... added).
            filename: String,
        }
    }
}

wire_struct! {
    /// `keyframe`: Janus sends a keyframe request (RTCP PLI) to us, to the peer, or both;
    /// answered by [`Event::KeyframeSent`].
    request Keyframe = "keyframe" {
        required {}
        optional {
            /// To us (the WebRTC user).
            user: bool,
            /// To the SIP peer (when it negotiated PLI).
            peer: bool,
        }
    }
}

wire_struct! {
    /// `rtp_forward`: relays streams of the call to other hosts; answered by
    /// [`Event::RtpForward`].
    request RtpForward = "rtp_forward" {
        required {
            /// The forwarders to add.
            streams: Vec<ForwardStream>,
        }
        optional {}
    }
}

wire_struct! {
    /// `stop_rtp_forward`; answered by [`Event::StopRtpForward`].
    request StopRtpForward = "stop_rtp_forward" {
        required {
            /// The forwarder.
            stream_id: u32,
        }
        optional {}
    }
}

wire_struct! {
    /// `listforwarders`; answered by [`Event::Forwarders`].
    request ListForwarders = "listforwarders" {
        required {}
        optional {}
    }
}

wire_struct! {
    /// `reset`: clears a call state left behind (a handle that answers every `INVITE`
    /// with `486` while idle); answered by [`Event::Reset`].
    request Reset = "reset" {
        required {}
        optional {}
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// The SIP plugin's own error codes (`error_code` in its answers; not SIP statuses, which
/// come in events as [`SipStatus`]).
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
    /// 445: the handle registered already (see [`Register::refresh`]).
    AlreadyRegistered,
    /// 446: a SIP URI (ours, the callee's, a proxy's) does not parse.
    InvalidAddress,
    /// 447: not possible in this state (register first, not in a call, ...).
    WrongState,
    /// 448: no SDP where one is needed (or one with data channels).
    MissingSdp,
    /// 449: the SIP stack failed.
    LibsofiaError,
    /// 450: ports or files could not be opened.
    IoError,
    /// 451: a recording could not be started.
    RecordingError,
    /// 452: SRTP required but not offered.
    TooStrict,
    /// 453: a helper without its master, or a master misused.
    HelperError,
    /// 454: no call with this `Call-ID` (a transfer's `replace`).
    NoSuchCallid,
    /// 455: no such forwarder.
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
            445 => Self::AlreadyRegistered,
            446 => Self::InvalidAddress,
            447 => Self::WrongState,
            448 => Self::MissingSdp,
            449 => Self::LibsofiaError,
            450 => Self::IoError,
            451 => Self::RecordingError,
            452 => Self::TooStrict,
            453 => Self::HelperError,
            454 => Self::NoSuchCallid,
            455 => Self::NoSuchStream,
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
            Self::AlreadyRegistered => 445,
            Self::InvalidAddress => 446,
            Self::WrongState => 447,
            Self::MissingSdp => 448,
            Self::LibsofiaError => 449,
            Self::IoError => 450,
            Self::RecordingError => 451,
            Self::TooStrict => 452,
            Self::HelperError => 453,
            Self::NoSuchCallid => 454,
            Self::NoSuchStream => 455,
            Self::Unknown(n) => n,
        }
    }

    /// The SIP plugin's code of a decode failure, when it was a plugin error.
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

/// A `result` with nothing more to say than its name (and the call it is about).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Done {
    /// The SIP `Call-ID` it is about, when there is one.
    pub call_id: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `registered` or `unregistered`: the account is (no longer) registered.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Registered {
    /// Our SIP URI.
    pub username: Option<String>,
    /// Whether a `REGISTER` was sent (`false`: a guest, a helper, `send_register: false`).
    pub register_sent: Option<bool>,
    /// A helper handle.
    pub helper: Option<bool>,
    /// The id helpers give as [`Register::master_id`].
    pub master_id: Option<u32>,
    /// The plugin's id of this handle.
    pub unique_id: Option<String>,
    /// The registrar's headers (see [`Register::incoming_header_prefixes`]).
    pub headers: Option<Headers>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A SIP status: a failure (`registration_failed`, `subscribe_failed`), the end of a call
/// (`hangup`, with the callee's refusal if it never started), a message's delivery.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SipStatus {
    /// The SIP status code (`403`, `486`, `200`, ...).
    pub code: Option<u16>,
    /// Its reason phrase.
    pub reason: Option<String>,
    /// The text of a `Reason` header, if one came.
    pub reason_header: Option<String>,
    /// Its protocol (`Q.850`, `SIP`).
    pub reason_header_protocol: Option<String>,
    /// Its cause.
    pub reason_header_cause: Option<String>,
    /// The message's headers (see [`Register::incoming_header_prefixes`]).
    pub headers: Option<Headers>,
    /// The SIP `Call-ID` it is about.
    pub call_id: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `hangup`: the end of a call, a [`SipStatus`].
pub type HungUp = SipStatus;

/// `subscribe_succeeded`: the notifier accepted our [`Subscribe`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Subscribed {
    /// The SIP status code (`200`, `202`).
    pub code: Option<u16>,
    /// Its reason phrase.
    pub reason: Option<String>,
    /// The expiry granted, seconds.
    pub expires: Option<u32>,
    /// The answer's headers.
    pub headers: Option<Headers>,
    /// The subscription's `Call-ID`.
    pub call_id: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `notify`: a `NOTIFY` of a subscription of ours.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Notify {
    /// The event package.
    pub notify: Option<String>,
    /// The subscription state (`active`, `terminated`, ...).
    pub substate: Option<String>,
    /// The body's content type.
    #[serde(rename = "content-type")]
    pub content_type: Option<String>,
    /// The body.
    pub content: Option<String>,
    /// Its headers.
    pub headers: Option<Headers>,
    /// The subscription's `Call-ID`.
    pub call_id: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `incomingcall` (or `updatingcall`, a re-`INVITE` of the call): who calls; their JSEP
/// offer comes with it, unless the `INVITE` had no SDP (then [`Accept`] with an offer).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IncomingCall {
    /// The caller's SIP URI.
    pub username: Option<String>,
    /// The caller's display name.
    pub displayname: Option<String>,
    /// The URI called (ours, or one of them).
    pub callee: Option<String>,
    /// The `Referred-By` of a call that follows a transfer.
    pub referred_by: Option<String>,
    /// The `Call-ID` it replaces (attended transfer).
    pub replaces: Option<String>,
    /// The caller is a conference focus.
    pub isfocus: Option<bool>,
    /// The caller offered SDES-SRTP.
    pub srtp: Option<Srtp>,
    /// The `INVITE`'s headers.
    pub headers: Option<Headers>,
    /// The call's `Call-ID`.
    pub call_id: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `missed_call`: a call came while the handle was in another one (answered `486`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MissedCall {
    /// The caller's SIP URI.
    pub caller: Option<String>,
    /// Their display name.
    pub displayname: Option<String>,
    /// The URI called.
    pub callee: Option<String>,
    /// The missed call's `Call-ID`.
    pub call_id: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `accepted` or `progress`: the callee answered (`200`, or `183` with early media); its
/// JSEP answer comes with it (not with the `accepted` after a `progress`). Also the
/// answer to our [`Accept`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Accepted {
    /// The peer's SIP URI (not in the answer to our [`Accept`]).
    pub username: Option<String>,
    /// The peer is a conference focus.
    pub isfocus: Option<bool>,
    /// The answer's headers.
    pub headers: Option<Headers>,
    /// The call's `Call-ID`.
    pub call_id: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `ringing` (a `180`) or `proceeding` (another provisional status) of our call.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Provisional {
    /// The SIP status (`proceeding` only; `ringing` is 180).
    pub code: Option<u16>,
    /// The answer's headers (`ringing` only).
    pub headers: Option<Headers>,
    /// The call's `Call-ID`.
    pub call_id: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `declining`: the answer to [`Decline`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Declining {
    /// The SIP status sent.
    pub code: Option<u16>,
    /// The transfer declined, if it was one.
    pub refer_id: Option<u32>,
    /// The call's `Call-ID`.
    pub call_id: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `transfer`: the peer asks us to call someone else (a `REFER`); [`Call`] with its
/// `refer_id` follows it, [`Decline`] with it refuses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TransferRequest {
    /// The transfer's id.
    pub refer_id: Option<u32>,
    /// Whom to call.
    pub refer_to: Option<String>,
    /// Who asks.
    pub referred_by: Option<String>,
    /// The `Call-ID` the new call replaces (attended transfer).
    pub replaces: Option<String>,
    /// The `REFER`'s headers.
    pub headers: Option<Headers>,
    /// The call's `Call-ID`.
    pub call_id: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `info` or `message`: a SIP `INFO` or `MESSAGE` that came.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Incoming {
    /// The sender's SIP URI.
    pub sender: Option<String>,
    /// Their display name.
    pub displayname: Option<String>,
    /// The content type (`info`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The content type (`message`).
    pub content_type: Option<String>,
    /// The body.
    pub content: Option<String>,
    /// Its headers.
    pub headers: Option<Headers>,
    /// The `Call-ID`.
    pub call_id: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `dtmf`: a DTMF tone the peer sent as an `INFO`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Dtmf {
    /// The peer's SIP URI.
    pub sender: Option<String>,
    /// The tone.
    pub signal: Option<String>,
    /// Milliseconds.
    pub duration: Option<u32>,
    /// The call's `Call-ID`.
    pub call_id: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// What the SIP plugin says: answers to requests and what the SIP side does.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The answer to a normal [`Register`]: the `REGISTER` is on its way.
    Registering(Done),
    /// Registered (or set up as a guest or helper).
    Registered(Registered),
    /// The registrar refused.
    RegistrationFailed(SipStatus),
    /// The answer to [`Unregister`].
    Unregistering(Done),
    /// Unregistered.
    Unregistered(Registered),
    /// The answer to [`Subscribe`].
    Subscribing(Done),
    /// The subscription is on.
    SubscribeSucceeded(Subscribed),
    /// The subscription was refused.
    SubscribeFailed(SipStatus),
    /// The answer to [`Unsubscribe`].
    Unsubscribing(Done),
    /// A `NOTIFY`.
    Notify(Notify),
    /// The answer to [`Call`].
    Calling(Done),
    /// The callee's phone rings.
    Ringing(Provisional),
    /// Another provisional status of our call.
    Proceeding(Provisional),
    /// Early media: the callee's `183` with its SDP (JSEP answer with it).
    Progress(Accepted),
    /// The call was accepted: the callee's answer (JSEP with it), or the answer to our
    /// [`Accept`].
    Accepted(Accepted),
    /// The answer to an [`Accept`] with an offer (the caller's answer comes later).
    Accepting(Done),
    /// The answer to [`Progress`].
    Progressed(Done),
    /// Someone calls us (JSEP offer with it, unless offerless).
    IncomingCall(IncomingCall),
    /// The peer re-`INVITE`s (JSEP offer with it; answer with [`Update`]).
    UpdatingCall(IncomingCall),
    /// A call came while in another.
    MissedCall(MissedCall),
    /// The answer to an [`Update`] with an offer.
    Updating(Done),
    /// The answer to an [`Update`] with an answer.
    Updated(Done),
    /// The answer to [`Decline`].
    Declining(Declining),
    /// The peer transfers us.
    Transfer(TransferRequest),
    /// The answer to [`Transfer`].
    Transferring(Done),
    /// The answer to [`Hold`].
    Holding(Done),
    /// The answer to [`Unhold`].
    Resuming(Done),
    /// The answer to [`Hangup`].
    HangingUp(Done),
    /// The call ended, or never started (its status).
    Hangup(SipStatus),
    /// An `INFO` came.
    Info(Incoming),
    /// The answer to [`Info`].
    InfoSent(Done),
    /// A `MESSAGE` came.
    Message(Incoming),
    /// The answer to [`Message`].
    MessageSent(Done),
    /// The peer's status for a `MESSAGE` of ours.
    MessageDelivery(SipStatus),
    /// A DTMF `INFO` came.
    Dtmf(Dtmf),
    /// The answer to [`DtmfInfo`].
    DtmfSent(Done),
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
    /// The answer to [`Reset`].
    Reset(Done),
    /// An answer without `result` (to [`SendRinging`]).
    Done(Done),
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
        let Some(top) = raw.as_object() else {
            return Ok(Self::Other(raw));
        };
        // The ids the plugin puts next to `result`, moved into it.
        let beside = |m: &mut Map<String, Value>| {
            for key in ["call_id", "unique_id"] {
                if let Some(v @ Value::String(_)) = top.get(key) {
                    m.entry(key).or_insert_with(|| v.clone());
                }
            }
        };
        let Some(result) = top.get("result") else {
            if top.get("sip").and_then(Value::as_str) == Some("event") {
                let mut m = Map::new();
                beside(&mut m);
                return Ok(Self::Done(parse(&Value::Object(m))?));
            }
            return Ok(Self::Other(raw));
        };
        let Value::Object(result) = result else {
            return Ok(Self::Other(raw));
        };
        let mut m = result.clone();
        let Some(Value::String(kind)) = m.remove("event") else {
            return Ok(Self::Other(raw));
        };
        beside(&mut m);
        let rest = Value::Object(m);
        // `rtp_forward` names them `forwarders`, `listforwarders` `rtp_forwarders` (1.4.1).
        let forwarders = || {
            let list = rest
                .get("forwarders")
                .or_else(|| rest.get("rtp_forwarders"));
            parse(list.unwrap_or(&Value::Array(vec![])))
        };
        Ok(match kind.as_str() {
            "registering" => Self::Registering(parse(&rest)?),
            "registered" => Self::Registered(parse(&rest)?),
            "registration_failed" => Self::RegistrationFailed(parse(&rest)?),
            "unregistering" => Self::Unregistering(parse(&rest)?),
            "unregistered" => Self::Unregistered(parse(&rest)?),
            "subscribing" => Self::Subscribing(parse(&rest)?),
            "subscribe_succeeded" => Self::SubscribeSucceeded(parse(&rest)?),
            "subscribe_failed" => Self::SubscribeFailed(parse(&rest)?),
            "unsubscribing" => Self::Unsubscribing(parse(&rest)?),
            "notify" => Self::Notify(parse(&rest)?),
            "calling" => Self::Calling(parse(&rest)?),
            "ringing" => Self::Ringing(parse(&rest)?),
            "proceeding" => Self::Proceeding(parse(&rest)?),
            "progress" => Self::Progress(parse(&rest)?),
            "accepted" => Self::Accepted(parse(&rest)?),
            "accepting" => Self::Accepting(parse(&rest)?),
            "progressed" => Self::Progressed(parse(&rest)?),
            "incomingcall" => Self::IncomingCall(parse(&rest)?),
            "updatingcall" => Self::UpdatingCall(parse(&rest)?),
            "missed_call" => Self::MissedCall(parse(&rest)?),
            "updating" => Self::Updating(parse(&rest)?),
            "updated" => Self::Updated(parse(&rest)?),
            "declining" => Self::Declining(parse(&rest)?),
            "transfer" => Self::Transfer(parse(&rest)?),
            "transferring" => Self::Transferring(parse(&rest)?),
            "holding" => Self::Holding(parse(&rest)?),
            "resuming" => Self::Resuming(parse(&rest)?),
            "hangingup" => Self::HangingUp(parse(&rest)?),
            "hangup" => Self::Hangup(parse(&rest)?),
            "info" => Self::Info(parse(&rest)?),
            "infosent" => Self::InfoSent(parse(&rest)?),
            "message" => Self::Message(parse(&rest)?),
            "messagesent" => Self::MessageSent(parse(&rest)?),
            "messagedelivery" => Self::MessageDelivery(parse(&rest)?),
            "dtmf" => Self::Dtmf(parse(&rest)?),
            "dtmfsent" => Self::DtmfSent(parse(&rest)?),
            "recordingupdated" => Self::RecordingUpdated(parse(&rest)?),
            "keyframesent" => Self::KeyframeSent(parse(&rest)?),
            "rtp_forward" => Self::RtpForward(forwarders()?),
            "stop_rtp_forward" => Self::StopRtpForward {
                stream_id: parse(rest.get("stream_id").unwrap_or(&Value::Null))?,
            },
            "forwarders" => Self::Forwarders(forwarders()?),
            "reset" => Self::Reset(parse(&rest)?),
            _ => Self::Other(raw),
        })
    }
}

// ---------------------------------------------------------------------------------------
// The answers the workflows expect (for `plugin::expect`), and their waits
// ---------------------------------------------------------------------------------------

into_variants! {
    /// The answer to a normal [`Register`], or the event back (boxed).
    into_registering => Registering(Done);
    /// Registered, or the event back.
    into_registered => Registered(Registered);
    /// The answer to [`Unregister`], or the event back.
    into_unregistering => Unregistering(Done);
    /// Unregistered, or the event back.
    into_unregistered => Unregistered(Registered);
    /// The answer to [`Subscribe`], or the event back.
    into_subscribing => Subscribing(Done);
    /// The answer to [`Unsubscribe`], or the event back.
    into_unsubscribing => Unsubscribing(Done);
    /// The answer to [`Call`], or the event back.
    into_calling => Calling(Done);
    /// The call accepted (or the answer to [`Accept`]), or the event back.
    into_accepted => Accepted(Accepted);
    /// The answer to an offerless [`Accept`], or the event back.
    into_accepting => Accepting(Done);
    /// The answer to [`Progress`], or the event back.
    into_progressed => Progressed(Done);
    /// An incoming call, or the event back.
    into_incoming_call => IncomingCall(IncomingCall);
    /// The peer's re-`INVITE`, or the event back.
    into_updating_call => UpdatingCall(IncomingCall);
    /// The answer to an [`Update`] offer, or the event back.
    into_updating => Updating(Done);
    /// The answer to an [`Update`] answer, or the event back.
    into_updated => Updated(Done);
    /// The answer to [`Decline`], or the event back.
    into_declining => Declining(Declining);
    /// The answer to [`Transfer`], or the event back.
    into_transferring => Transferring(Done);
    /// The answer to [`Hold`], or the event back.
    into_holding => Holding(Done);
    /// The answer to [`Unhold`], or the event back.
    into_resuming => Resuming(Done);
    /// The answer to [`Hangup`], or the event back.
    into_hanging_up => HangingUp(Done);
    /// The end of the call, or the event back.
    into_hangup => Hangup(SipStatus);
    /// The answer to [`Info`], or the event back.
    into_info_sent => InfoSent(Done);
    /// The answer to [`Message`], or the event back.
    into_message_sent => MessageSent(Done);
    /// The answer to [`DtmfInfo`], or the event back.
    into_dtmf_sent => DtmfSent(Done);
    /// The answer to [`Recording`], or the event back.
    into_recording_updated => RecordingUpdated(Done);
    /// The answer to [`Keyframe`], or the event back.
    into_keyframe_sent => KeyframeSent(Done);
    /// The answer to [`RtpForward`], or the event back.
    into_rtp_forward => RtpForward(Vec<Forwarder>);
    /// The answer to [`ListForwarders`], or the event back.
    into_forwarders => Forwarders(Vec<Forwarder>);
    /// The answer to [`Reset`], or the event back.
    into_reset => Reset(Done);
    /// The answer to [`SendRinging`], or the event back.
    into_done => Done(Done);
}

impl Event {
    /// The answer to [`Register`]: registered at once (`Some`: a guest, a helper, no
    /// `REGISTER`), or registering (`None`: wait with [`registered_or_failed`]); another
    /// event back.
    pub fn into_register_answer(self) -> Result<Option<Registered>, Box<Self>> {
        match self {
            Self::Registered(r) => Ok(Some(r)),
            Self::Registering(_) => Ok(None),
            other => Err(Box::new(other)),
        }
    }
}

/// What a wait for the registrar's answer takes: [`Event::Registered`] (`Ok`),
/// [`Event::RegistrationFailed`] (`Err`, its status); `None` for any other event.
pub fn registered_or_failed(event: Event) -> Option<Result<Registered, SipStatus>> {
    match event {
        Event::Registered(r) => Some(Ok(r)),
        Event::RegistrationFailed(s) => Some(Err(s)),
        _ => None,
    }
}

/// What a wait for the registrar's answer to [`Unregister`] takes:
/// [`Event::Unregistered`] (`Ok`), [`Event::RegistrationFailed`] (`Err`, its status);
/// `None` for any other event.
pub fn unregistered_or_failed(event: Event) -> Option<Result<Registered, SipStatus>> {
    match event {
        Event::Unregistered(r) => Some(Ok(r)),
        Event::RegistrationFailed(s) => Some(Err(s)),
        _ => None,
    }
}

/// What a caller's wait for the callee takes: [`Event::Accepted`] (`Ok`), or
/// [`Event::Hangup`] (`Err`: the call was refused, cancelled or failed, with its status);
/// `None` for any other event (`ringing`, `proceeding`, `progress`, ...).
pub fn accepted_or_hangup(event: Event) -> Option<Result<Accepted, SipStatus>> {
    match event {
        Event::Accepted(a) => Some(Ok(a)),
        Event::Hangup(s) => Some(Err(s)),
        _ => None,
    }
}
