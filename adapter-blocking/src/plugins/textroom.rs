//! TextRoom (`janus.plugin.textroom`): chat rooms over a data channel, as the janus.js
//! TextRoom demo does it.
//!
//! [`Participant::setup`] is attach, the handle's WebRTC connection, `setup` (Janus offers
//! a data channel) and `ack` with our answer, then the wait for the channel to open. From
//! then on every request travels on the channel with a transaction of its own, and each
//! call waits for its own answer ([`Transactions`] matches them): [`join`](Participant::join),
//! [`message`](Participant::message), [`leave`](Participant::leave), or any
//! [`DataChannelRequest`] with [`request`](Participant::request). The room's traffic
//! (messages, joins, leaves, ...) that arrives meanwhile is kept, in order, for
//! [`recv`](Participant::recv).
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use janus_blocking::plugins::textroom::Participant;
//! use janus_blocking::proto::plugin::textroom::{Incoming, Join, Message};
//! use janus_blocking::rtc::PeerConfig;
//! use janus_blocking::Client;
//! use janus_proto::ClientConfig;
//!
//! # fn run() -> Result<(), janus_blocking::Error> {
//! let client = Client::connect(ClientConfig::new(["ws://127.0.0.1:8188"]).unwrap())?;
//! let session = client.create_session()?;
//! let ip = "127.0.0.2".parse().unwrap();
//! let mut me = Participant::setup(&session, PeerConfig::default(), ip)?;
//! let joined = me.join(&Join::new(1234, "alice"))?;
//! println!("already there: {:?}", joined.participants);
//! me.message(&Message::new(1234, "hello"))?;
//! me.message(&Message { to: Some("bob".into()), ..Message::new(1234, "psst") })?;
//! while let Ok(incoming) = me.recv(Duration::from_secs(1)) {
//!     if let Incoming::Message(m) = incoming {
//!         println!("{}: {}", m.from, m.text);
//!     }
//! }
//! me.leave(1234)?;
//! # Ok(()) }
//! ```

use std::net::IpAddr;
use std::time::Duration;

use janus_proto::plugin::PluginRequest;
use janus_proto::plugin::id::Id;
use janus_proto::plugin::textroom::{
    Ack, DataChannelRequest, Incoming, Join, Joined, Leave, Message, PLUGIN, Sent, Setup, Success,
    Transactions, setup_offer,
};
use janus_rtc::{Event as RtcEvent, HandleEvent, PeerConfig, Track};

use crate::{Error, Handle, Session};

pub use janus_proto::plugin::textroom::{LABEL, TIMEOUT};

/// A TextRoom participant: a TextRoom handle whose WebRTC connection carries one open
/// data channel, and the transactions of the requests sent on it.
#[derive(Debug)]
pub struct Participant {
    handle: Handle,
    transactions: Transactions,
    timeout: Duration,
}

impl Participant {
    /// janus.js TextRoom demo: attaches to the plugin, gives the handle a WebRTC connection
    /// on `ip`, sends `setup`, answers Janus's offer with `ack` (opening our data channel,
    /// [`LABEL`]) and waits for the channel to open.
    pub fn setup(session: &Session, config: PeerConfig, ip: IpAddr) -> Result<Self, Error> {
        let mut handle = session.attach(PLUGIN)?;
        handle.add_peer(config, ip)?;
        let offer = setup_offer(&handle.send(&Setup::default(), None)?)?;
        let tracks = [Track::data(LABEL)];
        handle.answer(Ack::default().to_body()?, &offer, &tracks)?;
        let open = |e: HandleEvent| match e {
            HandleEvent::Rtc(RtcEvent::DataOpen { .. }) => Some(Ok(())),
            HandleEvent::Rtc(RtcEvent::Closed) => Some(Err(Error::Closed)),
            _ => None,
        };
        handle.events().wait_for(TIMEOUT, open)??;
        Ok(Self {
            handle,
            transactions: Transactions::new("textroom"),
            timeout: TIMEOUT,
        })
    }

