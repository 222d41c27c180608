//! The TextRoom workflows of `janus-blocking` against the real plugin: participants set up
//! their data channel, join room 1234 over it, talk, whisper and leave, each checked by the
//! typed messages the others receive; room management over the Janus API (`create`, `list`,
//! `exists`, `allowed`, `announcement`, `kick`, `destroy`, each answer typed, and what the
//! participants hear of it) and an `announcement` over the data channel.
#![allow(clippy::unwrap_used, missing_docs)]

use janus_blocking::plugins::textroom::Participant;
use janus_blocking::rtc::PeerConfig;
use janus_blocking::{Client, Handle};
use janus_proto::ClientConfig;
use janus_proto::plugin::textroom::{
    Allowed, AllowedAction, Announcement, Create, Destroy, Edit, ErrorCode, Exists, Incoming, Join,
    Kick, List, ListParticipants, Message, PLUGIN,
};
use janus_proto::plugin::{SyncRequest, reply_as};
use janus_tests::Janus;
use janus_tests::rtc::WAIT;

const ROOM: u64 = 1234;

/// Reads `p`'s incoming messages until one that `pred` accepts: it, and those before it.
fn until(
    p: &mut Participant,
    mut pred: impl FnMut(&Incoming) -> bool,
) -> (Incoming, Vec<Incoming>) {
    let mut before = Vec::new();
    loop {
        let i = p.recv(WAIT).unwrap();
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

#[test]
fn participants_join_room_1234_see_each_other_talk_whisper_and_leave() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let ip = janus.media_ip().into();
    let mut alice = Participant::setup(&session, PeerConfig::default(), ip).unwrap();
    let mut bob = Participant::setup(&session, PeerConfig::default(), ip).unwrap();
    let mut carol = Participant::setup(&session, PeerConfig::default(), ip).unwrap();

    let joined = alice
        .join(&Join {
            display: Some("Alice".into()),
            ..Join::new(ROOM, "alice")
        })
        .unwrap();
    assert!(joined.participants.is_empty(), "{joined:?}");
    let joined = bob.join(&Join::new(ROOM, "bob")).unwrap();
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
    );
    let Incoming::Join(presence) = bob_joined else {
        unreachable!()
    };
    assert_eq!(presence.room, ROOM.into());
    carol.join(&Join::new(ROOM, "carol")).unwrap();

    // A message to the room reaches the others, typed.
    bob.message(&Message::new(ROOM, "hello room")).unwrap();
    let (heard, _) = until(&mut alice, |i| said(i).is_some());
    assert_eq!(said(&heard), Some(("bob", "hello room", false)));
    let (heard, _) = until(&mut carol, |i| said(i).is_some());
    assert_eq!(said(&heard), Some(("bob", "hello room", false)));

    // A whisper reaches its addressee only: carol hears alice's next public message and
    // nothing before it.
    let sent = alice
        .message(&Message {
            to: Some("bob".into()),
            ..Message::new(ROOM, "psst bob")
        })
        .unwrap();
    if let Some(sent) = sent.sent {
        assert_eq!(sent.get("bob"), Some(&true), "{sent:?}");
    }
    let (whisper, _) = until(&mut bob, |i| said(i).is_some_and(|(f, ..)| f == "alice"));
    assert_eq!(said(&whisper), Some(("alice", "psst bob", true)));
    alice.message(&Message::new(ROOM, "everybody")).unwrap();
    let (public, before) = until(&mut carol, |i| said(i).is_some_and(|(f, ..)| f == "alice"));
    assert_eq!(said(&public), Some(("alice", "everybody", false)));
    assert!(
        before.iter().all(|i| said(i).is_none()),
        "carol heard {before:?}"
    );

    // leave: the others hear it, typed.
    bob.leave(ROOM).unwrap();
    let (left, _) = until(&mut alice, |i| matches!(i, Incoming::Leave(_)));
    let Incoming::Leave(presence) = left else {
        unreachable!()
    };
    assert_eq!(
        (presence.username.as_str(), presence.room.clone()),
        ("bob", ROOM.into())
    );

    // Joining a room that does not exist: a typed plugin error.
    let e = bob.join(&Join::new(4321, "bob")).unwrap_err();
    assert_eq!(
        e.plugin_code().map(ErrorCode::from_code),
        Some(ErrorCode::NoSuchRoom),
        "{e:?}"
    );
}

