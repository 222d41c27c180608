//! Secrets and network hygiene (issue #17), against a real Janus that wants an `apisecret`
//! and signed tokens, through both adapters and both transports:
//!
//! - neither secret appears in any line a user with `RUST_LOG=trace` would see (our tracing
//!   events and the dependencies' `log` records, tungstenite's frame dumps and the HTTP
//!   clients' request lines included), in the `Debug` output of any public value met on the
//!   way, or in any error's `Display` (connect and HTTP failures included);
//! - every socket this process opens is bound to and connects to loopback or an address of
//!   the project's own namespace (Janus on 127.0.0.1, media on the namespace's 127.0.0.2; the
//!   namespace's other media addresses, 127.0.0.4 and fd00:6a61:6e75::2, and the TURN
//!   server's 127.0.0.3 are allowed by name, nothing else).
//!
//! Each test is its own process under nextest, so each installs the global subscriber once.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use janus_proto::ClientConfig;
use janus_proto::plugin::echotest;
use janus_tests::Janus;
use janus_tests::rtc::{ECHOTEST, WAIT, pick};
use serde_json::json;

/// Distinctive, so that any appearance is ours: no log line says this by chance.
const API_SECRET: &str = "apisecret-Zq7Xw3Kv9Lm2Pt";
/// The server's key for signed tokens; the client never has it, but it must not leak either.
const TOKEN_KEY: &str = "tokenkey-Hr4Ny8Bc1Df6Gs";
/// Short enough that a keepalive goes out during the idle wait.
const KEEPALIVE: Duration = Duration::from_millis(400);
/// The idle wait: a few keepalives, and on HTTP a few long polls.
const IDLE: Duration = Duration::from_millis(1500);
/// A port nothing listens on in the namespace.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------
// Capture: the lines a user's `tracing_subscriber::fmt()` at TRACE would print.

fn captured() -> &'static Mutex<Vec<u8>> {
    static LINES: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LINES.get_or_init(|| Mutex::new(Vec::new()))
}

struct Capture;

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        captured().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Installs, once, what a user gets from `tracing_subscriber::fmt().init()` with
/// `RUST_LOG=trace`: every target at TRACE, span fields on every line, and the `log` records
/// of the dependencies through the bridge (which also raises `log`'s max level to TRACE).
fn capture_everything() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(|| Capture)
            .init();
        assert_eq!(log::max_level(), log::LevelFilter::Trace);
    });
}

fn log_text() -> String {
    String::from_utf8_lossy(&captured().lock().unwrap()).into_owned()
}

// ---------------------------------------------------------------------------------------
// What must not appear, in every form it could take on the way.

struct Secrets {
    /// (name, form) pairs: the raw strings and their encodings.
    forms: Vec<(String, String)>,
}

impl Secrets {
    fn new(token: &str) -> Self {
        // The token's signature is the part that proves anything: check it alone too, in
        // case a token is logged split or re-encoded around its separators.
        let signature = token.rsplit_once(':').unwrap().1.to_owned();
        let mut forms = Vec::new();
        for (name, s) in [
            ("apisecret", API_SECRET.to_owned()),
            ("token", token.to_owned()),
            ("token signature", signature),
            ("token key", TOKEN_KEY.to_owned()),
        ] {
            forms.push((name.to_owned(), s.clone()));
            forms.push((format!("{name}, percent-encoded"), percent(&s)));
            forms.push((
                format!("{name}, percent-encoded (lower)"),
                percent(&s).to_lowercase(),
            ));
            // tungstenite prints frame payloads in hex.
            forms.push((format!("{name}, hex"), hex(&s)));
            forms.push((format!("{name}, HEX"), hex(&s).to_uppercase()));
            forms.push((
                format!("{name}, Debug of bytes"),
                format!("{:?}", s.as_bytes())
                    .trim_matches(['[', ']'])
                    .to_owned(),
            ));
        }
        forms.sort();
        forms.dedup();
        Self { forms }
    }

