//! The AudioBridge workflow of both adapters (`plugins::audiobridge::Participant`) against
//! the real plugin: two participants join the template's room 1234 (typed `joined`
//! answers, the second sees the first, the first hears of the second), both send the real
//! Opus sample and each receives the mixer's Opus (re-encoded: checked for a 20 ms TOC, not
//! byte equality), `listparticipants` typed, a mute by `configure` seen in the typed event
//! and list, `leave` seen by the other as a typed leaving event, and a typed plugin error.
//! A second scenario: `configure` with a display name (the other's typed participants
//! event), a moderator's `mute` and `unmute` (the typed event; silence, then sound in the
//! other's mix), `mute_room` (the typed event at both; silence), `play_file` of the
//! repository's Opus sample into the muted room (its typed start event; sound in the mix),
//! `is_playing`, `stop_file` (its typed stop event; silence again), `unmute_room`,
//! `rtp_forward` of the mix to a UDP socket of the test (20 ms Opus packets arrive),
//! `listforwarders`, `stop_rtp_forward`, `changeroom` to a room made by `create` (typed
//! `roomchanged`; listed there; the old room hears the leaving), and `destroy` of that room
//! (the participant's typed `destroyed`).
//! Talk detection: in a room made with `audiolevel_event`, a participant writes the Opus
//! sample with silent RFC 6464 levels (no event: blocking), then loud ones, then silence
//! again; the other participant and the talker herself get the typed `talking`, then
//! `stopped-talking`, and `listparticipants` says `talking` true, then false.
//! `blocking` and `tokio_adapter` run the same scenarios, each on its adapter.
#![allow(clippy::unwrap_used, missing_docs)]

use janus_proto::plugin::audiobridge::{Create, ErrorCode, Event, Id, Join, Participant as Listed};
use janus_rtc::{HandleEvent, TrackInfo, TrackKind};
use janus_tests::samples::is_mixed_opus;

/// The AudioBridge room of the harness's template.
const ROOM: u64 = 1234;
/// A room that does not exist.
const NO_ROOM: u64 = 999_999;
/// Mixed frames with sound each participant must receive (1 s), and silent ones in a row
/// the other must receive once the only one talking is muted (0.5 s).
const MIXED_FRAMES: usize = 50;
const SILENT_FRAMES: usize = 25;

fn join(room: u64, display: &str) -> Join {
    let mut join = Join::new(room);
    join.display = Some(display.into());
    join
}

fn audio_mid(tracks: &[TrackInfo]) -> String {
    tracks
        .iter()
        .find(|t| t.kind == TrackKind::Audio)
        .map(|t| t.mid.clone())
        .unwrap()
}

/// Another participant's `joined`: who joined.
fn newcomers(e: Event) -> Option<Vec<(Id, Option<String>)>> {
    match e {
        Event::Joined(j) if j.id.is_none() => Some(
            j.participants
                .into_iter()
                .map(|p| (p.id, p.display))
                .collect(),
        ),
        _ => None,
    }
}

/// A participants change that says `who` is muted.
fn muted(who: &Id) -> impl FnMut(Event) -> Option<()> + '_ {
    move |e| match e {
        Event::ParticipantsChanged { participants, .. } => participants
            .iter()
            .any(|p| &p.id == who && p.muted == Some(true))
            .then_some(()),
        _ => None,
    }
}

/// A participant leaving: its id.
fn leaving(e: Event) -> Option<Id> {
    match e {
        Event::ParticipantLeft { id, .. } => Some(id),
        _ => None,
    }
}

/// The largest mixed frame that is silence: the mixer encodes nothing heard in 8 bytes
/// (libopus 1.3 and 1.4), the sample's 440 Hz tone in 23 to 64.
const SILENCE: usize = 16;

/// Mixed frames received so far: 20 ms Opus with sound in it, silent, and anything else.
#[derive(Debug, Default)]
struct Mixed {
    sound: usize,
    silent: usize,
    /// Silent frames in a row, last.
    silent_run: usize,
    other: Vec<Vec<u8>>,
}

impl Mixed {
    /// Takes one event.
    fn push(&mut self, e: HandleEvent) {
        let HandleEvent::Rtc(janus_rtc::Event::Media(f)) = e else {
            return;
        };
        if !is_mixed_opus(&f) {
            self.other.push(f.data.iter().take(4).copied().collect());
        } else if f.data.len() > SILENCE {
            self.sound += 1;
            self.silent_run = 0;
        } else {
            self.silent += 1;
            self.silent_run += 1;
        }
    }

    fn check(&self, who: &str) {
        assert!(
            self.other.is_empty(),
            "{who}: not 20 ms Opus: {:?}",
            self.other
        );
        eprintln!(
            "{who}: mixed 20 ms Opus frames received: {} with sound, {} silent",
            self.sound, self.silent
        );
    }
}

/// Enough of the other's sound heard in the mix.
fn hears_sound(m: &Mixed) -> bool {
    m.sound >= MIXED_FRAMES
}

/// Silence in the mix long enough.
fn silenced(m: &Mixed) -> bool {
    m.silent_run >= SILENT_FRAMES
}

/// A participant as `listparticipants` lists it: (id, display, muted, set up).
type Row = (Id, Option<String>, Option<bool>, Option<bool>);

/// `listparticipants`, by display name.
fn listed(list: Vec<Listed>) -> Vec<Row> {
    let mut list: Vec<_> = list
        .into_iter()
        .map(|p| (p.id, p.display, p.muted, p.setup))
        .collect();
    list.sort_by(|a, b| a.1.cmp(&b.1));
    list
}

fn assert_no_such_room(err: &janus_rtc::ClientError) {
    assert_eq!(
        err.plugin_code().map(ErrorCode::from_code),
        Some(ErrorCode::NoSuchRoom),
        "{err}"
    );
}

/// A second room, made by the test.
const OTHER_ROOM: u64 = 4321;
/// The template room's secret (moderator requests need it).
const SECRET: &str = "adminpwd";
/// The payload type the test's forwarder sends the mix with.
const FORWARD_PT: u8 = 100;

/// The repository's Opus sample, by absolute path: Janus reads it itself.
fn sample_path() -> String {
    format!("{}/../media/samples/audio.opus", env!("CARGO_MANIFEST_DIR"))
}

