//! WebSocket: the blocking handshake runs on a helper thread; the open socket is then made
//! non-blocking and driven by the driver's poll loop.
//!
//! Our data frames are encoded here, not written through tungstenite: tungstenite logs every
//! frame it writes at TRACE, payload and all ("Sending frame: ..", "writing frame .." in
//! `protocol/mod.rs` and `protocol/frame/mod.rs`), and every Janus request carries the
//! `apisecret` and the token, so a user with `RUST_LOG=trace` would get both. tungstenite's
//! `Frame::format`, used here, logs nothing. tungstenite still reads (Janus's frames carry no
//! secret of ours) and writes its own control frames (pongs, close); see [`Ws`] for why the
//! two writers never interleave inside a frame.

use std::io::{ErrorKind, Write as _};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use tungstenite::client::IntoClientRequest;
use tungstenite::http::HeaderValue;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Connector, WebSocket};

use crate::driver::{Wake, WakeTx};

/// tungstenite's read buffer. It zeroes the free part of this buffer before every socket read
/// (`FrameCodec::read_in`): at its default of 128 KiB that memset was about 5 % of the
/// client's CPU per request in `cargo xtask bench` (perf, janus-tokio over WS). Janus's
/// messages are mostly under 2 KiB, SDPs a few KiB, and a larger message still arrives
/// whole (the buffer grows), so 16 KiB costs nothing but the memset.
const READ_BUFFER: usize = 16 * 1024;

pub(crate) type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// What to open, and the bounds the core set.
pub(crate) struct Open {
    pub(crate) url: String,
    /// `Sec-WebSocket-Protocol`, as the core says.
    pub(crate) protocol: &'static str,
    pub(crate) tls: Arc<rustls::ClientConfig>,
    /// The core's deadline for the attempt: bounds the blocking TCP connect and handshake
    /// so that the thread ends soon after the core gave up on it.
    pub(crate) timeout: Duration,
    /// One byte over the core's message limit: the core sees, and decides on, anything
    /// larger than its limit.
    pub(crate) max_message: usize,
}

/// Connects in the background; the driver hears `WsOpened` or `WsFailed` with `generation`.
pub(crate) fn connect(target: Open, generation: u64, wake: WakeTx) {
    let spawned = thread::Builder::new()
        .name("janus-ws-connect".into())
        .spawn({
            let wake = wake.clone();
            move || {
                let msg = match open(target) {
                    Ok(ws) => Wake::WsOpened(generation, Box::new(ws)),
                    Err(e) => Wake::WsFailed(generation, e),
                };
                wake.send(msg);
            }
        });
    if let Err(e) = spawned {
        wake.send(Wake::WsFailed(generation, e.to_string()));
    }
}

fn open(
    Open {
        url,
        protocol,
        tls,
        timeout,
        max_message,
    }: Open,
) -> Result<Socket, String> {
    let mut request = url.into_client_request().map_err(|e| e.to_string())?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(protocol));
    let uri = request.uri();
    let host = uri
        .host()
        .ok_or("no host in URL")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("wss") {
            443
        } else {
            80
        });
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("no address")?;
    let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let connector = if uri.scheme_str() == Some("wss") {
        Connector::Rustls(tls)
    } else {
        Connector::Plain
    };
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message));
    let (ws, _response) =
        tungstenite::client_tls_with_config(request, stream, Some(config), Some(connector))
            .map_err(|e| e.to_string())?;
    let tcp = match ws.get_ref() {
        MaybeTlsStream::Plain(s) => s,
        MaybeTlsStream::Rustls(s) => s.get_ref(),
        _ => return Err("unexpected stream type".into()),
    };
    tcp.set_read_timeout(None).map_err(|e| e.to_string())?;
    tcp.set_nonblocking(true).map_err(|e| e.to_string())?;
    Ok(ws)
}

/// The open socket, with the bytes of our frames it has not taken yet.
///
/// Two writers share the stream: ours (data frames, encoded without logging) and
/// tungstenite's (pongs it queues while reading, the close frame). Neither starts while the
/// other has a frame half written: ours are written only once tungstenite's buffer is flushed,
/// and tungstenite reads (and so may write a pong) only while ours is empty.
pub(crate) struct Ws {
    pub(crate) socket: Socket,
    out: Vec<u8>,
    written: usize,
}

impl Ws {
    pub(crate) fn new(socket: Socket) -> Self {
        Self {
            socket,
            out: Vec::new(),
            written: 0,
        }
    }

    /// Encodes `text` as one masked text frame (a client must mask, RFC 6455 5.3), to be
    /// written by [`flush`](Self::flush).
    pub(crate) fn queue(&mut self, text: String) {
        let mut frame = Frame::message(text, OpCode::Data(Data::Text), true);
        frame.header_mut().mask = Some(rand::random());
        // Writing into a Vec cannot fail.
        let _ = frame.format(&mut self.out);
    }

    /// Whether tungstenite may run (read): none of our bytes is waiting.
    pub(crate) fn may_read(&self) -> bool {
        self.out.is_empty()
    }

    /// Writes tungstenite's pending frames, then ours, then flushes the stream. A
    /// `WouldBlock` error means "call again when writable"; nothing is lost. (Boxed:
    /// tungstenite's error is large.)
    pub(crate) fn flush(&mut self) -> Result<(), Box<tungstenite::Error>> {
        self.socket.flush()?;
        while self.written < self.out.len() {
            match self.socket.get_mut().write(&self.out[self.written..]) {
                Ok(0) => return Err(Box::new(tungstenite::Error::ConnectionClosed)),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(Box::new(e.into())),
            }
        }
        self.out.clear();
        self.written = 0;
        self.socket
            .get_mut()
            .flush()
            .map_err(|e| Box::new(e.into()))?;
        Ok(())
    }

    /// Starts a close handshake, after what we had queued (best effort).
    pub(crate) fn close(mut self) {
        let _ = self.flush();
        let _ = self.socket.close(None);
        let _ = self.socket.flush();
    }
}

/// The raw file descriptor, for the poll registry.
pub(crate) fn raw_fd(ws: &Socket) -> Option<std::os::fd::RawFd> {
    use std::os::fd::AsRawFd as _;
    match ws.get_ref() {
        MaybeTlsStream::Plain(s) => Some(s.as_raw_fd()),
        MaybeTlsStream::Rustls(s) => Some(s.get_ref().as_raw_fd()),
        _ => None,
    }
}

/// What the driver tells the core when the server closed the WebSocket (see
/// [`DisconnectReason::closed_by_server`](janus_proto::DisconnectReason::closed_by_server)).
pub(crate) fn closed_by_server(frame: Option<&tungstenite::protocol::CloseFrame>) -> String {
    let close = frame.map(|f| (u16::from(f.code), f.reason.as_str()));
    janus_proto::DisconnectReason::closed_by_server(close)
        .text()
        .to_owned()
}
