//! Where each event goes: the one home of the delivery policy that every adapter follows.
//!
//! An embedder that hands events to per-client, per-session and per-handle queues (both
//! adapters do) puts a [`Router`] between [`Client::poll_output`](crate::Client::poll_output)
//! and its queues. The router decides, the adapter only supplies the queues
//! ([`Mailboxes`]):
//!
//! - a request's end goes to the caller waiting for it, together with the event queue of the
//!   session or handle it created (made before the caller hears of it: no event is lost);
//! - a handle's event goes to the handle's queue, or to its session's when nobody listens to
//!   the handle (a handle adopted after a `claim`); a session's event to the session's queue;
//!   the connection's to the client's;
//! - a handle's queue closes after `Detached`, a session's (and its handles') after
//!   `SessionLost` or a successful `destroy`;
//! - when a queue is full the event waits in a backlog, in order, and everything after it
//!   waits too: the adapter stops reading from the server while [`Router::is_paused`]
//!   (timers and commands go on), and calls [`Router::retry`] when the queue has room.
//!
//! The router owns no clock and no channel: it is driven by the adapter's loop like the core.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::config::TransportKind;
use crate::error::RequestError;
use crate::event::{DisconnectReason, Event, Reply, Route};
use crate::id::{HandleRef, SessionId, TransactionId};
use crate::msg::ServerInfo;

/// Which queue an event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The client's (connection events).
    Client,
    /// A session's.
    Session(SessionId),
    /// A handle's.
    Handle(HandleRef),
}

/// What a queue did with an event offered to it.
#[derive(Debug)]
pub enum Offer {
    /// Queued.
    Taken,
    /// No room: the event comes back, to be offered again later.
    Full(Event),
    /// Nobody reads this queue any more.
    Closed,
}

/// The server a client connected to: what `connect` returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Connected {
    /// Index in the configured server list.
    pub server: usize,
    /// Its URL.
    pub url: String,
    /// Its transport.
    pub transport: TransportKind,
    /// What it said of itself.
    pub info: Box<ServerInfo>,
}

/// What a client knows of its connection now, kept up to date from
/// [`Mailboxes::connection`]: the server last connected to (after a fail-over or a reconnect,
/// not the one chosen at start) and whether the connection is up. Clones share it, so that
/// an adapter's driver writes it and its public handles read it (a lock held only to copy).
#[derive(Debug, Clone, Default)]
pub struct Link(Arc<Mutex<LinkState>>);

#[derive(Debug, Default)]
struct LinkState {
    last: Option<Connected>,
    up: bool,
}

impl Link {
    fn state(&self) -> MutexGuard<'_, LinkState> {
        // Nothing can panic while it is held: a poisoned lock still holds a whole state.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes in a change of the connection.
    pub fn update(&self, now: Option<&Connected>) {
        let mut state = self.state();
        state.up = now.is_some();
        if let Some(c) = now {
            state.last = Some(c.clone());
        }
    }

    /// The server in use, or last used while the connection is down (`None` before the
    /// first `Connected`).
    pub fn server(&self) -> Option<Connected> {
        self.state().last.clone()
    }

    /// Whether the connection is up.
    pub fn is_up(&self) -> bool {
        self.state().up
    }
}

/// The queues of one adapter: its bounded channels and its way of answering a caller.
pub trait Mailboxes {
    /// The end of an event queue that the router pushes into.
    type Queue;
    /// The end the application reads, handed out with a new session or handle.
    type Events;
    /// Where one request's outcome goes.
    type Waiter;

    /// A new bounded event queue.
    fn queue(&mut self) -> (Self::Queue, Self::Events);
    /// Offers an event to a queue without waiting.
    fn offer(queue: &Self::Queue, event: Event) -> Offer;
    /// Hands a request's outcome, and the events of the session or handle it created, to
    /// the caller.
    fn complete(
        &mut self,
        waiter: Self::Waiter,
        result: Result<Reply, RequestError>,
        events: Option<Self::Events>,
    );
    /// The outcome of the first connect: called once, on the first `Connected` or
    /// `Disconnected` (the event itself also goes to the client's queue).
    fn started(&mut self, result: Result<Connected, DisconnectReason>);
    /// The connection now: the server in use after every `Connected` (the first, a
    /// fail-over, a reconnect), `None` after every `Disconnected`. Does nothing by default.
    fn connection(&mut self, now: Option<&Connected>) {
        let _ = now;
    }
}

