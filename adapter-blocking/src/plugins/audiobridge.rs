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
/// use janus_blocking::plugins::audiobridge;
///
/// # fn run(handle: janus_blocking::Handle) -> Result<(), janus_blocking::Error> {
/// let Event::Exists(e) = audiobridge::request(&handle, &ab::Exists::new(1234))? else {
///     panic!("not an answer to exists")
/// };
/// assert!(e.exists);
/// # Ok(()) }
/// ```
pub fn request(handle: &Handle, request: &impl PluginRequest) -> Result<Event, Error> {
    super::request(handle, request)
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
/// use janus_blocking::plugins::audiobridge::Participant;
///
/// # fn run(session: janus_blocking::Session) -> Result<(), janus_blocking::Error> {
/// let mut join = Join::new(1234);
/// join.display = Some("carol".into());
/// let carol = Participant::join(&session, "127.0.0.2".parse().unwrap(), &join)?;
/// println!("id {}; there already: {:?}", carol.id(), carol.joined().participants);
/// // Write Opus on carol.handle().peer()?.write_frame(..); the mix comes back as frames.
/// carol.set_muted(true)?;
/// println!("{:?}", carol.participants()?);
/// carol.leave()?;
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
    pub fn join(session: &Session, ip: IpAddr, join: &Join) -> Result<Self, Error> {
        let mut handle = session.attach(PLUGIN)?;
        handle.add_peer(PeerConfig::default(), ip)?;
        Self::join_on(handle, join, &Configure::new())
    }

    /// Joins on an AudioBridge handle of the caller's, which must carry a connection
    /// already ([`Handle::add_peer`]), then offers one audio track with `configure`.
    pub fn join_on(handle: Handle, join: &Join, configure: &Configure) -> Result<Self, Error> {
        let reply = handle.send(join, None)?;
        let (id, joined) = expect(&reply.data, Event::into_joined)?;
        let reply = handle.offer(configure.to_body()?, &[Track::audio()])?;
        expect(&reply.data, Event::into_configured)?;
        Ok(Self { handle, joined, id })
    }

    /// `configure`: mute, display name, bitrate, volume, ... (no renegotiation).
    pub fn configure(&self, configure: &Configure) -> Result<(), Error> {
        let reply = self.handle.send(configure, None)?;
        Ok(expect(&reply.data, Event::into_configured)?)
    }

    /// Mutes or unmutes us (`configure` with `muted`); the room hears it
    /// ([`Event::ParticipantsChanged`]).
    pub fn set_muted(&self, muted: bool) -> Result<(), Error> {
        let mut configure = Configure::new();
        configure.muted = Some(muted);
        self.configure(&configure)
    }

    /// `listparticipants` of our room.
    pub fn participants(&self) -> Result<Vec<Listed>, Error> {
        let listed = ListParticipants::new(self.joined.room.clone());
        let reply = self.handle.send(&listed, None)?;
        Ok(expect(&reply.data, Event::into_participants)?.participants)
    }

    /// `changeroom`: moves to another room, keeping the connection.
    pub fn change_room(&mut self, change: &ChangeRoom) -> Result<RoomChanged, Error> {
        let reply = self.handle.send(change, None)?;
        let changed = expect(&reply.data, Event::into_room_changed)?;
        self.joined.room = changed.room.clone();
        self.id = changed.id.clone();
        Ok(changed)
    }

    /// `leave`: leaves the room (the others get [`Event::ParticipantLeft`]); the handle
    /// stays attached.
    pub fn leave(&self) -> Result<(), Error> {
        let reply = self.handle.send(&Leave::new(), None)?;
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
