//! The bare str0m anchor of the WebRTC bench: two str0m [`Rtc`]s in one process, each on a
//! UDP socket of its own and a thread of its own (the run loop of str0m's `chat` example: a
//! blocking read until the next deadline), no Janus and none of our crates' layers between.
//! One opens a data channel, the other echoes every message with the EchoTest's prefix, so
//! that both directions carry what they carry through Janus; the round trips are timed the
//! way janusctl's `echotest` times them (write, then wait for the echo).
//!
//! str0m is called as `janus-rtc` calls it: `sdp_api().add_channel` and `apply`,
//! `accept_offer`, `accept_answer`, host candidates with `Candidate::host` before the offer,
//! the SDP through its text form.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use janus_rtc::str0m::change::{SdpAnswer, SdpOffer};
use janus_rtc::str0m::channel::ChannelId;
use janus_rtc::str0m::net::{Protocol, Receive};
use janus_rtc::str0m::{Candidate, Event, Input, Output, Rtc};

/// What the EchoTest puts before the text it echoes.
pub const ECHO_PREFIX: &str = "Janus EchoTest here! You wrote: ";

/// What one run of the bare loop measured.
#[derive(Debug, Clone)]
pub struct BareRun {
    /// Offer made -> the offerer's `Connected` (ICE and DTLS), ms.
    pub connected_ms: f64,
    /// Offer made -> the channel open on the offerer's side (SCTP and DCEP), ms.
    pub channel_open_ms: f64,
    /// The round trips, in order.
    pub rtts: Vec<Duration>,
}

/// The `q` quantile (0 to 1) of round trips in ms, as janusctl's `echotest` reports them
/// (nearest rank, rounded up); 0 for none.
pub fn quantile_ms(rtts: &[Duration], q: f64) -> f64 {
    let mut sorted = rtts.to_vec();
    sorted.sort();
    let i = ((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1);
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

struct Peer {
    rtc: Rtc,
    socket: UdpSocket,
    addr: SocketAddr,
    buf: Vec<u8>,
}

fn err(what: &'static str) -> impl Fn(String) -> String {
    move |e| format!("{what}: {e}")
}

impl Peer {
    fn bind(ip: IpAddr) -> Result<Self, String> {
        let socket = UdpSocket::bind((ip, 0)).map_err(|e| format!("bind: {e}"))?;
        let addr = socket.local_addr().map_err(|e| format!("bind: {e}"))?;
        let mut rtc = Rtc::builder().build(Instant::now());
        let candidate = Candidate::host(addr, "udp").map_err(|e| format!("candidate: {e}"))?;
        rtc.add_local_candidate(candidate);
        Ok(Self {
            rtc,
            socket,
            addr,
            buf: vec![0; 2048],
        })
    }

    /// Sends what str0m wants sent, collects its events; its next deadline.
    fn drain(&mut self, events: &mut Vec<Event>) -> Result<Instant, String> {
        loop {
            match self.rtc.poll_output().map_err(|e| e.to_string())? {
                Output::Timeout(at) => return Ok(at),
                Output::Transmit(t) => {
                    self.socket
                        .send_to(&t.contents, t.destination)
                        .map_err(|e| format!("send: {e}"))?;
                }
                Output::Event(e) => events.push(e),
            }
        }
    }

    /// Waits for a datagram until `deadline` and hands str0m what came (or the time).
    fn wait(&mut self, deadline: Instant) -> Result<(), String> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return self
                .rtc
                .handle_input(Input::Timeout(Instant::now()))
                .map_err(|e| e.to_string());
        }
        self.socket
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        match self.socket.recv_from(&mut self.buf) {
            Ok((n, from)) => {
                let receive = Receive::new(Protocol::Udp, from, self.addr, &self.buf[..n])
                    .map_err(|e| e.to_string())?;
                // A datagram str0m refuses is not fatal (as in janus-rtc).
                let _ = self
                    .rtc
                    .handle_input(Input::Receive(Instant::now(), receive));
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => self
                .rtc
                .handle_input(Input::Timeout(Instant::now()))
                .map_err(|e| e.to_string()),
            Err(e) => Err(format!("recv: {e}")),
        }
    }
}

/// The echoing side: answers every message on its channels with [`ECHO_PREFIX`] before it,
/// until `stop`.
fn echo(mut peer: Peer, stop: &AtomicBool) -> Result<(), String> {
    let mut events = Vec::new();
    let mut reply = Vec::with_capacity(256);
    while !stop.load(Ordering::Relaxed) {
        let deadline = peer.drain(&mut events)?;
        let mut wrote = false;
        for e in events.drain(..) {
            if let Event::ChannelData(d) = e {
                reply.clear();
                reply.extend_from_slice(ECHO_PREFIX.as_bytes());
                reply.extend_from_slice(&d.data);
                if let Some(mut ch) = peer.rtc.channel(d.id) {
                    ch.write(d.binary, &reply).map_err(|e| e.to_string())?;
                    wrote = true;
                }
            }
        }
        if wrote {
            continue;
        }
        // Wake at least every 50 ms to see `stop`.
        let deadline = deadline.min(Instant::now() + Duration::from_millis(50));
        peer.wait(deadline)?;
    }
    Ok(())
}

/// Runs the bare loop on `ip` (any free ports): connect, then `pings` sequential round
/// trips of `ping {i}` (the text janusctl's `echotest` sends), each within `wait`.
pub fn run(ip: IpAddr, pings: u32, wait: Duration) -> Result<BareRun, String> {
    let mut a = Peer::bind(ip)?;
    let mut b = Peer::bind(ip)?;
    let started = Instant::now();
    let mut api = a.rtc.sdp_api();
    let channel: ChannelId = api.add_channel("bench".into());
    let (offer, pending) = api.apply().ok_or("no offer")?;
    let offer =
        SdpOffer::from_sdp_string(&offer.to_sdp_string()).map_err(|e| format!("offer: {e}"))?;
    let answer = b
        .rtc
        .sdp_api()
        .accept_offer(offer)
        .map_err(|e| format!("accept offer: {e}"))?;
    let answer =
        SdpAnswer::from_sdp_string(&answer.to_sdp_string()).map_err(|e| format!("answer: {e}"))?;
    a.rtc
        .sdp_api()
        .accept_answer(pending, answer)
        .map_err(|e| format!("accept answer: {e}"))?;

    let stop = Arc::new(AtomicBool::new(false));
    let echoer = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || echo(b, &stop))
    };
    let result = drive(&mut a, channel, started, pings, wait);
    stop.store(true, Ordering::Relaxed);
    let echoed = echoer
        .join()
        .map_err(|_| "the echoing thread panicked".to_owned())?;
    let run = result?;
    echoed.map_err(err("echoing side"))?;
    Ok(run)
}

