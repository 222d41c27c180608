//! ICE servers as janus.js takes them (`iceServers` of an `RTCConfiguration`: `stun:`,
//! `turn:` and `turns:` URLs with a username and a credential), the transport policy, and the
//! typed errors of gathering from them.
//!
//! The URL grammar is RFC 7064 (`stun:host[:port]`) and RFC 7065
//! (`turn:host[:port][?transport=udp|tcp]`), small enough to read here; no URL crate knows
//! these schemes. The core takes IP literals only (it never resolves a name: that is I/O);
//! the adapters resolve host names before they build a connection
//! ([`PeerConfig::resolve_ice_servers`](crate::PeerConfig::resolve_ice_servers)).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use crate::Error;

/// One ICE server: janus.js `{urls, username, credential}`.
///
/// `Debug` prints the username but never the credential.
///
/// ```
/// use janus_rtc::IceServer;
/// let turn = IceServer::turn("turn:127.0.0.3:3478?transport=udp", "alice", "s3cret");
/// assert!(!format!("{turn:?}").contains("s3cret"));
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct IceServer {
    /// The server's URLs (`stun:`, `turn:`, `turns:`), all for the same credentials.
    pub urls: Vec<String>,
    /// The TURN username (long-term credential).
    pub username: Option<String>,
    /// The TURN password (long-term credential). Never printed.
    pub credential: Option<String>,
}

impl IceServer {
    /// A STUN server (server-reflexive candidates), e.g. `stun:127.0.0.3:3478`.
    pub fn stun(url: impl Into<String>) -> Self {
        Self {
            urls: vec![url.into()],
            username: None,
            credential: None,
        }
    }

    /// A TURN server with a long-term credential (relayed candidates), e.g.
    /// `turn:127.0.0.3:3478?transport=udp`.
    pub fn turn(
        url: impl Into<String>,
        username: impl Into<String>,
        credential: impl Into<String>,
    ) -> Self {
        Self {
            urls: vec![url.into()],
            username: Some(username.into()),
            credential: Some(credential.into()),
        }
    }
}

