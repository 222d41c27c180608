//! The typed AudioBridge API against fixtures: every file of
//! `tests/fixtures/plugins/audiobridge/<janus version>/` was recorded from a real Janus
//! (`record_audiobridge_fixtures` in janus-tests); `handwritten/` holds the few events that
//! need live media or plain RTP (`*.handwritten.json`). Each must decode into the event its
//! name says, with the fields it carries.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};

use janus_proto::PluginData;
use janus_proto::plugin::audiobridge::{self, ErrorCode, Event};
use janus_proto::plugin::id::Id;
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
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plugins/audiobridge");
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
        "join-no-such-room" => ErrorCode::NoSuchRoom,
        "configure-not-joined" | "leave-not-joined" => ErrorCode::NotJoined,
        "play-file-missing" => ErrorCode::UnknownError,
        "unknown-request" => ErrorCode::InvalidRequest,
        "missing-request" => ErrorCode::MissingElement,
        _ => return None,
    })
}

#[test]
fn every_fixture_decodes_as_what_its_name_says() {
    let all = fixtures();
    assert!(all.len() >= 50, "fixtures missing: {}", all.len());
    for (folder, name, message) in &all {
        let at = format!("{folder}/{name}");
        let decoded = decode(message);
        if let Some(code) = expected_error(name) {
            let e = decoded.expect_err(&at);
            assert_eq!(ErrorCode::of(&e), Some(code), "{at}: {e}");
            continue;
        }
        // Requests that Janus 1.1 does not know, nor a Janus built without RNNoise
        // `denoise_enable`: "unknown request" is their right answer there.
        let newer = [
            "denoise-enable",
            "listannouncements",
            "stop-all-files",
            "suspend",
            "resume",
        ];
        if let Err(e) = &decoded {
            if newer.contains(&name.as_str()) {
                assert_eq!(ErrorCode::of(e), Some(ErrorCode::InvalidRequest), "{at}");
                continue;
            }
        }
        if name == "denoise-enable" {
            assert!(matches!(decoded, Ok(Event::Success(_))), "{at}");
            continue;
        }
        let event = decoded.unwrap_or_else(|e| panic!("{at}: {e}"));
        check(&at, name, &event, message);
    }
}

