//! The VideoRoom on the handle API. Simulcast: a publisher sends three VP8 layers (rids h,
//! m, l) and a subscriber, a handle whose connection answers Janus's offer, gets the layer
//! Janus picks, then the one it asks for. Renegotiation from Janus's side: a subscriber asks
//! the plugin for an ICE restart (Janus offers new credentials), takes a second feed (Janus
//! offers again) and answers Janus's own offer when that feed leaves, and the first feed's
//! media goes on throughout.
//!
//! Then the same through the workflows (`plugins::videoroom::{Publisher, Subscriber}`):
//! talk detection (a publisher's frames with loud, then silent RFC 6464 levels give typed
//! `talking` and `stopped-talking` events to the room and the talker, `listparticipants`
//! follows, and the levels reach the subscriber); a `Publisher` of audio, simulcast video and a data channel whose
//! `Subscriber` gets the audio, the top layer and the messages, then only the layer a typed
//! `configure` asks for; and a subscriber's `update` that adds one publisher's streams and
//! removes another's video in one renegotiation.
#![allow(clippy::unwrap_used, missing_docs)]

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use janus_blocking::plugins::videoroom::{self, Publisher, Subscriber};
use janus_blocking::rtc::{
    AudioLevel, Event as RtcEvent, HandleEvent, PeerConfig, Track, TrackKind,
};
use janus_blocking::{Client, Connection, Handle, Session};
use janus_proto::plugin::videoroom as vr;
use janus_proto::{ClientConfig, Event, Jsep, SdpType};
use janus_tests::Janus;
use janus_tests::media::{OPUS_TICKS, VP8_TICKS, frame_number, opus_frame, vp8_frame};
use janus_tests::rtc::{
    ByFeed, CHAT, LAYER_TICK, LayersAndData, SECOND_FEED, StopOnDrop, TICK, VIDEOROOM, WAIT,
    chat_message, layer_frames, pick,
};
use serde_json::{Value, json};

/// Sends the three layers every [`LAYER_TICK`] until `stop`.
fn send_layers(peer: &Connection, mid: &str, stop: &AtomicBool) {
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let (rtp_time, frames) = layer_frames(n);
        for (rid, frame) in frames {
            let _ = peer.write_simulcast_frame(mid, rid, rtp_time, &frame);
        }
        n += 1;
        std::thread::sleep(LAYER_TICK);
    }
}

/// Waits until the subscriber receives `count` frames in a row of layer `rid`.
fn receives_layer(handle: &Handle, rid: &str, count: usize) {
    let mut run = 0;
    while run < count {
        let layer = handle
            .events()
            .wait_for(WAIT, pick::layer)
            .unwrap_or_else(|e| panic!("waiting for layer {rid}: {e}"));
        run = if layer == Some(rid) { run + 1 } else { 0 };
    }
}

/// A publisher in room 1234 with its connection up, sending `tracks`: its handle, feed id
/// and video mid.
fn publish(
    session: &Session,
    ip: IpAddr,
    display: &str,
    tracks: &[Track],
) -> (Handle, Value, String) {
    let mut publisher = session.attach(VIDEOROOM).unwrap();
    publisher.add_peer(PeerConfig::default(), ip).unwrap();
    let joined = publisher
        .message(
            json!({"request": "join", "ptype": "publisher", "room": 1234, "display": display}),
            None,
        )
        .unwrap();
    assert_eq!(joined.data.data["videoroom"], "joined", "{joined:?}");
    let feed = joined.data.data["id"].clone();
    let reply = publisher
        .offer(json!({"request": "publish"}), tracks)
        .unwrap();
    assert_eq!(reply.data.data["configured"], "ok", "{reply:?}");
    // The feed exists for subscribers once Janus has its side up too.
    publisher.events().wait_for(WAIT, pick::both_up()).unwrap();
    let video = publisher
        .peer()
        .unwrap()
        .call(|pc, _| pc.local_tracks())
        .unwrap()[0]
        .clone();
    assert_eq!(video.kind, TrackKind::Video);
    (publisher, feed, video.mid)
}

