//! In-process stand-ins for the four vendors' servers, for your tests and ours (feature
//! `testing`).
//!
//! Each simulator is a [wiremock] server on `127.0.0.1` that keeps state the way its vendor's
//! documentation describes: users, tokens with ids, values, descriptions, enabled state,
//! permissions and timestamps. Creating returns the value once, listing shows what was
//! created, changes show in later calls, unknown ids get 404, wrong or missing credentials get
//! the vendor's 401, and a non-administrator asking for administrator operations gets 403.
//! Every body it sends is built from the SDK's generated types, so it is one the vendor's
//! document describes.
//!
//! Start one with `start().await`, seed it, and pass its [`url`](Magpie::url) to the vendor's
//! `Client::builder`. [`Fault`]s make it misbehave for your own error-handling tests.
//!
//! ```
//! use access_tokens::magpie::{Client, Login};
//! use access_tokens::testing::{Fault, Magpie};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), access_tokens::Error> {
//! let magpie = Magpie::start().await;
//! magpie.add_user("ada@example.com", "correct horse");
//! let client = Client::builder(magpie.url())
//!     .login(Login::password("ada@example.com", "correct horse"))
//!     .await?;
//! let created = client.create_token().await?;
//! assert_eq!(client.list_tokens().await?.len(), 1);
//!
//! // A 500 is not retried (a 503 would be, and the next answer would succeed).
//! magpie.inject(Fault::Status(500), 1);
//! assert_eq!(client.list_tokens().await.unwrap_err().status().unwrap().as_u16(), 500);
//! # drop(created);
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "bamboo")]
mod bamboo;
#[cfg(feature = "entuity")]
mod entuity;
mod fixtures;
#[cfg(feature = "insight")]
mod insight;
#[cfg(feature = "magpie")]
mod magpie;

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::Secret;

#[cfg(feature = "bamboo")]
pub use bamboo::Bamboo;
#[cfg(feature = "entuity")]
pub use entuity::Entuity;
#[cfg(feature = "bamboo")]
pub use fixtures::BambooFixture;
#[cfg(feature = "entuity")]
pub use fixtures::EntuityFixture;
#[cfg(feature = "insight")]
pub use fixtures::InsightFixture;
#[cfg(feature = "magpie")]
pub use fixtures::MagpieFixture;
#[cfg(feature = "insight")]
pub use insight::Insight;
#[cfg(feature = "magpie")]
pub use magpie::Magpie;

/// The longest run of hex digits with a letter among them in `text`, fingerprints (the 16
/// digits after `sha256:`) left out. The simulators' secrets are such runs of 32 digits or
/// more, and nothing else the SDK shows is (times are digits only), so a transcript, log or
/// report whose longest run reaches 8 shows a secret.
pub fn longest_secret_like_run(text: &str) -> usize {
    let fingerprints: Vec<&str> =
        text.match_indices("sha256:").filter_map(|(at, _)| text.get(at + 7..at + 23)).collect();
    text.split(|c: char| !c.is_ascii_hexdigit())
        .filter(|run| run.chars().any(|c| c.is_ascii_alphabetic()) && !fingerprints.contains(run))
        .map(str::len)
        .max()
        .unwrap_or_default()
}

/// A way for a simulator to misbehave, queued with `inject` for a number of calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status and an empty body, without doing anything.
    Status(u16),
    /// Do the work, but answer only after this delay.
    Delay(Duration),
    /// Do the work, but send only the first half of the body (malformed JSON).
    TruncatedBody,
    /// Do the work, then hold the answer for an hour, long past any client's timeout: the
    /// server committed a change whose answer the client never gets, as when the connection
    /// drops after the commit.
    AnswerLost,
}

/// One vendor's server state and the way it answers a request.
trait Vendor: Send + 'static {
    fn handle(&mut self, request: &Request) -> Reply;
}

