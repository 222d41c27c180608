//! One rustls configuration (ring provider, chosen explicitly so that other providers in
//! the process cannot make the choice ambiguous) for both WebSocket and HTTP.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::Error;

/// Trust anchors: the web PKI by default, or the certificates given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Roots {
    extra: Vec<CertificateDer<'static>>,
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

    /// The rustls configuration, ring provider, these roots (or the web PKI's).
    pub(crate) fn rustls(&self) -> Result<rustls::ClientConfig, Error> {
        let mut store = rustls::RootCertStore::empty();
        if self.extra.is_empty() {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for c in &self.extra {
            store
                .add(c.clone())
                .map_err(|e| Error::Tls(e.to_string()))?;
        }
        Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_root_certificates(store)
        .with_no_client_auth())
    }

    /// An HTTP client on that configuration (HTTP/1.1 only, as Janus speaks).
    pub(crate) fn reqwest(&self) -> Result<reqwest::Client, Error> {
        let mut tls = self.rustls()?;
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            // Redirects are the core's to judge, and it does not follow them
            // (`RequestError::Malformed`): followed, a POST would carry the `apisecret` and
            // token to a server nobody configured, and a long poll its query with both.
            // janus-blocking's client follows none either.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Tls(e.without_url().to_string()))
    }
}
