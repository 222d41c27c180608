//! Gathering from ICE servers, sans-IO: server-reflexive candidates by a STUN Binding
//! (`stun-proto`'s agent keeps the transaction and its retransmissions), relayed candidates by
//! TURN allocations (`turn-client-proto` keeps the allocation, its authentication,
//! refreshes and permissions), and the relaying itself: what str0m sends from a relayed
//! address goes to the TURN server in a Send indication, and what the TURN server passes on
//! from a peer comes back to str0m as if received on the relayed address.
//!
//! A TURN server is reached over UDP, TCP (`?transport=tcp`) or TLS (`turns:`); the
//! allocation relays UDP either way (what Janus sees is a UDP relayed candidate). A TCP
//! stream is the adapter's to open, write and read ([`StreamCommand`]); its bytes are ours:
//! `turn-client-proto`'s TCP client frames the messages, and for TLS a rustls client session
//! seals and opens them here. That session is glue written here, not `turn-client-rustls`:
//! its 0.1 reads only the first 4 KiB of a segment and 2 KiB of what it decrypts, and
//! panics on a message its TCP client ignores, which a hostile server can send.
//!
//! Allocation and permission refreshes are the crate's, on the times its `poll` names (which
//! join the connection's deadline). `turn-client-proto` 0.7 ignores a REFRESH answer whose
//! lifetime is below 600 s, so a server granting shorter allocations keeps ours only until the
//! first refresh (coturn's default, 600 s, is fine).
//!
//! Both crates are sans-IO like str0m, on their own `Instant` (nanoseconds from an origin):
//! the origin here is the instant the connection was made. Everything goes out from the
//! adapter's own sockets (the `local_addrs` of the connection), so the adapters only move
//! datagrams. Written here, not found in a crate: the glue (which datagram is whose, the
//! permission a relayed send needs first, the candidates for str0m), nothing of the
//! protocols.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use str0m::Candidate;
use stun_proto::agent::{StunAgent, StunAgentPollRet, Transmit as StunTransmit};
use stun_proto::types::TransportType;
use stun_proto::types::attribute::{ErrorCode, XorMappedAddress};
use stun_proto::types::message::{BINDING, Message, MessageClass, MessageWriteVec, TransactionId};
use stun_proto::types::prelude::*;
use turn_client_proto::api::{TurnClientApi, TurnConfig, TurnEvent, TurnPollRet, TurnRecvRet};
use turn_client_proto::tcp::TurnClientTcp;
use turn_client_proto::types::TurnCredentials;
use turn_client_proto::udp::TurnClientUdp;

use crate::{
    IceScheme, IceServer, IceServerError, IceServerTransport, IceServerUrl, IceTransportPolicy,
    StreamCommand, StreamEvent, StreamId, Transmit, TurnTls,
};

turn_client_proto::impl_client!(TurnClient, (Udp, TurnClientUdp), (Tcp, TurnClientTcp));

type SansInstant = stun_proto::Instant;

/// How many datagrams to a peer wait for its TURN permission (ICE checks, mostly: str0m
/// retransmits them anyway, so a full queue drops the newest).
const HELD_PER_ALLOCATION: usize = 64;

/// STUN Binding retransmissions (RFC 8489 timing, fewer of them): 0.5 + 1 + 2 + 4 s, then 2 s
/// for the last answer, so a silent server is given up within 10 s.
const BINDING_RTO: Duration = Duration::from_millis(500);
const BINDING_TRANSMISSIONS: u32 = 4;
const BINDING_LAST_WAIT: Duration = Duration::from_secs(2);

/// An allocation over TCP or TLS that has no relayed address by then (the stream's connect
/// included) is given up: as bounded as a silent server over UDP.
const STREAM_ALLOCATE_WITHIN: Duration = Duration::from_secs(10);

/// What gathering has for the connection.
#[derive(Debug)]
pub(crate) enum Gathered {
    /// A datagram to a STUN/TURN server, from one of our sockets.
    Transmit(Transmit),
    /// Something for the adapter's TCP streams to a TURN server.
    Stream(StreamCommand),
    /// A candidate for str0m (server-reflexive or relayed).
    Candidate(Candidate),
    /// A server that gave nothing.
    Error { url: String, error: IceServerError },
}

/// What a received datagram was.
pub(crate) enum Received {
    /// Not from an ICE server (or not for one of our transactions): str0m's.
    NotOurs,
    /// A STUN/TURN message, handled here.
    Handled,
    /// Data relayed by a TURN server: str0m's, as received on `relayed` from `peer`.
    Relayed {
        peer: SocketAddr,
        relayed: SocketAddr,
        data: Vec<u8>,
    },
}

struct Binding {
    url: String,
    agent: StunAgent,
    server: SocketAddr,
    local: SocketAddr,
    /// The Binding in flight; `None` once answered or given up.
    transaction: Option<TransactionId>,
    next: Option<SansInstant>,
}

/// How an allocation reaches its server over TCP: the adapter's stream, and TLS on it.
struct Stream {
    id: StreamId,
    /// The configuration of the client made once the stream is connected.
    config: Option<TurnConfig>,
    /// `turns:`: the session, made at connect, and what it needs before.
    tls: Option<Tls>,
    /// Given up by then unless a relayed address came.
    give_up_at: Instant,
}

