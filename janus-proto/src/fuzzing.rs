//! Entry points of the fuzz targets (`fuzz/fuzz_targets/*.rs`) and of their corpus replay
//! (`tests/fuzz_corpus_replay.rs`), behind the `fuzzing` feature. Not a public API.
//!
//! Each function takes the fuzzer's bytes and panics only when an invariant breaks:
//! - [`incoming_json`]: the parsers never panic, and a WebSocket frame and the same object
//!   in a long-poll batch parse alike (when both are JSON a `Value` accepts); any frame or
//!   poll body reaches a live client safely;
//! - [`client_inputs`]: a [`Client`] driven by arbitrary commands and inputs never panics,
//!   every drain ends in `Timeout` within a bounded number of outputs, and no transaction
//!   completes twice or without having been returned by a call;
//! - [`plugin_events`]: plugin data decodes or fails cleanly, and the decoder agrees with
//!   [`PluginData::error`].

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Map, Value, json};

use crate::msg::incoming::parse_batch;
use crate::plugin::{DecodeError, PluginEvent, echotest};
use crate::{
    Client, ClientConfig, Event, HandleId, HandleRef, HttpMethod, HttpResponse, IceCandidate,
    Incoming, Input, Jsep, Output, PluginData, Reconnect, RequestId, SessionId, TransactionId,
    Transmit, Trickle,
};

/// A drain longer than this is a loop, not work.
const MAX_OUTPUTS: usize = 10_000;

// ------------------------------------------------------------------ incoming_json

/// The bytes as a received WebSocket frame ([`Incoming::parse`]) and as an HTTP long-poll
/// body ([`parse_batch`]), then through connected clients of both transports (their clock
/// starting at `start`).
pub fn incoming_json(start: Instant, data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let single = Incoming::parse(&text);
    // The same object inside a long-poll batch means the same thing. (A frame may parse
    // where a `Value` does not: serde skips ignored fields without range-checking numbers.)
    if let (Ok(msg), Ok(value)) = (&single, serde_json::from_str::<Value>(&text)) {
        let _ = msg.transaction();
        assert_eq!(
            Incoming::from_value(value).as_ref(),
            Ok(msg),
            "a frame and a batch element parse differently"
        );
    }
    if let Ok(batch) = parse_batch(&text) {
        for msg in batch.iter().flatten() {
            let _ = msg.transaction();
        }
    }
    for ws in [true, false] {
        let mut rig = Rig::connected(start, ws);
        if ws {
            rig.input(|now| Input::Frame(now, &text));
        } else if let Some(id) = rig.poll_id() {
            rig.input(|now| {
                Input::HttpResponse(
                    now,
                    id,
                    HttpResponse {
                        status: 200,
                        body: &text,
                    },
                )
            });
        }
    }
}

// ------------------------------------------------------------------ plugin_events

/// Arbitrary plugin data through [`echotest::Event::decode`] and [`PluginData::error`]:
/// the bytes as JSON when they are (`{"plugin":..,"data":..}` or just the data), else a
/// JSON tree built from them, biased towards the keys the EchoTest reads.
pub fn plugin_events(data: &[u8]) {
    let plugin_data = match serde_json::from_slice::<Value>(data) {
        Ok(v) => match serde_json::from_value::<PluginData>(v.clone()) {
            Ok(pd) => pd,
            Err(_) => PluginData {
                plugin: echotest::PLUGIN.into(),
                data: v,
            },
        },
        Err(_) => {
            let mut u = Unstructured::new(data);
            let plugin = match u.int_in_range(0..=3u8).unwrap_or(0) {
                0 | 1 => echotest::PLUGIN.to_owned(),
                2 => "janus.plugin.videoroom".to_owned(),
                _ => String::arbitrary(&mut u).unwrap_or_default(),
            };
            PluginData {
                plugin,
                data: arbitrary_json(&mut u, 0),
            }
        }
    };
    let error = plugin_data.error();
    let decoded = echotest::Event::decode(&plugin_data);
    match (&decoded, &error) {
        _ if plugin_data.plugin != echotest::PLUGIN => assert!(
            matches!(decoded, Err(DecodeError::WrongPlugin { .. })),
            "{decoded:?}"
        ),
        (Err(DecodeError::Plugin(e)), Some(expected)) => assert_eq!(e, expected),
        (other, Some(_)) => panic!("error_code not reported as a plugin error: {other:?}"),
        (Err(DecodeError::Plugin(e)), None) => panic!("plugin error out of nowhere: {e:?}"),
        (Ok(_) | Err(_), None) => {}
    }
}

