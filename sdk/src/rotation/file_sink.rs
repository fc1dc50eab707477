//! The sink provided: a secret in a file an application reads, kept as that application's file.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Ledger, NewCredential, Sink, SinkLock};
use crate::Secret;

/// Keeps the secret in a file, and the pending one, until the rotation finishes, in the file
/// named the same with `.pending` appended; the rotation's [`Ledger`] in `.rotation` and its
/// lock in `.lock` beside them. A pending secret that is not the target's is set aside in
/// `.pending.rejected`.
///
/// The file stays the application's file:
/// - Each file is replaced whole or not at all: the value is written to a new file beside it
///   (created new, so that nothing else can have opened it), synced, given its owner, group
///   and mode, and renamed into place, and the directory is synced. A crash at any point
///   leaves each file old or new, never half-written.
/// - An existing file keeps its owner, group and mode (a `0640 root:daemon` file stays so);
///   a new one is `0600`, owned by this process, unless [`mode`](Self::mode) and
///   [`group`](Self::group) say otherwise (they override an existing file's too).
/// - A path that is a symbolic link (as Kubernetes and many secret managers lay files out) is
///   followed: the file it points to is replaced, in its own directory, and the link stays.
/// - [`check`](Sink::check), run before anything is created, refuses a path where this cannot
///   be done (no directory, a directory in its place, an owner this process cannot give a
///   file) and says why.
///
/// Each file holds the secret and a newline. Writing blocks the task for the few
/// milliseconds a small file's sync takes.
#[derive(Debug, Clone)]
pub struct FileSink {
    path: PathBuf,
    mode: Option<u32>,
    group: Option<u32>,
}

/// Where the secret's file really is, and what every file written for it gets.
#[derive(Debug)]
struct Layout {
    /// The file, the path's last link followed.
    file: PathBuf,
    /// Its directory, where every file is staged and renamed.
    directory: PathBuf,
    /// The owner to give (an existing file's), or `None`: this process's.
    uid: Option<u32>,
    /// The group to give, or `None`: a new file's.
    gid: Option<u32>,
    /// Permission bits.
    mode: u32,
}

/// How many links a path may lead through before it is refused as a loop.
const MAX_LINKS: usize = 40;

