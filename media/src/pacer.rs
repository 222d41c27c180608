//! Pacing frames by their own timestamps, in the caller's time.

use std::time::Instant;

use crate::{Frame, ticks_to_duration};

/// What [`Pacer::poll`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Paced {
    /// This frame is due (at or before `now`): send it, then poll again. Its `rtp_time`
    /// includes the loops so far, so it keeps increasing.
    Frame(Frame),
    /// Nothing is due before this instant: wait until then, then poll again.
    Wait(Instant),
    /// The frames are over (not looping, or no frames).
    End,
}

/// Says which frame is due when, from the frames' RTP times and a start instant.
///
/// Frame `i` is due at `start + (rtp_time[i] - rtp_time[0]) / clock_rate`. With
/// [`looping`](Self::looping), the frames start over after the last one has played (its
/// `rtp_time + duration`), and every timestamp handed out is shifted by the length of the loops
/// before, so a receiver sees one continuous stream.
///
/// It holds the frames in memory (a 3 s VP8 sample at 300 kbit/s is 72 KiB) and never reads the
/// clock: give it `now` in [`poll`](Self::poll). A caller that falls behind gets every overdue
/// frame at once, one per poll; it is never skipped.
#[derive(Debug, Clone)]
pub struct Pacer {
    frames: Vec<Frame>,
    clock_rate: u32,
    start: Instant,
    looping: bool,
    next: usize,
    /// RTP ticks added to the frames of the current loop.
    offset: u64,
}

impl Pacer {
    /// Paces `frames` (in file order) in a `clock_rate` clock (90 000 for video, 48 000 for
    /// Opus), the first one due at `start`.
    pub fn new(frames: Vec<Frame>, clock_rate: u32, start: Instant) -> Self {
        Self {
            frames,
            clock_rate,
            start,
            looping: false,
            next: 0,
            offset: 0,
        }
    }

    /// Starts over after the last frame, for ever (when there is at least one frame).
    pub fn looping(mut self, looping: bool) -> Self {
        self.looping = looping;
        self
    }

    /// The length of one pass in RTP ticks: from the first frame to the end of the last.
    pub fn loop_length(&self) -> u64 {
        match (self.frames.first(), self.frames.last()) {
            (Some(first), Some(last)) => (last.rtp_time + last.duration)
                .saturating_sub(first.rtp_time)
                .max(1),
            _ => 0,
        }
    }

    /// How many loops have started over so far.
    pub fn loops(&self) -> u64 {
        self.offset.checked_div(self.loop_length()).unwrap_or(0)
    }

    /// When the next frame is due, or `None` at the end.
    pub fn next_due(&self) -> Option<Instant> {
        let first = self.frames.first()?;
        let frame = self.frames.get(self.next)?;
        let ticks = frame.rtp_time - first.rtp_time + self.offset;
        Some(self.start + ticks_to_duration(ticks, self.clock_rate))
    }

    /// The frame due at `now`, or when the next one will be.
    pub fn poll(&mut self, now: Instant) -> Paced {
        let Some(due) = self.next_due() else {
            return Paced::End;
        };
        if due > now {
            return Paced::Wait(due);
        }
        let mut frame = self.frames[self.next].clone();
        frame.rtp_time += self.offset;
        self.next += 1;
        if self.next == self.frames.len() && self.looping {
            self.next = 0;
            self.offset += self.loop_length();
        }
        Paced::Frame(frame)
    }
}
