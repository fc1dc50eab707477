//! The per-client context the generated code hands the executor with every request: the
//! credentials and vendor conventions added to each request, and the policy its calls run
//! under.

use std::fmt;
use std::sync::Arc;

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, HeaderMap, HeaderName, HeaderValue};
use tokio::sync::Semaphore;

use crate::checks;
use crate::clock::{ClockWatch, ServerClock};
use crate::error::{Error, InvalidReason};
use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// Credentials and vendor conventions that a client adds to each of its requests, and the
/// policy its calls are executed under.
///
/// The generated clients hold one, and each request they execute is prepared with it just
/// before it is sent. Each vendor's `ClientBuilder` makes it; its `Debug` never shows a
/// header's value.
#[derive(Clone)]
pub struct Context {
    headers: HeaderMap,
    /// Every credential this context sends, whole and in the parts a server might quote: an
    /// error message from the server shows none of them.
    secrets: Vec<Secret>,
    policy: Arc<Policy>,
}

/// A client's settings for executing calls, shared by its clones.
#[derive(Debug)]
pub(crate) struct Policy {
    pub(crate) vendor: &'static str,
    pub(crate) retry: RetryPolicy,
    /// One permit per call in flight, held until its response body is read or dropped.
    pub(crate) in_flight: Arc<Semaphore>,
    pub(crate) max_response_bytes: usize,
    /// The server's clock, as its last answer with a `Date` showed it.
    pub(crate) clock: ClockWatch,
}

impl Context {
    /// A context with no credentials yet.
    pub(crate) fn new(policy: Arc<Policy>) -> Self {
        Self { headers: HeaderMap::new(), secrets: Vec::new(), policy }
    }

    /// Adds `name: value` to every request, marked sensitive so that no HTTP layer prints it,
    /// and keeps the value out of every error message. Name the credential inside it (the
    /// token in `token <session>`) with [`redacting`](Self::redacting) too.
    #[doc(hidden)]
    pub fn with_secret_header(mut self, name: HeaderName, mut value: HeaderValue) -> Self {
        if let Ok(text) = value.to_str() {
            self.secrets.push(Secret::new(text));
        }
        value.set_sensitive(true);
        self.headers.insert(name, value);
        self
    }

    /// Keeps `secret`, which this context's requests carry (in a header or a body), out of
    /// every error message made from their responses, where a server may quote it.
    #[doc(hidden)]
    pub fn redacting(mut self, secret: &Secret) -> Self {
        if !secret.expose_secret().is_empty() {
            self.secrets.push(secret.clone());
        }
        self
    }

    /// Authenticates every request with HTTP basic authentication.
    #[doc(hidden)]
    pub fn with_basic_auth(self, username: &str, password: &Secret) -> Result<Self, Error> {
        let (header, encoded) = basic_auth(username, password)?;
        Ok(self.with_secret_header(AUTHORIZATION, header).redacting(&encoded).redacting(password))
    }

    /// The credentials an error message must not show.
    pub(crate) fn secrets(&self) -> &[Secret] {
        &self.secrets
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

    /// The server's clock, as the last answer with a `Date` header showed it.
    #[doc(hidden)]
    pub fn server_clock(&self) -> Option<ServerClock> {
        self.policy.clock.last()
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

/// The `Authorization` value for HTTP basic authentication, and the encoded credentials in it.
fn basic_auth(username: &str, password: &Secret) -> Result<(HeaderValue, Secret), Error> {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use zeroize::Zeroizing;
    checks::non_empty("username", username)?;
    if username.contains(':') {
        return Err(Error::invalid("username", InvalidReason::Colon));
    }
    for (field, value) in [("username", username), ("password", password.expose_secret())] {
        if value.chars().any(char::is_control) {
            return Err(Error::invalid(field, InvalidReason::ControlCharacter));
        }
    }
    let credentials = Secret::new(format!("{username}:{}", password.expose_secret()));
    // The encoding is as good as the password: it is a secret too.
    let encoded = Secret::new(STANDARD.encode(credentials.expose_secret()));
    let header = Zeroizing::new(format!("Basic {}", encoded.expose_secret()));
    Ok((HeaderValue::try_from(header.as_str()).expect("base64 is header-safe"), encoded))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, HeaderValue};
    use reqwest::{Method, Request, Url};
    use tokio::sync::Semaphore;

    use super::{Context, Policy};
    use crate::clock::ClockWatch;
    use crate::retry::RetryPolicy;

    #[test]
    fn prepared_requests_carry_the_credentials_marked_sensitive() {
        let policy = Policy {
            vendor: "test",
            retry: RetryPolicy::NEVER,
            in_flight: Arc::new(Semaphore::new(1)),
            max_response_bytes: 1,
            clock: ClockWatch::default(),
        };
        let context = Context::new(Arc::new(policy))
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
}
