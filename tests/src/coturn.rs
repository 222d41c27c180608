//! A real STUN/TURN server for the `iceServers` tests: coturn's `turnserver` (Debian's
//! `coturn`, installed by `cargo xtask install` and `.ci/run`), run by the harness inside the
//! test namespace on its own address, [`TURN_IP`] (127.0.0.3 on the veth `v0`, beside 127.0.0.2), with one
//! long-term credential. It answers STUN Bindings (server-reflexive candidates) and TURN
//! Allocates over UDP, TCP (the same port) and TLS (a port of its own, a certificate for
//! [`TURN_IP`] from a private CA made for the run: [`Coturn::ca_pem`]), relaying UDP from
//! [`TURN_IP`]; loopback peers are allowed (Janus is on 127.0.0.2), DTLS and TCP relaying are
//! off, and nothing is read from `/etc`: an empty config file and a user database of its own,
//! in a temporary folder with its log. Killed on drop.

use std::fs;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{HarnessError, Result};
use crate::netns::{TURN_IP, require_turn_address};
use crate::tls::TlsMaterial;

/// The realm of the long-term credential.
pub const REALM: &str = "janus-rs.test";

/// A running coturn; killed on drop.
#[derive(Debug)]
pub struct Coturn {
    child: Option<Child>,
    dir: PathBuf,
    addr: SocketAddr,
    tls_port: u16,
    ca_pem: String,
    username: String,
    password: String,
}

/// A port the OS gives on [`TURN_IP`] (free now; coturn binds it next).
fn free_port(bind: impl FnOnce() -> std::io::Result<SocketAddr>) -> Result<u16> {
    bind()
        .map(|a| a.port())
        .map_err(|e| HarnessError::io(format!("binding {TURN_IP}:0"), e))
}

fn failed(context: String) -> HarnessError {
    HarnessError::io(context, std::io::Error::other("coturn"))
}

impl Coturn {
    /// Starts coturn on a free UDP port of [`TURN_IP`] with the user `username` and its
    /// `password`; returns once it listens.
    pub fn start(username: &str, password: &str) -> Result<Self> {
        require_turn_address()?;
        let dir = crate::janus::make_temp_dir()?;
        let config = dir.join("turnserver.conf");
        fs::write(&config, "# every setting is on the command line\n")
            .map_err(|e| HarnessError::io(format!("writing {}", config.display()), e))?;
        let port = free_port(|| UdpSocket::bind((TURN_IP, 0)).and_then(|s| s.local_addr()))?;
        let tls_port = free_port(|| TcpListener::bind((TURN_IP, 0)).and_then(|s| s.local_addr()))?;
        let material = TlsMaterial::generate_for(&TURN_IP.to_string())?;
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        for (file, pem) in [(&cert, &material.cert_pem), (&key, &material.key_pem)] {
            fs::write(file, pem)
                .map_err(|e| HarnessError::io(format!("writing {}", file.display()), e))?;
        }
        let path = |name: &str| dir.join(name).display().to_string();
        let ip = TURN_IP.to_string();
        let mut command = Command::new("turnserver");
        command
            .args(["-c", &path("turnserver.conf")])
            .args(["--listening-ip", &ip, "--relay-ip", &ip])
            .args(["--listening-port", &port.to_string()])
            .args(["--tls-listening-port", &tls_port.to_string()])
            .args(["--cert", &path("cert.pem"), "--pkey", &path("key.pem")])
            .args(["--lt-cred-mech", "--realm", REALM])
            .args(["--user", &format!("{username}:{password}")])
            .args(["--userdb", &path("turndb")])
            .args(["--pidfile", &path("turnserver.pid")])
            .args(["--log-file", &path("turnserver.log"), "--simple-log"])
            .args(["--allow-loopback-peers", "--no-multicast-peers"])
            .args(["--no-dtls", "--no-cli"])
            .args(["--no-tcp-relay", "--fingerprint", "--verbose"]);
        let stdout = fs::File::create(dir.join("stdout"))
            .map_err(|e| HarnessError::io("creating coturn's stdout file", e))?;
        let stderr = stdout
            .try_clone()
            .map_err(|e| HarnessError::io("sharing coturn's stdout file", e))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(|e| {
                HarnessError::io(
                    "running turnserver (missing? `cargo xtask install` installs coturn)",
                    e,
                )
            })?;
        let coturn = Self {
            child: Some(child),
            dir,
            addr: SocketAddr::from((TURN_IP, port)),
            tls_port,
            ca_pem: material.ca_pem,
            username: username.to_owned(),
            password: password.to_owned(),
        };
        coturn.wait_bound(Duration::from_secs(10))?;
        Ok(coturn)
    }

    /// Waits until coturn's UDP port is bound and its TCP and TLS ports listen (seen in
    /// `/proc/net/udp` and `/proc/net/tcp`).
    fn wait_bound(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        // /proc/net/* show the address as little-endian hex, then the port.
        let [a, b, c, d] = TURN_IP.octets();
        let local = |port: u16| format!("{d:02X}{c:02X}{b:02X}{a:02X}:{port:04X}");
        let has = |table: &str, port: u16| {
            let table = fs::read_to_string(table).unwrap_or_default();
            table
                .lines()
                .skip(1)
                .any(|line| line.split_whitespace().nth(1) == Some(local(port).as_str()))
        };
        loop {
            if has("/proc/net/udp", self.addr.port())
                && has("/proc/net/tcp", self.addr.port())
                && has("/proc/net/tcp", self.tls_port)
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(failed(format!(
                    "coturn did not bind {} in {timeout:?}\n{}",
                    self.addr,
                    self.report()
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Where coturn takes STUN and TURN (UDP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its `stun:` URL.
    pub fn stun_url(&self) -> String {
        format!("stun:{}", self.addr)
    }

    /// Its `turn:` URL (UDP).
    pub fn turn_url(&self) -> String {
        format!("turn:{}?transport=udp", self.addr)
    }

    /// Its `turn:` URL over TCP.
    pub fn turn_tcp_url(&self) -> String {
        format!("turn:{}?transport=tcp", self.addr)
    }

    /// Its `turns:` URL (TLS, a certificate for [`TURN_IP`]).
    pub fn turns_url(&self) -> String {
        format!("turns:{TURN_IP}:{}", self.tls_port)
    }

    /// The CA that issued its TLS certificate, PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The username it knows.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// That user's password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// coturn's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("turnserver.log")).unwrap_or_default()
    }

    /// The tail of coturn's log and output, for a failure message.
    pub fn report(&self) -> String {
        let tail = |name: &str| {
            let text = fs::read_to_string(self.dir.join(name)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().rev().take(60).collect();
            lines.into_iter().rev().collect::<Vec<_>>().join("\n")
        };
        format!(
            "---- coturn's log ----\n{}\n---- coturn's output ----\n{}\n---- end ({}) ----",
            tail("turnserver.log"),
            tail("stdout"),
            self.dir.display()
        )
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}
