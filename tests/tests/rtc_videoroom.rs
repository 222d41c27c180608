//! Simulcast through the VideoRoom: a publisher sends three VP8 layers (rids h, m, l) and a
//! subscriber, a PeerConnection of its own that answers Janus's offer, gets the layer Janus
//! picks, then the one it asks for.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use janus_blocking::rtc::{Event as RtcEvent, PeerConfig, Track, TrackKind};
use janus_blocking::{Client, Handle, Peer};
use janus_proto::{ClientConfig, Event, Jsep};
use janus_tests::Janus;
use janus_tests::media::{VP8_TICKS, frame_number, vp8_frame};
use serde_json::{Value, json};

const VIDEOROOM: &str = "janus.plugin.videoroom";
const WAIT: Duration = Duration::from_secs(10);
/// Frame numbers tell the layers apart: h from 1,000,000, m from 2,000,000, l from 3,000,000.
const LAYERS: [(&str, u32, usize); 3] = [
    ("h", 1_000_000, 2400),
    ("m", 2_000_000, 1200),
    ("l", 3_000_000, 400),
];

fn layer_of(frame: &[u8]) -> Option<&'static str> {
    let n = frame_number(frame)?;
    LAYERS
        .iter()
        .find(|(_, base, _)| (*base..base + 1_000_000).contains(&n))
        .map(|(rid, ..)| *rid)
}

fn plugin_event(handle: &Handle, pick: impl Fn(&Value) -> bool) -> (Value, Option<Jsep>) {
    handle
        .events()
        .wait_for(WAIT, |ev| match ev {
            Event::PluginEvent { data, jsep, .. } if pick(&data.data) => Some((data.data, jsep)),
            _ => None,
        })
        .unwrap()
}

/// Sends the three layers, 25 frames a second each, a keyframe every 10 frames.
fn send_layers(peer: &Peer, mid: &str, stop: &AtomicBool) {
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        for (rid, base, len) in LAYERS {
            let frame = vp8_frame(base + n, n % 10 == 0, len);
            let _ = peer.write_simulcast_frame(mid, rid, u64::from(n) * VP8_TICKS * 6 / 5, &frame);
        }
        n += 1;
        std::thread::sleep(Duration::from_millis(40));
    }
}

struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Waits until the subscriber receives `count` frames in a row of layer `rid`.
fn receives_layer(peer: &Peer, rid: &str, count: usize) {
    let mut run = 0;
    while run < count {
        let layer = peer
            .wait_for(WAIT, |e| match e {
                RtcEvent::Media(f) => Some(layer_of(&f.data)),
                _ => None,
            })
            .unwrap_or_else(|e| panic!("waiting for layer {rid}: {e}"));
        run = if layer == Some(rid) { run + 1 } else { 0 };
    }
}

#[test]
fn a_simulcast_publisher_is_received_in_the_layer_the_subscriber_asks_for() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let ip = janus.media_ip().into();

    // Publisher.
    let publisher = session.attach(VIDEOROOM).unwrap();
    let joined = publisher
        .message(
            json!({"request": "join", "ptype": "publisher", "room": 1234, "display": "sim"}),
            None,
        )
        .unwrap();
    assert_eq!(joined.data.data["videoroom"], "joined", "{joined:?}");
    let feed = joined.data.data["id"].clone();
    let pub_peer = Peer::bind(PeerConfig::default(), ip, 1024).unwrap();
    let reply = pub_peer
        .offer(
            &publisher,
            json!({"request": "publish"}),
            &[Track::video().send_only().simulcast()],
            false,
        )
        .unwrap();
    assert_eq!(reply.data.data["configured"], "ok", "{reply:?}");
    pub_peer
        .wait_for(WAIT, |e| matches!(e, RtcEvent::Connected).then_some(()))
        .unwrap();
    let video = pub_peer.call(|pc, _| pc.local_tracks()).unwrap()[0].clone();
    assert_eq!(video.kind, TrackKind::Video);

    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let sender = s.spawn(|| send_layers(&pub_peer, &video.mid, &stop));
        // A failing assertion must stop the sender too, or the scope never ends.
        let _stop = StopOnDrop(&stop);

        // Subscriber: Janus offers, we answer.
        let subscriber = session.attach(VIDEOROOM).unwrap();
        let attached = subscriber
            .message(
                json!({"request": "join", "ptype": "subscriber", "room": 1234, "streams": [{"feed": feed}]}),
                None,
            )
            .unwrap();
        assert_eq!(attached.data.data["videoroom"], "attached", "{attached:?}");
        let sub_peer = Peer::bind(PeerConfig::default(), ip, 4096).unwrap();
        sub_peer
            .answer(
                &subscriber,
                json!({"request": "start"}),
                attached.jsep.as_ref().unwrap(),
            )
            .unwrap();
        sub_peer
            .wait_for(WAIT, |e| matches!(e, RtcEvent::Connected).then_some(()))
            .unwrap();
        let remote = sub_peer.call(|pc, _| pc.remote_tracks()).unwrap();
        assert_eq!(remote.len(), 1, "{remote:?}");

        // Janus starts with the highest layer, then switches to the one asked for.
        receives_layer(&sub_peer, "h", 10);
        subscriber
            .message(json!({"request": "configure", "substream": 0}), None)
            .unwrap();
        // Janus says when it has switched (after a keyframe of the new layer).
        let (event, _) = plugin_event(&subscriber, |d| d["substream"] == 0);
        assert_eq!(event["videoroom"], "event", "{event}");
        receives_layer(&sub_peer, "l", 10);
        subscriber
            .message(json!({"request": "configure", "substream": 1}), None)
            .unwrap();
        receives_layer(&sub_peer, "m", 10);

        stop.store(true, Ordering::Relaxed);
        sender.join().unwrap();
    });
}
