//! How to reach a source: the keys every vendor's source takes besides its own, mapped to the
//! SDK builders' settings.

use std::path::PathBuf;

use serde::Deserialize;

use super::Span;
use super::secret::SecretRef;

/// The connection keys of a `[sources.NAME]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Bounds each call (`"30s"`). Default: 30 s.
    pub timeout: Option<Span>,
    /// A PEM file of certificate authorities to trust besides the platform's.
    pub ca_file: Option<PathBuf>,
    /// An HTTP proxy (`http://proxy.example:3128`) instead of the environment's.
    pub proxy: Option<String>,
    /// The proxy's user name, with `proxy_password`.
    pub proxy_user: Option<String>,
    /// The proxy's password.
    pub proxy_password: Option<SecretRef>,
    /// A PEM file with the client certificate's chain, for servers that ask for one.
    pub client_cert: Option<PathBuf>,
    /// The PEM file with its private key, kept like a credential file (mode 0600).
    pub client_key: Option<PathBuf>,
    /// Allows plain `http://` to a host other than this machine: credentials then cross the
    /// network readable.
    #[serde(default)]
    pub allow_insecure_http: bool,
}

impl Connection {
    /// No connection key set.
    pub const DEFAULT: Self = Self {
        timeout: None,
        ca_file: None,
        proxy: None,
        proxy_user: None,
        proxy_password: None,
        client_cert: None,
        client_key: None,
        allow_insecure_http: false,
    };

    /// The keys a source table may have whatever its vendor.
    const KEYS: [&'static str; 8] = [
        "timeout",
        "ca_file",
        "proxy",
        "proxy_user",
        "proxy_password",
        "client_cert",
        "client_key",
        "allow_insecure_http",
    ];

    /// Takes the connection keys out of a source's table and reads them; the rest is the
    /// vendor's. An error is the key and why.
    pub fn take_from(table: &mut toml::Table) -> Result<Self, (String, String)> {
        let mut keys = toml::Table::new();
        for key in Self::KEYS {
            if let Some(value) = table.remove(key) {
                keys.insert(key.to_owned(), value);
            }
        }
        serde_path_to_error::deserialize(toml::Value::Table(keys))
            .map_err(|error| (error.path().to_string(), error.inner().message().to_owned()))
    }
}
