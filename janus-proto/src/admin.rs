//! The Admin API: typed requests and replies for Janus's monitoring and management endpoint
//! (`admin_http` / `admin_ws`), from `janus_process_incoming_admin_request` in `janus.c`.
//!
//! A client of the Admin API is a [`Client`](crate::Client) made with
//! [`ClientConfig::admin_api`](crate::ClientConfig::admin_api): the same transports,
//! server list, timeouts and transactions as the Janus API, with the
//! `janus-admin-protocol` WebSocket subprotocol and the `admin_secret` in every request.
//! [`Client::admin`](crate::Client::admin) sends a [`Call`]; every typed request here is one
//! ([`AdminRequest::call`]), and [`decode`] turns the [`Reply::Admin`](crate::Reply::Admin)
//! fields into the request's typed reply. A request this module does not type is a [`Call`]
//! built by hand (its reply: the fields as they came).
//!
//! | address | requests |
//! |---|---|
//! | the server | `info` and `ping` (the Janus API's, no secret needed), [`GetStatus`], [`SetSessionTimeout`], [`SetLogLevel`], [`SetLockingDebug`], [`SetRefcountDebug`], [`SetLogTimestamps`], [`SetLogColors`], [`SetMinNackQueue`], [`SetNackOptimizations`], [`SetNoMediaTimer`], [`SetSlowlinkThreshold`], [`AcceptNewSessions`], [`MessagePlugin`], [`QueryTransport`], [`QueryEventHandler`], [`QueryLogger`], [`CustomEvent`], [`CustomLogline`], [`ListSessions`], [`AddToken`], [`ListTokens`], [`AllowToken`], [`DisallowToken`], [`RemoveToken`], [`ResolveAddress`], [`TestStun`], [`LoopsInfo`] |
//! | a session | [`DestroySession`], [`SetSessionTimeout::for_session`], [`ListHandles`] |
//! | a handle | [`HandleInfo`], [`DetachHandle`], [`HangupWebrtc`], [`StartPcap`] (and `start_text2pcap`), [`StopPcap`] (and `stop_text2pcap`) |
//!
//! ```
//! use std::time::Instant;
//! use janus_proto::admin::{AdminRequest, ListSessions};
//! use janus_proto::{Client, ClientConfig};
//!
//! let config = ClientConfig::new(["http://127.0.0.1:7088/admin"]).unwrap().admin_api(Some("janusoverlord"));
//! let now = Instant::now();
//! let mut client = Client::new(config, now);
//! // Queued until the server answers `info`; then sent with the secret.
//! client.admin(now, ListSessions.call()).unwrap();
//! ```

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::RequestError;
use crate::id::{HandleId, HandleRef, SessionId};

/// An Admin API request as sent: its verb, what it addresses, its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The `janus` verb (`list_sessions`, `handle_info`, ...).
    pub verb: String,
    /// The session it addresses (`session_id`, or the HTTP path).
    pub session: Option<SessionId>,
    /// The handle it addresses, within `session`.
    pub handle: Option<HandleId>,
    /// Its own fields.
    pub fields: Map<String, Value>,
}

impl Call {
    /// A request to the server as a whole.
    pub fn new(verb: impl Into<String>) -> Self {
        Self {
            verb: verb.into(),
            session: None,
            handle: None,
            fields: Map::new(),
        }
    }

    /// Addressed to a session.
    pub fn on_session(mut self, session: SessionId) -> Self {
        self.session = Some(session);
        self
    }

    /// Addressed to a handle.
    pub fn on_handle(mut self, handle: HandleRef) -> Self {
        self.session = Some(handle.session);
        self.handle = Some(handle.handle);
        self
    }

    /// With one more field.
    pub fn field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.fields.insert(key.into(), value.into());
        self
    }
}

/// A typed Admin API request: what it sends, and what it answers.
pub trait AdminRequest {
    /// The typed `success` reply.
    type Reply: DeserializeOwned;
    /// The request as sent.
    fn call(&self) -> Call;
}

impl AdminRequest for Call {
    type Reply = Map<String, Value>;
    fn call(&self) -> Call {
        self.clone()
    }
}

