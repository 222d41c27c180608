//! `echotest`: a live WebRTC call with the EchoTest plugin, with real media, reported second by
//! second, ending in a verdict. The demo (`cargo xtask demo`) runs this same code.
//!
//! What it does, in order: attaches `janus.plugin.echotest`, offers Opus, VP8 and a data
//! channel (the handle's connection does ICE, DTLS and trickle), times offer -> answer ->
//! connected -> `webrtcup`, times sequential data-channel round trips, then sends the media
//! paced by its own timestamps for the duration asked, checking that every echoed frame is a
//! frame it sent, byte for byte; each second it sends one more data ping and reports. Then it
//! hangs up and waits for Janus's `hangup` and its own connection's close.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use janus_media::{MediaFile, Schedule};
use janus_proto::Event;
use janus_tokio::rtc::{Event as RtcEvent, HandleEvent, PeerConfig, Track, TrackKind};
use janus_tokio::{Client, Handle};
use serde::Serialize;
use serde_json::json;

const ECHOTEST: &str = "janus.plugin.echotest";
const LABEL: &str = "janusctl";

/// What to send, how long, and from where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The local address of our host candidate.
    pub ip: IpAddr,
    /// How long to send media.
    pub duration: Duration,
    /// Sequential data round trips timed before the media.
    pub pings: u32,
    /// The Opus frames to send.
    pub audio: MediaFile,
    /// The video frames to send (VP8 for the EchoTest's default codecs).
    pub video: MediaFile,
    /// How long a step (answer, connection, echo, hangup) may take.
    pub wait: Duration,
    /// The connection's settings.
    pub peer: PeerConfig,
}

impl Options {
    /// The built-in samples for five seconds, 100 pings, 10 s per step.
    pub fn new(ip: IpAddr) -> Result<Self, janus_media::Error> {
        Ok(Self {
            ip,
            duration: Duration::from_secs(5),
            pings: 100,
            audio: janus_media::samples::opus()?,
            video: janus_media::samples::vp8()?,
            wait: Duration::from_secs(10),
            peer: PeerConfig::default(),
        })
    }
}

/// One second of the call.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Second {
    /// Which second (1 = the first).
    pub second: u32,
    /// Audio frames sent in this second.
    pub audio_sent: u32,
    /// Audio frames echoed back in this second.
    pub audio_echoed: u32,
    /// Video frames sent.
    pub video_sent: u32,
    /// Video frames echoed back.
    pub video_echoed: u32,
    /// The received video bitrate (janus.js `getBitrate`), kbit/s.
    pub video_kbps: Option<u64>,
    /// The data-channel round trip of this second's ping, ms (none if it did not come back
    /// within the second).
    pub rtt_ms: Option<f64>,
    /// Janus's `media` and `slowlink` events and connection changes in this second.
    pub events: Vec<String>,
}

/// Percentiles of round-trip times, ms.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Rtts {
    /// Round trips completed.
    pub count: usize,
    /// Median.
    pub median_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Rtts {
    /// The percentiles of these round trips (nearest rank).
    pub fn of(mut rtts: Vec<Duration>) -> Self {
        rtts.sort();
        let at = |q: f64| {
            let i = ((rtts.len() as f64 * q).ceil() as usize).saturating_sub(1);
            rtts.get(i).map_or(0.0, |d| ms(*d))
        };
        Self {
            count: rtts.len(),
            median_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        }
    }
}

/// Everything the run saw, and what failed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The server's version string.
    pub janus: String,
    /// The server used, of the list.
    pub server: String,
    /// Offer sent -> Janus's answer applied, ms.
    pub answer_ms: Option<f64>,
    /// Offer sent -> our ICE and DTLS connected, ms.
    pub connected_ms: Option<f64>,
    /// Offer sent -> Janus's `webrtcup`, ms.
    pub webrtcup_ms: Option<f64>,
    /// The codecs negotiated (audio, video).
    pub codecs: Option<(String, String)>,
    /// The sequential data round trips before the media.
    pub pings: Rtts,
    /// Second by second.
    pub seconds: Vec<Second>,
    /// How long media was sent, s.
    pub media_seconds: f64,
    /// Audio frames sent and echoed.
    pub audio: (u32, u32),
    /// Video frames sent and echoed.
    pub video: (u32, u32),
    /// Whether every echoed frame was one we sent, byte for byte.
    pub identical: bool,
    /// Janus's `slowlink` events.
    pub slowlinks: u32,
    /// Frames dropped because we did not read them in time.
    pub dropped_frames: u64,
    /// Janus's reason in its `hangup`.
    pub hangup: Option<String>,
    /// What went wrong, in order; empty when the server passed.
    pub failures: Vec<String>,
}

