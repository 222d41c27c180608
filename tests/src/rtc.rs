//! What the WebRTC tests of both adapters share: plugin names, the wait, the media and data
//! they send, and what the plugins send back. Adapter-free, so that the blocking and the
//! tokio tests check the very same things.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::media::{OPUS_TICKS, VP8_TICKS, frame_number, opus_frame, vp8_frame};

/// The EchoTest plugin.
pub const ECHOTEST: &str = "janus.plugin.echotest";
/// The VideoCall plugin.
pub const VIDEOCALL: &str = "janus.plugin.videocall";
/// The VideoRoom plugin.
pub const VIDEOROOM: &str = "janus.plugin.videoroom";
/// The TextRoom plugin.
pub const TEXTROOM: &str = "janus.plugin.textroom";

/// How long a test waits for any one thing (an event, a reply, an echo).
pub const WAIT: Duration = Duration::from_secs(10);
/// The senders' tick: one Opus frame each, one VP8 frame every second one (25 fps).
pub const TICK: Duration = Duration::from_millis(20);

/// What the EchoTest sends back for a data-channel text message.
pub fn echoed_text(sent: &str) -> String {
    format!("Janus EchoTest here! You wrote: {sent}")
}

/// The `i`th binary data-channel message of a test (echoed unchanged).
pub fn binary_message(i: usize) -> Vec<u8> {
    let i = i.to_le_bytes()[0];
    vec![i, 0, 255, i.wrapping_mul(7)]
}

/// The `i`th text data-channel message of a test.
pub fn text_message(i: usize) -> String {
    format!("text {i}")
}

/// The EchoTest's echoes of `count` text and `count` binary messages, collected in the
/// order they come back.
#[derive(Debug, Default)]
pub struct DataEchoes {
    texts: Vec<Vec<u8>>,
    binaries: Vec<Vec<u8>>,
}

impl DataEchoes {
    /// Takes an echoed message (on the `echo` channel).
    pub fn push(&mut self, msg: janus_rtc::DataMessage) {
        assert_eq!(msg.label, "echo");
        if msg.binary {
            self.binaries.push(msg.data);
        } else {
            self.texts.push(msg.data);
        }
    }

    /// Whether `count` of each came back.
    pub fn complete(&self, count: usize) -> bool {
        self.texts.len() >= count && self.binaries.len() >= count
    }

    /// Asserts they came back in order: text prefixed by the EchoTest, binary unchanged.
    pub fn check(&self) {
        for (i, t) in self.texts.iter().enumerate() {
            assert_eq!(String::from_utf8_lossy(t), echoed_text(&text_message(i)));
        }
        for (i, b) in self.binaries.iter().enumerate() {
            assert_eq!(*b, binary_message(i), "binary message {i}");
        }
    }
}

/// One encoded frame to write, with its RTP time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// RTP time in the codec's clock.
    pub rtp_time: u64,
    /// The frame.
    pub data: Vec<u8>,
}

/// Audio frame `n` of a test: 80-byte Opus, 20 ms apart.
pub fn audio_frame(n: u32) -> Frame {
    Frame {
        rtp_time: u64::from(n) * OPUS_TICKS,
        data: opus_frame(n, 80),
    }
}

/// Video frame for tick `n` (even ticks only: 25 frames a second), a keyframe every two
/// seconds; `None` on odd ticks.
pub fn video_frame(n: u32) -> Option<Frame> {
    (n % 2 == 0).then(|| Frame {
        rtp_time: u64::from(n / 2) * VP8_TICKS * 6 / 5,
        data: vp8_frame(n, n % 100 == 0, 2000),
    })
}

/// The frame an echo of frame `n` must equal, audio or video.
pub fn sent_frame(audio: bool, n: u32) -> Vec<u8> {
    if audio {
        audio_frame(n).data
    } else {
        video_frame(n).map(|f| f.data).unwrap_or_default()
    }
}

/// The ICE username fragment of an SDP.
pub fn ice_ufrag(sdp: &str) -> Option<&str> {
    sdp.lines().find_map(|l| l.strip_prefix("a=ice-ufrag:"))
}

/// Whether these ICE states show pairs checked and then a pair connected (ICE ran).
pub fn checked_and_connected(states: &[janus_rtc::IceState]) -> bool {
    use janus_rtc::IceState;
    states
        .iter()
        .position(|s| *s == IceState::Checking)
        .is_some_and(|c| {
            states[c..]
                .iter()
                .any(|s| matches!(s, IceState::Connected | IceState::Completed))
        })
}

