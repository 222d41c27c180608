//! The public face: `Client`, `Session`, `Handle` and their `Events`. Every call is an
//! `async fn` that resolves when Janus answers (or the core's deadline passes); events wait
//! in bounded queues.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
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
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::Error;
use crate::driver::{Command, Driver, Op, Outcome, SharedLink};
use crate::peer::{Connection, Signalling};
use crate::queue::DriverQueue;
use crate::tls::Roots;

/// Events of a client, a session or a handle, in the order Janus sent them.
///
/// The queue is bounded ([`Builder::event_capacity`]): while it is full the client stops
/// reading from the server (timers and calls go on), so nothing is dropped. Drain it.
///
/// Readers take turns: a second `recv` waits until the first has its event.
///
/// A [`Peer`](crate::Peer) reads its WebRTC events through the same queue type.
#[derive(Debug)]
pub struct Events<E = Event> {
    rx: Mutex<Source<E>>,
}

/// Where a queue's events come from: the driver's queue of Janus events, each wrapped on
/// the way out (a client's or session's queue, and a handle's before it carries a WebRTC
/// connection: the same [`HandleEvent`] type either way, no task in between), or a
/// connection's task (a [`Peer`](crate::Peer)'s, or a handle's that carries one).
enum Source<E> {
    Driver(DriverQueue, fn(Event) -> E),
    Task(flume::Receiver<E>),
}

impl<E> std::fmt::Debug for Source<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Driver(..) => "Driver",
            Self::Task(_) => "Task",
        })
    }
}

impl<E> Source<E> {
    async fn recv(&mut self) -> Option<E> {
        match self {
            Self::Driver(q, wrap) => q.recv().await.map(*wrap),
            Self::Task(rx) => rx.recv_async().await.ok(),
        }
    }

    /// The next event if one is queued; `Err(())` once the queue is closed and empty.
    fn try_recv(&mut self) -> Result<Option<E>, ()> {
        match self {
            Self::Driver(q, wrap) => q.try_recv().map(|e| e.map(*wrap)),
            Self::Task(rx) => match rx.try_recv() {
                Ok(e) => Ok(Some(e)),
                Err(flume::TryRecvError::Empty) => Ok(None),
                Err(flume::TryRecvError::Disconnected) => Err(()),
            },
        }
    }
}

impl Events {
    /// A client's or session's queue.
    pub(crate) fn of_driver(q: DriverQueue) -> Self {
        Self {
            rx: Mutex::new(Source::Driver(q, std::convert::identity)),
        }
    }
}

impl<E> Events<E> {
    /// A queue that a connection's task fills.
    pub(crate) fn of_task(rx: flume::Receiver<E>) -> Self {
        Self {
            rx: Mutex::new(Source::Task(rx)),
        }
    }

    /// The next event; `Err(Error::Closed)` once the queue's owner is gone (detached
    /// handle, lost or destroyed session, closed client) and every event was read.
    /// Cancel-safe: an event is taken only when the future resolves.
    pub async fn recv(&self) -> Result<E, Error> {
        self.rx.lock().await.recv().await.ok_or(Error::Closed)
    }

    /// The next event within `timeout`.
    pub async fn recv_timeout(&self, timeout: Duration) -> Result<E, Error> {
        tokio::time::timeout(timeout, self.recv())
            .await
            .map_err(|_| Error::Timeout)?
    }

    /// The next event if one is queued (`None` as well while another task is in `recv`).
    pub fn try_recv(&self) -> Result<Option<E>, Error> {
        let Ok(mut rx) = self.rx.try_lock() else {
            return Ok(None);
        };
        rx.try_recv().map_err(|()| Error::Closed)
    }

