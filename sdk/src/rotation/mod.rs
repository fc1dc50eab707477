//! Rotation and revocation that never lose or leak the only copy of a secret.
//!
//! [`rotate`] replaces the credentials of one target (each vendor module's `RotationTarget`: a
//! Magpie user or service account, a Bamboo token name, an Entuity user, an Insight.io user)
//! in steps after AWS Secrets Manager's create, set, test and finish, keeping the pending
//! secret apart from the current one:
//!
//! 1. **Create** one new credential. Creates are never retried: a repeated create would leave
//!    a live token nobody holds.
//! 2. **Store** it with the caller's [`Sink`] as the pending secret, beside the current one
//!    (a [`FileSink`] is provided); nothing goes on until the sink says it is kept. If the
//!    sink fails, the new credential is retired again.
//! 3. **Identify** it. Magpie's create answers with the value only, so its id is the one id a
//!    listing after the create shows that the listing before did not; none or several (another
//!    client creating at the same time) is [`Failure::Ambiguous`], and nothing is retired.
//! 4. **Check** that it works: a call made with it where the vendor allows one (Insight.io),
//!    otherwise that it is listed and usable (enabled, not expired, with a permission).
//! 5. **Promote** it in the sink: the pending secret becomes the current one too. Until then,
//!    what the caller's services read is the old credential, which still works.
//! 6. **Retire** every other credential of the target: the old ones, and any a lost create
//!    left behind. Magpie's and Entuity's are deleted, Insight.io's revoked, and Bamboo's,
//!    which cannot be deleted, lose their read and change permissions.
//! 7. **Confirm** the retirement by looking again: Insight.io answers 200 to a revoke whatever
//!    happens, so an old token must now get 401.
//! 8. **Finish**: the sink forgets the pending secret.
//!
//! Each step's outcome is in the [`Report`], with the [`State`] it left. A run that stops
//! part-way leaves the old credentials working, or the new one stored, and the same rotation
//! run again converges: the target ends with exactly one credential, the one the sink holds.
//! A run that stopped anywhere after the store **resumes** with the pending secret instead of
//! creating another, where the vendor lists values to find it by (Bamboo, Entuity,
//! Insight.io; a Magpie run creates anew and retires the pending one with the others). No
//! report, error or log line holds a secret.
//!
//! The target is the unit of rotation: every credential in it but the new one is retired, so
//! give each service its own account (or Bamboo token name, or Entuity description).
//!
//! ```
//! use access_tokens::magpie::RotationTarget;
//! use access_tokens::rotation::{self, FileSink, State};
//! use access_tokens::testing::MagpieFixture;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), access_tokens::Error> {
//! # let MagpieFixture { admin, .. } = MagpieFixture::start().await?;
//! # let directory = std::env::temp_dir().join(format!("rotate-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&directory).unwrap();
//! let sink = FileSink::new(directory.join("ci-token"));
//! let target = RotationTarget::service_account(admin, "ci@example.com");
//! let report = rotation::rotate(&target, &sink).await;
//! assert_eq!(report.state, State::Rotated, "{report}");
//! # std::fs::remove_dir_all(&directory).unwrap();
//! # Ok(())
//! # }
//! ```

mod leaked;
mod sink;
mod vendor;

use std::fmt;

use serde::{Serialize, Serializer};

use crate::inventory::{TokenId, Vendor};
use crate::{Error, Secret};

pub use leaked::{Leaked, revoke_leaked};
pub use sink::{FileSink, NewCredential, Sink};
pub(crate) use vendor::sealed::Sealed;
pub use vendor::{Created, Credentials, Held, Rotate};

