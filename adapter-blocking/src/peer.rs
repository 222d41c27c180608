//! WebRTC for a handle: a `janus-rtc` connection on one UDP socket per local address,
//! driven by a thread of its own (one `mio` poll for the sockets and the TCP streams to TURN
//! servers (`crate::stream`), a waker for calls and for the handle's Janus events, and the
//! connection's deadline). Every WebRTC decision, and the glue with the handle, is
//! `janus-rtc`'s ([`HandleConnection`]); this moves datagrams, stream bytes, calls, events
//! and trickle requests.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use janus_proto::{Event as JanusEvent, HandleRef, Jsep, Trickle};
use janus_rtc::outbox::{Offer, Outbox};
use janus_rtc::{
    AudioLevel, Event, FrameTransform, HandleConnection, HandleEvent, HandleOutput, Input,
    LocalAddrFilter, Pace, PeerConfig, PeerConnection, Track, TrackInfo, socket_for,
};
use mio::{Interest, Poll, Token};
use serde_json::Value;
use tracing::{debug, warn};

use crate::client::JanusQueue;
use crate::driver::{Command, Op, Outcome, Wake, WakeTx};
use crate::stream::Streams;
use crate::{Error, Handle, PluginReply};

const WAKER: Token = Token(0);
/// The first socket's; socket `i` is `Token(1 + i)`.
const UDP: usize = 1;
/// Calls waiting for the media thread.
const CALLS: usize = 64;
/// Our candidates waiting to be trickled by hand.
const CANDIDATES: usize = 64;
/// How often a connection whose events wait for room offers them again.
const BLOCKED_RETRY: Duration = Duration::from_millis(5);

type Call = Box<dyn FnOnce(&mut HandleConnection, Instant) + Send>;

/// A WebRTC peer connection with Janus, standalone: the application wires it to its
/// [`Handle`] (janus.js `createOffer`/`createAnswer`/`handleRemoteJsep`, `data`,
/// `getBitrate`, `muteAudio`, `hangup`). A handle can own one instead
/// ([`Handle::add_peer`]), which needs no wiring.
///
/// Events (tracks, frames, data, ICE state, closing) come from
/// [`recv_timeout`](Self::recv_timeout) and [`wait_for`](Self::wait_for), in order.
/// Received media frames are dropped when the application does not keep up (a late frame
/// is worth nothing); [`dropped_frames`](Connection::dropped_frames) counts them. Every
/// other event waits for room ([`janus_rtc::outbox`]): meanwhile the connection reads
/// nothing new from the socket (calls and timers go on), so nothing else is lost: drain
/// the queue.
///
/// Janus's side of the conversation stays on the [`Handle`]: [`offer`](Self::offer) does
/// the whole exchange for the usual case, and the handle's `Trickle` and `Hangup` events are
/// passed on with [`handle_janus_event`](Self::handle_janus_event). The calls on the
/// connection itself (frames, data, DTMF, mute) are [`Connection`]'s, which a `Peer`
/// derefs to.
pub struct Peer {
    connection: Connection,
    events: Mutex<flume::Receiver<Event>>,
    candidates: Mutex<Receiver<Trickle>>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("local_addrs", &self.connection.local_addrs)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for Peer {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.connection
    }
}

/// A running WebRTC connection: its thread's calls. [`Handle::peer`] gives the one a
/// handle owns; a standalone [`Peer`] derefs to its own. Dropping it ends the thread.
pub struct Connection {
    calls: SyncSender<Call>,
    waker: Arc<mio::Waker>,
    dropped: Arc<AtomicU64>,
    local_addrs: Vec<SocketAddr>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("local_addrs", &self.local_addrs)
            .finish_non_exhaustive()
    }
}

/// What a handle's connection needs of its handle: the driver, to trickle, and the
/// handle's one event queue.
pub(crate) struct Signalling {
    pub(crate) wake: WakeTx,
    pub(crate) handle: HandleRef,
    pub(crate) merged: flume::Sender<HandleEvent>,
}

