//! What each vendor's rotation does at each step: the target's scope, create, check, retire
//! and confirm.

use super::{Failure, answered};
#[cfg(feature = "bamboo")]
use crate::bamboo;
#[cfg(feature = "entuity")]
use crate::entuity;
#[cfg(feature = "insight")]
use crate::insight;
use crate::inventory::{TokenId, Vendor};
#[cfg(feature = "magpie")]
use crate::magpie;
use crate::{Error, Secret};

/// What a rotation replaces the credentials of.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Target<'a> {
    /// A Magpie user's personal access tokens, or a service account's. If `client` logged
    /// in with one of them, it can no longer log in again with it once rotated.
    #[cfg(feature = "magpie")]
    Magpie {
        /// The user's client, or an administrator's for a service account.
        client: &'a magpie::Client,
        /// The service account; `None`: the client's own user.
        service_account: Option<&'a str>,
    },
    /// The Bamboo tokens named `token.name`; the new one gets `token`'s permissions.
    #[cfg(feature = "bamboo")]
    Bamboo {
        /// An administrator's client.
        client: &'a bamboo::Client,
        /// The token to create.
        token: &'a bamboo::NewToken,
    },
    /// The Entuity tokens of `token`'s user (with `token`'s description, if it has one).
    #[cfg(feature = "entuity")]
    Entuity {
        /// An administrator's client.
        client: &'a entuity::Client,
        /// The token to create.
        token: &'a entuity::NewAccessToken,
    },
    /// An Insight.io user's tokens. Each old token is revoked, and checked, by a client
    /// `builder` makes with it.
    #[cfg(feature = "insight")]
    Insight {
        /// How the new token is created.
        create: InsightCreate<'a>,
        /// Makes a client for each token (its base URL and HTTP settings).
        builder: &'a insight::ClientBuilder,
    },
}