/// Rotates `target`'s credentials, handing the new secret to `sink` before anything else
/// happens to it; see the [module](self) for the steps.
pub async fn rotate<T: Rotate>(target: &T, sink: &impl Sink) -> Report {
    let mut report = Report::new(T::VENDOR);
    match resume(target, sink).await {
        Err(failure) => return report.stop(Step::Resume, failure, State::NotCreated),
        Ok(Some((new, secret))) => {
            report.done(Step::Resume);
            report.new = Some(new.id.clone());
            match target.check(&new, &secret).await {
                Ok(()) => {
                    report.done(Step::Check);
                    return finish(target, sink, report, &new, &secret).await;
                }
                // It will never work: start afresh, and retire it with the others.
                Err(failure @ Failure::NotWorking(_)) => {
                    report.failed(Step::Check, failure);
                    report.new = None;
                }
                Err(failure) => return report.stop(Step::Check, failure, State::CheckFailed),
            }
        }
        Ok(None) => {}
    }
    // Without values to find it by, the new credential is the one a listing after the create
    // shows that this one did not.
    let before = if T::LISTS_VALUES {
        None
    } else {
        match target.list(None).await {
            Ok(before) => {
                report.done(Step::List);
                Some(before)
            }
            Err(error) => return report.stop(Step::List, error.into(), State::NotCreated),
        }
    };
    let created = match target.create().await {
        Ok(created) => created,
        Err(error) => return report.stop(Step::Create, error.into(), State::NotCreated),
    };
    report.done(Step::Create);
    let credential = NewCredential {
        vendor: T::VENDOR,
        id: created.held.as_ref().map(|held| &held.id),
        secret: &created.secret,
    };
    if let Err(error) = sink.store(&credential).await {
        report.failed(Step::Store, Failure::Sink(error));
        // Nobody holds the new credential: it must not stay alive.
        let retired = match identify(target, &created, before.as_deref()).await {
            Ok(new) => target.retire(&new).await.map_err(Failure::from),
            Err(failure) => Err(failure),
        };
        let new_retired = match retired {
            Ok(()) => true,
            Err(failure) => {
                report.failed(Step::Retire, failure);
                false
            }
        };
        report.state = State::NotStored { new_retired };
        return report;
    }
    report.done(Step::Store);
    let new = match identify(target, &created, before.as_deref()).await {
        Ok(new) => new,
        Err(failure) => return report.stop(Step::Identify, failure, State::Unidentified),
    };
    report.done(Step::Identify);
    report.new = Some(new.id.clone());
    if let Err(failure) = target.check(&new, &created.secret).await {
        return report.stop(Step::Check, failure, State::CheckFailed);
    }
    report.done(Step::Check);
    finish(target, sink, report, &new, &created.secret).await
}

/// The credential an earlier run left pending in the sink, if the target still lists it and it
/// can still do something (a vendor that lists no values never resumes).
async fn resume<T: Rotate>(
    target: &T,
    sink: &impl Sink,
) -> Result<Option<(Held<T::Handle>, Secret)>, Failure> {
    if !T::LISTS_VALUES {
        return Ok(None);
    }
    let Some(pending) = sink.pending().await.map_err(Failure::Sink)? else { return Ok(None) };
    let found = target.find(&pending).await?;
    Ok(found.filter(|held| !T::is_neutralised(&held.handle)).map(|held| (held, pending)))
}

/// The new credential, as created or, where the answer holds only the secret, as the one id
/// `before` did not list.
async fn identify<T: Rotate>(
    target: &T,
    created: &Created<T::Handle>,
    before: Option<&[Held<T::Handle>]>,
) -> Result<Held<T::Handle>, Failure> {
    if let Some(held) = &created.held {
        return Ok(held.clone());
    }
    let before = before.unwrap_or_default();
    let mut appeared: Vec<_> = target
        .list(Some(&created.secret))
        .await?
        .into_iter()
        .filter(|held| before.iter().all(|old| old.id != held.id))
        .collect();
    match appeared.len() {
        1 => Ok(appeared.remove(0)),
        candidates => Err(Failure::Ambiguous { candidates }),
    }
}

