//! VideoRoom workflows: a [`Publisher`] sends its media into a room, a [`Subscriber`]
//! receives any mix of the publishers' streams, as the janus.js VideoRoom demo does them.
//! The requests and events are [`janus_proto::plugin::videoroom`]'s; room management
//! (`create`, `exists`, `listparticipants`, `destroy`, ...) is [`request`] on any VideoRoom
//! handle.

use std::net::IpAddr;

use janus_proto::plugin::videoroom::{
    ConfigurePublisher, ConfigureSubscriber, Event, JoinPublisher, JoinSubscriber, Joined, Leave,
    PLUGIN, Pause, Publish, Start, Subscribe, SubscribeStream, Subscription, Switch, SwitchStream,
    Unpublish, Unsubscribe, UnsubscribeStream, Update, Updated,
};
use janus_proto::plugin::{DecodeError, PluginRequest, expect, offer_of};
use janus_proto::{Jsep, PluginReply};
use janus_rtc::{HandleEvent, PeerConfig, Track};

use crate::{Error, Handle, Session};

/// Sends a VideoRoom request on `handle` (attached to the VideoRoom) and decodes the answer:
/// room management, or any request the workflows do not cover. A plugin error is
/// `Err` with [`Error::plugin_code`] (see [`ErrorCode`](janus_proto::plugin::videoroom::ErrorCode)).
///
/// ```no_run
/// use janus_proto::plugin::videoroom::{self as vr, Event};
/// use janus_blocking::plugins::videoroom;
///
/// # fn run(handle: janus_blocking::Handle) -> Result<(), janus_blocking::Error> {
/// let mut create = vr::Create::new();
/// create.description = Some("standup".into());
/// let Event::Created(created) = videoroom::request(&handle, &create)? else {
///     panic!("not created")
/// };
/// let exists = videoroom::request(&handle, &vr::Exists::new(created.room.clone()))?;
/// assert!(matches!(exists, Event::Exists(e) if e.exists));
/// videoroom::request(&handle, &vr::Destroy::new(created.room))?;
/// # Ok(()) }
/// ```
pub fn request(handle: &Handle, request: &impl PluginRequest) -> Result<Event, Error> {
    super::request(handle, request)
}

/// A handle's event decoded as the VideoRoom's, if it is a plugin event (see
/// [`plugins::event`](super::event)).
pub fn event(event: &HandleEvent) -> Option<Result<Event, DecodeError>> {
    super::event(event)
}

/// A participant that publishes (janus.js VideoRoom demo: `join` as a publisher, then
/// `publish` with an offer of its tracks). It owns its handle and the handle's WebRTC
/// connection, whose events carry what the room says (decode them with
/// [`event`]: [`Event::Publishers`] when others publish, [`Event::ParticipantLeft`], ...).
///
/// ```no_run
/// use janus_proto::plugin::videoroom::{Event, JoinPublisher};
/// use janus_blocking::plugins::videoroom::{self, Publisher};
/// use janus_blocking::rtc::Track;
/// use std::time::Duration;
///
/// # fn run(session: janus_blocking::Session) -> Result<(), janus_blocking::Error> {
/// let mut join = JoinPublisher::new(1234);
/// join.display = Some("alice".into());
/// let ip = "127.0.0.2".parse().unwrap();
/// let alice =
///     Publisher::join_and_publish(&session, ip, &join, &[Track::audio(), Track::video()])?;
/// println!("feed {} in room {}; already there: {:?}", alice.joined().id, alice.joined().room, alice.joined().publishers);
/// // Others publishing later: a `publishers` event.
/// let others = alice
///     .handle()
///     .events()
///     .wait_for(Duration::from_secs(10), |e| match videoroom::event(&e)? {
///         Ok(Event::Publishers { publishers, .. }) => Some(publishers),
///         _ => None,
///     })
///     ?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Publisher {
    handle: Handle,
    joined: Joined,
}

impl Publisher {
    /// Attaches a VideoRoom handle with a connection on `ip` (default [`PeerConfig`]) and
    /// joins as a publisher, not publishing yet ([`publish`](Self::publish) does).
    pub fn join(session: &Session, ip: IpAddr, join: &JoinPublisher) -> Result<Self, Error> {
        let mut handle = session.attach(PLUGIN)?;
        handle.add_peer(PeerConfig::default(), ip)?;
        Self::join_on(handle, join)
    }

    /// Joins as a publisher on a VideoRoom handle of the caller's, which must carry a
    /// connection already ([`Handle::add_peer`], with a [`PeerConfig`] of its choice).
    pub fn join_on(handle: Handle, join: &JoinPublisher) -> Result<Self, Error> {
        let reply = handle.send(join, None)?;
        let joined = expect(&reply.data, Event::into_joined)?;
        Ok(Self { handle, joined })
    }

