//! Insight.io's rotation: a user's tokens, revoked once the new one is current. A token lists
//! its user's tokens and revokes only itself, so each is listed, revoked and checked by a
//! client made with it; Insight.io answers 200 to a revoke whatever happens, so a retired
//! token is confirmed by the 401 it then gets.

use reqwest::StatusCode;

use super::{ClientBuilder, Credentials as Login, SessionClient};
use crate::inventory::{TokenId, Vendor};
use crate::rotation::{Created, Credentials, Failure, Held, Rotate, Sealed};
use crate::{Error, Secret};

/// An Insight.io user's tokens: what [`rotation::rotate`](crate::rotation::rotate) replaces
/// with one created by the user's browser session or by authenticating with their
/// credentials. The builder makes a client for each token (its base URL and HTTP settings).
#[derive(Debug)]
pub struct RotationTarget {
    builder: ClientBuilder,
    create: Create,
}

/// How the new token is created.
#[derive(Debug)]
enum Create {
    Session(SessionClient),
    Credentials(Login),
}

impl RotationTarget {
    /// The tokens of the user whose browser `session` creates the new one.
    pub fn by_session(builder: ClientBuilder, session: SessionClient) -> Self {
        Self { builder, create: Create::Session(session) }
    }

    /// The tokens of the user whose `credentials` create the new one by authenticating.
    pub fn by_credentials(builder: ClientBuilder, credentials: Login) -> Self {
        Self { builder, create: Create::Credentials(credentials) }
    }
}

impl Sealed for RotationTarget {}

impl Credentials for RotationTarget {
    /// The token's value.
    type Handle = Secret;
    const VENDOR: Vendor = Vendor::Insight;

    async fn list(&self, with: Option<&Secret>) -> Result<Vec<Held<Secret>>, Error> {
        self.builder.list(with).await
    }

    fn holds(value: &Secret, secret: &Secret) -> bool {
        value == secret
    }

    async fn find(&self, secret: &Secret) -> Result<Option<Held<Secret>>, Error> {
        self.builder.find(secret).await
    }

    async fn retire(&self, held: &Held<Secret>) -> Result<(), Error> {
        self.builder.retire(held).await
    }

    async fn confirm(&self, retired: &[Held<Secret>]) -> Result<Vec<TokenId>, Error> {
        self.builder.confirm(retired).await
    }
}

impl Rotate for RotationTarget {
    async fn create(&self) -> Result<Created<Secret>, Error> {
        let secret = match &self.create {
            Create::Session(session) => session.create_token().await?.token,
            Create::Credentials(credentials) => {
                self.builder.authenticate(credentials.clone()).await?.token
            }
        };
        Ok(Created { held: Some(held(secret.clone())), secret })
    }

    /// A call made with it.
    async fn check(&self, _: &Held<Secret>, secret: &Secret) -> Result<(), Failure> {
        self.builder.api_token(secret.clone())?.list_tokens().await?;
        Ok(())
    }
}

/// A leak is looked for among the tokens of the user the value belongs to, listed with it.
impl Sealed for ClientBuilder {}

impl Credentials for ClientBuilder {
    type Handle = Secret;
    const VENDOR: Vendor = Vendor::Insight;

    /// Listed by a client on `with`; with none, there is nothing to list them with.
    async fn list(&self, with: Option<&Secret>) -> Result<Vec<Held<Secret>>, Error> {
        let Some(with) = with else { return Ok(Vec::new()) };
        let tokens = self.api_token(with.clone())?.list_tokens().await?;
        Ok(tokens.into_iter().map(|token| held(token.api_token)).collect())
    }

    fn holds(value: &Secret, secret: &Secret) -> bool {
        value == secret
    }

    /// Listed with the secret itself: a 401 says it is dead.
    async fn find(&self, secret: &Secret) -> Result<Option<Held<Secret>>, Error> {
        match self.list(Some(secret)).await {
            Err(error) if unauthorized(&error) => Ok(None),
            listed => Ok(listed?.into_iter().find(|held| held.handle == *secret)),
        }
    }

    async fn retire(&self, held: &Held<Secret>) -> Result<(), Error> {
        self.api_token(held.handle.clone())?.revoke_this_token().await
    }

    /// Each is alive unless a call made with it is answered 401.
    async fn confirm(&self, retired: &[Held<Secret>]) -> Result<Vec<TokenId>, Error> {
        let mut alive = Vec::new();
        for held in retired {
            match self.api_token(held.handle.clone())?.list_tokens().await {
                Err(error) if unauthorized(&error) => {}
                Err(error) => return Err(error),
                Ok(_) => alive.push(held.id.clone()),
            }
        }
        Ok(alive)
    }
}

fn unauthorized(error: &Error) -> bool {
    error.status() == Some(StatusCode::UNAUTHORIZED)
}

/// A token, by the fingerprint of its value.
fn held(value: Secret) -> Held<Secret> {
    Held { id: TokenId::fingerprint(Vendor::Insight, &value), handle: value }
}
