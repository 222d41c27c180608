//! The VideoRoom workflows of both adapters (`plugins::videoroom`) against the real plugin:
//! a room made and destroyed with typed requests (`exists` before and after), a publisher
//! sending the real Opus and VP8 samples, a second publisher that sees the first in its
//! `joined` answer and is announced to the first by a typed `publishers` event, a
//! subscriber that receives the first publisher's frames byte for byte, takes and drops the
//! second's stream by renegotiation, `listparticipants` typed, a typed plugin error, and
//! string room ids. Room admin by typed requests: `edit` (the new description in `list`),
//! `allowed` (tokens added, enabled, a join without one refused, one with one let in,
//! removed), `destroy` (the participant's `destroyed` event, gone from `list`). `rtp_forward`
//! of a publisher's audio to a UDP socket of the test (every payload a frame of the Opus
//! sample, byte for byte, with the payload type and SSRC asked for), `listforwarders`,
//! `stop_rtp_forward` (no packet after it). `moderate` (the typed event at the room and the
//! publisher, a subscriber's frames stop and come back, a newcomer sees the stream
//! `moderated`) and `kick` (the kicked one's `leaving` with reason `kicked`, the room's
//! `kicked`). A subscriber's `switch` to another publisher's audio (its numbered frames
//! arrive), `pause` (no frames) and `start` (frames again), a publisher's `configure` with a
//! bitrate, `unpublish` and `leave` as the room's typed events. `blocking` and `tokio_adapter` run the same scenarios, each on its adapter.
//! Talk detection (tokio here, blocking in `rtc_videoroom.rs`): in a room made with
//! `audiolevel_event`, a publisher writes the Opus sample with a loud RFC 6464 level,
//! then silence; the room and the talker get the typed `talking`, then `stopped-talking`,
//! and a subscriber reads the levels Janus relays (`remote_volume`).
//! A subscriber's `update` (tokio here, blocking in `rtc_videoroom.rs`): one request adds a
//! second publisher's streams and removes the first's video; the typed `updated` lists
//! the subscription, the second's frames arrive, none of the first's video after that.
//! A `Publisher` of audio, simulcast video and a data channel (tokio here, blocking in
//! `rtc_videoroom.rs`): its `Subscriber` gets audio, the top layer and the messages, then
//! after a typed `configure` with `substream` 0 the typed layer event and only that layer.
#![allow(clippy::unwrap_used, missing_docs)]

use janus_proto::plugin::videoroom::{
    self as vr, Create, ErrorCode, Event, Id, JoinPublisher, Participants, UnsubscribeStream,
};
use janus_rtc::{HandleEvent, Track, TrackInfo, TrackKind};
use janus_tests::samples::Relayed;

/// The room each test makes (its own Janus: no other test sees it).
const ROOM: u64 = 4321;
/// A room that does not exist.
const NO_ROOM: u64 = 999_999;
/// Frames of each codec the subscriber must receive byte for byte: 2 s of audio, 1 s of video.
const AUDIO_FRAMES: usize = 100;
const VIDEO_FRAMES: usize = 30;

fn create(room: impl Into<Id>) -> Create {
    let mut create = Create::new();
    create.room = Some(room.into());
    create.description = Some("workflows".into());
    create.publishers = Some(4);
    create
}

fn join(room: impl Into<Id>, display: &str) -> JoinPublisher {
    let mut join = JoinPublisher::new(room);
    join.display = Some(display.into());
    join
}

/// What a publisher sends: real Opus and VP8.
fn audio_video() -> [Track; 2] {
    [Track::audio().send_only(), Track::video().send_only()]
}

/// The mids of our audio and video tracks.
fn mids(tracks: &[TrackInfo]) -> (String, Option<String>) {
    let mid = |kind| {
        tracks
            .iter()
            .find(|t| t.kind == kind)
            .map(|t| t.mid.clone())
    };
    (mid(TrackKind::Audio).unwrap(), mid(TrackKind::Video))
}

/// `exists`' answer.
fn exists(answer: Event) -> bool {
    match answer {
        Event::Exists(e) => e.exists,
        other => panic!("not an answer to exists: {other:?}"),
    }
}

/// Who `listparticipants` lists: id, display name, publishing.
fn listed(answer: Event) -> Vec<(Id, Option<String>, Option<bool>)> {
    let Event::Participants(Participants { participants, .. }) = answer else {
        panic!("not participants: {answer:?}")
    };
    participants
        .into_iter()
        .map(|p| (p.id, p.display, p.publisher))
        .collect()
}

/// `listparticipants`' answer: the participants' ids.
fn listed_ids(answer: Event) -> Vec<Id> {
    listed(answer).into_iter().map(|(id, ..)| id).collect()
}

/// The `publishers` event.
fn publishers(e: Event) -> Option<Vec<vr::Publisher>> {
    match e {
        Event::Publishers { publishers, .. } => Some(publishers),
        _ => None,
    }
}

/// A participant leaving or unpublishing: its id.
fn gone(e: Event) -> Option<Id> {
    match e {
        Event::ParticipantLeft(g) | Event::PublisherUnpublished(g) => Some(g.id),
        _ => None,
    }
}

/// The room's `destroyed` event.
fn destroyed(e: Event) -> Option<Id> {
    match e {
        Event::Destroyed(d) => Some(d.room),
        _ => None,
    }
}

/// One frame of the subscriber's into `relayed`; whether enough arrived.
fn relayed_enough(relayed: &mut Relayed, e: HandleEvent, audio: usize, video: usize) -> bool {
    if let HandleEvent::Rtc(janus_rtc::Event::Media(f)) = e {
        relayed.push(&f);
    }
    relayed.count("opus") >= audio && relayed.count("vp8") >= video
}

fn check_relayed(relayed: &Relayed, what: &str) {
    assert!(
        relayed.different.is_empty(),
        "{what}: frames not byte-identical to the samples: {:?} (identical: {:?})",
        relayed.different,
        relayed.identical
    );
    eprintln!("{what}: identical frames received {:?}", relayed.identical);
}

/// The subscription's streams: (feed, type, active).
fn streams(s: &vr::Subscription) -> Vec<(Option<Id>, String, bool)> {
    s.streams
        .iter()
        .map(|s| (s.feed_id.clone(), s.kind.clone(), s.active != Some(false)))
        .collect()
}

fn assert_no_such_room(err: &janus_rtc::ClientError) {
    assert_eq!(
        err.plugin_code().map(ErrorCode::from_code),
        Some(ErrorCode::NoSuchRoom),
        "{err}"
    );
}

/// `list`'s answer: each room's id and description.
fn rooms(answer: Event) -> Vec<(Id, Option<String>)> {
    let Event::RoomList(l) = answer else {
        panic!("not a room list: {answer:?}")
    };
    l.list
        .into_iter()
        .map(|r| (r.room, r.description))
        .collect()
}

/// `allowed`'s answer: the room and its tokens, sorted.
fn tokens(answer: Event) -> (Id, Vec<String>) {
    let Event::Allowed(mut a) = answer else {
        panic!("not an allowed list: {answer:?}")
    };
    a.allowed.sort();
    (a.room, a.allowed)
}

/// The payload type and SSRC the test's forwarders send with.
const FORWARD_PT: u8 = 111;
const FORWARD_SSRC: u32 = 0x4a41_4e55;

/// An RTP packet (RFC 3550 §5.1): payload type, SSRC and payload (after CSRCs and the
/// header extension, without padding).
fn rtp(packet: &[u8]) -> Option<(u8, u32, &[u8])> {
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
    let ssrc = u32::from_be_bytes(packet[8..12].try_into().ok()?);
    Some((packet[1] & 0x7f, ssrc, packet.get(at..end)?))
}

/// What a forwarder's UDP socket received.
#[derive(Debug, Default)]
struct Forwarded {
    /// Packets whose payload is a frame of the Opus sample, byte for byte.
    identical: usize,
    /// Packets that are not (length), a few kept.
    other: Vec<usize>,
    /// (payload type, SSRC) seen.
    streams: std::collections::BTreeSet<(u8, u32)>,
}

impl Forwarded {
    fn push(&mut self, packet: &[u8], opus: &std::collections::HashSet<Vec<u8>>) {
        match rtp(packet) {
            Some((pt, ssrc, payload)) if opus.contains(payload) => {
                self.identical += 1;
                self.streams.insert((pt, ssrc));
            }
            _ if self.other.len() < 8 => self.other.push(packet.len()),
            _ => {}
        }
    }
}

/// The Opus sample's frames, to recognise forwarded payloads.
fn opus_set() -> std::collections::HashSet<Vec<u8>> {
    janus_tests::samples::opus()
        .into_iter()
        .map(|f| f.data)
        .collect()
}

/// A media frame on a handle: whether it carries one of our numbered frames
/// ([`janus_tests::media::opus_frame`]) rather than a sample frame.
fn frame(e: HandleEvent) -> Option<bool> {
    match e {
        HandleEvent::Rtc(janus_rtc::Event::Media(f)) => {
            Some(janus_tests::media::frame_number(&f.data).is_some())
        }
        _ => None,
    }
}

/// A moderation event: (who, mid, muted).
fn moderation(e: Event) -> Option<(Id, String, bool)> {
    match e {
        Event::Moderation { id, mid, muted, .. } => Some((id, mid, muted)),
        _ => None,
    }
}

/// Our own `leaving` (kicked: the reason).
fn left_room(e: Event) -> Option<Option<String>> {
    match e {
        Event::LeftRoom { reason, .. } => Some(reason),
        _ => None,
    }
}

/// Another participant kicked: its id.
fn kicked(e: Event) -> Option<Id> {
    match e {
        Event::ParticipantKicked(g) => Some(g.id),
        _ => None,
    }
}

/// Another publisher unpublishing: its id.
fn unpublished(e: Event) -> Option<Id> {
    match e {
        Event::PublisherUnpublished(g) => Some(g.id),
        _ => None,
    }
}

/// Another participant leaving: its id.
fn left(e: Event) -> Option<Id> {
    match e {
        Event::ParticipantLeft(g) => Some(g.id),
        _ => None,
    }
}

