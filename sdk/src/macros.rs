//! What every vendor module writes the same way about its own types, which only this crate
//! can: the settings of its `ClientBuilder`, and what its clients read of the connection.

/// The HTTP settings every vendor's `ClientBuilder` offers, over its `core: BuilderCore` field.
macro_rules! http_settings {
    () => {
        /// Bounds each call from start to end of the response body. Default: 30 s.
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.core.http_mut().timeout = timeout;
            self
        }

        /// Bounds connecting to the server. Default: 10 s.
        pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.core.http_mut().connect_timeout = timeout;
            self
        }

        /// Uses your `reqwest::Client` as it is, instead of one with this builder's timeouts,
        /// TLS roots and redirect policy.
        ///
        /// Configure it not to follow redirects to other hosts: reqwest drops `Authorization`
        /// and `Cookie` on such a redirect, but not other credential headers. The SDK's own
        /// client follows redirects within the base URL's origin only.
        ///
        /// The SDK builds reqwest without a TLS crypto provider of its own (it configures ring
        /// for its clients). Unless your application enables reqwest's `rustls` feature,
        /// install one before building a client, or reqwest panics:
        /// `rustls::crypto::ring::default_provider().install_default()`.
        pub fn http_client(mut self, client: reqwest::Client) -> Self {
            self.core.http_mut().client = Some(client);
            self
        }

        /// Sets when failed calls are repeated. Default: [`RetryPolicy::default`]; calls that
        /// create, rotate, log in or revoke are never repeated.
        ///
        /// [`RetryPolicy::default`]: crate::RetryPolicy::default
        pub fn retry(mut self, policy: crate::RetryPolicy) -> Self {
            self.core.http_mut().retry = policy;
            self
        }

        /// Bounds how many calls of this client (and its clones) are in flight at once, and
        /// so how many connections it opens; further calls wait. Default: 32.
        pub fn max_concurrent_requests(mut self, max: usize) -> Self {
            self.core.http_mut().max_concurrent_requests = max;
            self
        }

        /// Refuses response bodies longer than `max` bytes with
        /// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge), without reading them
        /// into memory. Default: 8 MiB.
        pub fn max_response_bytes(mut self, max: usize) -> Self {
            self.core.http_mut().max_response_bytes = max;
            self
        }

        /// Allows sending credentials over plain `http://` to a host other than this machine.
        /// Without it, such a base URL is refused: anyone on the path could read them.
        pub fn allow_insecure_http(mut self) -> Self {
            self.core.http_mut().allow_insecure_http = true;
            self
        }

        /// Trusts `certificate` as a TLS root, besides the platform's: for servers with a
        /// private certificate authority. Read a PEM file with
        /// [`CertificateDer::from_pem_file`](crate::CertificateDer) (trait
        /// [`PemObject`](crate::PemObject)).
        pub fn add_root_certificate(mut self, certificate: crate::CertificateDer<'static>) -> Self {
            self.core.http_mut().root_certificates.push(certificate);
            self
        }

        /// Sends every request through the HTTP proxy at `url` (`http://proxy.example:3128`),
        /// instead of the environment's. For an `https` base URL the proxy is asked to
        /// `CONNECT` to the server's host and port, and sees nothing of the requests: no path,
        /// header or credential. Default: the environment's `HTTPS_PROXY` (for `https`) or
        /// `HTTP_PROXY` (for `http`), or `ALL_PROXY`, except for the hosts `NO_PROXY` lists.
        pub fn proxy(mut self, url: impl Into<String>) -> Self {
            self.core.http_mut().proxy = access_tokens_runtime::http_client::Proxy::Url(url.into());
            self
        }

        /// Authenticates to the proxy set with [`proxy`](Self::proxy) with HTTP basic
        /// credentials (`Proxy-Authorization`); without one, finishing the builder is
        /// [`InvalidReason::WithoutProxy`](crate::InvalidReason::WithoutProxy). A proxy from
        /// the environment takes them in its URL (`http://user:password@proxy.example:3128`).
        pub fn proxy_credentials(
            mut self,
            username: impl Into<String>,
            password: impl Into<crate::Secret>,
        ) -> Self {
            self.core.http_mut().proxy_credentials = Some((username.into(), password.into()));
            self
        }

        /// Sends every request directly, whatever the environment's proxy variables say.
        pub fn no_proxy(mut self) -> Self {
            self.core.http_mut().proxy = access_tokens_runtime::http_client::Proxy::None;
            self
        }

        /// Presents a client certificate to servers that ask for one (mutual TLS): the
        /// certificate `chain`, the client's own first, and its private `key`, read from PEM
        /// files with [`PemObject`](crate::PemObject), e.g.
        /// `CertificateDer::pem_file_iter(path)` and `PrivateKeyDer::from_pem_file(path)`.
        /// A key that does not match the certificate is [`Error::Tls`](crate::Error::Tls)
        /// when the client is built.
        pub fn client_certificate(
            mut self,
            chain: Vec<crate::CertificateDer<'static>>,
            key: crate::PrivateKeyDer<'static>,
        ) -> Self {
            self.core.http_mut().client_certificate =
                Some(access_tokens_runtime::http_client::ClientCertificate { chain, key });
            self
        }
    };
}
pub(crate) use http_settings;

/// What every vendor's client reads of its connection, over the generated client that
/// `self.$($api)+` names (its `api` field, or its current credential's).
macro_rules! connection_readings {
    ($($api:tt)+) => {
        /// The server's clock, as its last answer with a `Date` header showed it; `None` before
        /// the first. Shared by the clients of one builder's connection.
        /// [`Inventory::server_now`](crate::inventory::Inventory::server_now) audits by it.
        pub fn server_clock(&self) -> Option<crate::ServerClock> {
            self.$($api)+.inner().server_clock()
        }
    };
}
pub(crate) use connection_readings;
