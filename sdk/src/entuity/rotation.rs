//! Entuity's rotation: a user's tokens (with a description, if the new one has one), deleted
//! once the new one is current. Values are listed, so credentials are found by them.

use std::time::SystemTime;

use super::{AccessToken, Client, NewAccessToken};
use crate::inventory::{TokenId, Vendor};
use crate::rotation::{Created, Credentials, Failure, Held, Rotate, Sealed};
use crate::{Error, Secret};

/// The Entuity tokens of `token`'s user (with `token`'s description, if it has one): what
/// [`rotation::rotate`](crate::rotation::rotate) replaces with one created as `token`.
#[derive(Debug, Clone)]
pub struct RotationTarget {
    client: Client,
    token: NewAccessToken,
}

impl RotationTarget {
    /// The tokens `token` describes, managed by an administrator's `client`.
    pub fn new(client: Client, token: NewAccessToken) -> Self {
        Self { client, token }
    }

    /// Whether `listed` is the user's, with the description if the template has one.
    fn in_scope(&self, listed: &AccessToken) -> bool {
        let template = &self.token;
        let user = match (&template.user_name, template.user_id) {
            (Some(name), _) => listed.user_name.as_ref() == Some(name),
            (None, Some(id)) => listed.user_id == Some(id),
            (None, None) => false,
        };
        user && (template.description.is_none() || listed.description == template.description)
    }
}

impl Sealed for RotationTarget {}

impl Credentials for RotationTarget {
    /// The token as listed.
    type Handle = AccessToken;
    const VENDOR: Vendor = Vendor::Entuity;

    async fn list(&self, _: Option<&Secret>) -> Result<Vec<Held<AccessToken>>, Error> {
        let tokens = self.client.list_tokens().await?;
        Ok(tokens.into_iter().filter(|listed| self.in_scope(listed)).map(held).collect())
    }

    fn holds(token: &AccessToken, secret: &Secret) -> bool {
        token.token_value == *secret
    }

    async fn retire(&self, held: &Held<AccessToken>) -> Result<(), Error> {
        self.client.delete_token(held.handle.token_id).await
    }
}

impl Rotate for RotationTarget {
    async fn create(&self) -> Result<Created<AccessToken>, Error> {
        let created = self.client.create_token(&self.token).await?;
        Ok(Created { secret: created.token_value.clone(), held: Some(held(created)) })
    }

    /// Not expired, by the server's clock, which decides.
    async fn check(&self, new: &Held<AccessToken>, _: &Secret) -> Result<(), Failure> {
        let token = self.client.get_token(new.handle.token_id).await?;
        let now = self.client.server_clock().map_or_else(SystemTime::now, |clock| clock.now());
        match token.expiry() {
            Some(expiry) if expiry.is_expired_at(now) => Err(Failure::NotWorking("has expired")),
            _ => Ok(()),
        }
    }
}

/// A leak is looked for among every token of the server.
impl Sealed for Client {}

impl Credentials for Client {
    type Handle = AccessToken;
    const VENDOR: Vendor = Vendor::Entuity;

    async fn list(&self, _: Option<&Secret>) -> Result<Vec<Held<AccessToken>>, Error> {
        Ok(self.list_tokens().await?.into_iter().map(held).collect())
    }

    fn holds(token: &AccessToken, secret: &Secret) -> bool {
        RotationTarget::holds(token, secret)
    }

    async fn retire(&self, held: &Held<AccessToken>) -> Result<(), Error> {
        self.delete_token(held.handle.token_id).await
    }
}

/// A token, by its id.
fn held(token: AccessToken) -> Held<AccessToken> {
    Held { id: TokenId::Vendor(token.token_id.to_string()), handle: token }
}
