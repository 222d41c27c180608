//! The driver task: owns the core, the WebSocket, the HTTP requests and the timer, and
//! waits for all of them in one `select!`. No protocol decision is made here: it moves
//! bytes, wakes the core on time and routes the core's events to their queues.

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use janus_proto::router::{Connected, Mailboxes, Offer, Router};
use janus_proto::{
    DisconnectReason, Event, HttpResponse, Input, Output, Reply, RequestError, RequestId,
    SessionId, Transmit,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{AbortHandle, JoinError, JoinSet};
use tokio_tungstenite::tungstenite::Message;
use tracing::{debug, warn};

use crate::Error;
use crate::http::{self, HttpResult};
use crate::queue::{DriverQueue, Room};
use crate::ws::{self, Socket, Ws, WsIo};

/// The connection now, shared by the driver and the public handles.
pub(crate) type SharedLink = janus_proto::router::Link;

/// An application request: the core's own [`janus_proto::Command`].
pub(crate) use janus_proto::Command as Op;

/// An application request and where its outcome goes.
pub(crate) struct Command {
    pub(crate) op: Op,
    pub(crate) reply: oneshot::Sender<Outcome>,
}

/// The end of a request, with the event queue of what it created (session or handle).
pub(crate) struct Outcome {
    pub(crate) result: Result<Reply, Error>,
    pub(crate) events: Option<DriverQueue>,
}

/// What `connect` waits for.
pub(crate) type Startup = Result<Connected, Error>;

/// What the application keeps of a spawned driver.
pub(crate) struct Spawned {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) releases: mpsc::UnboundedSender<SessionId>,
    pub(crate) link: SharedLink,
    pub(crate) client_events: DriverQueue,
    pub(crate) startup: oneshot::Receiver<Startup>,
}

/// What woke the driver.
enum Wake {
    Command(Command),
    /// The application let go of this session (its last `Session` and `Handle` dropped).
    Release(SessionId),
    /// Every `Client`, `Session` and `Handle` is gone: close (destroying what is left), end.
    Close,
    Ws(WsIo),
    /// Boxed: a socket is large, and most wakes are not this one.
    WsOpened(Result<Box<Socket>, String>),
    Http(Result<(tokio::task::Id, (RequestId, HttpResult)), JoinError>),
    /// A full queue has room again, or the deadline came: nothing to hand over.
    Nothing,
}

type Opening = Pin<Box<dyn Future<Output = Result<Box<Socket>, String>> + Send>>;

pub(crate) struct Driver {
    core: janus_proto::Client,
    commands: mpsc::Receiver<Command>,
    /// Unbounded: a `Drop` cannot wait, and there is at most one per session.
    releases: mpsc::UnboundedReceiver<SessionId>,
    /// `close` was called; `closed` once the core said `Closed`.
    closing: bool,
    closed: bool,
    tls: Arc<rustls::ClientConfig>,
    http: reqwest::Client,
    ws: Option<Ws>,
    opening: Option<Opening>,
    requests: JoinSet<(RequestId, HttpResult)>,
    request_tasks: HashMap<tokio::task::Id, RequestId>,
    aborts: HashMap<RequestId, AbortHandle>,
    router: Router<Boxes>,
    /// Rung when an event is taken from any of the router's queues.
    room: Arc<Room>,
}

impl Driver {
    /// Starts the driver task on the current tokio runtime.
    pub(crate) fn spawn(
        config: janus_proto::ClientConfig,
        roots: &crate::tls::Roots,
        cap: usize,
    ) -> Result<Spawned, Error> {
        let tls = Arc::new(roots.rustls()?);
        let http = roots.reqwest()?;
        let (commands_tx, commands) = mpsc::channel(cap.min(256));
        let (releases_tx, releases) = mpsc::unbounded_channel();
        let (startup_tx, startup_rx) = oneshot::channel();
        let link = SharedLink::default();
        let room = Arc::new(Room::default());
        let (router, client_events) = Router::new(Boxes {
            cap,
            room: Arc::clone(&room),
            link: link.clone(),
            startup: Some(startup_tx),
        });
        let now = Instant::now();
        let mut core = janus_proto::Client::new(config.seed_if_unset(os_seed()), now);
        core.connect(now);
        let driver = Self {
            core,
            commands,
            releases,
            closing: false,
            closed: false,
            tls,
            http,
            ws: None,
            opening: None,
            requests: JoinSet::new(),
            request_tasks: HashMap::new(),
            aborts: HashMap::new(),
            router,
            room,
        };
        tokio::spawn(driver.run());
        Ok(Spawned {
            commands: commands_tx,
            releases: releases_tx,
            link,
            client_events,
            startup: startup_rx,
        })
    }

