//! Ports for one Janus instance: free TCP ports for the transports, and an RTP port range of
//! its own, reserved with a slot file so that concurrent instances (test processes run in
//! parallel) never share one.

use std::fs;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{HarnessError, Result};

/// First port of the RTP ranges: below Linux's ephemeral range (32768-60999), so client
/// sockets bound to port 0 never take a port Janus may want.
const RTP_BASE: u16 = 20_000;
/// Ports per instance.
const RTP_SLOT_SIZE: u16 = 100;
/// Number of ranges: 20000-31999.
const RTP_SLOTS: u16 = 120;

/// `count` distinct free TCP ports on 127.0.0.1 (bound with port 0, then released).
pub(crate) fn free_tcp_ports(count: usize) -> Result<Vec<u16>> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| HarnessError::io("binding 127.0.0.1:0 to find a free port", e))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| HarnessError::io("reading a bound port", e))
}

/// An RTP port range reserved for one instance; released on drop.
#[derive(Debug)]
pub(crate) struct RtpRange {
    pub(crate) first: u16,
    pub(crate) last: u16,
    slot_files: Vec<PathBuf>,
}

impl RtpRange {
    /// Reserves `slots` consecutive free slots (`RTP_SLOT_SIZE` ports each; 1 unless a
    /// test asks for a wider range): a slot file holds the owner's pid and start time, and a
    /// slot whose owner is gone is taken over.
    pub(crate) fn reserve(slots: u16) -> Result<Self> {
        let dir = std::env::temp_dir().join("janus-tests-rtp-slots");
        if !dir.is_dir() {
            fs::create_dir_all(&dir)
                .map_err(|e| HarnessError::io(format!("creating {}", dir.display()), e))?;
            // Shared by every user, like /tmp (sticky: only a slot's owner removes it).
            let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(0o1777));
        }
        let slots = slots.clamp(1, RTP_SLOTS);
        let owner = owner_id(std::process::id());
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        // Ranges start on a multiple of their width, so that wide ones tile the slots.
        let places = RTP_SLOTS / slots;
        let start = u16::try_from((nanos ^ std::process::id()) % u32::from(places)).unwrap_or(0);
        for offset in 0..places {
            let first_slot = (start + offset) % places * slots;
            let mut taken = Vec::new();
            for slot in first_slot..first_slot + slots {
                match take_slot(&dir, slot, &owner)? {
                    Some(file) => taken.push(file),
                    None => break,
                }
            }
            if taken.len() == usize::from(slots) {
                let first = RTP_BASE + first_slot * RTP_SLOT_SIZE;
                return Ok(Self {
                    first,
                    last: first + slots * RTP_SLOT_SIZE - 1,
                    slot_files: taken,
                });
            }
            for file in taken {
                let _ = fs::remove_file(file);
            }
        }
        Err(HarnessError::NoPortRange {
            slots: RTP_SLOTS,
            dir,
        })
    }
}

impl Drop for RtpRange {
    fn drop(&mut self) {
        for file in &self.slot_files {
            let _ = fs::remove_file(file);
        }
    }
}

/// `"<pid> <start time in ticks since boot>"`: unique for a live process.
/// Takes one slot file (`None`: another live process holds it).
fn take_slot(dir: &std::path::Path, slot: u16, owner: &str) -> Result<Option<PathBuf>> {
    let slot_file = dir.join(format!("slot-{slot}"));
    for _attempt in 0..2 {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&slot_file)
        {
            Ok(mut file) => {
                use std::io::Write as _;
                file.write_all(owner.as_bytes())
                    .map_err(|e| HarnessError::io(format!("writing {}", slot_file.display()), e))?;
                return Ok(Some(slot_file));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                if !is_stale(&slot_file) {
                    return Ok(None);
                }
                // Its owner is gone: take it over (one retry; a racing taker wins).
                let _ = fs::remove_file(&slot_file);
            }
            Err(e) => {
                return Err(HarnessError::io(
                    format!("creating {}", slot_file.display()),
                    e,
                ));
            }
        }
    }
    Ok(None)
}

fn owner_id(pid: u32) -> String {
    format!("{pid} {}", start_time(pid).unwrap_or_default())
}

fn start_time(pid: u32) -> Option<String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22; the command name (field 2) may hold spaces, so count after its ')'.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)
        .map(str::to_owned)
}

fn is_stale(slot_file: &std::path::Path) -> bool {
    let Ok(content) = fs::read_to_string(slot_file) else {
        return false; // being written right now, or unreadable: leave it alone
    };
    let Some(pid) = content
        .split_whitespace()
        .next()
        .and_then(|p| p.parse::<u32>().ok())
    else {
        // Empty: its creator may not have written yet. Only stale if old.
        return fs::metadata(slot_file)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 60);
    };
    owner_id(pid) != content
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_reservations_get_disjoint_ranges_and_release_them() {
        let a = RtpRange::reserve(1).expect("a free range");
        let b = RtpRange::reserve(1).expect("another free range");
        assert!(a.last < b.first || b.last < a.first, "{a:?} overlaps {b:?}");
        assert!(a.first >= RTP_BASE && a.last < 32_768);
        let file = a.slot_files[0].clone();
        drop(a);
        assert!(!file.exists(), "dropping a range frees its slot");
    }

    #[test]
    fn a_wide_reservation_is_consecutive_slots() {
        let wide = RtpRange::reserve(6).expect("six free slots");
        assert_eq!(wide.last - wide.first + 1, 6 * RTP_SLOT_SIZE);
        assert_eq!((wide.first - RTP_BASE) % (6 * RTP_SLOT_SIZE), 0);
        assert_eq!(wide.slot_files.len(), 6);
        let files = wide.slot_files.clone();
        drop(wide);
        assert!(files.iter().all(|f| !f.exists()), "every slot freed");
    }

    #[test]
    fn a_slot_of_a_dead_process_is_stale() {
        let dir = std::env::temp_dir().join(format!("janus-tests-slot-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        let live = dir.join("live");
        let dead = dir.join("dead");
        fs::write(&live, owner_id(std::process::id())).expect("write");
        fs::write(&dead, format!("{} 1", std::process::id())).expect("write");
        let (live_stale, dead_stale) = (is_stale(&live), is_stale(&dead));
        let _ = fs::remove_dir_all(&dir);
        assert!(!live_stale);
        assert!(dead_stale, "same pid, other start time: a previous owner");
    }

    #[test]
    fn free_ports_are_distinct() {
        let ports = free_tcp_ports(4).expect("free ports");
        let mut sorted = ports.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 4, "{ports:?}");
    }
}
