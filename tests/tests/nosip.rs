//! The NoSIP workflow of both adapters (`plugins::nosip::Bridge`) against the real plugin,
//! with a plain-RTP peer made of the test's own UDP sockets on the namespace's media
//! address. Our offer of audio and video becomes the plugin's barebone offer (typed
//! `generated`, the plugin's address and ports in it); the test answers with an SDP that
//! points at its sockets and `process`es it (typed `processed`; Janus's answer applied to
//! our connection). Then RTP flows both ways: the Opus sample we send arrives at the
//! test's audio socket packet for packet with the negotiated payload type, our VP8 at its
//! video socket; the Opus and VP8 the test sends (packetised by hand) arrive at our handle
//! as the very frames sent. `keyframe` towards us is a keyframe request on our video;
//! `recording` writes both sides' audio; `hangup` is typed and closes our connection. A
//! `process` without a prior `generate` is a typed plugin error.
//! `blocking` and `tokio_adapter` run the same scenario, each on its adapter.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use janus_proto::plugin::nosip::{ErrorCode, Generated, RecordingAction};
use janus_rtc::{HandleEvent, Track, TrackInfo, TrackKind};
use janus_tests::plain_rtp::{
    PortPair, SdpMedium, answer_sdp, parse_sdp, rtp_packet, rtp_payload, vp8_payloads,
};
use janus_tests::samples;

/// What we offer: audio and video both ways (the NoSIP has no data channels).
fn av() -> [Track; 2] {
    [Track::audio(), Track::video()]
}

fn mids(tracks: &[TrackInfo]) -> (String, String) {
    let mid = |kind| {
        tracks
            .iter()
            .find(|t| t.kind == kind)
            .map(|t| t.mid.clone())
            .unwrap()
    };
    (mid(TrackKind::Audio), mid(TrackKind::Video))
}

/// The test's plain-RTP peer: its sockets and what the plugin offered it.
struct PlainPeer {
    audio: PortPair,
    video: PortPair,
    janus: IpAddr,
    offer: Vec<SdpMedium>,
}

impl PlainPeer {
    /// Binds the sockets on `ip`; the answer to the plugin's `generated` offer.
    fn answer(ip: IpAddr, generated: &Generated) -> (Self, String) {
        let (janus, offer) = parse_sdp(&generated.sdp).expect("a barebone SDP with c=");
        let kinds: Vec<_> = offer.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(kinds, ["audio", "video"], "{}", generated.sdp);
        assert!(offer.iter().all(|m| m.port > 0), "{}", generated.sdp);
        let (audio, video) = (PortPair::bind(ip).unwrap(), PortPair::bind(ip).unwrap());
        let answer = answer_sdp(ip, &offer, &[audio.port(), video.port()]);
        for s in [&audio.rtp, &video.rtp] {
            s.set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
        }
        (
            Self {
                audio,
                video,
                janus,
                offer,
            },
            answer,
        )
    }

    fn to(&self, i: usize) -> SocketAddr {
        SocketAddr::new(self.janus, self.offer[i].port)
    }

    /// Waits for `count` RTP packets on `socket`: (payload type, payload) of each.
    fn receive(socket: &UdpSocket, count: usize) -> Vec<(u8, Vec<u8>)> {
        let mut got = Vec::new();
        let mut buf = [0u8; 2048];
        let until = Instant::now() + Duration::from_secs(10);
        while got.len() < count && Instant::now() < until {
            if let Ok(n) = socket.recv(&mut buf) {
                if let Some((pt, payload)) = rtp_payload(&buf[..n]) {
                    got.push((pt, payload.to_vec()));
                }
            }
        }
        got
    }

