//! Silect Magpie: session login and access tokens, for yourself and for service accounts.
//!
//! Magpie authenticates every call with a session token, which [`ClientBuilder::login`] gets in
//! exchange for a password or a personal access token, or which you already have and pass to
//! [`ClientBuilder::session_token`]. It travels in the `Authorization` header by default, or as
//! a cookie ([`SessionTransport`]). A client from `login` logs in again when its session
//! expires ([`ClientBuilder::relogin`]).
//!
//! ```no_run
//! use access_tokens::magpie::{Client, Login};
//!
//! # async fn run() -> Result<(), access_tokens::Error> {
//! let client = Client::builder("acme")
//!     .login(Login::password("ada@acme.example", "correct horse"))
//!     .await?;
//! let created = client.create_token().await?;
//! // `created.token` is shown only this once: store it now.
//! for token in client.list_tokens().await? {
//!     println!("{:?} disabled={:?}", token.id, token.disabled);
//! }
//! # drop(created);
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "inventory")]
mod inventory;
#[cfg(feature = "rotation")]
mod rotation;

use std::future::Future;
use std::sync::Arc;

use progenitor_client::ClientInfo;
use reqwest::header::{AUTHORIZATION, COOKIE};

use crate::checks;
use crate::renewal::{Renew, Renewing};
use crate::{Error, InvalidReason, Secret};
use access_tokens_runtime::builder::BuilderCore;
use access_tokens_runtime::execute::Operation;

pub use generated::types::{AccessToken, NewAccessToken};
#[cfg(feature = "rotation")]
pub use rotation::RotationTarget;

/// The client progenitor generates from `openapi/magpie.yaml`, for calls the facade does not
/// wrap. [`Client::generated`] gives one that already carries the session.
// progenitor declares every operation's header map mutable, for header parameters.
#[allow(clippy::all, clippy::pedantic, missing_docs, missing_debug_implementations, unused_mut)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/magpie.rs"));
}

/// How the session token travels on each request. A later release may add a variant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionTransport {
    /// `Authorization: token <session>`.
    #[default]
    Header,
    /// `Cookie: token=<session>`.
    Cookie,
}

/// Credentials that [`ClientBuilder::login`] exchanges for a session token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Login {
    /// A user name (an e-mail address) and password.
    Password {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// A personal access token.
    PersonalAccessToken(Secret),
}

impl Login {
    /// Logs in with a user name and password.
    pub fn password(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self::Password { username: username.into(), password: password.into() }
    }

    /// Logs in with a personal access token.
    pub fn personal_access_token(token: impl Into<Secret>) -> Self {
        Self::PersonalAccessToken(token.into())
    }

    /// The user it logs in as, where it names one (a password login).
    fn user(&self) -> Option<&str> {
        match self {
            Self::Password { username, .. } => Some(username),
            Self::PersonalAccessToken(_) => None,
        }
    }

    /// The password or token this login sends.
    fn secret(&self) -> &Secret {
        match self {
            Self::Password { password, .. } => password,
            Self::PersonalAccessToken(token) => token,
        }
    }

    fn into_request(self) -> Result<generated::types::LoginRequest, Error> {
        use generated::types::{AccessTokenLogin, PasswordLogin};
        Ok(match self {
            Self::Password { username, password } => {
                checks::non_empty("username", &username)?;
                checks::non_empty("password", password.expose_secret())?;
                PasswordLogin { username, password }.into()
            }
            Self::PersonalAccessToken(token) => {
                checks::non_empty("personal access token", token.expose_secret())?;
                AccessTokenLogin { token }.into()
            }
        })
    }
}

/// Configures a [`Client`]; finish with [`login`](Self::login) or
/// [`session_token`](Self::session_token).
#[derive(Debug)]
#[must_use = "a builder does nothing until it is finished with `login` or `session_token`"]
pub struct ClientBuilder {
    core: BuilderCore,
    transport: SessionTransport,
    relogin: bool,
}

impl ClientBuilder {
    /// Sends the session token in the `Authorization` header (the default) or as a cookie.
    pub fn session_transport(mut self, transport: SessionTransport) -> Self {
        self.transport = transport;
        self
    }

