//! Records what a real Janus sends, as golden fixtures for `janus-proto`'s parser tests.
//!
//! `cargo xtask netns -- cargo run -p janus-tests --bin record_fixtures [OUT_DIR]`
//! (default OUT_DIR: janus-proto/tests/fixtures). Each file holds one message exactly as Janus
//! sent it, in `<janus verb>/<scenario>.json` (`longpoll/` holds whole long-poll bodies).
//! Takes about 40 s: the last fixture waits out Janus's 30 s long-poll hold.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use janus_tests::{HttpClient, Janus, WebSocket};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

struct Recorder {
    out: PathBuf,
    written: BTreeMap<String, usize>,
    /// Files written by this run (older ones are overwritten, this run's are not).
    session_files: std::collections::BTreeSet<PathBuf>,
}

impl Recorder {
    fn save(&mut self, dir: &str, name: &str, text: &str) -> Result<()> {
        // A second message of the same kind in one scenario gets its own file.
        let mut path = self.out.join(dir).join(format!("{name}.json"));
        let mut k = 2;
        while path.exists() && self.session_files.contains(&path) {
            path = self.out.join(dir).join(format!("{name}-{k}.json"));
            k += 1;
        }
        self.session_files.insert(path.clone());
        std::fs::create_dir_all(path.parent().ok_or("no parent")?)?;
        std::fs::write(&path, text)?;
        *self.written.entry(dir.to_owned()).or_default() += 1;
        println!("  {dir}/{name}.json");
        Ok(())
    }

    /// Sends a request, then saves messages until `replies` carrying its transaction and
    /// `untagged` carrying none (e.g. `detached`) have come. Each is saved under
    /// `<janus>/<name>`; a late message of an earlier request under that request's name.
    fn exchange(
        &mut self,
        ws: &mut WebSocket,
        request: Value,
        name: &str,
        replies: usize,
        untagged: usize,
    ) -> Result<Vec<Value>> {
        ws.send_text(&request.to_string())?;
        let mine = request["transaction"]
            .as_str()
            .ok_or("request without transaction")?
            .to_owned();
        let (mut got, mut loose) = (Vec::new(), 0);
        while got.len() < replies || loose < untagged {
            let text = ws.recv_text()?;
            let v: Value = serde_json::from_str(&text)?;
            let verb = v["janus"]
                .as_str()
                .ok_or("message without janus")?
                .to_owned();
            match v["transaction"].as_str() {
                Some(t) if t == mine => {
                    self.save(&verb, name, &text)?;
                    got.push(v);
                }
                Some(other) => {
                    let earlier = other.trim_start_matches("fixture-").to_owned();
                    self.save(&verb, &format!("{earlier}-late"), &text)?;
                }
                None => {
                    self.save(&verb, name, &text)?;
                    loose += 1;
                }
            }
        }
        Ok(got)
    }
}

fn id(v: &Value) -> Result<u64> {
    v["data"]["id"]
        .as_u64()
        .ok_or_else(|| format!("no data.id in {v}").into())
}

fn tx(n: &str) -> String {
    format!("fixture-{n}")
}