    /// The loop: drain the core, wait for the first of (command, WebSocket, handshake, HTTP
    /// response, room in a full queue, deadline), hand it to the core, check the clock.
    /// When every `Client`, `Session` and `Handle` is gone (the command channel closes) the
    /// core closes (destroying the sessions left) and the loop ends at its `Closed`; the
    /// `JoinSet` then aborts the HTTP requests still running.
    async fn run(mut self) {
        let sleep = tokio::time::sleep(std::time::Duration::ZERO);
        tokio::pin!(sleep);
        loop {
            self.router.retry();
            let deadline = self.drain();
            if self.closed {
                break;
            }
            sleep
                .as_mut()
                .reset(tokio::time::Instant::from_std(deadline));
            // While a queue is full, nothing is read from the server (WebSocket frames,
            // handshakes and HTTP responses wait); commands and the timer go on.
            let paused = self.router.is_paused();
            let full = self.router.blocked_on().cloned();
            let (ws, opening, requests) = (&mut self.ws, &mut self.opening, &mut self.requests);
            let wake = tokio::select! {
                command = self.commands.recv(), if !self.closing => match command {
                    Some(c) => Wake::Command(c),
                    None => Wake::Close,
                },
                Some(session) = self.releases.recv() => Wake::Release(session),
                io = poll_fn(|cx| match ws.as_mut() {
                    Some(ws) => ws.poll_io(cx, !paused),
                    None => Poll::Pending,
                }) => Wake::Ws(io),
                opened = poll_fn(|cx| match opening.as_mut() {
                    Some(f) => f.as_mut().poll(cx),
                    None => Poll::Pending,
                }), if !paused => Wake::WsOpened(opened),
                Some(done) = requests.join_next_with_id(), if !paused && !requests.is_empty() => {
                    Wake::Http(done)
                }
                () = self.room.wait(full.as_ref()), if full.is_some() => Wake::Nothing,
                () = &mut sleep => Wake::Nothing,
            };
            self.on_wake(wake);
            // The deadline is checked against the clock, not trusted from the timer.
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
                Output::Event(Event::Closed) => self.closed = true,
                Output::Event(e) => self.router.deliver(e),
                Output::Timeout(at) => return at,
            }
        }
    }

    fn on_wake(&mut self, wake: Wake) {
        let now = Instant::now();
        match wake {
            Wake::Command(c) => self.command(c),
            Wake::Release(s) => self.core.release_session(now, s),
            Wake::Close => {
                // Releases sent by the last drops come first (close would do them anyway).
                while let Ok(s) = self.releases.try_recv() {
                    self.core.release_session(now, s);
                }
                self.closing = true;
                self.core.close(now);
            }
            Wake::Ws(WsIo::Frame(Message::Text(text))) => {
                self.core.handle_input(Input::Frame(now, text.as_str()));
            }
            Wake::Ws(WsIo::Frame(Message::Close(frame))) => {
                self.ws_failed(&ws::closed_by_server(frame.as_ref()));
            }
            // Pings are answered by tungstenite; Janus sends no binary frames.
            Wake::Ws(WsIo::Frame(_)) => {}
            Wake::Ws(WsIo::Failed(e)) => self.ws_failed(&e.to_string()),
            Wake::WsOpened(result) => {
                self.opening = None;
                match result {
                    Ok(socket) => {
                        self.ws = Some(Ws::new(*socket));
                        self.core.handle_input(Input::Opened(now));
                    }
                    Err(why) => self.core.handle_input(Input::Closed(now, &why)),
                }
            }
            Wake::Http(Ok((task, (id, result)))) => {
                self.request_tasks.remove(&task);
                self.aborts.remove(&id);
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
            Wake::Http(Err(e)) => {
                // Aborted (cancelled by the core: already forgotten) or panicked.
                if let Some(id) = self.request_tasks.remove(&e.id()) {
                    self.aborts.remove(&id);
                    self.core
                        .handle_input(Input::HttpFailed(now, id, &e.to_string()));
                }
            }
            Wake::Nothing => {}
        }
    }

    fn command(&mut self, c: Command) {
        let now = Instant::now();
        match self.core.execute(now, c.op) {
            Ok(tx) => self.router.wait(tx, c.reply),
            Err(e) => {
                let _ = c.reply.send(Outcome {
                    result: Err(Error::Local(e)),
                    events: None,
                });
            }
        }
    }

    fn transmit(&mut self, t: Transmit) {
        match t {
            Transmit::Connect { url, protocol, .. } => {
                self.close_ws();
                // Replaces (and so cancels) any handshake still running.
                let max = self.core.config().message_size_limit().saturating_add(1);
                let open = ws::open(url, protocol, Arc::clone(&self.tls), max);
                self.opening = Some(Box::pin(open));
            }
            Transmit::Ws(text) => match self.ws.as_mut() {
                Some(ws) => ws.queue(text),
                None => warn!("frame for a closed websocket dropped"),
            },
            Transmit::Http(req) => {
                let base = self.core.config().servers()[req.server].url.clone();
                let max = self.core.config().message_size_limit().saturating_add(1);
                let id = req.id;
                let abort = self
                    .requests
                    .spawn(http::perform(self.http.clone(), base, req, max));
                self.request_tasks.insert(abort.id(), id);
                self.aborts.insert(id, abort);
            }
            Transmit::Cancel(id) => {
                if let Some(abort) = self.aborts.remove(&id) {
                    self.request_tasks.remove(&abort.id());
                    abort.abort();
                }
            }
            Transmit::Disconnect => {
                self.close_ws();
                self.opening = None;
            }
        }
    }

    fn ws_failed(&mut self, why: &str) {
        if self.ws.is_none() {
            return;
        }
        self.close_ws();
        self.core.handle_input(Input::Closed(Instant::now(), why));
    }

    fn close_ws(&mut self) {
        if let Some(ws) = self.ws.take() {
            ws.close();
        }
    }
}