/// A subscriber to `feeds`, its connection answering Janus's offer.
fn subscribe(session: &Session, ip: IpAddr, feeds: &[&Value]) -> Handle {
    let mut subscriber = session.attach(VIDEOROOM).unwrap();
    subscriber.add_peer(PeerConfig::default(), ip).unwrap();
    let streams: Vec<Value> = feeds.iter().map(|f| json!({"feed": f})).collect();
    let attached = subscriber
        .message(
            json!({"request": "join", "ptype": "subscriber", "room": 1234, "streams": streams}),
            None,
        )
        .unwrap();
    assert_eq!(attached.data.data["videoroom"], "attached", "{attached:?}");
    subscriber
        .answer(
            json!({"request": "start"}),
            attached.jsep.as_ref().unwrap(),
            &[],
        )
        .unwrap();
    subscriber.events().wait_for(WAIT, pick::connected).unwrap();
    subscriber
}

#[test]
fn a_simulcast_publisher_is_received_in_the_layer_the_subscriber_asks_for() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let ip = janus.media_ip().into();
    let (publisher, feed, video) = publish(
        &session,
        ip,
        "sim",
        &[Track::video().send_only().simulcast()],
    );

    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let sender = s.spawn(|| send_layers(publisher.peer().unwrap(), &video, &stop));
        // A failing assertion must stop the sender too, or the scope never ends.
        let _stop = StopOnDrop(&stop);
        let subscriber = subscribe(&session, ip, &[&feed]);
        let remote = subscriber
            .peer()
            .unwrap()
            .call(|pc, _| pc.remote_tracks())
            .unwrap();
        assert_eq!(remote.len(), 1, "{remote:?}");

        // Janus starts with the highest layer, then switches to the one asked for.
        receives_layer(&subscriber, "h", 10);
        subscriber
            .message(json!({"request": "configure", "substream": 0}), None)
            .unwrap();
        // Janus says when it has switched (after a keyframe of the new layer).
        let switched = pick::plugin_event(|d| d["substream"] == 0);
        let (event, _) = subscriber.events().wait_for(WAIT, switched).unwrap();
        assert_eq!(event["videoroom"], "event", "{event}");
        receives_layer(&subscriber, "l", 10);
        subscriber
            .message(json!({"request": "configure", "substream": 1}), None)
            .unwrap();
        receives_layer(&subscriber, "m", 10);

        stop.store(true, Ordering::Relaxed);
        sender.join().unwrap();
    });
}

/// Sends VP8 frames numbered from `first` every other tick until `stop`.
fn send_video(peer: &Connection, mid: &str, first: u32, stop: &AtomicBool) {
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let frame = vp8_frame(first + n, n % 25 == 0, 600);
        let _ = peer.write_frame(mid, u64::from(n) * VP8_TICKS, &frame);
        n += 1;
        std::thread::sleep(TICK * 2);
    }
}

/// Waits for a received frame whose number `pick` accepts: its mid.
fn frame_from(subscriber: &Handle, mut from: impl FnMut(u32) -> bool) -> String {
    subscriber
        .events()
        .wait_for(WAIT, |ev| match ev {
            HandleEvent::Rtc(RtcEvent::Media(f))
                if frame_number(&f.data).is_some_and(&mut from) =>
            {
                Some(f.mid)
            }
            _ => None,
        })
        .unwrap()
}

/// Frames from the first publisher are numbered below this one, the second's above.
const SECOND: u32 = SECOND_FEED;

