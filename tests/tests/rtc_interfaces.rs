//! Host candidates on several local addresses, IPv4 and IPv6 (issue #18), against the real
//! EchoTest of a Janus that gathers on every media address of the test namespace
//! (`JanusBuilder::every_media_address`: 127.0.0.2, 127.0.0.4 and fd00:6a61:6e75::2):
//!
//! - through both adapters, a connection bound on all three addresses (`add_peer_on`):
//!   Janus received a host candidate on each of them (Admin API `handle_info`, its remote
//!   candidates), the call comes up, audio and data are echoed, and the pair Janus selected
//!   is one of ours;
//! - through both adapters, a connection on the IPv6 address alone connects to Janus over
//!   IPv6 (the selected pair is IPv6 on both ends) and echoes data and audio;
//! - `local_ips` lists the namespace's addresses by janus-rtc's rule.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeSet;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use janus_proto::ClientConfig;
use janus_proto::admin::{HandleInfo, IceInfo};
use janus_tests::rtc::{ECHOTEST, TICK, WAIT, audio_frame, pick, sent_frame};
use janus_tests::{Janus, MEDIA_IP, MEDIA_IP_2, MEDIA_IP6, TURN_IP};
use janus_tokio::rtc::{Event as RtcEvent, HandleEvent, LocalAddrFilter, PeerConfig, Track};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(90);
const ADMIN_SECRET: &str = "janusoverlord";

/// The three media addresses of the namespace.
fn all_three() -> [IpAddr; 3] {
    [MEDIA_IP.into(), MEDIA_IP_2.into(), MEDIA_IP6.into()]
}

async fn within<T>(body: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, body)
        .await
        .expect("test timed out")
}

fn janus() -> Janus {
    let janus = Janus::builder()
        .every_media_address(true)
        .admin_api(ADMIN_SECRET)
        .launch()
        .unwrap();
    let info = janus.info().unwrap();
    assert_eq!(info["ipv6"], json!(true), "Janus's IPv6 is off: {info}");
    janus
}

/// A `candidate:` line's address, port and type.
fn candidate(line: &str) -> Option<(SocketAddr, String)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let typ = fields.iter().position(|f| *f == "typ")?;
    let ip: IpAddr = fields.get(typ.checked_sub(2)?)?.parse().ok()?;
    let port: u16 = fields.get(typ - 1)?.parse().ok()?;
    Some((
        SocketAddr::new(ip, port),
        (*fields.get(typ + 1)?).to_owned(),
    ))
}

/// The host candidates among `lines`.
fn hosts(lines: &[String]) -> BTreeSet<SocketAddr> {
    lines
        .iter()
        .filter_map(|l| candidate(l))
        .filter(|(_, kind)| kind == "host")
        .map(|(a, _)| a)
        .collect()
}

/// The two ends of Janus's `selected-pair` (`local <-> remote`, each `ip:port [kind,udp]`):
/// Janus's address and ours.
fn pair_ends(pair: &str) -> Option<(SocketAddr, SocketAddr)> {
    let (local, remote) = pair.split_once("<->")?;
    let addr = |side: &str| -> Option<SocketAddr> {
        let text = side.split_whitespace().next()?;
        let (ip, port) = text.rsplit_once(':')?;
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        Some(SocketAddr::new(ip.parse().ok()?, port.parse().ok()?))
    };
    Some((addr(local)?, addr(remote)?))
}

/// What Janus's `handle_info` must show once the call is up with a connection on `ours`:
/// each of our sockets as a host candidate of ours, Janus's own candidates on exactly
/// `janus_side` (never the TURN server's 127.0.0.3), a pair selected between one of ours
/// and one of Janus's. Returns the selected pair's ends (Janus's, ours).
fn check_ice(
    ice: &IceInfo,
    ours: &[SocketAddr],
    janus_side: &[IpAddr],
) -> (SocketAddr, SocketAddr) {
    let received = hosts(&ice.remote_candidates);
    for addr in ours {
        assert!(
            received.contains(addr),
            "Janus has no host candidate {addr} of ours: {:#?}",
            ice.remote_candidates
        );
    }
    let gathered: BTreeSet<IpAddr> = hosts(&ice.local_candidates)
        .iter()
        .map(SocketAddr::ip)
        .collect();
    assert_eq!(
        gathered,
        janus_side.iter().copied().collect::<BTreeSet<_>>(),
        "Janus's own candidates: {:#?}",
        ice.local_candidates
    );
    assert!(!gathered.contains(&IpAddr::V4(TURN_IP)));
    let pair = ice.selected_pair.as_deref().expect("no selected pair");
    let (theirs, mine) =
        pair_ends(pair).unwrap_or_else(|| panic!("unreadable selected pair {pair:?}"));
    assert!(
        ours.contains(&mine),
        "pair {pair:?} ends on none of ours {ours:?}"
    );
    assert!(
        gathered.contains(&theirs.ip()),
        "pair {pair:?}: not Janus's"
    );
    assert_eq!(ice.state.as_deref(), Some("ready"), "{ice:#?}");
    (theirs, mine)
}

