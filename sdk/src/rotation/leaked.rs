//! Revoking a leaked token found by its value.

use super::{Credentials, Failure, retire};
use crate::Secret;
use crate::inventory::TokenId;

/// What [`revoke_leaked`] found and did. Serialized as `{"outcome": "revoked" | "not_found" |
/// "candidates", "ids": [...]}`, `ids` always a list: the one revoked, none, or the candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Leaked {
    /// Found as this token, retired, and confirmed: deleted (Entuity), answered 401
    /// (Insight.io), or listed with no permission left (Bamboo, which cannot delete).
    Revoked(TokenId),
    /// No token listed has the value: already revoked, or another server's.
    NotFound,
    /// Magpie lists no values, so the token cannot be told apart: the value logs in, and
    /// these are the tokens of the user it logs in as, one of which it is. Nothing was
    /// revoked.
    Candidates(Vec<TokenId>),
}

impl serde::Serialize for Leaked {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Shown<'a> {
            outcome: &'static str,
            ids: &'a [TokenId],
        }
        let (outcome, ids) = match self {
            Self::Revoked(id) => ("revoked", std::slice::from_ref(id)),
            Self::NotFound => ("not_found", &[][..]),
            Self::Candidates(ids) => ("candidates", &ids[..]),
        };
        Shown { outcome, ids }.serialize(serializer)
    }
}

/// Finds the token whose value is `leaked` among `server`'s credentials (`magpie::Client`,
/// `bamboo::Client`, `entuity::Client`, `insight::ClientBuilder`), comparing every listed
/// value in constant time, retires it and confirms the retirement, as a rotation retires the
/// credentials it replaces. Magpie lists no values: the value is sent to the server's login
/// (and nowhere else), and the tokens of the user it logs in as are the candidates. The value
/// reaches no log, error or report: only the token's id (a fingerprint where the value is the
/// id) is shown.
pub async fn revoke_leaked<C: Credentials>(server: &C, leaked: &Secret) -> Result<Leaked, Failure> {
    if !C::LISTS_VALUES {
        // Listed by what the value logs in as; a value that does not log in is no live token.
        let listed = match server.list(Some(leaked)).await {
            Err(error) if error.status().is_some_and(|s| s.as_u16() == 401) => {
                return Ok(Leaked::NotFound);
            }
            listed => listed?,
        };
        return Ok(Leaked::Candidates(listed.into_iter().map(|held| held.id).collect()));
    }
    let Some(found) = server.find(leaked).await? else { return Ok(Leaked::NotFound) };
    retire(server, std::slice::from_ref(&found), Some(leaked)).await.outcome?;
    Ok(Leaked::Revoked(found.id))
}
