//! The public face: `Client`, `Session`, `Handle` and their `Events`. Every call blocks
//! until Janus answers (or the core's deadline passes); events wait in bounded queues.

use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use janus_proto::plugin::PluginRequest;
use janus_proto::router::Connected;
use janus_proto::{
    ClientConfig, Event, HandleRef, Jsep, PluginReply, Reply, ServerInfo, SessionId, TransportKind,
    Trickle,
};
use serde_json::Value;

use crate::Error;
use crate::driver::{Command, Driver, Op, Outcome, Room, SharedLink, Wake, WakeTx};
use crate::tls::Roots;

/// Events of a client, a session or a handle, in the order Janus sent them.
///
/// The queue is bounded ([`Builder::event_capacity`]): while it is full the client stops
/// reading from the server (timers and calls go on), so nothing is dropped. Drain it.
#[derive(Debug)]
pub struct Events {
    // A mutex so that handles can be shared between threads; one reader at a time.
    rx: Mutex<Receiver<Event>>,
    room: Arc<Room>,
}

impl Events {
    pub(crate) fn new(rx: Receiver<Event>, room: Arc<Room>) -> Self {
        Self {
            rx: Mutex::new(rx),
            room,
        }
    }

    /// Tells a paused driver that this queue has room again.
    fn taken(&self, e: Result<Event, Error>) -> Result<Event, Error> {
        if e.is_ok() {
            self.room.taken();
        }
        e
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Receiver<Event>> {
        // A reader that panicked left the queue intact: keep using it.
        self.rx
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next event; `Err(Error::Closed)` once the queue's owner is gone (detached
    /// handle, lost or destroyed session, closed client) and every event was read.
    pub fn recv(&self) -> Result<Event, Error> {
        self.taken(self.lock().recv().map_err(|_| Error::Closed))
    }

    /// The next event within `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Event, Error> {
        self.taken(self.lock().recv_timeout(timeout).map_err(|e| match e {
            RecvTimeoutError::Timeout => Error::Timeout,
            RecvTimeoutError::Disconnected => Error::Closed,
        }))
    }

    /// The next event if one is queued.
    pub fn try_recv(&self) -> Result<Option<Event>, Error> {
        match self.lock().try_recv() {
            Ok(e) => self.taken(Ok(e)).map(Some),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(Error::Closed),
        }
    }

    /// Waits (up to `timeout`) for the first event that `pick` maps to `Some`, skipping others.
    pub fn wait_for<T>(
        &self,
        timeout: Duration,
        mut pick: impl FnMut(Event) -> Option<T>,
    ) -> Result<T, Error> {
        let until = std::time::Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            if let Some(t) = pick(self.recv_timeout(left)?) {
                return Ok(t);
            }
        }
    }
}

/// How to build a [`Client`].
#[derive(Debug)]
pub struct Builder {
    config: ClientConfig,
    roots: Roots,
    cap: usize,
}

impl Builder {
    /// Trusts the certificates of this PEM (e.g. a test CA) instead of the web PKI.
    pub fn add_root_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.roots.add_pem(pem)?;
        Ok(self)
    }

    /// Capacity of each event queue (default 1024).
    #[must_use]
    pub fn event_capacity(mut self, n: usize) -> Self {
        self.cap = n.max(1);
        self
    }

    /// Connects to the first server of the list that answers, and returns once one did.
    pub fn connect(self) -> Result<Client, Error> {
        let spawned = Driver::spawn(self.config, &self.roots, self.cap)?;
        spawned.startup.recv().map_err(|_| Error::Closed)??;
        let inner = Arc::new(Inner { wake: spawned.wake });
        Ok(Client {
            inner,
            events: Arc::new(spawned.client_events),
            link: spawned.link,
        })
    }
}

struct Inner {
    wake: WakeTx,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.wake.send(Wake::Shutdown);
    }
}

