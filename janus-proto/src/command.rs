//! An application request as a value, for embedders that queue requests to the thread or
//! task that owns the [`Client`] (every adapter does) and run them there.

use std::time::Instant;

use serde_json::Value;

use crate::{Client, Error, HandleRef, Jsep, SessionId, TransactionId, Trickle};

/// One of the [`Client`]'s request methods, as data: [`Client::execute`] calls it.
///
/// ```
/// use std::time::Instant;
/// use janus_proto::{Client, ClientConfig, Command};
///
/// let now = Instant::now();
/// let mut client = Client::new(ClientConfig::new(["ws://127.0.0.1:8188"]).unwrap(), now);
/// let tx = client.execute(now, Command::Create).unwrap();
/// assert!(!tx.as_str().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// [`Client::info`].
    Info,
    /// [`Client::ping`].
    Ping,
    /// [`Client::create_session`].
    Create,
    /// [`Client::claim_session`].
    Claim(SessionId),
    /// [`Client::keepalive`].
    Keepalive(SessionId),
    /// [`Client::destroy_session`].
    Destroy(SessionId),
    /// [`Client::attach`].
    Attach {
        /// The session.
        session: SessionId,
        /// The plugin's package name.
        plugin: String,
        /// janus.js `opaqueId`.
        opaque_id: Option<String>,
    },
    /// [`Client::message`].
    Message {
        /// The handle.
        handle: HandleRef,
        /// The plugin request.
        body: Value,
        /// An offer or answer.
        jsep: Option<Jsep>,
    },
    /// [`Client::trickle`].
    Trickle {
        /// The handle.
        handle: HandleRef,
        /// Candidates, or [`Trickle::Completed`].
        candidates: Vec<Trickle>,
    },
    /// [`Client::hangup`].
    Hangup(HandleRef),
    /// [`Client::detach`].
    Detach(HandleRef),
    /// [`Client::admin`].
    Admin(crate::admin::Call),
}

impl Client {
    /// Runs `command`: the same as calling its method.
    pub fn execute(&mut self, now: Instant, command: Command) -> Result<TransactionId, Error> {
        match command {
            Command::Admin(call) => self.admin(now, call),
            Command::Info => self.info(now),
            Command::Ping => self.ping(now),
            Command::Create => self.create_session(now),
            Command::Claim(s) => self.claim_session(now, s),
            Command::Keepalive(s) => self.keepalive(now, s),
            Command::Destroy(s) => self.destroy_session(now, s),
            Command::Attach {
                session,
                plugin,
                opaque_id,
            } => self.attach(now, session, &plugin, opaque_id.as_deref()),
            Command::Message { handle, body, jsep } => self.message(now, handle, body, jsep),
            Command::Trickle { handle, candidates } => self.trickle(now, handle, candidates),
            Command::Hangup(h) => self.hangup(now, h),
            Command::Detach(h) => self.detach(now, h),
        }
    }
}