    /// Whether a client finished with [`login`](Self::login) logs in again when a call is
    /// answered 401, as when its session expired (default: yes). It logs in once for all its
    /// clones, and repeats the call where that cannot double an effect (lists, changes and
    /// deletes by id); a create is not repeated, and its 401 is returned, the next call going
    /// out on the new session. A client on a bare [`session_token`](Self::session_token)
    /// has nothing to log in with and always reports the 401.
    pub fn relogin(mut self, relogin: bool) -> Self {
        self.relogin = relogin;
        self
    }

    crate::macros::http_settings!();

    /// Finishes with a session token you already have.
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// # let saved_session = client.session_token().clone();
    /// let client = Client::builder(&url).session_token(saved_session)?;
    /// client.list_tokens().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn session_token(self, token: impl Into<Secret>) -> Result<Client, Error> {
        let dial = self.dial()?;
        let session = dial.session(token.into())?;
        Ok(Client::new(session, dial, None, None))
    }

    /// Logs in and finishes with the session token the server returns.
    ///
    /// Login is never retried: the server may have started a session already. If the session
    /// it returns cannot travel as this builder sends it (a cookie holds no space, `;` or
    /// non-ASCII character), the error is [`Error::UnusableCredential`], which holds it.
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// use access_tokens::magpie::SessionTransport;
    ///
    /// let client = Client::builder(&url)
    ///     .session_transport(SessionTransport::Cookie)
    ///     .login(Login::password("ada@example.com", "pw"))
    ///     .await?;
    /// assert!(!client.session_token().expose_secret().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login(self, login: Login) -> Result<Client, Error> {
        let dial = self.dial()?;
        let session = dial.log_in(login.clone()).await?;
        let user = login.user().map(str::to_owned);
        let relogin = self.relogin.then(|| Relogin { dial: dial.clone(), login });
        Ok(Client::new(session, dial, relogin, user))
    }

    /// The builder's connection, and how a session travels on it.
    fn dial(&self) -> Result<Dial, Error> {
        let (base_url, connection) = self.core.connect()?;
        Ok(Dial {
            base_url: base_url.to_owned(),
            http: connection.http.clone(),
            context: connection.context(),
            transport: self.transport,
        })
    }
}

/// What a client needs to log in, again or as another user: its builder's connection (one
/// pool, one policy) and how a session travels on it.
#[derive(Debug, Clone)]
struct Dial {
    base_url: String,
    http: reqwest::Client,
    /// The connection's context, without credentials.
    context: crate::Context,
    transport: SessionTransport,
}

impl Dial {
    /// A session from `login`.
    async fn log_in(&self, login: Login) -> Result<Session, Error> {
        let context = self.context.clone().redacting(login.secret());
        let body = login.into_request()?;
        let anonymous =
            generated::Client::new_with_client(&self.base_url, self.http.clone(), context);
        let session = anonymous.login(&body).await?.token;
        // The server has started a session: if this client cannot send it, hand it back.
        self.session(session.clone()).map_err(|error| match error {
            Error::InvalidInput { field, reason } => {
                Error::UnusableCredential { operation: "login", field, reason, credential: session }
            }
            other => other,
        })
    }

    /// The generated client carrying `session`.
    fn session(&self, session: Secret) -> Result<Session, Error> {
        let token = session.expose_secret();
        let (name, value) = match self.transport {
            SessionTransport::Header => {
                let token = checks::header_token("session token", token)?;
                (AUTHORIZATION, format!("token {token}"))
            }
            SessionTransport::Cookie => {
                let token = checks::cookie_token("session token", token)?;
                (COOKIE, format!("token={token}"))
            }
        };
        let value = checks::header_value("session token", value)?;
        let context = self.context.clone().with_secret_header(name, value).redacting(&session);
        let api = generated::Client::new_with_client(&self.base_url, self.http.clone(), context);
        Ok(Session { api, token: session })
    }
}

/// A Magpie client that carries a session. Cheap to clone; clones share one connection pool
/// and one session, which a client from [`ClientBuilder::login`] renews on a 401 for all of
/// them.
#[derive(Debug, Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    session: Renewing<Relogin>,
    dial: Dial,
    /// The user it logged in as, where the login named one.
    user: Option<String>,
}

/// A session, and the generated client that sends it.
#[derive(Debug)]
struct Session {
    api: generated::Client,
    token: Secret,
}