/// A participants change that says `who` has display name `name`.
fn renamed<'a>(who: &'a Id, name: &'a str) -> impl FnMut(Event) -> Option<()> + 'a {
    move |e| match e {
        Event::ParticipantsChanged { participants, .. } => participants
            .iter()
            .any(|p| &p.id == who && p.display.as_deref() == Some(name))
            .then_some(()),
        _ => None,
    }
}

/// A participants change that says `who` is muted (`muted`) or not.
fn mute_is<'a>(who: &'a Id, muted: bool) -> impl FnMut(Event) -> Option<()> + 'a {
    move |e| match e {
        Event::ParticipantsChanged { participants, .. } => participants
            .iter()
            .any(|p| &p.id == who && p.muted == Some(muted))
            .then_some(()),
        _ => None,
    }
}

/// The room muted or unmuted: whether muted.
fn room_muted(e: Event) -> Option<bool> {
    match e {
        Event::RoomMuted { muted, .. } => Some(muted),
        _ => None,
    }
}

/// An announcement starting: its file id.
fn announced(e: Event) -> Option<String> {
    match e {
        Event::AnnouncementStarted { file_id, .. } => Some(file_id),
        _ => None,
    }
}

/// An announcement stopping: its file id.
fn announcement_stopped(e: Event) -> Option<String> {
    match e {
        Event::AnnouncementStopped { file_id, .. } => Some(file_id),
        _ => None,
    }
}

/// The room destroyed: which.
fn destroyed(e: Event) -> Option<Id> {
    match e {
        Event::Destroyed(d) => Some(d.room),
        _ => None,
    }
}

/// An RTP packet's payload type and payload (RFC 3550 §5.1: after CSRCs and the header
/// extension, without padding).
fn rtp(packet: &[u8]) -> Option<(u8, &[u8])> {
    if packet.len() < 12 || packet[0] >> 6 != 2 {
        return None;
    }
    let mut at = 12 + 4 * usize::from(packet[0] & 0x0f);
    if packet[0] & 0x10 != 0 {
        let len = packet.get(at + 2..at + 4)?;
        at += 4 + 4 * usize::from(u16::from_be_bytes([len[0], len[1]]));
    }
    let mut end = packet.len();
    if packet[0] & 0x20 != 0 {
        end = end.checked_sub(usize::from(*packet.last()?))?;
    }
    Some((packet[1] & 0x7f, packet.get(at..end)?))
}

/// The room of the talk-detection tests, made by them with `audiolevel_event`.
const TALK_ROOM: u64 = 5678;
/// Talk detection over 25 packets (0.5 s of 20 ms frames), talking below an average of
/// 40 -dBov: shorter than the defaults (100 packets, 25) so that the test is quick.
const ACTIVE_PACKETS: u64 = 25;
const LEVEL_AVERAGE: u64 = 40;
/// The levels the talker writes with its frames (-dBov: lower is louder): loud, far
/// below the threshold, then silence.
const LOUD: u8 = 10;
const QUIET: u8 = 127;

/// A room that tells its participants who talks.
fn talk_room() -> Create {
    let mut create = Create::new();
    create.room = Some(TALK_ROOM.into());
    create.audiolevel_event = Some(true);
    create.audio_active_packets = Some(ACTIVE_PACKETS);
    create.audio_level_average = Some(LEVEL_AVERAGE);
    create
}

/// `who` started talking (`true`) or stopped (`false`).
fn talking(who: &Id) -> impl FnMut(Event) -> Option<bool> + '_ {
    move |e| match e {
        Event::Talking { id, .. } if &id == who => Some(true),
        Event::StoppedTalking { id, .. } if &id == who => Some(false),
        _ => None,
    }
}

/// `who`'s `talking` flag in `listparticipants` (present once the extension is in use).
fn listed_talking(list: &[Listed], who: &Id) -> Option<bool> {
    list.iter().find(|p| &p.id == who).and_then(|p| p.talking)
}

mod blocking {

    use std::net::{IpAddr, UdpSocket};
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
    use std::time::{Duration, Instant};

    use janus_blocking::plugins::audiobridge::{self, Participant};
    use janus_blocking::rtc::AudioLevel;
    use janus_blocking::{Client, Connection};
    use janus_proto::ClientConfig;
    use janus_proto::plugin::audiobridge::{
        ChangeRoom, Configure, Destroy, IsPlaying, ListForwarders, ListParticipants, Mute,
        MuteRoom, PLUGIN, PlayFile, Resume, RtpForward, StopFile, StopRtpForward, Suspend, Unmute,
        UnmuteRoom,
    };
    use janus_rtc::HandleEvent;
    use janus_tests::Janus;
    use janus_tests::rtc::{StopOnDrop, WAIT, pick};
    use janus_tests::samples::Samples;

    use super::*;

