//! Streaming plugin fixtures: whole Janus messages recorded from real Janus 1.1.2 (and
//! 1.4.1, in `janus-1.4.1/`) by `cargo xtask netns -- cargo run -p janus-tests --bin
//! record_streaming_fixtures`, plus `*.handwritten.json` for what needs live simulcast, SVC
//! or RTSP media. Every file must decode into the type its name says, with the fields
//! checked; a file with no expectation here fails the test.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};

use janus_proto::plugin::id::Id;
use janus_proto::plugin::streaming::{
    Created, Destroyed, Done, Edited, ErrorCode, Event, KickedAll, Layers, MountpointInfo,
    MountpointList, Status,
};
use janus_proto::plugin::{DecodeError, PluginEvent};
use janus_proto::{Jsep, PluginData};
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

fn fixtures() -> Vec<(String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plugins/streaming");
    let mut paths = Vec::new();
    files(&root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap().display().to_string();
            let v = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (name, v)
        })
        .collect()
}

fn plugindata(message: &Value) -> PluginData {
    serde_json::from_value(message["plugindata"].clone()).unwrap()
}

fn event(data: &PluginData) -> Event {
    Event::decode(data).unwrap()
}

fn status(data: &PluginData) -> Status {
    match event(data) {
        Event::Status { status, extra } => {
            assert!(extra.is_empty(), "{extra:?}");
            status
        }
        other => panic!("not a status: {other:?}"),
    }
}

fn error_code(data: &PluginData) -> ErrorCode {
    let e = Event::decode(data).unwrap_err();
    assert!(matches!(e, DecodeError::Plugin(_)), "{e:?}");
    // The synchronous replies refuse it the same way.
    assert_eq!(Done::decode(data).unwrap_err(), e);
    ErrorCode::of(&e).unwrap()
}

fn offer(message: &Value) {
    let jsep: Jsep = serde_json::from_value(message["jsep"].clone()).unwrap();
    assert_eq!(jsep.kind, janus_proto::SdpType::Offer);
    assert!(jsep.sdp.contains("m=audio"));
}

