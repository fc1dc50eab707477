//! Revoking a leaked token found by its value.

use super::{Credentials, Failure, retire};
use crate::Secret;
use crate::inventory::TokenId;

/// What [`revoke_leaked`] found and did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", content = "ids", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Leaked {
    /// Found as this token, retired, and confirmed: deleted (Entuity), answered 401
    /// (Insight.io), or listed with no permission left (Bamboo, which cannot delete).
    Revoked(TokenId),
    /// No token listed has the value: already revoked, or another server's.
    NotFound,
    /// Magpie lists no values, so the token cannot be told apart: these are the ones it can
    /// be. Nothing was revoked.
    Candidates(Vec<TokenId>),
}

/// Finds the token whose value is `leaked` among `server`'s credentials (`magpie::Client`,
/// `bamboo::Client`, `entuity::Client`, `insight::ClientBuilder`), comparing every listed
/// value in constant time, retires it and confirms the retirement, as a rotation retires the
/// credentials it replaces. The value reaches no log, error or report: only the token's id (a
/// fingerprint where the value is the id) is shown.
pub async fn revoke_leaked<C: Credentials>(server: &C, leaked: &Secret) -> Result<Leaked, Failure> {
    if !C::LISTS_VALUES {
        let listed = server.list(None).await?;
        return Ok(Leaked::Candidates(listed.into_iter().map(|held| held.id).collect()));
    }
    let Some(found) = server.find(leaked).await? else { return Ok(Leaked::NotFound) };
    retire(server, std::slice::from_ref(&found)).await.outcome?;
    Ok(Leaked::Revoked(found.id))
}
