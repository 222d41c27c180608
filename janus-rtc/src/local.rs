//! Local addresses: which of a machine's addresses a connection offers host candidates on,
//! and which of its sockets sends a [`Transmit`].
//!
//! A connection may have several UDP sockets, one per local address (IPv4 and IPv6 alike):
//! [`HandleConnection::new`](crate::HandleConnection::new) takes their addresses, offers a
//! host candidate on each (and gathers from ICE servers through each socket of the server's
//! family), learns the socket a datagram arrived on from [`Input::Receive`](crate::Input)'s
//! destination, and names the socket to send from in [`Transmit::source`]. These are the
//! rules both adapters follow; they only list the interfaces (with `if-addrs`) and bind.

use std::net::{IpAddr, SocketAddr};

use crate::Transmit;

/// Which local addresses are usable for host candidates ([`select`](Self::select)).
///
/// Default: every unicast IPv4 and IPv6 address except loopback (127.0.0.0/8, `::1`) and
/// link-local ones (169.254.0.0/16, `fe80::/10`, which need a scope a candidate cannot
/// carry). The unspecified, multicast and broadcast addresses are never usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalAddrFilter {
    /// Keep loopback addresses (Janus never offers a loopback candidate, so they only help
    /// a Janus in a network namespace like the tests').
    pub loopback: bool,
    /// Keep link-local addresses.
    pub link_local: bool,
    /// Keep IPv4 addresses.
    pub ipv4: bool,
    /// Keep IPv6 addresses.
    pub ipv6: bool,
}

impl Default for LocalAddrFilter {
    fn default() -> Self {
        Self {
            loopback: false,
            link_local: false,
            ipv4: true,
            ipv6: true,
        }
    }
}

impl LocalAddrFilter {
    /// Also keep loopback addresses.
    #[must_use]
    pub fn with_loopback(mut self, keep: bool) -> Self {
        self.loopback = keep;
        self
    }

    /// Also keep link-local addresses.
    #[must_use]
    pub fn with_link_local(mut self, keep: bool) -> Self {
        self.link_local = keep;
        self
    }

    /// Keep IPv4 addresses (or not).
    #[must_use]
    pub fn with_ipv4(mut self, keep: bool) -> Self {
        self.ipv4 = keep;
        self
    }

    /// Keep IPv6 addresses (or not).
    #[must_use]
    pub fn with_ipv6(mut self, keep: bool) -> Self {
        self.ipv6 = keep;
        self
    }

    /// Whether `ip` may carry a host candidate under this filter.
    #[must_use]
    pub fn accepts(&self, ip: IpAddr) -> bool {
        if ip.is_unspecified() || ip.is_multicast() {
            return false;
        }
        match ip {
            IpAddr::V4(v4) => {
                self.ipv4
                    && !v4.is_broadcast()
                    && (self.loopback || !v4.is_loopback())
                    && (self.link_local || !v4.is_link_local())
            }
            IpAddr::V6(v6) => {
                // An IPv4-mapped address is IPv4 on an IPv6 socket: not a host address.
                v6.to_ipv4_mapped().is_none()
                    && self.ipv6
                    && (self.loopback || !v6.is_loopback())
                    && (self.link_local || (v6.segments()[0] & 0xffc0) != 0xfe80)
            }
        }
    }

    /// The usable addresses of `ips` (e.g. a machine's interface addresses), each once,
    /// IPv4 before IPv6, otherwise in the order given.
    #[must_use]
    pub fn select(&self, ips: impl IntoIterator<Item = IpAddr>) -> Vec<IpAddr> {
        let accepted: Vec<IpAddr> = ips.into_iter().filter(|ip| self.accepts(*ip)).collect();
        let mut kept = distinct(&accepted);
        // Stable: the given order within each family.
        kept.sort_by_key(IpAddr::is_ipv6);
        kept
    }
}

/// The addresses a connection binds, of the list an application gave: each once, in the
/// order given (no filter: the application chose them).
#[must_use]
pub fn distinct(ips: &[IpAddr]) -> Vec<IpAddr> {
    let mut kept: Vec<IpAddr> = Vec::with_capacity(ips.len());
    for &ip in ips {
        if !kept.contains(&ip) {
            kept.push(ip);
        }
    }
    kept
}

