//! Where a rotation hands the new secret before it goes on: a [`Sink`] the caller supplies, or
//! the [`FileSink`] provided.

use std::future::Future;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::Secret;
use crate::inventory::{TokenId, Vendor};

/// A new credential, for a [`Sink`] to store.
#[derive(Debug)]
#[non_exhaustive]
pub struct NewCredential<'a> {
    /// The product it is for.
    pub vendor: Vendor,
    /// Its id, where the vendor's answer names it (Magpie's does not: the rotation finds it
    /// after the credential is stored).
    pub id: Option<&'a TokenId>,
    /// The secret: the only copy there is.
    pub secret: &'a Secret,
}

/// Keeps a rotation's new secret: pending first, current once it has passed its check, like
/// AWS Secrets Manager's `AWSPENDING` and `AWSCURRENT` stages.
///
/// The rotation goes on only once `store` returns `Ok`, so `Ok` must mean the value is durably
/// kept (written and synced, committed to a vault); on an error, the rotation retires the new
/// credential again and touches none of the old ones. A sink whose `store` makes the secret
/// current at once need not implement the other two methods.
///
/// A sink's error is shown in the rotation's [`Report`](super::Report): it must not hold the
/// secret.
pub trait Sink {
    /// Stores `credential`'s secret as the pending one, leaving the current one as it is, and
    /// returns once it is durably kept.
    fn store(&self, credential: &NewCredential<'_>) -> impl Future<Output = io::Result<()>> + Send;

    /// Makes the pending secret the current one too, keeping it pending until
    /// [`finish`](Self::finish). Called once the new credential has passed its check, before
    /// any old one is retired; an error stops the rotation there. Called again when a
    /// rotation resumes, so it must do no harm the second time.
    fn promote(&self) -> impl Future<Output = io::Result<()>> + Send {
        std::future::ready(Ok(()))
    }

    /// Forgets the pending secret: every other credential is confirmed retired.
    fn finish(&self) -> impl Future<Output = io::Result<()>> + Send {
        std::future::ready(Ok(()))
    }

    /// The pending secret of a rotation that has not finished, so that running it again
    /// resumes with that secret rather than creating another. Default: none.
    fn pending(&self) -> impl Future<Output = io::Result<Option<Secret>>> + Send {
        std::future::ready(Ok(None))
    }
}

/// Keeps the secret in a file, and the pending one, until the rotation finishes, in the file
/// named the same with `.pending` appended. Each is replaced whole or not at all: the value is
/// written to a new file beside them (mode 0600 on Unix, created new so that nothing else can
/// have opened it), synced, and renamed into place, and the directory is synced. A crash at
/// any point leaves each file old or new, never half-written.
///
/// Each file holds the secret and a newline. Writing blocks the task for the few
/// milliseconds a small file's sync takes.
#[derive(Debug, Clone)]
pub struct FileSink {
    path: PathBuf,
    pending: PathBuf,
}

impl<'a> NewCredential<'a> {
    /// A credential of `vendor` with `secret`, and its id if known: for testing a sink.
    pub fn new(vendor: Vendor, id: Option<&'a TokenId>, secret: &'a Secret) -> Self {
        Self { vendor, id, secret }
    }
}

impl FileSink {
    /// A sink writing to `path`, whose directory must exist.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let mut pending = path.clone().into_os_string();
        pending.push(".pending");
        Self { path, pending: pending.into() }
    }

    /// The file the current secret is in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file the pending secret is in until it is promoted.
    pub fn pending_path(&self) -> &Path {
        &self.pending
    }

    fn directory(&self) -> &Path {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        }
    }

    /// Writes `secret` to `target`, whole or not at all.
    fn replace(&self, target: &Path, secret: &Secret) -> io::Result<()> {
        let name = self.path.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the sink's path names no file")
        })?;
        let suffix = access_tokens_runtime::random::bits();
        let staged =
            self.directory().join(format!(".{}.{suffix:016x}.new", name.to_string_lossy()));
        let written = write_new(&staged, secret)
            .and_then(|()| std::fs::rename(&staged, target))
            .and_then(|()| sync_directory(self.directory()));
        if written.is_err() {
            // Nothing to do if it is gone already.
            let _ = std::fs::remove_file(&staged);
        }
        written
    }
}

impl Sink for FileSink {
    async fn store(&self, credential: &NewCredential<'_>) -> io::Result<()> {
        self.replace(&self.pending, credential.secret)
    }

    async fn promote(&self) -> io::Result<()> {
        let pending = self.pending().await?.ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "no pending secret to promote")
        })?;
        self.replace(&self.path, &pending)
    }

    async fn finish(&self) -> io::Result<()> {
        match std::fs::remove_file(&self.pending) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            removed => removed.and_then(|()| sync_directory(self.directory())),
        }
    }

    async fn pending(&self) -> io::Result<Option<Secret>> {
        match std::fs::read_to_string(&self.pending) {
            Ok(mut value) => {
                if value.ends_with('\n') {
                    value.pop();
                }
                Ok(Some(Secret::new(value)))
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// Writes `secret` to a file that must not exist yet, readable by its owner only, and syncs it.
fn write_new(path: &Path, secret: &Secret) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(secret.expose_secret().as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// Makes a rename in `directory` durable (a no-op where directories cannot be opened).
fn sync_directory(directory: &Path) -> io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(directory)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = directory;
    Ok(())
}
