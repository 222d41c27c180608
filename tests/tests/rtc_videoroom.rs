//! Simulcast through the VideoRoom: a publisher sends three VP8 layers (rids h, m, l) and a
//! subscriber, a PeerConnection of its own that answers Janus's offer, gets the layer Janus
//! picks, then the one it asks for.
#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::atomic::{AtomicBool, Ordering};

use janus_blocking::rtc::{PeerConfig, Track, TrackKind};
use janus_blocking::{Client, Peer};
use janus_proto::ClientConfig;
use janus_tests::Janus;
use janus_tests::rtc::{LAYER_TICK, StopOnDrop, VIDEOROOM, WAIT, layer_frames, pick};
use serde_json::json;

/// Sends the three layers every [`LAYER_TICK`] until `stop`.
fn send_layers(peer: &Peer, mid: &str, stop: &AtomicBool) {
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
fn receives_layer(peer: &Peer, rid: &str, count: usize) {
    let mut run = 0;
    while run < count {
        let layer = peer
            .wait_for(WAIT, pick::layer)
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
    pub_peer.wait_for(WAIT, pick::connected).unwrap();
    // The feed exists for subscribers once Janus has its side up too.
    publisher.events().wait_for(WAIT, pick::webrtcup).unwrap();
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
        sub_peer.wait_for(WAIT, pick::connected).unwrap();
        let remote = sub_peer.call(|pc, _| pc.remote_tracks()).unwrap();
        assert_eq!(remote.len(), 1, "{remote:?}");

        // Janus starts with the highest layer, then switches to the one asked for.
        receives_layer(&sub_peer, "h", 10);
        subscriber
            .message(json!({"request": "configure", "substream": 0}), None)
            .unwrap();
        // Janus says when it has switched (after a keyframe of the new layer).
        let switched = pick::plugin_event(|d| d["substream"] == 0);
        let (event, _) = subscriber.events().wait_for(WAIT, switched).unwrap();
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
