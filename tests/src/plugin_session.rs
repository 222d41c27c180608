//! A Janus session over one WebSocket for driving a plugin by hand: requests by raw JSON,
//! the plugin's answer to each, and the events that arrive for other handles meanwhile.
//! The plugin fixture recorders (`record_videoroom_fixtures`, `record_audiobridge_fixtures`)
//! use it, together with [`FixtureWriter`].

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{HarnessError, HttpClient, Janus, Result, WebSocket};

/// One message from Janus: its text exactly as sent, and its JSON.
#[derive(Clone, Debug)]
pub struct Message {
    /// The text of the frame.
    pub text: String,
    /// The parsed JSON.
    pub json: Value,
}

/// A session on a Janus, over a WebSocket of its own.
#[derive(Debug)]
pub struct PluginSession {
    ws: WebSocket,
    session: u64,
    next_tx: u64,
    /// Messages that were not the answer being waited for, oldest first.
    queue: VecDeque<Message>,
}

fn bad(reason: String) -> HarnessError {
    HarnessError::Http {
        method: "WebSocket",
        url: "plugin session".into(),
        reason,
    }
}

impl PluginSession {
    /// Opens a WebSocket to `janus` and creates a session. Reads wait at most `read_timeout`
    /// (see [`PluginSession::event`]).
    pub fn open(janus: &Janus, read_timeout: Duration) -> Result<Self> {
        let ws = HttpClient::new()
            .with_timeout(read_timeout)
            .websocket(&janus.ws_url())?;
        let mut s = Self {
            ws,
            session: 0,
            next_tx: 0,
            queue: VecDeque::new(),
        };
        let created = s.core(json!({"janus": "create"}))?;
        s.session = created.json["data"]["id"]
            .as_u64()
            .ok_or_else(|| bad(format!("no session id in {}", created.text)))?;
        Ok(s)
    }

    /// The session id.
    pub fn id(&self) -> u64 {
        self.session
    }

    fn transaction(&mut self) -> String {
        self.next_tx += 1;
        format!("plugin-fixture-{}", self.next_tx)
    }

    fn recv(&mut self) -> Result<Message> {
        let text = self.ws.recv_text()?;
        let json = serde_json::from_str(&text).map_err(|e| bad(format!("{e}: {text}")))?;
        Ok(Message { text, json })
    }

    /// Sends a core request (the session id is added when there is one) and returns its
    /// reply (an `ack` is skipped).
    pub fn core(&mut self, mut request: Value) -> Result<Message> {
        let tx = self.transaction();
        request["transaction"] = tx.clone().into();
        if self.session != 0 && request.get("session_id").is_none() {
            request["session_id"] = self.session.into();
        }
        self.ws.send_text(&request.to_string())?;
        loop {
            let m = self.recv()?;
            if m.json["transaction"].as_str() == Some(tx.as_str()) && m.json["janus"] != "ack" {
                return Ok(m);
            }
            self.queue.push_back(m);
        }
    }

    /// Attaches a handle to `plugin`.
    pub fn attach(&mut self, plugin: &str) -> Result<u64> {
        let reply = self.core(json!({"janus": "attach", "plugin": plugin}))?;
        reply.json["data"]["id"]
            .as_u64()
            .ok_or_else(|| bad(format!("attach failed: {}", reply.text)))
    }

    /// Sends `body` (and `jsep`) to the plugin on `handle` and returns the plugin's answer:
    /// the `success` of a synchronous request, the `event` of an asynchronous one (its
    /// `ack` skipped), or the core's `error`.
    pub fn message(&mut self, handle: u64, body: Value, jsep: Option<Value>) -> Result<Message> {
        let mut request = json!({"janus": "message", "handle_id": handle, "body": body});
        if let Some(jsep) = jsep {
            request["jsep"] = jsep;
        }
        self.core(request)
    }

    /// The next message for `handle` that `wanted` accepts, from those already received
    /// or the ones to come; `None` when none came within `within` (or a read timed out).
    pub fn event(
        &mut self,
        handle: u64,
        within: Duration,
        wanted: impl Fn(&Value) -> bool,
    ) -> Result<Option<Message>> {
        let fits = |m: &Message| m.json["sender"] == handle && wanted(&m.json);
        if let Some(i) = self.queue.iter().position(fits) {
            return Ok(self.queue.remove(i));
        }
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            let Ok(m) = self.recv() else {
                return Ok(None); // read timeout: nothing more is coming
            };
            if fits(&m) {
                return Ok(Some(m));
            }
            self.queue.push_back(m);
        }
        Ok(None)
    }

    /// Forgets the messages received so far that nobody asked for.
    pub fn clear(&mut self) {
        self.queue.clear();
    }

    /// Sends a keepalive (for runs longer than the session timeout).
    pub fn keepalive(&mut self) -> Result<()> {
        self.core(json!({"janus": "keepalive"})).map(drop)
    }
}

/// Writes fixtures as `<dir>/<name>.json`, each the text of one message exactly as Janus
/// sent it, and refuses to write one name twice in a run.
#[derive(Debug)]
pub struct FixtureWriter {
    dir: PathBuf,
    written: BTreeMap<String, PathBuf>,
}

impl FixtureWriter {
    /// Writes into `dir` (created if needed).
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)
            .map_err(|e| HarnessError::io(format!("creating {}", dir.display()), e))?;
        Ok(Self {
            dir,
            written: BTreeMap::new(),
        })
    }

    /// Saves `message` as `<name>.json` and returns its JSON.
    pub fn save(&mut self, name: &str, message: &Message) -> Result<Value> {
        if self.written.contains_key(name) {
            return Err(bad(format!("fixture {name} written twice")));
        }
        let path = self.dir.join(format!("{name}.json"));
        std::fs::write(&path, &message.text)
            .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))?;
        eprintln!("  {}", path.display());
        self.written.insert(name.to_owned(), path);
        Ok(message.json.clone())
    }

    /// Saves `message` when there is one, and says so when there is not.
    pub fn save_if(&mut self, name: &str, message: Option<Message>) -> Result<Option<Value>> {
        match message {
            Some(m) => self.save(name, &m).map(Some),
            None => {
                eprintln!("  ({name}: no such message came)");
                Ok(None)
            }
        }
    }

    /// How many fixtures were written.
    pub fn count(&self) -> usize {
        self.written.len()
    }
}
