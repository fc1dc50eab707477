//! Insight.io: API access tokens, which authenticate API calls in the `X-Auth-Token` header.
//!
//! There are three ways in, one per kind of credential:
//!
//! - [`ClientBuilder::authenticate`] exchanges credentials (password, LDAP, or an OAuth
//!   provider's token) for a new token, with no prior login, which `api_token` then uses
//!   ([`ClientBuilder::login`] does both, and authenticates again when the token stops
//!   working);
//! - [`ClientBuilder::session_cookie`] uses a logged-in browser session to create tokens;
//! - [`ClientBuilder::api_token`] uses a token you have, to list your tokens or revoke it.
//!
//! The vendor documents its API twice, with different paths ([`ApiGeneration`]); pick the one
//! your installation serves once, on the builder.
//!
//! ```no_run
//! use access_tokens::insight::{Client, Credentials};
//!
//! # async fn run() -> Result<(), access_tokens::Error> {
//! let builder = Client::builder("https://insight.example.com");
//! let issued = builder.authenticate(Credentials::password("ada", "s3cret")).await?;
//! println!("expires: {:?}", issued.expiry());
//! let client = builder.api_token(issued.token)?;
//! for token in client.list_tokens().await? {
//!     println!("{:?} created {:?}", token.uid, token.created_at());
//! }
//! client.revoke_this_token().await?; // `client` is gone: its token no longer works
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "inventory")]
mod inventory;
#[cfg(feature = "rotation")]
mod rotation;

use std::sync::Arc;
use std::time::SystemTime;

use progenitor_client::ClientInfo;
use reqwest::header::{COOKIE, HeaderName};

use crate::checks;
use crate::renewal::{Renew, Renewing};
use crate::{Error, Expiry, Secret};
use access_tokens_runtime::builder::BuilderCore;
use access_tokens_runtime::execute::Operation;
use access_tokens_runtime::time;

pub use generated::types::{ApiToken, AuthenticatedToken, NewApiToken};
#[cfg(feature = "rotation")]
pub use rotation::RotationTarget;

/// The client progenitor generates from `openapi/insight.yaml`, for calls the facade does not
/// wrap.
// progenitor declares every operation's header map mutable, for header parameters.
#[allow(clippy::all, clippy::pedantic, missing_docs, missing_debug_implementations, unused_mut)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/insight.rs"));
}

const X_AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");

/// Which of the vendor's two descriptions of the API the server follows. A later release may
/// add a variant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiGeneration {
    /// The API reference: `POST`, `GET` and `DELETE` on `/api/token`.
    #[default]
    Reference,
    /// The user guide: `GET /api/createApiToken`, `/api/getApiTokens`, `/api/revokeApiToken`.
    UserGuide,
}

/// Credentials that [`ClientBuilder::authenticate`] exchanges for a new token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// An Insight.io user name and password.
    Password {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// LDAP credentials, for LDAP users not registered on Insight.io.
    Ldap {
        /// The LDAP user name.
        username: String,
        /// The LDAP password.
        password: Secret,
    },
    /// An OAuth provider's access token (e.g. provider `github`) for an e-mail address.
    Provider {
        /// The provider's name as the server knows it, e.g. `github`.
        provider: String,
        /// The user's e-mail address.
        email: String,
        /// The access token the provider issued.
        access_token: Secret,
    },
}

impl Credentials {
    /// An Insight.io user name and password.
    pub fn password(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self::Password { username: username.into(), password: password.into() }
    }

    /// LDAP credentials.
    pub fn ldap(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self::Ldap { username: username.into(), password: password.into() }
    }

    /// An OAuth provider's access token for an e-mail address.
    pub fn provider(
        provider: impl Into<String>,
        email: impl Into<String>,
        access_token: impl Into<Secret>,
    ) -> Self {
        Self::Provider {
            provider: provider.into(),
            email: email.into(),
            access_token: access_token.into(),
        }
    }
}

/// Configures a client; finish with [`authenticate`](Self::authenticate),
/// [`session_cookie`](Self::session_cookie) or [`api_token`](Self::api_token).
#[derive(Debug)]
#[must_use = "a builder does nothing until it is finished"]
pub struct ClientBuilder {
    core: BuilderCore,
    generation: ApiGeneration,
    relogin: bool,
}

