//! The VideoRoom workflows of both adapters (`plugins::videoroom`) against the real plugin:
//! a room made and destroyed with typed requests (`exists` before and after), a publisher
//! sending the real Opus and VP8 samples, a second publisher that sees the first in its
//! `joined` answer and is announced to the first by a typed `publishers` event, a
//! subscriber that receives the first publisher's frames byte for byte, takes and drops the
//! second's stream by renegotiation, `listparticipants` typed, a typed plugin error, and
//! string room ids. `blocking` and `tokio_adapter` run the same scenario, each on its adapter.
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

mod blocking {
    use std::net::IpAddr;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Instant;

    use janus_blocking::plugins::videoroom::{self, Publisher, Subscriber};
    use janus_blocking::{Client, Connection, Handle};
    use janus_proto::ClientConfig;
    use janus_proto::plugin::videoroom::{
        Destroy, Exists, Id, JoinSubscriber, ListParticipants, Publish, SubscribeStream,
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
}

mod tokio_adapter {
    use std::future::Future;
    use std::net::IpAddr;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use janus_proto::ClientConfig;
    use janus_proto::plugin::videoroom::{
        Destroy, Exists, Id, JoinSubscriber, ListParticipants, Publish, SubscribeStream,
    };
    use janus_tests::rtc::{StopOnDrop, VIDEOROOM, WAIT, pick};
    use janus_tests::samples::{Kind, Relayed, Samples};
    use janus_tests::{Janus, JanusBuilder};
    use janus_tokio::plugins::videoroom::{self, Publisher, Subscriber};
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
}
