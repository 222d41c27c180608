//! A real SIP peer for the SIP plugin's tests: `sipp` (Debian's `sip-tester`, installed by
//! `cargo xtask install` and `.ci/run`), run by the harness on the namespace's media address
//! with a scenario of `tests/sipp/`: a registrar, a callee, a caller. Its media port echoes
//! every RTP packet back (`-rtp_echo`), so a call's audio comes back to where it came from.
//!
//! A scenario reports what it saw as `key=value` lines in its log (the contact a user
//! registered, the DTMF digits of SIP INFO, a MESSAGE's text, a re-INVITE's direction);
//! [`Sipp::wait_logged`] reads them. [`Sipp::finish`] waits for sipp to end and is `Ok`
//! only when its scenario ran to the end (sipp's exit code 0).

use std::fs;
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{HarnessError, Result};
use crate::netns::MEDIA_IP;

const REGISTRAR: &str = include_str!("../sipp/registrar.xml");
const ANSWER: &str = include_str!("../sipp/answer.xml");
const SERVE: &str = include_str!("../sipp/serve.part.xml");
const HANGUP: &str = include_str!("../sipp/hangup.part.xml");
const CALL: &str = include_str!("../sipp/call.xml");
const ANSWERED: &str = include_str!("../sipp/answered.part.xml");
const WAIT_BYE: &str = include_str!("../sipp/wait_bye.part.xml");
const CALLER_BYE: &str = include_str!("../sipp/caller_bye.part.xml");
const REFUSED: &str = include_str!("../sipp/refused.part.xml");

/// What sipp does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scenario {
    /// A registrar for one user: a digest challenge, then 200 for the right password and
    /// 403 for a wrong one. Logs `contact=<host:port>`.
    Registrar {
        /// The user it knows.
        user: String,
        /// Its password.
        password: String,
    },
    /// A callee that answers and serves the call (INFO, MESSAGE, re-INVITE: 200) until the
    /// caller's BYE. Logs `dtmf=`, `message=` and `direction=` lines.
    Answer,
    /// A callee that answers, then hangs up itself after this long.
    AnswerThenHangUp(Duration),
    /// A caller whose call is answered; it then waits for the callee's BYE.
    Call,
    /// A caller whose call is answered; it hangs up itself after this long.
    CallThenHangUp(Duration),
    /// A caller whose call must be refused with this status code.
    CallRefused(u16),
}

impl Scenario {
    /// The scenario file's text.
    fn xml(&self) -> String {
        let ms = |d: &Duration| d.as_millis().to_string();
        match self {
            Self::Registrar { user, password } => REGISTRAR
                .replace("{{USER}}", user)
                .replace("{{PASSWORD}}", password),
            Self::Answer => ANSWER.replace("{{AFTER_ACK}}", SERVE),
            Self::AnswerThenHangUp(after) => ANSWER.replace(
                "{{AFTER_ACK}}",
                &HANGUP.replace("{{HANGUP_AFTER_MS}}", &ms(after)),
            ),
            Self::Call => CALL.replace("{{OUTCOME}}", &format!("{ANSWERED}{WAIT_BYE}")),
            Self::CallThenHangUp(after) => CALL.replace(
                "{{OUTCOME}}",
                &format!(
                    "{ANSWERED}{}",
                    CALLER_BYE.replace("{{HANGUP_AFTER_MS}}", &ms(after))
                ),
            ),
            Self::CallRefused(code) => CALL.replace(
                "{{OUTCOME}}",
                &REFUSED.replace("{{CODE}}", &code.to_string()),
            ),
        }
    }
}

/// A running sipp; killed on drop.
#[derive(Debug)]
pub struct Sipp {
    child: Option<Child>,
    dir: PathBuf,
    sip: SocketAddr,
    media: SocketAddr,
}

/// A free UDP port on the media address (bound, then released).
fn free_udp_port() -> Result<u16> {
    let socket = UdpSocket::bind((MEDIA_IP, 0))
        .map_err(|e| HarnessError::io(format!("binding {MEDIA_IP}:0"), e))?;
    socket
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| HarnessError::io("reading a bound port", e))
}

fn failed(context: String) -> HarnessError {
    HarnessError::io(context, std::io::Error::other("sipp"))
}

impl Sipp {
    /// Starts a server scenario (registrar, callee) listening on the media address.
    pub fn serve(scenario: Scenario) -> Result<Self> {
        Self::start(&scenario, None)
    }

    /// Starts a client scenario (a caller) towards `target`, calling `user` there.
    pub fn call(scenario: Scenario, target: SocketAddr, user: &str) -> Result<Self> {
        Self::start(&scenario, Some((target, user)))
    }