impl fmt::Debug for IceServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IceServer")
            .field("urls", &self.urls)
            .field("username", &self.username)
            .field(
                "credential",
                &self.credential.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Which of our candidates ICE may use (`iceTransportPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IceTransportPolicy {
    /// Host, server-reflexive and relayed candidates.
    #[default]
    All,
    /// Relayed candidates only: every packet to Janus goes through a TURN server. With no
    /// relayed candidate (no TURN server, or every allocation failed) the connection fails
    /// ([`Event::Failed`](crate::Event::Failed) with [`Error::NoRelayCandidate`]).
    Relay,
}

/// The scheme of an ICE server URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IceScheme {
    /// `stun:`
    Stun,
    /// `stuns:` (STUN over TLS).
    Stuns,
    /// `turn:`
    Turn,
    /// `turns:` (TURN over TLS).
    Turns,
}

/// The transport to an ICE server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IceServerTransport {
    /// UDP (the default of `stun:` and `turn:`).
    Udp,
    /// TCP (`?transport=tcp`; always for `turns:` and `stuns:`).
    Tcp,
}

/// A parsed ICE server URL.
///
/// ```
/// use janus_rtc::{IceScheme, IceServerTransport, IceServerUrl};
/// let url = IceServerUrl::parse("turn:127.0.0.3?transport=udp").unwrap();
/// assert_eq!((url.scheme, url.port, url.transport), (IceScheme::Turn, 3478, IceServerTransport::Udp));
/// assert_eq!(url.addr(), Some("127.0.0.3:3478".parse().unwrap()));
/// assert!(IceServerUrl::parse("http://127.0.0.3").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceServerUrl {
    /// `stun`, `stuns`, `turn` or `turns`.
    pub scheme: IceScheme,
    /// The host: an IP literal (IPv6 without brackets) or a name.
    pub host: String,
    /// The port (3478, or 5349 for `stuns:` and `turns:`, when the URL names none).
    pub port: u16,
    /// The transport.
    pub transport: IceServerTransport,
}

impl IceServerUrl {
    /// Parses `stun:host[:port]`, `stuns:host[:port]`, `turn:host[:port][?transport=udp|tcp]`
    /// or `turns:host[:port][?transport=tcp]`; IPv6 hosts in brackets. Anything else is
    /// [`Error::IceServerUrl`].
    pub fn parse(url: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::IceServerUrl(format!("{url:?}: {why}"));
        let (scheme, rest) = url.split_once(':').ok_or_else(|| bad("no scheme"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "stun" => IceScheme::Stun,
            "stuns" => IceScheme::Stuns,
            "turn" => IceScheme::Turn,
            "turns" => IceScheme::Turns,
            _ => return Err(bad("the scheme is not stun, stuns, turn or turns")),
        };
        let secure = matches!(scheme, IceScheme::Stuns | IceScheme::Turns);
        let (authority, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        if authority.starts_with("//") || authority.contains('@') || authority.contains('/') {
            return Err(bad("not host[:port] after the scheme"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(|| bad("junk after ]"))?),
            };
            (host, port)
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if authority.starts_with('[') && host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad("not an IPv6 address in brackets"));
        }
        let port = match port {
            None => {
                if secure {
                    5349
                } else {
                    3478
                }
            }
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad("bad port"))?,
        };
        let mut transport = if secure {
            IceServerTransport::Tcp
        } else {
            IceServerTransport::Udp
        };
        if let Some(query) = query {
            if matches!(scheme, IceScheme::Stun | IceScheme::Stuns) {
                return Err(bad("stun URLs take no query"));
            }
            transport = match query.to_ascii_lowercase().as_str() {
                "transport=udp" if !secure => IceServerTransport::Udp,
                "transport=tcp" => IceServerTransport::Tcp,
                _ => return Err(bad("the query is not transport=udp or transport=tcp")),
            };
        }
        Ok(Self {
            scheme,
            host: host.to_owned(),
            port,
            transport,
        })
    }

    /// The server's address when the host is an IP literal (names are the adapters' to
    /// resolve).
    pub fn addr(&self) -> Option<SocketAddr> {
        let ip: IpAddr = self.host.parse().ok()?;
        Some(SocketAddr::new(ip, self.port))
    }

    /// Whether it is a TURN URL (`turn:` or `turns:`).
    pub fn is_turn(&self) -> bool {
        matches!(self.scheme, IceScheme::Turn | IceScheme::Turns)
    }
}

impl fmt::Display for IceServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            IceScheme::Stun => "stun",
            IceScheme::Stuns => "stuns",
            IceScheme::Turn => "turn",
            IceScheme::Turns => "turns",
        };
        if self.host.contains(':') {
            write!(f, "{scheme}:[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{scheme}:{}:{}", self.host, self.port)?;
        }
        if self.is_turn() {
            let transport = match self.transport {
                IceServerTransport::Udp => "udp",
                IceServerTransport::Tcp => "tcp",
            };
            write!(f, "?transport={transport}")?;
        }
        Ok(())
    }
}

