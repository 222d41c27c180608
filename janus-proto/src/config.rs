//! Client configuration: servers, credentials, timeouts, caps and the id source.

use std::fmt;
use std::time::Duration;

/// Which transport a server URL speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// WebSocket (`ws://`, `wss://`), subprotocol `janus-protocol`.
    WebSocket,
    /// HTTP REST plus long polling (`http://`, `https://`).
    Http,
}

/// One entry of the server list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// The URL as given, e.g. `ws://127.0.0.1:8188` or `http://127.0.0.1:8088/janus`.
    pub url: String,
    /// Its transport, from the scheme.
    pub transport: TransportKind,
}

impl Server {
    /// Reads the transport from the URL scheme. `None` for any other scheme.
    pub fn parse(url: &str) -> Option<Self> {
        let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
        let transport = if lower.starts_with("ws://") || lower.starts_with("wss://") {
            TransportKind::WebSocket
        } else if lower.starts_with("http://") || lower.starts_with("https://") {
            TransportKind::Http
        } else {
            return None;
        };
        Some(Self {
            url: url.trim_end_matches('/').to_owned(),
            transport,
        })
    }
}

/// A credential (`apisecret`, `token`). Its `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The credential itself, for the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How a WebSocket client comes back after its connection drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconnect {
    /// Rounds over the server list before giving up (0: never reconnect).
    pub max_rounds: u32,
    /// Pause before the second round; doubled each round.
    pub initial_backoff: Duration,
    /// Upper bound of the pause.
    pub max_backoff: Duration,
}

impl Default for Reconnect {
    fn default() -> Self {
        Self {
            max_rounds: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
        }
    }
}

/// Everything a [`Client`](crate::Client) needs to know up front.
///
/// ```
/// use std::time::Duration;
/// use janus_proto::ClientConfig;
///
/// let config = ClientConfig::new(["ws://127.0.0.1:8188", "http://127.0.0.1:8088/janus"])
///     .expect("known schemes")
///     .apisecret("janusrocks")
///     .request_timeout(Duration::from_secs(5))
///     .seed(42);
/// assert_eq!(config.servers().len(), 2);
/// assert_eq!(format!("{config:?}").contains("janusrocks"), false);
/// ```
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(crate) servers: Vec<Server>,
    pub(crate) apisecret: Option<Secret>,
    pub(crate) token: Option<Secret>,
    pub(crate) request_timeout: Duration,
    pub(crate) event_timeout: Duration,
    pub(crate) keepalive: Option<Duration>,
    pub(crate) long_poll_maxev: u32,
    pub(crate) long_poll_timeout: Duration,
    pub(crate) max_poll_failures: u32,
    pub(crate) reconnect: Reconnect,
    pub(crate) max_in_flight: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) max_message_size: usize,
    pub(crate) long_poll_retry: (Duration, Duration),
    pub(crate) destroy_on_drop: bool,
    pub(crate) seed: Option<u64>,
    /// `Some` for an Admin API client: its `admin_secret`, if the server has one.
    pub(crate) admin: Option<Option<Secret>>,
}