#[allow(clippy::too_many_lines)]
fn check(at: &str, name: &str, event: &Event, message: &Value) {
    let room = Id::Num(7777);
    match (name, event) {
        ("list" | "list-with-room", Event::RoomList(l)) => {
            let demo = l.list.iter().find(|r| r.room == Id::Num(1234)).expect(at);
            assert_eq!(demo.description.as_deref(), Some("Demo Room"), "{at}");
            assert_eq!(demo.sampling_rate, Some(16000), "{at}");
            if name == "list-with-room" {
                let ours = l.list.iter().find(|r| r.room == room).expect(at);
                assert_eq!(ours.description.as_deref(), Some("Edited"), "{at}");
            }
        }
        ("create", Event::Created(c)) | ("edit", Event::Edited(c)) => {
            assert_eq!(
                (c.room.clone(), c.permanent),
                (room.clone(), Some(false)),
                "{at}"
            );
        }
        ("destroy", Event::Destroyed(d)) => assert_eq!(d.permanent, Some(false), "{at}"),
        ("event-destroyed", Event::Destroyed(d)) => {
            assert!(d.room == room && d.permanent.is_none(), "{at}");
        }
        ("exists", Event::Exists(e)) => assert!(e.exists, "{at}"),
        ("exists-not", Event::Exists(e)) => assert!(!e.exists, "{at}"),
        ("allowed-add", Event::Allowed(a)) => assert_eq!(a.allowed.len(), 2, "{at}"),
        ("join", Event::Joined(j)) => {
            assert!(j.id.is_some() && j.participants.is_empty(), "{at}");
        }
        ("join-second", Event::Joined(j)) => {
            assert!(j.id.is_some(), "{at}");
            assert_eq!(j.participants[0].display.as_deref(), Some("alice"), "{at}");
            assert_eq!(j.participants[0].setup, Some(false), "{at}");
        }
        ("event-joined-other", Event::Joined(j)) => {
            assert!(j.id.is_none(), "{at}: about someone else");
            assert_eq!(j.participants[0].display.as_deref(), Some("bob"), "{at}");
            assert_eq!(j.participants[0].muted, Some(true), "{at}");
        }
        ("joined-rtp", Event::Joined(j)) => {
            let rtp = j.rtp.as_ref().expect(at);
            assert_eq!(
                (rtp.port, rtp.payload_type),
                (Some(20000), Some(100)),
                "{at}"
            );
        }
        ("listparticipants", Event::Participants(p)) => {
            assert_eq!(p.participants.len(), 2, "{at}");
        }
        ("string-ids-participants", Event::Participants(p)) => {
            assert_eq!(p.room, Id::from("lobby"), "{at}");
            assert_eq!(p.participants[0].spatial_position, Some(50), "{at}");
            assert!(p.participants[0].extra.contains_key("future"), "{at}");
        }
        ("configure" | "configure-with-answer", Event::Result { result, .. }) => {
            assert_eq!(result, "ok", "{at}");
        }
        (
            "event-participants-changed" | "event-participant-unmuted",
            Event::ParticipantsChanged { participants, .. },
        ) => {
            assert_eq!(participants.len(), 1, "{at}");
            let muted = name == "event-participants-changed";
            assert_eq!(participants[0].muted, Some(muted), "{at}");
        }
        (
            "mute" | "unmute" | "mute-room" | "unmute-room" | "suspend" | "resume" | "resetdecoder"
            | "kick" | "kick-all",
            Event::Success(_),
        ) => {}
        ("event-room-muted", Event::RoomMuted { muted, .. }) => assert!(*muted, "{at}"),
        ("event-suspended", Event::Suspended { room: r, .. }) => assert_eq!(*r, room),
        ("event-resumed", Event::Resumed { room: r, .. }) => assert_eq!(*r, room),
        ("enable-recording", Event::Recording { record }) => assert!(!record, "{at}"),
        ("enable-mjrs", Event::Mjrs { mjrs }) => assert!(!mjrs, "{at}"),
        ("rtp-forward", Event::ForwarderAdded(f)) => {
            assert_eq!(
                (f.host.as_deref(), f.port),
                (Some("127.0.0.1"), Some(5994)),
                "{at}"
            );
        }
        ("listforwarders", Event::Forwarders(f)) => {
            let fw = &f.rtp_forwarders[0];
            assert_eq!(
                (fw.codec.as_deref(), fw.port),
                (Some("opus"), Some(5994)),
                "{at}"
            );
        }
        ("stop-rtp-forward", Event::ForwarderStopped { stream_id, .. }) => {
            assert!(*stream_id > 0, "{at}");
        }
        ("play-file" | "stop-file", Event::Announcement { file_id, .. }) => {
            assert_eq!(file_id, "sample", "{at}");
        }
        ("stop-file-unknown", Event::Announcement { file_id, .. }) => {
            assert_eq!(file_id, "nope", "{at}");
        }
        ("event-announcement-started", Event::AnnouncementStarted { file_id, .. })
        | ("event-announcement-stopped", Event::AnnouncementStopped { file_id, .. }) => {
            assert_eq!(file_id, "sample", "{at}");
        }
        ("is-playing", Event::Playing { playing, .. }) => assert!(*playing, "{at}"),
        ("listannouncements", Event::Announcements(a)) => {
            let one = &a.announcements[0];
            assert_eq!(
                (one.file_id.as_str(), one.looped),
                ("sample", Some(true)),
                "{at}"
            );
        }
        ("stop-all-files", Event::AnnouncementsStopped { file_ids, .. }) => {
            assert!(
                file_ids.is_empty(),
                "{at}: the only one was stopped already"
            );
        }
        ("event-kicked", Event::Kicked { id, .. })
        | ("event-leaving", Event::ParticipantLeft { id, .. }) => {
            assert!(id.as_u64().is_some(), "{at}");
        }
        ("event-kicked-all", Event::KickedAll { id, .. }) => assert!(id.is_some(), "{at}"),
        ("changeroom", Event::RoomChanged(c)) => assert_eq!(c.room, Id::Num(1234), "{at}"),
        ("hangup", Event::HangingUp { .. }) => {}
        ("leave", Event::Left { room: r, id }) => {
            assert!(*r == Id::Num(1234) && id.is_some(), "{at}");
        }
        ("talking", Event::Talking { id, .. })
        | ("stopped-talking", Event::StoppedTalking { id, .. }) => {
            assert_eq!(*id, Id::Num(42), "{at}");
        }
        ("future-kind", Event::Other(v)) => assert_eq!(v["audiobridge"], "something-new"),
        _ => panic!("{at}: unexpected {event:?} from {message}"),
    }
}

#[test]
fn the_recorded_scenarios_are_all_there() {
    let all = fixtures();
    for folder in ["1.1.2", "1.4.1"] {
        for name in [
            "list",
            "create",
            "exists",
            "edit",
            "join",
            "event-joined-other",
            "listparticipants",
            "configure",
            "event-participants-changed",
            "mute",
            "event-room-muted",
            "rtp-forward",
            "listforwarders",
            "play-file",
            "event-announcement-started",
            "is-playing",
            "listannouncements",
            "stop-file",
            "kick",
            "event-kicked",
            "changeroom",
            "leave",
            "kick-all",
            "event-kicked-all",
            "destroy",
            "event-destroyed",
        ] {
            assert!(
                all.iter().any(|(f, n, _)| f == folder && n == name),
                "{folder}/{name} missing: run record_audiobridge_fixtures"
            );
        }
    }
}

