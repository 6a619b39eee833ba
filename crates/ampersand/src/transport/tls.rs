//! TLS settings of the default transport: private roots, or a whole rustls `ClientConfig`.
//!
//! By default the client trusts the roots of the crate's root feature (`webpki-roots`, the
//! Mozilla bundle compiled in; or `native-roots`, the operating system's store read at
//! start) and uses the crypto provider of its provider feature (`rustls-ring` or
//! `aws-lc-rs`), passed explicitly so that rustls never looks for a process-level one.
//! [`TlsConfig::add_root_certificates_pem`] adds a private certificate authority beside those
//! roots; [`TlsConfig::client_config`] replaces the whole policy (client certificates for
//! mutual TLS, pinned roots, other protocol versions). Either way ALPN offers `h2` and
//! `http/1.1`: the transport sets it on the configuration it is given.

use std::fmt;
use std::sync::Arc;

use ampersand_core::Error;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The TLS settings of the default transport. See the [module docs](self).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct TlsConfig {
    extra_roots: Vec<CertificateDer<'static>>,
    client_config: Option<Arc<rustls::ClientConfig>>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("extra_roots", &self.extra_roots.len())
            .field("custom_client_config", &self.client_config.is_some())
            .finish()
    }
}

impl TlsConfig {
    /// Trusts every certificate of `pem` (one or more `-----BEGIN CERTIFICATE-----` blocks)
    /// as a root, beside the default roots. Fails when `pem` holds no certificate or one that
    /// cannot be read; other PEM sections (a key) are ignored.
    pub fn add_root_certificates_pem(&mut self, pem: &[u8]) -> Result<&mut Self, Error> {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| {
                Error::config(format!("the root certificate PEM cannot be read: {e}"))
            })?;
            self.extra_roots.push(cert);
            added += 1;
        }
        if added == 0 {
            return Err(Error::config(
                "the root certificate PEM holds no `BEGIN CERTIFICATE` block",
            ));
        }
        Ok(self)
    }

    /// Uses `config` as it is (its roots, its verifier, its client certificate for mutual
    /// TLS, its crypto provider and protocol versions); the transport only sets its ALPN
    /// protocols to `h2` and `http/1.1`. Private roots added with
    /// [`add_root_certificates_pem`](Self::add_root_certificates_pem) cannot be combined
    /// with it (put them in your `RootCertStore`): building the transport fails if both
    /// are set.
    pub fn client_config(&mut self, config: rustls::ClientConfig) -> &mut Self {
        self.client_config = Some(Arc::new(config));
        self
    }

    /// The number of private roots added.
    pub fn extra_root_count(&self) -> usize {
        self.extra_roots.len()
    }

    /// The rustls configuration the transport uses: the user's, or the default roots and
    /// provider plus the private roots.
    pub(crate) fn build(&self) -> Result<rustls::ClientConfig, Error> {
        if let Some(config) = &self.client_config {
            if !self.extra_roots.is_empty() {
                return Err(Error::config(
                    "private root certificates cannot be added to a custom rustls ClientConfig: \
                     put them in its RootCertStore",
                ));
            }
            return Ok(config.as_ref().clone());
        }
        let mut roots = default_roots()?;
        for cert in &self.extra_roots {
            roots.add(cert.clone()).map_err(|e| {
                Error::config(format!("a private root certificate is not usable: {e}"))
            })?;
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(crypto_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::config(format!("TLS setup failed: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(config)
    }
}

/// The roots of the crate's root features, which add up: the Mozilla bundle with
/// `webpki-roots` (the default), the operating system's store with `native-roots`, both when
/// both are on.
fn default_roots() -> Result<rustls::RootCertStore, Error> {
    #[cfg_attr(not(feature = "native-roots"), allow(unused_mut))]
    let mut roots = rustls::RootCertStore::empty();
    #[cfg(feature = "webpki-roots")]
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    #[cfg(feature = "native-roots")]
    {
        let loaded = rustls_native_certs::load_native_certs();
        let (added, _ignored) = roots.add_parsable_certificates(loaded.certs);
        if added == 0 && roots.is_empty() {
            let why = loaded
                .errors
                .first()
                .map_or_else(|| "none found".to_owned(), ToString::to_string);
            return Err(Error::config(format!(
                "could not load the system's root certificates: {why}"
            )));
        }
    }
    Ok(roots)
}

/// The crypto provider of the crate's provider features: aws-lc-rs when `aws-lc-rs` is on
/// (enabling it asks for it, even beside the default `rustls-ring`), else ring.
pub(crate) fn crypto_provider() -> rustls::crypto::CryptoProvider {
    #[cfg(feature = "aws-lc-rs")]
    {
        rustls::crypto::aws_lc_rs::default_provider()
    }
    #[cfg(all(feature = "rustls-ring", not(feature = "aws-lc-rs")))]
    {
        rustls::crypto::ring::default_provider()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed CA certificate, PEM (made once with `openssl req -x509 -newkey ec
    /// -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=Ampersand SDK fixture CA" -days 36500`;
    /// its key was not kept).
    const PRIVATE_CA: &str = include_str!("../../tests/fixtures/tls/private-ca.pem");

    #[test]
    fn tls_private_roots_are_added_beside_the_default_roots() {
        let defaults = default_roots().expect("the default roots load").len();
        assert!(defaults > 0);
        let mut config = TlsConfig::default();
        config
            .add_root_certificates_pem(PRIVATE_CA.as_bytes())
            .expect("a PEM certificate");
        assert_eq!(config.extra_root_count(), 1);
        let built = config.build().expect("a client config");
        assert!(built.alpn_protocols.is_empty(), "the transport sets ALPN");
    }

    /// The provider features add up to one choice: aws-lc-rs whenever it is on.
    #[test]
    fn tls_the_provider_is_the_one_the_features_ask_for() {
        let used = format!("{:?}", crypto_provider().key_provider);
        #[cfg(feature = "aws-lc-rs")]
        let expected = format!(
            "{:?}",
            rustls::crypto::aws_lc_rs::default_provider().key_provider
        );
        #[cfg(not(feature = "aws-lc-rs"))]
        let expected = format!(
            "{:?}",
            rustls::crypto::ring::default_provider().key_provider
        );
        assert_eq!(used, expected);
        #[cfg(all(feature = "aws-lc-rs", feature = "rustls-ring"))]
        assert_ne!(
            used,
            format!(
                "{:?}",
                rustls::crypto::ring::default_provider().key_provider
            ),
            "ring was used though aws-lc-rs is on"
        );
    }

    /// The root features add up: each one's roots are in the default store.
    #[test]
    fn tls_the_default_roots_are_those_of_every_root_feature() {
        let roots = default_roots().expect("the default roots load");
        #[cfg(feature = "webpki-roots")]
        for root in webpki_roots::TLS_SERVER_ROOTS {
            assert!(roots.roots.contains(root), "a webpki root is missing");
        }
        #[cfg(feature = "native-roots")]
        {
            let native = rustls_native_certs::load_native_certs().certs;
            let mut only_native = rustls::RootCertStore::empty();
            only_native.add_parsable_certificates(native);
            for root in &only_native.roots {
                assert!(roots.roots.contains(root), "a system root is missing");
            }
        }
        assert!(!roots.is_empty());
    }

    #[test]
    fn tls_a_pem_without_certificates_is_refused() {
        let mut config = TlsConfig::default();
        let error = config
            .add_root_certificates_pem(
                b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            )
            .expect_err("no certificate");
        assert_eq!(error.kind(), ampersand_core::ErrorKind::Config);
    }
}