#[test]
fn a_subscriber_answers_janus_offers_for_an_ice_restart_a_feed_added_and_a_feed_gone() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let ip = janus.media_ip().into();
    let sending = [Track::video().send_only()];
    let (first, first_feed, first_mid) = publish(&session, ip, "first", &sending);
    let (second, second_feed, second_mid) = publish(&session, ip, "second", &sending);

    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let _stop = StopOnDrop(&stop);
        s.spawn(|| send_video(first.peer().unwrap(), &first_mid, 0, &stop));
        s.spawn(|| send_video(second.peer().unwrap(), &second_mid, SECOND, &stop));
        let subscriber = subscribe(&session, ip, &[&first_feed]);
        let from_first = frame_from(&subscriber, |n| n < SECOND);

        // A restart from the plugin's side: Janus offers with new ICE credentials, our
        // answer restarts ICE here too, and the feed goes on.
        let restart = subscriber
            .message(json!({"request": "configure", "restart": true}), None)
            .unwrap();
        let offer = match restart.jsep {
            Some(jsep) => jsep,
            None => janus_offer(&subscriber),
        };
        subscriber
            .answer(json!({"request": "start"}), &offer, &[])
            .unwrap();
        let mut states = Vec::new();
        subscriber
            .events()
            .wait_for(WAIT, |ev| {
                if let HandleEvent::Rtc(RtcEvent::IceState(s)) = ev {
                    states.push(s);
                }
                janus_tests::rtc::checked_and_connected(&states).then_some(())
            })
            .unwrap_or_else(|e| panic!("ICE after Janus's restart: {states:?}: {e}"));
        assert_eq!(frame_from(&subscriber, |n| n < SECOND), from_first);

        // Take the second feed too: Janus renegotiates with an offer of its own.
        let updated = subscriber
            .message(
                json!({"request": "subscribe", "streams": [{"feed": second_feed}]}),
                None,
            )
            .unwrap();
        let offer = updated.jsep.clone().expect("Janus offers the new stream");
        assert_eq!(offer.kind, SdpType::Offer);
        subscriber
            .answer(json!({"request": "start"}), &offer, &[])
            .unwrap();
        let from_second = frame_from(&subscriber, |n| n >= SECOND);
        assert_ne!(
            from_first, from_second,
            "the second feed on an m-line of its own"
        );

        // The second publisher leaves: Janus offers, unasked, without its stream.
        second.hangup().unwrap();
        let offer = janus_offer(&subscriber);
        answer_and_check(&subscriber, &offer, &from_first, &from_second);
        stop.store(true, Ordering::Relaxed);
    });
}

/// The next offer Janus makes on its own, in a plugin event.
fn janus_offer(subscriber: &Handle) -> Jsep {
    subscriber
        .events()
        .wait_for(WAIT, |ev| match ev {
            HandleEvent::Janus(Event::PluginEvent {
                jsep: Some(jsep), ..
            }) if jsep.kind == SdpType::Offer => Some(jsep),
            _ => None,
        })
        .unwrap()
}

/// Answers Janus's offer that drops `gone`, then sees `kept`'s frames go on.
fn answer_and_check(subscriber: &Handle, offer: &Jsep, kept: &str, gone: &str) {
    subscriber
        .answer(json!({"request": "start"}), offer, &[])
        .unwrap();
    let remote = subscriber
        .peer()
        .unwrap()
        .call(|pc, _| pc.remote_tracks())
        .unwrap();
    assert!(
        remote.iter().any(|t| t.mid == kept) && !remote.iter().any(|t| t.mid == gone),
        "{remote:?}"
    );
    assert_eq!(frame_from(subscriber, |n| n < SECOND), kept);
}

// ------------------------------------------------------------------ the workflows

/// The room the talk-detection test makes, with `audiolevel_event`.
const TALK_ROOM: u64 = 5678;
/// Talk detection over 25 packets (0.5 s of 20 ms frames), talking below an average of
/// 40 -dBov (the defaults, 100 and 25, would make the test slow).
const ACTIVE_PACKETS: u64 = 25;
const LEVEL_AVERAGE: u64 = 40;
/// The levels the talker writes (-dBov, lower is louder): loud, then silence.
const LOUD: u8 = 10;
const QUIET: u8 = 127;

fn publisher_join(room: u64, display: &str) -> vr::JoinPublisher {
    let mut join = vr::JoinPublisher::new(room);
    join.display = Some(display.into());
    join
}

/// The mid of our first local track of `kind`.
fn local_mid(handle: &Handle, kind: TrackKind) -> String {
    handle
        .peer()
        .unwrap()
        .local_tracks()
        .unwrap()
        .into_iter()
        .find(|t| t.kind == kind)
        .map(|t| t.mid)
        .unwrap_or_else(|| panic!("no local {kind:?} track"))
}

