//! The driver thread: owns the core, the WebSocket and the timer; waits in one `mio` poll
//! for the socket, a waker (commands, HTTP results, handshakes) and the core's deadline.
//! No protocol decision is made here: it moves bytes and routes the core's events.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use janus_proto::router::{Connected, Mailboxes, Offer, Router};
use janus_proto::{
    DisconnectReason, Event, HttpResponse, Input, Output, Reply, RequestError, Transmit,
};
use mio::unix::SourceFd;
use mio::{Interest, Poll, Token};
use tracing::{debug, error, warn};

use crate::Error;
use crate::client::Events;
/// The connection now, shared by the driver and the public handles.
pub(crate) type SharedLink = janus_proto::router::Link;
use crate::http::{Http, HttpResult};
use crate::ws::{self, Socket};

const WAKER: Token = Token(0);
const WS: Token = Token(1);
/// The HTTP connections' tokens start here.
const HTTP: usize = 2;

/// Something for the driver: from the application, a worker thread or a handshake.
pub(crate) enum Wake {
    Cmd(Command),
    WsOpened(u64, Box<Socket>),
    WsFailed(u64, String),
    Http(janus_proto::RequestId, HttpResult),
    /// The application let go of this session (its last `Session` and `Handle` dropped).
    Release(janus_proto::SessionId),
    /// Every `Client`, `Session` and `Handle` is gone: close (destroying what is left), end.
    Shutdown,
}

/// Sends to the driver and wakes its poll.
#[derive(Clone)]
pub(crate) struct WakeTx {
    tx: Sender<Wake>,
    waker: Arc<mio::Waker>,
}

impl WakeTx {
    /// `false` once the driver is gone.
    pub(crate) fn send(&self, w: Wake) -> bool {
        let ok = self.tx.send(w).is_ok();
        let _ = self.waker.wake();
        ok
    }
}

/// An application request: the core's own [`janus_proto::Command`].
pub(crate) use janus_proto::Command as Op;

pub(crate) struct Command {
    pub(crate) op: Op,
    pub(crate) reply: SyncSender<Outcome>,
}

/// The end of a request, with the event queue of what it created (session or handle).
pub(crate) struct Outcome {
    pub(crate) result: Result<Reply, Error>,
    pub(crate) events: Option<Events>,
}

/// What `connect` waits for.
pub(crate) type Startup = Result<Connected, Error>;

pub(crate) struct Driver {
    core: janus_proto::Client,
    poll: Poll,
    rx: Receiver<Wake>,
    wake: WakeTx,
    tls: Arc<rustls::ClientConfig>,
    http: Http,
    ws: Option<ws::Ws>,
    ws_generation: u64,
    ws_unread: bool,
    router: Router<Boxes>,
    room: Arc<Room>,
    /// Socket news that came while the router was paused; handed over once it is not.
    deferred: VecDeque<Wake>,
    stop: bool,
}

pub(crate) struct Spawned {
    pub(crate) wake: WakeTx,
    pub(crate) client_events: Events,
    pub(crate) link: SharedLink,
    pub(crate) startup: Receiver<Startup>,
}

impl Driver {
    pub(crate) fn spawn(
        config: janus_proto::ClientConfig,
        roots: &crate::tls::Roots,
        cap: usize,
    ) -> Result<Spawned, Error> {
        let poll = Poll::new().map_err(|e| Error::Unreachable(e.to_string()))?;
        let waker = Arc::new(
            mio::Waker::new(poll.registry(), WAKER)
                .map_err(|e| Error::Unreachable(e.to_string()))?,
        );
        let (tx, rx) = std::sync::mpsc::channel();
        let room = Arc::new(Room {
            paused: AtomicBool::new(false),
            waker: Arc::clone(&waker),
        });
        let wake = WakeTx { tx, waker };
        let (startup_tx, startup_rx) = sync_channel(1);
        let link = SharedLink::default();
        let (router, client_events) = Router::new(Boxes {
            cap,
            link: link.clone(),
            room: Arc::clone(&room),
            startup: Some(startup_tx),
        });
        let now = Instant::now();
        let mut core = janus_proto::Client::new(config.seed_if_unset(os_seed()), now);
        core.connect(now);
        let tls = roots.rustls()?;
        let driver = Self {
            core,
            poll,
            rx,
            wake: wake.clone(),
            http: Http::new(Arc::clone(&tls), HTTP),
            tls,
            ws: None,
            ws_generation: 0,
            ws_unread: false,
            router,
            room,
            deferred: VecDeque::new(),
            stop: false,
        };
        std::thread::Builder::new()
            .name("janus-driver".into())
            .spawn(move || driver.run())
            .map_err(|e| Error::Unreachable(e.to_string()))?;
        Ok(Spawned {
            wake,
            client_events,
            link,
            startup: startup_rx,
        })
    }