/// Checks one fixture; `false` if its name is not known here.
#[allow(clippy::too_many_lines)]
fn check(name: &str, message: &Value) -> bool {
    let data = plugindata(message);
    let stem = name.rsplit('/').next().unwrap().trim_end_matches(".json");
    let (string_ids, stem) = match stem.strip_prefix("string-ids-") {
        Some(rest) => (true, rest),
        None => (false, stem),
    };
    let main_id = if string_ids {
        Id::from("tv")
    } else {
        Id::from(1)
    };
    match stem {
        "list-empty" => assert!(MountpointList::decode(&data).unwrap().list.is_empty()),
        "list" => {
            let list = MountpointList::decode(&data).unwrap();
            assert!(list.extra.is_empty());
            // Private mountpoint 2 is not listed.
            assert_eq!(list.list.len(), if string_ids { 1 } else { 2 });
            let mp = list.list.iter().find(|m| m.id == main_id).unwrap();
            assert_eq!(mp.kind, "live");
            assert_eq!(mp.enabled, Some(true));
            assert_eq!(mp.metadata.as_deref(), Some("{\"channel\":1}"));
            assert_eq!(mp.name, None);
            let mids: Vec<_> = mp.media.iter().map(|s| s.mid.as_deref().unwrap()).collect();
            assert_eq!(mids, ["a", "v", "d"]);
            assert_eq!(mp.media[0].kind, "audio");
            assert_eq!(mp.media[0].label.as_deref(), Some("Audio"));
            assert!(mp.media.iter().all(|s| s.age_ms.is_some()));
            assert!(mp.extra.is_empty(), "{:?}", mp.extra);
            assert!(mp.media.iter().all(|s| s.extra.is_empty()));
        }
        "info" | "info-with-secret" => {
            let info = MountpointInfo::decode(&data).unwrap().info;
            let admin = stem == "info-with-secret";
            assert_eq!(info.id, main_id);
            assert_eq!(info.kind, "live");
            assert_eq!(info.enabled, Some(true));
            assert_eq!(info.secret.is_some(), admin);
            assert_eq!(info.name.is_some(), admin);
            assert_eq!(info.viewers, admin.then_some(0));
            assert_eq!(info.media.len(), 3);
            let audio = &info.media[0];
            assert_eq!(
                (audio.mid.as_deref(), audio.mindex, audio.pt),
                (Some("a"), Some(0), Some(111))
            );
            assert_eq!(audio.codec.as_deref(), Some("opus"));
            assert_eq!(audio.rtpmap.as_deref(), Some("opus/48000/2"));
            assert_eq!(audio.port.is_some(), admin);
            assert_eq!(info.media[1].codec.as_deref(), Some("vp8"));
            assert_eq!(info.media[2].kind, "data");
            assert!(info.extra.is_empty(), "{:?}", info.extra);
            assert!(info.media.iter().all(|s| s.extra.is_empty()));
        }
        "create-rtp" | "create-rtp-same-media" | "create" => {
            let c = Created::decode(&data).unwrap();
            let id = match stem {
                "create-rtp-same-media" => Id::from(3),
                _ => main_id,
            };
            assert_eq!(c.created, format!("mp-{id}"));
            assert!(!c.permanent);
            assert_eq!(c.stream.id, id);
            assert_eq!(c.stream.kind, "live");
            assert_eq!(c.stream.is_private, Some(false));
            let ports: Vec<_> = c.stream.ports.iter().map(|p| p.mid.as_str()).collect();
            assert_eq!(ports, ["a", "v", "d"]);
            assert!(c.stream.ports.iter().all(|p| p.port.is_some()));
            assert!(c.extra.is_empty() && c.stream.extra.is_empty());
        }
        "create-rtp-private" => {
            let c = Created::decode(&data).unwrap();
            assert_eq!(c.stream.id, Id::from(2));
            assert_eq!(c.stream.is_private, Some(true));
            assert_eq!(c.stream.ports.len(), 1);
            assert_eq!(c.stream.ports[0].kind, "audio");
        }
        "edit" | "edit-with-event" => {
            let e = Edited::decode(&data).unwrap();
            let id = if stem == "edit" { main_id } else { Id::from(3) };
            assert_eq!((e.id, e.permanent), (id, false));
            assert!(e.extra.is_empty());
        }
        "destroy" | "destroy-private" => {
            let d = Destroyed::decode(&data).unwrap();
            let id = match (string_ids, stem) {
                (true, _) => main_id,
                (false, "destroy") => Id::from(3),
                _ => Id::from(2),
            };
            assert_eq!(d.destroyed, id);
        }
        "disable" | "enable" | "recording-start" | "recording-stop" => {
            assert_eq!(Done::decode(&data).unwrap(), Done::default());
        }
        "kick-all" => assert_eq!(KickedAll::decode(&data).unwrap(), KickedAll::default()),
        "error-create-id-taken" => assert_eq!(error_code(&data), ErrorCode::CantCreate),
        "error-edit-unauthorized" => assert_eq!(error_code(&data), ErrorCode::Unauthorized),
        "error-info-no-such-mountpoint"
        | "error-watch-no-such-mountpoint"
        | "error-switch-not-watching" => {
            assert_eq!(error_code(&data), ErrorCode::NoSuchMountpoint);
        }
        "error-invalid-element" | "error-numeric-id" => {
            assert_eq!(error_code(&data), ErrorCode::InvalidElement);
        }
        "error-missing-element" => assert_eq!(error_code(&data), ErrorCode::MissingElement),
        "error-unknown-request" => assert_eq!(error_code(&data), ErrorCode::InvalidRequest),
        "watch-preparing" => {
            assert_eq!(status(&data), Status::Preparing);
            offer(message);
        }
        "watch-restart-updating" => {
            assert_eq!(status(&data), Status::Updating);
            offer(message);
        }
        "start-starting" => assert_eq!(status(&data), Status::Starting),
        "event-started" | "start-resumed" | "start-after-restart" => {
            assert_eq!(status(&data), Status::Started);
        }
        "pause-pausing" => assert_eq!(status(&data), Status::Pausing),
        "stop-stopping" => assert_eq!(status(&data), Status::Stopping),
        "stop-idle" => assert_eq!(status(&data), Status::Idle),
        "event-kicked-all" => assert_eq!(status(&data), Status::KickedAll),
        "event-stopped" => assert_eq!(status(&data), Status::Stopped),
        "configure-configured" => {
            assert_eq!(
                event(&data),
                Event::Configured {
                    extra: Default::default()
                }
            );
        }
        "switch-switched" => {
            assert_eq!(
                event(&data),
                Event::Switched {
                    id: Id::from(3),
                    extra: Default::default()
                }
            );
        }
        "event-edited" => {
            assert_eq!(
                event(&data),
                Event::Edited {
                    id: Id::from(3),
                    metadata: Some("{\"channel\":2}".into()),
                    extra: Default::default()
                }
            );
        }
        "event-layers-simulcast.handwritten" => {
            assert_eq!(
                event(&data),
                Event::Layers(Layers {
                    mid: Some("v".into()),
                    substream: Some(2),
                    ..Layers::default()
                })
            );
        }
        "event-layers-temporal.handwritten" => {
            assert_eq!(
                event(&data),
                Event::Layers(Layers {
                    mid: Some("v".into()),
                    temporal: Some(1),
                    ..Layers::default()
                })
            );
        }
        "event-layers-svc.handwritten" => {
            assert_eq!(
                event(&data),
                Event::Layers(Layers {
                    mid: Some("v".into()),
                    spatial_layer: Some(1),
                    temporal_layer: Some(0),
                    ..Layers::default()
                })
            );
        }
        "configure-layers.handwritten" => {
            assert_eq!(
                event(&data),
                Event::Layers(Layers {
                    substream: Some(0),
                    ..Layers::default()
                })
            );
        }
        "event-rtsp-disconnected.handwritten" => {
            assert_eq!(
                event(&data),
                Event::RtspDisconnected {
                    id: Id::from(7),
                    extra: Default::default()
                }
            );
        }
        "event-rtsp-reconnected.handwritten" => {
            assert_eq!(
                event(&data),
                Event::RtspReconnected {
                    id: Id::from(7),
                    extra: Default::default()
                }
            );
        }
        _ => return false,
    }
    true
}