impl Report {
    /// Totals the media of [`seconds`](Self::seconds) and adds the failures of the media
    /// part: an echoed frame that is not one we sent, under 90 % of either kind echoed, or
    /// fewer per-second pings answered than seconds (`pongs` came back in time; the last
    /// second's may still be on its way when the media stops). The one definition of a
    /// passing call, for whatever drives the call.
    pub fn judge_media(&mut self, pongs: u32) {
        let total = |f: fn(&Second) -> u32| self.seconds.iter().map(f).sum::<u32>();
        self.audio = (total(|s| s.audio_sent), total(|s| s.audio_echoed));
        self.video = (total(|s| s.video_sent), total(|s| s.video_echoed));
        if !self.identical {
            self.failures
                .push("an echoed frame is not one we sent".into());
        }
        for (kind, (sent, echoed)) in [("audio", self.audio), ("video", self.video)] {
            if sent == 0 || echoed * 10 < sent * 9 {
                self.failures.push(format!(
                    "{kind}: {echoed} of {sent} frames echoed (90 % expected)"
                ));
            }
        }
        let pinged = self.seconds.len() as u32;
        if pongs + 1 < pinged {
            self.failures.push(format!(
                "data: {pongs} of {pinged} per-second pings came back within the second"
            ));
        }
    }

    /// Whether the EchoTest worked: connected, echoed (at least 90 % of the frames, all
    /// identical), data round trips, a clean hangup.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs the EchoTest on `client`, calling `each_second` with every second's line as it ends.
/// Never fails as a whole: what goes wrong is in [`Report::failures`] (the run stops at the
/// first failure that makes going on pointless, such as no answer).
pub async fn run(client: &Client, options: &Options, each_second: impl FnMut(&Second)) -> Report {
    let mut report = Report {
        janus: client.server_info().version_string,
        server: client.server().1,
        identical: true,
        ..Report::default()
    };
    let outcome = Call::start(client, options, &mut report).await;
    match outcome {
        Ok(mut call) => {
            if let Err(e) = call.exchange(options, &mut report, each_second).await {
                report.failures.push(e);
            }
            call.close(options, &mut report).await;
        }
        Err(e) => report.failures.push(e),
    }
    report
}

/// A step's failure, as text for the report.
type Step<T = ()> = Result<T, String>;

fn step<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

/// The handle in a call, with the mids of its tracks.
struct Call {
    session: janus_tokio::Session,
    handle: Handle,
    audio: String,
    video: String,
    /// The data channel opened while the call came up.
    data_open: bool,
}

impl Call {
    /// Attach, offer, and wait for both sides to be up.
    async fn start(client: &Client, options: &Options, report: &mut Report) -> Step<Self> {
        let session = client
            .create_session()
            .await
            .map_err(step("create session"))?;
        let mut handle = session.attach(ECHOTEST).await.map_err(step("attach"))?;
        handle
            .add_peer(options.peer.clone(), options.ip)
            .await
            .map_err(step("binding UDP"))?;
        let offered = Instant::now();
        let tracks = [Track::audio(), Track::video(), Track::data(LABEL)];
        let body = json!({"audio": true, "video": true, "data": true});
        handle
            .offer(body, &tracks)
            .await
            .map_err(step("offer/answer"))?;
        report.answer_ms = Some(ms(offered.elapsed()));
        let (mut connected, mut up, mut data_open) = (None, None, false);
        handle
            .events()
            .wait_for(options.wait, |e| {
                match e {
                    HandleEvent::Rtc(RtcEvent::Connected) => connected = Some(offered.elapsed()),
                    HandleEvent::Janus(Event::WebrtcUp { .. }) => up = Some(offered.elapsed()),
                    // The channel may open before Janus's `webrtcup` comes (over HTTP it
                    // waits for a long poll): remembered, not skipped.
                    HandleEvent::Rtc(RtcEvent::DataOpen { .. }) => data_open = true,
                    _ => {}
                }
                connected.zip(up)
            })
            .await
            .map_err(step("ICE + DTLS and webrtcup"))?;
        report.connected_ms = connected.map(ms);
        report.webrtcup_ms = up.map(ms);
        let peer = handle.peer().map_err(step("peer"))?;
        let tracks = peer.local_tracks().await.map_err(step("tracks"))?;
        let mid = |kind| {
            tracks
                .iter()
                .find(|t| t.kind == kind)
                .map(|t| t.mid.clone())
                .ok_or(format!("no negotiated {kind:?} track"))
        };
        let (audio, video) = (mid(TrackKind::Audio)?, mid(TrackKind::Video)?);
        let codecs = peer
            .call({
                let (a, v) = (audio.clone(), video.clone());
                move |pc, _| (pc.send_codec(&a), pc.send_codec(&v))
            })
            .await
            .map_err(step("codecs"))?;
        let name =
            |c: Option<(String, u32)>| c.map_or("none".into(), |(n, rate)| format!("{n}/{rate}"));
        report.codecs = Some((name(codecs.0), name(codecs.1)));
        Ok(Self {
            session,
            handle,
            audio,
            video,
            data_open,
        })
    }

