//! The TOML configuration: the sources, where each one's credentials come from, and the audit
//! policy. Every error names the file, the source and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use access_tokens::inventory::Policy;
use access_tokens::{Secret, bamboo, insight};
use serde::Deserialize;

use crate::failure::Failure;

/// A parsed configuration file.
#[derive(Debug)]
pub struct Config {
    /// Where it was read from, for messages.
    pub path: PathBuf,
    /// The sources, by name, in name order.
    pub sources: BTreeMap<String, Source>,
    /// The audit policy, when the file has one.
    pub policy: Option<PolicyConfig>,
}

/// One source: a vendor's server and an account on it.
#[derive(Debug, Deserialize)]
#[serde(tag = "vendor", rename_all = "lowercase")]
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

/// `[sources.<name>.rotation]`: how `rotate` runs for a source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationSettings {
    /// `"replaced"` (the default: what the sink held, and what earlier runs left) or `"all"`
    /// (every other token of the target).
    #[serde(default)]
    pub retire: access_tokens::rotation::Retire,
    /// How long the replaced token keeps working once the new one is current (`"2h"`).
    pub retire_after: Option<Span>,
    /// The new token's lifetime in days, where the vendor lets it be chosen (Entuity);
    /// default: the replaced token's.
    pub lifetime_days: Option<u64>,
    /// A command run once the new secret is current, before anything is retired (`["systemctl",
    /// "reload", "app"]`); it gets the secret's file path, never the secret.
    pub after_promote: Option<Vec<String>>,
    /// The rotation's name, which marks the tokens it creates (default: the source's name).
    pub name: Option<String>,
}

/// `[sources.<name>.sink]`: where `rotate` writes the new secret.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkSettings {
    /// The file the application reads the secret from; `-o FILE` overrides it. Relative to the
    /// configuration's directory.
    pub file: Option<PathBuf>,
    /// The file's mode (`"0640"`), instead of the existing file's (or 0600 for a new one).
    pub mode: Option<Mode>,
    /// The file's group (a name or a number), instead of the existing file's.
    pub group: Option<GroupRef>,
}

/// A span of time written as a number and a unit: `"90s"`, `"15m"`, `"2h"`, `"7d"`, `"2w"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub Duration);

impl std::str::FromStr for Span {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: u64 =
            number.parse().map_err(|_| format!("`{text}` is not a span like \"2h\""))?;
        let seconds = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return Err(format!("`{text}`: a span's unit is s, m, h, d or w")),
        };
        Ok(Self(Duration::from_secs(number.saturating_mul(seconds))))
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// Permission bits written in octal: `"0640"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode(pub u32);

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match u32::from_str_radix(&text, 8) {
            Ok(bits) if bits <= 0o7777 => Ok(Self(bits)),
            _ => Err(serde::de::Error::custom(format!("`{text}` is not a mode like \"0640\""))),
        }
    }
}

/// A group, by name (looked up in `/etc/group`) or number.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum GroupRef {
    /// A group id.
    Id(u32),
    /// A group name.
    Name(String),
}

impl GroupRef {
    /// The group's id.
    pub fn id(&self) -> Result<u32, String> {
        match self {
            Self::Id(id) => Ok(*id),
            Self::Name(name) => {
                if let Ok(id) = name.parse() {
                    return Ok(id);
                }
                let groups = std::fs::read_to_string("/etc/group")
                    .map_err(|e| format!("cannot read /etc/group for group `{name}`: {e}"))?;
                groups
                    .lines()
                    .filter_map(|line| {
                        let mut fields = line.split(':');
                        let found = fields.next()?;
                        let id = fields.nth(1)?.parse().ok()?;
                        (found == name).then_some(id)
                    })
                    .next()
                    .ok_or_else(|| format!("no group `{name}` in /etc/group"))
            }
        }
    }
}

/// `[policy]`: the audit's rules; any left out are the recommended policy's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    max_age_days: Option<u64>,
    max_idle_days: Option<u64>,
    expiring_within_days: Option<u64>,
    #[serde(default)]
    require_expiry: bool,
    max_tokens_per_account: Option<usize>,
}