/// Why an ICE server gave no candidate ([`Event::IceServerError`](crate::Event::IceServerError)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IceServerError {
    /// The URL does not parse.
    #[error(transparent)]
    Url(Error),
    /// The host is a name, not an IP literal: the core resolves nothing (the adapters do
    /// before they build the connection).
    #[error("host {0:?} is not an IP address (not resolved)")]
    Unresolved(String),
    /// What this version does not do: STUN over TCP or TLS (`stuns:`), or a server of
    /// another IP family than our sockets.
    #[error("not supported: {0}")]
    Unsupported(&'static str),
    /// A `turn:` URL without a username and a credential.
    #[error("a TURN server needs a username and a credential")]
    MissingCredentials,
    /// The server never answered.
    #[error("no answer from the server")]
    Timeout,
    /// No TLS configuration for a `turns:` server could be made.
    #[error("TLS: {0}")]
    Tls(String),
    /// The TURN server refused the allocation: `code` is its STUN error code when it sent
    /// one (401 for wrong credentials, after the retry with them).
    #[error("allocation refused ({code:?}): {reason}")]
    Allocation {
        /// The STUN error code (401 Unauthorized, 441 Wrong Credentials, 486 Allocation
        /// Quota Reached, ...), when the server said one.
        code: Option<u16>,
        /// The server's reason phrase, or what the client saw.
        reason: String,
    },
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_every_scheme_parse_with_their_default_ports_and_transports() {
        let cases = [
            (
                "stun:127.0.0.3",
                IceScheme::Stun,
                3478,
                IceServerTransport::Udp,
            ),
            (
                "stun:127.0.0.3:19302",
                IceScheme::Stun,
                19302,
                IceServerTransport::Udp,
            ),
            (
                "turn:127.0.0.3:3479?transport=udp",
                IceScheme::Turn,
                3479,
                IceServerTransport::Udp,
            ),
            (
                "TURN:127.0.0.3?transport=tcp",
                IceScheme::Turn,
                3478,
                IceServerTransport::Tcp,
            ),
            (
                "turns:127.0.0.3",
                IceScheme::Turns,
                5349,
                IceServerTransport::Tcp,
            ),
            (
                "stuns:[::1]:443",
                IceScheme::Stuns,
                443,
                IceServerTransport::Tcp,
            ),
        ];
        for (url, scheme, port, transport) in cases {
            let parsed = IceServerUrl::parse(url).unwrap();
            assert_eq!(
                (parsed.scheme, parsed.port, parsed.transport),
                (scheme, port, transport),
                "{url}"
            );
            assert!(parsed.addr().is_some(), "{url}");
        }
        let named = IceServerUrl::parse("turn:turn.example.org:3478").unwrap();
        assert_eq!(
            (named.host.as_str(), named.addr()),
            ("turn.example.org", None)
        );
        assert_eq!(
            named.to_string(),
            "turn:turn.example.org:3478?transport=udp"
        );
    }

    #[test]
    fn bad_urls_are_typed_errors() {
        for url in [
            "",
            "127.0.0.3:3478",
            "http://127.0.0.3",
            "stun:",
            "stun:127.0.0.3:0",
            "stun:127.0.0.3:99999",
            "stun:127.0.0.3?transport=udp",
            "turn:127.0.0.3?transport=sctp",
            "turns:127.0.0.3?transport=udp",
            "turn://127.0.0.3",
            "turn:user@127.0.0.3",
            "turn:[::1",
            "turn:[nope]:3478",
        ] {
            assert!(
                matches!(IceServerUrl::parse(url), Err(Error::IceServerUrl(_))),
                "{url:?} parsed"
            );
        }
    }

    #[test]
    fn names_are_listed_and_replaced_by_what_the_resolver_says() {
        let mut config = crate::PeerConfig {
            ice_servers: vec![
                IceServer::turn("turn:turn.test:3479?transport=udp", "u", "c"),
                IceServer {
                    urls: vec![
                        "stun:turn.test:3479".into(),
                        "stun:127.0.0.3".into(),
                        "stun:gone.test".into(),
                        "bad".into(),
                    ],
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        assert_eq!(
            config.ice_server_names(),
            [
                ("turn.test".to_owned(), 3479),
                ("gone.test".to_owned(), 3478)
            ]
        );
        config.resolve_ice_servers(|host, _| (host == "turn.test").then(|| [127, 0, 0, 3].into()));
        assert_eq!(
            config.ice_servers[0].urls,
            ["turn:127.0.0.3:3479?transport=udp"]
        );
        assert_eq!(
            config.ice_servers[1].urls,
            [
                "stun:127.0.0.3:3479",
                "stun:127.0.0.3",
                "stun:gone.test",
                "bad"
            ]
        );
    }

    #[test]
    fn debug_shows_the_username_but_never_the_credential() {
        let server = IceServer::turn("turn:127.0.0.3", "alice", "hunter2-secret");
        let shown = format!("{server:?}");
        assert!(
            shown.contains("alice") && shown.contains("<redacted>"),
            "{shown}"
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        let config = crate::PeerConfig {
            ice_servers: vec![server],
            ..Default::default()
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