/// Writes numbered Opus frames every tick until `stop`, each with the level `level`
/// holds then.
fn send_talking(peer: &Connection, mid: &str, level: &AtomicU8, stop: &AtomicBool) -> u64 {
    let mut n = 0u32;
    let mut sent = 0;
    while !stop.load(Ordering::Relaxed) {
        let level = AudioLevel::new(level.load(Ordering::Relaxed)).unwrap();
        let rtp_time = u64::from(n) * OPUS_TICKS;
        if peer
            .write_frame_with_level(mid, rtp_time, &opus_frame(n, 80), level)
            .unwrap_or(false)
        {
            sent += 1;
        }
        n += 1;
        std::thread::sleep(TICK);
    }
    sent
}

/// The VideoRoom's `talking` (`true`) or `stopped-talking` about `who`: with it, the
/// average level Janus computed and the mid it names.
fn talk_event(who: &vr::Id) -> impl FnMut(vr::Event) -> Option<(bool, vr::Talking)> + '_ {
    move |e| match e {
        vr::Event::Talking(t) if &t.id == who => Some((true, t)),
        vr::Event::StoppedTalking(t) if &t.id == who => Some((false, t)),
        _ => None,
    }
}

/// Waits on `handle` for `who`'s next talk event, which must say `talking`.
fn hears_talk(handle: &Handle, who: &vr::Id, mid: &str, talking: bool) {
    let (said, event) = handle
        .events()
        .wait_for(WAIT, pick::typed(videoroom::event, talk_event(who)))
        .unwrap();
    assert_eq!(said, talking, "{event:?}");
    assert_eq!(event.mid.as_deref(), Some(mid), "{event:?}");
    let average = event.audio_level.expect("the average level");
    if talking {
        assert!(average < LEVEL_AVERAGE as f64, "{event:?}");
    } else {
        assert!(average >= LEVEL_AVERAGE as f64, "{event:?}");
    }
}

/// Whether `listparticipants` says `who` is talking.
fn listed_talking(admin: &Handle, room: u64, who: &vr::Id) -> Option<bool> {
    let vr::Event::Participants(list) =
        videoroom::request(admin, &vr::ListParticipants::new(room)).unwrap()
    else {
        panic!("not participants")
    };
    list.participants
        .into_iter()
        .find(|p| &p.id == who)
        .and_then(|p| p.talking)
}

/// Waits until the subscriber receives a frame on `mid` carrying `dbov`.
fn receives_level(subscriber: &Handle, mid: &str, dbov: u8) {
    subscriber
        .events()
        .wait_for(WAIT, |e| match e {
            HandleEvent::Rtc(RtcEvent::Media(f)) if f.mid == mid => {
                f.audio_level.filter(|l| l.dbov() == dbov).map(|_| ())
            }
            _ => None,
        })
        .unwrap_or_else(|e| panic!("no frame with level {dbov} on {mid}: {e}"));
}

