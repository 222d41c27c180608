//! What the plugin fixture recorders share (`record_streaming_fixtures`,
//! `record_textroom_fixtures`, `record_videocall_fixtures`, `record_recordplay_fixtures`,
//! `record_nosip_fixtures`, `record_voicemail_fixtures`, `record_sip_fixtures`): one
//! WebSocket session to a real Janus, plugin messages sent with a transaction each, and the
//! messages Janus sends back saved as files, exactly as received, under
//! `janus-proto/tests/fixtures/plugins/<plugin>/`.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::error::{HarnessError, Result};
use crate::http::WebSocket;
use crate::janus::Janus;

/// Where a plugin's fixtures go by default: `janus-proto/tests/fixtures/plugins/<name>`.
pub fn default_dir(plugin: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../janus-proto/tests/fixtures/plugins")
        .join(plugin)
}

fn bad(what: impl Into<String>) -> HarnessError {
    HarnessError::UnexpectedReply(what.into())
}

/// One message from Janus: parsed, and the text exactly as it came.
#[derive(Debug, Clone)]
pub struct Message {
    /// The JSON.
    pub value: Value,
    /// The text as received.
    pub text: String,
}

impl std::ops::Index<&str> for Message {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        &self.value[key]
    }
}

/// A Janus API session over one WebSocket that saves what it is told to save.
#[derive(Debug)]
pub struct Recorder {
    ws: WebSocket,
    out: PathBuf,
    /// Name prefix of every file written (e.g. `string-ids-`).
    pub prefix: String,
    session: u64,
    next_tx: u64,
    /// Messages read while waiting for something else, in arrival order.
    backlog: VecDeque<Message>,
    /// Files written, in order.
    pub written: Vec<PathBuf>,
}

impl Recorder {
    /// Opens a WebSocket to `janus` and creates a session; files go to `out`.
    pub fn new(janus: &Janus, out: PathBuf) -> Result<Self> {
        let ws = janus.http_client().websocket(&janus.ws_url())?;
        let mut r = Self {
            ws,
            out,
            prefix: String::new(),
            session: 0,
            next_tx: 0,
            backlog: VecDeque::new(),
            written: Vec::new(),
        };
        let tx = r.tx();
        let created = r.request(json!({"janus": "create", "transaction": tx}))?;
        r.session = created["data"]["id"]
            .as_u64()
            .ok_or_else(|| bad(format!("no session id in {}", created.text)))?;
        Ok(r)
    }

    fn tx(&mut self) -> String {
        self.next_tx += 1;
        format!("fixture-{}", self.next_tx)
    }

    /// Sends a core request (its `transaction` set) and returns the first reply to it that
    /// is not an `ack`.
    fn request(&mut self, request: Value) -> Result<Message> {
        let tx = request["transaction"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        self.ws.send_text(&request.to_string())?;
        self.wait(Duration::from_secs(10), |v| {
            v["transaction"] == tx.as_str() && v["janus"] != "ack"
        })
    }

    /// Attaches `plugin`; returns the handle id.
    pub fn attach(&mut self, plugin: &str) -> Result<u64> {
        let tx = self.tx();
        let reply = self.request(json!({"janus": "attach", "transaction": tx,
            "session_id": self.session, "plugin": plugin}))?;
        reply["data"]["id"]
            .as_u64()
            .ok_or_else(|| bad(format!("no handle id in {}", reply.text)))
    }

    /// Sends a `message` (with `jsep` if given) and returns Janus's answer: the `success`
    /// of a synchronous request, or the `event` that carries the transaction of an
    /// asynchronous one (the `ack` is skipped).
    pub fn message(&mut self, handle: u64, body: Value, jsep: Option<Value>) -> Result<Message> {
        let tx = self.tx();
        let mut m = json!({"janus": "message", "transaction": tx, "session_id": self.session,
            "handle_id": handle, "body": body});
        if let Some(jsep) = jsep {
            m["jsep"] = jsep;
        }
        self.request(m)
    }

    /// Sends `trickle` with these candidates (each the JSON Janus expects) and then
    /// `completed`.
    pub fn trickle(&mut self, handle: u64, candidates: Vec<Value>) -> Result<()> {
        for body in [
            json!({"candidates": candidates}),
            json!({"candidate": {"completed": true}}),
        ] {
            let tx = self.tx();
            let mut m = json!({"janus": "trickle", "transaction": tx,
                "session_id": self.session, "handle_id": handle});
            if let (Some(m), Value::Object(b)) = (m.as_object_mut(), body) {
                m.extend(b);
            }
            // Janus only acknowledges a trickle.
            self.ws.send_text(&m.to_string())?;
            self.wait(Duration::from_secs(10), |v| v["transaction"] == tx.as_str())?;
        }
        Ok(())
    }

    /// `hangup` on a handle.
    pub fn hangup(&mut self, handle: u64) -> Result<()> {
        let tx = self.tx();
        self.request(json!({"janus": "hangup", "transaction": tx,
            "session_id": self.session, "handle_id": handle}))
            .map(drop)
    }

    /// The next message (from the backlog first) that `pick` accepts, within `timeout`;
    /// the others stay in the backlog.
    pub fn wait(&mut self, timeout: Duration, pick: impl Fn(&Value) -> bool) -> Result<Message> {
        if let Some(at) = self.backlog.iter().position(|m| pick(&m.value)) {
            return self
                .backlog
                .remove(at)
                .ok_or_else(|| bad("backlog changed"));
        }
        let until = Instant::now() + timeout;
        while Instant::now() < until {
            let text = match self.ws.recv_text() {
                Ok(text) => text,
                Err(e) => return Err(bad(format!("{e}; unclaimed: {}", self.unclaimed()))),
            };
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| bad(format!("Janus sent non-JSON ({e}): {text}")))?;
            if pick(&value) {
                return Ok(Message { value, text });
            }
            if value["janus"] != "ack" && value["janus"] != "keepalive" {
                self.backlog.push_back(Message { value, text });
            }
        }
        Err(bad(format!(
            "timed out waiting for a message; unclaimed: {}",
            self.unclaimed()
        )))
    }