impl FileSink {
    /// A sink writing to `path`, whose directory must exist.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), mode: None, group: None }
    }

    /// The permission bits every file gets (e.g. `0o640`), instead of the existing file's, or
    /// `0o600` for a new one. Unix only.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode & 0o7777);
        self
    }

    /// The group (by id) every file gets, instead of the existing file's, or this process's
    /// for a new one. Unix only.
    pub fn group(mut self, gid: u32) -> Self {
        self.group = Some(gid);
        self
    }

    /// The path the current secret is read from, as given (a link stays a link).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file the current secret is in: the path, its links followed.
    pub fn file(&self) -> io::Result<PathBuf> {
        let mut path = self.path.clone();
        for _ in 0..MAX_LINKS {
            match std::fs::symlink_metadata(&path) {
                Ok(metadata) if metadata.file_type().is_symlink() => {
                    let target = std::fs::read_link(&path)?;
                    path = match path.parent() {
                        Some(parent) if target.is_relative() => parent.join(target),
                        _ => target,
                    };
                }
                Ok(_) => return Ok(path),
                Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(path),
                Err(error) => return Err(error),
            }
        }
        Err(io::Error::other(format!("{}: too many links", self.path.display())))
    }

    /// The file the pending secret is in until it is promoted: beside the secret's file.
    pub fn pending_path(&self) -> io::Result<PathBuf> {
        Ok(beside(&self.file()?, ".pending"))
    }

    /// The file the rotation's ledger is in.
    pub fn ledger_path(&self) -> io::Result<PathBuf> {
        Ok(beside(&self.file()?, ".rotation"))
    }

    /// The file a rotation holds a lock on while it runs.
    pub fn lock_path(&self) -> io::Result<PathBuf> {
        Ok(beside(&self.file()?, ".lock"))
    }

    fn layout(&self) -> io::Result<Layout> {
        let file = self.file()?;
        let directory = match file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        let existing = match std::fs::metadata(&file) {
            Ok(metadata) if metadata.is_dir() => {
                let why = format!("{} is a directory", file.display());
                return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
            }
            Ok(metadata) => Some(metadata),
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(error),
        };
        let (uid, gid, mode) = ownership(existing.as_ref(), self.group, self.mode);
        Ok(Layout { file, directory, uid, gid, mode })
    }

    /// Writes `contents` to `target` in the layout's directory, whole or not at all.
    fn replace(&self, layout: &Layout, target: &Path, contents: &[u8]) -> io::Result<()> {
        let staged = staged_path(layout, target);
        let written = write_new(&staged, contents, layout)
            .and_then(|()| std::fs::rename(&staged, target))
            .and_then(|()| sync_directory(&layout.directory));
        if written.is_err() {
            // Nothing to do if it is gone already.
            let _ = std::fs::remove_file(&staged);
        }
        written
    }

    fn read(path: &Path) -> io::Result<Option<Secret>> {
        match std::fs::read_to_string(path) {
            Ok(mut value) => {
                let kept = value.trim_end_matches(['\r', '\n']).len();
                value.truncate(kept);
                Ok((!value.is_empty()).then(|| Secret::new(value)))
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }
}

impl Sink for FileSink {
    async fn store(&self, credential: &NewCredential<'_>) -> io::Result<()> {
        let layout = self.layout()?;
        let contents = format!("{}\n", credential.secret.expose_secret());
        self.replace(&layout, &beside(&layout.file, ".pending"), contents.as_bytes())
    }

    async fn promote(&self) -> io::Result<()> {
        let layout = self.layout()?;
        let pending = Self::read(&beside(&layout.file, ".pending"))?.ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "no pending secret to promote")
        })?;
        let contents = format!("{}\n", pending.expose_secret());
        self.replace(&layout, &layout.file, contents.as_bytes())
    }

    async fn finish(&self) -> io::Result<()> {
        let layout = self.layout()?;
        match std::fs::remove_file(beside(&layout.file, ".pending")) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            removed => removed.and_then(|()| sync_directory(&layout.directory)),
        }
    }

    async fn pending(&self) -> io::Result<Option<Secret>> {
        Self::read(&self.pending_path()?)
    }

    /// Renames the pending file to `.pending.rejected` (replacing an earlier one), in place.
    async fn set_aside_pending(&self) -> io::Result<()> {
        let layout = self.layout()?;
        let pending = beside(&layout.file, ".pending");
        std::fs::rename(&pending, beside(&pending, ".rejected"))?;
        sync_directory(&layout.directory)
    }

    async fn current(&self) -> io::Result<Option<Secret>> {
        Self::read(&self.file()?)
    }

    /// Stages an empty file in the directory with the owner, group and mode the secret's file
    /// gets, and removes it.
    async fn check(&self) -> io::Result<()> {
        let layout = self.layout()?;
        match std::fs::metadata(&layout.directory) {
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => {
                let why = format!("{} is not a directory", layout.directory.display());
                return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
            }
            Err(error) => {
                let why = format!("{}: {error}", layout.directory.display());
                return Err(io::Error::new(error.kind(), why));
            }
        }
        let probe = staged_path(&layout, &layout.file);
        let written = write_new(&probe, b"", &layout);
        let _ = std::fs::remove_file(&probe);
        written.map_err(|error| {
            let why = format!(
                "cannot write {} with {} in {}: {error}",
                layout.file.display(),
                layout.attributes(),
                layout.directory.display()
            );
            io::Error::new(error.kind(), why)
        })
    }

    fn describe(&self) -> String {
        let Ok(layout) = self.layout() else { return format!("file {}", self.path.display()) };
        let mut described = format!("file {}", self.path.display());
        if layout.file != self.path {
            described.push_str(&format!(" (a link to {})", layout.file.display()));
        }
        described.push_str(&format!(", {}", layout.attributes()));
        described
    }

    fn name(&self) -> String {
        self.path
            .file_name()
            .map_or_else(|| "rotation".to_owned(), |name| name.to_string_lossy().into_owned())
    }

    /// No lock file: no run holds it, and none is made.
    async fn check_lock(&self) -> io::Result<()> {
        match std::fs::metadata(self.lock_path()?) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            _ => {
                self.lock(Duration::ZERO).await?.release().await;
                Ok(())
            }
        }
    }

    async fn lock(&self, wait: Duration) -> io::Result<SinkLock> {
        let path = self.lock_path()?;
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(SinkLock::held_by(file)),
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    let why = format!(
                        "another rotation into {} is running (it holds {})",
                        self.path.display(),
                        path.display()
                    );
                    return Err(io::Error::new(io::ErrorKind::WouldBlock, why));
                }
                Err(std::fs::TryLockError::Error(error)) => return Err(error),
            }
        }
    }

    async fn ledger(&self) -> io::Result<Ledger> {
        let path = self.ledger_path()?;
        match std::fs::read_to_string(&path) {
            Ok(text) => Ledger::from_json(&text).map_err(|why| {
                io::Error::new(io::ErrorKind::InvalidData, format!("{}: {why}", path.display()))
            }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Ledger::default()),
            Err(error) => Err(error),
        }
    }

    async fn save_ledger(&self, ledger: &Ledger) -> io::Result<()> {
        let layout = self.layout()?;
        self.replace(&layout, &beside(&layout.file, ".rotation"), ledger.to_json().as_bytes())
    }
}