#[test]
fn a_publisher_sending_loud_then_quiet_levels_is_announced_talking_then_stopped_and_its_subscriber_reads_the_levels()
 {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let ip = janus.media_ip().into();
    let admin = session.attach(VIDEOROOM).unwrap();
    let mut create = vr::Create::new();
    create.room = Some(TALK_ROOM.into());
    create.audiolevel_event = Some(true);
    create.audio_active_packets = Some(ACTIVE_PACKETS);
    create.audio_level_average = Some(LEVEL_AVERAGE);
    let created = videoroom::request(&admin, &create).unwrap();
    assert!(matches!(&created, vr::Event::Created(_)), "{created:?}");

    let alice = Publisher::join_and_publish(
        &session,
        ip,
        &publisher_join(TALK_ROOM, "alice"),
        &[Track::audio().send_only()],
    )
    .unwrap();
    alice
        .handle()
        .events()
        .wait_for(WAIT, pick::both_up())
        .unwrap();
    let alice_id = alice.joined().id.clone();
    let audio = local_mid(alice.handle(), TrackKind::Audio);
    // Bob is in the room without publishing: the room's events reach him too.
    let bob = Publisher::join(&session, ip, &publisher_join(TALK_ROOM, "bob")).unwrap();

    let level = AtomicU8::new(LOUD);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let _stop = StopOnDrop(&stop);
        let sender =
            s.spawn(|| send_talking(alice.handle().peer().unwrap(), &audio, &level, &stop));
        let join = vr::JoinSubscriber::to_streams(
            TALK_ROOM,
            vec![vr::SubscribeStream::new(alice_id.clone())],
        );
        let subscriber = Subscriber::join(&session, ip, &join).unwrap();
        let sub_audio = subscriber
            .subscription()
            .stream_of(&alice_id, &audio)
            .expect("alice's audio in the subscription")
            .mid
            .clone();

        // Loud: the room (bob) and the talker hear she talks; Janus relays the level
        // with each frame to her subscriber.
        hears_talk(bob.handle(), &alice_id, &audio, true);
        hears_talk(alice.handle(), &alice_id, &audio, true);
        receives_level(subscriber.handle(), &sub_audio, LOUD);
        assert_eq!(listed_talking(&admin, TALK_ROOM, &alice_id), Some(true));
        let peer = subscriber.handle().peer().unwrap();
        assert_eq!(
            peer.remote_volume(&sub_audio).unwrap(),
            Some(AudioLevel::new(LOUD).unwrap())
        );
        assert_eq!(
            alice.handle().peer().unwrap().local_volume(&audio).unwrap(),
            Some(AudioLevel::new(LOUD).unwrap())
        );

        // Quiet: both hear she stopped, and the subscriber reads silence.
        level.store(QUIET, Ordering::Relaxed);
        hears_talk(bob.handle(), &alice_id, &audio, false);
        hears_talk(alice.handle(), &alice_id, &audio, false);
        receives_level(subscriber.handle(), &sub_audio, QUIET);
        assert_eq!(listed_talking(&admin, TALK_ROOM, &alice_id), Some(false));
        assert_eq!(
            peer.remote_volume(&sub_audio).unwrap(),
            Some(AudioLevel::SILENCE)
        );
        stop.store(true, Ordering::Relaxed);
        eprintln!("frames with levels written: {}", sender.join().unwrap());
    });
}

/// Every [`TICK`] until `stop`: an audio frame, every other tick the three simulcast
/// layers, every fifth tick a numbered data message (once the channel is open).
fn send_audio_layers_and_data(peer: &Connection, audio: &str, video: &str, stop: &AtomicBool) {
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let _ = peer.write_frame(audio, u64::from(n) * OPUS_TICKS, &opus_frame(n, 80));
        if n % 2 == 0 {
            let (rtp_time, frames) = layer_frames(n / 2);
            for (rid, frame) in frames {
                let _ = peer.write_simulcast_frame(video, rid, rtp_time, &frame);
            }
        }
        if n % 5 == 0 {
            let _ = peer.send_data(CHAT, false, chat_message(n / 5).as_bytes());
        }
        n += 1;
        std::thread::sleep(TICK);
    }
}