struct Tls {
    config: Arc<rustls::ClientConfig>,
    name: ServerName<'static>,
    session: Option<rustls::ClientConnection>,
}

struct Allocation {
    url: String,
    /// `None` while its stream connects.
    client: Option<TurnClient>,
    /// Over TCP or TLS; `None`: UDP.
    stream: Option<Stream>,
    /// For a stream, known once it connected.
    server: SocketAddr,
    local: SocketAddr,
    relayed: Option<SocketAddr>,
    /// Gave a candidate or gave up.
    settled: bool,
    /// The client closed (refused, timed out, or deleted).
    closed: bool,
    /// Why the allocation failed: the error code the server answered an Allocate with, or
    /// what else went wrong (its stream, its TLS session).
    last_error: Option<(Option<u16>, String)>,
    /// How many Allocates were answered 401: the first is the challenge, a second one is
    /// a wrong credential.
    unauthorized: u8,
    /// Peers whose permission is asked for and not answered yet.
    asked: Vec<IpAddr>,
    /// Datagrams waiting for their peer's permission: (peer, bytes). Bounded.
    held: VecDeque<(SocketAddr, Vec<u8>)>,
    next: Option<SansInstant>,
}

/// The gathering of one connection.
pub(crate) struct Gatherer {
    origin: Instant,
    bindings: Vec<Binding>,
    allocations: Vec<Allocation>,
    out: VecDeque<Gathered>,
    next_stream: u32,
}

