//! RFC 6464 audio levels: how loud an audio frame is, carried in an RTP header extension
//! (`urn:ietf:params:rtp-hdrext:ssrc-audio-level`) beside the frame.

use crate::Error;

/// The level of one audio frame, as RFC 6464 carries it: `dbov` is the level in -dBov,
/// from 0 (the loudest) to 127 (silence), and `voice` the sender's voice-activity flag.
///
/// Janus reads it to tell who is talking (AudioBridge and VideoRoom rooms with
/// `audiolevel_event`): a participant talks while the average of its last
/// `audio_active_packets` levels is below the room's `audio_level_average`.
///
/// ```
/// use janus_rtc::AudioLevel;
/// let loud = AudioLevel::new(10).unwrap();
/// assert!(loud.voice() && loud.dbov() == 10);
/// assert!(!AudioLevel::SILENCE.voice());
/// assert!(AudioLevel::new(128).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AudioLevel {
    dbov: u8,
    voice: bool,
}

impl AudioLevel {
    /// Silence: 127 dBov below the loudest, no voice.
    pub const SILENCE: Self = Self {
        dbov: 127,
        voice: false,
    };

    /// A level of `dbov` (0 loudest, 127 silence), with voice unless it is silence.
    /// Above 127 is [`Error::AudioLevel`]: the extension has seven bits for it.
    pub fn new(dbov: u8) -> Result<Self, Error> {
        if dbov > 127 {
            return Err(Error::AudioLevel(dbov));
        }
        Ok(Self {
            dbov,
            voice: dbov < 127,
        })
    }

    /// The same level with this voice-activity flag.
    #[must_use]
    pub fn with_voice(mut self, voice: bool) -> Self {
        self.voice = voice;
        self
    }

    /// The level in -dBov: 0 the loudest, 127 silence.
    pub fn dbov(self) -> u8 {
        self.dbov
    }

    /// The voice-activity flag.
    pub fn voice(self) -> bool {
        self.voice
    }

    /// As str0m's extension values take it: negative decibels.
    pub(crate) fn to_str0m(self) -> (i8, bool) {
        // `dbov` is at most 127 (checked in `new`), so it fits an i8.
        (-i8::try_from(self.dbov).unwrap_or(i8::MAX), self.voice)
    }

    /// From str0m's extension values (negative decibels; a positive value from a
    /// sender that got the sign wrong is read as its magnitude).
    pub(crate) fn from_str0m(level: i8, voice: Option<bool>) -> Self {
        Self {
            dbov: level.unsigned_abs().min(127),
            voice: voice.unwrap_or(false),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_level_goes_to_str0m_and_back_unchanged() {
        for dbov in 0..=127 {
            for voice in [false, true] {
                let level = AudioLevel::new(dbov).unwrap().with_voice(voice);
                let (l, v) = level.to_str0m();
                assert!(l <= 0);
                assert_eq!(AudioLevel::from_str0m(l, Some(v)), level);
            }
        }
    }

    #[test]
    fn a_level_beyond_seven_bits_is_a_typed_error() {
        assert_eq!(AudioLevel::new(128), Err(Error::AudioLevel(128)));
        assert_eq!(AudioLevel::new(255), Err(Error::AudioLevel(255)));
    }
}