/// The typed reply of a request from the fields of its `success`
/// ([`Reply::into_admin`](crate::Reply::into_admin)). A reply that does not fit is
/// [`RequestError::Malformed`], never a panic.
pub fn decode<R: DeserializeOwned>(fields: Map<String, Value>) -> Result<R, RequestError> {
    serde_json::from_value(Value::Object(fields))
        .map_err(|e| RequestError::Malformed(format!("admin reply: {e}")))
}

/// Fields of a request, without the target.
fn fields_of(request: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(request) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// A request struct with its verb, what it addresses, and its reply.
macro_rules! admin_request {
    // No fields: a unit struct (`&ListSessions`).
    (
        $(#[$meta:meta])*
        $name:ident = $verb:literal, server -> $reply:ty {}
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
        pub struct $name;

        impl AdminRequest for $name {
            type Reply = $reply;
            fn call(&self) -> Call {
                Call::new($verb)
            }
        }
    };
    (
        $(#[$meta:meta])*
        $name:ident = $verb:literal, $target:ident -> $reply:ty
        { $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl AdminRequest for $name {
            type Reply = $reply;
            fn call(&self) -> Call {
                let call = Call {
                    fields: fields_of(self),
                    ..Call::new($verb)
                };
                admin_request!(@target $target, self, call)
            }
        }
    };
    (@target server, $self:ident, $call:ident) => { $call };
    (@target session, $self:ident, $call:ident) => { $call.on_session($self.session) };
    (@target handle, $self:ident, $call:ident) => { $call.on_handle($self.handle) };
}

/// A `success` with nothing of its own (every field kept, for newer servers).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Done {
    /// Whatever the server added.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// --- the server -------------------------------------------------------------------------

admin_request! {
    /// `get_status`: the server's settings that the other requests change.
    GetStatus = "get_status", server -> StatusReply {}
}

/// The reply to [`GetStatus`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StatusReply {
    /// The settings.
    pub status: Status,
}

/// The server's settings ([`GetStatus`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Status {
    /// Token authentication is on.
    pub token_auth: bool,
    /// Seconds without traffic before a session is dropped (0: never).
    pub session_timeout: u64,
    /// Seconds a session waits for a `claim` after its transport went.
    pub reclaim_session_timeout: u64,
    /// Seconds trickled candidates are kept for a handle that is not there yet.
    pub candidates_timeout: u64,
    /// The log level (0-7).
    pub log_level: u8,
    /// Log lines carry timestamps.
    pub log_timestamps: bool,
    /// Log lines are coloured.
    pub log_colors: bool,
    /// Mutex debugging.
    pub locking_debug: bool,
    /// Reference counter debugging.
    pub refcount_debug: bool,
    /// The least NACK queue, ms.
    pub min_nack_queue: u64,
    /// NACK optimisations (`nack-optimizations`).
    #[serde(rename = "nack-optimizations")]
    pub nack_optimizations: bool,
    /// Seconds without media before a `media` event says it stopped.
    pub no_media_timer: u64,
    /// Lost packets per second that make a `slowlink` event (0: off).
    pub slowlink_threshold: u64,
    /// Every other setting.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

admin_request! {
    /// `set_session_timeout`: the default session timeout, seconds (0: never).
    SetSessionTimeout = "set_session_timeout", server -> SessionTimeout {
        /// Seconds.
        timeout: u64,
    }
}

admin_request! {
    /// `set_session_timeout` on one session (janus 1.x): its own timeout, seconds.
    SetSessionTimeoutFor = "set_session_timeout", session -> SessionTimeout {
        /// The session.
        #[serde(skip)]
        session: SessionId,
        /// Seconds.
        timeout: u64,
    }
}

impl SetSessionTimeout {
    /// The same request for one session only.
    pub fn for_session(self, session: SessionId) -> SetSessionTimeoutFor {
        SetSessionTimeoutFor {
            session,
            timeout: self.timeout,
        }
    }
}

/// The reply to [`SetSessionTimeout`] and [`SetSessionTimeoutFor`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SessionTimeout {
    /// The timeout now, seconds.
    pub timeout: u64,
    /// The session, for a session's own timeout.
    pub session_id: Option<u64>,
}

admin_request! {
    /// `set_log_level`: 0 (none) to 7 (huge).
    SetLogLevel = "set_log_level", server -> LogLevel {
        /// The level.
        level: u8,
    }
}

/// The reply to [`SetLogLevel`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LogLevel {
    /// The level now.
    pub level: u8,
}

/// A setting switched on or off, as the server says it is now (`locking_debug`,
/// `refcount_debug`, `log_timestamps`, `log_colors`, `nack-optimizations`, `accept`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Switched {
    /// The setting by the name the server gives it, and its value now.
    #[serde(flatten)]
    pub values: BTreeMap<String, Value>,
}

