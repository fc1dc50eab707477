//! Where a rotation hands the new secret before it goes on: a [`Sink`] the caller supplies, or
//! the [`FileSink`](super::FileSink) provided.

use std::future::Future;
use std::io;
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::Ledger;
use crate::Secret;
use crate::inventory::{TokenId, Vendor};

/// A new credential, for a [`Sink`] to store.
#[derive(Debug)]
#[non_exhaustive]
pub struct NewCredential<'a> {
    /// The product it is for.
    pub vendor: Vendor,
    /// Its id, where the vendor's answer names it (Magpie's does not: the rotation finds it
    /// after the credential is stored).
    pub id: Option<&'a TokenId>,
    /// The secret: the only copy there is.
    pub secret: &'a Secret,
}

impl<'a> NewCredential<'a> {
    /// A credential of `vendor` with `secret`, and its id if known: for testing a sink.
    pub fn new(vendor: Vendor, id: Option<&'a TokenId>, secret: &'a Secret) -> Self {
        Self { vendor, id, secret }
    }
}

/// Keeps a rotation's new secret: pending first, current once it has passed its check, like
/// AWS Secrets Manager's `AWSPENDING` and `AWSCURRENT` stages; and the rotation's
/// [`Ledger`] between runs, and its lock.
///
/// The rotation goes on only once `store` returns `Ok`, so `Ok` must mean the value is durably
/// kept (written and synced, committed to a vault); on an error, the rotation retires the new
/// credential again and touches none of the old ones. A sink whose `store` makes the secret
/// current at once need not implement `promote`, `finish` and `pending`.
///
/// A sink's errors are shown in the rotation's [`Report`](super::Report): they must not hold
/// the secret.
pub trait Sink: Sync {
    /// Stores `credential`'s secret as the pending one, leaving the current one as it is, and
    /// returns once it is durably kept.
    fn store(&self, credential: &NewCredential<'_>) -> impl Future<Output = io::Result<()>> + Send;

    /// Makes the pending secret the current one too, keeping it pending until
    /// [`finish`](Self::finish). Called once the new credential has passed its check, before
    /// any old one is retired; an error stops the rotation there. Called again when a
    /// rotation resumes, so it must do no harm the second time.
    fn promote(&self) -> impl Future<Output = io::Result<()>> + Send {
        std::future::ready(Ok(()))
    }

    /// Forgets the pending secret: every other credential is confirmed retired.
    fn finish(&self) -> impl Future<Output = io::Result<()>> + Send {
        std::future::ready(Ok(()))
    }

    /// The pending secret of a rotation that has not finished, so that running it again
    /// resumes with that secret rather than creating another. Default: none.
    fn pending(&self) -> impl Future<Output = io::Result<Option<Secret>>> + Send {
        std::future::ready(Ok(None))
    }

    /// Moves the pending secret out of the way, keeping it: it is not the target's, so the
    /// rotation will not resume with it, and the fresh rotation's [`store`](Self::store) must
    /// not lose it. Default: nothing (a sink that keeps no pending secret has none to keep).
    fn set_aside_pending(&self) -> impl Future<Output = io::Result<()>> + Send {
        std::future::ready(Ok(()))
    }

    /// The secret the sink holds as current, if any: the credential a rotation replaces, found
    /// by its value where the vendor lists values. Default: none (then only the [`Ledger`]
    /// tells).
    fn current(&self) -> impl Future<Output = io::Result<Option<Secret>>> + Send {
        std::future::ready(Ok(None))
    }

    /// Whether a new secret can be stored and promoted as this sink promises (the file's
    /// directory writable, its owner, group and mode kept): run before anything is created,
    /// and by a [plan](super::Rotation::plan). Default: yes.
    fn check(&self) -> impl Future<Output = io::Result<()>> + Send {
        std::future::ready(Ok(()))
    }

    /// Where the secret goes, for a plan and a report; never the secret.
    fn describe(&self) -> String {
        "the caller's sink".to_owned()
    }

    /// A short name for the rotation into this sink, the default of
    /// [`Rotation::named`](super::Rotation::named), which marks the tokens it creates.
    fn name(&self) -> String {
        "rotation".to_owned()
    }

    /// Holds off every other rotation into this sink until the guard is dropped, waiting up to
    /// `wait` for one that runs; an error if it still runs. Default: no lock, for a sink only
    /// one process writes.
    fn lock(&self, wait: Duration) -> impl Future<Output = io::Result<SinkLock>> + Send {
        let _ = wait;
        std::future::ready(Ok(SinkLock::none()))
    }

    /// Whether the lock is free now, for a [plan](super::Rotation::plan): an error if another
    /// rotation holds it. Changes nothing a rotation keeps. Default: takes the lock without
    /// waiting and lets it go.
    fn check_lock(&self) -> impl Future<Output = io::Result<()>> + Send {
        async {
            self.lock(Duration::ZERO).await?.release().await;
            Ok(())
        }
    }

    /// The rotation's ledger, as [`save_ledger`](Self::save_ledger) last kept it. Default:
    /// an empty one (a sink that keeps none cannot tell, after a restart, what the rotation it
    /// resumes replaces).
    fn ledger(&self) -> impl Future<Output = io::Result<Ledger>> + Send {
        std::future::ready(Ok(Ledger::default()))
    }

    /// Keeps the rotation's ledger, durably, before the rotation goes on. Default: dropped.
    fn save_ledger(&self, ledger: &Ledger) -> impl Future<Output = io::Result<()>> + Send {
        let _ = ledger;
        std::future::ready(Ok(()))
    }
}

/// A [`Sink`]'s lock: other rotations into the sink wait until it is let go. A rotation lets
/// it go with [`release`](Self::release) when its run ends, which a lock kept in a store (a
/// Vault entry) needs, being released by a call; one held by a guard (a locked file) goes
/// when dropped too.
#[must_use = "the lock is released when dropped or released"]
pub struct SinkLock {
    guard: Option<Box<dyn Send + Sync>>,
    release: Option<Release>,
}

/// How a lock kept in a store is let go.
type Release = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send + Sync>;

impl SinkLock {
    /// A lock held by `guard` (a locked file) until it is dropped.
    pub fn held_by(guard: impl Send + Sync + 'static) -> Self {
        Self { guard: Some(Box::new(guard)), release: None }
    }

    /// A lock let go by `release` (a call that removes it from a store). A lock that is
    /// dropped without being released stays until the store lets it expire.
    pub fn released_by<F, Fut>(release: F) -> Self
    where
        F: FnOnce() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self { guard: None, release: Some(Box::new(move || Box::pin(release()))) }
    }

    /// No lock.
    pub fn none() -> Self {
        Self { guard: None, release: None }
    }

    /// Lets the lock go.
    pub async fn release(mut self) {
        if let Some(release) = self.release.take() {
            release().await;
        }
        drop(self.guard.take());
    }
}

impl std::fmt::Debug for SinkLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.guard.is_some() || self.release.is_some();
        f.write_str(if held { "SinkLock(held)" } else { "SinkLock(none)" })
    }
}
