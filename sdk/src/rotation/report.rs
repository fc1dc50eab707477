//! What a rotation did, step by step, where it stopped, and why.

use std::fmt;

use serde::{Serialize, Serializer};

use super::Waiting;
use crate::Error;
use crate::inventory::{Moment, TokenId, Vendor};

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
    /// When the new credential expires, where the vendor says.
    pub new_expires: Option<Moment>,
    /// The credential the sink held as current, which the new one replaces, if it could be
    /// told.
    pub replaced: Option<TokenId>,
    /// The credentials retired, in the order they were.
    pub retired: Vec<TokenId>,
    /// Replaced credentials left working until the grace window ends.
    pub waiting: Vec<Waiting>,
    /// What the run could not do as asked, and says so.
    pub notices: Vec<Notice>,
    /// Each step taken, in order.
    pub steps: Vec<StepOutcome>,
}

impl Report {
    pub(super) fn new(vendor: Vendor) -> Self {
        Self {
            vendor,
            state: State::NotCreated,
            new: None,
            new_expires: None,
            replaced: None,
            retired: Vec::new(),
            waiting: Vec::new(),
            notices: Vec::new(),
            steps: Vec::new(),
        }
    }

    pub(super) fn done(&mut self, step: Step) {
        self.steps.push(StepOutcome { step, failure: None });
    }

    pub(super) fn failed(&mut self, step: Step, failure: Failure) {
        self.steps.push(StepOutcome { step, failure: Some(failure) });
    }

    pub(super) fn notice(&mut self, notice: Notice) {
        if !self.notices.contains(&notice) {
            self.notices.push(notice);
        }
    }

    /// The first step that failed, if one did.
    pub fn failure(&self) -> Option<(Step, &Failure)> {
        self.steps.iter().find_map(|s| s.failure.as_ref().map(|failure| (s.step, failure)))
    }
}

/// "entuity rotation: rotated (new 19, expires 2026-12-09 10:00 UTC; retired 17)", with what
/// waits, the notices, and the first failure.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rotation: {}", self.vendor, self.state)?;
        if let Some(new) = &self.new {
            write!(f, " (new {new}")?;
            match &self.new_expires {
                Some(Moment::At(at)) => write!(f, ", expires {}", utc(*at))?,
                Some(Moment::Never) => f.write_str(", never expires")?,
                _ => {}
            }
            for (index, id) in self.retired.iter().enumerate() {
                f.write_str(if index == 0 { "; retired " } else { ", " })?;
                write!(f, "{id}")?;
            }
            for (index, waiting) in self.waiting.iter().enumerate() {
                f.write_str(if index == 0 { "; waiting: " } else { ", " })?;
                write!(f, "{} until {}", waiting.id, utc(waiting.retire_at()))?;
            }
            f.write_str(")")?;
        } else if !self.retired.is_empty() {
            write!(f, " (retired {})", Listed(&self.retired))?;
        }
        for notice in &self.notices {
            write!(f, "; {notice}")?;
        }
        if let Some((step, failure)) = self.failure() {
            write!(f, "; {step} failed: {failure}")?;
        }
        Ok(())
    }
}

/// A time as `2026-12-04 18:30 UTC`.
pub(super) fn utc(at: std::time::SystemTime) -> String {
    format!("{} UTC", crate::inventory::utc_minute(at))
}

/// A step of a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    /// Taking the sink's lock, so that one rotation into it runs at a time.
    Lock,
    /// Retiring replaced credentials whose grace window has ended.
    RetireDue,
    /// Taking up the credential an earlier run left pending in the sink.
    Resume,
    /// Checking the sink, listing the target, and telling what the new credential replaces.
    Prepare,
    /// Creating the new credential.
    Create,
    /// Handing it to the sink.
    Store,
    /// Finding its id (Magpie: the one a listing shows that the one before did not).
    Identify,
    /// Marking it as the rotation's, where that takes a call of its own (Magpie).
    Mark,
    /// Checking that it works.
    Check,
    /// Making it the sink's current credential.
    Promote,
    /// Running the hook after promotion.
    Hook,
    /// Retiring what it replaces.
    Retire,
    /// Confirming that they are retired.
    Confirm,
    /// Telling the sink the rotation is over.
    Finish,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Lock => "lock",
            Self::RetireDue => "retire-due",
            Self::Resume => "resume",
            Self::Prepare => "prepare",
            Self::Create => "create",
            Self::Store => "store",
            Self::Identify => "identify",
            Self::Mark => "mark",
            Self::Check => "check",
            Self::Promote => "promote",
            Self::Hook => "hook",
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