impl Switched {
    /// The value of `key`, when it is a boolean.
    pub fn get(&self, key: &str) -> Option<bool> {
        self.values.get(key).and_then(Value::as_bool)
    }
}

/// The reply to the `set_*` requests that take a number (`min_nack_queue`,
/// `no_media_timer`, `slowlink_threshold`): the value now, by its name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Setting {
    /// The setting by name, and its value now.
    #[serde(flatten)]
    pub values: BTreeMap<String, Value>,
}

impl Setting {
    /// The value of `key`, when it is a number.
    pub fn get(&self, key: &str) -> Option<u64> {
        self.values.get(key).and_then(Value::as_u64)
    }
}

admin_request! {
    /// `set_locking_debug`.
    SetLockingDebug = "set_locking_debug", server -> Switched {
        /// On or off.
        debug: bool,
    }
}

admin_request! {
    /// `set_refcount_debug`.
    SetRefcountDebug = "set_refcount_debug", server -> Switched {
        /// On or off.
        debug: bool,
    }
}

admin_request! {
    /// `set_log_timestamps`.
    SetLogTimestamps = "set_log_timestamps", server -> Switched {
        /// On or off.
        timestamps: bool,
    }
}

admin_request! {
    /// `set_log_colors`.
    SetLogColors = "set_log_colors", server -> Switched {
        /// On or off.
        colors: bool,
    }
}

admin_request! {
    /// `set_min_nack_queue`, ms.
    SetMinNackQueue = "set_min_nack_queue", server -> Setting {
        /// Milliseconds.
        min_nack_queue: u64,
    }
}

admin_request! {
    /// `set_nack_optimizations`.
    SetNackOptimizations = "set_nack_optimizations", server -> Switched {
        /// On or off.
        nack_optimizations: bool,
    }
}

admin_request! {
    /// `set_no_media_timer`, seconds.
    SetNoMediaTimer = "set_no_media_timer", server -> Setting {
        /// Seconds.
        no_media_timer: u64,
    }
}

admin_request! {
    /// `set_slowlink_threshold`, lost packets per second (0: off).
    SetSlowlinkThreshold = "set_slowlink_threshold", server -> Setting {
        /// Packets per second.
        slowlink_threshold: u64,
    }
}

admin_request! {
    /// `accept_new_sessions`: whether `create` is accepted (off to drain a server).
    AcceptNewSessions = "accept_new_sessions", server -> Switched {
        /// Accept or refuse.
        accept: bool,
    }
}

admin_request! {
    /// `message_plugin`: a request to a plugin's admin handler (`handle_admin_message`),
    /// e.g. VideoRoom's `list` without a handle.
    MessagePlugin = "message_plugin", server -> Response {
        /// The plugin's package name.
        plugin: String,
        /// The plugin request.
        request: Value,
    }
}

admin_request! {
    /// `query_transport`: a request to a transport's admin handler.
    QueryTransport = "query_transport", server -> Response {
        /// The transport's package name.
        transport: String,
        /// The request.
        request: Value,
    }
}

admin_request! {
    /// `query_eventhandler`: a request to an event handler.
    QueryEventHandler = "query_eventhandler", server -> Response {
        /// The event handler's package name.
        handler: String,
        /// The request.
        request: Value,
    }
}

