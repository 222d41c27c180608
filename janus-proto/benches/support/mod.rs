//! Shared by `benches/dispatch.rs` and `examples/dispatch_ratio.rs`: connected clients, and
//! the bytes Janus sends in its default `json = "indented"` style (three-space indents). The
//! messages are the fake Janus's (`janus_sim::janus`); the rig stays here, lean, because
//! its drain is part of what is timed.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::time::Instant;

use janus_proto::{
    Client, ClientConfig, HandleId, HandleRef, HttpMethod, HttpResponse, Input, Output, RequestId,
    SessionId, Transmit,
};
use janus_sim::janus;
pub use janus_sim::janus::indented;
use serde_json::{Value, json};

pub const SESSION: u64 = 3_505_034_230_157_976;
pub const HANDLE: u64 = 7_859_146_049_467_969;

/// The wall clock: the base of the simulated one, and the stopwatch of the measurements.
pub fn wall_clock() -> Instant {
    janus_sim::world::epoch()
}

/// The EchoTest's answer to a `message`, as the `event` with its transaction.
pub fn event_value(tx: &str) -> Value {
    janus::echotest_event(tx, SESSION, HANDLE)
}

/// A `media` event of the rig's handle.
pub fn media_value() -> Value {
    janus::media(SESSION, HANDLE)
}

/// A long-poll answer with `maxev=10`: ten events of a call's first seconds.
pub fn batch_value() -> Value {
    janus::batch_of_ten(SESSION, HANDLE)
}

/// A client connected to a scripted Janus, with one session and one EchoTest handle.
pub struct Rig {
    pub client: Client,
    pub now: Instant,
    pub handle: HandleRef,
    /// The long poll in flight (HTTP).
    pub poll: Option<RequestId>,
    /// Last request sent: its transaction, and its HTTP id.
    last: Option<(String, Option<RequestId>)>,
}

impl Rig {
    pub fn ws() -> Self {
        Self::connected("ws://127.0.0.1:8188")
    }

    pub fn http() -> Self {
        Self::connected("http://127.0.0.1:8088/janus")
    }

    fn connected(url: &str) -> Self {
        let now = wall_clock();
        let config = ClientConfig::new([url])
            .unwrap()
            .seed(1)
            .max_in_flight(1 << 16);
        let mut rig = Self {
            client: Client::new(config, now),
            now,
            handle: HandleRef {
                session: SessionId(SESSION),
                handle: HandleId(HANDLE),
            },
            poll: None,
            last: None,
        };
        rig.client.connect(now);
        rig.drain();
        rig.client.handle_input(Input::Opened(now));
        rig.drain();
        rig.answer(janus::server_info);
        rig.client.create_session(now).unwrap();
        rig.drain();
        rig.answer(|tx| janus::created(tx, SESSION));
        rig.client
            .attach(now, SessionId(SESSION), janus::ECHOTEST, None)
            .unwrap();
        rig.drain();
        rig.answer(|tx| janus::attached(tx, SESSION, HANDLE));
        assert!(rig.client.handle_info(rig.handle).is_some(), "attached");
        rig
    }

    /// Drains the client; returns how many outputs came before `Timeout`.
    pub fn drain(&mut self) -> usize {
        let mut n = 0;
        loop {
            match self.client.poll_output() {
                Output::Transmit(Transmit::Ws(text)) => {
                    let v: Value = serde_json::from_str(&text).unwrap();
                    self.last = Some((v["transaction"].as_str().unwrap().to_owned(), None));
                }
                Output::Transmit(Transmit::Http(r)) if r.method == HttpMethod::Get => {
                    self.poll = Some(r.id);
                }
                Output::Transmit(Transmit::Http(r)) => {
                    let v: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
                    self.last = Some((v["transaction"].as_str().unwrap().to_owned(), Some(r.id)));
                }
                Output::Transmit(_) | Output::Event(_) => {}
                Output::Timeout(_) => return n,
            }
            n += 1;
        }
    }

    fn answer(&mut self, reply: impl FnOnce(&str) -> Value) {
        let (tx, id) = self.last.take().unwrap();
        let text = indented(&reply(&tx));
        match id {
            Some(id) => self.http_response(id, &text),
            None => self.frame(&text),
        };
    }

    /// Sends a `message` and returns the text of Janus's `event` that will complete it.
    pub fn pending_message(&mut self) -> String {
        self.client
            .message(
                self.now,
                self.handle,
                json!({"audio":true,"video":true}),
                None,
            )
            .unwrap();
        self.drain();
        let (tx, id) = self.last.take().unwrap();
        if let Some(id) = id {
            // HTTP: Janus acks the POST; the event would follow on the long poll.
            self.http_response(id, &indented(&janus::ack(&tx, SESSION)));
        }
        indented(&event_value(&tx))
    }

    /// One WebSocket frame in, drained.
    pub fn frame(&mut self, text: &str) -> usize {
        self.client.handle_input(Input::Frame(self.now, text));
        self.drain()
    }

    /// One long-poll answer in, drained (the next long poll goes out).
    pub fn poll_response(&mut self, text: &str) -> usize {
        let id = self.poll.take().unwrap();
        self.http_response(id, text)
    }

    fn http_response(&mut self, id: RequestId, body: &str) -> usize {
        self.client.handle_input(Input::HttpResponse(
            self.now,
            id,
            HttpResponse { status: 200, body },
        ));
        self.drain()
    }
}
