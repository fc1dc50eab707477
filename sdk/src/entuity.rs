//! Entuity (21.0 P02 and later): access tokens that let someone use Entuity as a given user
//! without logging in.
//!
//! Every call authenticates as an Entuity administrator with HTTP basic authentication and
//! asks for JSON (`media=json`). Token values come back on every read, so they are
//! [`Secret`]s. Times are Unix seconds in the generated types; the accessors here turn them
//! into [`SystemTime`]s.
//!
//! ```no_run
//! use std::time::{Duration, SystemTime};
//! use access_tokens::entuity::{AccessTokenUpdate, Client, NewAccessToken};
//!
//! # async fn run() -> Result<(), access_tokens::Error> {
//! let entuity = Client::builder("https://entuity.example.com").basic_auth("admin", "s3cret")?;
//! let in_90_days = SystemTime::now() + Duration::from_secs(90 * 86_400);
//! let created = entuity
//!     .create_token(&NewAccessToken::for_user_name("guy2").expiring_at(in_90_days))
//!     .await?;
//! let update = AccessTokenUpdate { description: Some("dashboards".into()), ..Default::default() };
//! entuity.update_token(created.token_id, &update).await?;
//! entuity.delete_token(created.token_id).await?;
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "inventory")]
mod inventory;
#[cfg(feature = "rotation")]
mod rotation;

use std::time::SystemTime;

use progenitor_client::ClientInfo;

use crate::checks;
use crate::{Error, Expiry, Secret};
use access_tokens_runtime::builder::BuilderCore;
use access_tokens_runtime::time;

use generated::types::Media;
pub use generated::types::{AccessToken, AccessTokenStats, AccessTokenUpdate, NewAccessToken};
#[cfg(feature = "rotation")]
pub use rotation::RotationTarget;

/// The client progenitor generates from `openapi/entuity.yaml`, for calls the facade does not
/// wrap. [`Client::generated`] gives one that already carries the credentials.
// progenitor declares every operation's header map mutable, for header parameters.
#[allow(clippy::all, clippy::pedantic, missing_docs, missing_debug_implementations, unused_mut)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/entuity.rs"));
}

/// Configures a [`Client`]; finish with [`basic_auth`](Self::basic_auth).
#[derive(Debug)]
#[must_use = "a builder does nothing until it is finished with `basic_auth`"]
pub struct ClientBuilder {
    core: BuilderCore,
}

impl ClientBuilder {
    crate::macros::http_settings!();

    /// Finishes with an Entuity administrator's user name and password.
    ///
    /// ```
    /// # use access_tokens::entuity::{AccessTokenUpdate, Client, NewAccessToken};
    /// # use access_tokens::testing::EntuityFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let EntuityFixture { url, client, token_id, .. } = EntuityFixture::start().await?;
    /// let client = Client::builder(&url).basic_auth("admin", "pw")?;
    /// assert!(client.base_url().ends_with("/api"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn basic_auth(
        self,
        username: impl AsRef<str>,
        password: impl Into<Secret>,
    ) -> Result<Client, Error> {
        let (base_url, connection) = self.core.connect()?;
        let context = connection.context().with_basic_auth(username.as_ref(), &password.into())?;
        let api = generated::Client::new_with_client(base_url, connection.http.clone(), context);
        Ok(Client { api })
    }
}

/// A client for one Entuity server. Cheap to clone; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    api: generated::Client,
}

impl Client {
    crate::macros::connection_readings!(api);

    /// Starts a client for an Entuity server (`https://entuity.example.com`); the API lives
    /// under its `/api` path.
    pub fn builder(server_url: impl AsRef<str>) -> ClientBuilder {
        let base_url = checks::base_url(server_url.as_ref()).map(|server| server + "/api");
        ClientBuilder { core: BuilderCore::new("entuity", "base URL", base_url) }
    }

    /// The base URL every path is appended to: the server's `/api`.
    pub fn base_url(&self) -> &str {
        self.api.baseurl()
    }

    /// The generated client, carrying this client's credentials.
    pub fn generated(&self) -> &generated::Client {
        &self.api
    }

