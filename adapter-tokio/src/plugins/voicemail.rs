//! VoiceMail workflow (Janus 1.1; 1.4.1 has no VoiceMail): a [`VoiceMessage`] records up to 10 seconds of
//! our Opus audio into an Ogg file, as the janus.js VoiceMail demo does. The requests and
//! events are [`janus_proto::plugin::voicemail`]'s.
//!
//! ```no_run
//! use janus_tokio::plugins::voicemail::VoiceMessage;
//! use janus_tokio::rtc::PeerConfig;
//!
//! # async fn run(session: janus_tokio::Session) -> Result<(), janus_tokio::Error> {
//! let ip = "127.0.0.2".parse().unwrap();
//! let message = VoiceMessage::record(&session, PeerConfig::default(), ip).await?;
//! // ... write Opus frames to message.handle().peer()? ...
//! let done = message.stop().await?;
//! println!("recorded as {:?}", done.recording);
//! # Ok(()) }
//! ```

use std::net::IpAddr;
use std::time::Duration;

use janus_proto::plugin::voicemail::{Done, Event, PLUGIN, Record, Stop};
use janus_proto::plugin::{DecodeError, PluginRequest, expect};
use janus_rtc::{HandleEvent, PeerConfig, Track};

use crate::{Error, Handle, Session};

/// Sends a VoiceMail request on `handle` and decodes the answer (e.g. [`Update`] with a
/// JSEP of the caller's). A plugin error is `Err` with [`Error::plugin_code`] (see
/// [`ErrorCode`](janus_proto::plugin::voicemail::ErrorCode)).
///
/// [`Update`]: janus_proto::plugin::voicemail::Update
pub async fn request(handle: &Handle, request: &impl PluginRequest) -> Result<Event, Error> {
    super::request(handle, request).await
}

/// A handle's event decoded as the VoiceMail's, if it is a plugin event.
pub fn event(event: &HandleEvent) -> Option<Result<Event, DecodeError>> {
    super::event(event)
}

/// A message being recorded: a VoiceMail handle whose connection sends our audio (write
/// Opus frames to [`handle`](Self::handle)`.peer()`). The plugin ends the handle once the
/// message is done.
#[derive(Debug)]
pub struct VoiceMessage {
    handle: Handle,
}

impl VoiceMessage {
    /// Attaches a VoiceMail handle with a connection on `ip` and offers one audio track
    /// with `record`; the plugin's answer (Opus only) is applied. Recording starts when
    /// the connection is up ([`wait_started`](Self::wait_started)).
    pub async fn record(session: &Session, config: PeerConfig, ip: IpAddr) -> Result<Self, Error> {
        let mut handle = session.attach(PLUGIN).await?;
        handle.add_peer(config, ip).await?;
        Self::record_on(handle, &[Track::audio()]).await
    }

    /// `record` with an offer of `tracks` on a VoiceMail handle of the caller's, which must
    /// carry a connection (the plugin declines video).
    pub async fn record_on(handle: Handle, tracks: &[Track]) -> Result<Self, Error> {
        let reply = handle.offer(Record::new().to_body()?, tracks).await?;
        expect(&reply.data, Event::into_recording)?;
        Ok(Self { handle })
    }

    /// Waits for [`Event::Started`]: the plugin writes what arrives from now on.
    pub async fn wait_started(&self, timeout: Duration) -> Result<(), Error> {
        super::wait_event(&self.handle, timeout, |e: Event, _| {
            matches!(e, Event::Started).then_some(())
        })
        .await
    }

    /// `stop`: the message ends now; where it is.
    pub async fn stop(&self) -> Result<Done, Error> {
        let reply = self.handle.send(&Stop::new(), None).await?;
        Ok(expect(&reply.data, Event::into_done)?)
    }

    /// Waits for the message to end by itself (10 seconds after it started).
    pub async fn wait_done(&self, timeout: Duration) -> Result<Done, Error> {
        super::wait_event(&self.handle, timeout, |e: Event, _| e.into_done().ok()).await
    }

    /// The handle: its events and its connection.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The handle, for what the workflow does not cover.
    pub fn into_handle(self) -> Handle {
        self.handle
    }
}
