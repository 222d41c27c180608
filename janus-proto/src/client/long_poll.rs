//! Long polling (HTTP): one GET held per active session, its batch of events, and the backoff
//! after a failed one.

use std::time::Instant;

use tracing::warn;

use crate::event::SessionLostReason;
use crate::id::{RequestId, SessionId};
use crate::io::{HttpMethod, HttpRequest, HttpResponse, Transmit};
use crate::msg::Incoming;
use crate::msg::incoming::parse_batch;
use crate::timer::{Backoff, Timer};

use super::connection::Conn;
use super::session::SessionState;
use super::{Client, HttpPurpose};

#[derive(Debug, Default)]
pub(super) struct Poll {
    pub(super) in_flight: Option<RequestId>,
    pub(super) failures: u32,
}

impl Client {
    pub(super) fn long_poll(&mut self, s: SessionId) {
        let Conn::Up { server } = self.conn else {
            return;
        };
        let Some(sess) = self.sessions.get(&s) else {
            return;
        };
        if sess.poll.in_flight.is_some() || sess.state != SessionState::Active {
            return;
        }
        let id = self.new_request_id();
        let rid = self.ids.next_u64() >> 12;
        let mut path = format!("/{s}?maxev={}&rid={rid}", self.cfg.long_poll_maxev);
        if let Some(secret) = &self.cfg.apisecret {
            path.push_str("&apisecret=");
            percent_encode(secret.expose(), &mut path);
        }
        if let Some(token) = &self.cfg.token {
            path.push_str("&token=");
            percent_encode(token.expose(), &mut path);
        }
        if let Some(sess) = self.sessions.get_mut(&s) {
            sess.poll.in_flight = Some(id);
        }
        self.http.insert(id, HttpPurpose::Poll(s));
        self.transmits.push_back(Transmit::Http(HttpRequest {
            id,
            method: HttpMethod::Get,
            server,
            path,
            body: None,
            timeout: self.cfg.long_poll_timeout,
        }));
    }

    pub(super) fn poll_failed(&mut self, now: Instant, s: SessionId, why: &str) {
        let max = self.cfg.max_poll_failures;
        let Some(sess) = self.sessions.get_mut(&s) else {
            return;
        };
        sess.poll.in_flight = None;
        sess.poll.failures += 1;
        warn!(session = %s, failures = sess.poll.failures, why, "long poll failed");
        if sess.poll.failures >= max {
            self.lose_session(s, SessionLostReason::TransportLost);
            return;
        }
        let (initial, max_delay) = self.cfg.long_poll_retry;
        let at = now + Backoff::new(initial, max_delay).delay(sess.poll.failures - 1);
        self.timers.set(Timer::PollRetry(s), at);
    }

    pub(super) fn on_poll_response(&mut self, now: Instant, s: SessionId, resp: HttpResponse<'_>) {
        if let Some(sess) = self.sessions.get_mut(&s) {
            sess.poll.in_flight = None;
        } else {
            return;
        }
        if resp.status == 404 {
            self.lose_session(s, SessionLostReason::NotFound);
            return;
        }
        let batch = match parse_batch(resp.body) {
            Ok(b) if resp.status < 400 => b,
            Ok(_) | Err(_) => return self.poll_failed(now, s, &format!("HTTP {}", resp.status)),
        };
        // An error in place of events is about the poll itself (bad credentials, or no session).
        if let [
            Ok(Incoming::Error {
                transaction: None,
                error,
                ..
            }),
        ] = batch.as_slice()
        {
            if error.code.is_fatal_for_session() {
                self.lose_session(s, SessionLostReason::NotFound);
            } else {
                let why = error.to_string();
                self.poll_failed(now, s, &why);
            }
            return;
        }
        if let Some(sess) = self.sessions.get_mut(&s) {
            sess.poll.failures = 0;
        }
        for item in batch {
            match item {
                Ok(msg) => self.on_message(now, msg, None, Some(s)),
                Err(e) => warn!(error = %e, "unparsable long-poll element skipped"),
            }
        }
        self.long_poll(s);
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub(super) fn percent_encode(s: &str, out: &mut String) {
    use std::fmt::Write as _;
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}
