//! What we may send: Janus's REMB per track (a plugin's `bitrate` cap, or its own estimate),
//! our own estimate from Janus's transport-wide congestion feedback when
//! [`PeerConfig::bandwidth_estimation`](crate::PeerConfig::bandwidth_estimation) is on, and
//! the application's own cap (janus.js `setMaxBitrate`). An encoder follows
//! [`target_bitrate`](PeerConnection::target_bitrate), the least of them.
//!
//! Both estimates are str0m's (it parses REMB, and runs the TWCC estimator); this module
//! keeps the latest of each and announces changes as [`Event::BandwidthEstimate`], so that
//! an estimate repeated every second (the VideoRoom's REMB) is not news each time.

use str0m::bwe::BweKind;

use super::PeerConnection;
use crate::{BandwidthEstimate, Event};

/// A TWCC estimate is news when it moved by more than 1/16 of the last one announced.
const TWCC_NEWS: u64 = 16;

/// The latest estimates.
#[derive(Debug, Default)]
pub(super) struct Estimates {
    /// REMB per mid, bit/s.
    pub(super) remb: Vec<(String, u64)>,
    /// Our TWCC estimate, bit/s, and whether str0m may probe.
    pub(super) twcc: Option<(u64, bool)>,
    /// The application's cap, bit/s.
    pub(super) max: Option<u64>,
}

impl PeerConnection {
    /// Caps what [`target_bitrate`](Self::target_bitrate) says (janus.js `setMaxBitrate`);
    /// `None` lifts the cap. It is the application's: nothing is sent to Janus (a plugin's
    /// cap is a plugin request, such as the EchoTest's or VideoRoom's `bitrate`).
    pub fn set_max_bitrate(&mut self, bitrate: Option<u64>) {
        self.estimates.max = bitrate;
    }

    /// The cap set by [`set_max_bitrate`](Self::set_max_bitrate).
    pub fn max_bitrate(&self) -> Option<u64> {
        self.estimates.max
    }

    /// The latest REMB Janus sent for the track we send on `mid`, bit/s.
    pub fn remb(&self, mid: &str) -> Option<u64> {
        self.estimates
            .remb
            .iter()
            .find(|(m, _)| m == mid)
            .map(|&(_, b)| b)
    }

    /// Our latest estimate of the whole connection's send bandwidth from Janus's
    /// transport-wide congestion feedback, bit/s (only with
    /// [`PeerConfig::bandwidth_estimation`](crate::PeerConfig::bandwidth_estimation)).
    pub fn twcc_estimate(&self) -> Option<u64> {
        self.estimates.twcc.map(|(b, _)| b)
    }

    /// What an encoder on `mid` should send at most, bit/s: the least of Janus's REMB for
    /// it, our TWCC estimate and the application's cap; `None` when none of them is known.
    pub fn target_bitrate(&self, mid: &str) -> Option<u64> {
        [self.remb(mid), self.twcc_estimate(), self.estimates.max]
            .into_iter()
            .flatten()
            .min()
    }

    /// str0m's estimate: kept, and announced when it is news.
    pub(super) fn on_estimate(&mut self, kind: BweKind) -> Option<Event> {
        match kind {
            BweKind::Remb { estimate, mid } => {
                let (mid, bitrate) = (mid.to_string(), estimate.as_u64());
                let known = self.estimates.remb.iter_mut().find(|(m, _)| *m == mid);
                match known {
                    Some((_, b)) if *b == bitrate => return None,
                    Some((_, b)) => *b = bitrate,
                    None => self.estimates.remb.push((mid.clone(), bitrate)),
                }
                Some(Event::BandwidthEstimate(BandwidthEstimate::Remb {
                    mid,
                    bitrate,
                }))
            }
            BweKind::Twcc {
                estimate,
                can_probe,
            } => {
                let bitrate = estimate.as_u64();
                let news = match self.estimates.twcc {
                    None => true,
                    Some((last, probe)) => {
                        probe != can_probe || bitrate.abs_diff(last) > last / TWCC_NEWS
                    }
                };
                if !news {
                    return None;
                }
                self.estimates.twcc = Some((bitrate, can_probe));
                Some(Event::BandwidthEstimate(BandwidthEstimate::Twcc {
                    bitrate,
                    can_probe,
                }))
            }
            _ => None,
        }
    }
}