impl ClientBuilder {
    /// Uses the user guide's paths. Default: the API reference's.
    pub fn api_generation(mut self, generation: ApiGeneration) -> Self {
        self.generation = generation;
        self
    }

    /// Whether a client finished with [`login`](Self::login) authenticates again when a call
    /// is answered 401, as when its token expired or was revoked (default: yes). It does so
    /// once for all its clones, and repeats the call (a list; a revoke is never repeated).
    /// Each renewal creates a token, as authenticating does, which the client then holds
    /// ([`Client::api_token`]); the one answered 401 no longer works. A client on a bare
    /// [`api_token`](Self::api_token) has nothing to authenticate with and always reports
    /// the 401.
    pub fn relogin(mut self, relogin: bool) -> Self {
        self.relogin = relogin;
        self
    }

    crate::macros::http_settings!();

    /// Finishes with a token you have: for listing your tokens and revoking this one.
    ///
    /// ```
    /// # use access_tokens::insight::{Client, Credentials};
    /// # use access_tokens::testing::InsightFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let InsightFixture { server: insight, url, client, .. } = InsightFixture::start().await?;
    /// # let token = client.api_token();
    /// let client = Client::builder(&url).api_token(token)?;
    /// client.list_tokens().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn api_token(&self, token: impl Into<Secret>) -> Result<Client, Error> {
        Ok(Client::new(self.generation, self.token(token.into())?, None))
    }

    /// Authenticates with `credentials` and finishes with the token issued, which the client
    /// renews the same way on a 401 ([`relogin`](Self::relogin)).
    ///
    /// Never retried: each authentication creates a token. If the response does not match
    /// the document, the error's [`body`](Error::body) still holds the new token.
    ///
    /// ```
    /// # use access_tokens::insight::{Client, Credentials};
    /// # use access_tokens::testing::InsightFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let InsightFixture { server: insight, url, .. } = InsightFixture::start().await?;
    /// let client = Client::builder(&url).login(Credentials::password("ada", "pw")).await?;
    /// client.list_tokens().await?; // authenticates again if the token has stopped working
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login(self, credentials: Credentials) -> Result<Client, Error> {
        let token = self.token(self.authenticate(credentials.clone()).await?.token)?;
        let generation = self.generation;
        let relogin = self.relogin.then(|| Reauthenticate { builder: self, credentials });
        Ok(Client::new(generation, token, relogin))
    }

    /// The generated client carrying `token`.
    fn token(&self, token: Secret) -> Result<Token, Error> {
        let api = self.generated_with(X_AUTH_TOKEN, "API token", &token)?;
        Ok(Token { api, value: token })
    }

    /// Finishes with the `Cookie` header of a logged-in browser session (e.g.
    /// `id=3f…; PLAY_SESSION=…`), for creating tokens.
    ///
    /// ```
    /// # use access_tokens::insight::{Client, Credentials};
    /// # use access_tokens::testing::InsightFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let InsightFixture { server: insight, url, client, .. } = InsightFixture::start().await?;
    /// # let cookie_header = insight.browser_session("ada");
    /// let browser = Client::builder(&url).session_cookie(cookie_header)?;
    /// let created = browser.create_token().await?;
    /// # drop(created);
    /// # Ok(())
    /// # }
    /// ```
    pub fn session_cookie(self, cookie: impl Into<Secret>) -> Result<SessionClient, Error> {
        let generation = self.generation;
        let api = self.generated_with(COOKIE, "session cookie", &cookie.into())?;
        Ok(SessionClient { api, generation })
    }

    /// The generated client, sending `credential` in the header `name`.
    fn generated_with(
        &self,
        name: HeaderName,
        field: &'static str,
        credential: &Secret,
    ) -> Result<generated::Client, Error> {
        let value = checks::header_token(field, credential.expose_secret())?;
        let value = checks::header_value(field, value.to_owned())?;
        let (base_url, connection) = self.core.connect()?;
        let mut context =
            connection.context().with_secret_header(name, value).redacting(credential);
        // A cookie header's values are credentials each (`id=…; PLAY_SESSION=…`).
        for pair in credential.expose_secret().split(';') {
            if let Some((_, cookie)) = pair.split_once('=') {
                context = context.redacting(&Secret::new(cookie.trim()));
            }
        }
        Ok(generated::Client::new_with_client(base_url, connection.http.clone(), context))
    }

    /// Creates a token by exchanging credentials; pass its `token` to
    /// [`api_token`](Self::api_token) for a client that uses it, or use
    /// [`login`](Self::login) for a client that renews it.
    ///
    /// Never retried: each call creates a token. If the response does not match the document,
    /// the error's [`body`](Error::body) still holds the new token.
    ///
    /// ```
    /// # use access_tokens::insight::{Client, Credentials};
    /// # use access_tokens::testing::InsightFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let InsightFixture { server: insight, url, client, .. } = InsightFixture::start().await?;
    /// let builder = Client::builder(&url);
    /// let issued = builder.authenticate(Credentials::password("ada", "pw")).await?;
    /// println!("expires {:?}", issued.expiry()); // Some(Never) for the vendor's far-future date
    /// let client = builder.api_token(issued.token)?;
    /// # client.list_tokens().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn authenticate(
        &self,
        credentials: Credentials,
    ) -> Result<AuthenticatedToken, Error> {
        use generated::types::{Credentials as Form, ProviderCredentials, ProviderToken};
        let (base_url, connection) = self.core.connect()?;
        let secret = match &credentials {
            Credentials::Password { password, .. } | Credentials::Ldap { password, .. } => password,
            Credentials::Provider { access_token, .. } => access_token,
        };
        let context = connection.context().redacting(secret);
        let anonymous =
            generated::Client::new_with_client(base_url, connection.http.clone(), context);
        match credentials {
            Credentials::Password { username, password } => {
                let form = Form { username: checked_user(username)?, password };
                anonymous.authenticate_userpass(&form).await
            }
            Credentials::Ldap { username, password } => {
                let form = Form { username: checked_user(username)?, password };
                anonymous.authenticate_ldap(&form).await
            }
            Credentials::Provider { provider, email, access_token } => {
                let provider = checks::path_segment("provider", &provider)?;
                checks::non_empty("email", &email)?;
                let body = ProviderCredentials { email, info: ProviderToken { access_token } };
                anonymous.authenticate_provider(provider, &body).await
            }
        }
    }
}

