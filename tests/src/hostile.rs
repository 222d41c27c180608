//! A hostile fake Janus on 127.0.0.1, for the tests of what the clients do when a server
//! misbehaves (`tests/tests/hostile.rs`): it answers `info`, `create`, `attach`, `claim`,
//! `keepalive`, `message` and the rest as Janus would, just enough for a session and a
//! handle, then misbehaves as each test scripts it: truncated JSON, invalid UTF-8, a message
//! over the client's cap, one byte per second (slowloris), answers with transactions never
//! sent, stale answers, events for unknown handles, unknown `janus` types, WebSocket close
//! codes, HTTP statuses and redirects.
//!
//! Real Janus stays the truth for real behaviour: this server only knows the shapes of the
//! few messages the scripts need. One port speaks both transports (a request with
//! `Upgrade: websocket` becomes a WebSocket with the `janus-protocol` subprotocol, any other
//! is the HTTP API under `/janus`). The WebSocket framing is written here, not taken from
//! tungstenite's server side: the scripts need frames no conforming library writes (a text
//! frame that is not UTF-8, a frame written one byte per second), and the server side needs
//! little else (unmasked frames out, masked frames in, the close frame).
//!
//! Plain threads and blocking sockets, so that tests of every adapter can use it.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::error::{HarnessError, Result};

/// How long a long poll is held when no event waits (Janus holds 30 s; shorter here so that
/// a test's scripted poll answers come soon).
const POLL_HOLD: Duration = Duration::from_millis(500);
/// How often the connection threads look at the script and the stop flag.
const TICK: Duration = Duration::from_millis(10);
/// The WebSocket GUID of RFC 6455 section 1.3.
const WS_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// How the server answers one scripted request (the next `message`, or the next long poll).
///
/// Byte strings may name, and get in their place: `$TX` the request's transaction, `$PREV_TX`
/// the transaction of the `message` before it, `$SESSION` and `$HANDLE` the ids in use.
#[derive(Debug, Clone)]
pub enum Answer {
    /// These bytes instead of the answer: a WebSocket text frame's payload (whatever the
    /// bytes: invalid UTF-8 is written as it is), or the body of an HTTP `200`.
    Raw(Vec<u8>),
    /// These messages first, then the answer Janus would give. On HTTP they go out on the
    /// long poll, before the request's own answer is sent.
    Before(Vec<Vec<u8>>),
    /// The answer, written one byte every `per_byte` for `dribble` (and the HTTP head too,
    /// on HTTP), then the rest at once.
    Slow {
        /// The pause between two bytes.
        per_byte: Duration,
        /// How long the dribble lasts before the rest goes out.
        dribble: Duration,
    },
    /// HTTP only: this status, these headers, this body.
    Status {
        /// The status code.
        code: u16,
        /// Extra headers (e.g. `Location`).
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
    },
}

impl Answer {
    /// An HTTP status with a short text body, as a proxy in front of Janus would send.
    pub fn status(code: u16) -> Self {
        Self::Status {
            code,
            headers: Vec::new(),
            body: format!("{code} from the hostile server\n").into_bytes(),
        }
    }

    /// An HTTP redirect (`301`, `302`, `307`, ...) to the same path on this server.
    pub fn redirect(code: u16, location: &str) -> Self {
        Self::Status {
            code,
            headers: vec![("Location".into(), location.into())],
            body: Vec::new(),
        }
    }
}

