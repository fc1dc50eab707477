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
        let password = self.read("password", &source.password)?;
        bamboo::Client::builder(&source.url)
            .plugin_version(source.plugin.into())
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
    pub fn builder(&self) -> insight::ClientBuilder {
        insight::Client::builder(&self.source.url).api_generation(self.source.api_generation.into())
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
        self.builder().api_token(token).map_err(|e| self.failed(e))
    }

    /// A client on the `session_cookie`, to create tokens with.
    pub fn session(&self) -> Result<insight::SessionClient, Failure> {
        let cookie = self
            .secret("session_cookie", &self.source.session_cookie)?
            .ok_or_else(|| self.missing("session_cookie", "creating a token needs a session"))?;
        self.builder().session_cookie(cookie).map_err(|e| self.failed(e))
    }
}

impl Named<'_, MagpieSource> {
    /// What `rotate` replaces: the user's own tokens, or the `service_account`'s.
    pub async fn rotation_target(&self) -> Result<magpie::RotationTarget, Failure> {
        let client = self.client().await?;
        Ok(match &self.source.service_account {
            Some(account) => magpie::RotationTarget::service_account(client, account),
            None => magpie::RotationTarget::personal(client),
        })
    }
}

impl Named<'_, BambooSource> {
    /// What `rotate` replaces: the tokens named `token_name`, by one with `read` and `change`.
    pub fn rotation_target(&self) -> Result<bamboo::RotationTarget, Failure> {
        let source = self.source;
        let name = source.token_name.as_ref().ok_or_else(|| {
            self.missing("token_name", "rotating needs the name of the tokens to replace")
        })?;
        let token = bamboo::NewToken::new(name).with_read(source.read).with_change(source.change);
        Ok(bamboo::RotationTarget::new(self.client()?, token))
    }
}

impl Named<'_, EntuitySource> {
    /// What `rotate` replaces: `token_user`'s tokens (with `token_description`, if set).
    pub fn rotation_target(&self) -> Result<entuity::RotationTarget, Failure> {
        let source = self.source;
        let user = source.token_user.as_ref().ok_or_else(|| {
            self.missing("token_user", "rotating needs the user whose tokens to replace")
        })?;
        let mut token = entuity::NewAccessToken::for_user_name(user);
        if let Some(description) = &source.token_description {
            token = token.with_description(description);
        }
        Ok(entuity::RotationTarget::new(self.client()?, token))
    }
}

impl Named<'_, InsightSource> {
    /// What `rotate` replaces: the user's tokens, by one made with the source's credentials
    /// where it has them, else with its browser session (its user `user`, if named).
    pub fn rotation_target(&self) -> Result<insight::RotationTarget, Failure> {
        let builder = self.builder();
        Ok(match self.credentials()? {
            Some(credentials) => insight::RotationTarget::by_credentials(builder, credentials),
            None => {
                let target = insight::RotationTarget::by_session(builder, self.session()?);
                match &self.source.user {
                    Some(user) if self.source.ldap => target.owned_by(format!("ldap@{user}")),
                    Some(user) => target.owned_by(format!("userpass@{user}")),
                    None => target,
                }
            }
        })
    }

    /// Refuses to rotate into a file other than the one the source's `api_token` is read
    /// from: the rotation retires the token the source lists with, so the next inventory would
    /// fail with 401.
    pub fn check_sink_is_the_api_token(&self, file: &std::path::Path) -> Result<(), Failure> {
        let same = |a: &std::path::Path, b: &std::path::Path| {
            std::fs::canonicalize(a)
                .ok()
                .zip(std::fs::canonicalize(b).ok())
                .is_some_and(|(a, b)| a == b)
                || a == b
        };
        match &self.source.api_token {
            None => Ok(()),
            Some(SecretRef::File(token)) if same(&self.config.relative(token), file) => Ok(()),
            Some(SecretRef::File(token)) => Err(self.missing(
                "api_token",
                &format!(
                    "the rotation would retire the token in {}, which this source lists with; \
                     rotate into that file (`-o {}`), or drop `api_token`",
                    token.display(),
                    token.display()
                ),
            )),
            Some(_) => Err(self.missing(
                "api_token",
                "the rotation would retire the token this source lists with: read it from the \
                 file the rotation writes (`api_token = { file = ... }`)",
            )),
        }
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