    fn start(scenario: &Scenario, target: Option<(SocketAddr, &str)>) -> Result<Self> {
        let dir = crate::janus::make_temp_dir()?;
        let file = dir.join("scenario.xml");
        fs::write(&file, scenario.xml())
            .map_err(|e| HarnessError::io(format!("writing {}", file.display()), e))?;
        let sip = SocketAddr::from((MEDIA_IP, free_udp_port()?));
        // sipp echoes on the media port and the one two above it (video): an even port
        // with both free enough; a clash shows as sipp failing to start.
        let media = SocketAddr::from((MEDIA_IP, free_udp_port()? & !1));
        let path = |name: &str| dir.join(name).display().to_string();
        let mut command = Command::new("sipp");
        command
            .arg("-sf")
            .arg(&file)
            .args(["-i", &MEDIA_IP.to_string(), "-p", &sip.port().to_string()])
            .args([
                "-mi",
                &MEDIA_IP.to_string(),
                "-mp",
                &media.port().to_string(),
            ])
            .args(["-rtp_echo", "-m", "1", "-nostdin"])
            .args(["-trace_logs", "-log_file", &path("log")])
            .args(["-trace_err", "-error_file", &path("errors")])
            .args(["-trace_msg", "-message_file", &path("messages")])
            // Nothing may hang a test: sipp gives up on its own after a minute.
            .args(["-timeout", "60s", "-timeout_error"]);
        if let Some((target, user)) = target {
            command.arg(target.to_string()).args(["-s", user]);
        }
        let stdout = fs::File::create(dir.join("screen"))
            .map_err(|e| HarnessError::io("creating sipp's screen file", e))?;
        let stderr = stdout
            .try_clone()
            .map_err(|e| HarnessError::io("sharing sipp's screen file", e))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(|e| {
                HarnessError::io(
                    "running sipp (missing? `cargo xtask install` installs it)",
                    e,
                )
            })?;
        let sipp = Self {
            child: Some(child),
            dir,
            sip,
            media,
        };
        // A request that reaches the port before sipp binds it is refused (ICMP), and the
        // SIP stack gives up at once: wait until sipp listens.
        sipp.wait_bound(Duration::from_secs(10))?;
        Ok(sipp)
    }

    /// Waits until sipp's SIP port is bound (seen in `/proc/net/udp`), or fails with its
    /// report if sipp ended or the time ran out.
    fn wait_bound(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let port = format!(":{:04X}", self.sip.port());
        loop {
            let table = fs::read_to_string("/proc/net/udp").unwrap_or_default();
            let bound = table.lines().skip(1).any(|line| {
                line.split_whitespace()
                    .nth(1)
                    .is_some_and(|local| local.ends_with(&port))
            });
            if bound {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(failed(format!(
                    "sipp did not bind {} in {timeout:?}\n{}",
                    self.sip,
                    self.report()
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Where sipp takes SIP (UDP).
    pub fn addr(&self) -> SocketAddr {
        self.sip
    }

    /// Where sipp takes (and echoes) RTP.
    pub fn media_addr(&self) -> SocketAddr {
        self.media
    }

    /// A SIP URI of `user` at this sipp, e.g. `sip:bob@127.0.0.2:40000`.
    pub fn uri(&self, user: &str) -> String {
        format!("sip:{user}@{}", self.sip)
    }

    /// The values of the scenario's `key=value` log lines so far, in order.
    pub fn logged(&self, key: &str) -> Vec<String> {
        let log = fs::read_to_string(self.dir.join("log")).unwrap_or_default();
        let prefix = format!("{key}=");
        log.lines()
            .filter_map(|l| l.trim().strip_prefix(&prefix))
            .map(str::to_owned)
            .collect()
    }

    /// Waits (up to `timeout`) until the log has `count` lines of `key`; returns them.
    pub fn wait_logged(&self, key: &str, count: usize, timeout: Duration) -> Result<Vec<String>> {
        let deadline = Instant::now() + timeout;
        loop {
            let values = self.logged(key);
            if values.len() >= count {
                return Ok(values);
            }
            if Instant::now() >= deadline {
                return Err(failed(format!(
                    "sipp logged {} `{key}=` of {count} in {timeout:?}: {values:?}\n{}",
                    values.len(),
                    self.report()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (up to `timeout`) for sipp to end; `Ok` when its scenario ran to its end.
    pub fn finish(mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let Some(child) = self.child.as_mut() else {
            return Ok(());
        };
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    return Err(failed(format!(
                        "sipp ended with {status}\n{}",
                        self.report()
                    )));
                }
                Ok(None) if Instant::now() >= deadline => {
                    return Err(failed(format!(
                        "sipp still running after {timeout:?}\n{}",
                        self.report()
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(HarnessError::io("waiting for sipp", e)),
            }
        }
    }

    /// sipp's errors and the SIP messages it traced, for a failure message.
    pub fn report(&self) -> String {
        let read = |name: &str| fs::read_to_string(self.dir.join(name)).unwrap_or_default();
        let messages = read("messages");
        let tail: Vec<&str> = messages.lines().rev().take(120).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "---- sipp's screen ----\n{}\n---- sipp errors ----\n{}\n---- last SIP messages sipp traced ----\n{}\n---- end ({}) ----",
            read("screen")
                .lines()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n"),
            read("errors"),
            tail.join("\n"),
            self.dir.display()
        )
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}
