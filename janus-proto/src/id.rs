//! Identifiers: sessions and handles (chosen by Janus), transactions and HTTP requests
//! (chosen by us, from an injected source).

use std::fmt;
use std::sync::Arc;

/// A Janus session id, as chosen by the server (or forced with `create { id }`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct SessionId(pub u64);

/// A plugin handle id, as chosen by the server. Unique within its session.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct HandleId(pub u64);

/// A plugin handle, addressed as Janus addresses it: by session and handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HandleRef {
    /// The session the handle belongs to.
    pub session: SessionId,
    /// The handle within that session.
    pub handle: HandleId,
}

/// The `transaction` string of a request; every request the client sends has a fresh one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransactionId(Arc<str>);

impl TransactionId {
    /// The id as it appears on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for TransactionId {
    fn from(s: &str) -> Self {
        Self(Arc::from(s))
    }
}

/// Identifies one HTTP request handed to the adapter, so that its response can be matched
/// (`Input::HttpResponse`). Never reused within one `Client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

macro_rules! display_inner {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    )*};
}
display_inner!(SessionId, HandleId, TransactionId, RequestId);

impl fmt::Display for HandleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.session, self.handle)
    }
}

/// Where the client's randomness comes from: transaction ids and long-poll cache busters.
///
/// The core draws nothing from the operating system. Adapters seed [`SeededIds`] from OS
/// entropy; tests use a constant so that every run sends the same bytes.
pub trait IdSource: Send {
    /// The next 64 random bits.
    fn next_u64(&mut self) -> u64;
}

/// The default [`IdSource`]: SplitMix64 from a seed. Not cryptographic; transaction ids only
/// need to be unique among a client's in-flight requests.
#[derive(Debug, Clone)]
pub struct SeededIds {
    state: u64,
}

impl SeededIds {
    /// A source that yields the same sequence for the same seed.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }
}

impl IdSource for SeededIds {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Twelve characters from `[A-Za-z0-9]`, as janus.js makes them.
pub(crate) fn transaction_from(bits: u64) -> TransactionId {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut n = bits;
    let mut out = String::with_capacity(12);
    for _ in 0..12 {
        out.push(char::from(ALPHABET[(n % 62) as usize]));
        n /= 62;
        if n == 0 {
            n = bits.rotate_left(17) | 1;
        }
    }
    TransactionId(Arc::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_transactions() {
        let mut a = SeededIds::new(7);
        let mut b = SeededIds::new(7);
        for _ in 0..100 {
            assert_eq!(
                transaction_from(a.next_u64()),
                transaction_from(b.next_u64())
            );
        }
    }

    #[test]
    fn transactions_are_twelve_alphanumerics() {
        let mut ids = SeededIds::new(1);
        for _ in 0..1000 {
            let tx = transaction_from(ids.next_u64());
            assert_eq!(tx.as_str().len(), 12);
            assert!(tx.as_str().bytes().all(|b| b.is_ascii_alphanumeric()));
        }
    }
}
