//! WebSocket: opening (the subprotocol the core names: `janus-protocol`, or `janus-admin-protocol`, rustls for `wss`), and one poll that
//! writes queued frames, flushes and reads, so that the driver's `select!` holds a single
//! borrow of the socket and loses nothing when the branch is not the one chosen.
//!
//! Our data frames are encoded here, not sent through the `Sink`: tungstenite logs every
//! frame it writes at TRACE, payload and all ("Sending frame: ..", "writing frame .." in its
//! `protocol/mod.rs` and `protocol/frame/mod.rs`), and every Janus request carries the
//! `apisecret` and the token, so a user with `RUST_LOG=trace` would get both. tungstenite's
//! `Frame::format`, used here, logs nothing. tungstenite still reads (Janus's frames carry no
//! secret of ours) and writes its own control frames (pongs, close); see [`Ws`] for why the
//! two writers never interleave inside a frame.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;
use tokio::io::AsyncWrite;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

/// tungstenite's read buffer. It zeroes the free part of this buffer before every socket read
/// (`FrameCodec::read_in`): at its default of 128 KiB that memset was about 5 % of the
/// client's CPU per request in `cargo xtask bench` (perf, janus-tokio over WS). Janus's
/// messages are mostly under 2 KiB, SDPs a few KiB, and a larger message still arrives
/// whole (the buffer grows), so 16 KiB costs nothing but the memset.
const READ_BUFFER: usize = 16 * 1024;

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket to `url`. The core bounds the time (it drops this future when its
/// deadline passes); `max_message` is one byte over the core's limit, so that the core sees,
/// and decides on, anything larger than its limit.
pub(crate) async fn open(
    url: String,
    protocol: &'static str,
    tls: Arc<rustls::ClientConfig>,
    max_message: usize,
) -> Result<Box<Socket>, String> {
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(protocol));
    // The connector is used for `wss` only; `ws` stays plain.
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message));
    let (ws, _response) = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(config),
        true,
        Some(Connector::Rustls(tls)),
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(Box::new(ws))
}

/// The socket, with the bytes of our frames it has not taken yet.
///
/// Two writers share the stream: ours (data frames, encoded without logging) and
/// tungstenite's (pongs it queues while reading, the close frame). Neither starts while the
/// other has a frame half written: ours are written only once tungstenite's buffer is flushed
/// (`poll_flush` of the sink), and tungstenite reads (and so may write a pong) only while ours
/// is empty.
pub(crate) struct Ws {
    pub(crate) socket: Socket,
    out: Vec<u8>,
    written: usize,
    unflushed: bool,
}

/// What [`Ws::poll_io`] saw.
pub(crate) enum WsIo {
    /// A frame arrived.
    Frame(Message),
    /// The socket failed or closed (boxed: tungstenite's error is large).
    Failed(Box<WsError>),
}

impl Ws {
    pub(crate) fn new(socket: Socket) -> Self {
        Self {
            socket,
            out: Vec::new(),
            written: 0,
            unflushed: false,
        }
    }

    /// Encodes `text` as one masked text frame (a client must mask, RFC 6455 5.3), written
    /// by the next [`poll_io`](Self::poll_io).
    pub(crate) fn queue(&mut self, text: String) {
        let mut frame = Frame::message(text, OpCode::Data(Data::Text), true);
        frame.header_mut().mask = Some(rand::random());
        // Writing into a Vec cannot fail.
        let _ = frame.format(&mut self.out);
    }

    /// Writes what it can, flushes, and (when `read`) returns the next frame. Bytes leave
    /// the buffer only once the socket accepted them, so dropping the future that calls this
    /// loses nothing.
    pub(crate) fn poll_io(&mut self, cx: &mut Context<'_>, read: bool) -> Poll<WsIo> {
        if let Err(e) = self.write(cx) {
            return Poll::Ready(WsIo::Failed(e));
        }
        // A half-written frame of ours: reading could put a pong inside it. The write
        // above registered the waker, so this runs again once the socket takes more.
        if !read || !self.out.is_empty() {
            return Poll::Pending;
        }
        match Pin::new(&mut self.socket).poll_next(cx) {
            Poll::Ready(Some(Ok(m))) => Poll::Ready(WsIo::Frame(m)),
            Poll::Ready(Some(Err(e))) => Poll::Ready(WsIo::Failed(Box::new(e))),
            Poll::Ready(None) => Poll::Ready(WsIo::Failed(Box::new(WsError::ConnectionClosed))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn write(&mut self, cx: &mut Context<'_>) -> Result<(), Box<WsError>> {
        if self.written < self.out.len() {
            // tungstenite's own frames (a pong) first, whole.
            match Pin::new(&mut self.socket).poll_flush(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Err(Box::new(e)),
                Poll::Pending => return Ok(()),
            }
            while self.written < self.out.len() {
                let raw = Pin::new(self.socket.get_mut());
                match raw.poll_write(cx, &self.out[self.written..]) {
                    Poll::Ready(Ok(0)) => return Err(Box::new(WsError::ConnectionClosed)),
                    Poll::Ready(Ok(n)) => self.written += n,
                    Poll::Ready(Err(e)) => return Err(Box::new(WsError::Io(e))),
                    Poll::Pending => return Ok(()),
                }
            }
            self.out.clear();
            self.written = 0;
            self.unflushed = true;
        }
        if self.unflushed {
            match Pin::new(self.socket.get_mut()).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Err(Box::new(WsError::Io(e))),
                Poll::Pending => {}
            }
        }
        Ok(())
    }

    /// Starts a close handshake without waiting for it (the socket is dropped right after).
    pub(crate) fn close(mut self) {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let _ = Pin::new(&mut self.socket).poll_close(&mut cx);
    }
}

/// What the driver tells the core when the server closed the WebSocket (see
/// [`DisconnectReason::closed_by_server`](janus_proto::DisconnectReason::closed_by_server)).
pub(crate) fn closed_by_server(
    frame: Option<&tokio_tungstenite::tungstenite::protocol::CloseFrame>,
) -> String {
    let close = frame.map(|f| (u16::from(f.code), f.reason.as_str()));
    janus_proto::DisconnectReason::closed_by_server(close)
        .text()
        .to_owned()
}
