//! The operation grammar: what the application, Janus and the transport may do next, as
//! data drawn from fuzzer bytes (`arbitrary`) or from proptest strategies.
//!
//! - [`Call`]: the application's request calls, shared by the `client_inputs` fuzz target
//!   ([`Op::call`]) and the proptest model (`janus-proto/tests/proptest_model.rs`, through
//!   `strategy` with the `proptest` feature). Its targets are small numbers that pick among
//!   the sessions and handles that exist when it runs ([`Targets`]), and [`Call::command`]
//!   turns it into a [`Command`] for [`janus_proto::Client::execute`].
//! - [`Op`] and [`Msg`]: the rest of the fuzz target's grammar (messages from Janus from a
//!   small grammar, raw bytes, HTTP answers and failures, the socket, time).

use arbitrary::Arbitrary;
use janus_proto::plugin::echotest;
use janus_proto::{
    Client, Command, HandleRef, IceCandidate, Jsep, SessionId, TransactionId, Trickle,
};
use serde_json::{Map, Value, json};

use crate::janus::ECHOTEST;

// ------------------------------------------------------------------ application calls

/// One request call of the application. `u8` fields pick among what exists at that moment
/// (modulo its count, plus one for a stranger), through [`Targets`].
#[derive(Debug, Clone, Arbitrary)]
pub enum Call {
    /// `create_session`.
    Create,
    /// `attach` the EchoTest on a session.
    Attach(u8),
    /// `message`, with an offer (`Some(true)`), an answer (`Some(false)`) or no JSEP.
    Message {
        /// Which handle.
        handle: u8,
        /// Which JSEP.
        jsep: Option<bool>,
    },
    /// `trickle`: `count` candidates, or the end of them.
    Trickle {
        /// Which handle.
        handle: u8,
        /// `completed` instead of candidates.
        completed: bool,
        /// How many candidates.
        count: u8,
    },
    /// `detach`.
    Detach(u8),
    /// `hangup`.
    Hangup(u8),
    /// `destroy_session`.
    Destroy(u8),
    /// `keepalive`.
    Keepalive(u8),
    /// `claim_session` of a session [`Targets::claimable`] picks.
    Claim(u8),
    /// `ping`.
    Ping,
    /// `info`.
    Info,
}

/// What the `u8`s of a [`Call`] pick from.
pub trait Targets {
    /// The `n`-th session (or a stranger).
    fn session(&self, n: u8) -> SessionId;
    /// The `n`-th handle (or a stranger).
    fn handle(&self, n: u8) -> HandleRef;
    /// A session to claim.
    fn claimable(&self, n: u8) -> SessionId;
}

/// The `n`-th of the client's sessions, modulo their count plus one: `stranger` for the one.
pub fn pick_session(client: &Client, n: u8, stranger: SessionId) -> SessionId {
    let all: Vec<_> = client.session_ids().collect();
    all.get(usize::from(n) % (all.len() + 1))
        .copied()
        .unwrap_or(stranger)
}

/// The `n`-th of the client's handles (all sessions), modulo their count plus one:
/// `stranger` for the one.
pub fn pick_handle(client: &Client, n: u8, stranger: HandleRef) -> HandleRef {
    let all: Vec<_> = client
        .session_ids()
        .flat_map(|s| client.handle_ids(s))
        .collect();
    all.get(usize::from(n) % (all.len() + 1))
        .copied()
        .unwrap_or(stranger)
}

impl Call {
    /// The command this call makes, its targets picked by `t`.
    pub fn command(&self, t: &impl Targets) -> Command {
        match *self {
            Self::Create => Command::Create,
            Self::Attach(n) => Command::Attach {
                session: t.session(n),
                plugin: ECHOTEST.to_owned(),
                opaque_id: Some("janus-sim".to_owned()),
            },
            Self::Message { handle, jsep } => Command::Message {
                handle: t.handle(handle),
                body: json!({"audio":true,"video":true}),
                jsep: jsep.map(|offer| {
                    if offer {
                        Jsep::offer("v=0\r\n")
                    } else {
                        Jsep::answer("v=0\r\n")
                    }
                }),
            },
            Self::Trickle {
                handle,
                completed,
                count,
            } => Command::Trickle {
                handle: t.handle(handle),
                candidates: if completed {
                    vec![Trickle::Completed]
                } else {
                    (0..count)
                        .map(|i| {
                            Trickle::Candidate(IceCandidate {
                                candidate: format!(
                                    "candidate:{i} 1 udp 2122260223 192.0.2.1 5000{i} typ host"
                                ),
                                sdp_mid: Some("0".into()),
                                sdp_mline_index: Some(0),
                            })
                        })
                        .collect()
                },
            },
            Self::Detach(n) => Command::Detach(t.handle(n)),
            Self::Hangup(n) => Command::Hangup(t.handle(n)),
            Self::Destroy(n) => Command::Destroy(t.session(n)),
            Self::Keepalive(n) => Command::Keepalive(t.session(n)),
            Self::Claim(n) => Command::Claim(t.claimable(n)),
            Self::Ping => Command::Ping,
            Self::Info => Command::Info,
        }
    }
}

