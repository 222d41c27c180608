//! Sans-IO WebRTC peer connection for Janus, on str0m, speaking the janus.js tracks model.
//!
//! A [`PeerConnection`] negotiates with Janus through [`Jsep`](janus_proto::Jsep) offers and
//! answers and [`Trickle`](janus_proto::Trickle) candidates, the types that `janus-proto`
//! carries, and moves media frames and data-channel messages. It never opens a socket and
//! never reads the clock: datagrams and time go in ([`PeerConnection::handle_receive`],
//! [`PeerConnection::handle_timeout`]), datagrams to send, the next deadline and events come
//! out ([`PeerConnection::poll_output`]). The adapters own the UDP sockets and the timers.
//!
//! What janus.js calls `createOffer({tracks})`, `createAnswer`, `handleRemoteJsep`,
//! `onlocaltrack`, `onremotetrack`, `ondataopen`, `ondata`, `iceState`, `getBitrate`,
//! `muteAudio` and `hangup` are [`PeerConnection::create_offer`],
//! [`PeerConnection::create_answer`], [`PeerConnection::handle_remote_jsep`],
//! [`Event::LocalTrack`], [`Event::RemoteTrack`], [`Event::DataOpen`], [`Event::Data`],
//! [`Event::IceState`], [`PeerConnection::bitrate`], [`PeerConnection::mute`] and
//! [`PeerConnection::close`] here.
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
mod peer;
mod sdp;
mod track;

pub use client_error::ClientError;
pub use config::PeerConfig;
pub use error::Error;
pub use event::{DataMessage, Event, IceState, MediaFrame, Output, Transmit};
pub use peer::PeerConnection;
pub use sdp::normalize_sdp;
pub use track::{Track, TrackAction, TrackInfo, TrackKind};

/// The str0m version this crate drives, for what this crate does not wrap (codec details,
/// keyframe detection, raw RTP).
pub use str0m;
