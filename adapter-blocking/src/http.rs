//! HTTP requests on worker threads, one request per thread at a time. The pool grows
//! when every worker is busy (a long poll may hold one for 30 s, so no fixed size fits) and
//! shrinks when workers stay idle; the core's bounded pending table bounds it.
//!
//! The HTTP/1.1 exchange itself is written here, on rustls and the sans-IO answer reader of
//! `http_response` (on `httparse`), with keep-alive connections per origin: the long-poll GET must carry the
//! `apisecret` and the token in its query (Janus's `janus_http.c` reads them from
//! `MHD_GET_ARGUMENT_KIND` only, no header or body), and ureq logs the whole request line
//! with its query at DEBUG when TRACE is on (`ureq::run`, `DebugUri`/`DebugRequest`), so a user
//! with `RUST_LOG=trace` got both secrets. No blocking client we know of keeps a URL out of
//! its logs; what Janus needs (one request, one answer: `Content-Length`, chunked, or until
//! close) is small. Nothing here logs a URL, and no error names one.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use janus_proto::{HttpMethod, HttpRequest};

use crate::driver::Wake;
use crate::http_response::{Decoded, ResponseDecoder};

/// A worker idle this long ends.
const IDLE_EXIT: Duration = Duration::from_secs(60);
/// Idle keep-alive connections kept for reuse.
const IDLE_CONNECTIONS: usize = 64;

pub(crate) type HttpResult = Result<(u16, String), String>;

/// The URL, the request, and how many bytes of the answer to read at most.
type Job = (String, HttpRequest, usize);

pub(crate) struct Http {
    agent: Arc<Agent>,
    jobs: Sender<Job>,
    queue: Arc<Mutex<Receiver<Job>>>,
    /// Workers waiting for a job and not yet promised one.
    idle: Arc<AtomicUsize>,
    wake: crate::driver::WakeTx,
}

impl Http {
    pub(crate) fn new(tls: Arc<rustls::ClientConfig>, wake: crate::driver::WakeTx) -> Self {
        let (jobs, rx) = channel::<Job>();
        Self {
            agent: Arc::new(Agent {
                tls,
                idle: Mutex::new(Vec::new()),
            }),
            jobs,
            queue: Arc::new(Mutex::new(rx)),
            idle: Arc::new(AtomicUsize::new(0)),
            wake,
        }
    }

    /// Performs `req` on a worker, reading at most `max_body` bytes of the answer (one over
    /// the core's limit: the core decides on what is too large).
    pub(crate) fn send(&self, base: &str, req: HttpRequest, max_body: usize) {
        let url = format!("{base}{}", req.path);
        let id = req.id;
        // Promise the job to an idle worker, or start one: a request never waits behind
        // another (a held long poll least of all).
        let promised = self
            .idle
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok();
        if !promised {
            let (agent, queue, idle, wake) = (
                Arc::clone(&self.agent),
                Arc::clone(&self.queue),
                Arc::clone(&self.idle),
                self.wake.clone(),
            );
            let spawned = thread::Builder::new()
                .name("janus-http".into())
                .spawn(move || worker(&agent, &queue, &idle, &wake));
            if let Err(e) = spawned {
                self.wake.send(Wake::Http(id, Err(e.to_string())));
                return;
            }
        }
        if self.jobs.send((url, req, max_body)).is_err() {
            self.wake
                .send(Wake::Http(id, Err("http workers gone".into())));
        }
    }
}

/// Serves jobs; each job was promised to some worker before it was queued.
fn worker(
    agent: &Agent,
    queue: &Mutex<Receiver<Job>>,
    idle: &AtomicUsize,
    wake: &crate::driver::WakeTx,
) {
    loop {
        let job = match queue.lock() {
            Ok(rx) => rx.recv_timeout(IDLE_EXIT),
            Err(_) => return,
        };
        match job {
            Ok((url, req, max_body)) => {
                let r = perform(agent, &url, &req, max_body);
                if !wake.send(Wake::Http(req.id, r)) {
                    return;
                }
                idle.fetch_add(1, Ordering::AcqRel);
            }
            Err(RecvTimeoutError::Timeout) => {
                // Retire, unless a job was just promised to us.
                if idle
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                    .is_ok()
                {
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Idle keep-alive connections, each with the origin it talks to.
pub(crate) struct Agent {
    tls: Arc<rustls::ClientConfig>,
    idle: Mutex<Vec<(Origin, Conn)>>,
}

impl Agent {
    fn take(&self, origin: &Origin) -> Option<Conn> {
        let mut idle = self.idle.lock().ok()?;
        let at = idle.iter().rposition(|(o, _)| o == origin)?;
        Some(idle.swap_remove(at).1)
    }

    fn give_back(&self, origin: Origin, conn: Conn) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < IDLE_CONNECTIONS {
                idle.push((origin, conn));
            }
        }
    }
}

/// Where a connection goes: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    tls: bool,
    host: String,
    port: u16,
}

enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(s) => s,
            Self::Tls(s) => s.get_ref(),
        }
    }

    /// Bounds the next reads and writes by what is left until `deadline`.
    fn until(&self, deadline: Instant) -> Result<(), Failure> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::Other("timed out".into()));
        }
        let tcp = self.tcp();
        tcp.set_read_timeout(Some(left))
            .and_then(|()| tcp.set_write_timeout(Some(left)))
            .map_err(|e| Failure::Other(e.to_string()))
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf),
            Self::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => s.write(buf),
            Self::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(s) => s.flush(),
            Self::Tls(s) => s.flush(),
        }
    }
}

