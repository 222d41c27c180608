//! A plugin handle's connection ([`HandleConnection`]) against a second str0m peer that
//! plays Janus's part, in memory and simulated time: candidates wait for the JSEP, Janus's
//! events come out in their place, a hangup closes and a new offer starts over, answers
//! follow the tracks asked for, an offer without tracks renegotiates, and ICE that stays
//! disconnected is reported failed, and the restart policy restarts it on time.
#![allow(clippy::unwrap_used, missing_docs)]
// The base instant of the simulated time; nothing else reads the clock.
#![allow(clippy::disallowed_methods)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use janus_proto::{Event as JanusEvent, HandleId, HandleRef, SessionId, Trickle};
use janus_rtc::{
    Event, HandleConnection, HandleEvent, HandleOutput, IceRestartPolicy, IceState, Input, Output,
    PeerConfig, PeerConnection, Track, TrackKind,
};

const OURS: &str = "10.0.0.1:1000";
const JANUS: &str = "10.0.0.2:2000";
const HANDLE: HandleRef = HandleRef {
    session: SessionId(1),
    handle: HandleId(2),
};

/// Our handle's connection and the peer that plays Janus, with what each said.
struct World {
    now: Instant,
    ours: HandleConnection,
    janus: PeerConnection,
    events: Vec<HandleEvent>,
    trickled: Vec<Vec<Trickle>>,
    janus_events: Vec<Event>,
    janus_candidates: Vec<Trickle>,
    /// Datagrams get through (off: the network between us is cut).
    linked: bool,
    /// Automatic ICE restart offers that came out, with when.
    restarts: Vec<(Instant, janus_proto::Jsep)>,
}

impl World {
    fn new() -> Self {
        Self::with(PeerConfig::default())
    }

    fn with(config: PeerConfig) -> Self {
        let now = Instant::now();
        let addr = |a: &str| a.parse::<SocketAddr>().unwrap();
        Self {
            now,
            ours: HandleConnection::new(config, now, &[addr(OURS)]),
            janus: PeerConnection::new(PeerConfig::default(), now, &[addr(JANUS)]),
            events: Vec::new(),
            trickled: Vec::new(),
            janus_events: Vec::new(),
            janus_candidates: Vec::new(),
            linked: true,
            restarts: Vec::new(),
        }
    }

    /// Moves datagrams both ways and advances time, `steps` times.
    fn run(&mut self, steps: usize) {
        for _ in 0..steps {
            let deadline = self.pump();
            self.now = deadline.clamp(
                self.now + Duration::from_millis(1),
                self.now + Duration::from_secs(1),
            );
            self.ours.handle_input(Input::Timeout(self.now)).unwrap();
            self.janus.handle_input(Input::Timeout(self.now)).unwrap();
        }
    }

    fn pump(&mut self) -> Instant {
        let ours = loop {
            match self.ours.poll_output() {
                HandleOutput::Transmit(t) if self.linked => self
                    .janus
                    .handle_input(Input::Receive(
                        self.now,
                        t.source,
                        t.destination,
                        &t.contents,
                    ))
                    .unwrap(),
                // No TURN server over TCP here.
                HandleOutput::Transmit(_) | HandleOutput::Stream(_) => {}
                HandleOutput::Trickle(batch) => self.trickled.push(batch),
                HandleOutput::Event(e) => self.events.push(e),
                HandleOutput::RestartIce { offer, .. } => {
                    self.ours.jsep_sent();
                    self.restarts.push((self.now, offer));
                }
                HandleOutput::Timeout(at) => break at,
            }
        };
        let janus = loop {
            match self.janus.poll_output() {
                Output::Transmit(t) if self.linked => self
                    .ours
                    .handle_input(Input::Receive(
                        self.now,
                        t.source,
                        t.destination,
                        &t.contents,
                    ))
                    .unwrap(),
                Output::Transmit(_) | Output::Stream(_) => {}
                Output::Event(Event::LocalCandidate(c)) => self.janus_candidates.push(c),
                Output::Event(e) => self.janus_events.push(e),
                Output::Timeout(at) => break at,
            }
        };
        ours.min(janus)
    }

