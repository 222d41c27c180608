//! The simulated world of the scenario tests: a [`Client`], a clock moved by hand, and what
//! the client sent, so that each test plays Janus's part step by step (with the messages of
//! [`crate::janus`] or its own).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use janus_proto::{
    Client, ClientConfig, Event, HandleRef, HttpMethod, HttpRequest, HttpResponse, Input, Output,
    Reply, RequestId, SessionId, TransactionId, Transmit,
};
use serde_json::Value;

use crate::janus;
pub use crate::janus::SESSION_TIMEOUT;

/// The base instant of simulated time: the only clock reading of the harness.
#[allow(clippy::disallowed_methods)] // the only clock reading: a base instant for simulated time
pub fn epoch() -> Instant {
    Instant::now()
}

/// `n` seconds.
pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A client, the simulated clock, and what the client sent and said, not yet looked at.
pub struct World {
    /// The client under test.
    pub client: Client,
    /// Simulated time: moves only by [`World::advance`] or by hand.
    pub now: Instant,
    /// WebSocket frames the client sent, as JSON.
    pub ws: VecDeque<Value>,
    /// HTTP requests the client sent (POSTs and long polls), not yet answered.
    pub http: VecDeque<HttpRequest>,
    /// Other transmits (`Connect`, `Disconnect`, `Cancel`).
    pub other: VecDeque<Transmit>,
    /// Events the client emitted.
    pub events: VecDeque<Event>,
    /// The deadline of the last drain's `Timeout`.
    pub deadline: Instant,
}

impl World {
    /// A client with this configuration at [`epoch`], drained; nothing sent yet.
    pub fn new(config: ClientConfig) -> Self {
        let now = epoch();
        let client = Client::new(config, now);
        let mut w = Self {
            client,
            now,
            ws: VecDeque::new(),
            http: VecDeque::new(),
            other: VecDeque::new(),
            events: VecDeque::new(),
            deadline: now,
        };
        w.drain();
        w
    }

    /// A client connected to one WebSocket server whose session timeout is 60 s.
    pub fn ws() -> Self {
        Self::ws_with(ClientConfig::new(["ws://janus"]).unwrap().seed(1))
    }

    /// A client with this configuration connected over WebSocket (server 0), its probe
    /// answered.
    pub fn ws_with(config: ClientConfig) -> Self {
        let mut w = Self::new(config);
        w.client.connect(w.now);
        w.drain();
        assert!(matches!(
            w.other.pop_front(),
            Some(Transmit::Connect { server: 0, .. })
        ));
        w.input_opened();
        w.answer_probe();
        w
    }

    /// A client connected to one HTTP server.
    pub fn http() -> Self {
        Self::http_with(ClientConfig::new(["http://janus/janus"]).unwrap().seed(1))
    }

    /// A client with this configuration connected over HTTP, its probe answered.
    pub fn http_with(config: ClientConfig) -> Self {
        let mut w = Self::new(config);
        w.client.connect(w.now);
        w.drain();
        w.answer_probe();
        w
    }

    /// Answers the `info` the client sends to prove the server is there.
    pub fn answer_probe(&mut self) {
        let (tx, via) = self.next_request("info");
        self.respond(via, janus::server_info(&tx));
        assert!(
            matches!(self.events.pop_front(), Some(Event::Connected { .. })),
            "connected"
        );
    }

    /// Drains the client until `Timeout`, sorting what comes out.
    pub fn drain(&mut self) {
        for _ in 0..100_000 {
            match self.client.poll_output() {
                Output::Transmit(Transmit::Ws(text)) => {
                    self.ws.push_back(serde_json::from_str(&text).unwrap())
                }
                Output::Transmit(Transmit::Http(r)) => self.http.push_back(r),
                Output::Transmit(other) => self.other.push_back(other),
                Output::Event(e) => self.events.push_back(e),
                Output::Timeout(at) => {
                    self.deadline = at;
                    return;
                }
            }
        }
        panic!("poll_output never returned Timeout");
    }

    /// One input at `now`, drained.
    pub fn input(&mut self, f: impl FnOnce(Instant) -> Input<'static>) {
        self.client.handle_input(f(self.now));
        self.drain();
    }

    /// The WebSocket opened.
    pub fn input_opened(&mut self) {
        self.client.handle_input(Input::Opened(self.now));
        self.drain();
    }

    /// The WebSocket closed ("reset by peer").
    pub fn input_closed(&mut self) {
        self.client
            .handle_input(Input::Closed(self.now, "reset by peer"));
        self.drain();
    }

    /// A WebSocket frame from Janus.
    pub fn frame(&mut self, v: Value) {
        let text = v.to_string();
        self.client.handle_input(Input::Frame(self.now, &text));
        self.drain();
    }

    /// The answer to HTTP request `id`.
    pub fn http_response(&mut self, id: RequestId, status: u16, body: &str) {
        self.client.handle_input(Input::HttpResponse(
            self.now,
            id,
            HttpResponse { status, body },
        ));
        self.drain();
    }