/// A TextRoom request over the Janus API (a synchronous `message` on any TextRoom handle),
/// its answer decoded as the request's `Reply`.
fn api<R: SyncRequest>(handle: &Handle, request: &R) -> Result<R::Reply, janus_blocking::Error> {
    let reply = handle.send(request, None)?;
    Ok(reply_as(&reply.data)?)
}

const SECRET: &str = "room-secret";

#[test]
fn room_management_over_the_janus_api_create_list_exists_edit_allowed_announcement_kick_destroy() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let admin = session.attach(PLUGIN).unwrap();
    let room = 4242u64;

    // create (with a secret and a token list), list, exists: typed answers.
    let created = api(
        &admin,
        &Create {
            room: Some(room.into()),
            description: Some("managed".into()),
            secret: Some(SECRET.into()),
            allowed: Some(vec!["tok-a".into()]),
            ..Create::default()
        },
    )
    .unwrap();
    assert_eq!(created.room, room.into());
    assert!(!created.permanent);
    let list = api(&admin, &List::default()).unwrap();
    let ours = list.list.iter().find(|r| r.room == room.into());
    let ours = ours.unwrap_or_else(|| panic!("{room} not in {list:?}"));
    assert_eq!(ours.description.as_deref(), Some("managed"));
    assert_eq!(ours.num_participants, 0);
    assert!(api(&admin, &Exists::new(room)).unwrap().exists);
    assert!(!api(&admin, &Exists::new(4343)).unwrap().exists);

    // edit: the new description is what list says next.
    let edited = api(
        &admin,
        &Edit {
            secret: Some(SECRET.into()),
            new_description: Some("renamed".into()),
            ..Edit::new(room)
        },
    )
    .unwrap();
    assert_eq!(edited.room, room.into());
    let list = api(&admin, &List::default()).unwrap();
    let ours = list.list.iter().find(|r| r.room == room.into()).unwrap();
    assert_eq!(ours.description.as_deref(), Some("renamed"));

    // allowed: add a token; the answer is the whole list.
    let allowed = api(
        &admin,
        &Allowed {
            allowed: Some(vec!["tok-b".into()]),
            secret: Some(SECRET.into()),
            ..Allowed::new(room, AllowedAction::Add)
        },
    )
    .unwrap();
    assert_eq!(allowed.room, room.into());
    let mut tokens = allowed.allowed.unwrap_or_default();
    tokens.sort();
    assert_eq!(tokens, ["tok-a", "tok-b"]);
    // With a wrong secret: a typed error (without one, `MissingElement`).
    let wrong = Allowed {
        secret: Some("wrong".into()),
        ..Allowed::new(room, AllowedAction::Add)
    };
    let e = api(&admin, &wrong).unwrap_err();
    assert_eq!(
        e.plugin_code().map(ErrorCode::from_code),
        Some(ErrorCode::Unauthorized),
        "{e:?}"
    );

    // The token list is checked on join.
    let ip = janus.media_ip().into();
    let mut alice = Participant::setup(&session, PeerConfig::default(), ip).unwrap();
    let mut bob = Participant::setup(&session, PeerConfig::default(), ip).unwrap();
    let e = alice.join(&Join::new(room, "alice")).unwrap_err();
    assert_eq!(
        e.plugin_code().map(ErrorCode::from_code),
        Some(ErrorCode::Unauthorized),
        "{e:?}"
    );
    let with = |user: &str, token: &str| Join {
        token: Some(token.into()),
        ..Join::new(room, user)
    };
    alice.join(&with("alice", "tok-a")).unwrap();
    bob.join(&with("bob", "tok-b")).unwrap();
    until(
        &mut alice,
        |i| matches!(i, Incoming::Join(p) if p.username == "bob"),
    );

    // announcement: every participant gets it, typed.
    api(
        &admin,
        &Announcement {
            secret: Some(SECRET.into()),
            ..Announcement::new(room, "from the api")
        },
    )
    .unwrap();
    for p in [&mut alice, &mut bob] {
        let (heard, _) = until(p, |i| matches!(i, Incoming::Announcement(_)));
        let Incoming::Announcement(a) = heard else {
            unreachable!()
        };
        assert_eq!((a.room, a.text.as_str()), (room.into(), "from the api"));
        assert!(!a.date.is_empty());
    }

    // kick: the kicked participant (and the others) get the typed kicked message, and
    // bob is no longer listed.
    api(
        &admin,
        &Kick {
            secret: Some(SECRET.into()),
            ..Kick::new(room, "bob")
        },
    )
    .unwrap();
    for p in [&mut bob, &mut alice] {
        let (kicked, _) = until(p, |i| matches!(i, Incoming::Kicked(_)));
        let Incoming::Kicked(presence) = kicked else {
            unreachable!()
        };
        assert_eq!(
            (presence.room, presence.username.as_str()),
            (room.into(), "bob")
        );
    }
    let listed = api(&admin, &ListParticipants::new(room)).unwrap();
    let names: Vec<_> = listed
        .participants
        .iter()
        .map(|p| p.username.as_str())
        .collect();
    assert_eq!(names, ["alice"]);

    // destroy: the participants left get the typed destroyed message; the room is gone.
    let destroyed = api(
        &admin,
        &Destroy {
            secret: Some(SECRET.into()),
            ..Destroy::new(room)
        },
    )
    .unwrap();
    assert_eq!(destroyed.room, room.into());
    let (gone, _) = until(&mut alice, |i| matches!(i, Incoming::Destroyed { .. }));
    assert!(
        matches!(&gone, Incoming::Destroyed { room: r, .. } if *r == room.into()),
        "{gone:?}"
    );
    assert!(!api(&admin, &Exists::new(room)).unwrap().exists);
}