/// `n` days.
pub fn days(n: u64) -> Duration {
    Duration::from_secs(n.saturating_mul(24 * 60 * 60))
}

impl PolicyConfig {
    /// The longest a token may live: `max_age_days`, the cap on a rotated token's lifetime.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age_days.map(days)
    }

    /// The policy: the recommended one, with what this sets.
    pub fn policy(&self) -> Policy {
        let mut policy = Policy::recommended();
        if let Some(n) = self.max_age_days {
            policy = policy.max_age(days(n));
        }
        if let Some(n) = self.max_idle_days {
            policy = policy.max_idle(days(n));
        }
        if let Some(n) = self.expiring_within_days {
            policy = policy.expiring_within(days(n));
        }
        if self.require_expiry {
            policy = policy.require_expiry();
        }
        if let Some(max) = self.max_tokens_per_account {
            policy = policy.max_tokens_per_account(max);
        }
        policy
    }

    /// This, with the audit's flags on top.
    pub fn with_flags(mut self, flags: &crate::args::AuditArgs) -> Self {
        self.max_age_days = flags.max_age_days.or(self.max_age_days);
        self.max_idle_days = flags.max_idle_days.or(self.max_idle_days);
        self.expiring_within_days = flags.expiring_within_days.or(self.expiring_within_days);
        self.require_expiry |= flags.require_expiry;
        self.max_tokens_per_account = flags.max_tokens_per_account.or(self.max_tokens_per_account);
        self
    }
}

/// Where a credential comes from: `{ env = "NAME" }`, `{ file = "path" }` or
/// `{ prompt = "text" }`. Never the configuration itself.
#[derive(Debug, Clone)]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A file, whose trailing newline is dropped.
    File(PathBuf),
    /// A prompt on the terminal, without echo.
    Prompt(String),
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        // Read as a value first: a mistaken literal secret must not be quoted in the error.
        let value = toml::Value::deserialize(deserializer)?;
        let toml::Value::Table(table) = value else {
            return Err(D::Error::custom(
                "a credential is never written in the configuration: use { env = \"NAME\" }, \
                 { file = \"path\" } or { prompt = \"text\" }",
            ));
        };
        let mut entries = table.into_iter();
        match (entries.next(), entries.next()) {
            (Some((kind, toml::Value::String(text))), None) => match kind.as_str() {
                "env" => Ok(Self::Env(text)),
                "file" => Ok(Self::File(text.into())),
                "prompt" => Ok(Self::Prompt(text)),
                other => Err(D::Error::custom(format!(
                    "`{other}`: a credential comes from `env`, `file` or `prompt`"
                ))),
            },
            _ => Err(D::Error::custom(
                "a credential is one of { env = \"NAME\" }, { file = \"path\" } or \
                 { prompt = \"text\" }",
            )),
        }
    }
}

/// `path` as written in the configuration at `config`: `~/` is the home directory, and a
/// relative path is relative to the configuration's directory, so that it means the same
/// under cron as in a shell.
pub fn resolve(config: &Path, path: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(home) = std::env::var_os("HOME").filter(|home| !home.is_empty())
    {
        return PathBuf::from(home).join(rest);
    }
    match config.parent() {
        Some(directory) if path.is_relative() => directory.join(path),
        _ => path.to_owned(),
    }
}

/// What a credential is read for, to name it in errors.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    /// The configuration file.
    pub path: &'a Path,
    /// The source.
    pub source: &'a str,
    /// The key in the source.
    pub key: &'static str,
}

impl std::fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: source `{}`, key `{}`", self.path.display(), self.source, self.key)
    }
}

