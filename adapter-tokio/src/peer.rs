//! WebRTC for a handle: a `janus-rtc` connection on one tokio UDP socket per local
//! address, driven by a task of its own that waits in one `select!` on the sockets, the calls, the handle's Janus
//! events (when the handle owns it), the news of its TCP streams to TURN servers
//! (`crate::stream`) and the connection's deadline. Every WebRTC decision, and the glue with
//! the handle, is `janus-rtc`'s ([`HandleConnection`]); this moves datagrams, stream bytes,
//! calls, events and trickle requests.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use janus_proto::{Event as JanusEvent, HandleRef, Jsep, Trickle};
use janus_rtc::outbox::{Offer, Outbox};
use janus_rtc::{
    AudioLevel, Event, FrameTransform, HandleConnection, HandleEvent, HandleOutput, Input,
    LocalAddrFilter, Pace, PeerConfig, PeerConnection, Track, TrackInfo, socket_for,
};
use serde_json::Value;
use tokio::net::UdpSocket;

use crate::stream::Streams;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

use crate::driver::{Command, Op, Outcome};
use crate::queue::DriverQueue;
use crate::{Error, Events, Handle, PluginReply};

/// Calls waiting for the connection's task.
const CALLS: usize = 64;
/// Our candidates waiting to be trickled.
const CANDIDATES: usize = 64;
/// How often a connection whose events wait for room offers them again.
const BLOCKED_RETRY: Duration = Duration::from_millis(5);

type Call = Box<dyn FnOnce(&mut HandleConnection, Instant) + Send>;

/// A WebRTC peer connection with Janus for one plugin handle, on a UDP socket of its own
/// (janus.js `createOffer`/`createAnswer`/`handleRemoteJsep`, `data`, `getBitrate`,
/// `muteAudio`, `hangup`): the tokio twin of `janus_blocking::Peer`, same names, `async fn`s
/// where it waits.
///
/// One task owns the socket and the connection; it ends when the `Peer` is dropped.
/// Events (tracks, frames, data, ICE state, closing) come from [`events`](Self::events),
/// [`recv_timeout`](Self::recv_timeout) and [`wait_for`](Self::wait_for), in order. Received
/// media frames are dropped when the
/// application does not keep up (a late frame is worth nothing);
/// [`dropped_frames`](Connection::dropped_frames) counts them. Every other event waits for room
/// ([`janus_rtc::outbox`]): meanwhile the task reads nothing new from the socket (calls and
/// timers go on), so nothing else is lost: drain the events.
///
/// Janus's side of the conversation stays on the [`Handle`]: [`offer`](Self::offer) does
/// the whole exchange for the usual case, and the handle's `Trickle` and `Hangup` events are
/// passed on with [`handle_janus_event`](Self::handle_janus_event).
///
/// ```no_run
/// use janus_tokio::rtc::{Event as RtcEvent, PeerConfig, Track};
/// use janus_tokio::{Client, Peer};
/// use janus_proto::ClientConfig;
/// use serde_json::json;
/// use std::time::Duration;
///
/// # async fn run() -> Result<(), janus_tokio::Error> {
/// let client = Client::connect(ClientConfig::new(["ws://127.0.0.1:8188"]).unwrap()).await?;
/// let session = client.create_session().await?;
/// let echo = session.attach("janus.plugin.echotest").await?;
/// let peer = Peer::bind(PeerConfig::default(), "127.0.0.2".parse().unwrap(), 1024).await?;
/// peer.offer(&echo, json!({"audio": true, "data": true}),
///            &[Track::audio(), Track::data("chat")], false).await?;
/// peer.wait_for(Duration::from_secs(10), |e| matches!(e, RtcEvent::DataOpen { .. }).then_some(()))
///     .await?;
/// peer.send_data("chat", false, b"hello").await?;
/// # Ok(()) }
/// ```
pub struct Peer {
    connection: Connection,
    events: Events<Event>,
    candidates: std::sync::Mutex<mpsc::Receiver<Trickle>>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("local_addrs", &self.connection.local_addrs)
            .finish_non_exhaustive()
    }
}