impl std::fmt::Debug for Gatherer {
    // Never the TURN clients: their Debug holds the credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gatherer")
            .field("bindings", &self.bindings.len())
            .field("allocations", &self.allocations.len())
            .field("relayed", &self.relayed_addrs().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Gatherer {
    /// Starts a Binding per server and local address (unless the policy is relay), and an
    /// allocation per `turn:` URL and local address. Bad servers are reported at once.
    pub(crate) fn new(
        servers: &[IceServer],
        policy: IceTransportPolicy,
        tls: Option<&TurnTls>,
        local_addrs: &[SocketAddr],
        now: Instant,
    ) -> Self {
        let mut g = Self {
            origin: now,
            bindings: Vec::new(),
            allocations: Vec::new(),
            out: VecDeque::new(),
            next_stream: 0,
        };
        for server in servers {
            for url in &server.urls {
                g.start(server, url, policy, tls, local_addrs, now);
            }
        }
        g.advance(now);
        g
    }

    fn start(
        &mut self,
        server: &IceServer,
        url: &str,
        policy: IceTransportPolicy,
        tls: Option<&TurnTls>,
        local_addrs: &[SocketAddr],
        now: Instant,
    ) {
        let error = |error| Gathered::Error {
            url: url.to_owned(),
            error,
        };
        let parsed = match IceServerUrl::parse(url) {
            Ok(p) => p,
            Err(e) => return self.out.push_back(error(IceServerError::Url(e))),
        };
        if parsed.transport == IceServerTransport::Tcp {
            return self.start_stream(server, url, &parsed, tls, local_addrs, now);
        }
        let Some(addr) = parsed.addr() else {
            return self
                .out
                .push_back(error(IceServerError::Unresolved(parsed.host)));
        };
        let locals: Vec<SocketAddr> = local_addrs
            .iter()
            .copied()
            .filter(|l| l.is_ipv4() == addr.is_ipv4())
            .collect();
        if locals.is_empty() {
            return self.out.push_back(error(IceServerError::Unsupported(
                "a server of another IP family than our sockets",
            )));
        }
        let turn = parsed.is_turn();
        let credentials = match (turn, credentials(server)) {
            (false, _) => None,
            (true, Some(c)) => Some(c),
            (true, None) => {
                self.out
                    .push_back(error(IceServerError::MissingCredentials));
                None
            }
        };
        let at = self.sans(now);
        for local in locals {
            // A TURN server answers Bindings too (browsers take srflx from `turn:` URLs).
            if policy == IceTransportPolicy::All {
                let agent = StunAgent::builder(TransportType::Udp, local)
                    .remote_addr(addr)
                    .request_retransmits(
                        BINDING_RTO,
                        Duration::MAX,
                        BINDING_TRANSMISSIONS,
                        BINDING_LAST_WAIT,
                    )
                    .build();
                let mut binding = Binding {
                    url: url.to_owned(),
                    agent,
                    server: addr,
                    local,
                    transaction: None,
                    next: None,
                };
                let request = Message::builder_request(BINDING, MessageWriteVec::new()).finish();
                if let Ok(id) = Message::from_bytes(&request).map(|m| m.transaction_id()) {
                    if let Ok(t) = binding.agent.send_request(request, addr, at) {
                        self.out.push_back(Gathered::Transmit(to_ours(&t)));
                        binding.transaction = Some(id);
                    }
                }
                self.bindings.push(binding);
            }
            if let Some(credentials) = &credentials {
                let client = TurnClientUdp::allocate(local, addr, turn_config(credentials));
                let mut a = Allocation::new(url, addr, local, None);
                a.client = Some(TurnClient::Udp(client));
                self.allocations.push(a);
            }
        }
    }

    /// A TURN server over TCP or TLS: a stream from each local address (of the server's
    /// family, when the host is an address), its client made once it connects.
    fn start_stream(
        &mut self,
        server: &IceServer,
        url: &str,
        parsed: &IceServerUrl,
        tls: Option<&TurnTls>,
        local_addrs: &[SocketAddr],
        now: Instant,
    ) {
        let mut error = |error| {
            self.out.push_back(Gathered::Error {
                url: url.to_owned(),
                error,
            });
        };
        if !parsed.is_turn() {
            return error(IceServerError::Unsupported(
                "STUN over TCP or TLS (only UDP is done)",
            ));
        }
        let Some(credentials) = credentials(server) else {
            return error(IceServerError::MissingCredentials);
        };
        let tls = if parsed.scheme == IceScheme::Turns {
            let Ok(name) = ServerName::try_from(parsed.host.clone()) else {
                return error(IceServerError::Unresolved(parsed.host.clone()));
            };
            let config = match tls.cloned().map_or_else(TurnTls::web_pki, Ok) {
                Ok(c) => c.0,
                Err(e) => return error(IceServerError::Tls(e.to_string())),
            };
            Some((config, name))
        } else {
            None
        };
        let literal = parsed.addr();
        let locals: Vec<SocketAddr> = local_addrs
            .iter()
            .copied()
            .filter(|l| literal.is_none_or(|a| a.is_ipv4() == l.is_ipv4()))
            .collect();
        if locals.is_empty() {
            return error(IceServerError::Unsupported(
                "a server of another IP family than our sockets",
            ));
        }
        for local in locals {
            let id = StreamId(self.next_stream);
            self.next_stream = self.next_stream.wrapping_add(1);
            self.out.push_back(Gathered::Stream(StreamCommand::Connect {
                stream: id,
                local: local.ip(),
                host: parsed.host.clone(),
                port: parsed.port,
            }));
            let stream = Stream {
                id,
                config: Some(turn_config(&credentials)),
                tls: tls.clone().map(|(config, name)| Tls {
                    config,
                    name,
                    session: None,
                }),
                give_up_at: now + STREAM_ALLOCATE_WITHIN,
            };
            // The server's address and our port are the stream's, once it connects.
            let unknown = literal.unwrap_or_else(|| SocketAddr::new(local.ip(), parsed.port));
            let mut a = Allocation::new(url, unknown, local, Some(stream));
            a.next = Some(self.sans(now + STREAM_ALLOCATE_WITHIN));
            self.allocations.push(a);
        }
    }

    fn sans(&self, at: Instant) -> SansInstant {
        sans_at(self.origin, at)
    }

    fn std(&self, at: SansInstant) -> Instant {
        let nanos = u64::try_from(at.as_nanos()).unwrap_or(0);
        self.origin + Duration::from_nanos(nanos)
    }

    /// Every server answered or gave up.
    pub(crate) fn is_complete(&self) -> bool {
        self.bindings.iter().all(|b| b.transaction.is_none())
            && self.allocations.iter().all(|a| a.settled)
    }

    /// How many relayed candidates were gathered.
    pub(crate) fn relay_count(&self) -> usize {
        self.allocations
            .iter()
            .filter(|a| a.relayed.is_some())
            .count()
    }

    fn relayed_addrs(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.allocations.iter().filter_map(|a| a.relayed)
    }

    /// When to be called again ([`handle_timeout`](Self::handle_timeout)).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let bindings = self
            .bindings
            .iter()
            .filter(|b| b.transaction.is_some())
            .filter_map(|b| b.next);
        let allocations = self
            .allocations
            .iter()
            .filter(|a| !a.closed)
            .filter_map(|a| a.next);
        bindings.chain(allocations).min().map(|at| self.std(at))
    }

    /// The next thing gathering has for the connection.
    pub(crate) fn poll(&mut self) -> Option<Gathered> {
        self.out.pop_front()
    }

    /// Time passed: retransmissions, timeouts, refreshes.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
    }

