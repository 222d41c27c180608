//! The entry points of the fuzz targets (`fuzz/fuzz_targets/*.rs`), also called by the
//! corpus replays on stable (`janus-proto/tests/fuzz_corpus_replay.rs`,
//! `janus-rtc/tests/fuzz_corpus_replay.rs`), so that `cargo test` replays every committed
//! corpus (`fuzz/corpus/<target>/`).
//!
//! Each function takes the fuzzer's bytes and panics only when an invariant breaks:
//! - [`incoming_json`]: the parsers never panic, and a WebSocket frame and the same object
//!   in a long-poll batch parse alike (when both are JSON a `Value` accepts); any frame or
//!   poll body reaches a live client safely;
//! - [`client_inputs`]: a [`Client`] driven by arbitrary commands and inputs ([`Op`]) never
//!   panics, every drain ends in `Timeout` within a bounded number of outputs, and no
//!   transaction completes twice or without having been returned by a call;
//! - [`http_answer`]: any status and body (from the `http_response` target's decoder) as
//!   the answer to a long poll and to a request: never a panic, no double completion;
//! - [`plugin_events`]: plugin data decodes or fails cleanly, and the decoder agrees with
//!   [`PluginData::error`];
//! - [`rtc_inputs`]: arbitrary bytes into a [`PeerConnection`] as an offer and an answer
//!   from the other side, as a trickled candidate, and as received datagrams (after a real
//!   offer, so that ICE, DTLS and SRTP parsers are reached): a typed error or nothing, never
//!   a panic, and the output always ends with a deadline;
//! - [`turn_stream`]: arbitrary bytes as what TURN servers answer over TCP and over TLS
//!   (the streams of a relay-only connection): never a panic, every drain ends, and a stream
//!   is closed at most once.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use janus_proto::msg::incoming::parse_batch;
use janus_proto::plugin::{
    DecodeError, PluginEvent, audiobridge, echotest, nosip, recordplay, sip, streaming, textroom,
    videocall, videoroom, voicemail,
};
use janus_proto::{
    Client, ClientConfig, Event, HandleId, HandleRef, HttpMethod, HttpResponse, IceCandidate,
    Incoming, Input, Jsep, Output, PluginData, Reconnect, RequestId, SessionId, TransactionId,
    Transmit, Trickle,
};
use janus_rtc::{PeerConfig, PeerConnection, Track};
use serde_json::{Map, Value, json};

use crate::janus;
use crate::ops::{Op, Targets, pick_handle, pick_session};

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

/// An answer as a hostile HTTP server might give it (any status, any body, as
/// `janus_blocking`'s reader decoded it) to a connected HTTP client: as the answer to its
/// long poll, and as the answer to a request (`keepalive`) made after it. Never a panic;
/// every transaction completes at most once; the outputs end with a deadline.
pub fn http_answer(start: Instant, status: u16, body: &str) {
    let mut rig = Rig::connected(start, false);
    if let Some(id) = rig.poll_id() {
        rig.input(|now| Input::HttpResponse(now, id, HttpResponse { status, body }));
    }
    rig.call(|c, now| c.keepalive(now, SessionId(1)));
    if let Some(i) = rig.http.iter().rposition(|(_, poll)| !poll) {
        let (id, _) = rig.http.remove(i);
        rig.input(|now| Input::HttpResponse(now, id, HttpResponse { status, body }));
    }
    // And whatever comes next: the client's timers run out cleanly.
    rig.now += Duration::from_secs(60);
    rig.input(Input::Timeout);
}

// ------------------------------------------------------------------ plugin_events

/// Arbitrary plugin data through every typed plugin decoder (EchoTest, VideoRoom,
/// AudioBridge, Streaming, TextRoom) and [`PluginData::error`]: the bytes as JSON when they
/// are (`{"plugin":..,"data":..}` or just the data), else a JSON tree built from them,
/// biased towards the keys the plugins' decoders read. The bytes as text also go through
/// the TextRoom's data-channel decoder.
pub fn plugin_events(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = textroom::Incoming::from_text(text);
    }
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
            let plugin = match u.int_in_range(0..=11u8).unwrap_or(0) {
                0 => echotest::PLUGIN.to_owned(),
                1 => videoroom::PLUGIN.to_owned(),
                2 => audiobridge::PLUGIN.to_owned(),
                3 => streaming::PLUGIN.to_owned(),
                4 => textroom::PLUGIN.to_owned(),
                5 => videocall::PLUGIN.to_owned(),
                6 => recordplay::PLUGIN.to_owned(),
                7 => nosip::PLUGIN.to_owned(),
                8 => voicemail::PLUGIN.to_owned(),
                9 => sip::PLUGIN.to_owned(),
                _ => String::arbitrary(&mut u).unwrap_or_default(),
            };
            PluginData {
                plugin,
                data: arbitrary_json(&mut u, 0),
            }
        }
    };
    check::<echotest::Event>(echotest::PLUGIN, &plugin_data);
    check::<videoroom::Event>(videoroom::PLUGIN, &plugin_data);
    check::<audiobridge::Event>(audiobridge::PLUGIN, &plugin_data);
    check::<streaming::Event>(streaming::PLUGIN, &plugin_data);
    check::<textroom::Event>(textroom::PLUGIN, &plugin_data);
    check::<videocall::Event>(videocall::PLUGIN, &plugin_data);
    check::<recordplay::Event>(recordplay::PLUGIN, &plugin_data);
    check::<nosip::Event>(nosip::PLUGIN, &plugin_data);
    check::<voicemail::Event>(voicemail::PLUGIN, &plugin_data);
    check::<sip::Event>(sip::PLUGIN, &plugin_data);
}