    /// Waits (up to `timeout`) for the first event that `pick` maps to `Some`, skipping others.
    pub async fn wait_for<T>(
        &self,
        timeout: Duration,
        mut pick: impl FnMut(E) -> Option<T>,
    ) -> Result<T, Error> {
        let wait = async {
            loop {
                if let Some(t) = pick(self.recv().await?) {
                    return Ok(t);
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| Error::Timeout)?
    }

    /// The events as a [`Stream`](futures_core::Stream), which ends when the queue closes.
    pub fn stream(&self) -> EventStream<'_, E>
    where
        E: Send,
    {
        EventStream {
            events: self,
            next: None,
        }
    }
}

type NextEvent<'a, E> = Pin<Box<dyn Future<Output = Option<E>> + Send + 'a>>;

/// [`Events`] as a [`Stream`](futures_core::Stream) (see [`Events::stream`]).
pub struct EventStream<'a, E = Event> {
    events: &'a Events<E>,
    next: Option<NextEvent<'a, E>>,
}

impl<E> std::fmt::Debug for EventStream<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl<E: Send> futures_core::Stream for EventStream<'_, E> {
    type Item = E;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        let events = self.events;
        let next = self
            .next
            .get_or_insert_with(|| Box::pin(async move { events.recv().await.ok() }));
        let item = std::task::ready!(next.as_mut().poll(cx));
        self.next = None;
        Poll::Ready(item)
    }
}

impl Events<HandleEvent> {
    /// A handle's queue of Janus events, read as [`HandleEvent::Janus`].
    fn of_handle(q: DriverQueue) -> Self {
        Self {
            rx: Mutex::new(Source::Driver(q, HandleEvent::Janus)),
        }
    }

    /// The bound of the queue.
    fn capacity(&mut self) -> usize {
        match self.rx.get_mut() {
            Source::Driver(q, _) => q.capacity(),
            Source::Task(rx) => rx.capacity().unwrap_or(usize::MAX),
        }
    }

