//! SDP text fixes for what Janus relays.

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