/// The room of the talk-detection test, made with `audiolevel_event`; 25 packets (0.5 s)
/// averaged, talking below 40 -dBov (the defaults, 100 and 25, would make it slow).
const TALK_ROOM: u64 = 5678;
const ACTIVE_PACKETS: u64 = 25;
const LEVEL_AVERAGE: u64 = 40;
/// The levels the talker writes with the Opus sample (-dBov, lower is louder).
const LOUD: u8 = 10;
const QUIET: u8 = 127;

fn talk_room() -> Create {
    let mut create = create(TALK_ROOM);
    create.audiolevel_event = Some(true);
    create.audio_active_packets = Some(ACTIVE_PACKETS);
    create.audio_level_average = Some(LEVEL_AVERAGE);
    create
}

/// `talking` (`true`) or `stopped-talking` about `who`, with the event.
fn talk_event(who: &Id) -> impl FnMut(Event) -> Option<(bool, vr::Talking)> + '_ {
    move |e| match e {
        Event::Talking(t) if &t.id == who => Some((true, t)),
        Event::StoppedTalking(t) if &t.id == who => Some((false, t)),
        _ => None,
    }
}

/// Checks a talk event: the one expected, about `mid`, its average on the right side of
/// the threshold.
fn check_talk((said, event): (bool, vr::Talking), mid: &str, talking: bool) {
    assert_eq!(said, talking, "{event:?}");
    assert_eq!(event.mid.as_deref(), Some(mid), "{event:?}");
    let average = event.audio_level.expect("the average level");
    assert_eq!(average < LEVEL_AVERAGE as f64, talking, "{event:?}");
}

/// A subscriber's frame on `mid` that carries the level `dbov`.
fn level_on(mid: &str, dbov: u8) -> impl FnMut(HandleEvent) -> Option<()> + '_ {
    move |e| match e {
        HandleEvent::Rtc(janus_rtc::Event::Media(f)) if f.mid == mid => {
            f.audio_level.filter(|l| l.dbov() == dbov).map(|_| ())
        }
        _ => None,
    }
}

mod blocking {
    use std::net::{IpAddr, UdpSocket};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use janus_blocking::plugins::videoroom::{self, Publisher, Subscriber};
    use janus_blocking::{Client, Connection, Handle};
    use janus_proto::ClientConfig;
    use janus_proto::plugin::videoroom::{
        AddRemotePublisher, Allowed, AllowedAction, ConfigurePublisher, Destroy, Edit, Exists,
        ForwardStream, Id, JoinSubscriber, Kick, List, ListForwarders, ListParticipants,
        ListRemotes, Moderate, Publish, PublishRemotely, RemoteStream, RemoveRemotePublisher,
        RtpForward, StopRtpForward, SubscribeStream, SwitchStream, UnpublishRemotely,
    };
    use janus_tests::rtc::{StopOnDrop, VIDEOROOM, WAIT, pick};
    use janus_tests::samples::{Kind, Relayed, Samples};
    use janus_tests::{Janus, JanusBuilder};

    use super::*;