/// The fake server. Dropping it stops it and closes every connection.
///
/// ```no_run
/// # fn main() -> Result<(), janus_tests::HarnessError> {
/// use janus_tests::hostile::{Answer, Hostile};
/// let server = Hostile::start()?;
/// server.answer_next_message(Answer::Raw(br#"{"janus":"succ"#.to_vec()));
/// // ... connect a client to server.ws_url() or server.http_url(), send a message.
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Hostile {
    port: u16,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    session: u64,
    handle: u64,
    prev_tx: String,
    /// Scripted answers of the next `message`s, in order.
    messages: VecDeque<Answer>,
    /// Scripted answers of the next long polls, in order.
    polls: VecDeque<Answer>,
    /// Messages for the client: written to the WebSocket, or the next long poll's answer.
    events: VecDeque<Vec<u8>>,
    /// Bytes to write on the open WebSocket as they are (no framing).
    raw: VecDeque<Vec<u8>>,
    /// Close codes to send on the open WebSocket.
    closes: VecDeque<u16>,
    /// The WebSocket handshake's answer and the HTTP `info` answer go one byte per this.
    slow_start: Option<Duration>,
    websockets: usize,
    claims: usize,
    polls_seen: usize,
    messages_seen: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

impl Hostile {
    /// Listens on a free port of 127.0.0.1.
    pub fn start() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| HarnessError::io("binding the hostile server", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| HarnessError::io("hostile server address", e))?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(|e| HarnessError::io("hostile server listener", e))?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                next_id: 1_000,
                ..State::default()
            }),
            ..Shared::default()
        });
        let s = Arc::clone(&shared);
        thread::Builder::new()
            .name("hostile-accept".into())
            .spawn(move || accept(&listener, &s))
            .map_err(|e| HarnessError::io("hostile server thread", e))?;
        Ok(Self { port, shared })
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The WebSocket URL.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// The HTTP API URL.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}/janus", self.port)
    }

    /// The next `message` not answered yet by a script is answered so.
    pub fn answer_next_message(&self, answer: Answer) {
        self.shared.lock().messages.push_back(answer);
        self.shared.changed.notify_all();
    }

    /// The next long poll is answered so.
    pub fn answer_next_poll(&self, answer: Answer) {
        self.shared.lock().polls.push_back(answer);
        self.shared.changed.notify_all();
    }

    /// Sends a message on its own (placeholders as in [`Answer`]): on the open WebSocket,
    /// or as the answer of the next long poll.
    pub fn push(&self, message: &[u8]) {
        let mut st = self.shared.lock();
        let message = substitute(message, &st, "");
        st.events.push_back(message);
        drop(st);
        self.shared.changed.notify_all();
    }

    /// Writes these bytes on the open WebSocket as they are, unframed (a frame of the
    /// test's own making, malformed or not).
    pub fn push_raw(&self, bytes: &[u8]) {
        self.shared.lock().raw.push_back(bytes.to_vec());
        self.shared.changed.notify_all();
    }

    /// From now on (`Some`), the answer to a WebSocket upgrade and to an HTTP `info` (the
    /// probe of a connect) go out one byte per `per_byte`; `None` ends that.
    pub fn slow_start(&self, per_byte: Option<Duration>) {
        self.shared.lock().slow_start = per_byte;
    }

    /// Closes the open WebSocket with this close code.
    pub fn close_websocket(&self, code: u16) {
        self.shared.lock().closes.push_back(code);
        self.shared.changed.notify_all();
    }

    /// WebSockets opened so far (a reconnect opens one more).
    pub fn websockets(&self) -> usize {
        self.shared.lock().websockets
    }

    /// `claim` requests received so far.
    pub fn claims(&self) -> usize {
        self.shared.lock().claims
    }

    /// Long polls received so far.
    pub fn polls(&self) -> usize {
        self.shared.lock().polls_seen
    }

    /// `message` requests received so far.
    pub fn messages(&self) -> usize {
        self.shared.lock().messages_seen
    }

    /// The last session and handle created.
    pub fn ids(&self) -> (u64, u64) {
        let st = self.shared.lock();
        (st.session, st.handle)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.changed.notify_all();
    }
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    while !shared.stopped() {
        match listener.accept() {
            Ok((stream, _)) => {
                let s = Arc::clone(shared);
                let _ = thread::Builder::new()
                    .name("hostile-conn".into())
                    .spawn(move || {
                        let _ = serve(stream, &s);
                    });
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => thread::sleep(TICK),
            Err(_) => thread::sleep(TICK),
        }
    }
}