/// Keys the EchoTest (and the error check) look at, and a few others.
const KEYS: &[&str] = &[
    "echotest",
    "result",
    "substream",
    "temporal",
    "error_code",
    "error",
    "event",
    "videoroom",
];

fn arbitrary_json(u: &mut Unstructured<'_>, depth: u32) -> Value {
    let max = if depth >= 6 { 7 } else { 9 };
    match u.int_in_range(0..=max).unwrap_or(0) {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(u).unwrap_or_default()),
        2 => json!(u64::arbitrary(u).unwrap_or_default()),
        3 => json!(u8::arbitrary(u).unwrap_or_default()),
        4 => json!(i64::arbitrary(u).unwrap_or_default()),
        5 => json!(f64::arbitrary(u).unwrap_or_default()),
        6 => json!(["ok", "done", "event", ""][usize::from(u.int_in_range(0..=3u8).unwrap_or(0))]),
        7 => Value::String(String::arbitrary(u).unwrap_or_default()),
        8 => {
            let n = u.int_in_range(0..=4u8).unwrap_or(0);
            Value::Array((0..n).map(|_| arbitrary_json(u, depth + 1)).collect())
        }
        _ => {
            let n = u.int_in_range(0..=6u8).unwrap_or(0);
            let mut map = Map::new();
            for _ in 0..n {
                let key = match u.int_in_range(0..=KEYS.len()).unwrap_or(0) {
                    i if i < KEYS.len() => KEYS[i].to_owned(),
                    _ => String::arbitrary(u).unwrap_or_default(),
                };
                map.insert(key, arbitrary_json(u, depth + 1));
            }
            Value::Object(map)
        }
    }
}

// ------------------------------------------------------------------ client_inputs