    /// The data round trips, then the media with a line per second.
    async fn exchange(
        &mut self,
        options: &Options,
        report: &mut Report,
        mut each_second: impl FnMut(&Second),
    ) -> Step {
        let events = self.handle.events();
        let peer = self.handle.peer().map_err(step("peer"))?;
        if !self.data_open {
            events
                .wait_for(options.wait, |e| match e {
                    HandleEvent::Rtc(RtcEvent::DataOpen { .. }) => Some(()),
                    _ => None,
                })
                .await
                .map_err(step("data channel open"))?;
        }
        let mut rtts = Vec::with_capacity(options.pings as usize);
        for i in 0..options.pings {
            let text = format!("ping {i}");
            let sent = Instant::now();
            peer.send_data(LABEL, false, text.as_bytes())
                .await
                .map_err(step("data send"))?;
            events
                .wait_for(options.wait, |e| is_echo_of(&e, &text).then_some(()))
                .await
                .map_err(step("data echo"))?;
            rtts.push(sent.elapsed());
        }
        report.pings = Rtts::of(rtts);

        let sent_audio: HashSet<Vec<u8>> = options
            .audio
            .frames
            .iter()
            .map(|f| f.data.clone())
            .collect();
        let sent_video: HashSet<Vec<u8>> = options
            .video
            .frames
            .iter()
            .map(|f| f.data.clone())
            .collect();
        let start = Instant::now();
        let end = start + options.duration;
        let mut schedule = Schedule::new(start)
            .track(TrackKind::Audio, options.audio.clone(), true)
            .track(TrackKind::Video, options.video.clone(), true);
        let mut line = Second {
            second: 1,
            ..Second::default()
        };
        let mut next_line = start + Duration::from_secs(1);
        // One ping at the start of every second; its echo is that second's `rtt_ms`.
        let mut ping = Some(ping_second(peer, 1).await?);
        let mut pongs = 0u32;
        loop {
            let now = Instant::now();
            if now >= end {
                break;
            }
            let (due, next) = schedule.due(now);
            for (kind, frame) in due {
                let (mid, count) = match kind {
                    TrackKind::Audio => (&self.audio, &mut line.audio_sent),
                    _ => (&self.video, &mut line.video_sent),
                };
                if peer
                    .write_frame(mid, frame.rtp_time, &frame.data)
                    .await
                    .map_err(step("sending media"))?
                {
                    *count += 1;
                }
            }
            if now >= next_line {
                line.video_kbps = peer
                    .bitrate(&self.video)
                    .await
                    .map_err(step("bitrate"))?
                    .map(|b| b / 1000);
                each_second(&line);
                let number = line.second + 1;
                report.seconds.push(std::mem::take(&mut line));
                line.second = number;
                next_line += Duration::from_secs(1);
                ping = Some(ping_second(peer, number).await?);
            }
            let wake = next.unwrap_or(end).min(next_line).min(end);
            let event = tokio::select! {
                e = events.recv() => e,
                () = tokio::time::sleep_until(wake.into()) => continue,
            };
            let event = event.map_err(step("the handle's events"))?;
            match event {
                HandleEvent::Rtc(RtcEvent::Media(f)) => {
                    let (sent, count) = if f.mid == self.audio {
                        (&sent_audio, &mut line.audio_echoed)
                    } else {
                        (&sent_video, &mut line.video_echoed)
                    };
                    *count += 1;
                    report.identical &= sent.contains(&f.data[..]);
                }
                HandleEvent::Rtc(RtcEvent::Data(m)) => {
                    if let Some((text, at)) = &ping {
                        if echo_text(&m.data, text) {
                            line.rtt_ms = Some(ms(at.elapsed()));
                            pongs += 1;
                            ping = None;
                        }
                    }
                }
                HandleEvent::Rtc(RtcEvent::IceState(s)) => line.events.push(format!("ICE {s:?}")),
                HandleEvent::Rtc(RtcEvent::Closed) => {
                    line.events.push("connection closed".into());
                    return Err("the connection closed during the call".into());
                }
                HandleEvent::Janus(Event::Media { media, .. }) => line.events.push(format!(
                    "Janus {} {} {}",
                    media.kind,
                    media.mid.as_deref().unwrap_or("?"),
                    if media.receiving {
                        "receiving"
                    } else {
                        "stopped"
                    }
                )),
                HandleEvent::Janus(Event::SlowLink { link, .. }) => {
                    report.slowlinks += 1;
                    line.events.push(format!(
                        "Janus slowlink {} {} lost {}",
                        link.media,
                        if link.uplink { "uplink" } else { "downlink" },
                        link.lost
                    ));
                }
                HandleEvent::Janus(Event::Hangup { reason, .. }) => {
                    return Err(format!(
                        "Janus hung up during the call: {}",
                        reason.unwrap_or_default()
                    ));
                }
                HandleEvent::Janus(Event::SessionLost { .. } | Event::Detached { .. }) => {
                    return Err("Janus dropped the session during the call".into());
                }
                _ => {}
            }
        }
        if line.audio_sent + line.video_sent > 0 {
            line.video_kbps = peer
                .bitrate(&self.video)
                .await
                .map_err(step("bitrate"))?
                .map(|b| b / 1000);
            each_second(&line);
            report.seconds.push(line);
        }
        report.media_seconds = start.elapsed().as_secs_f64();
        report.dropped_frames = peer.dropped_frames();
        report.judge_media(pongs);
        Ok(())
    }

