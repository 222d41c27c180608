//! What goes in ([`Input`]) and what comes out ([`Output`], [`Transmit`]).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
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
    /// Something happened on a TCP stream the connection asked for
    /// ([`Output::Stream`]): at, what.
    Stream(Instant, StreamEvent<'a>),
}

impl Input<'_> {
    /// When it happened.
    #[must_use]
    pub fn at(&self) -> Instant {
        match *self {
            Self::Timeout(t) | Self::Receive(t, ..) | Self::Stream(t, _) => t,
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
            Self::Stream(at, event) => f.debug_tuple("Stream").field(at).field(event).finish(),
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
    /// Something to do with a TCP stream (TURN over TCP or TLS): open one, write on it,
    /// close it.
    Stream(StreamCommand),
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

/// A TCP stream the connection asked the adapter for ([`StreamCommand::Connect`]), named
/// by the connection, unique within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(pub u32);

/// What the connection asks of the adapter's TCP streams (TURN servers reached over TCP or
/// TLS; the bytes, TLS records included, are the core's). `Debug` prints lengths, not bytes.
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub enum StreamCommand {
    /// Open a TCP connection from `local` (any port) to `host`:`port`, resolving `host`
    /// when it is a name (to an address of `local`'s family), and answer
    /// [`StreamEvent::Connected`] or [`StreamEvent::Closed`]. Giving up in time is the
    /// connection's: it closes the stream when the connect takes too long.
    Connect {
        /// The stream's name.
        stream: StreamId,
        /// The local address to connect from.
        local: IpAddr,
        /// The server: an IP literal or a name.
        host: String,
        /// The server's port.
        port: u16,
    },
    /// Write these bytes on the stream, after what was written before.
    Write {
        /// The stream.
        stream: StreamId,
        /// The bytes.
        contents: Vec<u8>,
    },
    /// Close the stream once what was written is sent; nothing more is read from it.
    Close(StreamId),
}

impl fmt::Debug for StreamCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect {
                stream,
                local,
                host,
                port,
            } => f
                .debug_struct("Connect")
                .field("stream", stream)
                .field("local", local)
                .field("host", host)
                .field("port", port)
                .finish(),
            Self::Write { stream, contents } => f
                .debug_struct("Write")
                .field("stream", stream)
                .field("len", &contents.len())
                .finish(),
            Self::Close(stream) => f.debug_tuple("Close").field(stream).finish(),
        }
    }
}

/// What happened on one of the streams ([`Input::Stream`]). `Debug` prints lengths, not
/// bytes.
#[derive(Clone, Copy)]
pub enum StreamEvent<'a> {
    /// The stream connected: our end is `local`, the server's `remote`.
    Connected {
        /// The stream.
        stream: StreamId,
        /// Our end.
        local: SocketAddr,
        /// The server's end.
        remote: SocketAddr,
    },
    /// Bytes read from the stream, in order (split anywhere).
    Data {
        /// The stream.
        stream: StreamId,
        /// The bytes.
        contents: &'a [u8],
    },
    /// The stream did not connect, or it ended (closed by the server, or an error).
    Closed(StreamId),
}

impl fmt::Debug for StreamEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connected {
                stream,
                local,
                remote,
            } => f
                .debug_struct("Connected")
                .field("stream", stream)
                .field("local", local)
                .field("remote", remote)
                .finish(),
            Self::Data { stream, contents } => f
                .debug_struct("Data")
                .field("stream", stream)
                .field("len", &contents.len())
                .finish(),
            Self::Closed(stream) => f.debug_tuple("Closed").field(stream).finish(),
        }
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