/// A running WebRTC connection: its task's calls. [`Handle::peer`] gives the one a handle
/// owns; a standalone [`Peer`] derefs to its own.
pub struct Connection {
    calls: mpsc::Sender<Call>,
    dropped: Arc<AtomicU64>,
    local_addrs: Vec<SocketAddr>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("local_addrs", &self.local_addrs)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for Peer {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.connection
    }
}

/// What a handle's connection needs of its handle: the driver, to trickle, and the
/// handle's one event queue.
pub(crate) struct Signalling {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) handle: HandleRef,
    pub(crate) merged: flume::Sender<HandleEvent>,
}

/// The host names of `config.ice_servers` replaced by addresses of `ip`'s family (the core
/// takes IP literals only; the first local address's family, when there are several),
/// looked up with tokio's resolver; a name that does not resolve
/// stays, and the connection reports it (`IceServerError::Unresolved`).
pub(crate) async fn resolve_ice_servers(mut config: PeerConfig, ip: IpAddr) -> PeerConfig {
    let mut resolved = Vec::new();
    for (host, port) in config.ice_server_names() {
        let found = match tokio::net::lookup_host((host.as_str(), port)).await {
            Ok(mut addrs) => addrs.find(|a| a.is_ipv4() == ip.is_ipv4()),
            Err(e) => {
                debug!(%host, error = %e, "ICE server not resolved");
                None
            }
        };
        if let Some(addr) = found {
            resolved.push((host, port, addr.ip()));
        }
    }
    config.resolve_ice_servers(|host, port| {
        resolved
            .iter()
            .find(|(h, p, _)| h == host && *p == port)
            .map(|(_, _, ip)| *ip)
    });
    config
}

/// Binds a UDP socket on each of `ips`, any free port (each address once).
pub(crate) async fn bind(ips: &[IpAddr]) -> Result<Vec<UdpSocket>, Error> {
    let ips = janus_rtc::distinct(ips);
    let mut sockets = Vec::with_capacity(ips.len());
    for ip in ips {
        let socket = UdpSocket::bind((ip, 0))
            .await
            .map_err(|e| Error::Io(format!("binding UDP on {ip}: {e}")))?;
        sockets.push(socket);
    }
    if sockets.is_empty() {
        return Err(Error::NoLocalAddress);
    }
    Ok(sockets)
}

/// The machine's addresses that `filter` keeps (janus-rtc's rule, [`LocalAddrFilter`]):
/// by default every IPv4 and IPv6 address of every interface but loopback and link-local
/// ones, IPv4 first. Give them to [`Peer::bind_on`] or [`Handle::add_peer_on`] to offer a
/// host candidate on each. (One `getifaddrs` call: it does not wait on the network.)
pub fn local_ips(filter: LocalAddrFilter) -> Result<Vec<IpAddr>, Error> {
    let interfaces =
        if_addrs::get_if_addrs().map_err(|e| Error::Io(format!("listing the interfaces: {e}")))?;
    Ok(filter.select(interfaces.iter().map(if_addrs::Interface::ip)))
}

