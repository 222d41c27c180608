//! Records what a real VideoRoom says, as fixtures for `janus-proto`'s typed VideoRoom API.
//!
//! `cargo xtask netns -- cargo run -p janus-tests --bin record_videoroom_fixtures [OUT_DIR]`
//! (Janus 1.4.1: `env JANUS_BINARY="$(cargo xtask janus-1.4)"` before `cargo run`). Writes
//! `OUT_DIR/<janus version>/<scenario>.json` (default OUT_DIR:
//! janus-proto/tests/fixtures/plugins/videoroom), each one message exactly as Janus sent it:
//! the `success` or `event` answering a request, or an event another handle got. No media
//! flows: publishers join without publishing; subscriptions use a remote publisher (Janus
//! 1.1 and later) or the room's placeholder publisher, which need none. Takes a few seconds.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use janus_tests::Janus;
use janus_tests::plugin_session::{FixtureWriter, PluginSession};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const PLUGIN: &str = "janus.plugin.videoroom";
/// How long to wait for an event that another handle should get.
const WAIT: Duration = Duration::from_secs(3);

fn main() -> ExitCode {
    let out = std::env::args().nth(1).map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../janus-proto/tests/fixtures/plugins/videoroom")
        },
        PathBuf::from,
    );
    match record(&out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("recording failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn id(v: &Value, key: &str) -> Result<Value> {
    let id = &v["plugindata"]["data"][key];
    if id.is_null() {
        return Err(format!("no plugindata.data.{key} in {v}").into());
    }
    Ok(id.clone())
}

fn has(key: &'static str) -> impl Fn(&Value) -> bool {
    move |m| m["plugindata"]["data"].get(key).is_some()
}

fn record(out: &Path) -> Result<()> {
    let janus = Janus::builder().only_plugins(&["videoroom"]).launch()?;
    let version = janus.version().string.clone();
    let mut w = FixtureWriter::new(out.join(&version))?;
    eprintln!(
        "recording the VideoRoom of Janus {version} into {}",
        out.display()
    );
    let mut s = PluginSession::open(&janus, WAIT)?;
    let admin = s.attach(PLUGIN)?;
    let alice = s.attach(PLUGIN)?;
    let bob = s.attach(PLUGIN)?;
    let lone = s.attach(PLUGIN)?;

    // Room management.
    let m = s.message(admin, json!({"request": "list"}), None)?;
    w.save("list", &m)?;
    let create = json!({"request": "create", "room": 4321, "description": "Fixtures",
        "secret": "s3cret", "publishers": 4, "notify_joining": true, "bitrate": 256_000,
        "audiolevel_event": true, "videocodec": "vp8,h264"});
    w.save("create", &s.message(admin, create.clone(), None)?)?;
    w.save("create-room-exists", &s.message(admin, create, None)?)?;
    let m = s.message(admin, json!({"request": "exists", "room": 4321}), None)?;
    w.save("exists", &m)?;
    let m = s.message(admin, json!({"request": "exists", "room": 999_999}), None)?;
    w.save("exists-not", &m)?;
    let m = s.message(
        admin,
        json!({"request": "edit", "room": 4321, "secret": "s3cret", "new_description": "Edited"}),
        None,
    )?;
    w.save("edit", &m)?;
    let m = s.message(
        admin,
        json!({"request": "edit", "room": 4321, "secret": "wrong", "new_description": "No"}),
        None,
    )?;
    w.save("edit-unauthorized", &m)?;
    let m = s.message(
        admin,
        json!({"request": "allowed", "room": 4321, "secret": "s3cret", "action": "add",
               "allowed": ["token-a", "token-b"]}),
        None,
    )?;
    w.save("allowed-add", &m)?;
    let m = s.message(
        admin,
        json!({"request": "allowed", "room": 4321, "secret": "s3cret", "action": "remove",
               "allowed": ["token-b"]}),
        None,
    )?;
    w.save("allowed-remove", &m)?;
    let m = s.message(admin, json!({"request": "list"}), None)?;
    w.save("list-with-room", &m)?;

    // Publishers who join without publishing.
    let m = s.message(
        alice,
        json!({"request": "join", "ptype": "publisher", "room": 4321, "display": "alice",
               "metadata": {"role": "host"}}),
        None,
    )?;
    let alice_id = id(&w.save("join-publisher", &m)?, "id")?;
    let m = s.message(
        bob,
        json!({"request": "join", "ptype": "publisher", "room": 4321, "display": "bob"}),
        None,
    )?;
    let bob_id = id(&w.save("join-publisher-attendees", &m)?, "id")?;
    let joining = s.event(alice, WAIT, has("joining"))?;
    w.save_if("event-joining", joining)?;
    let m = s.message(
        alice,
        json!({"request": "join", "ptype": "publisher", "room": 4321}),
        None,
    )?;
    w.save("join-already-joined", &m)?;
    let m = s.message(
        admin,
        json!({"request": "listparticipants", "room": 4321}),
        None,
    )?;
    w.save("listparticipants", &m)?;
    let m = s.message(
        alice,
        json!({"request": "configure", "display": "alice-renamed", "bitrate": 128_000}),
        None,
    )?;
    w.save("configure-publisher", &m)?;
    let renamed = s.event(bob, WAIT, has("display"))?;
    w.save_if("event-display-changed", renamed)?;
    let m = s.message(alice, json!({"request": "unpublish"}), None)?;
    w.save("unpublish-not-published", &m)?;
    let m = s.message(alice, json!({"request": "publish"}), None)?;
    w.save("publish-without-offer", &m)?;
    let m = s.message(
        admin,
        json!({"request": "listforwarders", "room": 4321, "secret": "s3cret"}),
        None,
    )?;
    w.save("listforwarders", &m)?;
    let m = s.message(
        admin,
        json!({"request": "rtp_forward", "room": 4321, "publisher_id": alice_id,
               "secret": "s3cret", "host": "127.0.0.1",
               "streams": [{"mid": "0", "port": 5990}]}),
        None,
    )?;
    w.save("rtp-forward-not-publishing", &m)?;
    let m = s.message(
        admin,
        json!({"request": "stop_rtp_forward", "room": 4321, "publisher_id": alice_id,
               "secret": "s3cret", "stream_id": 1}),
        None,
    )?;
    w.save("stop-rtp-forward-unknown", &m)?;
    let m = s.message(
        admin,
        json!({"request": "enable_recording", "room": 4321, "secret": "s3cret", "record": false}),
        None,
    )?;
    w.save("enable-recording", &m)?;
    let m = s.message(
        admin,
        json!({"request": "moderate", "room": 4321, "secret": "s3cret", "id": alice_id,
               "mid": "0", "mute": true}),
        None,
    )?;
    w.save("moderate-no-such-mid", &m)?;

    // Subscriptions to nobody, and requests before joining.
    let m = s.message(
        lone,
        json!({"request": "join", "ptype": "subscriber", "room": 4321,
               "streams": [{"feed": alice_id}]}),
        None,
    )?;
    w.save("join-subscriber-not-publishing", &m)?;
    let m = s.message(lone, json!({"request": "start"}), None)?;
    w.save("start-join-first", &m)?;
    let m = s.message(
        lone,
        json!({"request": "join", "ptype": "publisher", "room": 999_999}),
        None,
    )?;
    w.save("join-no-such-room", &m)?;
    let m = s.message(lone, json!({"request": "bogus"}), None)?;
    w.save("unknown-request", &m)?;
    let m = s.message(lone, json!({"room": 4321}), None)?;
    w.save("missing-request", &m)?;

    // Kick, leave, destroy with someone inside.
    let m = s.message(
        admin,
        json!({"request": "kick", "room": 4321, "secret": "s3cret", "id": bob_id}),
        None,
    )?;
    w.save("kick", &m)?;
    let kicked = s.event(bob, WAIT, has("leaving"))?;
    w.save_if("event-kicked-self", kicked)?;
    let kicked = s.event(alice, WAIT, has("kicked"))?;
    w.save_if("event-kicked", kicked)?;
    let m = s.message(alice, json!({"request": "leave"}), None)?;
    w.save("leave-publisher", &m)?;
    let carol = s.attach(PLUGIN)?;
    s.message(
        carol,
        json!({"request": "join", "ptype": "publisher", "room": 4321, "display": "carol"}),
        None,
    )?;
    let m = s.message(
        admin,
        json!({"request": "destroy", "room": 4321, "secret": "s3cret"}),
        None,
    )?;
    w.save("destroy", &m)?;
    let destroyed = s.event(carol, WAIT, |m| {
        m["plugindata"]["data"]["videoroom"] == "destroyed"
    })?;
    w.save_if("event-destroyed", destroyed)?;
    let m = s.message(
        admin,
        json!({"request": "destroy", "room": 4321, "secret": "s3cret"}),
        None,
    )?;
    w.save("destroy-no-such-room", &m)?;
    s.clear();

    // A room with a placeholder publisher: a subscription without media.
    dummy_room(&mut s, &mut w)?;
    s.clear();
    // Remote publishers (Janus 1.1.0 and later): presence and subscriptions without media.
    remote_publishers(&mut s, &mut w)?;
    eprintln!("done: {} fixtures", w.count());
    Ok(())
}

/// Subscribes to a room's dummy publisher, when this Janus makes one.
fn dummy_room(s: &mut PluginSession, w: &mut FixtureWriter) -> Result<()> {
    let admin = s.attach(PLUGIN)?;
    let m = s.message(
        admin,
        json!({"request": "create", "room": 6666, "dummy_publisher": true,
               "dummy_streams": [{"codec": "opus"}, {"codec": "vp8"}]}),
        None,
    )?;
    w.save("create-dummy-publisher", &m)?;
    let m = s.message(
        admin,
        json!({"request": "listparticipants", "room": 6666}),
        None,
    )?;
    let list = w.save("listparticipants-dummy", &m)?;
    let Some(dummy) = list["plugindata"]["data"]["participants"]
        .as_array()
        .and_then(|p| p.first())
        .map(|p| p["id"].clone())
    else {
        eprintln!("  (no dummy publisher in this Janus: no subscription fixtures from it)");
        return Ok(());
    };
    subscriber(s, w, "", &json!(6666), &dummy, ["0", "1"])?;
    s.message(admin, json!({"request": "destroy", "room": 6666}), None)?;
    Ok(())
}

fn remote_publishers(s: &mut PluginSession, w: &mut FixtureWriter) -> Result<()> {
    let admin = s.attach(PLUGIN)?;
    let dave = s.attach(PLUGIN)?;
    s.message(
        admin,
        json!({"request": "create", "room": 5555, "description": "Cascade"}),
        None,
    )?;
    let m = s.message(
        dave,
        json!({"request": "join", "ptype": "publisher", "room": 5555, "display": "dave"}),
        None,
    )?;
    let dave_id = id(&m.json, "id")?;
    let streams = json!([
        {"type": "audio", "mindex": 0, "mid": "a", "codec": "opus", "fec": true},
        {"type": "video", "mindex": 1, "mid": "v", "codec": "vp8", "description": "camera"}
    ]);
    let m = s.message(
        admin,
        json!({"request": "add_remote_publisher", "room": 5555, "display": "remote",
               "metadata": {"from": "janus-b"}, "iface": "127.0.0.1", "streams": streams}),
        None,
    )?;
    let remote = id(&w.save("add-remote-publisher", &m)?, "id")?;
    let announced = s.event(dave, WAIT, has("publishers"))?;
    w.save_if("event-publishers", announced)?;
    let m = s.message(
        admin,
        json!({"request": "update_remote_publisher", "room": 5555, "id": remote,
               "streams": [{"type": "video", "mindex": 1, "mid": "1", "codec": "vp8",
                            "description": "screen"}]}),
        None,
    )?;
    w.save("update-remote-publisher", &m)?;
    let updated = s.event(dave, WAIT, has("publishers"))?;
    w.save_if("event-publishers-updated", updated)?;
    let m = s.message(
        admin,
        json!({"request": "listparticipants", "room": 5555}),
        None,
    )?;
    w.save("listparticipants-remote", &m)?;

    // Janus numbers a remote publisher's mids itself: "0", "1".
    subscriber(s, w, "remote-", &json!(5555), &remote, ["0", "1"])?;

    // The source side of a remotization, for a publisher who is not publishing.
    let m = s.message(
        admin,
        json!({"request": "listremotes", "room": 5555, "publisher_id": dave_id}),
        None,
    )?;
    w.save("listremotes", &m)?;
    let m = s.message(
        admin,
        json!({"request": "publish_remotely", "room": 5555, "publisher_id": dave_id,
               "remote_id": "to-b", "host": "127.0.0.1", "port": 5992}),
        None,
    )?;
    w.save("publish-remotely", &m)?;
    let m = s.message(
        admin,
        json!({"request": "listremotes", "room": 5555, "publisher_id": dave_id}),
        None,
    )?;
    w.save("listremotes-one", &m)?;
    let m = s.message(
        admin,
        json!({"request": "unpublish_remotely", "room": 5555, "publisher_id": dave_id,
               "remote_id": "to-b"}),
        None,
    )?;
    w.save("unpublish-remotely", &m)?;

    let m = s.message(
        admin,
        json!({"request": "remove_remote_publisher", "room": 5555, "id": remote}),
        None,
    )?;
    w.save("remove-remote-publisher", &m)?;
    let gone = s.event(dave, WAIT, has("unpublished"))?;
    w.save_if("event-unpublished", gone)?;
    let gone = s.event(dave, WAIT, has("leaving"))?;
    w.save_if("event-leaving", gone)?;
    s.message(admin, json!({"request": "destroy", "room": 5555}), None)?;
    Ok(())
}

/// A subscription to `feed` (whose streams have the mids `mids`) and every request a
/// subscriber makes, without media: saved as `<prefix><request>`.
fn subscriber(
    s: &mut PluginSession,
    w: &mut FixtureWriter,
    prefix: &str,
    room: &Value,
    feed: &Value,
    [audio, video]: [&str; 2],
) -> Result<()> {
    let sub = s.attach(PLUGIN)?;
    let save = |w: &mut FixtureWriter, name: &str, m| -> Result<Value> {
        Ok(w.save(&format!("{prefix}{name}"), &m)?)
    };
    let m = s.message(
        sub,
        json!({"request": "join", "ptype": "subscriber", "room": room,
               "streams": [{"feed": feed, "mid": audio, "crossrefid": "first-audio"}]}),
        None,
    )?;
    save(w, "join-subscriber", m)?;
    let m = s.message(
        sub,
        json!({"request": "configure", "streams": [{"mid": "0", "send": false}]}),
        None,
    )?;
    save(w, "configure-subscriber", m)?;
    let m = s.message(sub, json!({"request": "pause"}), None)?;
    save(w, "pause", m)?;
    let m = s.message(sub, json!({"request": "start"}), None)?;
    save(w, "start-without-answer", m)?;
    let m = s.message(
        sub,
        json!({"request": "subscribe", "streams": [{"feed": feed, "mid": video}]}),
        None,
    )?;
    save(w, "subscribe", m)?;
    let m = s.message(
        sub,
        json!({"request": "switch", "streams": [{"feed": feed, "mid": audio, "sub_mid": "0"}]}),
        None,
    )?;
    save(w, "switch", m)?;
    let m = s.message(
        sub,
        json!({"request": "unsubscribe", "streams": [{"feed": feed, "mid": video}]}),
        None,
    )?;
    save(w, "unsubscribe", m)?;
    let m = s.message(
        sub,
        json!({"request": "update", "subscribe": [{"feed": feed, "mid": video}],
               "unsubscribe": [{"sub_mid": "0"}]}),
        None,
    )?;
    save(w, "update", m)?;
    let m = s.message(sub, json!({"request": "update"}), None)?;
    save(w, "update-nothing", m)?;
    // (No `configure` with `restart`: without a PeerConnection Janus never answers it.)
    let m = s.message(sub, json!({"request": "leave"}), None)?;
    save(w, "leave-subscriber", m)?;
    Ok(())
}
