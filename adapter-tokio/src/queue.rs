//! The bounded event queues, and how a paused driver learns that one has room again.
//!
//! The queues are `flume` channels: bounded like tokio's, but a queue allocates only for
//! the events it holds (tokio's bounded channel allocates a block of 32 slots up front,
//! which was most of the memory of an idle session and handle). A `flume` sender cannot
//! wait for room without an event in hand, so every reader of a queue that the driver
//! fills rings the driver's [`Room`] after each event it takes; the driver, paused on a
//! full queue, looks again at each ring.

use std::sync::Arc;

use janus_proto::Event;
use tokio::sync::Notify;

/// Rung by the readers of the driver's queues; waited on by the driver while one is full.
#[derive(Debug, Default)]
pub(crate) struct Room(Notify);

impl Room {
    /// An event was taken from one of the driver's queues.
    pub(crate) fn taken(&self) {
        // A ring while the driver does not wait is kept (one permit): the driver then
        // looks once more than it needs, never once too few.
        self.0.notify_one();
    }

    /// Resolves once `queue` has room (or its reader is gone); never without a queue.
    pub(crate) async fn wait(&self, queue: Option<&flume::Sender<Event>>) {
        let Some(queue) = queue else {
            return std::future::pending().await;
        };
        while queue.is_full() && !queue.is_disconnected() {
            self.0.notified().await;
        }
    }
}

/// A queue of Janus events that the driver fills, with the room its reader must ring.
#[derive(Debug)]
pub(crate) struct DriverQueue {
    rx: flume::Receiver<Event>,
    room: Arc<Room>,
}

impl DriverQueue {
    /// A new queue of `cap` events: the driver's end, and this one.
    pub(crate) fn new(cap: usize, room: &Arc<Room>) -> (flume::Sender<Event>, Self) {
        let (tx, rx) = flume::bounded(cap);
        let room = Arc::clone(room);
        (tx, Self { rx, room })
    }

    /// The next event; `None` once the driver dropped its end and every event was read.
    /// Cancel-safe: an event is taken only when the future resolves.
    pub(crate) async fn recv(&self) -> Option<Event> {
        let event = self.rx.recv_async().await.ok()?;
        self.room.taken();
        Some(event)
    }

    /// The next event if one is queued; `Err(())` once the queue is closed and empty.
    pub(crate) fn try_recv(&self) -> Result<Option<Event>, ()> {
        match self.rx.try_recv() {
            Ok(event) => {
                self.room.taken();
                Ok(Some(event))
            }
            Err(flume::TryRecvError::Empty) => Ok(None),
            Err(flume::TryRecvError::Disconnected) => Err(()),
        }
    }

    /// The bound of the queue.
    pub(crate) fn capacity(&self) -> usize {
        self.rx.capacity().unwrap_or(usize::MAX)
    }
}