impl Connection {
    fn spawn(
        config: PeerConfig,
        sockets: Vec<UdpSocket>,
        outlet: Outlet,
        janus: Option<DriverQueue>,
    ) -> Result<Self, Error> {
        let local_addrs = sockets
            .iter()
            .map(UdpSocket::local_addr)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Io(e.to_string()))?;
        if local_addrs.is_empty() {
            return Err(Error::NoLocalAddress);
        }
        let (calls, calls_rx) = mpsc::channel(CALLS);
        let dropped = Arc::new(AtomicU64::new(0));
        let task = MediaTask {
            hc: HandleConnection::new(config, Instant::now(), &local_addrs),
            sockets,
            local_addrs: local_addrs.clone(),
            calls: calls_rx,
            janus,
            outlet,
            outbox: Outbox::new(),
            dropped: Arc::clone(&dropped),
            restart: None,
            streams: Streams::default(),
        };
        tokio::spawn(task.run());
        Ok(Self {
            calls,
            dropped,
            local_addrs,
        })
    }

    /// The connection of a handle: its Janus events come from `janus`, its events and
    /// Janus's go to the handle's queue, its candidates to Janus.
    pub(crate) fn spawn_for_handle(
        config: PeerConfig,
        sockets: Vec<UdpSocket>,
        janus: DriverQueue,
        signalling: Signalling,
    ) -> Result<Self, Error> {
        Self::spawn(config, sockets, Outlet::Handle(signalling), Some(janus))
    }

    /// The UDP address of the first socket (the only one of a connection bound on one
    /// address): our first host candidate.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addrs[0]
    }

    /// The UDP addresses of all the connection's sockets, in the order of the addresses it
    /// was bound on: a host candidate on each.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// Runs `f` on the handle's connection state, in its task.
    pub(crate) async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut HandleConnection, Instant) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (tx, rx) = oneshot::channel();
        let call: Call = Box::new(move |hc, now| {
            let _ = tx.send(f(hc, now));
        });
        self.calls.send(call).await.map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)
    }

    /// Runs `f` on the peer connection, in its task, and returns what it returns.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PeerConnection, Instant) -> T + Send + 'static,
    ) -> Result<T, Error> {
        self.with(move |hc, now| f(hc.connection(), now)).await
    }

    /// Writes an encoded frame to a local track: see [`PeerConnection::write_frame`].
    pub async fn write_frame(&self, mid: &str, rtp_time: u64, data: &[u8]) -> Result<bool, Error> {
        let (mid, data) = (mid.to_owned(), data.to_vec());
        Ok(self
            .call(move |pc, now| pc.write_frame(now, &mid, rtp_time, &data))
            .await??)
    }

    /// Writes a frame of one simulcast layer: see [`PeerConnection::write_simulcast_frame`].
    pub async fn write_simulcast_frame(
        &self,
        mid: &str,
        rid: &str,
        rtp_time: u64,
        data: &[u8],
    ) -> Result<bool, Error> {
        let (mid, rid, data) = (mid.to_owned(), rid.to_owned(), data.to_vec());
        Ok(self
            .call(move |pc, now| pc.write_simulcast_frame(now, &mid, &rid, rtp_time, &data))
            .await??)
    }

    /// Writes an audio frame with its RFC 6464 level (what Janus's talk detection reads):
    /// see [`PeerConnection::write_frame_with_level`].
    pub async fn write_frame_with_level(
        &self,
        mid: &str,
        rtp_time: u64,
        data: &[u8],
        level: AudioLevel,
    ) -> Result<bool, Error> {
        let (mid, data) = (mid.to_owned(), data.to_vec());
        Ok(self
            .call(move |pc, now| pc.write_frame_with_level(now, &mid, rtp_time, &data, level))
            .await??)
    }

    /// The level of the last frame we wrote on `mid` with one (janus.js `getLocalVolume`).
    pub async fn local_volume(&self, mid: &str) -> Result<Option<AudioLevel>, Error> {
        let mid = mid.to_owned();
        self.call(move |pc, _| pc.local_volume(&mid)).await
    }

    /// The level of the last frame received on `mid` with one (janus.js `getRemoteVolume`).
    pub async fn remote_volume(&self, mid: &str) -> Result<Option<AudioLevel>, Error> {
        let mid = mid.to_owned();
        self.call(move |pc, _| pc.remote_volume(&mid)).await
    }

    /// Queues DTMF tones on an audio track (janus.js `dtmf`): see
    /// [`PeerConnection::insert_dtmf`].
    pub async fn insert_dtmf(
        &self,
        mid: &str,
        tones: &str,
        duration: Duration,
        gap: Duration,
    ) -> Result<(), Error> {
        let (mid, tones) = (mid.to_owned(), tones.to_owned());
        Ok(self
            .call(move |pc, now| pc.insert_dtmf(now, &mid, &tones, duration, gap))
            .await??)
    }

    /// Sends a data-channel message (janus.js `data`).
    pub async fn send_data(&self, label: &str, binary: bool, data: &[u8]) -> Result<(), Error> {
        let (label, data) = (label.to_owned(), data.to_vec());
        Ok(self
            .call(move |pc, _| pc.send_data(&label, binary, &data))
            .await??)
    }

    /// Stops sending on a local track without renegotiating (janus.js
    /// `muteAudio`/`muteVideo`): see [`PeerConnection::mute`].
    pub async fn mute(&self, mid: &str) -> Result<(), Error> {
        let mid = mid.to_owned();
        Ok(self.call(move |pc, _| pc.mute(&mid)).await??)
    }

    /// Sends again on a muted track (janus.js `unmuteAudio`/`unmuteVideo`): see
    /// [`PeerConnection::unmute`].
    pub async fn unmute(&self, mid: &str) -> Result<(), Error> {
        let mid = mid.to_owned();
        Ok(self.call(move |pc, _| pc.unmute(&mid)).await??)
    }

    /// Asks Janus for a keyframe on the received video track `mid` (a PLI): see
    /// [`PeerConnection::request_keyframe`].
    pub async fn request_keyframe(&self, mid: &str) -> Result<(), Error> {
        let mid = mid.to_owned();
        Ok(self.call(move |pc, _| pc.request_keyframe(&mid)).await??)
    }

    /// The received bitrate on `mid` in bits per second (janus.js `getBitrate`).
    pub async fn bitrate(&self, mid: &str) -> Result<Option<u64>, Error> {
        let mid = mid.to_owned();
        self.call(move |pc, _| pc.bitrate(&mid)).await
    }

    /// Sets the end-to-end encryption transform (janus.js `e2ee`), before the offer or
    /// answer: see [`PeerConnection::set_transform`] and [`janus_rtc::transform`].
    pub async fn set_transform(&self, transform: Box<dyn FrameTransform>) -> Result<(), Error> {
        self.call(move |pc, _| pc.set_transform(transform)).await
    }

    /// Received frames the transform could not decrypt: see
    /// [`PeerConnection::decrypt_failures`].
    pub async fn decrypt_failures(&self) -> Result<u64, Error> {
        self.call(|pc, _| pc.decrypt_failures()).await
    }

    /// Received frames (and decrypt-failure reports) dropped because the event queue was
    /// full.
    pub fn dropped_frames(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The tracks we send now (janus.js `getLocalTracks`).
    pub async fn local_tracks(&self) -> Result<Vec<TrackInfo>, Error> {
        self.call(|pc, _| pc.local_tracks()).await
    }

    /// The tracks we receive now (janus.js `getRemoteTracks`).
    pub async fn remote_tracks(&self) -> Result<Vec<TrackInfo>, Error> {
        self.call(|pc, _| pc.remote_tracks()).await
    }

    /// Whether the local track `mid` is muted (janus.js `isAudioMuted`/`isVideoMuted`).
    pub async fn is_muted(&self, mid: &str) -> Result<bool, Error> {
        let mid = mid.to_owned();
        self.call(move |pc, _| pc.is_muted(&mid)).await
    }

    /// Opens another data channel, with a subprotocol (`""` for none), once data channels
    /// were negotiated: see [`PeerConnection::open_data_channel`].
    pub async fn open_data_channel(&self, label: &str, protocol: &str) -> Result<(), Error> {
        let (label, protocol) = (label.to_owned(), protocol.to_owned());
        Ok(self
            .call(move |pc, _| pc.open_data_channel(&label, &protocol))
            .await??)
    }

    /// Closes the connection without telling Janus (janus.js `hangup(false)`; on a
    /// handle, [`Handle::hangup`] does both). [`Event::Closed`] is its last event.
    pub async fn close(&self) -> Result<(), Error> {
        self.with(|hc, _| hc.close()).await
    }
}

