//! One rustls configuration (ring provider, chosen explicitly so that other providers in
//! the process cannot make the choice ambiguous) for both WebSocket and HTTP.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::Error;

/// Trust anchors: the web PKI by default, or the certificates given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Roots {
    pub(crate) extra: Vec<CertificateDer<'static>>,
}

impl Roots {
    pub(crate) fn add_pem(&mut self, pem: &[u8]) -> Result<(), Error> {
        let before = self.extra.len();
        for cert in CertificateDer::pem_slice_iter(pem) {
            self.extra
                .push(cert.map_err(|e| Error::Tls(e.to_string()))?);
        }
        if self.extra.len() == before {
            return Err(Error::Tls("no certificate in PEM".into()));
        }
        Ok(())
    }

    pub(crate) fn rustls(&self) -> Result<Arc<rustls::ClientConfig>, Error> {
        let mut store = rustls::RootCertStore::empty();
        if self.extra.is_empty() {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for c in &self.extra {
            store
                .add(c.clone())
                .map_err(|e| Error::Tls(e.to_string()))?;
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(store)
        .with_no_client_auth();
        Ok(Arc::new(config))
    }
}