/// Routes the core's events to their queues and the requests' ends to their callers.
///
/// ```
/// use janus_proto::router::{Connected, Mailboxes, Offer, Router};
/// use janus_proto::{DisconnectReason, Event, Reply, RequestError};
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// type Queue = Rc<RefCell<Vec<Event>>>;
/// struct Vecs;
/// impl Mailboxes for Vecs {
///     type Queue = Queue;
///     type Events = Queue;
///     type Waiter = ();
///     fn queue(&mut self) -> (Queue, Queue) {
///         let q = Queue::default();
///         (q.clone(), q)
///     }
///     fn offer(q: &Queue, e: Event) -> Offer {
///         q.borrow_mut().push(e);
///         Offer::Taken
///     }
///     fn complete(&mut self, _: (), _: Result<Reply, RequestError>, _: Option<Queue>) {}
///     fn started(&mut self, _: Result<Connected, DisconnectReason>) {}
/// }
///
/// let (mut router, client_events) = Router::new(Vecs);
/// router.deliver(Event::Disconnected { reason: DisconnectReason::GaveUp });
/// assert_eq!(client_events.borrow().len(), 1);
/// ```
pub struct Router<M: Mailboxes> {
    mailboxes: M,
    client: M::Queue,
    queues: HashMap<Target, M::Queue>,
    waiting: HashMap<TransactionId, M::Waiter>,
    backlog: VecDeque<(Target, Event)>,
    started: bool,
}

impl<M: Mailboxes> std::fmt::Debug for Router<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("queues", &self.queues.len())
            .field("waiting", &self.waiting.len())
            .field("backlog", &self.backlog.len())
            .finish_non_exhaustive()
    }
}

impl<M: Mailboxes> Router<M> {
    /// A router and the client's own event queue.
    pub fn new(mut mailboxes: M) -> (Self, M::Events) {
        let (client, events) = mailboxes.queue();
        let router = Self {
            mailboxes,
            client,
            queues: HashMap::new(),
            waiting: HashMap::new(),
            backlog: VecDeque::new(),
            started: false,
        };
        (router, events)
    }

    /// The adapter's queues.
    pub fn mailboxes(&mut self) -> &mut M {
        &mut self.mailboxes
    }

    /// Remembers who waits for the request `tx` (the id a core call returned).
    pub fn wait(&mut self, tx: TransactionId, waiter: M::Waiter) {
        self.waiting.insert(tx, waiter);
    }

    /// Whether an event waits for room: the adapter reads nothing from the server until
    /// [`retry`](Self::retry) has emptied the backlog.
    pub fn is_paused(&self) -> bool {
        !self.backlog.is_empty()
    }

    /// The full queue the oldest waiting event is for, for an adapter that can wait for its
    /// room (`None` when nothing waits, or when that queue is gone).
    pub fn blocked_on(&self) -> Option<&M::Queue> {
        let (target, _) = self.backlog.front()?;
        self.queue_of(*target)
    }

    /// Hands one event of the core to where it belongs.
    pub fn deliver(&mut self, event: Event) {
        let target = match event.route() {
            Route::Transaction(_) => return self.complete(event),
            Route::Client => Target::Client,
            Route::Session(s) => Target::Session(s),
            Route::Handle(h) if self.queues.contains_key(&Target::Handle(h)) => Target::Handle(h),
            // A handle nobody listens to (adopted after a claim): its session hears it.
            Route::Handle(h) => Target::Session(h.session),
        };
        if target == Target::Client {
            self.watch_connection(&event);
        }
        let waits = if self.is_paused() {
            Some(event)
        } else {
            self.send(target, event)
        };
        if let Some(event) = waits {
            self.backlog.push_back((target, event));
        }
    }

    /// Offers the waiting events again, oldest first, until one still finds no room.
    /// Returns whether the router is still paused.
    pub fn retry(&mut self) -> bool {
        while let Some((target, event)) = self.backlog.pop_front() {
            if let Some(event) = self.send(target, event) {
                self.backlog.push_front((target, event));
                return true;
            }
        }
        false
    }

    fn queue_of(&self, target: Target) -> Option<&M::Queue> {
        match target {
            Target::Client => Some(&self.client),
            t => self.queues.get(&t),
        }
    }

    /// Offers an event to its queue; gives it back when the queue is full.
    fn send(&mut self, target: Target, event: Event) -> Option<Event> {
        let closes = matches!(
            (&target, &event),
            (Target::Handle(_), Event::Detached { .. })
                | (Target::Session(_), Event::SessionLost { .. })
        );
        // Nobody listens (the application dropped that queue's reader earlier).
        let queue = self.queue_of(target)?;
        match M::offer(queue, event) {
            Offer::Taken => {}
            Offer::Full(event) => {
                if self.backlog.is_empty() {
                    tracing::debug!(?target, "event queue full: reading pauses");
                }
                return Some(event);
            }
            Offer::Closed => {
                if target != Target::Client {
                    self.queues.remove(&target);
                }
            }
        }
        if closes {
            self.close(target);
        }
        None
    }