impl Peer {
    /// Binds a UDP socket on `ip` (any free port; 127.0.0.2 in the test namespace) and
    /// spawns the connection's task. `event_capacity` bounds the event queue.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (the task is spawned on the current one).
    pub async fn bind(
        config: PeerConfig,
        ip: IpAddr,
        event_capacity: usize,
    ) -> Result<Self, Error> {
        Self::bind_on(config, &[ip], event_capacity).await
    }

    /// Binds a UDP socket on each of `ips` (any free port each; IPv4 and IPv6 alike) and
    /// spawns the connection's task: the connection offers a host candidate on every one of
    /// them, and on nothing else ([`local_ips`] lists the machine's usable addresses). Each
    /// datagram goes out of the socket of the candidate ICE chose. Host names of
    /// `config.ice_servers` resolve to the first address's family. An empty list is
    /// [`Error::NoLocalAddress`].
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (the task is spawned on the current one).
    pub async fn bind_on(
        config: PeerConfig,
        ips: &[IpAddr],
        event_capacity: usize,
    ) -> Result<Self, Error> {
        let sockets = bind(ips).await?;
        let config = resolve_ice_servers(config, ips[0]).await;
        let (events_tx, events) = flume::bounded(event_capacity.max(1));
        let (candidates_tx, candidates) = mpsc::channel(CANDIDATES);
        let outlet = Outlet::Standalone {
            events: events_tx,
            candidates: candidates_tx,
        };
        Ok(Self {
            connection: Connection::spawn(config, sockets, outlet, None)?,
            events: Events::of_task(events),
            candidates: std::sync::Mutex::new(candidates),
        })
    }