    /// HTTP request `id` failed ("connection refused").
    pub fn http_failed(&mut self, id: RequestId) {
        self.client
            .handle_input(Input::HttpFailed(self.now, id, "connection refused"));
        self.drain();
    }

    /// Moves the clock, firing whatever falls due (in deadline order, as an adapter would).
    pub fn advance(&mut self, d: Duration) {
        let until = self.now + d;
        while self.deadline <= until {
            self.now = self.now.max(self.deadline);
            self.client.handle_timeout(self.now);
            self.drain();
            if self.deadline <= self.now {
                break;
            }
        }
        self.now = until;
        self.client.handle_timeout(self.now);
        self.drain();
    }

    /// The next request the client sent (WebSocket frame or HTTP POST body), which must have
    /// this verb. Returns its transaction and how to answer it.
    pub fn next_request(&mut self, verb: &str) -> (String, Via) {
        if let Some(v) = self.ws.pop_front() {
            assert_eq!(v["janus"], verb, "{v}");
            return (v["transaction"].as_str().unwrap().to_owned(), Via::Ws(v));
        }
        let pos = self
            .http
            .iter()
            .position(|r| r.method == HttpMethod::Post)
            .unwrap_or_else(|| panic!("no request sent; wanted {verb}"));
        let r = self.http.remove(pos).unwrap();
        let v: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
        assert_eq!(v["janus"], verb, "{v}");
        (
            v["transaction"].as_str().unwrap().to_owned(),
            Via::Http(r.id, r.path.clone(), v),
        )
    }

    /// Answers a request the way it came (frame or HTTP 200).
    pub fn respond(&mut self, via: Via, reply: Value) {
        match via {
            Via::Ws(_) => self.frame(reply),
            Via::Http(id, _, _) => self.http_response(id, 200, &reply.to_string()),
        }
    }

    /// The pending long-poll GET.
    pub fn next_poll(&mut self) -> HttpRequest {
        let pos = self
            .http
            .iter()
            .position(|r| r.method == HttpMethod::Get)
            .expect("a long poll in flight");
        self.http.remove(pos).unwrap()
    }

    /// How many long polls are in flight.
    pub fn polls_in_flight(&self) -> usize {
        self.http
            .iter()
            .filter(|r| r.method == HttpMethod::Get)
            .count()
    }

    /// Sends `create`, answers with `session`, returns it.
    pub fn create_session(&mut self, id: u64) -> SessionId {
        let tx = self.client.create_session(self.now).unwrap();
        self.drain();
        let (wire_tx, via) = self.next_request("create");
        assert_eq!(wire_tx, tx.as_str());
        self.respond(via, janus::created(&wire_tx, id));
        assert_eq!(
            self.completed(&tx),
            Ok(Reply::SessionCreated(SessionId(id)))
        );
        SessionId(id)
    }

    /// Sends an EchoTest `attach` on `session`, answers with handle `id`, returns it.
    pub fn attach(&mut self, session: SessionId, id: u64) -> HandleRef {
        let tx = self
            .client
            .attach(self.now, session, janus::ECHOTEST, None)
            .unwrap();
        self.drain();
        let (wire_tx, via) = self.next_request("attach");
        self.respond(via, janus::attached(&wire_tx, session.0, id));
        let h = HandleRef {
            session,
            handle: janus_proto::HandleId(id),
        };
        assert_eq!(self.completed(&tx), Ok(Reply::Attached(h)));
        h
    }

    /// Removes and returns the completion of `tx`; fails if there is none or two.
    pub fn completed(&mut self, tx: &TransactionId) -> Result<Reply, janus_proto::RequestError> {
        let mut found = None;
        self.events.retain(|e| match e {
            Event::Completed { tx: t, result } if t == tx => {
                assert!(found.is_none(), "{tx} completed twice");
                found = Some(result.clone());
                false
            }
            _ => true,
        });
        found.unwrap_or_else(|| panic!("{tx} not completed; events: {:?}", self.events))
    }

    /// `tx` has no completion among the events.
    pub fn not_completed(&self, tx: &TransactionId) -> bool {
        !self
            .events
            .iter()
            .any(|e| matches!(e, Event::Completed { tx: t, .. } if t == tx))
    }

    /// Removes and returns the first event that matches.
    pub fn take_event(&mut self, pred: impl Fn(&Event) -> bool) -> Option<Event> {
        let pos = self.events.iter().position(pred)?;
        self.events.remove(pos)
    }
}

/// How a request came, so that its answer goes back the same way.
pub enum Via {
    /// A WebSocket frame.
    Ws(Value),
    /// An HTTP POST: its id, path and body.
    Http(RequestId, String, Value),
}

impl Via {
    /// The request's JSON body.
    pub fn body(&self) -> &Value {
        match self {
            Self::Ws(v) | Self::Http(_, _, v) => v,
        }
    }
}