/// Proptest strategies of [`Call`], one per variant so that a model can weigh them among
/// its own steps in one flat `prop_oneof!` (a nested one would draw differently, and the
/// committed `proptest-regressions` seeds would replay other cases).
#[cfg(feature = "proptest")]
pub mod strategy {
    use proptest::prelude::*;

    use super::Call;

    /// [`Call::Create`].
    pub fn create() -> impl Strategy<Value = Call> {
        Just(Call::Create)
    }

    /// [`Call::Attach`].
    pub fn attach() -> impl Strategy<Value = Call> {
        any::<u8>().prop_map(Call::Attach)
    }

    /// [`Call::Message`]: an offer a quarter of the time, an answer a quarter, else none.
    pub fn message() -> impl Strategy<Value = Call> {
        (any::<u8>(), 0u8..4).prop_map(|(handle, jsep)| Call::Message {
            handle,
            jsep: match jsep {
                0 => Some(true),
                1 => Some(false),
                _ => None,
            },
        })
    }

    /// [`Call::Trickle`]: one to three candidates, or the end of them.
    pub fn trickle() -> impl Strategy<Value = Call> {
        (any::<u8>(), any::<bool>(), 1u8..4).prop_map(|(handle, completed, count)| Call::Trickle {
            handle,
            completed,
            count,
        })
    }

    /// [`Call::Detach`].
    pub fn detach() -> impl Strategy<Value = Call> {
        any::<u8>().prop_map(Call::Detach)
    }

    /// [`Call::Hangup`].
    pub fn hangup() -> impl Strategy<Value = Call> {
        any::<u8>().prop_map(Call::Hangup)
    }

    /// [`Call::Destroy`].
    pub fn destroy() -> impl Strategy<Value = Call> {
        any::<u8>().prop_map(Call::Destroy)
    }

    /// [`Call::Keepalive`].
    pub fn keepalive() -> impl Strategy<Value = Call> {
        any::<u8>().prop_map(Call::Keepalive)
    }

    /// [`Call::Claim`].
    pub fn claim() -> impl Strategy<Value = Call> {
        any::<u8>().prop_map(Call::Claim)
    }

    /// [`Call::Ping`].
    pub fn ping() -> impl Strategy<Value = Call> {
        Just(Call::Ping)
    }

    /// [`Call::Info`].
    pub fn info() -> impl Strategy<Value = Call> {
        Just(Call::Info)
    }

    /// Any call, weighted as the proptest model plays them: messages and attaches most,
    /// session-wide calls least.
    pub fn any_call() -> impl Strategy<Value = Call> {
        prop_oneof![
            4 => create(),
            8 => attach(),
            12 => message(),
            4 => trickle(),
            2 => detach(),
            2 => hangup(),
            1 => destroy(),
            1 => keepalive(),
            1 => claim(),
            1 => ping(),
            1 => info(),
        ]
    }
}

// ------------------------------------------------------------------ the fuzz target's steps

/// One step of the `client_inputs` fuzz target ([`crate::fuzz::client_inputs`]). Its
/// variants and their order are the byte format of the committed corpus: append, never
/// reorder. The application calls among them are [`Op::call`].
#[derive(Debug, Clone, Arbitrary)]
pub enum Op {
    /// `connect`.
    Connect,
    /// `create_session`.
    Create,
    /// `attach` on a known session (or a stranger).
    Attach(u8),
    /// `message`, with an offer (`Some(true)`), an answer, or no JSEP.
    Message {
        /// Which handle.
        handle: u8,
        /// Which JSEP.
        jsep: Option<bool>,
    },
    /// `trickle`: one candidate, or the end of them.
    Trickle {
        /// Which handle.
        handle: u8,
        /// `completed` instead of a candidate.
        completed: bool,
    },
    /// `detach`.
    Detach(u8),
    /// `hangup`.
    Hangup(u8),
    /// `destroy_session`.
    Destroy(u8),
    /// `keepalive`.
    Keepalive(u8),
    /// `claim_session` of a small id.
    Claim(Id),
    /// `ping`.
    Ping,
    /// `info`.
    Info,
    /// A message from Janus: a WebSocket frame, or the answer to an HTTP request.
    Frame(Msg),
    /// Raw bytes as a frame or answer.
    Raw(Vec<u8>),
    /// Several messages as one long-poll answer.
    Batch(Vec<Msg>),
    /// An HTTP answer with this status (answers the `request`-th one in flight).
    Status {
        /// Which request.
        request: u8,
        /// The status.
        status: u16,
        /// The body.
        body: Msg,
    },
    /// An HTTP request fails (the `n`-th in flight).
    HttpFailed(u8),
    /// The WebSocket opened.
    Opened,
    /// The WebSocket closed.
    Closed,
    /// Time passes: milliseconds, or seconds when `long`.
    Advance {
        /// How much.
        amount: u16,
        /// Seconds rather than milliseconds.
        long: bool,
    },
}