    /// janus.js `createOffer`: see [`PeerConnection::create_offer`]. Our candidates are
    /// ready for [`take_local_candidates`](Self::take_local_candidates) at once.
    pub async fn create_offer(&self, tracks: &[Track], ice_restart: bool) -> Result<Jsep, Error> {
        let tracks = tracks.to_vec();
        Ok(self
            .with(move |hc, now| {
                let offer = hc.create_offer(now, &tracks, ice_restart);
                hc.jsep_sent();
                offer
            })
            .await??)
    }

    /// janus.js `createAnswer({jsep, tracks})`: see [`PeerConnection::create_answer`].
    pub async fn create_answer(&self, offer: &Jsep, tracks: &[Track]) -> Result<Jsep, Error> {
        let (offer, tracks) = (offer.clone(), tracks.to_vec());
        Ok(self
            .with(move |hc, now| {
                let answer = hc.create_answer(now, &offer, &tracks);
                hc.jsep_sent();
                answer
            })
            .await??)
    }

    /// janus.js `handleRemoteJsep`: applies Janus's answer.
    pub async fn handle_remote_jsep(&self, jsep: &Jsep) -> Result<(), Error> {
        let jsep = jsep.clone();
        Ok(self
            .with(move |hc, _| hc.handle_remote_jsep(&jsep))
            .await??)
    }