    /// Lists every access token, values included.
    ///
    /// ```
    /// # use access_tokens::entuity::{AccessTokenUpdate, Client, NewAccessToken};
    /// # use access_tokens::testing::EntuityFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let EntuityFixture { url, client, token_id, .. } = EntuityFixture::start().await?;
    /// for token in client.list_tokens().await? {
    ///     println!("{} for {:?}, expires {:?}", token.token_id, token.user_name, token.expiry());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_tokens(&self) -> Result<Vec<AccessToken>, Error> {
        Ok(self.api.list_access_tokens(Media::Json).await?.items)
    }

    /// Creates an access token; the server generates its value.
    ///
    /// If the response does not match the document, the error's [`body`](Error::body) still
    /// holds the new token. Never retried: a second call would create a second token.
    ///
    /// ```
    /// # use access_tokens::entuity::{AccessTokenUpdate, Client, NewAccessToken};
    /// # use access_tokens::testing::EntuityFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let EntuityFixture { url, client, token_id, .. } = EntuityFixture::start().await?;
    /// use std::time::{Duration, SystemTime};
    ///
    /// let in_a_week = SystemTime::now() + Duration::from_secs(7 * 86_400);
    /// let request = NewAccessToken::for_user_name("guy2").expiring_at(in_a_week);
    /// let created = client.create_token(&request).await?;
    /// # assert!(!created.token_value.expose_secret().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_token(&self, token: &NewAccessToken) -> Result<AccessToken, Error> {
        self.api.create_access_token(Media::Json, token).await
    }

    /// Reads one access token by id.
    ///
    /// ```
    /// # use access_tokens::entuity::{AccessTokenUpdate, Client, NewAccessToken};
    /// # use access_tokens::testing::EntuityFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let EntuityFixture { url, client, token_id, .. } = EntuityFixture::start().await?;
    /// let token = client.get_token(token_id).await?;
    /// assert_eq!(token.user_name.as_deref(), Some("guy2"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_token(&self, token_id: i64) -> Result<AccessToken, Error> {
        self.api.get_access_token(token_id, Media::Json).await
    }

    /// Changes the fields present in `update`, keeps the others, and returns the result.
    ///
    /// ```
    /// # use access_tokens::entuity::{AccessTokenUpdate, Client, NewAccessToken};
    /// # use access_tokens::testing::EntuityFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let EntuityFixture { url, client, token_id, .. } = EntuityFixture::start().await?;
    /// let update = AccessTokenUpdate { description: Some("dashboards".into()), ..Default::default() };
    /// let updated = client.update_token(token_id, &update).await?;
    /// assert_eq!(updated.description.as_deref(), Some("dashboards"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_token(
        &self,
        token_id: i64,
        update: &AccessTokenUpdate,
    ) -> Result<AccessToken, Error> {
        self.api.update_access_token(token_id, Media::Json, update).await
    }

    /// Deletes an access token, ending its sessions at once.
    ///
    /// ```
    /// # use access_tokens::entuity::{AccessTokenUpdate, Client, NewAccessToken};
    /// # use access_tokens::testing::EntuityFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let EntuityFixture { url, client, token_id, .. } = EntuityFixture::start().await?;
    /// client.delete_token(token_id).await?;
    /// assert!(client.get_token(token_id).await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete_token(&self, token_id: i64) -> Result<(), Error> {
        self.api.delete_access_token(token_id, Media::Json).await
    }
}

impl AccessToken {
    /// When the token expires; `None` when the server did not say.
    pub fn expiry(&self) -> Option<Expiry> {
        self.expiry_time_sec.map(seconds_or_never)
    }

    /// When the token was created.
    pub fn created_at(&self) -> Option<SystemTime> {
        self.creation_time_sec.map(time::from_unix_seconds)
    }

    /// When the token was last changed.
    pub fn last_updated_at(&self) -> Option<SystemTime> {
        self.last_update_time_sec.map(time::from_unix_seconds)
    }
}

impl AccessTokenStats {
    /// When the token was last used to log in; `None` if never (or not said).
    pub fn last_login_at(&self) -> Option<SystemTime> {
        self.last_login_time_sec.filter(|&s| s != 0).map(time::from_unix_seconds)
    }
}

impl NewAccessToken {
    /// A token for the user with this name, not expiring, without description.
    pub fn for_user_name(user_name: impl Into<String>) -> Self {
        Self { user_name: Some(user_name.into()), ..Self::default() }
    }

    /// A token for the user with this id, not expiring, without description.
    pub fn for_user_id(user_id: i64) -> Self {
        Self { user_id: Some(user_id), ..Self::default() }
    }

    /// Makes the token expire at `at` (whole seconds; a moment before 1970 means never).
    pub fn expiring_at(mut self, at: SystemTime) -> Self {
        self.expiry_time_sec = time::to_unix_seconds(at);
        self
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// Entuity's `expiryTimeSec`: `0` is "never".
fn seconds_or_never(seconds: i64) -> Expiry {
    if seconds == 0 { Expiry::Never } else { Expiry::At(time::from_unix_seconds(seconds)) }
}
