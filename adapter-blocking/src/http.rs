//! HTTP requests on worker threads (ureq), one request per thread at a time. The pool grows
//! when every worker is busy (a long poll may hold one for 30 s, so no fixed size fits) and
//! shrinks when workers stay idle; the core's bounded pending table bounds it.

use std::io::Read as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use janus_proto::{HttpMethod, HttpRequest};

use crate::driver::Wake;

/// A worker idle this long ends.
const IDLE_EXIT: Duration = Duration::from_secs(60);
/// Idle keep-alive connections kept for reuse.
const IDLE_CONNECTIONS: usize = 64;

pub(crate) type HttpResult = Result<(u16, String), String>;

/// The URL, the request, and how many bytes of the answer to read at most.
type Job = (String, HttpRequest, usize);

pub(crate) struct Http {
    agent: ureq::Agent,
    jobs: Sender<Job>,
    queue: Arc<Mutex<Receiver<Job>>>,
    /// Workers waiting for a job and not yet promised one.
    idle: Arc<AtomicUsize>,
    wake: crate::driver::WakeTx,
}

impl Http {
    pub(crate) fn new(tls: ureq::tls::TlsConfig, wake: crate::driver::WakeTx) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Keep a connection per request in flight: ureq's default (3 per host) made
            // every request beyond the third open a new TCP connection.
            .max_idle_connections(IDLE_CONNECTIONS)
            .max_idle_connections_per_host(IDLE_CONNECTIONS)
            .tls_config(tls)
            .build()
            .into();
        let (jobs, rx) = channel::<Job>();
        Self {
            agent,
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
                self.agent.clone(),
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
    agent: &ureq::Agent,
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

fn perform(agent: &ureq::Agent, url: &str, req: &HttpRequest, max_body: usize) -> HttpResult {
    let result = match (req.method, &req.body) {
        (HttpMethod::Post, Some(body)) => agent
            .post(url)
            .config()
            .timeout_global(Some(req.timeout))
            .build()
            .header("content-type", "application/json")
            .send(body.as_bytes()),
        (HttpMethod::Post, None) => agent
            .post(url)
            .config()
            .timeout_global(Some(req.timeout))
            .build()
            .send_empty(),
        (HttpMethod::Get, _) => agent
            .get(url)
            .config()
            .timeout_global(Some(req.timeout))
            .build()
            .call(),
    };
    // Errors are shown without the URL: a long-poll URL carries credentials.
    let mut resp = result.map_err(|e| redact(&e.to_string(), url))?;
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    resp.body_mut()
        .as_reader()
        .take(max_body as u64)
        .read_to_end(&mut body)
        .map_err(|e| redact(&e.to_string(), url))?;
    if body.len() >= max_body {
        // Over the limit: the core fails it by its length, whatever the bytes.
        return Ok((status, String::from_utf8_lossy(&body).into_owned()));
    }
    let body = String::from_utf8(body).map_err(|e| format!("response body: {e}"))?;
    Ok((status, body))
}

fn redact(text: &str, url: &str) -> String {
    let base = url.split('?').next().unwrap_or_default();
    text.replace(url, base)
}
