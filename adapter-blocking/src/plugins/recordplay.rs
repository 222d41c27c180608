//! Record&Play workflows: a [`Recorder`] records what its connection sends, a [`Player`]
//! plays a recording back, as the janus.js Record&Play demo does. The requests and events
//! are [`janus_proto::plugin::recordplay`]'s; `list`, `update` and any other request go
//! through [`request`] on any Record&Play handle.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use janus_blocking::plugins::recordplay::{self, Player, Recorder};
//! use janus_blocking::rtc::{PeerConfig, Track};
//! use janus_proto::plugin::recordplay::{Event, List, Play, Record};
//!
//! # fn run(session: janus_blocking::Session) -> Result<(), janus_blocking::Error> {
//! let ip = "127.0.0.2".parse().unwrap();
//! let recorder =
//!     Recorder::record(&session, PeerConfig::default(), ip, &Record::new("hello"), &[Track::audio()])?;
//! // ... write frames to recorder.handle().peer()? ...
//! let id = recorder.stop()?.id.unwrap();
//! let Event::List(list) = recordplay::request(recorder.handle(), &List::new())? else { panic!() };
//! assert!(list.iter().any(|r| r.id == id));
//! let player = Player::play(&session, PeerConfig::default(), ip, &Play::new(id))?;
//! player.wait_done(Duration::from_secs(30))?;
//! # Ok(()) }
//! ```

use std::net::IpAddr;
use std::time::Duration;

use janus_proto::plugin::recordplay::{
    Configure, Event, PLUGIN, Pause, Play, Record, Resume, Settings, Start, Status, Stop,
};
use janus_proto::plugin::{DecodeError, PluginRequest, expect, offer_of};
use janus_rtc::{HandleEvent, PeerConfig, Track};

use crate::{Error, Handle, Session};

/// Sends a Record&Play request on `handle` and decodes the answer (`list`, `update`, ...).
/// A plugin error is `Err` with [`Error::plugin_code`] (see
/// [`ErrorCode`](janus_proto::plugin::recordplay::ErrorCode)).
pub fn request(handle: &Handle, request: &impl PluginRequest) -> Result<Event, Error> {
    super::request(handle, request)
}

/// A handle's event decoded as the Record&Play's, if it is a plugin event.
pub fn event(event: &HandleEvent) -> Option<Result<Event, DecodeError>> {
    super::event(event)
}

/// Waits for the [`Event::Done`] that ends a recording or a playout.
fn wait_done(handle: &Handle, timeout: Duration) -> Result<Status, Error> {
    super::wait_event(handle, timeout, |e: Event, _| e.into_done().ok())
}

/// A recording in progress: a Record&Play handle whose connection sends the media that
/// the plugin writes (write frames to [`handle`](Self::handle)`.peer()`).
#[derive(Debug)]
pub struct Recorder {
    handle: Handle,
    recording: Status,
}

impl Recorder {
    /// Attaches a Record&Play handle with a connection on `ip`, offers `tracks` with
    /// `record` and applies the plugin's answer. Frames count once the connection is up.
    pub fn record(
        session: &Session,
        config: PeerConfig,
        ip: IpAddr,
        record: &Record,
        tracks: &[Track],
    ) -> Result<Self, Error> {
        let mut handle = session.attach(PLUGIN)?;
        handle.add_peer(config, ip)?;
        Self::record_on(handle, record, tracks)
    }

    /// The same on a Record&Play handle of the caller's, which must carry a connection.
    pub fn record_on(handle: Handle, record: &Record, tracks: &[Track]) -> Result<Self, Error> {
        let reply = handle.offer(record.to_body()?, tracks)?;
        let recording = expect(&reply.data, Event::into_recording)?;
        Ok(Self { handle, recording })
    }

    /// The recording's id (the plugin's pick when [`Record::id`] was unset).
    pub fn id(&self) -> Option<u64> {
        self.recording.id
    }

    /// What the plugin said to `record`.
    pub fn recording(&self) -> &Status {
        &self.recording
    }

    /// `configure`: bitrate cap and keyframe interval; the settings now.
    pub fn configure(&self, configure: &Configure) -> Result<Settings, Error> {
        let reply = self.handle.send(configure, None)?;
        Ok(expect(&reply.data, Event::into_configured)?)
    }

    /// `pause`: frames arriving now are not written.
    pub fn pause(&self) -> Result<Status, Error> {
        let reply = self.handle.send(&Pause::new(), None)?;
        Ok(expect(&reply.data, Event::into_paused)?)
    }

    /// `resume` after [`pause`](Self::pause).
    pub fn resume(&self) -> Result<Status, Error> {
        let reply = self.handle.send(&Resume::new(), None)?;
        Ok(expect(&reply.data, Event::into_resumed)?)
    }

    /// `stop`: the recording is complete (listed from now on); Janus closes the connection.
    pub fn stop(&self) -> Result<Status, Error> {
        let reply = self.handle.send(&Stop::new(), None)?;
        Ok(expect(&reply.data, Event::into_stopped)?)
    }

    /// Waits for [`Event::Done`] (after [`stop`](Self::stop), or a closed connection).
    pub fn wait_done(&self, timeout: Duration) -> Result<Status, Error> {
        wait_done(&self.handle, timeout)
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

/// A playout: a Record&Play handle whose connection receives a recording (frames arrive
/// in [`handle`](Self::handle)`.events()`); it ends with [`Event::Done`].
#[derive(Debug)]
pub struct Player {
    handle: Handle,
    preparing: Status,
}

impl Player {
    /// Attaches a Record&Play handle with a connection on `ip`, sends `play`, answers
    /// Janus's offer (every stream it offers) with `start`: the playout runs.
    pub fn play(
        session: &Session,
        config: PeerConfig,
        ip: IpAddr,
        play: &Play,
    ) -> Result<Self, Error> {
        let mut handle = session.attach(PLUGIN)?;
        handle.add_peer(config, ip)?;
        Self::play_on(handle, play)
    }

    /// The same on a Record&Play handle of the caller's, which must carry a connection.
    pub fn play_on(handle: Handle, play: &Play) -> Result<Self, Error> {
        let reply = handle.send(play, None)?;
        let preparing = expect(&reply.data, Event::into_preparing)?;
        let started = handle.answer(Start::new().to_body()?, offer_of(&reply)?, &[])?;
        expect(&started.data, Event::into_playing)?;
        Ok(Self { handle, preparing })
    }

    /// What the plugin said to `play` (the recording's id, a warning).
    pub fn preparing(&self) -> &Status {
        &self.preparing
    }

    /// `stop`: ends the playout early; Janus closes the connection.
    pub fn stop(&self) -> Result<Status, Error> {
        let reply = self.handle.send(&Stop::new(), None)?;
        Ok(expect(&reply.data, Event::into_stopped)?)
    }

    /// Waits for [`Event::Done`]: the whole recording was sent (or the playout stopped).
    pub fn wait_done(&self, timeout: Duration) -> Result<Status, Error> {
        wait_done(&self.handle, timeout)
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