/// Which of the connection's sockets (their addresses, in the order given to the
/// connection) sends `transmit`: the one bound to its [`source`](Transmit::source); else one
/// on the same port bound to the unspecified address of its family (a wildcard socket).
/// `None` when no socket has that address: drop the datagram.
#[must_use]
pub fn socket_for(local_addrs: &[SocketAddr], transmit: &Transmit) -> Option<usize> {
    let source = transmit.source;
    local_addrs.iter().position(|a| *a == source).or_else(|| {
        local_addrs.iter().position(|a| {
            a.ip().is_unspecified() && a.is_ipv4() == source.is_ipv4() && a.port() == source.port()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn default_filter_keeps_unicast_and_drops_loopback_link_local_and_specials() {
        let f = LocalAddrFilter::default();
        for good in [
            "10.1.2.3",
            "192.168.0.7",
            "fd00:6a61:6e75::2",
            "2001:db8::1",
        ] {
            assert!(f.accepts(ip(good)), "{good}");
        }
        for bad in [
            "127.0.0.1",
            "127.0.0.2",
            "::1",
            "169.254.1.1",
            "fe80::1",
            "febf::1",
            "0.0.0.0",
            "::",
            "224.0.0.1",
            "ff02::1",
            "255.255.255.255",
            "::ffff:10.1.2.3",
        ] {
            assert!(!f.accepts(ip(bad)), "{bad}");
        }
        assert!(f.accepts(ip("fec0::1")), "fec0::/10 is not link-local");
    }

    #[test]
    fn asked_for_loopback_and_link_local_they_are_kept() {
        let f = LocalAddrFilter::default()
            .with_loopback(true)
            .with_link_local(true);
        for now_good in ["127.0.0.2", "::1", "169.254.1.1", "fe80::1"] {
            assert!(f.accepts(ip(now_good)), "{now_good}");
        }
        assert!(!f.accepts(ip("0.0.0.0")));
    }

    #[test]
    fn families_can_be_left_out() {
        let v4 = LocalAddrFilter::default().with_ipv6(false);
        assert!(v4.accepts(ip("10.0.0.1")) && !v4.accepts(ip("2001:db8::1")));
        let v6 = LocalAddrFilter::default().with_ipv4(false);
        assert!(!v6.accepts(ip("10.0.0.1")) && v6.accepts(ip("2001:db8::1")));
    }

    #[test]
    fn select_dedups_and_puts_ipv4_first_in_given_order() {
        let got = LocalAddrFilter::default().with_loopback(true).select([
            ip("fd00::2"),
            ip("127.0.0.4"),
            ip("fe80::1"),
            ip("127.0.0.2"),
            ip("127.0.0.4"),
            ip("2001:db8::1"),
        ]);
        assert_eq!(
            got,
            [
                ip("127.0.0.4"),
                ip("127.0.0.2"),
                ip("fd00::2"),
                ip("2001:db8::1")
            ]
        );
    }

    #[test]
    fn an_offer_carries_a_host_candidate_per_local_address_of_either_family() {
        let locals: Vec<SocketAddr> = ["127.0.0.2:4000", "127.0.0.4:4001", "[fd00::2]:4002"]
            .iter()
            .map(|s| s.parse().expect("addr"))
            .collect();
        #[allow(clippy::disallowed_methods)] // any origin will do: nothing waits here
        let now = std::time::Instant::now();
        let mut pc = crate::PeerConnection::new(crate::PeerConfig::default(), now, &locals);
        pc.create_offer(&[crate::Track::data("d")], false)
            .expect("offer");
        // Trickled: the offer's candidates come as events.
        let mut hosts = Vec::new();
        loop {
            match pc.poll_output() {
                crate::Output::Event(crate::Event::LocalCandidate(
                    janus_proto::Trickle::Candidate(c),
                )) if c.candidate.contains("typ host") => hosts.push(c.candidate),
                crate::Output::Timeout(_) => break,
                crate::Output::Event(_) | crate::Output::Transmit(_) | crate::Output::Stream(_) => {
                }
            }
        }
        assert_eq!(hosts.len(), 3, "{hosts:?}");
        for (addr, port) in [("127.0.0.2", 4000), ("127.0.0.4", 4001), ("fd00::2", 4002)] {
            assert!(
                hosts
                    .iter()
                    .any(|l| l.contains(&format!(" {addr} {port} typ host"))),
                "{addr}:{port} missing: {hosts:?}"
            );
        }
    }

    #[test]
    fn a_transmit_goes_out_of_the_socket_of_its_source() {
        let locals: Vec<SocketAddr> = ["127.0.0.2:4000", "127.0.0.4:4001", "[fd00::2]:4002"]
            .iter()
            .map(|s| s.parse().expect("addr"))
            .collect();
        let t = |source: &str| Transmit {
            source: source.parse().expect("addr"),
            destination: "127.0.0.2:20000".parse().expect("addr"),
            contents: Vec::new(),
        };
        assert_eq!(socket_for(&locals, &t("127.0.0.4:4001")), Some(1));
        assert_eq!(socket_for(&locals, &t("[fd00::2]:4002")), Some(2));
        assert_eq!(socket_for(&locals, &t("127.0.0.4:4000")), None);
        assert_eq!(socket_for(&locals, &t("10.0.0.1:4000")), None);
        let wildcard: Vec<SocketAddr> = vec!["0.0.0.0:5000".parse().expect("addr")];
        assert_eq!(socket_for(&wildcard, &t("10.0.0.1:5000")), Some(0));
        assert_eq!(socket_for(&wildcard, &t("[fd00::2]:5000")), None);
    }
}
