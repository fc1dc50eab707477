//! What a rotation replaces and retires, resolved from a listing, the sink's current secret
//! and the ledger: shared by the plan and the run, so that the plan shows what the run does.

use std::time::{Duration, SystemTime};

use access_tokens_runtime::time::to_unix_millis as unix_ms;

use super::ledger::later;
use super::vendor::{Held, New, Rotate};
use super::{Ledger, Notice, Retire, Rotation, Waiting};
use crate::inventory::TokenId;
use crate::{Expiry, Secret};

/// How far a server's clock may be behind ours when a create whose answer never came is
/// matched by the new token's creation time.
const CLOCK_SLACK: Duration = Duration::from_secs(300);

/// What a rotation about to create a credential replaces, among `listed`: the one the sink
/// holds as current, by its value where the vendor lists values, else by the id the ledger
/// recorded; and, for a rotation that retires only what it replaces, the notice when that
/// cannot be told (none is then retired as replaced). Adds what an earlier run's lost create
/// left to the ledger's leftovers.
pub(super) fn prepare<'a, T: Rotate>(
    rotation: &Rotation,
    listed: &'a [Held<T::Handle>],
    current: Option<&Secret>,
    ledger: &mut Ledger,
) -> (Option<&'a Held<T::Handle>>, Option<Notice>) {
    for orphan in orphans(listed, ledger) {
        if !ledger.leftovers.contains(&orphan) {
            ledger.leftovers.push(orphan);
        }
    }
    let replaced = match (current, &ledger.current) {
        (Some(current), _) if T::LISTS_VALUES => {
            listed.iter().find(|held| T::holds(&held.handle, current))
        }
        (_, Some(id)) => listed.iter().find(|held| held.id == *id),
        (None, None) => None,
        // A secret that cannot be told apart: a vendor without values, and no recorded id.
        (Some(_), None) => None,
    };
    let notice = match (replaced, current) {
        (Some(_), _) => None,
        _ if rotation.retire == Retire::All => None,
        (None, None) => Some(Notice::NothingHeld),
        (None, Some(_)) => Some(Notice::ReplacedUnknown),
    };
    (replaced, notice)
}

/// The credentials an earlier run's create may have made without its answer arriving: listed
/// now, not before it, and (where the vendor says when a token was created) created after it
/// began.
fn orphans<H>(listed: &[Held<H>], ledger: &Ledger) -> Vec<TokenId> {
    let Some(attempt) = &ledger.attempt else { return Vec::new() };
    let began = access_tokens_runtime::time::from_unix_millis(attempt.started_unix_ms);
    let began = began.checked_sub(CLOCK_SLACK).unwrap_or(SystemTime::UNIX_EPOCH);
    listed
        .iter()
        .filter(|held| !attempt.before.contains(&held.id))
        .filter(|held| held.about.created.is_none_or(|created| created >= began))
        .map(|held| held.id.clone())
        .collect()
}

/// What a finished rotation retires at once, and what it lets wait out the grace window,
/// among `listed`, the new credential `new` aside.
pub(super) struct Retirement<H> {
    pub(super) now: Vec<Held<H>>,
    pub(super) later: Vec<Held<H>>,
}

/// Resolves [`Retirement`]: the credential being replaced (`ledger.replacing`) waits if the
/// rotation has a grace window; what earlier runs left (the ledger's leftovers, anything
/// carrying the rotation's `mark`) goes at once; what already waits is left to wait. With
/// [`Retire::All`], everything else in scope is treated as replaced.
pub(super) fn retirement<H: Clone>(
    rotation: &Rotation,
    listed: &[Held<H>],
    new: &TokenId,
    ledger: &Ledger,
    mark: &str,
) -> Retirement<H> {
    let waiting = |held: &Held<H>| ledger.waiting.iter().any(|waiting| waiting.id == held.id);
    let others = listed.iter().filter(|held| held.id != *new && !waiting(held));
    let (replaced, left): (Vec<&Held<H>>, Vec<&Held<H>>) = match rotation.retire {
        Retire::All => (others.collect(), Vec::new()),
        Retire::Replaced => {
            let is_replaced = |held: &&Held<H>| ledger.replacing.as_ref() == Some(&held.id);
            let replaced = others.clone().filter(is_replaced).collect();
            let left = others
                .filter(|held| !is_replaced(held))
                .filter(|held| {
                    ledger.leftovers.contains(&held.id)
                        || held.about.label.as_deref().is_some_and(|label| label.contains(mark))
                })
                .collect();
            (replaced, left)
        }
    };
    let mut retirement = Retirement { now: left.into_iter().cloned().collect(), later: Vec::new() };
    match rotation.retire_after {
        Some(grace) if !grace.is_zero() => {
            retirement.later = replaced.into_iter().cloned().collect()
        }
        _ => retirement.now.extend(replaced.into_iter().cloned()),
    }
    retirement
}

/// The waiting entries of `held`, to be retired `grace` after `now`.
pub(super) fn waiting<H>(held: &[Held<H>], now: SystemTime, grace: Duration) -> Vec<Waiting> {
    let at = unix_ms(later(now, grace));
    held.iter().map(|held| Waiting { id: held.id.clone(), retire_at_unix_ms: at }).collect()
}

/// How the new credential is made: marked as the rotation's, and, where the vendor lets its
/// expiry be chosen, living as long as the one it replaces (or the configured lifetime), cut to
/// the maximum.
pub(super) fn new_credential<'a, T: Rotate>(
    rotation: &Rotation,
    mark: &'a str,
    replaced: Option<&'a Held<T::Handle>>,
    now: SystemTime,
) -> New<'a, T::Handle> {
    let expires = T::SETS_EXPIRY
        .then(|| {
            let lifetime =
                rotation.lifetime.or_else(|| replaced.and_then(|held| held.about.lifetime()));
            match (lifetime, rotation.max_lifetime) {
                (Some(lifetime), Some(max)) => Some(lifetime.min(max)),
                (None, Some(max)) => Some(max),
                (lifetime, None) => lifetime,
            }
        })
        .flatten()
        .map(|lifetime| later(now, lifetime));
    New { mark, replaced, expires }
}

/// Whether the new credential would never expire although the vendor lets its expiry be
/// chosen and nothing asks for that: no lifetime configured, and the replaced one's unknown.
pub(super) fn endless_unasked<T: Rotate>(new: &New<'_, T::Handle>) -> bool {
    let endless_before = new.replaced.is_some_and(|held| held.about.expires == Some(Expiry::Never));
    T::SETS_EXPIRY && new.expires.is_none() && !endless_before
}
