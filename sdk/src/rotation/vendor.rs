//! What rotation and leak revocation need of a vendor, implemented in each vendor's own
//! module: the credentials in scope and how to retire them ([`Credentials`]), and how a new
//! one is made, marked and checked ([`Rotate`]). The steps (`Rotation::run`, `revoke_leaked`)
//! are written once over these.

use std::future::Future;
use std::time::SystemTime;

use super::Failure;
use crate::inventory::{TokenId, Vendor};
use crate::{Error, Expiry, Secret};

/// Implemented by this crate's vendor modules only, so that these traits can grow.
pub(crate) mod sealed {
    pub trait Sealed {}
}

/// A vendor's credentials in some scope (a target's, or every token a server lists): listed,
/// found by value, retired and confirmed retired. Implemented by each vendor's
/// `RotationTarget`, and by the clients that [`revoke_leaked`](super::revoke_leaked) searches:
/// `magpie::Client` (its user's tokens), `bamboo::Client` and `entuity::Client` (every token),
/// `insight::ClientBuilder` (the tokens of the user a value belongs to).
pub trait Credentials: sealed::Sealed + Sync {
    /// What retiring one takes: its id, or the token itself.
    type Handle: Clone + Send + Sync;

    /// The product.
    const VENDOR: Vendor;

    /// Whether the vendor lists values, so that a credential can be found by its secret.
    /// Magpie does not: a rotation finds its new token by listing before and after the create,
    /// and the one it replaces or resumes by the id its ledger recorded; a leaked value is
    /// narrowed to candidates.
    const LISTS_VALUES: bool = true;

    /// Every credential in scope. `with`: a secret of the scope, for a vendor that lists with
    /// one (Insight.io); without one it lists none.
    fn list(
        &self,
        with: Option<&Secret>,
    ) -> impl Future<Output = Result<Vec<Held<Self::Handle>>, Error>> + Send;

    /// Whether `handle`'s value is `secret`, compared in constant time.
    fn holds(handle: &Self::Handle, secret: &Secret) -> bool;

    /// Whether it is listed but can do nothing (a Bamboo token without permissions).
    fn is_neutralised(_handle: &Self::Handle) -> bool {
        false
    }

    /// The credential in scope whose value is `secret`, if one is listed.
    fn find(
        &self,
        secret: &Secret,
    ) -> impl Future<Output = Result<Option<Held<Self::Handle>>, Error>> + Send {
        async move {
            let listed = self.list(Some(secret)).await?;
            Ok(listed.into_iter().find(|held| Self::holds(&held.handle, secret)))
        }
    }

    /// Retires `held`: deletes or revokes it, or takes away what it may do.
    fn retire(&self, held: &Held<Self::Handle>) -> impl Future<Output = Result<(), Error>> + Send;

    /// The ids of `retired` that are still alive, by looking again: listed, and not
    /// neutralised. `with`: a secret of the scope, for a vendor that lists with one.
    fn confirm(
        &self,
        retired: &[Held<Self::Handle>],
        with: Option<&Secret>,
    ) -> impl Future<Output = Result<Vec<TokenId>, Error>> + Send {
        async move {
            let listed = self.list(with).await?;
            let alive = |held: &&Held<Self::Handle>| {
                listed.iter().any(|now| now.id == held.id && !Self::is_neutralised(&now.handle))
            };
            Ok(retired.iter().filter(alive).map(|held| held.id.clone()).collect())
        }
    }
}

/// What a rotation replaces: credentials that can be created, marked and checked as well.
/// Implemented by each vendor's `RotationTarget`.
pub trait Rotate: Credentials {
    /// Whether a new credential's expiry can be chosen when it is created (Entuity), so that
    /// it keeps the lifetime of the one it replaces.
    const SETS_EXPIRY: bool = false;

    /// Whether the new credential is marked as the rotation's after it is identified (Magpie,
    /// whose create takes nothing), rather than as it is created.
    const MARKS_AFTER_CREATE: bool = false;

    /// Whether `held`, found by a pending secret, is the target's own: listed in its scope
    /// and, where a listing can hold another user's tokens (Insight.io), the target user's.
    fn owns(&self, _held: &Held<Self::Handle>) -> bool {
        true
    }

    /// Creates one new credential as `new` says, once.
    fn create(
        &self,
        new: &New<'_, Self::Handle>,
    ) -> impl Future<Output = Result<Created<Self::Handle>, Error>> + Send;

