//! Messages from Janus, tagged by their `janus` field.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ErrorCode, JanusError, ParseError, PluginError};
use crate::id::{HandleId, SessionId, TransactionId};
use crate::jsep::{Jsep, Trickle};

/// `plugindata`: which plugin spoke, and what it said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginData {
    /// The plugin package, e.g. `janus.plugin.echotest`.
    pub plugin: String,
    /// The plugin's own JSON.
    #[serde(default)]
    pub data: Value,
}

impl PluginData {
    /// The plugin's own error, if `data` carries `error_code` (every stock plugin reports
    /// errors that way).
    pub fn error(&self) -> Option<PluginError> {
        let code = self.data.get("error_code")?.as_u64()?;
        let reason = self
            .data
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or_default();
        Some(PluginError {
            code: u16::try_from(code).unwrap_or(u16::MAX),
            reason: reason.to_owned(),
        })
    }
}

/// A `media` event: Janus started or stopped receiving a medium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaState {
    /// The mid of the m-line.
    pub mid: Option<String>,
    /// `audio` or `video`.
    pub kind: String,
    /// Whether Janus is receiving it now.
    pub receiving: bool,
    /// For a stop: how many seconds without media triggered it.
    pub seconds: Option<u64>,
    /// For simulcast: which substream.
    pub substream: Option<u32>,
}

/// A `slowlink` event: Janus saw many losses on a medium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlowLink {
    /// The mid of the m-line.
    pub mid: Option<String>,
    /// `audio` or `video`.
    pub media: String,
    /// `true`: Janus is losing what we send; `false`: we lose what Janus sends (NACKs).
    pub uplink: bool,
    /// Packets lost recently.
    pub lost: u64,
}

