//! Squeezing one UDP flow on the namespace's `lo` with `tc`, for tests of what a congested
//! path does to a call: packets over the rate are dropped by a `tbf`, nothing else is
//! touched.
//!
//! `netem` is not in the machine's kernel and neither are the `prio` qdisc nor the
//! `flower` filter; `htb`, `tbf` and `u32` are. Media to 127.0.0.2 is local traffic and goes
//! through `lo` whatever interface carries the address, so the squeeze sits there: an `htb`
//! root whose default class is unlimited (every other test's traffic), one more unlimited
//! class for the flow with a `tbf` under it (the squeeze), and two `u32` filters that send
//! the flow's packets (from and to one UDP port) to it. One squeeze at a time in a
//! namespace: a lock file serialises the tests that use it.

use std::fs::File;
use std::process::Command;

use rustix::fs::{FlockOperation, flock};

use crate::error::{HarnessError, Result};

/// A squeeze of the UDP flow of one local port, both directions, removed on drop.
#[derive(Debug)]
pub struct Squeeze {
    _lock: File,
}

impl Squeeze {
    /// Limits what is sent from and to UDP `port` on `lo` to `kbit` kbit/s (a `tbf` with a
    /// 50 ms queue: what does not fit is dropped).
    pub fn udp_port(port: u16, kbit: u32) -> Result<Self> {
        let lock = File::create(std::env::temp_dir().join("janus-tests-squeeze.lock"))
            .map_err(|e| HarnessError::io("the squeeze lock file", e))?;
        flock(&lock, FlockOperation::LockExclusive)
            .map_err(|e| HarnessError::io("locking the squeeze", e.into()))?;
        // A root left by a test that died: start from a clean `lo`.
        let _ = tc(&["qdisc", "del", "dev", "lo", "root"]);
        let squeeze = Self { _lock: lock };
        let port = port.to_string();
        let rate = format!("{kbit}kbit");
        for args in [
            &[
                "qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10",
            ][..],
            &[
                "class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate",
                "10gbit", "quantum", "60000",
            ],
            &[
                "class", "add", "dev", "lo", "parent", "1:", "classid", "1:20", "htb", "rate",
                "10gbit", "quantum", "60000",
            ],
            &[
                "qdisc", "add", "dev", "lo", "parent", "1:20", "handle", "20:", "tbf", "rate",
                &rate, "burst", "4kb", "latency", "50ms",
            ],
            &[
                "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
                "match", "ip", "sport", &port, "0xffff", "flowid", "1:20",
            ],
            &[
                "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
                "match", "ip", "dport", &port, "0xffff", "flowid", "1:20",
            ],
        ] {
            tc(args)?;
        }
        Ok(squeeze)
    }

    /// Packets the squeeze dropped so far (`tc -s`'s `dropped` of the `tbf`).
    pub fn dropped(&self) -> Result<u64> {
        let stats = tc(&["-s", "qdisc", "show", "dev", "lo", "parent", "1:20"])?;
        let dropped = stats
            .split_once("dropped ")
            .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok());
        dropped.ok_or_else(|| {
            HarnessError::io(
                format!("no `dropped` in tc's statistics: {stats}"),
                std::io::Error::other("unexpected tc output"),
            )
        })
    }
}

impl Drop for Squeeze {
    fn drop(&mut self) {
        let _ = tc(&["qdisc", "del", "dev", "lo", "root"]);
    }
}

fn tc(args: &[&str]) -> Result<String> {
    let out = Command::new("tc")
        .args(args)
        .output()
        .map_err(|e| HarnessError::io("running tc (Debian's iproute2)", e))?;
    if !out.status.success() {
        return Err(HarnessError::io(
            format!("tc {args:?}: {}", String::from_utf8_lossy(&out.stderr)),
            std::io::Error::other("non-zero exit"),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