admin_request! {
    /// `query_logger`: a request to a logger plugin.
    QueryLogger = "query_logger", server -> Response {
        /// The logger's package name.
        logger: String,
        /// The request.
        request: Value,
    }
}

/// What a plugin, transport, event handler or logger answered.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Response {
    /// Its answer.
    pub response: Value,
}

admin_request! {
    /// `custom_event`: an event of the application's own, to the event handlers.
    CustomEvent = "custom_event", server -> Done {
        /// What kind of event (a URL or a name).
        schema: String,
        /// The event.
        data: Value,
    }
}

admin_request! {
    /// `custom_logline`: a line of the application's own in Janus's log.
    CustomLogline = "custom_logline", server -> Done {
        /// The line.
        line: String,
        /// Its level (default 4, info).
        #[serde(skip_serializing_if = "Option::is_none")]
        level: Option<u8>,
    }
}

admin_request! {
    /// `list_sessions`: every session's id.
    ListSessions = "list_sessions", server -> Sessions {}
}

/// The reply to [`ListSessions`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Sessions {
    /// The sessions.
    pub sessions: Vec<SessionId>,
}

admin_request! {
    /// `add_token`: a token for token authentication (`token_auth` without a secret),
    /// allowed on these plugins (all when `None`).
    AddToken = "add_token", server -> TokenPlugins {
        /// The token.
        token: String,
        /// The plugins it may use.
        #[serde(skip_serializing_if = "Option::is_none")]
        plugins: Option<Vec<String>>,
    }
}

admin_request! {
    /// `allow_token`: lets a token use more plugins.
    AllowToken = "allow_token", server -> TokenPlugins {
        /// The token.
        token: String,
        /// The plugins.
        plugins: Vec<String>,
    }
}

admin_request! {
    /// `disallow_token`: stops a token using plugins.
    DisallowToken = "disallow_token", server -> TokenPlugins {
        /// The token.
        token: String,
        /// The plugins.
        plugins: Vec<String>,
    }
}

/// The plugins a token may use now ([`AddToken`], [`AllowToken`], [`DisallowToken`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TokenPlugins {
    /// `{"plugins": [..]}`.
    pub data: PluginList,
}

/// `{"plugins": [..]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PluginList {
    /// Package names.
    pub plugins: Vec<String>,
}

admin_request! {
    /// `list_tokens`: every stored token and its plugins.
    ListTokens = "list_tokens", server -> Tokens {}
}

/// The reply to [`ListTokens`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Tokens {
    /// `{"tokens": [..]}`.
    pub data: TokenList,
}

/// `{"tokens": [..]}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TokenList {
    /// The tokens.
    pub tokens: Vec<Token>,
}

/// A stored token.
#[derive(Clone, PartialEq, Deserialize)]
pub struct Token {
    /// The token itself (not shown by `Debug`).
    pub token: String,
    /// The plugins it may use.
    pub allowed_plugins: Vec<String>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("token", &"***")
            .field("allowed_plugins", &self.allowed_plugins)
            .finish()
    }
}

admin_request! {
    /// `remove_token`.
    RemoveToken = "remove_token", server -> Done {
        /// The token.
        token: String,
    }
}

admin_request! {
    /// `resolve_address`: whether (and how fast) the server resolves a name.
    ResolveAddress = "resolve_address", server -> Resolved {
        /// A host name.
        address: String,
    }
}

/// The reply to [`ResolveAddress`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Resolved {
    /// The address it resolved to.
    pub ip: String,
    /// How long it took, µs.
    pub elapsed: u64,
}

admin_request! {
    /// `test_stun`: a STUN binding from the server, to check its public address.
    TestStun = "test_stun", server -> StunResult {
        /// The STUN server's address.
        address: String,
        /// Its port.
        port: u16,
        /// The local port to send from (0: any).
        #[serde(skip_serializing_if = "Option::is_none")]
        localport: Option<u16>,
    }
}

/// The reply to [`TestStun`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StunResult {
    /// The server's address as the STUN server saw it.
    pub public_ip: String,
    /// And its port.
    pub public_port: u16,
    /// How long it took, µs.
    pub elapsed: u64,
}