fn main() -> ExitCode {
    let out = std::env::args().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../janus-proto/tests/fixtures"),
        PathBuf::from,
    );
    match record(out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("recording failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn record(out: PathBuf) -> Result<()> {
    let janus = Janus::builder()
        .session_timeout(4)
        .reclaim_session_timeout(10)
        .launch()?;
    let http = HttpClient::new().with_timeout(Duration::from_secs(40));
    let mut r = Recorder {
        out,
        written: BTreeMap::new(),
        session_files: std::collections::BTreeSet::new(),
    };
    println!(
        "recording from Janus at {} into {}",
        janus.ws_url(),
        r.out.display()
    );

    let mut ws = http.websocket(&janus.ws_url())?;
    r.exchange(
        &mut ws,
        json!({"janus":"info","transaction":tx("info")}),
        "info",
        1,
        0,
    )?;
    r.exchange(
        &mut ws,
        json!({"janus":"ping","transaction":tx("ping")}),
        "ping",
        1,
        0,
    )?;
    let s = id(&r.exchange(
        &mut ws,
        json!({"janus":"create","transaction":tx("create")}),
        "create",
        1,
        0,
    )?[0])?;
    let base =
        |verb: &str, name: &str| json!({"janus": verb, "transaction": tx(name), "session_id": s});
    let mut attach = base("attach", "attach");
    attach["plugin"] = "janus.plugin.echotest".into();
    attach["opaque_id"] = "fixture-opaque".into();
    let h = id(&r.exchange(&mut ws, attach, "attach", 1, 0)?[0])?;
    let on = |verb: &str, name: &str| {
        let mut v = base(verb, name);
        v["handle_id"] = h.into();
        v
    };

    let mut nope = base("attach", "nope");
    nope["plugin"] = "janus.plugin.nope".into();
    r.exchange(&mut ws, nope, "plugin-not-found", 1, 0)?;

    let mut msg = on("message", "echotest");
    msg["body"] = json!({"audio": true, "video": true, "bitrate": 256_000});
    r.exchange(&mut ws, msg, "echotest-message", 2, 0)?; // ack and event, in either order

    let mut vr = base("attach", "videoroom");
    vr["plugin"] = "janus.plugin.videoroom".into();
    let v = id(&r.exchange(&mut ws, vr, "attach-videoroom", 1, 0)?[0])?;
    let mut list = base("message", "list");
    list["handle_id"] = v.into();
    list["body"] = json!({"request": "list"});
    r.exchange(&mut ws, list, "videoroom-list", 1, 0)?;
    let mut join = base("message", "join");
    join["handle_id"] = v.into();
    join["body"] = json!({"request": "join", "room": 999_999, "ptype": "publisher"});
    r.exchange(&mut ws, join, "videoroom-no-such-room", 2, 0)?;

    r.exchange(&mut ws, base("keepalive", "keepalive"), "keepalive", 1, 0)?;
    let mut trickle = on("trickle", "trickle");
    trickle["candidate"] = json!({"completed": true});
    r.exchange(&mut ws, trickle, "trickle-completed", 1, 0)?;
    r.exchange(
        &mut ws,
        json!({"janus":"bogus","transaction":tx("bogus")}),
        "unknown-request",
        1,
        0,
    )?;
    r.exchange(
        &mut ws,
        json!({"janus":"claim","transaction":tx("claim-none"),"session_id":1}),
        "session-not-found",
        1,
        0,
    )?;
    let mut jsep = on("message", "bad-jsep");
    jsep["body"] = json!({});
    jsep["jsep"] = json!({"type": "bogus", "sdp": "v=0"});
    r.exchange(&mut ws, jsep, "jsep-unknown-type", 1, 0)?;
    r.exchange(&mut ws, on("hangup", "hangup"), "hangup-without-peer", 1, 0)?;
    // (The EchoTest's "done" event came with the hangup.)
    r.exchange(&mut ws, on("detach", "detach"), "detach", 1, 1)?;
    r.exchange(&mut ws, base("destroy", "destroy"), "destroy", 1, 0)?;

    // Claim: a session made on one WebSocket, taken over from another.
    let mut first = http.websocket(&janus.ws_url())?;
    let orphan = id(&first.request(&json!({"janus":"create","transaction":tx("orphan")}))?)?;
    drop(first);
    std::thread::sleep(Duration::from_millis(200));
    r.exchange(
        &mut ws,
        json!({"janus":"claim","transaction":tx("claim"),"session_id":orphan}),
        "claim",
        1,
        0,
    )?;

    // The server's timeout: a session nobody keeps alive.
    let idle = id(&ws.request(&json!({"janus":"create","transaction":tx("idle")}))?)?;
    let started = Instant::now();
    loop {
        let text = ws.recv_text()?;
        let v: Value = serde_json::from_str(&text)?;
        if v["janus"] == "timeout" && v["session_id"] == idle {
            r.save("timeout", "session", &text)?;
            break;
        }
        if started.elapsed() > Duration::from_secs(20) {
            return Err("no timeout event".into());
        }
    }

    // A long-polled session still times out when the session timeout is shorter than the
    // 30 s hold of a GET: the GET returns the `timeout`.
    let api = janus.http_url();
    let polled = http.post_json(&api, &json!({"janus":"create","transaction":tx("polled")}))?;
    let polled = id(&serde_json::from_str(&polled.body)?)?;
    let held = http.get(&format!("{api}/{polled}?maxev=1&rid=0"))?;
    r.save("longpoll", "session-timeout-during-hold", &held.body)?;

    // HTTP with the default 60 s session timeout: POST replies, and long-poll bodies (an
    // array with maxev > 1, an object with 1).
    drop(janus);
    let janus = Janus::launch()?;
    let api = janus.http_url();
    let post = |path: &str, body: Value| http.post_json(&format!("{api}{path}"), &body);
    let created = post(
        "",
        json!({"janus":"create","transaction":tx("http-create")}),
    )?;
    r.save("success", "http-create", &created.body)?;
    let hs: u64 = id(&serde_json::from_str(&created.body)?)?;
    let attached = post(
        &format!("/{hs}"),
        json!({"janus":"attach","transaction":tx("http-attach"),"plugin":"janus.plugin.echotest"}),
    )?;
    let hh = id(&serde_json::from_str(&attached.body)?)?;
    for n in 0..3 {
        let acked = post(
            &format!("/{hs}/{hh}"),
            json!({"janus":"message","transaction":tx(&format!("http-msg-{n}")),"body":{"bitrate": 1000 * (n + 1)}}),
        )?;
        if n == 0 {
            r.save("ack", "http-message", &acked.body)?;
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    let batch = http.get(&format!("{api}/{hs}?maxev=5&rid=1"))?;
    r.save("longpoll", "batch-of-three-events", &batch.body)?;
    let gone = http.get(&format!("{api}/1?maxev=1&rid=2"))?;
    r.save(
        "longpoll",
        &format!("unknown-session-http-{}", gone.status),
        &gone.body,
    )?;
    println!("  (waiting out the 30 s long-poll hold)");
    let idle_poll = http.get(&format!("{api}/{hs}?maxev=1&rid=3"))?;
    r.save("longpoll", "idle-keepalive", &idle_poll.body)?;

    drop(janus);
    record_webrtc(&mut r, &http)?;

    println!("done: {:?}", r.written);
    Ok(())
}

/// The events of a real PeerConnection with the EchoTest (`janus-rtc` through
/// `janus-blocking`'s `Peer`), with full trickle so that Janus trickles too: the offer's
/// ack and answer, `trickle`, `webrtcup`, `media` (receiving, then stopped), and the
/// `hangup` with the EchoTest's `done`. (No `slowlink`: loopback loses nothing.)
fn record_webrtc(r: &mut Recorder, http: &HttpClient) -> Result<()> {
    use janus_blocking::Peer;
    use janus_blocking::rtc::{PeerConfig, Track, TrackKind};
    use janus_tests::media::{OPUS_TICKS, VP8_TICKS, opus_frame, vp8_frame};

    let janus = Janus::builder().full_trickle(true).launch()?;
    let mut ws = http.websocket(&janus.ws_url())?;
    let s = id(&ws.request(&json!({"janus":"create","transaction":tx("rtc-create")}))?)?;
    let h = id(
        &ws.request(&json!({"janus":"attach","transaction":tx("rtc-attach"),
        "session_id":s,"plugin":"janus.plugin.echotest"}))?,
    )?;
    let on = |verb: &str, name: &str| json!({"janus":verb,"transaction":tx(name),"session_id":s,"handle_id":h});
    let peer = Peer::bind(PeerConfig::default(), janus.media_ip().into(), 1024)?;
    let offer = peer.create_offer(
        &[Track::audio(), Track::video(), Track::data("fixtures")],
        false,
    )?;
    let mut message = on("message", "rtc-offer");
    message["body"] = json!({"audio": true, "video": true, "data": true});
    message["jsep"] = serde_json::to_value(&offer)?;
    let replies = r.exchange(&mut ws, message, "offer-answered", 2, 0)?;
    let answer = replies
        .iter()
        .find(|v| v.get("jsep").is_some())
        .ok_or("no answer")?;
    peer.handle_remote_jsep(&serde_json::from_value(answer["jsep"].clone())?)?;
    let candidates: Vec<Value> = peer
        .take_local_candidates()
        .iter()
        .map(janus_proto::Trickle::to_value)
        .collect();
    let mut trickle = on("trickle", "rtc-trickle");
    trickle["candidates"] = Value::Array(candidates);
    r.exchange(&mut ws, trickle, "candidates", 1, 0)?;

    let tracks = peer.call(|pc, _| pc.local_tracks())?;
    let mid = |k| {
        tracks
            .iter()
            .find(|t| t.kind == k)
            .map(|t| t.mid.clone())
            .ok_or("no track")
    };
    let (audio, video) = (mid(TrackKind::Audio)?, mid(TrackKind::Video)?);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let sending = std::sync::atomic::AtomicBool::new(true);
    std::thread::scope(|scope| -> Result<()> {
        scope.spawn(|| {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if sending.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = peer.write_frame(&audio, u64::from(n) * OPUS_TICKS, &opus_frame(n, 80));
                    let _ = peer.write_frame(
                        &video,
                        u64::from(n) * VP8_TICKS,
                        &vp8_frame(n, n % 30 == 0, 800),
                    );
                }
                n += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        // Until Janus has said webrtcup and that it receives both mids, then that it
        // stopped receiving once the frames stop.
        let (mut up, mut receiving, mut stopped) = (false, 0, 0);
        let started = Instant::now();
        let result = (|| -> Result<()> {
            while !(up && receiving >= 2 && stopped >= 1) {
                if started.elapsed() > Duration::from_secs(20) {
                    return Err("no webrtcup/media events".into());
                }
                let text = ws.recv_text()?;
                let v: Value = serde_json::from_str(&text)?;
                match v["janus"].as_str() {
                    Some("webrtcup") if !up => {
                        up = true;
                        r.save("webrtcup", "echotest", &text)?;
                    }
                    Some("media") if v["receiving"] == true && receiving < 2 => {
                        receiving += 1;
                        let kind = v["type"].as_str().unwrap_or("unknown");
                        r.save("media", &format!("{kind}-receiving"), &text)?;
                        if receiving == 2 {
                            sending.store(false, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    Some("media") if v["receiving"] == false && stopped < 1 => {
                        stopped += 1;
                        let kind = v["type"].as_str().unwrap_or("unknown");
                        r.save("media", &format!("{kind}-stopped"), &text)?;
                    }
                    Some("trickle") => r.save("trickle", "from-janus", &text)?,
                    _ => {}
                }
            }
            Ok(())
        })();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        result
    })?;
    r.exchange(&mut ws, on("hangup", "rtc-hangup"), "after-webrtc", 1, 0)?;
    // Then, in some order: Janus's `hangup`, the EchoTest's `done`, a late `media`.
    loop {
        let text = ws.recv_text()?;
        let v: Value = serde_json::from_str(&text)?;
        let verb = v["janus"]
            .as_str()
            .ok_or("message without janus")?
            .to_owned();
        r.save(&verb, "after-webrtc", &text)?;
        if verb == "hangup" {
            return Ok(());
        }
    }
}