// ---------------------------------------------------------------------------------------
// tokio

struct TokioCall {
    _janus: Janus,
    _client: janus_tokio::Client,
    admin: janus_tokio::Client,
    _session: janus_tokio::Session,
    handle: janus_tokio::Handle,
}

async fn tokio_call(janus: Janus, ips: &[IpAddr]) -> TokioCall {
    let client = janus_tokio::Client::connect(
        ClientConfig::new([janus.ws_url()])
            .unwrap()
            .request_timeout(WAIT),
    )
    .await
    .unwrap();
    let admin = janus_tokio::Client::connect(
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
        .add_peer_on(PeerConfig::default(), ips)
        .await
        .unwrap();
    TokioCall {
        _janus: janus,
        _client: client,
        admin,
        _session: session,
        handle,
    }
}

impl TokioCall {
    /// Polls `handle_info` until a pair is selected, or fails after [`WAIT`].
    async fn ice(&self) -> IceInfo {
        let until = Instant::now() + WAIT;
        loop {
            let ice = self
                .admin
                .admin(&HandleInfo::new(self.handle.id()))
                .await
                .unwrap()
                .info
                .webrtc
                .and_then(|w| w.ice)
                .expect("no ICE in handle_info");
            if ice.selected_pair.is_some() && ice.state.as_deref() == Some("ready") {
                return ice;
            }
            assert!(
                Instant::now() < until,
                "Janus never selected a pair: {ice:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Offers audio and data, waits for both sides up and the channel open, then echoes
    /// 10 data messages and 2 s of audio: the audio frames echoed.
    async fn up_and_echo(&self) -> usize {
        self.handle
            .offer(
                json!({"audio": true, "data": true}),
                &[Track::audio(), Track::data("echo")],
            )
            .await
            .unwrap();
        let events = self.handle.events();
        events
            .wait_for(WAIT, pick::up_with_data())
            .await
            .unwrap_or_else(|e| panic!("not up: {e}"));
        let peer = self.handle.peer().unwrap();
        for i in 0..10 {
            let text = format!("interfaces {i}");
            peer.send_data("echo", false, text.as_bytes())
                .await
                .unwrap();
            events
                .wait_for(WAIT, pick::echo_of(&text))
                .await
                .unwrap_or_else(|e| panic!("no echo of {text:?}: {e}"));
        }
        let audio = peer.local_tracks().await.unwrap()[0].mid.clone();
        let mut tick = tokio::time::interval(TICK);
        let mut echoed = 0;
        for n in 0..100u32 {
            tick.tick().await;
            let a = audio_frame(n);
            peer.write_frame(&audio, a.rtp_time, &a.data).await.unwrap();
            while let Ok(e) = events.recv_timeout(Duration::from_millis(1)).await {
                if let HandleEvent::Rtc(RtcEvent::Media(f)) = e {
                    let n = janus_tests::media::frame_number(&f.data).unwrap();
                    assert_eq!(&*f.data, &sent_frame(true, n)[..], "frame {n}");
                    echoed += 1;
                }
            }
        }
        assert!(echoed >= 60, "audio frames echoed: {echoed} of 100");
        echoed
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_peer_on_three_addresses_offers_a_host_candidate_on_each_and_echoes() {
    within(async {
        let janus = tokio::task::block_in_place(janus);
        let c = tokio_call(janus, &all_three()).await;
        let ours = c.handle.peer().unwrap().local_addrs().to_vec();
        assert_eq!(
            ours.iter().map(SocketAddr::ip).collect::<Vec<_>>(),
            all_three(),
            "one socket per address, in order"
        );
        let echoed = c.up_and_echo().await;
        let ice = c.ice().await;
        let (theirs, mine) = check_ice(&ice, &ours, &all_three());
        eprintln!(
            "tokio: ours {ours:?}; Janus received {:?}; selected pair {} (Janus {theirs}, ours {mine}); {echoed}/100 audio frames and 10/10 data messages echoed",
            hosts(&ice.remote_candidates),
            ice.selected_pair.as_deref().unwrap_or_default()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_peer_on_the_ipv6_address_alone_connects_over_ipv6_and_echoes() {
    within(async {
        let janus = tokio::task::block_in_place(janus);
        let c = tokio_call(janus, &[MEDIA_IP6.into()]).await;
        let ours = c.handle.peer().unwrap().local_addrs().to_vec();
        assert!(ours.len() == 1 && ours[0].is_ipv6(), "{ours:?}");
        let echoed = c.up_and_echo().await;
        let ice = c.ice().await;
        let (theirs, mine) = check_ice(&ice, &ours, &all_three());
        assert!(
            theirs.is_ipv6() && mine.is_ipv6(),
            "not over IPv6: {theirs} <-> {mine}"
        );
        eprintln!(
            "tokio IPv6: selected pair {}; {echoed}/100 audio frames and 10/10 data messages echoed",
            ice.selected_pair.as_deref().unwrap_or_default()
        );
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// blocking

struct BlockingCall {
    _janus: Janus,
    _client: janus_blocking::Client,
    admin: janus_blocking::Client,
    _session: janus_blocking::Session,
    handle: janus_blocking::Handle,
}

fn blocking_call(janus: Janus, ips: &[IpAddr]) -> BlockingCall {
    let client = janus_blocking::Client::connect(
        ClientConfig::new([janus.http_url()])
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
    handle.add_peer_on(PeerConfig::default(), ips).unwrap();
    BlockingCall {
        _janus: janus,
        _client: client,
        admin,
        _session: session,
        handle,
    }
}

impl BlockingCall {
    fn ice(&self) -> IceInfo {
        let until = Instant::now() + WAIT;
        loop {
            let ice = self
                .admin
                .admin(&HandleInfo::new(self.handle.id()))
                .unwrap()
                .info
                .webrtc
                .and_then(|w| w.ice)
                .expect("no ICE in handle_info");
            if ice.selected_pair.is_some() && ice.state.as_deref() == Some("ready") {
                return ice;
            }
            assert!(
                Instant::now() < until,
                "Janus never selected a pair: {ice:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn up_and_echo(&self) -> usize {
        self.handle
            .offer(
                json!({"audio": true, "data": true}),
                &[Track::audio(), Track::data("echo")],
            )
            .unwrap();
        let events = self.handle.events();
        events
            .wait_for(WAIT, pick::up_with_data())
            .unwrap_or_else(|e| panic!("not up: {e}"));
        let peer = self.handle.peer().unwrap();
        for i in 0..10 {
            let text = format!("interfaces {i}");
            peer.send_data("echo", false, text.as_bytes()).unwrap();
            events
                .wait_for(WAIT, pick::echo_of(&text))
                .unwrap_or_else(|e| panic!("no echo of {text:?}: {e}"));
        }
        let audio = peer.local_tracks().unwrap()[0].mid.clone();
        let mut echoed = 0;
        for n in 0..100u32 {
            let a = audio_frame(n);
            peer.write_frame(&audio, a.rtp_time, &a.data).unwrap();
            std::thread::sleep(TICK);
            while let Ok(e) = events.recv_timeout(Duration::from_millis(1)) {
                if let HandleEvent::Rtc(RtcEvent::Media(f)) = e {
                    let n = janus_tests::media::frame_number(&f.data).unwrap();
                    assert_eq!(&*f.data, &sent_frame(true, n)[..], "frame {n}");
                    echoed += 1;
                }
            }
        }
        assert!(echoed >= 60, "audio frames echoed: {echoed} of 100");
        echoed
    }
}

#[test]
fn blocking_peer_on_three_addresses_offers_a_host_candidate_on_each_and_echoes() {
    let c = blocking_call(janus(), &all_three());
    let ours = c.handle.peer().unwrap().local_addrs().to_vec();
    assert_eq!(
        ours.iter().map(SocketAddr::ip).collect::<Vec<_>>(),
        all_three()
    );
    let echoed = c.up_and_echo();
    let ice = c.ice();
    let (theirs, mine) = check_ice(&ice, &ours, &all_three());
    eprintln!(
        "blocking: ours {ours:?}; Janus received {:?}; selected pair {} (Janus {theirs}, ours {mine}); {echoed}/100 audio frames and 10/10 data messages echoed",
        hosts(&ice.remote_candidates),
        ice.selected_pair.as_deref().unwrap_or_default()
    );
}

#[test]
fn blocking_peer_on_the_ipv6_address_alone_connects_over_ipv6_and_echoes() {
    let c = blocking_call(janus(), &[MEDIA_IP6.into()]);
    let ours = c.handle.peer().unwrap().local_addrs().to_vec();
    let echoed = c.up_and_echo();
    let ice = c.ice();
    let (theirs, mine) = check_ice(&ice, &ours, &all_three());
    assert!(
        theirs.is_ipv6() && mine.is_ipv6(),
        "not over IPv6: {theirs} <-> {mine}"
    );
    eprintln!(
        "blocking IPv6: selected pair {}; {echoed}/100 audio frames and 10/10 data messages echoed",
        ice.selected_pair.as_deref().unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------------------
// local_ips, the standalone Peer, misuse

#[test]
fn local_ips_lists_the_namespace_addresses_by_the_filter() {
    janus_tests::require_media_addresses().unwrap();
    // By default loopback is left out: in the namespace, only the ULA is left (127.0.0.0/8
    // is loopback, and there is no link-local address).
    let default = janus_blocking::local_ips(LocalAddrFilter::default()).unwrap();
    assert_eq!(default, [IpAddr::V6(MEDIA_IP6)]);
    assert_eq!(
        janus_tokio::local_ips(LocalAddrFilter::default()).unwrap(),
        default
    );
    let with_loopback =
        janus_blocking::local_ips(LocalAddrFilter::default().with_loopback(true)).unwrap();
    let want: Vec<IpAddr> = [
        "127.0.0.1",
        "127.0.0.2",
        "127.0.0.3",
        "127.0.0.4",
        "::1",
        "fd00:6a61:6e75::2",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    assert_eq!(
        with_loopback.iter().collect::<BTreeSet<_>>(),
        want.iter().collect::<BTreeSet<_>>()
    );
    let first_v6 = with_loopback.iter().position(IpAddr::is_ipv6).unwrap();
    assert!(
        with_loopback[first_v6..].iter().all(IpAddr::is_ipv6),
        "IPv4 first: {with_loopback:?}"
    );
    let v4_only = janus_tokio::local_ips(
        LocalAddrFilter::default()
            .with_loopback(true)
            .with_ipv6(false),
    )
    .unwrap();
    assert!(
        v4_only.len() == 4 && v4_only.iter().all(IpAddr::is_ipv4),
        "{v4_only:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_address_list_is_refused_and_duplicates_bind_once() {
    janus_tests::require_media_addresses().unwrap();
    let err = janus_tokio::Peer::bind_on(PeerConfig::default(), &[], 8)
        .await
        .unwrap_err();
    assert!(matches!(err, janus_tokio::Error::NoLocalAddress), "{err}");
    let err = janus_blocking::Peer::bind_on(PeerConfig::default(), &[], 8).unwrap_err();
    assert!(
        matches!(err, janus_blocking::Error::NoLocalAddress),
        "{err}"
    );
    let twice = [MEDIA_IP.into(), MEDIA_IP6.into(), MEDIA_IP.into()];
    let peer = janus_tokio::Peer::bind_on(PeerConfig::default(), &twice, 8)
        .await
        .unwrap();
    let ips: Vec<IpAddr> = peer.local_addrs().iter().map(SocketAddr::ip).collect();
    assert_eq!(ips, [IpAddr::V4(MEDIA_IP), IpAddr::V6(MEDIA_IP6)]);
    assert_eq!(peer.local_addr(), peer.local_addrs()[0]);
    let peer = janus_blocking::Peer::bind_on(PeerConfig::default(), &twice, 8).unwrap();
    let ips: Vec<IpAddr> = peer.local_addrs().iter().map(SocketAddr::ip).collect();
    assert_eq!(ips, [IpAddr::V4(MEDIA_IP), IpAddr::V6(MEDIA_IP6)]);
}
