//! One real Janus process, configured from `tests/config/`, inside the test namespace.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use rustix::process::{Pid, Signal, kill_process_group};
use serde_json::Value;

use crate::config::{JanusBuilder, Placement, write_configs};
use crate::error::{HarnessError, Result};
use crate::http::HttpClient;
use crate::netns::{MEDIA_IP, require_namespace};
use crate::ports::{RtpRange, free_tcp_ports};
use crate::tls::TlsMaterial;
use crate::token::signed_token;

/// Lines of Janus's log shown in errors and when a test panics.
const LOG_TAIL_LINES: usize = 40;
/// How long [`Janus::stop`] waits for a graceful exit before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Interval between readiness probes.
const PROBE_INTERVAL: Duration = Duration::from_millis(50);

/// A real Janus WebRTC Server for one test, demo or benchmark.
///
/// It runs from a config written into its own temporary directory (from the templates in
/// `tests/config/`), with HTTP and WebSocket on free ports of 127.0.0.1, an RTP port range of
/// its own, the Admin API off, and ICE restricted to the namespace's veth `v0`, whose
/// address [`MEDIA_IP`] (127.0.0.2) media sockets must bind.
///
/// Dropping it kills Janus (its whole process group); if the thread is panicking (a failing
/// test) it first prints the tail of Janus's log to stderr and keeps the directory.
///
/// ```no_run
/// # fn main() -> Result<(), janus_tests::HarnessError> {
/// let janus = janus_tests::Janus::builder().session_timeout(20).launch()?;
/// let info = janus.info()?;
/// assert_eq!(info["session-timeout"], 20);
/// println!("{} {}", janus.http_url(), janus.ws_url());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Janus {
    options: JanusBuilder,
    binary: PathBuf,
    version: Option<JanusVersion>,
    dir: PathBuf,
    keep_dir: bool,
    http_port: u16,
    ws_port: u16,
    https_port: u16,
    wss_port: u16,
    admin_ports: (u16, u16),
    rtp: RtpRange,
    tls: Option<(TlsMaterial, PathBuf)>,
    client: HttpClient,
    child: Option<Child>,
    starts: u32,
}

impl Janus {
    /// Options to launch a Janus with.
    pub fn builder() -> JanusBuilder {
        JanusBuilder::new()
    }

    /// Starts a Janus with default options (see [`JanusBuilder`]) and waits until it answers.
    pub fn launch() -> Result<Self> {
        JanusBuilder::new().launch()
    }