/// The simulcast layers a VideoRoom publisher sends: (rid, first frame number, size).
/// Frame numbers tell the layers apart: h from 1,000,000, m from 2,000,000, l from 3,000,000.
pub const LAYERS: [(&str, u32, usize); 3] = [
    ("h", 1_000_000, 2400),
    ("m", 2_000_000, 1200),
    ("l", 3_000_000, 400),
];
/// The simulcast senders' tick: 25 frames a second on each layer.
pub const LAYER_TICK: Duration = Duration::from_millis(40);

/// Tick `n` of the simulcast sender: a frame of each layer (rid, frame), a keyframe every
/// 10 ticks, all at the same RTP time (returned first).
pub fn layer_frames(n: u32) -> (u64, [(&'static str, Vec<u8>); 3]) {
    let rtp_time = u64::from(n) * VP8_TICKS * 6 / 5;
    (
        rtp_time,
        LAYERS.map(|(rid, base, len)| (rid, vp8_frame(base + n, n % 10 == 0, len))),
    )
}

/// The layer (rid) a received simulcast frame came from.
pub fn layer_of(frame: &[u8]) -> Option<&'static str> {
    let n = frame_number(frame)?;
    LAYERS
        .iter()
        .find(|(_, base, _)| (*base..base + 1_000_000).contains(&n))
        .map(|(rid, ..)| *rid)
}

/// Numbered frames ([`frame_number`]) from this one on come from a test's second
/// publisher, those below it from its first.
pub const SECOND_FEED: u32 = 500_000;

/// Numbered frames received, by publisher (first or second, told by [`SECOND_FEED`]) and
/// kind: what a subscriber of two publishers got.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ByFeed {
    /// The first publisher's audio frames.
    pub first_audio: usize,
    /// The first publisher's video frames.
    pub first_video: usize,
    /// The second publisher's audio frames.
    pub second_audio: usize,
    /// The second publisher's video frames.
    pub second_video: usize,
}

impl ByFeed {
    /// Counts a received frame (frames that carry no number are not counted).
    pub fn push(&mut self, f: &janus_rtc::MediaFrame) {
        let Some(n) = frame_number(&f.data) else {
            return;
        };
        let audio = f.codec.eq_ignore_ascii_case("opus");
        let count = match (n < SECOND_FEED, audio) {
            (true, true) => &mut self.first_audio,
            (true, false) => &mut self.first_video,
            (false, true) => &mut self.second_audio,
            (false, false) => &mut self.second_video,
        };
        *count += 1;
    }
}

/// The label of a VideoRoom test publisher's data channel.
pub const CHAT: &str = "chat";

/// The `n`th data message a VideoRoom test publisher sends.
pub fn chat_message(n: u32) -> String {
    format!("chat {n}")
}

/// What a subscriber of a publisher of audio, simulcast video ([`layer_frames`]) and
/// [`chat_message`]s received.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LayersAndData {
    /// Audio frames.
    pub audio: usize,
    /// Video frames by layer, in the order they came.
    pub layers: Vec<&'static str>,
    /// Data message numbers, in the order they came.
    pub chat: Vec<u32>,
}

impl LayersAndData {
    /// Takes one event of the subscriber's (`audio` and `video` are its mids). Data must
    /// come on the channel Janus labels with the sender's feed id (`from`), whatever
    /// label the publisher used; anything else fails the test.
    pub fn push(&mut self, e: janus_rtc::HandleEvent, audio: &str, video: &str, from: &str) {
        use janus_rtc::{Event, HandleEvent};
        match e {
            HandleEvent::Rtc(Event::Media(f)) if f.mid == audio => self.audio += 1,
            HandleEvent::Rtc(Event::Media(f)) if f.mid == video => {
                let layer = layer_of(&f.data);
                self.layers
                    .push(layer.unwrap_or_else(|| panic!("not a layer frame: {f:?}")));
            }
            HandleEvent::Rtc(Event::Data(m)) => {
                assert_eq!(m.label, from, "{m:?}");
                let text = String::from_utf8_lossy(&m.data);
                let n = text.strip_prefix("chat ").and_then(|n| n.parse().ok());
                self.chat
                    .push(n.unwrap_or_else(|| panic!("not a chat message: {text}")));
            }
            _ => {}
        }
    }