/// A response before faults are applied.
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, body: &impl Serialize) -> Self {
        // A simulator answers with the secrets themselves, as the vendor's server does.
        let body = Secret::exposed_while(|| serde_json::to_vec(body));
        Self { status, body: body.expect("generated types serialize") }
    }

    fn empty(status: u16) -> Self {
        Self { status, body: Vec::new() }
    }

    fn into_template(self, truncate: bool) -> ResponseTemplate {
        let template = ResponseTemplate::new(self.status);
        if self.body.is_empty() {
            return template;
        }
        let end = if truncate { self.body.len() / 2 } else { self.body.len() };
        template.set_body_raw(&self.body[..end], "application/json")
    }
}

/// A running simulator: the server, its state, and its queued faults.
struct Simulator<S> {
    server: MockServer,
    shared: Arc<Shared<S>>,
}

struct Shared<S> {
    state: Mutex<S>,
    /// One entry per coming request, in order: its fault, if it has one.
    faults: Mutex<VecDeque<Option<Fault>>>,
    /// How many requests came, faulted or not.
    requests: AtomicUsize,
}

impl<S: Vendor> Simulator<S> {
    async fn start(state: S) -> Self {
        let server = MockServer::start().await;
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            faults: Mutex::default(),
            requests: AtomicUsize::new(0),
        });
        Mock::given(any()).respond_with(Responder(shared.clone())).mount(&server).await;
        Self { server, shared }
    }

    fn state(&self) -> MutexGuard<'_, S> {
        lock(&self.shared.state)
    }

    fn inject(&self, fault: Fault, times: usize) {
        lock(&self.shared.faults).extend(std::iter::repeat_n(Some(fault), times));
    }

    fn inject_at(&self, call: usize, fault: Fault) {
        let mut faults = lock(&self.shared.faults);
        let index = call.max(1) - 1;
        if faults.len() <= index {
            faults.resize(index + 1, None);
        }
        faults[index] = Some(fault);
    }

    fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::Relaxed)
    }

    fn uri(&self) -> String {
        self.server.uri()
    }
}

impl<S> fmt::Debug for Simulator<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator").field("uri", &self.server.uri()).finish_non_exhaustive()
    }
}

/// The part of each simulator's API that does not depend on the vendor: its URL (the
/// server's address followed by `$path`) and fault injection.
macro_rules! simulator_api {
    ($name:ident, $path:literal) => {
        impl $name {
            /// The URL to pass to this vendor's `Client::builder`.
            pub fn url(&self) -> String {
                format!("{}{}", self.sim.uri(), $path)
            }

            /// Queues `fault` for the next `times` requests, after any already queued.
            pub fn inject(&self, fault: crate::testing::Fault, times: usize) {
                self.sim.inject(fault, times);
            }

            /// Gives `fault` to the `call`-th request from now (1 is the next one), the
            /// requests before it answered as usual, or as faults already queued for them say.
            pub fn inject_at(&self, call: usize, fault: crate::testing::Fault) {
                self.sim.inject_at(call, fault);
            }

            /// How many requests it has received so far, answered or faulted: a test counts
            /// the calls a workflow makes, to fail each of them in turn.
            pub fn requests(&self) -> usize {
                self.sim.requests()
            }
        }
    };
    // A vendor that records times: its state has a `clock`.
    ($name:ident, $path:literal, clock) => {
        crate::testing::simulator_api!($name, $path);

        impl $name {
            /// Fixes the simulator's clock at `now`, for what it records from then on
            /// (creations, last uses, changes), so that a test's times are the same every run.
            pub fn set_clock(&self, now: std::time::SystemTime) {
                self.sim.state().clock = crate::testing::Clock(Some(now));
            }
        }
    };
}
use simulator_api;

struct Responder<S>(Arc<Shared<S>>);

impl<S: Vendor> Respond for Responder<S> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.requests.fetch_add(1, Ordering::Relaxed);
        let fault = lock(&self.0.faults).pop_front().flatten();
        if let Some(Fault::Status(status)) = fault {
            return ResponseTemplate::new(status);
        }
        let reply = lock(&self.0.state).handle(request);
        let template = reply.into_template(fault == Some(Fault::TruncatedBody));
        match fault {
            Some(Fault::Delay(delay)) => template.set_delay(delay),
            Some(Fault::AnswerLost) => template.set_delay(Duration::from_secs(3600)),
            _ => template,
        }
    }
}

