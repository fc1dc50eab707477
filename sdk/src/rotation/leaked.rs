//! Revoking a leaked token found by its value.

use super::{Failure, answered};
use crate::Secret;
#[cfg(feature = "bamboo")]
use crate::bamboo;
#[cfg(feature = "entuity")]
use crate::entuity;
#[cfg(feature = "insight")]
use crate::insight;
use crate::inventory::{TokenId, Vendor};
#[cfg(feature = "magpie")]
use crate::magpie;

/// Where to look for a leaked token.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Server<'a> {
    /// A Magpie user's tokens (Magpie lists no values: see [`Leaked::Candidates`]).
    #[cfg(feature = "magpie")]
    Magpie(&'a magpie::Client),
    /// Every Bamboo token, by administrator.
    #[cfg(feature = "bamboo")]
    Bamboo(&'a bamboo::Client),
    /// Every Entuity token, by administrator.
    #[cfg(feature = "entuity")]
    Entuity(&'a entuity::Client),
    /// Insight.io, where a token lists its user's tokens: the builder makes a client on the
    /// leaked value.
    #[cfg(feature = "insight")]
    Insight(&'a insight::ClientBuilder),
}

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

/// Finds the token whose value is `leaked` on `server`, comparing every listed value in
/// constant time, retires it and confirms the retirement. The value reaches no log, error or
/// report: only the token's id (a fingerprint where the value is the id) is shown.
pub async fn revoke_leaked(server: Server<'_>, leaked: &Secret) -> Result<Leaked, Failure> {
    match server {
        #[cfg(feature = "magpie")]
        Server::Magpie(client) => {
            let tokens = client.list_tokens().await?;
            Ok(Leaked::Candidates(
                tokens.into_iter().filter_map(|t| t.id.map(TokenId::Vendor)).collect(),
            ))
        }
        #[cfg(feature = "bamboo")]
        Server::Bamboo(client) => {
            let tokens = client.list_tokens().await?;
            let Some(found) = tokens.into_iter().find(|token| token.uuid == *leaked) else {
                return Ok(Leaked::NotFound);
            };
            let id = TokenId::fingerprint(Vendor::Bamboo, leaked);
            client.update_token(&bamboo::Token { read: false, change: false, ..found }).await?;
            let tokens = client.list_tokens().await?;
            let alive =
                tokens.iter().any(|token| token.uuid == *leaked && (token.read || token.change));
            confirmed(id, !alive)
        }
        #[cfg(feature = "entuity")]
        Server::Entuity(client) => {
            let tokens = client.list_tokens().await?;
            let Some(found) = tokens.iter().find(|token| token.token_value == *leaked) else {
                return Ok(Leaked::NotFound);
            };
            client.delete_token(found.token_id).await?;
            let gone = match client.get_token(found.token_id).await {
                Err(error) if answered(&error, 404) => true,
                Err(error) => return Err(error.into()),
                Ok(_) => false,
            };
            confirmed(TokenId::Vendor(found.token_id.to_string()), gone)
        }
        #[cfg(feature = "insight")]
        Server::Insight(builder) => {
            let client = builder.api_token(leaked.clone())?;
            let tokens = match client.list_tokens().await {
                Err(error) if answered(&error, 401) => return Ok(Leaked::NotFound),
                result => result?,
            };
            if !tokens.iter().any(|token| token.api_token == *leaked) {
                return Ok(Leaked::NotFound);
            }
            let id = TokenId::fingerprint(Vendor::Insight, leaked);
            client.clone().revoke_this_token().await?;
            let dead = match client.list_tokens().await {
                Err(error) if answered(&error, 401) => true,
                Err(error) => return Err(error.into()),
                Ok(_) => false,
            };
            confirmed(id, dead)
        }
    }
}

fn confirmed(id: TokenId, retired: bool) -> Result<Leaked, Failure> {
    if retired { Ok(Leaked::Revoked(id)) } else { Err(Failure::StillAlive(vec![id])) }
}
