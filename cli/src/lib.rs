//! `janusctl`, the command-line tool of janus-rs for Janus WebRTC Server operators, as a
//! library: each command is a module whose `run` the binary calls, so that other programs (the
//! workspace's demo among them) run the same code.
//!
//! | command | module | what it does |
//! |---|---|---|
//! | `info URL` | [`info`] | the server's `info` as a table, or `--json` |
//! | `echotest URL` | [`echotest`] | a live WebRTC EchoTest with real media: a line per second, a verdict, the exit code |
//! | `publish URL --room R FILES..` | [`publish`] | publish IVF and Ogg Opus files into a VideoRoom (or the EchoTest) |
//! | `record URL --room R --feed F DIR` | [`record`] | record a feed (or `--mountpoint M` of the Streaming plugin) to IVF and Ogg Opus files |
//! | `load URL` | [`load`] | sessions x handles at a rate, WebRTC calls beside them; latency percentiles, errors, events, CPU |
//! | `completions SHELL` | (clap_complete) | a shell completion script |
//!
//! Built on the tokio adapter (`janus-tokio`) and `janus-media`; the flags are in [`args`],
//! connecting from them in [`connect`].

pub mod args;
pub mod connect;
pub mod echotest;
pub mod files;
pub mod info;
pub mod load;
pub mod publish;
pub mod record;

/// What can stop a command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),
    /// The call went wrong on the way (Janus hung up, the connection closed).
    #[error("{0}")]
    Run(String),
    /// The client failed (connect, request, WebRTC).
    #[error(transparent)]
    Client(#[from] janus_tokio::Error),
    /// A media file could not be read or written.
    #[error("media: {0}")]
    Media(#[from] janus_media::Error),
    /// A file or folder could not be opened or written.
    #[error("{path}: {error}")]
    File {
        /// The path.
        path: std::path::PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
}

/// A command's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