    /// Trickles both ways: ours to "Janus", Janus's to us as the core's events would.
    fn trickle(&mut self) {
        for c in self.trickled.drain(..).flatten() {
            self.janus.add_remote_candidate(&c).unwrap();
        }
        for trickle in std::mem::take(&mut self.janus_candidates) {
            self.ours.handle_janus_event(JanusEvent::Trickle {
                handle: HANDLE,
                trickle,
            });
        }
    }

    /// We offer `tracks`, "Janus" answers, candidates cross, ICE and DTLS come up.
    fn offer_and_connect(&mut self, tracks: &[Track]) -> janus_proto::Jsep {
        let offer = self.ours.create_offer(self.now, tracks, false).unwrap();
        self.ours.jsep_sent();
        let answer = self.janus.create_answer(&offer, &[]).unwrap();
        self.ours.handle_remote_jsep(&answer).unwrap();
        self.run(1);
        self.trickle();
        self.run(100);
        assert!(self.ours.connection().is_connected() && self.janus.is_connected());
        offer
    }

    fn rtc_events(&self) -> Vec<&Event> {
        self.events.iter().filter_map(HandleEvent::rtc).collect()
    }
}

#[test]
fn our_candidates_wait_for_the_jsep_then_go_out_in_one_trickle() {
    let mut w = World::new();
    let _offer = w
        .ours
        .create_offer(w.now, &[Track::audio()], false)
        .unwrap();
    w.run(1);
    assert!(w.trickled.is_empty(), "trickled before the offer went out");
    w.ours.jsep_sent();
    w.run(1);
    assert_eq!(w.trickled.len(), 1);
    let batch = &w.trickled[0];
    assert!(
        matches!(batch.first(), Some(Trickle::Candidate(c)) if c.candidate.contains("10.0.0.1"))
    );
    assert_eq!(batch.last(), Some(&Trickle::Completed));
}

