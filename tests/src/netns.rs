//! Detecting the test network namespace (see `cargo xtask netns`).
//!
//! Janus never offers a loopback ICE candidate, so WebRTC tests run Janus and the client inside a
//! private network namespace that holds loopback plus a veth `v0` carrying 127.0.0.2 (and
//! 127.0.0.3, the TURN server's own address; Janus gathers on 127.0.0.2 only unless a test asks
//! for more), 127.0.0.4 and the ULA fd00:6a61:6e75::2 (a second IPv4 and an IPv6 media address,
//! for peers and a Janus on several addresses). Nothing in that namespace routes anywhere else,
//! so no test traffic can leave the machine.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::Command;

use crate::error::{HarnessError, Result};

/// The address media sockets must bind: Janus's only ICE candidate is on it.
pub const MEDIA_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// The address of the STUN/TURN server the harness runs ([`Coturn`](crate::coturn::Coturn)),
/// on [`MEDIA_INTERFACE`] beside [`MEDIA_IP`]: a server on an address of its own, so that
/// relayed traffic is told apart from direct traffic by address. On the same interface
/// because Janus (libnice) sends only through the interface of its own address: to 127.0.0.3
/// on another interface, `sendmsg` fails with EINVAL.
pub const TURN_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

/// A second media address on [`MEDIA_INTERFACE`]: a Janus started with
/// [`JanusBuilder::every_media_address`](crate::JanusBuilder::every_media_address) gathers on
/// it too, and peers bound on several addresses use it.
pub const MEDIA_IP_2: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 4);

/// The namespace's IPv6 media address (a unique local address, `fd00::/8`), on
/// [`MEDIA_INTERFACE`], with only its `local` route.
pub const MEDIA_IP6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x6a61, 0x6e75, 0, 0, 0, 0, 2);

/// The addresses of [`MEDIA_INTERFACE`]: [`MEDIA_IP`], [`TURN_IP`], [`MEDIA_IP_2`] and
/// [`MEDIA_IP6`], nothing else.
pub const NAMESPACE_ADDRS: [IpAddr; 4] = [
    IpAddr::V4(MEDIA_IP),
    IpAddr::V4(TURN_IP),
    IpAddr::V4(MEDIA_IP_2),
    IpAddr::V6(MEDIA_IP6),
];

/// The veth interface that carries [`MEDIA_IP`] (Janus's `ice_enforce_list`).
pub const MEDIA_INTERFACE: &str = "v0";

/// One line of `ip -o addr`: an address configured on an interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceAddr {
    /// Interface name (`lo`, `v0`, `eth0`, ...).
    pub interface: String,
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix: u8,
}

impl InterfaceAddr {
    /// Whether this address is one the test namespace may hold: a loopback address on
    /// `lo`, or one of [`NAMESPACE_ADDRS`] on [`MEDIA_INTERFACE`].
    pub fn is_allowed_in_namespace(&self) -> bool {
        (self.interface == "lo" && self.addr.is_loopback())
            || (self.interface == MEDIA_INTERFACE && NAMESPACE_ADDRS.contains(&self.addr))
    }
}

/// Parses the output of `ip -o addr` (one address per line). Lines it cannot read are skipped.
pub fn parse_ip_addr(output: &str) -> Vec<InterfaceAddr> {
    output
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let _index = fields.next()?;
            let interface = fields.next()?.split('@').next()?.to_owned();
            let family = fields.next()?;
            if family != "inet" && family != "inet6" {
                return None;
            }
            let (addr, prefix) = fields.next()?.split_once('/')?;
            Some(InterfaceAddr {
                interface,
                addr: addr.parse().ok()?,
                prefix: prefix.parse().ok()?,
            })
        })
        .collect()
}

/// Decides from `ip -o addr` output whether we are inside the test namespace: [`MEDIA_IP`] is
/// configured on [`MEDIA_INTERFACE`], and no address other than loopback ones and that one
/// exists (so this is not a host namespace that happens to have a `v0`).
///
/// Returns the reason when we are not.
pub fn check_namespace(ip_addr_output: &str) -> Result<(), String> {
    let addrs = parse_ip_addr(ip_addr_output);
    if !addrs
        .iter()
        .any(|a| a.interface == MEDIA_INTERFACE && a.addr == IpAddr::V4(MEDIA_IP))
    {
        return Err(format!(
            "no interface {MEDIA_INTERFACE} carrying {MEDIA_IP}"
        ));
    }
    let foreign: Vec<String> = addrs
        .iter()
        .filter(|a| !a.is_allowed_in_namespace())
        .map(|a| format!("{}/{} on {}", a.addr, a.prefix, a.interface))
        .collect();
    if !foreign.is_empty() {
        return Err(format!(
            "addresses other than loopback, {MEDIA_IP}, {TURN_IP}, {MEDIA_IP_2} and {MEDIA_IP6} \
             are configured: {}",
            foreign.join(", ")
        ));
    }
    Ok(())
}

/// The addresses configured in the current network namespace (runs `ip -o addr`).
pub fn current_addrs() -> Result<Vec<InterfaceAddr>> {
    Ok(parse_ip_addr(&ip_addr_output()?))
}

/// Fails unless this process runs inside the test namespace; every Janus start calls it, so
/// tests never run (or silently skip) outside it. The error names the command to use.
pub fn require_namespace() -> Result<()> {
    check_namespace(&ip_addr_output()?).map_err(|reason| HarnessError::NotInNamespace { reason })
}

