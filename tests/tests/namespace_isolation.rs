//! The test namespace holds loopback, 127.0.0.2, 127.0.0.3 (the TURN server's), 127.0.0.4 and
//! fd00:6a61:6e75::2 on `v0`, nothing else, routes nowhere else, and carries UDP on 127.0.0.2
//! (what WebRTC media between Janus and a client needs), between 127.0.0.2 and 127.0.0.3
//! (relayed media), and on the other two media addresses.

use std::net::{IpAddr, UdpSocket};
use std::process::Command;
use std::time::Duration;

use janus_tests::netns::current_addrs;
use janus_tests::{
    MEDIA_INTERFACE, MEDIA_IP, MEDIA_IP_2, MEDIA_IP6, NAMESPACE_ADDRS, TURN_IP, require_namespace,
};

#[test]
fn we_run_inside_the_test_namespace() {
    require_namespace().expect("tests must run via `cargo xtask test` / `cargo xtask netns`");
}

#[test]
fn only_loopback_addresses_and_the_media_address_are_configured() {
    let addrs = current_addrs().expect("`ip -o addr` runs");
    let foreign: Vec<_> = addrs
        .iter()
        .filter(|a| !a.is_allowed_in_namespace())
        .collect();
    assert!(foreign.is_empty(), "foreign addresses: {foreign:?}");
    for want in NAMESPACE_ADDRS {
        assert!(
            addrs
                .iter()
                .any(|a| a.interface == MEDIA_INTERFACE && a.addr == want),
            "{want} on {MEDIA_INTERFACE} missing: {addrs:?}"
        );
    }
    assert!(
        addrs
            .iter()
            .any(|a| a.interface == "lo" && a.addr.is_loopback()),
        "loopback missing: {addrs:?}"
    );
}

#[test]
fn there_is_no_route_out_of_the_namespace() {
    let mut routes = Vec::new();
    for family in ["-4", "-6"] {
        let output = Command::new("ip")
            .args([family, "-o", "route", "show", "table", "all"])
            .output()
            .expect("`ip route` runs");
        assert!(output.status.success(), "ip {family} route failed");
        routes.extend(
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(str::to_owned),
        );
    }
    assert!(
        routes
            .iter()
            .any(|r| r.starts_with("local 127.0.0.2 dev v0")),
        "{routes:#?}"
    );
    for route in &routes {
        let kind = route.split_whitespace().next().unwrap_or_default();
        assert!(
            ["local", "broadcast", "multicast"].contains(&kind),
            "a route to somewhere else: {route}"
        );
        let device = route
            .split_whitespace()
            .skip_while(|w| *w != "dev")
            .nth(1)
            .unwrap_or_default();
        assert!(
            ["lo", "v0", "v1"].contains(&device),
            "a route through a device that is not ours: {route}"
        );
    }
}

#[test]
fn udp_datagrams_arrive_on_the_second_and_the_ipv6_media_address() {
    for ip in [IpAddr::V4(MEDIA_IP_2), IpAddr::V6(MEDIA_IP6)] {
        let a = UdpSocket::bind((ip, 0)).expect("bind a");
        let b = UdpSocket::bind((ip, 0)).expect("bind b");
        b.set_read_timeout(Some(Duration::from_secs(2)))
            .expect("read timeout");
        a.send_to(b"ping", b.local_addr().expect("b's address"))
            .expect("send");
        let mut buf = [0u8; 16];
        let (n, from) = b
            .recv_from(&mut buf)
            .unwrap_or_else(|e| panic!("no datagram on {ip}: {e}"));
        assert_eq!(
            (&buf[..n], from),
            (&b"ping"[..], a.local_addr().expect("a"))
        );
    }
}

#[test]
fn a_udp_datagram_between_two_sockets_on_the_media_address_arrives() {
    let a = UdpSocket::bind((MEDIA_IP, 0)).expect("bind a on 127.0.0.2");
    let b = UdpSocket::bind((MEDIA_IP, 0)).expect("bind b on 127.0.0.2");
    b.set_read_timeout(Some(Duration::from_secs(2)))
        .expect("read timeout");
    let to = b.local_addr().expect("b's address");
    a.send_to(b"ping over v0", to).expect("send");
    let mut buf = [0u8; 64];
    let (len, from) = b.recv_from(&mut buf).expect("the datagram arrives");
    assert_eq!(&buf[..len], b"ping over v0");
    assert_eq!(from, a.local_addr().expect("a's address"));
}

#[test]
fn a_udp_datagram_goes_from_the_media_address_to_the_turn_address_and_back() {
    let a = UdpSocket::bind((MEDIA_IP, 0)).expect("bind on 127.0.0.2");
    let b = UdpSocket::bind((TURN_IP, 0)).expect("bind on 127.0.0.3");
    for s in [&a, &b] {
        s.set_read_timeout(Some(Duration::from_secs(2)))
            .expect("read timeout");
    }
    let mut buf = [0u8; 64];
    a.send_to(b"to the relay", b.local_addr().expect("b's address"))
        .expect("send");
    let (len, from) = b.recv_from(&mut buf).expect("the datagram arrives");
    assert_eq!(
        (&buf[..len], from),
        (&b"to the relay"[..], a.local_addr().expect("a"))
    );
    b.send_to(b"back", from).expect("send back");
    let (len, from) = a.recv_from(&mut buf).expect("the answer arrives");
    assert_eq!(
        (&buf[..len], from),
        (&b"back"[..], b.local_addr().expect("b"))
    );
}