impl SecretRef {
    /// Reads the credential. An empty one is refused here rather than sent to fail as a 401.
    pub fn read(&self, key: Key<'_>) -> Result<Secret, Failure> {
        let refused = |why: String| Err(Failure::config(format!("{key}: {why}")));
        match self {
            Self::Env(name) => match std::env::var(name) {
                Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
                _ => refused(format!("the environment variable {name} is not set")),
            },
            Self::File(path) => match std::fs::read_to_string(resolve(key.path, path)) {
                Ok(mut value) => {
                    let kept = value.trim_end_matches(['\r', '\n']).len();
                    value.truncate(kept);
                    if value.is_empty() {
                        return refused(format!("{} is empty", path.display()));
                    }
                    Ok(Secret::new(value))
                }
                Err(error) => refused(format!("cannot read {}: {error}", path.display())),
            },
            Self::Prompt(text) => {
                use std::io::IsTerminal as _;
                // rpassword asks and reads on the controlling terminal, not on stdin, so
                // `revoke-leaked` can take its value from a pipe while a person answers.
                // With neither end a terminal there is nobody to ask.
                if !std::io::stdin().is_terminal() && !std::io::stderr().is_terminal() {
                    return refused(
                        "cannot prompt for it: neither stdin nor stderr is a terminal".into(),
                    );
                }
                match rpassword::prompt_password(format!("{text}: ")) {
                    Ok(answer) if !answer.is_empty() => Ok(Secret::new(answer)),
                    Ok(_) => refused("nothing was entered".into()),
                    Err(error) => refused(format!("cannot prompt for it: {error}")),
                }
            }
        }
    }
}

impl Config {
    /// The file `--config` names, else the default location's.
    pub fn location(flag: Option<&Path>) -> Result<PathBuf, Failure> {
        if let Some(path) = flag {
            return Ok(path.to_owned());
        }
        let var =
            |name| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from);
        if let Some(path) = var("ACCESS_TOKENS_CONFIG") {
            return Ok(path);
        }
        let base = var("XDG_CONFIG_HOME").or_else(|| var("HOME").map(|home| home.join(".config")));
        match base {
            Some(base) => Ok(base.join("access-tokens").join("config.toml")),
            None => Err(Failure::config(
                "no configuration: pass --config FILE or set ACCESS_TOKENS_CONFIG".into(),
            )),
        }
    }

    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Self, Failure> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|error| Failure::config(format!("{shown}: {error}")))?;
        Self::parse(path, &text)
    }

    /// Parses `text`, read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, Failure> {
        let shown = path.display();
        // The message and the line, not the line's text, which may hold a mistaken secret.
        let mut table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
            let line = error.span().map_or(0, |span| text[..span.start].matches('\n').count() + 1);
            Failure::config(format!("{shown}:{line}: {}", error.message()))
        })?;
        let policy = match table.remove("policy") {
            None => None,
            Some(value) => Some(PolicyConfig::deserialize(value).map_err(|error| {
                Failure::config(format!("{shown}: [policy]: {}", error.message()))
            })?),
        };
        let mut sources = BTreeMap::new();
        match table.remove("sources") {
            None => {}
            Some(toml::Value::Table(entries)) => {
                for (name, value) in entries {
                    let source = Source::deserialize(value).map_err(|error| {
                        Failure::config(format!("{shown}: source `{name}`: {}", error.message()))
                    })?;
                    sources.insert(name, source);
                }
            }
            Some(_) => {
                return Err(Failure::config(format!("{shown}: `sources` must be a table")));
            }
        }
        if let Some(key) = table.keys().next() {
            return Err(Failure::config(format!(
                "{shown}: unknown key `{key}` (expected `sources` or `policy`)"
            )));
        }
        Ok(Self { path: path.to_owned(), sources, policy })
    }

    /// The source named `name`.
    pub fn source(&self, name: &str) -> Result<&Source, Failure> {
        self.sources.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.sources.keys().map(String::as_str).collect();
            Failure::config(format!(
                "{}: no source `{name}` (sources: {})",
                self.path.display(),
                if known.is_empty() { "none".into() } else { known.join(", ") }
            ))
        })
    }

    /// `path` as written in this configuration ([`resolve`]).
    pub fn relative(&self, path: &Path) -> PathBuf {
        resolve(&self.path, path)
    }

    /// A key of the source `source`, for messages.
    pub fn key<'a>(&'a self, source: &'a str, key: &'static str) -> Key<'a> {
        Key { path: &self.path, source, key }
    }
}