    /// janus.js `hangup`, then detach and destroy; failures go to the report.
    async fn close(self, options: &Options, report: &mut Report) {
        if let Err(e) = self.handle.hangup().await {
            report.failures.push(format!("hangup: {e}"));
            return;
        }
        let (mut closed, mut reason) = (false, None);
        let waited = self
            .handle
            .events()
            .wait_for(options.wait, |e| {
                match e {
                    HandleEvent::Rtc(RtcEvent::Closed) => closed = true,
                    HandleEvent::Janus(Event::Hangup { reason: r, .. }) => reason = Some(r),
                    _ => {}
                }
                (closed && reason.is_some()).then_some(())
            })
            .await;
        match waited {
            Ok(()) => report.hangup = reason.flatten(),
            Err(e) => report.failures.push(format!("hangup and close: {e}")),
        }
        if let Err(e) = self.handle.detach().await {
            report.failures.push(format!("detach: {e}"));
        }
        if let Err(e) = self.session.destroy().await {
            report.failures.push(format!("destroy: {e}"));
        }
    }
}

/// Sends the ping of one second, and says when.
async fn ping_second(peer: &janus_tokio::Connection, second: u32) -> Step<(String, Instant)> {
    let text = format!("second {second}");
    peer.send_data(LABEL, false, text.as_bytes())
        .await
        .map_err(step("data send"))?;
    Ok((text, Instant::now()))
}

/// Whether `e` is the EchoTest's echo of our text (it prefixes what it returns).
fn is_echo_of(e: &HandleEvent, text: &str) -> bool {
    matches!(e, HandleEvent::Rtc(RtcEvent::Data(m)) if echo_text(&m.data, text))
}

fn echo_text(data: &[u8], text: &str) -> bool {
    data.ends_with(text.as_bytes())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The text report: the line of one second.
pub fn second_line(s: &Second) -> String {
    let rtt = s.rtt_ms.map_or("  -   ".into(), |r| format!("{r:6.2}"));
    let kbps = s.video_kbps.map_or("   -".into(), |b| format!("{b:4}"));
    let mut line = format!(
        "{:>3}s  rtt {rtt} ms  video {kbps} kbit/s  audio {:>3}/{:<3} video {:>3}/{:<3} echoed/sent",
        s.second, s.audio_echoed, s.audio_sent, s.video_echoed, s.video_sent
    );
    if !s.events.is_empty() {
        line.push_str("  ");
        line.push_str(&s.events.join(", "));
    }
    line
}

/// The text report: everything after the seconds, and the verdict.
pub fn summary(r: &Report) -> String {
    let opt = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1} ms"));
    let mut out = format!(
        "Janus {} at {}\n  offer -> answer {}, -> ICE+DTLS connected {}, -> webrtcup {}\n",
        r.janus,
        r.server,
        opt(r.answer_ms),
        opt(r.connected_ms),
        opt(r.webrtcup_ms)
    );
    if let Some((a, v)) = &r.codecs {
        out.push_str(&format!(
            "  codecs: audio {a}, video {v}, data channel \"{LABEL}\"\n"
        ));
    }
    if r.pings.count > 0 {
        out.push_str(&format!(
            "  data channel: {} round trips, median {:.3} ms, p99 {:.3} ms, max {:.3} ms\n",
            r.pings.count, r.pings.median_ms, r.pings.p99_ms, r.pings.max_ms
        ));
    }
    if r.media_seconds > 0.0 {
        let rate = |n: u32| f64::from(n) / r.media_seconds;
        out.push_str(&format!(
            "  media for {:.1} s: audio {} sent, {} echoed ({:.1}/s); video {} sent, {} echoed ({:.1}/s); identical: {}; slowlinks: {}; dropped: {}\n",
            r.media_seconds,
            r.audio.0,
            r.audio.1,
            rate(r.audio.1),
            r.video.0,
            r.video.1,
            rate(r.video.1),
            r.identical,
            r.slowlinks,
            r.dropped_frames
        ));
    }
    if let Some(reason) = &r.hangup {
        out.push_str(&format!("  hangup: Janus said {reason:?}\n"));
    }
    if r.passed() {
        out.push_str("PASS: the EchoTest echoed media and data\n");
    } else {
        out.push_str("FAIL:\n");
        for f in &r.failures {
            out.push_str(&format!("  - {f}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let r = Rtts::of((1..=100).map(Duration::from_millis).collect());
        assert_eq!(
            (r.count, r.median_ms, r.p99_ms, r.max_ms),
            (100, 50.0, 99.0, 100.0)
        );
        assert_eq!(Rtts::of(Vec::new()).count, 0);
    }

    #[test]
    fn a_report_with_a_failure_says_fail_and_why() {
        let report = Report {
            failures: vec!["video: 3 of 150 frames echoed (90 % expected)".into()],
            ..Report::default()
        };
        let text = summary(&report);
        assert!(!report.passed());
        assert!(text.contains("FAIL:\n  - video: 3 of 150"), "{text}");
    }

    #[test]
    fn media_judged_fails_under_90_percent_echoed_and_on_missing_pings() {
        let second = |video_echoed| Second {
            audio_sent: 50,
            audio_echoed: 50,
            video_sent: 25,
            video_echoed,
            ..Second::default()
        };
        let mut good = Report {
            identical: true,
            seconds: vec![second(25), second(23)],
            ..Report::default()
        };
        good.judge_media(1);
        assert_eq!((good.audio, good.video), ((100, 100), (50, 48)));
        assert!(good.passed(), "{:?}", good.failures);

        let mut bad = Report {
            identical: true,
            seconds: vec![second(25), second(10), second(25)],
            ..Report::default()
        };
        bad.judge_media(0);
        assert_eq!(
            bad.failures,
            [
                "video: 60 of 75 frames echoed (90 % expected)",
                "data: 0 of 3 per-second pings came back within the second"
            ]
        );
    }

    #[test]
    fn a_second_reads_as_one_line() {
        let s = Second {
            second: 2,
            audio_sent: 50,
            audio_echoed: 49,
            video_sent: 30,
            video_echoed: 30,
            video_kbps: Some(310),
            rtt_ms: Some(0.42),
            events: vec!["Janus video 1 receiving".into()],
        };
        assert_eq!(
            second_line(&s),
            "  2s  rtt   0.42 ms  video  310 kbit/s  audio  49/50  video  30/30  echoed/sent  Janus video 1 receiving"
        );
    }
}