impl Op {
    /// The application call this step is, if it is one (all but `Connect` and `Claim`,
    /// which claims a raw id rather than picking one).
    pub fn call(&self) -> Option<Call> {
        Some(match *self {
            Self::Create => Call::Create,
            Self::Attach(n) => Call::Attach(n),
            Self::Message { handle, jsep } => Call::Message { handle, jsep },
            Self::Trickle { handle, completed } => Call::Trickle {
                handle,
                completed,
                count: 1,
            },
            Self::Detach(n) => Call::Detach(n),
            Self::Hangup(n) => Call::Hangup(n),
            Self::Destroy(n) => Call::Destroy(n),
            Self::Keepalive(n) => Call::Keepalive(n),
            Self::Ping => Call::Ping,
            Self::Info => Call::Info,
            _ => return None,
        })
    }
}

/// A session or handle id as Janus might send it.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Id {
    /// Not there.
    Absent,
    /// One of a few small ids (1..=4), so that ids meet.
    Small(u8),
    /// Any number.
    Raw(u64),
}

impl Id {
    /// The id, if any.
    pub fn get(self) -> Option<u64> {
        match self {
            Self::Absent => None,
            Self::Small(n) => Some(u64::from(n % 4) + 1),
            Self::Raw(n) => Some(n),
        }
    }
}

/// A transaction as Janus might send it.
#[derive(Debug, Clone, Arbitrary)]
pub enum Tx {
    /// Not there.
    Absent,
    /// One of those the client sent, newest first.
    Seen(u8),
    /// Any text.
    Raw(String),
}

/// The `janus` field.
#[derive(Debug, Clone, Arbitrary)]
#[allow(missing_docs)]
pub enum Verb {
    Ack,
    Success,
    Error,
    Pong,
    ServerInfo,
    Event,
    Webrtcup,
    Media,
    Slowlink,
    Hangup,
    IceFailed,
    Detached,
    Trickle,
    Timeout,
    Keepalive,
    Other(String),
}

/// More of a message.
#[derive(Debug, Clone, Arbitrary)]
#[allow(missing_docs)]
pub enum Field {
    DataId(Id),
    PluginData {
        echotest: bool,
        error_code: Option<u16>,
        result: Option<String>,
    },
    Jsep {
        offer: bool,
        sdp: String,
    },
    Error {
        code: u16,
        reason: String,
    },
    Media {
        receiving: bool,
        seconds: Option<u64>,
    },
    SlowLink {
        uplink: bool,
        lost: u64,
    },
    Candidate {
        completed: bool,
        mline: Option<u32>,
    },
    SessionTimeout(u64),
    Reason(String),
    Other {
        key: String,
        value: u64,
    },
}

/// A plausible message from Janus, from a small grammar.
#[derive(Debug, Clone, Arbitrary)]
pub struct Msg {
    /// `janus`.
    pub verb: Verb,
    /// `transaction`.
    pub tx: Tx,
    /// `session_id`.
    pub session: Id,
    /// `sender`.
    pub sender: Id,
    /// The rest.
    pub fields: Vec<Field>,
}