/// The offering side: waits for the channel, then times the round trips.
fn drive(
    a: &mut Peer,
    channel: ChannelId,
    started: Instant,
    pings: u32,
    wait: Duration,
) -> Result<BareRun, String> {
    let mut events = Vec::new();
    let (mut connected, mut open) = (None, None);
    let give_up = Instant::now() + wait;
    while open.is_none() {
        let deadline = a.drain(&mut events)?;
        for e in events.drain(..) {
            match e {
                Event::Connected => connected = Some(started.elapsed()),
                Event::ChannelOpen(id, _) if id == channel => open = Some(started.elapsed()),
                _ => {}
            }
        }
        if open.is_some() {
            break;
        }
        if Instant::now() >= give_up {
            return Err("the channel did not open".into());
        }
        a.wait(deadline.min(give_up))?;
    }
    let mut rtts = Vec::with_capacity(pings as usize);
    for i in 0..pings {
        let text = format!("ping {i}");
        let sent = Instant::now();
        a.rtc
            .channel(channel)
            .ok_or("channel gone")?
            .write(false, text.as_bytes())
            .map_err(|e| e.to_string())?;
        let give_up = sent + wait;
        'echo: loop {
            let deadline = a.drain(&mut events)?;
            for e in events.drain(..) {
                if let Event::ChannelData(d) = e {
                    if d.data.ends_with(text.as_bytes()) {
                        rtts.push(sent.elapsed());
                        break 'echo;
                    }
                }
            }
            if Instant::now() >= give_up {
                return Err(format!("no echo of {text}"));
            }
            a.wait(deadline.min(give_up))?;
        }
        events.clear();
    }
    let ms = |d: Option<Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1e3);
    Ok(BareRun {
        connected_ms: ms(connected),
        channel_open_ms: ms(open),
        rtts,
    })
}
