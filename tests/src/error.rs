//! The harness's error type.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong while running a Janus for a test.
///
/// The messages say what to do: which command to run, and the tail of Janus's log when Janus
/// itself failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// The `janus` binary is not installed.
    #[error(
        "the `janus` binary was found neither on PATH nor at /usr/bin/janus: \
         run `cargo xtask install` (or `apt-get install -y janus`)"
    )]
    JanusNotFound,

    /// `JANUS_BINARY` (or [`crate::JanusBuilder::binary`]) names a file that is not there.
    #[error(
        "the Janus binary {path} (from {source_name}) does not exist: for Janus 1.4.1 run \
         `cargo xtask janus-1.4`, which builds it and prints its path"
    )]
    BinaryMissing {
        /// The path given.
        path: PathBuf,
        /// Where it came from: `JANUS_BINARY` or the builder.
        source_name: &'static str,
    },

    /// A Janus built from source lacks its own plugins and transports folders.
    #[error(
        "no plugins and transports folders for {binary}: expected {expected}/plugins and \
         {expected}/transports (a source build installs them under <prefix>/lib/janus; the \
         plugins of another Janus version do not load into it)"
    )]
    LibDirNotFound {
        /// The Janus binary.
        binary: PathBuf,
        /// The folder looked for.
        expected: PathBuf,
    },

    /// The process is not inside the test network namespace.
    #[error(
        "not inside the janus-tests network namespace ({reason}). Janus never offers loopback \
         ICE candidates, so tests run Janus in a private namespace whose veth `v0` carries \
         127.0.0.2: run the tests with `cargo xtask test`, or any command with \
         `cargo xtask netns -- <cmd>` (e.g. `cargo xtask netns -- cargo nextest run -p janus-tests`)"
    )]
    NotInNamespace {
        /// What the check found.
        reason: String,
    },

    /// A file-system or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What the harness was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// Janus exited while the harness waited for it to answer.
    #[error("Janus exited during startup ({status}); tail of {log}:\n{tail}")]
    ExitedEarly {
        /// The exit status, as printed by std.
        status: String,
        /// Janus's log file.
        log: PathBuf,
        /// The last lines of that log.
        tail: String,
    },

    /// Janus kept running but did not answer in time.
    #[error(
        "Janus did not become ready within {waited:?} (last problem: {last_problem}); \
         tail of {log}:\n{tail}"
    )]
    StartTimeout {
        /// How long the harness waited.
        waited: Duration,
        /// The last failed readiness probe.
        last_problem: String,
        /// Janus's log file.
        log: PathBuf,
        /// The last lines of that log.
        tail: String,
    },

    /// `start()` on an instance that is already running.
    #[error("Janus is already running (pid {pid})")]
    AlreadyRunning {
        /// Its process id.
        pid: u32,
    },

    /// An operation that needs a running Janus on a stopped one.
    #[error("Janus is not running")]
    NotRunning,

    /// An option the call relies on was not configured (e.g. TLS URLs without TLS).
    #[error("{0} is not enabled on this Janus instance (see JanusBuilder)")]
    NotConfigured(&'static str),

    /// The harness's HTTP or WebSocket client failed.
    #[error("{method} {url}: {reason}")]
    Http {
        /// `GET`, `POST` or `WebSocket`.
        method: &'static str,
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },

    /// A body that should have been JSON was not.
    #[error("invalid JSON ({source}) in: {body}")]
    Json {
        /// The parse error.
        #[source]
        source: serde_json::Error,
        /// The offending body (truncated).
        body: String,
    },

    /// A reply parsed, but is not what Janus should send.
    #[error("unexpected reply from Janus: {0}")]
    UnexpectedReply(String),

    /// Generating the TLS certificates failed.
    #[error("generating the TLS certificates failed: {0}")]
    Certificate(#[from] rcgen::Error),

    /// Setting up a TLS client failed.
    #[error("TLS setup failed: {0}")]
    Tls(String),

    /// A config template has a placeholder the harness does not know.
    #[error("config template {template} still holds a placeholder after rendering: {snippet}")]
    Template {
        /// The template's file name.
        template: &'static str,
        /// The unfilled placeholder's line.
        snippet: String,
    },

    /// All RTP port ranges are in use by other instances.
    #[error("no free RTP port range left (all {slots} slots under {dir} are taken)")]
    NoPortRange {
        /// How many slots exist.
        slots: u16,
        /// Where the slot files live.
        dir: PathBuf,
    },
}

impl HarnessError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// The harness's result type.
pub type Result<T, E = HarnessError> = std::result::Result<T, E>;
