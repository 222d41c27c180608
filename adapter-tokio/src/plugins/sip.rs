//! SIP workflows: an [`Account`] registers at a SIP registrar through Janus, calls SIP
//! URIs or takes calls, holds them, sends DTMF, `INFO`s and `MESSAGE`s, and hangs up, as
//! the janus.js SIP demo does. The requests and events are
//! [`janus_proto::plugin::sip`]'s; any request the workflow does not cover goes through
//! [`request`].
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use janus_proto::plugin::sip::{Call, Register};
//! use janus_tokio::plugins::sip::Account;
//! use janus_tokio::rtc::{PeerConfig, Track};
//!
//! # async fn run(session: janus_tokio::Session) -> Result<(), janus_tokio::Error> {
//! let ip = "127.0.0.2".parse().unwrap();
//! let wait = Duration::from_secs(10);
//! let account = |user: &str| Register {
//!     secret: Some("secret".into()),
//!     proxy: Some("sip:127.0.0.3".into()),
//!     ..Register::new(format!("sip:{user}@127.0.0.3"))
//! };
//! let alice = Account::attach(&session, PeerConfig::default(), ip).await?;
//! alice.register(&account("alice"), wait).await?; // a refusal: Err(Error::Sip { .. })
//! let bob = Account::attach(&session, PeerConfig::default(), ip).await?;
//! bob.register(&account("bob"), wait).await?;
//! alice.call(&Call::new("sip:bob@127.0.0.3"), &[Track::audio()]).await?;
//! let (caller, offer) = bob.wait_incoming_call(wait).await?;
//! assert_eq!(caller.username.as_deref(), Some("sip:alice@127.0.0.3"));
//! bob.accept(&offer.expect("an INVITE with SDP"), &[]).await?;
//! alice.wait_accepted(wait).await?; // bob's answer, applied
//! alice.dtmf_info('5', None).await?;
//! alice.hangup().await?;
//! bob.wait_hangup(wait).await?;
//! # Ok(()) }
//! ```

use std::net::IpAddr;
use std::time::Duration;

use janus_proto::Jsep;
use janus_proto::plugin::sip::{
    Accept, Accepted, Call, Decline, DtmfInfo, Event, Hangup, Hold, HoldDirection, HungUp,
    IncomingCall, Info, Message, PLUGIN, Register, Registered, Unhold, Unregister,
    accepted_or_hangup, registered_or_failed, unregistered_or_failed,
};
use janus_proto::plugin::{DecodeError, PluginRequest, expect};
use janus_rtc::{HandleEvent, PeerConfig, Track};

use crate::{Error, Handle, Session};

/// Sends a SIP plugin request on `handle` and decodes the answer. A plugin error is `Err`
/// with [`Error::plugin_code`] (see [`ErrorCode`](janus_proto::plugin::sip::ErrorCode)).
pub async fn request(handle: &Handle, request: &impl PluginRequest) -> Result<Event, Error> {
    super::request(handle, request).await
}

/// A handle's event decoded as the SIP plugin's, if it is a plugin event.
pub fn event(event: &HandleEvent) -> Option<Result<Event, DecodeError>> {
    super::event(event)
}

/// A SIP account: a SIP plugin handle with its WebRTC connection, one call at a time.
/// Frames, data and the plugin's later events arrive in [`handle`](Self::handle)`.events()`.
#[derive(Debug)]
pub struct Account {
    handle: Handle,
}

impl Account {
    /// Attaches a SIP plugin handle with a connection on `ip` (not registered yet: see
    /// [`register`](Self::register)).
    pub async fn attach(session: &Session, config: PeerConfig, ip: IpAddr) -> Result<Self, Error> {
        let mut handle = session.attach(PLUGIN).await?;
        handle.add_peer(config, ip).await?;
        Ok(Self { handle })
    }

    /// `register`, and for a real `REGISTER` the wait (up to `timeout`) for the
    /// registrar's answer: registered, or its refusal as [`Error::Sip`]. A guest, a helper
    /// or `send_register: false` is registered at once.
    pub async fn register(
        &self,
        register: &Register,
        timeout: Duration,
    ) -> Result<Registered, Error> {
        let reply = self.handle.send(register, None).await?;
        if let Some(registered) = expect(&reply.data, Event::into_register_answer)? {
            return Ok(registered);
        }
        let answer =
            super::wait_event(&self.handle, timeout, |e: Event, _| registered_or_failed(e)).await?;
        Ok(answer?)
    }

    /// `unregister`, and the wait (up to `timeout`) for the registrar's answer; its
    /// refusal is [`Error::Sip`].
    pub async fn unregister(&self, timeout: Duration) -> Result<Registered, Error> {
        let reply = self.handle.send(&Unregister::new(), None).await?;
        expect(&reply.data, Event::into_unregistering)?;
        let answer = super::wait_event(&self.handle, timeout, |e: Event, _| {
            unregistered_or_failed(e)
        })
        .await?;
        Ok(answer?)
    }

    /// `call` with an offer of `tracks`: the `INVITE` is on its way ([`Event::Calling`]).
    /// The callee's answer comes in [`Event::Accepted`], which the handle applies on
    /// arrival (see [`wait_accepted`](Self::wait_accepted)).
    pub async fn call(&self, call: &Call, tracks: &[Track]) -> Result<(), Error> {
        let reply = self.handle.offer(call.to_body()?, tracks).await?;
        expect(&reply.data, Event::into_calling)?;
        Ok(())
    }

    /// The caller's side: waits for the callee's acceptance (its answer is applied by the
    /// handle as it arrives; so is early media's, [`Event::Progress`]). A refusal (the
    /// call's [`Event::Hangup`]) is [`Error::Sip`] with its status.
    pub async fn wait_accepted(&self, timeout: Duration) -> Result<Accepted, Error> {
        let answer =
            super::wait_event(&self.handle, timeout, |e: Event, _| accepted_or_hangup(e)).await?;
        Ok(answer?)
    }