/// Reads the subscriber's events until `done` holds.
fn receive(
    subscriber: &Subscriber,
    (audio, video, from): (&str, &str, &str),
    mut done: impl FnMut(&LayersAndData) -> bool,
) -> LayersAndData {
    let mut received = LayersAndData::default();
    subscriber
        .handle()
        .events()
        .wait_for(WAIT, |e| {
            received.push(e, audio, video, from);
            done(&received).then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}: received {received:?}"));
    received
}

#[test]
fn a_workflow_publisher_of_audio_simulcast_and_data_reaches_a_subscriber_that_picks_a_layer() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let ip = janus.media_ip().into();
    let tracks = [
        Track::audio().send_only(),
        Track::video().send_only().simulcast(),
        Track::data(CHAT),
    ];
    let publisher =
        Publisher::join_and_publish(&session, ip, &publisher_join(1234, "sim"), &tracks).unwrap();
    let feed = publisher.joined().id.clone();
    // Up on both sides and the channel open, before anything is sent.
    let (mut up, mut is_up, mut open) = (pick::both_up(), false, false);
    publisher
        .handle()
        .events()
        .wait_for(WAIT, |e| {
            open |=
                matches!(&e, HandleEvent::Rtc(RtcEvent::DataOpen { label, .. }) if label == CHAT);
            is_up |= up(e).is_some();
            (is_up && open).then_some(())
        })
        .unwrap();
    let audio = local_mid(publisher.handle(), TrackKind::Audio);
    let video = local_mid(publisher.handle(), TrackKind::Video);

    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let _stop = StopOnDrop(&stop);
        s.spawn(|| {
            send_audio_layers_and_data(publisher.handle().peer().unwrap(), &audio, &video, &stop)
        });
        let join =
            vr::JoinSubscriber::to_streams(1234, vec![vr::SubscribeStream::new(feed.clone())]);
        let subscriber = Subscriber::join(&session, ip, &join).unwrap();
        let kinds: Vec<_> = subscriber
            .subscription()
            .streams
            .iter()
            .map(|s| s.kind.as_str())
            .collect();
        assert_eq!(kinds, ["audio", "video", "data"]);
        let sub_mid = |mid: &str| {
            subscriber
                .subscription()
                .stream_of(&feed, mid)
                .unwrap_or_else(|| panic!("{mid} not in {:?}", subscriber.subscription()))
                .mid
                .clone()
        };
        let (sub_audio, sub_video) = (sub_mid(&audio), sub_mid(&video));
        let from = feed.to_string();
        let mids = (sub_audio.as_str(), sub_video.as_str(), from.as_str());

        // Everything arrives: audio, the highest layer (Janus's default), the messages in
        // the order sent.
        let got = receive(&subscriber, mids, |r| {
            r.enough(25, 25, 5) && r.ends_with_run_of("h")
        });
        assert!(
            got.chat.windows(2).all(|w| w[0] < w[1]),
            "data out of order: {:?}",
            got.chat
        );

        // The lowest layer, asked for with the typed configure: Janus says when it has
        // switched, then only that layer comes.
        let mut to_low = vr::SubscriberStreamConfig::new(sub_video.clone());
        to_low.substream = Some(0);
        let mut configure = vr::ConfigureSubscriber::new();
        configure.streams = Some(vec![to_low]);
        subscriber.configure(&configure).unwrap();
        let switched = subscriber
            .handle()
            .events()
            .wait_for(
                WAIT,
                pick::typed(videoroom::event, |e| match e {
                    vr::Event::LayerChanged {
                        substream: Some(0),
                        mid,
                        ..
                    } => Some(mid),
                    _ => None,
                }),
            )
            .unwrap();
        assert_eq!(switched.as_deref(), Some(sub_video.as_str()));
        // Frames of the old layer already on their way may still come, then a keyframe of
        // the new one; from the first "l" on, nothing else.
        let got = receive(&subscriber, mids, |r| {
            r.layers_from("l").len() >= 30 && r.chat.len() >= 3
        });
        let after = got.layers_from("l");
        assert!(
            after.iter().all(|l| *l == "l"),
            "other layers after the switch: {got:?}"
        );
        assert!(got.audio > 0, "{got:?}");
        stop.store(true, Ordering::Relaxed);
    });
}

/// Every [`TICK`] until `stop`: an Opus frame, and every other tick a VP8 frame, both
/// numbered from `first` (so that the receiver tells the publishers apart).
fn send_audio_video(peer: &Connection, audio: &str, video: &str, first: u32, stop: &AtomicBool) {
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let _ = peer.write_frame(audio, u64::from(n) * OPUS_TICKS, &opus_frame(first + n, 80));
        if n % 2 == 0 {
            let frame = vp8_frame(first + n, n % 50 == 0, 600);
            let _ = peer.write_frame(video, u64::from(n / 2) * VP8_TICKS * 6 / 5, &frame);
        }
        n += 1;
        std::thread::sleep(TICK);
    }
}

