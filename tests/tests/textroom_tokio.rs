//! The TextRoom workflows of `janus-tokio` against the real plugin: participants set up
//! their data channel, join room 1234 over it, talk, whisper and leave, each checked by the
//! typed messages the others receive.
#![allow(clippy::unwrap_used, missing_docs)]

use janus_proto::ClientConfig;
use janus_proto::plugin::textroom::{ErrorCode, Incoming, Join, Message};
use janus_tests::Janus;
use janus_tests::rtc::WAIT;
use janus_tokio::Client;
use janus_tokio::plugins::textroom::Participant;
use janus_tokio::rtc::PeerConfig;

const ROOM: u64 = 1234;

/// Reads `p`'s incoming messages until one that `pred` accepts: it, and those before it.
async fn until(
    p: &mut Participant,
    mut pred: impl FnMut(&Incoming) -> bool,
) -> (Incoming, Vec<Incoming>) {
    let mut before = Vec::new();
    loop {
        let i = p.recv(WAIT).await.unwrap();
        if pred(&i) {
            return (i, before);
        }
        before.push(i);
    }
}

fn said(i: &Incoming) -> Option<(&str, &str, bool)> {
    match i {
        Incoming::Message(m) => Some((m.from.as_str(), m.text.as_str(), m.whisper)),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn participants_join_room_1234_see_each_other_talk_whisper_and_leave() {
    let janus = tokio::task::block_in_place(Janus::launch).unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap())
        .await
        .unwrap();
    let session = client.create_session().await.unwrap();
    let ip = janus.media_ip().into();
    let mut alice = Participant::setup(&session, PeerConfig::default(), ip)
        .await
        .unwrap();
    let mut bob = Participant::setup(&session, PeerConfig::default(), ip)
        .await
        .unwrap();
    let mut carol = Participant::setup(&session, PeerConfig::default(), ip)
        .await
        .unwrap();

    let joined = alice
        .join(&Join {
            display: Some("Alice".into()),
            ..Join::new(ROOM, "alice")
        })
        .await
        .unwrap();
    assert!(joined.participants.is_empty(), "{joined:?}");
    let joined = bob.join(&Join::new(ROOM, "bob")).await.unwrap();
    let names: Vec<_> = joined
        .participants
        .iter()
        .map(|p| p.username.as_str())
        .collect();
    assert_eq!(names, ["alice"]);
    assert_eq!(joined.participants[0].display.as_deref(), Some("Alice"));
    let (bob_joined, _) = until(
        &mut alice,
        |i| matches!(i, Incoming::Join(p) if p.username == "bob"),
    )
    .await;
    let Incoming::Join(presence) = bob_joined else {
        unreachable!()
    };
    assert_eq!(presence.room, ROOM.into());
    carol.join(&Join::new(ROOM, "carol")).await.unwrap();

    // A message to the room reaches the others, typed.
    bob.message(&Message::new(ROOM, "hello room"))
        .await
        .unwrap();
    let (heard, _) = until(&mut alice, |i| said(i).is_some()).await;
    assert_eq!(said(&heard), Some(("bob", "hello room", false)));
    let (heard, _) = until(&mut carol, |i| said(i).is_some()).await;
    assert_eq!(said(&heard), Some(("bob", "hello room", false)));

    // A whisper reaches its addressee only: carol hears alice's next public message and
    // nothing before it.
    let sent = alice
        .message(&Message {
            to: Some("bob".into()),
            ..Message::new(ROOM, "psst bob")
        })
        .await
        .unwrap();
    if let Some(sent) = sent.sent {
        assert_eq!(sent.get("bob"), Some(&true), "{sent:?}");
    }
    let (whisper, _) = until(&mut bob, |i| said(i).is_some_and(|(f, ..)| f == "alice")).await;
    assert_eq!(said(&whisper), Some(("alice", "psst bob", true)));
    alice
        .message(&Message::new(ROOM, "everybody"))
        .await
        .unwrap();
    let (public, before) = until(&mut carol, |i| said(i).is_some_and(|(f, ..)| f == "alice")).await;
    assert_eq!(said(&public), Some(("alice", "everybody", false)));
    assert!(
        before.iter().all(|i| said(i).is_none()),
        "carol heard {before:?}"
    );

    // leave: the others hear it, typed.
    bob.leave(ROOM).await.unwrap();
    let (left, _) = until(&mut alice, |i| matches!(i, Incoming::Leave(_))).await;
    let Incoming::Leave(presence) = left else {
        unreachable!()
    };
    assert_eq!(
        (presence.username.as_str(), presence.room.clone()),
        ("bob", ROOM.into())
    );

    // Joining a room that does not exist: a typed plugin error.
    let e = bob.join(&Join::new(4321, "bob")).await.unwrap_err();
    assert_eq!(
        e.plugin_code().map(ErrorCode::from_code),
        Some(ErrorCode::NoSuchRoom),
        "{e:?}"
    );
}