    /// Enough of each: audio frames, video frames, data messages.
    pub fn enough(&self, audio: usize, video: usize, chat: usize) -> bool {
        self.audio >= audio && self.layers.len() >= video && self.chat.len() >= chat
    }

    /// Ten frames in a row of layer `rid`, last.
    pub fn ends_with_run_of(&self, rid: &str) -> bool {
        self.layers.iter().rev().take_while(|l| **l == rid).count() >= 10
    }

    /// The layers from the first frame of `rid` on.
    pub fn layers_from(&self, rid: &str) -> Vec<&'static str> {
        self.layers
            .iter()
            .copied()
            .skip_while(|l| *l != rid)
            .collect()
    }
}

/// Pickers for the adapters' `wait_for(timeout, pick)`, which both take the same
/// `FnMut(event) -> Option<T>`: what a test waits for, written once. Each takes any of the
/// three event types (a handle's [`HandleEvent`](janus_rtc::HandleEvent), Janus's, a
/// standalone peer's), so that the same picker reads a handle's queue or a peer's.
pub mod pick {
    use janus_proto::{Event, Jsep};
    use janus_rtc::{Event as RtcEvent, HandleEvent};
    use serde_json::Value;

    fn rtc(ev: impl Into<HandleEvent>) -> Option<RtcEvent> {
        match ev.into() {
            HandleEvent::Rtc(e) => Some(e),
            HandleEvent::Janus(_) => None,
        }
    }

    fn janus(ev: impl Into<HandleEvent>) -> Option<Event> {
        match ev.into() {
            HandleEvent::Janus(e) => Some(e),
            HandleEvent::Rtc(_) => None,
        }
    }

    /// ICE and DTLS up on our side.
    pub fn connected<E: Into<HandleEvent>>(ev: E) -> Option<()> {
        matches!(rtc(ev)?, RtcEvent::Connected).then_some(())
    }

    /// A data channel open: its label and protocol.
    pub fn data_open<E: Into<HandleEvent>>(ev: E) -> Option<(String, String)> {
        match rtc(ev)? {
            RtcEvent::DataOpen { label, protocol } => Some((label, protocol)),
            _ => None,
        }
    }

    /// The connection closed.
    pub fn closed<E: Into<HandleEvent>>(ev: E) -> Option<()> {
        matches!(rtc(ev)?, RtcEvent::Closed).then_some(())
    }

    /// Both sides up: ours (ICE and DTLS) and Janus's `webrtcup`, in either order (a
    /// handle's one queue carries both).
    pub fn both_up<E: Into<HandleEvent>>() -> impl FnMut(E) -> Option<()> {
        let (mut ours, mut theirs) = (false, false);
        move |ev| {
            match ev.into() {
                HandleEvent::Rtc(RtcEvent::Connected) => ours = true,
                HandleEvent::Janus(Event::WebrtcUp { .. }) => theirs = true,
                _ => {}
            }
            (ours && theirs).then_some(())
        }
    }

    /// Both sides up and a data channel open, in any order: the channel's label and
    /// protocol. Waiting for [`both_up`] and then for [`data_open`] can miss the open: the
    /// SCTP association needs only DTLS, so the channel often opens before Janus's
    /// `webrtcup` arrives, and `wait_for` skips what it does not pick.
    pub fn up_with_data<E: Into<HandleEvent>>() -> impl FnMut(E) -> Option<(String, String)> {
        let mut up = both_up::<HandleEvent>();
        let (mut is_up, mut open) = (false, None);
        move |ev| {
            let ev = ev.into();
            if let HandleEvent::Rtc(RtcEvent::DataOpen { label, protocol }) = &ev {
                open = Some((label.clone(), protocol.clone()));
            }
            is_up |= up(ev).is_some();
            if is_up { open.take() } else { None }
        }
    }

    /// Janus's `webrtcup`.
    pub fn webrtcup<E: Into<HandleEvent>>(ev: E) -> Option<()> {
        matches!(janus(ev)?, Event::WebrtcUp { .. }).then_some(())
    }