    /// Hands the driver's queue of Janus events to a connection's task, which will feed
    /// this queue from `merged` from now on; `None` if it did so already.
    fn divert(&mut self, merged: flume::Receiver<HandleEvent>) -> Option<DriverQueue> {
        let source = self.rx.get_mut();
        if matches!(source, Source::Task(_)) {
            return None;
        }
        match std::mem::replace(source, Source::Task(merged)) {
            Source::Driver(q, _) => Some(q),
            Source::Task(_) => None,
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
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (the driver is a task of the current runtime).
    pub async fn connect(self) -> Result<Client, Error> {
        let spawned = Driver::spawn(self.config, &self.roots, self.cap)?;
        spawned.startup.await.map_err(|_| Error::Closed)??;
        Ok(Client {
            commands: spawned.commands,
            releases: spawned.releases,
            events: Arc::new(Events::of_driver(spawned.client_events)),
            link: spawned.link,
        })
    }
}

/// Sends a command to the driver and waits for its outcome.
async fn call(commands: &mpsc::Sender<Command>, op: Op) -> Result<Outcome, Error> {
    let outcome = start(commands, op).await?;
    outcome.await.map_err(|_| Error::Closed)
}

/// Sends a command to the driver; its outcome arrives on the returned channel.
async fn start(
    commands: &mpsc::Sender<Command>,
    op: Op,
) -> Result<oneshot::Receiver<Outcome>, Error> {
    let (reply, rx) = oneshot::channel();
    commands
        .send(Command { op, reply })
        .await
        .map_err(|_| Error::Closed)?;
    Ok(rx)
}

async fn request(commands: &mpsc::Sender<Command>, op: Op) -> Result<Reply, Error> {
    call(commands, op).await?.result
}

/// A connection to Janus (WebSocket or HTTP long poll, from the URL), driven by one task.
/// Clones share it; its task ends when the last clone, session and handle are dropped.
///
/// ```no_run
/// use janus_tokio::Client;
/// use janus_proto::ClientConfig;
/// use serde_json::json;
///
/// # async fn run() -> Result<(), janus_tokio::Error> {
/// let client = Client::connect(ClientConfig::new(["ws://127.0.0.1:8188"]).unwrap()).await?;
/// let session = client.create_session().await?;
/// let echo = session.attach("janus.plugin.echotest").await?;
/// let reply = echo.message(json!({"audio": true}), None).await?;
/// println!("{}", reply.data.data);
/// session.destroy().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    commands: mpsc::Sender<Command>,
    releases: mpsc::UnboundedSender<SessionId>,
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
    pub async fn connect(config: ClientConfig) -> Result<Self, Error> {
        Self::builder(config).connect().await
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
    pub async fn info(&self) -> Result<ServerInfo, Error> {
        Ok(request(&self.commands, Op::Info)
            .await?
            .into_server_info()?)
    }

    /// An Admin API request, on a client made with
    /// [`ClientConfig::admin_api`](janus_proto::ClientConfig::admin_api): the typed requests
    /// of [`janus_proto::admin`], or a [`Call`](janus_proto::admin::Call) of your own.
    pub async fn admin<R: AdminRequest>(&self, request: &R) -> Result<R::Reply, Error> {
        let reply = self::request(&self.commands, Op::Admin(request.call())).await?;
        Ok(admin::decode(reply.into_admin()?)?)
    }

    /// `ping`.
    pub async fn ping(&self) -> Result<(), Error> {
        request(&self.commands, Op::Ping).await.map(drop)
    }

    /// A new session, kept alive (WebSocket) or long-polled (HTTP) until destroyed or the
    /// client closes.
    pub async fn create_session(&self) -> Result<Session, Error> {
        self.session_from(Op::Create).await
    }

    /// Takes over a session that lives on the server.
    pub async fn claim_session(&self, id: SessionId) -> Result<Session, Error> {
        self.session_from(Op::Claim(id)).await
    }

    async fn session_from(&self, op: Op) -> Result<Session, Error> {
        let outcome = call(&self.commands, op).await?;
        let id = outcome.result?.into_session()?;
        let rx = outcome.events.ok_or(Error::Closed)?;
        Ok(Session {
            id,
            commands: self.commands.clone(),
            events: Events::of_driver(rx),
            release: Arc::new(Release {
                session: id,
                releases: self.releases.clone(),
                armed: AtomicBool::new(true),
            }),
        })
    }
}

/// A Janus session.
#[derive(Debug)]
pub struct Session {
    id: SessionId,
    commands: mpsc::Sender<Command>,
    events: Events,
    release: Arc<Release>,
}

/// Lets go of a session once its `Session` and every `Handle` on it are dropped: the core
/// destroys it on the server (janus.js `destroyOnUnload`; `ClientConfig::destroy_on_drop`),
/// provided the runtime still runs the driver task.
#[derive(Debug)]
struct Release {
    session: SessionId,
    releases: mpsc::UnboundedSender<SessionId>,
    armed: AtomicBool,
}

impl Drop for Release {
    fn drop(&mut self) {
        if self.armed.load(Ordering::Relaxed) {
            let _ = self.releases.send(self.session);
        }
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
    pub async fn attach(&self, plugin: &str) -> Result<Handle, Error> {
        self.attach_with(plugin, None).await
    }

    /// A handle with an `opaque_id`.
    pub async fn attach_with(
        &self,
        plugin: &str,
        opaque_id: Option<&str>,
    ) -> Result<Handle, Error> {
        let op = Op::Attach {
            session: self.id,
            plugin: plugin.to_owned(),
            opaque_id: opaque_id.map(str::to_owned),
        };
        let outcome = call(&self.commands, op).await?;
        let handle = outcome.result?.into_handle()?;
        let rx = outcome.events.ok_or(Error::Closed)?;
        Ok(Handle {
            handle,
            plugin: plugin.to_owned(),
            commands: self.commands.clone(),
            events: Events::of_handle(rx),
            peer: None,
            _session: Arc::clone(&self.release),
        })
    }

    /// A `keepalive` now (the client sends them by itself too).
    pub async fn keepalive(&self) -> Result<(), Error> {
        request(&self.commands, Op::Keepalive(self.id))
            .await
            .map(drop)
    }

    /// `destroy`. (Dropping the session and its handles destroys it too, see
    /// `ClientConfig::destroy_on_drop`.)
    pub async fn destroy(self) -> Result<(), Error> {
        self.release.armed.store(false, Ordering::Relaxed);
        request(&self.commands, Op::Destroy(self.id))
            .await
            .map(drop)
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
/// use janus_tokio::rtc::{Event as RtcEvent, HandleEvent, PeerConfig, Track};
/// use janus_tokio::Client;
/// use janus_proto::ClientConfig;
/// use serde_json::json;
/// use std::time::Duration;
///
/// # async fn run() -> Result<(), janus_tokio::Error> {
/// let client = Client::connect(ClientConfig::new(["ws://127.0.0.1:8188"]).unwrap()).await?;
/// let session = client.create_session().await?;
/// let mut echo = session.attach("janus.plugin.echotest").await?;
/// echo.add_peer(PeerConfig::default(), "127.0.0.2".parse().unwrap()).await?;
/// echo.offer(json!({"audio": true, "data": true}), &[Track::audio(), Track::data("chat")]).await?;
/// echo.events()
///     .wait_for(Duration::from_secs(10), |e| {
///         matches!(e, HandleEvent::Rtc(RtcEvent::DataOpen { .. })).then_some(())
///     })
///     .await?;
/// echo.peer()?.send_data("chat", false, b"hello").await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Handle {
    handle: HandleRef,
    plugin: String,
    commands: mpsc::Sender<Command>,
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
    /// port; 127.0.0.2 in the test namespace). Its events join [`events`](Self::events),
    /// which stays bounded by the client's event capacity. Host names in
    /// `config.ice_servers` are resolved first (tokio's resolver).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (the connection's task is spawned on the current one).
    ///
    /// The connection offers one host candidate, on `ip`: [`add_peer_on`](Self::add_peer_on)
    /// takes several addresses.
    pub async fn add_peer(
        &mut self,
        config: PeerConfig,
        ip: std::net::IpAddr,
    ) -> Result<(), Error> {
        self.add_peer_on(config, &[ip]).await
    }

    /// [`add_peer`](Self::add_peer) on several local addresses, IPv4 and IPv6 alike: a UDP
    /// socket on each (any free port), all in the one connection, which offers a host
    /// candidate on every one of them and on nothing else; each datagram goes out of the
    /// socket of the candidate pair ICE uses. [`crate::local_ips`] lists the machine's usable
    /// addresses (no loopback, no link-local unless asked). Host names in
    /// `config.ice_servers` resolve to the first address's family. An empty list is
    /// [`Error::NoLocalAddress`].
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (the connection's task is spawned on the current one).
    pub async fn add_peer_on(
        &mut self,
        config: PeerConfig,
        ips: &[std::net::IpAddr],
    ) -> Result<(), Error> {
        if self.peer.is_some() {
            return Err(Error::PeerExists);
        }
        let capacity = self.events.capacity();
        let (merged_tx, merged_rx) = flume::bounded(capacity);
        let signalling = Signalling {
            commands: self.commands.clone(),
            handle: self.handle,
            merged: merged_tx,
        };
        // The sockets first: a bind that fails leaves the handle as it was.
        let socket = crate::peer::bind(ips).await?;
        let config = crate::peer::resolve_ice_servers(config, ips[0]).await;
        let janus = self.events.divert(merged_rx).ok_or(Error::PeerExists)?;
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
    pub async fn message(&self, body: Value, jsep: Option<Jsep>) -> Result<PluginReply, Error> {
        let op = Op::Message {
            handle: self.handle,
            body,
            jsep,
        };
        Ok(request(&self.commands, op).await?.into_plugin()?)
    }

    /// A typed plugin request.
    pub async fn send<R: PluginRequest>(
        &self,
        request: &R,
        jsep: Option<Jsep>,
    ) -> Result<PluginReply, Error> {
        self.message(request.to_body()?, jsep).await
    }

    /// janus.js `createOffer({tracks})` then `send({message: body, jsep})` and
    /// `handleRemoteJsep` with the answer: the exchange with a plugin that answers
    /// (EchoTest, VideoRoom publisher, VideoCall or SIP caller). Returns the plugin's
    /// reply, with the answer applied when it carries one; an answer that comes later in
    /// a plugin event (VideoCall and SIP `accepted`) is applied when it arrives.
    ///
    /// No `tracks` on a live connection renegotiates with the media as it is. After a
    /// hangup the offer starts a new connection.
    pub async fn offer(&self, body: Value, tracks: &[Track]) -> Result<PluginReply, Error> {
        self.negotiate(body, tracks, false).await
    }

    /// An offer that restarts ICE (janus.js `createOffer({iceRestart: true})`), media as
    /// it is; sent with `body` and its answer applied as in [`offer`](Self::offer).
    pub async fn restart_ice(&self, body: Value) -> Result<PluginReply, Error> {
        self.negotiate(body, &[], true).await
    }

    async fn negotiate(
        &self,
        body: Value,
        tracks: &[Track],
        ice_restart: bool,
    ) -> Result<PluginReply, Error> {
        let peer = self.peer()?;
        let tracks = tracks.to_vec();
        let offer = peer
            .with(move |hc, now| hc.create_offer(now, &tracks, ice_restart))
            .await??;
        let reply = self.send_jsep(peer, body, offer).await?;
        if let Some(answer) = reply.jsep.clone() {
            peer.with(move |hc, _| hc.handle_remote_jsep(&answer))
                .await??;
        }
        Ok(reply)
    }

    /// janus.js `createAnswer({jsep: offer, tracks})` then `send({message: body, jsep})`:
    /// the exchange with a plugin that offers (Streaming `watch`, VideoRoom subscriber,
    /// VideoCall callee, TextRoom, or Janus renegotiating). See
    /// [`PeerConnection::create_answer`](janus_rtc::PeerConnection::create_answer) for what
    /// `tracks` do; none mirrors the offer.
    pub async fn answer(
        &self,
        body: Value,
        offer: &Jsep,
        tracks: &[Track],
    ) -> Result<PluginReply, Error> {
        let peer = self.peer()?;
        let (offer, tracks) = (offer.clone(), tracks.to_vec());
        let answer = peer
            .with(move |hc, now| hc.create_answer(now, &offer, &tracks))
            .await??;
        self.send_jsep(peer, body, answer).await
    }

    /// janus.js `handleRemoteJsep`: applies an answer from Janus that came some other way
    /// than [`offer`](Self::offer) expects (an answer in a plugin event is applied by the
    /// handle itself).
    pub async fn handle_remote_jsep(&self, jsep: &Jsep) -> Result<(), Error> {
        let jsep = jsep.clone();
        Ok(self
            .peer()?
            .with(move |hc, _| hc.handle_remote_jsep(&jsep))
            .await??)
    }

    /// Sends `body` with our JSEP; our held candidates follow it at once.
    async fn send_jsep(
        &self,
        peer: &Connection,
        body: Value,
        jsep: Jsep,
    ) -> Result<PluginReply, Error> {
        let op = Op::Message {
            handle: self.handle,
            body,
            jsep: Some(jsep),
        };
        let outcome = start(&self.commands, op).await;
        // Queued behind the message on the driver's channel (one WebSocket: in order).
        peer.with(|hc, _| hc.jsep_sent()).await?;
        let outcome = outcome?.await.map_err(|_| Error::Closed)?;
        Ok(outcome.result?.into_plugin()?)
    }

    /// `trickle`: candidates, or `Trickle::Completed` (a handle with a connection
    /// trickles its own).
    pub async fn trickle(&self, candidates: Vec<Trickle>) -> Result<(), Error> {
        let op = Op::Trickle {
            handle: self.handle,
            candidates,
        };
        request(&self.commands, op).await.map(drop)
    }

    /// janus.js `hangup`: closes the WebRTC connection, ours (its `Closed` event follows
    /// in [`events`](Self::events)) and Janus's (`hangup` request); keeps the handle.
    pub async fn hangup(&self) -> Result<(), Error> {
        // janus.js's order: tell Janus, then close ours (whatever Janus answered).
        let told = request(&self.commands, Op::Hangup(self.handle)).await;
        if let Some(peer) = &self.peer {
            peer.with(|hc, _| hc.close()).await?;
        }
        told.map(drop)
    }

    /// `detach` (janus.js `detach`); the connection closes with the handle.
    pub async fn detach(self) -> Result<(), Error> {
        request(&self.commands, Op::Detach(self.handle))
            .await
            .map(drop)
    }
}
