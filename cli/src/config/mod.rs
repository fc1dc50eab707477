//! The TOML configuration: the sources, where each one's credentials come from, how to reach
//! it, and the audit policy. Every error names the file, the line where it can, the source and
//! the key, and never quotes a value.

mod connection;
mod policy;
mod rotation;
mod secret;
mod sources;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use connection::Connection;
pub use policy::{PolicyConfig, days};
pub use rotation::{SinkSettings, Span, VaultSettings};
pub use secret::{SecretRef, private};
pub use sources::{BambooSource, EntuitySource, InsightSource, MagpieSource, Source};

use crate::failure::Failure;

/// A parsed configuration file.
#[derive(Debug)]
pub struct Config {
    /// Where it was read from, for messages.
    pub path: PathBuf,
    /// The sources, by name, in name order.
    pub sources: BTreeMap<String, Source>,
    /// How to reach each source: timeouts, TLS, proxy.
    pub connections: BTreeMap<String, Connection>,
    /// The audit policy, when the file has one.
    pub policy: Option<PolicyConfig>,
    /// Where the history is kept, and for how long.
    pub history: HistoryConfig,
    /// `state_dir`: where the tool keeps what it remembers between runs (the history, command
    /// sinks' ledgers), as written.
    pub state_dir: Option<PathBuf>,
}

/// `[history]`: where inventories are remembered, and for how long.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryConfig {
    /// The store's file (relative to the configuration's directory); default
    /// `STATE_DIR/history.sqlite`, else `$XDG_DATA_HOME/access-tokens/history.sqlite`, else
    /// `~/.local/share/…`.
    pub path: Option<PathBuf>,
    /// How many days of runs are kept (default 400).
    pub retention_days: Option<u64>,
}

impl Config {
    /// The history store's file: `[history] path`, else in `state_dir`, else in the XDG data
    /// directory.
    pub fn history_path(&self) -> Result<PathBuf, Failure> {
        if let Some(path) = &self.history.path {
            return Ok(self.relative(path));
        }
        match self.home_of("XDG_DATA_HOME", ".local/share") {
            Some(directory) => Ok(directory.join("history.sqlite")),
            None => Err(Failure::config(format!(
                "{}: no HOME or XDG_DATA_HOME for the history: set `state_dir`, or `path` under \
                 [history], or pass --no-record",
                self.path.display()
            ))),
        }
    }

    /// Where the command sink of the source `name` keeps its ledger and lock, unless its
    /// `state` says: in `state_dir`, else in the XDG state directory.
    pub fn sink_state_path(&self, name: &str) -> Option<PathBuf> {
        self.home_of("XDG_STATE_HOME", ".local/state").map(|directory| directory.join(name))
    }

    /// `state_dir`, else `$variable/access-tokens`, else `~/fallback/access-tokens`: the XDG
    /// base directory for a kind of file, unless the configuration keeps everything in one.
    fn home_of(&self, variable: &str, fallback: &str) -> Option<PathBuf> {
        if let Some(directory) = &self.state_dir {
            return Some(self.relative(directory));
        }
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let base = var(variable).or_else(|| var("HOME").map(|home| home.join(fallback)))?;
        Some(base.join("access-tokens"))
    }
}

/// What a credential or setting is read for, to name it in errors.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    /// The configuration file.
    pub path: &'a Path,
    /// The source.
    pub source: &'a str,
    /// The key in the source.
    pub key: &'a str,
}

impl std::fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: source `{}`, key `{}`", self.path.display(), self.source, self.key)
    }
}

