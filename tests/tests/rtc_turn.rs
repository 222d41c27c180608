//! `iceServers` against a real coturn (the harness's `Coturn`, on 127.0.0.3 inside the test
//! namespace, one long-term credential) and the real EchoTest, through the tokio adapter and
//! once through the blocking one (gathering and relaying are `janus-rtc`'s; the adapters only
//! resolve host names): server-reflexive
//! and relayed candidates gathered and trickled to Janus; with the transport policy `relay`,
//! audio, video and data through coturn only, the selected pair on Janus's side (Admin API
//! `handle_info`) a relayed one, with coturn reached over UDP, TCP and TLS (its log says
//! which); wrong credentials and an untrusted certificate as typed errors within a bounded
//! time.
#![allow(clippy::unwrap_used, missing_docs)]

use std::future::Future;
use std::time::{Duration, Instant};

use janus_proto::ClientConfig;
use janus_proto::admin::{HandleInfo, IceInfo};
use janus_tests::coturn::Coturn;
use janus_tests::rtc::{ECHOTEST, TICK, WAIT, audio_frame, pick, sent_frame, video_frame};
use janus_tests::{Janus, MEDIA_IP, TURN_IP};
use janus_tokio::rtc::{
    Error as RtcError, Event as RtcEvent, HandleEvent, IceServer, IceServerError,
    IceTransportPolicy, PeerConfig, Track, TrackKind, TurnTls,
};
use janus_tokio::{Client, Handle, Session};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(90);
const ADMIN_SECRET: &str = "janusoverlord";
const USER: &str = "bot";
const PASSWORD: &str = "turn-pass-1";

async fn within<T>(body: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, body)
        .await
        .expect("test timed out")
}

struct Call {
    janus: Janus,
    coturn: Coturn,
    _client: Client,
    admin: Client,
    _session: Session,
    handle: Handle,
}

/// coturn, a Janus with its Admin API, and an EchoTest handle with a connection made with
/// `config(&coturn)`.
async fn call(config: impl FnOnce(&Coturn) -> PeerConfig) -> Call {
    let (janus, coturn) = tokio::task::block_in_place(|| {
        let coturn = Coturn::start(USER, PASSWORD).unwrap();
        let janus = Janus::builder().admin_api(ADMIN_SECRET).launch().unwrap();
        (janus, coturn)
    });
    let client = Client::connect(
        ClientConfig::new([janus.ws_url()])
            .unwrap()
            .request_timeout(WAIT),
    )
    .await
    .unwrap();
    let admin = Client::connect(
        ClientConfig::new([janus.admin_http_url().unwrap()])
            .unwrap()
            .admin_api(Some(ADMIN_SECRET))
            .request_timeout(WAIT),
    )
    .await
    .unwrap();
    let session = client.create_session().await.unwrap();
    let mut handle = session.attach(ECHOTEST).await.unwrap();
    handle
        .add_peer(config(&coturn), janus.media_ip().into())
        .await
        .unwrap();
    Call {
        janus,
        coturn,
        _client: client,
        admin,
        _session: session,
        handle,
    }
}

impl Call {
    /// Janus's view of the handle's ICE.
    async fn ice(&self) -> IceInfo {
        let info = self
            .admin
            .admin(&HandleInfo::new(self.handle.id()))
            .await
            .unwrap()
            .info;
        info.webrtc
            .and_then(|w| w.ice)
            .expect("no ICE in handle_info")
    }