    /// Where each secret appears in `text`, in which form, with the line it is on: one
    /// finding per (form, line), so that a report lists every leak, not just the first.
    fn findings(&self, what: &str, text: &str) -> Vec<String> {
        let mut found = Vec::new();
        for line in text.lines() {
            for (name, form) in &self.forms {
                if line.contains(form.as_str()) {
                    let shown: String = line.chars().take(400).collect();
                    found.push(format!("the {name} appears in {what}: {shown}"));
                }
            }
        }
        found
    }
}

fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn hex(s: &str) -> String {
    s.bytes().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The `Debug` and `Display` texts of everything met on the way.
#[derive(Default)]
struct Seen(Vec<(String, String)>);

impl Seen {
    fn debug(&mut self, what: &str, v: &impl std::fmt::Debug) {
        self.0.push((format!("Debug of {what}"), format!("{v:?}")));
        self.0
            .push((format!("pretty Debug of {what}"), format!("{v:#?}")));
    }
    fn error(&mut self, what: &str, e: &(dyn std::error::Error + 'static)) {
        self.0.push((format!("Debug of {what}"), format!("{e:?}")));
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
        let mut depth = 0;
        while let Some(err) = cur {
            self.0.push((
                format!("Display of {what} (source {depth})"),
                err.to_string(),
            ));
            cur = err.source();
            depth += 1;
        }
    }
}

fn janus() -> Janus {
    Janus::builder()
        .api_secret(API_SECRET)
        .token_auth(TOKEN_KEY)
        .launch()
        .unwrap()
}

fn config(url: &str, token: &str) -> ClientConfig {
    ClientConfig::new([url])
        .unwrap()
        .apisecret(API_SECRET)
        .token(token)
        .seed(17)
        .keepalive(KEEPALIVE)
        .request_timeout(WAIT)
        .connect_timeout(Duration::from_secs(3))
}

/// URLs that fail: a closed port (a connect error) on both transports, and on HTTP a path
/// Janus does not serve (an HTTP error status).
fn failing_urls(janus: &Janus) -> [String; 3] {
    let port = closed_port();
    [
        format!("ws://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}/janus"),
        format!("http://127.0.0.1:{}/not-janus", janus.http_port()),
    ]
}

// ---------------------------------------------------------------------------------------
// The sessions: the same scenario through each adapter.

fn blocking_session(janus: &Janus, url: &str, token: &str, seen: &mut Seen) {
    use janus_blocking::Client;
    use janus_blocking::rtc::{PeerConfig, Track};
    let cfg = config(url, token);
    seen.debug("ClientConfig", &cfg);
    let client = Client::connect(cfg).unwrap();
    seen.debug("blocking Client", &client);
    seen.debug("ServerInfo", &client.info().unwrap());
    let session = client.create_session().unwrap();
    seen.debug("blocking Session", &session);
    let mut echo = session.attach(ECHOTEST).unwrap();
    seen.debug("blocking Handle", &echo);
    let reply = echo
        .send(
            &echotest::Configure {
                audio: Some(true),
                ..Default::default()
            },
            None,
        )
        .unwrap();
    seen.debug("PluginReply", &reply);
    let unknown = session.attach("janus.plugin.does-not-exist").unwrap_err();
    seen.error("blocking attach error", &unknown);
    // WebRTC: a data channel to the EchoTest (ICE, DTLS, SCTP on 127.0.0.2).
    echo.add_peer(PeerConfig::default(), janus.media_ip().into())
        .unwrap();
    let offered = echo
        .offer(
            json!({"audio": false, "video": false, "data": true}),
            &[Track::data("echo")],
        )
        .unwrap();
    seen.debug("offer reply", &offered);
    let (label, _) = echo.events().wait_for(WAIT, pick::up_with_data()).unwrap();
    assert_eq!(label, "echo");
    seen.debug("blocking Connection", echo.peer().unwrap());
    thread::sleep(IDLE);
    session.keepalive().unwrap();
    while let Some(ev) = echo.events().try_recv().unwrap() {
        seen.debug("handle event", &ev);
    }
    while let Some(ev) = session.events().try_recv().unwrap() {
        seen.debug("session event", &ev);
    }
    while let Some(ev) = client.events().try_recv().unwrap() {
        seen.debug("client event", &ev);
    }
    echo.hangup().unwrap();
    echo.detach().unwrap();
    session.destroy().unwrap();
    seen.debug("blocking Client at the end", &client);
}

fn blocking_failures(janus: &Janus, token: &str, seen: &mut Seen) {
    use janus_blocking::Client;
    for url in failing_urls(janus) {
        let what = format!("blocking error for {url}");
        match Client::connect(config(&url, token)) {
            Err(e) => seen.error(&what, &e),
            Ok(client) => {
                let e = client.create_session().unwrap_err();
                seen.error(&what, &e);
                while let Some(ev) = client.events().try_recv().unwrap_or(None) {
                    seen.debug("client event after a failure", &ev);
                }
            }
        }
    }
}

async fn tokio_session(janus: &Janus, url: &str, token: &str, seen: &mut Seen) {
    use janus_tokio::Client;
    use janus_tokio::rtc::{PeerConfig, Track};
    let cfg = config(url, token);
    let client = Client::connect(cfg).await.unwrap();
    seen.debug("tokio Client", &client);
    seen.debug("ServerInfo", &client.info().await.unwrap());
    let session = client.create_session().await.unwrap();
    seen.debug("tokio Session", &session);
    let mut echo = session.attach(ECHOTEST).await.unwrap();
    seen.debug("tokio Handle", &echo);
    let reply = echo
        .send(
            &echotest::Configure {
                audio: Some(true),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    seen.debug("PluginReply", &reply);
    let unknown = session
        .attach("janus.plugin.does-not-exist")
        .await
        .unwrap_err();
    seen.error("tokio attach error", &unknown);
    echo.add_peer(PeerConfig::default(), janus.media_ip().into())
        .await
        .unwrap();
    let offered = echo
        .offer(
            json!({"audio": false, "video": false, "data": true}),
            &[Track::data("echo")],
        )
        .await
        .unwrap();
    seen.debug("offer reply", &offered);
    let (label, _) = echo
        .events()
        .wait_for(WAIT, pick::up_with_data())
        .await
        .unwrap();
    assert_eq!(label, "echo");
    seen.debug("tokio Connection", echo.peer().unwrap());
    tokio::time::sleep(IDLE).await;
    session.keepalive().await.unwrap();
    while let Some(ev) = echo.events().try_recv().unwrap() {
        seen.debug("handle event", &ev);
    }
    while let Some(ev) = session.events().try_recv().unwrap() {
        seen.debug("session event", &ev);
    }
    while let Some(ev) = client.events().try_recv().unwrap() {
        seen.debug("client event", &ev);
    }
    echo.hangup().await.unwrap();
    echo.detach().await.unwrap();
    session.destroy().await.unwrap();
    seen.debug("tokio Client at the end", &client);
}

async fn tokio_failures(janus: &Janus, token: &str, seen: &mut Seen) {
    use janus_tokio::Client;
    for url in failing_urls(janus) {
        let what = format!("tokio error for {url}");
        match Client::connect(config(&url, token)).await {
            Err(e) => seen.error(&what, &e),
            Ok(client) => {
                let e = client.create_session().await.unwrap_err();
                seen.error(&what, &e);
                while let Some(ev) = client.events().try_recv().unwrap_or(None) {
                    seen.debug("client event after a failure", &ev);
                }
            }
        }
    }
}

/// Both adapters, both transports, and the failures; returns what was seen.
fn every_session(janus: &Janus, token: &str) -> Seen {
    let mut seen = Seen::default();
    for url in [janus.ws_url(), janus.http_url()] {
        blocking_session(janus, &url, token, &mut seen);
    }
    blocking_failures(janus, token, &mut seen);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let run = async {
            for url in [janus.ws_url(), janus.http_url()] {
                tokio_session(janus, &url, token, &mut seen).await;
            }
            tokio_failures(janus, token, &mut seen).await;
        };
        tokio::time::timeout(Duration::from_secs(120), run)
            .await
            .expect("the tokio sessions end");
    });
    seen
}

#[test]
fn secrets_appear_in_no_log_line_debug_output_or_error_message() {
    capture_everything();
    let janus = janus();
    let token = janus.token(&[ECHOTEST]).unwrap();
    let secrets = Secrets::new(&token);
    let seen = every_session(&janus, &token);

    let mut leaks: Vec<String> = seen
        .0
        .iter()
        .flat_map(|(what, text)| secrets.findings(what, text))
        .collect();
    let log = log_text();
    leaks.extend(secrets.findings("a log line", &log));
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );

    // The capture saw what a user would: our own lines and the dependencies' `log` records,
    // frames and HTTP exchanges included (else the absence above proves nothing).
    let lines = log.lines().count();
    // A line starts `<time> <LEVEL> <target>: ..`; continuation lines of multi-line
    // messages (tungstenite's frame dumps) don't.
    let targets: BTreeSet<&str> = log
        .lines()
        .filter(|l| {
            l.starts_with("20")
                && l.split_whitespace()
                    .nth(1)
                    .is_some_and(|lvl| ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&lvl))
        })
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(|t| t.split("::").next().unwrap_or(t).trim_end_matches(':'))
        .collect();
    eprintln!(
        "{lines} log lines, {} Debug/Display texts checked; targets: {targets:?}",
        seen.0.len()
    );
    for target in [
        "janus_proto",
        "janus_blocking",
        "janus_tokio",
        "tungstenite",
        "reqwest",
    ] {
        assert!(
            targets.contains(target),
            "no line from {target}: {targets:?}"
        );
    }
    assert!(
        log.contains("received frame"),
        "tungstenite's frame lines were captured"
    );
    // The failing requests failed as failures, with their reasons shown.
    let errors = seen
        .0
        .iter()
        .filter(|(w, _)| w.starts_with("Display of") && w.contains("error"))
        .count();
    assert!(errors >= 8, "{errors} error texts");
}

