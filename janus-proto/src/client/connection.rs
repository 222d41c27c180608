//! The connection and the server list: a round tries the servers in order (WebSocket open
//! with its deadline, then an `info` probe that proves the server answers); a failed server
//! passes to the next, a dropped WebSocket starts reconnect rounds with backoff, and the
//! client gives up after the last one.

use std::time::Instant;

use tracing::{debug, warn};

use crate::config::TransportKind;
use crate::error::RequestError;
use crate::event::{DisconnectReason, Event, SessionLostReason};
use crate::id::TransactionId;
use crate::io::Transmit;
use crate::msg::{Request, RequestKind, ServerInfo};
use crate::timer::{Backoff, Timer};

use super::Client;
use super::request::{Origin, Pending, Verb};
use super::session::SessionState;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Conn {
    /// `connect` not called yet; commands queue.
    Idle,
    /// Trying `server`, the `tried`-th of this round.
    Trying {
        server: usize,
        tried: usize,
        round: u32,
        reconnect: bool,
        opened: bool,
        probe: Option<TransactionId>,
    },
    /// Pausing between reconnect rounds, until `Timer::Reconnect`.
    Waiting { first: usize, round: u32 },
    /// Requests flow through `server`.
    Up { server: usize },
    /// Gave up; `connect` starts again.
    Down,
}

impl Client {
    /// Starts (or, after giving up, restarts) connecting to the server list, in order.
    /// `Event::Connected` or `Event::Disconnected { reason: Unreachable }` follows.
    pub fn connect(&mut self, now: Instant) {
        self.advance(now);
        if matches!(self.conn, Conn::Idle | Conn::Down) {
            self.start_round(0, 0, false);
        }
    }

    pub(super) fn start_round(&mut self, first: usize, round: u32, reconnect: bool) {
        self.conn = Conn::Trying {
            server: first,
            tried: 0,
            round,
            reconnect,
            opened: false,
            probe: None,
        };
        self.open_server();
    }

    pub(super) fn open_server(&mut self) {
        let Conn::Trying { server, .. } = self.conn else {
            return;
        };
        let s = &self.cfg.servers[server];
        debug!(server, url = %s.url, "trying server");
        match s.transport {
            TransportKind::WebSocket => {
                let timeout = self.cfg.connect_timeout;
                self.transmits.push_back(Transmit::Connect {
                    server,
                    url: s.url.clone(),
                    protocol: self.cfg.websocket_protocol(),
                    timeout,
                });
                let at = self.now + timeout;
                self.timers.set(Timer::Connect, at);
            }
            TransportKind::Http => self.send_probe(),
        }
    }

    /// An `info` that proves the server answers (and tells its session timeout).
    pub(super) fn send_probe(&mut self) {
        let Conn::Trying { server, .. } = self.conn else {
            return;
        };
        let now = self.now;
        let tx = self.new_tx();
        let deadline = now + self.cfg.request_timeout;
        self.timers.set(Timer::Request(tx.clone()), deadline);
        let request = Request {
            kind: RequestKind::Info,
            session: None,
            handle: None,
        };
        self.pending.insert(
            tx.clone(),
            Pending {
                verb: Verb::Info,
                request: Some(request),
                origin: Origin::Probe,
                session: None,
                handle: None,
                acked: false,
                http: None,
                rollback: None,
            },
        );
        if let Conn::Trying { probe, .. } = &mut self.conn {
            *probe = Some(tx.clone());
        }
        self.send_now(now, server, &tx);
    }

    pub(super) fn on_opened(&mut self, _now: Instant) {
        match &mut self.conn {
            Conn::Trying {
                opened,
                probe: None,
                ..
            } if !*opened => {
                *opened = true;
                self.timers.stop(&Timer::Connect);
                self.send_probe();
            }
            other => debug!(conn = ?other, "unexpected opened"),
        }
    }

