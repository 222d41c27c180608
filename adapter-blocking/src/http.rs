//! HTTP/1.1 inside the driver's poll: every request is an exchange on a non-blocking
//! connection registered with the driver's `mio` poll, so a request costs no thread hop
//! (the driver writes it and reads its answer itself), and a held long poll holds a
//! connection, not a thread. Keep-alive connections are reused per origin; one the server
//! closed while idle is found out when its answer never starts, and the request is sent
//! again once on a new connection.
//!
//! The HTTP/1.1 exchange itself is written here, on rustls and the sans-IO answer reader of
//! `http_response` (on `httparse`): the long-poll GET must carry the `apisecret` and the token
//! in its query (Janus's `janus_http.c` reads them from `MHD_GET_ARGUMENT_KIND` only, no
//! header or body), and the HTTP clients we know log the whole request line with its query at
//! DEBUG or TRACE (ureq's `DebugUri`/`DebugRequest`), so a user with `RUST_LOG=trace` got both
//! secrets; none we know of runs inside a caller's `mio` poll either. What Janus needs (one
//! request, one answer: `Content-Length`, chunked, or until close) is small. Nothing here logs
//! a URL, and no error names one.
//!
//! A host name in a server URL is resolved by the system resolver on the driver thread when a
//! new connection to it opens (an IP literal needs none): it blocks the driver while it runs.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Instant;

use janus_proto::{HttpMethod, HttpRequest, RequestId};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use crate::http_response::{Decoded, Response, ResponseDecoder};

/// Idle keep-alive connections kept for reuse.
const IDLE_CONNECTIONS: usize = 64;

pub(crate) type HttpResult = Result<(u16, String), String>;

/// The HTTP connections of one driver, each under its own poll token.
pub(crate) struct Http {
    tls: Arc<rustls::ClientConfig>,
    conns: HashMap<Token, Conn>,
    /// Tokens are handed out from here up, never reused while a connection holds one.
    next: usize,
    idle: usize,
}

/// One TCP connection (TLS over it for `https`), idle or carrying one exchange.
struct Conn {
    tcp: TcpStream,
    tls: Option<Box<rustls::ClientConnection>>,
    origin: Origin,
    /// The TCP handshake finished (a new socket connects in the background).
    connected: bool,
    exchange: Option<Exchange>,
}

/// A request on its connection, until its answer is read whole.
struct Exchange {
    id: RequestId,
    /// The request's bytes, kept to send it again on a new connection if this (reused)
    /// connection turns out closed.
    request: Arc<Vec<u8>>,
    /// What of `request` the socket has taken (plain connections; TLS buffers it at once).
    written: usize,
    decoder: ResponseDecoder,
    max_body: usize,
    deadline: Instant,
    reused: bool,
    /// Other addresses of the host, tried in turn while connecting fails.
    fallback: VecDeque<SocketAddr>,
}

/// How far an exchange got.
enum Progress {
    Waiting,
    /// The TCP connection could not be made (the next address of the host may do).
    Unconnected(String),
    /// The exchange ended; `reusable`: its connection may carry the next request.
    Done(HttpResult, bool),
    /// A reused connection was closed before any of the answer came: send it again.
    Stale,
}

impl Progress {
    fn fail(why: String) -> Self {
        Self::Done(Err(why), false)
    }
}

impl Http {
    /// `first_token`: the poll tokens from here up are this pool's.
    pub(crate) fn new(tls: Arc<rustls::ClientConfig>, first_token: usize) -> Self {
        Self {
            tls,
            conns: HashMap::new(),
            next: first_token,
            idle: 0,
        }
    }

    /// Starts `req` (at most `max_body` bytes of its answer are read: one over the core's
    /// limit, so that the core decides on what is too large); an outcome known at once
    /// (a bad URL, a refused connection) is returned.
    pub(crate) fn send(
        &mut self,
        registry: &Registry,
        base: &str,
        req: &HttpRequest,
        max_body: usize,
        now: Instant,
    ) -> Option<HttpResult> {
        let url = format!("{base}{}", req.path);
        let (origin, target) = match split(&url) {
            Ok(x) => x,
            Err(e) => return Some(Err(e)),
        };
        let request = Arc::new(encode(&origin, target, req));
        let exchange = Exchange {
            id: req.id,
            request,
            written: 0,
            decoder: ResponseDecoder::new(max_body),
            max_body,
            deadline: now + req.timeout,
            reused: true,
            fallback: VecDeque::new(),
        };
        let idle = self
            .conns
            .iter()
            .find(|(_, c)| c.exchange.is_none() && c.origin == origin)
            .map(|(t, _)| *t);
        match idle {
            Some(token) => {
                self.idle -= 1;
                self.start(registry, token, exchange)
            }
            None => self.open(registry, origin, exchange),
        }
    }

