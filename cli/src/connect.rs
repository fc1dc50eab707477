//! Clients, inventory sources and rotation targets made from the configuration's sources,
//! reading each credential only when it is needed.

use std::path::Path;
use std::time::Duration;

use access_tokens::inventory;
use access_tokens::{CertificateDer, PemObject as _, PrivateKeyDer, Secret};
use access_tokens::{bamboo, entuity, insight, magpie};

use crate::config::{
    BambooSource, Config, Connection, EntuitySource, InsightSource, MagpieSource, SecretRef,
    Source, VaultSettings, private,
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

/// The settings every vendor's builder has, which a source's connection keys set.
trait Http: Sized {
    fn timeout(self, timeout: Duration) -> Self;
    fn add_root_certificate(self, certificate: CertificateDer<'static>) -> Self;
    fn proxy(self, url: String) -> Self;
    fn proxy_credentials(self, user: String, password: Secret) -> Self;
    fn client_certificate(
        self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Self;
    fn allow_insecure_http(self) -> Self;
}

macro_rules! http {
    ($($builder:ty),+) => {$(
        impl Http for $builder {
            fn timeout(self, timeout: Duration) -> Self {
                <$builder>::timeout(self, timeout)
            }
            fn add_root_certificate(self, certificate: CertificateDer<'static>) -> Self {
                <$builder>::add_root_certificate(self, certificate)
            }
            fn proxy(self, url: String) -> Self {
                <$builder>::proxy(self, url)
            }
            fn proxy_credentials(self, user: String, password: Secret) -> Self {
                <$builder>::proxy_credentials(self, user, password)
            }
            fn client_certificate(
                self,
                chain: Vec<CertificateDer<'static>>,
                key: PrivateKeyDer<'static>,
            ) -> Self {
                <$builder>::client_certificate(self, chain, key)
            }
            fn allow_insecure_http(self) -> Self {
                <$builder>::allow_insecure_http(self)
            }
        }
    )+};
}

http!(
    magpie::ClientBuilder,
    bamboo::ClientBuilder,
    entuity::ClientBuilder,
    insight::ClientBuilder,
    access_tokens::rotation::VaultSinkBuilder
);

impl<S> Named<'_, S> {
    /// Reads the credential the key `key` points to.
    fn read(&self, key: &str, reference: &SecretRef) -> Result<Secret, Failure> {
        reference.read(self.config.key(self.name, key))
    }

    /// Reads the credential the key `key` points to, if it is set.
    fn secret(&self, key: &str, reference: &Option<SecretRef>) -> Result<Option<Secret>, Failure> {
        reference.as_ref().map(|r| self.read(key, r)).transpose()
    }

    /// A configuration error about `key`.
    pub fn missing(&self, key: &str, why: &str) -> Failure {
        Failure::config(format!("{}: {why}", self.config.key(self.name, key)))
    }

    /// A failed call.
    pub fn failed(&self, error: &access_tokens::Error) -> Failure {
        Failure::call(self.name, error)
    }

    /// A client that could not be built: the configuration's fault, named by its key (the
    /// URL, the proxy, a certificate), or a call's when it came from one (a login).
    fn unbuilt(&self, error: &access_tokens::Error) -> Failure {
        match error {
            access_tokens::Error::InvalidInput { field, reason } => {
                let key = match *field {
                    "base URL" | "organization" | "URL" => "url",
                    field if field.contains("proxy") => "proxy",
                    field => field,
                };
                self.missing(key, &reason.to_string())
            }
            access_tokens::Error::Tls { .. } => {
                self.missing("ca_file", &access_tokens::causes(error))
            }
            error => self.failed(error),
        }
    }

    /// `builder` with the source's connection keys: timeout, trusted authorities, proxy,
    /// client certificate, plain http.
    fn connect<B: Http>(&self, builder: B) -> Result<B, Failure> {
        self.apply(builder, self.config.connection(self.name), "")
    }

    /// `builder` with `connection`'s keys, named in messages after `under` (`sink.vault.`).
    fn apply<B: Http>(
        &self,
        mut builder: B,
        connection: &Connection,
        under: &str,
    ) -> Result<B, Failure> {
        let key = |name: &str| format!("{under}{name}");
        if let Some(timeout) = connection.timeout {
            builder = builder.timeout(timeout.0);
        }
        if let Some(file) = &connection.ca_file {
            for certificate in self.pem(&key("ca_file"), file)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        if let Some(proxy) = &connection.proxy {
            builder = builder.proxy(proxy.clone());
            if let Some(user) = &connection.proxy_user {
                let password =
                    self.secret(&key("proxy_password"), &connection.proxy_password)?.ok_or_else(
                        || self.missing(&key("proxy_password"), "needed with `proxy_user`"),
                    )?;
                builder = builder.proxy_credentials(user.clone(), password);
            }
        }
        match (&connection.client_cert, &connection.client_key) {
            (Some(cert), Some(file)) => {
                let chain = self.pem(&key("client_cert"), cert)?;
                let path = self.config.relative(file);
                private(&path, false).map_err(|why| self.missing(&key("client_key"), &why))?;
                let read = PrivateKeyDer::from_pem_file(&path).map_err(|e| {
                    self.missing(&key("client_key"), &format!("{}: {e}", file.display()))
                })?;
                builder = builder.client_certificate(chain, read);
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(self.missing(&key("client_key"), "needed with `client_cert`"));
            }
            (None, Some(_)) => {
                return Err(self.missing(&key("client_cert"), "needed with `client_key`"));
            }
        }
        if connection.allow_insecure_http {
            builder = builder.allow_insecure_http();
        }
        Ok(builder)
    }

    /// The certificates in the PEM file `file`, named by `key`.
    fn pem(&self, key: &str, file: &Path) -> Result<Vec<CertificateDer<'static>>, Failure> {
        let unread = |error: &dyn std::fmt::Display| {
            self.missing(key, &format!("{}: {error}", file.display()))
        };
        let certificates: Vec<_> = CertificateDer::pem_file_iter(self.config.relative(file))
            .map_err(|e| unread(&e))?
            .collect::<Result<_, _>>()
            .map_err(|e| unread(&e))?;
        if certificates.is_empty() {
            return Err(self.missing(key, &format!("{}: no certificate in it", file.display())));
        }
        Ok(certificates)
    }
}

impl Named<'_, MagpieSource> {
    /// A client: a session token's, or one that logs in (again, when the session ends).
    pub async fn client(&self) -> Result<magpie::Client, Failure> {
        let source = self.source;
        let builder = self.connect(magpie::Client::builder(&source.url))?;
        if let Some(session) = self.secret("session_token", &source.session_token)? {
            return builder.session_token(session).map_err(|e| self.unbuilt(&e));
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
        builder.login(login).await.map_err(|e| self.unbuilt(&e))
    }
}

impl Named<'_, BambooSource> {
    /// An administrator's client.
    pub fn client(&self) -> Result<bamboo::Client, Failure> {
        let source = self.source;
        let password = self.read("password", &source.password)?;
        self.connect(bamboo::Client::builder(&source.url).plugin_version(source.plugin.into()))?
            .basic_auth(&source.user, password)
            .map_err(|e| self.unbuilt(&e))
    }
}

impl Named<'_, EntuitySource> {
    /// An administrator's client.
    pub fn client(&self) -> Result<entuity::Client, Failure> {
        let source = self.source;
        let password = self.read("password", &source.password)?;
        self.connect(entuity::Client::builder(&source.url))?
            .basic_auth(&source.user, password)
            .map_err(|e| self.unbuilt(&e))
    }
}

