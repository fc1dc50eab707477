//! What every vendor client shares below its facade: the per-request context the generated code
//! calls into, HTTP client settings, argument checks, and turning progenitor's results into
//! this crate's [`Error`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{Error as GeneratedError, ResponseValue};
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

use rustls::crypto::CryptoProvider;
use rustls_pki_types::CertificateDer;
use tokio::sync::Semaphore;

use crate::error::{DecodeDetail, Error, InvalidReason};
use crate::execute::{Policy, RetryPolicy, Slot};
use crate::secret::{RawBody, Secret};

/// The most of a response body the SDK keeps when a response is not the documented one.
const MAX_KEPT_BODY: usize = 1024 * 1024;
/// The most of a vendor's error message that goes into an error's `Display`.
const MAX_MESSAGE_CHARS: usize = 200;

/// Credentials and vendor conventions that a client adds to each of its requests, and the
/// policy its calls are executed under.
///
/// The generated clients hold one, and each request they execute is prepared with it just
/// before it is sent. Each vendor's `ClientBuilder` makes it; its `Debug` never shows a
/// header's value.
#[derive(Clone)]
pub struct Context {
    headers: HeaderMap,
    policy: Arc<Policy>,
}

impl Context {
    /// Adds `name: value` to every request, marked sensitive so that no HTTP layer prints it.
    #[doc(hidden)]
    pub fn with_secret_header(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        value.set_sensitive(true);
        self.headers.insert(name, value);
        self
    }

    /// Makes a request what the vendor expects: adds the context's headers, and states the zero
    /// length of a body-less POST or PUT (some proxies answer 411 otherwise).
    pub(crate) fn prepare(&self, request: &mut reqwest::Request) {
        let body_less = request.body().is_none()
            && matches!(*request.method(), Method::POST | Method::PUT | Method::PATCH);
        let headers = request.headers_mut();
        for (name, value) in &self.headers {
            headers.insert(name, value.clone());
        }
        if body_less {
            headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        }
    }

    pub(crate) fn policy(&self) -> &Policy {
        &self.policy
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("vendor", &self.policy.vendor)
            .finish_non_exhaustive()
    }
}

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
        }
    }
}

/// An HTTP client and the policy its calls run under, ready for a vendor's generated client.
#[derive(Debug)]
#[doc(hidden)]
pub struct Connection {
    pub http: reqwest::Client,
    policy: Arc<Policy>,
}

impl Connection {
    /// A context with no credentials yet.
    pub fn context(&self) -> Context {
        Context { headers: HeaderMap::new(), policy: self.policy.clone() }
    }
}

impl HttpOptions {
    /// Checks `base_url` against these options and builds the HTTP client: the caller's as it
    /// is, or ours, with the timeouts, TLS roots and a redirect policy that follows only
    /// redirects to the same origin, so that no credential is ever sent to another host.
    ///
    /// `never_retry` names operations that must not be repeated although their method is
    /// idempotent.
    pub fn connect(
        self,
        vendor: &'static str,
        base_url: &str,
        never_retry: &'static [&'static str],
    ) -> Result<Connection, Error> {
        if !self.allow_insecure_http && !is_secure_or_local(base_url) {
            return Err(Error::invalid("base URL", InvalidReason::InsecureHttp));
        }
        let http = match self.client {
            Some(client) => client,
            None => reqwest::Client::builder()
                // The SDK's name: this crate is released with it, at the same version.
                .user_agent(concat!("access-tokens/", env!("CARGO_PKG_VERSION")))
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                .redirect(reqwest::redirect::Policy::custom(same_origin_only))
                .tls_backend_preconfigured(tls_config(self.root_certificates)?)
                .build()
                .map_err(|source| Error::transport("build_http_client", source))?,
        };
        let policy = Policy {
            vendor,
            retry: self.retry,
            never_retry,
            in_flight: Arc::new(Semaphore::new(self.max_concurrent_requests.max(1))),
            max_response_bytes: self.max_response_bytes,
        };
        Ok(Connection { http, policy: Arc::new(policy) })
    }
}