// ---------------------------------------------------------------------------------------
// Sockets: this process's, from /proc.

/// One socket of this process, as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Sock {
    proto: &'static str,
    local: SocketAddr,
    remote: SocketAddr,
}

/// The inodes of this process's sockets (`/proc/self/fd` links `socket:[inode]`).
fn socket_inodes() -> BTreeSet<u64> {
    let mut inodes = BTreeSet::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return inodes;
    };
    for entry in dir.flatten() {
        if let Ok(target) = std::fs::read_link(entry.path()) {
            let t = target.to_string_lossy();
            if let Some(n) = t.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
                if let Ok(n) = n.parse() {
                    inodes.insert(n);
                }
            }
        }
    }
    inodes
}

/// `0100007F:1F90` (IPv4, host byte order per 32-bit word) or 32 hex digits (IPv6).
fn parse_addr(s: &str) -> Option<SocketAddr> {
    let (ip, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(
            u32::from_str_radix(ip, 16).ok()?.swap_bytes(),
        )),
        32 => {
            let mut bytes = [0u8; 16];
            for w in 0..4 {
                let word = u32::from_str_radix(&ip[w * 8..w * 8 + 8], 16).ok()?;
                bytes[w * 4..w * 4 + 4].copy_from_slice(&word.to_le_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// This process's TCP and UDP sockets with their addresses; other sockets of the namespace
/// (Janus's) are left out by inode.
fn our_sockets() -> (BTreeSet<Sock>, usize) {
    let inodes = socket_inodes();
    let mut found = BTreeSet::new();
    let mut matched = 0;
    for (proto, file) in [
        ("tcp", "tcp"),
        ("tcp6", "tcp6"),
        ("udp", "udp"),
        ("udp6", "udp6"),
    ] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/self/net/{file}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(inode)) = (cols.get(1), cols.get(2), cols.get(9))
            else {
                continue;
            };
            let Ok(inode) = inode.parse::<u64>() else {
                continue;
            };
            if !inodes.contains(&inode) {
                continue;
            }
            matched += 1;
            if let (Some(local), Some(remote)) = (parse_addr(local), parse_addr(remote)) {
                found.insert(Sock {
                    proto,
                    local,
                    remote,
                });
            }
        }
    }
    (found, inodes.len().saturating_sub(matched))
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Loopback, or one of the addresses of the project's namespace (`v0`'s, listed by name).
fn is_ours(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    };
    is_loopback(ip) || janus_tests::NAMESPACE_ADDRS.contains(&ip)
}

