//! What rotation and leak revocation need of a vendor, implemented in each vendor's own
//! module: the credentials in scope and how to retire them ([`Credentials`]), and how a new
//! one is made and checked ([`Rotate`]). The steps (`rotate`, `revoke_leaked`) are written
//! once over these.

use std::future::Future;

use super::Failure;
use crate::inventory::{TokenId, Vendor};
use crate::{Error, Secret};

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
    /// and never resumes; a leaked value gives the candidates.
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
    /// neutralised.
    fn confirm(
        &self,
        retired: &[Held<Self::Handle>],
    ) -> impl Future<Output = Result<Vec<TokenId>, Error>> + Send {
        async move {
            let listed = self.list(None).await?;
            let alive = |held: &&Held<Self::Handle>| {
                listed.iter().any(|now| now.id == held.id && !Self::is_neutralised(&now.handle))
            };
            Ok(retired.iter().filter(alive).map(|held| held.id.clone()).collect())
        }
    }
}

/// What a rotation replaces: credentials that can be created and checked as well. Implemented
/// by each vendor's `RotationTarget`.
pub trait Rotate: Credentials {
    /// Creates one new credential, once.
    fn create(&self) -> impl Future<Output = Result<Created<Self::Handle>, Error>> + Send;

    /// Checks that `new`, whose value is `secret`, works: a call made with it, or that it is
    /// listed and usable.
    fn check(
        &self,
        new: &Held<Self::Handle>,
        secret: &Secret,
    ) -> impl Future<Output = Result<(), Failure>> + Send;
}

/// One of a vendor's credentials: its id (never its secret), and what retiring it takes.
#[derive(Debug, Clone)]
pub struct Held<H> {
    /// Its id, or the fingerprint of its value where the value is the id.
    pub id: TokenId,
    /// What retiring it takes.
    pub handle: H,
}

/// A created credential: its secret, and what it is, where the create's answer says.
#[derive(Debug)]
pub struct Created<H> {
    /// The only copy of the secret.
    pub secret: Secret,
    /// The credential, unless the answer holds only the secret (Magpie's).
    pub held: Option<Held<H>>,
}
