//! The public face: `Client`, `Session`, `Handle` and their `Events`. Every call blocks
//! until Janus answers (or the core's deadline passes); events wait in bounded queues.

use std::sync::mpsc::{Receiver, sync_channel};

use flume::{RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use janus_proto::admin::{self, AdminRequest};
use janus_proto::plugin::PluginRequest;
use janus_proto::router::Connected;
use janus_proto::{
    ClientConfig, Event, HandleRef, Jsep, PluginReply, Reply, ServerInfo, SessionId, TransportKind,
    Trickle,
};
use janus_rtc::{HandleEvent, PeerConfig, Track};
use serde_json::Value;

use crate::Error;
use crate::driver::{Bell, Command, Driver, Op, Outcome, Room, SharedLink, Wake, WakeTx};
use crate::peer::{Connection, Signalling};
use crate::tls::Roots;

/// Events of a client, a session or a handle, in the order Janus sent them.
///
/// The queue is bounded ([`Builder::event_capacity`]): while it is full the client stops
/// reading from the server (timers and calls go on), so nothing is dropped. Drain it.
#[derive(Debug)]
pub struct Events<E = Event> {
    // A mutex so that handles can be shared between threads; one reader at a time.
    rx: Mutex<Source<E>>,
    room: Arc<Room>,
    bell: Arc<Bell>,
}

/// Where a queue's events come from: the driver's queue of Janus events (each wrapped on
/// the way out: a handle's queue before it carries a WebRTC connection, the same
/// [`HandleEvent`] type either way, no thread in between), or straight from their sender
/// (a handle's connection thread, which merges both).
enum Source<E> {
    Janus(flume::Receiver<Event>, fn(Event) -> E),
    Direct(flume::Receiver<E>),
}

impl<E> std::fmt::Debug for Source<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Direct(_) => "Direct",
            Self::Janus(..) => "Janus",
        })
    }
}

impl<E> Source<E> {
    fn recv_timeout(&self, timeout: Option<Duration>) -> Result<E, RecvTimeoutError> {
        fn wait<T>(
            rx: &flume::Receiver<T>,
            timeout: Option<Duration>,
        ) -> Result<T, RecvTimeoutError> {
            match timeout {
                Some(t) => rx.recv_timeout(t),
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            }
        }
        match self {
            Self::Janus(rx, wrap) => wait(rx, timeout).map(*wrap),
            Self::Direct(rx) => wait(rx, timeout),
        }
    }

    fn try_recv(&self) -> Result<E, TryRecvError> {
        match self {
            Self::Janus(rx, wrap) => rx.try_recv().map(*wrap),
            Self::Direct(rx) => rx.try_recv(),
        }
    }
}

impl Events {
    pub(crate) fn new(rx: flume::Receiver<Event>, room: Arc<Room>, bell: Arc<Bell>) -> Self {
        Self {
            rx: Mutex::new(Source::Janus(rx, std::convert::identity)),
            room,
            bell,
        }
    }

    /// The same queue, read as a handle's.
    fn into_handle(self) -> Events<HandleEvent> {
        let rx = match self.rx.into_inner().unwrap_or_else(PoisonError::into_inner) {
            Source::Janus(rx, _) => rx,
            // Only connection threads make direct queues, never the driver.
            Source::Direct(rx) => rx,
        };
        Events {
            rx: Mutex::new(Source::Janus(rx, HandleEvent::Janus)),
            room: self.room,
            bell: self.bell,
        }
    }
}

impl Events<HandleEvent> {
    /// Hands the driver's queue of Janus events (with what a reader of it owes the
    /// driver) to a connection's thread, which feeds this queue from `merged` from now on;
    /// `None` if it did so already.
    fn divert(&mut self, merged: flume::Receiver<HandleEvent>) -> Option<JanusQueue> {
        let source = self.rx.get_mut().unwrap_or_else(PoisonError::into_inner);
        if matches!(source, Source::Direct(_)) {
            return None;
        }
        match std::mem::replace(source, Source::Direct(merged)) {
            Source::Janus(rx, _) => Some(JanusQueue {
                rx,
                room: Arc::clone(&self.room),
                bell: Arc::clone(&self.bell),
            }),
            Source::Direct(_) => None,
        }
    }
}

