//! Deadlines as pure data: a timer table and an exponential backoff, both fed with
//! `now` (firezone's `backoff.rs` lesson: a backoff with its own clock fights the caller's).

use std::collections::{BTreeMap, BTreeSet};
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

/// Deadlines by timer, in the style of quinn-proto's `TimerTable`: the table remembers each
/// timer's instant, so callers keep no copy of it. Each timer is set at most once; setting it
/// again moves it.
///
/// Both maps are ordered (no hash order can leak into what fires first): `at` answers "when
/// is this timer due", `order` answers "what is due first"; ties fire in `Timer` order.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    at: BTreeMap<Timer, Instant>,
    order: BTreeSet<(Instant, Timer)>,
}

impl Timers {
    /// Sets `timer` to fire at `at`, moving it if it was set.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(old) = self.at.insert(timer.clone(), at) {
            self.order.remove(&(old, timer.clone()));
        }
        self.order.insert((at, timer));
    }

    /// Stops `timer` (a no-op if it is not set). Returns when it would have fired.
    pub(crate) fn stop(&mut self, timer: &Timer) -> Option<Instant> {
        let at = self.at.remove(timer)?;
        self.order.remove(&(at, timer.clone()));
        Some(at)
    }

    /// When `timer` fires, if it is set.
    // The client itself only asks for `next()` so far; `get` is the table's answer to "when",
    // which the tests (and any new caller tempted to keep a copy of a deadline) use.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn get(&self, timer: &Timer) -> Option<Instant> {
        self.at.get(timer).copied()
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.order.first().map(|(at, _)| *at)
    }

    /// Removes and returns a timer due at `now`, earliest first.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Timer> {
        if self.order.first().is_some_and(|(at, _)| *at <= now) {
            let (_, timer) = self.order.pop_first()?;
            self.at.remove(&timer);
            Some(timer)
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

    /// Any instant will do: the table never reads the clock, the tests need one to start from.
    #[allow(clippy::disallowed_methods)]
    fn epoch() -> Instant {
        Instant::now()
    }

    fn tx(s: &str) -> Timer {
        Timer::Request(TransactionId::from(s))
    }

    fn drain(t: &mut Timers, now: Instant) -> Vec<Timer> {
        std::iter::from_fn(|| t.pop_due(now)).collect()
    }

    #[test]
    fn set_remembers_the_instant() {
        let t0 = epoch();
        let mut t = Timers::default();
        assert_eq!((t.next(), t.get(&Timer::Reconnect)), (None, None));
        t.set(Timer::Reconnect, t0 + Duration::from_secs(3));
        t.set(Timer::Connect, t0 + Duration::from_secs(1));
        assert_eq!(t.get(&Timer::Reconnect), Some(t0 + Duration::from_secs(3)));
        assert_eq!(t.get(&Timer::Connect), Some(t0 + Duration::from_secs(1)));
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(1)));
    }

    #[test]
    fn set_again_moves_the_timer() {
        let t0 = epoch();
        let mut t = Timers::default();
        t.set(Timer::Keepalive(SessionId(1)), t0 + Duration::from_secs(1));
        t.set(Timer::Keepalive(SessionId(1)), t0 + Duration::from_secs(5));
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(5)));
        assert_eq!(drain(&mut t, t0 + Duration::from_secs(4)), []);
        // Moved earlier too: no trace of the later instant stays behind.
        t.set(Timer::Keepalive(SessionId(1)), t0 + Duration::from_secs(2));
        assert_eq!(
            drain(&mut t, t0 + Duration::from_secs(9)),
            [Timer::Keepalive(SessionId(1))]
        );
        assert_eq!(t.next(), None);
    }

    #[test]
    fn stop_removes_and_tolerates_unset() {
        let t0 = epoch();
        let mut t = Timers::default();
        t.set(tx("a"), t0 + Duration::from_secs(1));
        t.set(tx("b"), t0 + Duration::from_secs(2));
        assert_eq!(t.stop(&tx("a")), Some(t0 + Duration::from_secs(1)));
        assert_eq!(t.stop(&tx("a")), None);
        assert_eq!(t.stop(&Timer::Connect), None);
        assert_eq!(t.get(&tx("a")), None);
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(2)));
        assert_eq!(drain(&mut t, t0 + Duration::from_secs(9)), [tx("b")]);
    }

    #[test]
    fn pop_due_goes_earliest_first_and_only_when_due() {
        let t0 = epoch();
        let mut t = Timers::default();
        t.set(Timer::Reconnect, t0 + Duration::from_secs(3));
        t.set(Timer::PollRetry(SessionId(7)), t0 + Duration::from_secs(1));
        t.set(tx("x"), t0 + Duration::from_secs(2));
        assert_eq!(t.pop_due(t0), None);
        assert_eq!(
            drain(&mut t, t0 + Duration::from_secs(2)),
            [Timer::PollRetry(SessionId(7)), tx("x")]
        );
        // A popped timer is no longer set.
        assert_eq!(t.get(&tx("x")), None);
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(3)));
        assert_eq!(
            drain(&mut t, t0 + Duration::from_secs(3)),
            [Timer::Reconnect]
        );
        assert_eq!(t.next(), None);
    }

    #[test]
    fn ties_fire_in_timer_order_whatever_the_order_they_were_set_in() {
        let t0 = epoch();
        let at = t0 + Duration::from_secs(1);
        let all = [
            tx("b"),
            tx("a"),
            Timer::Connect,
            Timer::Keepalive(SessionId(2)),
            Timer::Reconnect,
            Timer::Keepalive(SessionId(1)),
            Timer::PollRetry(SessionId(1)),
        ];
        let mut expected = all.to_vec();
        expected.sort();
        for rotation in 0..all.len() {
            let mut t = Timers::default();
            for timer in all.iter().cycle().skip(rotation).take(all.len()) {
                t.set(timer.clone(), at);
            }
            assert_eq!(drain(&mut t, at), expected);
        }
    }
}