    /// Our candidates produced since the last call, ready for [`Handle::trickle`]
    /// (ending with [`Trickle::Completed`] once all are out).
    pub fn take_local_candidates(&self) -> Vec<Trickle> {
        let mut rx = self
            .candidates
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    /// The usual exchange with a plugin that answers our offer, wired by hand: makes the
    /// offer, sends it in a `message` with `body`, applies the answer, and trickles our
    /// candidates. (A handle that owns its connection does this with [`Handle::offer`].)
    pub async fn offer(
        &self,
        handle: &Handle,
        body: Value,
        tracks: &[Track],
        ice_restart: bool,
    ) -> Result<PluginReply, Error> {
        let jsep = self.create_offer(tracks, ice_restart).await?;
        let reply = handle.message(body, Some(jsep)).await?;
        let Some(answer) = &reply.jsep else {
            return Err(Error::Rtc(janus_rtc::Error::NoPendingOffer));
        };
        self.handle_remote_jsep(answer).await?;
        self.trickle(handle).await?;
        Ok(reply)
    }

    /// The exchange with a plugin that offers, wired by hand: answers `offer` and sends
    /// the answer in a `message` with `body` (e.g. `start`).
    pub async fn answer(
        &self,
        handle: &Handle,
        body: Value,
        offer: &Jsep,
    ) -> Result<PluginReply, Error> {
        let jsep = self.create_answer(offer, &[]).await?;
        let reply = handle.message(body, Some(jsep)).await?;
        self.trickle(handle).await?;
        Ok(reply)
    }

    /// Sends our pending candidates to Janus.
    pub async fn trickle(&self, handle: &Handle) -> Result<(), Error> {
        let candidates = self.take_local_candidates();
        if candidates.is_empty() {
            return Ok(());
        }
        handle.trickle(candidates).await
    }

    /// Hands a handle event to the connection: Janus's trickled candidates are applied and
    /// its `hangup` closes the connection (see [`HandleConnection::handle_janus_event`]).
    pub async fn handle_janus_event(&self, event: &JanusEvent) -> Result<(), Error> {
        if !PeerConnection::wants_janus_event(event) {
            return Ok(());
        }
        let event = event.clone();
        self.with(move |hc, _| hc.handle_janus_event(event)).await
    }

    /// The event queue, for `recv`, `try_recv` and `stream` (closed once the task ended
    /// and every event was read).
    pub fn events(&self) -> &Events<Event> {
        &self.events
    }

    /// The next event within `timeout`.
    pub async fn recv_timeout(&self, timeout: Duration) -> Result<Event, Error> {
        self.events.recv_timeout(timeout).await
    }

    /// Waits (up to `timeout`) for the first event that `pick` maps to `Some`, skipping others.
    pub async fn wait_for<T>(
        &self,
        timeout: Duration,
        pick: impl FnMut(Event) -> Option<T>,
    ) -> Result<T, Error> {
        self.events.wait_for(timeout, pick).await
    }
}

/// Where the connection's outputs go.
enum Outlet {
    /// A [`Peer`] of its own: events to its queue (Janus's, which the application handed
    /// over, are its already), candidates for the application to trickle.
    Standalone {
        events: flume::Sender<Event>,
        candidates: mpsc::Sender<Trickle>,
    },
    /// A handle's connection: every event to the handle's queue, candidates to Janus.
    Handle(Signalling),
}

impl Outlet {
    /// Offers an event to the application's queue without waiting (the rule for what
    /// finds no room is [`Outbox`]'s).
    fn offer(&self, event: HandleEvent) -> Offer {
        match self {
            Self::Standalone { events, .. } => {
                // A standalone connection's Janus side is the application's own.
                let HandleEvent::Rtc(e) = event else {
                    return Offer::Taken;
                };
                match events.try_send(e) {
                    Ok(()) => Offer::Taken,
                    Err(flume::TrySendError::Full(e)) => Offer::Full(HandleEvent::Rtc(e)),
                    Err(flume::TrySendError::Disconnected(_)) => Offer::Gone,
                }
            }
            Self::Handle(s) => match s.merged.try_send(event) {
                Ok(()) => Offer::Taken,
                Err(flume::TrySendError::Full(e)) => Offer::Full(e),
                Err(flume::TrySendError::Disconnected(_)) => Offer::Gone,
            },
        }
    }