admin_request! {
    /// `loops_info`: the static event loops (`event_loops` in `janus.jcfg`).
    LoopsInfo = "loops_info", server -> Loops {}
}

/// The reply to [`LoopsInfo`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Loops {
    /// One entry per loop (`id`, `handles`), as the server gives them.
    pub loops: Vec<Value>,
}

// --- a session --------------------------------------------------------------------------

admin_request! {
    /// `destroy_session`.
    DestroySession = "destroy_session", session -> Done {
        /// The session.
        #[serde(skip)]
        session: SessionId,
    }
}

admin_request! {
    /// `list_handles`: the handles of a session.
    ListHandles = "list_handles", session -> Handles {
        /// The session.
        #[serde(skip)]
        session: SessionId,
    }
}

/// The reply to [`ListHandles`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Handles {
    /// The handles.
    pub handles: Vec<HandleId>,
}

// --- a handle ---------------------------------------------------------------------------

admin_request! {
    /// `handle_info`: what the server knows of a handle: its plugin, flags, SDPs, and its
    /// PeerConnection's ICE, DTLS and media state with statistics.
    HandleInfo = "handle_info", handle -> HandleInfoReply {
        /// The handle.
        #[serde(skip)]
        handle: HandleRef,
        /// Only the plugin's part (`plugin_specific`).
        #[serde(skip_serializing_if = "Option::is_none")]
        plugin_only: Option<bool>,
    }
}

impl HandleInfo {
    /// Everything about `handle`.
    pub fn new(handle: HandleRef) -> Self {
        Self {
            handle,
            plugin_only: None,
        }
    }
}

/// The reply to [`HandleInfo`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HandleInfoReply {
    /// The session.
    pub session_id: SessionId,
    /// The handle.
    pub handle_id: HandleId,
    /// What the server knows.
    pub info: HandleDetails,
}

/// A handle as the server describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HandleDetails {
    /// The plugin's package name.
    pub plugin: Option<String>,
    /// janus.js `opaqueId`.
    pub opaque_id: Option<String>,
    /// When the handle was made (the server's monotonic clock, µs).
    pub created: Option<i64>,
    /// The server's monotonic clock now, µs.
    pub current_time: Option<i64>,
    /// The plugin's own description of the handle's state.
    pub plugin_specific: Option<Value>,
    /// The handle's flags (`got-offer`, `ready`, `has-audio`, ...).
    #[serde(default)]
    pub flags: BTreeMap<String, bool>,
    /// `full` or `lite`.
    #[serde(rename = "ice-mode")]
    pub ice_mode: Option<String>,
    /// `controlling` or `controlled`.
    #[serde(rename = "ice-role")]
    pub ice_role: Option<String>,
    /// The local and remote SDPs.
    pub sdps: Option<Value>,
    /// The PeerConnection, once there is one.
    pub webrtc: Option<WebrtcInfo>,
    /// Every other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A PeerConnection as the server describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WebrtcInfo {
    /// ICE.
    pub ice: Option<IceInfo>,
    /// DTLS.
    pub dtls: Option<DtlsInfo>,
    /// Each medium (by mindex), with its codecs, SSRCs and RTP/RTCP statistics, as given.
    pub media: Option<Value>,
    /// Every other key (`bwe`, `extensions`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// ICE of a PeerConnection.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IceInfo {
    /// `connected`, `ready`, `failed`, ...
    pub state: Option<String>,
    /// Our candidates as the server saw them (SDP attribute lines).
    #[serde(rename = "local-candidates", default)]
    pub local_candidates: Vec<String>,
    /// The server's remote candidates (ours).
    #[serde(rename = "remote-candidates", default)]
    pub remote_candidates: Vec<String>,
    /// The pair in use, `local <-> remote`.
    #[serde(rename = "selected-pair")]
    pub selected_pair: Option<String>,
    /// Every other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// DTLS of a PeerConnection.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DtlsInfo {
    /// `connected`, `trying`, `failed`, ...
    #[serde(rename = "dtls-state")]
    pub state: Option<String>,
    /// `client` or `server`.
    #[serde(rename = "dtls-role")]
    pub role: Option<String>,
    /// The SRTP profile negotiated.
    #[serde(rename = "srtp-profile")]
    pub srtp_profile: Option<String>,
    /// Whether the remote fingerprint matched.
    pub valid: Option<bool>,
    /// Every other key (fingerprints, retransmissions, statistics, SCTP, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