fn body<R: PluginRequest>(r: &R) -> Value {
    assert_eq!(R::PLUGIN, audiobridge::PLUGIN);
    r.to_body().unwrap()
}

#[test]
fn requests_encode_as_the_plugin_reads_them() {
    assert_eq!(
        body(&audiobridge::Create {
            room: Some(7777.into()),
            sampling_rate: Some(16000),
            groups: Some(vec!["a".into()]),
            ..Default::default()
        }),
        json!({"request": "create", "room": 7777, "sampling_rate": 16000, "groups": ["a"]})
    );
    assert_eq!(
        body(&audiobridge::Mute::new(1, "bob")),
        json!({"request": "mute", "room": 1, "id": "bob"})
    );
    assert_eq!(
        body(&audiobridge::KickAll::new(1)),
        json!({"request": "kick_all", "room": 1})
    );
    let mut play = audiobridge::PlayFile::new(1, "/tmp/a.opus");
    play.looped = Some(true);
    assert_eq!(
        body(&play),
        json!({"request": "play_file", "room": 1, "filename": "/tmp/a.opus", "loop": true})
    );
    assert_eq!(
        body(&audiobridge::RtpForward::new(1, "127.0.0.1", 5000_u16)),
        json!({"request": "rtp_forward", "room": 1, "host": "127.0.0.1", "port": 5000})
    );
    assert_eq!(
        body(&audiobridge::StopRtpForward::new(1, 9_u32)),
        json!({"request": "stop_rtp_forward", "room": 1, "stream_id": 9})
    );
    let mut join = audiobridge::Join::new(1);
    let mut rtp = audiobridge::RtpParticipant::new();
    rtp.ip = Some("127.0.0.2".into());
    rtp.port = Some(4000);
    join.rtp = Some(rtp);
    join.generate_offer = Some(true);
    assert_eq!(
        body(&join),
        json!({"request": "join", "room": 1, "generate_offer": true,
               "rtp": {"ip": "127.0.0.2", "port": 4000}})
    );
    let mut configure = audiobridge::Configure::new();
    configure.muted = Some(false);
    configure.volume = Some(150);
    assert_eq!(
        body(&configure),
        json!({"request": "configure", "muted": false, "volume": 150})
    );
    let mut change = audiobridge::ChangeRoom::new(2);
    change.display = Some("x".into());
    assert_eq!(
        body(&change),
        json!({"request": "changeroom", "room": 2, "display": "x"})
    );
    let mut suspend = audiobridge::Suspend::new(1, 2);
    suspend.pause_events = Some(true);
    assert_eq!(
        body(&suspend),
        json!({"request": "suspend", "room": 1, "id": 2, "pause_events": true})
    );
    assert_eq!(
        body(&audiobridge::EnableMjrs::new(1, true)),
        json!({"request": "enable_mjrs", "room": 1, "mjrs": true})
    );
    assert_eq!(
        body(&audiobridge::Allowed::new(
            1,
            audiobridge::AllowedAction::Disable
        )),
        json!({"request": "allowed", "room": 1, "action": "disable"})
    );
    for (request, name) in [
        (body(&audiobridge::List::new()), "list"),
        (body(&audiobridge::ResetDecoder::new()), "resetdecoder"),
        (body(&audiobridge::Leave::new()), "leave"),
        (body(&audiobridge::Hangup::new()), "hangup"),
    ] {
        assert_eq!(request, json!({"request": name}));
    }
}

#[test]
fn foreign_plugins_and_odd_shapes() {
    let foreign = PluginData {
        plugin: "janus.plugin.videoroom".into(),
        data: json!({"audiobridge": "joined"}),
    };
    assert!(matches!(
        Event::decode(&foreign),
        Err(DecodeError::WrongPlugin { .. })
    ));
    let odd = PluginData {
        plugin: audiobridge::PLUGIN.into(),
        data: json!({"audiobridge": "event", "room": 1, "something": "new"}),
    };
    assert!(matches!(Event::decode(&odd), Ok(Event::Other(_))));
    assert_eq!(ErrorCode::from_code(485), ErrorCode::NoSuchRoom);
    assert_eq!(ErrorCode::from_code(1), ErrorCode::Unknown(1));
    assert_eq!(ErrorCode::NoSuchGroup.code(), 494);
}
