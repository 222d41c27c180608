//! How a [`PeerConnection`](crate::PeerConnection) is set up.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::{Error, IceScheme, IceServer, IceServerUrl, IceTransportPolicy};

/// How `turns:` servers are trusted ([`PeerConfig::turn_tls`]): a rustls client
/// configuration. Two are equal when they are the same configuration.
///
/// ```
/// let pem = b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
/// assert!(janus_rtc::TurnTls::with_roots_pem(pem).is_err());
/// assert!(janus_rtc::TurnTls::web_pki().is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct TurnTls(pub Arc<rustls::ClientConfig>);

impl PartialEq for TurnTls {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for TurnTls {}

impl TurnTls {
    /// The web PKI's roots (`webpki-roots`), as a browser trusts a `turns:` server.
    pub fn web_pki() -> Result<Self, Error> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        Self::with_roots(roots)
    }

    /// Only the certificates in `pem` as roots (a private CA).
    pub fn with_roots_pem(pem: &[u8]) -> Result<Self, Error> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| Error::Tls(e.to_string()))?;
            roots.add(cert).map_err(|e| Error::Tls(e.to_string()))?;
        }
        if roots.is_empty() {
            return Err(Error::Tls("no certificate in the PEM".into()));
        }
        Self::with_roots(roots)
    }

    /// The ring provider, chosen explicitly: another provider in the process cannot make
    /// the choice ambiguous.
    fn with_roots(roots: rustls::RootCertStore) -> Result<Self, Error> {
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Self(Arc::new(config)))
    }
}

/// Restarting ICE on its own when it failed ([`PeerConfig::restart_ice`]): what janus.js
/// applications do by hand on `iceState` `failed` (`createOffer({iceRestart: true})` and a
/// `message` with it). For a handle's connection that offers (EchoTest, VideoRoom
/// publisher, VideoCall, SIP); where Janus offers (a subscriber), the plugin's own restart
/// request is the application's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceRestartPolicy {
    /// The plugin message the restart offer goes with: `{}` for the EchoTest,
    /// `{"request": "configure"}` for a VideoRoom publisher.
    pub body: serde_json::Value,
    /// A restart that has not connected ICE by then is tried again.
    pub retry_after: Duration,
    /// Restarts in a row that did not connect, before the connection stays failed.
    pub max_attempts: u32,
}

impl IceRestartPolicy {
    /// Restarts with `body`, again every 5 s while ICE does not connect, 10 times at most.
    pub fn with_body(body: serde_json::Value) -> Self {
        Self {
            body,
            retry_after: Duration::from_secs(5),
            max_attempts: 10,
        }
    }
}

