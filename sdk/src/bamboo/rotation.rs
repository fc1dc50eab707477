//! Bamboo's rotation: the tokens of one name, retired by taking their permissions away (the
//! plugin cannot delete a token). A token's uuid is its value, so credentials are found by it.

use super::{Client, NewToken, Token};
use crate::inventory::{TokenId, Vendor};
use crate::rotation::{About, Created, Credentials, Failure, Held, New, Rotate, Sealed};
use crate::{Error, Secret};

/// The Bamboo tokens named as `token` is: what a [`Rotation`](crate::rotation::Rotation)
/// replaces with one created as `token`, with its permissions. The name is the rotation's
/// scope: give each rotation a name of its own.
#[derive(Debug, Clone)]
pub struct RotationTarget {
    client: Client,
    token: NewToken,
}

impl RotationTarget {
    /// The tokens named `token.name`, managed by an administrator's `client`.
    pub fn new(client: Client, token: NewToken) -> Self {
        Self { client, token }
    }
}

impl Sealed for RotationTarget {}

impl Credentials for RotationTarget {
    /// The token as listed.
    type Handle = Token;
    const VENDOR: Vendor = Vendor::Bamboo;

    async fn list(&self, _: Option<&Secret>) -> Result<Vec<Held<Token>>, Error> {
        let tokens = self.client.list_tokens().await?;
        Ok(tokens.into_iter().filter(|listed| listed.name == self.token.name).map(held).collect())
    }

    fn holds(token: &Token, secret: &Secret) -> bool {
        token.uuid == *secret
    }

    fn is_neutralised(token: &Token) -> bool {
        !token.read && !token.change
    }

    async fn retire(&self, held: &Held<Token>) -> Result<(), Error> {
        self.client.retire(&held.handle).await
    }
}

impl Rotate for RotationTarget {
    async fn create(&self, _: &New<'_, Token>) -> Result<Created<Token>, Error> {
        let created = self.client.create_token(&self.token).await?;
        Ok(Created { secret: created.uuid.clone(), held: Some(held(created)) })
    }

    /// Listed, with a permission.
    async fn check(&self, _: &Held<Token>, secret: &Secret) -> Result<(), Failure> {
        let tokens = self.client.list_tokens().await?;
        match tokens.iter().find(|token| token.uuid == *secret) {
            None => Err(Failure::NotWorking("is not listed")),
            Some(token) if Self::is_neutralised(token) => {
                Err(Failure::NotWorking("has neither read nor change permission"))
            }
            Some(_) => Ok(()),
        }
    }

    fn describe(&self, _: &New<'_, Token>) -> String {
        let access = match (self.token.read, self.token.change) {
            (true, true) => "read and change",
            (true, false) => "read",
            (false, true) => "change",
            (false, false) => "do nothing",
        };
        format!("a Bamboo token named {:?} that may {access}, never expiring", self.token.name)
    }
}

/// A leak is looked for among every token of the server.
impl Sealed for Client {}

impl Credentials for Client {
    type Handle = Token;
    const VENDOR: Vendor = Vendor::Bamboo;

    async fn list(&self, _: Option<&Secret>) -> Result<Vec<Held<Token>>, Error> {
        Ok(self.list_tokens().await?.into_iter().map(held).collect())
    }

    fn holds(token: &Token, secret: &Secret) -> bool {
        RotationTarget::holds(token, secret)
    }

    fn is_neutralised(token: &Token) -> bool {
        RotationTarget::is_neutralised(token)
    }

    async fn retire(&self, held: &Held<Token>) -> Result<(), Error> {
        self.retire(&held.handle).await
    }
}

impl Client {
    /// Takes every permission from `token`.
    async fn retire(&self, token: &Token) -> Result<(), Error> {
        let neutral = Token { read: false, change: false, ..token.clone() };
        self.update_token(&neutral).await.map(drop)
    }
}

/// A token, by the fingerprint of its uuid.
fn held(token: Token) -> Held<Token> {
    let about = About { label: Some(token.name.clone()), ..About::default() };
    Held { id: TokenId::fingerprint(Vendor::Bamboo, &token.uuid), handle: token, about }
}
