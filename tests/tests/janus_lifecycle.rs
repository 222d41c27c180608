//! Stopping, killing, restarting and dropping a harness Janus.

use std::fs;
use std::time::{Duration, Instant};

use janus_tests::{HarnessError, Janus};

/// Pids of running processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}

fn process_exists(pid: u32) -> bool {
    fs::metadata(format!("/proc/{pid}")).is_ok()
}

#[test]
fn stopped_janus_starts_again_on_the_same_ports() {
    let mut janus = Janus::launch().expect("Janus starts");
    let url = janus.http_url();
    let ws = janus.ws_url();

    janus.stop().expect("Janus stops");
    assert!(!janus.is_running());
    assert!(janus.info().is_err(), "a stopped Janus must not answer");
    assert!(matches!(janus.stop(), Err(HarnessError::NotRunning)));

    janus.start().expect("Janus starts again");
    assert_eq!(janus.http_url(), url);
    assert_eq!(janus.ws_url(), ws);
    assert_eq!(janus.info().expect("answers again")["janus"], "server_info");
    assert!(matches!(
        janus.start(),
        Err(HarnessError::AlreadyRunning { .. })
    ));
}

#[test]
fn killed_janus_is_gone_at_once_and_starts_again() {
    let mut janus = Janus::launch().expect("Janus starts");
    let pid = janus.pid().expect("a running Janus has a pid");

    let killed_at = Instant::now();
    janus.kill().expect("SIGKILL");
    assert!(!process_exists(pid), "pid {pid} still exists after kill");
    assert!(killed_at.elapsed() < Duration::from_secs(2));
    assert!(janus.info().is_err(), "a killed Janus must not answer");

    janus.start().expect("Janus starts again after SIGKILL");
    assert_ne!(janus.pid(), Some(pid));
    assert_eq!(janus.info().expect("answers again")["janus"], "server_info");
}

#[test]
fn dropping_the_harness_leaves_no_janus_process() {
    let janus = Janus::launch().expect("Janus starts");
    let pid = janus.pid().expect("a running Janus has a pid");
    let config_dir = janus.config_dir().display().to_string();
    assert_eq!(processes_mentioning(&config_dir), vec![pid]);

    drop(janus);

    assert!(!process_exists(pid), "Janus pid {pid} survived the drop");
    assert!(
        processes_mentioning(&config_dir).is_empty(),
        "processes left running from {config_dir}"
    );
    assert!(
        fs::metadata(&config_dir).is_err(),
        "the temp dir is removed"
    );
}

#[test]
fn a_bad_config_fails_fast_with_the_log() {
    let started = Instant::now();
    let error = Janus::builder()
        .extra_config("this line { is not = valid libconfig")
        .launch()
        .expect_err("Janus cannot start with an unparsable config");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let message = error.to_string();
    let HarnessError::ExitedEarly { log, tail, .. } = error else {
        panic!("expected ExitedEarly, got: {message}");
    };
    assert!(
        tail.contains("janus.jcfg"),
        "the log tail names the config: {tail}"
    );
    assert!(message.contains("janus.log"), "{message}");
    // A failed launch keeps its directory for inspection; this expected failure cleans up.
    let dir = log
        .parent()
        .expect("the log lives in the instance directory");
    assert!(log.is_file(), "the log is kept: {}", log.display());
    fs::remove_dir_all(dir).expect("remove the kept directory");
}