    pub(crate) fn launch_with(options: JanusBuilder) -> Result<Self> {
        require_namespace()?;
        if options.every_media_address {
            crate::netns::require_media_addresses()?;
        }
        let binary = match &options.binary {
            Some(path) => given_binary(path, "JanusBuilder::binary")?,
            None => janus_binary()?,
        };
        let lib_dir = janus_lib_dir(&binary)?;
        let dir = make_temp_dir()?;
        let rtp = RtpRange::reserve(options.rtp_ports.div_ceil(100))?;
        let tls = if options.tls {
            let material = TlsMaterial::generate()?;
            let ca_path = dir.join("ca.pem");
            write_file(&ca_path, &material.ca_pem)?;
            write_file(&dir.join("server.pem"), &material.cert_pem)?;
            write_file(&dir.join("server.key"), &material.key_pem)?;
            Some((material, ca_path))
        } else {
            None
        };
        let client = match &tls {
            Some((material, _)) => HttpClient::trusting(&material.ca_pem)?,
            None => HttpClient::new(),
        };
        let mut janus = Self {
            options,
            binary,
            version: None,
            dir,
            keep_dir: false,
            http_port: 0,
            ws_port: 0,
            https_port: 0,
            wss_port: 0,
            admin_ports: (0, 0),
            rtp,
            tls,
            client,
            child: None,
            starts: 0,
        };
        // Another process may grab a port between our probe and Janus's bind: retry with
        // fresh ports when that is what went wrong.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let ports = free_tcp_ports(6)?;
            (janus.http_port, janus.ws_port) = (ports[0], ports[1]);
            (janus.https_port, janus.wss_port) = (ports[2], ports[3]);
            janus.admin_ports = (ports[4], ports[5]);
            janus.write_config(&lib_dir)?;
            match janus.start() {
                Ok(()) => return Ok(janus),
                Err(e) if attempt < 3 && janus.log_tail(200).contains("Address already in use") => {
                    eprintln!("janus-tests: port clash, retrying with new ports: {e}");
                }
                Err(e) => {
                    janus.keep_dir = true; // the error names the log file
                    return Err(e);
                }
            }
        }
    }

    fn write_config(&self, lib_dir: &Path) -> Result<()> {
        let (cert, key) = (self.dir.join("server.pem"), self.dir.join("server.key"));
        write_configs(
            &self.options,
            &Placement {
                configs_folder: &self.config_dir(),
                data_dir: &self.dir,
                lib_dir,
                http_port: self.http_port,
                ws_port: self.ws_port,
                https_port: self.https_port,
                wss_port: self.wss_port,
                admin_ports: self.admin_ports,
                rtp_ports: (self.rtp.first, self.rtp.last),
                cert_paths: self.tls.as_ref().map(|_| (cert.as_path(), key.as_path())),
            },
        )
    }

    /// Starts this (stopped or killed) instance again, with the same config and ports, and
    /// waits until it answers.
    pub fn start(&mut self) -> Result<()> {
        if let Some(pid) = self.pid() {
            return Err(HarnessError::AlreadyRunning { pid });
        }
        require_namespace()?;
        self.starts += 1;
        let log_path = self.log_path();
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| HarnessError::io(format!("opening {}", log_path.display()), e))?;
        let _ = writeln!(log, "=== janus-tests: start #{} ===", self.starts);
        let stderr = log
            .try_clone()
            .map_err(|e| HarnessError::io("duplicating the log file handle", e))?;
        let config = self.config_dir();
        let child = Command::new(&self.binary)
            .arg(format!("--config={}", config.join("janus.jcfg").display()))
            .arg(format!("--configs-folder={}", config.display()))
            .arg("--disable-colors")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .current_dir(&self.dir)
            // Its own process group, so that stop/kill/drop reach everything it started.
            .process_group(0)
            .spawn()
            .map_err(|e| HarnessError::io(format!("starting {}", self.binary.display()), e))?;
        self.child = Some(child);
        self.wait_ready()
    }

    fn wait_ready(&mut self) -> Result<()> {
        self.wait_answering()?;
        // Which Janus answered: `info`'s `version` (e.g. 1102) and `version_string` ("1.1.2").
        let info = self.info()?;
        let version = JanusVersion::from_info(&info).ok_or_else(|| {
            HarnessError::UnexpectedReply(format!(
                "GET /janus/info: no version / version_string in {info}"
            ))
        })?;
        if self.version.is_none() {
            eprintln!(
                "janus-tests: Janus {} ({}) from {}",
                version.string,
                version.number,
                self.binary.display()
            );
        }
        self.version = Some(version);
        Ok(())
    }

    fn wait_answering(&mut self) -> Result<()> {
        let started = Instant::now();
        let timeout = self.options.start_timeout;
        let probe_client = self.client.clone().with_timeout(Duration::from_secs(1));
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(HarnessError::ExitedEarly {
                        status: status.to_string(),
                        log: self.log_path(),
                        tail: self.log_tail(LOG_TAIL_LINES),
                    });
                }
            }
            let last_problem = match self.probe(&probe_client) {
                Ok(()) => return Ok(()),
                Err(problem) => problem,
            };
            if started.elapsed() >= timeout {
                let tail = self.log_tail(LOG_TAIL_LINES);
                self.kill_group();
                return Err(HarnessError::StartTimeout {
                    waited: timeout,
                    last_problem,
                    log: self.log_path(),
                    tail,
                });
            }
            std::thread::sleep(PROBE_INTERVAL);
        }
    }

    /// Ready = `GET /janus/info` answers, and every transport port accepts connections.
    fn probe(&self, client: &HttpClient) -> Result<(), String> {
        let response = client
            .get(&format!("{}/info", self.http_url()))
            .map_err(|e| e.to_string())?;
        if response.status != 200 {
            return Err(format!("GET /janus/info answered {}", response.status));
        }
        let mut ports = vec![self.ws_port];
        if self.tls.is_some() {
            ports.extend([self.https_port, self.wss_port]);
        }
        if self.options.admin_secret.is_some() {
            ports.extend([self.admin_ports.0, self.admin_ports.1]);
        }
        for port in ports {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            TcpStream::connect_timeout(&addr, Duration::from_secs(1))
                .map_err(|e| format!("port {port} not accepting yet: {e}"))?;
        }
        Ok(())
    }

    /// Stops Janus gracefully (SIGTERM, then SIGKILL after 10 s); [`Janus::start`] brings it
    /// back on the same ports.
    pub fn stop(&mut self) -> Result<()> {
        let Some(child) = self.child.as_mut() else {
            return Err(HarnessError::NotRunning);
        };
        if let Some(pid) = Pid::from_raw(i32::try_from(child.id()).unwrap_or(0)) {
            let _ = kill_process_group(pid, Signal::TERM);
        }
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(_)) => {
                    self.kill_group(); // anything left in its group
                    return Ok(());
                }
                Ok(None) => std::thread::sleep(PROBE_INTERVAL),
                Err(e) => return Err(HarnessError::io("waiting for Janus to stop", e)),
            }
        }
        eprintln!("janus-tests: Janus ignored SIGTERM for {STOP_GRACE:?}; sending SIGKILL");
        self.kill_group();
        Ok(())
    }

    /// Kills Janus with SIGKILL (a crash, for fault tests); [`Janus::start`] brings it back.
    pub fn kill(&mut self) -> Result<()> {
        if self.child.is_none() {
            return Err(HarnessError::NotRunning);
        }
        self.kill_group();
        Ok(())
    }

    /// Freezes Janus (SIGSTOP to its process group): it answers nothing, on any socket,
    /// until the returned guard's drop; for tests of what a client does
    /// when the server goes silent without going away.
    pub fn freeze(&self) -> Result<Frozen> {
        let pid = self.group()?;
        kill_process_group(pid, Signal::STOP)
            .map_err(|e| HarnessError::io("SIGSTOP", std::io::Error::from(e)))?;
        Ok(Frozen(pid))
    }

    fn group(&self) -> Result<Pid> {
        let child = self.child.as_ref().ok_or(HarnessError::NotRunning)?;
        Pid::from_raw(i32::try_from(child.id()).unwrap_or(0)).ok_or(HarnessError::NotRunning)
    }

    /// SIGKILL to the whole process group, then reap the child.
    fn kill_group(&mut self) {
        let group = self.group().ok();
        if let Some(mut child) = self.child.take() {
            match group {
                Some(pid) if kill_process_group(pid, Signal::KILL).is_ok() => {}
                _ => {
                    let _ = child.kill();
                }
            }
            let _ = child.wait();
        }
    }

    /// The version of the running Janus, from `info` (`version` and `version_string`), read
    /// when it started: e.g. 1102 / "1.1.2" for Debian's, 1401 / "1.4.1" for the source build.
    pub fn version(&self) -> &JanusVersion {
        self.version
            .as_ref()
            .expect("a launched Janus has answered info with its version")
    }

    /// Whether the running Janus is at least `major.minor.patch`; when it is not, prints
    /// `janus-tests: SKIPPED <test>: <reason>` to stderr (and to the file named by
    /// `JANUS_TESTS_SKIP_LOG`, which `cargo xtask test` prints after each run), so that a test
    /// needing a newer server says so instead of passing silently:
    ///
    /// ```no_run
    /// # let janus = janus_tests::Janus::launch().unwrap();
    /// if !janus.requires((1, 4, 0), "SIP and NoSIP RTP forwarders") {
    ///     return;
    /// }
    /// ```
    pub fn requires(&self, (major, minor, patch): (u32, u32, u32), feature: &str) -> bool {
        let version = self.version();
        if version.at_least(major, minor, patch) {
            return true;
        }
        skip(&format!(
            "{feature} needs Janus >= {major}.{minor}.{patch}, this is {}",
            version.string
        ));
        false
    }

    /// Whether this Janus loaded the plugin `package` (e.g. `janus.plugin.voicemail`, which
    /// Janus 1.4.1 does not ship): its `info` lists it.
    pub fn has_plugin(&self, package: &str) -> Result<bool> {
        Ok(self.info()?["plugins"].get(package).is_some())
    }

    /// The Record&Play plugin's recordings folder (its `path`, in this instance's
    /// directory), also a place for other plugins' recordings (VideoCall, NoSIP).
    pub fn recordings_dir(&self) -> PathBuf {
        self.dir.join("recordings")
    }

    /// The VoiceMail plugin's folder (its `path`), where it writes the messages.
    pub fn voicemail_dir(&self) -> PathBuf {
        self.dir.join("voicemail")
    }

    /// The Janus binary this instance runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Janus's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether Janus is running (reaps it if it has exited on its own).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(None)) => true,
            Some(_) => {
                self.child = None;
                false
            }
            None => false,
        }
    }

    /// The address media sockets must bind (127.0.0.2): Janus's only ICE candidate is there.
    pub fn media_ip(&self) -> Ipv4Addr {
        MEDIA_IP
    }

    /// Janus's RTP port range (first, last), its own among concurrent instances.
    pub fn rtp_port_range(&self) -> (u16, u16) {
        (self.rtp.first, self.rtp.last)
    }

    /// The plain HTTP API root, e.g. `http://127.0.0.1:40123/janus`.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}/janus", self.http_port)
    }

    /// The plain WebSocket URL, e.g. `ws://127.0.0.1:40124/` (subprotocol `janus-protocol`).
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/", self.ws_port)
    }

    /// The Admin API over HTTP, e.g. `http://127.0.0.1:40125/admin`; needs
    /// [`JanusBuilder::admin_api`].
    pub fn admin_http_url(&self) -> Result<String> {
        self.require_admin()?;
        Ok(format!("http://127.0.0.1:{}/admin", self.admin_ports.0))
    }

    /// The Admin API over WebSocket (subprotocol `janus-admin-protocol`); needs
    /// [`JanusBuilder::admin_api`].
    pub fn admin_ws_url(&self) -> Result<String> {
        self.require_admin()?;
        Ok(format!("ws://127.0.0.1:{}/", self.admin_ports.1))
    }

    fn require_admin(&self) -> Result<()> {
        match self.options.admin_secret {
            Some(_) => Ok(()),
            None => Err(HarnessError::NotConfigured(
                "the Admin API (JanusBuilder::admin_api)",
            )),
        }
    }

    /// The HTTPS API root; needs [`JanusBuilder::tls`].
    pub fn https_url(&self) -> Result<String> {
        self.require_tls()?;
        Ok(format!("https://127.0.0.1:{}/janus", self.https_port))
    }

    /// The secure WebSocket URL; needs [`JanusBuilder::tls`].
    pub fn wss_url(&self) -> Result<String> {
        self.require_tls()?;
        Ok(format!("wss://127.0.0.1:{}/", self.wss_port))
    }

    /// PEM of the CA that issued Janus's certificate: what a TLS client must trust.
    pub fn ca_cert_pem(&self) -> Result<&str> {
        Ok(&self.require_tls()?.0.ca_pem)
    }

    /// Path of a file holding [`Janus::ca_cert_pem`].
    pub fn ca_cert_path(&self) -> Result<&Path> {
        Ok(&self.require_tls()?.1)
    }

    fn require_tls(&self) -> Result<&(TlsMaterial, PathBuf)> {
        self.tls.as_ref().ok_or(HarnessError::NotConfigured("TLS"))
    }

    /// The plain HTTP port on 127.0.0.1.
    pub fn http_port(&self) -> u16 {
        self.http_port
    }

    /// The plain WebSocket port on 127.0.0.1.
    pub fn ws_port(&self) -> u16 {
        self.ws_port
    }

    /// A client for this instance's URLs (it trusts the instance's CA when TLS is on).
    pub fn http_client(&self) -> &HttpClient {
        &self.client
    }

    /// `GET /janus/info`, parsed; fails unless Janus answers `server_info`.
    pub fn info(&self) -> Result<Value> {
        let response = self.client.get(&format!("{}/info", self.http_url()))?;
        let info = response.json()?;
        if response.status != 200 || info["janus"] != "server_info" {
            return Err(HarnessError::UnexpectedReply(format!(
                "GET /janus/info: status {}, body {}",
                response.status, response.body
            )));
        }
        Ok(info)
    }

    /// POSTs a JSON request to the plain HTTP API: `path` is appended to [`Janus::http_url`]
    /// (`""` for `/janus`, `"/<session>"`, `"/<session>/<handle>"`). Returns Janus's JSON reply,
    /// whatever its `janus` field (so tests can check errors).
    pub fn api_post(&self, path: &str, request: &Value) -> Result<Value> {
        let response = self
            .client
            .post_json(&format!("{}{path}", self.http_url()), request)?;
        response.json()
    }

    /// The configured `api_secret`.
    pub fn api_secret(&self) -> Option<&str> {
        self.options.api_secret.as_deref()
    }

    /// A token valid for one hour that may attach to `plugins` (packages such as
    /// `janus.plugin.echotest`); needs [`JanusBuilder::token_auth`].
    pub fn token(&self, plugins: &[&str]) -> Result<String> {
        let secret = self
            .options
            .token_auth_secret
            .as_deref()
            .ok_or(HarnessError::NotConfigured("token auth"))?;
        Ok(signed_token(
            secret,
            SystemTime::now() + Duration::from_secs(3600),
            plugins,
        ))
    }

    /// The options this instance was launched with.
    pub fn options(&self) -> &JanusBuilder {
        &self.options
    }

    /// The folder holding the rendered config files.
    pub fn config_dir(&self) -> PathBuf {
        self.dir.join("etc")
    }

    /// Janus's log (stdout and stderr of every start, appended).
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("janus.log")
    }

    /// The last `lines` lines of Janus's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Janus {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.keep_dir = true;
            eprintln!(
                "---- janus-tests: last {LOG_TAIL_LINES} lines of {} ----\n{}\n---- end of Janus log (config kept in {}) ----",
                self.log_path().display(),
                self.log_tail(LOG_TAIL_LINES),
                self.config_dir().display(),
            );
        }
        self.kill_group();
        if !self.keep_dir {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A Janus version as `info` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct JanusVersion {
    /// `version`: major * 1000 + minor * 100 + patch, e.g. 1102 or 1401.
    pub number: u64,
    /// `version_string`, e.g. "1.1.2" or "1.4.1".
    pub string: String,
}

impl JanusVersion {
    /// Reads `version` and `version_string` of an `info` reply.
    pub fn from_info(info: &Value) -> Option<Self> {
        Some(Self {
            number: info["version"].as_u64()?,
            string: info["version_string"].as_str()?.to_owned(),
        })
    }

    /// (major, minor, patch), from `version_string` when it parses, else from `version`.
    pub fn triple(&self) -> (u32, u32, u32) {
        let mut parts = self
            .string
            .split(|c: char| !c.is_ascii_digit())
            .map(str::parse::<u32>);
        if let (Some(Ok(major)), Some(Ok(minor)), Some(Ok(patch))) =
            (parts.next(), parts.next(), parts.next())
        {
            return (major, minor, patch);
        }
        let n = u32::try_from(self.number).unwrap_or(u32::MAX);
        (n / 1000, n / 100 % 10, n % 100)
    }

    /// Whether this is `major.minor.patch` or newer.
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        self.triple() >= (major, minor, patch)
    }
}

