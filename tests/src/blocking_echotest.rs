//! janusctl's EchoTest call ([`janusctl::echotest`]) on janus-blocking, for the benches' rows
//! of that adapter: the same steps, media, checks and [`Report`], on a thread instead of a
//! task. janusctl itself is a tokio program; this twin exists so that `bench_webrtc` and
//! `bench_pcs` measure both adapters with one definition of a passing call.
//!
//! What differs is only how it waits: the handle's queue with a deadline
//! (`recv_timeout`) instead of `select!` on a timer.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use janus_blocking::rtc::{Event as RtcEvent, HandleEvent, Track, TrackKind};
use janus_blocking::{Client, Connection, Handle, Session};
use janus_media::Schedule;
use janus_proto::Event;
use janusctl::echotest::{Options, Report, Rtts, Second};
use serde_json::json;

const ECHOTEST: &str = "janus.plugin.echotest";
const LABEL: &str = "janusctl";

type Step<T = ()> = Result<T, String>;

fn step<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("{what}: {e}")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs the EchoTest on `client` as janusctl's `echotest::run` does; what goes wrong is in
/// [`Report::failures`].
pub fn run(client: &Client, options: &Options) -> Report {
    let mut report = Report {
        janus: client.server_info().version_string,
        server: client.server().1,
        identical: true,
        ..Report::default()
    };
    match Call::start(client, options, &mut report) {
        Ok(mut call) => {
            if let Err(e) = call.exchange(options, &mut report) {
                report.failures.push(e);
            }
            call.close(options, &mut report);
        }
        Err(e) => report.failures.push(e),
    }
    report
}

struct Call {
    session: Session,
    handle: Handle,
    audio: String,
    video: String,
    data_open: bool,
}

impl Call {
    fn start(client: &Client, options: &Options, report: &mut Report) -> Step<Self> {
        let session = client.create_session().map_err(step("create session"))?;
        let mut handle = session.attach(ECHOTEST).map_err(step("attach"))?;
        handle
            .add_peer(options.peer.clone(), options.ip)
            .map_err(step("binding UDP"))?;
        let offered = Instant::now();
        let tracks = [Track::audio(), Track::video(), Track::data(LABEL)];
        let body = json!({"audio": true, "video": true, "data": true});
        handle.offer(body, &tracks).map_err(step("offer/answer"))?;
        report.answer_ms = Some(ms(offered.elapsed()));
        let (mut connected, mut up, mut data_open) = (None, None, false);
        handle
            .events()
            .wait_for(options.wait, |e| {
                match e {
                    HandleEvent::Rtc(RtcEvent::Connected) => connected = Some(offered.elapsed()),
                    HandleEvent::Janus(Event::WebrtcUp { .. }) => up = Some(offered.elapsed()),
                    HandleEvent::Rtc(RtcEvent::DataOpen { .. }) => data_open = true,
                    _ => {}
                }
                connected.zip(up)
            })
            .map_err(step("ICE + DTLS and webrtcup"))?;
        report.connected_ms = connected.map(ms);
        report.webrtcup_ms = up.map(ms);
        let peer = handle.peer().map_err(step("peer"))?;
        let tracks = peer.local_tracks().map_err(step("tracks"))?;
        let mid = |kind| {
            tracks
                .iter()
                .find(|t| t.kind == kind)
                .map(|t| t.mid.clone())
                .ok_or(format!("no negotiated {kind:?} track"))
        };
        let (audio, video) = (mid(TrackKind::Audio)?, mid(TrackKind::Video)?);
        Ok(Self {
            session,
            handle,
            audio,
            video,
            data_open,
        })
    }