    /// Writes the samples until `stop`: (audio, video) frames written.
    fn send_samples(
        peer: &Connection,
        audio: &str,
        video: Option<&str>,
        stop: &AtomicBool,
    ) -> (u64, u64) {
        let mut samples = Samples::new(Instant::now(), video.is_some());
        let mut sent = (0, 0);
        while !stop.load(Ordering::Relaxed) {
            let (frames, next) = samples.due(Instant::now());
            for (kind, f) in frames {
                let (mid, count) = match kind {
                    Kind::Audio => (audio, &mut sent.0),
                    Kind::Video => (video.unwrap_or_default(), &mut sent.1),
                };
                if peer.write_frame(mid, f.rtp_time, &f.data).unwrap_or(false) {
                    *count += 1;
                }
            }
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        sent
    }

    fn relayed(subscriber: &Subscriber, audio: usize, video: usize) -> Relayed {
        let mut relayed = Relayed::default();
        subscriber
            .handle()
            .events()
            .wait_for(WAIT * 2, |e| {
                relayed_enough(&mut relayed, e, audio, video).then_some(())
            })
            .unwrap_or_else(|e| panic!("{e}: received {:?}", relayed.identical));
        relayed
    }

    fn local_mids(handle: &Handle) -> (String, Option<String>) {
        mids(
            &handle
                .peer()
                .unwrap()
                .call(|pc, _| pc.local_tracks())
                .unwrap(),
        )
    }

    fn start() -> (Janus, Client) {
        start_with(Janus::builder())
    }

    fn start_with(builder: JanusBuilder) -> (Janus, Client) {
        let janus = builder.launch().unwrap();
        let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
        (janus, client)
    }

    #[test]
    fn publishers_and_a_subscriber_in_a_room_made_with_typed_requests() {
        let (janus, client) = start();
        let session = client.create_session().unwrap();
        let ip: IpAddr = janus.media_ip().into();
        let admin = session.attach(VIDEOROOM).unwrap();

        assert!(!exists(
            videoroom::request(&admin, &Exists::new(ROOM)).unwrap()
        ));
        let created = videoroom::request(&admin, &create(ROOM)).unwrap();
        assert!(
            matches!(&created, Event::Created(c) if c.room == ROOM.into()),
            "{created:?}"
        );
        assert!(exists(
            videoroom::request(&admin, &Exists::new(ROOM)).unwrap()
        ));
        let err = Publisher::join(&session, ip, &join(NO_ROOM, "nobody")).unwrap_err();
        assert_no_such_room(&err);

        let alice = Publisher::join_and_publish(&session, ip, &join(ROOM, "alice"), &audio_video())
            .unwrap();
        assert_eq!(alice.joined().room, ROOM.into());
        assert!(alice.joined().publishers.is_empty(), "{:?}", alice.joined());
        alice
            .handle()
            .events()
            .wait_for(WAIT, pick::both_up())
            .unwrap();
        let alice_id = alice.joined().id.clone();
        let (audio, video) = local_mids(alice.handle());

        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            let sender = s.spawn(|| {
                send_samples(
                    alice.handle().peer().unwrap(),
                    &audio,
                    video.as_deref(),
                    &stop,
                )
            });
            let participants = videoroom::request(&admin, &ListParticipants::new(ROOM)).unwrap();
            assert_eq!(
                listed(participants),
                [(alice_id.clone(), Some("alice".into()), Some(true))]
            );

            // A second publisher: its `joined` lists the first, and the first hears of it.
            let bob = Publisher::join(&session, ip, &join(ROOM, "bob")).unwrap();
            let before: Vec<_> = bob
                .joined()
                .publishers
                .iter()
                .map(|p| (p.id.clone(), p.display.clone()))
                .collect();
            assert_eq!(before, [(alice_id.clone(), Some("alice".into()))]);
            let kinds: Vec<_> = bob.joined().publishers[0]
                .streams
                .iter()
                .map(|s| s.kind.as_str())
                .collect();
            assert_eq!(kinds, ["audio", "video"]);
            bob.publish(&Publish::new(), &[Track::audio().send_only()])
                .unwrap();
            let announced = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(videoroom::event, publishers))
                .unwrap();
            let bob_id = bob.joined().id.clone();
            assert_eq!(
                announced.iter().map(|p| &p.id).collect::<Vec<_>>(),
                [&bob_id]
            );
            let bob_audio = announced[0].streams[0].mid.clone().unwrap();

            // A subscriber to the first: its frames, byte for byte.
            let join =
                JoinSubscriber::to_streams(ROOM, vec![SubscribeStream::new(alice_id.clone())]);
            let mut subscriber = Subscriber::join(&session, ip, &join).unwrap();
            let a = Some(alice_id.clone());
            assert_eq!(
                streams(subscriber.subscription()),
                [
                    (a.clone(), "audio".into(), true),
                    (a.clone(), "video".into(), true)
                ]
            );
            check_relayed(
                &relayed(&subscriber, AUDIO_FRAMES, VIDEO_FRAMES),
                "blocking subscriber",
            );

            // The second's audio too, by renegotiation; then without it again.
            let mut more = SubscribeStream::new(bob_id.clone());
            more.mid = Some(bob_audio.clone());
            subscriber
                .subscribe(vec![more])
                .unwrap()
                .expect("updated at once");
            assert!(
                subscriber
                    .subscription()
                    .stream_of(&bob_id, &bob_audio)
                    .is_some()
            );
            assert_eq!(streams(subscriber.subscription()).len(), 3);
            check_relayed(&relayed(&subscriber, 25, 10), "after subscribe");
            let mut less = UnsubscribeStream::new();
            less.feed = Some(bob_id.clone());
            subscriber.unsubscribe(vec![less]).unwrap();
            let left: Vec<_> = streams(subscriber.subscription())
                .into_iter()
                .filter(|s| s.2)
                .collect();
            assert_eq!(
                left,
                [(a.clone(), "audio".into(), true), (a, "video".into(), true)]
            );
            check_relayed(&relayed(&subscriber, 25, 10), "after unsubscribe");

            bob.leave().unwrap();
            let left = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(videoroom::event, gone))
                .unwrap();
            assert_eq!(left, bob_id);
            stop.store(true, Ordering::Relaxed);
            let sent = sender.join().unwrap();
            eprintln!("blocking publisher: (audio, video) frames written {sent:?}");
        });

        let destroyed_room = videoroom::request(&admin, &Destroy::new(ROOM)).unwrap();
        assert!(
            matches!(&destroyed_room, Event::Destroyed(d) if d.room == ROOM.into()),
            "{destroyed_room:?}"
        );
        let told = alice
            .handle()
            .events()
            .wait_for(WAIT, pick::typed(videoroom::event, destroyed))
            .unwrap();
        assert_eq!(told, ROOM.into());
        assert!(!exists(
            videoroom::request(&admin, &Exists::new(ROOM)).unwrap()
        ));
    }

    #[test]
    fn string_room_ids() {
        let (janus, client) = start_with(Janus::builder().string_ids(true));
        let session = client.create_session().unwrap();
        let admin = session.attach(VIDEOROOM).unwrap();
        let room = Id::from("workflows");
        let created = videoroom::request(&admin, &create(room.clone())).unwrap();
        assert!(
            matches!(&created, Event::Created(c) if c.room == room),
            "{created:?}"
        );
        let alice = Publisher::join(
            &session,
            janus.media_ip().into(),
            &join(room.clone(), "alice"),
        )
        .unwrap();
        assert_eq!(alice.joined().room, room);
        assert!(
            alice.joined().id.as_str().is_some(),
            "{:?}",
            alice.joined().id
        );
        let participants =
            listed(videoroom::request(&admin, &ListParticipants::new(room.clone())).unwrap());
        assert_eq!(
            participants,
            [(alice.joined().id.clone(), Some("alice".into()), Some(false))]
        );
        let err = Publisher::join(
            &session,
            janus.media_ip().into(),
            &join("nowhere", "nobody"),
        )
        .unwrap_err();
        assert_no_such_room(&err);
        videoroom::request(&admin, &Destroy::new(room)).unwrap();
    }

    /// Writes numbered Opus frames ([`janus_tests::media::opus_frame`]) every 20 ms until
    /// `stop`: frames written.
    fn send_numbered(peer: &Connection, mid: &str, stop: &AtomicBool) -> u64 {
        let start = Instant::now();
        let mut n: u32 = 0;
        let mut sent = 0;
        while !stop.load(Ordering::Relaxed) {
            let data = janus_tests::media::opus_frame(n, 40);
            if peer
                .write_frame(mid, u64::from(n) * 960, &data)
                .unwrap_or(false)
            {
                sent += 1;
            }
            n += 1;
            let next = start + Duration::from_millis(20) * n;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        sent
    }

    /// Frames on `handle` until `count` of them are numbered (`numbered`) or sample ones.
    fn frames(handle: &Handle, numbered: bool, count: usize) -> (usize, usize) {
        let (mut want, mut other) = (0, 0);
        handle
            .events()
            .wait_for(WAIT, |e| {
                match frame(e) {
                    Some(n) if n == numbered => want += 1,
                    Some(_) => other += 1,
                    None => {}
                }
                (want >= count).then_some(())
            })
            .unwrap_or_else(|e| panic!("{e}: {want} frames as wanted, {other} others"));
        (want, other)
    }

    /// No frame reaches `handle` for half a second, once those in flight (300 ms) are
    /// drained.
    fn no_frames(handle: &Handle, what: &str) {
        let _ = handle
            .events()
            .wait_for(Duration::from_millis(300), |_| None::<()>);
        let got = handle.events().wait_for(Duration::from_millis(500), frame);
        assert!(got.is_err(), "{what}: a frame still arrived");
    }

    #[test]
    fn room_admin_edit_list_allowed_destroy() {
        let (janus, client) = start();
        let session = client.create_session().unwrap();
        let ip: IpAddr = janus.media_ip().into();
        let admin = session.attach(VIDEOROOM).unwrap();
        videoroom::request(&admin, &create(ROOM)).unwrap();

        // `edit`: the new description shows in `list`.
        let before = rooms(videoroom::request(&admin, &List::new()).unwrap());
        assert!(
            before.contains(&(ROOM.into(), Some("workflows".into()))),
            "{before:?}"
        );
        let mut edit = Edit::new(ROOM);
        edit.new_description = Some("edited by the test".into());
        let edited = videoroom::request(&admin, &edit).unwrap();
        assert!(
            matches!(&edited, Event::Edited(e) if e.room == ROOM.into()),
            "{edited:?}"
        );
        let after = rooms(videoroom::request(&admin, &List::new()).unwrap());
        assert!(
            after.contains(&(ROOM.into(), Some("edited by the test".into()))),
            "{after:?}"
        );
        assert!(after.iter().any(|r| r.0 == 1234.into()), "{after:?}");
        eprintln!("blocking list after edit: {after:?}");

        // `allowed`: tokens added and checked; a join without one is refused.
        let mut add = Allowed::new(ROOM, AllowedAction::Add);
        add.allowed = Some(vec!["tok-a".into(), "tok-b".into()]);
        assert_eq!(
            tokens(videoroom::request(&admin, &add).unwrap()),
            (ROOM.into(), vec!["tok-a".into(), "tok-b".into()])
        );
        let enabled =
            tokens(videoroom::request(&admin, &Allowed::new(ROOM, AllowedAction::Enable)).unwrap());
        assert_eq!(enabled.1, ["tok-a", "tok-b"]);
        let err = Publisher::join(&session, ip, &join(ROOM, "nobody")).unwrap_err();
        assert_eq!(
            err.plugin_code().map(ErrorCode::from_code),
            Some(ErrorCode::Unauthorized),
            "{err}"
        );
        let mut with_token = join(ROOM, "alice");
        with_token.token = Some("tok-b".into());
        let alice = Publisher::join(&session, ip, &with_token).unwrap();
        let mut remove = Allowed::new(ROOM, AllowedAction::Remove);
        remove.allowed = Some(vec!["tok-a".into()]);
        assert_eq!(
            tokens(videoroom::request(&admin, &remove).unwrap()).1,
            ["tok-b"]
        );

        // `destroy`: the answer, the participant's event, gone from `list`.
        let destroyed_room = videoroom::request(&admin, &Destroy::new(ROOM)).unwrap();
        assert!(
            matches!(&destroyed_room, Event::Destroyed(d) if d.room == ROOM.into()),
            "{destroyed_room:?}"
        );
        let told = alice
            .handle()
            .events()
            .wait_for(WAIT, pick::typed(videoroom::event, destroyed))
            .unwrap();
        assert_eq!(told, ROOM.into());
        let last = rooms(videoroom::request(&admin, &List::new()).unwrap());
        assert!(last.iter().all(|r| r.0 != ROOM.into()), "{last:?}");
    }

    #[test]
    fn rtp_forward_of_a_publishers_audio() {
        let (janus, client) = start();
        let session = client.create_session().unwrap();
        let ip: IpAddr = janus.media_ip().into();
        let admin = session.attach(VIDEOROOM).unwrap();
        videoroom::request(&admin, &create(ROOM)).unwrap();
        let alice = Publisher::join_and_publish(
            &session,
            ip,
            &join(ROOM, "alice"),
            &[Track::audio().send_only()],
        )
        .unwrap();
        alice
            .handle()
            .events()
            .wait_for(WAIT, pick::both_up())
            .unwrap();
        let alice_id = alice.joined().id.clone();
        let (audio, _) = local_mids(alice.handle());
        let socket = UdpSocket::bind((janus.media_ip(), 0)).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let opus = opus_set();

        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            let sender =
                s.spawn(|| send_samples(alice.handle().peer().unwrap(), &audio, None, &stop));

            let mut forward = RtpForward::new(ROOM, alice_id.clone(), janus.media_ip().to_string());
            let mut stream = ForwardStream::new(audio.clone(), port);
            stream.pt = Some(FORWARD_PT);
            stream.ssrc = Some(FORWARD_SSRC);
            forward.streams = Some(vec![stream]);
            let Event::RtpForward(reply) = videoroom::request(&admin, &forward).unwrap() else {
                panic!("not rtp_forward")
            };
            assert_eq!(reply.publisher_id, alice_id);
            assert_eq!(reply.forwarders.len(), 1, "{reply:?}");
            let stream_id = reply.forwarders[0].stream_id;
            assert_eq!(reply.forwarders[0].port, Some(port));

            // The packets: the sample's Opus frames, byte for byte.
            let mut got = Forwarded::default();
            let deadline = Instant::now() + WAIT;
            let mut buf = [0u8; 2048];
            while got.identical < AUDIO_FRAMES && Instant::now() < deadline {
                if let Ok(n) = socket.recv(&mut buf) {
                    got.push(&buf[..n], &opus);
                }
            }
            assert!(got.identical >= AUDIO_FRAMES, "{got:?}");
            assert!(got.other.is_empty(), "{got:?}");
            assert_eq!(
                got.streams.iter().copied().collect::<Vec<_>>(),
                [(FORWARD_PT, FORWARD_SSRC)]
            );
            eprintln!("blocking rtp_forward: {got:?}");

            // `listforwarders` shows it.
            let Event::Forwarders(list) =
                videoroom::request(&admin, &ListForwarders::new(ROOM)).unwrap()
            else {
                panic!("not forwarders")
            };
            assert_eq!(list.publishers.len(), 1, "{list:?}");
            assert_eq!(list.publishers[0].publisher_id, alice_id);
            let f = &list.publishers[0].forwarders;
            assert_eq!(f.len(), 1, "{list:?}");
            assert_eq!(
                (f[0].stream_id, f[0].port, f[0].kind.as_deref()),
                (stream_id, Some(port), Some("audio"))
            );

            // `stop_rtp_forward`: the answer, no more packets, none listed.
            let stop_forward = StopRtpForward::new(ROOM, alice_id.clone(), stream_id);
            let Event::StopRtpForward(stopped) = videoroom::request(&admin, &stop_forward).unwrap()
            else {
                panic!("not stop_rtp_forward")
            };
            assert_eq!(
                (stopped.publisher_id, stopped.stream_id),
                (alice_id.clone(), stream_id)
            );
            std::thread::sleep(Duration::from_millis(300));
            socket.set_nonblocking(true).unwrap();
            while socket.recv(&mut buf).is_ok() {}
            socket.set_nonblocking(false).unwrap();
            socket
                .set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            assert!(socket.recv(&mut buf).is_err(), "packets after the stop");
            let Event::Forwarders(list) =
                videoroom::request(&admin, &ListForwarders::new(ROOM)).unwrap()
            else {
                panic!("not forwarders")
            };
            assert!(
                list.publishers.iter().all(|p| p.forwarders.is_empty()),
                "{list:?}"
            );
            stop.store(true, Ordering::Relaxed);
            eprintln!(
                "blocking publisher: frames written {:?}",
                sender.join().unwrap()
            );
        });
        videoroom::request(&admin, &Destroy::new(ROOM)).unwrap();
    }

    /// Room cascading (remote publishers) between two Janus instances: a publisher's media
    /// on Janus A reaches a subscriber on Janus B through `add_remote_publisher` on B and
    /// `publish_remotely` on A, byte for byte; `unpublish_remotely` stops it.
    #[test]
    fn a_publisher_on_one_janus_reaches_a_subscriber_on_another_through_remote_publishing() {
        let (janus_a, client_a) = start();
        let (janus_b, client_b) = start();
        let (session_a, session_b) = (
            client_a.create_session().unwrap(),
            client_b.create_session().unwrap(),
        );
        let (ip_a, ip_b): (IpAddr, IpAddr) = (janus_a.media_ip().into(), janus_b.media_ip().into());
        let admin_a = session_a.attach(VIDEOROOM).unwrap();
        let admin_b = session_b.attach(VIDEOROOM).unwrap();
        videoroom::request(&admin_a, &create(ROOM)).unwrap();
        videoroom::request(&admin_b, &create(ROOM)).unwrap();

        let alice =
            Publisher::join_and_publish(&session_a, ip_a, &join(ROOM, "alice"), &audio_video())
                .unwrap();
        alice
            .handle()
            .events()
            .wait_for(WAIT, pick::both_up())
            .unwrap();
        let alice_id = alice.joined().id.clone();
        let (audio, video) = local_mids(alice.handle());
        let video = video.expect("a video track");

        // B: a publisher whose media comes from elsewhere, described as A announces alice.
        let mut opus = RemoteStream::new(audio.clone(), 0_u64, "audio");
        opus.codec = Some("opus".into());
        let mut vp8 = RemoteStream::new(video.clone(), 1_u64, "video");
        vp8.codec = Some("vp8".into());
        let mut add = AddRemotePublisher::new(ROOM, vec![opus, vp8]);
        add.display = Some("alice@a".into());
        add.iface = Some(janus_b.media_ip().to_string());
        let Event::RemotePublisherAdded(remote) = videoroom::request(&admin_b, &add).unwrap()
        else {
            panic!("not the remote publisher's address")
        };
        // Janus answers `add_remote_publisher` before the remote publisher is in the room: its
        // own thread adds it (`janus_videoroom_remote_publisher_thread`), so ask until it is
        // listed (or give up after a while and show what is).
        let mut listed = Vec::new();
        for _ in 0..100 {
            let participants = videoroom::request(&admin_b, &ListParticipants::new(ROOM)).unwrap();
            let Event::Participants(Participants { participants, .. }) = participants else {
                panic!("not participants: {participants:?}")
            };
            listed = participants
                .iter()
                .map(|p| (p.id.clone(), p.display.clone(), p.remote))
                .collect();
            if !listed.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            listed,
            [(remote.id.clone(), Some("alice@a".into()), Some(true))]
        );

        // A: alice's media to B's address, named so that it can be stopped.
        let mut publish = PublishRemotely::new(
            ROOM,
            alice_id.clone(),
            "to-b",
            remote.ip.clone(),
            remote.port,
        );
        publish.rtcp_port = remote.rtcp_port;
        let published = videoroom::request(&admin_a, &publish).unwrap();
        assert!(
            matches!(&published, Event::PublishedRemotely(p) if p.remote_id == "to-b" && p.id == alice_id),
            "{published:?}"
        );
        let remotes =
            videoroom::request(&admin_a, &ListRemotes::new(ROOM, alice_id.clone())).unwrap();
        let Event::Remotes(remotes) = remotes else {
            panic!("not the remotizations: {remotes:?}")
        };
        assert_eq!(
            remotes
                .list
                .iter()
                .map(|r| r.remote_id.as_str())
                .collect::<Vec<_>>(),
            ["to-b"]
        );

        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            s.spawn(|| send_samples(alice.handle().peer().unwrap(), &audio, Some(&video), &stop));

            // B: a subscriber to the remote publisher gets alice's frames.
            let join =
                JoinSubscriber::to_streams(ROOM, vec![SubscribeStream::new(remote.id.clone())]);
            let subscriber = Subscriber::join(&session_b, ip_b, &join).unwrap();
            let kinds: Vec<_> = streams(subscriber.subscription())
                .into_iter()
                .map(|(feed, kind, _)| (feed, kind))
                .collect();
            let r = Some(remote.id.clone());
            assert_eq!(kinds, [(r.clone(), "audio".into()), (r, "video".into())]);
            check_relayed(
                &relayed(&subscriber, AUDIO_FRAMES, VIDEO_FRAMES),
                "subscriber on B",
            );

            // A stops sending: nothing more reaches B's subscriber.
            let stopped = videoroom::request(
                &admin_a,
                &UnpublishRemotely::new(ROOM, alice_id.clone(), "to-b"),
            )
            .unwrap();
            assert!(matches!(stopped, Event::Success(_)), "{stopped:?}");
            no_frames(subscriber.handle(), "after unpublish_remotely");
            let remotes =
                videoroom::request(&admin_a, &ListRemotes::new(ROOM, alice_id.clone())).unwrap();
            assert!(
                matches!(&remotes, Event::Remotes(r) if r.list.is_empty()),
                "{remotes:?}"
            );
            stop.store(true, Ordering::Relaxed);
        });

        let removed = videoroom::request(
            &admin_b,
            &RemoveRemotePublisher::new(ROOM, remote.id.clone()),
        )
        .unwrap();
        assert!(matches!(removed, Event::Success(_)), "{removed:?}");
        // Janus answers the removal before the remote publisher's teardown is done: under
        // load it is still listed for a moment.
        let until = std::time::Instant::now() + WAIT;
        loop {
            let participants = videoroom::request(&admin_b, &ListParticipants::new(ROOM)).unwrap();
            let ids = listed_ids(participants);
            if ids.is_empty() {
                break;
            }
            assert!(
                std::time::Instant::now() < until,
                "still listed after the removal: {ids:?} (the remote publisher {:?})",
                remote.id
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn moderate_and_kick() {
        let (janus, client) = start();
        let session = client.create_session().unwrap();
        let ip: IpAddr = janus.media_ip().into();
        let admin = session.attach(VIDEOROOM).unwrap();
        videoroom::request(&admin, &create(ROOM)).unwrap();
        let alice = Publisher::join_and_publish(
            &session,
            ip,
            &join(ROOM, "alice"),
            &[Track::audio().send_only()],
        )
        .unwrap();
        alice
            .handle()
            .events()
            .wait_for(WAIT, pick::both_up())
            .unwrap();
        let alice_id = alice.joined().id.clone();
        let (audio, _) = local_mids(alice.handle());
        let bob = Publisher::join(&session, ip, &join(ROOM, "bob")).unwrap();
        let bob_id = bob.joined().id.clone();

        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            let sender =
                s.spawn(|| send_samples(alice.handle().peer().unwrap(), &audio, None, &stop));
            let join =
                JoinSubscriber::to_streams(ROOM, vec![SubscribeStream::new(alice_id.clone())]);
            let carol = Subscriber::join(&session, ip, &join).unwrap();
            frames(carol.handle(), false, 25);

            // `moderate`: alice's audio muted for everybody; the room hears of it.
            let mute = Moderate::new(ROOM, alice_id.clone(), audio.clone(), true);
            let answer = videoroom::request(&admin, &mute).unwrap();
            assert!(matches!(answer, Event::Success(_)), "{answer:?}");
            let seen = bob
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(videoroom::event, moderation))
                .unwrap();
            assert_eq!(seen, (alice_id.clone(), audio.clone(), true));
            let own = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(videoroom::event, moderation))
                .unwrap();
            assert_eq!(own, (alice_id.clone(), audio.clone(), true));
            no_frames(carol.handle(), "muted by the moderator");
            // Who joins now sees the stream as moderated.
            let dave = Publisher::join(&session, ip, &super::join(ROOM, "dave")).unwrap();
            let seen: Vec<_> = dave.joined().publishers[0]
                .streams
                .iter()
                .map(|s| (s.mid.clone(), s.moderated))
                .collect();
            assert_eq!(seen, [(Some(audio.clone()), Some(true))]);
            dave.leave().unwrap();
            let unmute = Moderate::new(ROOM, alice_id.clone(), audio.clone(), false);
            videoroom::request(&admin, &unmute).unwrap();
            let seen = bob
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(videoroom::event, moderation))
                .unwrap();
            assert_eq!(seen, (alice_id.clone(), audio.clone(), false));
            let (n, _) = frames(carol.handle(), false, 25);
            eprintln!("blocking moderate: {n} frames after the unmute");

            // `kick`: bob is told he was kicked, alice that he was.
            let answer = videoroom::request(&admin, &Kick::new(ROOM, bob_id.clone())).unwrap();
            assert!(matches!(answer, Event::Success(_)), "{answer:?}");
            let reason = bob
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(videoroom::event, left_room))
                .unwrap();
            assert_eq!(reason.as_deref(), Some("kicked"));
            let gone = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(videoroom::event, kicked))
                .unwrap();
            assert_eq!(gone, bob_id);
            let ids: Vec<_> =
                listed(videoroom::request(&admin, &ListParticipants::new(ROOM)).unwrap())
                    .into_iter()
                    .map(|p| p.0)
                    .collect();
            assert_eq!(ids, std::slice::from_ref(&alice_id));
            stop.store(true, Ordering::Relaxed);
            sender.join().unwrap();
        });
        videoroom::request(&admin, &Destroy::new(ROOM)).unwrap();
    }

    #[test]
    fn subscriber_switch_pause_start_and_publisher_configure_unpublish_leave() {
        let (janus, client) = start();
        let session = client.create_session().unwrap();
        let ip: IpAddr = janus.media_ip().into();
        let admin = session.attach(VIDEOROOM).unwrap();
        videoroom::request(&admin, &create(ROOM)).unwrap();
        let audio_only = [Track::audio().send_only()];
        let alice =
            Publisher::join_and_publish(&session, ip, &join(ROOM, "alice"), &audio_only).unwrap();
        let bob =
            Publisher::join_and_publish(&session, ip, &join(ROOM, "bob"), &audio_only).unwrap();
        for p in [&alice, &bob] {
            p.handle().events().wait_for(WAIT, pick::both_up()).unwrap();
        }
        let (alice_id, bob_id) = (alice.joined().id.clone(), bob.joined().id.clone());
        let (alice_audio, _) = local_mids(alice.handle());
        let (bob_audio, _) = local_mids(bob.handle());

        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            let a =
                s.spawn(|| send_samples(alice.handle().peer().unwrap(), &alice_audio, None, &stop));
            let b = s.spawn(|| send_numbered(bob.handle().peer().unwrap(), &bob_audio, &stop));

            // Alice's audio, then bob's on the same m-line by `switch`.
            let mut stream = SubscribeStream::new(alice_id.clone());
            stream.mid = Some(alice_audio.clone());
            let mut carol = Subscriber::join(
                &session,
                ip,
                &JoinSubscriber::to_streams(ROOM, vec![stream]),
            )
            .unwrap();
            let sub_mid = carol.subscription().streams[0].mid.clone();
            frames(carol.handle(), false, 25);
            carol
                .switch(vec![SwitchStream::new(
                    bob_id.clone(),
                    bob_audio.clone(),
                    sub_mid.clone(),
                )])
                .unwrap();
            let now = &carol.subscription().streams[0];
            assert_eq!(
                (
                    now.mid.as_str(),
                    now.feed_id.as_ref(),
                    now.feed_mid.as_deref()
                ),
                (sub_mid.as_str(), Some(&bob_id), Some(bob_audio.as_str()))
            );
            let (numbered, before) = frames(carol.handle(), true, 25);
            eprintln!(
                "blocking switch: {numbered} of bob's frames ({before} of alice's still queued)"
            );

            // `pause`: frames stop; `start`: they flow again.
            carol.pause().unwrap();
            no_frames(carol.handle(), "paused");
            carol.resume().unwrap();
            frames(carol.handle(), true, 10);

            // `configure` with a bitrate: configured.
            let mut configure = ConfigurePublisher::new();
            configure.bitrate = Some(256_000);
            bob.configure(&configure).unwrap();

            // `unpublish`, then `leave`: alice hears both.
            bob.unpublish().unwrap();
            let gone = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(videoroom::event, unpublished))
                .unwrap();
            assert_eq!(gone, bob_id);
            bob.leave().unwrap();
            let gone = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(videoroom::event, left))
                .unwrap();
            assert_eq!(gone, bob_id);
            carol.leave().unwrap();
            stop.store(true, Ordering::Relaxed);
            eprintln!(
                "blocking publishers: frames written {:?}, {:?}",
                a.join().unwrap(),
                b.join().unwrap()
            );
        });
        videoroom::request(&admin, &Destroy::new(ROOM)).unwrap();
    }
}