fn checked_user(username: String) -> Result<String, Error> {
    checks::non_empty("username", &username)?;
    Ok(username)
}

/// A client that authenticates with an API token. Cheap to clone; clones share one connection
/// pool and one token, which a client from [`ClientBuilder::login`] renews on a 401 for all
/// of them.
#[derive(Debug, Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    base_url: String,
    generation: ApiGeneration,
    token: Renewing<Reauthenticate>,
}

/// A token, and the generated client that sends it.
#[derive(Debug)]
struct Token {
    api: generated::Client,
    value: Secret,
}

/// How a client from `login` authenticates again.
#[derive(Debug)]
struct Reauthenticate {
    builder: ClientBuilder,
    credentials: Credentials,
}

impl Renew for Reauthenticate {
    type Credential = Token;
    const OPERATIONS: &'static [Operation] = generated::OPERATIONS;

    async fn renew(&self) -> Result<Token, Error> {
        self.builder.token(self.builder.authenticate(self.credentials.clone()).await?.token)
    }
}

impl Client {
    fn new(generation: ApiGeneration, token: Token, relogin: Option<Reauthenticate>) -> Self {
        let base_url = token.api.baseurl().to_owned();
        let token = Renewing::new(token, relogin);
        Self { shared: Arc::new(Shared { base_url, generation, token }) }
    }

    crate::macros::connection_readings!(shared.token.current().api);

    /// Starts a client for an Insight.io host (`https://insight.io`, or an on-premises one).
    pub fn builder(base_url: impl AsRef<str>) -> ClientBuilder {
        let base_url = checks::base_url(base_url.as_ref());
        ClientBuilder {
            core: BuilderCore::new("insight", "base URL", base_url),
            generation: ApiGeneration::default(),
            relogin: true,
        }
    }