/// One decoder's promises: another plugin's data is `WrongPlugin`, an `error_code` is
/// always the plugin error it says, and no plugin error appears from nowhere.
fn check<E: PluginEvent + std::fmt::Debug>(plugin: &str, plugin_data: &PluginData) {
    let error = plugin_data.error();
    let decoded = E::decode(plugin_data);
    match (&decoded, &error) {
        _ if plugin_data.plugin != plugin => assert!(
            matches!(decoded, Err(DecodeError::WrongPlugin { .. })),
            "{plugin}: {decoded:?}"
        ),
        (Err(DecodeError::Plugin(e)), Some(expected)) => assert_eq!(e, expected),
        (other, Some(_)) => {
            panic!("{plugin}: error_code not reported as a plugin error: {other:?}")
        }
        (Err(DecodeError::Plugin(e)), None) => {
            panic!("{plugin}: plugin error out of nowhere: {e:?}")
        }
        (Ok(_) | Err(_), None) => {}
    }
}

/// Keys the plugins' decoders (and the error check) look at, and a few others.
const KEYS: &[&str] = &[
    "echotest",
    "result",
    "substream",
    "temporal",
    "error_code",
    "error",
    "event",
    "videoroom",
    "audiobridge",
    "streaming",
    "textroom",
    "status",
    "room",
    "id",
    "participants",
    "publishers",
    "streams",
    "list",
    "transaction",
    "sip",
    "call_id",
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

impl Targets for Rig {
    fn session(&self, n: u8) -> SessionId {
        pick_session(&self.client, n, SessionId(3))
    }

    fn handle(&self, n: u8) -> HandleRef {
        pick_handle(
            &self.client,
            n,
            HandleRef {
                session: SessionId(1),
                handle: HandleId(3),
            },
        )
    }

    fn claimable(&self, n: u8) -> SessionId {
        // One of the ids the rig's Janus hands out, or a stranger.
        SessionId(u64::from(n % 4) + 1)
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
        rig.reply(janus::server_info);
        rig.call(|c, now| c.create_session(now));
        rig.reply(|tx| janus::created(tx, 1));
        rig.call(|c, now| c.attach(now, SessionId(1), janus::ECHOTEST, None));
        rig.reply(|tx| janus::attached(tx, 1, 2));
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
        f: impl FnOnce(&mut Client, Instant) -> Result<TransactionId, janus_proto::Error>,
    ) {
        if let Ok(tx) = f(&mut self.client, self.now) {
            assert!(self.returned.insert(tx.clone()), "{tx} returned twice");
        }
        self.drain();
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
            Op::Create
            | Op::Attach(_)
            | Op::Message { .. }
            | Op::Trickle { .. }
            | Op::Detach(_)
            | Op::Hangup(_)
            | Op::Destroy(_)
            | Op::Keepalive(_)
            | Op::Ping
            | Op::Info => {
                let command = op.call().expect("an application call").command(self);
                self.call(|c, now| c.execute(now, command));
            }
            Op::Connect => {
                self.client.connect(self.now);
                self.drain();
            }
            Op::Claim(id) => {
                let s = SessionId(id.get().unwrap_or(1));
                self.call(|c, now| c.claim_session(now, s));
            }
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

// ------------------------------------------------------------------ rtc_inputs

/// A drain longer than this is a loop, not work.
const MAX_RTC_OUTPUTS: usize = 100_000;

/// The first bytes up to a NUL are the SDP and candidate text, the rest datagrams of
/// lengths given by their first byte. Panics when a drain does not end.
pub fn rtc_inputs(now: Instant, data: &[u8]) {
    let local = SocketAddr::from(([10, 0, 0, 1], 1000));
    let remote = SocketAddr::from(([10, 0, 0, 2], 2000));
    let (text, rest) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(text);

    let mut answering = PeerConnection::new(PeerConfig::default(), now, &[local]);
    let _ = answering.create_answer(&Jsep::offer(text.as_ref()), &[]);

    let mut pc = PeerConnection::new(PeerConfig::default(), now, &[local]);
    let _ = pc.create_offer(&[Track::audio(), Track::video(), Track::data("f")], false);
    let _ = pc.handle_remote_jsep(&Jsep::answer(text.as_ref()));
    let _ = pc.add_remote_candidate(&Trickle::Candidate(IceCandidate {
        candidate: text.into_owned(),
        sdp_mid: None,
        sdp_mline_index: None,
    }));
    let mut rest = rest;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        let _ = pc.handle_input(janus_rtc::Input::Receive(now, remote, local, &tail[..len]));
        rest = &tail[len..];
    }
    let _ = pc.handle_input(janus_rtc::Input::Timeout(now + Duration::from_millis(10)));
    for p in [&mut pc, &mut answering] {
        let mut n = 0;
        while !matches!(p.poll_output(), janus_rtc::Output::Timeout(_)) {
            n += 1;
            assert!(n < MAX_RTC_OUTPUTS, "output never ends");
        }
    }
}

// ------------------------------------------------------------------ turn_stream

/// How `turns:` servers are trusted in [`turn_stream`]: made once (its roots take a while).
fn web_pki() -> janus_rtc::TurnTls {
    static TLS: std::sync::OnceLock<Option<janus_rtc::TurnTls>> = std::sync::OnceLock::new();
    TLS.get_or_init(|| janus_rtc::TurnTls::web_pki().ok())
        .clone()
        .expect("the web PKI's roots make a TLS configuration")
}

/// Drains `pc` (bounded), recording the streams it closes; panics on a second close.
fn drain_streams(pc: &mut PeerConnection, closed: &mut Vec<janus_rtc::StreamId>) {
    for _ in 0..MAX_RTC_OUTPUTS {
        match pc.poll_output() {
            janus_rtc::Output::Timeout(_) => return,
            janus_rtc::Output::Stream(janus_rtc::StreamCommand::Close(id)) => {
                assert!(!closed.contains(&id), "{id:?} closed twice");
                closed.push(id);
            }
            _ => {}
        }
    }
    panic!("output never ends");
}

/// A relay-only connection with one TURN server over TCP (stream 0) and one over TLS
/// (stream 1), both connected; then the bytes as chunks: a byte whose low bit picks the
/// stream and whose other bits say 0: data (a length byte and that many bytes follow),
/// 1: the stream closes, 2: time passes (the next byte, in 100 ms).
pub fn turn_stream(now: Instant, data: &[u8]) {
    use janus_rtc::{Input as RtcInput, StreamEvent, StreamId};
    let local = SocketAddr::from(([10, 0, 0, 1], 1000));
    let config = PeerConfig {
        ice_servers: vec![
            janus_rtc::IceServer::turn("turn:10.0.0.3:3478?transport=tcp", "u", "c"),
            janus_rtc::IceServer::turn("turns:10.0.0.3:5349", "u", "c"),
        ],
        ice_transport_policy: janus_rtc::IceTransportPolicy::Relay,
        turn_tls: Some(web_pki()),
        ..PeerConfig::default()
    };
    let mut pc = PeerConnection::new(config, now, &[local]);
    let _ = pc.create_offer(&[Track::audio(), Track::data("f")], false);
    let mut closed = Vec::new();
    drain_streams(&mut pc, &mut closed);
    let mut at = now;
    for (i, port) in [(0, 3478), (1, 5349)] {
        let event = StreamEvent::Connected {
            stream: StreamId(i),
            local: SocketAddr::from(([10, 0, 0, 1], 40000 + port)),
            remote: SocketAddr::from(([10, 0, 0, 3], port)),
        };
        let _ = pc.handle_input(RtcInput::Stream(at, event));
        drain_streams(&mut pc, &mut closed);
    }
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        let stream = StreamId(u32::from(op & 1));
        rest = tail;
        match (op >> 1) % 3 {
            0 => {
                let Some((&len, tail)) = rest.split_first() else {
                    break;
                };
                let len = usize::from(len).min(tail.len());
                let event = StreamEvent::Data {
                    stream,
                    contents: &tail[..len],
                };
                let _ = pc.handle_input(RtcInput::Stream(at, event));
                rest = &tail[len..];
            }
            1 => {
                let _ = pc.handle_input(RtcInput::Stream(at, StreamEvent::Closed(stream)));
            }
            _ => {
                let Some((&n, tail)) = rest.split_first() else {
                    break;
                };
                at += Duration::from_millis(100 * u64::from(n));
                let _ = pc.handle_input(RtcInput::Timeout(at));
                rest = tail;
            }
        }
        drain_streams(&mut pc, &mut closed);
    }
    pc.close();
    drain_streams(&mut pc, &mut closed);
}

// ------------------------------------------------------------------ the committed corpora

/// Every file of a target's committed corpus (`fuzz/corpus/<target>/`), sorted by name,
/// with its bytes: what the corpus replays feed the entry points above.
///
/// # Panics
/// When the directory cannot be read or holds no seeds: a target without seeds is a mistake.
pub fn corpus(target: &str) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}