/// Creates `directory` and its parents where missing, readable by this user alone: where the
/// tool keeps its state and history.
pub fn private_directory(directory: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(directory)
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

    /// Reads and parses `path`, refusing a file others may change: it says where credentials
    /// come from and which commands run after a rotation.
    pub fn load(path: &Path) -> Result<Self, Failure> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|error| Failure::config(format!("{shown}: {error}")))?;
        writable_by_owner_only(path)?;
        Self::parse(path, &text)
    }

    /// Parses `text`, read from `path`. Every source's mistakes are reported at once.
    pub fn parse(path: &Path, text: &str) -> Result<Self, Failure> {
        let shown = path.display();
        // The message and the line, not the line's text, which may hold a mistaken secret.
        let mut table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
            let line = error.span().map_or(0, |span| text[..span.start].matches('\n').count() + 1);
            Failure::config(format!("{shown}:{line}: {}", error.message()))
        })?;
        let mut problems = Vec::new();
        let policy = take_table(&mut table, "policy", text, &shown, &mut problems);
        let history: HistoryConfig =
            take_table(&mut table, "history", text, &shown, &mut problems).unwrap_or_default();
        let state_dir = match table.remove("state_dir") {
            None => None,
            Some(toml::Value::String(directory)) if !directory.is_empty() => {
                Some(PathBuf::from(directory))
            }
            Some(_) => {
                let line = line_of(text, &[], "state_dir");
                problems.push(format!("{shown}{line}: `state_dir` must be a directory's path"));
                None
            }
        };
        let mut sources = BTreeMap::new();
        let mut connections = BTreeMap::new();
        match table.remove("sources") {
            None => {}
            Some(toml::Value::Table(entries)) => {
                for (name, value) in entries {
                    let toml::Value::Table(mut entry) = value else {
                        problems.push(format!("{shown}: source `{name}` must be a table"));
                        continue;
                    };
                    let connection = Connection::take_from(&mut entry);
                    match connection
                        .and_then(|connection| Ok((connection, Source::from_table(entry)?)))
                    {
                        Ok((connection, source)) => {
                            connections.insert(name.clone(), connection);
                            sources.insert(name, source);
                        }
                        Err((key, message)) if key.is_empty() => {
                            problems.push(format!("{shown}: source `{name}`: {message}"));
                        }
                        Err((key, message)) => {
                            let line = line_of(text, &["sources", &name], &key);
                            problems.push(format!(
                                "{shown}{line}: source `{name}`, key `{key}`: {message}"
                            ));
                        }
                    }
                }
            }
            Some(_) => problems.push(format!("{shown}: `sources` must be a table")),
        }
        if let Some(key) = table.keys().next() {
            problems.push(format!(
                "{shown}: unknown key `{key}` (expected `sources`, `policy`, `history` or `state_dir`)"
            ));
        }
        if !problems.is_empty() {
            return Err(Failure::config(problems.join("\n")));
        }
        Ok(Self { path: path.to_owned(), sources, connections, policy, history, state_dir })
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

    /// How to reach the source `name`.
    pub fn connection(&self, name: &str) -> &Connection {
        static DEFAULT: Connection = Connection::DEFAULT;
        self.connections.get(name).unwrap_or(&DEFAULT)
    }

    /// `path` as written in this configuration ([`resolve`]).
    pub fn relative(&self, path: &Path) -> PathBuf {
        resolve(&self.path, path)
    }

    /// A key of the source `source`, for messages.
    pub fn key<'a>(&'a self, source: &'a str, key: &'a str) -> Key<'a> {
        Key { path: &self.path, source, key }
    }
}

/// Refuses a configuration that its group or others may change, as ssh refuses such a
/// `config`: whoever can, can point a credential anywhere and run any command after a rotation.
#[cfg(unix)]
fn writable_by_owner_only(path: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(metadata) = std::fs::metadata(path) else { return Ok(()) };
    let mode = metadata.mode() & 0o777;
    if mode & 0o022 == 0 {
        return Ok(());
    }
    Err(Failure::config(format!(
        "{path} may be changed by others (mode {mode:04o}): run `chmod go-w {path}`",
        path = path.display()
    )))
}

#[cfg(not(unix))]
fn writable_by_owner_only(_: &Path) -> Result<(), Failure> {
    Ok(())
}

/// Takes the table `[name]` out of `table` and reads it as a `T`; `None` when it is absent,
/// or wrong (then `problems` says which key, on which line).
fn take_table<T: serde::de::DeserializeOwned>(
    table: &mut toml::Table,
    name: &str,
    text: &str,
    shown: &std::path::Display<'_>,
    problems: &mut Vec<String>,
) -> Option<T> {
    match serde_path_to_error::deserialize(table.remove(name)?) {
        Ok(value) => Some(value),
        Err(error) => {
            let key = error.path().to_string();
            let line = line_of(text, &[name], &key);
            problems
                .push(format!("{shown}{line}: [{name}], key `{key}`: {}", error.inner().message()));
            None
        }
    }
}