/// Settings of a [`PeerConnection`](crate::PeerConnection).
///
/// ```
/// let config = janus_rtc::PeerConfig { trickle: false, ..Default::default() };
/// assert!(config.opus && config.vp8);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerConfig {
    /// Trickle our candidates (janus.js `trickle`, on by default). Off: every candidate is in
    /// the SDP and the JSEP says `"trickle": false`.
    pub trickle: bool,
    /// How often receive statistics are taken; [`PeerConnection::bitrate`] is computed
    /// between two of them. `None` turns statistics (and the bitrate) off.
    ///
    /// [`PeerConnection::bitrate`]: crate::PeerConnection::bitrate
    pub stats_interval: Option<Duration>,
    /// Offer Opus.
    pub opus: bool,
    /// Offer PCMU and PCMA (8 kHz audio; what DTMF needs with Janus).
    pub g711: bool,
    /// Offer VP8.
    pub vp8: bool,
    /// Offer H.264.
    pub h264: bool,
    /// Offer VP9.
    pub vp9: bool,
    /// Offer `telephone-event/8000` for DTMF ([`PeerConnection::insert_dtmf`]). Janus maps
    /// only the 8 kHz one, and a telephone event must share its audio codec's clock: DTMF
    /// needs G.711 on the audio track, so turn `opus` off (or let the other side pick G.711).
    ///
    /// [`PeerConnection::insert_dtmf`]: crate::PeerConnection::insert_dtmf
    pub dtmf: bool,
    /// How long ICE may stay disconnected before the connection reports
    /// [`IceState::Failed`](crate::IceState::Failed), as a browser does after its own
    /// grace period. `None`: never.
    ///
    /// ICE is disconnected once str0m's agent has had nine consent checks in a row go
    /// unanswered (about 20 s of silence from the other side; a shorter silence passes
    /// unnoticed and media flows again). A pair that went unanswered that long is not
    /// checked again, even when the other side comes back: the way back is an ICE restart,
    /// as in janus.js (`Handle::restart_ice` in the adapters).
    pub ice_failed_after: Option<Duration>,
    /// Estimate the send bandwidth from Janus's transport-wide congestion feedback (str0m's
    /// estimator), starting at this many bit/s; the estimates come as
    /// [`Event::BandwidthEstimate`](crate::Event::BandwidthEstimate). `None` (the default):
    /// off. On, str0m also paces what we send and may pad and probe to find more bandwidth,
    /// as a browser does. Janus's REMB is reported either way.
    pub bandwidth_estimation: Option<u64>,
    /// Restart ICE when it failed, without the application
    /// ([`HandleOutput::RestartIce`](crate::HandleOutput::RestartIce)). `None` (the
    /// default): [`IceState::Failed`](crate::IceState::Failed) is reported, and a restart is
    /// the application's, as in janus.js.
    pub restart_ice: Option<IceRestartPolicy>,
    /// STUN and TURN servers to gather candidates from (janus.js `iceServers`):
    /// server-reflexive candidates from every server (a STUN Binding), relayed ones from
    /// `turn:` and `turns:` URLs with a username and a credential (UDP allocations, asked
    /// for over UDP, TCP (`?transport=tcp`) or TLS (`turns:`); the streams are the adapter's,
    /// [`Output::Stream`](crate::Output::Stream)). Gathering starts
    /// when the connection is made; what it finds is trickled like the host candidates (with
    /// trickle off it is in the SDP of an offer made after
    /// [`Event::IceGatheringComplete`](crate::Event::IceGatheringComplete)). Hosts must be IP
    /// literals here, except in `turns:` URLs: see
    /// [`resolve_ice_servers`](Self::resolve_ice_servers). A server that
    /// gives nothing is an [`Event::IceServerError`](crate::Event::IceServerError).
    pub ice_servers: Vec<IceServer>,
    /// Which of our candidates ICE may use (janus.js `iceTransportPolicy`).
    pub ice_transport_policy: IceTransportPolicy,
    /// How `turns:` servers are trusted. `None` (the default): the web PKI's roots
    /// ([`TurnTls::web_pki`]), as in a browser. The server's name is checked against its
    /// certificate: the URL's host, a name or an IP address.
    pub turn_tls: Option<TurnTls>,
}

impl Default for PeerConfig {
    fn default() -> Self {
        Self {
            trickle: true,
            stats_interval: Some(Duration::from_secs(1)),
            opus: true,
            g711: true,
            vp8: true,
            h264: true,
            vp9: false,
            dtmf: true,
            ice_failed_after: Some(Duration::from_secs(15)),
            bandwidth_estimation: None,
            restart_ice: None,
            ice_servers: Vec::new(),
            ice_transport_policy: IceTransportPolicy::All,
            turn_tls: None,
        }
    }
}

impl PeerConfig {
    /// The host names (with their ports) of [`ice_servers`](Self::ice_servers) URLs that
    /// are not IP literals (`turns:` URLs left out): what an adapter resolves before
    /// [`resolve_ice_servers`](Self::resolve_ice_servers), when it resolves asynchronously.
    pub fn ice_server_names(&self) -> Vec<(String, u16)> {
        let mut names = Vec::new();
        for url in self.ice_servers.iter().flat_map(|s| &s.urls) {
            if let Ok(parsed) = IceServerUrl::parse(url) {
                let name = (parsed.host.clone(), parsed.port);
                if parsed.addr().is_none()
                    && parsed.scheme != IceScheme::Turns
                    && !names.contains(&name)
                {
                    names.push(name);
                }
            }
        }
        names
    }

    /// Replaces the host names of [`ice_servers`](Self::ice_servers) URLs with addresses,
    /// asking `resolve(host, port)`; the core itself takes IP literals only (resolving is
    /// I/O), so both adapters call this with their resolver before they build a connection.
    /// URLs that do not parse, that are IP literals already, or that `resolve` cannot
    /// answer are left as they are (the connection reports them). `turns:` URLs keep their
    /// names: TLS checks the name, and the adapter resolves it when it opens the stream
    /// ([`StreamCommand::Connect`](crate::StreamCommand::Connect)).
    pub fn resolve_ice_servers(&mut self, mut resolve: impl FnMut(&str, u16) -> Option<IpAddr>) {
        for server in &mut self.ice_servers {
            for url in &mut server.urls {
                let Ok(mut parsed) = IceServerUrl::parse(url) else {
                    continue;
                };
                // A `turns:` name stays: TLS checks it, and the adapter resolves it when it
                // connects.
                if parsed.addr().is_some() || parsed.scheme == IceScheme::Turns {
                    continue;
                }
                if let Some(ip) = resolve(&parsed.host, parsed.port) {
                    parsed.host = ip.to_string();
                    *url = parsed.to_string();
                }
            }
        }
    }
}