/// How a client from `login` logs in again.
#[derive(Debug)]
struct Relogin {
    dial: Dial,
    login: Login,
}

impl Renew for Relogin {
    type Credential = Session;
    const OPERATIONS: &'static [Operation] = generated::OPERATIONS;

    async fn renew(&self) -> Result<Session, Error> {
        self.dial.log_in(self.login.clone()).await
    }
}

impl Client {
    fn new(session: Session, dial: Dial, relogin: Option<Relogin>, user: Option<String>) -> Self {
        let session = Renewing::new(session, relogin);
        Self { shared: Arc::new(Shared { session, dial, user }) }
    }

    /// A client on the same connection, logged in with `login` (which it does not renew).
    #[cfg(feature = "rotation")]
    pub(crate) async fn log_in_as(&self, login: Login) -> Result<Client, Error> {
        let dial = self.shared.dial.clone();
        Ok(Client::new(dial.log_in(login).await?, dial, None, None))
    }

    /// The session calls go out on now.
    fn current(&self) -> Arc<Session> {
        self.shared.session.current()
    }

    /// Makes `call` on the current session, logging in again on a 401 ([`Renewing::call`]).
    fn call<T, F, Fut>(&self, call: F) -> impl Future<Output = Result<T, Error>>
    where
        F: Fn(Arc<Session>) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        self.shared.session.call(call)
    }

    crate::macros::connection_readings!(current().api);

    /// Starts a client for an organization (`"acme"` means `https://acme.silect.is/api/magpie`)
    /// or for a full base URL such as `http://127.0.0.1:8080/api/magpie`.
    pub fn builder(organization_or_base_url: impl AsRef<str>) -> ClientBuilder {
        let (field, base_url) = base_url(organization_or_base_url.as_ref());
        ClientBuilder {
            core: BuilderCore::new("magpie", field, base_url),
            transport: SessionTransport::default(),
            relogin: true,
        }
    }

    /// The base URL every path is appended to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.shared.dial.base_url
    }

    /// The user the client logged in as, where its login named one (a password login).
    pub fn user(&self) -> Option<&str> {
        self.shared.user.as_deref()
    }

    /// The session token this client sends now, e.g. to reuse the session later.
    pub fn session_token(&self) -> Secret {
        self.current().token.clone()
    }

    /// The generated client, carrying this client's session now, for calls the facade does not
    /// wrap (which do not log in again on a 401).
    pub fn generated(&self) -> generated::Client {
        self.current().api.clone()
    }

    /// The server's version, as the free-form JSON it returns.
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// let version = client.version().await?;
    /// assert!(version.is_object());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn version(&self) -> Result<serde_json::Value, Error> {
        let version = self.call(|s| async move { s.api.get_version().await }).await?;
        Ok(version.0)
    }

    /// Lists your own access tokens (ids and metadata, never values).
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// for token in client.list_tokens().await? {
    ///     println!("{:?}: disabled={:?} {:?}", token.id, token.disabled, token.description);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_tokens(&self) -> Result<Vec<AccessToken>, Error> {
        self.call(|s| async move { s.api.list_access_tokens().await }).await
    }

    /// Creates an access token for yourself. Its value is in the result and nowhere else ever
    /// again; if the response does not match the document, the error's
    /// [`body`](Error::body) still holds it.
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// let created = client.create_token().await?;
    /// let value = created.token.expose_secret(); // store it now: it is never shown again
    /// # assert!(!value.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_token(&self) -> Result<NewAccessToken, Error> {
        self.call(|s| async move { s.api.create_access_token().await }).await
    }

    /// Disables a token by id; it stops working until enabled again.
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// client.disable(&token_id).await?;
    /// assert_eq!(client.list_tokens().await?[0].disabled, Some(true));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn disable(&self, token_id: &str) -> Result<(), Error> {
        self.set_disabled(token_id, true).await
    }

    /// Enables a disabled token by id.
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// client.disable(&token_id).await?;
    /// client.enable(&token_id).await?;
    /// assert_eq!(client.list_tokens().await?[0].disabled, Some(false));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn enable(&self, token_id: &str) -> Result<(), Error> {
        self.set_disabled(token_id, false).await
    }

    async fn set_disabled(&self, token_id: &str, disabled: bool) -> Result<(), Error> {
        let token_id = checks::path_segment("token_id", token_id)?;
        let set = |s: Arc<Session>| async move {
            s.api.set_access_token_status(token_id, disabled).await
        };
        self.call(set).await
    }

    /// Replaces a token's description; sent as plain text.
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// client.set_description(&token_id, "laptop").await?;
    /// assert_eq!(client.list_tokens().await?[0].description.as_deref(), Some("laptop"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn set_description(
        &self,
        token_id: &str,
        description: impl Into<String>,
    ) -> Result<(), Error> {
        let token_id = checks::path_segment("token_id", token_id)?;
        let description: String = description.into();
        let set = |s: Arc<Session>| {
            let description = description.clone();
            async move { s.api.set_access_token_description(token_id, description).await }
        };
        self.call(set).await
    }

    /// Deletes a token by id.
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// client.delete(&token_id).await?;
    /// assert!(client.list_tokens().await?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn delete(&self, token_id: &str) -> Result<(), Error> {
        let token_id = checks::path_segment("token_id", token_id)?;
        self.call(|s| async move { s.api.delete_access_token(token_id).await }).await
    }

    /// The tokens of a service account (organization administrators only). Enable, disable,
    /// describe and delete its tokens by id through this client's own methods.
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// let ci = admin.service_account("ci@example.com");
    /// ci.create().await?;
    /// assert_eq!(ci.list().await?.len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn service_account<'a>(&'a self, user_name: &'a str) -> ServiceAccount<'a> {
        ServiceAccount { client: self, user_name }
    }
}