/// TLS as reqwest would set it up, but on the crypto provider the application installed
/// process-wide or, failing that, on ring rather than reqwest's aws-lc-rs, which nearly doubles
/// the cold build of a small reqwest app (BENCHMARKS.md). The SDK never installs a process-wide
/// provider itself: that would make an application's own `install_default` fail.
///
/// Certificates are checked against the platform's roots and `extra_roots`.
fn tls_config(extra_roots: Vec<CertificateDer<'static>>) -> Result<rustls::ClientConfig, Error> {
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots, provider.clone())
            .map_err(|source| Error::Tls { source })?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|source| Error::Tls { source })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
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

/// Whether credentials may go to `base_url` without an opt-in: over https, or to this machine.
fn is_secure_or_local(base_url: &str) -> bool {
    let Ok(url) = Url::parse(base_url) else { return false };
    if url.scheme() == "https" {
        return true;
    }
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

impl Context {
    /// Authenticates every request with HTTP basic authentication.
    #[doc(hidden)]
    pub fn with_basic_auth(self, username: &str, password: &Secret) -> Result<Self, Error> {
        Ok(self.with_secret_header(AUTHORIZATION, basic_auth(username, password)?))
    }
}

/// The `Authorization` value for HTTP basic authentication.
fn basic_auth(username: &str, password: &Secret) -> Result<HeaderValue, Error> {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use zeroize::Zeroizing;
    non_empty("username", username)?;
    if username.contains(':') {
        return Err(Error::invalid("username", InvalidReason::Colon));
    }
    for (field, value) in [("username", username), ("password", password.expose_secret())] {
        if value.chars().any(char::is_control) {
            return Err(Error::invalid(field, InvalidReason::ControlCharacter));
        }
    }
    let credentials = Secret::new(format!("{username}:{}", password.expose_secret()));
    // The encoding is as good as the password: zero it once the header value has its copy.
    let encoded = Zeroizing::new(STANDARD.encode(credentials.expose_secret()));
    Ok(HeaderValue::try_from(format!("Basic {}", *encoded)).expect("base64 is header-safe"))
}

/// Checks and normalises a base URL: absolute http(s), no credentials, query or fragment, and
/// no trailing slash (the generated code appends paths that start with one). A path prefix
/// such as `/bamboo` is kept.
#[doc(hidden)]
pub fn base_url(input: &str) -> Result<String, Error> {
    check_base_url(input).map_err(|reason| Error::invalid("base URL", reason))
}

/// [`base_url`], with the reason alone, for builders that need the error more than once.
#[doc(hidden)]
pub fn check_base_url(input: &str) -> Result<String, InvalidReason> {
    let url = Url::parse(input).map_err(|_| InvalidReason::NotHttpUrl)?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(InvalidReason::NotHttpUrl);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InvalidReason::UrlHasCredentials);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(InvalidReason::UrlHasQueryOrFragment);
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Checks a value that goes into a URL path as one segment.
///
/// The generated code percent-encodes most characters, but not `\`, which URL parsing turns
/// into `/`, and `.` and `..` would be resolved as relative paths: each would reach another
/// endpoint.
#[doc(hidden)]
pub fn path_segment<'a>(field: &'static str, value: &'a str) -> Result<&'a str, Error> {
    let reason = if value.is_empty() {
        InvalidReason::Empty
    } else if value == "." || value == ".." {
        InvalidReason::DotSegment
    } else if value.chars().any(char::is_control) {
        InvalidReason::ControlCharacter
    } else if value.contains('\\') {
        InvalidReason::Backslash
    } else {
        return Ok(value);
    };
    Err(Error::invalid(field, reason))
}

/// Checks that a value is non-empty.
#[doc(hidden)]
pub fn non_empty<'a>(field: &'static str, value: &'a str) -> Result<&'a str, Error> {
    if value.is_empty() { Err(Error::invalid(field, InvalidReason::Empty)) } else { Ok(value) }
}

/// Checks a credential that goes into a header: non-empty printable ASCII, which keeps CR and
/// LF (header injection) out, with no space at either end (HTTP would strip it).
#[doc(hidden)]
pub fn header_token<'a>(field: &'static str, value: &'a str) -> Result<&'a str, Error> {
    non_empty(field, value)?;
    let printable = value.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    if printable && value.trim() == value {
        Ok(value)
    } else {
        Err(Error::invalid(field, InvalidReason::NotHeaderSafe))
    }
}

/// A checked credential as a header value, e.g. `token <session>` after [`header_token`].
#[doc(hidden)]
pub fn header_value(field: &'static str, value: String) -> Result<HeaderValue, Error> {
    HeaderValue::try_from(value).map_err(|_| Error::invalid(field, InvalidReason::NotHeaderSafe))
}

/// Checks a credential that goes into a cookie value: a header token without the characters a
/// cookie value cannot hold (RFC 6265 `cookie-octet`).
#[doc(hidden)]
pub fn cookie_token<'a>(field: &'static str, value: &'a str) -> Result<&'a str, Error> {
    header_token(field, value)?;
    if value.contains([' ', ';', ',', '"', '\\']) {
        Err(Error::invalid(field, InvalidReason::NotCookieSafe))
    } else {
        Ok(value)
    }
}

/// What the generated code calls instead of `ResponseValue::from_response` to decode a JSON
/// success: the same, but with the response's headers moved rather than cloned, a future 270
/// bytes smaller (one that does not keep a second copy of the response), and the call's `slot`
/// among those in flight held until the body is read.
#[allow(clippy::result_large_err, reason = "the generated methods' own error type")]
#[doc(hidden)]
pub fn json_response<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
    slot: Slot,
) -> impl Future<Output = Result<ResponseValue<T>, GeneratedError<E>>> {
    use futures_util::FutureExt as _;

    let status = response.status();
    // Reading the body does not need them: decoding was set up when the response arrived.
    let headers = std::mem::take(response.headers_mut());
    response.bytes().map(move |body| {
        drop(slot);
        let body = body.map_err(GeneratedError::ResponseBodyError)?;
        match serde_json::from_slice(&body) {
            Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
            Err(e) => Err(GeneratedError::InvalidResponsePayload(body, e)),
        }
    })
}

