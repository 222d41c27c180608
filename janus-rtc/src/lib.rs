//! Sans-IO WebRTC peer connection for Janus, on str0m, speaking the janus.js tracks model.
//!
//! A [`PeerConnection`] negotiates with Janus through [`Jsep`](janus_proto::Jsep) offers and
//! answers and [`Trickle`](janus_proto::Trickle) candidates, the types that `janus-proto`
//! carries, and moves media frames and data-channel messages. It never opens a socket and
//! this crate never reads the clock: datagrams and time go in as [`Input`]s
//! ([`PeerConnection::handle_input`]), datagrams to send, the next deadline and events come
//! out ([`PeerConnection::poll_output`]). The adapters own the UDP sockets and the timers.
//!
//! # The run loop
//!
//! **After every call that changes the connection (`handle_input`, an offer, a frame, a
//! message, `close`), drain [`PeerConnection::poll_output`] until it returns
//! [`Output::Timeout`]**, then wait for a datagram or that deadline, whichever comes first
//! (str0m's rule, kept by the same loop as `janus-proto`'s).
//!
//! ```no_run
//! use std::net::UdpSocket;
//! use std::time::{Duration, Instant};
//! use janus_rtc::{Input, Output, PeerConfig, PeerConnection};
//!
//! let socket = UdpSocket::bind("127.0.0.2:0").unwrap();
//! let local = socket.local_addr().unwrap();
//! let mut pc = PeerConnection::new(PeerConfig::default(), Instant::now(), &[local]);
//! // ... create_offer, send it to Janus, handle_remote_jsep(answer) ...
//! let mut buf = vec![0; 2048];
//! loop {
//!     let deadline = loop {
//!         match pc.poll_output() {
//!             Output::Transmit(t) => { socket.send_to(&t.contents, t.destination).unwrap(); }
//!             // Only with TURN servers over TCP or TLS: open, write, close a TCP stream,
//!             // and give what happens on it as `Input::Stream`.
//!             Output::Stream(_command) => {}
//!             Output::Event(_event) => { /* tracks, frames, data, candidates to trickle */ }
//!             Output::Timeout(at) => break at,
//!         }
//!     };
//!     let wait = deadline.saturating_duration_since(Instant::now());
//!     socket.set_read_timeout(Some(wait.max(Duration::from_millis(1)))).unwrap();
//!     let input = match socket.recv_from(&mut buf) {
//!         Ok((n, from)) => pc.handle_input(Input::Receive(Instant::now(), from, local, &buf[..n])),
//!         Err(_) => pc.handle_input(Input::Timeout(Instant::now())),
//!     };
//!     if let Err(e) = input {
//!         eprintln!("datagram ignored: {e}"); // not WebRTC: a stray packet
//!     }
//! }
//! ```
//!
//! # What str0m does by itself
//!
//! This crate is deterministic in what it decides, but str0m 0.25 and the crates under it
//! are not entirely: the same inputs do not give the same bytes.
//! - **Clock.** str0m takes `now` as a parameter everywhere, yet a few places read the
//!   clock lazily: its "never" deadline is `Instant::now()` plus 100 years, taken once per
//!   process on first use (a closed connection's [`Output::Timeout`] is that far away); the
//!   mapping of `Instant`s to wall-clock (NTP) time for RTCP sender reports reads
//!   `Instant::now()` and `SystemTime::now()` once per process, at the first input; the
//!   DTLS certificate that [`PeerConnection::new`] generates takes the current UTC time as
//!   its start of validity; and the SCTP association (data channels) opened as the
//!   client is stamped with `Instant::now()` by `sctp-proto`.
//! - **Randomness.** It draws its own, from unseeded process-wide generators (`fastrand`,
//!   `rand`'s thread RNG, the crypto provider): the DTLS key pair and certificate serial (a
//!   new certificate per connection), the ICE username fragment and password, SSRCs, RTP
//!   sequence numbers, mids, CNAME and msid, SCTP tags and DTLS handshake randoms. There is
//!   no seed to inject. Tests here therefore assert behaviour, never bytes.
//!
//! # Where what lives
//!
//! `peer/mod.rs` holds [`PeerConnection`], `new`, the input/output loop and closing; the
//! other `peer/` modules hold one concept each: `negotiation` (offer, answer, remote JSEP,
//! track events), `candidates` (local candidates and trickle, remote ones, Janus's trickle
//! and hangup events), `media` (writing frames and simulcast layers, received frames, mute,
//! bitrate), `data` (data channels), `dtmf` (tones out and in) and `level` (audio levels
//! out and in; the [`AudioLevel`] type is in `level.rs`). [`Input`], [`Output`] and
//! [`Transmit`] are in `io`, the application's [`Event`]s in `event`; [`local`] says which
//! local addresses carry host candidates and which socket sends a [`Transmit`]. `handle` holds
//! [`HandleConnection`]: a connection tied to its plugin handle the way janus.js ties them
//! (trickle both ways, Janus's events in one ordered [`HandleEvent`] stream, answers that
//! come in plugin events, a new connection after a hangup), which both adapters drive.
//!
//! # janus.js names
//!
//! A janus.js plugin handle with its PeerConnection is a [`HandleConnection`] here (in the
//! adapters, a `Handle` with `add_peer`); its callbacks are the variants of
//! [`HandleEvent`]: `onmessage`, `webrtcState`, `mediaState`, `slowLink` and `ondetached`
//! in [`HandleEvent::Janus`], the connection's own in [`HandleEvent::Rtc`].
//!
//! What janus.js calls `createOffer({tracks})`, `createAnswer`, `handleRemoteJsep`,
//! `onlocaltrack`, `onremotetrack`, `ondataopen`, `ondata`, `iceState`, `getBitrate`,
//! `muteAudio` and `hangup` are [`PeerConnection::create_offer`],
//! [`PeerConnection::create_answer`], [`PeerConnection::handle_remote_jsep`],
//! [`Event::LocalTrack`], [`Event::RemoteTrack`], [`Event::DataOpen`], [`Event::Data`],
//! [`Event::IceState`], [`PeerConnection::bitrate`], [`PeerConnection::mute`] and
//! [`PeerConnection::close`] here; `getLocalVolume` and `getRemoteVolume` are
//! [`PeerConnection::local_volume`] and [`PeerConnection::remote_volume`], the RFC 6464
//! levels written with [`PeerConnection::write_frame_with_level`] and received in
//! [`MediaFrame::audio_level`]. janus.js's `e2ee` with `senderTransforms` and
//! `receiverTransforms` (insertable streams) is [`PeerConnection::set_transform`] with a
//! [`FrameTransform`]: see [`transform`].
//!
//! ```
//! use std::time::Instant;
//! use janus_rtc::{PeerConfig, PeerConnection, Track};
//!
//! let now = Instant::now();
//! let mut pc = PeerConnection::new(PeerConfig::default(), now, &["127.0.0.2:40000".parse().unwrap()]);
//! let offer = pc.create_offer(&[Track::audio(), Track::video(), Track::data("chat")], false).unwrap();
//! assert!(offer.sdp.contains("m=audio") && offer.sdp.contains("m=application"));
//! // Send `offer` in a `message` to the EchoTest; hand Janus's answer to `handle_remote_jsep`,
//! // its trickled candidates to `add_remote_candidate`, and trickle ours from `Event::LocalCandidate`.
//! ```

mod client_error;
mod config;
mod error;
mod event;
mod gather;
pub mod handle;
mod ice_servers;
mod io;
mod level;
pub mod local;
pub mod outbox;
mod peer;
mod sdp;
mod track;
pub mod transform;

pub use client_error::ClientError;
pub use config::{IceRestartPolicy, PeerConfig, TurnTls};
pub use error::Error;
pub use event::{BandwidthEstimate, DataMessage, Event, IceState, MediaFrame};
pub use handle::{HandleConnection, HandleEvent, HandleOutput};
pub use ice_servers::{
    IceScheme, IceServer, IceServerError, IceServerTransport, IceServerUrl, IceTransportPolicy,
};
pub use io::{Input, Output, Pace, StreamCommand, StreamEvent, StreamId, Transmit};
pub use level::AudioLevel;
pub use local::{LocalAddrFilter, distinct, socket_for};
pub use peer::PeerConnection;
pub use sdp::normalize_sdp;
pub use track::{Track, TrackAction, TrackInfo, TrackKind};
pub use transform::{FrameInfo, FrameTransform};

/// The str0m version this crate drives, for what this crate does not wrap (codec details,
/// keyframe detection, raw RTP).
pub use str0m;
