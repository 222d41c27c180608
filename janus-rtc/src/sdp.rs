//! SDP text fixes for what Janus relays, and the narrowing of an offer to the tracks an
//! answer asks for.

use crate::{Track, TrackAction, TrackKind};

/// Normalises an SDP that Janus relays from another peer before str0m parses it.
///
/// Janus adds its own `a=mid:` after `a=setup` in each m-section of a relayed SDP while the
/// peer's stays, so the section carries the same `a=mid:` line twice (seen with VideoCall);
/// str0m refuses a section with more than one `a=mid`. Exact repeats of an `a=mid:` line
/// within one m-section are dropped; nothing else changes.
///
/// ```
/// let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:a\r\na=setup:actpass\r\na=mid:a\r\n";
/// assert_eq!(janus_rtc::normalize_sdp(sdp), "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:a\r\na=setup:actpass\r\n");
/// ```
pub fn normalize_sdp(sdp: &str) -> String {
    let mut out = String::with_capacity(sdp.len());
    let mut mids_in_section: Vec<&str> = Vec::new();
    for line in sdp.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\r', '\n']);
        if bare.starts_with("m=") {
            mids_in_section.clear();
        } else if bare.starts_with("a=mid:") {
            if mids_in_section.contains(&bare) {
                continue;
            }
            mids_in_section.push(bare);
        }
        out.push_str(line);
    }
    out
}

/// The mid of the first m-section: where a bundled candidate is trickled.
pub(crate) fn first_mid(sdp: &str) -> Option<String> {
    sdp.lines()
        .find_map(|l| l.trim_end().strip_prefix("a=mid:"))
        .map(str::to_owned)
}

/// Narrows the directions of an offer's audio and video m-sections to what `tracks` ask
/// for, before the offer is answered (janus.js `createAnswer({tracks})`).
///
/// An answer may only narrow an offer: for each offered audio or video m-section, the
/// first unused track of its kind (with its mid, if the track names one) says whether we
/// send and receive on it; a section no track asks for is received only; no tracks at all
/// leave the offer as it is (the answer mirrors it). We cannot receive what Janus does not
/// send, nor send where it does not receive. Rewriting Janus's direction is how str0m,
/// which answers an offer as offered, is told: a section that Janus now "only sends" gets
/// a receive-only answer, one that is "inactive" is declined.
pub(crate) fn narrow_offer(sdp: &str, tracks: &[Track]) -> String {
    if tracks.is_empty() {
        return sdp.to_owned();
    }
    let eol = if sdp.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = sdp.lines().collect();
    let mut used = vec![false; tracks.len()];
    let mut out = String::with_capacity(sdp.len() + 64);
    let mut at = 0;
    while at < lines.len() {
        let end = lines[at + 1..]
            .iter()
            .position(|l| l.starts_with("m="))
            .map_or(lines.len(), |p| at + 1 + p);
        let section = &lines[at..end];
        let kind = section[0]
            .strip_prefix("m=")
            .and_then(|m| m.split(' ').next())
            .and_then(|k| match k {
                "audio" => Some(TrackKind::Audio),
                "video" => Some(TrackKind::Video),
                _ => None,
            });
        match kind {
            Some(kind) => {
                let mid = section.iter().find_map(|l| l.strip_prefix("a=mid:"));
                let pick = tracks.iter().enumerate().position(|(i, t)| {
                    !used[i] && t.kind == kind && t.mid.as_deref().is_none_or(|m| Some(m) == mid)
                });
                let (send, recv) = match pick {
                    Some(i) => {
                        used[i] = true;
                        let t = &tracks[i];
                        if t.action == TrackAction::Remove {
                            (false, false)
                        } else {
                            (t.send, t.recv)
                        }
                    }
                    None => (false, true),
                };
                let offered = section
                    .iter()
                    .find_map(|l| {
                        DIRECTIONS
                            .iter()
                            .find(|d| l.strip_prefix("a=") == Some(**d))
                    })
                    .copied()
                    .unwrap_or("sendrecv");
                let janus_sends = matches!(offered, "sendrecv" | "sendonly");
                let janus_receives = matches!(offered, "sendrecv" | "recvonly");
                let narrowed = match (recv && janus_sends, send && janus_receives) {
                    (true, true) => "sendrecv",
                    (true, false) => "sendonly",
                    (false, true) => "recvonly",
                    (false, false) => "inactive",
                };
                let mut replaced = false;
                for line in section {
                    if DIRECTIONS
                        .iter()
                        .any(|d| line.strip_prefix("a=") == Some(*d))
                    {
                        out.push_str("a=");
                        out.push_str(narrowed);
                        replaced = true;
                    } else {
                        out.push_str(line);
                    }
                    out.push_str(eol);
                }
                if !replaced {
                    out.push_str("a=");
                    out.push_str(narrowed);
                    out.push_str(eol);
                }
            }
            None => {
                for line in section {
                    out.push_str(line);
                    out.push_str(eol);
                }
            }
        }
        at = end;
    }
    out
}

const DIRECTIONS: [&str; 4] = ["sendrecv", "sendonly", "recvonly", "inactive"];

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendrecv\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendrecv\r\n\
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n";

    fn directions(sdp: &str) -> Vec<&str> {
        sdp.lines()
            .filter_map(|l| {
                DIRECTIONS
                    .iter()
                    .find(|d| l.strip_prefix("a=") == Some(**d))
            })
            .copied()
            .collect()
    }

    #[test]
    fn no_tracks_leave_the_offer_as_it_is() {
        assert_eq!(narrow_offer(OFFER, &[]), OFFER);
    }

    #[test]
    fn receive_only_and_declined_tracks_narrow_janus_side() {
        let tracks = [Track::audio().recv_only(), Track::video().declined()];
        let narrowed = narrow_offer(OFFER, &tracks);
        assert_eq!(directions(&narrowed), ["sendonly", "inactive"]);
        assert!(narrowed.contains("m=application") && narrowed.ends_with("a=mid:2\r\n"));
    }

    #[test]
    fn an_unasked_kind_is_received_only_and_janus_sendonly_stays() {
        let offer = OFFER.replacen("a=sendrecv", "a=sendonly", 1);
        let narrowed = narrow_offer(&offer, &[Track::audio()]);
        // Audio: Janus only sends, so we can only receive. Video: not asked for.
        assert_eq!(directions(&narrowed), ["sendonly", "sendonly"]);
    }

    #[test]
    fn a_track_with_a_mid_takes_its_own_section() {
        let tracks = [Track::remove(TrackKind::Video, "1"), Track::audio()];
        assert_eq!(
            directions(&narrow_offer(OFFER, &tracks)),
            ["sendrecv", "inactive"]
        );
    }
}