/// A socket is fine when it is bound to loopback (or an address of the namespace) and talks
/// to one of those or to no one yet (an unconnected UDP socket lists `0.0.0.0:0` as its peer).
fn stays_on_loopback(s: &Sock) -> bool {
    let unconnected = s.remote.ip().is_unspecified() && s.remote.port() == 0;
    is_ours(s.local.ip()) && (unconnected || is_ours(s.remote.ip()))
}

#[test]
fn only_loopback_and_the_namespace_addresses_count_as_staying_home() {
    let sock = |local: &str, remote: &str| Sock {
        proto: "udp",
        local: local.parse().unwrap(),
        remote: remote.parse().unwrap(),
    };
    for fine in [
        sock("127.0.0.2:5000", "0.0.0.0:0"),
        sock("127.0.0.4:5000", "127.0.0.2:20000"),
        sock("[fd00:6a61:6e75::2]:5000", "[::]:0"),
        sock("[::ffff:127.0.0.1]:5000", "[::1]:8188"),
    ] {
        assert!(stays_on_loopback(&fine), "{fine:?}");
    }
    for outside in [
        sock("10.1.2.3:5000", "0.0.0.0:0"),
        sock("127.0.0.2:5000", "10.1.2.3:20000"),
        sock("[fd00:6a61:6e75::3]:5000", "[::]:0"),
        sock("[fd00:6a61:6e75::2]:5000", "[fe80::1]:20000"),
    ] {
        assert!(!stays_on_loopback(&outside), "{outside:?}");
    }
}

