//! Agent APIs for Bamboo: the plugin's access tokens, which let scripts read and change the
//! state of Bamboo build agents.
//!
//! Every call authenticates as a Bamboo administrator with HTTP basic authentication. A token's
//! `uuid` is both its id and the secret scripts present to the agent operations, so it is a
//! [`Secret`]. The plugin documents no way to delete a token, and this client offers none.
//!
//! ```no_run
//! use access_tokens::bamboo::{Client, NewToken};
//!
//! # async fn run() -> Result<(), access_tokens::Error> {
//! let bamboo = Client::builder("https://ci.example.com/bamboo").basic_auth("admin", "s3cret")?;
//! let mut token = bamboo
//!     .create_token(&NewToken::new("agent drain").with_read(true))
//!     .await?;
//! token.change = true;
//! bamboo.update_token(&token).await?;
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "inventory")]
mod inventory;
#[cfg(feature = "rotation")]
mod rotation;

use progenitor_client::ClientInfo;

use crate::checks;
use crate::{Error, Secret};
use access_tokens_runtime::builder::BuilderCore;

use generated::types::XsrfCheck;
pub use generated::types::{NewToken, Token};
#[cfg(feature = "rotation")]
pub use rotation::RotationTarget;

/// The client progenitor generates from `openapi/bamboo.yaml`, for calls the facade does not
/// wrap. [`Client::generated`] gives one that already carries the credentials.
// progenitor declares every operation's header map mutable, for header parameters.
#[allow(clippy::all, clippy::pedantic, missing_docs, missing_debug_implementations, unused_mut)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/bamboo.rs"));
}

/// Which release of the plugin the server runs; it decides the paths. A later release may add
/// a variant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PluginVersion {
    /// 1.5 or later: `/rest/agent-config/1.0/tokens/`.
    #[default]
    V1_5OrLater,
    /// Before 1.5: `/rest/agent/1.0/tokens/`.
    Before1_5,
}

/// Configures a [`Client`]; finish with [`basic_auth`](Self::basic_auth).
#[derive(Debug)]
#[must_use = "a builder does nothing until it is finished with `basic_auth`"]
pub struct ClientBuilder {
    core: BuilderCore,
    version: PluginVersion,
}

impl ClientBuilder {
    /// Uses the paths of an older plugin release. Default: 1.5 or later.
    pub fn plugin_version(mut self, version: PluginVersion) -> Self {
        self.version = version;
        self
    }

    crate::macros::http_settings!();

    /// Finishes with a Bamboo administrator's user name and password.
    ///
    /// ```
    /// # use access_tokens::bamboo::{Client, NewToken};
    /// # use access_tokens::testing::BambooFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let BambooFixture { url, client, .. } = BambooFixture::start().await?;
    /// let client = Client::builder(&url).basic_auth("admin", "pw")?;
    /// # client.list_tokens().await?;
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
        Ok(Client { api, version: self.version })
    }
}

/// A client for one Bamboo server. Cheap to clone; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    api: generated::Client,
    version: PluginVersion,
}

impl Client {
    crate::macros::connection_readings!(api);

    /// Starts a client for a Bamboo server's base URL, including any context path
    /// (`https://ci.example.com/bamboo`).
    pub fn builder(base_url: impl AsRef<str>) -> ClientBuilder {
        let base_url = checks::base_url(base_url.as_ref());
        ClientBuilder {
            core: BuilderCore::new("bamboo", "base URL", base_url),
            version: PluginVersion::default(),
        }
    }

    /// The base URL every path is appended to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.api.baseurl()
    }

    /// The plugin release whose paths this client uses.
    pub fn plugin_version(&self) -> PluginVersion {
        self.version
    }

    /// The generated client, carrying this client's credentials.
    pub fn generated(&self) -> &generated::Client {
        &self.api
    }

    /// Lists every token, with its `uuid` (a secret) and permissions.
    ///
    /// ```
    /// # use access_tokens::bamboo::{Client, NewToken};
    /// # use access_tokens::testing::BambooFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let BambooFixture { url, client, .. } = BambooFixture::start().await?;
    /// for token in client.list_tokens().await? {
    ///     println!("{}: read={} change={}", token.name, token.read, token.change);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn list_tokens(&self) -> Result<Vec<Token>, Error> {
        match self.version {
            PluginVersion::V1_5OrLater => self.api.list_tokens().await,
            PluginVersion::Before1_5 => self.api.list_tokens_before_1_5().await,
        }
    }

    /// Creates a token; the result carries the `uuid` the server assigned.
    ///
    /// If the response does not match the document, the error's [`body`](Error::body) still
    /// holds the new `uuid`. Never retried: a second call would create a second token.
    ///
    /// ```
    /// # use access_tokens::bamboo::{Client, NewToken};
    /// # use access_tokens::testing::BambooFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let BambooFixture { url, client, .. } = BambooFixture::start().await?;
    /// let token = client
    ///     .create_token(&NewToken::new("agent drain").with_read(true))
    ///     .await?;
    /// let uuid = token.uuid.expose_secret(); // scripts pass this to the agent operations
    /// # assert!(!uuid.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_token(&self, token: &NewToken) -> Result<Token, Error> {
        let xsrf = XsrfCheck::NoCheck;
        match self.version {
            PluginVersion::V1_5OrLater => self.api.create_token(xsrf, token).await,
            PluginVersion::Before1_5 => self.api.create_token_before_1_5(xsrf, token).await,
        }
    }

    /// Replaces the name and permissions of the token with this `uuid`.
    ///
    /// ```
    /// # use access_tokens::bamboo::{Client, NewToken};
    /// # use access_tokens::testing::BambooFixture;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), access_tokens::Error> {
    /// # let BambooFixture { url, client, .. } = BambooFixture::start().await?;
    /// # let mut token = client.create_token(&NewToken::new("x").with_read(true)).await?;
    /// token.change = true;
    /// let updated = client.update_token(&token).await?;
    /// assert!(updated.change);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn update_token(&self, token: &Token) -> Result<Token, Error> {
        let uuid = checks::path_segment("uuid", token.uuid.expose_secret())?;
        let xsrf = XsrfCheck::NoCheck;
        // The uuid is the token's secret, in the path and the body: an error message that
        // quotes it shows it redacted, as it does the administrator's credentials.
        let api = generated::Client::new_with_client(
            self.api.baseurl(),
            self.api.client().clone(),
            self.api.inner().clone().redacting(&token.uuid),
        );
        match self.version {
            PluginVersion::V1_5OrLater => api.update_token(uuid, xsrf, token).await,
            PluginVersion::Before1_5 => api.update_token_before_1_5(uuid, xsrf, token).await,
        }
    }
}

/// Constructors, so that code creating tokens keeps compiling when the document gains an
/// optional field.
impl NewToken {
    /// A token named `name`, with neither permission; add them with
    /// [`with_read`](Self::with_read) and [`with_change`](Self::with_change).
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), read: false, change: false }
    }

    /// Whether the token may read agent state.
    pub fn with_read(mut self, read: bool) -> Self {
        self.read = read;
        self
    }

    /// Whether the token may change agent state.
    pub fn with_change(mut self, change: bool) -> Self {
        self.change = change;
        self
    }
}
