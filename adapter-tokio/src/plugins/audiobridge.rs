//! AudioBridge workflows: a [`Participant`] of a mixed audio room, as the janus.js
//! AudioBridge demo does it. The requests and events are
//! [`janus_proto::plugin::audiobridge`]'s; room management (`create`, `exists`,
//! `listparticipants`, `destroy`, ...) is [`request`] on any AudioBridge handle.

use std::net::IpAddr;

use janus_proto::plugin::audiobridge::{
    ChangeRoom, Configure, Event, Id, Join, Joined, Leave, ListParticipants, PLUGIN,
    Participant as Listed, RoomChanged,
};
use janus_proto::plugin::{DecodeError, PluginRequest, expect};
use janus_rtc::{HandleEvent, PeerConfig, Track};

use crate::{Error, Handle, Session};

/// Sends an AudioBridge request on `handle` (attached to the AudioBridge) and decodes the
/// answer: room management, or any request the workflow does not cover. A plugin error is
/// `Err` with [`Error::plugin_code`] (see [`ErrorCode`](janus_proto::plugin::audiobridge::ErrorCode)).
///
/// ```no_run
/// use janus_proto::plugin::audiobridge::{self as ab, Event};
/// use janus_tokio::plugins::audiobridge;
///
/// # async fn run(handle: janus_tokio::Handle) -> Result<(), janus_tokio::Error> {
/// let Event::Exists(e) = audiobridge::request(&handle, &ab::Exists::new(1234)).await? else {
///     panic!("not an answer to exists")
/// };
/// assert!(e.exists);
/// # Ok(()) }
/// ```
pub async fn request(handle: &Handle, request: &impl PluginRequest) -> Result<Event, Error> {
    super::request(handle, request).await
}

/// A handle's event decoded as the AudioBridge's, if it is a plugin event (see
/// [`plugins::event`](super::event)).
pub fn event(event: &HandleEvent) -> Option<Result<Event, DecodeError>> {
    super::event(event)
}

/// A participant of an AudioBridge room: sends one audio track into the mix and receives
/// the mix of the others on it. It owns its handle and the handle's connection, whose
/// events carry the room's events (decode them with [`event`]:
/// [`Event::Joined`] for newcomers, [`Event::ParticipantsChanged`] for mutes,
/// [`Event::ParticipantLeft`], ...) and the mix's frames.
///
/// ```no_run
/// use janus_proto::plugin::audiobridge::{Configure, Join};
/// use janus_tokio::plugins::audiobridge::Participant;
///
/// # async fn run(session: janus_tokio::Session) -> Result<(), janus_tokio::Error> {
/// let mut join = Join::new(1234);
/// join.display = Some("carol".into());
/// let carol = Participant::join(&session, "127.0.0.2".parse().unwrap(), &join).await?;
/// println!("id {}; there already: {:?}", carol.id(), carol.joined().participants);
/// // Write Opus on carol.handle().peer()?.write_frame(..); the mix comes back as frames.
/// carol.set_muted(true).await?;
/// println!("{:?}", carol.participants().await?);
/// carol.leave().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Participant {
    handle: Handle,
    joined: Joined,
    id: Id,
}

impl Participant {
    /// Attaches an AudioBridge handle with a connection on `ip` (default [`PeerConfig`]),
    /// joins, and offers one audio track (sent with an empty `configure`, whose answer
    /// is applied): the common path in one call.
    pub async fn join(session: &Session, ip: IpAddr, join: &Join) -> Result<Self, Error> {
        let mut handle = session.attach(PLUGIN).await?;
        handle.add_peer(PeerConfig::default(), ip).await?;
        Self::join_on(handle, join, &Configure::new()).await
    }

    /// Joins on an AudioBridge handle of the caller's, which must carry a connection
    /// already ([`Handle::add_peer`]), then offers one audio track with `configure`.
    pub async fn join_on(
        handle: Handle,
        join: &Join,
        configure: &Configure,
    ) -> Result<Self, Error> {
        let reply = handle.send(join, None).await?;
        let (id, joined) = expect(&reply.data, Event::into_joined)?;
        let reply = handle
            .offer(configure.to_body()?, &[Track::audio()])
            .await?;
        expect(&reply.data, Event::into_configured)?;
        Ok(Self { handle, joined, id })
    }

    /// `configure`: mute, display name, bitrate, volume, ... (no renegotiation).
    pub async fn configure(&self, configure: &Configure) -> Result<(), Error> {
        let reply = self.handle.send(configure, None).await?;
        Ok(expect(&reply.data, Event::into_configured)?)
    }

    /// Mutes or unmutes us (`configure` with `muted`); the room hears it
    /// ([`Event::ParticipantsChanged`]).
    pub async fn set_muted(&self, muted: bool) -> Result<(), Error> {
        let mut configure = Configure::new();
        configure.muted = Some(muted);
        self.configure(&configure).await
    }

    /// `listparticipants` of our room.
    pub async fn participants(&self) -> Result<Vec<Listed>, Error> {
        let listed = ListParticipants::new(self.joined.room.clone());
        let reply = self.handle.send(&listed, None).await?;
        Ok(expect(&reply.data, Event::into_participants)?.participants)
    }

    /// `changeroom`: moves to another room, keeping the connection.
    pub async fn change_room(&mut self, change: &ChangeRoom) -> Result<RoomChanged, Error> {
        let reply = self.handle.send(change, None).await?;
        let changed = expect(&reply.data, Event::into_room_changed)?;
        self.joined.room = changed.room.clone();
        self.id = changed.id.clone();
        Ok(changed)
    }

    /// `leave`: leaves the room (the others get [`Event::ParticipantLeft`]); the handle
    /// stays attached.
    pub async fn leave(&self) -> Result<(), Error> {
        let reply = self.handle.send(&Leave::new(), None).await?;
        expect(&reply.data, Event::into_left)?;
        Ok(())
    }

    /// The answer to the join: the room, our id, the participants there already.
    pub fn joined(&self) -> &Joined {
        &self.joined
    }

    /// Our id in the room.
    pub fn id(&self) -> &Id {
        &self.id
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
