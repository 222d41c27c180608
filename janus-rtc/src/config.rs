//! How a [`PeerConnection`](crate::PeerConnection) is set up.

use std::time::Duration;

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
        }
    }
}