/// Promotes the checked `new` credential in the sink, then retires every other credential of
/// the target and confirms it.
async fn finish<T: Rotate>(
    target: &T,
    sink: &impl Sink,
    mut report: Report,
    new: &Held<T::Handle>,
    secret: &Secret,
) -> Report {
    if let Err(error) = sink.promote().await {
        return report.stop(Step::Promote, Failure::Sink(error), State::NotPromoted);
    }
    report.done(Step::Promote);
    let old: Vec<_> = match target.list(Some(secret)).await {
        Ok(listed) => listed.into_iter().filter(|held| held.id != new.id).collect(),
        Err(error) => return report.stop(Step::Retire, error.into(), State::NotRetired),
    };
    let retirement = retire(target, &old).await;
    report.retired = retirement.retired;
    match retirement.outcome {
        Err(failure @ Failure::Retire(_)) => {
            return report.stop(Step::Retire, failure, State::PartlyRetired);
        }
        Err(failure) => {
            report.done(Step::Retire);
            return report.stop(Step::Confirm, failure, State::Unconfirmed);
        }
        Ok(()) => {}
    }
    report.done(Step::Retire);
    report.done(Step::Confirm);
    if let Err(error) = sink.finish().await {
        return report.stop(Step::Finish, Failure::Sink(error), State::Unfinished);
    }
    report.done(Step::Finish);
    report.state = State::Rotated;
    report
}

/// What [`retire`] did: the ids retired, and whether all were and stay so.
struct Retirement {
    retired: Vec<TokenId>,
    /// [`Failure::Retire`] if some could not be retired, else the confirmation's failure.
    outcome: Result<(), Failure>,
}

/// Retires each of `old`, then, if all were, confirms it by looking again: the one path by
/// which rotation and leak revocation retire credentials.
async fn retire<C: Credentials>(credentials: &C, old: &[Held<C::Handle>]) -> Retirement {
    let mut retired = Vec::new();
    let mut unretired = Vec::new();
    for held in old {
        match credentials.retire(held).await {
            Ok(()) => retired.push(held.id.clone()),
            Err(error) => unretired.push((held.id.clone(), error)),
        }
    }
    let outcome = if !unretired.is_empty() {
        Err(Failure::Retire(unretired))
    } else {
        match credentials.confirm(old).await {
            Ok(alive) if alive.is_empty() => Ok(()),
            Ok(alive) => Err(Failure::StillAlive(alive)),
            Err(error) => Err(error.into()),
        }
    };
    Retirement { retired, outcome }
}

/// What a rotation did, step by step, and where it stopped. Holds no secret; serialized (and
/// shown) with each failure's message.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The product rotated.
    pub vendor: Vendor,
    /// Where the rotation ended.
    pub state: State,
    /// The new credential's id, once known.
    pub new: Option<TokenId>,
    /// The credentials retired, in the order they were.
    pub retired: Vec<TokenId>,
    /// Each step taken, in order.
    pub steps: Vec<StepOutcome>,
}

impl Report {
    fn new(vendor: Vendor) -> Self {
        let state = State::NotCreated;
        Self { vendor, state, new: None, retired: Vec::new(), steps: Vec::new() }
    }

    fn done(&mut self, step: Step) {
        self.steps.push(StepOutcome { step, failure: None });
    }

    fn failed(&mut self, step: Step, failure: Failure) {
        self.steps.push(StepOutcome { step, failure: Some(failure) });
    }

    fn stop(mut self, step: Step, failure: Failure, state: State) -> Self {
        self.failed(step, failure);
        self.state = state;
        self
    }

    /// The first step that failed, if one did.
    pub fn failure(&self) -> Option<(Step, &Failure)> {
        self.steps.iter().find_map(|s| s.failure.as_ref().map(|failure| (s.step, failure)))
    }
}

/// "magpie rotation: rotated (new tok-7; retired tok-5, tok-6)", or the state and the first
/// failure.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rotation: {}", self.vendor, self.state)?;
        if let Some(new) = &self.new {
            write!(f, " (new {new}")?;
            for (index, id) in self.retired.iter().enumerate() {
                f.write_str(if index == 0 { "; retired " } else { ", " })?;
                write!(f, "{id}")?;
            }
            f.write_str(")")?;
        }
        if let Some((step, failure)) = self.failure() {
            write!(f, "; {step} failed: {failure}")?;
        }
        Ok(())
    }
}

