//! The fake Janus: what Janus says, as JSON values built in one place.
//!
//! - Canned messages ([`server_info`], [`created`], [`attached`], [`ack`], [`echotest_event`],
//!   [`media`], [`batch_of_ten`], ...): the replies and events the scenario tests, the fuzz
//!   rig and the bench rig send, with the ids they are given.
//! - [`FakeJanus`]: a small stateful Janus for the proptest model. It keeps sessions and
//!   handles, remembers the requests it saw ([`Seen`]) and answers each one as Janus would
//!   ([`FakeJanus::natural`], several flavours per verb), or sends events of its own
//!   ([`FakeJanus::unsolicited`], numbered so that [`seq_of`] finds each delivered event).
//! - [`indented`]: Janus's default `json = "indented"` output, for byte-exact benches.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use janus_proto::{Event, RequestId, Trickle};
use serde::Serialize;
use serde_json::{Value, json};

/// The EchoTest's package name.
pub const ECHOTEST: &str = janus_proto::plugin::echotest::PLUGIN;

/// The `session-timeout` of [`server_info`], in seconds.
pub const SESSION_TIMEOUT: u64 = 60;

// ------------------------------------------------------------------ canned messages

/// The `server_info` answering an `info` (Janus 1.1.2, session timeout
/// [`SESSION_TIMEOUT`]).
pub fn server_info(tx: &str) -> Value {
    json!({"janus":"server_info","transaction":tx,"name":"Janus WebRTC Server","version":1102,
        "version_string":"1.1.2","session-timeout":SESSION_TIMEOUT})
}

/// The `success` answering a `create`: the new session's id.
pub fn created(tx: &str, session: u64) -> Value {
    json!({"janus":"success","transaction":tx,"data":{"id":session}})
}

/// The `success` answering an `attach`: the new handle's id.
pub fn attached(tx: &str, session: u64, handle: u64) -> Value {
    json!({"janus":"success","session_id":session,"transaction":tx,"data":{"id":handle}})
}

/// A bare `success` (claim, destroy, detach, hangup).
pub fn success(tx: &str, session: u64) -> Value {
    json!({"janus":"success","session_id":session,"transaction":tx})
}

/// An `ack` (keepalive, trickle, or a message whose `event` follows).
pub fn ack(tx: &str, session: u64) -> Value {
    json!({"janus":"ack","session_id":session,"transaction":tx})
}

/// The `pong` answering a `ping`.
pub fn pong(tx: &str) -> Value {
    json!({"janus":"pong","transaction":tx})
}

/// An `error` answering a request (`session_id` null when `session` is `None`).
pub fn error(tx: &str, session: Option<u64>, code: u16, reason: &str) -> Value {
    json!({"janus":"error","session_id":session,"transaction":tx,"error":{"code":code,"reason":reason}})
}

/// An `error` about a session, answering no request (on its long poll).
pub fn session_error(session: u64, code: u16, reason: &str) -> Value {
    json!({"janus":"error","session_id":session,"error":{"code":code,"reason":reason}})
}

/// The EchoTest's `plugindata`: `{"echotest":"event","result":"ok"}`.
pub fn echotest_data() -> Value {
    json!({"plugin":ECHOTEST,"data":{"echotest":"event","result":"ok"}})
}

/// The EchoTest's `event` completing the `message` of `tx`.
pub fn echotest_event(tx: &str, session: u64, handle: u64) -> Value {
    json!({"janus":"event","session_id":session,"sender":handle,"transaction":tx,
        "plugindata":echotest_data()})
}

/// A `media` event on the video mid `1`.
pub fn media(session: u64, handle: u64) -> Value {
    json!({"janus":"media","session_id":session,"sender":handle,"mid":"1","type":"video",
        "receiving":true})
}

/// A `webrtcup`.
pub fn webrtcup(session: u64, handle: u64) -> Value {
    json!({"janus":"webrtcup","session_id":session,"sender":handle})
}

/// A `detached`.
pub fn detached(session: u64, handle: u64) -> Value {
    json!({"janus":"detached","session_id":session,"sender":handle})
}

/// A `hangup` with this reason.
pub fn hangup(session: u64, handle: u64, reason: &str) -> Value {
    json!({"janus":"hangup","session_id":session,"sender":handle,"reason":reason})
}

