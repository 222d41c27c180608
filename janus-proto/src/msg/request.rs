//! Requests to Janus. One model for both transports: WebSocket frames carry the session and
//! handle ids in the body, HTTP carries them in the path.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::Secret;
use crate::id::{HandleId, SessionId, TransactionId};
use crate::jsep::{Jsep, Trickle};

/// What a request asks for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RequestKind {
    /// `info`: the server's description.
    Info,
    /// `ping`: is the server there?
    Ping,
    /// `create`: a new session, optionally with an id of our choice.
    Create {
        /// Forced session id (`id`).
        id: Option<SessionId>,
    },
    /// `claim`: take over an existing session on this transport.
    Claim,
    /// `destroy`: end the session.
    Destroy,
    /// `keepalive`: reset the session's timeout.
    Keepalive,
    /// `attach`: a new handle on a plugin.
    Attach {
        /// The plugin package, e.g. `janus.plugin.echotest`.
        plugin: String,
        /// An opaque id for the handle, reported back by the Admin API and event handlers.
        opaque_id: Option<String>,
    },
    /// `detach`: remove the handle.
    Detach,
    /// `hangup`: close the handle's PeerConnection, keep the handle.
    Hangup,
    /// `message`: a plugin request, optionally with a session description.
    Message {
        /// The plugin's request body.
        body: Value,
        /// A session description for the plugin.
        jsep: Option<Jsep>,
    },
    /// `trickle`: candidates (one, several, or the end of them).
    Trickle(Vec<Trickle>),
    /// An Admin API request (`list_sessions`, `handle_info`, ...): its verb and its fields,
    /// sent beside `janus`, `transaction` and `admin_secret`.
    Admin {
        /// The `janus` verb.
        verb: String,
        /// The request's own fields (`token`, `plugins`, `level`, ...).
        fields: Map<String, Value>,
    },
}

impl RequestKind {
    /// The `janus` verb.
    pub fn verb(&self) -> &str {
        match self {
            Self::Admin { verb, .. } => verb,
            Self::Info => "info",
            Self::Ping => "ping",
            Self::Create { .. } => "create",
            Self::Claim => "claim",
            Self::Destroy => "destroy",
            Self::Keepalive => "keepalive",
            Self::Attach { .. } => "attach",
            Self::Detach => "detach",
            Self::Hangup => "hangup",
            Self::Message { .. } => "message",
            Self::Trickle(_) => "trickle",
        }
    }
}

/// A request, addressed to the server, a session, or a handle.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// What it asks.
    pub kind: RequestKind,
    /// The session it addresses.
    pub session: Option<SessionId>,
    /// The handle it addresses (with `session`).
    pub handle: Option<HandleId>,
}

/// The credentials a request carries.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Auth<'a> {
    pub(crate) apisecret: Option<&'a Secret>,
    pub(crate) token: Option<&'a Secret>,
    /// The Admin API's secret, for admin requests.
    pub(crate) admin_secret: Option<&'a Secret>,
}

#[derive(Serialize)]
struct Body<'a> {
    janus: &'a str,
    transaction: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    handle_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plugin: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    opaque_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    jsep: Option<&'a Jsep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    candidate: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    candidates: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    apisecret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
}

impl Request {
    /// The JSON text of this request. `ids_in_body` is true for WebSocket (Janus reads the
    /// session and handle from the body) and false for HTTP (they are in the path).
    pub(crate) fn encode(&self, tx: &TransactionId, auth: Auth<'_>, ids_in_body: bool) -> String {
        if let RequestKind::Admin { verb, fields } = &self.kind {
            return self.encode_admin(verb, fields, tx, auth, ids_in_body);
        }
        let (mut plugin, mut opaque_id, mut body, mut jsep, mut id) =
            (None, None, None, None, None);
        let (mut candidate, mut candidates) = (None, None);
        match &self.kind {
            RequestKind::Create { id: forced } => id = forced.map(|s| s.0),
            RequestKind::Attach {
                plugin: p,
                opaque_id: o,
            } => {
                plugin = Some(p.as_str());
                opaque_id = o.as_deref();
            }
            RequestKind::Message { body: b, jsep: j } => {
                body = Some(b);
                jsep = j.as_ref();
            }
            RequestKind::Trickle(list) => match list.as_slice() {
                [one] => candidate = Some(one.to_value()),
                many => candidates = Some(many.iter().map(Trickle::to_value).collect()),
            },
            RequestKind::Admin { .. }
            | RequestKind::Info
            | RequestKind::Ping
            | RequestKind::Claim
            | RequestKind::Destroy
            | RequestKind::Keepalive
            | RequestKind::Detach
            | RequestKind::Hangup => {}
        }
        let b = Body {
            janus: self.kind.verb(),
            transaction: tx.as_str(),
            session_id: self.session.filter(|_| ids_in_body).map(|s| s.0),
            handle_id: self.handle.filter(|_| ids_in_body).map(|h| h.0),
            id,
            plugin,
            opaque_id,
            body,
            jsep,
            candidate,
            candidates,
            apisecret: auth.apisecret.map(Secret::expose),
            token: auth.token.map(Secret::expose),
        };
        // Serialising a struct of strings, numbers and `Value`s cannot fail.
        serde_json::to_string(&b).unwrap_or_default()
    }