/// A handle's queue of Janus events, read by its connection's thread.
pub(crate) struct JanusQueue {
    pub(crate) rx: flume::Receiver<Event>,
    /// Told of every event taken, as any reader does (a paused driver waits for it).
    pub(crate) room: Arc<Room>,
    /// Rung by the driver for every event queued, to wake the thread's poll.
    pub(crate) bell: Arc<Bell>,
}

impl<E> Events<E> {
    /// Tells a paused driver that this queue has room again.
    fn taken(&self, e: Result<E, Error>) -> Result<E, Error> {
        if e.is_ok() {
            self.room.taken();
        }
        e
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Source<E>> {
        // A reader that panicked left the queue intact: keep using it.
        self.rx.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next event; `Err(Error::Closed)` once the queue's owner is gone (detached
    /// handle, lost or destroyed session, closed client) and every event was read.
    pub fn recv(&self) -> Result<E, Error> {
        self.taken(self.lock().recv_timeout(None).map_err(|_| Error::Closed))
    }

    /// The next event within `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<E, Error> {
        self.taken(
            self.lock()
                .recv_timeout(Some(timeout))
                .map_err(|e| match e {
                    RecvTimeoutError::Timeout => Error::Timeout,
                    RecvTimeoutError::Disconnected => Error::Closed,
                }),
        )
    }

    /// The next event if one is queued.
    pub fn try_recv(&self) -> Result<Option<E>, Error> {
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
        mut pick: impl FnMut(E) -> Option<T>,
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
        let inner = Arc::new(Inner {
            wake: spawned.wake,
            cap: self.cap,
        });
        Ok(Client {
            inner,
            events: Arc::new(spawned.client_events),
            link: spawned.link,
        })
    }
}

struct Inner {
    wake: WakeTx,
    /// The bound of every event queue.
    cap: usize,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.wake.send(Wake::Shutdown);
    }
}

impl Inner {
    fn call(&self, op: Op) -> Result<Outcome, Error> {
        self.start(op)?.recv().map_err(|_| Error::Closed)
    }