/// The body of a documented JSON success response, or the error it really is.
///
/// A success status the document does not list (a 201 where it says 200) is decoded all the
/// same, so that a token the server created is not lost to a status-code detail.
///
/// The error path is boxed: inline, its body-reading future made every call's future 800 bytes
/// larger, and each call's future is copied as it starts.
#[doc(hidden)]
pub async fn json<T: DeserializeOwned, E>(
    operation: &'static str,
    result: Result<ResponseValue<T>, GeneratedError<E>>,
) -> Result<T, Error> {
    match result {
        Ok(value) => Ok(value.into_inner()),
        Err(error) => {
            Box::pin(async move {
                let (status, body) = undocumented_success(operation, error).await?;
                serde_json::from_slice(body.expose_bytes()).map_err(|e| Error::Decode {
                    operation,
                    status: Some(status),
                    detail: DecodeDetail::from(&e),
                    body,
                })
            })
            .await
        }
    }
}

/// The outcome of an operation whose documented success has no body: any 2xx will do. Its
/// error path is boxed, as [`json`]'s is.
#[doc(hidden)]
pub async fn unit<E>(
    operation: &'static str,
    result: Result<ResponseValue<()>, GeneratedError<E>>,
) -> Result<(), Error> {
    match result {
        Ok(_) => Ok(()),
        Err(error) => Box::pin(undocumented_success(operation, error)).await.map(drop),
    }
}

/// Turns progenitor's error into ours, except for a 2xx the document does not list, which
/// comes back as `Ok` with its status and body for the caller to decide.
async fn undocumented_success<E>(
    operation: &'static str,
    error: GeneratedError<E>,
) -> Result<(StatusCode, RawBody), Error> {
    match error {
        GeneratedError::UnexpectedResponse(response) => {
            let status = response.status();
            let body = read_body(operation, response).await?;
            if status.is_success() {
                Ok((status, body))
            } else {
                Err(Error::Api { operation, status, message: vendor_message(&body), body })
            }
        }
        GeneratedError::InvalidResponsePayload(bytes, e) => Err(Error::Decode {
            operation,
            status: None,
            detail: DecodeDetail::from(&e),
            body: RawBody::new(bytes.into(), false),
        }),
        GeneratedError::CommunicationError(source)
        | GeneratedError::ResponseBodyError(source)
        | GeneratedError::InvalidUpgrade(source) => Err(Error::transport(operation, source)),
        // The documents' errors are removed before generation, so these cannot occur; they
        // are mapped rather than unwrapped so that a future setting cannot turn them into
        // panics.
        GeneratedError::ErrorResponse(value) => Err(Error::Api {
            operation,
            status: value.status(),
            message: None,
            body: RawBody::new(Vec::new(), false),
        }),
        // progenitor reports a body or header it could not encode this way; its message is
        // dropped because it may quote the value.
        GeneratedError::InvalidRequest(_) | GeneratedError::Custom(_) => {
            Err(Error::invalid("request", InvalidReason::NotEncodable))
        }
    }
}