/// The `keepalive` Janus answers an idle long poll with.
pub fn keepalive() -> Value {
    json!({"janus":"keepalive"})
}

/// A long-poll answer with `maxev=10`: ten events of a call's first seconds.
pub fn batch_of_ten(session: u64, handle: u64) -> Value {
    let (s, h) = (session, handle);
    let plugin = |n: u64| {
        json!({"janus":"event","session_id":s,"sender":h,
            "plugindata":{"plugin":ECHOTEST,"data":{"echotest":"event","result":"ok","n":n}}})
    };
    json!([
        webrtcup(s, h),
        {"janus":"media","session_id":s,"sender":h,"mid":"0","type":"audio","receiving":true},
        media(s, h),
        plugin(1),
        plugin(2),
        {"janus":"slowlink","session_id":s,"sender":h,"mid":"1","media":"video","uplink":false,"lost":7},
        plugin(3),
        {"janus":"media","session_id":s,"sender":h,"mid":"0","type":"audio","receiving":false,"seconds":1},
        plugin(4),
        keepalive()
    ])
}

/// Janus's `json = "indented"` output (jansson `JSON_INDENT(3)`).
///
/// # Panics
/// Never: a `Value` always serializes.
pub fn indented(v: &Value) -> String {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"   ");
    v.serialize(&mut serde_json::Serializer::with_formatter(&mut out, fmt))
        .expect("a Value serializes");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

// ------------------------------------------------------------------ a stateful Janus

/// Where a request came from, so that its answer goes back the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The WebSocket of this number (each connection opens a new one).
    Ws(u32),
    /// This HTTP request.
    Http(RequestId),
}

/// A request Janus saw and has not answered.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Its `transaction`.
    pub tx: String,
    /// Its `janus` verb.
    pub verb: String,
    /// The session it names (body or path).
    pub session: Option<u64>,
    /// The handle it names (body or path).
    pub handle: Option<u64>,
    /// It carries a JSEP offer.
    pub offer: bool,
    /// Where it came from.
    pub channel: Channel,
}

impl Seen {
    /// A request read from its JSON body, with the session and handle it names.
    ///
    /// # Panics
    /// When the body has no `transaction` or `janus` string (the client always sends both).
    pub fn from_body(
        body: &Value,
        session: Option<u64>,
        handle: Option<u64>,
        channel: Channel,
    ) -> Self {
        Self {
            tx: body["transaction"]
                .as_str()
                .expect("a request has a transaction")
                .to_owned(),
            verb: body["janus"]
                .as_str()
                .expect("a request has a verb")
                .to_owned(),
            session,
            handle,
            offer: body["jsep"]["type"] == "offer",
            channel,
        }
    }
}

/// Something Janus says: the answer to the request (on its channel), or an event that goes
/// out on its own (WebSocket) or with the session's next long poll (HTTP).
#[derive(Debug, Clone)]
pub enum Say {
    /// The answer to the request, on its channel.
    Reply(Value),
    /// An event of this session.
    Event(u64, Value),
}

/// A small Janus with sessions and handles, answering what it saw.
#[derive(Debug, Default)]
pub struct FakeJanus {
    next_id: u64,
    /// Live sessions and their handles.
    pub sessions: BTreeMap<u64, BTreeSet<u64>>,
    /// Every session ever created.
    pub ever: BTreeSet<u64>,
    /// The session of every handle ever attached.
    pub owner: BTreeMap<u64, u64>,
    /// Requests seen and not answered, oldest first.
    pub seen: Vec<Seen>,
    /// HTTP: events waiting for their session's long poll.
    pub queued: BTreeMap<u64, VecDeque<Value>>,
    /// Answers already given, to replay.
    pub said: VecDeque<Value>,
    /// Numbers the events Janus sends on its own, to see each delivered at most once.
    seq: u64,
}

