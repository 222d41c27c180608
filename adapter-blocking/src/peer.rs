//! WebRTC for a handle: a `janus-rtc` peer connection on a UDP socket, driven by a thread
//! of its own (one `mio` poll for the socket, a waker for calls, and the connection's
//! deadline). Every WebRTC decision is `janus-rtc`'s; this moves datagrams and calls.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use janus_proto::{Event as JanusEvent, Jsep, Trickle};
use janus_rtc::{Event, Input, Output, PeerConfig, PeerConnection, Track};
use mio::{Interest, Poll, Token};
use serde_json::Value;
use tracing::{debug, warn};

use crate::{Error, Handle, PluginReply};

const WAKER: Token = Token(0);
const UDP: Token = Token(1);
/// Calls waiting for the media thread.
const CALLS: usize = 64;
/// str0m wants at least this long between wake-ups when its deadline is "now".
const MIN_WAIT: Duration = Duration::from_millis(1);

type Call = Box<dyn FnOnce(&mut PeerConnection, Instant) + Send>;

/// A WebRTC peer connection with Janus for one plugin handle, on a UDP socket of its own
/// (janus.js `createOffer`/`createAnswer`/`handleRemoteJsep`, `data`, `getBitrate`,
/// `muteAudio`, `hangup`).
///
/// Events (tracks, frames, data, ICE state, closing) come from
/// [`recv_timeout`](Self::recv_timeout) and [`wait_for`](Self::wait_for), in order. Received media frames are dropped when the application does not keep up (a
/// late frame is worth nothing); [`dropped_frames`](Self::dropped_frames) counts them. Every
/// other event waits for room, so nothing else is lost: drain the queue.
///
/// Janus's side of the conversation stays on the [`Handle`]: [`offer`](Self::offer) does
/// the whole exchange for the usual case, and the handle's `Trickle` and `Hangup` events are
/// passed on with [`handle_janus_event`](Self::handle_janus_event).
pub struct Peer {
    calls: SyncSender<Call>,
    waker: Arc<mio::Waker>,
    events: Mutex<Receiver<Event>>,
    candidates: Mutex<Receiver<Trickle>>,
    dropped: Arc<AtomicU64>,
    local_addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl Peer {
    /// Binds a UDP socket on `ip` (any free port; 127.0.0.2 in the test namespace) and
    /// starts the connection's thread. `event_capacity` bounds the event queue.
    pub fn bind(config: PeerConfig, ip: IpAddr, event_capacity: usize) -> Result<Self, Error> {
        let std_socket =
            std::net::UdpSocket::bind((ip, 0)).map_err(|e| Error::Io(e.to_string()))?;
        std_socket
            .set_nonblocking(true)
            .map_err(|e| Error::Io(e.to_string()))?;
        let local_addr = std_socket
            .local_addr()
            .map_err(|e| Error::Io(e.to_string()))?;
        let mut socket = mio::net::UdpSocket::from_std(std_socket);
        let poll = Poll::new().map_err(|e| Error::Io(e.to_string()))?;
        poll.registry()
            .register(&mut socket, UDP, Interest::READABLE)
            .map_err(|e| Error::Io(e.to_string()))?;
        let waker = Arc::new(
            mio::Waker::new(poll.registry(), WAKER).map_err(|e| Error::Io(e.to_string()))?,
        );
        let (calls, calls_rx) = sync_channel::<Call>(CALLS);
        let (events_tx, events) = sync_channel(event_capacity.max(1));
        let (candidates_tx, candidates) = sync_channel(64);
        let dropped = Arc::new(AtomicU64::new(0));
        let pc = PeerConnection::new(config, Instant::now(), &[local_addr]);
        let mut media = MediaThread {
            pc,
            socket,
            poll,
            local_addr,
            calls: calls_rx,
            events: events_tx,
            candidates: candidates_tx,
            dropped: Arc::clone(&dropped),
        };
        let thread = std::thread::Builder::new()
            .name(format!("janus-peer {local_addr}"))
            .spawn(move || media.run())
            .map_err(|e| Error::Io(e.to_string()))?;
        Ok(Self {
            calls,
            waker,
            events: Mutex::new(events),
            candidates: Mutex::new(candidates),
            dropped,
            local_addr,
            thread: Some(thread),
        })
    }

    /// The UDP address our host candidate carries.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Runs `f` on the connection, on its thread, and returns what it returns.
    pub fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PeerConnection, Instant) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let (tx, rx) = sync_channel(1);
        let call: Call = Box::new(move |pc, now| {
            let _ = tx.send(f(pc, now));
        });
        self.calls.send(call).map_err(|_| Error::Closed)?;
        let _ = self.waker.wake();
        rx.recv().map_err(|_| Error::Closed)
    }

    /// janus.js `createOffer`: see [`PeerConnection::create_offer`].
    pub fn create_offer(&self, tracks: &[Track], ice_restart: bool) -> Result<Jsep, Error> {
        let tracks = tracks.to_vec();
        Ok(self.call(move |pc, _| pc.create_offer(&tracks, ice_restart))??)
    }

    /// janus.js `createAnswer`: see [`PeerConnection::create_answer`].
    pub fn create_answer(&self, offer: &Jsep) -> Result<Jsep, Error> {
        let offer = offer.clone();
        Ok(self.call(move |pc, _| pc.create_answer(&offer))??)
    }

    /// janus.js `handleRemoteJsep`: applies Janus's answer.
    pub fn handle_remote_jsep(&self, jsep: &Jsep) -> Result<(), Error> {
        let jsep = jsep.clone();
        Ok(self.call(move |pc, _| pc.handle_remote_jsep(&jsep))??)
    }

    /// Our candidates produced since the last call, ready for [`Handle::trickle`]
    /// (ending with [`Trickle::Completed`] once all are out).
    pub fn take_local_candidates(&self) -> Vec<Trickle> {
        let rx = lock(&self.candidates);
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    /// The usual exchange with a plugin that answers our offer (EchoTest, VideoRoom
    /// publisher, VideoCall caller): makes the offer, sends it in a `message` with `body`,
    /// applies the answer, and trickles our candidates. Returns the plugin's reply.
    pub fn offer(
        &self,
        handle: &Handle,
        body: Value,
        tracks: &[Track],
        ice_restart: bool,
    ) -> Result<PluginReply, Error> {
        let jsep = self.create_offer(tracks, ice_restart)?;
        let reply = handle.message(body, Some(jsep))?;
        match &reply.jsep {
            Some(answer) => self.handle_remote_jsep(answer)?,
            None => return Err(Error::Rtc(janus_rtc::Error::NoPendingOffer)),
        }
        self.trickle(handle)?;
        Ok(reply)
    }

    /// The exchange with a plugin that offers (Streaming `watch`, VideoRoom subscriber):
    /// answers `offer` and sends the answer in a `message` with `body` (e.g. `start`).
    pub fn answer(&self, handle: &Handle, body: Value, offer: &Jsep) -> Result<PluginReply, Error> {
        let jsep = self.create_answer(offer)?;
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
    /// its `hangup` closes the connection (as janus.js does). Other events are ignored.
    pub fn handle_janus_event(&self, event: &JanusEvent) -> Result<(), Error> {
        if !PeerConnection::wants_janus_event(event) {
            return Ok(());
        }
        let event = event.clone();
        Ok(self.call(move |pc, _| pc.handle_janus_event(&event))??)
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

    /// The received bitrate on `mid` in bits per second (janus.js `getBitrate`).
    pub fn bitrate(&self, mid: &str) -> Result<Option<u64>, Error> {
        let mid = mid.to_owned();
        self.call(move |pc, _| pc.bitrate(&mid))
    }

    /// The next event within `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Event, Error> {
        lock(&self.events)
            .recv_timeout(timeout)
            .map_err(|e| match e {
                std::sync::mpsc::RecvTimeoutError::Timeout => Error::Timeout,
                std::sync::mpsc::RecvTimeoutError::Disconnected => Error::Closed,
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

    /// Received frames dropped because the event queue was full.
    pub fn dropped_frames(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Closes the connection (janus.js `hangup(false)`; send [`Handle::hangup`] too to
    /// tell Janus). [`Event::Closed`] is the last event.
    pub fn close(&self) -> Result<(), Error> {
        self.call(|pc, _| pc.close())
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Closing both channels ends the thread: it sees the calls gone at its next wake-up,
        // and a delivery blocked on a full event queue fails at once.
        drop(std::mem::replace(&mut self.calls, sync_channel(0).0));
        drop(std::mem::replace(
            &mut *lock(&self.events),
            sync_channel(0).1,
        ));
        let _ = self.waker.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct MediaThread {
    pc: PeerConnection,
    socket: mio::net::UdpSocket,
    poll: Poll,
    local_addr: SocketAddr,
    calls: Receiver<Call>,
    events: SyncSender<Event>,
    candidates: SyncSender<Trickle>,
    dropped: Arc<AtomicU64>,
}

impl MediaThread {
    fn run(&mut self) {
        let mut events = mio::Events::with_capacity(16);
        let mut buf = vec![0u8; 2048];
        loop {
            let Some(deadline) = self.flush() else {
                return;
            };
            let now = Instant::now();
            let wait = deadline.saturating_duration_since(now).max(MIN_WAIT);
            if let Err(e) = self.poll.poll(&mut events, Some(wait)) {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    warn!(error = %e, "peer poll failed");
                    return;
                }
            }
            loop {
                match self.socket.recv_from(&mut buf) {
                    Ok((n, from)) => {
                        let input =
                            Input::Receive(Instant::now(), from, self.local_addr, &buf[..n]);
                        if let Err(e) = self.pc.handle_input(input) {
                            debug!(error = %e, %from, "datagram ignored");
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => {
                        debug!(error = %e, "recv failed");
                        break;
                    }
                }
            }
            loop {
                match self.calls.try_recv() {
                    Ok(call) => call(&mut self.pc, Instant::now()),
                    Err(std::sync::mpsc::TryRecvError::Empty) => break,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        self.pc.close();
                        let _ = self.flush();
                        return;
                    }
                }
            }
            let now = Instant::now();
            if now >= deadline {
                // A timeout never fails.
                let _ = self.pc.handle_input(Input::Timeout(now));
            }
        }
    }

    /// Sends what the connection wants sent and delivers its events; `None` when the
    /// application is gone.
    fn flush(&mut self) -> Option<Instant> {
        loop {
            match self.pc.poll_output() {
                Output::Timeout(at) => return Some(at),
                Output::Transmit(t) => {
                    if let Err(e) = self.socket.send_to(&t.contents, t.destination) {
                        debug!(error = %e, to = %t.destination, "send failed");
                    }
                }
                Output::Event(Event::LocalCandidate(c)) => {
                    if self.candidates.try_send(c).is_err() {
                        warn!("local candidate dropped: nobody trickles them");
                    }
                }
                Output::Event(e @ Event::Media(_)) => match self.events.try_send(e) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        self.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TrySendError::Disconnected(_)) => return None,
                },
                Output::Event(e) => {
                    if self.events.send(e).is_err() {
                        return None;
                    }
                }
            }
        }
    }
}
