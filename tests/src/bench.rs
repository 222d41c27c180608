//! What the benchmark binaries (`tests/src/bin/bench_*.rs`) share: pinning a process to a
//! CPU, this process's CPU time, a process's memory, percentiles. One copy, so that every
//! figure in the report is measured the same way.
#![allow(clippy::print_stdout)]

use std::process::Command;

/// Pins every thread of process `pid` to CPU `cpu` (`taskset`, as the anchors' `PIN=1`
/// does); says so when it cannot, since the figures are then unpinned.
pub fn pin(pid: &str, cpu: &str) {
    let ok = Command::new("taskset")
        .args(["-a", "-p", "-c", cpu, pid])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("(could not pin {pid} to CPU {cpu}; figures are unpinned)");
    }
}

/// This process's CPU time (user + system) in microseconds, at the clock's resolution
/// (`CLOCK_PROCESS_CPUTIME_ID`, not /proc's 10 ms ticks).
pub fn self_cpu_us() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 * 1e6 + t.tv_nsec as f64 / 1e3
}

/// A KiB line (`VmRSS:`, `VmHWM:`, ...) of `/proc/<pid>/status` (`pid` may be `self`); 0
/// when it cannot be read.
pub fn status_kib(pid: &str, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// Process `pid`'s CPU time (user + system) in seconds, from `/proc/<pid>/stat` (10 ms
/// ticks: measure over seconds); 0 when it cannot be read.
pub fn proc_cpu_s(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces: count the fields after its ')'. utime and stime are
    // fields 14 and 15 of the line, 12 and 13 after the name; USER_HZ is 100 on Linux.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: f64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

/// Per UDP socket that process `pid` holds now (by inode): the datagrams the kernel dropped
/// because its receive buffer was full (the `drops` column of `/proc/net/udp` and `udp6`),
/// and the bytes waiting in that buffer (`rx_queue`): how far behind the process reads.
/// Sample it while the sockets are open; a closed socket's figures are gone.
pub fn udp_drops(pid: &str) -> std::collections::BTreeMap<u64, (u64, u64)> {
    let mut ours = std::collections::BTreeSet::new();
    if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for fd in fds.flatten() {
            let target = std::fs::read_link(fd.path()).unwrap_or_default();
            let target = target.to_string_lossy();
            if let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<u64>().ok())
            {
                ours.insert(inode);
            }
        }
    }
    let mut drops = std::collections::BTreeMap::new();
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // tx_queue:rx_queue (hex) is field 4, inode field 9, drops the last (field 12).
            let (Some(inode), Some(n)) = (
                fields.get(9).and_then(|v| v.parse::<u64>().ok()),
                fields.last().and_then(|v| v.parse::<u64>().ok()),
            ) else {
                continue;
            };
            let waiting = fields
                .get(4)
                .and_then(|q| q.split_once(':'))
                .and_then(|(_, rx)| u64::from_str_radix(rx, 16).ok())
                .unwrap_or(0);
            if ours.contains(&inode) {
                drops.insert(inode, (n, waiting));
            }
        }
    }
    drops
}

/// The `p` quantile (0 to 1) of sorted figures, nearest rank; 0 for none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
