//! End-to-end encryption of media frames, as janus.js does it with insertable streams
//! (`e2ee`, `senderTransforms`, `receiverTransforms`).
//!
//! A [`FrameTransform`] set on a connection
//! ([`PeerConnection::set_transform`](crate::PeerConnection::set_transform)) sees every
//! encoded frame: each frame written (`write_frame`, `write_simulcast_frame`,
//! `write_frame_with_level`) goes through [`FrameTransform::encrypt`] before str0m
//! packetises it, and each frame received goes through [`FrameTransform::decrypt`] before it
//! becomes [`Event::Media`](crate::Event::Media). While a transform is set, the offers and
//! answers the connection makes say `"e2ee": true` ([`Jsep::e2ee`](janus_proto::Jsep::e2ee)),
//! which is how Janus learns that it must not expect to read the payloads: the VideoRoom
//! marks the publisher encrypted, offers its feeds to subscribers with `e2ee: true`,
//! refuses to mix encrypted and clear feeds in one subscription, and flags recordings.
//!
//! The scheme is the application's: this crate ships none. A real one is SFrame (RFC 9605)
//! or the application's own authenticated cipher with keys it exchanges out of band (Janus
//! never sees them); key rotation, key ids and replay windows are that scheme's business.
//! It is hand-written glue, not cryptography, because no crate fits str0m's frame API.
//!
//! # What stays in the clear
//!
//! str0m packetises the transformed bytes with the codec's RTP payload format (the VP8
//! payload descriptor is str0m's, outside the frame), so any bytes packetise. But the
//! receiver's keyframe flag ([`MediaFrame::keyframe`](crate::MediaFrame::keyframe)) and
//! Janus's own payload reading (VP8 simulcast switching waits for a keyframe of the new
//! layer; recordings; keyframe detection) look at the first bytes of the frame. Browsers'
//! insertable-streams demos, janus.js's e2ee demo among them, therefore leave the head of
//! each frame unencrypted: 10 bytes of a VP8 keyframe (frame tag and the start code with
//! the size), 3 of a VP8 delta frame (the frame tag), 1 of an Opus packet (the TOC byte).
//! [`clear_header_len`] gives those numbers, for schemes that want to do the same; a scheme
//! that encrypts everything works too with a single, non-simulcast stream, and then
//! `keyframe` on received frames means nothing until decrypted.
//!
//! # Failures
//!
//! An encrypt failure is the write's [`Error::Transform`]: the frame is not sent. A decrypt
//! failure (a wrong key, a clear or damaged frame) drops the frame, counts it
//! ([`PeerConnection::decrypt_failures`](crate::PeerConnection::decrypt_failures)) and
//! reports [`Event::DecryptFailed`](crate::Event::DecryptFailed); it never panics.
//!
//! # What is not done
//!
//! - No scheme and no key management: SFrame, key exchange and rotation are the
//!   application's (Janus has no part in them).
//! - One transform per connection, not per track: a per-track scheme dispatches on
//!   [`FrameInfo::mid`] (and copies the frames of a track it leaves clear).
//! - Only frames are transformed. RTP headers and their extensions (the RFC 6464 audio
//!   level, which Janus's talk detection reads), RFC 4733 DTMF events and data-channel
//!   messages go as they are, as in browsers.
//! - Setting or taking the transform changes no description already sent: renegotiate for
//!   Janus to learn it.

use crate::Error;

/// What a transform is told about a frame besides its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameInfo<'a> {
    /// The track's mid: a per-track scheme dispatches on it.
    pub mid: &'a str,
    /// The codec, as named in the SDP (`opus`, `VP8`, `H264`, ...).
    pub codec: &'a str,
    /// The simulcast layer, when written with one (`h`, `m`, `l`); `None` on receive.
    pub rid: Option<&'a str>,
    /// The RTP timestamp, in the codec's clock.
    pub rtp_time: u64,
}

/// A per-connection frame transform: end-to-end encryption (janus.js insertable streams).
///
/// Both methods write the result into `out`, which arrives empty (its capacity is reused
/// from frame to frame). `Send`, so that a boxed transform moves into an adapter's task or
/// thread (`Connection::call(move |pc, _| pc.set_transform(t))`). Implementations must not
/// print their keys in a `Debug` of their own; this crate never formats a transform.
pub trait FrameTransform: Send {
    /// Turns a frame about to be sent into what goes on the wire.
    fn encrypt(
        &mut self,
        frame: FrameInfo<'_>,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error>;

    /// Turns a received frame back into the encoded frame; an error drops the frame (counted
    /// and reported as [`Event::DecryptFailed`](crate::Event::DecryptFailed)).
    fn decrypt(
        &mut self,
        frame: FrameInfo<'_>,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error>;
}

/// How many bytes at the head of a frame janus.js's e2ee demo leaves unencrypted: 10 of a
/// VP8 keyframe, 3 of a VP8 delta frame, 1 of an Opus packet, 0 otherwise (capped at the
/// frame's length). A VP8 frame is a keyframe when bit 0 of its first byte is 0 (RFC 6386,
/// section 9.1).
pub fn clear_header_len(codec: &str, data: &[u8]) -> usize {
    let len = if codec.eq_ignore_ascii_case("vp8") {
        match data.first() {
            Some(tag) if tag & 1 == 0 => 10,
            Some(_) => 3,
            None => 0,
        }
    } else if codec.eq_ignore_ascii_case("opus") {
        1
    } else {
        0
    };
    len.min(data.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clear_header_follows_the_janus_js_demo() {
        assert_eq!(clear_header_len("VP8", &[0x10; 40]), 10);
        assert_eq!(clear_header_len("VP8", &[0x11; 40]), 3);
        assert_eq!(clear_header_len("opus", &[0xfc; 40]), 1);
        assert_eq!(clear_header_len("H264", &[0; 40]), 0);
        assert_eq!(clear_header_len("VP8", &[0x10; 4]), 4);
        assert_eq!(clear_header_len("VP8", &[]), 0);
    }
}
