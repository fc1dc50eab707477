//! Where a credential comes from, and reading it: never from the configuration itself, and
//! never from a file others may read.

use std::path::PathBuf;

use access_tokens::Secret;
use serde::Deserialize;

use super::Key;
use crate::failure::Failure;

/// Where a credential comes from: `{ env = "NAME" }`, `{ file = "path" }` or
/// `{ prompt = "text" }`. Never the configuration itself.
#[derive(Debug, Clone)]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A file, whose trailing newline is dropped. It must be readable by its owner alone
    /// (mode 0600), or also by its group with `readable_by_group = true` (an application's
    /// file, 0640, that a rotation writes and the source lists with).
    File {
        /// The path, as written (relative to the configuration's directory, `~` the home).
        path: PathBuf,
        /// Whether its group may read it.
        readable_by_group: bool,
    },
    /// A prompt on the terminal, without echo.
    Prompt(String),
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        // Read as a value first: a mistaken literal secret must not be quoted in the error.
        let value = toml::Value::deserialize(deserializer)?;
        let toml::Value::Table(mut table) = value else {
            return Err(D::Error::custom(
                "a credential is never written in the configuration: use { env = \"NAME\" }, \
                 { file = \"path\" } or { prompt = \"text\" }",
            ));
        };
        let readable_by_group = match table.remove("readable_by_group") {
            None => None,
            Some(toml::Value::Boolean(allowed)) => Some(allowed),
            Some(_) => return Err(D::Error::custom("`readable_by_group` is true or false")),
        };
        let mut entries = table.into_iter();
        let reference = match (entries.next(), entries.next()) {
            (Some((kind, toml::Value::String(text))), None) => match kind.as_str() {
                "env" => Self::Env(text),
                "file" => Self::File {
                    path: text.into(),
                    readable_by_group: readable_by_group.unwrap_or(false),
                },
                "prompt" => Self::Prompt(text),
                other => {
                    return Err(D::Error::custom(format!(
                        "`{other}`: a credential comes from `env`, `file` or `prompt`"
                    )));
                }
            },
            _ => {
                return Err(D::Error::custom(
                    "a credential is one of { env = \"NAME\" }, { file = \"path\" } or \
                     { prompt = \"text\" }",
                ));
            }
        };
        if readable_by_group.is_some() && !matches!(reference, Self::File { .. }) {
            return Err(D::Error::custom("`readable_by_group` goes with `file` only"));
        }
        Ok(reference)
    }
}

impl SecretRef {
    /// The file it is read from, if it is one.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            Self::File { path, .. } => Some(path),
            Self::Env(_) | Self::Prompt(_) => None,
        }
    }

    /// Reads the credential. An empty one is refused here rather than sent to fail as a 401;
    /// so is a file others may read, as ssh refuses such a key.
    pub fn read(&self, key: Key<'_>) -> Result<Secret, Failure> {
        let refused = |why: String| Err(Failure::config(format!("{key}: {why}")));
        match self {
            Self::Env(name) => match std::env::var(name) {
                Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
                _ => refused(format!("the environment variable {name} is not set")),
            },
            Self::File { path, readable_by_group } => {
                let resolved = super::resolve(key.path, path);
                if let Err(why) = private(&resolved, *readable_by_group) {
                    return refused(why);
                }
                match std::fs::read_to_string(&resolved) {
                    Ok(mut value) => {
                        let kept = value.trim_end_matches(['\r', '\n']).len();
                        value.truncate(kept);
                        if value.is_empty() {
                            return refused(format!("{} is empty", path.display()));
                        }
                        Ok(Secret::new(value))
                    }
                    Err(error) => refused(format!("cannot read {}: {error}", path.display())),
                }
            }
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
                let answer = crate::terminal::prompt_hidden(&format!("{text}: "));
                match answer {
                    Ok(answer) if !answer.is_empty() => Ok(Secret::new(answer)),
                    Ok(_) => refused("nothing was entered".into()),
                    Err(error) => refused(format!("cannot prompt for it: {error}")),
                }
            }
        }
    }
}

/// Whether the file at `path` is its owner's alone (its group may read it if
/// `readable_by_group`); if not, why, and the command that fixes it.
#[cfg(unix)]
pub fn private(path: &std::path::Path, readable_by_group: bool) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt as _;
    // A file that is not there is reported by the read.
    let Ok(metadata) = std::fs::metadata(path) else { return Ok(()) };
    let mode = metadata.mode() & 0o777;
    let (loose, fix) = if readable_by_group { (0o037, "640") } else { (0o077, "600") };
    if mode & loose == 0 {
        return Ok(());
    }
    let hint = if readable_by_group {
        String::new()
    } else {
        ", or add `readable_by_group = true` to its `{ file = ... }` if an application reads \
         it through its group"
            .to_owned()
    };
    Err(format!(
        "{path} may be read or changed by others (mode {mode:04o}): run `chmod {fix} {path}`{hint}",
        path = path.display()
    ))
}

/// Files have no modes to check here.
#[cfg(not(unix))]
pub fn private(_: &std::path::Path, _: bool) -> Result<(), String> {
    Ok(())
}
