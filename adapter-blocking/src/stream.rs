//! The TCP streams a connection asks for (TURN over TCP or TLS, `janus_rtc::StreamCommand`),
//! non-blocking in the media thread's `mio` poll: connected from the local address asked
//! for (`socket2`: std cannot bind before it connects), read until they would block, written
//! from a bounded buffer. The bytes (TLS records included) are the core's; this moves them
//! and tells the connection what happened (`janus_rtc::StreamEvent`).

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Instant;

use janus_rtc::{HandleConnection, Input, StreamCommand, StreamEvent, StreamId};
use mio::{Interest, Registry, Token};
use tracing::debug;

/// Bytes waiting for a stream; a stream whose server reads slower than this is closed
/// (reported [`StreamEvent::Closed`]) rather than buffered without bound: a TLS record
/// cannot be dropped without breaking the session.
const WRITE_BYTES: usize = 1 << 20;

struct Stream {
    id: StreamId,
    tcp: mio::net::TcpStream,
    connected: bool,
    out: VecDeque<u8>,
}

/// A connection's streams, registered with its poll from `first` on.
pub(crate) struct Streams {
    open: Vec<Stream>,
    first: usize,
    next: usize,
}

impl Streams {
    /// Streams whose poll tokens start at `first` (above every other token of the poll).
    pub(crate) fn new(first: usize) -> Self {
        Self {
            open: Vec::new(),
            first,
            next: 0,
        }
    }

    /// Does what the connection asks; a stream that cannot be made is reported closed.
    pub(crate) fn command(
        &mut self,
        command: StreamCommand,
        registry: &Registry,
        hc: &mut HandleConnection,
    ) {
        match command {
            StreamCommand::Connect {
                stream,
                local,
                host,
                port,
            } => match connect(local, &host, port) {
                Ok(mut tcp) => {
                    let token = Token(self.first + self.next);
                    self.next += 1;
                    match registry.register(
                        &mut tcp,
                        token,
                        Interest::READABLE | Interest::WRITABLE,
                    ) {
                        Ok(()) => self.open.push(Stream {
                            id: stream,
                            tcp,
                            connected: false,
                            out: VecDeque::new(),
                        }),
                        Err(e) => closed(hc, stream, &e),
                    }
                }
                Err(e) => closed(hc, stream, &e),
            },
            StreamCommand::Write { stream, contents } => {
                let Some(i) = self.open.iter().position(|s| s.id == stream) else {
                    return;
                };
                let s = &mut self.open[i];
                if s.out.len() + contents.len() > WRITE_BYTES {
                    let e = std::io::Error::other("writes full");
                    self.drop_at(i, registry);
                    return closed(hc, stream, &e);
                }
                s.out.extend(contents);
                if s.connected && write_out(s).is_err() {
                    let e = std::io::Error::other("write failed");
                    self.drop_at(i, registry);
                    closed(hc, stream, &e);
                }
            }
            StreamCommand::Close(stream) => {
                if let Some(i) = self.open.iter().position(|s| s.id == stream) {
                    // What is written and still held goes out if it can at once.
                    let _ = write_out(&mut self.open[i]);
                    self.drop_at(i, registry);
                }
            }
        }
    }

    /// After a wake-up: connects that completed, what arrived, and what can be written.
    pub(crate) fn pump(&mut self, registry: &Registry, hc: &mut HandleConnection, buf: &mut [u8]) {
        let mut i = 0;
        while i < self.open.len() {
            if self.pump_one(i, hc, buf) {
                i += 1;
            } else {
                let id = self.open[i].id;
                self.drop_at(i, registry);
                let _ = hc.handle_input(Input::Stream(Instant::now(), StreamEvent::Closed(id)));
            }
        }
    }

    /// `false` when the stream failed or ended.
    fn pump_one(&mut self, i: usize, hc: &mut HandleConnection, buf: &mut [u8]) -> bool {
        let s = &mut self.open[i];
        if !s.connected {
            if let Ok(Some(_)) | Err(_) = s.tcp.take_error() {
                return false;
            }
            match (s.tcp.local_addr(), s.tcp.peer_addr()) {
                (Ok(local), Ok(remote)) => {
                    s.connected = true;
                    let event = StreamEvent::Connected {
                        stream: s.id,
                        local,
                        remote,
                    };
                    let _ = hc.handle_input(Input::Stream(Instant::now(), event));
                }
                (_, Err(e)) if e.kind() == ErrorKind::NotConnected => return true,
                _ => return false,
            }
        }
        // The connection may have written on the stream when it heard of the connect.
        let s = &mut self.open[i];
        if write_out(s).is_err() {
            return false;
        }
        loop {
            match s.tcp.read(buf) {
                Ok(0) => return false,
                Ok(n) => {
                    let event = StreamEvent::Data {
                        stream: s.id,
                        contents: &buf[..n],
                    };
                    let _ = hc.handle_input(Input::Stream(Instant::now(), event));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }

    fn drop_at(&mut self, i: usize, registry: &Registry) {
        let mut s = self.open.swap_remove(i);
        let _ = registry.deregister(&mut s.tcp);
    }
}

fn closed(hc: &mut HandleConnection, stream: StreamId, why: &std::io::Error) {
    debug!(?stream, error = %why, "stream closed");
    let _ = hc.handle_input(Input::Stream(Instant::now(), StreamEvent::Closed(stream)));
}

/// Writes what is held until the socket would block.
fn write_out(s: &mut Stream) -> std::io::Result<()> {
    while !s.out.is_empty() {
        let (front, _) = s.out.as_slices();
        match s.tcp.write(front) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => drop(s.out.drain(..n)),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Starts a non-blocking connect from `local` to `host`:`port` (resolved to `local`'s
/// family; a name is looked up here, blocking, as the ICE server names are).
fn connect(local: IpAddr, host: &str, port: u16) -> std::io::Result<mio::net::TcpStream> {
    let server: SocketAddr = (host, port)
        .to_socket_addrs()?
        .find(|a| a.is_ipv4() == local.is_ipv4())
        .ok_or_else(|| std::io::Error::other("no address of our family"))?;
    let domain = socket2::Domain::for_address(server);
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddr::new(local, 0).into())?;
    match socket.connect(&server.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    Ok(mio::net::TcpStream::from_std(socket.into()))
}
