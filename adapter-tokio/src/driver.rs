//! The driver task: owns the core, the WebSocket, the HTTP requests and the timer, and
//! waits for all of them in one `select!`. No protocol decision is made here: it moves
//! bytes, wakes the core on time and routes the core's events to their queues.

use std::collections::{HashMap, VecDeque};
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use janus_proto::{
    Event, HandleRef, HttpResponse, Input, Output, Reply, RequestId, Route, ServerInfo, SessionId,
    TransactionId, Transmit, TransportKind,
};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{AbortHandle, JoinError, JoinSet};
use tokio_tungstenite::tungstenite::Message;
use tracing::{debug, warn};

use crate::Error;
use crate::http::{self, HttpResult};
use crate::ws::{self, Socket, Ws, WsIo};

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
    pub(crate) events: Option<mpsc::Receiver<Event>>,
}

/// The server the client connected to.
#[derive(Debug, Clone)]
pub(crate) struct Connected {
    pub(crate) server: usize,
    pub(crate) url: String,
    pub(crate) transport: TransportKind,
    pub(crate) info: Box<ServerInfo>,
}

/// What `connect` waits for.
pub(crate) type Startup = Result<Connected, Error>;

/// What the application keeps of a spawned driver.
pub(crate) struct Spawned {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) client_events: mpsc::Receiver<Event>,
    pub(crate) startup: oneshot::Receiver<Startup>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    Client,
    Session(SessionId),
    Handle(HandleRef),
}