impl Layout {
    /// "mode 0640, owner 0, group 1", as far as they are set.
    fn attributes(&self) -> String {
        let mut shown = format!("mode {:04o}", self.mode);
        if let Some(uid) = self.uid {
            shown.push_str(&format!(", owner {uid}"));
        }
        if let Some(gid) = self.gid {
            shown.push_str(&format!(", group {gid}"));
        }
        shown
    }
}

/// `path` with `suffix` appended to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// A fresh name in the layout's directory for a file that becomes `target`.
fn staged_path(layout: &Layout, target: &Path) -> PathBuf {
    let name = target.file_name().map(|name| name.to_string_lossy().into_owned());
    let suffix = access_tokens_runtime::random::bits();
    layout.directory.join(format!(".{}.{suffix:016x}.new", name.unwrap_or_default()))
}

/// The owner, group and mode to give the files: `existing`'s, with `group` and `mode` over
/// them; a new file's otherwise (this process's owner and group, `0600`).
#[cfg(unix)]
fn ownership(
    existing: Option<&std::fs::Metadata>,
    group: Option<u32>,
    mode: Option<u32>,
) -> (Option<u32>, Option<u32>, u32) {
    use std::os::unix::fs::MetadataExt as _;
    match existing {
        Some(metadata) => (
            Some(metadata.uid()),
            Some(group.unwrap_or(metadata.gid())),
            mode.unwrap_or(metadata.mode() & 0o7777),
        ),
        None => (None, group, mode.unwrap_or(0o600)),
    }
}

#[cfg(not(unix))]
fn ownership(
    _: Option<&std::fs::Metadata>,
    _: Option<u32>,
    mode: Option<u32>,
) -> (Option<u32>, Option<u32>, u32) {
    (None, None, mode.unwrap_or(0o600))
}

/// Writes `contents` to a file that must not exist yet, readable by its owner only until it has
/// the layout's owner, group and mode, and syncs it.
fn write_new(path: &Path, contents: &[u8], layout: &Layout) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
        let made = file.metadata()?;
        let uid = layout.uid.filter(|&uid| uid != made.uid());
        let gid = layout.gid.filter(|&gid| gid != made.gid());
        if uid.is_some() || gid.is_some() {
            std::os::unix::fs::fchown(&file, uid, gid)?;
        }
        file.set_permissions(std::fs::Permissions::from_mode(layout.mode))?;
    }
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
