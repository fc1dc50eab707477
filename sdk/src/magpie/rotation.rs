//! Magpie's rotation: a user's own tokens or a service account's. Magpie lists no values: the
//! new token is the one id a listing after the create shows that the one before did not, the
//! one replaced or resumed is found by the id the ledger recorded, and a leaked value is
//! narrowed to the tokens of the user it logs in as.

use super::inventory::undocumented;
use super::{AccessToken, Client, Login};
use crate::inventory::{Moment, TokenId, Vendor};
use crate::rotation::{About, Created, Credentials, Failure, Held, New, Rotate, Sealed};
use crate::{Error, Expiry, Secret};

/// A Magpie user's personal access tokens, or a service account's: what a
/// [`Rotation`](crate::rotation::Rotation) replaces. The new token carries the replaced one's
/// description, marked as the rotation's. If the client logged in with the replaced token, it
/// can no longer log in again with it once retired.
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
    /// Its create takes nothing: the description is set once its id is known.
    const MARKS_AFTER_CREATE: bool = true;

    async fn create(&self, _: &New<'_, String>) -> Result<Created<String>, Error> {
        let created = match &self.service_account {
            Some(name) => self.client.service_account(name).create().await?,
            None => self.client.create_token().await?,
        };
        Ok(Created { secret: created.token, held: None })
    }

    /// Its description: the replaced token's, marked as the rotation's.
    async fn mark(&self, created: &Held<String>, new: &New<'_, String>) -> Result<(), Error> {
        let description = new.marked(new.replaced_label());
        self.client.set_description(&created.handle, description).await
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

    fn describe(&self, new: &New<'_, String>) -> String {
        let whose = match &self.service_account {
            Some(name) => format!("the service account {name}"),
            None => "the client's user".to_owned(),
        };
        format!(
            "a Magpie token for {whose}, described {:?}, expiring as the organization sets",
            new.marked(new.replaced_label())
        )
    }
}

/// A leak is looked for among the tokens of the client's own user; a value that logs in is
/// narrowed to the tokens of the user it logs in as.
impl Sealed for Client {}

impl Credentials for Client {
    type Handle = String;
    const VENDOR: Vendor = Vendor::Magpie;
    const LISTS_VALUES: bool = false;

    /// The client's user's tokens; with `with`, a personal access token that logs in, those of
    /// the user it logs in as (it is sent to this server's login and nowhere else).
    async fn list(&self, with: Option<&Secret>) -> Result<Vec<Held<String>>, Error> {
        let Some(value) = with else { return Ok(held(self.list_tokens().await?)) };
        let owner = self.log_in_as(Login::personal_access_token(value.clone())).await?;
        Ok(held(owner.list_tokens().await?))
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
    let with_id = tokens.into_iter().filter_map(|token| Some((token.id.clone()?, token)));
    with_id
        .map(|(id, token)| Held {
            id: TokenId::Vendor(id.clone()),
            handle: id,
            about: About {
                label: token.description,
                created: undocumented(token.created.as_ref()).at(),
                expires: match undocumented(token.expires.as_ref()) {
                    Moment::At(at) => Some(Expiry::At(at)),
                    Moment::Never => Some(Expiry::Never),
                    Moment::Unknown { .. } => None,
                },
                owner: None,
            },
        })
        .collect()
}