    fn run(mut self) {
        let mut events = mio::Events::with_capacity(16);
        while !self.stop {
            let deadline = self.settle();
            if self.stop {
                break;
            }
            // Frames left unread when a full queue paused reading raise no new readiness.
            let wake_at = self.http.deadline().map_or(deadline, |h| h.min(deadline));
            let timeout = if self.ws_unread && !self.paused() {
                Duration::ZERO
            } else {
                wake_at.saturating_duration_since(Instant::now())
            };
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() != ErrorKind::Interrupted {
                    error!(error = %e, "poll failed; driver stops");
                    break;
                }
            }
            let mut ws_writable = false;
            let mut http_ready = Vec::new();
            for e in &events {
                if e.token() == WS {
                    self.ws_unread |= e.is_readable() || e.is_read_closed() || e.is_error();
                    ws_writable |= e.is_writable();
                } else if e.token() != WAKER {
                    http_ready.push(e.token());
                }
            }
            while let Ok(w) = self.rx.try_recv() {
                self.on_wake(w);
            }
            // An answer read while a queue is full waits in `deferred`, as any other wake.
            for token in http_ready {
                if let Some((id, result)) = self.http.ready(self.poll.registry(), token) {
                    self.on_wake(Wake::Http(id, result));
                }
            }
            for (id, result) in self.http.expire(self.poll.registry(), Instant::now()) {
                self.on_wake(Wake::Http(id, result));
            }
            if ws_writable {
                self.flush_ws();
            }
            self.read_ws();
            // The deadline is checked against the clock, not trusted from the poll's return.
            let now = Instant::now();
            if now >= deadline {
                self.core.handle_timeout(now);
            }
        }
        debug!("driver ends");
    }

    /// Drains the core: performs transmits, routes events; returns the next deadline.
    fn drain(&mut self) -> Instant {
        loop {
            match self.core.poll_output() {
                Output::Transmit(t) => self.transmit(t),
                Output::Event(Event::Closed) => self.stop = true,
                Output::Event(e) => self.router.deliver(e),
                Output::Timeout(at) => {
                    // Every frame of this drain in one write: 50 requests sent together
                    // cost one syscall here and one read in Janus, not 50 each.
                    self.flush_ws();
                    return at;
                }
            }
        }
    }

    /// Drains the core and hands over what waited, until nothing moves; returns the next
    /// deadline. While a queue stays full, the readers are asked to wake the poll.
    fn settle(&mut self) -> Instant {
        loop {
            let deadline = self.drain();
            if !self.router.retry() {
                self.room.paused.store(false, Ordering::SeqCst);
                match self.deferred.pop_front() {
                    Some(w) => self.on_wake(w),
                    None => return deadline,
                }
                continue;
            }
            self.room.paused.store(true, Ordering::SeqCst);
            // A reader may have made room before it could see the flag: look once more.
            if self.router.retry() {
                return deadline;
            }
        }
    }

    fn paused(&self) -> bool {
        self.router.is_paused()
    }

    fn on_wake(&mut self, w: Wake) {
        match w {
            Wake::Cmd(c) => self.command(c),
            Wake::Release(s) => self.core.release_session(Instant::now(), s),
            // The driver ends once the core says `Closed`.
            Wake::Shutdown => self.core.close(Instant::now()),
            w if self.paused() => self.deferred.push_back(w),
            Wake::WsOpened(generation, sock) => {
                if generation != self.ws_generation {
                    return;
                }
                let mut sock = *sock;
                if let Some(fd) = ws::raw_fd(&sock) {
                    let r = self.poll.registry().register(
                        &mut SourceFd(&fd),
                        WS,
                        Interest::READABLE | Interest::WRITABLE,
                    );
                    if let Err(e) = r {
                        let _ = sock.close(None);
                        let _ = sock.flush();
                        self.core
                            .handle_input(Input::Closed(Instant::now(), &e.to_string()));
                        return;
                    }
                }
                self.ws = Some(ws::Ws::new(sock));
                self.ws_unread = true;
                self.core.handle_input(Input::Opened(Instant::now()));
            }
            Wake::WsFailed(generation, why) => {
                if generation == self.ws_generation {
                    self.core.handle_input(Input::Closed(Instant::now(), &why));
                }
            }
            Wake::Http(id, result) => {
                let now = Instant::now();
                match &result {
                    Ok((status, body)) => self.core.handle_input(Input::HttpResponse(
                        now,
                        id,
                        HttpResponse {
                            status: *status,
                            body,
                        },
                    )),
                    Err(why) => self.core.handle_input(Input::HttpFailed(now, id, why)),
                }
            }
        }
    }

    fn command(&mut self, c: Command) {
        let now = Instant::now();
        match self.core.execute(now, c.op) {
            Ok(tx) => self.router.wait(tx, c.reply),
            Err(e) => {
                let _ = c.reply.try_send(Outcome {
                    result: Err(Error::Local(e)),
                    events: None,
                });
            }
        }
    }

    fn transmit(&mut self, t: Transmit) {
        match t {
            Transmit::Connect {
                url,
                protocol,
                timeout,
                ..
            } => {
                self.close_ws();
                self.ws_generation += 1;
                let max_message = self.core.config().message_size_limit().saturating_add(1);
                ws::connect(
                    ws::Open {
                        url,
                        protocol,
                        tls: Arc::clone(&self.tls),
                        timeout,
                        max_message,
                    },
                    self.ws_generation,
                    self.wake.clone(),
                );
            }
            Transmit::Ws(text) => {
                let Some(sock) = self.ws.as_mut() else {
                    warn!("frame for a closed websocket dropped");
                    return;
                };
                // Written at the end of the drain (`flush_ws`), with the others queued.
                sock.queue(text);
            }
            Transmit::Http(req) => {
                let config = self.core.config();
                let base = config.servers()[req.server].url.clone();
                let max_body = config.message_size_limit().saturating_add(1);
                let now = Instant::now();
                if let Some(result) =
                    self.http
                        .send(self.poll.registry(), &base, &req, max_body, now)
                {
                    // Known at once (a bad URL, no route): handed over after this drain.
                    self.deferred.push_back(Wake::Http(req.id, result));
                }
            }
            Transmit::Cancel(id) => self.http.cancel(self.poll.registry(), id),
            Transmit::Disconnect => {
                self.close_ws();
                // A handshake still running on its thread is abandoned: its result is stale.
                self.ws_generation += 1;
            }
        }
    }

    fn flush_ws(&mut self) {
        if let Some(sock) = self.ws.as_mut() {
            match sock.flush().map_err(|e| *e) {
                Ok(()) => {}
                // The rest goes when the socket is writable; reading is not affected.
                Err(tungstenite::Error::Io(e)) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => self.ws_failed(&e),
            }
        }
    }

    fn read_ws(&mut self) {
        if !self.ws_unread || self.paused() {
            return;
        }
        loop {
            let Some(sock) = self.ws.as_mut() else { return };
            // Our frame is half written: reading now could put a pong inside it. The
            // writable event that finishes it comes back here (`ws_unread` stays set).
            if !sock.may_read() {
                return;
            }
            match sock.socket.read() {
                Ok(tungstenite::Message::Text(text)) => {
                    self.core
                        .handle_input(Input::Frame(Instant::now(), text.as_str()));
                    if self.paused() {
                        return;
                    }
                    // Route as we go so that a full queue pauses reading at once.
                    let _ = self.drain();
                }
                Ok(tungstenite::Message::Close(frame)) => {
                    self.ws_lost(&ws::closed_by_server(frame.as_ref()));
                    return;
                }
                Ok(_) => {}
                Err(e) => {
                    self.ws_failed(&e);
                    return;
                }
            }
        }
    }

    fn ws_failed(&mut self, e: &tungstenite::Error) {
        if let tungstenite::Error::Io(io) = e {
            if io.kind() == ErrorKind::WouldBlock {
                self.ws_unread = false;
                return;
            }
        }
        self.ws_lost(&e.to_string());
    }

    /// The WebSocket is gone (`why` is for logs and `DisconnectReason::Dropped`).
    fn ws_lost(&mut self, why: &str) {
        if self.ws.is_none() {
            return;
        }
        self.close_ws();
        self.core.handle_input(Input::Closed(Instant::now(), why));
    }

    fn close_ws(&mut self) {
        if let Some(sock) = self.ws.take() {
            if let Some(fd) = ws::raw_fd(&sock.socket) {
                let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
            }
            sock.close();
        }
        self.ws_unread = false;
    }
}

