//! A rotation's settings: its name, what it retires and when, the new credential's lifetime,
//! the hook after promotion, and how long it waits for another run of it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;

/// A rotation of one target into one sink, with its settings; [`run`](Self::run) it, or
/// [`plan`](Self::plan) it first. [`rotate`](super::rotate) runs one with the defaults.
#[derive(Clone)]
pub struct Rotation {
    pub(super) name: Option<String>,
    pub(super) retire: Retire,
    pub(super) retire_after: Option<Duration>,
    pub(super) lifetime: Option<Duration>,
    pub(super) max_lifetime: Option<Duration>,
    pub(super) after_promote: Option<Hook>,
    pub(super) lock_wait: Duration,
    pub(super) now: Option<SystemTime>,
}

/// What runs after promotion: a message on failure, which must hold no secret.
pub(super) type Hook = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// What a rotation retires once the new credential is current.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Retire {
    /// Only what it replaces: the credential the sink held as current (found by its value, or
    /// by the id the ledger recorded where the vendor lists no values), and what earlier runs
    /// of the same rotation created and left behind (marked as its own, or in its ledger).
    /// Never the account's other credentials. A run that cannot tell which credential it
    /// replaces retires none and says so.
    #[default]
    Replaced,
    /// Every other credential of the target: the whole account, service account, token name
    /// or user. For a target that holds nothing else.
    All,
}

impl Default for Rotation {
    fn default() -> Self {
        Self {
            name: None,
            retire: Retire::Replaced,
            retire_after: None,
            lifetime: None,
            max_lifetime: None,
            after_promote: None,
            lock_wait: Duration::from_secs(60),
            now: None,
        }
    }
}

impl Rotation {
    /// A rotation with the defaults: it retires what it replaces, at once; the new credential
    /// keeps the replaced one's lifetime; no hook; it waits up to a minute for another run of
    /// it to end.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the rotation (default: the sink's [`name`](super::Sink::name), a file's name).
    /// The name marks the credentials it creates, where the vendor has a description
    /// (`[access-tokens: <name>]`), so that later runs find what earlier ones left: give each
    /// rotation its own.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// What it retires ([`Retire::Replaced`] by default).
    pub fn retire(mut self, retire: Retire) -> Self {
        self.retire = retire;
        self
    }

    /// Keeps the replaced credential working for `grace` after the new one is current, for
    /// applications that reload late; a later run ([`run`](Self::run) or
    /// [`retire_due`](Self::retire_due)) retires it once that has passed. What waits, and
    /// until when, is in the report and the sink's ledger.
    pub fn retire_after(mut self, grace: Duration) -> Self {
        self.retire_after = Some(grace);
        self
    }

    /// The new credential's lifetime, where the vendor lets it be chosen (Entuity). Default:
    /// the replaced credential's (from its creation to its expiry), or none when that one
    /// never expires: never silently weaker.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = Some(lifetime);
        self
    }

    /// The longest lifetime a new credential may have (an audit policy's maximum age): a
    /// longer or endless one is cut to it, where the vendor lets it be chosen.
    pub fn max_lifetime(mut self, max: Duration) -> Self {
        self.max_lifetime = Some(max);
        self
    }

    /// Runs `hook` once the new secret is current and before anything is retired (e.g. a
    /// service reload). If it fails, nothing is retired, the report says so with its message
    /// (which must hold no secret), and running the rotation again goes on from there, the
    /// hook first.
    pub fn after_promote<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.after_promote = Some(Arc::new(move || Box::pin(hook())));
        self
    }

    /// How long a run waits for another run into the same sink to end before it gives up
    /// (default: a minute).
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// Judges grace windows and sets lifetimes at `now` instead of the system's clock.
    pub fn at(mut self, now: SystemTime) -> Self {
        self.now = Some(now);
        self
    }

    pub(super) fn now(&self) -> SystemTime {
        self.now.unwrap_or_else(SystemTime::now)
    }

    /// The mark of the credentials it creates, with `sink_name` as the default name.
    pub(super) fn mark(&self, sink_name: &str) -> String {
        format!("[access-tokens: {}]", self.name.as_deref().unwrap_or(sink_name))
    }
}

impl fmt::Debug for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rotation")
            .field("name", &self.name)
            .field("retire", &self.retire)
            .field("retire_after", &self.retire_after)
            .field("lifetime", &self.lifetime)
            .field("max_lifetime", &self.max_lifetime)
            .field("after_promote", &self.after_promote.as_ref().map(|_| "a hook"))
            .field("lock_wait", &self.lock_wait)
            .field("now", &self.now)
            .finish()
    }
}