/// Reads at most [`MAX_KEPT_BODY`] bytes of a body.
async fn read_body(
    operation: &'static str,
    mut response: reqwest::Response,
) -> Result<RawBody, Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) =
        response.chunk().await.map_err(|source| Error::transport(operation, source))?
    {
        let room = MAX_KEPT_BODY - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(RawBody::new(bytes, true));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(RawBody::new(bytes, false))
}

/// The human-readable message of a JSON error body such as `{"error": "Credentials required"}`,
/// shortened and stripped of control characters.
fn vendor_message(body: &RawBody) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body.expose_bytes()).ok()?;
    let message = ["error", "message", "detail", "error_description"]
        .iter()
        .find_map(|key| value.get(key)?.as_str())?;
    let clean: String =
        message.chars().filter(|c| !c.is_control()).take(MAX_MESSAGE_CHARS).collect();
    (!clean.is_empty()).then_some(clean)
}

#[cfg(test)]
mod tests {
    use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, HeaderValue};
    use reqwest::{Method, Request, Url};

    use super::{HttpOptions, MAX_MESSAGE_CHARS, RawBody, vendor_message};

    #[test]
    fn prepared_requests_carry_the_credentials_marked_sensitive() {
        let connection = HttpOptions::default().connect("test", "http://127.0.0.1", &[]).unwrap();
        let context = connection
            .context()
            .with_secret_header(AUTHORIZATION, HeaderValue::from_static("token s3cr3t"));
        let mut request = Request::new(Method::POST, Url::parse("http://127.0.0.1/x").unwrap());
        context.prepare(&mut request);

        let authorization = &request.headers()[AUTHORIZATION];
        assert_eq!(authorization, "token s3cr3t");
        assert!(authorization.is_sensitive());
        assert_eq!(request.headers()[CONTENT_LENGTH], "0");
        assert!(!format!("{context:?}").contains("s3cr3t"));
        assert!(!format!("{request:?}").contains("s3cr3t"));
    }

    fn message(body: &str) -> Option<String> {
        vendor_message(&RawBody::new(body.as_bytes().to_vec(), false))
    }

    #[test]
    fn vendor_messages_are_read_from_the_usual_fields() {
        assert_eq!(
            message(r#"{"error": "Credentials required"}"#).as_deref(),
            Some("Credentials required")
        );
        assert_eq!(message(r#"{"message": "no such token"}"#).as_deref(), Some("no such token"));
        assert_eq!(message(r#"{"error": {"code": 7}}"#), None);
        assert_eq!(message("<html>nope</html>"), None);
        assert_eq!(message(r#"{"error": ""}"#), None);
    }

    #[test]
    fn vendor_messages_are_shortened_and_stripped_of_control_characters() {
        let long = format!(r#"{{"error": "a\r\nb{}"}}"#, "x".repeat(500));
        let shown = message(&long).unwrap();
        assert!(shown.starts_with("abx"));
        assert_eq!(shown.chars().count(), MAX_MESSAGE_CHARS);
    }

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
        let config = super::tls_config(Vec::new()).unwrap();
        assert_eq!(
            suites(&config),
            ring.cipher_suites.iter().map(|s| s.suite()).collect::<Vec<_>>()
        );
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);

        let only = ring.cipher_suites[0];
        CryptoProvider { cipher_suites: vec![only], ..ring }.install_default().unwrap();
        assert_eq!(suites(&super::tls_config(Vec::new()).unwrap()), [only.suite()]);
    }
}