    /// A new connection for `exchange`.
    fn open(
        &mut self,
        registry: &Registry,
        origin: Origin,
        mut exchange: Exchange,
    ) -> Option<HttpResult> {
        exchange.reused = false;
        exchange.written = 0;
        exchange.decoder = ResponseDecoder::new(exchange.max_body);
        if exchange.fallback.is_empty() {
            match (origin.host.as_str(), origin.port).to_socket_addrs() {
                Ok(addrs) => exchange.fallback = addrs.collect(),
                Err(e) => return Some(Err(format!("resolve: {e}"))),
            }
        }
        let mut last = "no address".to_owned();
        while let Some(addr) = exchange.fallback.pop_front() {
            match self.connect(registry, &origin, addr) {
                Ok(token) => {
                    if let Some(c) = self.conns.get_mut(&token) {
                        c.exchange = Some(exchange);
                    }
                    return self.progress(registry, token);
                }
                Err(e) => last = e,
            }
        }
        Some(Err(last))
    }

    fn connect(
        &mut self,
        registry: &Registry,
        origin: &Origin,
        addr: SocketAddr,
    ) -> Result<Token, String> {
        let mut tcp = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
        // Small requests: don't wait for an ACK to send the next.
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let tls = if origin.tls {
            let name = rustls_pki_types::ServerName::try_from(origin.host.clone())
                .map_err(|e| format!("tls: {e}"))?;
            let conn = rustls::ClientConnection::new(Arc::clone(&self.tls), name)
                .map_err(|e| format!("tls: {e}"))?;
            Some(Box::new(conn))
        } else {
            None
        };
        let token = Token(self.next);
        self.next += 1;
        registry
            .register(&mut tcp, token, Interest::READABLE | Interest::WRITABLE)
            .map_err(|e| format!("connect: {e}"))?;
        self.conns.insert(
            token,
            Conn {
                tcp,
                tls,
                origin: origin.clone(),
                connected: false,
                exchange: None,
            },
        );
        Ok(token)
    }

    /// Puts `exchange` on the idle connection `token` and writes what it can.
    fn start(
        &mut self,
        registry: &Registry,
        token: Token,
        exchange: Exchange,
    ) -> Option<HttpResult> {
        if let Some(c) = self.conns.get_mut(&token) {
            c.exchange = Some(exchange);
        }
        self.progress(registry, token)
    }

    /// The poll said `token` is ready: the outcome of its exchange if it ended.
    pub(crate) fn ready(
        &mut self,
        registry: &Registry,
        token: Token,
    ) -> Option<(RequestId, HttpResult)> {
        let id = self.conns.get(&token)?.exchange.as_ref().map(|e| e.id);
        let Some(id) = id else {
            // An idle connection woke: the server closed it, or sent what nobody asked.
            self.check_idle(registry, token);
            return None;
        };
        self.progress(registry, token).map(|r| (id, r))
    }

    /// Drives the exchange on `token`; its outcome once it ended (the connection is then
    /// idle again, or closed).
    fn progress(&mut self, registry: &Registry, token: Token) -> Option<HttpResult> {
        let conn = self.conns.get_mut(&token)?;
        match conn.drive() {
            Progress::Waiting => None,
            Progress::Done(result, reusable) => {
                conn.exchange = None;
                if reusable && self.idle < IDLE_CONNECTIONS {
                    self.idle += 1;
                } else {
                    self.close(registry, token);
                }
                Some(result)
            }
            Progress::Unconnected(why) => {
                let origin = conn.origin.clone();
                let exchange = conn.exchange.take();
                self.close(registry, token);
                match exchange {
                    Some(ex) if !ex.fallback.is_empty() => self.open(registry, origin, ex),
                    _ => Some(Err(why)),
                }
            }
            Progress::Stale => {
                let origin = conn.origin.clone();
                let exchange = conn.exchange.take();
                self.close(registry, token);
                self.open(registry, origin, exchange?)
            }
        }
    }