#[test]
fn a_participant_with_the_room_secret_announces_over_the_data_channel() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let ip = janus.media_ip().into();
    let mut alice = Participant::setup(&session, PeerConfig::default(), ip).unwrap();
    let mut bob = Participant::setup(&session, PeerConfig::default(), ip).unwrap();
    let room = 4244u64;
    // create over the data channel too: answered `success` with the room.
    let created = alice
        .request(&Create {
            room: Some(room.into()),
            secret: Some(SECRET.into()),
            ..Create::default()
        })
        .unwrap();
    assert_eq!(created.room, room.into());
    alice.join(&Join::new(room, "alice")).unwrap();
    bob.join(&Join::new(room, "bob")).unwrap();

    // Without the secret the plugin refuses, typed: a missing element, a wrong one
    // unauthorized.
    let e = alice
        .request(&Announcement::new(room, "no secret"))
        .unwrap_err();
    assert_eq!(
        e.plugin_code().map(ErrorCode::from_code),
        Some(ErrorCode::MissingElement),
        "{e:?}"
    );
    let e = alice
        .request(&Announcement {
            secret: Some("wrong".into()),
            ..Announcement::new(room, "wrong secret")
        })
        .unwrap_err();
    assert_eq!(
        e.plugin_code().map(ErrorCode::from_code),
        Some(ErrorCode::Unauthorized),
        "{e:?}"
    );
    // With it, everybody in the room gets the announcement, the sender too.
    alice
        .request(&Announcement {
            secret: Some(SECRET.into()),
            ..Announcement::new(room, "over the channel")
        })
        .unwrap();
    for p in [&mut bob, &mut alice] {
        let (heard, before) = until(p, |i| matches!(i, Incoming::Announcement(_)));
        let Incoming::Announcement(a) = heard else {
            unreachable!()
        };
        assert_eq!((a.room, a.text.as_str()), (room.into(), "over the channel"));
        assert!(
            before
                .iter()
                .all(|i| !matches!(i, Incoming::Announcement(_))),
            "{before:?}"
        );
    }
}