    /// Asserts our Opus arrives packet for packet (each a sample frame, with the offered
    /// payload type) and our VP8 too (packets of the offered payload type).
    fn check_received(&self) {
        let opus: HashSet<Vec<u8>> = samples::opus().into_iter().map(|f| f.data).collect();
        let audio = Self::receive(&self.audio.rtp, 50);
        assert_eq!(audio.len(), 50, "audio packets at the plain peer");
        assert!(audio.iter().all(|(pt, _)| *pt == self.offer[0].pt));
        let same = audio.iter().filter(|(_, p)| opus.contains(p)).count();
        assert!(same >= 48, "{same} of 50 Opus packets are sample frames");
        let video = Self::receive(&self.video.rtp, 50);
        assert_eq!(video.len(), 50, "video packets at the plain peer");
        assert!(video.iter().all(|(pt, _)| *pt == self.offer[1].pt));
    }

    /// Sends tick `n` of the samples as RTP to the plugin: an Opus packet every tick, a VP8
    /// frame (packetised) on the ticks it is due.
    fn send_tick(&self, n: usize, opus: &[janus_media::Frame], vp8: &[janus_media::Frame]) {
        let f = &opus[n % opus.len()];
        #[allow(clippy::cast_possible_truncation)]
        let (seq, ts) = (n as u16, (n as u32).wrapping_mul(960));
        let p = rtp_packet(self.offer[0].pt, seq, ts, 0x1111, false, &f.data);
        let _ = self.audio.rtp.send_to(&p, self.to(0));
        // 50 ticks a second, 30 fps video: frame k is due at tick k * 5 / 3.
        let k = n * 3 / 5;
        if n == k * 5 / 3 {
            let frame = &vp8[k % vp8.len()];
            let parts = vp8_payloads(&frame.data, 1100);
            #[allow(clippy::cast_possible_truncation)]
            let ts = (k as u32).wrapping_mul(3000);
            for (i, part) in parts.iter().enumerate() {
                #[allow(clippy::cast_possible_truncation)]
                let seq = (k * 16 + i) as u16;
                let last = i + 1 == parts.len();
                let p = rtp_packet(self.offer[1].pt, seq, ts, 0x2222, last, part);
                let _ = self.video.rtp.send_to(&p, self.to(1));
            }
        }
    }
}

/// Takes one event into the frames we received from the plain peer; whether enough came.
fn from_peer_enough(relayed: &mut samples::Relayed, e: &HandleEvent) -> bool {
    if let HandleEvent::Rtc(janus_rtc::Event::Media(f)) = e {
        relayed.push(f);
    }
    relayed.count("opus") >= 50 && relayed.count("vp8") >= 15
}

fn code(e: Option<u16>) -> Option<ErrorCode> {
    e.map(ErrorCode::from_code)
}

fn mjr_exists(base: &std::path::Path, suffix: &str) -> bool {
    let name = format!(
        "{}-{suffix}.mjr",
        base.file_name().unwrap().to_string_lossy()
    );
    base.with_file_name(name)
        .metadata()
        .is_ok_and(|m| m.len() > 0)
}

mod blocking {
    use std::sync::atomic::{AtomicBool, Ordering};

    use janus_blocking::plugins::nosip::{self, Bridge};
    use janus_blocking::rtc::{Event as RtcEvent, PeerConfig};
    use janus_blocking::{Client, Connection, Session};
    use janus_proto::ClientConfig;
    use janus_proto::plugin::nosip::{Generate, Keyframe, Process, Recording, SdpType};
    use janus_tests::Janus;
    use janus_tests::rtc::{StopOnDrop, WAIT, pick};
    use janus_tests::samples::{Kind, Relayed, Samples};

    use super::*;