#[test]
fn janus_events_come_out_in_their_place_and_its_hangup_closes_then_a_new_offer_starts_over() {
    let mut w = World::new();
    let first = w.offer_and_connect(&[Track::audio(), Track::data("chat")]);
    assert!(
        !w.events
            .iter()
            .any(|e| matches!(e, HandleEvent::Janus(JanusEvent::Trickle { .. }))),
        "Janus's candidates are applied, not passed on"
    );
    w.ours
        .handle_janus_event(JanusEvent::WebrtcUp { handle: HANDLE });
    w.ours.handle_janus_event(JanusEvent::Hangup {
        handle: HANDLE,
        reason: Some("Close PC".into()),
    });
    w.run(5);
    let tail: Vec<String> = w
        .events
        .iter()
        .rev()
        .take(4)
        .rev()
        .map(|e| match e {
            HandleEvent::Janus(JanusEvent::WebrtcUp { .. }) => "webrtcup".into(),
            HandleEvent::Janus(JanusEvent::Hangup { .. }) => "hangup".into(),
            HandleEvent::Rtc(Event::LocalTrack { on: false, .. }) => "local off".into(),
            HandleEvent::Rtc(Event::RemoteTrack { on: false, .. }) => "remote off".into(),
            HandleEvent::Rtc(Event::Closed) => "closed".into(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        tail[..],
        ["hangup", "local off", "remote off", "closed"][..],
        "{tail:?}"
    );
    assert!(w.ours.connection().is_closed());

    // A new offer on the same handle: a new connection, with new ICE credentials.
    let ufrag = |sdp: &str| {
        sdp.lines()
            .find(|l| l.starts_with("a=ice-ufrag"))
            .map(str::to_owned)
    };
    let again = w
        .ours
        .create_offer(w.now, &[Track::audio()], false)
        .unwrap();
    assert!(!w.ours.connection().is_closed());
    assert!(again.sdp.contains("m=audio") && !again.sdp.contains("m=application"));
    assert!(ufrag(&again.sdp).is_some());
    assert_ne!(ufrag(&again.sdp), ufrag(&first.sdp));
}

#[test]
fn an_answer_follows_the_tracks_asked_for_and_opens_the_offered_data_channel() {
    let mut w = World::new();
    // "Janus" offers audio, video and data, as the VideoCall does to a callee.
    let offer = w
        .janus
        .create_offer(
            &[Track::audio(), Track::video(), Track::data("relay")],
            false,
        )
        .unwrap();
    let tracks = [
        Track::audio().recv_only(),
        Track::video().declined(),
        Track::data("chat").protocol("chat-v1"),
    ];
    let answer = w.ours.create_answer(w.now, &offer, &tracks).unwrap();
    w.ours.jsep_sent();
    assert!(answer.sdp.contains("a=recvonly") && answer.sdp.contains("a=inactive"));
    w.janus.handle_remote_jsep(&answer).unwrap();
    w.run(1);
    w.trickle();
    w.run(200);
    let pc = w.ours.connection();
    assert!(pc.is_connected());
    assert!(pc.local_tracks().is_empty(), "we send nothing");
    let remote = pc.remote_tracks();
    assert_eq!(remote.len(), 1);
    assert_eq!(remote[0].kind, TrackKind::Audio);
    // Our channel opened on both sides, with its protocol; theirs reached us too.
    assert!(w.rtc_events().iter().any(
        |e| matches!(e, Event::DataOpen { label, protocol } if label == "chat" && protocol == "chat-v1")
    ));
    assert!(w.janus_events.iter().any(
        |e| matches!(e, Event::DataOpen { label, protocol } if label == "chat" && protocol == "chat-v1")
    ));
    assert!(
        w.rtc_events()
            .iter()
            .any(|e| matches!(e, Event::DataOpen { label, .. } if label == "relay"))
    );
    w.ours
        .connection()
        .send_data("chat", false, b"from the callee")
        .unwrap();
    w.janus
        .send_data("relay", false, b"from the caller")
        .unwrap();
    w.run(20);
    assert!(
        w.janus_events
            .iter()
            .any(|e| matches!(e, Event::Data(m) if m.data == b"from the callee"))
    );
    assert!(w.rtc_events().iter().any(
        |e| matches!(e, Event::Data(m) if m.data == b"from the caller" && m.label == "relay")
    ));
}

#[test]
fn an_offer_without_tracks_on_a_live_connection_renegotiates_with_the_media_as_it_is() {
    let mut w = World::new();
    w.offer_and_connect(&[Track::audio(), Track::video()]);
    let before = w.ours.connection().local_tracks();
    let offer = w.ours.create_offer(w.now, &[], false).unwrap();
    w.ours.jsep_sent();
    assert_eq!(offer.sdp.matches("a=sendrecv").count(), 2, "{}", offer.sdp);
    let answer = w.janus.create_answer(&offer, &[]).unwrap();
    w.ours.handle_remote_jsep(&answer).unwrap();
    w.run(20);
    assert_eq!(w.ours.connection().local_tracks(), before);
    // Media still flows on the same mid.
    let mid = before[0].mid.clone();
    for n in 0..5u64 {
        let now = w.now;
        assert!(
            w.ours
                .connection()
                .write_frame(now, &mid, n * 960, &[0xF8, 1, 2, 3])
                .unwrap()
        );
        w.run(2);
    }
    w.run(20);
    let frames = w
        .janus_events
        .iter()
        .filter(|e| matches!(e, Event::Media(f) if f.mid == mid))
        .count();
    assert!(frames >= 4, "frames after the renegotiation: {frames}");
}

#[test]
fn ice_that_stays_disconnected_is_reported_failed_after_the_grace_period() {
    let mut w = World::new();
    w.offer_and_connect(&[Track::audio()]);
    w.linked = false;
    let cut = w.now;
    while w.now < cut + Duration::from_secs(60) {
        let before = w.events.len();
        w.run(1);
        for e in &w.events[before..] {
            if let HandleEvent::Rtc(Event::IceState(s)) = e {
                eprintln!("{:?} after the cut: {s:?}", w.now - cut);
            }
        }
    }
    let states: Vec<IceState> = w
        .rtc_events()
        .iter()
        .filter_map(|e| match e {
            Event::IceState(s) => Some(*s),
            _ => None,
        })
        .collect();
    let disconnected = states.iter().position(|s| *s == IceState::Disconnected);
    let failed = states.iter().position(|s| *s == IceState::Failed);
    assert!(
        matches!((disconnected, failed), (Some(d), Some(f)) if d < f),
        "{states:?} {:?}",
        w.events.iter().rev().take(8).collect::<Vec<_>>()
    );
}

#[test]
fn janus_candidates_that_come_before_its_answer_are_applied_with_it() {
    let mut w = World::new();
    let offer = w
        .ours
        .create_offer(w.now, &[Track::audio()], false)
        .unwrap();
    w.ours.jsep_sent();
    let answer = w.janus.create_answer(&offer, &[]).unwrap();
    w.run(1);
    // Janus's trickle overtakes the reply that carries its answer.
    for trickle in std::mem::take(&mut w.janus_candidates) {
        w.ours.handle_janus_event(JanusEvent::Trickle {
            handle: HANDLE,
            trickle,
        });
    }
    w.ours.handle_remote_jsep(&answer).unwrap();
    for c in w.trickled.drain(..).flatten() {
        w.janus.add_remote_candidate(&c).unwrap();
    }
    w.run(100);
    assert!(w.ours.connection().is_connected() && w.janus.is_connected());
}

#[test]
fn janus_ice_failed_and_media_events_pass_through_in_order_with_the_connection_still_open() {
    let mut w = World::new();
    w.offer_and_connect(&[Track::audio()]);
    let before = w.events.len();
    w.ours
        .handle_janus_event(JanusEvent::IceFailed { handle: HANDLE });
    w.ours.handle_janus_event(JanusEvent::SlowLink {
        handle: HANDLE,
        link: janus_proto::SlowLink {
            uplink: true,
            media: "audio".into(),
            mid: None,
            lost: 10,
        },
    });
    w.run(1);
    let janus: Vec<&JanusEvent> = w.events[before..]
        .iter()
        .filter_map(HandleEvent::janus)
        .collect();
    assert!(
        matches!(
            janus[..],
            [JanusEvent::IceFailed { .. }, JanusEvent::SlowLink { .. }]
        ),
        "{janus:?}"
    );
    // Janus's ICE failure is news, not a hangup: only its `hangup` closes ours.
    assert!(!w.ours.connection().is_closed());
}

#[test]
fn with_the_restart_policy_failed_ice_restarts_retries_on_time_gives_up_then_reconnects() {
    let mut w = World::with(PeerConfig {
        ice_failed_after: Some(Duration::from_secs(2)),
        restart_ice: Some(IceRestartPolicy {
            body: serde_json::json!({"request": "configure"}),
            retry_after: Duration::from_secs(5),
            max_attempts: 3,
        }),
        ..PeerConfig::default()
    });
    w.offer_and_connect(&[Track::audio()]);
    w.linked = false;
    let cut = w.now;
    while w.now < cut + Duration::from_secs(90) {
        w.run(1);
    }
    // Failed first, then the restart; again every 5 s while cut, three times in all.
    let failed = w
        .rtc_events()
        .iter()
        .position(|e| matches!(e, Event::IceState(IceState::Failed)));
    assert!(failed.is_some(), "never failed");
    assert_eq!(
        w.restarts.len(),
        3,
        "{:?}",
        w.restarts.iter().map(|r| r.0 - cut).collect::<Vec<_>>()
    );
    for pair in w.restarts.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= Duration::from_secs(5) && gap < Duration::from_secs(6),
            "{gap:?}"
        );
    }
    for (_, offer) in &w.restarts {
        assert!(offer.sdp.contains("a=ice-ufrag"), "an offer");
    }

    // The path is back: "Janus" answers the last restart and ICE connects again.
    w.linked = true;
    let (_, offer) = w.restarts.last().unwrap().clone();
    let answer = w.janus.create_answer(&offer, &[]).unwrap();
    w.ours.restart_answered(Some(answer));
    w.run(1);
    w.trickle();
    w.run(200);
    assert!(w.ours.connection().is_connected());
    let last_state = w.rtc_events().iter().rev().find_map(|e| match e {
        Event::IceState(s) => Some(*s),
        _ => None,
    });
    assert!(
        matches!(last_state, Some(IceState::Connected | IceState::Completed)),
        "{last_state:?}"
    );
}
