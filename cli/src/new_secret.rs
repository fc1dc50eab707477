//! Where a secret a command creates is written, exactly once: a file created new with mode
//! 0600, or stdout when asked for.

use std::fs::File;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;

use access_tokens::Secret;
use serde::Serialize;

use crate::args::SecretOutput;
use crate::failure::Failure;
use crate::output::Out;
use crate::terminal;

/// What a create printed: where its secret went, never the secret.
#[derive(Debug, Serialize)]
pub struct Created<'a> {
    /// The source.
    pub source: &'a str,
    /// The new credential's id, where the answer names one.
    pub id: Option<String>,
    /// The file, or `"stdout"`.
    pub written_to: String,
}

/// Refuses, before the configuration is read or anything is sent, a destination the secret
/// could not reach or should not go to: `--stdout` with `--json`, a stdout that discards it
/// (closed, or `/dev/null`: the secret would be lost with exit 0) or fails every write
/// (`/dev/full`), a terminal unless confirmed (the secret stays in its scrollback), and a file
/// that exists.
pub fn check(output: &SecretOutput, json: bool, yes: bool) -> Result<(), Failure> {
    if output.stdout {
        if json {
            return Err(Failure::config("--stdout with --json: JSON never holds a secret".into()));
        }
        if let Some(device) = stdout_loses_writes() {
            return Err(Failure::config(format!(
                "--stdout: stdout is {device} (closed, or sent nowhere): the new secret would \
                 be lost; nothing was created"
            )));
        }
        if std::io::stdout().is_terminal() {
            terminal::confirm(
                yes,
                "Print the new secret on this terminal, where it stays in the scrollback?",
            )?;
        }
    }
    if let Some(path) = &output.output
        && path.exists()
    {
        return Err(exists(path));
    }
    Ok(())
}

/// Which device stdout is when it loses what is written to it: `/dev/null`, where a closed
/// stdout (`>&-`) is put before `main` runs, or `/dev/full`.
#[cfg(unix)]
fn stdout_loses_writes() -> Option<&'static str> {
    use std::os::fd::AsFd as _;
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
    let stdout = std::io::stdout().as_fd().try_clone_to_owned().ok()?;
    let metadata = std::fs::File::from(stdout).metadata().ok()?;
    if !metadata.file_type().is_char_device() {
        return None;
    }
    ["/dev/null", "/dev/full"].into_iter().find(|device| {
        std::fs::metadata(device).is_ok_and(|device| device.rdev() == metadata.rdev())
    })
}

#[cfg(not(unix))]
fn stdout_loses_writes() -> Option<&'static str> {
    None
}

fn exists(path: &std::path::Path) -> Failure {
    Failure::config(format!(
        "{}: exists; a new secret is never written over a file (nothing was created)",
        path.display()
    ))
}

/// Opens `output`, then runs `create`, which gives the new secret and its id, and writes the
/// secret: an existing file is refused before anything is created, and the empty file is
/// removed if the create fails.
pub async fn create(
    output: &SecretOutput,
    out: Out,
    source: &str,
    create: impl Future<Output = Result<(Secret, Option<String>), access_tokens::Error>>,
) -> Result<(), Failure> {
    let destination = Destination::open(output)?;
    let (secret, id) = match create.await {
        Ok(created) => created,
        Err(error) => {
            destination.abandon();
            return Err(Failure::call(source, &error));
        }
    };
    let named = id.as_deref().map_or_else(|| "a new token".to_owned(), |id| format!("token {id}"));
    let written = destination.write(&secret, &format!("{named} of source `{source}`"))?;
    let shown = Created { source, id, written_to: written };
    let human = format!("{source}: created {named}; its secret is in {}\n", shown.written_to);
    if output.stdout {
        // Stdout holds the secret alone.
        out.warn(human.trim_end());
        return Ok(());
    }
    out.show(&shown, || human)
}

/// The destination, opened before anything is created, so that a file that exists is refused
/// while there is nothing to lose.
#[derive(Debug)]
pub enum Destination {
    /// A file created new, still empty.
    File(File, PathBuf),
    /// Stdout.
    Stdout,
}

impl Destination {
    /// Opens `output`: creates the file (mode 0600, refusing an existing one), or takes
    /// stdout.
    pub fn open(output: &SecretOutput) -> Result<Self, Failure> {
        let Some(path) = &output.output else { return Ok(Self::Stdout) };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(file) => Ok(Self::File(file, path.clone())),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Err(exists(path)),
            Err(error) => Err(Failure::config(format!("{}: {error}", path.display()))),
        }
    }

    /// Removes the empty file: the secret was not created.
    pub fn abandon(self) {
        if let Self::File(file, path) = self {
            drop(file);
            let _ = std::fs::remove_file(path);
        }
    }

    /// Writes `secret` and a newline, synced, and says where: the file, or `stdout`.
    /// `created` names the new credential, for the message if the write fails: the
    /// credential then exists, and nobody holds it.
    pub fn write(self, secret: &Secret, created: &str) -> Result<String, Failure> {
        let lost = |error: std::io::Error| {
            Failure::Failed(format!(
                "{created} was created, but its secret could not be written ({error}): \
                 delete or revoke it"
            ))
        };
        match self {
            Self::File(mut file, path) => {
                file.write_all(secret.expose_secret().as_bytes())
                    .and_then(|()| file.write_all(b"\n"))
                    .and_then(|()| file.sync_all())
                    .map_err(lost)?;
                Ok(path.display().to_string())
            }
            Self::Stdout => {
                let mut stdout = std::io::stdout().lock();
                writeln!(stdout, "{}", secret.expose_secret())
                    .and_then(|()| stdout.flush())
                    .map_err(lost)?;
                Ok("stdout".into())
            }
        }
    }
}