    /// Waits for someone to call us: who, and their JSEP offer (`None`: an offerless
    /// `INVITE`, to accept with [`accept_offerless`](Self::accept_offerless)). Answer it
    /// with [`accept`](Self::accept), refuse it with [`decline`](Self::decline).
    pub async fn wait_incoming_call(
        &self,
        timeout: Duration,
    ) -> Result<(IncomingCall, Option<Jsep>), Error> {
        super::wait_event(&self.handle, timeout, |e: Event, jsep| {
            Some((e.into_incoming_call().ok()?, jsep))
        })
        .await
    }

    /// `accept` with our answer to `offer` (see
    /// [`PeerConnection::create_answer`](janus_rtc::PeerConnection::create_answer) for what
    /// `tracks` do; none mirrors the offer).
    pub async fn accept(&self, offer: &Jsep, tracks: &[Track]) -> Result<(), Error> {
        self.accept_with(&Accept::new(), offer, tracks).await
    }

    /// [`accept`](Self::accept) with the options of `accept` (SRTP, headers, ...).
    pub async fn accept_with(
        &self,
        accept: &Accept,
        offer: &Jsep,
        tracks: &[Track],
    ) -> Result<(), Error> {
        let reply = self.handle.answer(accept.to_body()?, offer, tracks).await?;
        expect(&reply.data, Event::into_accepted)?;
        Ok(())
    }

    /// `accept` of an offerless `INVITE`, with our offer of `tracks`; the caller's answer
    /// comes in [`Event::Accepted`] (see [`wait_accepted`](Self::wait_accepted)).
    pub async fn accept_offerless(&self, accept: &Accept, tracks: &[Track]) -> Result<(), Error> {
        let reply = self.handle.offer(accept.to_body()?, tracks).await?;
        expect(&reply.data, Event::into_accepting)?;
        Ok(())
    }

    /// `decline`: refuses the incoming call with SIP status `code` (`None`: `486 Busy
    /// Here`).
    pub async fn decline(&self, code: Option<u16>) -> Result<(), Error> {
        let decline = Decline {
            code,
            ..Decline::new()
        };
        let reply = self.handle.send(&decline, None).await?;
        expect(&reply.data, Event::into_declining)?;
        Ok(())
    }

    /// `hangup`: a `BYE` (or a `CANCEL` of our call not answered yet); the
    /// [`Event::Hangup`] follows (see [`wait_hangup`](Self::wait_hangup)).
    pub async fn hangup(&self) -> Result<(), Error> {
        let reply = self.handle.send(&Hangup::new(), None).await?;
        expect(&reply.data, Event::into_hanging_up)?;
        Ok(())
    }

    /// Waits for the call to end (either side hung up, or it never started): its SIP
    /// status.
    pub async fn wait_hangup(&self, timeout: Duration) -> Result<HungUp, Error> {
        super::wait_event(&self.handle, timeout, |e: Event, _| e.into_hangup().ok()).await
    }

    /// `hold`: a re-`INVITE` asking the SIP peer for `direction` (`None`: `sendonly`). Our
    /// connection is not renegotiated (Janus keeps the peer's answer to itself). Out of a
    /// call the plugin does not answer: the request times out. Janus says nothing when the
    /// peer's `200` to the re-`INVITE` arrives, and until then it drops a next `hold` or
    /// [`unhold`](Self::unhold) (no answer, a timeout): leave the peer time to answer (the
    /// SIP tests wait for sipp's `ACK`).
    pub async fn hold(&self, direction: Option<HoldDirection>) -> Result<(), Error> {
        let hold = Hold {
            direction,
            ..Hold::new()
        };
        let reply = self.handle.send(&hold, None).await?;
        expect(&reply.data, Event::into_holding)?;
        Ok(())
    }

    /// `unhold`: a re-`INVITE` back to the directions before [`hold`](Self::hold) (the
    /// same remarks).
    pub async fn unhold(&self) -> Result<(), Error> {
        let reply = self.handle.send(&Unhold::new(), None).await?;
        expect(&reply.data, Event::into_resuming)?;
        Ok(())
    }

    /// `dtmf_info`: the tone `digit` as a SIP `INFO`, lasting `duration` ms (`None`: 160).
    pub async fn dtmf_info(&self, digit: char, duration: Option<u32>) -> Result<(), Error> {
        let dtmf = DtmfInfo {
            duration,
            ..DtmfInfo::new(digit.to_string())
        };
        let reply = self.handle.send(&dtmf, None).await?;
        expect(&reply.data, Event::into_dtmf_sent)?;
        Ok(())
    }

    /// `message`: a SIP `MESSAGE` of `content` (`text/plain`) to the peer of the call; the
    /// peer's status comes later in [`Event::MessageDelivery`].
    pub async fn message(&self, content: &str) -> Result<(), Error> {
        let reply = self.handle.send(&Message::new(content), None).await?;
        expect(&reply.data, Event::into_message_sent)?;
        Ok(())
    }

    /// `info`: a SIP `INFO` of `content`, of content type `kind`, to the peer of the call.
    pub async fn info(&self, kind: &str, content: &str) -> Result<(), Error> {
        let reply = self.handle.send(&Info::new(kind, content), None).await?;
        expect(&reply.data, Event::into_info_sent)?;
        Ok(())
    }

    /// The handle: its events and its connection ([`Handle::peer`]).
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The handle, for what the workflow does not cover (e.g. `detach`).
    pub fn into_handle(self) -> Handle {
        self.handle
    }
}