/// Replaces the placeholders of [`Answer`] in `bytes`.
fn substitute(bytes: &[u8], st: &State, tx: &str) -> Vec<u8> {
    let pairs = [
        ("$PREV_TX", st.prev_tx.clone()),
        ("$TX", tx.to_owned()),
        ("$SESSION", st.session.to_string()),
        ("$HANDLE", st.handle.to_string()),
    ];
    let mut out = bytes.to_vec();
    for (name, value) in pairs {
        let mut next = Vec::with_capacity(out.len());
        let mut rest = &out[..];
        while let Some(at) = find(rest, name.as_bytes()) {
            next.extend_from_slice(&rest[..at]);
            next.extend_from_slice(value.as_bytes());
            rest = &rest[at + name.len()..];
        }
        next.extend_from_slice(rest);
        out = next;
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// What to do with one request.
enum Plan {
    /// Send these messages (each a frame on a WebSocket; on HTTP the last is the body and
    /// the others go to the long poll).
    Send(Vec<Vec<u8>>),
    Slow {
        message: Vec<u8>,
        per_byte: Duration,
        dribble: Duration,
    },
    Status {
        code: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

/// Janus's answer to `req`, or the script's.
fn plan(shared: &Shared, req: &Value) -> Plan {
    let mut st = shared.lock();
    let tx = req["transaction"].as_str().unwrap_or_default().to_owned();
    let session = req["session_id"].as_u64().unwrap_or(st.session);
    let handle = req["handle_id"].as_u64().unwrap_or(st.handle);
    let verb = req["janus"].as_str().unwrap_or_default();
    let normal = match verb {
        "info" => json!({"janus": "server_info", "transaction": tx,
            "name": "Janus WebRTC Server (hostile fake)", "version": 1102,
            "version_string": "1.1.2", "session-timeout": 60, "reclaim-session-timeout": 30,
            "plugins": {"janus.plugin.echotest": {"name": "fake EchoTest"}}}),
        "create" => {
            st.next_id += 1;
            st.session = st.next_id;
            json!({"janus": "success", "transaction": tx, "data": {"id": st.session}})
        }
        "attach" => {
            st.next_id += 1;
            st.handle = st.next_id;
            json!({"janus": "success", "session_id": session, "transaction": tx,
                   "data": {"id": st.handle}})
        }
        "claim" => {
            st.claims += 1;
            json!({"janus": "success", "session_id": session, "transaction": tx})
        }
        "keepalive" | "trickle" => {
            json!({"janus": "ack", "session_id": session, "transaction": tx})
        }
        "message" => json!({"janus": "success", "session_id": session, "sender": handle,
            "transaction": tx, "plugindata": {"plugin": "janus.plugin.echotest",
            "data": {"echotest": "event", "result": "ok"}}}),
        "detach" | "destroy" | "hangup" => {
            json!({"janus": "success", "session_id": session, "transaction": tx})
        }
        "ping" => json!({"janus": "pong", "transaction": tx}),
        _ => json!({"janus": "error", "transaction": tx,
                    "error": {"code": 453, "reason": "unknown request"}}),
    };
    let normal = normal.to_string().into_bytes();
    if verb != "message" {
        return Plan::Send(vec![normal]);
    }
    st.messages_seen += 1;
    let script = st.messages.pop_front();
    let plan = match script {
        None => Plan::Send(vec![normal]),
        Some(Answer::Raw(bytes)) => Plan::Send(vec![substitute(&bytes, &st, &tx)]),
        Some(Answer::Before(first)) => {
            let mut all: Vec<_> = first.iter().map(|m| substitute(m, &st, &tx)).collect();
            all.push(normal);
            Plan::Send(all)
        }
        Some(Answer::Slow { per_byte, dribble }) => Plan::Slow {
            message: normal,
            per_byte,
            dribble,
        },
        Some(Answer::Status {
            code,
            headers,
            body,
        }) => Plan::Status {
            code,
            headers,
            body: substitute(&body, &st, &tx),
        },
    };
    st.prev_tx = tx;
    plan
}

// ------------------------------------------------------------------ connections

/// One request head: its lines and what follows them in `rest`.
struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads from `stream` into `buf` until `cond(buf)` says where to cut, or the server stops.
fn read_until(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    shared: &Shared,
    mut cut: impl FnMut(&[u8]) -> Option<usize>,
) -> io::Result<Vec<u8>> {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(n) = cut(buf) {
            let rest = buf.split_off(n);
            return Ok(std::mem::replace(buf, rest));
        }
        if shared.stopped() {
            return Err(io::Error::other("stopped"));
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>, shared: &Shared) -> io::Result<Head> {
    let raw = read_until(stream, buf, shared, |b| find(b, b"\r\n\r\n").map(|i| i + 4))?;
    let text = String::from_utf8_lossy(&raw);
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Head {
        method,
        target,
        headers,
    })
}

fn serve(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(TICK))?;
    let mut buf = Vec::new();
    let head = read_head(&mut stream, &mut buf, shared)?;
    let upgrade = head
        .header("upgrade")
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        websocket(stream, buf, &head, shared)
    } else {
        http(stream, buf, head, shared)
    }
}

// ------------------------------------------------------------------ WebSocket

fn websocket(
    mut stream: TcpStream,
    mut buf: Vec<u8>,
    head: &Head,
    shared: &Shared,
) -> io::Result<()> {
    let key = head.header("sec-websocket-key").unwrap_or_default();
    let accept = digest::digest(
        &digest::SHA1_FOR_LEGACY_USE_ONLY,
        format!("{key}{WS_GUID}").as_bytes(),
    );
    let accept = base64::engine::general_purpose::STANDARD.encode(accept.as_ref());
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: janus-protocol\r\n\r\n"
    );
    let slow_start = shared.lock().slow_start;
    match slow_start {
        Some(per_byte) => slow(
            &mut stream,
            answer.as_bytes(),
            per_byte,
            Duration::MAX,
            shared,
        )?,
        None => stream.write_all(answer.as_bytes())?,
    }
    {
        let mut st = shared.lock();
        st.websockets += 1;
        // Pushes and closes meant for an earlier connection are not for this one.
        st.closes.clear();
    }
    loop {
        if shared.stopped() {
            return Ok(());
        }
        // The script first: pushes and closes.
        let (events, raw, close) = {
            let mut st = shared.lock();
            (
                st.events.drain(..).collect::<Vec<_>>(),
                st.raw.drain(..).collect::<Vec<_>>(),
                st.closes.pop_front(),
            )
        };
        for e in events {
            stream.write_all(&frame(0x1, &e))?;
        }
        for bytes in raw {
            stream.write_all(&bytes)?;
        }
        if let Some(code) = close {
            let mut payload = code.to_be_bytes().to_vec();
            payload.extend_from_slice(b"hostile close");
            stream.write_all(&frame(0x8, &payload))?;
            let _ = stream.shutdown(Shutdown::Write);
            // Read what the client says until it closes (bounded).
            let until = Instant::now() + Duration::from_secs(2);
            let mut sink = [0u8; 4096];
            while Instant::now() < until {
                match stream.read(&mut sink) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => break,
                }
            }
            return Ok(());
        }
        // Then one frame of the client, if whole.
        let mut chunk = [0u8; 16 * 1024];
        if let Some((opcode, payload, used)) = parse_frame(&buf) {
            buf.drain(..used);
            match opcode {
                0x1 => {
                    let Ok(req) = serde_json::from_slice::<Value>(&payload) else {
                        continue;
                    };
                    match plan(shared, &req) {
                        Plan::Send(messages) => {
                            for m in messages {
                                stream.write_all(&frame(0x1, &m))?;
                            }
                        }
                        Plan::Slow {
                            message,
                            per_byte,
                            dribble,
                        } => slow(
                            &mut stream,
                            &frame(0x1, &message),
                            per_byte,
                            dribble,
                            shared,
                        )?,
                        // No status on a WebSocket: the request goes unanswered.
                        Plan::Status { .. } => {}
                    }
                }
                0x8 => return Ok(()),
                0x9 => stream.write_all(&frame(0xA, &payload))?,
                _ => {}
            }
            continue;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// One unmasked frame (a server's), FIN set, whatever the payload's bytes.
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xffff => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// A whole client frame at the start of `buf`: opcode, unmasked payload, bytes used.
fn parse_frame(buf: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    let (&b0, &b1) = (buf.first()?, buf.get(1)?);
    let masked = b1 & 0x80 != 0;
    let (len, mut at) = match b1 & 0x7f {
        126 => (
            usize::from(u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?])),
            4,
        ),
        127 => {
            let b: [u8; 8] = buf.get(2..10)?.try_into().ok()?;
            (usize::try_from(u64::from_be_bytes(b)).ok()?, 10)
        }
        n => (usize::from(n), 2),
    };
    let mask: [u8; 4] = if masked {
        let m = buf.get(at..at + 4)?.try_into().ok()?;
        at += 4;
        m
    } else {
        [0; 4]
    };
    let payload = buf.get(at..at.checked_add(len)?)?;
    let payload = payload
        .iter()
        .zip(mask.iter().cycle())
        .map(|(b, m)| b ^ m)
        .collect();
    Some((b0 & 0x0f, payload, at + len))
}

/// Writes `bytes` one every `per_byte` for `dribble`, then the rest.
fn slow(
    stream: &mut TcpStream,
    bytes: &[u8],
    per_byte: Duration,
    dribble: Duration,
    shared: &Shared,
) -> io::Result<()> {
    let until = Instant::now().checked_add(dribble);
    let mut sent = 0;
    while sent < bytes.len() && until.is_none_or(|u| Instant::now() < u) && !shared.stopped() {
        stream.write_all(&bytes[sent..=sent])?;
        sent += 1;
        thread::sleep(per_byte);
    }
    stream.write_all(&bytes[sent..])
}

// ------------------------------------------------------------------ HTTP

fn http(
    mut stream: TcpStream,
    mut buf: Vec<u8>,
    mut head: Head,
    shared: &Shared,
) -> io::Result<()> {
    loop {
        let length = head
            .header("content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        let body = read_until(&mut stream, &mut buf, shared, |b| {
            (b.len() >= length).then_some(length)
        })?;
        let path = head.target.split('?').next().unwrap_or_default();
        let segments: Vec<&str> = path
            .trim_start_matches("/janus")
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        if head.method == "GET" && segments.len() == 1 {
            long_poll(&mut stream, shared)?;
        } else if head.method == "POST" {
            let mut req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if let Some(s) = segments.first().and_then(|s| s.parse::<u64>().ok()) {
                req["session_id"] = s.into();
            }
            if let Some(h) = segments.get(1).and_then(|s| s.parse::<u64>().ok()) {
                req["handle_id"] = h.into();
            }
            let slow_start = shared.lock().slow_start;
            match plan(shared, &req) {
                Plan::Send(messages) if req["janus"] == "info" && slow_start.is_some() => {
                    let whole = response(200, &[], &messages.concat());
                    let per_byte = slow_start.unwrap_or_default();
                    slow(&mut stream, &whole, per_byte, Duration::MAX, shared)?;
                }
                Plan::Send(mut messages) => {
                    let body = messages.pop().unwrap_or_default();
                    if !messages.is_empty() {
                        shared.lock().events.extend(messages);
                        shared.changed.notify_all();
                        // Let the long poll carry them out before this answer.
                        thread::sleep(Duration::from_millis(200));
                    }
                    respond(&mut stream, 200, &[], &body)?;
                }
                Plan::Slow {
                    message,
                    per_byte,
                    dribble,
                } => {
                    let whole = response(200, &[], &message);
                    slow(&mut stream, &whole, per_byte, dribble, shared)?;
                }
                Plan::Status {
                    code,
                    headers,
                    body,
                } => respond(&mut stream, code, &headers, &body)?,
            }
        } else {
            respond(&mut stream, 404, &[], b"no such path\n")?;
        }
        head = read_head(&mut stream, &mut buf, shared)?;
    }
}

