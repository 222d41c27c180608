//! Deadlines as pure data: an ordered timer set and an exponential backoff, both fed with
//! `now` (firezone's `backoff.rs` lesson: a backoff with its own clock fights the caller's).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::id::{SessionId, TransactionId};

/// What a deadline is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Timer {
    /// A request's reply (or event after ack) is due.
    Request(TransactionId),
    /// A session's WebSocket keepalive is due.
    Keepalive(SessionId),
    /// A session's long poll is to be retried.
    PollRetry(SessionId),
    /// The next reconnect round starts.
    Reconnect,
    /// Opening the WebSocket takes too long.
    Connect,
}

/// Deadlines ordered by time; the owner of each timer remembers its instant so that it can
/// be moved or removed in O(log n).
#[derive(Debug, Default)]
pub(crate) struct Timers {
    set: BTreeSet<(Instant, Timer)>,
}

impl Timers {
    /// Moves `timer` from `old` (if set) to `new` (if any).
    pub(crate) fn set(&mut self, timer: Timer, old: Option<Instant>, new: Option<Instant>) {
        if let Some(at) = old {
            self.set.remove(&(at, timer.clone()));
        }
        if let Some(at) = new {
            self.set.insert((at, timer));
        }
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.set.first().map(|(at, _)| *at)
    }

    /// Removes and returns a timer due at `now`, earliest first.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Timer> {
        if self.set.first().is_some_and(|(at, _)| *at <= now) {
            self.set.pop_first().map(|(_, t)| t)
        } else {
            None
        }
    }
}

/// Exponential backoff without a clock: `delay(n)` is the pause before attempt `n + 1`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(initial: Duration, max: Duration) -> Self {
        Self { initial, max }
    }

    pub(crate) fn delay(self, attempt: u32) -> Duration {
        self.initial
            .saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX))
            .min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let b = Backoff::new(Duration::from_millis(250), Duration::from_secs(2));
        let d: Vec<_> = (0..6).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(d, [250, 500, 1000, 2000, 2000, 2000]);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(2));
    }
}