    /// Writes the Opus sample until `stop`: frames written.
    fn send_opus(peer: &Connection, mid: &str, stop: &AtomicBool) -> u64 {
        let mut samples = Samples::new(Instant::now(), false);
        let mut sent = 0;
        while !stop.load(Ordering::Relaxed) {
            let (frames, next) = samples.due(Instant::now());
            for (_, f) in frames {
                if peer.write_frame(mid, f.rtp_time, &f.data).unwrap_or(false) {
                    sent += 1;
                }
            }
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        sent
    }

    /// Reads `p`'s mixed frames until `done` says so.
    fn mixed(p: &Participant, who: &str, done: fn(&Mixed) -> bool) {
        let mut mixed = Mixed::default();
        p.handle()
            .events()
            .wait_for(WAIT, |e| {
                mixed.push(e);
                done(&mixed).then_some(())
            })
            .unwrap_or_else(|e| panic!("{who}: {e}: {mixed:?}"));
        mixed.check(who);
    }

    fn mid(p: &Participant) -> String {
        audio_mid(
            &p.handle()
                .peer()
                .unwrap()
                .call(|pc, _| pc.local_tracks())
                .unwrap(),
        )
    }

    #[test]
    fn two_participants_mix_mute_and_leave() {
        let janus = Janus::launch().unwrap();
        let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
        let session = client.create_session().unwrap();
        let ip: IpAddr = janus.media_ip().into();

        let err = Participant::join(&session, ip, &join(NO_ROOM, "nobody")).unwrap_err();
        assert_no_such_room(&err);

        let alice = Participant::join(&session, ip, &join(ROOM, "alice")).unwrap();
        assert_eq!(alice.joined().room, ROOM.into());
        assert!(
            alice.joined().participants.is_empty(),
            "{:?}",
            alice.joined()
        );
        // Her connection up before anything else is waited for on her queue (a wait skips
        // what it does not want).
        alice
            .handle()
            .events()
            .wait_for(WAIT, pick::both_up())
            .unwrap();
        let bob = Participant::join(&session, ip, &join(ROOM, "bob")).unwrap();
        let there: Vec<_> = bob
            .joined()
            .participants
            .iter()
            .map(|p| (p.id.clone(), p.display.clone()))
            .collect();
        assert_eq!(there, [(alice.id().clone(), Some("alice".into()))]);
        let heard = alice
            .handle()
            .events()
            .wait_for(WAIT, pick::typed(audiobridge::event, newcomers))
            .unwrap();
        assert_eq!(heard, [(bob.id().clone(), Some("bob".into()))]);
        bob.handle()
            .events()
            .wait_for(WAIT, pick::both_up())
            .unwrap();

        let (alice_mid, bob_mid) = (mid(&alice), mid(&bob));
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            let senders = [
                s.spawn(|| send_opus(alice.handle().peer().unwrap(), &alice_mid, &stop)),
                s.spawn(|| send_opus(bob.handle().peer().unwrap(), &bob_mid, &stop)),
            ];
            mixed(&alice, "blocking alice", hears_sound);
            mixed(&bob, "blocking bob", hears_sound);
            let list = listed(alice.participants().unwrap());
            assert_eq!(
                list,
                [
                    (
                        alice.id().clone(),
                        Some("alice".into()),
                        Some(false),
                        Some(true)
                    ),
                    (
                        bob.id().clone(),
                        Some("bob".into()),
                        Some(false),
                        Some(true)
                    ),
                ]
            );

            alice.set_muted(true).unwrap();
            bob.handle()
                .events()
                .wait_for(WAIT, pick::typed(audiobridge::event, muted(alice.id())))
                .unwrap();
            // Alice was all bob heard: the mix goes silent.
            mixed(&bob, "blocking bob, alice muted", silenced);
            let list = listed(bob.participants().unwrap());
            assert_eq!(
                list[0],
                (
                    alice.id().clone(),
                    Some("alice".into()),
                    Some(true),
                    Some(true)
                )
            );
            assert_eq!(list[1].2, Some(false), "{list:?}");

            alice.leave().unwrap();
            let left = bob
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(audiobridge::event, leaving))
                .unwrap();
            assert_eq!(&left, alice.id());
            let list = listed(bob.participants().unwrap());
            assert_eq!(list.iter().map(|p| &p.0).collect::<Vec<_>>(), [bob.id()]);
            stop.store(true, Ordering::Relaxed);
            let sent = senders.map(|s| s.join().unwrap());
            eprintln!("blocking: Opus frames written by alice and bob {sent:?}");
        });
    }
    /// Writes the Opus sample until `stop`, each frame with the level `level` holds then.
    fn send_talking(peer: &Connection, mid: &str, level: &AtomicU8, stop: &AtomicBool) -> u64 {
        let mut samples = Samples::new(Instant::now(), false);
        let mut sent = 0;
        while !stop.load(Ordering::Relaxed) {
            let (frames, next) = samples.due(Instant::now());
            for (_, f) in frames {
                let level = AudioLevel::new(level.load(Ordering::Relaxed)).unwrap();
                if peer
                    .write_frame_with_level(mid, f.rtp_time, &f.data, level)
                    .unwrap_or(false)
                {
                    sent += 1;
                }
            }
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        sent
    }

    #[test]
    fn a_participant_sending_loud_then_quiet_levels_is_announced_talking_then_stopped() {
        let janus = Janus::launch().unwrap();
        let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
        let session = client.create_session().unwrap();
        let ip: IpAddr = janus.media_ip().into();
        let admin = session.attach(PLUGIN).unwrap();
        let created = audiobridge::request(&admin, &talk_room()).unwrap();
        assert!(
            matches!(&created, Event::Created(c) if c.room == TALK_ROOM.into()),
            "{created:?}"
        );

        let alice = Participant::join(&session, ip, &join(TALK_ROOM, "alice")).unwrap();
        alice
            .handle()
            .events()
            .wait_for(WAIT, pick::both_up())
            .unwrap();
        let bob = Participant::join(&session, ip, &join(TALK_ROOM, "bob")).unwrap();
        bob.handle()
            .events()
            .wait_for(WAIT, pick::both_up())
            .unwrap();
        let alice_mid = mid(&alice);
        let level = AtomicU8::new(QUIET);
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            let sender =
                s.spawn(|| send_talking(alice.handle().peer().unwrap(), &alice_mid, &level, &stop));
            // Frames flowing with silent levels: over two detection periods, no one talks.
            let early = bob.handle().events().wait_for(
                Duration::from_millis(40 * ACTIVE_PACKETS),
                pick::typed(audiobridge::event, talking(alice.id())),
            );
            assert!(
                early
                    .as_ref()
                    .is_err_and(janus_rtc::ClientError::is_timeout),
                "talking with silent levels: {early:?}"
            );
            level.store(LOUD, Ordering::Relaxed);
            // Loud: the other participant and the talker herself hear she talks.
            let said = bob
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(audiobridge::event, talking(alice.id())))
                .unwrap();
            assert!(said, "stopped-talking before talking");
            let said = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(audiobridge::event, talking(alice.id())))
                .unwrap();
            assert!(said, "alice: stopped-talking before talking");
            assert_eq!(
                alice
                    .handle()
                    .peer()
                    .unwrap()
                    .local_volume(&alice_mid)
                    .unwrap(),
                Some(AudioLevel::new(LOUD).unwrap())
            );
            let list = alice.participants().unwrap();
            assert_eq!(listed_talking(&list, alice.id()), Some(true), "{list:?}");
            assert_eq!(listed_talking(&list, bob.id()), Some(false), "{list:?}");

            // Quiet: both hear she stopped.
            level.store(QUIET, Ordering::Relaxed);
            let said = bob
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(audiobridge::event, talking(alice.id())))
                .unwrap();
            assert!(!said, "talking again instead of stopped-talking");
            let said = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(audiobridge::event, talking(alice.id())))
                .unwrap();
            assert!(!said, "alice: talking again instead of stopped-talking");
            let list = bob.participants().unwrap();
            assert_eq!(listed_talking(&list, alice.id()), Some(false), "{list:?}");
            stop.store(true, Ordering::Relaxed);
            let sent = sender.join().unwrap();
            eprintln!("blocking: Opus frames with levels written by alice {sent}");
        });
    }

    /// Forwarded mix packets on `socket` until `count` are 20 ms Opus with `FORWARD_PT`:
    /// (those, others).
    fn forwarded(socket: &UdpSocket, count: usize) -> (usize, usize) {
        let (mut opus, mut other) = (0, 0);
        let deadline = Instant::now() + WAIT;
        let mut buf = [0u8; 2048];
        while opus < count && Instant::now() < deadline {
            let Ok(n) = socket.recv(&mut buf) else {
                continue;
            };
            match rtp(&buf[..n]) {
                Some((FORWARD_PT, payload))
                    if janus_media::ogg_opus::packet_duration(payload) == Some(960) =>
                {
                    opus += 1;
                }
                _ => other += 1,
            }
        }
        assert!(
            opus >= count,
            "{opus} forwarded Opus packets, {other} others"
        );
        (opus, other)
    }

    /// No mixed frame reaches `p` for half a second, once those in flight (300 ms) are
    /// drained.
    fn no_mix(p: &Participant, what: &str) {
        let events = p.handle().events();
        let _ = events.wait_for(Duration::from_millis(300), |_| None::<()>);
        let got = events.wait_for(Duration::from_millis(500), |e| {
            matches!(e, HandleEvent::Rtc(janus_rtc::Event::Media(_))).then_some(())
        });
        assert!(got.is_err(), "{what}: a mixed frame still arrived");
    }

    /// `suspend` takes a participant out of the mix both ways while its connection stays
    /// up (Janus 1.2.1 and later): the room hears of it, the others hear silence where it
    /// was, it gets no mix; `resume` brings both back.
    #[test]
    fn a_suspended_participant_leaves_the_mix_both_ways_until_resumed() {
        let janus = Janus::launch().unwrap();
        if !janus.requires((1, 2, 1), "AudioBridge suspend and resume") {
            return;
        }
        let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
        let session = client.create_session().unwrap();
        let ip: IpAddr = janus.media_ip().into();
        let admin = session.attach(PLUGIN).unwrap();
        let alice = Participant::join(&session, ip, &join(ROOM, "alice")).unwrap();
        alice
            .handle()
            .events()
            .wait_for(WAIT, pick::both_up())
            .unwrap();
        let bob = Participant::join(&session, ip, &join(ROOM, "bob")).unwrap();
        bob.handle()
            .events()
            .wait_for(WAIT, pick::both_up())
            .unwrap();
        let bob_id = bob.id().clone();
        let (alice_mid, bob_mid) = (mid(&alice), mid(&bob));

        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            s.spawn(|| send_opus(alice.handle().peer().unwrap(), &alice_mid, &stop));
            s.spawn(|| send_opus(bob.handle().peer().unwrap(), &bob_mid, &stop));
            mixed(&alice, "alice", hears_sound);
            mixed(&bob, "bob", hears_sound);

            let mut suspend = Suspend::new(ROOM, bob_id.clone());
            suspend.secret = Some(SECRET.into());
            let answer = audiobridge::request(&admin, &suspend).unwrap();
            assert!(matches!(answer, Event::Success(_)), "{answer:?}");
            let told = alice
                .handle()
                .events()
                .wait_for(
                    WAIT,
                    pick::typed(audiobridge::event, |e| match e {
                        Event::Suspended { id, .. } => Some(id),
                        _ => None,
                    }),
                )
                .unwrap();
            assert_eq!(told, bob_id);
            // Bob was all alice heard; bob hears nothing at all.
            mixed(&alice, "alice, bob suspended", silenced);
            no_mix(&bob, "bob suspended");
            let list = alice.participants().unwrap();
            let suspended: Vec<_> = list.iter().map(|p| (&p.id, p.suspended)).collect();
            assert!(suspended.contains(&(&bob_id, Some(true))), "{suspended:?}");

            let mut resume = Resume::new(ROOM, bob_id.clone());
            resume.secret = Some(SECRET.into());
            let answer = audiobridge::request(&admin, &resume).unwrap();
            assert!(matches!(answer, Event::Success(_)), "{answer:?}");
            let told = alice
                .handle()
                .events()
                .wait_for(
                    WAIT,
                    pick::typed(audiobridge::event, |e| match e {
                        Event::Resumed { id, .. } => Some(id),
                        _ => None,
                    }),
                )
                .unwrap();
            assert_eq!(told, bob_id);
            mixed(&bob, "bob resumed", hears_sound);
            mixed(&alice, "alice, bob resumed", hears_sound);
            stop.store(true, Ordering::Relaxed);
        });
    }

    #[test]
    fn moderation_announcement_forward_changeroom_destroy() {
        let janus = Janus::launch().unwrap();
        let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
        let session = client.create_session().unwrap();
        let ip: IpAddr = janus.media_ip().into();
        let admin = session.attach(PLUGIN).unwrap();

        let alice = Participant::join(&session, ip, &join(ROOM, "alice")).unwrap();
        alice
            .handle()
            .events()
            .wait_for(WAIT, pick::both_up())
            .unwrap();
        let bob = Participant::join(&session, ip, &join(ROOM, "bob")).unwrap();
        bob.handle()
            .events()
            .wait_for(WAIT, pick::both_up())
            .unwrap();
        let (alice_id, bob_id) = (alice.id().clone(), bob.id().clone());
        let (alice_mid, bob_mid) = (mid(&alice), mid(&bob));

        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            let senders = [
                s.spawn(|| send_opus(alice.handle().peer().unwrap(), &alice_mid, &stop)),
                s.spawn(|| send_opus(bob.handle().peer().unwrap(), &bob_mid, &stop)),
            ];
            mixed(&bob, "blocking bob", hears_sound);

            // `configure` with a display name: bob hears of it.
            let mut rename = Configure::new();
            rename.display = Some("alice2".into());
            alice.configure(&rename).unwrap();
            bob.handle()
                .events()
                .wait_for(
                    WAIT,
                    pick::typed(audiobridge::event, renamed(&alice_id, "alice2")),
                )
                .unwrap();

            // A moderator's `mute` of alice: bob hears of it, and silence; `unmute`: sound.
            let mut mute = Mute::new(ROOM, alice_id.clone());
            mute.secret = Some(SECRET.into());
            let answer = audiobridge::request(&admin, &mute).unwrap();
            assert!(matches!(answer, Event::Success(_)), "{answer:?}");
            bob.handle()
                .events()
                .wait_for(
                    WAIT,
                    pick::typed(audiobridge::event, mute_is(&alice_id, true)),
                )
                .unwrap();
            mixed(&bob, "blocking bob, alice muted by the moderator", silenced);
            let mut unmute = Unmute::new(ROOM, alice_id.clone());
            unmute.secret = Some(SECRET.into());
            audiobridge::request(&admin, &unmute).unwrap();
            bob.handle()
                .events()
                .wait_for(
                    WAIT,
                    pick::typed(audiobridge::event, mute_is(&alice_id, false)),
                )
                .unwrap();
            mixed(&bob, "blocking bob, alice unmuted", hears_sound);

            // `mute_room`: both hear of it, and alice hears silence; then `unmute_room`.
            let mut mute_room = MuteRoom::new(ROOM);
            mute_room.secret = Some(SECRET.into());
            audiobridge::request(&admin, &mute_room).unwrap();
            for p in [&alice, &bob] {
                let muted = p
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(audiobridge::event, room_muted))
                    .unwrap();
                assert!(muted);
            }
            mixed(&alice, "blocking alice, room muted", silenced);

            // `play_file` of the sample into the muted room: alice hears it.
            let mut play = PlayFile::new(ROOM, sample_path());
            play.secret = Some(SECRET.into());
            let Event::Announcement { file_id, .. } = audiobridge::request(&admin, &play).unwrap()
            else {
                panic!("not an announcement")
            };
            let started = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(audiobridge::event, announced))
                .unwrap();
            assert_eq!(started, file_id);
            mixed(&alice, "blocking alice, the file played", hears_sound);
            let mut playing = IsPlaying::new(ROOM, file_id.clone());
            playing.secret = Some(SECRET.into());
            let answer = audiobridge::request(&admin, &playing).unwrap();
            assert!(
                matches!(&answer, Event::Playing { playing: true, file_id: f, .. } if *f == file_id),
                "{answer:?}"
            );
            let mut stop_file = StopFile::new(ROOM, file_id.clone());
            stop_file.secret = Some(SECRET.into());
            audiobridge::request(&admin, &stop_file).unwrap();
            let ended = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(audiobridge::event, announcement_stopped))
                .unwrap();
            assert_eq!(ended, file_id);
            mixed(&alice, "blocking alice, the file stopped", silenced);

            let mut unmute_room = UnmuteRoom::new(ROOM);
            unmute_room.secret = Some(SECRET.into());
            audiobridge::request(&admin, &unmute_room).unwrap();
            let muted = bob
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(audiobridge::event, room_muted))
                .unwrap();
            assert!(!muted);

            // `rtp_forward` of the mix to a socket of ours: 20 ms Opus packets arrive.
            let socket = UdpSocket::bind((janus.media_ip(), 0)).unwrap();
            socket
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            let port = socket.local_addr().unwrap().port();
            let mut forward = RtpForward::new(ROOM, janus.media_ip().to_string(), port);
            forward.ptype = Some(FORWARD_PT);
            forward.secret = Some(SECRET.into());
            let Event::ForwarderAdded(added) = audiobridge::request(&admin, &forward).unwrap()
            else {
                panic!("not a forwarder")
            };
            let got = forwarded(&socket, MIXED_FRAMES);
            eprintln!("blocking mix forwarded: (Opus, other) packets {got:?}");
            let mut list = ListForwarders::new(ROOM);
            list.secret = Some(SECRET.into());
            let Event::Forwarders(list) = audiobridge::request(&admin, &list).unwrap() else {
                panic!("not forwarders")
            };
            let ids: Vec<_> = list.rtp_forwarders.iter().map(|f| f.stream_id).collect();
            assert_eq!(ids, [added.stream_id]);
            let mut stop_forward = StopRtpForward::new(ROOM, added.stream_id);
            stop_forward.secret = Some(SECRET.into());
            let stopped = audiobridge::request(&admin, &stop_forward).unwrap();
            assert!(
                matches!(stopped, Event::ForwarderStopped { stream_id, .. } if stream_id == added.stream_id),
                "{stopped:?}"
            );

            // `changeroom` of bob to a new room: typed answer, listed there, alice hears
            // him leave.
            let mut create = Create::new();
            create.room = Some(OTHER_ROOM.into());
            create.sampling_rate = Some(16_000);
            audiobridge::request(&admin, &create).unwrap();
            // (Through the handle: the sender thread holds bob, `change_room` wants him
            // mutable.)
            let Event::RoomChanged(changed) =
                audiobridge::request(bob.handle(), &ChangeRoom::new(OTHER_ROOM)).unwrap()
            else {
                panic!("not roomchanged")
            };
            assert_eq!(changed.room, OTHER_ROOM.into());
            assert!(changed.participants.is_empty(), "{changed:?}");
            let left = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(audiobridge::event, leaving))
                .unwrap();
            assert_eq!(left, bob_id);
            let Event::Participants(there) =
                audiobridge::request(&admin, &ListParticipants::new(OTHER_ROOM)).unwrap()
            else {
                panic!("not participants")
            };
            let ids: Vec<_> = there.participants.iter().map(|p| &p.id).collect();
            assert_eq!(ids, [&changed.id]);

            // `destroy` of that room: the answer, and bob is told.
            let gone = audiobridge::request(&admin, &Destroy::new(OTHER_ROOM)).unwrap();
            assert!(
                matches!(&gone, Event::Destroyed(d) if d.room == OTHER_ROOM.into()),
                "{gone:?}"
            );
            let told = bob
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(audiobridge::event, destroyed))
                .unwrap();
            assert_eq!(told, OTHER_ROOM.into());
            stop.store(true, Ordering::Relaxed);
            let sent = senders.map(|s| s.join().unwrap());
            eprintln!("blocking: Opus frames written by alice and bob {sent:?}");
        });
    }
}