/// Why an exchange failed: on a reused connection that the server had closed while idle
/// (nothing of the answer came), the request is sent again once on a new connection.
enum Failure {
    Stale,
    Other(String),
}

fn io_failure(e: &io::Error) -> Failure {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Failure::Other("timed out".into()),
        _ => Failure::Other(e.to_string()),
    }
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

fn connect(agent: &Agent, origin: &Origin, deadline: Instant) -> Result<Conn, String> {
    let addrs = (origin.host.as_str(), origin.port)
        .to_socket_addrs()
        .map_err(|e| format!("resolve: {e}"))?;
    let mut last = "no address".to_owned();
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("timed out".into());
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(tcp) => {
                // Small requests: don't wait for an ACK to send the next.
                tcp.set_nodelay(true).map_err(|e| e.to_string())?;
                if !origin.tls {
                    return Ok(Conn::Plain(tcp));
                }
                let name = rustls_pki_types::ServerName::try_from(origin.host.clone())
                    .map_err(|e| format!("tls: {e}"))?;
                let tls = rustls::ClientConnection::new(Arc::clone(&agent.tls), name)
                    .map_err(|e| format!("tls: {e}"))?;
                return Ok(Conn::Tls(Box::new(rustls::StreamOwned::new(tls, tcp))));
            }
            Err(e) => last = format!("connect: {e}"),
        }
    }
    Err(last)
}

fn perform(agent: &Agent, url: &str, req: &HttpRequest, max_body: usize) -> HttpResult {
    let deadline = Instant::now() + req.timeout;
    let (origin, target) = split(url)?;
    if let Some(conn) = agent.take(&origin) {
        match exchange(agent, &origin, conn, true, target, req, max_body, deadline) {
            Ok(answer) => return Ok(answer),
            Err(Failure::Other(why)) => return Err(why),
            Err(Failure::Stale) => {}
        }
    }
    let conn = connect(agent, &origin, deadline)?;
    match exchange(agent, &origin, conn, false, target, req, max_body, deadline) {
        Ok(answer) => Ok(answer),
        Err(Failure::Other(why)) => Err(why),
        Err(Failure::Stale) => Err("connection closed before the answer".into()),
    }
}

/// One request and its answer on `conn`, which goes back to the pool when both ends agree
/// to keep it and the answer was read whole.
#[allow(clippy::too_many_arguments)]
fn exchange(
    agent: &Agent,
    origin: &Origin,
    mut conn: Conn,
    reused: bool,
    target: &str,
    req: &HttpRequest,
    max_body: usize,
    deadline: Instant,
) -> Result<(u16, String), Failure> {
    let stale_or = |e: &io::Error| {
        if reused {
            Failure::Stale
        } else {
            io_failure(e)
        }
    };
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
    conn.until(deadline)?;
    conn.write_all(&bytes)
        .and_then(|()| conn.flush())
        .map_err(|e| stale_or(&e))?;

    let mut decoder = ResponseDecoder::new(max_body);
    let mut chunk = [0u8; 16 * 1024];
    let answer = loop {
        conn.until(deadline)?;
        match conn.read(&mut chunk) {
            Ok(0) if !decoder.started() && reused => return Err(Failure::Stale),
            Ok(0) => break decoder.end().map_err(|e| Failure::Other(e.to_string()))?,
            Ok(n) => match decoder.feed(&chunk[..n]) {
                Ok(Decoded::Done(answer)) => break answer,
                Ok(Decoded::NeedMore) => {}
                Err(e) => return Err(Failure::Other(e.to_string())),
            },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if !decoder.started() && reused && e.kind() != io::ErrorKind::WouldBlock => {
                return Err(Failure::Stale);
            }
            Err(e) => return Err(io_failure(&e)),
        }
    };
    if answer.reusable {
        agent.give_back(origin.clone(), conn);
    }
    if answer.truncated {
        // Over the limit: the core fails it by its length, whatever the bytes.
        return Ok((
            answer.status,
            String::from_utf8_lossy(&answer.body).into_owned(),
        ));
    }
    let body = String::from_utf8(answer.body)
        .map_err(|e| Failure::Other(format!("response body: {e}")))?;
    Ok((answer.status, body))
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
