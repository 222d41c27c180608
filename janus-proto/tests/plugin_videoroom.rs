//! The typed VideoRoom API against fixtures: every file of
//! `tests/fixtures/plugins/videoroom/<janus version>/` was recorded from a real Janus
//! (`record_videoroom_fixtures` in janus-tests); `handwritten/` holds the few events that need
//! live media or a configuration the recorder does not run (`*.handwritten.json`). Each must
//! decode into the event its name says, with the fields it carries.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};

use janus_proto::PluginData;
use janus_proto::plugin::id::Id;
use janus_proto::plugin::videoroom::{self, ErrorCode, Event};
use janus_proto::plugin::{DecodeError, PluginEvent, PluginRequest};
use serde_json::{Value, json};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// (folder, scenario name, the whole message) of every fixture.
fn fixtures() -> Vec<(String, String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plugins/videoroom");
    let mut paths = Vec::new();
    files(&root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let folder = p.parent().unwrap().file_name().unwrap();
            let name = p.file_name().unwrap().to_string_lossy();
            let name = name
                .trim_end_matches(".json")
                .trim_end_matches(".handwritten");
            let text = std::fs::read_to_string(&p).unwrap();
            (
                folder.to_string_lossy().into_owned(),
                name.to_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect()
}

fn decode(message: &Value) -> Result<Event, DecodeError> {
    let data: PluginData = serde_json::from_value(message["plugindata"].clone()).unwrap();
    Event::decode(&data)
}

/// The plugin error a fixture must decode to, by its name.
fn expected_error(name: &str) -> Option<ErrorCode> {
    Some(match name {
        "create-room-exists" => ErrorCode::RoomExists,
        "edit-unauthorized" => ErrorCode::Unauthorized,
        "join-already-joined" => ErrorCode::AlreadyJoined,
        "unpublish-not-published" => ErrorCode::NotPublished,
        "stop-rtp-forward-unknown" => ErrorCode::NoSuchFeed,
        "moderate-no-such-mid" => ErrorCode::NoSuchFeed,
        "join-subscriber-not-publishing" => ErrorCode::NoSuchFeed,
        "start-join-first" => ErrorCode::JoinFirst,
        "join-no-such-room" | "destroy-no-such-room" => ErrorCode::NoSuchRoom,
        "unknown-request" => ErrorCode::InvalidRequest,
        "missing-request" => ErrorCode::MissingElement,
        "update-nothing" | "remote-update-nothing" => ErrorCode::MissingElement,
        _ => return None,
    })
}

#[test]
fn every_fixture_decodes_as_what_its_name_says() {
    let all = fixtures();
    assert!(all.len() >= 60, "fixtures missing: {}", all.len());
    for (folder, name, message) in &all {
        let at = format!("{folder}/{name}");
        let decoded = decode(message);
        if let Some(code) = expected_error(name) {
            let e = decoded.expect_err(&at);
            assert_eq!(ErrorCode::of(&e), Some(code), "{at}: {e}");
            continue;
        }
        let event = decoded.unwrap_or_else(|e| panic!("{at}: {e}"));
        check(&at, name, &event, message);
    }
}

#[allow(clippy::too_many_lines)]
fn check(at: &str, name: &str, event: &Event, message: &Value) {
    let data = &message["plugindata"]["data"];
    match (name, event) {
        ("list" | "list-with-room", Event::RoomList(l)) => {
            let demo = l.list.iter().find(|r| r.room == Id::Num(1234)).expect(at);
            assert_eq!(demo.description.as_deref(), Some("Demo Room"), "{at}");
            assert_eq!(demo.max_publishers, Some(6), "{at}");
            assert_eq!(demo.bitrate, Some(128_000), "{at}");
            if name == "list-with-room" {
                let ours = l.list.iter().find(|r| r.room == Id::Num(4321)).expect(at);
                assert_eq!(ours.description.as_deref(), Some("Edited"), "{at}");
                assert_eq!(ours.notify_joining, Some(true), "{at}");
            }
        }
        ("create" | "create-dummy-publisher", Event::Created(c)) => {
            assert!(matches!(c.room, Id::Num(4321 | 6666)), "{at}");
            assert_eq!(c.permanent, Some(false), "{at}");
        }
        ("exists", Event::Exists(e)) => assert!(e.exists && e.room == Id::Num(4321), "{at}"),
        ("exists-not", Event::Exists(e)) => assert!(!e.exists, "{at}"),
        ("edit", Event::Edited(e)) => assert_eq!(e.room, Id::Num(4321), "{at}"),
        ("allowed-add", Event::Allowed(a)) => {
            let mut tokens = a.allowed.clone();
            tokens.sort();
            assert_eq!(tokens, ["token-a", "token-b"], "{at}");
        }
        ("allowed-remove", Event::Allowed(a)) => assert_eq!(a.allowed, ["token-a"], "{at}"),
        ("join-publisher", Event::Joined(j)) => {
            assert_eq!(j.room, Id::Num(4321), "{at}");
            assert!(j.id.as_u64().is_some() && j.private_id.is_some(), "{at}");
            assert!(j.publishers.is_empty(), "{at}");
        }
        ("join-publisher-attendees", Event::Joined(j)) => {
            assert_eq!(j.attendees.len(), 1, "{at}");
            assert_eq!(j.attendees[0].display.as_deref(), Some("alice"), "{at}");
        }
        ("event-joining", Event::Joining { room, joining }) => {
            assert_eq!(*room, Id::Num(4321), "{at}");
            assert_eq!(joining.display.as_deref(), Some("bob"), "{at}");
        }
        ("listparticipants", Event::Participants(p)) => {
            assert_eq!(p.participants.len(), 2, "{at}");
            assert!(
                p.participants.iter().all(|p| p.publisher == Some(false)),
                "{at}"
            );
            let alice = p
                .participants
                .iter()
                .find(|p| p.display.as_deref() == Some("alice"));
            assert!(alice.is_some(), "{at}");
        }
        ("listparticipants-dummy", Event::Participants(p)) => {
            assert_eq!(p.participants[0].dummy, Some(true), "{at}");
        }
        ("listparticipants-remote", Event::Participants(p)) => {
            let remote = p
                .participants
                .iter()
                .find(|p| p.remote == Some(true))
                .expect(at);
            // Participants' metadata is new since Janus 1.1: 1.1.2 leaves it out.
            let metadata = at.starts_with("1.4").then(|| json!({"from": "janus-b"}));
            assert_eq!(remote.metadata, metadata, "{at}");
        }
        (
            "configure-publisher"
            | "configure-subscriber"
            | "remote-configure-subscriber"
            | "configured-with-answer"
            | "publish-without-offer",
            Event::Configured { room },
        ) => {
            assert!(room.is_some(), "{at}");
        }
        ("event-display-changed", Event::ParticipantUpdated { display, .. }) => {
            assert_eq!(display.as_deref(), Some("alice-renamed"), "{at}");
        }
        ("listforwarders", Event::Forwarders(f)) => {
            assert!(f.publishers.is_empty() && f.room == Id::Num(4321), "{at}");
        }
        ("rtp-forward-not-publishing", Event::RtpForward(r)) => {
            assert!(r.forwarders.is_empty(), "{at}");
            assert_eq!(
                r.publisher_id.as_u64(),
                data["publisher_id"].as_u64(),
                "{at}"
            );
        }
        ("enable-recording", Event::Recording { record }) => assert!(!record, "{at}"),
        ("kick" | "update-remote-publisher" | "remove-remote-publisher", Event::Success(s)) => {
            assert!(s.room.is_none() && s.extra.is_empty(), "{at}");
        }
        ("unpublish-remotely", Event::Success(s)) => {
            assert!(s.room.is_some() && s.id.is_some(), "{at}");
        }
        ("event-kicked-self", Event::LeftRoom { reason, .. }) => {
            assert_eq!(reason.as_deref(), Some("kicked"), "{at}");
        }
        ("event-kicked", Event::ParticipantKicked(p)) => {
            assert!(p.id.as_u64().is_some(), "{at}");
        }
        ("leave-publisher", Event::LeftRoom { reason, room }) => {
            assert!(reason.is_none() && room.is_some(), "{at}");
        }
        ("destroy" | "event-destroyed", Event::Destroyed(d)) => {
            assert_eq!(d.room, Id::Num(4321), "{at}");
            assert_eq!(d.permanent.is_some(), name == "destroy", "{at}");
        }
        ("join-subscriber" | "remote-join-subscriber", Event::Attached(a)) => {
            assert!(
                message["jsep"]["type"] == "offer",
                "{at}: an offer comes with it"
            );
            assert_eq!(a.streams.len(), 1, "{at}");
            let s = &a.streams[0];
            assert_eq!((s.kind.as_str(), s.mid.as_str()), ("audio", "0"), "{at}");
            assert_eq!(s.crossrefid.as_deref(), Some("first-audio"), "{at}");
            assert!(
                s.feed_id.is_some() && s.codec.as_deref() == Some("opus"),
                "{at}"
            );
        }
        ("pause" | "remote-pause", Event::Paused { .. })
        | ("start-without-answer" | "remote-start-without-answer", Event::Started { .. })
        | ("leave-subscriber" | "remote-leave-subscriber", Event::Left { .. })
        | ("unpublished-self", Event::Unpublished { .. }) => {}
        (
            "subscribe" | "unsubscribe" | "update" | "remote-subscribe" | "remote-unsubscribe"
            | "remote-update",
            Event::Updating { room },
        ) => assert!(room.as_u64().is_some(), "{at}"),
        ("switch" | "remote-switch", Event::Switched(s)) => {
            assert_eq!(s.changes, Some(0), "{at}: the stream was already there");
            assert!(!s.streams.is_empty(), "{at}");
        }
        ("add-remote-publisher", Event::RemotePublisherAdded(r)) => {
            assert_eq!(r.ip, "127.0.0.1", "{at}");
            assert!(r.port > 0 && r.rtcp_port.is_some(), "{at}");
        }
        ("event-publishers" | "event-publishers-updated", Event::Publishers { publishers, .. }) => {
            let p = &publishers[0];
            assert_eq!(p.display.as_deref(), Some("remote"), "{at}");
            assert_eq!(p.streams.len(), 2, "{at}");
            assert_eq!(p.streams[0].fec, Some(true), "{at}");
            assert_eq!(p.extra["audio_codec"], "opus", "{at}: deprecated keys kept");
        }
        ("listremotes", Event::Remotes(r)) => assert!(r.list.is_empty(), "{at}"),
        ("listremotes-one", Event::Remotes(r)) => {
            assert_eq!(r.list[0].remote_id, "to-b", "{at}");
            assert_eq!(r.list[0].port, Some(5992), "{at}");
        }
        ("publish-remotely", Event::PublishedRemotely(p)) => {
            assert_eq!(p.remote_id, "to-b", "{at}");
        }
        ("event-leaving", Event::ParticipantLeft(p)) => {
            // Janus 1.1 says only who left; later versions add the display name.
            let display = at.starts_with("1.4").then_some("remote");
            assert_eq!(p.display.as_deref(), display, "{at}");
        }
        ("updated", Event::Updated(u)) => {
            let streams = u.streams.as_ref().expect(at);
            assert_eq!(streams.len(), 2, "{at}");
            assert_eq!(
                streams[1].simulcast.as_ref().unwrap()["substream-target"],
                2
            );
        }
        ("talking", Event::Talking(t)) | ("stopped-talking", Event::StoppedTalking(t)) => {
            assert_eq!(t.id, Id::Num(42), "{at}");
            assert!(t.audio_level.is_some(), "{at}");
        }
        ("slow-link", Event::SlowLink { current_bitrate }) => {
            assert_eq!(*current_bitrate, Some(128_000), "{at}");
        }
        ("event-moderation", Event::Moderation { muted, mid, .. }) => {
            assert!(*muted && mid == "0", "{at}");
        }
        ("event-substream", Event::LayerChanged { substream, .. }) => {
            assert_eq!(*substream, Some(2), "{at}");
        }
        ("event-unpublished", Event::PublisherUnpublished(p)) => {
            assert_eq!(p.id, Id::Num(42), "{at}");
        }
        ("string-ids-joined", Event::Joined(j)) => {
            assert_eq!(
                (j.room.clone(), j.id.clone()),
                ("lobby".into(), "alice".into())
            );
            assert_eq!(j.publishers[0].id, Id::from("bob"), "{at}");
            assert!(
                j.extra.contains_key("a_future_key"),
                "{at}: newer keys kept"
            );
            assert!(
                j.publishers[0].streams[0]
                    .extra
                    .contains_key("some_future_key")
            );
        }
        ("future-kind", Event::Other(v)) => assert_eq!(v["videoroom"], "something-new"),
        _ => panic!("{at}: unexpected {event:?}"),
    }
}

#[test]
fn the_recorded_scenarios_are_all_there() {
    let all = fixtures();
    let has = |folder: &str, name: &str| all.iter().any(|(f, n, _)| f == folder && n == name);
    for name in [
        "list",
        "create",
        "exists",
        "edit",
        "allowed-add",
        "join-publisher",
        "event-joining",
        "listparticipants",
        "configure-publisher",
        "event-display-changed",
        "listforwarders",
        "rtp-forward-not-publishing",
        "enable-recording",
        "kick",
        "event-kicked",
        "destroy",
        "event-destroyed",
        "join-subscriber",
        "pause",
        "switch",
        "subscribe",
    ] {
        assert!(
            has("1.1.2", name),
            "1.1.2/{name} missing: run record_videoroom_fixtures"
        );
    }
    for name in [
        "add-remote-publisher",
        "event-publishers",
        "remote-join-subscriber",
    ] {
        assert!(has("1.4.1", name), "1.4.1/{name} missing");
    }
}

#[test]
fn requests_encode_as_the_plugin_reads_them() {
    let body = |r: &dyn erased::Body| r.body();
    assert_eq!(
        body(&videoroom::Create {
            room: Some(4321.into()),
            description: Some("Fixtures".into()),
            publishers: Some(4),
            notify_joining: Some(true),
            ..Default::default()
        }),
        json!({"request": "create", "room": 4321, "description": "Fixtures",
               "publishers": 4, "notify_joining": true})
    );
    assert_eq!(
        body(&videoroom::Exists::new("lobby")),
        json!({"request": "exists", "room": "lobby"})
    );
    let mut allowed = videoroom::Allowed::new(1, videoroom::AllowedAction::Add);
    allowed.allowed = Some(vec!["t".into()]);
    allowed.secret = Some("s".into());
    assert_eq!(
        body(&allowed),
        json!({"request": "allowed", "room": 1, "action": "add", "allowed": ["t"], "secret": "s"})
    );
    assert_eq!(
        body(&videoroom::Moderate::new(1, 2, "0", true)),
        json!({"request": "moderate", "room": 1, "id": 2, "mid": "0", "mute": true})
    );
    let mut join = videoroom::JoinPublisher::new(1234);
    join.id = Some(7.into());
    join.metadata = Some(json!({"role": "host"}));
    join.extra.insert("future_option".into(), json!(true));
    assert_eq!(
        body(&join),
        json!({"request": "join", "ptype": "publisher", "room": 1234, "id": 7,
               "metadata": {"role": "host"}, "future_option": true})
    );
    let mut stream = videoroom::SubscribeStream::new(42);
    stream.mid = Some("1".into());
    stream.substream = Some(2);
    let mut sub = videoroom::JoinSubscriber::to_streams(1234, vec![stream.clone()]);
    sub.private_id = Some(99);
    assert_eq!(
        body(&sub),
        json!({"request": "join", "ptype": "subscriber", "room": 1234, "private_id": 99,
               "streams": [{"feed": 42, "mid": "1", "substream": 2}]})
    );
    let mut jac = videoroom::JoinAndConfigure::new(1);
    jac.descriptions = Some(vec![videoroom::StreamDescription::new("1", "screen")]);
    assert_eq!(
        body(&jac),
        json!({"request": "joinandconfigure", "ptype": "publisher", "room": 1,
               "descriptions": [{"mid": "1", "description": "screen"}]})
    );
    let mut configure = videoroom::ConfigurePublisher::new();
    let mut s = videoroom::PublisherStreamConfig::new("0");
    s.send = Some(false);
    configure.streams = Some(vec![s]);
    assert_eq!(
        body(&configure),
        json!({"request": "configure", "streams": [{"mid": "0", "send": false}]})
    );
    let mut c = videoroom::ConfigureSubscriber::new();
    c.restart = Some(true);
    assert_eq!(body(&c), json!({"request": "configure", "restart": true}));
    assert_eq!(
        body(&videoroom::Subscribe::new(vec![stream])),
        json!({"request": "subscribe", "streams": [{"feed": 42, "mid": "1", "substream": 2}]})
    );
    let mut un = videoroom::UnsubscribeStream::new();
    un.sub_mid = Some("3".into());
    assert_eq!(
        body(&videoroom::Unsubscribe::new(vec![un.clone()])),
        json!({"request": "unsubscribe", "streams": [{"sub_mid": "3"}]})
    );
    let mut update = videoroom::Update::new();
    update.unsubscribe = Some(vec![un]);
    assert_eq!(
        body(&update),
        json!({"request": "update", "unsubscribe": [{"sub_mid": "3"}]})
    );
    assert_eq!(
        body(&videoroom::Switch::new(vec![videoroom::SwitchStream::new(
            5, "0", "1"
        )])),
        json!({"request": "switch", "streams": [{"feed": 5, "mid": "0", "sub_mid": "1"}]})
    );
    let mut fwd = videoroom::RtpForward::new(1, 2, "127.0.0.1");
    fwd.streams = Some(vec![videoroom::ForwardStream::new("0", 5000_u16)]);
    assert_eq!(
        body(&fwd),
        json!({"request": "rtp_forward", "room": 1, "publisher_id": 2, "host": "127.0.0.1",
               "streams": [{"mid": "0", "port": 5000}]})
    );
    assert_eq!(
        body(&videoroom::StopRtpForward::new(1, 2, 3_u64)),
        json!({"request": "stop_rtp_forward", "room": 1, "publisher_id": 2, "stream_id": 3})
    );
    let remote = videoroom::RemoteStream::new("0", 0_u64, "audio");
    assert_eq!(
        body(&videoroom::AddRemotePublisher::new(1, vec![remote])),
        json!({"request": "add_remote_publisher", "room": 1,
               "streams": [{"mid": "0", "mindex": 0, "type": "audio"}]})
    );
    assert_eq!(
        body(&videoroom::PublishRemotely::new(
            1, 2, "b", "10.0.0.1", 9000_u16
        )),
        json!({"request": "publish_remotely", "room": 1, "publisher_id": 2, "remote_id": "b",
               "host": "10.0.0.1", "port": 9000})
    );
    assert_eq!(
        body(&videoroom::ListRemotes::new(1, 2)),
        json!({"request": "listremotes", "room": 1, "publisher_id": 2})
    );
    for (request, name) in [
        (body(&videoroom::List::new()), "list"),
        (body(&videoroom::Publish::new()), "publish"),
        (body(&videoroom::Unpublish::new()), "unpublish"),
        (body(&videoroom::Start::new()), "start"),
        (body(&videoroom::Pause::new()), "pause"),
        (body(&videoroom::Leave::new()), "leave"),
    ] {
        assert_eq!(request, json!({"request": name}));
    }
}

/// Bodies of requests of any type, for the table above.
mod erased {
    use janus_proto::plugin::PluginRequest;
    use serde_json::Value;

    pub(crate) trait Body {
        fn body(&self) -> Value;
    }

    impl<T: PluginRequest> Body for T {
        fn body(&self) -> Value {
            assert_eq!(T::PLUGIN, janus_proto::plugin::videoroom::PLUGIN);
            self.to_body().unwrap()
        }
    }
}

#[test]
fn foreign_plugins_and_odd_shapes() {
    let foreign = PluginData {
        plugin: "janus.plugin.echotest".into(),
        data: json!({"videoroom": "joined"}),
    };
    assert!(matches!(
        Event::decode(&foreign),
        Err(DecodeError::WrongPlugin { .. })
    ));
    let odd = PluginData {
        plugin: videoroom::PLUGIN.into(),
        data: json!({"videoroom": "event", "room": 1, "something": "new"}),
    };
    assert!(matches!(Event::decode(&odd), Ok(Event::Other(_))));
    assert_eq!(ErrorCode::from_code(426), ErrorCode::NoSuchRoom);
    assert_eq!(ErrorCode::from_code(1), ErrorCode::Unknown(1));
    assert_eq!(ErrorCode::NoSuchRoom.code(), 426);
    let _ = videoroom::Exists::new(1).to_body();
}