    /// The base URL every path is appended to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The token this client authenticates with now.
    pub fn api_token(&self) -> Secret {
        self.shared.token.current().value.clone()
    }

    /// The generated client, carrying this client's token now.
    pub fn generated(&self) -> generated::Client {
        self.shared.token.current().api.clone()
    }

    /// Lists every token of the user this client's token belongs to, values included.
    ///
    /// ```
    /// # use access_tokens::insight::{Client, Credentials};
    /// # use access_tokens::testing::InsightFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let InsightFixture { server: insight, url, client, .. } = InsightFixture::start().await?;
    /// for token in client.list_tokens().await? {
    ///     println!("{:?} created {:?}, last used {:?}", token.uid, token.created_at(), token.last_used_at());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>, Error> {
        let token = &self.shared.token;
        match self.shared.generation {
            ApiGeneration::Reference => {
                token.call(|t| async move { t.api.list_tokens().await }).await
            }
            ApiGeneration::UserGuide => {
                token.call(|t| async move { t.api.get_api_tokens().await }).await
            }
        }
    }

    /// Revokes **this client's own token**, and consumes the client, which could do nothing
    /// with a revoked token. There is no way to revoke another token except with a client
    /// built on it.
    ///
    /// The server answers 200 for any token, valid or not, so `Ok` does not confirm that
    /// anything was revoked, only that the token cannot be valid afterwards. Never retried, and
    /// never renewed: a 401 is returned.
    ///
    /// ```
    /// # use access_tokens::insight::{Client, Credentials};
    /// # use access_tokens::testing::InsightFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let InsightFixture { server: insight, url, client, .. } = InsightFixture::start().await?;
    /// let listing = client.clone();
    /// client.revoke_this_token().await?; // `client` is consumed
    /// assert_eq!(listing.list_tokens().await.unwrap_err().status().unwrap().as_u16(), 401);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn revoke_this_token(self) -> Result<(), Error> {
        let token = self.shared.token.current();
        match self.shared.generation {
            ApiGeneration::Reference => token.api.revoke_token().await,
            ApiGeneration::UserGuide => token.api.revoke_api_token().await,
        }
    }
}

/// A client that carries a logged-in browser session, from [`ClientBuilder::session_cookie`].
#[derive(Debug, Clone)]
pub struct SessionClient {
    api: generated::Client,
    generation: ApiGeneration,
}

impl SessionClient {
    crate::macros::connection_readings!(api);

    /// Creates a token for the session's user. Its value is in the result (and in later
    /// lists). Never retried: each call creates a token, even the user guide's GET.
    ///
    /// ```
    /// # use access_tokens::insight::{Client, Credentials};
    /// # use access_tokens::testing::InsightFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let InsightFixture { server: insight, url, client, .. } = InsightFixture::start().await?;
    /// # let browser = Client::builder(&url).session_cookie(insight.browser_session("ada"))?;
    /// let created = browser.create_token().await?;
    /// # assert!(!created.token.expose_secret().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_token(&self) -> Result<NewApiToken, Error> {
        match self.generation {
            ApiGeneration::Reference => self.api.create_token().await,
            ApiGeneration::UserGuide => self.api.create_api_token().await,
        }
    }
}

impl ApiToken {
    /// When the token was created.
    pub fn created_at(&self) -> Option<SystemTime> {
        self.created.map(time::from_unix_millis)
    }

    /// When the token was last used.
    pub fn last_used_at(&self) -> Option<SystemTime> {
        self.last_used.map(time::from_unix_millis)
    }
}

impl AuthenticatedToken {
    /// When the token expires: [`Expiry::Never`] for the vendor's far-future date. `None`
    /// when the server did not say, or said it in a form this SDK does not read (the raw
    /// string stays in `expires_on`).
    pub fn expiry(&self) -> Option<Expiry> {
        self.expires_on.as_deref().and_then(time::parse_iso8601_expiry)
    }
}