    /// The handle: its events and its connection. Reading its events directly takes them
    /// from this participant (the room's messages among them).
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The handle, the participant given up.
    pub fn into_handle(self) -> Handle {
        self.handle
    }

    /// How long each call waits for its answer ([`TIMEOUT`] at first).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// `join` the room as `join.username`: the others already there. Everybody, us
    /// included, then hears an [`Incoming::Join`] ([`recv`](Self::recv)).
    pub fn join(&mut self, join: &Join) -> Result<Joined, Error> {
        self.request(join)
    }

    /// `message` the room, or with `to`/`tos` whisper to some of it. Its answer says who
    /// got a whisper. With `ack: Some(false)` the plugin does not answer: use
    /// [`send`](Self::send) for that.
    pub fn message(&mut self, message: &Message) -> Result<Sent, Error> {
        self.request(message)
    }

    /// `leave` the room; the others hear an [`Incoming::Leave`].
    pub fn leave(&mut self, room: impl Into<Id>) -> Result<Success, Error> {
        self.request(&Leave::new(room))
    }

    /// Any data-channel request (`list`, `exists`, `kick`, `announcement`, ...), sent with
    /// a new transaction; waits for that transaction's answer, decoded as the request's
    /// `Reply`. The plugin's error is the call's (`Error::plugin_code`, see
    /// [`ErrorCode`](janus_proto::plugin::textroom::ErrorCode)).
    pub fn request<R: DataChannelRequest>(&mut self, request: &R) -> Result<R::Reply, Error> {
        let (transaction, text) = self.transactions.request(request)?;
        if let Err(e) = self.send_text(&text) {
            self.transactions.cancel(&transaction);
            return Err(e);
        }
        let transactions = &mut self.transactions;
        let answer = self
            .handle
            .events()
            .wait_for(self.timeout, |e| match feed(transactions, e) {
                Ok(()) => transactions
                    .take_reply::<R::Reply>(&transaction)
                    .map(|r| Ok(r?)),
                Err(e) => Some(Err(e)),
            });
        if answer.is_err() {
            self.transactions.cancel(&transaction);
        }
        answer?
    }

    /// Sends a data-channel request without waiting: its transaction. Its answer, if any,
    /// comes through [`recv`](Self::recv) as [`Incoming::Success`] or [`Incoming::Error`].
    pub fn send<R: DataChannelRequest>(&mut self, request: &R) -> Result<String, Error> {
        let (transaction, text) = self.transactions.request(request)?;
        self.transactions.cancel(&transaction);
        self.send_text(&text)?;
        Ok(transaction)
    }

    fn send_text(&self, text: &str) -> Result<(), Error> {
        let peer = self.handle.peer()?;
        peer.send_data(LABEL, false, text.as_bytes())
    }

    /// The next message on the data channel that is not the answer to a call of ours:
    /// the room's traffic, in order (what came while a call waited first). Other events of
    /// the handle are skipped; a closed connection is `Error::Closed`.
    pub fn recv(&mut self, timeout: Duration) -> Result<Incoming, Error> {
        if let Some(incoming) = self.transactions.pop_incoming() {
            return Ok(incoming);
        }
        let transactions = &mut self.transactions;
        self.handle
            .events()
            .wait_for(timeout, |e| match feed(transactions, e) {
                Ok(()) => transactions.pop_incoming().map(Ok),
                Err(e) => Some(Err(e)),
            })?
    }
}

/// Hands a data-channel text to the matcher (a text that is not JSON is dropped); the
/// connection closing ends the participant.
fn feed(transactions: &mut Transactions, event: HandleEvent) -> Result<(), Error> {
    match event {
        HandleEvent::Rtc(RtcEvent::Data(m)) if !m.binary => {
            let _ = transactions.handle_text(&m.data);
            Ok(())
        }
        HandleEvent::Rtc(RtcEvent::Closed) => Err(Error::Closed),
        _ => Ok(()),
    }
}