/// A service account's tokens, from [`Client::service_account`].
#[derive(Debug, Clone, Copy)]
pub struct ServiceAccount<'a> {
    client: &'a Client,
    user_name: &'a str,
}

impl ServiceAccount<'_> {
    /// Lists the service account's tokens.
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// let ci = admin.service_account("ci@example.com");
    /// assert!(ci.list().await?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list(&self) -> Result<Vec<AccessToken>, Error> {
        let user_name = checks::path_segment("user_name", self.user_name)?;
        let list = |s: Arc<Session>| async move {
            s.api.list_service_account_access_tokens(user_name).await
        };
        self.client.call(list).await
    }

    /// Creates a token for the service account; its value is shown only in the result.
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// let created = admin.service_account("ci@example.com").create().await?;
    /// # assert!(!created.token.expose_secret().is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create(&self) -> Result<NewAccessToken, Error> {
        let user_name = checks::path_segment("user_name", self.user_name)?;
        let create = |s: Arc<Session>| async move {
            s.api.create_service_account_access_token(user_name).await
        };
        self.client.call(create).await
    }

    /// Deletes all of the service account's tokens and creates one new one, whose value is
    /// shown only in the result. Never retried: a second rotation would delete the first's
    /// token.
    ///
    /// ```
    /// # use access_tokens::magpie::{Client, Login};
    /// # use access_tokens::testing::MagpieFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let MagpieFixture { server: magpie, url, client, admin, token_id, .. } = MagpieFixture::start().await?;
    /// let ci = admin.service_account("ci@example.com");
    /// ci.create().await?;
    /// ci.create().await?;
    /// let only = ci.rotate().await?; // the other two are gone
    /// assert_eq!(ci.list().await?.len(), 1);
    /// # drop(only);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn rotate(&self) -> Result<NewAccessToken, Error> {
        let user_name = checks::path_segment("user_name", self.user_name)?;
        let rotate = |s: Arc<Session>| async move {
            s.api.rotate_service_account_access_tokens(user_name).await
        };
        self.client.call(rotate).await
    }
}

/// The base URL for an organization name or a full URL, and the argument a refusal names.
fn base_url(organization_or_base_url: &str) -> (&'static str, Result<String, InvalidReason>) {
    if organization_or_base_url.contains("://") {
        return ("base URL", checks::base_url(organization_or_base_url));
    }
    let organization = organization_or_base_url;
    let is_label = (1..=63).contains(&organization.len())
        && organization.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !organization.starts_with('-')
        && !organization.ends_with('-');
    if !is_label {
        return ("organization", Err(InvalidReason::NotHostLabel));
    }
    (
        "organization",
        Ok(format!("https://{}.silect.is/api/magpie", organization.to_ascii_lowercase())),
    )
}