admin_request! {
    /// `detach_handle`.
    DetachHandle = "detach_handle", handle -> Done {
        /// The handle.
        #[serde(skip)]
        handle: HandleRef,
    }
}

admin_request! {
    /// `hangup_webrtc`: closes the handle's PeerConnection (the client hears `hangup`).
    HangupWebrtc = "hangup_webrtc", handle -> Done {
        /// The handle.
        #[serde(skip)]
        handle: HandleRef,
    }
}

admin_request! {
    /// `start_pcap` (or `start_text2pcap` with [`text`](Self::text)): dumps the handle's
    /// packets to a file on the server.
    StartPcap = "start_pcap", handle -> Done {
        /// The handle.
        #[serde(skip)]
        handle: HandleRef,
        /// The folder on the server.
        #[serde(skip_serializing_if = "Option::is_none")]
        folder: Option<String>,
        /// The file name.
        #[serde(skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
        /// Bytes kept of each packet (0: all).
        #[serde(skip_serializing_if = "Option::is_none")]
        truncate: Option<u32>,
    }
}

impl StartPcap {
    /// Dumps into `folder`/`filename` on the server.
    pub fn new(handle: HandleRef) -> Self {
        Self {
            handle,
            folder: None,
            filename: None,
            truncate: None,
        }
    }

    /// The same as `start_text2pcap`: text for `text2pcap` instead of a pcap file.
    pub fn text(&self) -> Call {
        Call {
            verb: "start_text2pcap".into(),
            ..self.call()
        }
    }
}

admin_request! {
    /// `stop_pcap` (or `stop_text2pcap` with [`text`](Self::text)).
    StopPcap = "stop_pcap", handle -> Done {
        /// The handle.
        #[serde(skip)]
        handle: HandleRef,
    }
}

impl StopPcap {
    /// `stop_text2pcap`.
    pub fn text(&self) -> Call {
        Call {
            verb: "stop_text2pcap".into(),
            ..self.call()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_carry_their_verb_target_and_fields() {
        let h = HandleRef {
            session: SessionId(1),
            handle: HandleId(2),
        };
        let call = HandleInfo::new(h).call();
        assert_eq!(
            (call.verb.as_str(), call.session, call.handle),
            ("handle_info", Some(SessionId(1)), Some(HandleId(2)))
        );
        assert!(call.fields.is_empty(), "{call:?}");
        let call = AddToken {
            token: "t".into(),
            plugins: Some(vec!["janus.plugin.echotest".into()]),
        }
        .call();
        assert_eq!(
            Value::Object(call.fields),
            json!({"token": "t", "plugins": ["janus.plugin.echotest"]})
        );
        let call = SetSessionTimeout { timeout: 30 }
            .for_session(SessionId(9))
            .call();
        assert_eq!(
            (call.session, Value::Object(call.fields)),
            (Some(SessionId(9)), json!({"timeout": 30}))
        );
        assert_eq!(StartPcap::new(h).text().verb, "start_text2pcap");
    }

    #[test]
    fn a_reply_that_does_not_fit_is_malformed_not_a_panic() {
        let fields = json!({"sessions": "not a list"});
        let Value::Object(fields) = fields else {
            unreachable!()
        };
        let err = decode::<Sessions>(fields).expect_err("a list of numbers expected");
        assert!(matches!(err, RequestError::Malformed(_)), "{err:?}");
    }

    #[test]
    fn tokens_do_not_show_in_debug_output() {
        let t = Token {
            token: "s3cr3t".into(),
            allowed_plugins: vec![],
        };
        assert!(!format!("{t:?}").contains("s3cr3t"));
    }
}