/// Reports a skipped test (or part of one) where it cannot be missed: stderr, plus a line in
/// the file named by `JANUS_TESTS_SKIP_LOG` when set (`cargo xtask test` sets it and prints
/// the file after each run). The test name comes from the thread name (libtest and nextest
/// name the test's thread after it).
pub fn skip(reason: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_owned();
    let line = format!("janus-tests: SKIPPED {test}: {reason}");
    eprintln!("{line}");
    if let Some(path) = std::env::var_os("JANUS_TESTS_SKIP_LOG") {
        if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(file, "{line}");
        }
    }
}

/// The Janus binary the harness runs when the builder names none: `JANUS_BINARY` when set
/// (e.g. the 1.4.1 source build, `cargo xtask janus-1.4` prints its path), else the `janus`
/// on PATH, else `/usr/bin/janus`.
pub fn janus_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("JANUS_BINARY").filter(|p| !p.is_empty()) {
        return given_binary(Path::new(&path), "JANUS_BINARY");
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("janus"))
            .find(|p| p.is_file())
    });
    on_path
        .or_else(|| Some(PathBuf::from("/usr/bin/janus")).filter(|p| p.is_file()))
        .ok_or(HarnessError::JanusNotFound)
}

fn given_binary(path: &Path, source_name: &'static str) -> Result<PathBuf> {
    if path.is_file() {
        Ok(path.to_owned())
    } else {
        Err(HarnessError::BinaryMissing {
            path: path.to_owned(),
            source_name,
        })
    }
}