    pub(super) fn server_failed(&mut self, now: Instant, reason: &str) {
        let Conn::Trying {
            server,
            tried,
            round,
            reconnect,
            opened,
            probe,
        } = self.conn.clone()
        else {
            return;
        };
        if let Some(tx) = probe {
            self.finish(&tx, Err(RequestError::TransportLost));
        }
        self.timers.stop(&Timer::Connect);
        let url = self.cfg.servers[server].url.clone();
        warn!(server, %url, reason, "server failed");
        if opened {
            self.transmits.push_back(Transmit::Disconnect);
        }
        self.emit(Event::ServerFailed {
            server,
            url,
            reason: reason.to_owned(),
        });
        let n = self.cfg.servers.len();
        if tried + 1 < n {
            self.conn = Conn::Trying {
                server: (server + 1) % n,
                tried: tried + 1,
                round,
                reconnect,
                opened: false,
                probe: None,
            };
            self.open_server();
        } else if reconnect && round + 1 < self.cfg.reconnect.max_rounds {
            let backoff = Backoff::new(
                self.cfg.reconnect.initial_backoff,
                self.cfg.reconnect.max_backoff,
            )
            .delay(round);
            let at = now + backoff;
            self.timers.set(Timer::Reconnect, at);
            self.conn = Conn::Waiting {
                first: (server + 1) % n,
                round: round + 1,
            };
        } else {
            self.give_up(if reconnect {
                DisconnectReason::GaveUp
            } else {
                DisconnectReason::Unreachable
            });
        }
    }

    pub(super) fn give_up(&mut self, reason: DisconnectReason) {
        self.conn = Conn::Down;
        self.emit(Event::Disconnected { reason });
        let txs: Vec<_> = self.pending.keys().cloned().collect();
        for tx in txs {
            self.finish(&tx, Err(RequestError::TransportLost));
        }
        self.unsent.clear();
        let sessions: Vec<_> = self.sessions.keys().copied().collect();
        for s in sessions {
            self.lose_session(s, SessionLostReason::TransportLost);
        }
    }

    pub(super) fn on_probe_ok(&mut self, info: ServerInfo) {
        let Conn::Trying {
            server, reconnect, ..
        } = self.conn
        else {
            return;
        };
        let s = &self.cfg.servers[server];
        let (url, transport) = (s.url.clone(), s.transport);
        debug!(server, %url, "connected");
        self.conn = Conn::Up { server };
        self.emit(Event::Connected {
            server,
            url,
            transport,
            info: Box::new(info.clone()),
        });
        self.info = Some(info);
        let now = self.now;
        let ids: Vec<_> = self.sessions.keys().copied().collect();
        for s in ids {
            let state = self.sessions.get(&s).map(|x| x.state);
            if reconnect && state == Some(SessionState::Reconnecting) {
                if let Some(x) = self.sessions.get_mut(&s) {
                    x.state = SessionState::Claiming;
                }
                let _ = self.submit(
                    now,
                    Request {
                        kind: RequestKind::Claim,
                        session: Some(s),
                        handle: None,
                    },
                    Origin::Reclaim,
                    None,
                );
            } else if state == Some(SessionState::Active) {
                self.session_ready(s);
            }
        }
    }

    pub(super) fn on_closed(&mut self, now: Instant, why: &str) {
        match self.conn.clone() {
            Conn::Trying { .. } => self.server_failed(now, why),
            Conn::Up { server }
                if self.cfg.servers[server].transport == TransportKind::WebSocket =>
            {
                warn!(server, why, "websocket dropped");
                self.emit(Event::Disconnected {
                    reason: DisconnectReason::Dropped(why.to_owned()),
                });
                // Whatever was sent may or may not have been done: say so. Queued requests
                // wait for the reconnect.
                let sent: Vec<_> = self
                    .pending
                    .iter()
                    .filter(|(_, p)| p.request.is_none())
                    .map(|(tx, _)| tx.clone())
                    .collect();
                for tx in sent {
                    self.finish(&tx, Err(RequestError::TransportLost));
                }
                for (id, s) in &mut self.sessions {
                    s.state = SessionState::Reconnecting;
                    self.timers.stop(&Timer::Keepalive(*id));
                }
                if self.cfg.reconnect.max_rounds == 0 {
                    self.give_up(DisconnectReason::GaveUp);
                } else {
                    self.start_round(server, 0, true);
                }
            }
            other => debug!(conn = ?other, why, "close ignored"),
        }
    }

    pub(super) fn is_probe(&self, tx: &TransactionId) -> bool {
        matches!(&self.conn, Conn::Trying { probe: Some(p), .. } if p == tx)
    }
}
