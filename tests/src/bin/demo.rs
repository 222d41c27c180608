//! Demo: starts a real Janus with the harness, prints what it reports about itself, then
//! talks to it with the blocking client (`janus-blocking`): a session, a handle on the
//! EchoTest, one message and its event; then a live WebRTC call with the EchoTest
//! (`janus-rtc` on a UDP socket bound to the namespace's media address): audio, video and a
//! data channel, real Opus and VP8 frames echoed back, 1,000 data-channel round trips, Janus's
//! `webrtcup`, `media` and `slowlink` events; hangup, detach and destroy. Stops Janus.
//!
//! Run it with `cargo xtask demo` (it needs the test network namespace). Later issues grow it
//! into a live EchoTest with media: each step is one function, in the order `run` calls them.

// A demo's job is to print to stdout.
#![allow(clippy::print_stdout)]

use std::fmt::Display;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use janus_blocking::rtc::{Event as RtcEvent, HandleEvent, PeerConfig, Track, TrackKind};
use janus_blocking::{Client, Handle, Session};
use janus_proto::plugin::echotest;
use janus_proto::{ClientConfig, Event};
use janus_tests::Janus;
use janus_tests::media::{OPUS_TICKS, VP8_TICKS, frame_number, opus_frame, vp8_frame};
use janus_tests::rtc::pick;
use serde_json::{Value, json};

const ECHOTEST: &str = "janus.plugin.echotest";

/// Any step's failure, as text for the one line the demo prints when it fails.
type DemoResult<T = ()> = Result<T, String>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> DemoResult {
    let mut janus = start_janus()?;
    let client = connect(&janus.ws_url())?;
    let (session, mut echo) = open_echotest(&client)?;
    echotest_message(&echo)?;
    live_echotest(&mut echo, janus.media_ip().into())?;
    close_echotest(session, echo)?;
    janus.stop().map_err(step("stopping Janus"))?;
    println!("\nJanus stopped.");
    Ok(())
}

/// Wraps an error with the step it happened in.
fn step<E: Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

/// Starts Janus in the namespace and prints its server info, URLs and RTP range.
fn start_janus() -> DemoResult<Janus> {
    println!(
        "Starting Janus (private network namespace, media on {})...",
        janus_tests::MEDIA_IP
    );
    let janus = Janus::launch().map_err(step("starting Janus"))?;
    let info = janus.info().map_err(step("asking Janus for info"))?;
    println!();
    print!("{}", describe(&info));
    println!();
    println!("HTTP API:   {}", janus.http_url());
    println!("WebSocket:  {}", janus.ws_url());
    let (first, last) = janus.rtp_port_range();
    println!("RTP ports:  {first}-{last} on {}", janus.media_ip());
    Ok(janus)
}

/// Connects the blocking client (the transport comes from the URL's scheme).
fn connect(url: &str) -> DemoResult<Client> {
    let config = ClientConfig::new([url])
        .ok_or("a ws:// or http:// URL")?
        .request_timeout(Duration::from_secs(10));
    let client = Client::connect(config).map_err(step("connecting"))?;
    let (_, used) = client.server();
    println!(
        "\nConnected to {used} ({:?}), session timeout {} s",
        client.transport(),
        client.server_info().session_timeout
    );
    Ok(client)
}

/// A session and a handle on the EchoTest.
fn open_echotest(client: &Client) -> DemoResult<(Session, Handle)> {
    let session = client.create_session().map_err(step("create"))?;
    println!("Session {} created", session.id());
    let echo = session.attach(ECHOTEST).map_err(step("attach"))?;
    println!("Attached to {ECHOTEST}: handle {}", echo.id().handle);
    Ok((session, echo))
}

/// One EchoTest message; Janus acks it, then the plugin answers with an event.
fn echotest_message(echo: &Handle) -> DemoResult {
    let request = echotest::Configure {
        audio: Some(true),
        video: Some(true),
        bitrate: Some(256_000),
        ..Default::default()
    };
    let reply = echo.send(&request, None).map_err(step("message"))?;
    println!(
        "EchoTest message {{audio, video, bitrate 256000}} -> event from {}: {}",
        reply.data.plugin, reply.data.data
    );
    Ok(())
}