// ------------------------------------------------------------------ event routing

/// This adapter's queues for the core's [`Router`]: bounded `flume` channels, which
/// allocate only for the events they hold (std's `sync_channel(n)` allocates all n slots
/// when made: 1024 events of ~160 bytes for every session and handle by default).
pub(crate) struct Boxes {
    cap: usize,
    link: SharedLink,
    room: Arc<Room>,
    startup: Option<SyncSender<Startup>>,
}

/// The driver's end of an event queue, with the bell its reader may hang there.
pub(crate) struct Outbox {
    tx: flume::Sender<Event>,
    bell: Arc<Bell>,
}

impl Drop for Outbox {
    fn drop(&mut self) {
        // The queue closes (handle detached, session gone): a reader waiting in its poll
        // learns it only when woken, and a closed connection has no deadline to wake it.
        // The sender goes first: rung while it still lived, the reader could look, find the
        // queue merely empty, and sleep for good (fields drop only after this function).
        drop(std::mem::replace(&mut self.tx, flume::bounded(0).0));
        self.bell.ring();
    }
}

impl Mailboxes for Boxes {
    type Queue = Outbox;
    type Events = Events;
    type Waiter = SyncSender<Outcome>;

    fn queue(&mut self) -> (Outbox, Events) {
        let (tx, rx) = flume::bounded(self.cap);
        let bell = Arc::new(Bell::default());
        let outbox = Outbox {
            tx,
            bell: Arc::clone(&bell),
        };
        (outbox, Events::new(rx, Arc::clone(&self.room), bell))
    }

