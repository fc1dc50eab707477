//! Entuity's rotation: a user's tokens (with a description, if the new one has one), deleted
//! once the new one is current. Values are listed, so credentials are found by them.

use std::time::SystemTime;

use super::{AccessToken, Client, NewAccessToken};
use crate::inventory::{TokenId, Vendor};
use crate::rotation::{About, Created, Credentials, Failure, Held, New, Rotate, Sealed, unmarked};
use crate::{Error, Secret};

/// The Entuity tokens of `token`'s user (with `token`'s description, if it has one): what a
/// [`Rotation`](crate::rotation::Rotation) replaces with one created as `token`, described as
/// it (or as the replaced one), marked as the rotation's, and living as long as the replaced
/// one unless the rotation sets a lifetime.
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
        let description = listed.description.as_deref().map(unmarked);
        user && (template.description.is_none() || description == template.description.as_deref())
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
    const SETS_EXPIRY: bool = true;

    async fn create(&self, new: &New<'_, AccessToken>) -> Result<Created<AccessToken>, Error> {
        let created = self.client.create_token(&self.request(new)).await?;
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

    fn describe(&self, new: &New<'_, AccessToken>) -> String {
        let request = self.request(new);
        let user = match (&request.user_name, request.user_id) {
            (Some(name), _) => name.clone(),
            (None, Some(id)) => format!("#{id}"),
            (None, None) => "no user".to_owned(),
        };
        let description = request.description.unwrap_or_default();
        // The expiry, when there is one, is the plan's `new_expires`.
        let never = if new.expires.is_none() { ", never expiring" } else { "" };
        format!("an Entuity token for {user}, described {description:?}{never}")
    }
}

impl RotationTarget {
    /// The create's request: the template, described as it (or as the replaced token) with
    /// the rotation's mark, expiring as `new` says.
    fn request(&self, new: &New<'_, AccessToken>) -> NewAccessToken {
        let mut request = self.token.clone();
        let base = self.token.description.as_deref().or_else(|| new.replaced_label());
        request.description = Some(new.marked(base));
        if let Some(at) = new.expires {
            request = request.expiring_at(at);
        }
        request
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
    let about = About {
        label: token.description.clone(),
        created: token.created_at(),
        expires: token.expiry(),
        owner: token.user_name.clone(),
    };
    Held { id: TokenId::Vendor(token.token_id.to_string()), handle: token, about }
}