    /// Polls `handle_info` until `done` holds for Janus's ICE, or fails after [`WAIT`].
    async fn ice_until(&self, what: &str, mut done: impl FnMut(&IceInfo) -> bool) -> IceInfo {
        let until = Instant::now() + WAIT;
        loop {
            let ice = self.ice().await;
            if done(&ice) {
                return ice;
            }
            assert!(
                Instant::now() < until,
                "Janus never showed {what}: {ice:#?}\n{}",
                self.coturn.report()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn ice_servers(coturn: &Coturn, password: &str) -> Vec<IceServer> {
    vec![
        IceServer::stun(coturn.stun_url()),
        IceServer::turn(coturn.turn_url(), coturn.username(), password),
    ]
}

/// coturn over UDP, TCP and TLS, with this password.
fn every_url(coturn: &Coturn, password: &str) -> Vec<IceServer> {
    let mut servers = ice_servers(coturn, password);
    servers[1]
        .urls
        .extend([coturn.turn_tcp_url(), coturn.turns_url()]);
    servers
}

/// The `ip port typ kind` of a `candidate:` line.
fn address_and_kind(line: &str) -> Option<(String, String)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let typ = fields.iter().position(|f| *f == "typ")?;
    let addr = format!("{}:{}", fields.get(typ - 2)?, fields.get(typ - 1)?);
    Some((addr, (*fields.get(typ + 1)?).to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srflx_and_relay_candidates_from_coturn_are_gathered_and_trickled_to_janus() {
    within(async {
        let c = call(|coturn| PeerConfig {
            ice_servers: ice_servers(coturn, PASSWORD),
            ..PeerConfig::default()
        })
        .await;
        let ours = c.handle.peer().unwrap().local_addr();
        let body = json!({"audio": true, "data": true});
        c.handle
            .offer(body, &[Track::audio(), Track::data("echo")])
            .await
            .unwrap();
        // Gathering ends (both servers answered) and the call comes up, in either order.
        let (mut complete, mut up) = (false, pick::both_up());
        let mut is_up = false;
        let until = Instant::now() + WAIT;
        while !(complete && is_up) {
            let left = until.saturating_duration_since(Instant::now());
            let e = c
                .handle
                .events()
                .recv_timeout(left)
                .await
                .unwrap_or_else(|e| panic!("gathering {complete}, up {is_up}: {e}"));
            match &e {
                HandleEvent::Rtc(RtcEvent::IceGatheringComplete) => complete = true,
                HandleEvent::Rtc(RtcEvent::IceServerError { url, error }) => {
                    panic!("{url}: {error}\n{}", c.coturn.report())
                }
                _ => {}
            }
            is_up |= up(e).is_some();
        }
        // Janus got our host, server-reflexive and relayed candidates by trickle.
        let ice = c
            .ice_until("a srflx and a relay candidate of ours", |ice| {
                let kinds: Vec<String> = ice
                    .remote_candidates
                    .iter()
                    .filter_map(|l| address_and_kind(l).map(|(_, k)| k))
                    .collect();
                kinds.iter().any(|k| k == "srflx") && kinds.iter().any(|k| k == "relay")
            })
            .await;
        let theirs: Vec<(String, String)> = ice
            .remote_candidates
            .iter()
            .filter_map(|l| address_and_kind(l))
            .collect();
        // No NAT in the namespace: coturn saw our socket's own address.
        assert!(
            theirs.contains(&(ours.to_string(), "srflx".into())),
            "{theirs:?} (ours {ours})"
        );
        assert!(
            theirs.contains(&(ours.to_string(), "host".into())),
            "{theirs:?}"
        );
        // Distinct addresses: Janus's list may name a candidate twice (seen once under load).
        let relay: std::collections::BTreeSet<&String> = theirs
            .iter()
            .filter(|(_, k)| k == "relay")
            .map(|(a, _)| a)
            .collect();
        let relay: Vec<&String> = relay.into_iter().collect();
        assert_eq!(relay.len(), 1, "{theirs:?}");
        assert!(
            relay[0].starts_with(&format!("{TURN_IP}:")),
            "relayed on coturn's address: {relay:?}"
        );
    })
    .await;
}

/// Policy relay with coturn's one URL `url`, trusting coturn's CA for `turns:`.
fn relay_only(coturn: &Coturn, url: String) -> PeerConfig {
    PeerConfig {
        ice_servers: vec![IceServer::turn(url, coturn.username(), coturn.password())],
        ice_transport_policy: IceTransportPolicy::Relay,
        turn_tls: Some(TurnTls::with_roots_pem(coturn.ca_pem().as_bytes()).unwrap()),
        ..PeerConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_policy_relay_media_and_data_flow_through_coturn_on_a_relayed_pair() {
    let log = relay_media_and_data(Coturn::turn_url).await;
    assert_eq!(reached_over(&log), ["UDP"], "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_policy_relay_over_tcp_to_coturn_media_and_data_flow_on_a_relayed_pair() {
    let log = relay_media_and_data(Coturn::turn_tcp_url).await;
    assert_eq!(reached_over(&log), ["TCP"], "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_policy_relay_over_tls_to_coturn_media_and_data_flow_on_a_relayed_pair() {
    let log = relay_media_and_data(Coturn::turns_url).await;
    assert_eq!(reached_over(&log), ["TLS"], "{log}");
}

/// How each TURN session in coturn's log reached it: its `new` line names the TLS method
/// of a TLS session; a TCP one follows a `tcp or tls connected` line.
fn reached_over(log: &str) -> Vec<&'static str> {
    let mut stream = false;
    let mut over = Vec::new();
    for line in log.lines() {
        if line.contains("tcp or tls connected to:") {
            stream = true;
        } else if line.contains(": new, realm=") {
            over.push(match (line.contains("method=TLS"), stream) {
                (true, _) => "TLS",
                (false, true) => "TCP",
                (false, false) => "UDP",
            });
            stream = false;
        }
    }
    over
}

/// A relay-only EchoTest call through coturn's `url` with audio, video and data, checked
/// frame by frame and on Janus's side; coturn's log afterwards.
async fn relay_media_and_data(url: fn(&Coturn) -> String) -> String {
    within(async {
        let c = call(|coturn| relay_only(coturn, url(coturn))).await;
        let body = json!({"audio": true, "video": true, "data": true});
        c.handle
            .offer(body, &[Track::audio(), Track::video(), Track::data("echo")])
            .await
            .unwrap();
        let events = c.handle.events();
        events
            .wait_for(WAIT, pick::up_with_data())
            .await
            .unwrap_or_else(|e| panic!("not up through coturn: {e}\n{}", c.coturn.report()));
        let peer = c.handle.peer().unwrap();
        let tracks = peer.local_tracks().await.unwrap();
        let mid = |kind| tracks.iter().find(|t| t.kind == kind).unwrap().mid.clone();
        let (audio, video) = (mid(TrackKind::Audio), mid(TrackKind::Video));
        // 3 s of the test's audio and video, and data round trips, through the relay.
        let mut tick = tokio::time::interval(TICK);
        let (mut echoed_audio, mut echoed_video) = (0usize, 0usize);
        for n in 0..150u32 {
            tick.tick().await;
            let a = audio_frame(n);
            peer.write_frame(&audio, a.rtp_time, &a.data).await.unwrap();
            if let Some(v) = video_frame(n) {
                peer.write_frame(&video, v.rtp_time, &v.data).await.unwrap();
            }
            while let Ok(e) = events.recv_timeout(Duration::from_millis(1)).await {
                if let HandleEvent::Rtc(RtcEvent::Media(f)) = e {
                    let is_audio = f.mid == audio;
                    let n = janus_tests::media::frame_number(&f.data).unwrap();
                    assert_eq!(&*f.data, &sent_frame(is_audio, n)[..], "frame {n}");
                    if is_audio {
                        echoed_audio += 1;
                    } else {
                        echoed_video += 1;
                    }
                }
            }
        }
        assert!(echoed_audio >= 100, "audio echoed through coturn: {echoed_audio}");
        assert!(echoed_video >= 50, "video echoed through coturn: {echoed_video}");
        for i in 0..10 {
            let text = format!("relayed {i}");
            peer.send_data("echo", false, text.as_bytes()).await.unwrap();
            events
                .wait_for(WAIT, pick::echo_of(&text))
                .await
                .unwrap_or_else(|e| panic!("no echo of {text:?}: {e}"));
        }
        // Janus's side: every candidate of ours it knows is relayed, and the pair in use
        // ends on coturn's relayed address.
        let ice = c
            .ice_until("a selected pair", |ice| ice.selected_pair.is_some())
            .await;
        let kinds: Vec<(String, String)> = ice
            .remote_candidates
            .iter()
            .filter_map(|l| address_and_kind(l))
            .collect();
        assert!(
            !kinds.is_empty() && kinds.iter().all(|(a, k)| k == "relay" && a.starts_with(&format!("{TURN_IP}:"))),
            "only relayed candidates: {kinds:?}"
        );
        let pair = ice.selected_pair.clone().unwrap();
        let (relay_addr, _) = &kinds[0];
        assert!(
            pair.contains(relay_addr.as_str()) && pair.contains("relay"),
            "selected pair {pair:?} is not our relayed candidate {relay_addr}"
        );
        assert_eq!(ice.state.as_deref(), Some("ready"), "{ice:#?}");
        // Janus itself gathered on 127.0.0.2 only: the pair is relayed on our side alone.
        let janus_side: Vec<String> = ice
            .local_candidates
            .iter()
            .filter_map(|l| address_and_kind(l).map(|(a, _)| a))
            .collect();
        assert!(
            !janus_side.is_empty()
                && janus_side
                    .iter()
                    .all(|a| a.starts_with(&format!("{MEDIA_IP}:"))),
            "Janus's candidates: {janus_side:?}"
        );
        eprintln!(
            "selected pair: {pair}; echoed through coturn: {echoed_audio} audio, {echoed_video} video frames"
        );
        c.coturn.log()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_turn_credentials_are_a_401_allocation_error_and_a_relay_only_connection_fails() {
    let refused = refused_allocation(Coturn::turn_url, |c| {
        relay_only_with(c, c.turn_url(), "not-the-password")
    })
    .await;
    assert!(
        matches!(
            refused,
            IceServerError::Allocation {
                code: Some(401),
                ..
            }
        ),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_turn_credentials_over_tcp_and_tls_are_typed_allocation_errors_in_bounded_time() {
    let over_tcp = refused_allocation(Coturn::turn_tcp_url, |c| {
        relay_only_with(c, c.turn_tcp_url(), "not-the-password")
    })
    .await;
    assert!(
        matches!(
            over_tcp,
            IceServerError::Allocation {
                code: Some(401),
                ..
            }
        ),
        "{over_tcp:?}"
    );
    let over_tls = refused_allocation(Coturn::turns_url, |c| {
        relay_only_with(c, c.turns_url(), "not-the-password")
    })
    .await;
    assert!(
        matches!(
            over_tls,
            IceServerError::Allocation {
                code: Some(401),
                ..
            }
        ),
        "{over_tls:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turns_server_whose_certificate_is_not_trusted_is_a_typed_tls_error() {
    let refused = refused_allocation(Coturn::turns_url, |c| PeerConfig {
        // The web PKI's roots: coturn's private CA is not among them.
        turn_tls: None,
        ..relay_only(c, c.turns_url())
    })
    .await;
    assert!(
        matches!(&refused, IceServerError::Allocation { code: None, reason } if reason.contains("TLS") && reason.contains("certificate")),
        "{refused:?}"
    );
}

/// Policy relay with `url` and this password.
fn relay_only_with(coturn: &Coturn, url: String, password: &str) -> PeerConfig {
    PeerConfig {
        ice_servers: vec![IceServer::turn(url, coturn.username(), password)],
        ..relay_only(coturn, String::new())
    }
}

/// A relay-only connection with `config` whose allocation at `url` is refused: the error,
/// once the connection failed (no relayed candidate) and closed, within [`WAIT`].
async fn refused_allocation(
    url: fn(&Coturn) -> String,
    config: impl FnOnce(&Coturn) -> PeerConfig,
) -> IceServerError {
    within(async {
        let started = Instant::now();
        let c = call(config).await;
        let url = url(&c.coturn);
        let (mut refused, mut failed, mut closed) = (None, None, false);
        let until = Instant::now() + WAIT;
        while !(refused.is_some() && failed.is_some() && closed) {
            let left = until.saturating_duration_since(Instant::now());
            let e = c
                .handle
                .events()
                .recv_timeout(left)
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "refused {refused:?}, failed {failed:?}, closed {closed}: {e}\n{}",
                        c.coturn.report()
                    )
                });
            match e {
                HandleEvent::Rtc(RtcEvent::IceServerError { url: u, error }) => {
                    assert_eq!(u, url);
                    refused = Some(error);
                }
                HandleEvent::Rtc(RtcEvent::Failed(e)) => failed = Some(e),
                HandleEvent::Rtc(RtcEvent::Closed) => closed = true,
                _ => {}
            }
        }
        assert!(
            matches!(failed, Some(RtcError::NoRelayCandidate(_))),
            "{failed:?}"
        );
        eprintln!(
            "{url}: refused ({refused:?}) and failed {:?} after the start",
            started.elapsed()
        );
        // The secret is in no event.
        assert!(!format!("{refused:?}{failed:?}").contains("not-the-password"));
        refused.unwrap()
    })
    .await
}

/// The blocking adapter (it resolves host names and moves TCP streams of its own, the rest
/// is the core's): with policy relay, audio and data through coturn, a relayed selected
/// pair on Janus's side.
#[test]
fn blocking_peer_with_policy_relay_echoes_audio_and_data_through_coturn() {
    let log = blocking_relay(Coturn::turn_url);
    assert_eq!(reached_over(&log), ["UDP"], "{log}");
}

#[test]
fn blocking_peer_with_policy_relay_over_tcp_and_tls_echoes_audio_and_data_through_coturn() {
    let log = blocking_relay(Coturn::turn_tcp_url);
    assert_eq!(reached_over(&log), ["TCP"], "{log}");
    let log = blocking_relay(Coturn::turns_url);
    assert_eq!(reached_over(&log), ["TLS"], "{log}");
}

/// A relay-only blocking EchoTest call through coturn's `url`; coturn's log afterwards.
fn blocking_relay(url: fn(&Coturn) -> String) -> String {
    use janus_blocking::rtc::{Event as BEvent, HandleEvent as BHandleEvent};
    let coturn = Coturn::start(USER, PASSWORD).unwrap();
    let janus = Janus::builder().admin_api(ADMIN_SECRET).launch().unwrap();
    let client = janus_blocking::Client::connect(
        ClientConfig::new([janus.ws_url()])
            .unwrap()
            .request_timeout(WAIT),
    )
    .unwrap();
    let admin = janus_blocking::Client::connect(
        ClientConfig::new([janus.admin_http_url().unwrap()])
            .unwrap()
            .admin_api(Some(ADMIN_SECRET))
            .request_timeout(WAIT),
    )
    .unwrap();
    let session = client.create_session().unwrap();
    let mut handle = session.attach(ECHOTEST).unwrap();
    let config = relay_only(&coturn, url(&coturn));
    handle.add_peer(config, janus.media_ip().into()).unwrap();
    handle
        .offer(
            json!({"audio": true, "data": true}),
            &[Track::audio(), Track::data("echo")],
        )
        .unwrap();
    handle
        .events()
        .wait_for(WAIT, pick::up_with_data())
        .unwrap_or_else(|e| panic!("not up through coturn: {e}\n{}", coturn.report()));
    let peer = handle.peer().unwrap();
    let audio = peer.local_tracks().unwrap()[0].mid.clone();
    let mut echoed = 0;
    for n in 0..100u32 {
        let a = audio_frame(n);
        peer.write_frame(&audio, a.rtp_time, &a.data).unwrap();
        std::thread::sleep(TICK);
        while let Ok(e) = handle.events().recv_timeout(Duration::from_millis(1)) {
            if let BHandleEvent::Rtc(BEvent::Media(f)) = e {
                let n = janus_tests::media::frame_number(&f.data).unwrap();
                assert_eq!(&*f.data, &sent_frame(true, n)[..], "frame {n}");
                echoed += 1;
            }
        }
    }
    assert!(echoed >= 60, "audio echoed through coturn: {echoed}");
    peer.send_data("echo", false, b"relayed").unwrap();
    handle
        .events()
        .wait_for(WAIT, pick::echo_of("relayed"))
        .unwrap();
    let ice = admin
        .admin(&HandleInfo::new(handle.id()))
        .unwrap()
        .info
        .webrtc
        .and_then(|w| w.ice)
        .unwrap();
    let pair = ice.selected_pair.unwrap_or_default();
    assert!(
        pair.contains(&format!("{TURN_IP}:")) && pair.contains("relay"),
        "selected pair {pair:?}"
    );
    coturn.log()
}

/// Every line a user with `RUST_LOG=trace` would see (ours, str0m's, stun-proto's and
/// turn-client-proto's), and the Debug of the config and the events, through a relayed call
/// and a refused allocation: the TURN credential is in none of them. (Each test is its own
/// process under nextest, so the global subscriber is this test's.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_turn_credential_appears_in_no_trace_line_and_no_debug_output() {
    use std::sync::{Mutex, OnceLock};
    static LINES: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    struct Capture;
    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            LINES
                .get_or_init(Default::default)
                .lock()
                .unwrap()
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(|| Capture)
        .init();
    within(async {
        let mut shown = Vec::new();
        let c = call(|coturn| {
            let config = PeerConfig {
                ice_servers: every_url(coturn, PASSWORD),
                ..relay_only(coturn, String::new())
            };
            shown.push(format!("{config:?}"));
            config
        })
        .await;
        c.handle
            .offer(json!({"data": true}), &[Track::data("echo")])
            .await
            .unwrap();
        let up = c.handle.events().wait_for(WAIT, |e: HandleEvent| {
            shown.push(format!("{e:?}"));
            pick::data_open(e)
        });
        up.await.unwrap();
        // A refused allocation too: the wrong credential must not show either.
        let mut refused = Client::connect(ClientConfig::new([c.janus.ws_url()]).unwrap())
            .await
            .unwrap()
            .create_session()
            .await
            .unwrap()
            .attach(ECHOTEST)
            .await
            .unwrap();
        let wrong = PeerConfig {
            ice_servers: every_url(&c.coturn, "wrong-Xy9Qp2"),
            ..relay_only(&c.coturn, String::new())
        };
        shown.push(format!("{wrong:?}"));
        refused.add_peer(wrong, MEDIA_IP.into()).await.unwrap();
        let failed = refused.events().wait_for(WAIT, |e: HandleEvent| {
            shown.push(format!("{e:?}"));
            match e {
                HandleEvent::Rtc(RtcEvent::Failed(e)) => Some(e.to_string()),
                _ => None,
            }
        });
        let failed = failed.await.unwrap();
        shown.push(failed);
        let log = String::from_utf8_lossy(&LINES.get_or_init(Default::default).lock().unwrap())
            .into_owned();
        for secret in [PASSWORD, "wrong-Xy9Qp2"] {
            let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
            for text in shown.iter().chain([&log]) {
                assert!(
                    !text.contains(secret) && !text.to_lowercase().contains(&hex),
                    "the credential shows: {}",
                    text.lines().find(|l| l.contains(secret)).unwrap_or(text)
                );
            }
        }
        // The capture saw the STUN/TURN crates at work (else the absence proves nothing).
        assert!(
            log.contains("turn_client_proto"),
            "no line from turn-client-proto"
        );
        assert!(log.contains("stun_proto"), "no line from stun-proto");
        eprintln!(
            "{} log lines, {} Debug texts checked",
            log.lines().count(),
            shown.len()
        );
    })
    .await;
}