    /// Janus's `hangup`: its reason.
    pub fn hangup<E: Into<HandleEvent>>(ev: E) -> Option<Option<String>> {
        match janus(ev)? {
            Event::Hangup { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// Janus's `media` event about `mid` saying `receiving`.
    pub fn janus_media<E: Into<HandleEvent>>(
        mid: &str,
        receiving: bool,
    ) -> impl FnMut(E) -> Option<()> + '_ {
        move |ev| match janus(ev)? {
            Event::Media { media, .. }
                if media.mid.as_deref() == Some(mid) && media.receiving == receiving =>
            {
                Some(())
            }
            _ => None,
        }
    }

    /// A plugin event whose data `pred` accepts: its data and JSEP.
    pub fn plugin_event<E: Into<HandleEvent>>(
        mut pred: impl FnMut(&Value) -> bool,
    ) -> impl FnMut(E) -> Option<(Value, Option<Jsep>)> {
        move |ev| match janus(ev)? {
            Event::PluginEvent { data, jsep, .. } if pred(&data.data) => Some((data.data, jsep)),
            _ => None,
        }
    }

    /// A plugin event, decoded by `decode` (an adapter's `plugins::videoroom::event`,
    /// `plugins::audiobridge::event`), that `want` maps to `Some`; events that do not decode
    /// are skipped like any other.
    pub fn typed<P, T>(
        decode: fn(&HandleEvent) -> Option<Result<P, janus_proto::plugin::DecodeError>>,
        mut want: impl FnMut(P) -> Option<T>,
    ) -> impl FnMut(HandleEvent) -> Option<T> {
        move |e| decode(&e)?.ok().and_then(&mut want)
    }

    /// The VideoCall event named `name` (`incomingcall`, `accepted`, ...).
    pub fn videocall_event<'a, E: Into<HandleEvent> + 'a>(
        name: &'a str,
    ) -> impl FnMut(E) -> Option<(Value, Option<Jsep>)> + 'a {
        plugin_event(move |d| d["result"]["event"] == name)
    }

    /// An echoed frame on `mid`.
    pub fn frame_on<E: Into<HandleEvent>>(mid: &str) -> impl FnMut(E) -> Option<()> + '_ {
        move |ev| match rtc(ev)? {
            RtcEvent::Media(f) if f.mid == mid => Some(()),
            _ => None,
        }
    }

    /// The simulcast layer of the next frame received (`None` inside: not a test frame).
    pub fn layer<E: Into<HandleEvent>>(ev: E) -> Option<Option<&'static str>> {
        match rtc(ev)? {
            RtcEvent::Media(f) => Some(super::layer_of(&f.data)),
            _ => None,
        }
    }

    /// A data-channel text message that parses as JSON whose `pred` holds: the JSON.
    pub fn json_data<E: Into<HandleEvent>>(
        mut pred: impl FnMut(&Value) -> bool,
    ) -> impl FnMut(E) -> Option<Value> {
        move |ev| match rtc(ev)? {
            RtcEvent::Data(m) if !m.binary => {
                let v: Value = serde_json::from_slice(&m.data).ok()?;
                pred(&v).then_some(v)
            }
            _ => None,
        }
    }

    /// Any data-channel message.
    pub fn data<E: Into<HandleEvent>>(ev: E) -> Option<janus_rtc::DataMessage> {
        match rtc(ev)? {
            RtcEvent::Data(m) => Some(m),
            _ => None,
        }
    }

    /// The EchoTest's echo of the text message `sent`.
    pub fn echo_of<E: Into<HandleEvent>>(sent: &str) -> impl FnMut(E) -> Option<()> {
        let want = super::echoed_text(sent);
        move |ev| match rtc(ev)? {
            RtcEvent::Data(m) if m.data == want.as_bytes() => Some(()),
            _ => None,
        }
    }
}

/// Sets the flag when dropped, so that a sender that watches it stops even when an
/// assertion fails.
#[derive(Debug)]
pub struct StopOnDrop<'a>(pub &'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_layers_read_back() {
        assert_eq!(frame_number(&audio_frame(5).data), Some(5));
        assert!(video_frame(3).is_none());
        assert_eq!(frame_number(&sent_frame(false, 4)), Some(4));
        let (_, frames) = layer_frames(7);
        let rids: Vec<_> = frames.iter().map(|(_, f)| layer_of(f)).collect();
        assert_eq!(rids, [Some("h"), Some("m"), Some("l")]);
        assert_eq!(ice_ufrag("v=0\r\na=ice-ufrag:abcd\r\n"), Some("abcd"));
    }
}