    /// A datagram arrived on `destination` (one of our sockets) from `source`.
    pub(crate) fn handle_receive(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> Received {
        let at = self.sans(now);
        let mut received = Received::NotOurs;
        if let Some(a) = self.allocations.iter_mut().find(|a| {
            !a.closed && a.stream.is_none() && a.server == source && a.local == destination
        }) {
            let refused = note_allocate_error(a, contents);
            if let Some(client) = a.client.as_mut() {
                let transmit = StunTransmit::new(contents, TransportType::Udp, source, destination);
                if refused && !a.settled {
                    // turn-client-proto 0.7 ignores a 401 that answers its authenticated
                    // Allocate and would wait for its retransmissions to time out: a wrong
                    // credential is final at once.
                    client.protocol_error();
                    received = Received::Handled;
                } else {
                    match client.recv(transmit, at) {
                        TurnRecvRet::Handled => received = Received::Handled,
                        TurnRecvRet::PeerData(data) => {
                            if let Some(relayed) = a.relayed {
                                received = Received::Relayed {
                                    peer: data.peer,
                                    relayed,
                                    data: data.data().to_vec(),
                                };
                            }
                        }
                        TurnRecvRet::PeerIcmp { .. } => received = Received::Handled,
                        TurnRecvRet::Ignored(_) => {}
                    }
                }
            }
        }
        if matches!(received, Received::NotOurs) {
            if let Some(b) = self
                .bindings
                .iter_mut()
                .find(|b| b.transaction.is_some() && b.server == source && b.local == destination)
            {
                if let Ok(msg) = Message::from_bytes(contents) {
                    if Some(msg.transaction_id()) == b.transaction
                        && b.agent.handle_stun_message_with_time(&msg, source, at)
                    {
                        b.transaction = None;
                        received = Received::Handled;
                        let mapped = msg
                            .attribute::<XorMappedAddress>()
                            .ok()
                            .map(|x| x.addr(msg.transaction_id()));
                        let url = b.url.clone();
                        match (msg.class(), mapped) {
                            (MessageClass::Success, Some(mapped)) => {
                                match Candidate::server_reflexive(mapped, b.local, "udp") {
                                    Ok(c) => self.out.push_back(Gathered::Candidate(c)),
                                    Err(e) => {
                                        tracing::debug!(error = %e, "unusable mapped address")
                                    }
                                }
                            }
                            _ => self.out.push_back(Gathered::Error {
                                url,
                                error: IceServerError::Allocation {
                                    code: msg.attribute::<ErrorCode>().ok().map(|e| e.code()),
                                    reason: "the Binding got no mapped address".into(),
                                },
                            }),
                        }
                    }
                }
            }
        }
        self.advance(now);
        received
    }

    /// Something happened on one of our streams to a TURN server; returns what the server
    /// relayed from peers, each for str0m as received on `relayed` from `peer`.
    pub(crate) fn handle_stream(&mut self, now: Instant, event: StreamEvent<'_>) -> Vec<Relayed> {
        let at = self.sans(now);
        let mut relayed: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
        let id = match event {
            StreamEvent::Connected { stream, .. }
            | StreamEvent::Data { stream, .. }
            | StreamEvent::Closed(stream) => stream,
        };
        let Some(a) = self
            .allocations
            .iter_mut()
            .find(|a| !a.closed && a.stream.as_ref().is_some_and(|s| s.id == id))
        else {
            return Vec::new();
        };
        match event {
            StreamEvent::Connected { local, remote, .. } => {
                let Some(stream) = a.stream.as_mut() else {
                    return Vec::new();
                };
                let Some(config) = stream.config.take() else {
                    return Vec::new();
                };
                if let Some(tls) = stream.tls.as_mut() {
                    match rustls::ClientConnection::new(Arc::clone(&tls.config), tls.name.clone()) {
                        Ok(session) => tls.session = Some(session),
                        Err(e) => {
                            a.last_error = Some((None, format!("TLS: {e}")));
                            give_up(a, &mut self.out);
                            return Vec::new();
                        }
                    }
                }
                a.local = local;
                a.server = remote;
                a.client = Some(TurnClient::Tcp(TurnClientTcp::allocate(
                    local, remote, config,
                )));
            }
            StreamEvent::Data { contents, .. } => {
                if a.client.is_none() {
                    return Vec::new();
                }
                let session = a
                    .stream
                    .as_mut()
                    .and_then(|s| s.tls.as_mut())
                    .and_then(|t| t.session.as_mut());
                let plain = match session {
                    Some(session) => match open(session, contents) {
                        Ok(plain) => plain,
                        Err(e) => {
                            a.last_error = Some((None, format!("TLS: {e}")));
                            give_up(a, &mut self.out);
                            return Vec::new();
                        }
                    },
                    None => contents.to_vec(),
                };
                // Best effort (a segment that is one whole message): why an Allocate was
                // refused, and a wrong credential final at once, as over UDP.
                if note_allocate_error(a, &plain) && !a.settled {
                    if let Some(client) = a.client.as_mut() {
                        client.protocol_error();
                    }
                }
                if let Some(client) = a.client.as_mut().filter(|_| !plain.is_empty()) {
                    let transmit =
                        StunTransmit::new(&plain[..], TransportType::Tcp, a.server, a.local);
                    if let TurnRecvRet::PeerData(d) = client.recv(transmit, at) {
                        relayed.push((d.peer, d.data().to_vec()));
                    }
                    while let Some(d) = client.poll_recv(at) {
                        relayed.push((d.peer, d.data().to_vec()));
                    }
                }
            }
            StreamEvent::Closed(_) => {
                if a.last_error.is_none() {
                    a.last_error = Some((None, "the stream to the server closed".into()));
                }
                // Closed by the adapter already: marked so, no Close goes back.
                a.closed = true;
                give_up(a, &mut self.out);
            }
        }
        let from = self
            .allocations
            .iter()
            .find(|a| a.stream.as_ref().is_some_and(|s| s.id == id))
            .and_then(|a| a.relayed);
        self.advance(now);
        match from {
            Some(at_relayed) => relayed
                .into_iter()
                .map(|(peer, data)| Relayed {
                    peer,
                    relayed: at_relayed,
                    data,
                })
                .collect(),
            None => Vec::new(),
        }
    }

    /// A datagram str0m sends: one from a relayed address goes through its TURN server (after
    /// a permission for the peer); any other is returned as it is.
    pub(crate) fn send(&mut self, now: Instant, t: Transmit) -> Option<Transmit> {
        let at = self.sans(now);
        let Some(a) = self
            .allocations
            .iter_mut()
            .find(|a| a.relayed == Some(t.source) && !a.closed)
        else {
            return Some(t);
        };
        let peer = t.destination;
        // A relayed address is an allocation's that has its client.
        let client = a.client.as_mut()?;
        if !client.have_permission(TransportType::Udp, peer.ip()) {
            if !a.asked.contains(&peer.ip()) {
                match client.create_permission(TransportType::Udp, peer.ip(), at) {
                    Ok(()) => a.asked.push(peer.ip()),
                    Err(e) => tracing::debug!(error = %e, "TURN permission not asked"),
                }
            }
            if a.held.len() < HELD_PER_ALLOCATION {
                a.held.push_back((peer, t.contents));
            }
        } else {
            relay(a, peer, t.contents, at, &mut self.out);
        }
        self.advance(now);
        None
    }

    /// Deletes the allocations (the connection closes): the servers free them at once.
    pub(crate) fn close(&mut self, now: Instant) {
        let at = self.sans(now);
        for a in &mut self.allocations {
            if a.relayed.is_some() && !a.closed {
                if let Some(client) = a.client.as_mut() {
                    let _ = client.delete(at);
                }
            }
        }
        self.advance(now);
        for a in &mut self.allocations {
            if !a.closed {
                close_stream(a, &mut self.out);
            }
            a.closed = true;
        }
        for b in &mut self.bindings {
            b.transaction = None;
        }
    }

    /// Drives every agent and client to `now`, collecting their transmits and events.
    fn advance(&mut self, now: Instant) {
        let at = self.sans(now);
        for b in &mut self.bindings {
            let Some(id) = b.transaction else { continue };
            // Bounded: each round either sends, gives up, or names a later time.
            for _ in 0..8 {
                match b.agent.poll(at) {
                    StunAgentPollRet::TransactionTimedOut(t)
                    | StunAgentPollRet::TransactionCancelled(t)
                        if t == id =>
                    {
                        b.transaction = None;
                        self.out.push_back(Gathered::Error {
                            url: b.url.clone(),
                            error: IceServerError::Timeout,
                        });
                        break;
                    }
                    StunAgentPollRet::WaitUntil(next) => {
                        while let Some(t) = b.agent.poll_transmit(at) {
                            self.out.push_back(Gathered::Transmit(to_ours(&t)));
                        }
                        b.next = Some(next);
                        break;
                    }
                    _ => {}
                }
            }
        }
        for a in &mut self.allocations {
            if a.closed {
                continue;
            }
            if !a.settled && a.stream.as_ref().is_some_and(|s| now >= s.give_up_at) {
                give_up(a, &mut self.out);
                continue;
            }
            if a.client.is_none() {
                // A stream still connecting: its deadline is the give-up time.
                continue;
            }
            let give_up_at = a
                .stream
                .as_ref()
                .filter(|_| !a.settled)
                .map(|s| sans_at(self.origin, s.give_up_at));
            for _ in 0..8 {
                while let Some(t) = a.client.as_mut().and_then(|c| c.poll_transmit(at)) {
                    emit(a, t.data.as_ref(), t.from, t.to, &mut self.out);
                }
                while let Some(event) = a.client.as_mut().and_then(TurnClientApi::poll_event) {
                    on_turn_event(a, event, at, &mut self.out);
                }
                flush_tls(a, &mut self.out);
                let Some(client) = a.client.as_mut() else {
                    break;
                };
                match client.poll(at) {
                    TurnPollRet::WaitUntil(next) if next > at => {
                        a.next = Some(give_up_at.map_or(next, |g| next.min(g)));
                        break;
                    }
                    TurnPollRet::WaitUntil(_) => a.next = Some(at),
                    TurnPollRet::Closed => {
                        while let Some(event) =
                            a.client.as_mut().and_then(TurnClientApi::poll_event)
                        {
                            on_turn_event(a, event, at, &mut self.out);
                        }
                        give_up(a, &mut self.out);
                        break;
                    }
                    // TCP allocations are never asked for.
                    _ => {}
                }
            }
        }
    }
}

/// What the TURN server relayed from a peer over a stream: str0m's, as received on
/// `relayed` from `peer`.
pub(crate) struct Relayed {
    pub(crate) peer: SocketAddr,
    pub(crate) relayed: SocketAddr,
    pub(crate) data: Vec<u8>,
}

impl Allocation {
    fn new(url: &str, server: SocketAddr, local: SocketAddr, stream: Option<Stream>) -> Self {
        Self {
            url: url.to_owned(),
            client: None,
            stream,
            server,
            local,
            relayed: None,
            settled: false,
            closed: false,
            last_error: None,
            unauthorized: 0,
            asked: Vec::new(),
            held: VecDeque::new(),
            next: None,
        }
    }
}

/// `at` on the sans-IO crates' clock, which starts at `origin`.
fn sans_at(origin: Instant, at: Instant) -> SansInstant {
    let nanos = at.saturating_duration_since(origin).as_nanos();
    SansInstant::from_nanos(i64::try_from(nanos).unwrap_or(i64::MAX))
}

fn credentials(server: &IceServer) -> Option<TurnCredentials> {
    match (&server.username, &server.credential) {
        (Some(u), Some(c)) => Some(TurnCredentials::new(u, c)),
        _ => None,
    }
}

fn turn_config(credentials: &TurnCredentials) -> TurnConfig {
    let mut config = TurnConfig::new(credentials.clone());
    config.set_request_retransmits(
        BINDING_RTO,
        Duration::MAX,
        BINDING_TRANSMISSIONS,
        BINDING_LAST_WAIT,
    );
    config
}

/// Ends an allocation that failed: its stream closes, and when it had not settled, the
/// error says why.
fn give_up(a: &mut Allocation, out: &mut VecDeque<Gathered>) {
    close_stream(a, out);
    a.closed = true;
    a.next = None;
    a.held.clear();
    if !a.settled {
        a.settled = true;
        out.push_back(allocation_failed(a));
    }
}

/// The adapter closes the allocation's stream (after what was written), once.
fn close_stream(a: &Allocation, out: &mut VecDeque<Gathered>) {
    if let (Some(s), false) = (&a.stream, a.closed) {
        out.push_back(Gathered::Stream(StreamCommand::Close(s.id)));
    }
}

/// Bytes for the allocation's server: a datagram over UDP, a write on its stream (sealed by
/// its TLS session, which [`flush_tls`] writes out).
fn emit(
    a: &mut Allocation,
    data: &[u8],
    from: SocketAddr,
    to: SocketAddr,
    out: &mut VecDeque<Gathered>,
) {
    let Some(stream) = a.stream.as_mut() else {
        return out.push_back(Gathered::Transmit(Transmit {
            source: from,
            destination: to,
            contents: data.to_vec(),
        }));
    };
    match stream.tls.as_mut().and_then(|t| t.session.as_mut()) {
        Some(session) => {
            // Buffered in the session until its handshake is done.
            if let Err(e) = session.writer().write_all(data) {
                tracing::debug!(error = %e, "TURN message not sealed");
            }
        }
        None => out.push_back(Gathered::Stream(StreamCommand::Write {
            stream: stream.id,
            contents: data.to_vec(),
        })),
    }
}

/// What the allocation's TLS session has for the wire (handshake and sealed messages).
fn flush_tls(a: &mut Allocation, out: &mut VecDeque<Gathered>) {
    let Some(stream) = a.stream.as_mut() else {
        return;
    };
    let Some(session) = stream.tls.as_mut().and_then(|t| t.session.as_mut()) else {
        return;
    };
    let mut wire = Vec::new();
    while session.wants_write() {
        // Into a Vec: never fails, never short.
        if session.write_tls(&mut wire).is_err() {
            break;
        }
    }
    if !wire.is_empty() {
        out.push_back(Gathered::Stream(StreamCommand::Write {
            stream: stream.id,
            contents: wire,
        }));
    }
}

/// Everything in `wire` through the session: the plaintext it held.
fn open(session: &mut rustls::ClientConnection, mut wire: &[u8]) -> Result<Vec<u8>, String> {
    let mut plain = Vec::new();
    while !wire.is_empty() {
        match session.read_tls(&mut wire) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
        session.process_new_packets().map_err(|e| e.to_string())?;
        match session.reader().read_to_end(&mut plain) {
            // The server's close_notify: the stream's close follows.
            Ok(_) => break,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::UnexpectedEof
                ) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(plain)
}

/// What str0m should hear from a TURN client's event.
fn on_turn_event(
    a: &mut Allocation,
    event: TurnEvent,
    at: SansInstant,
    out: &mut VecDeque<Gathered>,
) {
    match event {
        TurnEvent::AllocationCreated(_, relayed) => {
            a.relayed = Some(relayed);
            if !a.settled {
                a.settled = true;
                match Candidate::relayed(relayed, a.local, "udp") {
                    Ok(c) => out.push_back(Gathered::Candidate(c)),
                    Err(e) => tracing::debug!(error = %e, "unusable relayed address"),
                }
            }
        }
        TurnEvent::AllocationCreateFailed(_) if !a.settled => {
            a.settled = true;
            out.push_back(allocation_failed(a));
        }
        TurnEvent::PermissionCreated(_, ip) => {
            a.asked.retain(|p| *p != ip);
            let (ready, waiting) = std::mem::take(&mut a.held)
                .into_iter()
                .partition::<VecDeque<_>, _>(|(p, _)| p.ip() == ip);
            a.held = waiting;
            for (peer, data) in ready {
                relay(a, peer, data, at, out);
            }
        }
        TurnEvent::PermissionCreateFailed(_, ip) => {
            tracing::debug!(%ip, "TURN permission refused");
            a.asked.retain(|p| *p != ip);
            a.held.retain(|(p, _)| p.ip() != ip);
        }
        _ => {}
    }
}

/// Sends `data` to `peer` through the allocation (a Send indication to the server).
fn relay(
    a: &mut Allocation,
    peer: SocketAddr,
    data: Vec<u8>,
    at: SansInstant,
    out: &mut VecDeque<Gathered>,
) {
    let Some(client) = a.client.as_mut() else {
        return;
    };
    match client.send_to(TransportType::Udp, peer, data, at) {
        Ok(Some(build)) => {
            let t = build.build();
            emit(a, &t.data, t.from, t.to, out);
        }
        Ok(None) => {}
        Err(e) => tracing::debug!(error = %e, "relayed datagram dropped"),
    }
}

fn allocation_failed(a: &Allocation) -> Gathered {
    Gathered::Error {
        url: a.url.clone(),
        error: match &a.last_error {
            Some((code, reason)) => IceServerError::Allocation {
                code: *code,
                reason: reason.clone(),
            },
            None => IceServerError::Timeout,
        },
    }
}

/// Remembers the error code of an Allocate error response (the client only says that the
/// allocation failed, not why); true when it refuses our credential: a 401 after the retry
/// with the credential, or 441 Wrong Credentials.
fn note_allocate_error(a: &mut Allocation, contents: &[u8]) -> bool {
    let Ok(msg) = Message::from_bytes(contents) else {
        return false;
    };
    if msg.class() != MessageClass::Error
        || msg.method() != turn_client_proto::types::message::ALLOCATE
    {
        return false;
    }
    let Ok(e) = msg.attribute::<ErrorCode>() else {
        return false;
    };
    a.last_error = Some((Some(e.code()), e.reason().to_owned()));
    match e.code() {
        ErrorCode::UNAUTHORIZED => {
            a.unauthorized = a.unauthorized.saturating_add(1);
            a.unauthorized >= 2
        }
        ErrorCode::WRONG_CREDENTIALS => true,
        _ => false,
    }
}

fn to_ours<T: AsRef<[u8]>>(t: &StunTransmit<T>) -> Transmit {
    Transmit {
        source: t.from,
        destination: t.to,
        contents: t.data.as_ref().to_vec(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::{Duration, Instant};

    use janus_proto::Trickle;

    use crate::{
        Error, Event, IceServer, IceServerError, IceTransportPolicy, Input, Output, PeerConfig,
        PeerConnection, StreamCommand, StreamEvent, StreamId, Track,
    };

    /// Drains the connection; returns what it sent (destinations), said, and its deadline.
    fn drain(pc: &mut PeerConnection) -> (Vec<std::net::SocketAddr>, Vec<Event>, Instant) {
        let (sent, events, _, at) = drain_streams(pc);
        (sent, events, at)
    }

    /// [`drain`], with the stream commands.
    fn drain_streams(
        pc: &mut PeerConnection,
    ) -> (
        Vec<std::net::SocketAddr>,
        Vec<Event>,
        Vec<StreamCommand>,
        Instant,
    ) {
        let (mut sent, mut events, mut streams) = (Vec::new(), Vec::new(), Vec::new());
        loop {
            match pc.poll_output() {
                Output::Transmit(t) => sent.push(t.destination),
                Output::Stream(s) => streams.push(s),
                Output::Event(e) => events.push(e),
                Output::Timeout(at) => return (sent, events, streams, at),
            }
        }
    }

    fn config(servers: Vec<IceServer>, policy: IceTransportPolicy) -> PeerConfig {
        PeerConfig {
            ice_servers: servers,
            ice_transport_policy: policy,
            ..PeerConfig::default()
        }
    }

    #[test]
    fn a_silent_stun_server_is_given_up_in_bounded_time_and_then_candidates_end() {
        #[allow(clippy::disallowed_methods)] // any origin will do: time is simulated below
        let start = Instant::now();
        let server = "127.0.0.9:3478".parse().unwrap();
        let local = "127.0.0.2:40000".parse().unwrap();
        let servers = vec![IceServer::stun("stun:127.0.0.9:3478")];
        let mut pc = PeerConnection::new(config(servers, IceTransportPolicy::All), start, &[local]);
        let _offer = pc.create_offer(&[Track::audio()], false).unwrap();
        let (sent, events, mut deadline) = drain(&mut pc);
        assert!(
            sent.contains(&server),
            "the Binding goes out at once: {sent:?}"
        );
        // The host candidate trickles, its end waits for the server.
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::LocalCandidate(Trickle::Candidate(_))))
        );
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, Event::LocalCandidate(Trickle::Completed)))
        );
        let (mut bindings, mut told) = (1, Vec::new());
        while deadline < start + Duration::from_secs(30)
            && !told
                .iter()
                .any(|e| matches!(e, Event::LocalCandidate(Trickle::Completed)))
        {
            pc.handle_input(crate::Input::Timeout(deadline)).unwrap();
            let (sent, events, next) = drain(&mut pc);
            bindings += sent.iter().filter(|d| **d == server).count();
            told.extend(events);
            deadline = next.max(deadline + Duration::from_millis(1));
        }
        let gave_up = deadline.duration_since(start);
        assert!(
            gave_up < Duration::from_secs(12),
            "given up after {gave_up:?}"
        );
        assert_eq!(bindings, 4, "one Binding and three retransmissions");
        let error = told.iter().find_map(|e| match e {
            Event::IceServerError { url, error } => Some((url.as_str(), error)),
            _ => None,
        });
        assert_eq!(
            error,
            Some(("stun:127.0.0.9:3478", &IceServerError::Timeout))
        );
        assert!(
            told.iter()
                .any(|e| matches!(e, Event::IceGatheringComplete))
        );
        assert!(
            !pc.is_closed(),
            "policy all: the host candidate is still there"
        );
    }

    #[test]
    fn relay_only_without_turn_servers_fails_typed_and_offers_no_host_candidate() {
        #[allow(clippy::disallowed_methods)]
        let start = Instant::now();
        let local = "127.0.0.2:40000".parse().unwrap();
        let servers = vec![
            IceServer::stun("stun:127.0.0.9"),
            IceServer::turn("turn:turn.test", "u", "c"),
        ];
        let mut pc =
            PeerConnection::new(config(servers, IceTransportPolicy::Relay), start, &[local]);
        let (sent, events, _) = drain(&mut pc);
        assert!(
            sent.is_empty(),
            "no Binding with policy relay, nothing to allocate: {sent:?}"
        );
        assert!(events.iter().any(|e| matches!(
            e,
            Event::IceServerError { error: IceServerError::Unresolved(host), .. } if host == "turn.test"
        )));
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Failed(Error::NoRelayCandidate(_))))
        );
        assert!(matches!(events.last(), Some(Event::Closed)));
        assert_eq!(
            pc.create_offer(&[Track::audio()], false).unwrap_err(),
            Error::Closed
        );
    }

    #[test]
    fn unsupported_and_uncredentialled_turn_urls_are_typed_errors() {
        #[allow(clippy::disallowed_methods)]
        let start = Instant::now();
        let local = "127.0.0.2:40000".parse().unwrap();
        let servers = vec![
            IceServer::stun("stuns:127.0.0.3"),
            IceServer::stun("turns:127.0.0.3"),
            IceServer::stun("turn:127.0.0.3"),
            IceServer::stun("nope:127.0.0.3"),
            IceServer::turn("turn:[::1]?transport=tcp", "u", "c"),
        ];
        let mut pc = PeerConnection::new(config(servers, IceTransportPolicy::All), start, &[local]);
        let (_, events, streams, _) = drain_streams(&mut pc);
        assert!(streams.is_empty(), "no stream is opened: {streams:?}");
        let errors: Vec<&IceServerError> = events
            .iter()
            .filter_map(|e| match e {
                Event::IceServerError { error, .. } => Some(error),
                _ => None,
            })
            .collect();
        assert!(
            matches!(
                errors[..],
                [
                    IceServerError::Unsupported(_),
                    IceServerError::MissingCredentials,
                    IceServerError::MissingCredentials,
                    IceServerError::Url(Error::IceServerUrl(_)),
                    IceServerError::Unsupported(_),
                ]
            ),
            "{errors:?}"
        );
    }

    #[test]
    fn turn_over_tcp_and_tls_asks_for_a_stream_per_local_address_and_gives_up_on_one_that_never_connects()
     {
        #[allow(clippy::disallowed_methods)]
        let start = Instant::now();
        let locals = [
            "127.0.0.2:40000".parse().unwrap(),
            "127.0.0.4:40001".parse().unwrap(),
        ];
        let servers = vec![
            IceServer::turn("turn:127.0.0.3:3479?transport=tcp", "u", "c"),
            IceServer::turn("turns:turn.example", "u", "c"),
        ];
        let mut pc =
            PeerConnection::new(config(servers, IceTransportPolicy::Relay), start, &locals);
        let (sent, _, streams, _) = drain_streams(&mut pc);
        assert!(sent.is_empty(), "nothing over UDP: {sent:?}");
        let connects: Vec<(u32, String, String, u16)> = streams
            .iter()
            .filter_map(|s| match s {
                StreamCommand::Connect {
                    stream,
                    local,
                    host,
                    port,
                } => Some((stream.0, local.to_string(), host.clone(), *port)),
                _ => None,
            })
            .collect();
        let expected = [
            (0, "127.0.0.2", "127.0.0.3", 3479),
            (1, "127.0.0.4", "127.0.0.3", 3479),
            // A name stays a name: the adapter resolves it, TLS checks it.
            (2, "127.0.0.2", "turn.example", 5349),
            (3, "127.0.0.4", "turn.example", 5349),
        ];
        let expected: Vec<(u32, String, String, u16)> = expected
            .iter()
            .map(|(i, l, h, p)| (*i, (*l).to_owned(), (*h).to_owned(), *p))
            .collect();
        assert_eq!(connects, expected);
        // Stream 1 fails to connect at once; the others never answer.
        pc.handle_input(Input::Stream(start, StreamEvent::Closed(StreamId(1))))
            .unwrap();
        let (_, events, streams, _) = drain_streams(&mut pc);
        assert!(
            streams.is_empty(),
            "a stream the adapter closed is not closed again"
        );
        assert!(
            matches!(
                &events[..],
                [Event::IceServerError { url, error: IceServerError::Allocation { code: None, .. } }]
                    if url.ends_with("?transport=tcp")
            ),
            "{events:?}"
        );
        let later = start + Duration::from_secs(11);
        pc.handle_input(Input::Timeout(later)).unwrap();
        let (_, events, streams, _) = drain_streams(&mut pc);
        assert_eq!(
            streams,
            [0, 2, 3].map(|i| StreamCommand::Close(StreamId(i))),
            "the silent ones are closed"
        );
        let timeouts = events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    Event::IceServerError {
                        error: IceServerError::Timeout,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(timeouts, 3, "{events:?}");
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Failed(Error::NoRelayCandidate(_)))),
            "relay only, and no relay: {events:?}"
        );
    }
}