/// How a rotation creates an Insight.io token.
#[cfg(feature = "insight")]
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum InsightCreate<'a> {
    /// With the user's browser session.
    Session(&'a insight::SessionClient),
    /// By authenticating with the user's credentials.
    Credentials(&'a insight::Credentials),
}

impl<'a> Target<'a> {
    /// The tokens of the Magpie service account `user_name`, managed by an administrator's
    /// `client`.
    #[cfg(feature = "magpie")]
    pub fn magpie_service_account(client: &'a magpie::Client, user_name: &'a str) -> Self {
        Self::Magpie { client, service_account: Some(user_name) }
    }

    /// The personal access tokens of `client`'s own Magpie user.
    #[cfg(feature = "magpie")]
    pub fn magpie_personal(client: &'a magpie::Client) -> Self {
        Self::Magpie { client, service_account: None }
    }

    /// The product it belongs to.
    pub fn vendor(&self) -> Vendor {
        match self {
            #[cfg(feature = "magpie")]
            Self::Magpie { .. } => Vendor::Magpie,
            #[cfg(feature = "bamboo")]
            Self::Bamboo { .. } => Vendor::Bamboo,
            #[cfg(feature = "entuity")]
            Self::Entuity { .. } => Vendor::Entuity,
            #[cfg(feature = "insight")]
            Self::Insight { .. } => Vendor::Insight,
        }
    }

    /// Whether the new credential's id is found by listing before and after the create.
    pub(super) fn identifies_by_listing(&self) -> bool {
        #[cfg(feature = "magpie")]
        if let Self::Magpie { .. } = self {
            return true;
        }
        false
    }

    /// Every credential of the target. Insight.io's are listed by a client on `new`, the
    /// new token (with none, there is nothing to list them with).
    pub(super) async fn scope(&self, new: Option<&Secret>) -> Result<Vec<Held>, Error> {
        Ok(match self {
            #[cfg(feature = "magpie")]
            Self::Magpie { client, service_account } => {
                let tokens = magpie_list(client, *service_account).await?;
                tokens
                    .into_iter()
                    .filter_map(|token| token.id)
                    .map(|id| Held { id: TokenId::Vendor(id.clone()), handle: Handle::Magpie(id) })
                    .collect()
            }
            #[cfg(feature = "bamboo")]
            Self::Bamboo { client, token } => {
                let tokens = client.list_tokens().await?;
                tokens
                    .into_iter()
                    .filter(|listed| listed.name == token.name)
                    .map(Held::bamboo)
                    .collect()
            }
            #[cfg(feature = "entuity")]
            Self::Entuity { client, token } => {
                let tokens = client.list_tokens().await?;
                tokens
                    .iter()
                    .filter(|listed| entuity_in_scope(token, listed))
                    .map(Held::entuity)
                    .collect()
            }
            #[cfg(feature = "insight")]
            Self::Insight { builder, .. } => {
                let Some(new) = new else { return Ok(Vec::new()) };
                let tokens = builder.api_token(new.clone())?.list_tokens().await?;
                tokens.into_iter().map(|token| Held::insight(token.api_token)).collect()
            }
        })
    }

    /// The credential of the target whose value is `secret`, unless it is neutralised or the
    /// vendor lists no values (Magpie).
    pub(super) async fn find(&self, secret: &Secret) -> Result<Option<Held>, Error> {
        if self.identifies_by_listing() {
            return Ok(None);
        }
        let scope = self.scope(Some(secret)).await;
        // Insight.io lists with the secret itself: a 401 says it is dead.
        #[cfg(feature = "insight")]
        if let (Self::Insight { .. }, Err(error)) = (self, &scope)
            && answered(error, 401)
        {
            return Ok(None);
        }
        let usable = |held: &Held| held.handle.holds(secret) && !held.handle.is_neutralised();
        Ok(scope?.into_iter().find(usable))
    }

    /// Creates the new credential, once.
    pub(super) async fn create(&self) -> Result<Created, Error> {
        Ok(match self {
            #[cfg(feature = "magpie")]
            Self::Magpie { client, service_account } => {
                let created = match service_account {
                    Some(name) => client.service_account(name).create().await?,
                    None => client.create_token().await?,
                };
                Created { secret: created.token, held: None }
            }
            #[cfg(feature = "bamboo")]
            Self::Bamboo { client, token } => {
                let created = client.create_token(token).await?;
                Created { secret: created.uuid.clone(), held: Some(Held::bamboo(created)) }
            }
            #[cfg(feature = "entuity")]
            Self::Entuity { client, token } => {
                let created = client.create_token(token).await?;
                Created { secret: created.token_value.clone(), held: Some(Held::entuity(&created)) }
            }
            #[cfg(feature = "insight")]
            Self::Insight { create, builder } => {
                let secret = match create {
                    InsightCreate::Session(session) => session.create_token().await?.token,
                    InsightCreate::Credentials(credentials) => {
                        builder.authenticate((*credentials).clone()).await?.token
                    }
                };
                Created { held: Some(Held::insight(secret.clone())), secret }
            }
        })
    }

    /// The new credential, as created or, for Magpie, as the one id `before` did not list.
    pub(super) async fn identify(
        &self,
        created: &Created,
        before: Option<&[Held]>,
    ) -> Result<Held, Failure> {
        if let Some(held) = &created.held {
            return Ok(held.clone());
        }
        let before = before.unwrap_or_default();
        let mut appeared: Vec<Held> = self
            .scope(Some(&created.secret))
            .await?
            .into_iter()
            .filter(|held| before.iter().all(|old| old.id != held.id))
            .collect();
        match appeared.len() {
            1 => Ok(appeared.remove(0)),
            candidates => Err(Failure::Ambiguous { candidates }),
        }
    }

    /// Checks that `new` works: a call made with it (Insight.io), or that it is listed and
    /// usable: enabled (Magpie), with a permission (Bamboo), not expired (Entuity).
    pub(super) async fn check(&self, new: &Held, secret: &Secret) -> Result<(), Failure> {
        match self {
            #[cfg(feature = "magpie")]
            Self::Magpie { client, service_account } => {
                let tokens = magpie_list(client, *service_account).await?;
                match tokens.iter().find(|token| new.is(&token.id)) {
                    None => Err(Failure::NotWorking("is not listed")),
                    Some(token) if token.disabled == Some(true) => {
                        Err(Failure::NotWorking("is disabled"))
                    }
                    Some(_) => Ok(()),
                }
            }
            #[cfg(feature = "bamboo")]
            Self::Bamboo { client, .. } => {
                let tokens = client.list_tokens().await?;
                match tokens.iter().find(|token| token.uuid == *secret) {
                    None => Err(Failure::NotWorking("is not listed")),
                    Some(token) if !token.read && !token.change => {
                        Err(Failure::NotWorking("has neither read nor change permission"))
                    }
                    Some(_) => Ok(()),
                }
            }
            #[cfg(feature = "entuity")]
            Self::Entuity { client, .. } => {
                let Handle::Entuity { id, .. } = new.handle else {
                    unreachable!("an Entuity token")
                };
                let token = client.get_token(id).await?;
                // Judged by the server's clock, which decides.
                let now =
                    client.server_clock().map_or_else(std::time::SystemTime::now, |c| c.now());
                match token.expiry() {
                    Some(expiry) if expiry.is_expired_at(now) => {
                        Err(Failure::NotWorking("has expired"))
                    }
                    _ => Ok(()),
                }
            }
            #[cfg(feature = "insight")]
            Self::Insight { builder, .. } => {
                builder.api_token(secret.clone())?.list_tokens().await?;
                Ok(())
            }
        }
    }

    /// Retires `held`: deletes it (Magpie, Entuity), revokes it (Insight.io), or takes away its
    /// permissions (Bamboo).
    pub(super) async fn retire(&self, held: &Held) -> Result<(), Error> {
        match (self, &held.handle) {
            #[cfg(feature = "magpie")]
            (Self::Magpie { client, .. }, Handle::Magpie(id)) => client.delete(id).await,
            #[cfg(feature = "bamboo")]
            (Self::Bamboo { client, .. }, Handle::Bamboo(token)) => {
                let neutral = bamboo::Token { read: false, change: false, ..(**token).clone() };
                client.update_token(&neutral).await.map(drop)
            }
            #[cfg(feature = "entuity")]
            (Self::Entuity { client, .. }, Handle::Entuity { id, .. }) => {
                client.delete_token(*id).await
            }
            #[cfg(feature = "insight")]
            (Self::Insight { builder, .. }, Handle::Insight(value)) => {
                builder.api_token(value.clone())?.revoke_this_token().await
            }
            _ => unreachable!("a target's own credentials"),
        }
    }

    /// The ids of `retired` that are still alive: listed (Magpie, Entuity), listed with a
    /// permission (Bamboo), or not answered 401 (Insight.io).
    pub(super) async fn confirm(&self, retired: &[Held]) -> Result<Vec<TokenId>, Error> {
        #[cfg(feature = "insight")]
        if let Self::Insight { builder, .. } = self {
            let mut alive = Vec::new();
            for held in retired {
                let Handle::Insight(value) = &held.handle else { continue };
                match builder.api_token(value.clone())?.list_tokens().await {
                    Err(error) if answered(&error, 401) => {}
                    Err(error) => return Err(error),
                    Ok(_) => alive.push(held.id.clone()),
                }
            }
            return Ok(alive);
        }
        let listed = self.scope(None).await?;
        let alive = |held: &&Held| {
            listed.iter().any(|now| now.id == held.id && !now.handle.is_neutralised())
        };
        Ok(retired.iter().filter(alive).map(|held| held.id.clone()).collect())
    }
}

/// The tokens of `service_account`, or of the client's own user.
#[cfg(feature = "magpie")]
async fn magpie_list(
    client: &magpie::Client,
    service_account: Option<&str>,
) -> Result<Vec<magpie::AccessToken>, Error> {
    match service_account {
        Some(name) => client.service_account(name).list().await,
        None => client.list_tokens().await,
    }
}

#[cfg(feature = "entuity")]
fn entuity_in_scope(template: &entuity::NewAccessToken, listed: &entuity::AccessToken) -> bool {
    let user = match (&template.user_name, template.user_id) {
        (Some(name), _) => listed.user_name.as_ref() == Some(name),
        (None, Some(id)) => listed.user_id == Some(id),
        (None, None) => false,
    };
    user && (template.description.is_none() || listed.description == template.description)
}

/// A created credential: its secret, and what it is, where the create's answer says.
pub(super) struct Created {
    pub(super) secret: Secret,
    held: Option<Held>,
}

impl Created {
    pub(super) fn id(&self) -> Option<&TokenId> {
        self.held.as_ref().map(|held| &held.id)
    }
}

/// One of a target's credentials: its id, and what retiring it takes.
#[derive(Clone)]
pub(super) struct Held {
    pub(super) id: TokenId,
    handle: Handle,
}

#[derive(Clone)]
enum Handle {
    #[cfg(feature = "magpie")]
    Magpie(String),
    #[cfg(feature = "bamboo")]
    Bamboo(Box<bamboo::Token>),
    #[cfg(feature = "entuity")]
    Entuity { id: i64, value: Secret },
    #[cfg(feature = "insight")]
    Insight(Secret),
}

impl Held {
    #[cfg(feature = "bamboo")]
    fn bamboo(token: bamboo::Token) -> Self {
        Self {
            id: TokenId::fingerprint(Vendor::Bamboo, &token.uuid),
            handle: Handle::Bamboo(Box::new(token)),
        }
    }

    #[cfg(feature = "entuity")]
    fn entuity(token: &entuity::AccessToken) -> Self {
        Self {
            id: TokenId::Vendor(token.token_id.to_string()),
            handle: Handle::Entuity { id: token.token_id, value: token.token_value.clone() },
        }
    }

    #[cfg(feature = "insight")]
    fn insight(value: Secret) -> Self {
        Self { id: TokenId::fingerprint(Vendor::Insight, &value), handle: Handle::Insight(value) }
    }

    #[cfg(feature = "magpie")]
    fn is(&self, id: &Option<String>) -> bool {
        matches!((&self.handle, id), (Handle::Magpie(mine), Some(id)) if mine == id)
    }
}

impl Handle {
    /// Whether its value is `secret`, compared in constant time (never, for Magpie's, whose
    /// values are not listed).
    fn holds(&self, secret: &Secret) -> bool {
        match self {
            #[cfg(feature = "magpie")]
            Self::Magpie(_) => false,
            #[cfg(feature = "bamboo")]
            Self::Bamboo(token) => token.uuid == *secret,
            #[cfg(feature = "entuity")]
            Self::Entuity { value, .. } => value == secret,
            #[cfg(feature = "insight")]
            Self::Insight(value) => value == secret,
        }
    }

    /// Whether it is listed but can do nothing: a Bamboo token with no permission.
    fn is_neutralised(&self) -> bool {
        match self {
            #[cfg(feature = "bamboo")]
            Self::Bamboo(token) => !token.read && !token.change,
            _ => false,
        }
    }
}
