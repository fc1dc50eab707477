//! What the inventory needs of a vendor, implemented in each vendor's own module: what a
//! record reads from a token of its ([`VendorToken`]); how a source lists is a closure each
//! vendor's `Source` constructor gives ([`Source::new`](super::Source::new)). Everything here
//! is generic over them; no vendor is named.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;

use super::record::{Account, AccountKind, Readings};
use super::{TokenId, Vendor};
use crate::Secret;

/// A vendor's token as its list call returns it: what the inventory reads from it.
pub(crate) trait VendorToken: serde::Serialize + fmt::Debug + Send + Sync + 'static {
    /// Its product.
    const VENDOR: Vendor;

    /// Its id, where the vendor gives one that is not the secret.
    fn vendor_id(&self) -> Option<Cow<'_, str>>;

    /// The secret, where it is itself what tells the token apart (the vendor giving no other
    /// id): a record shows its fingerprint.
    fn secret_id(&self) -> Option<&Secret>;

    /// Its name or description.
    fn name(&self) -> Option<&str>;

    /// Whom it acts as, where the token says; a source's own account comes first
    /// ([`Tokens::new`](super::Tokens::new)).
    fn account(&self) -> Option<Account<'_>>;

    /// Everything the audit reads, from one look at the token.
    fn readings(&self) -> Readings;
}

/// What tells a token apart across listings: a record's [`TokenId`] is the vendor's id, or the
/// secret's fingerprint.
#[cfg(feature = "history")]
pub(crate) enum Identity<'t> {
    /// The vendor's id, which is not a secret.
    Id(Cow<'t, str>),
    /// The secret itself, where the vendor has no other id (Bamboo's uuid, Insight.io's value).
    Secret(&'t Secret),
}

/// One listing's tokens of one vendor, with the account the source is about, if it is one
/// account's; [`Tokens`] holds it without its type.
#[derive(Debug)]
pub(super) struct Listed<T> {
    pub(super) account: Option<(AccountKind, String)>,
    pub(super) tokens: Vec<T>,
}

/// [`Listed`] without its vendor's type: what a record reads, by the token's index.
pub(super) trait TokenList: fmt::Debug + Send + Sync {
    fn vendor(&self) -> Vendor;
    fn len(&self) -> usize;
    fn id(&self, index: usize) -> Option<TokenId>;
    #[cfg(feature = "history")]
    fn identity(&self, index: usize) -> Option<Identity<'_>>;
    fn name(&self, index: usize) -> Option<&str>;
    fn account(&self, index: usize) -> Option<Account<'_>>;
    fn readings(&self, index: usize) -> Readings;
    /// The vendor's own record, to serialize as it is.
    fn record(&self, index: usize) -> &dyn erased_serde::Serialize;
    /// The vendor's token at `index`, for [`TokenRecord::vendor_record`](super::TokenRecord::vendor_record).
    fn token(&self, index: usize) -> &dyn Any;
    /// The whole list, for [`Tokens::of`].
    fn as_any(&self) -> &dyn Any;
}

impl<T: VendorToken> TokenList for Listed<T> {
    fn vendor(&self) -> Vendor {
        T::VENDOR
    }

    fn len(&self) -> usize {
        self.tokens.len()
    }

    fn id(&self, index: usize) -> Option<TokenId> {
        let token = &self.tokens[index];
        match token.secret_id() {
            Some(secret) => Some(TokenId::fingerprint(T::VENDOR, secret)),
            None => token.vendor_id().map(|id| TokenId::Vendor(id.into_owned())),
        }
    }

    #[cfg(feature = "history")]
    fn identity(&self, index: usize) -> Option<Identity<'_>> {
        let token = &self.tokens[index];
        match token.secret_id() {
            Some(secret) => Some(Identity::Secret(secret)),
            None => token.vendor_id().map(Identity::Id),
        }
    }

    fn name(&self, index: usize) -> Option<&str> {
        self.tokens[index].name()
    }

    fn account(&self, index: usize) -> Option<Account<'_>> {
        match &self.account {
            Some((kind, name)) => Some(Account { kind: *kind, name: Some(Cow::Borrowed(name)) }),
            None => self.tokens[index].account(),
        }
    }

    fn readings(&self, index: usize) -> Readings {
        self.tokens[index].readings()
    }

    fn record(&self, index: usize) -> &dyn erased_serde::Serialize {
        &self.tokens[index]
    }

    fn token(&self, index: usize) -> &dyn Any {
        &self.tokens[index]
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