#[test]
fn every_socket_the_library_opens_connects_to_loopback() {
    let janus = janus();
    let token = janus.token(&[ECHOTEST]).unwrap();
    let seen: Arc<Mutex<BTreeSet<Sock>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    // Sample this process's sockets while the sessions run (a socket that lives less than
    // a sample period may be missed: the checks below show the sampler saw each kind).
    let sampler = {
        let (seen, done) = (Arc::clone(&seen), Arc::clone(&done));
        thread::spawn(move || {
            let mut samples = 0u64;
            while !done.load(Ordering::Acquire) {
                seen.lock().unwrap().extend(our_sockets().0);
                samples += 1;
                thread::sleep(Duration::from_millis(5));
            }
            samples
        })
    };
    let _ = every_session(&janus, &token);
    let (at_end, _) = our_sockets();
    done.store(true, Ordering::Release);
    let samples = sampler.join().unwrap();
    let mut all = seen.lock().unwrap().clone();
    all.extend(at_end);

    let outside: Vec<&Sock> = all.iter().filter(|s| !stays_on_loopback(s)).collect();
    assert!(outside.is_empty(), "sockets off loopback: {outside:#?}");

    // The sampler saw the library's sockets of every kind: signalling to Janus's WebSocket
    // and HTTP ports on 127.0.0.1, and WebRTC's UDP bound on 127.0.0.2.
    let to_port = |port: u16| {
        all.iter().any(|s| {
            s.proto.starts_with("tcp") && s.remote.port() == port && is_loopback(s.remote.ip())
        })
    };
    assert!(
        to_port(janus.ws_port()),
        "no WebSocket connection seen: {all:#?}"
    );
    assert!(
        to_port(janus.http_port()),
        "no HTTP connection seen: {all:#?}"
    );
    let media = IpAddr::V4(janus.media_ip());
    assert!(
        all.iter()
            .any(|s| s.proto.starts_with("udp") && s.local.ip() == media),
        "no UDP socket on {media}: {all:#?}"
    );
    let (tcp, udp) = all.iter().fold((0, 0), |(t, u), s| {
        if s.proto.starts_with("tcp") {
            (t + 1, u)
        } else {
            (t, u + 1)
        }
    });
    eprintln!("{samples} samples; {tcp} TCP and {udp} UDP sockets seen, all on loopback");
}
