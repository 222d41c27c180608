//! Received data: WebSocket frames and HTTP answers, size-checked and parsed, and each message
//! routed to its transaction or handle.

use std::time::Instant;

use serde_json::Value;
use tracing::{debug, warn};

use crate::error::RequestError;
use crate::event::{Event, Reply, SessionLostReason};
use crate::id::{HandleId, HandleRef, RequestId, SessionId, TransactionId};
use crate::io::{HttpResponse, Transmit};
use crate::msg::Incoming;

use super::request::Verb;
use super::session::HandleEntry;
use super::{Client, HttpPurpose};

impl Client {
    pub(super) fn on_frame(&mut self, now: Instant, text: &str) {
        let limit = self.cfg.max_message_size;
        if text.len() > limit {
            warn!(
                len = text.len(),
                limit, "websocket message over the size limit"
            );
            self.transmits.push_back(Transmit::Disconnect);
            return self.on_closed(now, "message over the size limit");
        }
        match Incoming::parse(text) {
            Ok(msg) if self.admin_reply(&msg, None, text) => {}
            Ok(msg) => self.on_message(now, msg, None, None),
            Err(e) => warn!(error = %e, len = text.len(), "unparsable frame skipped"),
        }
    }

    pub(super) fn on_http_response(&mut self, now: Instant, id: RequestId, resp: HttpResponse<'_>) {
        let limit = self.cfg.max_message_size;
        let too_large = resp.body.len() > limit;
        match self.http.remove(&id) {
            None => debug!(request = %id, "stale http response"),
            Some(HttpPurpose::Request(tx)) if too_large => {
                warn!(
                    len = resp.body.len(),
                    limit, "HTTP body over the size limit"
                );
                if let Some(p) = self.pending.get_mut(&tx) {
                    p.http = None;
                }
                if self.is_probe(&tx) {
                    self.server_failed(now, "HTTP body over the size limit");
                } else {
                    self.finish(&tx, Err(RequestError::TooLarge(limit)));
                }
            }
            Some(HttpPurpose::Poll(s)) if too_large => {
                if let Some(sess) = self.sessions.get_mut(&s) {
                    sess.poll.in_flight = None;
                    self.poll_failed(now, s, "HTTP body over the size limit");
                }
            }
            Some(HttpPurpose::Request(tx)) => {
                if let Some(p) = self.pending.get_mut(&tx) {
                    p.http = None;
                }
                match Incoming::parse(resp.body) {
                    // Janus answers a POST with that request's transaction (or none, for a
                    // body it could not read): an answer naming another one is not this
                    // request's, and must not complete it (nor the other, answered by its own
                    // POST or long poll).
                    Ok(msg) if msg.transaction().is_some_and(|t| *t != tx) => {
                        let why = format!(
                            "HTTP {}: the answer names another request's transaction",
                            resp.status
                        );
                        warn!(status = resp.status, "HTTP answer for another transaction");
                        if self.is_probe(&tx) {
                            self.server_failed(now, &why);
                        } else {
                            self.finish(&tx, Err(RequestError::Malformed(why)));
                        }
                    }
                    Ok(msg) if self.admin_reply(&msg, Some(&tx), resp.body) => {}
                    Ok(msg) => self.on_message(now, msg, Some(tx), None),
                    Err(e) => {
                        let why = format!("HTTP {}: {e}", resp.status);
                        if self.is_probe(&tx) {
                            self.server_failed(now, &why);
                        } else {
                            self.finish(&tx, Err(RequestError::Malformed(why)));
                        }
                    }
                }
            }
            Some(HttpPurpose::Poll(s)) => self.on_poll_response(now, s, resp),
        }
    }