    fn unclaimed(&self) -> String {
        let seen: Vec<String> = self.backlog.iter().map(|m| m.value.to_string()).collect();
        seen.join("\n")
    }

    /// The next plugin `event` on `handle` without a transaction (an unsolicited one) that
    /// `pick` accepts for its `plugindata.data`.
    pub fn wait_event(
        &mut self,
        handle: u64,
        timeout: Duration,
        pick: impl Fn(&Value) -> bool,
    ) -> Result<Message> {
        self.wait(timeout, |v| {
            v["janus"] == "event" && v["sender"] == handle && pick(&v["plugindata"]["data"])
        })
    }

    /// The next message of kind `janus` (e.g. `webrtcup`, `hangup`) on `handle`.
    pub fn wait_core(&mut self, handle: u64, janus: &str, timeout: Duration) -> Result<Message> {
        self.wait(timeout, |v| v["janus"] == janus && v["sender"] == handle)
    }

    /// Saves a whole Janus message, as received, as `<prefix><name>.json`.
    pub fn save(&mut self, name: &str, message: &Message) -> Result<()> {
        self.save_text(name, &message.text)
    }

    /// Saves a text exactly as received (e.g. a data-channel message) as `<prefix><name>.json`,
    /// and prints the path (the recorders' output).
    #[allow(clippy::print_stdout)]
    pub fn save_text(&mut self, name: &str, text: &str) -> Result<()> {
        let path = self.out.join(format!("{}{name}.json", self.prefix));
        if self.written.contains(&path) {
            return Err(bad(format!("{} written twice", path.display())));
        }
        std::fs::create_dir_all(&self.out)
            .map_err(|e| HarnessError::io(format!("creating {}", self.out.display()), e))?;
        std::fs::write(&path, format!("{}\n", text.trim_end()))
            .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))?;
        println!("  {}", path.display());
        self.written.push(path);
        Ok(())
    }

    /// [`message`](Self::message), then saves the answer as `name`.
    pub fn record(&mut self, handle: u64, name: &str, body: Value) -> Result<Message> {
        let reply = self.message(handle, body, None)?;
        self.save(name, &reply)?;
        Ok(reply)
    }

    /// Destroys the session.
    pub fn destroy(&mut self) -> Result<()> {
        let tx = self.tx();
        self.request(json!({"janus": "destroy", "transaction": tx, "session_id": self.session}))
            .map(drop)
    }
}

/// The JSEP a message carries (a plugin's offer or answer), typed.
pub fn jsep_of(message: &Message) -> Result<janus_proto::Jsep> {
    serde_json::from_value(message.value["jsep"].clone())
        .map_err(|e| bad(format!("no JSEP ({e}) in {}", message.text)))
}

/// A JSEP of ours as the JSON of a `message`'s `jsep`.
pub fn jsep_value(jsep: &janus_proto::Jsep) -> Result<Value> {
    serde_json::to_value(jsep).map_err(|e| bad(format!("JSEP to JSON: {e}")))
}

/// The candidates a standalone connection gathered since last asked, as `trickle` JSON.
pub fn candidates(peer: &janus_blocking::Peer) -> Vec<Value> {
    peer.take_local_candidates()
        .iter()
        .map(janus_proto::Trickle::to_value)
        .collect()
}
