//! A tiny TCP relay between a client under test and Janus, so that a test can cut the
//! client's connections (a network failure as the client sees it, a closed transport as Janus
//! sees it) without touching Janus, and count the HTTP requests that went through.
//!
//! Plain threads and blocking sockets, so that tests of every adapter can use it.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread;

use crate::error::{HarnessError, Result};

/// Relays every connection made to [`TcpProxy::port`] on 127.0.0.1 to a target address.
///
/// Dropping it closes the listener and every relayed connection.
///
/// ```no_run
/// # fn main() -> Result<(), janus_tests::HarnessError> {
/// let janus = janus_tests::Janus::launch()?;
/// let proxy = janus_tests::TcpProxy::start(janus.ws_port())?;
/// let url = format!("ws://127.0.0.1:{}", proxy.port());
/// // ... connect a client to `url`, then:
/// proxy.cut(); // both sides see their connection reset; new connections are relayed again
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TcpProxy {
    port: u16,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    target: SocketAddr,
    /// Both sockets of every relayed connection, to shut them down on `cut`.
    live: Mutex<Vec<TcpStream>>,
    /// Request lines starting with `GET ` seen from clients.
    gets: AtomicUsize,
    accepted: AtomicUsize,
    stop: AtomicBool,
    /// While true, nothing from clients is passed on (it waits in the proxy).
    held: Mutex<bool>,
    released: Condvar,
    /// The next connection's opening request (through its blank line) passes, then
    /// everything is held ([`TcpProxy::hold_after_handshake`]).
    hold_after_header: AtomicBool,
    /// Client chunks waiting in the proxy now.
    waiting: AtomicUsize,
}

impl TcpProxy {
    /// Listens on a free port of 127.0.0.1 and relays to `127.0.0.1:target_port`.
    pub fn start(target_port: u16) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| HarnessError::io("binding the proxy", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| HarnessError::io("proxy address", e))?
            .port();
        let shared = Arc::new(Shared {
            target: SocketAddr::from(([127, 0, 0, 1], target_port)),
            live: Mutex::new(Vec::new()),
            gets: AtomicUsize::new(0),
            accepted: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            held: Mutex::new(false),
            released: Condvar::new(),
            hold_after_header: AtomicBool::new(false),
            waiting: AtomicUsize::new(0),
        });
        let accept = Arc::clone(&shared);
        thread::Builder::new()
            .name("tcp-proxy".into())
            .spawn(move || accept_loop(&listener, &accept))
            .map_err(|e| HarnessError::io("spawning the proxy", e))?;
        Ok(Self { port, shared })
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Shuts down every connection relayed so far, both towards the client and towards
    /// Janus. The proxy keeps listening: the next connection is relayed as usual.
    pub fn cut(&self) {
        let live = std::mem::take(&mut *self.shared.lock());
        for s in live {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Stops passing on what clients send (requests, frames): it waits in the proxy until
    /// [`TcpProxy::release`]. What Janus sends still reaches the clients.
    pub fn hold(&self) {
        *self
            .shared
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = true;
    }

    /// Lets the next connection's opening request through (an HTTP request or a WebSocket
    /// upgrade, up to its blank line), then holds as [`TcpProxy::hold`] does: what a
    /// reconnecting WebSocket client sends first after its handshake (a `claim`) waits in
    /// the proxy until [`TcpProxy::release`].
    pub fn hold_after_handshake(&self) {
        self.shared.hold_after_header.store(true, Ordering::SeqCst);
    }

    /// How many chunks from clients are waiting in the proxy now (held).
    pub fn waiting(&self) -> usize {
        self.shared.waiting.load(Ordering::SeqCst)
    }

    /// Passes on what [`TcpProxy::hold`] held, and everything after it.
    pub fn release(&self) {
        *self
            .shared
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = false;
        self.shared.released.notify_all();
    }

    /// How many HTTP `GET` requests clients sent through the proxy (long polls, for Janus).
    pub fn gets(&self) -> usize {
        self.shared.gets.load(Ordering::SeqCst)
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees `stop` and drops the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        self.release();
        self.cut();
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<TcpStream>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait_while_held(&self) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if !*held {
            return;
        }
        self.waiting.fetch_add(1, Ordering::SeqCst);
        while *held {
            held = self
                .released
                .wait(held)
                .unwrap_or_else(PoisonError::into_inner);
        }
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    /// Holds from now on (as [`TcpProxy::hold`]).
    fn hold(&self) {
        *self.held.lock().unwrap_or_else(PoisonError::into_inner) = true;
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        let Ok(upstream) = TcpStream::connect(shared.target) else {
            continue; // the client sees its connection closed, as if refused late
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        let _ = client.set_nodelay(true);
        let _ = upstream.set_nodelay(true);
        let clones = (
            client.try_clone(),
            upstream.try_clone(),
            client.try_clone(),
            upstream.try_clone(),
        );
        let (Ok(c2), Ok(u2), Ok(c3), Ok(u3)) = clones else {
            continue;
        };
        shared.lock().extend([c3, u3]);
        let up = Arc::clone(shared);
        let _ = thread::Builder::new()
            .name("tcp-proxy-up".into())
            .spawn(move || pump(client, upstream, Some(&up)));
        let _ = thread::Builder::new()
            .name("tcp-proxy-down".into())
            .spawn(move || pump(u2, c2, None));
    }
}

/// Copies `from` to `to` until either ends; then shuts both down. With `up` (the client to
/// Janus direction), counts request lines `GET /j..` (the long polls) and obeys `hold`.
fn pump(mut from: TcpStream, mut to: TcpStream, up: Option<&Shared>) {
    let mut buf = vec![0u8; 64 * 1024];
    // Whether this connection's opening request has passed, for `hold_after_handshake`.
    let mut header_passed = false;
    let result: io::Result<()> = (|| {
        loop {
            let n = from.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            let mut chunk = &buf[..n];
            if let Some(shared) = up {
                let gets = chunk.windows(6).filter(|w| w == b"GET /j").count();
                shared.gets.fetch_add(gets, Ordering::SeqCst);
                if !header_passed {
                    if let Some(end) = chunk.windows(4).position(|w| w == b"\r\n\r\n") {
                        header_passed = true;
                        if shared.hold_after_header.swap(false, Ordering::SeqCst) {
                            let (header, rest) = chunk.split_at(end + 4);
                            to.write_all(header)?;
                            chunk = rest;
                            shared.hold();
                        }
                    }
                }
                shared.wait_while_held();
            }
            to.write_all(chunk)?;
        }
    })();
    drop(result);
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