    /// [`join`](Self::join) then [`publish`](Self::publish) these tracks with default
    /// settings: the common path in one call.
    pub fn join_and_publish(
        session: &Session,
        ip: IpAddr,
        join: &JoinPublisher,
        tracks: &[Track],
    ) -> Result<Self, Error> {
        let publisher = Self::join(session, ip, join)?;
        publisher.publish(&Publish::new(), tracks)?;
        Ok(publisher)
    }

    /// Offers `tracks` with `publish` and applies the plugin's answer. The room hears of
    /// the new feed ([`Event::Publishers`]) once the connection is up.
    pub fn publish(&self, publish: &Publish, tracks: &[Track]) -> Result<(), Error> {
        let reply = self.handle.offer(publish.to_body()?, tracks)?;
        configured(&reply)
    }

    /// `configure` without renegotiating (bitrate, display name, per-stream `send`, ...).
    pub fn configure(&self, configure: &ConfigurePublisher) -> Result<(), Error> {
        configured(&self.handle.send(configure, None)?)
    }

    /// `configure` with a new offer of `tracks` (none: the media as it is), e.g. adding a
    /// track; the answer is applied.
    pub fn renegotiate(
        &self,
        configure: &ConfigurePublisher,
        tracks: &[Track],
    ) -> Result<(), Error> {
        configured(&self.handle.offer(configure.to_body()?, tracks)?)
    }

    /// `unpublish`: stops publishing (Janus closes the connection), stays in the room.
    pub fn unpublish(&self) -> Result<(), Error> {
        let reply = self.handle.send(&Unpublish::new(), None)?;
        Ok(expect(&reply.data, Event::into_unpublished)?)
    }

    /// `leave`: leaves the room (the handle stays attached).
    pub fn leave(&self) -> Result<(), Error> {
        let reply = self.handle.send(&Leave::new(), None)?;
        Ok(expect(&reply.data, Event::into_left)?)
    }

    /// The answer to the join: the room, our id, the publishers there already.
    pub fn joined(&self) -> &Joined {
        &self.joined
    }

    /// The handle: its events (the room's, and the connection's with the frames
    /// received) and its connection ([`Handle::peer`]: write the frames to send there).
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The handle, for what the workflow does not cover (e.g. `detach`).
    pub fn into_handle(self) -> Handle {
        self.handle
    }
}

fn configured(reply: &PluginReply) -> Result<(), Error> {
    Ok(expect(&reply.data, Event::into_configured)?)
}

/// A subscription to streams of publishers (janus.js VideoRoom demo: `join` as a subscriber,
/// answer Janus's offer with `start`). It owns its handle and the handle's connection,
/// whose events carry the received frames; [`subscribe`](Self::subscribe) and
/// [`unsubscribe`](Self::unsubscribe) change the streams, answering Janus's new offer.
///
/// ```no_run
/// use janus_proto::plugin::videoroom::{JoinSubscriber, SubscribeStream};
/// use janus_blocking::plugins::videoroom::Subscriber;
/// use janus_blocking::rtc::{Event as RtcEvent, HandleEvent};
/// use std::time::Duration;
///
/// # fn run(session: janus_blocking::Session, feed: u64, other: u64) -> Result<(), janus_blocking::Error> {
/// let ip = "127.0.0.2".parse().unwrap();
/// let join = JoinSubscriber::to_streams(1234, vec![SubscribeStream::new(feed)]);
/// let mut bob = Subscriber::join(&session, ip, &join)?;
/// let frame = bob
///     .handle()
///     .events()
///     .wait_for(Duration::from_secs(10), |e| match e {
///         HandleEvent::Rtc(RtcEvent::Media(frame)) => Some(frame),
///         _ => None,
///     })
///     ?;
/// println!("{} bytes on {}", frame.data.len(), frame.mid);
/// bob.subscribe(vec![SubscribeStream::new(other)])?;
/// println!("now {} streams", bob.subscription().streams.len());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Subscriber {
    handle: Handle,
    subscription: Subscription,
}

impl Subscriber {
    /// Attaches a VideoRoom handle with a connection on `ip` (default [`PeerConfig`]),
    /// joins as a subscriber, and answers Janus's offer with `start`.
    pub fn join(session: &Session, ip: IpAddr, join: &JoinSubscriber) -> Result<Self, Error> {
        let mut handle = session.attach(PLUGIN)?;
        handle.add_peer(PeerConfig::default(), ip)?;
        Self::join_on(handle, join)
    }

