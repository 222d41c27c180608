//! The TextRoom through the blocking adapter's handle API: Janus offers a data channel, our
//! answer accepts it and opens ours, and TextRoom requests and messages travel over it both
//! ways (the plugin's requests are sent as the data channel's text).
#![allow(clippy::unwrap_used, missing_docs)]

use janus_blocking::Client;
use janus_blocking::rtc::{PeerConfig, Track};
use janus_proto::plugin::textroom::{self, DataChannelRequest};
use janus_proto::{ClientConfig, SdpType};
use janus_tests::Janus;
use janus_tests::rtc::{TEXTROOM, WAIT, pick};
use serde_json::json;

#[test]
fn answering_the_textroom_offer_opens_a_data_channel_that_carries_requests_and_messages() {
    let janus = Janus::launch().unwrap();
    let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
    let session = client.create_session().unwrap();
    let mut room = session.attach(TEXTROOM).unwrap();
    room.add_peer(PeerConfig::default(), janus.media_ip().into())
        .unwrap();
    // `setup`: Janus offers a PeerConnection with only a data channel.
    let setup = room.message(json!({"request": "setup"}), None).unwrap();
    let offer = setup.jsep.expect("Janus offers");
    assert_eq!(offer.kind, SdpType::Offer);
    assert!(offer.sdp.contains("m=application"), "{}", offer.sdp);
    room.answer(
        json!({"request": "ack"}),
        &offer,
        &[Track::data("textroom")],
    )
    .unwrap();
    let (label, _) = room.events().wait_for(WAIT, pick::data_open).unwrap();
    assert_eq!(label, "textroom");
    let peer = room.peer().unwrap();

    // Join the room over the channel: Janus answers on it.
    let mut join = textroom::Join::new(1234, "bot");
    join.display = Some("Bot".into());
    let join = join.to_text("t-join").unwrap().into_bytes();
    peer.send_data("textroom", false, &join).unwrap();
    let joined = room
        .events()
        .wait_for(WAIT, pick::json_data(|v| v["transaction"] == "t-join"))
        .unwrap();
    assert_eq!(joined["textroom"], "success", "{joined}");

    // A message to the room comes back to us, its sender, as a participant.
    let say = textroom::Message::new(1234, "hello room")
        .to_text("t-say")
        .unwrap()
        .into_bytes();
    peer.send_data("textroom", false, &say).unwrap();
    let heard = room
        .events()
        .wait_for(WAIT, pick::json_data(|v| v["textroom"] == "message"))
        .unwrap();
    assert_eq!(
        (heard["from"].as_str(), heard["text"].as_str()),
        (Some("bot"), Some("hello room"))
    );
}