impl Inner {
    fn call(&self, op: Op) -> Result<Outcome, Error> {
        let (reply, rx) = sync_channel(1);
        if !self.wake.send(Wake::Cmd(Command { op, reply })) {
            return Err(Error::Closed);
        }
        rx.recv().map_err(|_| Error::Closed)
    }

    fn request(&self, op: Op) -> Result<Reply, Error> {
        self.call(op)?.result
    }
}

/// A connection to Janus (WebSocket or HTTP long poll, from the URL), driven by one thread.
/// Clones share it; it closes when the last clone, session and handle are dropped.
///
/// ```no_run
/// use janus_blocking::Client;
/// use janus_proto::ClientConfig;
/// use serde_json::json;
///
/// let client = Client::connect(ClientConfig::new(["ws://127.0.0.1:8188"]).unwrap())?;
/// let session = client.create_session()?;
/// let echo = session.attach("janus.plugin.echotest")?;
/// let reply = echo.message(json!({"audio": true}), None)?;
/// println!("{}", reply.data.data);
/// session.destroy()?;
/// # Ok::<(), janus_blocking::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    events: Arc<Events>,
    link: SharedLink,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.connected().url)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects with default settings. See [`Client::builder`].
    pub fn connect(config: ClientConfig) -> Result<Self, Error> {
        Self::builder(config).connect()
    }

    /// A builder, for TLS roots and queue sizes.
    pub fn builder(config: ClientConfig) -> Builder {
        Builder {
            config,
            roots: Roots::default(),
            cap: 1024,
        }
    }

    /// The server in use now (after a fail-over or a reconnect, not only the first), or
    /// last used while the connection is down.
    pub fn connected(&self) -> Connected {
        // `connect` returned only after a `Connected`: there is always a last server.
        self.link.server().expect("connected once")
    }

    /// Whether the connection is up now (janus.js `isConnected`).
    pub fn is_connected(&self) -> bool {
        self.link.is_up()
    }

    /// Index (in the configured list) and URL of the server in use now.
    pub fn server(&self) -> (usize, String) {
        let c = self.connected();
        (c.server, c.url)
    }

    /// Its transport.
    pub fn transport(&self) -> TransportKind {
        self.connected().transport
    }

    /// What the server in use said of itself when the client connected to it.
    pub fn server_info(&self) -> ServerInfo {
        *self.connected().info
    }

    /// Connection events: `Disconnected`, `Connected` after a reconnect, `ServerFailed`.
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// `info`, asked now.
    pub fn info(&self) -> Result<ServerInfo, Error> {
        Ok(self.inner.request(Op::Info)?.into_server_info()?)
    }

    /// `ping`.
    pub fn ping(&self) -> Result<(), Error> {
        self.inner.request(Op::Ping).map(drop)
    }

    /// A new session, kept alive (WebSocket) or long-polled (HTTP) until destroyed or dropped.
    pub fn create_session(&self) -> Result<Session, Error> {
        self.session_from(Op::Create)
    }

    /// Takes over a session that lives on the server.
    pub fn claim_session(&self, id: SessionId) -> Result<Session, Error> {
        self.session_from(Op::Claim(id))
    }

    fn session_from(&self, op: Op) -> Result<Session, Error> {
        let outcome = self.inner.call(op)?;
        let id = outcome.result?.into_session()?;
        Ok(Session {
            id,
            inner: Arc::clone(&self.inner),
            events: outcome.events.ok_or(Error::Closed)?,
            release: Arc::new(Release::new(id, &self.inner)),
        })
    }
}

/// A Janus session.
#[derive(Debug)]
pub struct Session {
    id: SessionId,
    inner: Arc<Inner>,
    events: Events,
    release: Arc<Release>,
}

/// Lets go of a session once its `Session` and every `Handle` on it are dropped: the core
/// destroys it on the server (janus.js `destroyOnUnload`; `ClientConfig::destroy_on_drop`).
struct Release {
    session: SessionId,
    wake: WakeTx,
    armed: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Release {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Release").field(&self.session).finish()
    }
}

