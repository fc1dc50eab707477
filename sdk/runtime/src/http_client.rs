//! The HTTP client a vendor's clients share: timeouts, TLS (roots, crypto provider, ALPN), and
//! a redirect policy that never takes a credential to another origin.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::sync::Semaphore;

use crate::checks;
use crate::clock::ClockWatch;
use crate::context::{Context, Policy};
use crate::error::{Error, InvalidReason, TlsError};
use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// How a client talks HTTP, as set on its builder.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct HttpOptions {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub client: Option<reqwest::Client>,
    pub retry: RetryPolicy,
    pub max_concurrent_requests: usize,
    pub max_response_bytes: usize,
    pub allow_insecure_http: bool,
    pub root_certificates: Vec<CertificateDer<'static>>,
    pub proxy: Proxy,
    /// A user name and password for the `Proxy-Authorization` of a [`Proxy::Url`].
    pub proxy_credentials: Option<(String, Secret)>,
    pub client_certificate: Option<ClientCertificate>,
}

/// Which proxy a client's requests go through.
#[derive(Clone, Default)]
#[doc(hidden)]
pub enum Proxy {
    /// The environment's: `HTTPS_PROXY` for `https`, `HTTP_PROXY` for `http` (`ALL_PROXY` for
    /// both), except for the hosts in `NO_PROXY`.
    #[default]
    FromEnvironment,
    /// None, whatever the environment says.
    None,
    /// The one at this URL (`http://proxy.example:3128`), for every request.
    Url(String),
}

/// Shows a proxy URL without the user name and password a caller may have put in it (the
/// builder refuses such a URL, but prints what it was given).
impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::FromEnvironment => f.write_str("FromEnvironment"),
            Self::None => f.write_str("None"),
            Self::Url(url) => {
                let shown = Url::parse(url).map_or("<not a URL>".to_owned(), |mut url| {
                    let _ = url.set_username("");
                    let _ = url.set_password(None);
                    url.to_string()
                });
                f.debug_tuple("Url").field(&shown).finish()
            }
        }
    }
}

/// A certificate chain and its private key, presented to servers that ask for a client
/// certificate; `Debug` does not show the key.
#[doc(hidden)]
pub struct ClientCertificate {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Clone for ClientCertificate {
    fn clone(&self) -> Self {
        Self { chain: self.chain.clone(), key: self.key.clone_key() }
    }
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("certificates", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            client: None,
            retry: RetryPolicy::default(),
            max_concurrent_requests: 32,
            max_response_bytes: 8 * 1024 * 1024,
            allow_insecure_http: false,
            root_certificates: Vec::new(),
            proxy: Proxy::default(),
            proxy_credentials: None,
            client_certificate: None,
        }
    }
}

/// An HTTP client and the policy its calls run under, ready for a vendor's generated client.
/// Clones share the connection pool and the bound on calls in flight.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct Connection {
    pub http: reqwest::Client,
    policy: Arc<Policy>,
}

impl Connection {
    /// A context with no credentials yet.
    pub fn context(&self) -> Context {
        Context::new(self.policy.clone())
    }
}

impl HttpOptions {
    /// Checks `base_url` against these options and builds the HTTP client: the caller's as it
    /// is, or ours, with the timeouts, TLS roots and a redirect policy that follows only
    /// redirects to the same origin, so that no credential is ever sent to another host.
    pub fn connect(&self, vendor: &'static str, base_url: &str) -> Result<Connection, Error> {
        if !self.allow_insecure_http && !checks::is_secure_or_local(base_url) {
            return Err(Error::invalid("base URL", InvalidReason::InsecureHttp));
        }
        let http = match &self.client {
            Some(client) => client.clone(),
            None => self.http_client()?,
        };
        let policy = Policy {
            vendor,
            retry: self.retry,
            in_flight: Arc::new(Semaphore::new(self.max_concurrent_requests.max(1))),
            max_response_bytes: self.max_response_bytes,
            clock: ClockWatch::default(),
        };
        Ok(Connection { http, policy: Arc::new(policy) })
    }
}

