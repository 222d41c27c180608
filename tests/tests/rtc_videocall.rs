//! Two peers call each other through the VideoCall plugin: the answer Janus relays is a
//! peer's SDP (with the repeated `a=mid` str0m needs normalised), and DTMF, which the
//! EchoTest can never carry (it never negotiates telephone-event), goes end to end.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use janus_blocking::rtc::{Event as RtcEvent, PeerConfig, Track, TrackKind};
use janus_blocking::{Client, Handle, Peer};
use janus_proto::{ClientConfig, Event, Jsep};
use janus_tests::Janus;
use janus_tests::media::{frame_number, opus_frame};
use janus_tests::rtc::{VIDEOCALL, WAIT, pick};
use serde_json::{Value, json};

/// The next VideoCall event named `name` on `handle`, with its JSEP.
fn videocall_event(handle: &Handle, name: &str) -> (Value, Option<Jsep>) {
    handle
        .events()
        .wait_for(WAIT, pick::videocall_event(name))
        .unwrap_or_else(|e| panic!("no {name} event: {e}"))
}

fn register(handle: &Handle, name: &str) {
    let reply = handle
        .message(json!({"request": "register", "username": name}), None)
        .unwrap();
    assert_eq!(
        reply.data.data["result"]["event"], "registered",
        "{reply:?}"
    );
}

#[test]
fn a_call_through_videocall_carries_audio_and_dtmf_between_two_peers() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let (alice, bob) = (
        session.attach(VIDEOCALL).unwrap(),
        session.attach(VIDEOCALL).unwrap(),
    );
    register(&alice, "alice");
    register(&bob, "bob");
    // G.711 so that telephone-event/8000 shares the audio clock.
    let config = PeerConfig {
        opus: false,
        ..PeerConfig::default()
    };
    let ip = janus.media_ip().into();
    let (pa, pb) = (
        Peer::bind(config.clone(), ip, 4096).unwrap(),
        Peer::bind(config, ip, 4096).unwrap(),
    );

    let offer = pa.create_offer(&[Track::audio()], false).unwrap();
    alice
        .message(json!({"request": "call", "username": "bob"}), Some(offer))
        .unwrap();
    pa.trickle(&alice).unwrap();
    let (_, offer) = videocall_event(&bob, "incomingcall");
    let answer = pb.create_answer(&offer.unwrap()).unwrap();
    bob.message(json!({"request": "accept"}), Some(answer))
        .unwrap();
    pb.trickle(&bob).unwrap();
    let (_, answer) = videocall_event(&alice, "accepted");
    let answer = answer.unwrap();
    // What Janus relays repeats the m-section's `a=mid` (str0m alone would refuse it).
    assert_ne!(
        janus_blocking::rtc::normalize_sdp(&answer.sdp),
        answer.sdp,
        "a relayed answer with a repeated a=mid"
    );
    pa.handle_remote_jsep(&answer).unwrap();
    for p in [&pa, &pb] {
        p.wait_for(WAIT, pick::connected).unwrap();
    }
    let mid = |p: &Peer| {
        p.call(|pc, _| pc.local_tracks())
            .unwrap()
            .into_iter()
            .find(|t| t.kind == TrackKind::Audio)
            .unwrap()
            .mid
    };
    let (ma, mb) = (mid(&pa), mid(&pb));
    let codec = pa.call({
        let ma = ma.clone();
        move |pc, _| pc.send_codec(&ma)
    });
    assert_eq!(codec.unwrap().unwrap().1, 8000, "G.711 negotiated");

    // Audio from alice reaches bob.
    for n in 0..20u32 {
        pa.write_frame(&ma, u64::from(n) * 160, &opus_frame(n, 160))
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let n = pb
        .wait_for(WAIT, |e| match e {
            RtcEvent::Media(f) if f.mid == mb => frame_number(&f.data),
            _ => None,
        })
        .unwrap();
    assert!(n < 20);

    // DTMF from alice arrives at bob as the same digits, in order.
    pa.insert_dtmf(
        &ma,
        "123#",
        Duration::from_millis(100),
        Duration::from_millis(60),
    )
    .unwrap();
    let mut digits = String::new();
    while digits.len() < 4 {
        let d = pb
            .wait_for(WAIT, |e| match e {
                RtcEvent::Dtmf { digit, .. } => Some(digit),
                _ => None,
            })
            .unwrap();
        digits.push(d);
    }
    assert_eq!(digits, "123#");

    alice.message(json!({"request": "hangup"}), None).unwrap();
    for h in [&alice, &bob] {
        h.events()
            .wait_for(WAIT, |ev| matches!(ev, Event::Hangup { .. }).then_some(()))
            .unwrap();
    }
}