/// The live call on the handle API: offer, connect, data round trips, media echo, hangup.
/// The handle owns its connection: nothing here trickles or forwards Janus's events.
fn live_echotest(echo: &mut Handle, media_ip: IpAddr) -> DemoResult {
    const WAIT: Duration = Duration::from_secs(10);
    println!("\nWebRTC with the EchoTest (str0m, host candidate on {media_ip}):");
    echo.add_peer(PeerConfig::default(), media_ip)
        .map_err(step("binding UDP"))?;
    let peer = echo.peer().map_err(step("peer"))?;
    let offered = Instant::now();
    let tracks = [Track::audio(), Track::video(), Track::data("demo")];
    let body = json!({"audio": true, "video": true, "data": true});
    echo.offer(body, &tracks).map_err(step("offer/answer"))?;
    let answered = offered.elapsed();
    // Ours and Janus's, in the order they come on the handle's one queue.
    let (mut connected, mut up) = (None, None);
    echo.events()
        .wait_for(WAIT, |e| {
            match e {
                HandleEvent::Rtc(RtcEvent::Connected) => connected = Some(offered.elapsed()),
                HandleEvent::Janus(Event::WebrtcUp { .. }) => up = Some(offered.elapsed()),
                _ => {}
            }
            connected.zip(up)
        })
        .map_err(step("ICE + DTLS and webrtcup"))?;
    let (connected, up) = (connected.unwrap_or_default(), up.unwrap_or_default());
    println!(
        "  offer -> answer {:.1} ms, -> ICE+DTLS connected {:.1} ms, -> Janus webrtcup {:.1} ms",
        ms(answered),
        ms(connected),
        ms(up)
    );
    let tracks = peer
        .call(|pc, _| pc.local_tracks())
        .map_err(step("tracks"))?;
    let mid = |kind| {
        tracks
            .iter()
            .find(|t| t.kind == kind)
            .map(|t| t.mid.clone())
            .ok_or("a negotiated track")
    };
    let (audio, video) = (mid(TrackKind::Audio)?, mid(TrackKind::Video)?);
    let codecs = peer
        .call({
            let (a, v) = (audio.clone(), video.clone());
            move |pc, _| (pc.send_codec(&a), pc.send_codec(&v))
        })
        .map_err(step("codecs"))?;
    println!(
        "  tracks: audio mid {audio} {:?}, video mid {video} {:?}, data channel \"demo\"",
        codecs.0, codecs.1
    );

    echo.events()
        .wait_for(WAIT, pick::data_open)
        .map_err(step("data channel open"))?;
    let mut rtts = Vec::with_capacity(1000);
    for i in 0..1000 {
        let text = format!("ping {i}");
        let want = format!("Janus EchoTest here! You wrote: {text}");
        let sent = Instant::now();
        peer.send_data("demo", false, text.as_bytes())
            .map_err(step("data send"))?;
        echo.events()
            .wait_for(WAIT, |e| match e {
                HandleEvent::Rtc(RtcEvent::Data(m)) if m.data == want.as_bytes() => Some(()),
                _ => None,
            })
            .map_err(step("data echo"))?;
        rtts.push(sent.elapsed());
    }
    rtts.sort();
    println!(
        "  data channel: 1000 text messages echoed in order, round trip median {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        ms(rtts[499]),
        ms(rtts[989]),
        ms(rtts[999])
    );

    let seconds = 5;
    let (mut sent_a, mut sent_v, mut got_a, mut got_v, mut same) = (0u32, 0u32, 0u32, 0u32, true);
    let (mut janus_media, mut slowlinks) = (Vec::new(), 0);
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs(seconds) {
        // 50 audio frames and 25 video frames a second, a keyframe every 2 s.
        let tick = start + Duration::from_millis(20 * u64::from(n));
        std::thread::sleep(tick.saturating_duration_since(Instant::now()));
        if peer
            .write_frame(&audio, u64::from(n) * OPUS_TICKS, &opus_frame(n, 100))
            .map_err(step("audio"))?
        {
            sent_a += 1;
        }
        if n % 2 == 0 {
            let frame = vp8_frame(n, n % 100 == 0, 2500);
            if peer
                .write_frame(&video, u64::from(n) * VP8_TICKS * 3 / 5, &frame)
                .map_err(step("video"))?
            {
                sent_v += 1;
            }
        }
        n += 1;
        while let Ok(Some(e)) = echo.events().try_recv() {
            match e {
                HandleEvent::Rtc(RtcEvent::Media(f)) => {
                    let k = frame_number(&f.data).unwrap_or(u32::MAX);
                    if f.mid == audio {
                        got_a += 1;
                        same &= *f.data == opus_frame(k, 100)[..];
                    } else {
                        got_v += 1;
                        same &= *f.data == vp8_frame(k, k % 100 == 0, 2500)[..];
                    }
                }
                HandleEvent::Janus(Event::Media { media, .. }) => janus_media.push(format!(
                    "{} {} {}",
                    media.kind,
                    media.mid.as_deref().unwrap_or("?"),
                    if media.receiving {
                        "receiving"
                    } else {
                        "stopped"
                    }
                )),
                HandleEvent::Janus(Event::SlowLink { .. }) => slowlinks += 1,
                _ => {}
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let bitrate = peer.bitrate(&video).map_err(step("bitrate"))?;
    println!(
        "  media for {elapsed:.1} s: audio {sent_a} frames sent, {got_a} echoed ({:.1}/s); video {sent_v} sent, {got_v} echoed ({:.1}/s); payloads identical: {same}",
        f64::from(got_a) / elapsed,
        f64::from(got_v) / elapsed
    );
    println!(
        "  received video bitrate (getBitrate): {} kbit/s; dropped frames: {}",
        bitrate.map_or("n/a".to_owned(), |b| (b / 1000).to_string()),
        peer.dropped_frames()
    );
    println!("  Janus media events: {janus_media:?}; slowlink events: {slowlinks}");
    // A frame lost in transit is tolerable; a wrong payload, or nothing echoed, is not.
    if !same {
        return Err("an echoed frame differs from the frame sent".into());
    }
    if got_a * 10 < sent_a * 9 || got_v * 10 < sent_v * 9 {
        return Err(format!(
            "too few frames echoed: audio {got_a} of {sent_a}, video {got_v} of {sent_v}"
        ));
    }

    // janus.js `hangup`: ours closes (`oncleanup`), Janus says `hangup`.
    echo.hangup().map_err(step("hangup"))?;
    let (mut closed, mut reason) = (false, None);
    echo.events()
        .wait_for(WAIT, |e| {
            match e {
                HandleEvent::Rtc(RtcEvent::Closed) => closed = true,
                HandleEvent::Janus(Event::Hangup { reason: r, .. }) => reason = Some(r),
                _ => {}
            }
            (closed && reason.is_some()).then_some(())
        })
        .map_err(step("hangup and cleanup"))?;
    println!(
        "  hangup: Janus said {:?}; peer connection closed",
        reason.flatten().unwrap_or_default()
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Detaches the handle and destroys the session.
fn close_echotest(session: Session, echo: Handle) -> DemoResult {
    echo.detach().map_err(step("detach"))?;
    println!("Handle detached");
    let id = session.id();
    session.destroy().map_err(step("destroy"))?;
    println!("Session {id} destroyed");
    Ok(())
}

/// A readable summary of a `server_info` reply.
fn describe(info: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    let mut out = String::new();
    out.push_str(&format!(
        "{} {} ({})\n",
        text(&info["name"]),
        text(&info["version_string"]),
        text(&info["server-name"]),
    ));
    out.push_str(&format!(
        "  session timeout: {} s, reclaim: {} s, candidates timeout: {} s\n",
        info["session-timeout"], info["reclaim-session-timeout"], info["candidates-timeout"],
    ));
    out.push_str(&format!(
        "  api secret: {}, token auth: {}, full trickle: {}, ice-lite: {}\n",
        info["api_secret"], info["auth_token"], info["full-trickle"], info["ice-lite"],
    ));
    for (kind, key) in [
        ("transports", "transports"),
        ("plugins", "plugins"),
        ("event handlers", "events"),
        ("loggers", "loggers"),
    ] {
        let Some(modules) = info[key].as_object() else {
            continue;
        };
        out.push_str(&format!("  {kind} ({}):\n", modules.len()));
        for (package, module) in modules {
            out.push_str(&format!(
                "    {:<32} {:<8} {}\n",
                package,
                text(&module["version_string"]),
                text(&module["name"]),
            ));
        }
    }
    out
}
