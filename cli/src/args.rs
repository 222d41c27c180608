//! The command line: every command, its flags and their help, for clap.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use janus_proto::Secret;

/// A command-line tool for Janus WebRTC Server operators.
///
/// Every command takes the server as a URL (ws://, wss://, http:// or https://); several URLs
/// separated by commas are tried in order (fail-over). Credentials come from flags or from the
/// environment and are never printed.
#[derive(Debug, Parser)]
#[command(
    name = "janusctl",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// More output on stderr: -v warnings and the client's decisions, -vv every message (tracing).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// What janusctl can do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The server's info: version, transports, plugins, timeouts.
    Info(InfoArgs),
    /// A live WebRTC EchoTest with real media: the diagnostic of a Janus deployment.
    ///
    /// Connects, offers audio (Opus), video (VP8) and a data channel to the EchoTest plugin,
    /// sends the sample media (or your files), and prints a line per second: data-channel round
    /// trip, received bitrate, frames echoed, Janus's `media` and `slowlink` events. Ends with a
    /// verdict; the exit code is non-zero when anything failed.
    Echotest(EchotestArgs),
    /// Joins a VideoRoom (or the EchoTest) and publishes media files, audio and video together.
    Publish(PublishArgs),
    /// Subscribes to a VideoRoom feed (or watches a Streaming mountpoint) and writes what it
    /// receives to files: IVF or H.264 Annex B for video, Ogg Opus for audio.
    Record(RecordArgs),
    /// A load test: sessions with handles at a given rate, optionally WebRTC EchoTest calls
    /// with media; latency percentiles, errors by kind, events seen, client CPU.
    Load(LoadArgs),
    /// Prints a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// How to reach the server: shared by every command that talks to Janus.
#[derive(Debug, Clone, Args)]
pub struct Server {
    /// The Janus server: ws://host:8188, http://host:8088/janus, wss://, https://; a
    /// comma-separated list is tried in order.
    #[arg(value_name = "URL")]
    pub url: String,
    /// A token for servers with token auth (`token_auth`).
    #[arg(long, env = "JANUS_TOKEN", hide_env_values = true, value_parser = secret)]
    pub token: Option<Secret>,
    /// The API secret for servers with `api_secret` set.
    #[arg(long, env = "JANUS_APISECRET", hide_env_values = true, value_parser = secret)]
    pub apisecret: Option<Secret>,
    /// How long a request may take before it fails (e.g. 10s, 500ms).
    #[arg(long, default_value = "10s", value_parser = duration)]
    pub timeout: Duration,
}

impl Server {
    /// The servers of the list, in order.
    pub fn urls(&self) -> Vec<&str> {
        self.url
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect()
    }
}

/// Where our media goes from: the local address of the WebRTC host candidate.
#[derive(Debug, Clone, Args)]
pub struct Media {
    /// The local IP address to send and receive media on (default: the address that routes
    /// to the first server).
    #[arg(long)]
    pub ip: Option<IpAddr>,
}

/// `info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// The server.
    #[command(flatten)]
    pub server: Server,
    /// Print the reply as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `echotest`.
