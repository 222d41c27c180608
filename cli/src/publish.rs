//! `publish`: join a VideoRoom as a publisher and send media files, paced by their own
//! timestamps, until they end, `--duration` passes, or Ctrl-C.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use janus_media::Schedule;
use janus_proto::Event;
use janus_proto::plugin::id::Id;
use janus_proto::plugin::videoroom::JoinPublisher;
use janus_tokio::plugins::videoroom::Publisher;
use janus_tokio::rtc::{Event as RtcEvent, HandleEvent, Track, TrackKind};
use janus_tokio::{Client, Connection};

use crate::files::Sources;
use crate::{Error, Result};

/// A room id as typed: a number, else a string (rooms of a plugin with `string_ids`).
pub fn room_id(s: &str) -> Id {
    s.parse::<u64>().map_or_else(|_| Id::from(s), Id::from)
}

/// What to publish where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The room.
    pub room: Id,
    /// Our display name.
    pub display: String,
    /// The local address of our host candidate.
    pub ip: IpAddr,
    /// Start the files over at their end.
    pub looping: bool,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// How long joining and connecting may take.
    pub wait: Duration,
}

/// What was sent.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Published {
    /// Our feed id in the room (what `record --feed` takes).
    pub feed: String,
    /// Audio frames sent.
    pub audio_frames: u64,
    /// Video frames sent.
    pub video_frames: u64,
    /// How long, s.
    pub seconds: f64,
}

/// Joins, publishes, and sends until the end; `joined` hears the feed id as soon as it is
/// known (before the media), so that a caller can print it for a recorder to use.
pub async fn run(
    client: &Client,
    options: &Options,
    sources: Sources,
    joined: impl FnOnce(&Id),
) -> Result<Published> {
    if sources.audio.is_none() && sources.video.is_none() {
        return Err(Error::Usage("nothing to publish".into()));
    }
    let session = client.create_session().await?;
    let mut join = JoinPublisher::new(options.room.clone());
    join.display = Some(options.display.clone());
    let mut tracks = Vec::new();
    if sources.audio.is_some() {
        tracks.push(Track::audio());
    }
    if sources.video.is_some() {
        tracks.push(Track::video());
    }
    let publisher = Publisher::join_and_publish(&session, options.ip, &join, &tracks).await?;
    let feed = publisher.joined().id.clone();
    joined(&feed);
    let handle = publisher.handle();
    crate::connect::both_up(handle, options.wait).await?;
    let peer = handle.peer()?;
    let mids = Mids::of(peer).await?;
    if let Some(video) = &sources.video {
        check_codec(peer, &mids.video, video.codec.sdp_name()).await?;
    }
    let mut published = send(peer, handle.events(), &mids, sources, options).await?;
    published.feed = feed.to_string();
    publisher.unpublish().await?;
    publisher.leave().await?;
    publisher.into_handle().detach().await?;
    session.destroy().await?;
    Ok(published)
}

/// The mids of our audio and video tracks.
struct Mids {
    audio: String,
    video: String,
}

impl Mids {
    async fn of(peer: &Connection) -> Result<Self> {
        let tracks = peer.local_tracks().await?;
        let mid = |kind| {
            tracks
                .iter()
                .find(|t| t.kind == kind)
                .map_or_else(String::new, |t| t.mid.clone())
        };
        Ok(Self {
            audio: mid(TrackKind::Audio),
            video: mid(TrackKind::Video),
        })
    }
}

/// The room decides the video codec (its `videocodec`): a file in another one cannot go.
async fn check_codec(peer: &Connection, mid: &str, file: &str) -> Result<()> {
    let mid = mid.to_owned();
    let negotiated = peer.call(move |pc, _| pc.send_codec(&mid)).await?;
    match negotiated {
        Some((name, _)) if name.eq_ignore_ascii_case(file) => Ok(()),
        Some((name, _)) => Err(Error::Usage(format!(
            "the room takes {name} video, the file is {file}"
        ))),
        None => Err(Error::Usage("the room accepted no video".into())),
    }
}

async fn send(
    peer: &Connection,
    events: &janus_tokio::Events<HandleEvent>,
    mids: &Mids,
    sources: Sources,
    options: &Options,
) -> Result<Published> {
    let start = Instant::now();
    let end = options.duration.map(|d| start + d);
    let mut schedule = Schedule::new(start);
    if let Some(audio) = sources.audio {
        schedule = schedule.track(TrackKind::Audio, audio, options.looping);
    }
    if let Some(video) = sources.video {
        schedule = schedule.track(TrackKind::Video, video, options.looping);
    }
    let mut published = Published::default();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let now = Instant::now();
        if end.is_some_and(|end| now >= end) {
            break;
        }
        let (due, next) = schedule.due(now);
        for (kind, frame) in due {
            let (mid, count) = match kind {
                TrackKind::Audio => (&mids.audio, &mut published.audio_frames),
                _ => (&mids.video, &mut published.video_frames),
            };
            if peer.write_frame(mid, frame.rtp_time, &frame.data).await? {
                *count += 1;
            }
        }
        let Some(next) = next else {
            break; // the files ended
        };
        let wake = end.map_or(next, |end| end.min(next));
        tokio::select! {
            () = tokio::time::sleep_until(wake.into()) => {}
            _ = &mut ctrl_c => break,
            e = events.recv() => match e? {
                HandleEvent::Rtc(RtcEvent::Closed) => {
                    return Err(Error::Run("the connection closed".into()));
                }
                HandleEvent::Janus(Event::Hangup { reason, .. }) => {
                    return Err(Error::Run(format!("Janus hung up: {}", reason.unwrap_or_default())));
                }
                _ => {}
            },
        }
    }
    published.seconds = start.elapsed().as_secs_f64();
    Ok(published)
}