/// `server_info`: the fields a client uses, typed, plus everything else as it came.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServerInfo {
    /// "Janus WebRTC Server".
    #[serde(default)]
    pub name: String,
    /// Numeric version, e.g. 1102.
    #[serde(default)]
    pub version: u64,
    /// e.g. "1.1.2".
    #[serde(default)]
    pub version_string: String,
    /// Seconds without traffic after which Janus drops a session (0: never).
    #[serde(rename = "session-timeout", default)]
    pub session_timeout: u64,
    /// Seconds a session outlives its transport, waiting for a `claim`.
    #[serde(rename = "reclaim-session-timeout", default)]
    pub reclaim_session_timeout: u64,
    /// Whether requests need an `apisecret`.
    #[serde(default)]
    pub api_secret: bool,
    /// Whether requests need a `token`.
    #[serde(default)]
    pub auth_token: bool,
    /// Transports by package name.
    #[serde(default)]
    pub transports: Map<String, Value>,
    /// Plugins by package name.
    #[serde(default)]
    pub plugins: Map<String, Value>,
    /// Whether Janus trickles its own candidates (`full-trickle`).
    #[serde(
        rename = "full-trickle",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub full_trickle: Option<bool>,
    /// Whether Janus checks ICE consent (RFC 7675) and so reports `ice-failed` when a peer
    /// stops answering: newer servers (1.4) say, older ones do not (`None`).
    #[serde(
        rename = "ice-consent-freshness",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ice_consent_freshness: Option<bool>,
    /// Whether Janus hangs up at once when ICE fails, rather than after a grace period:
    /// newer servers (1.4) say, older ones do not (`None`).
    #[serde(
        rename = "hangup-on-failed",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub hangup_on_failed: Option<bool>,
    /// Every other key.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One message from Janus.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Incoming {
    /// The request was received; its result follows (as an `event`, or nothing more).
    Ack {
        /// The request's transaction.
        transaction: Option<TransactionId>,
        /// The session it was for.
        session: Option<SessionId>,
        /// Janus's note, when it gives one.
        hint: Option<String>,
    },
    /// The request succeeded.
    Success {
        /// The request's transaction.
        transaction: Option<TransactionId>,
        /// The session it was for.
        session: Option<SessionId>,
        /// The handle that answered a plugin message synchronously.
        sender: Option<HandleId>,
        /// `data` (e.g. `{"id": ..}` for create and attach).
        data: Option<Value>,
        /// A plugin's synchronous reply.
        plugindata: Option<PluginData>,
    },
    /// The request failed.
    Error {
        /// The request's transaction.
        transaction: Option<TransactionId>,
        /// The session it was for.
        session: Option<SessionId>,
        /// What went wrong.
        error: JanusError,
    },
    /// Reply to `ping`.
    Pong {
        /// The request's transaction.
        transaction: Option<TransactionId>,
    },
    /// Reply to `info`.
    ServerInfo {
        /// The request's transaction.
        transaction: Option<TransactionId>,
        /// The server's description.
        info: Box<ServerInfo>,
    },
    /// A plugin event, possibly the asynchronous result of a message (same transaction).
    Event {
        /// The transaction of the message it answers, if any.
        transaction: Option<TransactionId>,
        /// The session.
        session: Option<SessionId>,
        /// The handle whose plugin spoke.
        sender: Option<HandleId>,
        /// What the plugin said.
        plugindata: Option<PluginData>,
        /// A session description from the plugin.
        jsep: Option<Jsep>,
    },
    /// The PeerConnection is up (ICE and DTLS done).
    WebrtcUp {
        /// The session.
        session: Option<SessionId>,
        /// The handle.
        sender: Option<HandleId>,
    },
    /// Janus started or stopped receiving a medium.
    Media {
        /// The session.
        session: Option<SessionId>,
        /// The handle.
        sender: Option<HandleId>,
        /// What changed.
        media: MediaState,
    },
    /// Janus saw many losses.
    SlowLink {
        /// The session.
        session: Option<SessionId>,
        /// The handle.
        sender: Option<HandleId>,
        /// Which way, how bad.
        link: SlowLink,
    },
    /// The PeerConnection closed.
    Hangup {
        /// The session.
        session: Option<SessionId>,
        /// The handle.
        sender: Option<HandleId>,
        /// Janus's reason, e.g. "DTLS alert" or "ICE failed".
        reason: Option<String>,
    },
    /// ICE failed on a handle (janus.js ignores it; we report it).
    IceFailed {
        /// The session.
        session: Option<SessionId>,
        /// The handle.
        sender: Option<HandleId>,
    },
    /// The handle is gone.
    Detached {
        /// The session.
        session: Option<SessionId>,
        /// The handle.
        sender: Option<HandleId>,
    },
    /// A candidate from Janus (with `full_trickle`), or the end of them.
    Trickle {
        /// The session.
        session: Option<SessionId>,
        /// The handle.
        sender: Option<HandleId>,
        /// The candidate.
        trickle: Trickle,
    },
    /// The session timed out on the server and is gone.
    Timeout {
        /// The session.
        session: Option<SessionId>,
    },
    /// Long-poll filler: nothing happened for a while.
    Keepalive,
    /// A message this crate does not know yet, as it came.
    Unknown(Value),
}

/// The flat shape every Janus message fits; one pass of serde, then a match on `janus`.
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    janus: Cow<'a, str>,
    #[serde(default, borrow)]
    transaction: Option<Cow<'a, str>>,
    #[serde(default)]
    session_id: Option<u64>,
    #[serde(default)]
    sender: Option<u64>,
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    plugindata: Option<PluginData>,
    #[serde(default)]
    jsep: Option<Jsep>,
    #[serde(default)]
    error: Option<WireError>,
    #[serde(default)]
    hint: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    mid: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    receiving: Option<bool>,
    #[serde(default)]
    seconds: Option<u64>,
    #[serde(default)]
    substream: Option<u32>,
    #[serde(default)]
    media: Option<String>,
    #[serde(default)]
    uplink: Option<bool>,
    #[serde(default)]
    lost: Option<u64>,
    #[serde(default)]
    candidate: Option<Value>,
}