/// The folder holding Janus's `plugins`, `transports`, `events` and `loggers` folders: for a
/// binary at `<prefix>/bin/janus` with a prefix other than `/usr` (a source build), that
/// prefix's own `lib/janus`, nothing else; for Debian's, the system folder.
fn janus_lib_dir(binary: &Path) -> Result<PathBuf> {
    let binary = binary.canonicalize().unwrap_or_else(|_| binary.to_owned());
    let prefix = binary.parent().and_then(Path::parent);
    if let Some(prefix) = prefix.filter(|p| *p != Path::new("/usr") && *p != Path::new("/")) {
        let own = prefix.join("lib/janus");
        if own.join("plugins").is_dir() && own.join("transports").is_dir() {
            return Ok(own);
        }
        return Err(HarnessError::LibDirNotFound {
            binary,
            expected: own,
        });
    }
    let mut candidates = vec![
        PathBuf::from("/usr/lib/x86_64-linux-gnu/janus"),
        PathBuf::from("/usr/lib/aarch64-linux-gnu/janus"),
        PathBuf::from("/usr/lib/janus"),
        PathBuf::from("/usr/local/lib/janus"),
        PathBuf::from("/opt/janus/lib/janus"),
    ];
    if let Ok(entries) = fs::read_dir("/usr/lib") {
        candidates.extend(entries.flatten().map(|e| e.path().join("janus")));
    }
    candidates
        .into_iter()
        .find(|dir| dir.join("plugins").is_dir() && dir.join("transports").is_dir())
        .ok_or(HarnessError::JanusNotFound)
}