impl HttpOptions {
    /// The SDK's own HTTP client, as these options set it up.
    fn http_client(&self) -> Result<reqwest::Client, Error> {
        let tls = tls_config(self.root_certificates.clone(), self.client_certificate.clone())?;
        let builder = reqwest::Client::builder()
            // The SDK's name: this crate is released with it, at the same version.
            .user_agent(concat!("access-tokens/", env!("CARGO_PKG_VERSION")))
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::custom(same_origin_only))
            .tls_backend_preconfigured(tls);
        // reqwest reads the environment's proxies unless it is given one, or none.
        let builder = match (&self.proxy, &self.proxy_credentials) {
            (Proxy::FromEnvironment, None) => builder,
            (Proxy::None, None) => builder.no_proxy(),
            (Proxy::Url(url), credentials) => {
                let invalid = |reason| Error::invalid("proxy URL", reason);
                let url = checks::base_url(url).map_err(invalid)?;
                let mut proxy =
                    reqwest::Proxy::all(url).map_err(|_| invalid(InvalidReason::NotHttpUrl))?;
                if let Some((username, password)) = credentials {
                    proxy = proxy.basic_auth(username, password.expose_secret());
                }
                builder.proxy(proxy)
            }
            (_, Some(_)) => {
                return Err(Error::invalid("proxy credentials", InvalidReason::WithoutProxy));
            }
        };
        builder.build().map_err(|source| Error::transport("build_http_client", source))
    }
}

/// TLS as reqwest would set it up, but on the crypto provider the application installed
/// process-wide or, failing that, on ring rather than reqwest's aws-lc-rs, which nearly doubles
/// the cold build of a small reqwest app (BENCHMARKS.md). The SDK never installs a process-wide
/// provider itself: that would make an application's own `install_default` fail.
///
/// Certificates are checked against the platform's roots and `extra_roots`; `identity` is the
/// client certificate shown to servers that ask for one.
fn tls_config(
    extra_roots: Vec<CertificateDer<'static>>,
    identity: Option<ClientCertificate>,
) -> Result<rustls::ClientConfig, Error> {
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots, provider.clone())
            .map_err(|source| Error::Tls { source: TlsError::new(source) })?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|source| Error::Tls { source: TlsError::new(source) })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match identity {
        None => config.with_no_client_auth(),
        Some(ClientCertificate { chain, key }) => config
            .with_client_auth_cert(chain, key)
            .map_err(|source| Error::Tls { source: TlsError::new(source) })?,
    };
    // The SDK speaks HTTP/1.1 only (reqwest is built without HTTP/2).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Follows a redirect only within the origin of the first request, at most five times.
fn same_origin_only(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let origin = |url: &Url| {
        (url.scheme().to_owned(), url.host_str().map(str::to_owned), url.port_or_known_default())
    };
    let first = attempt.previous().first().map(origin);
    if attempt.previous().len() <= 5 && first == Some(origin(attempt.url())) {
        attempt.follow()
    } else {
        attempt.stop()
    }
}

#[cfg(test)]
mod tests {
    /// The SDK's TLS runs on ring, not reqwest's costlier aws-lc-rs, unless the application
    /// installed a process-wide provider, which then wins. (The only test here that installs
    /// one, so the first half cannot see another test's.)
    #[test]
    fn tls_runs_on_ring_unless_the_application_installed_a_provider() {
        use rustls::crypto::{CryptoProvider, ring};

        let suites = |config: &rustls::ClientConfig| -> Vec<rustls::CipherSuite> {
            config.crypto_provider().cipher_suites.iter().map(|s| s.suite()).collect()
        };
        let ring = ring::default_provider();
        let config = super::tls_config(Vec::new(), None).unwrap();
        assert_eq!(
            suites(&config),
            ring.cipher_suites.iter().map(|s| s.suite()).collect::<Vec<_>>()
        );
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);

        let only = ring.cipher_suites[0];
        CryptoProvider { cipher_suites: vec![only], ..ring }.install_default().unwrap();
        assert_eq!(suites(&super::tls_config(Vec::new(), None).unwrap()), [only.suite()]);
    }
}