/// The host names of `config.ice_servers` replaced by addresses of `ip`'s family (the core
/// takes IP literals only; the first local address's family, when there are several), with
/// the system resolver; a name that does not resolve stays, and the connection reports it
/// (`IceServerError::Unresolved`).
pub(crate) fn resolve_ice_servers(mut config: PeerConfig, ip: IpAddr) -> PeerConfig {
    use std::net::ToSocketAddrs;
    config.resolve_ice_servers(|host, port| match (host, port).to_socket_addrs() {
        Ok(mut addrs) => addrs.find(|a| a.is_ipv4() == ip.is_ipv4()).map(|a| a.ip()),
        Err(e) => {
            tracing::debug!(%host, error = %e, "ICE server not resolved");
            None
        }
    });
    config
}

/// Binds a non-blocking UDP socket on each of `ips`, any free port (each address once).
pub(crate) fn bind(ips: &[IpAddr]) -> Result<Vec<mio::net::UdpSocket>, Error> {
    let ips = janus_rtc::distinct(ips);
    let mut sockets = Vec::with_capacity(ips.len());
    for ip in ips {
        let socket = std::net::UdpSocket::bind((ip, 0))
            .map_err(|e| Error::Io(format!("binding UDP on {ip}: {e}")))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| Error::Io(e.to_string()))?;
        sockets.push(mio::net::UdpSocket::from_std(socket));
    }
    if sockets.is_empty() {
        return Err(Error::NoLocalAddress);
    }
    Ok(sockets)
}

/// The machine's addresses that `filter` keeps (janus-rtc's rule, [`LocalAddrFilter`]):
/// by default every IPv4 and IPv6 address of every interface but loopback and link-local
/// ones, IPv4 first. Give them to [`Peer::bind_on`] or [`Handle::add_peer_on`] to offer a
/// host candidate on each.
pub fn local_ips(filter: LocalAddrFilter) -> Result<Vec<IpAddr>, Error> {
    let interfaces =
        if_addrs::get_if_addrs().map_err(|e| Error::Io(format!("listing the interfaces: {e}")))?;
    Ok(filter.select(interfaces.iter().map(if_addrs::Interface::ip)))
}

