//! What goes in ([`Input`]) and what comes out ([`Output`], [`Transmit`]).

use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

use crate::Event;

/// Something that happened outside the connection, with the instant it happened, for
/// [`PeerConnection::handle_input`](crate::PeerConnection::handle_input).
///
/// The instant of a [`Receive`](Self::Receive) is when the datagram was read, not
/// necessarily now; str0m moves its time forward when it is more recent than the last one.
/// `Debug` prints the length of a datagram, not its bytes.
#[derive(Clone, Copy)]
pub enum Input<'a> {
    /// Time passed: give it at the deadline of the last [`Output::Timeout`] (earlier is
    /// harmless). Due DTMF tones go out on it.
    Timeout(Instant),
    /// A datagram arrived: at, from `source`, on the adapter's socket bound to
    /// `destination`, these bytes.
    Receive(Instant, SocketAddr, SocketAddr, &'a [u8]),
}

impl Input<'_> {
    /// When it happened.
    #[must_use]
    pub fn at(&self) -> Instant {
        match *self {
            Self::Timeout(t) | Self::Receive(t, ..) => t,
        }
    }
}

impl fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout(at) => f.debug_tuple("Timeout").field(at).finish(),
            Self::Receive(at, source, destination, contents) => f
                .debug_struct("Receive")
                .field("at", at)
                .field("source", source)
                .field("destination", destination)
                .field("len", &contents.len())
                .finish(),
        }
    }
}

/// One result of [`PeerConnection::poll_output`](crate::PeerConnection::poll_output).
/// Drain `poll_output` until it returns `Timeout`.
#[derive(Debug)]
#[must_use]
pub enum Output {
    /// A datagram to send.
    Transmit(Transmit),
    /// Something the application hears about.
    Event(Event),
    /// Nothing more now: call `handle_input(Input::Timeout(..))` at this instant, or earlier
    /// when another input arrives. Always the last output of a drain.
    Timeout(Instant),
}

/// A UDP datagram to send from `source` (one of the addresses the adapter bound) to
/// `destination`. `Debug` prints the length, not the bytes.
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub struct Transmit {
    /// The local address to send from.
    pub source: SocketAddr,
    /// Where to.
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: Vec<u8>,
}

impl fmt::Debug for Transmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transmit")
            .field("source", &self.source)
            .field("destination", &self.destination)
            .field("len", &self.contents.len())
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_lengths_not_payloads() {
        let (source, destination) = (
            "10.0.0.1:1000".parse().unwrap(),
            "10.0.0.2:2000".parse().unwrap(),
        );
        let t = Transmit {
            source,
            destination,
            contents: vec![0xAB; 300],
        };
        let shown = format!("{t:?}");
        assert!(
            shown.contains("len: 300") && shown.contains("10.0.0.2:2000"),
            "{shown}"
        );
        // Two bytes in a row: a lone "171" could be a digit run of something else.
        assert!(
            !shown.contains("171, 171"),
            "payload bytes printed: {shown}"
        );
        let bytes = [0xCDu8; 7];
        #[allow(clippy::disallowed_methods)] // any instant will do
        let now = Instant::now();
        let shown = format!("{:?}", Input::Receive(now, source, destination, &bytes));
        assert!(
            // Not a lone "205": the instant's nanoseconds may hold those digits.
            shown.contains("len: 7") && !shown.contains("205, 205"),
            "{shown}"
        );
    }
}

/// How long an adapter's loop waits for a datagram, a call or the deadline of the last
/// [`Output::Timeout`]: the rule both adapters follow.
///
/// A deadline that is already due is honoured at once ([`Pace::wait`] returns `None`: give
/// [`Input::Timeout`] now, drain, ask again), once in a row; when the deadline that follows
/// is due too, the loop waits [`Pace::MIN_WAIT`], so that a connection whose deadline stays
/// in the past cannot spin. Waiting that floor on every due deadline cost 1-2 ms (a timer's
/// tick) each time str0m had work at once, e.g. its first ICE check after the answer.
#[derive(Debug, Default, Clone)]
pub struct Pace {
    hurried: bool,
}

impl Pace {
    /// The shortest wait when the deadline stays due.
    pub const MIN_WAIT: std::time::Duration = std::time::Duration::from_millis(1);

    /// `None`: the deadline is due, handle [`Input::Timeout`] at `now` without waiting;
    /// otherwise how long to wait at most.
    #[must_use]
    pub fn wait(&mut self, deadline: Instant, now: Instant) -> Option<std::time::Duration> {
        if deadline <= now && !self.hurried {
            self.hurried = true;
            return None;
        }
        self.hurried = false;
        Some(deadline.saturating_duration_since(now).max(Self::MIN_WAIT))
    }
}

#[cfg(test)]
mod wake_tests {
    use super::Pace;
    use std::time::{Duration, Instant};

    #[test]
    fn a_due_deadline_is_honoured_at_once_then_the_floor_applies() {
        #[allow(clippy::disallowed_methods)] // any origin will do: no time passes here
        let now = Instant::now();
        let mut wake = Pace::default();
        assert_eq!(wake.wait(now, now), None);
        assert_eq!(wake.wait(now, now), Some(Pace::MIN_WAIT));
        assert_eq!(wake.wait(now, now), None);
        let later = now + Duration::from_millis(20);
        assert_eq!(wake.wait(later, now), Some(Duration::from_millis(20)));
        assert_eq!(
            wake.wait(now + Duration::from_micros(10), now),
            Some(Pace::MIN_WAIT)
        );
    }
}