#[derive(Deserialize)]
struct WireError {
    code: u16,
    #[serde(default)]
    reason: String,
}

impl Incoming {
    /// Parses one JSON object as Janus sends it (a WebSocket frame, an HTTP reply, or one
    /// element of a long-poll batch). Never panics; unknown `janus` values become
    /// [`Incoming::Unknown`].
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let wire: Wire<'_> = serde_json::from_str(text).map_err(|e| ParseError(e.to_string()))?;
        Self::from_wire(wire, || {
            serde_json::from_str(text).map_err(|e| ParseError(e.to_string()))
        })
    }

    /// Parses an already decoded JSON value (an element of a long-poll batch).
    pub fn from_value(value: Value) -> Result<Self, ParseError> {
        let wire: Wire<'_> = Wire::deserialize(&value).map_err(|e| ParseError(e.to_string()))?;
        let wire = Wire {
            janus: Cow::Owned(wire.janus.into_owned()),
            transaction: wire.transaction.map(|t| Cow::Owned(t.into_owned())),
            ..wire
        };
        Self::from_wire(wire, || Ok(value.clone()))
    }

    fn from_wire(
        w: Wire<'_>,
        raw: impl FnOnce() -> Result<Value, ParseError>,
    ) -> Result<Self, ParseError> {
        let transaction = w.transaction.as_deref().map(TransactionId::from);
        let session = w.session_id.map(SessionId);
        let sender = w.sender.map(HandleId);
        Ok(match &*w.janus {
            "ack" => Self::Ack {
                transaction,
                session,
                hint: w.hint,
            },
            "success" => Self::Success {
                transaction,
                session,
                sender,
                data: w.data,
                plugindata: w.plugindata,
            },
            "error" => {
                let e = w
                    .error
                    .ok_or_else(|| ParseError("error without an error object".into()))?;
                Self::Error {
                    transaction,
                    session,
                    error: JanusError {
                        code: ErrorCode::from(e.code),
                        reason: e.reason,
                    },
                }
            }
            "pong" => Self::Pong { transaction },
            "server_info" => {
                let info: ServerInfo =
                    serde_json::from_value(raw()?).map_err(|e| ParseError(e.to_string()))?;
                let mut info = info;
                for k in ["janus", "transaction"] {
                    info.extra.remove(k);
                }
                Self::ServerInfo {
                    transaction,
                    info: Box::new(info),
                }
            }
            "event" => Self::Event {
                transaction,
                session,
                sender,
                plugindata: w.plugindata,
                jsep: w.jsep,
            },
            "webrtcup" => Self::WebrtcUp { session, sender },
            "media" => Self::Media {
                session,
                sender,
                media: MediaState {
                    mid: w.mid,
                    kind: w.kind.unwrap_or_default(),
                    receiving: w.receiving.unwrap_or(false),
                    seconds: w.seconds,
                    substream: w.substream,
                },
            },
            "slowlink" => Self::SlowLink {
                session,
                sender,
                link: SlowLink {
                    mid: w.mid,
                    media: w.media.unwrap_or_default(),
                    uplink: w.uplink.unwrap_or(false),
                    lost: w.lost.unwrap_or(0),
                },
            },
            "hangup" => Self::Hangup {
                session,
                sender,
                reason: w.reason,
            },
            "ice-failed" => Self::IceFailed { session, sender },
            "detached" => Self::Detached { session, sender },
            "trickle" => {
                let trickle = w
                    .candidate
                    .as_ref()
                    .and_then(Trickle::from_value)
                    .ok_or_else(|| ParseError("trickle without a usable candidate".into()))?;
                Self::Trickle {
                    session,
                    sender,
                    trickle,
                }
            }
            "timeout" => Self::Timeout { session },
            "keepalive" => Self::Keepalive,
            _ => Self::Unknown(raw()?),
        })
    }

    /// The transaction this message answers, if any.
    pub fn transaction(&self) -> Option<&TransactionId> {
        match self {
            Self::Ack { transaction, .. }
            | Self::Success { transaction, .. }
            | Self::Error { transaction, .. }
            | Self::Pong { transaction }
            | Self::ServerInfo { transaction, .. }
            | Self::Event { transaction, .. } => transaction.as_ref(),
            Self::WebrtcUp { .. }
            | Self::Media { .. }
            | Self::SlowLink { .. }
            | Self::Hangup { .. }
            | Self::IceFailed { .. }
            | Self::Detached { .. }
            | Self::Trickle { .. }
            | Self::Timeout { .. }
            | Self::Keepalive
            | Self::Unknown(_) => None,
        }
    }
}