    /// Sends a command to the driver; its outcome arrives on the returned channel.
    fn start(&self, op: Op) -> Result<Receiver<Outcome>, Error> {
        let (reply, rx) = sync_channel(1);
        if !self.wake.send(Wake::Cmd(Command { op, reply })) {
            return Err(Error::Closed);
        }
        Ok(rx)
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

    /// An Admin API request, on a client made with
    /// [`ClientConfig::admin_api`](janus_proto::ClientConfig::admin_api): the typed requests
    /// of [`janus_proto::admin`], or a [`Call`](janus_proto::admin::Call) of your own.
    pub fn admin<R: AdminRequest>(&self, request: &R) -> Result<R::Reply, Error> {
        let reply = self.inner.request(Op::Admin(request.call()))?;
        Ok(admin::decode(reply.into_admin()?)?)
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
            events: outcome.events.ok_or(Error::Closed)?.into_handle(),
            peer: None,
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

/// A plugin handle (janus.js `pluginHandle`), which may carry one WebRTC connection.
///
/// With [`add_peer`](Self::add_peer) the handle owns a connection, as in janus.js: offers
/// and answers go through the handle ([`offer`](Self::offer), [`answer`](Self::answer)),
/// our candidates are trickled and Janus's applied without application code, and
/// [`events`](Self::events) carries Janus's events and the connection's in one order.
/// [`hangup`](Self::hangup) closes the connection (a later offer starts a new one);
/// `detach`, `destroy` and dropping the handle close it too.
///
/// ```no_run
/// use janus_blocking::rtc::{Event as RtcEvent, HandleEvent, PeerConfig, Track};
/// use janus_blocking::Client;
/// use janus_proto::ClientConfig;
/// use serde_json::json;
/// use std::time::Duration;
///
/// let client = Client::connect(ClientConfig::new(["ws://127.0.0.1:8188"]).unwrap())?;
/// let session = client.create_session()?;
/// let mut echo = session.attach("janus.plugin.echotest")?;
/// echo.add_peer(PeerConfig::default(), "127.0.0.2".parse().unwrap())?;
/// echo.offer(json!({"audio": true, "data": true}), &[Track::audio(), Track::data("chat")])?;
/// echo.events().wait_for(Duration::from_secs(10), |e| {
///     matches!(e, HandleEvent::Rtc(RtcEvent::DataOpen { .. })).then_some(())
/// })?;
/// echo.peer()?.send_data("chat", false, b"hello")?;
/// # Ok::<(), janus_blocking::Error>(())
/// ```
#[derive(Debug)]
pub struct Handle {
    handle: HandleRef,
    plugin: String,
    inner: Arc<Inner>,
    events: Events<HandleEvent>,
    peer: Option<Connection>,
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

    /// The handle's events in order: Janus's ([`HandleEvent::Janus`]: plugin events
    /// (janus.js `onmessage`), `WebrtcUp`, `Media`, `SlowLink`, `Hangup`, `IceFailed`,
    /// finally `Detached`) and, once it carries a connection, the connection's
    /// ([`HandleEvent::Rtc`]: ICE state, tracks, frames, data, `Closed`). Janus's trickled
    /// candidates reach the connection, not this queue (without a connection they come
    /// as `Trickle` events).
    pub fn events(&self) -> &Events<HandleEvent> {
        &self.events
    }

    /// Gives the handle its WebRTC connection, on a UDP socket bound on `ip` (any free
    /// port; 127.0.0.2 in the test namespace), driven by a thread of its own. Its events
    /// join [`events`](Self::events), bounded by the client's event capacity.
    /// Host names in `config.ice_servers` are resolved first (the system resolver, blocking).
    /// The connection offers one host candidate, on `ip`: [`add_peer_on`](Self::add_peer_on)
    /// takes several addresses.
    pub fn add_peer(&mut self, config: PeerConfig, ip: std::net::IpAddr) -> Result<(), Error> {
        self.add_peer_on(config, &[ip])
    }

    /// [`add_peer`](Self::add_peer) on several local addresses, IPv4 and IPv6 alike: a UDP
    /// socket on each (any free port), all in the one connection, which offers a host
    /// candidate on every one of them and on nothing else; each datagram goes out of the
    /// socket of the candidate pair ICE uses. [`crate::local_ips`] lists the machine's usable
    /// addresses (no loopback, no link-local unless asked). Host names in
    /// `config.ice_servers` resolve to the first address's family. An empty list is
    /// [`Error::NoLocalAddress`].
    pub fn add_peer_on(
        &mut self,
        config: PeerConfig,
        ips: &[std::net::IpAddr],
    ) -> Result<(), Error> {
        if self.peer.is_some() {
            return Err(Error::PeerExists);
        }
        let (merged_tx, merged_rx) = flume::bounded(self.inner.cap);
        // The sockets first: a bind that fails leaves the handle as it was.
        let socket = crate::peer::bind(ips)?;
        let config = crate::peer::resolve_ice_servers(config, ips[0]);
        let janus = self.events.divert(merged_rx).ok_or(Error::PeerExists)?;
        let signalling = Signalling {
            wake: self.inner.wake.clone(),
            handle: self.handle,
            merged: merged_tx,
        };
        self.peer = Some(Connection::spawn_for_handle(
            config, socket, janus, signalling,
        )?);
        Ok(())
    }

    /// The handle's WebRTC connection: frames, data channels, DTMF, mute, bitrate.
    pub fn peer(&self) -> Result<&Connection, Error> {
        self.peer.as_ref().ok_or(Error::NoPeer)
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

    /// janus.js `createOffer({tracks})` then `send({message: body, jsep})` and
    /// `handleRemoteJsep` with the answer: the exchange with a plugin that answers
    /// (EchoTest, VideoRoom publisher, VideoCall or SIP caller). Returns the plugin's
    /// reply, with the answer applied when it carries one; an answer that comes later in
    /// a plugin event (VideoCall and SIP `accepted`) is applied when it arrives.
    ///
    /// No `tracks` on a live connection renegotiates with the media as it is. After a
    /// hangup the offer starts a new connection.
    pub fn offer(&self, body: Value, tracks: &[Track]) -> Result<PluginReply, Error> {
        self.negotiate(body, tracks, false)
    }

    /// An offer that restarts ICE (janus.js `createOffer({iceRestart: true})`), media as
    /// it is; sent with `body` and its answer applied as in [`offer`](Self::offer).
    pub fn restart_ice(&self, body: Value) -> Result<PluginReply, Error> {
        self.negotiate(body, &[], true)
    }

    fn negotiate(
        &self,
        body: Value,
        tracks: &[Track],
        ice_restart: bool,
    ) -> Result<PluginReply, Error> {
        let peer = self.peer()?;
        let tracks = tracks.to_vec();
        let offer = peer.with(move |hc, now| hc.create_offer(now, &tracks, ice_restart))??;
        let reply = self.send_jsep(peer, body, offer)?;
        if let Some(answer) = reply.jsep.clone() {
            peer.with(move |hc, _| hc.handle_remote_jsep(&answer))??;
        }
        Ok(reply)
    }

    /// janus.js `createAnswer({jsep: offer, tracks})` then `send({message: body, jsep})`:
    /// the exchange with a plugin that offers (Streaming `watch`, VideoRoom subscriber,
    /// VideoCall callee, TextRoom, or Janus renegotiating). See
    /// [`PeerConnection::create_answer`](janus_rtc::PeerConnection::create_answer) for what
    /// `tracks` do; none mirrors the offer.
    pub fn answer(
        &self,
        body: Value,
        offer: &Jsep,
        tracks: &[Track],
    ) -> Result<PluginReply, Error> {
        let peer = self.peer()?;
        let (offer, tracks) = (offer.clone(), tracks.to_vec());
        let answer = peer.with(move |hc, now| hc.create_answer(now, &offer, &tracks))??;
        self.send_jsep(peer, body, answer)
    }

    /// janus.js `handleRemoteJsep`: applies an answer from Janus that came some other way
    /// than [`offer`](Self::offer) expects (an answer in a plugin event is applied by the
    /// handle itself).
    pub fn handle_remote_jsep(&self, jsep: &Jsep) -> Result<(), Error> {
        let jsep = jsep.clone();
        Ok(self
            .peer()?
            .with(move |hc, _| hc.handle_remote_jsep(&jsep))??)
    }

    /// Sends `body` with our JSEP; our held candidates follow it at once.
    fn send_jsep(&self, peer: &Connection, body: Value, jsep: Jsep) -> Result<PluginReply, Error> {
        let op = Op::Message {
            handle: self.handle,
            body,
            jsep: Some(jsep),
        };
        let outcome = self.inner.start(op);
        // Queued behind the message on the driver's channel (one WebSocket: in order).
        peer.with(|hc, _| hc.jsep_sent())?;
        let outcome = outcome?.recv().map_err(|_| Error::Closed)?;
        Ok(outcome.result?.into_plugin()?)
    }

    /// `trickle`: candidates, or `Trickle::Completed` (a handle with a connection
    /// trickles its own).
    pub fn trickle(&self, candidates: Vec<Trickle>) -> Result<(), Error> {
        self.inner
            .request(Op::Trickle {
                handle: self.handle,
                candidates,
            })
            .map(drop)
    }

    /// janus.js `hangup`: closes the WebRTC connection, ours (its `Closed` event follows
    /// in [`events`](Self::events)) and Janus's (`hangup` request); keeps the handle.
    pub fn hangup(&self) -> Result<(), Error> {
        // janus.js's order: tell Janus, then close ours (whatever Janus answered).
        let told = self.inner.request(Op::Hangup(self.handle));
        if let Some(peer) = &self.peer {
            peer.with(|hc, _| hc.close())?;
        }
        told.map(drop)
    }

    /// `detach` (janus.js `detach`); the connection closes with the handle.
    pub fn detach(self) -> Result<(), Error> {
        self.inner.request(Op::Detach(self.handle)).map(drop)
    }
}
