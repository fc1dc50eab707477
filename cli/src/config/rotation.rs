//! `[sources.NAME.rotation]` and `[sources.NAME.sink]`: how `rotate` runs for a source, and
//! where it writes the new secret.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::connection::Connection;
use super::secret::SecretRef;

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
    /// How often `serve` rotates the source (`"30d"`); never by default.
    pub rotate_every: Option<Span>,
}

/// `[sources.<name>.sink]`: where `rotate` writes the new secret: a `file`, a `vault` secret,
/// or a `command`; one of them.
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
    /// A KV version 2 secret in Vault or OpenBao.
    pub vault: Option<VaultSettings>,
    /// A command run once per stage, the stage its last argument, the secret on its stdin.
    pub command: Option<Vec<String>>,
    /// The variables of the tool's environment the command gets (its store's address and
    /// token), besides PATH, HOME and the locale.
    #[serde(default)]
    pub env: Vec<String>,
    /// How long each of the command's stages may run (default 60 s).
    pub timeout: Option<Span>,
    /// Where the command sink's ledger and lock are kept (`FILE.rotation`, `FILE.lock`);
    /// default: `$XDG_STATE_HOME/access-tokens/SOURCE`.
    pub state: Option<PathBuf>,
}

/// `vault = { … }` under `[sources.<name>.sink]`: the secret, and how to reach the server.
#[derive(Debug, Clone)]
pub struct VaultSettings {
    /// The server, `https://vault.example.com:8200`; default `$VAULT_ADDR`, else `$BAO_ADDR`.
    pub address: Option<String>,
    /// The KV version 2 mount (default `secret`).
    pub mount: Option<String>,
    /// The secret's path in the mount (`app/token`).
    pub path: String,
    /// The field that holds the token (default `token`).
    pub field: Option<String>,
    /// The Vault Enterprise namespace.
    pub namespace: Option<String>,
    /// The Vault token; default `{ env = "VAULT_TOKEN" }`, else `BAO_TOKEN`.
    pub token: Option<SecretRef>,
    /// `timeout`, `ca_file`, `proxy`, … as for a source.
    pub connection: Connection,
}

/// The keys of `vault = { … }` but the connection's, which a source's table has too.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct VaultKeys {
    address: Option<String>,
    mount: Option<String>,
    path: String,
    field: Option<String>,
    namespace: Option<String>,
    token: Option<SecretRef>,
}

impl<'de> Deserialize<'de> for VaultSettings {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut table = toml::Table::deserialize(deserializer)?;
        let connection = Connection::take_from(&mut table)
            .map_err(|(key, why)| D::Error::custom(format!("`{key}`: {why}")))?;
        let keys = VaultKeys::deserialize(toml::Value::Table(table)).map_err(D::Error::custom)?;
        let VaultKeys { address, mount, path, field, namespace, token } = keys;
        Ok(Self { address, mount, path, field, namespace, token, connection })
    }
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