    /// An Admin API `success` completes its request with all of its fields, which the parsed
    /// [`Incoming::Success`] does not keep (the Janus API's hot path parses only what it
    /// uses): the text is parsed again, for admin replies only. True when it was one.
    fn admin_reply(&mut self, msg: &Incoming, http_tx: Option<&TransactionId>, text: &str) -> bool {
        let Incoming::Success { transaction, .. } = msg else {
            return false;
        };
        let Some(tx) = transaction.as_ref().or(http_tx).cloned() else {
            return false;
        };
        if self.pending.get(&tx).is_none_or(|p| p.verb != Verb::Admin) {
            return false;
        }
        let result = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(mut fields)) => {
                fields.remove("janus");
                fields.remove("transaction");
                Ok(Reply::Admin(fields))
            }
            Ok(_) | Err(_) => Err(RequestError::Malformed(
                "admin reply is not an object".into(),
            )),
        };
        self.finish(&tx, result);
        true
    }

    pub(super) fn on_http_failed(&mut self, now: Instant, id: RequestId, why: &str) {
        match self.http.remove(&id) {
            None => debug!(request = %id, "stale http failure"),
            Some(HttpPurpose::Request(tx)) => {
                if let Some(p) = self.pending.get_mut(&tx) {
                    p.http = None;
                }
                if self.is_probe(&tx) {
                    self.server_failed(now, why);
                } else {
                    self.finish(&tx, Err(RequestError::TransportLost));
                }
            }
            Some(HttpPurpose::Poll(s)) => self.poll_failed(now, s, why),
        }
    }

    /// Routes one message. `http_tx`: the request whose POST this body answers.
    /// `polled`: the session whose long poll carried it.
    pub(super) fn on_message(
        &mut self,
        now: Instant,
        msg: Incoming,
        http_tx: Option<TransactionId>,
        polled: Option<SessionId>,
    ) {
        let tx = msg
            .transaction()
            .cloned()
            .filter(|t| self.pending.contains_key(t))
            .or(http_tx);
        match msg {
            // An answer whose transaction is not pending (never sent, or already completed:
            // a second answer) answers nothing: it is skipped, and never taken for the answer
            // of another request.
            Incoming::Ack { .. }
            | Incoming::Success { .. }
            | Incoming::Pong { .. }
            | Incoming::ServerInfo { .. }
                if tx.is_none() =>
            {
                debug!("answer to no pending request skipped");
            }
            Incoming::Ack { hint, .. } => {
                if let Some(tx) = tx {
                    self.on_ack(now, &tx, hint);
                }
            }
            Incoming::Success {
                session,
                sender,
                data,
                plugindata,
                ..
            } => {
                if let Some(tx) = tx {
                    self.on_success(&tx, session, sender, data, plugindata);
                }
            }
            Incoming::Error { session, error, .. } => {
                self.on_error(now, tx, session.or(polled), error)
            }
            Incoming::Pong { .. } => {
                if let Some(tx) = tx {
                    self.finish(&tx, Ok(Reply::Pong));
                }
            }
            Incoming::ServerInfo { info, .. } => match tx {
                Some(tx) if self.is_probe(&tx) => {
                    self.finish(&tx, Ok(Reply::ServerInfo(info.clone())));
                    self.on_probe_ok(*info);
                }
                Some(tx) => {
                    self.finish(&tx, Ok(Reply::ServerInfo(info)));
                }
                None => {}
            },
            Incoming::Event {
                session,
                sender,
                plugindata,
                jsep,
                transaction,
            } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                self.on_plugin_event(h, tx.or(transaction), plugindata, jsep);
            }
            Incoming::WebrtcUp { session, sender } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                if let Some(e) = self.handle_entry_mut(h) {
                    e.webrtc_up = true;
                }
                self.emit(Event::WebrtcUp { handle: h });
            }
            Incoming::Media {
                session,
                sender,
                media,
            } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                self.emit(Event::Media { handle: h, media });
            }
            Incoming::SlowLink {
                session,
                sender,
                link,
            } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                self.emit(Event::SlowLink { handle: h, link });
            }
            Incoming::Hangup {
                session,
                sender,
                reason,
            } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                let mut held = Vec::new();
                if let Some(e) = self.handle_entry_mut(h) {
                    e.webrtc_up = false;
                    held = e.negotiation.reset();
                }
                for trickle in held {
                    self.emit(Event::Trickle { handle: h, trickle });
                }
                self.emit(Event::Hangup { handle: h, reason });
            }
            Incoming::IceFailed { session, sender } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                self.emit(Event::IceFailed { handle: h });
            }
            Incoming::Detached { session, sender } => {
                // A handle this client does not have is not adopted just to be reported gone
                // (a late `detached` after the session was lost and claimed again would
                // report the same handle detached twice).
                let session = session.or(polled);
                let known = session.zip(sender).is_some_and(|(s, h)| {
                    self.sessions
                        .get(&s)
                        .is_some_and(|x| x.handles.contains_key(&h))
                });
                if !known {
                    debug!(?session, ?sender, "detached for an unknown handle skipped");
                    return;
                }
                let Some(h) = self.route(session, sender) else {
                    return;
                };
                self.on_detached(h);
            }
            Incoming::Trickle {
                session,
                sender,
                trickle,
            } => {
                let Some(h) = self.route(session.or(polled), sender) else {
                    return;
                };
                let now_or_later = match self.handle_entry_mut(h) {
                    Some(e) => e.negotiation.on_remote_trickle(trickle),
                    None => Some(trickle),
                };
                if let Some(trickle) = now_or_later {
                    self.emit(Event::Trickle { handle: h, trickle });
                }
            }
            Incoming::Timeout { session } => {
                if let Some(s) = session.or(polled) {
                    self.lose_session(s, SessionLostReason::Timeout);
                }
            }
            Incoming::Keepalive => {}
            Incoming::Unknown(raw) => {
                let session = raw
                    .get("session_id")
                    .and_then(Value::as_u64)
                    .map(SessionId)
                    .or(polled);
                self.emit(Event::Unknown { session, raw });
            }
        }
    }

    /// The handle an event is for. Events for sessions this client no longer has (destroyed
    /// or lost) are stale and skipped; a handle not seen before in a live session (after a
    /// claim by a fresh client) is adopted.
    pub(super) fn route(
        &mut self,
        session: Option<SessionId>,
        sender: Option<HandleId>,
    ) -> Option<HandleRef> {
        let (Some(session), Some(handle)) = (session, sender) else {
            warn!(?session, ?sender, "event without session or sender skipped");
            return None;
        };
        let Some(s) = self.sessions.get_mut(&session) else {
            debug!(%session, "event for a session no longer here skipped");
            return None;
        };
        if !s.handles.contains_key(&handle) {
            if s.gone.contains(&handle) {
                debug!(%session, %handle, "event for a detached handle skipped");
                return None;
            }
            s.handles
                .insert(handle, HandleEntry::new(String::new(), None));
        }
        Some(HandleRef { session, handle })
    }
}