fn long_poll(stream: &mut TcpStream, shared: &Shared) -> io::Result<()> {
    let mut st = shared.lock();
    st.polls_seen += 1;
    let until = Instant::now() + POLL_HOLD;
    loop {
        if let Some(answer) = st.polls.pop_front() {
            drop(st);
            return match answer {
                Answer::Raw(body) => respond(stream, 200, &[], &body),
                Answer::Status {
                    code,
                    headers,
                    body,
                } => respond(stream, code, &headers, &body),
                Answer::Slow { per_byte, dribble } => {
                    let whole = response(200, &[], br#"[{"janus":"keepalive"}]"#);
                    slow(stream, &whole, per_byte, dribble, shared)
                }
                Answer::Before(messages) => respond(stream, 200, &[], &batch(messages)),
            };
        }
        if !st.events.is_empty() {
            let events: Vec<_> = st.events.drain(..).collect();
            drop(st);
            return respond(stream, 200, &[], &batch(events));
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || shared.stopped() {
            drop(st);
            return respond(stream, 200, &[], br#"{"janus":"keepalive"}"#);
        }
        st = shared
            .changed
            .wait_timeout(st, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

/// Messages as a long poll's JSON array (bytes joined as they are).
fn batch(messages: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = b"[".to_vec();
    for (i, m) in messages.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&m);
    }
    out.push(b']');
    out
}

fn response(code: u16, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {code} Hostile\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn respond(
    stream: &mut TcpStream,
    code: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> io::Result<()> {
    stream.write_all(&response(code, headers, body))
}
