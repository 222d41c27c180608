//! Where a connection's events wait when the application's queue is full: the one home of
//! the delivery rule both adapters follow.
//!
//! A received media frame that finds no room is dropped and counted (a late frame is worth
//! nothing). Any other event that finds no room waits here, in order, and so does every
//! event after it (frames behind it are dropped: they would overtake it otherwise). While
//! something waits ([`Outbox::is_blocked`]) the adapter stops reading the socket and the
//! handle's Janus events, so the outbox holds at most what one turn of the loop produced;
//! the application's calls and the timers go on, so a thread that sends while it does not
//! read is never stuck behind its own full queue. The adapter retries
//! ([`Outbox::retry`]) on each turn, and often while blocked.

use std::collections::VecDeque;

use crate::handle::HandleEvent;

/// What a queue did with an event offered without waiting.
#[derive(Debug)]
pub enum Offer {
    /// Taken.
    Taken,
    /// No room: here it is back.
    Full(HandleEvent),
    /// Nobody reads the queue any more.
    Gone,
}

/// The application is gone: nobody reads its queue any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gone;

/// A connection's events on their way to the application's queue (see the module doc).
#[derive(Debug, Default)]
pub struct Outbox {
    waiting: VecDeque<HandleEvent>,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether events wait for room: the adapter should read nothing new until
    /// [`retry`](Self::retry) has delivered them.
    pub fn is_blocked(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Offers `event` to the queue with `offer` (which must not wait). `Ok(true)`: it was a
    /// frame and is dropped; the adapter counts it.
    pub fn push(
        &mut self,
        event: HandleEvent,
        offer: &mut impl FnMut(HandleEvent) -> Offer,
    ) -> Result<bool, Gone> {
        let frame = event.is_droppable();
        if self.is_blocked() {
            if frame {
                return Ok(true);
            }
            self.waiting.push_back(event);
            return Ok(false);
        }
        match offer(event) {
            Offer::Taken => Ok(false),
            Offer::Full(_) if frame => Ok(true),
            Offer::Full(event) => {
                self.waiting.push_back(event);
                Ok(false)
            }
            Offer::Gone => Err(Gone),
        }
    }

    /// Offers the waiting events again, in order, until one finds no room.
    pub fn retry(&mut self, offer: &mut impl FnMut(HandleEvent) -> Offer) -> Result<(), Gone> {
        while let Some(event) = self.waiting.pop_front() {
            match offer(event) {
                Offer::Taken => {}
                Offer::Full(event) => {
                    self.waiting.push_front(event);
                    return Ok(());
                }
                Offer::Gone => return Err(Gone),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::disallowed_methods)]
mod tests {
    use super::*;
    use crate::event::{DataMessage, Event, MediaFrame};

    fn data(n: u8) -> HandleEvent {
        HandleEvent::Rtc(Event::Data(DataMessage {
            label: "l".into(),
            binary: true,
            data: vec![n],
        }))
    }

    fn frame() -> HandleEvent {
        HandleEvent::Rtc(Event::Media(MediaFrame {
            mid: "a".into(),
            codec: "opus".into(),
            rtp_time: 0,
            clock_rate: 48_000,
            network_time: std::time::Instant::now(),
            keyframe: false,
            contiguous: true,
            data: std::sync::Arc::from(&[1u8][..]),
            audio_level: None,
        }))
    }

    /// A queue of `room` places.
    fn queue(room: usize) -> (Vec<HandleEvent>, usize) {
        (Vec::new(), room)
    }

    fn offer(q: &mut (Vec<HandleEvent>, usize)) -> impl FnMut(HandleEvent) -> Offer + '_ {
        move |e| {
            if q.0.len() < q.1 {
                q.0.push(e);
                Offer::Taken
            } else {
                Offer::Full(e)
            }
        }
    }

    fn ids(events: &[HandleEvent]) -> Vec<Option<u8>> {
        events
            .iter()
            .map(|e| match e {
                HandleEvent::Rtc(Event::Data(m)) => Some(m.data[0]),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_full_queue_drops_frames_and_keeps_other_events_in_order() {
        let mut q = queue(1);
        let mut outbox = Outbox::new();
        assert_eq!(outbox.push(data(0), &mut offer(&mut q)), Ok(false));
        assert_eq!(outbox.push(frame(), &mut offer(&mut q)), Ok(true));
        assert_eq!(outbox.push(data(1), &mut offer(&mut q)), Ok(false));
        assert!(outbox.is_blocked());
        // Behind a waiting event a frame is dropped even when there is room again.
        q.1 = 10;
        assert_eq!(outbox.push(frame(), &mut offer(&mut q)), Ok(true));
        assert_eq!(outbox.push(data(2), &mut offer(&mut q)), Ok(false));
        outbox.retry(&mut offer(&mut q)).unwrap();
        assert!(!outbox.is_blocked());
        assert_eq!(ids(&q.0), [Some(0), Some(1), Some(2)]);
    }

    #[test]
    fn retry_stops_at_the_first_event_without_room() {
        let mut q = queue(0);
        let mut outbox = Outbox::new();
        for n in 0..3 {
            outbox.push(data(n), &mut offer(&mut q)).unwrap();
        }
        q.1 = 2;
        outbox.retry(&mut offer(&mut q)).unwrap();
        assert!(outbox.is_blocked());
        q.1 = 3;
        outbox.retry(&mut offer(&mut q)).unwrap();
        assert_eq!(ids(&q.0), [Some(0), Some(1), Some(2)]);
    }

    #[test]
    fn a_gone_reader_is_reported() {
        let mut outbox = Outbox::new();
        assert_eq!(outbox.push(data(0), &mut |_| Offer::Gone), Err(Gone));
    }
}
