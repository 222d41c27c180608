//! The janus.js tracks model: what an offer or answer should contain.

/// `audio`, `video` or `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TrackKind {
    /// An audio m-line.
    Audio,
    /// A video m-line.
    Video,
    /// The data-channel (SCTP) m-line.
    Data,
}

/// What to do with a track in the next negotiation (janus.js `add`, `replace`, `remove`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackAction {
    /// A new m-line (or data channel).
    Add,
    /// Keep the m-line and its direction; the application simply writes another source.
    Replace,
    /// Stop the m-line with this mid.
    Remove,
}

/// One entry of the `tracks` array of janus.js `createOffer`/`createAnswer`.
///
/// ```
/// use janus_rtc::{Track, TrackKind};
/// let tracks = [Track::audio(), Track::video().recv_only(), Track::data("chat")];
/// assert_eq!(tracks[1].kind, TrackKind::Video);
/// assert!(tracks[1].recv && !tracks[1].send);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// Audio, video or data.
    pub kind: TrackKind,
    /// The mid of an existing track (for `Replace` and `Remove`).
    pub mid: Option<String>,
    /// Whether we send on it (janus.js `capture`).
    pub send: bool,
    /// Whether we receive on it (janus.js `recv`).
    pub recv: bool,
    /// Add, replace or remove.
    pub action: TrackAction,
    /// Offer three simulcast layers (video only).
    pub simulcast: bool,
    /// The data channel's label, or the msid track id of an audio or video track.
    pub label: Option<String>,
    /// The data channel's subprotocol (janus.js `data({protocol})`); empty for none.
    pub protocol: Option<String>,
}

impl Track {
    fn new(kind: TrackKind) -> Self {
        Self {
            kind,
            mid: None,
            send: true,
            recv: true,
            action: TrackAction::Add,
            simulcast: false,
            label: None,
            protocol: None,
        }
    }

    /// A new send-and-receive audio track.
    pub fn audio() -> Self {
        Self::new(TrackKind::Audio)
    }

    /// A new send-and-receive video track.
    pub fn video() -> Self {
        Self::new(TrackKind::Video)
    }

    /// A data channel with this label.
    pub fn data(label: impl Into<String>) -> Self {
        Self {
            label: Some(label.into()),
            ..Self::new(TrackKind::Data)
        }
    }

    /// Removes the track with this mid.
    pub fn remove(kind: TrackKind, mid: impl Into<String>) -> Self {
        Self {
            mid: Some(mid.into()),
            action: TrackAction::Remove,
            ..Self::new(kind)
        }
    }

    /// Replaces the source of the track with this mid (no SDP change).
    pub fn replace(kind: TrackKind, mid: impl Into<String>) -> Self {
        Self {
            mid: Some(mid.into()),
            action: TrackAction::Replace,
            ..Self::new(kind)
        }
    }

    /// Receive only.
    #[must_use]
    pub fn recv_only(mut self) -> Self {
        self.send = false;
        self.recv = true;
        self
    }

    /// Send only.
    #[must_use]
    pub fn send_only(mut self) -> Self {
        self.send = true;
        self.recv = false;
        self
    }

    /// With this label (janus.js track label): the msid track id of an audio or video
    /// track, the channel label of a data track.
    #[must_use]
    pub fn labelled(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Neither sent nor received: in an answer, declines the m-line Janus offers for this
    /// kind (janus.js `{capture: false, recv: false}`).
    #[must_use]
    pub fn declined(mut self) -> Self {
        self.send = false;
        self.recv = false;
        self
    }

    /// With this subprotocol (a data channel's `protocol`, janus.js `data({protocol})`).
    #[must_use]
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocol = Some(protocol.into());
        self
    }

    /// With simulcast (video).
    #[must_use]
    pub fn simulcast(mut self) -> Self {
        self.simulcast = true;
        self
    }
}

/// A track of the PeerConnection, local or remote, as the application sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInfo {
    /// Its mid.
    pub mid: String,
    /// Audio or video.
    pub kind: TrackKind,
    /// Whether we send on it.
    pub send: bool,
    /// Whether we receive on it.
    pub recv: bool,
    /// Its label: the msid track id in our SDP ([`Track::labelled`], or a random one).
    pub label: String,
}