impl Named<'_, InsightSource> {
    /// A builder with the source's URL and API generation, for clients on any token.
    pub fn builder(&self) -> Result<insight::ClientBuilder, Failure> {
        let builder = insight::Client::builder(&self.source.url)
            .api_generation(self.source.api_generation.into());
        self.connect(builder)
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
        self.builder()?.api_token(token).map_err(|e| self.unbuilt(&e))
    }

    /// A client on the `session_cookie`, to create tokens with.
    pub fn session(&self) -> Result<insight::SessionClient, Failure> {
        let cookie = self
            .secret("session_cookie", &self.source.session_cookie)?
            .ok_or_else(|| self.missing("session_cookie", "creating a token needs a session"))?;
        self.builder()?.session_cookie(cookie).map_err(|e| self.unbuilt(&e))
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
        let builder = self.builder()?;
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

    /// Refuses to rotate into anything but the file the source's `api_token` is read from:
    /// the rotation retires the token the source lists with, so the next inventory would fail
    /// with 401. `file` is the sink's file, `None` for a sink that is not one.
    pub fn check_sink_is_the_api_token(
        &self,
        file: Option<&std::path::Path>,
    ) -> Result<(), Failure> {
        let same = |a: &std::path::Path, b: &std::path::Path| {
            std::fs::canonicalize(a)
                .ok()
                .zip(std::fs::canonicalize(b).ok())
                .is_some_and(|(a, b)| a == b)
                || a == b
        };
        match (&self.source.api_token, file) {
            (None, _) => Ok(()),
            (Some(SecretRef::File { path: token, .. }), Some(file))
                if same(&self.config.relative(token), file) =>
            {
                Ok(())
            }
            (Some(SecretRef::File { path: token, .. }), _) => Err(self.missing(
                "api_token",
                &format!(
                    "the rotation would retire the token in {}, which this source lists with; \
                     rotate into that file (`-o {}`), or drop `api_token`",
                    token.display(),
                    token.display()
                ),
            )),
            (Some(_), _) => Err(self.missing(
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

/// Builds a client for the source `name` with its URL and connection keys and a stand-in
/// credential, sending nothing: what `config check` can find of the URL, the proxy, the
/// certificates and plain http without a server.
pub fn offline(config: &Config, name: &str) -> Result<(), Failure> {
    let stand_in = || Secret::new("config-check");
    match config.source(name)? {
        Source::Magpie(source) => {
            let named = Named { config, name, source };
            let builder = named.connect(magpie::Client::builder(&source.url))?;
            builder.session_token(stand_in()).map(drop).map_err(|e| named.unbuilt(&e))
        }
        Source::Bamboo(source) => {
            let named = Named { config, name, source };
            let builder = named.connect(bamboo::Client::builder(&source.url))?;
            builder.basic_auth(&source.user, stand_in()).map(drop).map_err(|e| named.unbuilt(&e))
        }
        Source::Entuity(source) => {
            let named = Named { config, name, source };
            let builder = named.connect(entuity::Client::builder(&source.url))?;
            builder.basic_auth(&source.user, stand_in()).map(drop).map_err(|e| named.unbuilt(&e))
        }
        Source::Insight(source) => {
            let named = Named { config, name, source };
            named.builder()?.api_token(stand_in()).map(drop).map_err(|e| named.unbuilt(&e))
        }
    }
}

impl<S> Named<'_, S> {
    /// The Vault sink `vault = { … }` of the source's `[sink]` describes: its address and token
    /// from the settings, else from `VAULT_ADDR`/`VAULT_TOKEN`, else `BAO_ADDR`/`BAO_TOKEN`.
    pub fn vault_sink(
        &self,
        vault: &VaultSettings,
    ) -> Result<access_tokens::rotation::VaultSink, Failure> {
        let from_environment = |names: [&'static str; 2]| {
            names.into_iter().find(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
        };
        let address = match &vault.address {
            Some(address) => address.clone(),
            None => {
                let Some(name) = from_environment(["VAULT_ADDR", "BAO_ADDR"]) else {
                    return Err(self.missing(
                        "sink.vault.address",
                        "needs the server's address, or VAULT_ADDR (or BAO_ADDR) set",
                    ));
                };
                std::env::var(name).unwrap_or_default()
            }
        };
        let token = match &vault.token {
            Some(reference) => self.read("sink.vault.token", reference)?,
            None => {
                let Some(name) = from_environment(["VAULT_TOKEN", "BAO_TOKEN"]) else {
                    return Err(self.missing(
                        "sink.vault.token",
                        "needs a token: `token = { env = … }`, or VAULT_TOKEN (or BAO_TOKEN) set",
                    ));
                };
                self.read("sink.vault.token", &SecretRef::Env(name.to_owned()))?
            }
        };
        let mut builder = access_tokens::rotation::VaultSink::builder(&address, &vault.path);
        if let Some(mount) = &vault.mount {
            builder = builder.mount(mount);
        }
        if let Some(field) = &vault.field {
            builder = builder.field(field);
        }
        if let Some(namespace) = &vault.namespace {
            builder = builder.namespace(namespace);
        }
        let builder = self.apply(builder, &vault.connection, "sink.vault.")?;
        builder.token(token).map_err(|error| match error {
            access_tokens::Error::InvalidInput { field, reason } => {
                self.missing(&format!("sink.vault.{field}"), &reason.to_string())
            }
            error => self.missing("sink.vault", &access_tokens::causes(&error)),
        })
    }
}