impl ClientConfig {
    /// A configuration for this server list, tried in order. `None` if a URL's scheme is not
    /// one of `ws`, `wss`, `http`, `https`, or the list is empty.
    pub fn new<I, S>(servers: I) -> Option<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let servers = servers
            .into_iter()
            .map(|s| Server::parse(s.as_ref()))
            .collect::<Option<Vec<_>>>()?;
        if servers.is_empty() {
            return None;
        }
        Some(Self {
            servers,
            apisecret: None,
            token: None,
            request_timeout: Duration::from_secs(15),
            event_timeout: Duration::from_secs(60),
            keepalive: None,
            long_poll_maxev: 10,
            long_poll_timeout: Duration::from_secs(60),
            max_poll_failures: 3,
            reconnect: Reconnect::default(),
            max_in_flight: 4096,
            connect_timeout: Duration::from_secs(10),
            max_message_size: 16 << 20,
            long_poll_retry: (Duration::from_millis(250), Duration::from_secs(5)),
            destroy_on_drop: true,
            seed: None,
            admin: None,
        })
    }

    /// Makes this a client of Janus's Admin API (its own endpoints: `admin_http` on e.g.
    /// `http://host:7088/admin`, `admin_ws` on e.g. `ws://host:7188`), with the server's
    /// `admin_secret` if it has one: WebSockets open with the `janus-admin-protocol`
    /// subprotocol, and every admin request carries the secret. Its requests are
    /// [`Client::admin`](crate::Client::admin)'s (see [`crate::admin`]); `info` and `ping`
    /// work as on the Janus API, sessions and handles do not exist there.
    pub fn admin_api(mut self, admin_secret: Option<&str>) -> Self {
        self.admin = Some(admin_secret.map(Secret::new));
        self
    }

    /// Whether this is an Admin API client ([`admin_api`](Self::admin_api)).
    pub fn is_admin(&self) -> bool {
        self.admin.is_some()
    }

    /// The WebSocket subprotocol to ask for: `janus-protocol`, or `janus-admin-protocol` for
    /// an Admin API client.
    pub fn websocket_protocol(&self) -> &'static str {
        if self.is_admin() {
            "janus-admin-protocol"
        } else {
            "janus-protocol"
        }
    }

    /// The server list.
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// The `apisecret` every request carries.
    #[must_use]
    pub fn apisecret(mut self, secret: impl Into<String>) -> Self {
        self.apisecret = Some(Secret::new(secret));
        self
    }

    /// The `token` every request carries.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token));
        self
    }

    /// How long a request waits for its reply (or ack). Default 15 s.
    #[must_use]
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// How long an acknowledged plugin message waits for its event. Default 60 s.
    #[must_use]
    pub fn event_timeout(mut self, d: Duration) -> Self {
        self.event_timeout = d;
        self
    }

    /// The WebSocket keepalive period. By default it is derived from the server's
    /// `session-timeout`: half of it, at most 25 s (janus.js's period).
    #[must_use]
    pub fn keepalive(mut self, period: Duration) -> Self {
        self.keepalive = Some(period);
        self
    }

    /// `maxev` of the HTTP long poll (events per response; default 10, at least 1).
    #[must_use]
    pub fn long_poll_maxev(mut self, n: u32) -> Self {
        self.long_poll_maxev = n.max(1);
        self
    }

    /// How long the adapter lets a long-poll GET hang (Janus answers within 30 s). Default 60 s.
    #[must_use]
    pub fn long_poll_timeout(mut self, d: Duration) -> Self {
        self.long_poll_timeout = d;
        self
    }

    /// Consecutive long-poll failures after which the session is declared lost. Default 3.
    #[must_use]
    pub fn max_poll_failures(mut self, n: u32) -> Self {
        self.max_poll_failures = n.max(1);
        self
    }

    /// The WebSocket reconnect policy.
    #[must_use]
    pub fn reconnect(mut self, r: Reconnect) -> Self {
        self.reconnect = r;
        self
    }

    /// Cap of the pending-request table; calls beyond it fail with `Error::TooManyInFlight`.
    #[must_use]
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// How long opening a WebSocket (TCP, TLS and the HTTP upgrade) may take before the
    /// server counts as failed and the next one is tried. Default 10 s.
    #[must_use]
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// The largest WebSocket message or HTTP body accepted from the server, in bytes.
    /// Default 16 MiB. A larger HTTP answer fails its request with
    /// [`RequestError::TooLarge`](crate::RequestError::TooLarge) (a long poll counts it as a
    /// failed poll); a larger WebSocket message drops the connection, which then reconnects
    /// like any other drop. Adapters read at most one byte more than this.
    #[must_use]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes.max(1);
        self
    }

    /// The largest message or body accepted, see [`ClientConfig::max_message_size`].
    pub fn message_size_limit(&self) -> usize {
        self.max_message_size
    }

    /// The pause before retrying a failed long poll: `initial`, doubled after each further
    /// failure, at most `max`. Default 250 ms up to 5 s.
    #[must_use]
    pub fn long_poll_retry(mut self, initial: Duration, max: Duration) -> Self {
        self.long_poll_retry = (initial, max.max(initial));
        self
    }

    /// Whether a session the application lets go of ([`Client::release_session`], which the
    /// adapters call when the last `Session` and `Handle` object of it is dropped), and every
    /// session left at [`Client::close`], is destroyed on the server (janus.js
    /// `destroyOnUnload`). Default on. Off, such a session is only forgotten here: no more
    /// keepalives or polls, and Janus times it out.
    ///
    /// [`Client::release_session`]: crate::Client::release_session
    /// [`Client::close`]: crate::Client::close
    #[must_use]
    pub fn destroy_on_drop(mut self, on: bool) -> Self {
        self.destroy_on_drop = on;
        self
    }

    /// Seed of the transaction-id source, fixed by the application (tests: a constant).
    /// Without one, the adapter's [`ClientConfig::seed_if_unset`] applies, else 0.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The seed to use unless the application fixed one with [`ClientConfig::seed`]: adapters
    /// pass OS entropy here, so that two clients do not draw the same transaction ids while
    /// a test that fixed its seed stays reproducible.
    #[must_use]
    pub fn seed_if_unset(mut self, seed: u64) -> Self {
        self.seed.get_or_insert(seed);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_choose_the_transport() {
        assert_eq!(
            Server::parse("WSS://h/").map(|s| s.transport),
            Some(TransportKind::WebSocket)
        );
        assert_eq!(
            Server::parse("https://h/janus/").map(|s| s.url),
            Some("https://h/janus".to_owned())
        );
        assert_eq!(Server::parse("ftp://h"), None);
        assert!(ClientConfig::new(Vec::<String>::new()).is_none());
    }

    #[test]
    fn secrets_never_print() {
        let c = ClientConfig::new(["ws://h"])
            .expect("config")
            .apisecret("topsecret")
            .token("tok123");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("topsecret") && !shown.contains("tok123"),
            "{shown}"
        );
    }
}