/// One step of [`client_inputs`].
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
    fn get(self) -> Option<u64> {
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
    fn to_json(&self, seen: &[TransactionId]) -> Value {
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

/// Drives a client of either transport with the ops decoded from `data`, starting at
/// `start`, draining after each; checks the cheap invariants.
pub fn client_inputs(start: Instant, data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(ws) = bool::arbitrary(&mut u) else {
        return;
    };
    let Ok(max_in_flight) = u.int_in_range(1..=16usize) else {
        return;
    };
    let mut rig = Rig::new(start, ws, max_in_flight);
    rig.client.connect(start);
    rig.drain();
    let mut steps = 0;
    while let Ok(op) = Op::arbitrary(&mut u) {
        rig.apply(op);
        steps += 1;
        if steps >= 256 || u.is_empty() {
            break;
        }
    }
}

/// A client and what it sent, for the fuzz targets.
struct Rig {
    client: Client,
    now: Instant,
    ws: bool,
    /// HTTP requests in flight, oldest first: id and, for a long poll, `true`.
    http: Vec<(RequestId, bool)>,
    /// Transactions sent on the wire, oldest first.
    sent: Vec<TransactionId>,
    returned: BTreeSet<TransactionId>,
    completed: BTreeSet<TransactionId>,
}

impl Rig {
    fn new(now: Instant, ws: bool, max_in_flight: usize) -> Self {
        let url = if ws {
            "ws://janus:8188"
        } else {
            "http://janus:8088/janus"
        };
        let config = ClientConfig::new([url])
            .expect("valid url")
            .seed(1)
            .request_timeout(Duration::from_secs(5))
            .event_timeout(Duration::from_secs(10))
            .max_in_flight(max_in_flight)
            .long_poll_maxev(3)
            .reconnect(Reconnect {
                max_rounds: 2,
                initial_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_millis(400),
            });
        Self {
            client: Client::new(config, now),
            now,
            ws,
            http: Vec::new(),
            sent: Vec::new(),
            returned: BTreeSet::new(),
            completed: BTreeSet::new(),
        }
    }

    /// A client with session 1 and handle 1/2, and (HTTP) its long poll in flight.
    fn connected(now: Instant, ws: bool) -> Self {
        let mut rig = Self::new(now, ws, 16);
        rig.client.connect(now);
        rig.drain();
        if ws {
            rig.input(Input::Opened);
        }
        rig.reply(|tx| json!({"janus":"server_info","transaction":tx,"session-timeout":60}));
        rig.call(|c, now| c.create_session(now));
        rig.reply(|tx| json!({"janus":"success","transaction":tx,"data":{"id":1}}));
        rig.call(|c, now| c.attach(now, SessionId(1), echotest::PLUGIN, None));
        rig.reply(|tx| json!({"janus":"success","session_id":1,"transaction":tx,"data":{"id":2}}));
        rig
    }

    /// Answers the request sent last (the newest POST over HTTP).
    fn reply(&mut self, f: impl FnOnce(&str) -> Value) {
        let tx = self
            .sent
            .last()
            .map(TransactionId::as_str)
            .unwrap_or_default();
        let text = f(tx).to_string();
        if self.ws {
            self.input(|now| Input::Frame(now, &text));
        } else if let Some(i) = self.http.iter().rposition(|(_, poll)| !poll) {
            let (id, _) = self.http.remove(i);
            self.input(|now| {
                Input::HttpResponse(
                    now,
                    id,
                    HttpResponse {
                        status: 200,
                        body: &text,
                    },
                )
            });
        }
    }

    fn poll_id(&self) -> Option<RequestId> {
        self.http.iter().find(|(_, poll)| *poll).map(|(id, _)| *id)
    }

    fn input<'a>(&mut self, f: impl FnOnce(Instant) -> Input<'a>) {
        self.client.handle_input(f(self.now));
        self.drain();
    }

    fn drain(&mut self) {
        for _ in 0..MAX_OUTPUTS {
            match self.client.poll_output() {
                Output::Transmit(Transmit::Ws(text)) => self.saw(&text),
                Output::Transmit(Transmit::Http(r)) => {
                    if let Some(body) = &r.body {
                        self.saw(body);
                    }
                    self.http.push((r.id, r.method == HttpMethod::Get));
                }
                Output::Transmit(Transmit::Cancel(id)) => self.http.retain(|(i, _)| *i != id),
                Output::Transmit(Transmit::Connect { .. } | Transmit::Disconnect) => {}
                Output::Event(Event::Completed { tx, .. }) => {
                    assert!(self.returned.contains(&tx), "completion of unknown {tx}");
                    assert!(self.completed.insert(tx.clone()), "{tx} completed twice");
                }
                Output::Event(_) => {}
                Output::Timeout(_) => return,
            }
        }
        panic!("poll_output did not return Timeout within {MAX_OUTPUTS} outputs");
    }

    fn saw(&mut self, text: &str) {
        let v: Value = serde_json::from_str(text).expect("the client sends JSON");
        if let Some(tx) = v.get("transaction").and_then(Value::as_str) {
            self.sent.push(TransactionId::from(tx));
            if self.sent.len() > 64 {
                self.sent.remove(0);
            }
        }
    }

    fn call(
        &mut self,
        f: impl FnOnce(&mut Client, Instant) -> Result<TransactionId, crate::Error>,
    ) {
        if let Ok(tx) = f(&mut self.client, self.now) {
            assert!(self.returned.insert(tx.clone()), "{tx} returned twice");
        }
        self.drain();
    }

    fn session(&self, n: u8) -> SessionId {
        let all: Vec<_> = self.client.session_ids().collect();
        all.get(usize::from(n) % (all.len() + 1))
            .copied()
            .unwrap_or(SessionId(3))
    }

    fn handle(&self, n: u8) -> HandleRef {
        let all: Vec<_> = self
            .client
            .session_ids()
            .flat_map(|s| self.client.handle_ids(s))
            .collect();
        all.get(usize::from(n) % (all.len() + 1))
            .copied()
            .unwrap_or(HandleRef {
                session: SessionId(1),
                handle: HandleId(3),
            })
    }

    /// Delivers a body: as a frame (WebSocket), or as the answer to the oldest HTTP request
    /// in flight, or to the `n`-th.
    fn deliver(&mut self, n: usize, status: u16, text: &str) {
        if self.ws {
            self.input(|now| Input::Frame(now, text));
        } else if !self.http.is_empty() {
            let (id, _) = self.http.remove(n % self.http.len());
            self.input(|now| Input::HttpResponse(now, id, HttpResponse { status, body: text }));
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Connect => {
                self.client.connect(self.now);
                self.drain();
            }
            Op::Create => self.call(|c, now| c.create_session(now)),
            Op::Attach(n) => {
                let s = self.session(n);
                self.call(|c, now| c.attach(now, s, echotest::PLUGIN, None));
            }
            Op::Message { handle, jsep } => {
                let h = self.handle(handle);
                let jsep = jsep.map(|offer| {
                    if offer {
                        Jsep::offer("v=0\r\n")
                    } else {
                        Jsep::answer("v=0\r\n")
                    }
                });
                self.call(|c, now| c.message(now, h, json!({"audio":true}), jsep));
            }
            Op::Trickle { handle, completed } => {
                let h = self.handle(handle);
                let t = if completed {
                    Trickle::Completed
                } else {
                    Trickle::Candidate(IceCandidate {
                        candidate: "candidate:1 1 udp 1 192.0.2.1 9 typ host".into(),
                        sdp_mid: Some("0".into()),
                        sdp_mline_index: Some(0),
                    })
                };
                self.call(|c, now| c.trickle(now, h, vec![t]));
            }
            Op::Detach(n) => {
                let h = self.handle(n);
                self.call(|c, now| c.detach(now, h));
            }
            Op::Hangup(n) => {
                let h = self.handle(n);
                self.call(|c, now| c.hangup(now, h));
            }
            Op::Destroy(n) => {
                let s = self.session(n);
                self.call(|c, now| c.destroy_session(now, s));
            }
            Op::Keepalive(n) => {
                let s = self.session(n);
                self.call(|c, now| c.keepalive(now, s));
            }
            Op::Claim(id) => {
                let s = SessionId(id.get().unwrap_or(1));
                self.call(|c, now| c.claim_session(now, s));
            }
            Op::Ping => self.call(|c, now| c.ping(now)),
            Op::Info => self.call(|c, now| c.info(now)),
            Op::Frame(m) => {
                let text = m.to_json(&self.sent).to_string();
                self.deliver(0, 200, &text);
            }
            Op::Raw(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                self.deliver(0, 200, &text);
            }
            Op::Batch(ms) => {
                let batch: Vec<_> = ms.iter().map(|m| m.to_json(&self.sent)).collect();
                let text = Value::Array(batch).to_string();
                match self.poll_id() {
                    Some(id) if !self.ws => {
                        self.http.retain(|(i, _)| *i != id);
                        self.input(|now| {
                            Input::HttpResponse(
                                now,
                                id,
                                HttpResponse {
                                    status: 200,
                                    body: &text,
                                },
                            )
                        });
                    }
                    _ => self.deliver(0, 200, &text),
                }
            }
            Op::Status {
                request,
                status,
                body,
            } => {
                let text = body.to_json(&self.sent).to_string();
                self.deliver(usize::from(request), status, &text);
            }
            Op::HttpFailed(n) => {
                if !self.http.is_empty() {
                    let (id, _) = self.http.remove(usize::from(n) % self.http.len());
                    self.input(|now| Input::HttpFailed(now, id, "fuzzed failure"));
                } else {
                    self.input(|now| Input::HttpFailed(now, RequestId(u64::from(n)), "stale"));
                }
            }
            Op::Opened => self.input(Input::Opened),
            Op::Closed => self.input(|now| Input::Closed(now, "fuzzed close")),
            Op::Advance { amount, long } => {
                let d = if long {
                    Duration::from_secs(u64::from(amount % 600))
                } else {
                    Duration::from_millis(u64::from(amount))
                };
                let until = self.now + d;
                // Fire each deadline on its own, as an adapter would.
                for _ in 0..1_000 {
                    let next = self.client.poll_timeout();
                    if next > until {
                        break;
                    }
                    self.now = self.now.max(next);
                    self.input(Input::Timeout);
                }
                self.now = self.now.max(until);
                self.input(Input::Timeout);
            }
        }
    }
}
