//! WebSocket: opening (the subprotocol the core names: `janus-protocol`, or `janus-admin-protocol`, rustls for `wss`), and one poll that
//! writes queued frames, flushes and reads, so that the driver's `select!` holds a single
//! borrow of the socket and loses nothing when the branch is not the one chosen.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
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

/// The socket, with the frames the core asked to send that it has not taken yet.
pub(crate) struct Ws {
    pub(crate) socket: Socket,
    out: VecDeque<Message>,
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
            out: VecDeque::new(),
            unflushed: false,
        }
    }

    pub(crate) fn queue(&mut self, text: String) {
        self.out.push_back(Message::text(text));
    }

    /// Writes what it can, flushes, and (when `read`) returns the next frame. A frame is
    /// taken from the queue only once the socket accepted it, so dropping the future that
    /// calls this loses nothing.
    pub(crate) fn poll_io(&mut self, cx: &mut Context<'_>, read: bool) -> Poll<WsIo> {
        let socket = Pin::new(&mut self.socket);
        if let Err(e) = write(socket, &mut self.out, &mut self.unflushed, cx) {
            return Poll::Ready(WsIo::Failed(e));
        }
        if !read {
            return Poll::Pending;
        }
        match Pin::new(&mut self.socket).poll_next(cx) {
            Poll::Ready(Some(Ok(m))) => Poll::Ready(WsIo::Frame(m)),
            Poll::Ready(Some(Err(e))) => Poll::Ready(WsIo::Failed(Box::new(e))),
            Poll::Ready(None) => Poll::Ready(WsIo::Failed(Box::new(WsError::ConnectionClosed))),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Starts a close handshake without waiting for it (the socket is dropped right after).
    pub(crate) fn close(mut self) {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let _ = Pin::new(&mut self.socket).poll_close(&mut cx);
    }
}

fn write(
    mut socket: Pin<&mut Socket>,
    out: &mut VecDeque<Message>,
    unflushed: &mut bool,
    cx: &mut Context<'_>,
) -> Result<(), Box<WsError>> {
    while !out.is_empty() {
        match socket.as_mut().poll_ready(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) => return Err(Box::new(e)),
            Poll::Pending => return Ok(()),
        }
        if let Some(m) = out.pop_front() {
            socket.as_mut().start_send(m).map_err(Box::new)?;
            *unflushed = true;
        }
    }
    if *unflushed {
        match socket.as_mut().poll_flush(cx) {
            Poll::Ready(Ok(())) => *unflushed = false,
            Poll::Ready(Err(e)) => return Err(Box::new(e)),
            Poll::Pending => {}
        }
    }
    Ok(())
}
