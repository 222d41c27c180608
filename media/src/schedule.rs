//! Several tracks paced together: what a sender of audio and video writes when.

use std::time::{Duration, Instant};

use crate::{Frame, Paced, Pacer};

/// One [`Pacer`] per track, polled together: [`due`](Self::due) hands out every frame due at
/// `now`, tagged with its track's key, and says when the next one is.
///
/// ```
/// use std::time::Instant;
/// use janus_media::{MediaFile, Schedule};
///
/// let audio = MediaFile::read(&include_bytes!("../samples/audio.opus")[..])?;
/// let video = MediaFile::read(&include_bytes!("../samples/video.ivf")[..])?;
/// let start = Instant::now(); // the schedule never reads the clock
/// let mut schedule = Schedule::new(start)
///     .track("audio", audio, false)
///     .track("video", video, false);
/// let (due, next) = schedule.due(start);
/// assert_eq!(due.iter().map(|(k, _)| *k).collect::<Vec<_>>(), ["audio", "video"]);
/// assert!(next.is_some_and(|at| at > start));
/// # Ok::<(), janus_media::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Schedule<K> {
    start: Instant,
    tracks: Vec<(K, Pacer)>,
}

impl<K: Clone> Schedule<K> {
    /// No tracks yet; every track's first frame is due at `start`.
    pub fn new(start: Instant) -> Self {
        Self {
            start,
            tracks: Vec::new(),
        }
    }

    /// Adds a file's frames as the track `key`, starting over after the end when `looping`.
    pub fn track(mut self, key: K, file: crate::MediaFile, looping: bool) -> Self {
        let pacer = Pacer::new(file.frames, file.codec.clock_rate(), self.start).looping(looping);
        self.tracks.push((key, pacer));
        self
    }

    /// Every frame due at `now` (in track order, then time), and when the next one will be
    /// (`None` when every track has ended).
    pub fn due(&mut self, now: Instant) -> (Vec<(K, Frame)>, Option<Instant>) {
        let mut frames = Vec::new();
        let mut next: Option<Instant> = None;
        for (key, pacer) in &mut self.tracks {
            loop {
                match pacer.poll(now) {
                    Paced::Frame(f) => frames.push((key.clone(), f)),
                    Paced::Wait(at) => {
                        next = Some(next.map_or(at, |n| n.min(at)));
                        break;
                    }
                    Paced::End => break,
                }
            }
        }
        (frames, next)
    }

    /// Whether every track has ended (never, while one loops).
    pub fn is_done(&self) -> bool {
        self.tracks.iter().all(|(_, p)| p.next_due().is_none())
    }

    /// How long after the start the next frame is due, if any.
    pub fn next_offset(&self) -> Option<Duration> {
        self.tracks
            .iter()
            .filter_map(|(_, p)| p.next_due())
            .min()
            .map(|at| at - self.start)
    }
}