    /// The same on a VideoRoom handle of the caller's, which must carry a connection
    /// already ([`Handle::add_peer`]).
    pub fn join_on(handle: Handle, join: &JoinSubscriber) -> Result<Self, Error> {
        let reply = handle.send(join, None)?;
        let attached = expect(&reply.data, Event::into_attached)?;
        let subscriber = Self {
            subscription: Subscription::new(&attached),
            handle,
        };
        subscriber.accept(offer_of(&reply)?)?;
        Ok(subscriber)
    }

    /// Answers an offer of Janus's with `start`: the one a renegotiation Janus starts on
    /// its own (a subscribed publisher left, or an [`Event::Updated`] after an
    /// [`Event::Updating`]; [`jsep_of`](janus_proto::plugin::jsep_of) finds it in a handle's event).
    pub fn accept(&self, offer: &Jsep) -> Result<(), Error> {
        let reply = self.handle.answer(Start::new().to_body()?, offer, &[])?;
        Ok(expect(&reply.data, Event::into_started)?)
    }

    /// `subscribe`: adds streams, answering Janus's new offer. `None` when the change
    /// waits behind a renegotiation in progress (see [`Event::into_updated`]).
    pub fn subscribe(&mut self, streams: Vec<SubscribeStream>) -> Result<Option<Updated>, Error> {
        self.renegotiate(&Subscribe::new(streams))
    }

    /// `unsubscribe`: removes streams, answering Janus's new offer (as
    /// [`subscribe`](Self::subscribe)).
    pub fn unsubscribe(
        &mut self,
        streams: Vec<UnsubscribeStream>,
    ) -> Result<Option<Updated>, Error> {
        self.renegotiate(&Unsubscribe::new(streams))
    }

    /// `update`: adds and removes streams in one renegotiation (as
    /// [`subscribe`](Self::subscribe)).
    pub fn update(&mut self, update: &Update) -> Result<Option<Updated>, Error> {
        self.renegotiate(update)
    }

    fn renegotiate(&mut self, request: &impl PluginRequest) -> Result<Option<Updated>, Error> {
        let reply = self.handle.send(request, None)?;
        let updated = expect(&reply.data, Event::into_updated)?;
        if let Some(offer) = &reply.jsep {
            self.accept(offer)?;
        }
        if let Some(u) = &updated {
            self.subscription.updated(u);
        }
        Ok(updated)
    }

    /// `switch`: feeds some of our streams from other publishers' without renegotiating.
    pub fn switch(&mut self, streams: Vec<SwitchStream>) -> Result<(), Error> {
        let reply = self.handle.send(&Switch::new(streams), None)?;
        let switched = expect(&reply.data, Event::into_switched)?;
        self.subscription.switched(&switched);
        Ok(())
    }

    /// `configure`: per-stream `send`, simulcast substream and temporal layer, SVC layers.
    pub fn configure(&self, configure: &ConfigureSubscriber) -> Result<(), Error> {
        configured(&self.handle.send(configure, None)?)
    }

    /// `pause`: Janus stops relaying; [`resume`](Self::resume) starts again.
    pub fn pause(&self) -> Result<(), Error> {
        let reply = self.handle.send(&Pause::new(), None)?;
        Ok(expect(&reply.data, Event::into_paused)?)
    }

    /// `start` without a JSEP: resumes after [`pause`](Self::pause).
    pub fn resume(&self) -> Result<(), Error> {
        let reply = self.handle.send(&Start::new(), None)?;
        Ok(expect(&reply.data, Event::into_started)?)
    }

    /// `leave`: ends the subscription (Janus closes the connection).
    pub fn leave(&self) -> Result<(), Error> {
        let reply = self.handle.send(&Leave::new(), None)?;
        Ok(expect(&reply.data, Event::into_left)?)
    }

    /// The subscription as the plugin last described it in an answer to this workflow.
    /// Events read from the queue are the caller's: pass them to
    /// [`subscription_mut`](Self::subscription_mut)`().apply(..)` to keep it current.
    pub fn subscription(&self) -> &Subscription {
        &self.subscription
    }

    /// The subscription, to update from events (see [`Subscription::apply`]).
    pub fn subscription_mut(&mut self) -> &mut Subscription {
        &mut self.subscription
    }

    /// The handle: its events (the room's, and the connection's with the frames
    /// received) and its connection ([`Handle::peer`]: write the frames to send there).
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The handle, for what the workflow does not cover (e.g. `detach`).
    pub fn into_handle(self) -> Handle {
        self.handle
    }
}
