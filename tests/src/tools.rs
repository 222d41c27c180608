//! The media tools the recording tests check files with: `janus-pp-rec` (Debian's
//! `janus-tools`) converts a Janus `.mjr` recording to a file `ffprobe` (Debian's `ffmpeg`)
//! reads. Both are installed by `cargo xtask install` and `.ci/run`; a missing one is an
//! error that says so, never a skip.

use std::path::Path;
use std::process::Command;

use crate::error::{HarnessError, Result};

/// What `ffprobe` says of a media file.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The container's format names (e.g. `ogg`, `matroska,webm`).
    pub format: String,
    /// Its duration, seconds.
    pub duration: f64,
    /// The codec of each stream (e.g. `opus`, `vp8`).
    pub codecs: Vec<String>,
}

fn run(tool: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(tool).args(args).output().map_err(|e| {
        HarnessError::io(
            format!("running {tool} (missing? `cargo xtask install` installs it)"),
            e,
        )
    })?;
    if !out.status.success() {
        return Err(HarnessError::io(
            format!(
                "{tool} {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            std::io::Error::other("non-zero exit"),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Converts the `.mjr` recording `mjr` to `out` (its extension picks the container:
/// `.opus` for Opus audio, `.webm` for VP8 video) with `janus-pp-rec`.
pub fn pp_rec(mjr: &Path, out: &Path) -> Result<()> {
    let (mjr, out) = (mjr.display().to_string(), out.display().to_string());
    run("janus-pp-rec", &[&mjr, &out]).map(drop)
}

/// Reads a media file with `ffprobe`: its format, duration and streams' codecs.
pub fn ffprobe(path: &Path) -> Result<Probe> {
    let path = path.display().to_string();
    let text = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "format=format_name,duration:stream=codec_name",
            "-of",
            "default=noprint_wrappers=1",
            &path,
        ],
    )?;
    let mut probe = Probe {
        format: String::new(),
        duration: 0.0,
        codecs: Vec::new(),
    };
    for line in text.lines() {
        match line.split_once('=') {
            Some(("format_name", v)) => v.clone_into(&mut probe.format),
            Some(("duration", v)) => probe.duration = v.trim().parse().unwrap_or(0.0),
            Some(("codec_name", v)) => probe.codecs.push(v.to_owned()),
            _ => {}
        }
    }
    Ok(probe)
}