/// `:N`, the line of `key` (dotted, below the table `[table.…]`) in `text`, when it is written
/// there as `key = …`; else nothing.
fn line_of(text: &str, table: &[&str], key: &str) -> String {
    let mut segments: Vec<&str> = key.split('.').collect();
    let Some(last) = segments.pop() else { return String::new() };
    let header = format!("[{}]", [table, &segments[..]].concat().join("."));
    // A top-level key stands before the first table.
    let mut inside = table.is_empty() && segments.is_empty();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.starts_with('[') {
            inside = line.trim_end().starts_with(&header);
            continue;
        }
        if inside
            && let Some(rest) = line.strip_prefix(last)
            && rest.trim_start().starts_with('=')
        {
            return format!(":{}", index + 1);
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde::de::{Deserialize, Error as _, Visitor};

    use super::Config;

    /// The keys a configuration table of type `T` takes: the fields its `Deserialize` asks
    /// for (serde names them to `deserialize_struct`).
    fn keys_of<T: for<'de> Deserialize<'de>>() -> Vec<&'static str> {
        struct Keys<'k>(&'k mut Vec<&'static str>);
        impl<'de> serde::Deserializer<'de> for Keys<'_> {
            type Error = serde::de::value::Error;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
                Err(Self::Error::custom("not a struct"))
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Self::Error> {
                self.0.extend(fields);
                Err(Self::Error::custom("only its keys"))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        let mut keys = Vec::new();
        let _ = T::deserialize(Keys(&mut keys));
        assert!(!keys.is_empty(), "{} names its keys", std::any::type_name::<T>());
        keys
    }

    /// Every key the configuration takes is in the man page's CONFIGURATION and the README (in
    /// its text or its examples):
    /// a key added to a table and to neither fails here.
    #[test]
    fn every_key_is_documented() {
        let man = String::from_utf8(crate::help::man_page()).unwrap();
        let readme =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
                .unwrap();
        let keys = [
            keys_of::<super::Connection>(),
            keys_of::<super::HistoryConfig>(),
            keys_of::<super::PolicyConfig>(),
            keys_of::<super::rotation::RotationSettings>(),
            keys_of::<super::SinkSettings>(),
            keys_of::<super::rotation::VaultKeys>(),
            keys_of::<super::MagpieSource>(),
            keys_of::<super::BambooSource>(),
            keys_of::<super::EntuitySource>(),
            keys_of::<super::InsightSource>(),
            vec!["vendor", "state_dir"],
        ]
        .concat();
        let configuration = man.split("CONFIGURATION").nth(1).expect("the section");
        let configuration = configuration.split(".SH").next().unwrap();
        for key in keys {
            assert!(configuration.contains(key), "the man page's CONFIGURATION names `{key}`");
            let named =
                |before: &str, after: &str| readme.contains(&format!("{before}{key}{after}"));
            let in_text = named("`", "`") || named(".", "]`");
            let in_example = ["\n", "{ ", ", ", "`"].iter().any(|before| named(before, " = "));
            assert!(in_text || in_example, "the README names `{key}`");
        }
    }

    /// `state_dir` holds what the tool remembers, relative to the configuration, before the
    /// XDG directories; `[history] path` and a sink's `state` still say otherwise.
    #[test]
    fn state_dir_keeps_the_history_and_the_command_sinks_ledgers() {
        let path = Path::new("/etc/access-tokens/config.toml");
        let config = Config::parse(path, "state_dir = \"state\"\n").unwrap();
        assert_eq!(
            config.history_path().unwrap(),
            Path::new("/etc/access-tokens/state/history.sqlite")
        );
        assert_eq!(
            config.sink_state_path("entuity").unwrap(),
            Path::new("/etc/access-tokens/state/entuity")
        );
        let text = "state_dir = \"/var/lib/at\"\n[history]\npath = \"h.sqlite\"\n";
        let config = Config::parse(path, text).unwrap();
        assert_eq!(config.history_path().unwrap(), Path::new("/etc/access-tokens/h.sqlite"));
        let wrong = Config::parse(path, "\nstate_dir = 5\n").unwrap_err();
        let wrong = wrong.message().unwrap_or_default();
        assert!(wrong.contains("config.toml:2: `state_dir` must be a directory's path"), "{wrong}");
    }

    /// A wrong key in `[policy]` or `[history]` is named with its table and line, both at once
    /// (neither table holds a secret).
    #[test]
    fn a_wrong_policy_or_history_key_names_its_table_and_line() {
        let text = "[policy]\nappeared = \"loudly\"\n\n[history]\nretention_days = \"x1\"\n";
        let wrong = Config::parse(Path::new("c.toml"), text).unwrap_err();
        let wrong = wrong.message().unwrap_or_default();
        assert!(wrong.contains("c.toml:2: [policy], key `appeared`: "), "{wrong}");
        assert!(wrong.contains("c.toml:5: [history], key `retention_days`: "), "{wrong}");
    }
}
