//! Where offer -> `webrtcup` goes: the steps of one EchoTest call read from the tracing
//! events of str0m (its ICE agent, DTLS and SCTP), janus-proto (the offer sent) and the
//! WebSocket (Janus's `webrtcup` received), captured while that call alone runs.
//!
//! [`capture`] installs the process's tracing subscriber (once: it can only be set once),
//! which writes every event of those targets, with the time since it was installed, into a
//! buffer; [`steps`] reads the first occurrence of each step after the offer.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Map, Value};
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The captured log text.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// Forgets what was captured so far.
    pub fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

/// Installs the capturing subscriber (and the `log` bridge, for the WebSocket's records);
/// `None` when a subscriber is already installed.
pub fn capture() -> Option<Capture> {
    let capture = Capture::default();
    let writer = capture.clone();
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_timer(tracing_subscriber::fmt::time::Uptime::default())
        .with_writer(move || writer.clone())
        .with_filter(filter_fn(|m| {
            let (t, level) = (m.target(), *m.level());
            t.starts_with("is::")
                || t == "janus_proto::client::request"
                || t == "tungstenite::protocol"
                || (t.starts_with("dimpl") && level <= tracing::Level::DEBUG)
                || (t.starts_with("str0m")
                    && !t.starts_with("str0m::streams")
                    && !t.starts_with("str0m::media")
                    && level <= tracing::Level::DEBUG)
        }));
    tracing_subscriber::registry().with(layer).try_init().ok()?;
    Some(capture)
}

/// The steps, in order: (name, what marks it in the log, what the note calls it).
const STEPS: [(&str, &str); 10] = [
    ("answer_applied", "Accept answer"),
    ("first_binding_out", "Send STUN request"),
    ("binding_success", "Recorded binding response"),
    ("nominated", "Nomination success"),
    ("janus_binding_in", "Recorded binding request"),
    ("dtls_server_hello", "Begin flight 4"),
    ("dtls_done", "Handshake complete"),
    ("connected", "str0m: Connected"),
    ("sctp_up", "=> Established"),
    ("channel_open", "str0m: ChannelOpen("),
];

/// The ms after the offer was sent of each step of the captured call (the first occurrence
/// after the offer; a step not seen is left out), with `webrtcup` (Janus's message
/// received on the WebSocket).
pub fn steps(capture: &Capture) -> Map<String, Value> {
    let text = capture.text();
    let mut offer = None;
    let mut out = Map::new();
    let mut at = 0.0;
    for line in text.lines() {
        // A record starts with the seconds since the subscriber was installed: "  1.23s ...".
        let head = line.trim_start();
        if let Some((secs, rest)) = head.split_once("s ") {
            if let Ok(s) = secs.parse::<f64>() {
                at = s * 1e3;
                if offer.is_none() {
                    if rest.contains("janus_proto::client::request")
                        && rest.contains("send")
                        && rest.contains("verb=\"message\"")
                    {
                        offer = Some(at);
                    }
                    continue;
                }
                for (name, mark) in STEPS {
                    if !out.contains_key(name) && rest.contains(mark) {
                        out.insert(name.into(), round(at - offer.unwrap_or(at)));
                    }
                }
                continue;
            }
        }
        // The JSON of a received message, on the lines after its record's first.
        if let Some(o) = offer {
            if !out.contains_key("webrtcup") && line.contains("\"webrtcup\"") {
                out.insert("webrtcup".into(), round(at - o));
            }
        }
    }
    out
}

fn round(ms: f64) -> Value {
    Value::from((ms * 100.0).round() / 100.0)
}