/// Where a rotation ended. Every state but [`Rotated`](Self::Rotated) and
/// [`DueRetired`](Self::DueRetired) converges when the same rotation runs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum State {
    /// Nothing was created; the old credentials are untouched.
    NotCreated,
    /// The create failed after the request may have reached the server (no answer, or one
    /// cut short): a credential may have been created that nobody holds. The old ones are
    /// untouched; the next run retires it.
    MaybeCreated,
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
    /// The new credential is current, but the hook after promotion failed; nothing was
    /// retired. The next run runs the hook again and goes on.
    HookFailed,
    /// The new credential is current; the others could not be listed to retire.
    NotRetired,
    /// The new credential is current; some others could not be retired.
    PartlyRetired,
    /// Everything was retired, but a second look found some still alive, or failed.
    Unconfirmed,
    /// Everything is retired and confirmed, but the sink could not forget the pending
    /// secret; the next run resumes with it and finishes.
    Unfinished,
    /// The new credential is current, what it replaces is retired and confirmed (or waits
    /// out the grace window, in `waiting`).
    Rotated,
    /// No rotation was asked for: the replaced credentials whose grace window ended are
    /// retired and confirmed.
    DueRetired,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotCreated => "nothing created",
            Self::MaybeCreated => {
                "the create's answer was lost: a token may have been created, and the next run \
                 retires it"
            }
            Self::NotStored { new_retired: true } => "not stored (the new credential is retired)",
            Self::NotStored { new_retired: false } => "not stored (the new credential is left)",
            Self::Unidentified => "stored, not identified",
            Self::CheckFailed => "stored, check failed",
            Self::NotPromoted => "stored and checked, not promoted",
            Self::HookFailed => "promoted, the hook failed, nothing retired",
            Self::NotRetired => "promoted, nothing retired",
            Self::PartlyRetired => "promoted, partly retired",
            Self::Unconfirmed => "retired, not confirmed",
            Self::Unfinished => "retired, the sink not finished",
            Self::Rotated => "rotated",
            Self::DueRetired => "what was due is retired",
        })
    }
}

/// What a run could not do as asked, and says so rather than guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Notice {
    /// The sink holds a secret that is not among the target's listed credentials, or cannot
    /// be told apart (Magpie lists no values, and the ledger recorded no id): no credential
    /// was retired as replaced.
    ReplacedUnknown,
    /// The sink held no credential, so none was replaced or retired as replaced: a first run.
    NothingHeld,
    /// The pending secret is not the target's (another user's, name's or description's), or
    /// no longer listed: it was set aside ([`Sink::set_aside_pending`](super::Sink)),
    /// untouched on the server, and a fresh rotation ran.
    PendingNotTheTargets,
    /// The new credential never expires: the vendor lets its expiry be chosen, but the
    /// replaced credential's lifetime is unknown and none was configured.
    NoLifetime,
    /// The new credential could not be marked as the rotation's; the ledger still knows it.
    Unmarked,
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ReplacedUnknown => {
                "the sink's current secret is not among the target's listed tokens, or cannot be \
                 told apart: none was retired as replaced"
            }
            Self::NothingHeld => "the sink held no credential: none was retired as replaced",
            Self::PendingNotTheTargets => {
                "the pending secret is not the target's: it was set aside, untouched on the \
                 server, and a fresh rotation ran"
            }
            Self::NoLifetime => {
                "the new credential never expires: no lifetime is configured and the replaced \
                 one's is unknown"
            }
            Self::Unmarked => "the new credential could not be marked as this rotation's",
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
    /// The hook after promotion failed, with its message.
    #[error("the hook after promotion failed: {0}")]
    Hook(String),
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
pub(super) struct Listed<'a, T>(pub(super) &'a [T]);

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