    /// Sends our candidates on: to the application's queue, or to Janus in one `trickle`
    /// request (whose outcome nobody waits for: a failure is logged).
    fn trickle(&self, candidates: Vec<Trickle>) {
        match self {
            Self::Standalone { candidates: tx, .. } => {
                for c in candidates {
                    if tx.try_send(c).is_err() {
                        warn!("local candidate dropped: nobody trickles them");
                    }
                }
            }
            Self::Handle(s) => {
                let (reply, outcome) = oneshot::channel();
                let op = Op::Trickle {
                    handle: s.handle,
                    candidates,
                };
                let commands = s.commands.clone();
                // Sent now when the driver has room (in order with the handle's requests),
                // else from a task of its own rather than stall the media.
                match commands.try_send(Command { op, reply }) {
                    Ok(()) => {}
                    Err(TrySendError::Full(command)) => {
                        tokio::spawn(async move { commands.send(command).await });
                    }
                    Err(TrySendError::Closed(_)) => return,
                }
                tokio::spawn(async move {
                    if let Ok(outcome) = outcome.await {
                        if let Err(e) = outcome.result {
                            warn!(error = %e, "trickle refused");
                        }
                    }
                });
            }
        }
    }
}

impl Outlet {
    /// Sends an automatic ICE restart offer to Janus in a `message` with `body`; its
    /// outcome comes on the returned channel. A standalone connection has no handle to
    /// send it on: the policy is the handle's.
    fn restart_ice(&self, body: Value, offer: Jsep) -> Option<oneshot::Receiver<Outcome>> {
        let Self::Handle(s) = self else {
            warn!("ICE restart policy ignored: a standalone Peer has no handle to send it");
            return None;
        };
        let (reply, outcome) = oneshot::channel();
        let op = Op::Message {
            handle: s.handle,
            body,
            jsep: Some(offer),
        };
        let commands = s.commands.clone();
        match commands.try_send(Command { op, reply }) {
            Ok(()) => {}
            Err(TrySendError::Full(command)) => {
                tokio::spawn(async move { commands.send(command).await });
            }
            Err(TrySendError::Closed(_)) => return None,
        }
        Some(outcome)
    }
}

/// The task: owns the socket and the connection. Dropping the [`Connection`] closes its
/// calls, which ends the task at its next wake-up; an event waiting for room ends it at
/// once when nobody is left to read it. A handle's connection also ends when the handle's
/// Janus events end (detached, session gone).
struct MediaTask {
    hc: HandleConnection,
    /// One per local address, in the order of `local_addrs`.
    sockets: Vec<UdpSocket>,
    local_addrs: Vec<SocketAddr>,
    calls: mpsc::Receiver<Call>,
    janus: Option<DriverQueue>,
    outlet: Outlet,
    /// Events waiting for room in the application's queue.
    outbox: Outbox,
    dropped: Arc<AtomicU64>,
    /// The reply to our automatic ICE restart, while it is out.
    restart: Option<oneshot::Receiver<Outcome>>,
    /// TCP streams to TURN servers.
    streams: Streams,
}

impl MediaTask {
    async fn run(mut self) {
        let mut buf = vec![0u8; 2048];
        let sleep = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(sleep);
        let mut pace = Pace::default();
        loop {
            let Some(deadline) = self.flush().await else {
                break;
            };
            let now = Instant::now();
            let Some(wait) = pace.wait(deadline, now) else {
                // Due already: at once, not a timer tick later.
                let _ = self.hc.handle_input(Input::Timeout(now));
                continue;
            };
            let blocked = self.outbox.is_blocked();
            let mut wake = now + wait;
            if blocked {
                // Nothing new is read until the application makes room: look again soon.
                wake = wake.min(Instant::now() + BLOCKED_RETRY);
            }
            sleep.as_mut().reset(tokio::time::Instant::from_std(wake));
            let janus = async {
                match self.janus.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            let restart = async {
                match self.restart.as_mut() {
                    Some(rx) => rx.await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = recv_any(&self.sockets, &mut buf), if !blocked => match received {
                    (i, Ok((n, from))) => {
                        self.receive(self.local_addrs[i], from, &buf[..n]);
                        // Take what else is queued, on every socket, without another trip
                        // through select!.
                        for i in 0..self.sockets.len() {
                            while let Ok((n, from)) = self.sockets[i].try_recv_from(&mut buf) {
                                self.receive(self.local_addrs[i], from, &buf[..n]);
                            }
                        }
                    }
                    (i, Err(e)) => debug!(error = %e, local = %self.local_addrs[i], "recv failed"),
                },
                call = self.calls.recv() => {
                    let Some(call) = call else {
                        self.hc.close();
                        let _ = self.flush().await;
                        break;
                    };
                    call(&mut self.hc, Instant::now());
                }
                event = janus, if !blocked => match event {
                    Some(event) => self.hc.handle_janus_event(event),
                    None => {
                        // The handle is gone on the server: so is its connection.
                        self.janus = None;
                        self.hc.close();
                        let _ = self.flush().await;
                        break;
                    }
                },
                news = self.streams.recv(), if !blocked => {
                    if let Some(news) = news {
                        let _ = self.hc.handle_input(Input::Stream(Instant::now(), news.event()));
                    }
                }
                outcome = restart => {
                    self.restart = None;
                    let answer = outcome
                        .ok()
                        .and_then(|o| o.result.ok())
                        .and_then(|r| r.into_plugin().ok())
                        .and_then(|p| p.jsep);
                    self.hc.restart_answered(answer);
                }
                () = &mut sleep => {}
            }
            // The deadline is checked against the clock, not trusted from the timer.
            let now = Instant::now();
            if now >= deadline {
                // A timeout never fails.
                let _ = self.hc.handle_input(Input::Timeout(now));
            }
        }
        debug!(local = ?self.local_addrs, "peer task ends");
    }

    /// One datagram received on the socket bound to `local` into the connection.
    fn receive(&mut self, local: SocketAddr, from: SocketAddr, datagram: &[u8]) {
        let input = Input::Receive(Instant::now(), from, local, datagram);
        if let Err(e) = self.hc.handle_input(input) {
            debug!(error = %e, %from, "datagram ignored");
        }
    }

    /// Sends what the connection wants sent, trickles and delivers its events; `None`
    /// when the application is gone.
    async fn flush(&mut self) -> Option<Instant> {
        let outlet = &self.outlet;
        self.outbox.retry(&mut |e| outlet.offer(e)).ok()?;
        loop {
            match self.hc.poll_output() {
                HandleOutput::Timeout(at) => return Some(at),
                HandleOutput::Transmit(t) => {
                    let Some(i) = socket_for(&self.local_addrs, &t) else {
                        debug!(from = %t.source, to = %t.destination, "no socket for the source");
                        continue;
                    };
                    if let Err(e) = self.sockets[i].send_to(&t.contents, t.destination).await {
                        debug!(error = %e, from = %t.source, to = %t.destination, "send failed");
                    }
                }
                HandleOutput::Stream(command) => self.streams.command(command),
                HandleOutput::Trickle(candidates) => self.outlet.trickle(candidates),
                HandleOutput::RestartIce { body, offer } => {
                    self.restart = self.outlet.restart_ice(body, offer);
                    self.hc.jsep_sent();
                }
                HandleOutput::Event(e) => {
                    let outlet = &self.outlet;
                    if self.outbox.push(e, &mut |e| outlet.offer(e)).ok()? {
                        self.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }
}

/// The first datagram to arrive on any of `sockets`, with the index of its socket. Every
/// socket is polled on each wake-up (the first ready one wins; the caller then drains them
/// all), so a busy socket cannot starve the others for long.
async fn recv_any(
    sockets: &[UdpSocket],
    buf: &mut [u8],
) -> (usize, std::io::Result<(usize, SocketAddr)>) {
    std::future::poll_fn(|cx| {
        for (i, socket) in sockets.iter().enumerate() {
            let mut read = tokio::io::ReadBuf::new(buf);
            match socket.poll_recv_from(cx, &mut read) {
                std::task::Poll::Ready(Ok(from)) => {
                    return std::task::Poll::Ready((i, Ok((read.filled().len(), from))));
                }
                std::task::Poll::Ready(Err(e)) => return std::task::Poll::Ready((i, Err(e))),
                std::task::Poll::Pending => {}
            }
        }
        std::task::Poll::Pending
    })
    .await
}