mod tokio_adapter {
    use std::future::Future;
    use std::net::IpAddr;
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
    use std::time::{Duration, Instant};

    use janus_proto::ClientConfig;
    use janus_proto::plugin::audiobridge::{
        ChangeRoom, Configure, Destroy, IsPlaying, ListForwarders, ListParticipants, Mute,
        MuteRoom, PLUGIN, PlayFile, RtpForward, StopFile, StopRtpForward, Unmute, UnmuteRoom,
    };
    use janus_tests::Janus;
    use janus_tests::rtc::{StopOnDrop, WAIT, pick};
    use janus_tests::samples::Samples;
    use janus_tokio::plugins::audiobridge::{self, Participant};
    use janus_tokio::rtc::AudioLevel;
    use janus_tokio::{Client, Connection};

    use super::*;

    /// Fails the test if `body` takes longer than this.
    async fn within<T>(body: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(90), body)
            .await
            .expect("test timed out")
    }

    /// Writes the Opus sample until `stop`: frames written.
    async fn send_opus(peer: &Connection, mid: &str, stop: &AtomicBool) -> u64 {
        let mut samples = Samples::new(Instant::now(), false);
        let mut sent = 0;
        while !stop.load(Ordering::Relaxed) {
            let (frames, next) = samples.due(Instant::now());
            for (_, f) in frames {
                if peer
                    .write_frame(mid, f.rtp_time, &f.data)
                    .await
                    .unwrap_or(false)
                {
                    sent += 1;
                }
            }
            tokio::time::sleep_until(next.into()).await;
        }
        sent
    }

    /// Reads `p`'s mixed frames until `done` says so.
    async fn mixed(p: &Participant, who: &str, done: fn(&Mixed) -> bool) {
        let mut mixed = Mixed::default();
        p.handle()
            .events()
            .wait_for(WAIT, |e| {
                mixed.push(e);
                done(&mixed).then_some(())
            })
            .await
            .unwrap_or_else(|e| panic!("{who}: {e}: {mixed:?}"));
        mixed.check(who);
    }

    async fn mid(p: &Participant) -> String {
        audio_mid(
            &p.handle()
                .peer()
                .unwrap()
                .call(|pc, _| pc.local_tracks())
                .await
                .unwrap(),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_participants_mix_mute_and_leave() {
        within(async {
            let janus = tokio::task::block_in_place(Janus::launch).unwrap();
            let config = ClientConfig::new([janus.ws_url()])
                .unwrap()
                .request_timeout(WAIT);
            let client = Client::connect(config).await.unwrap();
            let session = client.create_session().await.unwrap();
            let ip: IpAddr = janus.media_ip().into();

            let err = Participant::join(&session, ip, &join(NO_ROOM, "nobody"))
                .await
                .unwrap_err();
            assert_no_such_room(&err);

            let alice = Participant::join(&session, ip, &join(ROOM, "alice"))
                .await
                .unwrap();
            assert_eq!(alice.joined().room, ROOM.into());
            assert!(
                alice.joined().participants.is_empty(),
                "{:?}",
                alice.joined()
            );
            // Her connection up before anything else is waited for on her queue (a wait
            // skips what it does not want).
            alice
                .handle()
                .events()
                .wait_for(WAIT, pick::both_up())
                .await
                .unwrap();
            let bob = Participant::join(&session, ip, &join(ROOM, "bob"))
                .await
                .unwrap();
            let there: Vec<_> = bob
                .joined()
                .participants
                .iter()
                .map(|p| (p.id.clone(), p.display.clone()))
                .collect();
            assert_eq!(there, [(alice.id().clone(), Some("alice".into()))]);
            let heard = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(audiobridge::event, newcomers))
                .await
                .unwrap();
            assert_eq!(heard, [(bob.id().clone(), Some("bob".into()))]);
            bob.handle()
                .events()
                .wait_for(WAIT, pick::both_up())
                .await
                .unwrap();

            let (alice_mid, bob_mid) = (mid(&alice).await, mid(&bob).await);
            let stop = AtomicBool::new(false);
            let checks = async {
                let _stop = StopOnDrop(&stop);
                mixed(&alice, "tokio alice", hears_sound).await;
                mixed(&bob, "tokio bob", hears_sound).await;
                let list = listed(alice.participants().await.unwrap());
                assert_eq!(
                    list,
                    [
                        (
                            alice.id().clone(),
                            Some("alice".into()),
                            Some(false),
                            Some(true)
                        ),
                        (
                            bob.id().clone(),
                            Some("bob".into()),
                            Some(false),
                            Some(true)
                        ),
                    ]
                );

                alice.set_muted(true).await.unwrap();
                let muted = pick::typed(audiobridge::event, muted(alice.id()));
                bob.handle().events().wait_for(WAIT, muted).await.unwrap();
                // Alice was all bob heard: the mix goes silent.
                mixed(&bob, "tokio bob, alice muted", silenced).await;
                let list = listed(bob.participants().await.unwrap());
                assert_eq!(
                    list[0],
                    (
                        alice.id().clone(),
                        Some("alice".into()),
                        Some(true),
                        Some(true)
                    )
                );
                assert_eq!(list[1].2, Some(false), "{list:?}");

                alice.leave().await.unwrap();
                let left = bob
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(audiobridge::event, leaving))
                    .await
                    .unwrap();
                assert_eq!(&left, alice.id());
                let list = listed(bob.participants().await.unwrap());
                assert_eq!(list.iter().map(|p| &p.0).collect::<Vec<_>>(), [bob.id()]);
            };
            let (a, b, ()) = tokio::join!(
                send_opus(alice.handle().peer().unwrap(), &alice_mid, &stop),
                send_opus(bob.handle().peer().unwrap(), &bob_mid, &stop),
                checks
            );
            eprintln!("tokio: Opus frames written by alice and bob {:?}", (a, b));
        })
        .await;
    }

    /// Writes the Opus sample until `stop`, each frame with the level `level` holds then.
    async fn send_talking(
        peer: &Connection,
        mid: &str,
        level: &AtomicU8,
        stop: &AtomicBool,
    ) -> u64 {
        let mut samples = Samples::new(Instant::now(), false);
        let mut sent = 0;
        while !stop.load(Ordering::Relaxed) {
            let (frames, next) = samples.due(Instant::now());
            for (_, f) in frames {
                let level = AudioLevel::new(level.load(Ordering::Relaxed)).unwrap();
                if peer
                    .write_frame_with_level(mid, f.rtp_time, &f.data, level)
                    .await
                    .unwrap_or(false)
                {
                    sent += 1;
                }
            }
            tokio::time::sleep_until(next.into()).await;
        }
        sent
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_participant_sending_loud_then_quiet_levels_is_announced_talking_then_stopped() {
        within(async {
            let janus = tokio::task::block_in_place(Janus::launch).unwrap();
            let config = ClientConfig::new([janus.ws_url()])
                .unwrap()
                .request_timeout(WAIT);
            let client = Client::connect(config).await.unwrap();
            let session = client.create_session().await.unwrap();
            let ip: IpAddr = janus.media_ip().into();
            let admin = session.attach(PLUGIN).await.unwrap();
            let created = audiobridge::request(&admin, &talk_room()).await.unwrap();
            assert!(
                matches!(&created, Event::Created(c) if c.room == TALK_ROOM.into()),
                "{created:?}"
            );
            let alice = Participant::join(&session, ip, &join(TALK_ROOM, "alice"))
                .await
                .unwrap();
            let up = alice.handle().events().wait_for(WAIT, pick::both_up());
            up.await.unwrap();
            let bob = Participant::join(&session, ip, &join(TALK_ROOM, "bob"))
                .await
                .unwrap();
            bob.handle()
                .events()
                .wait_for(WAIT, pick::both_up())
                .await
                .unwrap();
            let alice_mid = mid(&alice).await;
            let level = AtomicU8::new(LOUD);
            let stop = AtomicBool::new(false);
            let checks = async {
                let _stop = StopOnDrop(&stop);
                for (who, name) in [(&bob, "bob"), (&alice, "alice")] {
                    let said = who
                        .handle()
                        .events()
                        .wait_for(WAIT, pick::typed(audiobridge::event, talking(alice.id())))
                        .await
                        .unwrap();
                    assert!(said, "{name}: stopped-talking before talking");
                }
                let peer = alice.handle().peer().unwrap();
                assert_eq!(
                    peer.local_volume(&alice_mid).await.unwrap(),
                    Some(AudioLevel::new(LOUD).unwrap())
                );
                let list = alice.participants().await.unwrap();
                assert_eq!(listed_talking(&list, alice.id()), Some(true), "{list:?}");

                level.store(QUIET, Ordering::Relaxed);
                for (who, name) in [(&bob, "bob"), (&alice, "alice")] {
                    let said = who
                        .handle()
                        .events()
                        .wait_for(WAIT, pick::typed(audiobridge::event, talking(alice.id())))
                        .await
                        .unwrap();
                    assert!(!said, "{name}: talking again instead of stopped-talking");
                }
                let list = bob.participants().await.unwrap();
                assert_eq!(listed_talking(&list, alice.id()), Some(false), "{list:?}");
            };
            let (sent, ()) = tokio::join!(
                send_talking(alice.handle().peer().unwrap(), &alice_mid, &level, &stop),
                checks
            );
            eprintln!("tokio: Opus frames with levels written by alice {sent}");
        })
        .await;
    }

    /// Forwarded mix packets on `socket` until `count` are 20 ms Opus with `FORWARD_PT`:
    /// (those, others).
    async fn forwarded(socket: &tokio::net::UdpSocket, count: usize) -> (usize, usize) {
        let (mut opus, mut other) = (0, 0);
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut buf = [0u8; 2048];
        while opus < count {
            let Ok(got) = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await else {
                panic!("{opus} forwarded Opus packets, {other} others")
            };
            match rtp(&buf[..got.unwrap()]) {
                Some((FORWARD_PT, payload))
                    if janus_media::ogg_opus::packet_duration(payload) == Some(960) =>
                {
                    opus += 1;
                }
                _ => other += 1,
            }
        }
        (opus, other)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn moderation_announcement_forward_changeroom_destroy() {
        within(async {
            let janus = tokio::task::block_in_place(Janus::launch).unwrap();
            let config = ClientConfig::new([janus.ws_url()])
                .unwrap()
                .request_timeout(WAIT);
            let client = Client::connect(config).await.unwrap();
            let session = client.create_session().await.unwrap();
            let ip: IpAddr = janus.media_ip().into();
            let admin = session.attach(PLUGIN).await.unwrap();

            let alice = Participant::join(&session, ip, &join(ROOM, "alice"))
                .await
                .unwrap();
            alice
                .handle()
                .events()
                .wait_for(WAIT, pick::both_up())
                .await
                .unwrap();
            let bob = Participant::join(&session, ip, &join(ROOM, "bob"))
                .await
                .unwrap();
            bob.handle()
                .events()
                .wait_for(WAIT, pick::both_up())
                .await
                .unwrap();
            let (alice_id, bob_id) = (alice.id().clone(), bob.id().clone());
            let (alice_mid, bob_mid) = (mid(&alice).await, mid(&bob).await);

            let stop = AtomicBool::new(false);
            let checks = async {
                let _stop = StopOnDrop(&stop);
                mixed(&bob, "tokio bob", hears_sound).await;

                let mut rename = Configure::new();
                rename.display = Some("alice2".into());
                alice.configure(&rename).await.unwrap();
                bob.handle()
                    .events()
                    .wait_for(
                        WAIT,
                        pick::typed(audiobridge::event, renamed(&alice_id, "alice2")),
                    )
                    .await
                    .unwrap();

                let mut mute = Mute::new(ROOM, alice_id.clone());
                mute.secret = Some(SECRET.into());
                let answer = audiobridge::request(&admin, &mute).await.unwrap();
                assert!(matches!(answer, Event::Success(_)), "{answer:?}");
                bob.handle()
                    .events()
                    .wait_for(WAIT, pick::typed(audiobridge::event, mute_is(&alice_id, true)))
                    .await
                    .unwrap();
                mixed(&bob, "tokio bob, alice muted by the moderator", silenced).await;
                let mut unmute = Unmute::new(ROOM, alice_id.clone());
                unmute.secret = Some(SECRET.into());
                audiobridge::request(&admin, &unmute).await.unwrap();
                bob.handle()
                    .events()
                    .wait_for(
                        WAIT,
                        pick::typed(audiobridge::event, mute_is(&alice_id, false)),
                    )
                    .await
                    .unwrap();
                mixed(&bob, "tokio bob, alice unmuted", hears_sound).await;

                let mut mute_room = MuteRoom::new(ROOM);
                mute_room.secret = Some(SECRET.into());
                audiobridge::request(&admin, &mute_room).await.unwrap();
                for p in [&alice, &bob] {
                    let muted = p
                        .handle()
                        .events()
                        .wait_for(WAIT, pick::typed(audiobridge::event, room_muted))
                        .await
                        .unwrap();
                    assert!(muted);
                }
                mixed(&alice, "tokio alice, room muted", silenced).await;

                let mut play = PlayFile::new(ROOM, sample_path());
                play.secret = Some(SECRET.into());
                let Event::Announcement { file_id, .. } =
                    audiobridge::request(&admin, &play).await.unwrap()
                else {
                    panic!("not an announcement")
                };
                let started = alice
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(audiobridge::event, announced))
                    .await
                    .unwrap();
                assert_eq!(started, file_id);
                mixed(&alice, "tokio alice, the file played", hears_sound).await;
                let mut playing = IsPlaying::new(ROOM, file_id.clone());
                playing.secret = Some(SECRET.into());
                let answer = audiobridge::request(&admin, &playing).await.unwrap();
                assert!(
                    matches!(&answer, Event::Playing { playing: true, file_id: f, .. } if *f == file_id),
                    "{answer:?}"
                );
                let mut stop_file = StopFile::new(ROOM, file_id.clone());
                stop_file.secret = Some(SECRET.into());
                audiobridge::request(&admin, &stop_file).await.unwrap();
                let ended = alice
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(audiobridge::event, announcement_stopped))
                    .await
                    .unwrap();
                assert_eq!(ended, file_id);
                mixed(&alice, "tokio alice, the file stopped", silenced).await;

                let mut unmute_room = UnmuteRoom::new(ROOM);
                unmute_room.secret = Some(SECRET.into());
                audiobridge::request(&admin, &unmute_room).await.unwrap();
                let muted = bob
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(audiobridge::event, room_muted))
                    .await
                    .unwrap();
                assert!(!muted);

                let socket = tokio::net::UdpSocket::bind((janus.media_ip(), 0))
                    .await
                    .unwrap();
                let port = socket.local_addr().unwrap().port();
                let mut forward = RtpForward::new(ROOM, janus.media_ip().to_string(), port);
                forward.ptype = Some(FORWARD_PT);
                forward.secret = Some(SECRET.into());
                let Event::ForwarderAdded(added) =
                    audiobridge::request(&admin, &forward).await.unwrap()
                else {
                    panic!("not a forwarder")
                };
                let got = forwarded(&socket, MIXED_FRAMES).await;
                eprintln!("tokio mix forwarded: (Opus, other) packets {got:?}");
                let mut list = ListForwarders::new(ROOM);
                list.secret = Some(SECRET.into());
                let Event::Forwarders(list) = audiobridge::request(&admin, &list).await.unwrap()
                else {
                    panic!("not forwarders")
                };
                let ids: Vec<_> = list.rtp_forwarders.iter().map(|f| f.stream_id).collect();
                assert_eq!(ids, [added.stream_id]);
                let mut stop_forward = StopRtpForward::new(ROOM, added.stream_id);
                stop_forward.secret = Some(SECRET.into());
                let stopped = audiobridge::request(&admin, &stop_forward).await.unwrap();
                assert!(
                    matches!(stopped, Event::ForwarderStopped { stream_id, .. } if stream_id == added.stream_id),
                    "{stopped:?}"
                );

                let mut create = Create::new();
                create.room = Some(OTHER_ROOM.into());
                create.sampling_rate = Some(16_000);
                audiobridge::request(&admin, &create).await.unwrap();
                // (Through the handle: the sender holds bob, `change_room` wants him
                // mutable.)
                let Event::RoomChanged(changed) =
                    audiobridge::request(bob.handle(), &ChangeRoom::new(OTHER_ROOM))
                        .await
                        .unwrap()
                else {
                    panic!("not roomchanged")
                };
                assert_eq!(changed.room, OTHER_ROOM.into());
                assert!(changed.participants.is_empty(), "{changed:?}");
                let left = alice
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(audiobridge::event, leaving))
                    .await
                    .unwrap();
                assert_eq!(left, bob_id);
                let Event::Participants(there) =
                    audiobridge::request(&admin, &ListParticipants::new(OTHER_ROOM))
                        .await
                        .unwrap()
                else {
                    panic!("not participants")
                };
                let ids: Vec<_> = there.participants.iter().map(|p| &p.id).collect();
                assert_eq!(ids, [&changed.id]);

                let gone = audiobridge::request(&admin, &Destroy::new(OTHER_ROOM))
                    .await
                    .unwrap();
                assert!(
                    matches!(&gone, Event::Destroyed(d) if d.room == OTHER_ROOM.into()),
                    "{gone:?}"
                );
                let told = bob
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(audiobridge::event, destroyed))
                    .await
                    .unwrap();
                assert_eq!(told, OTHER_ROOM.into());
            };
            let (a, b, ()) = tokio::join!(
                send_opus(alice.handle().peer().unwrap(), &alice_mid, &stop),
                send_opus(bob.handle().peer().unwrap(), &bob_mid, &stop),
                checks
            );
            eprintln!("tokio: Opus frames written by alice and bob {:?}", [a, b]);
        })
        .await;
    }
}
