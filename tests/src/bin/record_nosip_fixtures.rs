//! Records what a real NoSIP plugin says, as golden fixtures for
//! `janus-proto/tests/plugin_nosip.rs`.
//!
//! `cargo xtask netns -- cargo run -p janus-tests --bin record_nosip_fixtures [OUT_DIR]`
//! (Janus 1.4.1: `env JANUS_BINARY="$(cargo xtask janus-1.4)"` before `cargo run`). Writes
//! `OUT_DIR/<janus version>/<name>.json` (default OUT_DIR:
//! janus-proto/tests/fixtures/plugins/nosip), each one whole Janus message as received.
//! Every request is built with `janus_proto::plugin::nosip`'s types. A real PeerConnection
//! (`janus-blocking`'s `Peer`) calls a plain-RTP peer of the recorder's own sockets
//! (`generated` offer, `processed` answer), then `recording`, `keyframe`, the RTP
//! forwarders and `hangup`; a second one is called (`processed` offer, `generated`
//! answer); and the plugin's errors. Requests Janus 1.1 does not know are recorded as its
//! error (`error-<request>-unknown`).
#![allow(clippy::print_stdout)]

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use janus_blocking::Peer;
use janus_blocking::rtc::{PeerConfig, Track};
use janus_proto::plugin::PluginRequest;
use janus_proto::plugin::nosip::{
    ForwardStream, ForwardedStream, Generate, Hangup, Keyframe, ListForwarders, PLUGIN, Process,
    Recording, RecordingAction, RtpForward, SdpType, StopRtpForward,
};
use janus_tests::Janus;
use janus_tests::plain_rtp::{PortPair, answer_sdp, parse_sdp};
use janus_tests::record::{Recorder, candidates, default_dir, jsep_of, jsep_value};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const WAIT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let out = std::env::args()
        .nth(1)
        .map_or_else(|| default_dir("nosip"), PathBuf::from);
    match record(out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("recording failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn body<R: PluginRequest>(r: &R) -> Result<Value> {
    Ok(r.to_body()?)
}

/// A plain-RTP offer of Opus audio from a peer on `ip` at `port`.
fn plain_offer(ip: IpAddr, port: u16) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=plain\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n"
    )
}

/// `name` as recorded, or `error-<name>-unknown` when this Janus does not know the request
/// (Janus 1.1: `keyframe` and the forwarders).
fn named(reply: &Value, name: &str) -> String {
    if reply["plugindata"]["data"]["error_code"] == 442 {
        format!("error-{name}-unknown")
    } else {
        name.to_owned()
    }
}

fn record(out: PathBuf) -> Result<()> {
    let janus = Janus::builder().only_plugins(&["nosip"]).launch()?;
    let version = janus.version().string.clone();
    println!("recording the NoSIP of Janus {version}");
    let mut r = Recorder::new(&janus, out.join(&version))?;
    let ip: IpAddr = janus.media_ip().into();
    let (caller, callee) = (r.attach(PLUGIN)?, r.attach(PLUGIN)?);

    r.record(caller, "error-generate-no-sdp", body(&Generate::new())?)?;
    r.record(
        caller,
        "error-process-missing-sdp",
        json!({"request": "process", "type": "answer"}),
    )?;
    r.record(caller, "error-invalid-request", json!({"request": "dance"}))?;

    // We call the plain peer.
    let pc = Peer::bind(PeerConfig::default(), ip, 4096)?;
    let offer = pc.create_offer(&[Track::audio(), Track::video()], false)?;
    let generated = r.message(caller, body(&Generate::new())?, Some(jsep_value(&offer)?))?;
    r.save("generate-offer", &generated)?;
    let sdp = generated["plugindata"]["data"]["result"]["sdp"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (_, media) = parse_sdp(&sdp).ok_or("no barebone SDP")?;
    let (audio, video) = (PortPair::bind(ip)?, PortPair::bind(ip)?);
    let answer = answer_sdp(ip, &media, &[audio.port(), video.port()]);
    let processed = r.message(caller, body(&Process::new(SdpType::Answer, answer))?, None)?;
    r.save("process-answer", &processed)?;
    pc.handle_remote_jsep(&jsep_of(&processed)?)?;
    r.trickle(caller, candidates(&pc))?;
    r.wait_core(caller, "webrtcup", WAIT)?;

    let base = janus.recordings_dir().join("nosip-fixture");
    let start = Recording {
        audio: Some(true),
        peer_audio: Some(true),
        filename: Some(base.display().to_string()),
        ..Recording::new(RecordingAction::Start)
    };
    r.record(caller, "recording-start", body(&start)?)?;
    let stop = Recording {
        audio: Some(true),
        peer_audio: Some(true),
        ..Recording::new(RecordingAction::Stop)
    };
    r.record(caller, "recording-stop", body(&stop)?)?;
    let keyframe = Keyframe {
        user: Some(true),
        peer: Some(true),
        ..Keyframe::new()
    };
    let m = r.message(caller, body(&keyframe)?, None)?;
    r.save(&named(&m.value, "keyframe"), &m)?;
    let forward = RtpForward::new(vec![ForwardStream::new(
        ForwardedStream::Audio,
        ip.to_string(),
        audio.port(),
    )]);
    let m = r.message(caller, body(&forward)?, None)?;
    r.save(&named(&m.value, "rtp-forward"), &m)?;
    let stream = m["plugindata"]["data"]["result"]["forwarders"][0]["stream_id"].as_u64();
    let m = r.message(caller, body(&ListForwarders::new())?, None)?;
    r.save(&named(&m.value, "listforwarders"), &m)?;
    let id = u32::try_from(stream.unwrap_or(1)).unwrap_or(1);
    let m = r.message(caller, body(&StopRtpForward::new(id))?, None)?;
    r.save(&named(&m.value, "stop-rtp-forward"), &m)?;
    r.record(caller, "hangup", body(&Hangup::new())?)?;

    // The plain peer calls us.
    let plain = PortPair::bind(ip)?;
    let offer = plain_offer(ip, plain.port());
    let processed = r.message(callee, body(&Process::new(SdpType::Offer, offer))?, None)?;
    r.save("process-offer", &processed)?;
    let pd = Peer::bind(PeerConfig::default(), ip, 4096)?;
    let answer = pd.create_answer(&jsep_of(&processed)?, &[])?;
    let m = r.message(callee, body(&Generate::new())?, Some(jsep_value(&answer)?))?;
    r.save("generate-answer", &m)?;
    r.trickle(callee, candidates(&pd))?;
    r.destroy()?;
    println!("done: {} files", r.written.len());
    Ok(())
}
