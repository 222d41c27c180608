//! The frame transform of [`crate::transform`] on a connection: set, taken, applied to every
//! frame written and received, and its drops counted.

use super::PeerConnection;
use crate::{Error, FrameInfo, FrameTransform};

/// The transform and what it has dropped.
#[derive(Default)]
pub(super) struct E2ee {
    transform: Option<Box<dyn FrameTransform>>,
    /// Received frames dropped because they did not decrypt.
    failures: u64,
    /// The transform's output, reused from frame to frame.
    scratch: Vec<u8>,
}

impl E2ee {
    /// The bytes to send for `data`: `data` itself without a transform, else the
    /// transform's output.
    pub(super) fn outgoing<'a>(
        &'a mut self,
        info: FrameInfo<'_>,
        data: &'a [u8],
    ) -> Result<&'a [u8], Error> {
        let Some(transform) = self.transform.as_mut() else {
            return Ok(data);
        };
        self.scratch.clear();
        transform.encrypt(info, data, &mut self.scratch)?;
        Ok(&self.scratch)
    }

    /// The frame for the application: `None` without a transform (the frame as received),
    /// else the decrypted frame, or the transform's error (counted).
    pub(super) fn incoming(
        &mut self,
        info: FrameInfo<'_>,
        data: &[u8],
    ) -> Option<Result<&[u8], Error>> {
        let transform = self.transform.as_mut()?;
        self.scratch.clear();
        match transform.decrypt(info, data, &mut self.scratch) {
            Ok(()) => Some(Ok(&self.scratch)),
            Err(e) => {
                self.failures += 1;
                Some(Err(e))
            }
        }
    }
}

impl PeerConnection {
    /// Sets the end-to-end encryption transform (janus.js `e2ee` with `senderTransforms`
    /// and `receiverTransforms`), replacing any before: every frame written from now on is
    /// encrypted by it, every frame received is decrypted by it, and the offers and answers
    /// made from now on say `"e2ee": true`. Set it before the first offer or answer, so
    /// that Janus learns it with the first description. See [`crate::transform`].
    ///
    /// [`HandleConnection`](crate::HandleConnection) keeps it across a hangup, on the
    /// connection it opens for the next negotiation.
    pub fn set_transform(&mut self, transform: Box<dyn FrameTransform>) {
        self.e2ee.transform = Some(transform);
    }

    /// Removes the transform and returns it: frames go out and come in as they are again,
    /// and later descriptions no longer say `e2ee`.
    pub fn take_transform(&mut self) -> Option<Box<dyn FrameTransform>> {
        self.e2ee.transform.take()
    }

    /// Whether a transform is set (and our descriptions say `"e2ee": true`).
    pub fn has_transform(&self) -> bool {
        self.e2ee.transform.is_some()
    }

    /// How many received frames were dropped because the transform could not decrypt them
    /// (each also reported as [`Event::DecryptFailed`](crate::Event::DecryptFailed)).
    pub fn decrypt_failures(&self) -> u64 {
        self.e2ee.failures
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use crate::{Error, FrameInfo, FrameTransform, PeerConfig, PeerConnection, Track};

    struct Copy;

    impl FrameTransform for Copy {
        fn encrypt(&mut self, _: FrameInfo<'_>, d: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
            out.extend_from_slice(d);
            Ok(())
        }

        fn decrypt(&mut self, _: FrameInfo<'_>, _: &[u8], _: &mut Vec<u8>) -> Result<(), Error> {
            Err(Error::Transform("never".into()))
        }
    }

    #[test]
    fn descriptions_say_e2ee_while_a_transform_is_set() {
        let addr = "127.0.0.2:40000".parse().expect("an address");
        #[allow(clippy::disallowed_methods)] // any instant will do
        let now = Instant::now();
        let mut pc = PeerConnection::new(PeerConfig::default(), now, &[addr]);
        pc.set_transform(Box::new(Copy));
        assert!(pc.has_transform());
        let offer = pc.create_offer(&[Track::audio()], false).expect("an offer");
        assert_eq!(offer.e2ee, Some(true));

        let mut plain = PeerConnection::new(PeerConfig::default(), now, &[addr]);
        let offer = plain
            .create_offer(&[Track::audio()], false)
            .expect("an offer");
        assert_eq!(offer.e2ee, None);
        assert!(pc.take_transform().is_some() && !pc.has_transform());
        assert_eq!(pc.decrypt_failures(), 0);
    }
}
