//! VideoCall workflows: a [`User`] registers a name, calls another user or accepts a call,
//! changes what it sends with `set`, and hangs up, as the janus.js VideoCall demo does.
//! The requests and events are [`janus_proto::plugin::videocall`]'s; any request the
//! workflow does not cover goes through [`request`].
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use janus_blocking::plugins::videocall::User;
//! use janus_blocking::rtc::{PeerConfig, Track};
//!
//! # fn run(session: janus_blocking::Session) -> Result<(), janus_blocking::Error> {
//! let ip = "127.0.0.2".parse().unwrap();
//! let alice = User::register(&session, PeerConfig::default(), ip, "alice")?;
//! let bob = User::register(&session, PeerConfig::default(), ip, "bob")?;
//! alice.call("bob", &[Track::audio(), Track::video()])?;
//! let (caller, offer) = bob.wait_incoming_call(Duration::from_secs(10))?;
//! assert_eq!(caller.username.as_deref(), Some("alice"));
//! bob.accept(&offer, &[])?;
//! alice.wait_accepted(Duration::from_secs(10))?; // bob's answer, applied
//! alice.hangup()?;
//! # Ok(()) }
//! ```

use std::net::IpAddr;
use std::time::Duration;

use janus_proto::Jsep;
use janus_proto::plugin::videocall::{
    Accept, Call, Event, Hangup, HungUp, List, PLUGIN, Peer, Register, Set,
};
use janus_proto::plugin::{DecodeError, PluginRequest, expect};
use janus_rtc::{HandleEvent, PeerConfig, Track};

use crate::{Error, Handle, Session};

/// Sends a VideoCall request on `handle` and decodes the answer. A plugin error is `Err`
/// with [`Error::plugin_code`] (see [`ErrorCode`](janus_proto::plugin::videocall::ErrorCode)).
pub fn request(handle: &Handle, request: &impl PluginRequest) -> Result<Event, Error> {
    super::request(handle, request)
}

/// A handle's event decoded as the VideoCall's, if it is a plugin event.
pub fn event(event: &HandleEvent) -> Option<Result<Event, DecodeError>> {
    super::event(event)
}

/// A registered VideoCall user: its handle, with the handle's WebRTC connection, and the
/// name others call it by. Frames, data and the plugin's later events arrive in
/// [`handle`](Self::handle)`.events()`.
#[derive(Debug)]
pub struct User {
    handle: Handle,
    username: String,
}

impl User {
    /// Attaches a VideoCall handle with a connection on `ip` and registers `username`.
    pub fn register(
        session: &Session,
        config: PeerConfig,
        ip: IpAddr,
        username: &str,
    ) -> Result<Self, Error> {
        let mut handle = session.attach(PLUGIN)?;
        handle.add_peer(config, ip)?;
        Self::register_on(handle, username)
    }

    /// Registers `username` on a VideoCall handle of the caller's, which must carry a
    /// connection already ([`Handle::add_peer`]).
    pub fn register_on(handle: Handle, username: &str) -> Result<Self, Error> {
        let reply = handle.send(&Register::new(username), None)?;
        let registered = expect(&reply.data, Event::into_registered)?;
        Ok(Self {
            handle,
            username: registered.username.unwrap_or_else(|| username.to_owned()),
        })
    }

    /// The name we registered.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// `list`: the registered user names (ours too).
    pub fn list(&self) -> Result<Vec<String>, Error> {
        let reply = self.handle.send(&List::new(), None)?;
        Ok(expect(&reply.data, Event::into_list)?)
    }

    /// `call` with an offer of `tracks`: the plugin tells the callee ([`Event::Calling`]).
    /// Its answer comes in [`Event::Accepted`], which the handle applies on arrival (see
    /// [`wait_accepted`](Self::wait_accepted)).
    pub fn call(&self, username: &str, tracks: &[Track]) -> Result<Peer, Error> {
        let reply = self.handle.offer(Call::new(username).to_body()?, tracks)?;
        Ok(expect(&reply.data, Event::into_calling)?)
    }

    /// Waits for someone to call us: who, and their JSEP offer (answer it with
    /// [`accept`](Self::accept), decline it with [`hangup`](Self::hangup)).
    pub fn wait_incoming_call(&self, timeout: Duration) -> Result<(Peer, Jsep), Error> {
        super::wait_event(&self.handle, timeout, |e: Event, jsep| {
            Some((e.into_incoming_call().ok()?, jsep?))
        })
    }

    /// `accept` with our answer to `offer` (see
    /// [`PeerConnection::create_answer`](janus_rtc::PeerConnection::create_answer) for what
    /// `tracks` do; none mirrors the offer).
    pub fn accept(&self, offer: &Jsep, tracks: &[Track]) -> Result<Peer, Error> {
        let reply = self
            .handle
            .answer(Accept::new().to_body()?, offer, tracks)?;
        Ok(expect(&reply.data, Event::into_accepted)?)
    }

    /// The caller's side: waits for the callee's acceptance (its answer is applied by the
    /// handle as it arrives); who accepted.
    pub fn wait_accepted(&self, timeout: Duration) -> Result<Peer, Error> {
        super::wait_event(&self.handle, timeout, |e: Event, _| e.into_accepted().ok())
    }

    /// `set` without renegotiating: audio and video relayed or not, bitrate cap, recording.
    pub fn set(&self, set: &Set) -> Result<(), Error> {
        let reply = self.handle.send(set, None)?;
        expect(&reply.data, Event::into_set)?;
        Ok(())
    }

    /// `set` with a new offer of `tracks` (none: the media as it is); the peer gets
    /// [`Event::Update`] with it, and its answer comes back in an `update` of ours, which
    /// the handle applies.
    pub fn renegotiate(&self, set: &Set, tracks: &[Track]) -> Result<(), Error> {
        let reply = self.handle.offer(set.to_body()?, tracks)?;
        expect(&reply.data, Event::into_set)?;
        Ok(())
    }

    /// Waits for the peer's renegotiation ([`Event::Update`]): its JSEP (an offer to answer
    /// with [`answer_update`](Self::answer_update)).
    pub fn wait_update(&self, timeout: Duration) -> Result<Jsep, Error> {
        super::wait_event(&self.handle, timeout, |e: Event, jsep| {
            e.into_update().ok()?;
            jsep
        })
    }

    /// Answers the peer's renegotiation offer with `set` (and `tracks`, as in
    /// [`accept`](Self::accept)).
    pub fn answer_update(&self, offer: &Jsep, set: &Set, tracks: &[Track]) -> Result<(), Error> {
        let reply = self.handle.answer(set.to_body()?, offer, tracks)?;
        expect(&reply.data, Event::into_set)?;
        Ok(())
    }

    /// `hangup`: ends the call (or declines or cancels one); Janus closes our connection
    /// and tells the peer. The plugin's answer: who hung up and why.
    pub fn hangup(&self) -> Result<HungUp, Error> {
        let reply = self.handle.send(&Hangup::new(), None)?;
        Ok(expect(&reply.data, Event::into_hangup)?)
    }

    /// Waits for the call to end (the peer hung up, or a connection closed): who, and why.
    pub fn wait_hangup(&self, timeout: Duration) -> Result<HungUp, Error> {
        super::wait_event(&self.handle, timeout, |e: Event, _| e.into_hangup().ok())
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
