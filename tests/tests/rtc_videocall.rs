//! Two handles call each other through the VideoCall plugin, on the handle API: the answer
//! Janus relays is a peer's SDP (with the repeated `a=mid` str0m needs normalised) and comes
//! in the caller's `accepted` event, where the handle applies it; DTMF, which the EchoTest
//! can never carry (it never negotiates telephone-event), goes end to end; the callee
//! answers with tracks of its own choosing, and data flows both ways.
#![allow(clippy::unwrap_used, missing_docs)]

use std::net::IpAddr;
use std::time::{Duration, Instant};

use janus_blocking::rtc::{Event as RtcEvent, HandleEvent, PeerConfig, Track, TrackKind};
use janus_blocking::{Client, Connection, Handle, Session};
use janus_proto::{ClientConfig, Jsep};
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

/// A VideoCall handle with its connection, registered as `name`.
fn videocall_user(session: &Session, name: &str, config: PeerConfig, ip: IpAddr) -> Handle {
    let mut handle = session.attach(VIDEOCALL).unwrap();
    handle.add_peer(config, ip).unwrap();
    let reply = handle
        .message(json!({"request": "register", "username": name}), None)
        .unwrap();
    assert_eq!(
        reply.data.data["result"]["event"], "registered",
        "{reply:?}"
    );
    handle
}

/// Alice calls bob with `offered`; bob answers with `answered`. Returns Janus's answer to
/// alice when both connections are up.
fn call(alice: &Handle, bob: &Handle, offered: &[Track], answered: &[Track]) -> Jsep {
    alice
        .offer(json!({"request": "call", "username": "bob"}), offered)
        .unwrap();
    let (_, offer) = videocall_event(bob, "incomingcall");
    bob.answer(json!({"request": "accept"}), &offer.unwrap(), answered)
        .unwrap();
    // Alice's answer comes in the `accepted` event: the handle applies it on arrival.
    let (_, answer) = videocall_event(alice, "accepted");
    for h in [alice, bob] {
        h.events().wait_for(WAIT, pick::connected).unwrap();
    }
    answer.unwrap()
}

fn audio_mid(peer: &Connection) -> String {
    peer.call(|pc, _| pc.local_tracks())
        .unwrap()
        .into_iter()
        .find(|t| t.kind == TrackKind::Audio)
        .unwrap()
        .mid
}

#[test]
fn a_call_through_videocall_carries_audio_and_dtmf_between_two_handles() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    // G.711 so that telephone-event/8000 shares the audio clock.
    let config = PeerConfig {
        opus: false,
        ..PeerConfig::default()
    };
    let ip = janus.media_ip().into();
    let alice = videocall_user(&session, "alice", config.clone(), ip);
    let bob = videocall_user(&session, "bob", config, ip);
    let answer = call(&alice, &bob, &[Track::audio()], &[]);
    // What Janus relays repeats the m-section's `a=mid` (str0m alone would refuse it).
    assert_ne!(
        janus_blocking::rtc::normalize_sdp(&answer.sdp),
        answer.sdp,
        "a relayed answer with a repeated a=mid"
    );
    let (pa, pb) = (alice.peer().unwrap(), bob.peer().unwrap());
    let (ma, mb) = (audio_mid(pa), audio_mid(pb));
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
    let n = bob
        .events()
        .wait_for(WAIT, |e| match e {
            HandleEvent::Rtc(RtcEvent::Media(f)) if f.mid == mb => frame_number(&f.data),
            _ => None,
        })
        .unwrap();
    assert!(n < 20);
    // The callee's own track, added in its answer, reaches the caller.
    for n in 100..120u32 {
        pb.write_frame(&mb, u64::from(n) * 160, &opus_frame(n, 160))
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let n = alice
        .events()
        .wait_for(WAIT, |e| match e {
            HandleEvent::Rtc(RtcEvent::Media(f)) if f.mid == ma => frame_number(&f.data),
            _ => None,
        })
        .unwrap();
    assert!((100..120).contains(&n), "{n}");

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
        let d = bob
            .events()
            .wait_for(WAIT, |e| match e {
                HandleEvent::Rtc(RtcEvent::Dtmf { digit, .. }) => Some(digit),
                _ => None,
            })
            .unwrap();
        digits.push(d);
    }
    assert_eq!(digits, "123#");

    // Janus's hangup closes both connections, with no application code.
    alice.message(json!({"request": "hangup"}), None).unwrap();
    for h in [&alice, &bob] {
        h.events().wait_for(WAIT, pick::closed).unwrap();
    }
}

/// Sends `text` on the `chat` channel until the other side's handle receives it. The
/// VideoCall relays data only once Janus's SCTP stack said the receiver's association has
/// drained (`dataready`), which comes a little after the channel opened: messages before
/// that are dropped by Janus, as a browser would find too.
fn relayed(from: &Connection, to: &Handle, text: &str) {
    let until = Instant::now() + WAIT;
    loop {
        from.send_data("chat", false, text.as_bytes()).unwrap();
        match to.events().wait_for(Duration::from_millis(200), pick::data) {
            Ok(m) => {
                assert_eq!(
                    (m.label.as_str(), m.data.as_slice()),
                    ("chat", text.as_bytes())
                );
                return;
            }
            Err(e) if e.is_timeout() && Instant::now() < until => continue,
            Err(e) => panic!("{text:?} never relayed: {e}"),
        }
    }
}

#[test]
fn the_videocall_callee_answers_with_its_own_tracks_and_data_flows_both_ways() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let ip = janus.media_ip().into();
    let alice = videocall_user(&session, "alice", PeerConfig::default(), ip);
    let bob = videocall_user(&session, "bob", PeerConfig::default(), ip);
    // Alice offers audio, video and data; bob receives her audio only, declines video,
    // sends nothing, and accepts the data channel.
    let offered = [Track::audio(), Track::video(), Track::data("chat")];
    let answered = [
        Track::audio().recv_only(),
        Track::video().declined(),
        Track::data("chat"),
    ];
    call(&alice, &bob, &offered, &answered);
    let (pa, pb) = (alice.peer().unwrap(), bob.peer().unwrap());
    assert!(pb.local_tracks().unwrap().is_empty());
    let remote = pb.remote_tracks().unwrap();
    assert_eq!(remote.len(), 1, "{remote:?}");
    assert_eq!(remote[0].kind, TrackKind::Audio);
    // Alice sees what bob's answer left of her offer: she sends audio only.
    let alice_sends = pa.local_tracks().unwrap();
    assert_eq!(alice_sends.len(), 1, "{alice_sends:?}");
    bob.events().wait_for(WAIT, pick::data_open).unwrap();
    alice.events().wait_for(WAIT, pick::data_open).unwrap();
    relayed(pa, &bob, "hello bob");
    relayed(pb, &alice, "hello alice");
}
