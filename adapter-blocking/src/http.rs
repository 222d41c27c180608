//! HTTP requests on worker threads (ureq). Plain requests share a small pool; each long
//! poll gets its own thread, since it may hang for 30 s.

use std::io::Read as _;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;

use janus_proto::{HttpMethod, HttpRequest, RequestId};

use crate::driver::Wake;

/// How many plain requests may be in flight at once per client.
const POOL: usize = 8;
/// Largest HTTP body accepted (a long-poll batch of big SDPs fits easily).
const MAX_BODY: u64 = 16 << 20;

pub(crate) type HttpResult = Result<(u16, String), String>;

pub(crate) struct Http {
    agent: ureq::Agent,
    jobs: Sender<(String, HttpRequest)>,
    wake: crate::driver::WakeTx,
}

impl Http {
    pub(crate) fn new(tls: ureq::tls::TlsConfig, wake: crate::driver::WakeTx) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(tls)
            .build()
            .into();
        let (jobs, rx) = channel::<(String, HttpRequest)>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..POOL {
            let (agent, rx, wake) = (agent.clone(), Arc::clone(&rx), wake.clone());
            let _ = thread::Builder::new()
                .name(format!("janus-http-{i}"))
                .spawn(move || worker(&agent, &rx, &wake));
        }
        Self { agent, jobs, wake }
    }

    pub(crate) fn send(&self, base: &str, req: HttpRequest) {
        let url = format!("{base}{}", req.path);
        if req.method == HttpMethod::Get {
            let (agent, wake) = (self.agent.clone(), self.wake.clone());
            let spawned = thread::Builder::new()
                .name("janus-longpoll".into())
                .spawn(move || {
                    let id = req.id;
                    let r = perform(&agent, &url, &req);
                    wake.send(Wake::Http(id, r));
                });
            if let Err(e) = spawned {
                self.wake.send(Wake::Http(RequestId(0), Err(e.to_string())));
            }
        } else if let Err(std::sync::mpsc::SendError((_, req))) = self.jobs.send((url, req)) {
            self.wake
                .send(Wake::Http(req.id, Err("http workers gone".into())));
        }
    }
}

fn worker(
    agent: &ureq::Agent,
    rx: &Mutex<Receiver<(String, HttpRequest)>>,
    wake: &crate::driver::WakeTx,
) {
    loop {
        let job = match rx.lock() {
            Ok(guard) => guard.recv(),
            Err(_) => return,
        };
        let Ok((url, req)) = job else { return };
        let r = perform(agent, &url, &req);
        if !wake.send(Wake::Http(req.id, r)) {
            return;
        }
    }
}

fn perform(agent: &ureq::Agent, url: &str, req: &HttpRequest) -> HttpResult {
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
    let mut body = String::new();
    resp.body_mut()
        .as_reader()
        .take(MAX_BODY)
        .read_to_string(&mut body)
        .map_err(|e| redact(&e.to_string(), url))?;
    Ok((status, body))
}

fn redact(text: &str, url: &str) -> String {
    let base = url.split('?').next().unwrap_or_default();
    text.replace(url, base)
}