    fn check_idle(&mut self, registry: &Registry, token: Token) {
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        let mut buf = [0u8; 512];
        let alive = match conn.tls.as_mut() {
            Some(tls) => match tls.read_tls(&mut conn.tcp) {
                Ok(0) => false,
                Ok(_) => tls
                    .process_new_packets()
                    .is_ok_and(|s| s.plaintext_bytes_to_read() == 0 && !s.peer_has_closed()),
                Err(e) => e.kind() == io::ErrorKind::WouldBlock,
            },
            None => match conn.tcp.read(&mut buf) {
                Err(e) => e.kind() == io::ErrorKind::WouldBlock,
                // Closed, or bytes nobody asked for: either way not reusable.
                Ok(_) => false,
            },
        };
        if !alive {
            self.idle -= 1;
            self.close(registry, token);
        }
    }

    /// Drops the exchange of request `id` (the core gave up on it) with its connection.
    pub(crate) fn cancel(&mut self, registry: &Registry, id: RequestId) {
        let token = self
            .conns
            .iter()
            .find(|(_, c)| c.exchange.as_ref().is_some_and(|e| e.id == id))
            .map(|(t, _)| *t);
        if let Some(token) = token {
            self.close(registry, token);
        }
    }

    /// The first deadline of the exchanges in flight.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.conns
            .values()
            .filter_map(|c| c.exchange.as_ref().map(|e| e.deadline))
            .min()
    }

    /// Ends the exchanges whose deadline passed: each fails "timed out".
    pub(crate) fn expire(
        &mut self,
        registry: &Registry,
        now: Instant,
    ) -> Vec<(RequestId, HttpResult)> {
        let late: Vec<(Token, RequestId)> = self
            .conns
            .iter()
            .filter_map(|(t, c)| {
                let e = c.exchange.as_ref()?;
                (e.deadline <= now).then_some((*t, e.id))
            })
            .collect();
        late.into_iter()
            .map(|(token, id)| {
                self.close(registry, token);
                (id, Err("timed out".to_owned()))
            })
            .collect()
    }

    fn close(&mut self, registry: &Registry, token: Token) {
        if let Some(mut conn) = self.conns.remove(&token) {
            let _ = registry.deregister(&mut conn.tcp);
        }
    }
}

impl Conn {
    /// Writes what the socket takes and reads what it has, until it would block or the
    /// answer is whole.
    fn drive(&mut self) -> Progress {
        if !self.connected {
            match self.tcp.take_error() {
                Ok(None) => {}
                Ok(Some(e)) | Err(e) => return Progress::Unconnected(format!("connect: {e}")),
            }
            match self.tcp.peer_addr() {
                Ok(_) => self.connected = true,
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return Progress::Waiting,
                Err(e) => return Progress::Unconnected(format!("connect: {e}")),
            }
        }
        let Some(ex) = self.exchange.as_mut() else {
            return Progress::Waiting;
        };
        match self.tls.as_mut() {
            Some(tls) => {
                if ex.written == 0 {
                    // rustls takes the request whole and sends it once its handshake is done.
                    if let Err(e) = tls.writer().write_all(&ex.request) {
                        return Progress::fail(format!("tls: {e}"));
                    }
                    ex.written = ex.request.len();
                }
                drive_tls(&mut self.tcp, tls, ex)
            }
            None => drive_plain(&mut self.tcp, ex),
        }
    }
}

/// A failed write or read: on a reused connection before any answer came, stale.
fn failed(ex: &Exchange, e: &io::Error) -> Progress {
    if ex.reused && !ex.decoder.started() {
        Progress::Stale
    } else {
        Progress::fail(e.to_string())
    }
}