    /// An admin request: its own fields, then `janus`, `transaction`, the ids (WebSocket)
    /// and `admin_secret`, which a field of the same name cannot override.
    fn encode_admin(
        &self,
        verb: &str,
        fields: &Map<String, Value>,
        tx: &TransactionId,
        auth: Auth<'_>,
        ids_in_body: bool,
    ) -> String {
        let mut body = fields.clone();
        body.insert("janus".into(), verb.into());
        body.insert("transaction".into(), tx.as_str().into());
        if ids_in_body {
            if let Some(s) = self.session {
                body.insert("session_id".into(), s.0.into());
            }
            if let Some(h) = self.handle {
                body.insert("handle_id".into(), h.0.into());
            }
        }
        match auth.admin_secret {
            Some(secret) => body.insert("admin_secret".into(), secret.expose().into()),
            None => body.remove("admin_secret"),
        };
        serde_json::to_string(&body).unwrap_or_default()
    }

    /// The HTTP path below the server's base URL: `""`, `/{session}` or `/{session}/{handle}`.
    pub(crate) fn http_path(&self) -> String {
        match (self.session, self.handle) {
            (Some(s), Some(h)) => format!("/{s}/{h}"),
            (Some(s), None) => format!("/{s}"),
            (None, _) => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsep::IceCandidate;
    use serde_json::json;

    fn encode(req: &Request, ws: bool) -> Value {
        let secret = Secret::new("s3cret");
        let text = req.encode(
            &TransactionId::from("tx1"),
            Auth {
                apisecret: Some(&secret),
                ..Auth::default()
            },
            ws,
        );
        serde_json::from_str(&text).expect("valid json")
    }

    #[test]
    fn message_over_websocket_carries_ids_and_secret() {
        let req = Request {
            kind: RequestKind::Message {
                body: json!({"audio": true}),
                jsep: Some(Jsep::offer("v=0")),
            },
            session: Some(SessionId(1)),
            handle: Some(HandleId(2)),
        };
        assert_eq!(
            encode(&req, true),
            json!({"janus":"message","transaction":"tx1","session_id":1,"handle_id":2,
                   "body":{"audio":true},"jsep":{"type":"offer","sdp":"v=0"},"apisecret":"s3cret"})
        );
        assert_eq!(req.http_path(), "/1/2");
        assert!(encode(&req, false).get("session_id").is_none());
    }

    #[test]
    fn trickle_one_many_and_completed() {
        let c = Trickle::Candidate(IceCandidate {
            candidate: "candidate:x".into(),
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
        });
        let one = Request {
            kind: RequestKind::Trickle(vec![c.clone()]),
            session: Some(SessionId(1)),
            handle: Some(HandleId(2)),
        };
        assert_eq!(
            encode(&one, true)["candidate"],
            json!({"candidate":"candidate:x","sdpMid":"0","sdpMLineIndex":0})
        );
        let many = Request {
            kind: RequestKind::Trickle(vec![c.clone(), c]),
            ..one.clone()
        };
        assert_eq!(
            encode(&many, true)["candidates"].as_array().map(Vec::len),
            Some(2)
        );
        let done = Request {
            kind: RequestKind::Trickle(vec![Trickle::Completed]),
            ..one
        };
        assert_eq!(encode(&done, true)["candidate"], json!({"completed": true}));
    }
}