    fn close(&mut self, target: Target) {
        match target {
            Target::Handle(h) => {
                self.queues.remove(&Target::Handle(h));
            }
            Target::Session(s) => self.queues.retain(|t, _| match t {
                Target::Session(x) => *x != s,
                Target::Handle(h) => h.session != s,
                Target::Client => true,
            }),
            Target::Client => {}
        }
    }

    fn complete(&mut self, event: Event) {
        // An `Acked` is only news for callers that track acks; the end follows.
        let Event::Completed { tx, result } = event else {
            return;
        };
        let Some(waiter) = self.waiting.remove(&tx) else {
            return;
        };
        // The queue exists before the caller hears of the session or handle.
        let opens = match &result {
            Ok(Reply::SessionCreated(s) | Reply::SessionClaimed(s)) => Some(Target::Session(*s)),
            Ok(Reply::Attached(h)) => Some(Target::Handle(*h)),
            Ok(Reply::SessionDestroyed(s)) => {
                self.close(Target::Session(*s));
                None
            }
            _ => None,
        };
        let events = opens.map(|target| {
            let (queue, events) = self.mailboxes.queue();
            self.queues.insert(target, queue);
            events
        });
        self.mailboxes.complete(waiter, result, events);
    }

    fn watch_connection(&mut self, event: &Event) {
        let result = match event {
            Event::Connected {
                server,
                url,
                transport,
                info,
            } => Ok(Connected {
                server: *server,
                url: url.clone(),
                transport: *transport,
                info: info.clone(),
            }),
            Event::Disconnected { reason } => Err(reason.clone()),
            _ => return,
        };
        self.mailboxes.connection(result.as_ref().ok());
        if !self.started {
            self.started = true;
            self.mailboxes.started(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::id::HandleId;

    /// A bounded queue in memory; `None` once its reader is gone.
    type Queue = Rc<RefCell<Option<VecDeque<Event>>>>;

    #[derive(Default)]
    struct Boxes {
        done: Vec<(u32, Result<Reply, RequestError>, Option<Queue>)>,
        started: Vec<Result<Connected, DisconnectReason>>,
        up: Vec<bool>,
    }

    impl Mailboxes for Boxes {
        type Queue = Queue;
        type Events = Queue;
        type Waiter = u32;
        fn queue(&mut self) -> (Queue, Queue) {
            let q = Rc::new(RefCell::new(Some(VecDeque::new())));
            (q.clone(), q)
        }
        fn offer(q: &Queue, e: Event) -> Offer {
            match q.borrow_mut().as_mut() {
                None => Offer::Closed,
                Some(q) if q.len() >= 2 => Offer::Full(e),
                Some(q) => {
                    q.push_back(e);
                    Offer::Taken
                }
            }
        }
        fn complete(&mut self, w: u32, r: Result<Reply, RequestError>, e: Option<Queue>) {
            self.done.push((w, r, e));
        }
        fn started(&mut self, r: Result<Connected, DisconnectReason>) {
            self.started.push(r);
        }
        fn connection(&mut self, now: Option<&Connected>) {
            self.up.push(now.is_some());
        }
    }

    const S: SessionId = SessionId(1);
    const H: HandleRef = HandleRef {
        session: S,
        handle: HandleId(2),
    };

    fn tx(n: u8) -> TransactionId {
        TransactionId::from(format!("t{n}").as_str())
    }

    fn completed(n: u8, reply: Reply) -> Event {
        Event::Completed {
            tx: tx(n),
            result: Ok(reply),
        }
    }

    fn drain(q: &Queue) -> Vec<Event> {
        q.borrow_mut()
            .as_mut()
            .map(|q| q.drain(..).collect())
            .unwrap_or_default()
    }

    /// A router with a session (waiter 1) and a handle (waiter 2); their queues.
    fn with_session_and_handle() -> (Router<Boxes>, Queue, Queue) {
        let (mut r, _client) = Router::new(Boxes::default());
        r.wait(tx(1), 1);
        r.deliver(completed(1, Reply::SessionCreated(S)));
        r.wait(tx(2), 2);
        r.deliver(completed(2, Reply::Attached(H)));
        let session = r.mailboxes().done[0].2.clone().expect("session queue");
        let handle = r.mailboxes().done[1].2.clone().expect("handle queue");
        (r, session, handle)
    }

    #[test]
    fn a_new_session_and_handle_get_queues_before_their_callers_hear_of_them() {
        let (mut r, session, handle) = with_session_and_handle();
        r.deliver(Event::WebrtcUp { handle: H });
        r.deliver(Event::SessionReclaimed { session: S });
        assert_eq!(drain(&handle), vec![Event::WebrtcUp { handle: H }]);
        assert_eq!(
            drain(&session),
            vec![Event::SessionReclaimed { session: S }]
        );
        assert_eq!(r.mailboxes().done.len(), 2);
    }

    #[test]
    fn a_handle_nobody_listens_to_is_heard_by_its_session() {
        let (mut r, session, _) = with_session_and_handle();
        let other = HandleRef {
            session: S,
            handle: HandleId(9),
        };
        r.deliver(Event::WebrtcUp { handle: other });
        assert_eq!(drain(&session), vec![Event::WebrtcUp { handle: other }]);
    }

    #[test]
    fn detached_is_the_last_event_of_a_handle_queue() {
        let (mut r, session, handle) = with_session_and_handle();
        r.deliver(Event::Detached { handle: H });
        r.deliver(Event::WebrtcUp { handle: H });
        assert_eq!(drain(&handle), vec![Event::Detached { handle: H }]);
        // Later events of that handle fall back to the session.
        assert_eq!(drain(&session), vec![Event::WebrtcUp { handle: H }]);
    }

    #[test]
    fn a_lost_or_destroyed_session_closes_its_queues_and_its_handles() {
        let (mut r, session, handle) = with_session_and_handle();
        r.deliver(Event::SessionLost {
            session: S,
            reason: crate::SessionLostReason::Timeout,
        });
        r.deliver(Event::WebrtcUp { handle: H });
        assert_eq!(drain(&session).len(), 1);
        assert!(drain(&handle).is_empty());

        let (mut r, session, handle) = with_session_and_handle();
        r.wait(tx(3), 3);
        r.deliver(completed(3, Reply::SessionDestroyed(S)));
        r.deliver(Event::WebrtcUp { handle: H });
        r.deliver(Event::SessionReclaimed { session: S });
        assert!(drain(&session).is_empty() && drain(&handle).is_empty());
        assert_eq!(r.mailboxes().done.len(), 3);
    }

    #[test]
    fn a_full_queue_pauses_everything_after_it_in_order() {
        let (mut r, session, handle) = with_session_and_handle();
        for n in 0..4 {
            r.deliver(Event::Media {
                handle: H,
                media: crate::MediaState {
                    kind: format!("{n}"),
                    mid: None,
                    receiving: true,
                    seconds: None,
                    substream: None,
                },
            });
        }
        r.deliver(Event::SessionReclaimed { session: S });
        assert!(r.is_paused());
        assert!(Rc::ptr_eq(r.blocked_on().expect("blocked"), &handle));
        // The session's event waits behind the handle's, though its queue has room.
        assert!(drain(&session).is_empty());
        assert_eq!(drain(&handle).len(), 2);
        assert!(!r.retry());
        assert_eq!(drain(&handle).len(), 2);
        assert_eq!(
            drain(&session),
            vec![Event::SessionReclaimed { session: S }]
        );
    }

    #[test]
    fn a_reader_that_went_away_drops_its_queue_not_the_router() {
        let (mut r, _session, handle) = with_session_and_handle();
        *handle.borrow_mut() = None;
        r.deliver(Event::WebrtcUp { handle: H });
        assert!(!r.is_paused());
        assert!(!r.queues.contains_key(&Target::Handle(H)));
    }

    #[test]
    fn the_first_connect_outcome_is_reported_once_and_still_queued() {
        let (mut r, client) = Router::new(Boxes::default());
        r.deliver(Event::Disconnected {
            reason: DisconnectReason::Unreachable,
        });
        r.deliver(Event::Disconnected {
            reason: DisconnectReason::GaveUp,
        });
        assert_eq!(
            r.mailboxes().started,
            vec![Err(DisconnectReason::Unreachable)]
        );
        assert_eq!(drain(&client).len(), 2);
        // Every change of the connection is told, not only the first.
        assert_eq!(r.mailboxes().up, vec![false, false]);
    }

    #[test]
    fn acks_and_unknown_transactions_reach_nobody() {
        let (mut r, _client) = Router::new(Boxes::default());
        r.deliver(Event::Acked {
            tx: tx(1),
            hint: None,
        });
        r.deliver(completed(7, Reply::Pong));
        assert!(r.mailboxes().done.is_empty());
    }
}