impl Incoming {
    /// The message as JSON again, in Janus's own shape. Parsing then encoding keeps every
    /// key Janus 1.1.x sends except `opaque_id` on handle events (the client knows it from the
    /// attach), which the golden-fixture tests check.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        let ids =
            |m: &mut Map<String, Value>, session: &Option<SessionId>, sender: &Option<HandleId>| {
                if let Some(s) = session {
                    m.insert("session_id".into(), s.0.into());
                }
                if let Some(h) = sender {
                    m.insert("sender".into(), h.0.into());
                }
            };
        let verb = match self {
            Self::Ack { .. } => "ack",
            Self::Success { .. } => "success",
            Self::Error { .. } => "error",
            Self::Pong { .. } => "pong",
            Self::ServerInfo { .. } => "server_info",
            Self::Event { .. } => "event",
            Self::WebrtcUp { .. } => "webrtcup",
            Self::Media { .. } => "media",
            Self::SlowLink { .. } => "slowlink",
            Self::Hangup { .. } => "hangup",
            Self::IceFailed { .. } => "ice-failed",
            Self::Detached { .. } => "detached",
            Self::Trickle { .. } => "trickle",
            Self::Timeout { .. } => "timeout",
            Self::Keepalive => "keepalive",
            Self::Unknown(raw) => return raw.clone(),
        };
        put("janus", verb.into());
        if let Some(t) = self.transaction() {
            put("transaction", t.as_str().into());
        }
        match self {
            Self::Ack { session, hint, .. } => {
                ids(&mut m, session, &None);
                if let Some(h) = hint {
                    m.insert("hint".into(), h.clone().into());
                }
            }
            Self::Success {
                session,
                sender,
                data,
                plugindata,
                ..
            } => {
                ids(&mut m, session, sender);
                if let Some(d) = data {
                    m.insert("data".into(), d.clone());
                }
                if let Some(p) = plugindata {
                    m.insert(
                        "plugindata".into(),
                        serde_json::to_value(p).unwrap_or_default(),
                    );
                }
            }
            Self::Error { session, error, .. } => {
                ids(&mut m, session, &None);
                m.insert(
                    "error".into(),
                    serde_json::json!({"code": error.code.code(), "reason": error.reason}),
                );
            }
            Self::ServerInfo { info, .. } => {
                if let Ok(Value::Object(o)) = serde_json::to_value(info) {
                    m.extend(o);
                }
            }
            Self::Event {
                session,
                sender,
                plugindata,
                jsep,
                ..
            } => {
                ids(&mut m, session, sender);
                if let Some(p) = plugindata {
                    m.insert(
                        "plugindata".into(),
                        serde_json::to_value(p).unwrap_or_default(),
                    );
                }
                if let Some(j) = jsep {
                    m.insert("jsep".into(), serde_json::to_value(j).unwrap_or_default());
                }
            }
            Self::WebrtcUp { session, sender }
            | Self::IceFailed { session, sender }
            | Self::Detached { session, sender } => {
                ids(&mut m, session, sender);
            }
            Self::Media {
                session,
                sender,
                media,
            } => {
                ids(&mut m, session, sender);
                if let Some(mid) = &media.mid {
                    m.insert("mid".into(), mid.clone().into());
                }
                m.insert("type".into(), media.kind.clone().into());
                m.insert("receiving".into(), media.receiving.into());
                if let Some(s) = media.seconds {
                    m.insert("seconds".into(), s.into());
                }
                if let Some(s) = media.substream {
                    m.insert("substream".into(), s.into());
                }
            }
            Self::SlowLink {
                session,
                sender,
                link,
            } => {
                ids(&mut m, session, sender);
                if let Some(mid) = &link.mid {
                    m.insert("mid".into(), mid.clone().into());
                }
                m.insert("media".into(), link.media.clone().into());
                m.insert("uplink".into(), link.uplink.into());
                m.insert("lost".into(), link.lost.into());
            }
            Self::Hangup {
                session,
                sender,
                reason,
            } => {
                ids(&mut m, session, sender);
                if let Some(r) = reason {
                    m.insert("reason".into(), r.clone().into());
                }
            }
            Self::Trickle {
                session,
                sender,
                trickle,
            } => {
                ids(&mut m, session, sender);
                m.insert("candidate".into(), trickle.to_value());
            }
            Self::Timeout { session } => ids(&mut m, session, &None),
            Self::Pong { .. } | Self::Keepalive | Self::Unknown(_) => {}
        }
        Value::Object(m)
    }
}