    /// Marks `created` as the rotation's, where that takes a call of its own.
    fn mark(
        &self,
        _created: &Held<Self::Handle>,
        _new: &New<'_, Self::Handle>,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        std::future::ready(Ok(()))
    }

    /// Checks that `new`, whose value is `secret`, works: a call made with it, or that it is
    /// listed and usable.
    fn check(
        &self,
        new: &Held<Self::Handle>,
        secret: &Secret,
    ) -> impl Future<Output = Result<(), Failure>> + Send;

    /// What a create as `new` makes, in a phrase for a plan: "an Entuity token for guy2,
    /// described …, expiring …".
    fn describe(&self, new: &New<'_, Self::Handle>) -> String;
}

/// How the new credential is made: the mark that says it is this rotation's, the one it
/// replaces (whose description and lifetime it keeps), and its expiry, where the vendor lets
/// it be chosen.
#[derive(Debug)]
#[non_exhaustive]
pub struct New<'a, H> {
    /// `[access-tokens: <rotation's name>]`, added to its description where it has one.
    pub mark: &'a str,
    /// The credential it replaces, if the rotation could tell which.
    pub replaced: Option<&'a Held<H>>,
    /// When it expires; `None` for never or the vendor's default.
    pub expires: Option<SystemTime>,
}

impl<H> New<'_, H> {
    /// `base` with the rotation's mark after it (any earlier mark taken off first).
    pub fn marked(&self, base: Option<&str>) -> String {
        match base.map(unmarked).filter(|base| !base.is_empty()) {
            Some(base) => format!("{base} {}", self.mark),
            None => self.mark.to_owned(),
        }
    }

    /// The replaced credential's description or name, without its mark.
    pub fn replaced_label(&self) -> Option<&str> {
        self.replaced.and_then(|held| held.about.label.as_deref()).map(unmarked)
    }
}

/// `label` without a rotation's mark at its end.
pub fn unmarked(label: &str) -> &str {
    match label.rfind(" [access-tokens: ") {
        Some(at) if label.ends_with(']') => &label[..at],
        _ if label.starts_with("[access-tokens: ") && label.ends_with(']') => "",
        _ => label,
    }
}

/// One of a vendor's credentials: its id (never its secret), what retiring it takes, and what
/// the listing says of it.
#[derive(Debug, Clone)]
pub struct Held<H> {
    /// Its id, or the fingerprint of its value where the value is the id.
    pub id: TokenId,
    /// What retiring it takes.
    pub handle: H,
    /// What the listing says of it.
    pub about: About,
}

/// What a listing says of a credential, where the vendor says it: for a rotation's scope (its
/// description and mark, its owner) and for the new one's lifetime.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct About {
    /// Its description or name.
    pub label: Option<String>,
    /// When it was created.
    pub created: Option<SystemTime>,
    /// When it expires.
    pub expires: Option<Expiry>,
    /// Whose it is (Insight.io's provider-qualified user id).
    pub owner: Option<String>,
}

impl About {
    /// How long it lives, from its creation to its expiry; `None` for never or unknown.
    pub fn lifetime(&self) -> Option<std::time::Duration> {
        match (self.created, self.expires) {
            (Some(created), Some(Expiry::At(expires))) => expires.duration_since(created).ok(),
            _ => None,
        }
    }
}

/// A created credential: its secret, and what it is, where the create's answer says.
#[derive(Debug)]
pub struct Created<H> {
    /// The only copy of the secret.
    pub secret: Secret,
    /// The credential, unless the answer holds only the secret (Magpie's).
    pub held: Option<Held<H>>,
}

#[cfg(test)]
mod tests {
    use super::{New, unmarked};

    #[test]
    fn a_mark_is_added_once_and_taken_off_whole() {
        let new = New::<()> { mark: "[access-tokens: ci]", replaced: None, expires: None };
        assert_eq!(new.marked(Some("deploys")), "deploys [access-tokens: ci]");
        assert_eq!(new.marked(Some("deploys [access-tokens: old]")), "deploys [access-tokens: ci]");
        assert_eq!(new.marked(None), "[access-tokens: ci]");
        assert_eq!(new.marked(Some("[access-tokens: ci]")), "[access-tokens: ci]");
        assert_eq!(unmarked("laptop [work]"), "laptop [work]");
        assert_eq!(unmarked("laptop"), "laptop");
    }
}