#[test]
fn every_fixture_decodes_into_its_type() {
    let all = fixtures();
    assert!(all.len() >= 40, "fixtures missing: {}", all.len());
    let unknown: Vec<_> = all
        .iter()
        .filter(|(name, message)| !check(name, message))
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(
        unknown.is_empty(),
        "fixtures without expectations: {unknown:?}"
    );
}

#[test]
fn what_a_newer_janus_adds_is_kept_not_refused() {
    let (_, message) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "info-with-secret.json")
        .unwrap();
    let mut data = plugindata(&message);
    data.data["info"]["bitrate"] = json!(128_000);
    data.data["info"]["media"][0]["svc_layers"] = json!([1, 2]);
    data.data["took_ms"] = json!(3);
    let info = MountpointInfo::decode(&data).unwrap();
    assert_eq!(info.extra["took_ms"], 3);
    assert_eq!(info.info.extra["bitrate"], 128_000);
    assert_eq!(info.info.media[0].extra["svc_layers"], json!([1, 2]));

    let event = PluginData {
        plugin: "janus.plugin.streaming".into(),
        data: json!({"streaming": "event", "result": {"status": "buffering", "percent": 5}}),
    };
    let Event::Status { status, extra } = Event::decode(&event).unwrap() else {
        panic!()
    };
    assert_eq!(status, Status::Other("buffering".into()));
    assert_eq!(extra["percent"], 5);
    let novel = json!({"streaming": "event", "surprise": {"a": 1}});
    assert_eq!(
        Event::decode(&PluginData {
            plugin: "janus.plugin.streaming".into(),
            data: novel.clone()
        })
        .unwrap(),
        Event::Other(novel)
    );
}

#[test]
fn every_janus_version_recorded_has_the_same_files() {
    let all = fixtures();
    let names = |prefix: &str| -> std::collections::BTreeSet<String> {
        all.iter()
            .filter_map(|(n, _)| n.strip_prefix(prefix).map(str::to_owned))
            .filter(|n| !n.contains('/') && !n.contains("handwritten"))
            .collect()
    };
    let old = names("");
    let new = names("janus-1.4.1/");
    // Only 1.4.1 answers a `stop` on a handle that never watched.
    let only_new: Vec<_> = new.difference(&old).collect();
    assert_eq!(only_new, ["stop-idle.json"]);
    assert!(old.is_subset(&new));
}
