//! Clients, inventory sources and rotation targets made from the configuration's sources,
//! reading each credential only when it is needed.

use access_tokens::inventory;
use access_tokens::{Secret, bamboo, entuity, insight, magpie};

use crate::config::{
    BambooSource, Config, EntuitySource, InsightSource, MagpieSource, SecretRef, Source,
};
use crate::failure::Failure;

/// A source's name and configuration, and the file it is from.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a, S> {
    /// The configuration.
    pub config: &'a Config,
    /// The source's name.
    pub name: &'a str,
    /// Its settings.
    pub source: &'a S,
}

impl<S> Named<'_, S> {
    /// Reads the credential the key `key` points to.
    fn read(&self, key: &'static str, reference: &SecretRef) -> Result<Secret, Failure> {
        reference.read(self.config.key(self.name, key))
    }

    /// Reads the credential the key `key` points to, if it is set.
    fn secret(
        &self,
        key: &'static str,
        reference: &Option<SecretRef>,
    ) -> Result<Option<Secret>, Failure> {
        reference.as_ref().map(|r| self.read(key, r)).transpose()
    }

    /// A configuration error about `key`.
    pub fn missing(&self, key: &'static str, why: &str) -> Failure {
        Failure::config(format!("{}: {why}", self.config.key(self.name, key)))
    }

    /// A failed call.
    pub fn failed(&self, error: impl std::fmt::Display) -> Failure {
        Failure::call(self.name, error)
    }
}

impl Named<'_, MagpieSource> {
    /// A client: a session token's, or one that logs in (again, when the session ends).
    pub async fn client(&self) -> Result<magpie::Client, Failure> {
        let source = self.source;
        let builder = magpie::Client::builder(&source.url);
        if let Some(session) = self.secret("session_token", &source.session_token)? {
            return builder.session_token(session).map_err(|e| self.failed(e));
        }
        let login = if let Some(token) =
            self.secret("personal_access_token", &source.personal_access_token)?
        {
            magpie::Login::personal_access_token(token)
        } else {
            let user = source.user.as_ref().ok_or_else(|| {
                self.missing("user", "needs `user` and `password`, or a token to log in with")
            })?;
            let password = self
                .secret("password", &source.password)?
                .ok_or_else(|| self.missing("password", "needs a password for `user`"))?;
            magpie::Login::password(user, password)
        };
        builder.login(login).await.map_err(|e| self.failed(e))
    }
}

impl Named<'_, BambooSource> {
    /// An administrator's client.
    pub fn client(&self) -> Result<bamboo::Client, Failure> {
        let source = self.source;
        let version = match source.plugin.as_deref() {
            None | Some("1.5") => bamboo::PluginVersion::default(),
            Some("pre-1.5") => bamboo::PluginVersion::Before1_5,
            Some(_) => return Err(self.missing("plugin", "is \"1.5\" or \"pre-1.5\"")),
        };
        let password = self.read("password", &source.password)?;
        bamboo::Client::builder(&source.url)
            .plugin_version(version)
            .basic_auth(&source.user, password)
            .map_err(|e| self.failed(e))
    }
}

impl Named<'_, EntuitySource> {
    /// An administrator's client.
    pub fn client(&self) -> Result<entuity::Client, Failure> {
        let source = self.source;
        let password = self.read("password", &source.password)?;
        entuity::Client::builder(&source.url)
            .basic_auth(&source.user, password)
            .map_err(|e| self.failed(e))
    }
}

impl Named<'_, InsightSource> {
    /// A builder with the source's URL and API generation, for clients on any token.
    pub fn builder(&self) -> Result<insight::ClientBuilder, Failure> {
        let generation = match self.source.api_generation.as_deref() {
            None | Some("reference") => insight::ApiGeneration::Reference,
            Some("user-guide") => insight::ApiGeneration::UserGuide,
            Some(_) => {
                return Err(self.missing("api_generation", "is \"reference\" or \"user-guide\""));
            }
        };
        Ok(insight::Client::builder(&self.source.url).api_generation(generation))
    }

    /// The `user` and `password`, when both are set.
    pub fn credentials(&self) -> Result<Option<insight::Credentials>, Failure> {
        let Some(user) = &self.source.user else { return Ok(None) };
        let password = self
            .secret("password", &self.source.password)?
            .ok_or_else(|| self.missing("password", "needs a password for `user`"))?;
        Ok(Some(if self.source.ldap {
            insight::Credentials::ldap(user, password)
        } else {
            insight::Credentials::password(user, password)
        }))
    }

    /// A client on the `api_token`. (Authenticating instead would leave a new token behind
    /// on every run.)
    pub fn client(&self) -> Result<insight::Client, Failure> {
        let token = self
            .secret("api_token", &self.source.api_token)?
            .ok_or_else(|| self.missing("api_token", "listing and revoking need an API token"))?;
        self.builder()?.api_token(token).map_err(|e| self.failed(e))
    }

    /// A client on the `session_cookie`, to create tokens with.
    pub fn session(&self) -> Result<insight::SessionClient, Failure> {
        let cookie = self
            .secret("session_cookie", &self.source.session_cookie)?
            .ok_or_else(|| self.missing("session_cookie", "creating a token needs a session"))?;
        self.builder()?.session_cookie(cookie).map_err(|e| self.failed(e))
    }
}

/// An inventory source for the configuration's source `name`.
pub async fn inventory_source(config: &Config, name: &str) -> Result<inventory::Source, Failure> {
    Ok(match config.source(name)? {
        Source::Magpie(source) => {
            let named = Named { config, name, source };
            let client = named.client().await?;
            match &source.service_account {
                Some(account) => inventory::Source::magpie_service_account(name, client, account),
                None => inventory::Source::magpie(name, client),
            }
        }
        Source::Bamboo(source) => {
            inventory::Source::bamboo(name, Named { config, name, source }.client()?)
        }
        Source::Entuity(source) => {
            inventory::Source::entuity(name, Named { config, name, source }.client()?)
        }
        Source::Insight(source) => {
            inventory::Source::insight(name, Named { config, name, source }.client()?)
        }
    })
}
