//! Typed plugin workflows on the handle API: the common paths of the janus.js demos, one
//! call each, on the typed requests and events of [`janus_proto::plugin`].
//!
//! Each workflow owns its [`Handle`] (and so its WebRTC connection): it only sequences the
//! requests and the offer/answer exchanges, and decodes the plugin's answers. Everything
//! else stays reachable through the handle (`handle()`: its events and its connection). The rules
//! (what answers a request, what a subscription looks like now) are `janus-proto`'s
//! ([`janus_proto::plugin::expect`], [`Subscription`](janus_proto::plugin::videoroom::Subscription)),
//! shared with `janus-tokio`, whose `plugins` module has the same names with `async`
//! calls.
//!
//! - [`videoroom`]: [`Publisher`](videoroom::Publisher), [`Subscriber`](videoroom::Subscriber),
//!   room management with [`videoroom::request`].
//! - [`audiobridge`]: [`Participant`](audiobridge::Participant), room management with
//!   [`audiobridge::request`].
//! - [`streaming`]: [`Viewer`](streaming::Viewer), mountpoint management with
//!   [`streaming::request`].
//! - [`textroom`]: [`Participant`](textroom::Participant), whose requests and messages
//!   travel over the data channel its answer opens.
//! - [`videocall`]: [`User`](videocall::User): register, call, accept, set, hang up.
//! - [`recordplay`]: [`Recorder`](recordplay::Recorder) and [`Player`](recordplay::Player).
//! - [`nosip`]: [`Bridge`](nosip::Bridge), between our connection and a plain-RTP peer.
//! - [`sip`]: [`Account`](sip::Account): register at a SIP registrar, call, accept, hold,
//!   DTMF, hang up.
//! - [`voicemail`]: [`VoiceMessage`](voicemail::VoiceMessage) (Janus 1.1; 1.4.1 has none).
//!
//! Plugin events the handle receives later (janus.js `onmessage`) decode with
//! [`event`] (or [`videoroom::event`], [`audiobridge::event`]); a JSEP Janus sends with one
//! is [`jsep_of`](janus_proto::plugin::jsep_of)'s.

pub mod audiobridge;
pub mod nosip;
pub mod recordplay;
pub mod sip;
pub mod streaming;
pub mod textroom;
pub mod videocall;
pub mod videoroom;
pub mod voicemail;

use std::time::Duration;

use janus_proto::Jsep;
use janus_proto::plugin::{DecodeError, PluginEvent, PluginRequest, event_of};
use janus_rtc::HandleEvent;

use crate::{Error, Handle};

/// A handle's event decoded as plugin `E`'s, if it is a plugin event; other events (the
/// connection's, `webrtcup`, `media`, `hangup`, ...) are `None`.
pub fn event<E: PluginEvent>(event: &HandleEvent) -> Option<Result<E, DecodeError>> {
    event.janus().and_then(event_of)
}

/// Sends a typed request on `handle` and decodes the plugin's answer as `E`.
fn request<E: PluginEvent>(handle: &Handle, request: &impl PluginRequest) -> Result<E, Error> {
    let reply = handle.send(request, None)?;
    Ok(E::decode(&reply.data).map_err(janus_proto::RequestError::from)?)
}

/// Waits (up to `timeout`) for a plugin event of `E` that `pick` maps to `Some` (given the
/// event and its JSEP), skipping every other event of the handle (frames included) and
/// events of `E` that `pick` refuses. A plugin error, or an event of the plugin that does
/// not decode, ends the wait with that error.
fn wait_event<E: PluginEvent, T>(
    handle: &Handle,
    timeout: Duration,
    mut pick: impl FnMut(E, Option<Jsep>) -> Option<T>,
) -> Result<T, Error> {
    let picked = handle.events().wait_for(timeout, |e| match e {
        HandleEvent::Janus(janus_proto::Event::PluginEvent { data, jsep, .. }) => {
            match E::decode(&data) {
                Ok(event) => pick(event, jsep).map(Ok),
                Err(e) => Some(Err(janus_proto::RequestError::from(e))),
            }
        }
        _ => None,
    })?;
    Ok(picked?)
}
