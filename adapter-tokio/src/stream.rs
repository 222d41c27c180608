//! The TCP streams a connection asks for (TURN over TCP or TLS, `janus_rtc::StreamCommand`):
//! one task per stream connects it, then reads it and writes what the connection sends. The
//! bytes (TLS records included) are the core's; this moves them, and reports what happened
//! as `janus_rtc::StreamEvent`s through one bounded channel that the peer task reads.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use janus_rtc::{StreamCommand, StreamEvent, StreamId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tracing::debug;

/// Writes waiting for a stream; a stream whose server reads slower than this is closed
/// (reported [`StreamEvent::Closed`]) rather than buffered without bound: a TLS record
/// cannot be dropped without breaking the session.
const WRITES: usize = 256;
/// What the stream tasks tell the peer task, waiting to be read.
const NEWS: usize = 64;
/// The most read at once.
const READ: usize = 16 * 1024;

/// What a stream task tells the peer task.
#[derive(Debug)]
pub(crate) enum News {
    Connected(StreamId, SocketAddr, SocketAddr),
    Data(StreamId, Vec<u8>),
    Closed(StreamId),
}

impl News {
    /// As the core takes it.
    pub(crate) fn event(&self) -> StreamEvent<'_> {
        match self {
            Self::Connected(stream, local, remote) => StreamEvent::Connected {
                stream: *stream,
                local: *local,
                remote: *remote,
            },
            Self::Data(stream, contents) => StreamEvent::Data {
                stream: *stream,
                contents,
            },
            Self::Closed(stream) => StreamEvent::Closed(*stream),
        }
    }
}

/// A connection's streams; dropping it ends their tasks.
#[derive(Debug)]
pub(crate) struct Streams {
    open: HashMap<StreamId, (mpsc::Sender<Vec<u8>>, AbortHandle)>,
    news_tx: mpsc::Sender<News>,
    news: mpsc::Receiver<News>,
}

impl Default for Streams {
    fn default() -> Self {
        let (news_tx, news) = mpsc::channel(NEWS);
        Self {
            open: HashMap::new(),
            news_tx,
            news,
        }
    }
}

impl Drop for Streams {
    fn drop(&mut self) {
        for (_, task) in self.open.values() {
            task.abort();
        }
    }
}

impl Streams {
    /// The next thing a stream task has to say (never ends: this holds a sender).
    pub(crate) async fn recv(&mut self) -> Option<News> {
        self.news.recv().await
    }

    /// Does what the connection asks; what cannot be done comes back as news.
    pub(crate) fn command(&mut self, command: StreamCommand) {
        match command {
            StreamCommand::Connect {
                stream,
                local,
                host,
                port,
            } => {
                let (tx, rx) = mpsc::channel(WRITES);
                let news = self.news_tx.clone();
                let task = tokio::spawn(run(stream, local, host, port, rx, news));
                self.open.insert(stream, (tx, task.abort_handle()));
            }
            StreamCommand::Write { stream, contents } => {
                let Some((tx, task)) = self.open.get(&stream) else {
                    return;
                };
                if tx.try_send(contents).is_err() {
                    debug!(?stream, "stream writes full: closed");
                    task.abort();
                    self.open.remove(&stream);
                    // Room or not, the connection must hear it: from a task of its own.
                    let news = self.news_tx.clone();
                    tokio::spawn(async move { news.send(News::Closed(stream)).await });
                }
            }
            // The task writes what it holds, then ends with its sender gone.
            StreamCommand::Close(stream) => drop(self.open.remove(&stream)),
        }
    }
}

async fn run(
    stream: StreamId,
    local: IpAddr,
    host: String,
    port: u16,
    mut writes: mpsc::Receiver<Vec<u8>>,
    news: mpsc::Sender<News>,
) {
    let tcp = match connect(local, &host, port).await {
        Ok(tcp) => tcp,
        Err(e) => {
            debug!(?stream, %host, port, error = %e, "stream did not connect");
            let _ = news.send(News::Closed(stream)).await;
            return;
        }
    };
    let (Ok(ours), Ok(theirs)) = (tcp.local_addr(), tcp.peer_addr()) else {
        let _ = news.send(News::Closed(stream)).await;
        return;
    };
    if news
        .send(News::Connected(stream, ours, theirs))
        .await
        .is_err()
    {
        return;
    }
    let (mut reader, mut writer) = tcp.into_split();
    let mut buf = vec![0u8; READ];
    loop {
        tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(n) if n > 0 => {
                    if news.send(News::Data(stream, buf[..n].to_vec())).await.is_err() {
                        return;
                    }
                }
                _ => break,
            },
            write = writes.recv() => match write {
                Some(bytes) => {
                    if writer.write_all(&bytes).await.is_err() {
                        break;
                    }
                }
                // Closed by the connection: nothing more is read or reported.
                None => {
                    let _ = writer.shutdown().await;
                    return;
                }
            },
        }
    }
    let _ = news.send(News::Closed(stream)).await;
}

/// A TCP connection from `local` to `host`:`port` (resolved to `local`'s family).
async fn connect(local: IpAddr, host: &str, port: u16) -> std::io::Result<TcpStream> {
    let server = tokio::net::lookup_host((host, port))
        .await?
        .find(|a| a.is_ipv4() == local.is_ipv4())
        .ok_or_else(|| std::io::Error::other("no address of our family"))?;
    let socket = if local.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.bind(SocketAddr::new(local, 0))?;
    socket.connect(server).await
}