fn drive_plain(tcp: &mut TcpStream, ex: &mut Exchange) -> Progress {
    while ex.written < ex.request.len() {
        match tcp.write(&ex.request[ex.written..]) {
            Ok(0) => return failed(ex, &io::ErrorKind::WriteZero.into()),
            Ok(n) => ex.written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::Waiting,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return failed(ex, &e),
        }
    }
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match tcp.read(&mut chunk) {
            Ok(0) => return end(ex),
            Ok(n) => {
                if let Some(p) = feed(ex, &chunk[..n]) {
                    return p;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::Waiting,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return failed(ex, &e),
        }
    }
}

fn drive_tls(
    tcp: &mut TcpStream,
    tls: &mut rustls::ClientConnection,
    ex: &mut Exchange,
) -> Progress {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        while tls.wants_write() {
            match tls.write_tls(tcp) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return failed(ex, &e),
            }
        }
        match tls.read_tls(tcp) {
            Ok(0) => {
                // The peer's close: what was decrypted before it still counts.
                if let Some(p) = read_plain(tls, ex, &mut chunk) {
                    return p;
                }
                return end(ex);
            }
            Ok(_) => {
                if let Err(e) = tls.process_new_packets() {
                    // rustls queued an alert for the peer: try to send it, then fail.
                    let _ = tls.write_tls(tcp);
                    return Progress::fail(format!("tls: {e}"));
                }
                if let Some(p) = read_plain(tls, ex, &mut chunk) {
                    return p;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::Waiting,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return failed(ex, &e),
        }
    }
}

/// Feeds the decrypted bytes rustls holds to the answer; `Some` once the exchange ended.
fn read_plain(
    tls: &mut rustls::ClientConnection,
    ex: &mut Exchange,
    chunk: &mut [u8],
) -> Option<Progress> {
    loop {
        match tls.reader().read(chunk) {
            Ok(0) => return Some(end(ex)),
            Ok(n) => {
                if let Some(p) = feed(ex, &chunk[..n]) {
                    return Some(p);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
            // The peer closed without close_notify.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Some(end(ex)),
            Err(e) => return Some(failed(ex, &e)),
        }
    }
}

fn feed(ex: &mut Exchange, bytes: &[u8]) -> Option<Progress> {
    match ex.decoder.feed(bytes) {
        Ok(Decoded::Done(answer)) => Some(answered(answer)),
        Ok(Decoded::NeedMore) => None,
        Err(e) => Some(Progress::fail(e.to_string())),
    }
}

/// The connection closed: the answer ends here (a body read until close), or it was stale.
fn end(ex: &mut Exchange) -> Progress {
    if ex.reused && !ex.decoder.started() {
        return Progress::Stale;
    }
    match ex.decoder.end() {
        Ok(answer) => answered(answer),
        Err(e) => Progress::fail(e.to_string()),
    }
}

/// A whole answer as the core takes it.
fn answered(answer: Response) -> Progress {
    let reusable = answer.reusable;
    let result = if answer.truncated {
        // Over the limit: the core fails it by its length, whatever the bytes.
        Ok((
            answer.status,
            String::from_utf8_lossy(&answer.body).into_owned(),
        ))
    } else {
        String::from_utf8(answer.body)
            .map(|body| (answer.status, body))
            .map_err(|e| format!("response body: {e}"))
    };
    Progress::Done(result, reusable)
}

/// The request's bytes: head, then the JSON body of a POST.
fn encode(origin: &Origin, target: &str, req: &HttpRequest) -> Vec<u8> {
    let method = match req.method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
    };
    let host = if origin.host.contains(':') {
        format!("[{}]:{}", origin.host, origin.port)
    } else {
        format!("{}:{}", origin.host, origin.port)
    };
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\n");
    match (req.method, &req.body) {
        (HttpMethod::Post, Some(body)) => head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        )),
        (HttpMethod::Post, None) => head.push_str("Content-Length: 0\r\n"),
        (HttpMethod::Get, _) => {}
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    if let Some(body) = &req.body {
        bytes.extend_from_slice(body.as_bytes());
    }
    bytes
}

/// Where a connection goes: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    tls: bool,
    host: String,
    port: u16,
}

/// `http[s]://host[:port]/prefix` + path: the origin and the request target.
fn split(url: &str) -> Result<(Origin, &str), String> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err("not an http or https URL".into());
    };
    let (authority, target) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (
            h,
            p.parse::<u16>().map_err(|_| "bad port in URL".to_owned())?,
        ),
        _ => (authority, if tls { 443 } else { 80 }),
    };
    if host.is_empty() {
        return Err("no host in URL".into());
    }
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    Ok((Origin { tls, host, port }, target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_origin_and_target() {
        let (o, t) = split("http://127.0.0.1:8088/janus/1?maxev=1").expect("splits");
        assert_eq!(
            o,
            Origin {
                tls: false,
                host: "127.0.0.1".into(),
                port: 8088
            }
        );
        assert_eq!(t, "/janus/1?maxev=1");
        let (o, t) = split("https://[::1]/janus").expect("splits");
        assert_eq!(
            o,
            Origin {
                tls: true,
                host: "::1".into(),
                port: 443
            }
        );
        assert_eq!(t, "/janus");
        let (o, t) = split("http://example.org").expect("splits");
        assert_eq!((o.port, t), (80, "/"));
        assert!(split("ws://x/").is_err());
        assert!(split("http://:80/").is_err());
        assert!(split("http://h:99999/").is_err());
    }
}