/// What woke the driver.
enum Wake {
    Command(Command),
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
    tls: Arc<rustls::ClientConfig>,
    http: reqwest::Client,
    ws: Option<Ws>,
    opening: Option<Opening>,
    requests: JoinSet<(RequestId, HttpResult)>,
    request_tasks: HashMap<tokio::task::Id, RequestId>,
    aborts: HashMap<RequestId, AbortHandle>,
    cap: usize,
    waiting: HashMap<TransactionId, oneshot::Sender<Outcome>>,
    client_events: mpsc::Sender<Event>,
    queues: HashMap<Target, mpsc::Sender<Event>>,
    backlog: VecDeque<(Target, Event)>,
    startup: Option<oneshot::Sender<Startup>>,
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
        let (client_tx, client_rx) = mpsc::channel(cap);
        let (startup_tx, startup_rx) = oneshot::channel();
        let now = Instant::now();
        let mut core = janus_proto::Client::new(config.seed_if_unset(os_seed()), now);
        core.connect(now);
        let driver = Self {
            core,
            commands,
            tls,
            http,
            ws: None,
            opening: None,
            requests: JoinSet::new(),
            request_tasks: HashMap::new(),
            aborts: HashMap::new(),
            cap,
            waiting: HashMap::new(),
            client_events: client_tx,
            queues: HashMap::new(),
            backlog: VecDeque::new(),
            startup: Some(startup_tx),
        };
        tokio::spawn(driver.run());
        Ok(Spawned {
            commands: commands_tx,
            client_events: client_rx,
            startup: startup_rx,
        })
    }

    /// The loop: drain the core, wait for the first of (command, WebSocket, handshake, HTTP
    /// response, room in a full queue, deadline), hand it to the core, check the clock.
    /// Ends when every `Client`, `Session` and `Handle` is gone (the command channel closes);
    /// its `JoinSet` then aborts the HTTP requests still running.
    async fn run(mut self) {
        let sleep = tokio::time::sleep(std::time::Duration::ZERO);
        tokio::pin!(sleep);
        loop {
            self.retry_backlog();
            let deadline = self.drain();
            sleep
                .as_mut()
                .reset(tokio::time::Instant::from_std(deadline));
            // While a queue is full, nothing is read from the server (WebSocket frames,
            // handshakes and HTTP responses wait); commands and the timer go on.
            let paused = !self.backlog.is_empty();
            let full = self
                .backlog
                .front()
                .and_then(|(t, _)| self.sender(*t).cloned());
            let (ws, opening, requests) = (&mut self.ws, &mut self.opening, &mut self.requests);
            let wake = tokio::select! {
                command = self.commands.recv() => match command {
                    Some(c) => Wake::Command(c),
                    None => break,
                },
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
                () = room(full.as_ref()), if full.is_some() => Wake::Nothing,
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
                Output::Event(e) => self.deliver(e),
                Output::Timeout(at) => return at,
            }
        }
    }

    fn on_wake(&mut self, wake: Wake) {
        let now = Instant::now();
        match wake {
            Wake::Command(c) => self.command(c),
            Wake::Ws(WsIo::Frame(Message::Text(text))) => {
                self.core.handle_input(Input::Frame(now, text.as_str()));
            }
            Wake::Ws(WsIo::Frame(Message::Close(_))) => self.ws_failed("closed by the server"),
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
            Ok(tx) => {
                self.waiting.insert(tx, c.reply);
            }
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
            Transmit::Connect { url, .. } => {
                self.close_ws();
                // Replaces (and so cancels) any handshake still running.
                self.opening = Some(Box::pin(ws::open(url, Arc::clone(&self.tls))));
            }
            Transmit::Ws(text) => match self.ws.as_mut() {
                Some(ws) => ws.queue(text),
                None => warn!("frame for a closed websocket dropped"),
            },
            Transmit::Http(req) => {
                let base = self.core.config().servers()[req.server].url.clone();
                let id = req.id;
                let abort = self
                    .requests
                    .spawn(http::perform(self.http.clone(), base, req));
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

    // ------------------------------------------------------------------ event routing

    fn sender(&self, target: Target) -> Option<&mpsc::Sender<Event>> {
        match target {
            Target::Client => Some(&self.client_events),
            t => self.queues.get(&t),
        }
    }

    fn deliver(&mut self, e: Event) {
        let target = match e.route() {
            Route::Transaction(tx) => {
                let tx = tx.clone();
                return self.complete(&tx, e);
            }
            Route::Client => Target::Client,
            Route::Session(s) => Target::Session(s),
            Route::Handle(h) if self.queues.contains_key(&Target::Handle(h)) => Target::Handle(h),
            // A handle nobody listens to (adopted after a claim): its session hears it.
            Route::Handle(h) => Target::Session(h.session),
        };
        if target == Target::Client {
            self.startup_event(&e);
        }
        if self.backlog.is_empty() {
            self.send_to(target, e);
        } else {
            self.backlog.push_back((target, e));
        }
    }

    fn startup_event(&mut self, e: &Event) {
        let result = match e {
            Event::Connected {
                server,
                url,
                transport,
                info,
            } => Ok(Connected {
                server: *server,
                url: url.clone(),
                transport: *transport,
                info: info.clone(),
            }),
            Event::Disconnected { reason } => Err(Error::Unreachable(format!("{reason:?}"))),
            _ => return,
        };
        if let Some(tx) = self.startup.take() {
            let _ = tx.send(result);
        }
    }

    /// Hands an event to its queue; on a full queue it waits in the backlog and reading
    /// pauses. `false` if it went to the backlog.
    fn send_to(&mut self, target: Target, e: Event) -> bool {
        let closes = matches!(
            (&target, &e),
            (Target::Handle(_), Event::Detached { .. })
                | (Target::Session(_), Event::SessionLost { .. })
        );
        let Some(sender) = self.sender(target) else {
            return true;
        };
        match sender.try_send(e) {
            Ok(()) => {}
            Err(TrySendError::Full(e)) => {
                self.backlog.push_back((target, e));
                return false;
            }
            Err(TrySendError::Closed(_)) => {
                if target != Target::Client {
                    self.queues.remove(&target);
                }
            }
        }
        if closes {
            self.close_queues(target);
        }
        true
    }

    fn close_queues(&mut self, target: Target) {
        match target {
            Target::Handle(h) => {
                self.queues.remove(&Target::Handle(h));
            }
            Target::Session(s) => self.queues.retain(|t, _| match t {
                Target::Session(x) => *x != s,
                Target::Handle(h) => h.session != s,
                Target::Client => true,
            }),
            Target::Client => {}
        }
    }

    fn retry_backlog(&mut self) {
        while let Some((target, e)) = self.backlog.pop_front() {
            if !self.send_to(target, e) {
                // Still full: put it back in front, keep the order.
                if let Some(last) = self.backlog.pop_back() {
                    self.backlog.push_front(last);
                }
                return;
            }
        }
    }

    fn complete(&mut self, tx: &TransactionId, e: Event) {
        let Event::Completed { result, .. } = e else {
            return;
        };
        let Some(reply) = self.waiting.remove(tx) else {
            return;
        };
        // The queue exists before the caller hears of the session or handle: no event lost.
        let mut events = None;
        match &result {
            Ok(Reply::SessionCreated(s) | Reply::SessionClaimed(s)) => {
                let (q, rx) = mpsc::channel(self.cap);
                self.queues.insert(Target::Session(*s), q);
                events = Some(rx);
            }
            Ok(Reply::Attached(h)) => {
                let (q, rx) = mpsc::channel(self.cap);
                self.queues.insert(Target::Handle(*h), q);
                events = Some(rx);
            }
            Ok(Reply::SessionDestroyed(s)) => self.close_queues(Target::Session(*s)),
            _ => {}
        }
        let _ = reply.send(Outcome {
            result: result.map_err(Error::Request),
            events,
        });
    }
}

/// Resolves once `queue` has room (or is closed); never without a queue.
async fn room(queue: Option<&mpsc::Sender<Event>>) {
    match queue {
        // The permit is dropped at once: only the driver sends, so the room stays.
        Some(q) => drop(q.reserve().await),
        None => std::future::pending().await,
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