/// A step of a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    /// Taking up the credential an earlier run left pending in the sink.
    Resume,
    /// Listing the target before the create (Magpie, to find the new token's id after it).
    List,
    /// Creating the new credential.
    Create,
    /// Handing it to the sink.
    Store,
    /// Finding its id.
    Identify,
    /// Checking that it works.
    Check,
    /// Making it the sink's current credential.
    Promote,
    /// Retiring the others.
    Retire,
    /// Confirming that they are retired.
    Confirm,
    /// Telling the sink the rotation is over.
    Finish,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Resume => "resume",
            Self::List => "list",
            Self::Create => "create",
            Self::Store => "store",
            Self::Identify => "identify",
            Self::Check => "check",
            Self::Promote => "promote",
            Self::Retire => "retire",
            Self::Confirm => "confirm",
            Self::Finish => "finish",
        })
    }
}

/// One step's outcome.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct StepOutcome {
    /// The step.
    pub step: Step,
    /// Why it failed, if it did.
    #[serde(rename = "error")]
    pub failure: Option<Failure>,
}

/// Where a rotation ended. Every state but [`Rotated`](Self::Rotated) converges when the same
/// rotation runs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum State {
    /// Nothing was created; the old credentials are untouched. A create whose answer was lost
    /// may have left a token no one holds: the next run retires it.
    NotCreated,
    /// The sink failed; the new credential was retired again (`new_retired`), or is left for
    /// the next run to retire. The old credentials are untouched.
    NotStored {
        /// Whether the new credential was retired.
        new_retired: bool,
    },
    /// The new credential is stored, but its id could not be told apart (Magpie); nothing
    /// was retired.
    Unidentified,
    /// The new credential is stored (pending) but failed its check; nothing was retired.
    CheckFailed,
    /// The new credential is stored and works, but the sink could not make it current;
    /// nothing was retired.
    NotPromoted,
    /// The new credential is stored and works; the others could not be listed to retire.
    NotRetired,
    /// The new credential is stored and works; some others could not be retired.
    PartlyRetired,
    /// Everything was retired, but a second look found some still alive, or failed.
    Unconfirmed,
    /// Everything is retired and confirmed, but the sink could not forget the pending
    /// secret; the next run resumes with it and finishes.
    Unfinished,
    /// The new credential is stored and works, and every other one is confirmed retired.
    Rotated,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotCreated => "nothing created",
            Self::NotStored { new_retired: true } => "not stored (the new credential is retired)",
            Self::NotStored { new_retired: false } => "not stored (the new credential is left)",
            Self::Unidentified => "stored, not identified",
            Self::CheckFailed => "stored, check failed",
            Self::NotPromoted => "stored and checked, not promoted",
            Self::NotRetired => "stored and checked, nothing retired",
            Self::PartlyRetired => "stored and checked, partly retired",
            Self::Unconfirmed => "retired, not confirmed",
            Self::Unfinished => "retired, the sink not finished",
            Self::Rotated => "rotated",
        })
    }
}

/// Why a step failed. Its message never holds a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The vendor's server, or the connection to it.
    #[error(transparent)]
    Vendor(#[from] Error),
    /// The sink.
    #[error("the sink failed: {0}")]
    Sink(std::io::Error),
    /// Magpie listed `candidates` new ids after the create, not exactly one.
    #[error("{candidates} new tokens appeared during the create, not exactly one")]
    Ambiguous {
        /// How many.
        candidates: usize,
    },
    /// The new credential does not work.
    #[error("the new credential {0}")]
    NotWorking(&'static str),
    /// These could not be retired.
    #[error("{} could not be retired: {}", .0.len(), Listed(.0))]
    Retire(Vec<(TokenId, Error)>),
    /// These are still alive after they were retired.
    #[error("still alive after retirement: {}", Listed(.0))]
    StillAlive(Vec<TokenId>),
}

impl Serialize for Failure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A list of ids, or of ids and why, comma-separated.
struct Listed<'a, T>(&'a [T]);

impl fmt::Display for Listed<'_, TokenId> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, id) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{id}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Listed<'_, (TokenId, Error)> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, (id, error)) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{id} ({error})")?;
        }
        Ok(())
    }
}
