//! Magpie's rotation: a user's own tokens or a service account's, deleted once the new one is
//! current. Magpie lists no values: the new token is the one id a listing after the create
//! shows that the one before did not, and a leaked value can only be narrowed to candidates.

use super::{AccessToken, Client};
use crate::inventory::{TokenId, Vendor};
use crate::rotation::{Created, Credentials, Failure, Held, Rotate, Sealed};
use crate::{Error, Secret};

/// A Magpie user's personal access tokens, or a service account's: what
/// [`rotation::rotate`](crate::rotation::rotate) replaces. If the client logged in with one of
/// them, it can no longer log in again with it once rotated.
#[derive(Debug, Clone)]
pub struct RotationTarget {
    client: Client,
    service_account: Option<String>,
}

impl RotationTarget {
    /// The personal access tokens of `client`'s own user.
    pub fn personal(client: Client) -> Self {
        Self { client, service_account: None }
    }

    /// The tokens of the service account `user_name`, managed by an administrator's `client`.
    pub fn service_account(client: Client, user_name: impl Into<String>) -> Self {
        Self { client, service_account: Some(user_name.into()) }
    }

    async fn tokens(&self) -> Result<Vec<AccessToken>, Error> {
        match &self.service_account {
            Some(name) => self.client.service_account(name).list().await,
            None => self.client.list_tokens().await,
        }
    }
}

impl Sealed for RotationTarget {}

impl Credentials for RotationTarget {
    /// The token's id.
    type Handle = String;
    const VENDOR: Vendor = Vendor::Magpie;
    const LISTS_VALUES: bool = false;

    async fn list(&self, _: Option<&Secret>) -> Result<Vec<Held<String>>, Error> {
        Ok(held(self.tokens().await?))
    }

    fn holds(_: &String, _: &Secret) -> bool {
        false
    }

    async fn retire(&self, held: &Held<String>) -> Result<(), Error> {
        self.client.delete(&held.handle).await
    }
}

impl Rotate for RotationTarget {
    async fn create(&self) -> Result<Created<String>, Error> {
        let created = match &self.service_account {
            Some(name) => self.client.service_account(name).create().await?,
            None => self.client.create_token().await?,
        };
        Ok(Created { secret: created.token, held: None })
    }

    /// Listed, and not disabled.
    async fn check(&self, new: &Held<String>, _: &Secret) -> Result<(), Failure> {
        let tokens = self.tokens().await?;
        match tokens.iter().find(|token| token.id.as_ref() == Some(&new.handle)) {
            None => Err(Failure::NotWorking("is not listed")),
            Some(token) if token.disabled == Some(true) => Err(Failure::NotWorking("is disabled")),
            Some(_) => Ok(()),
        }
    }
}

/// A leak is looked for among the tokens of the client's own user.
impl Sealed for Client {}

impl Credentials for Client {
    type Handle = String;
    const VENDOR: Vendor = Vendor::Magpie;
    const LISTS_VALUES: bool = false;

    async fn list(&self, _: Option<&Secret>) -> Result<Vec<Held<String>>, Error> {
        Ok(held(self.list_tokens().await?))
    }

    fn holds(_: &String, _: &Secret) -> bool {
        false
    }

    async fn retire(&self, held: &Held<String>) -> Result<(), Error> {
        self.delete(&held.handle).await
    }
}

/// The tokens with an id, by it.
fn held(tokens: Vec<AccessToken>) -> Vec<Held<String>> {
    let with_id = tokens.into_iter().filter_map(|token| token.id);
    with_id.map(|id| Held { id: TokenId::Vendor(id.clone()), handle: id }).collect()
}