impl Release {
    fn new(session: SessionId, inner: &Inner) -> Self {
        Self {
            session,
            wake: inner.wake.clone(),
            armed: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// Destroyed on purpose: nothing to let go of.
    fn disarm(&self) {
        self.armed
            .store(false, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for Release {
    fn drop(&mut self) {
        if self.armed.load(std::sync::atomic::Ordering::Relaxed) {
            self.wake.send(Wake::Release(self.session));
        }
    }
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inner")
    }
}

impl Session {
    /// Its id on the server.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// Session events: `SessionLost`, `SessionReclaimed`, unknown messages naming it, and
    /// events of handles that no `Handle` object listens to.
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// A handle on a plugin, e.g. `janus.plugin.echotest`.
    pub fn attach(&self, plugin: &str) -> Result<Handle, Error> {
        self.attach_with(plugin, None)
    }

    /// A handle with an `opaque_id`.
    pub fn attach_with(&self, plugin: &str, opaque_id: Option<&str>) -> Result<Handle, Error> {
        let op = Op::Attach {
            session: self.id,
            plugin: plugin.to_owned(),
            opaque_id: opaque_id.map(str::to_owned),
        };
        let outcome = self.inner.call(op)?;
        Ok(Handle {
            handle: outcome.result?.into_handle()?,
            plugin: plugin.to_owned(),
            inner: Arc::clone(&self.inner),
            events: outcome.events.ok_or(Error::Closed)?,
            _session: Arc::clone(&self.release),
        })
    }

    /// A `keepalive` now (the client sends them by itself too).
    pub fn keepalive(&self) -> Result<(), Error> {
        self.inner.request(Op::Keepalive(self.id)).map(drop)
    }

    /// `destroy`. (Dropping the session and its handles destroys it too, see
    /// `ClientConfig::destroy_on_drop`.)
    pub fn destroy(self) -> Result<(), Error> {
        self.release.disarm();
        self.inner.request(Op::Destroy(self.id)).map(drop)
    }
}

/// A plugin handle (janus.js `pluginHandle`).
#[derive(Debug)]
pub struct Handle {
    handle: HandleRef,
    plugin: String,
    inner: Arc<Inner>,
    events: Events,
    /// Keeps its session from being let go of while the handle lives.
    _session: Arc<Release>,
}

impl Handle {
    /// The plugin it is attached to (janus.js `getPlugin`).
    pub fn plugin(&self) -> &str {
        &self.plugin
    }

    /// Its session and id.
    pub fn id(&self) -> HandleRef {
        self.handle
    }

    /// Handle events: plugin events (janus.js `onmessage`), `WebrtcUp`, `Media`, `SlowLink`,
    /// `Hangup`, `IceFailed`, `Trickle`, and finally `Detached`.
    pub fn events(&self) -> &Events {
        &self.events
    }

    /// A plugin `message`; returns the plugin's reply, synchronous or asynchronous.
    pub fn message(&self, body: Value, jsep: Option<Jsep>) -> Result<PluginReply, Error> {
        let op = Op::Message {
            handle: self.handle,
            body,
            jsep,
        };
        Ok(self.inner.request(op)?.into_plugin()?)
    }

    /// A typed plugin request.
    pub fn send<R: PluginRequest>(
        &self,
        request: &R,
        jsep: Option<Jsep>,
    ) -> Result<PluginReply, Error> {
        self.message(request.to_body()?, jsep)
    }

    /// `trickle`: candidates, or `Trickle::Completed`.
    pub fn trickle(&self, candidates: Vec<Trickle>) -> Result<(), Error> {
        self.inner
            .request(Op::Trickle {
                handle: self.handle,
                candidates,
            })
            .map(drop)
    }

    /// `hangup`: closes the PeerConnection, keeps the handle.
    pub fn hangup(&self) -> Result<(), Error> {
        self.inner.request(Op::Hangup(self.handle)).map(drop)
    }

    /// `detach`.
    pub fn detach(self) -> Result<(), Error> {
        self.inner.request(Op::Detach(self.handle)).map(drop)
    }
}
