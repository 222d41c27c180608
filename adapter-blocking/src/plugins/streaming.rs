//! Streaming (`janus.plugin.streaming`): watch a mountpoint, as the janus.js Streaming demo
//! does, and manage mountpoints.
//!
//! [`Viewer::watch`] is attach, the handle's WebRTC connection, `watch` (Janus offers) and
//! `start` with our answer, in one call; [`pause`](Viewer::pause), [`start`](Viewer::start),
//! [`switch`](Viewer::switch), [`configure`](Viewer::configure) and [`stop`](Viewer::stop)
//! follow. The synchronous requests (`list`, `info`, `create`, `destroy`, ...) go through
//! [`request`] on any Streaming handle, the viewer's too.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use janus_blocking::plugins::streaming::{self, Viewer};
//! use janus_blocking::proto::plugin::streaming::{Create, Info, MediaConfig, MediaType, Status, Watch};
//! use janus_blocking::rtc::{Event as RtcEvent, HandleEvent, PeerConfig};
//! use janus_blocking::Client;
//! use janus_proto::ClientConfig;
//!
//! # fn run() -> Result<(), janus_blocking::Error> {
//! let client = Client::connect(ClientConfig::new(["ws://127.0.0.1:8188"]).unwrap())?;
//! let session = client.create_session()?;
//! // A mountpoint fed with Opus RTP on a port the plugin picks.
//! let admin = session.attach(janus_blocking::proto::plugin::streaming::PLUGIN)?;
//! let created = streaming::request(&admin, &Create {
//!     id: Some(7.into()),
//!     ..Create::rtp(vec![MediaConfig::rtp(MediaType::Audio, "a", 0, 111, "opus")])
//! })?;
//! println!("send Opus RTP to port {:?}", created.port("a"));
//! let info = streaming::request(&admin, &Info::new(7))?;
//! assert_eq!(info.info.media.len(), 1);
//!
//! let ip = "127.0.0.2".parse().unwrap();
//! let (viewer, said) = Viewer::watch(&session, PeerConfig::default(), ip, &Watch::new(7))?;
//! assert_eq!(said.status(), Some(&Status::Starting));
//! let frame = viewer.handle().events().wait_for(Duration::from_secs(10), |e| match e {
//!     HandleEvent::Rtc(RtcEvent::Media(frame)) => Some(frame),
//!     _ => None,
//! })?;
//! println!("{} bytes on {}", frame.data.len(), frame.mid);
//! viewer.pause()?;
//! viewer.start()?;
//! viewer.stop()?;
//! # Ok(()) }
//! ```

use std::net::IpAddr;
use std::time::Duration;

use janus_proto::plugin::streaming::{
    Configure, Event, PLUGIN, Pause, Start, Stop, Switch, Watch, watch_offer,
};
use janus_proto::plugin::{PluginRequest, SyncRequest, id::Id, reply_as};
use janus_rtc::{HandleEvent, PeerConfig};

use crate::{Error, Handle, Session};

/// A synchronous Streaming request (`list`, `info`, `create`, `edit`, `destroy`, `enable`,
/// `disable`, `recording`) on a Streaming handle, its answer decoded as the request's
/// `Reply`; the plugin's error is the call's (`Error::plugin_code`).
pub fn request<R: SyncRequest>(handle: &Handle, request: &R) -> Result<R::Reply, Error> {
    let reply = handle.send(request, None)?;
    Ok(reply_as(&reply.data)?)
}

/// A viewer of a mountpoint: a Streaming handle with its WebRTC connection, watching.
///
/// Frames, data and the connection's state arrive in [`handle`](Self::handle)`.events()`;
/// the plugin's later events (status changes, `destroy`ed mountpoint, ...) decode with
/// [`Event::of`], or wait for one with [`wait_event`](Self::wait_event).
#[derive(Debug)]
pub struct Viewer {
    handle: Handle,
}

impl Viewer {
    /// janus.js Streaming demo `watch`: attaches to the plugin, gives the handle a WebRTC
    /// connection on `ip`, sends `watch` (which mountpoint, which of its media, PIN, ...),
    /// answers Janus's offer (every stream it offers) with `start`, and returns the viewer
    /// and what the plugin said to `start` (status `starting`). Media follow once the
    /// connection is up.
    pub fn watch(
        session: &Session,
        config: PeerConfig,
        ip: IpAddr,
        watch: &Watch,
    ) -> Result<(Self, Event), Error> {
        let mut handle = session.attach(PLUGIN)?;
        handle.add_peer(config, ip)?;
        let (_, offer) = watch_offer(&handle.send(watch, None)?)?;
        let started = handle.answer(Start::default().to_body()?, &offer, &[])?;
        Ok((Self { handle }, reply_as(&started.data)?))
    }

    /// The handle: its events and its connection.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The handle, mutably (e.g. to hang up and watch again on it).
    pub fn handle_mut(&mut self) -> &mut Handle {
        &mut self.handle
    }

    /// The handle, the viewer given up.
    pub fn into_handle(self) -> Handle {
        self.handle
    }

    /// `pause`: Janus stops relaying (status `pausing`); the connection stays.
    pub fn pause(&self) -> Result<Event, Error> {
        self.ask(&Pause::default())
    }

    /// `start` again after [`pause`](Self::pause): relaying resumes (status `started`).
    pub fn start(&self) -> Result<Event, Error> {
        self.ask(&Start::default())
    }

    /// `switch` to the mountpoint `id` (same media) on the same connection: answered by
    /// [`Event::Switched`].
    pub fn switch(&self, id: impl Into<Id>) -> Result<Event, Error> {
        self.ask(&Switch::new(id))
    }

    /// `configure` what each stream relays: answered by [`Event::Configured`]. Janus
    /// before 1.2 ignores `streams` and reads one stream's `mid`, `send`, ... at the top
    /// level (put them in `extra`).
    pub fn configure(&self, configure: &Configure) -> Result<Event, Error> {
        self.ask(configure)
    }

    /// `stop`: ends the subscription (status `stopping`); Janus closes the connection.
    pub fn stop(&self) -> Result<Event, Error> {
        self.ask(&Stop::default())
    }

    /// Waits (up to `timeout`) for a plugin event that `pick` accepts, skipping every other
    /// event of the handle (frames included); an event of the plugin that does not decode,
    /// or its error, ends the wait with that error.
    pub fn wait_event(
        &self,
        timeout: Duration,
        mut pick: impl FnMut(&Event) -> bool,
    ) -> Result<Event, Error> {
        let decoded = self.handle.events().wait_for(timeout, |e| match e {
            HandleEvent::Janus(janus_proto::Event::PluginEvent { data, .. }) => {
                match reply_as::<Event>(&data) {
                    Ok(event) if !pick(&event) => None,
                    result => Some(result),
                }
            }
            _ => None,
        })?;
        Ok(decoded?)
    }

    fn ask<R: PluginRequest>(&self, request: &R) -> Result<Event, Error> {
        Ok(reply_as(&self.handle.send(request, None)?.data)?)
    }
}