/// Parses a long-poll body: one object (`maxev` 1) or an array of them (`maxev` > 1).
/// Each element parses on its own, so one bad element does not hide the others.
pub fn parse_batch(text: &str) -> Result<Vec<Result<Incoming, ParseError>>, ParseError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<Value> =
            serde_json::from_str(trimmed).map_err(|e| ParseError(e.to_string()))?;
        Ok(items.into_iter().map(Incoming::from_value).collect())
    } else {
        Ok(vec![Incoming::parse(text)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_with_plugindata_and_jsep() {
        let m = Incoming::parse(
            r#"{"janus":"event","session_id":1,"sender":2,"transaction":"abc",
                "plugindata":{"plugin":"janus.plugin.echotest","data":{"echotest":"event","result":"ok"}},
                "jsep":{"type":"answer","sdp":"v=0\r\n","trickle":false}}"#,
        )
        .expect("parses");
        let Incoming::Event {
            transaction,
            session,
            sender,
            plugindata,
            jsep,
        } = m
        else {
            panic!("not an event: {m:?}")
        };
        assert_eq!(transaction, Some(TransactionId::from("abc")));
        assert_eq!((session, sender), (Some(SessionId(1)), Some(HandleId(2))));
        assert_eq!(plugindata.expect("plugindata").data["result"], "ok");
        assert_eq!(jsep.expect("jsep").trickle, Some(false));
    }

    #[test]
    fn error_codes_are_typed() {
        let m = Incoming::parse(r#"{"janus":"error","transaction":"t","error":{"code":458,"reason":"No such session"}}"#).expect("parses");
        let Incoming::Error { error, .. } = m else {
            panic!("not an error")
        };
        assert_eq!(error.code, ErrorCode::SessionNotFound);
    }

    #[test]
    fn unknown_messages_are_kept_raw() {
        let m = Incoming::parse(r#"{"janus":"brand-new","x":1}"#).expect("parses");
        assert_eq!(
            m,
            Incoming::Unknown(serde_json::json!({"janus":"brand-new","x":1}))
        );
    }

    #[test]
    fn batch_of_two_keeps_order_and_isolates_bad_elements() {
        let b = parse_batch(
            r#"[{"janus":"keepalive"},{"janus":"error"},{"janus":"timeout","session_id":9}]"#,
        )
        .expect("array");
        assert_eq!(b.len(), 3);
        assert_eq!(b[0], Ok(Incoming::Keepalive));
        assert!(b[1].is_err());
        assert_eq!(
            b[2],
            Ok(Incoming::Timeout {
                session: Some(SessionId(9))
            })
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "",
            "[",
            "{}",
            "null",
            "{\"janus\":5}",
            "{\"janus\":\"trickle\"}",
        ] {
            assert!(Incoming::parse(text).is_err(), "{text}");
        }
    }
}
