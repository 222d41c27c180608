//! Encoded frames built to be valid Opus and VP8 at the bitstream level (a correct Opus TOC
//! byte; a VP8 frame tag, and for keyframes the start code and dimensions), with a payload
//! that numbers the frame, so that an echo can be checked byte for byte. No codec needed:
//! Janus relays RTP and never decodes.

/// Opus: 20 ms frames at 48 kHz.
pub const OPUS_TICKS: u64 = 960;
/// VP8: 30 frames per second at 90 kHz.
pub const VP8_TICKS: u64 = 3000;

/// The `n`th Opus packet: TOC 0xF8 (CELT fullband, 20 ms, mono, one frame), then `len`
/// bytes that carry `n`.
pub fn opus_frame(n: u32, len: usize) -> Vec<u8> {
    let mut f = Vec::with_capacity(1 + len);
    f.push(0xF8);
    f.extend(filler(n, len));
    f
}

/// The `n`th VP8 frame of `len` payload bytes; a keyframe (320x240) when `key`.
pub fn vp8_frame(n: u32, key: bool, len: usize) -> Vec<u8> {
    let body = filler(n, len);
    // Frame tag: bit 0 = 0 for a keyframe, version 0, show_frame, first partition size.
    let size = u32::try_from(body.len().min(0x7FFFF)).unwrap_or(0x7FFFF);
    let tag = u32::from(!key) | (1 << 4) | (size << 5);
    let mut f = tag.to_le_bytes()[..3].to_vec();
    if key {
        f.extend([0x9d, 0x01, 0x2a]);
        f.extend(320u16.to_le_bytes());
        f.extend(240u16.to_le_bytes());
    }
    f.extend(body);
    f
}

/// The `n`th H.264 access unit in Annex B: SPS, PPS and an IDR slice when `key`, else a
/// non-IDR slice; the slice carries `n` as text (`H264#<n>#`) so that no byte pattern of the
/// number can look like a start code. Real NAL headers, made-up slice data.
pub fn h264_frame(n: u32, key: bool, len: usize) -> Vec<u8> {
    const START: [u8; 4] = [0, 0, 0, 1];
    let mut f = Vec::with_capacity(len + 32);
    if key {
        // SPS (constrained baseline 3.1) and PPS.
        f.extend(START);
        f.extend([0x67, 0x42, 0xE0, 0x1F, 0x8D, 0x68, 0x14, 0x03, 0xDA]);
        f.extend(START);
        f.extend([0x68, 0xCE, 0x3C, 0x80]);
    }
    f.extend(START);
    f.push(if key { 0x65 } else { 0x41 });
    f.extend(format!("H264#{n}#").bytes());
    // Filler without zero bytes: never an accidental start code.
    f.extend((0..len).map(|i| 0x20 + ((i as u32 + n) % 90) as u8));
    f
}

/// The number an [`h264_frame`] carries.
pub fn h264_number(frame: &[u8]) -> Option<u32> {
    let at = frame.windows(5).position(|w| w == b"H264#")? + 5;
    let end = frame[at..].iter().position(|b| *b == b'#')? + at;
    std::str::from_utf8(&frame[at..end]).ok()?.parse().ok()
}

/// The frame number a [`opus_frame`] or [`vp8_frame`] carries, read back from an echo.
pub fn frame_number(frame: &[u8]) -> Option<u32> {
    let at = frame.windows(4).position(|w| w == b"JNUS")?;
    let n = frame.get(at + 4..at + 8)?;
    Some(u32::from_be_bytes(n.try_into().ok()?))
}

fn filler(n: u32, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len.max(8));
    v.extend(b"JNUS");
    v.extend(n.to_be_bytes());
    let mut x = n.wrapping_mul(2_654_435_761).wrapping_add(1);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push(x.to_le_bytes()[0]);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_their_number() {
        assert_eq!(frame_number(&opus_frame(7, 60)), Some(7));
        let key = vp8_frame(9, true, 500);
        assert_eq!(key[0] & 1, 0, "keyframe bit");
        assert_eq!(&key[3..6], &[0x9d, 0x01, 0x2a]);
        assert_eq!(frame_number(&key), Some(9));
        assert_eq!(vp8_frame(10, false, 500)[0] & 1, 1);
        assert_eq!(h264_number(&h264_frame(1, true, 300)), Some(1));
        assert_eq!(h264_number(&h264_frame(100, false, 30)), Some(100));
    }
}