pub(crate) fn make_temp_dir() -> Result<PathBuf> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "janus-tests-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(dir.join("etc"))
        .map_err(|e| HarnessError::io(format!("creating {}", dir.display()), e))?;
    Ok(dir)
}

fn write_file(path: &Path, contents: &str) -> Result<()> {
    let mut file = File::create(path)
        .map_err(|e| HarnessError::io(format!("creating {}", path.display()), e))?;
    file.write_all(contents.as_bytes())
        .map_err(|e| HarnessError::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_reads_info_and_compares() {
        let old = JanusVersion::from_info(&serde_json::json!({
            "version": 1102, "version_string": "1.1.2"
        }))
        .expect("both fields");
        let new = JanusVersion::from_info(&serde_json::json!({
            "version": 1401, "version_string": "1.4.1"
        }))
        .expect("both fields");
        assert_eq!((old.triple(), new.triple()), ((1, 1, 2), (1, 4, 1)));
        assert!(new.at_least(1, 4, 0) && !old.at_least(1, 2, 0) && old.at_least(1, 1, 2));
        let odd = JanusVersion {
            number: 1401,
            string: "git".to_owned(),
        };
        assert_eq!(odd.triple(), (1, 4, 1), "falls back to the number");
        assert!(JanusVersion::from_info(&serde_json::json!({"version": 1})).is_none());
    }
}

/// A frozen Janus ([`Janus::freeze`]), thawed (SIGCONT) on drop.
#[derive(Debug)]
pub struct Frozen(Pid);

impl Drop for Frozen {
    fn drop(&mut self) {
        let _ = kill_process_group(self.0, Signal::CONT);
    }
}
