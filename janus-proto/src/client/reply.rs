//! What an answer does to its request: `ack`, `success`, `error`, and a plugin `event`, which
//! completes the `message` it answers or is delivered as an event.

use std::collections::VecDeque;
use std::time::Instant;

use serde_json::Value;
use tracing::warn;

use crate::error::{JanusError, RequestError};
use crate::event::{Event, Reply, SessionLostReason};
use crate::id::{HandleId, HandleRef, SessionId, TransactionId};
use crate::jsep::Jsep;
use crate::msg::PluginData;
use crate::timer::Timer;

use super::Client;
use super::long_poll::Poll;
use super::request::{Origin, Verb};
use super::session::{HandleEntry, Handles, Session, SessionState};

impl Client {
    pub(super) fn on_ack(&mut self, now: Instant, tx: &TransactionId, hint: Option<String>) {
        let Some(p) = self.pending.get_mut(tx) else {
            return;
        };
        match p.verb {
            Verb::Keepalive | Verb::Trickle => {
                self.finish(tx, Ok(Reply::Acked));
            }
            Verb::Message => {
                if p.acked {
                    return;
                }
                p.acked = true;
                let app = p.origin == Origin::App;
                // From the ack on, the request waits for its event, under the event timeout.
                self.timers
                    .set(Timer::Request(tx.clone()), now + self.cfg.event_timeout);
                if app {
                    self.emit(Event::Acked {
                        tx: tx.clone(),
                        hint,
                    });
                }
            }
            _ => p.acked = true,
        }
    }

    pub(super) fn on_success(
        &mut self,
        tx: &TransactionId,
        session: Option<SessionId>,
        sender: Option<HandleId>,
        data: Option<Value>,
        plugindata: Option<PluginData>,
    ) {
        let Some(p) = self.pending.get(tx) else {
            return;
        };
        let id = data
            .as_ref()
            .and_then(|d| d.get("id"))
            .and_then(Value::as_u64);
        let (verb, origin, psession, phandle) = (p.verb.clone(), p.origin, p.session, p.handle);
        match verb {
            Verb::Create => {
                let Some(id) = id else {
                    self.finish(
                        tx,
                        Err(RequestError::Malformed(
                            "create success without data.id".into(),
                        )),
                    );
                    return;
                };
                let s = SessionId(id);
                self.lost.remove(&s);
                self.sessions.insert(
                    s,
                    Session {
                        state: SessionState::Active,
                        handles: Handles::default(),
                        gone: VecDeque::new(),
                        poll: Poll::default(),
                    },
                );
                self.finish(tx, Ok(Reply::SessionCreated(s)));
                self.session_ready(s);
            }
            Verb::Claim => {
                let Some(s) = psession else { return };
                if let Some(sess) = self.sessions.get_mut(&s) {
                    sess.state = SessionState::Active;
                }
                self.finish(tx, Ok(Reply::SessionClaimed(s)));
                if origin == Origin::Reclaim {
                    self.emit(Event::SessionReclaimed { session: s });
                }
                self.session_ready(s);
            }
            Verb::Destroy => {
                let Some(s) = psession else { return };
                self.finish(tx, Ok(Reply::SessionDestroyed(s)));
                self.drop_session(s, None);
            }
            Verb::Attach { plugin, opaque_id } => {
                let (Some(s), Some(id)) = (psession, id) else {
                    self.finish(
                        tx,
                        Err(RequestError::Malformed(
                            "attach success without data.id".into(),
                        )),
                    );
                    return;
                };
                let h = HandleRef {
                    session: s,
                    handle: HandleId(id),
                };
                if let Some(sess) = self.sessions.get_mut(&s) {
                    sess.handles
                        .insert(h.handle, HandleEntry::new(plugin, opaque_id));
                }
                self.finish(tx, Ok(Reply::Attached(h)));
            }
            Verb::Detach => {
                let (Some(s), Some(hid)) = (psession, phandle) else {
                    return;
                };
                self.on_detached(HandleRef {
                    session: s,
                    handle: hid,
                });
            }
            Verb::Hangup => {
                let (Some(s), Some(hid)) = (psession, phandle) else {
                    return;
                };
                self.finish(
                    tx,
                    Ok(Reply::HungUp(HandleRef {
                        session: s,
                        handle: hid,
                    })),
                );
            }
            Verb::Message => {
                let (Some(s), Some(hid)) = (psession.or(session), phandle.or(sender)) else {
                    return;
                };
                let h = HandleRef {
                    session: s,
                    handle: hid,
                };
                let data = plugindata.unwrap_or_else(|| PluginData {
                    plugin: self.plugin_of(h),
                    data: Value::Null,
                });
                let result = match data.error() {
                    Some(e) => Err(RequestError::Plugin(e)),
                    None => Ok(Reply::Plugin {
                        handle: h,
                        data,
                        jsep: None,
                    }),
                };
                self.finish(tx, result);
            }
            Verb::Keepalive | Verb::Trickle => {
                self.finish(tx, Ok(Reply::Acked));
            }
            // Never here: an admin `success` is taken whole before it is parsed this far
            // (`Client::admin_reply`).
            Verb::Admin | Verb::Info | Verb::Ping => {
                self.finish(
                    tx,
                    Err(RequestError::Malformed(
                        "success where a reply was expected".into(),
                    )),
                );
            }
        }
    }

    pub(super) fn on_error(
        &mut self,
        now: Instant,
        tx: Option<TransactionId>,
        session: Option<SessionId>,
        error: JanusError,
    ) {
        let Some(tx) = tx else {
            warn!(%error, "error for no pending request");
            return;
        };
        if self.is_probe(&tx) {
            let why = error.to_string();
            self.server_failed(now, &why);
            return;
        }
        let Some(p) = self.finish(&tx, Err(RequestError::Janus(error.clone()))) else {
            return;
        };
        let session = p.session.or(session);
        match (p.origin, session) {
            (Origin::Reclaim, Some(s)) => {
                self.lose_session(s, SessionLostReason::ClaimRefused(error))
            }
            (_, Some(s)) if error.code.is_fatal_for_session() => {
                self.lose_session(s, SessionLostReason::NotFound)
            }
            (_, Some(s)) if p.verb == Verb::Claim => {
                // A refused explicit claim: the session is not ours.
                self.drop_session(s, None);
            }
            _ => {}
        }
    }

    pub(super) fn on_plugin_event(
        &mut self,
        h: HandleRef,
        tx: Option<TransactionId>,
        plugindata: Option<PluginData>,
        jsep: Option<Jsep>,
    ) {
        let mut held = Vec::new();
        if let (Some(j), Some(e)) = (&jsep, self.handle_entry_mut(h)) {
            held = e.negotiation.on_remote(j.kind);
        }
        let data = plugindata.unwrap_or_else(|| PluginData {
            plugin: self.plugin_of(h),
            data: Value::Null,
        });
        let answers = tx
            .as_ref()
            .and_then(|t| self.pending.get(t))
            .is_some_and(|p| {
                p.verb == Verb::Message
                    && p.session == Some(h.session)
                    && p.handle == Some(h.handle)
            });
        match tx {
            Some(tx) if answers => {
                let result = match data.error() {
                    Some(e) if jsep.is_none() => Err(RequestError::Plugin(e)),
                    _ => Ok(Reply::Plugin {
                        handle: h,
                        data,
                        jsep,
                    }),
                };
                self.finish(&tx, result);
            }
            tx => self.emit(Event::PluginEvent {
                handle: h,
                tx,
                data,
                jsep,
            }),
        }
        for trickle in held {
            self.emit(Event::Trickle { handle: h, trickle });
        }
    }
}
