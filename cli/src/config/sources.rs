//! Each vendor's source: a server and an account on it, and what `rotate` replaces there.

use access_tokens::inventory::Vendor;
use access_tokens::{bamboo, insight};
use serde::Deserialize;

use super::rotation::{RotationSettings, SinkSettings};
use super::secret::SecretRef;

/// One source: a vendor's server and an account on it. Read by [`Source::from_table`]: the
/// `vendor` key picks the table's shape.
#[derive(Debug)]
pub enum Source {
    /// Silect Magpie.
    Magpie(MagpieSource),
    /// Agent APIs for Bamboo.
    Bamboo(BambooSource),
    /// Entuity.
    Entuity(EntuitySource),
    /// Insight.io.
    Insight(InsightSource),
}

impl Source {
    /// Reads a `[sources.NAME]` table: its `vendor`, then the rest as that vendor's source.
    /// An error is the key it is about (empty for the table itself) and why, quoting no value.
    pub fn from_table(mut table: toml::Table) -> Result<Self, (String, String)> {
        fn read<T: serde::de::DeserializeOwned>(table: toml::Table) -> Result<T, (String, String)> {
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|error| {
                let key = error.path().to_string();
                let key = if key == "." { String::new() } else { key };
                (key, error.inner().message().to_owned())
            })
        }
        let vendor = match table.remove("vendor") {
            Some(toml::Value::String(vendor)) => vendor,
            Some(_) => return Err(("vendor".into(), "the vendor is a string".into())),
            None => return Err((String::new(), "missing `vendor`".into())),
        };
        match vendor.as_str() {
            "magpie" => read(table).map(Self::Magpie),
            "bamboo" => read(table).map(Self::Bamboo),
            "entuity" => read(table).map(Self::Entuity),
            "insight" => read(table).map(Self::Insight),
            _ => Err((
                "vendor".into(),
                "unknown vendor, expected `magpie`, `bamboo`, `entuity` or `insight`".into(),
            )),
        }
    }

    /// The product.
    pub fn vendor(&self) -> Vendor {
        match self {
            Self::Magpie(_) => Vendor::Magpie,
            Self::Bamboo(_) => Vendor::Bamboo,
            Self::Entuity(_) => Vendor::Entuity,
            Self::Insight(_) => Vendor::Insight,
        }
    }

    /// The server's URL (Magpie: or an organization), as written.
    pub fn url(&self) -> &str {
        match self {
            Self::Magpie(source) => &source.url,
            Self::Bamboo(source) => &source.url,
            Self::Entuity(source) => &source.url,
            Self::Insight(source) => &source.url,
        }
    }

    /// Whose tokens the source is about, as the configuration names it.
    pub fn account(&self) -> Option<&str> {
        match self {
            Self::Magpie(source) => source.service_account.as_deref().or(source.user.as_deref()),
            Self::Bamboo(source) => source.token_name.as_deref(),
            Self::Entuity(source) => source.token_user.as_deref(),
            Self::Insight(source) => source.user.as_deref(),
        }
    }

    /// Every credential the source names, by key.
    pub fn credentials(&self) -> Vec<(&'static str, &SecretRef)> {
        fn set<'a>(
            key: &'static str,
            reference: &'a Option<SecretRef>,
        ) -> Option<(&'static str, &'a SecretRef)> {
            reference.as_ref().map(|reference| (key, reference))
        }
        match self {
            Self::Magpie(source) => [
                set("password", &source.password),
                set("personal_access_token", &source.personal_access_token),
                set("session_token", &source.session_token),
            ]
            .into_iter()
            .flatten()
            .collect(),
            Self::Bamboo(source) => vec![("password", &source.password)],
            Self::Entuity(source) => vec![("password", &source.password)],
            Self::Insight(source) => [
                set("api_token", &source.api_token),
                set("password", &source.password),
                set("session_cookie", &source.session_cookie),
            ]
            .into_iter()
            .flatten()
            .collect(),
        }
    }

    /// The source's rotation settings.
    pub fn rotation(&self) -> &RotationSettings {
        match self {
            Self::Magpie(source) => &source.rotation,
            Self::Bamboo(source) => &source.rotation,
            Self::Entuity(source) => &source.rotation,
            Self::Insight(source) => &source.rotation,
        }
    }

    /// The source's sink settings, if it has them.
    pub fn sink(&self) -> Option<&SinkSettings> {
        match self {
            Self::Magpie(source) => source.sink.as_ref(),
            Self::Bamboo(source) => source.sink.as_ref(),
            Self::Entuity(source) => source.sink.as_ref(),
            Self::Insight(source) => source.sink.as_ref(),
        }
    }
}