// ------------------------------------------------------------------ event routing

/// This adapter's queues for the core's [`Router`]: bounded `flume` channels (see
/// [`crate::queue`]).
pub(crate) struct Boxes {
    cap: usize,
    /// Rung by the readers of every queue made here.
    room: Arc<Room>,
    link: SharedLink,
    startup: Option<oneshot::Sender<Startup>>,
}

impl Mailboxes for Boxes {
    type Queue = flume::Sender<Event>;
    type Events = DriverQueue;
    type Waiter = oneshot::Sender<Outcome>;

    fn queue(&mut self) -> (Self::Queue, Self::Events) {
        DriverQueue::new(self.cap, &self.room)
    }

    fn offer(queue: &Self::Queue, event: Event) -> Offer {
        match queue.try_send(event) {
            Ok(()) => Offer::Taken,
            Err(flume::TrySendError::Full(e)) => Offer::Full(e),
            Err(flume::TrySendError::Disconnected(_)) => Offer::Closed,
        }
    }

    fn complete(
        &mut self,
        waiter: Self::Waiter,
        result: Result<Reply, RequestError>,
        events: Option<Self::Events>,
    ) {
        let _ = waiter.send(Outcome {
            result: result.map_err(Error::Request),
            events,
        });
    }

    fn started(&mut self, result: Result<Connected, DisconnectReason>) {
        if let Some(tx) = self.startup.take() {
            let _ = tx.send(result.map_err(|r| Error::Unreachable(format!("{r:?}"))));
        }
    }

    fn connection(&mut self, now: Option<&Connected>) {
        self.link.update(now);
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
