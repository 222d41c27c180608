//! `record`: subscribe to a VideoRoom feed or watch a Streaming mountpoint, and write every
//! received track to a file until `--duration` passes, Ctrl-C, or Janus hangs up.
//!
//! Video is written from a keyframe on: the first frames before one are skipped, and a
//! keyframe is asked for (a PLI) when the recording starts and after every gap in the packets
//! (at most twice a second), so that a file never holds frames a decoder cannot start from.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use janus_proto::Event;
use janus_proto::plugin::id::Id;
use janus_proto::plugin::streaming::Watch;
use janus_proto::plugin::videoroom::{JoinSubscriber, SubscribeStream};
use janus_tokio::plugins::{streaming::Viewer, videoroom::Subscriber};
use janus_tokio::rtc::{Event as RtcEvent, HandleEvent, MediaFrame, PeerConfig};
use janus_tokio::{Client, Connection, Handle};

use crate::files::{Recorded, Recording};
use crate::{Error, Result};

/// The least time between two keyframe requests on one track.
const KEYFRAME_EVERY: Duration = Duration::from_millis(500);

/// What to record.
#[derive(Debug, Clone)]
pub enum Source {
    /// A publisher's feed in a VideoRoom room.
    Feed {
        /// The room.
        room: Id,
        /// The publisher.
        feed: Id,
    },
    /// A Streaming mountpoint.
    Mountpoint(Id),
}

/// What to record, where to, how long.
#[derive(Debug, Clone)]
pub struct Options {
    /// The feed or mountpoint.
    pub source: Source,
    /// The folder for the files.
    pub dir: PathBuf,
    /// The local address of our host candidate.
    pub ip: IpAddr,
    /// Stop after this long (after the connection is up).
    pub duration: Option<Duration>,
    /// How long subscribing and connecting may take.
    pub wait: Duration,
}

/// Records until the end and says what each file holds.
pub async fn run(client: &Client, options: &Options) -> Result<Vec<Recorded>> {
    std::fs::create_dir_all(&options.dir).map_err(|error| Error::File {
        path: options.dir.clone(),
        error,
    })?;
    let session = client.create_session().await?;
    let handle = match &options.source {
        Source::Feed { room, feed } => {
            let join =
                JoinSubscriber::to_streams(room.clone(), vec![SubscribeStream::new(feed.clone())]);
            Subscriber::join(&session, options.ip, &join)
                .await?
                .into_handle()
        }
        Source::Mountpoint(id) => {
            let watch = Watch::new(id.clone());
            let (viewer, _) =
                Viewer::watch(&session, PeerConfig::default(), options.ip, &watch).await?;
            viewer.into_handle()
        }
    };
    let recorded = record(&handle, options).await;
    // Whatever the recording's end, leave the server clean; the files are what matters.
    let _ = handle.hangup().await;
    let _ = handle.detach().await;
    let _ = session.destroy().await;
    recorded
}

/// A track being recorded.
#[derive(Debug, Default)]
struct Track {
    recording: Option<Recording>,
    /// A video track waits for a keyframe before its first frame is written.
    started: bool,
    asked: Option<Instant>,
}

async fn record(handle: &Handle, options: &Options) -> Result<Vec<Recorded>> {
    let events = handle.events();
    let peer = handle.peer()?;
    crate::connect::both_up(handle, options.wait).await?;
    let end = options.duration.map(|d| Instant::now() + d);
    let mut tracks: BTreeMap<String, Track> = BTreeMap::new();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let sleep = async {
            match end {
                Some(end) => tokio::time::sleep_until(end.into()).await,
                None => std::future::pending().await,
            }
        };
        let event = tokio::select! {
            () = sleep => break,
            _ = &mut ctrl_c => break,
            e = events.recv() => e?,
        };
        match event {
            HandleEvent::Rtc(RtcEvent::Media(frame)) => {
                let track = tracks.entry(frame.mid.clone()).or_default();
                write(track, &frame, peer, options).await?;
            }
            HandleEvent::Rtc(RtcEvent::Closed) | HandleEvent::Janus(Event::Hangup { .. }) => break,
            _ => {}
        }
    }
    tracks
        .into_values()
        .filter_map(|t| t.recording)
        .map(Recording::finish)
        .collect()
}

async fn write(
    track: &mut Track,
    frame: &MediaFrame,
    peer: &Connection,
    options: &Options,
) -> Result<()> {
    if track.recording.is_none() {
        track.recording = Recording::create(&options.dir, &frame.mid, &frame.codec, &frame.data)?;
    }
    let Some(recording) = &mut track.recording else {
        return Ok(()); // a codec no writer takes: not recorded
    };
    let video = recording.codec().clock_rate() == 90_000;
    let now = Instant::now();
    let wants_keyframe = video && (!track.started && !frame.keyframe || !frame.contiguous);
    if wants_keyframe && track.asked.is_none_or(|at| now - at >= KEYFRAME_EVERY) {
        track.asked = Some(now);
        peer.request_keyframe(&frame.mid).await?;
    }
    if video && !track.started {
        if !frame.keyframe {
            return Ok(());
        }
        track.started = true;
    }
    recording.write(frame.rtp_time, &frame.data)
}
