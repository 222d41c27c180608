//! NoSIP workflows: a [`Bridge`] connects our WebRTC connection to a plain-RTP peer whose
//! signalling is the application's (SIP, XMPP, a test's sockets). The requests and events
//! are [`janus_proto::plugin::nosip`]'s; RTP forwarders and anything else go through
//! [`request`].
//!
//! ```no_run
//! use janus_tokio::plugins::nosip::Bridge;
//! use janus_tokio::rtc::{PeerConfig, Track};
//! use janus_proto::plugin::nosip::Generate;
//!
//! # async fn run(session: janus_tokio::Session, signal: impl Fn(&str) -> String) -> Result<(), janus_tokio::Error> {
//! let ip = "127.0.0.2".parse().unwrap();
//! let bridge = Bridge::attach(&session, PeerConfig::default(), ip).await?;
//! // We call: our offer becomes a plain SDP offer for the peer ...
//! let generated = bridge.generate_offer(&Generate::new(), &[Track::audio()]).await?;
//! // ... which the application signals, and whose answer it gets back.
//! let answer = signal(&generated.sdp);
//! bridge.process_answer(&answer).await?; // our connection gets Janus's answer: media flow
//! bridge.hangup().await?;
//! # Ok(()) }
//! ```

use std::net::IpAddr;

use janus_proto::Jsep;
use janus_proto::plugin::nosip::{
    Event, Generate, Generated, Hangup, Keyframe, PLUGIN, Process, Processed, Recording, SdpType,
};
use janus_proto::plugin::{DecodeError, PluginRequest, expect, offer_of};
use janus_rtc::{HandleEvent, PeerConfig, Track};

use crate::{Error, Handle, Session};

/// Sends a NoSIP request on `handle` and decodes the answer. A plugin error is `Err` with
/// [`Error::plugin_code`] (see [`ErrorCode`](janus_proto::plugin::nosip::ErrorCode)).
pub async fn request(handle: &Handle, request: &impl PluginRequest) -> Result<Event, Error> {
    super::request(handle, request).await
}

/// A handle's event decoded as the NoSIP's, if it is a plugin event.
pub fn event(event: &HandleEvent) -> Option<Result<Event, DecodeError>> {
    super::event(event)
}

/// A NoSIP handle with its WebRTC connection: one session between us and a plain-RTP peer.
#[derive(Debug)]
pub struct Bridge {
    handle: Handle,
}

impl Bridge {
    /// Attaches a NoSIP handle with a connection on `ip`.
    pub async fn attach(session: &Session, config: PeerConfig, ip: IpAddr) -> Result<Self, Error> {
        let mut handle = session.attach(PLUGIN).await?;
        handle.add_peer(config, ip).await?;
        Ok(Self { handle })
    }

    /// A NoSIP handle of the caller's, which must carry a connection.
    pub fn on(handle: Handle) -> Self {
        Self { handle }
    }

    /// We call: `generate` with our offer of `tracks`; the plain SDP offer for the peer
    /// (the plugin's address and RTP ports). Our connection waits for
    /// [`process_answer`](Self::process_answer).
    pub async fn generate_offer(
        &self,
        generate: &Generate,
        tracks: &[Track],
    ) -> Result<Generated, Error> {
        let reply = self.handle.offer(generate.to_body()?, tracks).await?;
        Ok(expect(&reply.data, Event::into_generated)?)
    }

    /// We call: `process` with the peer's plain SDP answer; Janus's answer to our offer,
    /// which comes with it, is applied, and the media flow.
    pub async fn process_answer(&self, sdp: &str) -> Result<Processed, Error> {
        let reply = self
            .handle
            .send(&Process::new(SdpType::Answer, sdp), None)
            .await?;
        let processed = expect(&reply.data, Event::into_processed)?;
        let Some(answer) = &reply.jsep else {
            return Err(janus_proto::RequestError::Malformed(
                "a processed answer without a JSEP".into(),
            )
            .into());
        };
        self.handle.handle_remote_jsep(answer).await?;
        Ok(processed)
    }

    /// The peer calls: `process` with its plain SDP offer; Janus's JSEP offer for us,
    /// which [`generate_answer`](Self::generate_answer) answers.
    pub async fn process_offer(&self, sdp: &str) -> Result<(Processed, Jsep), Error> {
        let reply = self
            .handle
            .send(&Process::new(SdpType::Offer, sdp), None)
            .await?;
        let processed = expect(&reply.data, Event::into_processed)?;
        Ok((processed, offer_of(&reply)?.clone()))
    }

    /// The peer calls: `generate` with our answer (of `tracks`, as
    /// [`Handle::answer`]) to Janus's `offer`; the plain SDP answer for the peer.
    pub async fn generate_answer(
        &self,
        offer: &Jsep,
        generate: &Generate,
        tracks: &[Track],
    ) -> Result<Generated, Error> {
        let reply = self
            .handle
            .answer(generate.to_body()?, offer, tracks)
            .await?;
        Ok(expect(&reply.data, Event::into_generated)?)
    }

    /// `recording`: starts or stops recording either side's streams.
    pub async fn recording(&self, recording: &Recording) -> Result<(), Error> {
        let reply = self.handle.send(recording, None).await?;
        expect(&reply.data, Event::into_recording_updated)?;
        Ok(())
    }

    /// `keyframe`: Janus asks us, the peer, or both for a keyframe (RTCP PLI).
    pub async fn keyframe(&self, keyframe: &Keyframe) -> Result<(), Error> {
        let reply = self.handle.send(keyframe, None).await?;
        expect(&reply.data, Event::into_keyframe_sent)?;
        Ok(())
    }

    /// `hangup`: ends the session; Janus closes our connection.
    pub async fn hangup(&self) -> Result<(), Error> {
        let reply = self.handle.send(&Hangup::new(), None).await?;
        expect(&reply.data, Event::into_hanging_up)?;
        Ok(())
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