    fn session(janus: &Janus) -> Session {
        let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap()).unwrap();
        client.create_session().unwrap()
    }

    fn send_samples(peer: &Connection, (audio, video): &(String, String), stop: &AtomicBool) {
        let mut samples = Samples::new(Instant::now(), true);
        while !stop.load(Ordering::Relaxed) {
            let (frames, next) = samples.due(Instant::now());
            for (kind, f) in frames {
                let mid = if kind == Kind::Audio { audio } else { video };
                let _ = peer.write_frame(mid, f.rtp_time, &f.data);
            }
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    }

    fn send_plain(peer: &PlainPeer, stop: &AtomicBool) {
        let (opus, vp8) = (samples::opus(), samples::vp8());
        let mut n = 0;
        let start = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            peer.send_tick(n, &opus, &vp8);
            n += 1;
            let next = start + Duration::from_millis(20) * u32::try_from(n).unwrap();
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    }

    #[test]
    fn a_nosip_bridge_carries_rtp_both_ways_between_our_handle_and_a_plain_rtp_peer() {
        let janus = Janus::launch().unwrap();
        let session = session(&janus);
        let ip: IpAddr = janus.media_ip().into();
        let bridge = Bridge::attach(&session, PeerConfig::default(), ip).unwrap();
        let generated = bridge.generate_offer(&Generate::new(), &av()).unwrap();
        assert_eq!(generated.kind, SdpType::Offer);
        let (plain, answer) = PlainPeer::answer(ip, &generated);
        let processed = bridge.process_answer(&answer).unwrap();
        assert!(processed.srtp.is_none(), "{processed:?}");
        bridge
            .handle()
            .events()
            .wait_for(WAIT, pick::connected)
            .unwrap();
        let peer = bridge.handle().peer().unwrap();
        let m = mids(&peer.local_tracks().unwrap());
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let _stop = StopOnDrop(&stop);
            s.spawn(|| send_samples(peer, &m, &stop));
            s.spawn(|| send_plain(&plain, &stop));
            plain.check_received();
            let mut relayed = Relayed::default();
            bridge
                .handle()
                .events()
                .wait_for(WAIT, |e| from_peer_enough(&mut relayed, &e).then_some(()))
                .unwrap_or_else(|e| panic!("{e}: from the plain peer {:?}", relayed.identical));
            assert!(relayed.different.len() <= 2, "{:?}", relayed.different);

            // A keyframe request towards us: a PLI on our video. (Janus 1.1 has no
            // `keyframe`: there it is the typed unknown-request error.)
            let keyframe = bridge.keyframe(&Keyframe {
                user: Some(true),
                ..Keyframe::new()
            });
            match keyframe {
                Ok(()) => {
                    let video = m.1.clone();
                    bridge
                        .handle()
                        .events()
                        .wait_for(WAIT, |e| match e {
                            HandleEvent::Rtc(RtcEvent::KeyframeRequest { mid }) if mid == video => {
                                Some(())
                            }
                            _ => None,
                        })
                        .unwrap();
                }
                Err(e) if code(e.plugin_code()) == Some(ErrorCode::InvalidRequest) => {
                    janus_tests::skip(&format!(
                        "NoSIP `keyframe` is unknown to Janus {} ({e})",
                        janus.version().string
                    ));
                }
                Err(e) => panic!("keyframe: {e}"),
            }

            // Both sides' audio recorded for a second.
            let base = janus.recordings_dir().join("nosip");
            bridge
                .recording(&Recording {
                    audio: Some(true),
                    peer_audio: Some(true),
                    filename: Some(base.display().to_string()),
                    ..Recording::new(RecordingAction::Start)
                })
                .unwrap();
            std::thread::sleep(Duration::from_secs(1));
            bridge
                .recording(&Recording {
                    audio: Some(true),
                    peer_audio: Some(true),
                    ..Recording::new(RecordingAction::Stop)
                })
                .unwrap();
            for side in ["user-audio", "peer-audio"] {
                assert!(mjr_exists(&base, side), "{side} not recorded");
            }
        });
        bridge.hangup().unwrap();
        bridge
            .handle()
            .events()
            .wait_for(WAIT, pick::closed)
            .unwrap();
    }

    #[test]
    fn processing_an_sdp_without_one_is_a_typed_nosip_error() {
        let janus = Janus::launch().unwrap();
        let session = session(&janus);
        let bridge =
            Bridge::attach(&session, PeerConfig::default(), janus.media_ip().into()).unwrap();
        let e = nosip::request(bridge.handle(), &Process::new(SdpType::Answer, "")).unwrap_err();
        assert!(
            matches!(
                code(e.plugin_code()),
                Some(ErrorCode::MissingSdp | ErrorCode::InvalidSdp | ErrorCode::MissingElement)
            ),
            "{e}"
        );
    }
}