#[derive(Debug, Args)]
pub struct EchotestArgs {
    /// The server.
    #[command(flatten)]
    pub server: Server,
    /// The media address.
    #[command(flatten)]
    pub media: Media,
    /// How long to send media.
    #[arg(long, default_value = "5s", value_parser = duration)]
    pub duration: Duration,
    /// Sequential data-channel round trips timed before the media starts.
    #[arg(long, default_value_t = 100)]
    pub pings: u32,
    /// An Opus file (Ogg) to send instead of the built-in sample.
    #[arg(long, value_name = "FILE")]
    pub audio: Option<PathBuf>,
    /// A VP8 file (IVF) to send instead of the built-in sample.
    #[arg(long, value_name = "FILE")]
    pub video: Option<PathBuf>,
    /// Print the report as JSON (the per-second lines too) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The server.
    #[command(flatten)]
    pub server: Server,
    /// The media address.
    #[command(flatten)]
    pub media: Media,
    /// The VideoRoom room to join (a number, or a string for rooms with string ids).
    #[arg(long, conflicts_with = "echotest")]
    pub room: Option<String>,
    /// Publish to the EchoTest instead of a room (and count what comes back).
    #[arg(long)]
    pub echotest: bool,
    /// The display name in the room.
    #[arg(long, default_value = "janusctl")]
    pub display: String,
    /// The media files: Ogg Opus, IVF (VP8, VP9, AV1) and H.264 Annex B, at most one audio and
    /// one video file.
    #[arg(value_name = "FILES", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// The frame rate of an H.264 Annex B file (the format has no timestamps).
    #[arg(long, default_value_t = 30)]
    pub fps: u32,
    /// Start the files over at their end.
    #[arg(long = "loop")]
    pub looping: bool,
    /// Stop after this long (default: when the files end, or never with --loop).
    #[arg(long, value_parser = duration)]
    pub duration: Option<Duration>,
}

/// `record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The server.
    #[command(flatten)]
    pub server: Server,
    /// The media address.
    #[command(flatten)]
    pub media: Media,
    /// The VideoRoom room of the feed.
    #[arg(long, requires = "feed", conflicts_with = "mountpoint")]
    pub room: Option<String>,
    /// The feed (publisher id) to record; with --room.
    #[arg(long, requires = "room")]
    pub feed: Option<String>,
    /// A Streaming mountpoint to record instead of a VideoRoom feed.
    #[arg(long)]
    pub mountpoint: Option<String>,
    /// The folder to write into (created if missing): one file per track, `video-<mid>.ivf`
    /// (VP8, VP9, AV1), `video-<mid>.h264` or `audio-<mid>.opus`.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Stop after this long (default: on Ctrl-C or when the feed ends).
    #[arg(long, value_parser = duration)]
    pub duration: Option<Duration>,
}

/// `load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// The server.
    #[command(flatten)]
    pub server: Server,
    /// The media address (for --webrtc).
    #[command(flatten)]
    pub media: Media,
    /// Sessions to create.
    #[arg(long, default_value_t = 100)]
    pub sessions: u32,
    /// Handles (EchoTest) to attach in each session.
    #[arg(long, default_value_t = 1)]
    pub handles: u32,
    /// New sessions per second.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// WebRTC EchoTest calls with media, beside the sessions.
    #[arg(long, default_value_t = 0)]
    pub webrtc: u32,
    /// The test stops by itself after this long, whatever is left.
    #[arg(long, default_value = "30s", value_parser = duration)]
    pub duration: Duration,
    /// How long to hold everything open once created (keepalives and media run meanwhile).
    #[arg(long, default_value = "2s", value_parser = duration)]
    pub hold: Duration,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

fn secret(s: &str) -> Result<Secret, String> {
    if s.is_empty() {
        return Err("empty".into());
    }
    Ok(Secret::new(s))
}

/// `1.5s`, `500ms`, `2m`, `90` (seconds).
pub fn duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{s:?}: a number with a unit (ms, s, m, h)"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("{s:?}: the unit is one of ms, s, m, h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{s:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_their_units() {
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("7"), Ok(Duration::from_secs(7)));
        assert!(duration("7 parsecs").is_err());
        assert!(duration("-1s").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn secrets_from_flags_do_not_show_in_debug_output() {
        let cli = Cli::try_parse_from([
            "janusctl",
            "info",
            "ws://127.0.0.1:8188,http://127.0.0.1:8088/janus",
            "--token",
            "hunter2",
            "--apisecret",
            "sesame",
        ])
        .expect("parses");
        let shown = format!("{cli:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("sesame"),
            "{shown}"
        );
        let Command::Info(info) = cli.command else {
            panic!("info")
        };
        assert_eq!(info.server.urls().len(), 2);
        assert_eq!(
            info.server.token.map(|t| t.expose().to_owned()).as_deref(),
            Some("hunter2")
        );
    }
}