impl Msg {
    /// The message as JSON; [`Tx::Seen`] picks among `seen`, the transactions the client
    /// sent, oldest first.
    pub fn to_json(&self, seen: &[TransactionId]) -> Value {
        let verb = match &self.verb {
            Verb::Ack => "ack",
            Verb::Success => "success",
            Verb::Error => "error",
            Verb::Pong => "pong",
            Verb::ServerInfo => "server_info",
            Verb::Event => "event",
            Verb::Webrtcup => "webrtcup",
            Verb::Media => "media",
            Verb::Slowlink => "slowlink",
            Verb::Hangup => "hangup",
            Verb::IceFailed => "ice-failed",
            Verb::Detached => "detached",
            Verb::Trickle => "trickle",
            Verb::Timeout => "timeout",
            Verb::Keepalive => "keepalive",
            Verb::Other(s) => s,
        };
        let mut o = Map::new();
        o.insert("janus".into(), json!(verb));
        match &self.tx {
            Tx::Absent => {}
            Tx::Seen(n) => {
                if !seen.is_empty() {
                    let tx = &seen[seen.len() - 1 - usize::from(*n) % seen.len()];
                    o.insert("transaction".into(), json!(tx.as_str()));
                }
            }
            Tx::Raw(s) => {
                o.insert("transaction".into(), json!(s));
            }
        }
        if let Some(s) = self.session.get() {
            o.insert("session_id".into(), json!(s));
        }
        if let Some(h) = self.sender.get() {
            o.insert("sender".into(), json!(h));
        }
        for f in &self.fields {
            match f {
                Field::DataId(id) => {
                    o.insert("data".into(), json!({ "id": id.get() }));
                }
                Field::PluginData {
                    echotest,
                    error_code,
                    result,
                } => {
                    let plugin = if *echotest {
                        echotest::PLUGIN
                    } else {
                        "janus.plugin.videoroom"
                    };
                    let mut data = json!({"echotest":"event"});
                    if let Some(c) = error_code {
                        data["error_code"] = json!(c);
                        data["error"] = json!("fuzzed");
                    }
                    if let Some(r) = result {
                        data["result"] = json!(r);
                    }
                    o.insert("plugindata".into(), json!({"plugin":plugin,"data":data}));
                }
                Field::Jsep { offer, sdp } => {
                    let kind = if *offer { "offer" } else { "answer" };
                    o.insert("jsep".into(), json!({"type":kind,"sdp":sdp}));
                }
                Field::Error { code, reason } => {
                    o.insert("error".into(), json!({"code":code,"reason":reason}));
                }
                Field::Media { receiving, seconds } => {
                    o.insert("type".into(), json!("video"));
                    o.insert("mid".into(), json!("1"));
                    o.insert("receiving".into(), json!(receiving));
                    if let Some(s) = seconds {
                        o.insert("seconds".into(), json!(s));
                    }
                }
                Field::SlowLink { uplink, lost } => {
                    o.insert("media".into(), json!("audio"));
                    o.insert("uplink".into(), json!(uplink));
                    o.insert("lost".into(), json!(lost));
                }
                Field::Candidate { completed, mline } => {
                    let c = if *completed {
                        json!({"completed": true})
                    } else {
                        json!({"candidate":"candidate:1 1 udp 1 192.0.2.1 9 typ host","sdpMid":"0","sdpMLineIndex":mline})
                    };
                    o.insert("candidate".into(), c);
                }
                Field::SessionTimeout(t) => {
                    o.insert("session-timeout".into(), json!(t));
                }
                Field::Reason(r) => {
                    o.insert("reason".into(), json!(r));
                }
                Field::Other { key, value } => {
                    o.insert(key.clone(), json!(value));
                }
            }
        }
        Value::Object(o)
    }
}

#[cfg(test)]
mod tests {
    use janus_proto::{Command, HandleId, HandleRef, SessionId};

    use super::{Call, Op, Targets};

    struct Fixed;

    impl Targets for Fixed {
        fn session(&self, n: u8) -> SessionId {
            SessionId(u64::from(n))
        }
        fn handle(&self, n: u8) -> HandleRef {
            HandleRef {
                session: SessionId(1),
                handle: HandleId(u64::from(n)),
            }
        }
        fn claimable(&self, n: u8) -> SessionId {
            SessionId(100 + u64::from(n))
        }
    }

    #[test]
    fn calls_pick_their_targets() {
        assert_eq!(
            Call::Claim(2).command(&Fixed),
            Command::Claim(SessionId(102))
        );
        assert_eq!(
            Call::Destroy(5).command(&Fixed),
            Command::Destroy(SessionId(5))
        );
        let Command::Trickle { handle, candidates } = Call::Trickle {
            handle: 7,
            completed: false,
            count: 3,
        }
        .command(&Fixed) else {
            panic!("a trickle");
        };
        assert_eq!((handle.handle, candidates.len()), (HandleId(7), 3));
        // The fuzz target's calls are the same calls (one candidate per trickle).
        let op = Op::Trickle {
            handle: 7,
            completed: true,
        };
        assert!(matches!(
            op.call(),
            Some(Call::Trickle {
                completed: true,
                count: 1,
                ..
            })
        ));
        assert!(Op::Connect.call().is_none());
    }
}
