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

/// Stores a rotation's new secret. The rotation goes on only once `store` returns `Ok`, so
/// `Ok` must mean the value is durably kept (written and synced, committed to a vault); on an
/// error, the rotation retires the new credential again and touches none of the old ones.
///
/// A sink's error is shown in the rotation's [`Report`](super::Report): it must not hold the
/// secret.
pub trait Sink {
    /// Stores `credential`'s secret, returning once it is durably kept.
    fn store(&self, credential: &NewCredential<'_>) -> impl Future<Output = io::Result<()>> + Send;
}

/// Keeps the secret in a file, replacing it whole or not at all: the value is written to a new
/// file next to it (mode 0600 on Unix, created new so that nothing else can have opened it),
/// synced, and renamed into place, and the directory is synced. A crash at any point leaves
/// either the old file or the new one, never a half-written one.
///
/// The file holds the secret and a newline. Writing blocks the task for the few milliseconds
/// a small file's sync takes.
#[derive(Debug, Clone)]
pub struct FileSink {
    path: PathBuf,
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
        Self { path: path.into() }
    }

    /// The file the secret is written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write(&self, secret: &Secret) -> io::Result<()> {
        let directory = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let name = self.path.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the sink's path names no file")
        })?;
        let suffix = access_tokens_runtime::random::bits();
        let staged = directory.join(format!(".{}.{suffix:016x}.new", name.to_string_lossy()));
        let written = write_new(&staged, secret)
            .and_then(|()| std::fs::rename(&staged, &self.path))
            .and_then(|()| sync_directory(directory));
        if written.is_err() {
            // Nothing to do if it is gone already.
            let _ = std::fs::remove_file(&staged);
        }
        written
    }
}

impl Sink for FileSink {
    async fn store(&self, credential: &NewCredential<'_>) -> io::Result<()> {
        self.write(credential.secret)
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
