//! A third runtime, with no adapter: async-std and async-tungstenite drive the sans-IO core
//! (`janus-proto`) directly over a WebSocket: connect, create a session, attach the EchoTest,
//! send one message, wait for its event, destroy the session.
//!
//! `async_std_echotest ws://127.0.0.1:8188` prints one line per step and exits 0 when the
//! session was destroyed. `tests/tests/async_std_example.rs` runs it against a real Janus.
//!
//! The whole adapter is the loop in [`drive`]: drain `poll_output` (frames to send, a socket
//! to open, events for the application), do what it asked, then wait for a frame or the
//! core's deadline and hand that back with `handle_input`.

// An example's job is to print to stdout.
#![allow(clippy::print_stdout)]

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use async_std::net::TcpStream;
use async_tungstenite::WebSocketStream;
use async_tungstenite::tungstenite::Message;
use async_tungstenite::tungstenite::client::IntoClientRequest;
use async_tungstenite::tungstenite::http::HeaderValue;
use futures_util::StreamExt;
use janus_proto::{
    Client, ClientConfig, Event, HandleRef, Input, Output, Reply, SessionId, TransactionId,
    Transmit,
};
use serde_json::json;

type Socket = WebSocketStream<TcpStream>;

const ECHOTEST: &str = "janus.plugin.echotest";

fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: async_std_echotest ws://HOST:PORT");
        return ExitCode::FAILURE;
    };
    match async_std::task::block_on(drive(&url)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("async-std example failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The application: what to ask next, from the events the core reports.
#[derive(Debug, Default)]
struct EchoApp {
    waiting: Option<TransactionId>,
    session: Option<SessionId>,
    handle: Option<HandleRef>,
    done: bool,
}

impl EchoApp {
    /// Reacts to one event by calling the core (each call queues output for the next drain).
    fn on_event(&mut self, core: &mut Client, event: Event) -> Result<(), String> {
        let now = Instant::now();
        match event {
            Event::Connected { url, info, .. } => {
                println!("connected to {url}: {} {}", info.name, info.version_string);
                self.waiting = Some(core.create_session(now).map_err(|e| e.to_string())?);
            }
            Event::Acked { tx, .. } if Some(&tx) == self.waiting.as_ref() => {
                println!("message acked");
            }
            Event::Completed { tx, result } if Some(&tx) == self.waiting.as_ref() => {
                let reply = result.map_err(|e| format!("request failed: {e}"))?;
                self.waiting = self.next(core, now, reply)?;
            }
            Event::Disconnected { reason } => return Err(format!("disconnected: {reason:?}")),
            Event::SessionLost { reason, .. } => return Err(format!("session lost: {reason}")),
            other => println!("event: {other:?}"),
        }
        Ok(())
    }

    /// The request that follows a reply (`None` when the scenario is over).
    fn next(
        &mut self,
        core: &mut Client,
        now: Instant,
        reply: Reply,
    ) -> Result<Option<TransactionId>, String> {
        let tx = match reply {
            Reply::SessionCreated(s) => {
                println!("session {s} created");
                self.session = Some(s);
                core.attach(now, s, ECHOTEST, None)
            }
            Reply::Attached(h) => {
                println!("attached to {ECHOTEST}: handle {}", h.handle);
                self.handle = Some(h);
                core.message(now, h, json!({"audio": true, "video": true}), None)
            }
            Reply::Plugin { data, .. } => {
                println!("event from {}: {}", data.plugin, data.data);
                let s = self.session.ok_or("no session")?;
                core.destroy_session(now, s)
            }
            Reply::SessionDestroyed(s) => {
                println!("session {s} destroyed");
                self.done = true;
                return Ok(None);
            }
            other => return Err(format!("unexpected reply {other:?}")),
        };
        tx.map(Some).map_err(|e| e.to_string())
    }
}

/// The run loop: the core decides, async-std moves the bytes and keeps the time.
async fn drive(url: &str) -> Result<(), String> {
    let config = ClientConfig::new([url])
        .ok_or("a ws:// URL")?
        .request_timeout(Duration::from_secs(10))
        .seed(os_seed());
    let mut core = Client::new(config, Instant::now());
    core.connect(Instant::now());
    let mut app = EchoApp::default();
    let mut ws: Option<Socket> = None;
    let mut events = VecDeque::new();
    while !app.done {
        // 1. Drain the core; frames go out at once, in order.
        let mut open = None;
        let deadline = loop {
            match core.poll_output() {
                Output::Transmit(Transmit::Connect { url, timeout, .. }) => {
                    ws = None;
                    open = Some((url, timeout));
                }
                Output::Transmit(Transmit::Ws(text)) => {
                    let sock = ws.as_mut().ok_or("frame without a socket")?;
                    if let Err(e) = sock.send(Message::text(text)).await {
                        ws = None;
                        core.handle_input(Input::Closed(Instant::now(), &e.to_string()));
                    }
                }
                Output::Transmit(Transmit::Disconnect) => ws = None,
                Output::Transmit(Transmit::Http(_) | Transmit::Cancel(_)) => {
                    return Err("this example speaks WebSocket only".into());
                }
                Output::Event(e) => events.push_back(e),
                Output::Timeout(at) => break at,
            }
        };
        // 2. The application reacts; its calls make new output: drain again.
        if !events.is_empty() {
            while let Some(e) = events.pop_front() {
                app.on_event(&mut core, e)?;
            }
            continue;
        }
        // 3. A socket to open.
        // This loop awaits the handshake inline, so it bounds it by the core's deadline (the
        // core's own timer would fire only once the loop comes back to it).
        if let Some((url, timeout)) = open {
            match async_std::future::timeout(timeout, connect(&url)).await {
                Ok(Ok(sock)) => {
                    ws = Some(sock);
                    core.handle_input(Input::Opened(Instant::now()));
                }
                Ok(Err(why)) => core.handle_input(Input::Closed(Instant::now(), &why)),
                Err(_elapsed) => core.handle_input(Input::Timeout(Instant::now())),
            }
            continue;
        }
        // 4. Wait for a frame or the deadline, and tell the core.
        let wait = deadline.saturating_duration_since(Instant::now());
        let Some(sock) = ws.as_mut() else {
            async_std::task::sleep(wait).await;
            core.handle_input(Input::Timeout(Instant::now()));
            continue;
        };
        match async_std::future::timeout(wait, sock.next()).await {
            Err(_elapsed) => core.handle_input(Input::Timeout(Instant::now())),
            Ok(Some(Ok(Message::Text(text)))) => {
                core.handle_input(Input::Frame(Instant::now(), text.as_str()));
            }
            Ok(Some(Ok(_ping_pong_or_binary))) => {}
            Ok(Some(Err(e))) => {
                ws = None;
                core.handle_input(Input::Closed(Instant::now(), &e.to_string()));
            }
            Ok(None) => {
                ws = None;
                core.handle_input(Input::Closed(Instant::now(), "closed by the server"));
            }
        }
    }
    if let Some(mut sock) = ws {
        let _ = sock.close(None).await;
    }
    Ok(())
}

/// Opens the WebSocket (plain `ws://`) with Janus's subprotocol.
async fn connect(url: &str) -> Result<Socket, String> {
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("janus-protocol"),
    );
    let uri = request.uri();
    let host = uri.host().ok_or("no host in the URL")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sock, _response) = async_tungstenite::client_async(request, tcp)
        .await
        .map_err(|e| e.to_string())?;
    Ok(sock)
}

/// A seed for transaction ids from the OS-seeded hasher keys of std (no RNG crate needed).
fn os_seed() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x006a_616e_7573);
    h.finish()
}