    fn offer(queue: &Outbox, event: Event) -> Offer {
        match queue.tx.try_send(event) {
            Ok(()) => {
                queue.bell.ring();
                Offer::Taken
            }
            Err(flume::TrySendError::Full(e)) => Offer::Full(e),
            Err(flume::TrySendError::Disconnected(_)) => Offer::Closed,
        }
    }

    fn complete(
        &mut self,
        waiter: Self::Waiter,
        result: Result<Reply, RequestError>,
        events: Option<Events>,
    ) {
        let _ = waiter.try_send(Outcome {
            result: result.map_err(Error::Request),
            events,
        });
    }

    fn started(&mut self, result: Result<Connected, DisconnectReason>) {
        if let Some(tx) = self.startup.take() {
            let _ = tx.try_send(result.map_err(|r| Error::Unreachable(format!("{r:?}"))));
        }
    }

    fn connection(&mut self, now: Option<&Connected>) {
        self.link.update(now);
    }
}

/// How the driver wakes a reader that waits in a `mio` poll rather than on the queue (a
/// handle's connection thread, which waits for its socket too): the reader hangs its
/// waker here once, the driver rings it for every event queued.
#[derive(Debug, Default)]
pub(crate) struct Bell(std::sync::OnceLock<Arc<mio::Waker>>);

impl Bell {
    /// Hangs the reader's waker (once; a later one is ignored).
    pub(crate) fn hang(&self, waker: Arc<mio::Waker>) {
        let _ = self.0.set(waker);
    }

    fn ring(&self) {
        if let Some(w) = self.0.get() {
            let _ = w.wake();
        }
    }
}

/// How a reader tells a paused driver that a queue has room: the channels cannot be waited
/// on for capacity, so every read while the driver is paused wakes its poll.
#[derive(Debug)]
pub(crate) struct Room {
    paused: AtomicBool,
    waker: Arc<mio::Waker>,
}

impl Room {
    /// Called after an event was taken from a queue.
    pub(crate) fn taken(&self) {
        if self.paused.load(Ordering::SeqCst) {
            let _ = self.waker.wake();
        }
    }
}

/// Entropy for transaction ids (the core draws none of its own): std's OS-seeded hasher
/// keys, mixed with the clock. Used only when the application fixed no seed.
fn os_seed() -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    h.write_u128(since.as_nanos());
    h.finish()
}