/// A lock that survives a panicking test thread: simulator state stays usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The request's path segments after `prefix`, percent-decoded; `None` outside `prefix`.
fn segments(request: &Request, prefix: &str) -> Option<Vec<String>> {
    let rest = request.url.path().strip_prefix(prefix)?;
    Some(
        rest.split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect(),
    )
}

/// A request header as text.
fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name)?.to_str().ok()
}

/// The user name and password of an HTTP basic `Authorization` header.
#[cfg(any(feature = "bamboo", feature = "entuity"))]
fn basic_credentials(request: &Request) -> Option<(String, String)> {
    use base64::Engine as _;
    let encoded = header(request, "authorization")?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let (user, password) = String::from_utf8(decoded)
        .ok()?
        .split_once(':')
        .map(|(u, p)| (u.to_owned(), p.to_owned()))?;
    Some((user, password))
}

/// The value of the cookie `name`.
#[cfg(any(feature = "magpie", feature = "insight"))]
fn cookie(request: &Request, name: &str) -> Option<String> {
    header(request, "cookie")?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A simulator's clock: the system's, or one fixed with `set_clock`, so that what it
/// records (creations, last uses) is the same in every run. Bamboo records no time.
#[cfg(any(feature = "magpie", feature = "entuity", feature = "insight"))]
#[derive(Debug, Clone, Copy, Default)]
struct Clock(Option<SystemTime>);

#[cfg(any(feature = "magpie", feature = "entuity", feature = "insight"))]
impl Clock {
    fn now(self) -> SystemTime {
        self.0.unwrap_or_else(SystemTime::now)
    }
}

/// Unix seconds (Magpie, Entuity).
#[cfg(any(feature = "magpie", feature = "entuity"))]
fn unix_seconds(at: SystemTime) -> i64 {
    unix_millis(at) / 1000
}

/// Unix milliseconds (Insight.io, and the seconds above).
#[cfg(any(feature = "magpie", feature = "entuity", feature = "insight"))]
use access_tokens_runtime::time::to_unix_millis as unix_millis;

/// A token to seed a simulator with, as if it had lived a while: when it was created, last
/// used and expires, how often it was used and how many of its sessions are active. What a
/// vendor does not record (Insight.io lists no expiry, Magpie no use) is left out of its
/// listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Seed {
    /// When it was created; the simulator's clock if `None`.
    pub created: Option<SystemTime>,
    /// When it was last used; never if `None`.
    pub last_used: Option<SystemTime>,
    /// When it expires; the vendor's default if `None`.
    pub expires: Option<crate::Expiry>,
    /// How many times it was used.
    pub uses: u64,
    /// How many sessions opened with it are active.
    pub active_sessions: u64,
    /// Whether it is disabled.
    pub disabled: bool,
}

impl Seed {
    /// A token created `age` before `now`, never used, with the vendor's default expiry.
    pub fn aged(now: SystemTime, age: Duration) -> Self {
        Self { created: Some(now - age), ..Self::default() }
    }

    /// Last used at `at`, `uses` times.
    pub fn used(mut self, at: SystemTime, uses: u64) -> Self {
        self.last_used = Some(at);
        self.uses = uses;
        self
    }

    /// Expiring at `expiry`.
    pub fn expires(mut self, expiry: crate::Expiry) -> Self {
        self.expires = Some(expiry);
        self
    }

    /// With `sessions` active sessions.
    pub fn active_sessions(mut self, sessions: u64) -> Self {
        self.active_sessions = sessions;
        self
    }

    /// Disabled.
    pub fn disabled(mut self) -> Self {
        self.disabled = true;
        self
    }
}

/// A fresh lower-case hex string of `len` characters.
fn fresh_hex(len: usize) -> String {
    let mut hex = String::with_capacity(len + 16);
    while hex.len() < len {
        hex.push_str(&format!("{:016x}", access_tokens_runtime::random::bits()));
    }
    hex.truncate(len);
    hex
}