impl Connection {
    fn spawn(
        config: PeerConfig,
        mut sockets: Vec<mio::net::UdpSocket>,
        outlet: Outlet,
        janus: Option<JanusQueue>,
    ) -> Result<Self, Error> {
        let io = |e: std::io::Error| Error::Io(e.to_string());
        let local_addrs = sockets
            .iter()
            .map(mio::net::UdpSocket::local_addr)
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?;
        if local_addrs.is_empty() {
            return Err(Error::NoLocalAddress);
        }
        let poll = Poll::new().map_err(io)?;
        for (i, socket) in sockets.iter_mut().enumerate() {
            poll.registry()
                .register(socket, Token(UDP + i), Interest::READABLE)
                .map_err(io)?;
        }
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKER).map_err(io)?);
        if let Some(q) = &janus {
            q.bell.hang(Arc::clone(&waker));
        }
        let (calls, calls_rx) = sync_channel::<Call>(CALLS);
        let dropped = Arc::new(AtomicU64::new(0));
        let mut media = MediaThread {
            hc: HandleConnection::new(config, Instant::now(), &local_addrs),
            sockets,
            poll,
            local_addrs: local_addrs.clone(),
            calls: calls_rx,
            janus,
            outlet,
            trickles: Vec::new(),
            restart: None,
            outbox: Outbox::new(),
            dropped: Arc::clone(&dropped),
            streams: Streams::new(UDP + local_addrs.len()),
        };
        let thread = std::thread::Builder::new()
            .name(format!("janus-peer {}", local_addrs[0]))
            .spawn(move || media.run())
            .map_err(io)?;
        Ok(Self {
            calls,
            waker,
            dropped,
            local_addrs,
            thread: Some(thread),
        })
    }

    /// The connection of a handle: its Janus events come from `janus`, its events and
    /// Janus's go to the handle's queue, its candidates to Janus.
    pub(crate) fn spawn_for_handle(
        config: PeerConfig,
        sockets: Vec<mio::net::UdpSocket>,
        janus: JanusQueue,
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

    /// Runs `f` on the handle's connection state, on its thread.
    pub(crate) fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut HandleConnection, Instant) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (tx, rx) = sync_channel(1);
        let call: Call = Box::new(move |hc, now| {
            let _ = tx.send(f(hc, now));
        });
        self.calls.send(call).map_err(|_| Error::Closed)?;
        let _ = self.waker.wake();
        rx.recv().map_err(|_| Error::Closed)
    }

    /// Runs `f` on the peer connection, on its thread, and returns what it returns.
    pub fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PeerConnection, Instant) -> T + Send + 'static,
    ) -> Result<T, Error> {
        self.with(move |hc, now| f(hc.connection(), now))
    }

    /// Writes an encoded frame to a local track: see [`PeerConnection::write_frame`].
    pub fn write_frame(&self, mid: &str, rtp_time: u64, data: &[u8]) -> Result<bool, Error> {
        let (mid, data) = (mid.to_owned(), data.to_vec());
        Ok(self.call(move |pc, now| pc.write_frame(now, &mid, rtp_time, &data))??)
    }

    /// Writes a frame of one simulcast layer: see [`PeerConnection::write_simulcast_frame`].
    pub fn write_simulcast_frame(
        &self,
        mid: &str,
        rid: &str,
        rtp_time: u64,
        data: &[u8],
    ) -> Result<bool, Error> {
        let (mid, rid, data) = (mid.to_owned(), rid.to_owned(), data.to_vec());
        Ok(self.call(move |pc, now| pc.write_simulcast_frame(now, &mid, &rid, rtp_time, &data))??)
    }

    /// Writes an audio frame with its RFC 6464 level (what Janus's talk detection reads):
    /// see [`PeerConnection::write_frame_with_level`].
    pub fn write_frame_with_level(
        &self,
        mid: &str,
        rtp_time: u64,
        data: &[u8],
        level: AudioLevel,
    ) -> Result<bool, Error> {
        let (mid, data) = (mid.to_owned(), data.to_vec());
        Ok(self
            .call(move |pc, now| pc.write_frame_with_level(now, &mid, rtp_time, &data, level))??)
    }

    /// The level of the last frame we wrote on `mid` with one (janus.js `getLocalVolume`).
    pub fn local_volume(&self, mid: &str) -> Result<Option<AudioLevel>, Error> {
        let mid = mid.to_owned();
        self.call(move |pc, _| pc.local_volume(&mid))
    }

    /// The level of the last frame received on `mid` with one (janus.js `getRemoteVolume`).
    pub fn remote_volume(&self, mid: &str) -> Result<Option<AudioLevel>, Error> {
        let mid = mid.to_owned();
        self.call(move |pc, _| pc.remote_volume(&mid))
    }

    /// Queues DTMF tones on an audio track (janus.js `dtmf`): see
    /// [`PeerConnection::insert_dtmf`].
    pub fn insert_dtmf(
        &self,
        mid: &str,
        tones: &str,
        duration: Duration,
        gap: Duration,
    ) -> Result<(), Error> {
        let (mid, tones) = (mid.to_owned(), tones.to_owned());
        Ok(self.call(move |pc, now| pc.insert_dtmf(now, &mid, &tones, duration, gap))??)
    }

    /// Sends a data-channel message (janus.js `data`).
    pub fn send_data(&self, label: &str, binary: bool, data: &[u8]) -> Result<(), Error> {
        let (label, data) = (label.to_owned(), data.to_vec());
        Ok(self.call(move |pc, _| pc.send_data(&label, binary, &data))??)
    }

    /// Stops sending on a local track without renegotiating (janus.js
    /// `muteAudio`/`muteVideo`): see [`PeerConnection::mute`].
    pub fn mute(&self, mid: &str) -> Result<(), Error> {
        let mid = mid.to_owned();
        Ok(self.call(move |pc, _| pc.mute(&mid))??)
    }

    /// Sends again on a muted track (janus.js `unmuteAudio`/`unmuteVideo`): see
    /// [`PeerConnection::unmute`].
    pub fn unmute(&self, mid: &str) -> Result<(), Error> {
        let mid = mid.to_owned();
        Ok(self.call(move |pc, _| pc.unmute(&mid))??)
    }

    /// Asks Janus for a keyframe on the received video track `mid` (a PLI): see
    /// [`PeerConnection::request_keyframe`].
    pub fn request_keyframe(&self, mid: &str) -> Result<(), Error> {
        let mid = mid.to_owned();
        Ok(self.call(move |pc, _| pc.request_keyframe(&mid))??)
    }

    /// The received bitrate on `mid` in bits per second (janus.js `getBitrate`).
    pub fn bitrate(&self, mid: &str) -> Result<Option<u64>, Error> {
        let mid = mid.to_owned();
        self.call(move |pc, _| pc.bitrate(&mid))
    }

    /// The tracks we send now (janus.js `getLocalTracks`).
    pub fn local_tracks(&self) -> Result<Vec<TrackInfo>, Error> {
        self.call(|pc, _| pc.local_tracks())
    }

    /// The tracks we receive now (janus.js `getRemoteTracks`).
    pub fn remote_tracks(&self) -> Result<Vec<TrackInfo>, Error> {
        self.call(|pc, _| pc.remote_tracks())
    }

    /// Whether the local track `mid` is muted (janus.js `isAudioMuted`/`isVideoMuted`).
    pub fn is_muted(&self, mid: &str) -> Result<bool, Error> {
        let mid = mid.to_owned();
        self.call(move |pc, _| pc.is_muted(&mid))
    }

    /// Opens another data channel, with a subprotocol (`""` for none), once data channels
    /// were negotiated: see [`PeerConnection::open_data_channel`].
    pub fn open_data_channel(&self, label: &str, protocol: &str) -> Result<(), Error> {
        let (label, protocol) = (label.to_owned(), protocol.to_owned());
        Ok(self.call(move |pc, _| pc.open_data_channel(&label, &protocol))??)
    }

    /// Sets the end-to-end encryption transform (janus.js `e2ee`), before the offer or
    /// answer: see [`PeerConnection::set_transform`] and [`janus_rtc::transform`].
    pub fn set_transform(&self, transform: Box<dyn FrameTransform>) -> Result<(), Error> {
        self.call(move |pc, _| pc.set_transform(transform))
    }

    /// Received frames the transform could not decrypt: see
    /// [`PeerConnection::decrypt_failures`].
    pub fn decrypt_failures(&self) -> Result<u64, Error> {
        self.call(|pc, _| pc.decrypt_failures())
    }

    /// Received frames (and decrypt-failure reports) dropped because the event queue was
    /// full.
    pub fn dropped_frames(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Closes the connection without telling Janus (janus.js `hangup(false)`; on a
    /// handle, [`Handle::hangup`] does both). [`Event::Closed`] is its last event.
    pub fn close(&self) -> Result<(), Error> {
        self.with(|hc, _| hc.close())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // The calls gone, the thread ends at its next wake-up; a delivery blocked on a
        // full event queue fails as soon as the queue's reader is dropped too (a `Peer`
        // drops it first, a `Handle` holds it in a field dropped before this one).
        drop(std::mem::replace(&mut self.calls, sync_channel(0).0));
        let _ = self.waker.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Peer {
    /// Binds a UDP socket on `ip` (any free port; 127.0.0.2 in the test namespace) and
    /// starts the connection's thread. `event_capacity` bounds the event queue.
    pub fn bind(config: PeerConfig, ip: IpAddr, event_capacity: usize) -> Result<Self, Error> {
        Self::bind_on(config, &[ip], event_capacity)
    }

    /// Binds a UDP socket on each of `ips` (any free port each; IPv4 and IPv6 alike) and
    /// starts the connection's thread: the connection offers a host candidate on every one
    /// of them, and on nothing else ([`local_ips`] lists the machine's usable addresses).
    /// Each datagram goes out of the socket of the candidate ICE chose. Host names of
    /// `config.ice_servers` resolve to the first address's family. An empty list is
    /// [`Error::NoLocalAddress`].
    pub fn bind_on(
        config: PeerConfig,
        ips: &[IpAddr],
        event_capacity: usize,
    ) -> Result<Self, Error> {
        let sockets = bind(ips)?;
        let (events_tx, events) = flume::bounded(event_capacity.max(1));
        let (candidates_tx, candidates) = sync_channel(CANDIDATES);
        let outlet = Outlet::Standalone {
            events: events_tx,
            candidates: candidates_tx,
        };
        Ok(Self {
            connection: Connection::spawn(
                resolve_ice_servers(config, ips[0]),
                sockets,
                outlet,
                None,
            )?,
            events: Mutex::new(events),
            candidates: Mutex::new(candidates),
        })
    }

    /// janus.js `createOffer`: see [`PeerConnection::create_offer`]. Our candidates are
    /// ready for [`take_local_candidates`](Self::take_local_candidates) at once.
    pub fn create_offer(&self, tracks: &[Track], ice_restart: bool) -> Result<Jsep, Error> {
        let tracks = tracks.to_vec();
        Ok(self.with(move |hc, now| {
            let offer = hc.create_offer(now, &tracks, ice_restart);
            hc.jsep_sent();
            offer
        })??)
    }

    /// janus.js `createAnswer({jsep, tracks})`: see [`PeerConnection::create_answer`].
    pub fn create_answer(&self, offer: &Jsep, tracks: &[Track]) -> Result<Jsep, Error> {
        let (offer, tracks) = (offer.clone(), tracks.to_vec());
        Ok(self.with(move |hc, now| {
            let answer = hc.create_answer(now, &offer, &tracks);
            hc.jsep_sent();
            answer
        })??)
    }

    /// janus.js `handleRemoteJsep`: applies Janus's answer.
    pub fn handle_remote_jsep(&self, jsep: &Jsep) -> Result<(), Error> {
        let jsep = jsep.clone();
        Ok(self.with(move |hc, _| hc.handle_remote_jsep(&jsep))??)
    }

    /// Our candidates produced since the last call, ready for [`Handle::trickle`]
    /// (ending with [`Trickle::Completed`] once all are out).
    pub fn take_local_candidates(&self) -> Vec<Trickle> {
        let rx = lock(&self.candidates);
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    /// The usual exchange with a plugin that answers our offer, wired by hand: makes the
    /// offer, sends it in a `message` with `body`, applies the answer, and trickles our
    /// candidates. (A handle that owns its connection does this with [`Handle::offer`].)
    pub fn offer(
        &self,
        handle: &Handle,
        body: Value,
        tracks: &[Track],
        ice_restart: bool,
    ) -> Result<PluginReply, Error> {
        let jsep = self.create_offer(tracks, ice_restart)?;
        let reply = handle.message(body, Some(jsep))?;
        let Some(answer) = &reply.jsep else {
            return Err(Error::Rtc(janus_rtc::Error::NoPendingOffer));
        };
        self.handle_remote_jsep(answer)?;
        self.trickle(handle)?;
        Ok(reply)
    }

    /// The exchange with a plugin that offers, wired by hand: answers `offer` and sends
    /// the answer in a `message` with `body` (e.g. `start`).
    pub fn answer(&self, handle: &Handle, body: Value, offer: &Jsep) -> Result<PluginReply, Error> {
        let jsep = self.create_answer(offer, &[])?;
        let reply = handle.message(body, Some(jsep))?;
        self.trickle(handle)?;
        Ok(reply)
    }

    /// Sends our pending candidates to Janus.
    pub fn trickle(&self, handle: &Handle) -> Result<(), Error> {
        let candidates = self.take_local_candidates();
        if !candidates.is_empty() {
            handle.trickle(candidates)?;
        }
        Ok(())
    }

    /// Hands a handle event to the connection: Janus's trickled candidates are applied and
    /// its `hangup` closes the connection (see [`HandleConnection::handle_janus_event`]).
    pub fn handle_janus_event(&self, event: &JanusEvent) -> Result<(), Error> {
        if !PeerConnection::wants_janus_event(event) {
            return Ok(());
        }
        let event = event.clone();
        self.with(move |hc, _| hc.handle_janus_event(event))
    }

    /// The next event within `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Event, Error> {
        lock(&self.events)
            .recv_timeout(timeout)
            .map_err(|e| match e {
                flume::RecvTimeoutError::Timeout => Error::Timeout,
                flume::RecvTimeoutError::Disconnected => Error::Closed,
            })
    }

    /// Waits (up to `timeout`) for the first event that `pick` maps to `Some`.
    pub fn wait_for<T>(
        &self,
        timeout: Duration,
        mut pick: impl FnMut(Event) -> Option<T>,
    ) -> Result<T, Error> {
        let until = Instant::now() + timeout;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if let Some(t) = pick(self.recv_timeout(left)?) {
                return Ok(t);
            }
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // The reader first, so that a delivery blocked on a full queue fails at once; the
        // connection's own drop then ends and joins the thread.
        drop(std::mem::replace(
            &mut *lock(&self.events),
            flume::bounded(0).1,
        ));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Where the connection's outputs go.
enum Outlet {
    /// A [`Peer`] of its own: events to its queue (Janus's, which the application handed
    /// over, are its already), candidates for the application to trickle.
    Standalone {
        events: flume::Sender<Event>,
        candidates: SyncSender<Trickle>,
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
    /// request, whose outcome is checked later (see [`MediaThread::check_trickles`]).
    fn trickle(&self, candidates: Vec<Trickle>) -> Option<Receiver<Outcome>> {
        match self {
            Self::Standalone { candidates: tx, .. } => {
                for c in candidates {
                    if tx.try_send(c).is_err() {
                        warn!("local candidate dropped: nobody trickles them");
                    }
                }
                None
            }
            Self::Handle(s) => {
                let (reply, outcome) = sync_channel(1);
                let op = Op::Trickle {
                    handle: s.handle,
                    candidates,
                };
                s.wake
                    .send(Wake::Cmd(Command { op, reply }))
                    .then_some(outcome)
            }
        }
    }
}

impl Outlet {
    /// Sends an automatic ICE restart offer to Janus in a `message` with `body`; its
    /// outcome comes on the returned channel. A standalone connection has no handle to
    /// send it on: the policy is the handle's.
    fn restart_ice(&self, body: Value, offer: Jsep) -> Option<Receiver<Outcome>> {
        let Self::Handle(s) = self else {
            warn!("ICE restart policy ignored: a standalone Peer has no handle to send it");
            return None;
        };
        let (reply, outcome) = sync_channel(1);
        let op = Op::Message {
            handle: s.handle,
            body,
            jsep: Some(offer),
        };
        s.wake
            .send(Wake::Cmd(Command { op, reply }))
            .then_some(outcome)
    }
}

struct MediaThread {
    hc: HandleConnection,
    /// One per local address, in the order of `local_addrs`.
    sockets: Vec<mio::net::UdpSocket>,
    poll: Poll,
    local_addrs: Vec<SocketAddr>,
    calls: Receiver<Call>,
    janus: Option<JanusQueue>,
    outlet: Outlet,
    /// Our trickle requests whose outcome has not come yet.
    trickles: Vec<Receiver<Outcome>>,
    /// The reply to our automatic ICE restart, while it is out (looked at every
    /// [`BLOCKED_RETRY`]: nothing wakes the poll when it comes).
    restart: Option<Receiver<Outcome>>,
    /// Events waiting for room in the application's queue.
    outbox: Outbox,
    dropped: Arc<AtomicU64>,
    /// TCP streams to TURN servers, in the same poll.
    streams: Streams,
}

impl MediaThread {
    fn run(&mut self) {
        let mut events = mio::Events::with_capacity(16);
        let mut buf = vec![0u8; 2048];
        let mut pace = Pace::default();
        loop {
            let Some(deadline) = self.flush() else {
                return;
            };
            let now = Instant::now();
            let Some(mut wait) = pace.wait(deadline, now) else {
                // Due already: at once, not a poll timeout later.
                let _ = self.hc.handle_input(Input::Timeout(now));
                continue;
            };
            let blocked = self.outbox.is_blocked();
            if blocked || self.restart.is_some() {
                // Nothing new is read until the application makes room, or a reply is
                // due that wakes nothing: look again soon.
                wait = wait.min(BLOCKED_RETRY);
            }
            if let Err(e) = self.poll.poll(&mut events, Some(wait)) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    warn!(error = %e, "peer poll failed");
                    return;
                }
            }
            if !blocked {
                // Every socket, each until it would block (mio's readiness is edge-triggered).
                for (socket, &local) in self.sockets.iter().zip(&self.local_addrs) {
                    loop {
                        match socket.recv_from(&mut buf) {
                            Ok((n, from)) => {
                                let input = Input::Receive(Instant::now(), from, local, &buf[..n]);
                                if let Err(e) = self.hc.handle_input(input) {
                                    debug!(error = %e, %from, "datagram ignored");
                                }
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                            Err(e) => {
                                debug!(error = %e, %local, "recv failed");
                                break;
                            }
                        }
                    }
                }
                self.streams
                    .pump(self.poll.registry(), &mut self.hc, &mut buf);
            }
            if !blocked && !self.take_janus_events() {
                // The handle is gone on the server: so is its connection.
                self.hc.close();
                let _ = self.flush();
                return;
            }
            loop {
                match self.calls.try_recv() {
                    Ok(call) => call(&mut self.hc, Instant::now()),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.hc.close();
                        let _ = self.flush();
                        return;
                    }
                }
            }
            self.check_trickles();
            self.check_restart();
            let now = Instant::now();
            if now >= deadline {
                // A timeout never fails.
                let _ = self.hc.handle_input(Input::Timeout(now));
            }
        }
    }

    /// Hands the handle's queued Janus events to the connection; `false` once the queue
    /// closed (the handle detached or its session ended).
    fn take_janus_events(&mut self) -> bool {
        let Some(q) = &self.janus else {
            return true;
        };
        loop {
            match q.rx.try_recv() {
                Ok(event) => {
                    q.room.taken();
                    self.hc.handle_janus_event(event);
                }
                Err(flume::TryRecvError::Empty) => return true,
                Err(flume::TryRecvError::Disconnected) => {
                    self.janus = None;
                    return false;
                }
            }
        }
    }

    /// Applies the answer to our automatic ICE restart once its reply came.
    fn check_restart(&mut self) {
        let Some(rx) = &self.restart else {
            return;
        };
        let answer = match rx.try_recv() {
            Ok(outcome) => outcome
                .result
                .ok()
                .and_then(|r| r.into_plugin().ok())
                .and_then(|p| p.jsep),
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => None,
        };
        self.restart = None;
        self.hc.restart_answered(answer);
    }

    /// Logs trickle requests that Janus refused.
    fn check_trickles(&mut self) {
        self.trickles.retain(|outcome| match outcome.try_recv() {
            Ok(Outcome { result: Err(e), .. }) => {
                warn!(error = %e, "trickle refused");
                false
            }
            Ok(_) | Err(TryRecvError::Disconnected) => false,
            Err(TryRecvError::Empty) => true,
        });
    }

    /// Sends what the connection wants sent, trickles and delivers its events; `None`
    /// when the application is gone.
    fn flush(&mut self) -> Option<Instant> {
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
                    if let Err(e) = self.sockets[i].send_to(&t.contents, t.destination) {
                        debug!(error = %e, from = %t.source, to = %t.destination, "send failed");
                    }
                }
                HandleOutput::Stream(command) => {
                    self.streams
                        .command(command, self.poll.registry(), &mut self.hc);
                }
                HandleOutput::Trickle(candidates) => {
                    self.trickles.extend(self.outlet.trickle(candidates));
                }
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