/// Counts the subscriber's frames until `done` holds.
fn count_frames(subscriber: &Subscriber, mut done: impl FnMut(&ByFeed) -> bool) -> ByFeed {
    let mut seen = ByFeed::default();
    subscriber
        .handle()
        .events()
        .wait_for(WAIT, |e| {
            if let HandleEvent::Rtc(RtcEvent::Media(f)) = e {
                seen.push(&f);
            }
            done(&seen).then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}: received {seen:?}"));
    seen
}

/// An audio and video publisher in room 1234, up: the workflow, its audio and video mids.
fn av_publisher(session: &Session, ip: IpAddr, display: &str) -> (Publisher, String, String) {
    let tracks = [Track::audio().send_only(), Track::video().send_only()];
    let publisher =
        Publisher::join_and_publish(session, ip, &publisher_join(1234, display), &tracks).unwrap();
    publisher
        .handle()
        .events()
        .wait_for(WAIT, pick::both_up())
        .unwrap();
    let audio = local_mid(publisher.handle(), TrackKind::Audio);
    let video = local_mid(publisher.handle(), TrackKind::Video);
    (publisher, audio, video)
}

#[test]
fn a_subscriber_update_adds_one_publishers_streams_and_removes_anothers_video_in_one_renegotiation()
{
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let ip = janus.media_ip().into();
    let (first, first_audio, first_video) = av_publisher(&session, ip, "first");
    let (second, second_audio, second_video) = av_publisher(&session, ip, "second");
    let (a, b) = (first.joined().id.clone(), second.joined().id.clone());

    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let _stop = StopOnDrop(&stop);
        s.spawn(|| {
            send_audio_video(
                first.handle().peer().unwrap(),
                &first_audio,
                &first_video,
                0,
                &stop,
            )
        });
        s.spawn(|| {
            send_audio_video(
                second.handle().peer().unwrap(),
                &second_audio,
                &second_video,
                SECOND,
                &stop,
            )
        });
        let join = vr::JoinSubscriber::to_streams(1234, vec![vr::SubscribeStream::new(a.clone())]);
        let mut subscriber = Subscriber::join(&session, ip, &join).unwrap();
        let seen = count_frames(&subscriber, |f| f.first_audio >= 25 && f.first_video >= 10);
        assert_eq!((seen.second_audio, seen.second_video), (0, 0), "{seen:?}");

        // One request: all of the second's streams in, the first's video out.
        let mut add = vr::SubscribeStream::new(b.clone());
        add.crossrefid = Some("second".into());
        let mut remove = vr::UnsubscribeStream::new();
        remove.feed = Some(a.clone());
        remove.mid = Some(first_video.clone());
        let mut update = vr::Update::new();
        update.subscribe = Some(vec![add]);
        update.unsubscribe = Some(vec![remove]);
        let updated = subscriber
            .update(&update)
            .unwrap()
            .expect("Janus updates at once (no renegotiation in progress)");
        // Janus's typed `updated` describes the whole subscription now.
        let now: Vec<_> = updated
            .streams
            .as_deref()
            .expect("the streams in the updated event")
            .iter()
            .filter(|s| s.active != Some(false))
            .map(|s| (s.feed_id.clone(), s.feed_mid.clone(), s.kind.clone()))
            .collect();
        let stream = |feed: &vr::Id, mid: &str, kind: &str| {
            (Some(feed.clone()), Some(mid.to_owned()), kind.to_owned())
        };
        assert!(now.contains(&stream(&a, &first_audio, "audio")), "{now:?}");
        assert!(now.contains(&stream(&b, &second_audio, "audio")), "{now:?}");
        assert!(now.contains(&stream(&b, &second_video, "video")), "{now:?}");
        assert!(
            !now.iter()
                .any(|s| s.1.as_deref() == Some(first_video.as_str()) && s.0.as_ref() == Some(&a)),
            "{now:?}"
        );
        assert!(
            subscriber
                .subscription()
                .stream_of(&b, &second_video)
                .is_some()
        );
        assert_eq!(
            subscriber
                .subscription()
                .stream_of(&b, &second_audio)
                .and_then(|s| s.crossrefid.as_deref()),
            Some("second")
        );

        // The second's frames arrive; once they flow, none of the first's video does,
        // and its audio goes on.
        count_frames(&subscriber, |f| {
            f.second_video >= 10 && f.second_audio >= 10
        });
        let after = count_frames(&subscriber, |f| f.second_video >= 25);
        assert_eq!(
            after.first_video, 0,
            "the first's video after the update: {after:?}"
        );
        assert!(after.first_audio >= 25, "{after:?}");
        assert!(after.second_audio >= 25, "{after:?}");
        stop.store(true, Ordering::Relaxed);
    });
}