/// `vendor = "magpie"`: a user who logs in, by password or personal access token, or a
/// session token; `service_account` makes `rotate`, `inventory` and `audit` work on that
/// account's tokens (the user must be an administrator).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MagpieSource {
    /// An organization (`acme`) or a base URL.
    pub url: String,
    /// The user name, with `password`.
    pub user: Option<String>,
    /// The user's password.
    pub password: Option<SecretRef>,
    /// A personal access token to log in with, instead of a password.
    pub personal_access_token: Option<SecretRef>,
    /// A session token, instead of logging in.
    pub session_token: Option<SecretRef>,
    /// A service account whose tokens this source is about.
    pub service_account: Option<String>,
    /// `[sources.<name>.rotation]`: how `rotate` runs.
    #[serde(default)]
    pub rotation: RotationSettings,
    /// `[sources.<name>.sink]`: where `rotate` puts the new secret.
    pub sink: Option<SinkSettings>,
}

/// `vendor = "bamboo"`: an administrator; `token_name` (with `read` and `change`) names the
/// tokens `rotate` replaces.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BambooSource {
    /// The Bamboo base URL.
    pub url: String,
    /// The administrator's user name.
    pub user: String,
    /// The administrator's password.
    pub password: SecretRef,
    /// `"1.5"` (the default) or `"pre-1.5"`: which plugin paths the server serves.
    #[serde(default)]
    pub plugin: Plugin,
    /// The name of the tokens to rotate.
    pub token_name: Option<String>,
    /// The rotated token may read agents.
    #[serde(default)]
    pub read: bool,
    /// The rotated token may change agents.
    #[serde(default)]
    pub change: bool,
    /// `[sources.<name>.rotation]`: how `rotate` runs.
    #[serde(default)]
    pub rotation: RotationSettings,
    /// `[sources.<name>.sink]`: where `rotate` puts the new secret.
    pub sink: Option<SinkSettings>,
}

/// `plugin`: which release of the Bamboo plugin, and so which paths, a server has.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub enum Plugin {
    /// `"1.5"` or later.
    #[default]
    #[serde(rename = "1.5")]
    V1_5OrLater,
    /// `"pre-1.5"`.
    #[serde(rename = "pre-1.5")]
    Before1_5,
}

impl From<Plugin> for bamboo::PluginVersion {
    fn from(plugin: Plugin) -> Self {
        match plugin {
            Plugin::V1_5OrLater => Self::V1_5OrLater,
            Plugin::Before1_5 => Self::Before1_5,
        }
    }
}

/// `api_generation`: which of the vendor's two descriptions of the Insight.io API a server
/// follows.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApiGeneration {
    /// `"reference"`: the API reference's paths.
    #[default]
    Reference,
    /// `"user-guide"`: the user guide's paths.
    UserGuide,
}

impl From<ApiGeneration> for insight::ApiGeneration {
    fn from(generation: ApiGeneration) -> Self {
        match generation {
            ApiGeneration::Reference => Self::Reference,
            ApiGeneration::UserGuide => Self::UserGuide,
        }
    }
}

/// `vendor = "entuity"`: an administrator; `token_user` (and `token_description`) names the
/// tokens `rotate` replaces.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntuitySource {
    /// The Entuity server URL.
    pub url: String,
    /// The administrator's user name.
    pub user: String,
    /// The administrator's password.
    pub password: SecretRef,
    /// The user whose tokens are rotated.
    pub token_user: Option<String>,
    /// Only that user's tokens with this description are rotated.
    pub token_description: Option<String>,
    /// `[sources.<name>.rotation]`: how `rotate` runs.
    #[serde(default)]
    pub rotation: RotationSettings,
    /// `[sources.<name>.sink]`: where `rotate` puts the new secret.
    pub sink: Option<SinkSettings>,
}

/// `vendor = "insight"`: an API token to list and revoke with (point it at the file `rotate`
/// writes); a user and password to authenticate and rotate with, or a browser session cookie
/// to create tokens and rotate with.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsightSource {
    /// The Insight.io base URL.
    pub url: String,
    /// `"reference"` (the default) or `"user-guide"`: which of the vendor's paths it serves.
    #[serde(default)]
    pub api_generation: ApiGeneration,
    /// An API token.
    pub api_token: Option<SecretRef>,
    /// The user name, with `password`.
    pub user: Option<String>,
    /// The password.
    pub password: Option<SecretRef>,
    /// The user is an LDAP user.
    #[serde(default)]
    pub ldap: bool,
    /// A logged-in browser session's `Cookie` header.
    pub session_cookie: Option<SecretRef>,
    /// `[sources.<name>.rotation]`: how `rotate` runs.
    #[serde(default)]
    pub rotation: RotationSettings,
    /// `[sources.<name>.sink]`: where `rotate` puts the new secret.
    pub sink: Option<SinkSettings>,
}