impl FakeJanus {
    fn new_id(&mut self) -> u64 {
        // Sparse, like Janus's random ids, and never reused.
        self.next_id += 1;
        self.next_id * 1_000_003
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Its `server_info`: [`server_info`] plus a reclaim timeout and the EchoTest.
    pub fn server_info(tx: &str) -> Value {
        let mut v = server_info(tx);
        v["reclaim-session-timeout"] = json!(30);
        v["plugins"] = json!({ECHOTEST:{"name":"JANUS EchoTest plugin"}});
        v
    }

    /// Remembers an answer with a transaction, to replay it later (the last 16).
    pub fn remember(&mut self, v: &Value) {
        if v.get("transaction").is_some() {
            self.said.push_back(v.clone());
            if self.said.len() > 16 {
                self.said.pop_front();
            }
        }
    }

    /// Janus's answer to `r`. For a message, `variant` picks the flavour: ack then event,
    /// event then ack, a synchronous reply, an ack with no event ever, or a plugin error.
    /// For a detach: success then `detached`, the other way round, or success alone.
    pub fn natural(&mut self, r: &Seen, variant: u8) -> Vec<Say> {
        let tx = r.tx.as_str();
        let fail = |code: u16, reason: &str| vec![Say::Reply(error(tx, r.session, code, reason))];
        match r.verb.as_str() {
            "info" => return vec![Say::Reply(Self::server_info(tx))],
            "ping" => return vec![Say::Reply(pong(tx))],
            "create" => {
                let s = self.new_id();
                self.sessions.insert(s, BTreeSet::new());
                self.ever.insert(s);
                return vec![Say::Reply(created(tx, s))];
            }
            _ => {}
        }
        let Some(s) = r.session.filter(|s| self.sessions.contains_key(s)) else {
            return fail(458, "No such session");
        };
        match r.verb.as_str() {
            "claim" => return vec![Say::Reply(success(tx, s))],
            "keepalive" => return vec![Say::Reply(ack(tx, s))],
            "destroy" => {
                self.sessions.remove(&s);
                self.queued.remove(&s);
                return vec![Say::Reply(success(tx, s))];
            }
            "attach" => {
                let h = self.new_id();
                self.sessions.entry(s).or_default().insert(h);
                self.owner.insert(h, s);
                return vec![Say::Reply(attached(tx, s, h))];
            }
            _ => {}
        }
        let Some(h) = r
            .handle
            .filter(|h| self.sessions.get(&s).is_some_and(|hs| hs.contains(h)))
        else {
            return fail(459, "No such handle");
        };
        match r.verb.as_str() {
            "trickle" => vec![Say::Reply(ack(tx, s))],
            "hangup" => {
                let reason = format!("seq {}", self.next_seq());
                vec![
                    Say::Reply(success(tx, s)),
                    Say::Event(s, hangup(s, h, &reason)),
                ]
            }
            "detach" => {
                if let Some(hs) = self.sessions.get_mut(&s) {
                    hs.remove(&h);
                }
                let gone = Say::Event(s, detached(s, h));
                match variant % 3 {
                    0 => vec![Say::Reply(success(tx, s)), gone],
                    1 => vec![gone, Say::Reply(success(tx, s))],
                    _ => vec![Say::Reply(success(tx, s))],
                }
            }
            "message" => {
                let mut event = echotest_event(tx, s, h);
                if r.offer {
                    event["jsep"] = json!({"type":"answer","sdp":"v=0\r\n"});
                }
                match variant % 5 {
                    0 => vec![Say::Reply(ack(tx, s)), Say::Event(s, event)],
                    1 => vec![Say::Event(s, event), Say::Reply(ack(tx, s))],
                    2 if !r.offer => vec![Say::Reply(
                        json!({"janus":"success","session_id":s,"sender":h,"transaction":tx,"plugindata":echotest_data()}),
                    )],
                    3 => vec![Say::Reply(ack(tx, s))],
                    _ => {
                        event["plugindata"]["data"] =
                            json!({"echotest":"event","error_code":411,"error":"Invalid element"});
                        event.as_object_mut().map(|o| o.remove("jsep"));
                        vec![Say::Reply(ack(tx, s)), Say::Event(s, event)]
                    }
                }
            }
            _ => fail(453, "Unknown request"),
        }
    }

    /// An event Janus sends on its own about a handle (or the session), numbered by `seq`
    /// where the event has room for it; `kind` picks which (0..12).
    pub fn unsolicited(&mut self, s: u64, h: u64, kind: u8) -> Value {
        let seq = self.next_seq();
        let candidate = json!({"candidate":format!("candidate:{seq} 1 udp 1 192.0.2.9 9 typ host"),"sdpMid":"0","sdpMLineIndex":0});
        match kind {
            0 => webrtcup(s, h),
            1 => {
                json!({"janus":"media","session_id":s,"sender":h,"mid":"0","type":"audio","receiving":false,"seconds":seq})
            }
            2 => {
                json!({"janus":"slowlink","session_id":s,"sender":h,"mid":"1","media":"video","uplink":true,"lost":seq})
            }
            3 => hangup(s, h, &format!("seq {seq}")),
            4 => json!({"janus":"trickle","session_id":s,"sender":h,"candidate":candidate}),
            5 => {
                json!({"janus":"trickle","session_id":s,"sender":h,"candidate":{"completed":true}})
            }
            6 => json!({"janus":"event","session_id":s,"sender":h,
                "plugindata":{"plugin":ECHOTEST,"data":{"echotest":"event","seq":seq}}}),
            7 => json!({"janus":"event","session_id":s,"sender":h,
                "plugindata":{"plugin":ECHOTEST,"data":{"echotest":"event","seq":seq}},
                "jsep":{"type":"offer","sdp":"v=0\r\n"}}),
            8 => {
                if let Some(hs) = self.sessions.get_mut(&s) {
                    hs.remove(&h);
                }
                detached(s, h)
            }
            9 => json!({"janus":"ice-failed","session_id":s,"sender":h}),
            10 => {
                self.sessions.remove(&s);
                json!({"janus":"timeout","session_id":s})
            }
            _ => json!({"janus":"brand-new","session_id":s,"seq":seq}),
        }
    }
}

/// The number an event carries when Janus sent it on its own (see
/// [`FakeJanus::unsolicited`]).
pub fn seq_of(e: &Event) -> Option<u64> {
    match e {
        Event::Media { media, .. } => media.seconds,
        Event::SlowLink { link, .. } => Some(link.lost),
        Event::Hangup { reason, .. } => reason.as_deref()?.strip_prefix("seq ")?.parse().ok(),
        Event::Trickle {
            trickle: Trickle::Candidate(c),
            ..
        } => c
            .candidate
            .strip_prefix("candidate:")?
            .split(' ')
            .next()?
            .parse()
            .ok(),
        Event::PluginEvent { data, .. } => data.data.get("seq")?.as_u64(),
        Event::Unknown { raw, .. } => raw.get("seq")?.as_u64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use janus_proto::RequestId;
    use serde_json::json;

    use super::{Channel, FakeJanus, Say, Seen};

    fn seen(verb: &str, session: Option<u64>, handle: Option<u64>) -> Seen {
        let body = json!({"janus":verb,"transaction":"t"});
        Seen::from_body(&body, session, handle, Channel::Http(RequestId(1)))
    }

    #[test]
    fn the_fake_janus_creates_attaches_and_forgets() {
        let mut j = FakeJanus::default();
        let says = j.natural(&seen("create", None, None), 0);
        let [Say::Reply(created)] = &says[..] else {
            panic!("create answers once: {says:?}");
        };
        let s = created["data"]["id"].as_u64().unwrap();
        assert!(j.sessions.contains_key(&s) && j.ever.contains(&s));
        let says = j.natural(&seen("attach", Some(s), None), 0);
        let [Say::Reply(attached)] = &says[..] else {
            panic!("attach answers once: {says:?}");
        };
        let h = attached["data"]["id"].as_u64().unwrap();
        assert_eq!(j.owner.get(&h), Some(&s));
        // A message is acked, then its event goes out on the session.
        let says = j.natural(&seen("message", Some(s), Some(h)), 0);
        assert!(
            matches!(&says[..], [Say::Reply(a), Say::Event(e, _)] if a["janus"] == "ack" && *e == s),
            "{says:?}"
        );
        // A session Janus lost answers 458.
        j.natural(&seen("destroy", Some(s), None), 0);
        let says = j.natural(&seen("keepalive", Some(s), None), 0);
        assert!(
            matches!(&says[..], [Say::Reply(e)] if e["error"]["code"] == 458),
            "{says:?}"
        );
    }
}