mod tokio_adapter {
    use std::future::Future;
    use std::net::IpAddr;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use janus_proto::ClientConfig;
    use janus_proto::plugin::videoroom::{
        Allowed, AllowedAction, ConfigurePublisher, Destroy, Edit, Exists, ForwardStream, Id,
        JoinSubscriber, Kick, List, ListForwarders, ListParticipants, Moderate, Publish,
        RtpForward, StopRtpForward, SubscribeStream, SwitchStream,
    };
    use janus_tests::rtc::{
        ByFeed, CHAT, LayersAndData, SECOND_FEED, StopOnDrop, VIDEOROOM, WAIT, chat_message,
        layer_frames, pick,
    };
    use janus_tests::samples::{Kind, Relayed, Samples};
    use janus_tests::{Janus, JanusBuilder};
    use janus_tokio::plugins::videoroom::{self, Publisher, Subscriber};
    use janus_tokio::rtc::AudioLevel;
    use janus_tokio::{Client, Connection, Handle};

    use super::*;

    /// Fails the test if `body` takes longer than this.
    async fn within<T>(body: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(90), body)
            .await
            .expect("test timed out")
    }

    /// Writes the samples until `stop`: (audio, video) frames written.
    async fn send_samples(
        peer: &Connection,
        audio: &str,
        video: Option<&str>,
        stop: &AtomicBool,
    ) -> (u64, u64) {
        let mut samples = Samples::new(Instant::now(), video.is_some());
        let mut sent = (0, 0);
        while !stop.load(Ordering::Relaxed) {
            let (frames, next) = samples.due(Instant::now());
            for (kind, f) in frames {
                let (mid, count) = match kind {
                    Kind::Audio => (audio, &mut sent.0),
                    Kind::Video => (video.unwrap_or_default(), &mut sent.1),
                };
                if peer
                    .write_frame(mid, f.rtp_time, &f.data)
                    .await
                    .unwrap_or(false)
                {
                    *count += 1;
                }
            }
            tokio::time::sleep_until(next.into()).await;
        }
        sent
    }

    async fn relayed(subscriber: &Subscriber, audio: usize, video: usize) -> Relayed {
        let mut relayed = Relayed::default();
        subscriber
            .handle()
            .events()
            .wait_for(WAIT * 2, |e| {
                relayed_enough(&mut relayed, e, audio, video).then_some(())
            })
            .await
            .unwrap_or_else(|e| panic!("{e}: received {:?}", relayed.identical));
        relayed
    }

    async fn local_mids(handle: &Handle) -> (String, Option<String>) {
        mids(
            &handle
                .peer()
                .unwrap()
                .call(|pc, _| pc.local_tracks())
                .await
                .unwrap(),
        )
    }

    async fn start_with(builder: JanusBuilder) -> (Janus, Client) {
        let janus = tokio::task::block_in_place(|| builder.launch()).unwrap();
        let config = ClientConfig::new([janus.ws_url()])
            .unwrap()
            .request_timeout(WAIT);
        let client = Client::connect(config).await.unwrap();
        (janus, client)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn publishers_and_a_subscriber_in_a_room_made_with_typed_requests() {
        within(async {
            let (janus, client) = start_with(Janus::builder()).await;
            let session = client.create_session().await.unwrap();
            let ip: IpAddr = janus.media_ip().into();
            let admin = session.attach(VIDEOROOM).await.unwrap();

            assert!(!exists(
                videoroom::request(&admin, &Exists::new(ROOM))
                    .await
                    .unwrap()
            ));
            let created = videoroom::request(&admin, &create(ROOM)).await.unwrap();
            assert!(
                matches!(&created, Event::Created(c) if c.room == ROOM.into()),
                "{created:?}"
            );
            assert!(exists(
                videoroom::request(&admin, &Exists::new(ROOM))
                    .await
                    .unwrap()
            ));
            let err = Publisher::join(&session, ip, &join(NO_ROOM, "nobody"))
                .await
                .unwrap_err();
            assert_no_such_room(&err);

            let alice =
                Publisher::join_and_publish(&session, ip, &join(ROOM, "alice"), &audio_video())
                    .await
                    .unwrap();
            assert_eq!(alice.joined().room, ROOM.into());
            assert!(alice.joined().publishers.is_empty(), "{:?}", alice.joined());
            alice
                .handle()
                .events()
                .wait_for(WAIT, pick::both_up())
                .await
                .unwrap();
            let alice_id = alice.joined().id.clone();
            let (audio, video) = local_mids(alice.handle()).await;

            let stop = AtomicBool::new(false);
            let checks = async {
                let _stop = StopOnDrop(&stop);
                let participants = videoroom::request(&admin, &ListParticipants::new(ROOM))
                    .await
                    .unwrap();
                assert_eq!(
                    listed(participants),
                    [(alice_id.clone(), Some("alice".into()), Some(true))]
                );

                // A second publisher: its `joined` lists the first, and the first hears of it.
                let bob = Publisher::join(&session, ip, &join(ROOM, "bob"))
                    .await
                    .unwrap();
                let before: Vec<_> = bob
                    .joined()
                    .publishers
                    .iter()
                    .map(|p| (p.id.clone(), p.display.clone()))
                    .collect();
                assert_eq!(before, [(alice_id.clone(), Some("alice".into()))]);
                let kinds: Vec<_> = bob.joined().publishers[0]
                    .streams
                    .iter()
                    .map(|s| s.kind.as_str())
                    .collect();
                assert_eq!(kinds, ["audio", "video"]);
                bob.publish(&Publish::new(), &[Track::audio().send_only()])
                    .await
                    .unwrap();
                let announced = alice
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(videoroom::event, publishers))
                    .await
                    .unwrap();
                let bob_id = bob.joined().id.clone();
                assert_eq!(
                    announced.iter().map(|p| &p.id).collect::<Vec<_>>(),
                    [&bob_id]
                );
                let bob_audio = announced[0].streams[0].mid.clone().unwrap();

                // A subscriber to the first: its frames, byte for byte.
                let join =
                    JoinSubscriber::to_streams(ROOM, vec![SubscribeStream::new(alice_id.clone())]);
                let mut subscriber = Subscriber::join(&session, ip, &join).await.unwrap();
                let a = Some(alice_id.clone());
                assert_eq!(
                    streams(subscriber.subscription()),
                    [
                        (a.clone(), "audio".into(), true),
                        (a.clone(), "video".into(), true)
                    ]
                );
                check_relayed(
                    &relayed(&subscriber, AUDIO_FRAMES, VIDEO_FRAMES).await,
                    "tokio subscriber",
                );

                // The second's audio too, by renegotiation; then without it again.
                let mut more = SubscribeStream::new(bob_id.clone());
                more.mid = Some(bob_audio.clone());
                subscriber
                    .subscribe(vec![more])
                    .await
                    .unwrap()
                    .expect("updated at once");
                assert!(
                    subscriber
                        .subscription()
                        .stream_of(&bob_id, &bob_audio)
                        .is_some()
                );
                assert_eq!(streams(subscriber.subscription()).len(), 3);
                check_relayed(&relayed(&subscriber, 25, 10).await, "after subscribe");
                let mut less = UnsubscribeStream::new();
                less.feed = Some(bob_id.clone());
                subscriber.unsubscribe(vec![less]).await.unwrap();
                let left: Vec<_> = streams(subscriber.subscription())
                    .into_iter()
                    .filter(|s| s.2)
                    .collect();
                assert_eq!(
                    left,
                    [(a.clone(), "audio".into(), true), (a, "video".into(), true)]
                );
                check_relayed(&relayed(&subscriber, 25, 10).await, "after unsubscribe");

                bob.leave().await.unwrap();
                let left = alice
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(videoroom::event, gone))
                    .await
                    .unwrap();
                assert_eq!(left, bob_id);
            };
            let (sent, ()) = tokio::join!(
                send_samples(
                    alice.handle().peer().unwrap(),
                    &audio,
                    video.as_deref(),
                    &stop
                ),
                checks
            );
            eprintln!("tokio publisher: (audio, video) frames written {sent:?}");

            let destroyed_room = videoroom::request(&admin, &Destroy::new(ROOM))
                .await
                .unwrap();
            assert!(
                matches!(&destroyed_room, Event::Destroyed(d) if d.room == ROOM.into()),
                "{destroyed_room:?}"
            );
            let told = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(videoroom::event, destroyed))
                .await
                .unwrap();
            assert_eq!(told, ROOM.into());
            assert!(!exists(
                videoroom::request(&admin, &Exists::new(ROOM))
                    .await
                    .unwrap()
            ));
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn string_room_ids() {
        within(async {
            let (janus, client) = start_with(Janus::builder().string_ids(true)).await;
            let session = client.create_session().await.unwrap();
            let admin = session.attach(VIDEOROOM).await.unwrap();
            let ip: IpAddr = janus.media_ip().into();
            let room = Id::from("workflows");
            let created = videoroom::request(&admin, &create(room.clone()))
                .await
                .unwrap();
            assert!(
                matches!(&created, Event::Created(c) if c.room == room),
                "{created:?}"
            );
            let alice = Publisher::join(&session, ip, &join(room.clone(), "alice"))
                .await
                .unwrap();
            assert_eq!(alice.joined().room, room);
            assert!(
                alice.joined().id.as_str().is_some(),
                "{:?}",
                alice.joined().id
            );
            let participants = listed(
                videoroom::request(&admin, &ListParticipants::new(room.clone()))
                    .await
                    .unwrap(),
            );
            assert_eq!(
                participants,
                [(alice.joined().id.clone(), Some("alice".into()), Some(false))]
            );
            let err = Publisher::join(&session, ip, &join("nowhere", "nobody"))
                .await
                .unwrap_err();
            assert_no_such_room(&err);
            videoroom::request(&admin, &Destroy::new(room))
                .await
                .unwrap();
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rtp_forward_of_a_publishers_audio() {
        within(async {
            let (janus, client) = start_with(Janus::builder()).await;
            let session = client.create_session().await.unwrap();
            let ip: IpAddr = janus.media_ip().into();
            let admin = session.attach(VIDEOROOM).await.unwrap();
            videoroom::request(&admin, &create(ROOM)).await.unwrap();
            let alice = Publisher::join_and_publish(
                &session,
                ip,
                &join(ROOM, "alice"),
                &[Track::audio().send_only()],
            )
            .await
            .unwrap();
            alice
                .handle()
                .events()
                .wait_for(WAIT, pick::both_up())
                .await
                .unwrap();
            let alice_id = alice.joined().id.clone();
            let (audio, _) = local_mids(alice.handle()).await;
            let socket = tokio::net::UdpSocket::bind((janus.media_ip(), 0))
                .await
                .unwrap();
            let port = socket.local_addr().unwrap().port();
            let opus = opus_set();

            let stop = AtomicBool::new(false);
            let checks = async {
                let _stop = StopOnDrop(&stop);
                let mut forward =
                    RtpForward::new(ROOM, alice_id.clone(), janus.media_ip().to_string());
                let mut stream = ForwardStream::new(audio.clone(), port);
                stream.pt = Some(FORWARD_PT);
                stream.ssrc = Some(FORWARD_SSRC);
                forward.streams = Some(vec![stream]);
                let Event::RtpForward(reply) = videoroom::request(&admin, &forward).await.unwrap()
                else {
                    panic!("not rtp_forward")
                };
                assert_eq!(reply.forwarders.len(), 1, "{reply:?}");
                let stream_id = reply.forwarders[0].stream_id;

                let mut got = Forwarded::default();
                let mut buf = [0u8; 2048];
                let deadline = tokio::time::Instant::now() + WAIT;
                while got.identical < AUDIO_FRAMES {
                    let n = tokio::time::timeout_at(deadline, socket.recv(&mut buf))
                        .await
                        .unwrap_or_else(|_| panic!("timed out: {got:?}"))
                        .unwrap();
                    got.push(&buf[..n], &opus);
                }
                assert!(got.other.is_empty(), "{got:?}");
                assert_eq!(
                    got.streams.iter().copied().collect::<Vec<_>>(),
                    [(FORWARD_PT, FORWARD_SSRC)]
                );
                eprintln!("tokio rtp_forward: {got:?}");

                let Event::Forwarders(list) =
                    videoroom::request(&admin, &ListForwarders::new(ROOM))
                        .await
                        .unwrap()
                else {
                    panic!("not forwarders")
                };
                assert_eq!(list.publishers.len(), 1, "{list:?}");
                assert_eq!(list.publishers[0].publisher_id, alice_id);
                let ids: Vec<_> = list.publishers[0]
                    .forwarders
                    .iter()
                    .map(|f| (f.stream_id, f.port))
                    .collect();
                assert_eq!(ids, [(stream_id, Some(port))]);

                let stop_forward = StopRtpForward::new(ROOM, alice_id.clone(), stream_id);
                let Event::StopRtpForward(stopped) =
                    videoroom::request(&admin, &stop_forward).await.unwrap()
                else {
                    panic!("not stop_rtp_forward")
                };
                assert_eq!(stopped.stream_id, stream_id);
                tokio::time::sleep(Duration::from_millis(300)).await;
                while socket.try_recv(&mut buf).is_ok() {}
                let late =
                    tokio::time::timeout(Duration::from_millis(500), socket.recv(&mut buf)).await;
                assert!(late.is_err(), "packets after the stop");
            };
            let (sent, ()) = tokio::join!(
                send_samples(alice.handle().peer().unwrap(), &audio, None, &stop),
                checks
            );
            eprintln!("tokio publisher: frames written {sent:?}");
            videoroom::request(&admin, &Destroy::new(ROOM))
                .await
                .unwrap();
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn room_admin_edit_list_allowed_destroy() {
        within(async {
            let (janus, client) = start_with(Janus::builder()).await;
            let session = client.create_session().await.unwrap();
            let ip: IpAddr = janus.media_ip().into();
            let admin = session.attach(VIDEOROOM).await.unwrap();
            videoroom::request(&admin, &create(ROOM)).await.unwrap();

            let mut edit = Edit::new(ROOM);
            edit.new_description = Some("edited by the test".into());
            let edited = videoroom::request(&admin, &edit).await.unwrap();
            assert!(
                matches!(&edited, Event::Edited(e) if e.room == ROOM.into()),
                "{edited:?}"
            );
            let after = rooms(videoroom::request(&admin, &List::new()).await.unwrap());
            assert!(
                after.contains(&(ROOM.into(), Some("edited by the test".into()))),
                "{after:?}"
            );

            let mut add = Allowed::new(ROOM, AllowedAction::Add);
            add.allowed = Some(vec!["tok-a".into(), "tok-b".into()]);
            assert_eq!(
                tokens(videoroom::request(&admin, &add).await.unwrap()),
                (ROOM.into(), vec!["tok-a".into(), "tok-b".into()])
            );
            videoroom::request(&admin, &Allowed::new(ROOM, AllowedAction::Enable))
                .await
                .unwrap();
            let err = Publisher::join(&session, ip, &join(ROOM, "nobody"))
                .await
                .unwrap_err();
            assert_eq!(
                err.plugin_code().map(ErrorCode::from_code),
                Some(ErrorCode::Unauthorized),
                "{err}"
            );
            let mut with_token = join(ROOM, "alice");
            with_token.token = Some("tok-a".into());
            let alice = Publisher::join(&session, ip, &with_token).await.unwrap();

            let destroyed_room = videoroom::request(&admin, &Destroy::new(ROOM))
                .await
                .unwrap();
            assert!(
                matches!(&destroyed_room, Event::Destroyed(d) if d.room == ROOM.into()),
                "{destroyed_room:?}"
            );
            let told = alice
                .handle()
                .events()
                .wait_for(WAIT, pick::typed(videoroom::event, destroyed))
                .await
                .unwrap();
            assert_eq!(told, ROOM.into());
            let last = rooms(videoroom::request(&admin, &List::new()).await.unwrap());
            assert!(last.iter().all(|r| r.0 != ROOM.into()), "{last:?}");
        })
        .await;
    }

    /// Writes numbered Opus frames ([`janus_tests::media::opus_frame`]) every 20 ms until
    /// `stop`: frames written.
    async fn send_numbered(peer: &Connection, mid: &str, stop: &AtomicBool) -> u64 {
        let start = Instant::now();
        let mut n: u32 = 0;
        let mut sent = 0;
        while !stop.load(Ordering::Relaxed) {
            let data = janus_tests::media::opus_frame(n, 40);
            if peer
                .write_frame(mid, u64::from(n) * 960, &data)
                .await
                .unwrap_or(false)
            {
                sent += 1;
            }
            n += 1;
            tokio::time::sleep_until((start + Duration::from_millis(20) * n).into()).await;
        }
        sent
    }

    /// Frames on `handle` until `count` of them are numbered (`numbered`) or sample ones.
    async fn frames(handle: &Handle, numbered: bool, count: usize) -> (usize, usize) {
        let (mut want, mut other) = (0, 0);
        handle
            .events()
            .wait_for(WAIT, |e| {
                match frame(e) {
                    Some(n) if n == numbered => want += 1,
                    Some(_) => other += 1,
                    None => {}
                }
                (want >= count).then_some(())
            })
            .await
            .unwrap_or_else(|e| panic!("{e}: {want} frames as wanted, {other} others"));
        (want, other)
    }

    /// No frame reaches `handle` for half a second, once those in flight (300 ms) are
    /// drained.
    async fn no_frames(handle: &Handle, what: &str) {
        let _ = handle
            .events()
            .wait_for(Duration::from_millis(300), |_| None::<()>)
            .await;
        let got = handle
            .events()
            .wait_for(Duration::from_millis(500), frame)
            .await;
        assert!(got.is_err(), "{what}: a frame still arrived");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn moderate_and_kick() {
        within(async {
            let (janus, client) = start_with(Janus::builder()).await;
            let session = client.create_session().await.unwrap();
            let ip: IpAddr = janus.media_ip().into();
            let admin = session.attach(VIDEOROOM).await.unwrap();
            videoroom::request(&admin, &create(ROOM)).await.unwrap();
            let alice = Publisher::join_and_publish(
                &session,
                ip,
                &join(ROOM, "alice"),
                &[Track::audio().send_only()],
            )
            .await
            .unwrap();
            alice
                .handle()
                .events()
                .wait_for(WAIT, pick::both_up())
                .await
                .unwrap();
            let alice_id = alice.joined().id.clone();
            let (audio, _) = local_mids(alice.handle()).await;
            let bob = Publisher::join(&session, ip, &join(ROOM, "bob"))
                .await
                .unwrap();
            let bob_id = bob.joined().id.clone();

            let stop = AtomicBool::new(false);
            let checks = async {
                let _stop = StopOnDrop(&stop);
                let join =
                    JoinSubscriber::to_streams(ROOM, vec![SubscribeStream::new(alice_id.clone())]);
                let carol = Subscriber::join(&session, ip, &join).await.unwrap();
                frames(carol.handle(), false, 25).await;

                let mute = Moderate::new(ROOM, alice_id.clone(), audio.clone(), true);
                let answer = videoroom::request(&admin, &mute).await.unwrap();
                assert!(matches!(answer, Event::Success(_)), "{answer:?}");
                for p in [&bob, &alice] {
                    let seen = p
                        .handle()
                        .events()
                        .wait_for(WAIT, pick::typed(videoroom::event, moderation))
                        .await
                        .unwrap();
                    assert_eq!(seen, (alice_id.clone(), audio.clone(), true));
                }
                no_frames(carol.handle(), "muted by the moderator").await;
                let dave = Publisher::join(&session, ip, &super::join(ROOM, "dave"))
                    .await
                    .unwrap();
                let seen: Vec<_> = dave.joined().publishers[0]
                    .streams
                    .iter()
                    .map(|s| (s.mid.clone(), s.moderated))
                    .collect();
                assert_eq!(seen, [(Some(audio.clone()), Some(true))]);
                dave.leave().await.unwrap();
                let unmute = Moderate::new(ROOM, alice_id.clone(), audio.clone(), false);
                videoroom::request(&admin, &unmute).await.unwrap();
                let seen = bob
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(videoroom::event, moderation))
                    .await
                    .unwrap();
                assert_eq!(seen, (alice_id.clone(), audio.clone(), false));
                let (n, _) = frames(carol.handle(), false, 25).await;
                eprintln!("tokio moderate: {n} frames after the unmute");

                let answer = videoroom::request(&admin, &Kick::new(ROOM, bob_id.clone()))
                    .await
                    .unwrap();
                assert!(matches!(answer, Event::Success(_)), "{answer:?}");
                let reason = bob
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(videoroom::event, left_room))
                    .await
                    .unwrap();
                assert_eq!(reason.as_deref(), Some("kicked"));
                let gone = alice
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(videoroom::event, kicked))
                    .await
                    .unwrap();
                assert_eq!(gone, bob_id);
                let ids: Vec<_> = listed(
                    videoroom::request(&admin, &ListParticipants::new(ROOM))
                        .await
                        .unwrap(),
                )
                .into_iter()
                .map(|p| p.0)
                .collect();
                assert_eq!(ids, std::slice::from_ref(&alice_id));
            };
            let (sent, ()) = tokio::join!(
                send_samples(alice.handle().peer().unwrap(), &audio, None, &stop),
                checks
            );
            eprintln!("tokio publisher: frames written {sent:?}");
            videoroom::request(&admin, &Destroy::new(ROOM))
                .await
                .unwrap();
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn subscriber_switch_pause_start_and_publisher_configure_unpublish_leave() {
        within(async {
            let (janus, client) = start_with(Janus::builder()).await;
            let session = client.create_session().await.unwrap();
            let ip: IpAddr = janus.media_ip().into();
            let admin = session.attach(VIDEOROOM).await.unwrap();
            videoroom::request(&admin, &create(ROOM)).await.unwrap();
            let audio_only = [Track::audio().send_only()];
            let alice =
                Publisher::join_and_publish(&session, ip, &join(ROOM, "alice"), &audio_only)
                    .await
                    .unwrap();
            let bob = Publisher::join_and_publish(&session, ip, &join(ROOM, "bob"), &audio_only)
                .await
                .unwrap();
            for p in [&alice, &bob] {
                p.handle()
                    .events()
                    .wait_for(WAIT, pick::both_up())
                    .await
                    .unwrap();
            }
            let (alice_id, bob_id) = (alice.joined().id.clone(), bob.joined().id.clone());
            let (alice_audio, _) = local_mids(alice.handle()).await;
            let (bob_audio, _) = local_mids(bob.handle()).await;

            let stop = AtomicBool::new(false);
            let checks = async {
                let _stop = StopOnDrop(&stop);
                let mut stream = SubscribeStream::new(alice_id.clone());
                stream.mid = Some(alice_audio.clone());
                let join = JoinSubscriber::to_streams(ROOM, vec![stream]);
                let mut carol = Subscriber::join(&session, ip, &join).await.unwrap();
                let sub_mid = carol.subscription().streams[0].mid.clone();
                frames(carol.handle(), false, 25).await;
                carol
                    .switch(vec![SwitchStream::new(
                        bob_id.clone(),
                        bob_audio.clone(),
                        sub_mid.clone(),
                    )])
                    .await
                    .unwrap();
                let now = &carol.subscription().streams[0];
                assert_eq!(
                    (
                        now.mid.as_str(),
                        now.feed_id.as_ref(),
                        now.feed_mid.as_deref()
                    ),
                    (sub_mid.as_str(), Some(&bob_id), Some(bob_audio.as_str()))
                );
                let (numbered, before) = frames(carol.handle(), true, 25).await;
                eprintln!(
                    "tokio switch: {numbered} of bob's frames ({before} of alice's still queued)"
                );

                carol.pause().await.unwrap();
                no_frames(carol.handle(), "paused").await;
                carol.resume().await.unwrap();
                frames(carol.handle(), true, 10).await;

                let mut configure = ConfigurePublisher::new();
                configure.bitrate = Some(256_000);
                bob.configure(&configure).await.unwrap();

                bob.unpublish().await.unwrap();
                let gone = alice
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(videoroom::event, unpublished))
                    .await
                    .unwrap();
                assert_eq!(gone, bob_id);
                bob.leave().await.unwrap();
                let gone = alice
                    .handle()
                    .events()
                    .wait_for(WAIT, pick::typed(videoroom::event, left))
                    .await
                    .unwrap();
                assert_eq!(gone, bob_id);
                carol.leave().await.unwrap();
            };
            let (a, b, ()) = tokio::join!(
                send_samples(alice.handle().peer().unwrap(), &alice_audio, None, &stop),
                send_numbered(bob.handle().peer().unwrap(), &bob_audio, &stop),
                checks
            );
            eprintln!("tokio publishers: frames written {a:?}, {b}");
            videoroom::request(&admin, &Destroy::new(ROOM))
                .await
                .unwrap();
        })
        .await;
    }

    /// Writes the Opus sample until `stop`, each frame with the level `level` holds then.
    async fn send_talking(
        peer: &Connection,
        mid: &str,
        level: &std::sync::atomic::AtomicU8,
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
    async fn a_publisher_sending_loud_then_quiet_levels_is_announced_talking_then_stopped() {
        within(async {
            let (janus, client) = start_with(Janus::builder()).await;
            let session = client.create_session().await.unwrap();
            let ip: IpAddr = janus.media_ip().into();
            let admin = session.attach(VIDEOROOM).await.unwrap();
            let created = videoroom::request(&admin, &talk_room()).await.unwrap();
            assert!(matches!(&created, Event::Created(_)), "{created:?}");
            let tracks = [Track::audio().send_only()];
            let alice =
                Publisher::join_and_publish(&session, ip, &join(TALK_ROOM, "alice"), &tracks)
                    .await
                    .unwrap();
            let up = alice.handle().events().wait_for(WAIT, pick::both_up());
            up.await.unwrap();
            let alice_id = alice.joined().id.clone();
            let (audio, _) = local_mids(alice.handle()).await;
            // Bob is in the room without publishing: the room's events reach him too.
            let bob = Publisher::join(&session, ip, &join(TALK_ROOM, "bob"))
                .await
                .unwrap();
            let level = std::sync::atomic::AtomicU8::new(LOUD);
            let stop = AtomicBool::new(false);
            let checks = async {
                let _stop = StopOnDrop(&stop);
                let join = JoinSubscriber::to_streams(
                    TALK_ROOM,
                    vec![SubscribeStream::new(alice_id.clone())],
                );
                let subscriber = Subscriber::join(&session, ip, &join).await.unwrap();
                let sub_audio = subscriber
                    .subscription()
                    .stream_of(&alice_id, &audio)
                    .expect("alice's audio in the subscription")
                    .mid
                    .clone();
                for (loud, dbov) in [(true, LOUD), (false, QUIET)] {
                    level.store(dbov, Ordering::Relaxed);
                    for who in [&bob, &alice] {
                        let talk = pick::typed(videoroom::event, talk_event(&alice_id));
                        let said = who.handle().events().wait_for(WAIT, talk).await.unwrap();
                        check_talk(said, &audio, loud);
                    }
                    let relayed = level_on(&sub_audio, dbov);
                    subscriber
                        .handle()
                        .events()
                        .wait_for(WAIT, relayed)
                        .await
                        .unwrap();
                    let peer = subscriber.handle().peer().unwrap();
                    assert_eq!(
                        peer.remote_volume(&sub_audio).await.unwrap(),
                        Some(AudioLevel::new(dbov).unwrap())
                    );
                }
            };
            let (sent, ()) = tokio::join!(
                send_talking(alice.handle().peer().unwrap(), &audio, &level, &stop),
                checks
            );
            eprintln!("tokio: Opus frames with levels written by alice {sent}");
        })
        .await;
    }

    /// Every 20 ms until `stop`: a numbered Opus frame and, every other tick, a numbered
    /// VP8 frame, both numbered from `first` (the second publisher's from
    /// [`SECOND_FEED`]).
    async fn send_audio_video(
        peer: &Connection,
        audio: &str,
        video: &str,
        first: u32,
        stop: &AtomicBool,
    ) {
        use janus_tests::media::{OPUS_TICKS, VP8_TICKS, opus_frame, vp8_frame};
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let mut n = 0u32;
        while !stop.load(Ordering::Relaxed) {
            tick.tick().await;
            let audio_frame = opus_frame(first + n, 80);
            let _ = peer
                .write_frame(audio, u64::from(n) * OPUS_TICKS, &audio_frame)
                .await;
            if n % 2 == 0 {
                let frame = vp8_frame(first + n, n % 50 == 0, 600);
                let rtp_time = u64::from(n / 2) * VP8_TICKS * 6 / 5;
                let _ = peer.write_frame(video, rtp_time, &frame).await;
            }
            n += 1;
        }
    }

    /// Counts the subscriber's numbered frames until `done` holds.
    async fn count_frames(
        subscriber: &Subscriber,
        mut done: impl FnMut(&ByFeed) -> bool,
    ) -> ByFeed {
        let mut seen = ByFeed::default();
        subscriber
            .handle()
            .events()
            .wait_for(WAIT, |e| {
                if let HandleEvent::Rtc(janus_rtc::Event::Media(f)) = e {
                    seen.push(&f);
                }
                done(&seen).then_some(())
            })
            .await
            .unwrap_or_else(|e| panic!("{e}: received {seen:?}"));
        seen
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_subscriber_update_adds_one_publishers_streams_and_removes_anothers_video() {
        within(async {
            let (janus, client) = start_with(Janus::builder()).await;
            let session = client.create_session().await.unwrap();
            let ip: IpAddr = janus.media_ip().into();
            let admin = session.attach(VIDEOROOM).await.unwrap();
            videoroom::request(&admin, &create(ROOM)).await.unwrap();
            let first =
                Publisher::join_and_publish(&session, ip, &join(ROOM, "first"), &audio_video())
                    .await
                    .unwrap();
            let second =
                Publisher::join_and_publish(&session, ip, &join(ROOM, "second"), &audio_video())
                    .await
                    .unwrap();
            for p in [&first, &second] {
                p.handle()
                    .events()
                    .wait_for(WAIT, pick::both_up())
                    .await
                    .unwrap();
            }
            let (a_audio, a_video) = local_mids(first.handle()).await;
            let (b_audio, b_video) = local_mids(second.handle()).await;
            let (a_video, b_video) = (a_video.unwrap(), b_video.unwrap());
            let (a, b) = (first.joined().id.clone(), second.joined().id.clone());

            let stop = AtomicBool::new(false);
            let checks = async {
                let _stop = StopOnDrop(&stop);
                let join = JoinSubscriber::to_streams(ROOM, vec![SubscribeStream::new(a.clone())]);
                let mut subscriber = Subscriber::join(&session, ip, &join).await.unwrap();
                let seen =
                    count_frames(&subscriber, |f| f.first_audio >= 25 && f.first_video >= 10).await;
                assert_eq!((seen.second_audio, seen.second_video), (0, 0), "{seen:?}");

                let mut remove = UnsubscribeStream::new();
                remove.feed = Some(a.clone());
                remove.mid = Some(a_video.clone());
                let mut update = vr::Update::new();
                update.subscribe = Some(vec![SubscribeStream::new(b.clone())]);
                update.unsubscribe = Some(vec![remove]);
                let updated = subscriber
                    .update(&update)
                    .await
                    .unwrap()
                    .expect("Janus updates at once");
                let active: Vec<_> = updated
                    .streams
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|s| s.active != Some(false))
                    .map(|s| (s.feed_id, s.feed_mid))
                    .collect();
                let has = |feed: &Id, mid: &str| {
                    active.contains(&(Some(feed.clone()), Some(mid.to_owned())))
                };
                assert!(
                    has(&a, &a_audio) && has(&b, &b_audio) && has(&b, &b_video),
                    "{active:?}"
                );
                assert!(!has(&a, &a_video), "{active:?}");

                count_frames(&subscriber, |f| {
                    f.second_video >= 10 && f.second_audio >= 10
                })
                .await;
                let after = count_frames(&subscriber, |f| f.second_video >= 25).await;
                assert_eq!(
                    after.first_video, 0,
                    "the first's video after the update: {after:?}"
                );
                assert!(
                    after.first_audio >= 25 && after.second_audio >= 25,
                    "{after:?}"
                );
            };
            tokio::join!(
                send_audio_video(first.handle().peer().unwrap(), &a_audio, &a_video, 0, &stop),
                send_audio_video(
                    second.handle().peer().unwrap(),
                    &b_audio,
                    &b_video,
                    SECOND_FEED,
                    &stop
                ),
                checks
            );
        })
        .await;
    }

    /// Every 20 ms until `stop`: an Opus frame, every other tick the three simulcast
    /// layers, every fifth tick a numbered data message.
    async fn send_layers_and_data(peer: &Connection, audio: &str, video: &str, stop: &AtomicBool) {
        use janus_tests::media::{OPUS_TICKS, opus_frame};
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let mut n = 0u32;
        while !stop.load(Ordering::Relaxed) {
            tick.tick().await;
            let frame = opus_frame(n, 80);
            let _ = peer
                .write_frame(audio, u64::from(n) * OPUS_TICKS, &frame)
                .await;
            if n % 2 == 0 {
                let (rtp_time, frames) = layer_frames(n / 2);
                for (rid, frame) in frames {
                    let _ = peer
                        .write_simulcast_frame(video, rid, rtp_time, &frame)
                        .await;
                }
            }
            if n % 5 == 0 {
                let _ = peer
                    .send_data(CHAT, false, chat_message(n / 5).as_bytes())
                    .await;
            }
            n += 1;
        }
    }

    /// Reads the subscriber's events until `done` holds.
    async fn receive(
        subscriber: &Subscriber,
        (audio, video, from): (&str, &str, &str),
        mut done: impl FnMut(&LayersAndData) -> bool,
    ) -> LayersAndData {
        let mut got = LayersAndData::default();
        subscriber
            .handle()
            .events()
            .wait_for(WAIT, |e| {
                got.push(e, audio, video, from);
                done(&got).then_some(())
            })
            .await
            .unwrap_or_else(|e| panic!("{e}: received {got:?}"));
        got
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_publisher_of_audio_simulcast_and_data_reaches_a_subscriber_that_picks_a_layer() {
        within(async {
            let (janus, client) = start_with(Janus::builder()).await;
            let session = client.create_session().await.unwrap();
            let ip: IpAddr = janus.media_ip().into();
            let admin = session.attach(VIDEOROOM).await.unwrap();
            videoroom::request(&admin, &create(ROOM)).await.unwrap();
            let tracks = [
                Track::audio().send_only(),
                Track::video().send_only().simulcast(),
                Track::data(CHAT),
            ];
            let publisher = Publisher::join_and_publish(&session, ip, &join(ROOM, "sim"), &tracks)
                .await
                .unwrap();
            let (mut up, mut is_up, mut open) = (pick::both_up(), false, false);
            publisher
                .handle()
                .events()
                .wait_for(WAIT, |e| {
                    open |= matches!(&e, HandleEvent::Rtc(janus_rtc::Event::DataOpen { label, .. }) if label == CHAT);
                    is_up |= up(e).is_some();
                    (is_up && open).then_some(())
                })
                .await
                .unwrap();
            let feed = publisher.joined().id.clone();
            let (audio, video) = local_mids(publisher.handle()).await;
            let video = video.unwrap();

            let stop = AtomicBool::new(false);
            let checks = async {
                let _stop = StopOnDrop(&stop);
                let join = JoinSubscriber::to_streams(ROOM, vec![SubscribeStream::new(feed.clone())]);
                let subscriber = Subscriber::join(&session, ip, &join).await.unwrap();
                let sub_mid = |mid: &str| {
                    subscriber.subscription().stream_of(&feed, mid).map(|s| s.mid.clone()).unwrap()
                };
                let (sub_audio, sub_video, from) = (sub_mid(&audio), sub_mid(&video), feed.to_string());
                let mids = (sub_audio.as_str(), sub_video.as_str(), from.as_str());
                let got = receive(&subscriber, mids, |r| r.enough(25, 25, 5) && r.ends_with_run_of("h")).await;
                assert!(got.chat.windows(2).all(|w| w[0] < w[1]), "{got:?}");

                let mut to_low = vr::SubscriberStreamConfig::new(sub_video.clone());
                to_low.substream = Some(0);
                let mut configure = vr::ConfigureSubscriber::new();
                configure.streams = Some(vec![to_low]);
                subscriber.configure(&configure).await.unwrap();
                let switched = pick::typed(videoroom::event, |e| match e {
                    Event::LayerChanged { substream: Some(0), mid, .. } => Some(mid),
                    _ => None,
                });
                let mid = subscriber.handle().events().wait_for(WAIT, switched).await.unwrap();
                assert_eq!(mid.as_deref(), Some(sub_video.as_str()));
                let got = receive(&subscriber, mids, |r| r.layers_from("l").len() >= 30 && r.chat.len() >= 3).await;
                assert!(got.layers_from("l").iter().all(|l| *l == "l"), "{got:?}");
                assert!(got.audio > 0, "{got:?}");
            };
            tokio::join!(
                send_layers_and_data(publisher.handle().peer().unwrap(), &audio, &video, &stop),
                checks
            );
        })
        .await;
    }
}