    fn exchange(&mut self, options: &Options, report: &mut Report) -> Step {
        let events = self.handle.events();
        let peer = self.handle.peer().map_err(step("peer"))?;
        if !self.data_open {
            events
                .wait_for(options.wait, |e| match e {
                    HandleEvent::Rtc(RtcEvent::DataOpen { .. }) => Some(()),
                    _ => None,
                })
                .map_err(step("data channel open"))?;
        }
        let mut rtts = Vec::with_capacity(options.pings as usize);
        for i in 0..options.pings {
            let text = format!("ping {i}");
            let sent = Instant::now();
            peer.send_data(LABEL, false, text.as_bytes())
                .map_err(step("data send"))?;
            events
                .wait_for(options.wait, |e| is_echo_of(&e, &text).then_some(()))
                .map_err(step("data echo"))?;
            rtts.push(sent.elapsed());
        }
        report.pings = Rtts::of(rtts);

        let frames = |f: &janus_media::MediaFile| -> HashSet<Vec<u8>> {
            f.frames.iter().map(|f| f.data.clone()).collect()
        };
        let (sent_audio, sent_video) = (frames(&options.audio), frames(&options.video));
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
        let mut ping = Some(ping_second(peer, 1)?);
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
                    .map_err(step("sending media"))?
                {
                    *count += 1;
                }
            }
            if now >= next_line {
                line.video_kbps = peer
                    .bitrate(&self.video)
                    .map_err(step("bitrate"))?
                    .map(|b| b / 1000);
                let number = line.second + 1;
                report.seconds.push(std::mem::take(&mut line));
                line.second = number;
                next_line += Duration::from_secs(1);
                ping = Some(ping_second(peer, number)?);
            }
            let wake = next.unwrap_or(end).min(next_line).min(end);
            let event = match events.recv_timeout(wake.saturating_duration_since(Instant::now())) {
                Ok(event) => event,
                Err(janus_blocking::Error::Timeout) => continue,
                Err(e) => return Err(format!("the handle's events: {e}")),
            };
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
                    if let Some((text, at)) = &ping
                        && m.data.ends_with(text.as_bytes())
                    {
                        line.rtt_ms = Some(ms(at.elapsed()));
                        pongs += 1;
                        ping = None;
                    }
                }
                HandleEvent::Rtc(RtcEvent::Closed) => {
                    return Err("the connection closed during the call".into());
                }
                HandleEvent::Janus(Event::SlowLink { .. }) => report.slowlinks += 1,
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
            report.seconds.push(line);
        }
        report.media_seconds = start.elapsed().as_secs_f64();
        report.dropped_frames = peer.dropped_frames();
        report.judge_media(pongs);
        Ok(())
    }

    fn close(self, options: &Options, report: &mut Report) {
        if let Err(e) = self.handle.hangup() {
            report.failures.push(format!("hangup: {e}"));
            return;
        }
        let (mut closed, mut reason) = (false, None);
        let waited = self.handle.events().wait_for(options.wait, |e| {
            match e {
                HandleEvent::Rtc(RtcEvent::Closed) => closed = true,
                HandleEvent::Janus(Event::Hangup { reason: r, .. }) => reason = Some(r),
                _ => {}
            }
            (closed && reason.is_some()).then_some(())
        });
        match waited {
            Ok(()) => report.hangup = reason.flatten(),
            Err(e) => report.failures.push(format!("hangup and close: {e}")),
        }
        if let Err(e) = self.handle.detach() {
            report.failures.push(format!("detach: {e}"));
        }
        if let Err(e) = self.session.destroy() {
            report.failures.push(format!("destroy: {e}"));
        }
    }
}

fn ping_second(peer: &Connection, second: u32) -> Step<(String, Instant)> {
    let text = format!("second {second}");
    peer.send_data(LABEL, false, text.as_bytes())
        .map_err(step("data send"))?;
    Ok((text, Instant::now()))
}

fn is_echo_of(e: &HandleEvent, text: &str) -> bool {
    matches!(e, HandleEvent::Rtc(RtcEvent::Data(m)) if m.data.ends_with(text.as_bytes()))
}
