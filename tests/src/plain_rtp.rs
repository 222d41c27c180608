//! A plain-RTP peer for the NoSIP tests: UDP sockets of the test's own on the namespace's
//! media address (an RTP and RTCP pair per medium, RTCP on the next port as the plugin
//! assumes), the barebone SDP answer pointing at them, and RTP packets built and read by
//! hand (RFC 3550 header; VP8 payload descriptor of RFC 7741).

use std::net::{IpAddr, SocketAddr, UdpSocket};

use crate::error::{HarnessError, Result};

/// One medium of a barebone SDP: where to send, and with which payload type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdpMedium {
    /// `audio` or `video`.
    pub kind: String,
    /// The RTP port (0: declined).
    pub port: u16,
    /// The payload type of `codec`.
    pub pt: u8,
    /// The codec, as the `a=rtpmap` names it (e.g. `opus`, `VP8`).
    pub codec: String,
}

/// The address and media of a barebone SDP (e.g. the NoSIP's `generated` offer), each
/// medium with its first payload type; `None` when it has no `c=` address.
pub fn parse_sdp(sdp: &str) -> Option<(IpAddr, Vec<SdpMedium>)> {
    let mut ip = None;
    let mut media: Vec<SdpMedium> = Vec::new();
    for line in sdp.lines().map(str::trim) {
        if let Some(c) = line.strip_prefix("c=IN IP4 ") {
            ip = ip.or_else(|| c.trim().parse().ok());
        } else if let Some(m) = line.strip_prefix("m=") {
            let mut parts = m.split_whitespace();
            let kind = parts.next().unwrap_or_default().to_owned();
            let port = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            let pt = parts.nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
            media.push(SdpMedium {
                kind,
                port,
                pt,
                codec: String::new(),
            });
        } else if let Some(map) = line.strip_prefix("a=rtpmap:") {
            let (pt, codec) = map.split_once(' ')?;
            if let Some(m) = media.last_mut() {
                if pt.parse() == Ok(m.pt) {
                    m.codec = codec.split('/').next().unwrap_or_default().to_owned();
                }
            }
        }
    }
    Some((ip?, media))
}

/// An RTP socket and its RTCP neighbour (port + 1).
#[derive(Debug)]
pub struct PortPair {
    /// The RTP socket.
    pub rtp: UdpSocket,
    /// The RTCP socket (port + 1), bound so that the plugin's RTCP finds a listener.
    pub rtcp: UdpSocket,
}

impl PortPair {
    /// A free pair of ports on `ip` (an even RTP port and the next one).
    pub fn bind(ip: IpAddr) -> Result<Self> {
        for _ in 0..50 {
            let rtp = UdpSocket::bind((ip, 0)).map_err(|e| HarnessError::io("binding RTP", e))?;
            let port = rtp
                .local_addr()
                .map_err(|e| HarnessError::io("RTP port", e))?
                .port();
            if port % 2 != 0 || port == u16::MAX {
                continue;
            }
            if let Ok(rtcp) = UdpSocket::bind((ip, port + 1)) {
                return Ok(Self { rtp, rtcp });
            }
        }
        Err(HarnessError::io(
            "binding an RTP/RTCP port pair",
            std::io::Error::other("no free pair"),
        ))
    }

    /// The RTP port.
    pub fn port(&self) -> u16 {
        self.rtp.local_addr().map(|a| a.port()).unwrap_or(0)
    }
}

/// The barebone SDP answer of a peer on `ip` that takes every medium of `offer` (same
/// payload types and codecs) on the RTP ports `ports`, in order.
pub fn answer_sdp(ip: IpAddr, offer: &[SdpMedium], ports: &[u16]) -> String {
    let mut sdp =
        format!("v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=plain-rtp-peer\r\nc=IN IP4 {ip}\r\nt=0 0\r\n");
    for (m, port) in offer.iter().zip(ports) {
        let clock = if m.kind == "audio" {
            "48000/2"
        } else {
            "90000"
        };
        sdp.push_str(&format!(
            "m={} {port} RTP/AVP {pt}\r\na=rtpmap:{pt} {}/{clock}\r\na=sendrecv\r\n",
            m.kind,
            m.codec,
            pt = m.pt
        ));
    }
    sdp
}

/// An RTP packet: version 2, no padding, extension or CSRCs.
pub fn rtp_packet(pt: u8, seq: u16, ts: u32, ssrc: u32, marker: bool, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(12 + payload.len());
    p.push(0x80);
    p.push((u8::from(marker) << 7) | (pt & 0x7f));
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// The payload type and payload of an RTP packet (CSRCs, header extension and padding
/// skipped); `None` for RTCP or a packet too short.
pub fn rtp_payload(packet: &[u8]) -> Option<(u8, &[u8])> {
    if packet.len() < 12 || packet[0] >> 6 != 2 {
        return None;
    }
    let pt = packet[1] & 0x7f;
    if (72..=76).contains(&pt) {
        return None; // RTCP (SR, RR, SDES, BYE, APP)
    }
    let mut at = 12 + 4 * usize::from(packet[0] & 0x0f);
    if packet[0] & 0x10 != 0 {
        let words = u16::from_be_bytes([*packet.get(at + 2)?, *packet.get(at + 3)?]);
        at += 4 + 4 * usize::from(words);
    }
    let mut end = packet.len();
    if packet[0] & 0x20 != 0 {
        end = end.checked_sub(usize::from(*packet.last()?))?;
    }
    Some((pt, packet.get(at..end)?))
}

/// A VP8 frame cut into RTP payloads of at most `max` bytes, each with the one-byte VP8
/// payload descriptor (S set on the first); the last one takes the marker bit.
pub fn vp8_payloads(frame: &[u8], max: usize) -> Vec<Vec<u8>> {
    let chunk = max.saturating_sub(1).max(1);
    frame
        .chunks(chunk)
        .enumerate()
        .map(|(i, part)| {
            let mut p = Vec::with_capacity(part.len() + 1);
            p.push(if i == 0 { 0x10 } else { 0x00 });
            p.extend_from_slice(part);
            p
        })
        .collect()
}

/// Where to send RTP for a medium of the plugin's SDP.
pub fn target(ip: IpAddr, medium: &SdpMedium) -> SocketAddr {
    SocketAddr::new(ip, medium.port)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn packets_and_sdp_read_back() {
        let p = rtp_packet(111, 7, 960, 42, true, b"opus");
        assert_eq!(rtp_payload(&p), Some((111, &b"opus"[..])));
        let parts = vp8_payloads(&[1; 2500], 1200);
        assert_eq!(parts.len(), 3);
        assert_eq!((parts[0][0], parts[1][0]), (0x10, 0x00));
        let sdp = "v=0\r\nc=IN IP4 127.0.0.2\r\nm=audio 20000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\nm=video 20002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n";
        let (ip, media) = parse_sdp(sdp).unwrap();
        assert_eq!(ip.to_string(), "127.0.0.2");
        assert_eq!(
            (media[0].port, media[0].pt, media[0].codec.as_str()),
            (20000, 111, "opus")
        );
        assert_eq!(
            (media[1].kind.as_str(), media[1].codec.as_str()),
            ("video", "VP8")
        );
        let answer = answer_sdp(ip, &media, &[30000, 30002]);
        assert!(
            answer.contains("m=video 30002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000"),
            "{answer}"
        );
    }
}
