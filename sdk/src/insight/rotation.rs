//! Insight.io's rotation: a user's tokens, revoked once the new one is current. A token lists
//! its user's tokens and revokes only itself, so each is listed, revoked and checked by a
//! client made with it; Insight.io answers 200 to a revoke whatever happens, so a retired
//! token is confirmed by the 401 it then gets. Tokens never expire.

use reqwest::StatusCode;

use super::{ApiToken, ClientBuilder, Credentials as Login, SessionClient};
use crate::inventory::{TokenId, Vendor};
use crate::rotation::{About, Created, Credentials, Failure, Held, New, Rotate, Sealed};
use crate::{Error, Expiry, Secret};

/// An Insight.io user's tokens: what a [`Rotation`](crate::rotation::Rotation) replaces with
/// one created by the user's browser session or by authenticating with their credentials.
/// The builder makes a client for each token (its base URL and HTTP settings).
///
/// A pending token is resumed only if it is the target user's: by the credentials' user
/// (`userpass@ada`, `ldap@ada`, `github@ada@example.com`), or, for a session, the user named
/// with [`owned_by`](Self::owned_by); without one, a pending token is never resumed.
#[derive(Debug)]
pub struct RotationTarget {
    builder: ClientBuilder,
    create: Create,
    owner: Option<String>,
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
        Self { builder, create: Create::Session(session), owner: None }
    }

    /// The tokens of the user whose `credentials` create the new one by authenticating.
    pub fn by_credentials(builder: ClientBuilder, credentials: Login) -> Self {
        let owner = match &credentials {
            Login::Password { username, .. } => format!("userpass@{username}"),
            Login::Ldap { username, .. } => format!("ldap@{username}"),
            Login::Provider { provider, email, .. } => format!("{provider}@{email}"),
        };
        Self { builder, create: Create::Credentials(credentials), owner: Some(owner) }
    }

    /// The user the tokens belong to, as Insight.io lists it (`userpass@ada`): for a session,
    /// whose user the target cannot tell otherwise.
    pub fn owned_by(mut self, uid: impl Into<String>) -> Self {
        self.owner = Some(uid.into());
        self
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

    async fn confirm(
        &self,
        retired: &[Held<Secret>],
        with: Option<&Secret>,
    ) -> Result<Vec<TokenId>, Error> {
        self.builder.confirm(retired, with).await
    }
}

impl Rotate for RotationTarget {
    /// Any token lists its own user's tokens: one found by a pending value must be the
    /// target user's.
    fn owns(&self, held: &Held<Secret>) -> bool {
        self.owner.is_some() && held.about.owner == self.owner
    }

    async fn create(&self, _: &New<'_, Secret>) -> Result<Created<Secret>, Error> {
        let secret = match &self.create {
            Create::Session(session) => session.create_token().await?.token,
            Create::Credentials(credentials) => {
                self.builder.authenticate(credentials.clone()).await?.token
            }
        };
        let about =
            About { owner: self.owner.clone(), expires: Some(Expiry::Never), ..About::default() };
        Ok(Created {
            held: Some(Held { id: fingerprint(&secret), handle: secret.clone(), about }),
            secret,
        })
    }

    /// A call made with it.
    async fn check(&self, _: &Held<Secret>, secret: &Secret) -> Result<(), Failure> {
        self.builder.api_token(secret.clone())?.list_tokens().await?;
        Ok(())
    }

    fn describe(&self, _: &New<'_, Secret>) -> String {
        let whose = self.owner.as_deref().unwrap_or("the session's user");
        let how = match self.create {
            Create::Session(_) => "by the browser session",
            Create::Credentials(_) => "by authenticating",
        };
        format!("an Insight.io token for {whose}, made {how}, never expiring")
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
        Ok(tokens.into_iter().map(held).collect())
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
    async fn confirm(
        &self,
        retired: &[Held<Secret>],
        _: Option<&Secret>,
    ) -> Result<Vec<TokenId>, Error> {
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

fn fingerprint(value: &Secret) -> TokenId {
    TokenId::fingerprint(Vendor::Insight, value)
}

/// A listed token, by the fingerprint of its value; it never expires.
fn held(token: ApiToken) -> Held<Secret> {
    let about = About {
        label: None,
        created: token.created_at(),
        expires: Some(Expiry::Never),
        owner: token.uid.clone(),
    };
    Held { id: fingerprint(&token.api_token), handle: token.api_token, about }
}