mod tokio_adapter {
    use std::future::Future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use janus_proto::ClientConfig;
    use janus_proto::plugin::nosip::{Generate, Recording};
    use janus_tests::Janus;
    use janus_tests::rtc::{WAIT, pick};
    use janus_tests::samples::{Kind, Relayed, Samples};
    use janus_tokio::plugins::nosip::Bridge;
    use janus_tokio::rtc::PeerConfig;
    use janus_tokio::{Client, Connection};

    use super::*;

    async fn within<T>(body: impl Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(90), body)
            .await
            .expect("test timed out")
    }

    async fn send_samples(peer: &Connection, (audio, video): (String, String), stop: &AtomicBool) {
        let mut samples = Samples::new(Instant::now(), true);
        while !stop.load(Ordering::Relaxed) {
            let (frames, next) = samples.due(Instant::now());
            for (kind, f) in frames {
                let mid = if kind == Kind::Audio { &audio } else { &video };
                let _ = peer.write_frame(mid, f.rtp_time, &f.data).await;
            }
            tokio::time::sleep_until(next.into()).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_nosip_bridge_carries_rtp_both_ways_between_our_handle_and_a_plain_rtp_peer() {
        let janus = Janus::launch().unwrap();
        within(async {
            let client = Client::connect(ClientConfig::new([janus.ws_url()]).unwrap())
                .await
                .unwrap();
            let session = client.create_session().await.unwrap();
            let ip: IpAddr = janus.media_ip().into();
            let bridge = Bridge::attach(&session, PeerConfig::default(), ip)
                .await
                .unwrap();
            let generated = bridge
                .generate_offer(&Generate::new(), &av())
                .await
                .unwrap();
            let (plain, answer) = PlainPeer::answer(ip, &generated);
            bridge.process_answer(&answer).await.unwrap();
            bridge
                .handle()
                .events()
                .wait_for(WAIT, pick::connected)
                .await
                .unwrap();
            let peer = bridge.handle().peer().unwrap();
            let m = mids(&peer.local_tracks().await.unwrap());
            let stop = Arc::new(AtomicBool::new(false));
            // The plain peer is blocking sockets: it runs on threads of its own.
            let plain = Arc::new(plain);
            let sender = std::thread::spawn({
                let (plain, stop) = (plain.clone(), stop.clone());
                move || {
                    let (opus, vp8) = (samples::opus(), samples::vp8());
                    let start = Instant::now();
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        plain.send_tick(n, &opus, &vp8);
                        n += 1;
                        let next = start + Duration::from_millis(20) * u32::try_from(n).unwrap();
                        std::thread::sleep(next.saturating_duration_since(Instant::now()));
                    }
                }
            });
            let checks = async {
                let checker = tokio::task::spawn_blocking({
                    let plain = plain.clone();
                    move || plain.check_received()
                });
                let mut relayed = Relayed::default();
                bridge
                    .handle()
                    .events()
                    .wait_for(WAIT, |e| from_peer_enough(&mut relayed, &e).then_some(()))
                    .await
                    .unwrap_or_else(|e| panic!("{e}: from the plain peer {:?}", relayed.identical));
                checker.await.unwrap();
                let base = janus.recordings_dir().join("nosip-tokio");
                bridge
                    .recording(&Recording {
                        peer_audio: Some(true),
                        filename: Some(base.display().to_string()),
                        ..Recording::new(RecordingAction::Start)
                    })
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_secs(1)).await;
                bridge
                    .recording(&Recording {
                        peer_audio: Some(true),
                        ..Recording::new(RecordingAction::Stop)
                    })
                    .await
                    .unwrap();
                assert!(mjr_exists(&base, "peer-audio"));
                stop.store(true, Ordering::Relaxed);
            };
            tokio::join!(send_samples(peer, m, &stop), checks);
            sender.join().unwrap();
            bridge.hangup().await.unwrap();
            bridge
                .handle()
                .events()
                .wait_for(WAIT, pick::closed)
                .await
                .unwrap();
        })
        .await;
    }
}
