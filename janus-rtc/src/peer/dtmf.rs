//! DTMF (janus.js `dtmf`): tones out as RFC 4733 telephone events at their time, and
//! telephone events in as digits.

use std::time::{Duration, Instant};

use str0m::media::{Frequency, MediaTime, Mid, TelephoneEvent};

use super::PeerConnection;
use crate::{Error, Event, Output, TrackKind};

impl PeerConnection {
    /// Queues DTMF tones on the audio track `mid` (janus.js `dtmf`): `tones` of `0`-`9`,
    /// `*`, `#`, `A`-`D`, each lasting `duration` with `gap` between them (janus.js
    /// defaults: 500 ms and 50 ms; the gap is at least 50 ms). Sent as RFC 4733 telephone
    /// events, at their time, by [`handle_input`](Self::handle_input)
    /// with [`Input::Timeout`](crate::Input::Timeout).
    pub fn insert_dtmf(
        &mut self,
        now: Instant,
        mid: &str,
        tones: &str,
        duration: Duration,
        gap: Duration,
    ) -> Result<(), Error> {
        self.ensure_open()?;
        let track = self
            .local
            .get(mid)
            .ok_or_else(|| Error::UnknownMid(mid.to_owned()))?;
        if track.kind != TrackKind::Audio {
            return Err(Error::UnknownMid(mid.to_owned()));
        }
        let codes = tones
            .chars()
            .map(|c| dtmf_code(c).ok_or(Error::Dtmf(c)))
            .collect::<Result<Vec<_>, _>>()?;
        let duration = duration.clamp(Duration::from_millis(40), Duration::from_secs(6));
        let gap = gap.max(Duration::from_millis(50));
        let mut at = self
            .dtmf_out
            .back()
            .map_or(now, |(t, _, _, d)| *t + *d + gap)
            .max(now);
        for code in codes {
            self.dtmf_out
                .push_back((at, mid.to_owned(), code, duration));
            at += duration + gap;
        }
        Ok(())
    }

    /// A received telephone event: its digit, once per event (its end packet, which is
    /// sent three times).
    pub(super) fn on_telephone_event(
        &mut self,
        mid: String,
        rtp_time: u64,
        tele: &TelephoneEvent,
    ) -> Option<Event> {
        let key = (mid.clone(), rtp_time);
        if !tele.end || self.last_dtmf.as_ref() == Some(&key) {
            return None;
        }
        self.last_dtmf = Some(key);
        dtmf_digit(tele.event).map(|digit| Event::Dtmf { mid, digit })
    }

    pub(super) fn send_due_dtmf(&mut self, now: Instant) {
        while let Some((at, ..)) = self.dtmf_out.front() {
            if *at > now {
                break;
            }
            let Some((_, mid, code, duration)) = self.dtmf_out.pop_front() else {
                break;
            };
            if let Err(e) = self.write_tone(now, &mid, code, duration) {
                self.queue.push_back(Output::Event(Event::Failed(e)));
            }
        }
    }

    fn write_tone(
        &mut self,
        now: Instant,
        mid: &str,
        code: u8,
        duration: Duration,
    ) -> Result<(), Error> {
        if !self.rtc.is_connected() {
            return Err(Error::Rtc("DTMF before the connection is up".into()));
        }
        let elapsed = |at: Instant| now.saturating_duration_since(at);
        let (since, rtp) = self.audio_clock.get(mid).copied().unwrap_or((now, 0));
        let writer = self
            .rtc
            .writer(Mid::from(mid))
            .ok_or_else(|| Error::UnknownMid(mid.to_owned()))?;
        // The audio codec whose clock a telephone event can share.
        let params = writer
            .payload_params()
            .find(|p| p.spec().codec.is_audio() && p.spec().clock_rate == Frequency::EIGHT_KHZ)
            .copied()
            .ok_or(Error::Rtc(
                "DTMF needs G.711 (8 kHz) audio and telephone-event/8000".into(),
            ))?;
        let clock = params.spec().clock_rate;
        let ticks = (elapsed(since).as_secs_f64() * f64::from(clock.get())) as u64;
        let event = TelephoneEvent {
            event: code,
            end: true,
            volume: 10,
            duration,
        };
        let result = writer.telephone_event(event).write(
            params.pt(),
            now,
            MediaTime::new(rtp + ticks, clock),
            Vec::new(),
        );
        self.drain();
        result.map_err(Error::from)
    }
}

/// The RFC 4733 event code of a DTMF digit.
fn dtmf_code(digit: char) -> Option<u8> {
    const DIGITS: &str = "0123456789*#ABCD";
    DIGITS
        .find(digit.to_ascii_uppercase())
        .and_then(|i| u8::try_from(i).ok())
}

/// RFC 4733 event codes 0-15.
fn dtmf_digit(event: u8) -> Option<char> {
    const DIGITS: &[u8; 16] = b"0123456789*#ABCD";
    DIGITS.get(usize::from(event)).map(|b| char::from(*b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtmf_codes_map_to_their_digits() {
        assert_eq!(dtmf_digit(0), Some('0'));
        assert_eq!(dtmf_digit(10), Some('*'));
        assert_eq!(dtmf_digit(11), Some('#'));
        assert_eq!(dtmf_digit(15), Some('D'));
        assert_eq!(dtmf_digit(16), None);
        for d in "0123456789*#ABCD".chars() {
            assert_eq!(dtmf_code(d).and_then(dtmf_digit), Some(d));
        }
        assert_eq!(dtmf_code('x'), None);
    }
}