/// Fails unless this process runs inside the test namespace and [`MEDIA_IP_2`] and
/// [`MEDIA_IP6`] are on [`MEDIA_INTERFACE`] (a namespace made by an older `cargo xtask netns`
/// lacks them).
pub fn require_media_addresses() -> Result<()> {
    require_namespace()?;
    let addrs = current_addrs()?;
    for want in [IpAddr::V4(MEDIA_IP_2), IpAddr::V6(MEDIA_IP6)] {
        if !addrs
            .iter()
            .any(|a| a.interface == MEDIA_INTERFACE && a.addr == want)
        {
            return Err(HarnessError::NotInNamespace {
                reason: format!("no {want} on {MEDIA_INTERFACE}"),
            });
        }
    }
    Ok(())
}

/// Fails unless this process runs inside the test namespace and [`TURN_IP`] is on
/// [`MEDIA_INTERFACE`] (a namespace made by an older `cargo xtask netns` lacks it).
pub fn require_turn_address() -> Result<()> {
    require_namespace()?;
    let addrs = current_addrs()?;
    if addrs
        .iter()
        .any(|a| a.interface == MEDIA_INTERFACE && a.addr == IpAddr::V4(TURN_IP))
    {
        Ok(())
    } else {
        Err(HarnessError::NotInNamespace {
            reason: format!("no {TURN_IP} on {MEDIA_INTERFACE} for the TURN server"),
        })
    }
}

fn ip_addr_output() -> Result<String> {
    let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("ip");
    let output = Command::new(ip)
        .args(["-o", "addr"])
        .output()
        .map_err(|e| {
            HarnessError::io(
                "running `ip -o addr` (install iproute2: `cargo xtask install`)",
                e,
            )
        })?;
    if !output.status.success() {
        return Err(HarnessError::NotInNamespace {
            reason: format!(
                "`ip -o addr` failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const IN_NAMESPACE: &str = "\
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever
3: v0    inet 127.0.0.2/32 scope host v0\\       valid_lft forever preferred_lft forever
3: v0    inet 127.0.0.3/32 scope host v0\\       valid_lft forever preferred_lft forever
3: v0    inet 127.0.0.4/32 scope host v0\\       valid_lft forever preferred_lft forever
3: v0    inet6 fd00:6a61:6e75::2/128 scope global nodad \\       valid_lft forever preferred_lft forever
";

    const HOST: &str = "\
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever
2: eth0    inet 10.1.2.3/24 brd 10.1.2.255 scope global eth0\\       valid_lft forever preferred_lft forever
2: eth0    inet6 fe80::1/64 scope link \\       valid_lft forever preferred_lft forever
";

    #[test]
    fn namespace_with_v0_and_loopback_only_is_accepted() {
        assert_eq!(check_namespace(IN_NAMESPACE), Ok(()));
    }

    #[test]
    fn host_namespace_is_rejected_for_missing_v0() {
        let reason = check_namespace(HOST).expect_err("host namespace must be rejected");
        assert!(reason.contains("no interface v0"), "{reason}");
    }

    #[test]
    fn host_with_a_v0_is_rejected_for_its_other_addresses() {
        let both = format!("{HOST}{}", IN_NAMESPACE.lines().nth(2).unwrap_or_default());
        let reason = check_namespace(&both).expect_err("a host with a v0 must be rejected");
        assert!(reason.contains("10.1.2.3/24 on eth0"), "{reason}");
        assert!(reason.contains("fe80::1/64 on eth0"), "{reason}");
    }

    #[test]
    fn media_ip_on_another_interface_is_rejected() {
        let wrong = "3: eth9    inet 127.0.0.2/32 scope host eth9\\ valid_lft forever";
        assert!(check_namespace(wrong).is_err());
    }

    #[test]
    fn loopback_addresses_off_lo_and_others_on_v0_are_rejected() {
        for line in [
            "3: v0    inet 127.0.0.9/32 scope host v0\\ valid_lft forever",
            "4: v1    inet 127.0.0.3/32 scope host v1\\ valid_lft forever",
            "5: t0    inet 127.0.0.3/32 scope host t0\\ valid_lft forever",
            "3: v0    inet6 fd00:6a61:6e75::3/128 scope global\\ valid_lft forever",
            "4: v1    inet 127.0.0.4/32 scope host v1\\ valid_lft forever",
            "3: v0    inet6 fe80::1/64 scope link\\ valid_lft forever",
        ] {
            let both = format!("{IN_NAMESPACE}{line}\n");
            assert!(check_namespace(&both).is_err(), "{line}");
        }
    }

    #[test]
    fn empty_output_is_rejected() {
        assert!(check_namespace("").is_err());
    }

    #[test]
    fn parser_reads_names_families_and_prefixes() {
        let addrs = parse_ip_addr(&format!("{IN_NAMESPACE}4: v1@v0    link/ether\n"));
        assert_eq!(addrs.len(), 6);
        assert_eq!(addrs[5].addr, IpAddr::V6(MEDIA_IP6));
        assert_eq!(addrs[5].prefix, 128);
        assert_eq!(
            (addrs[2].interface.as_str(), addrs[3].interface.as_str()),
            ("v0", "v0")
        );
        assert_eq!(addrs[2].addr, IpAddr::V4(MEDIA_IP));
        assert_eq!(addrs[2].prefix, 32);
        assert_eq!(addrs[1].addr, IpAddr::V6(std::net::Ipv6Addr::LOCALHOST));
    }
}
