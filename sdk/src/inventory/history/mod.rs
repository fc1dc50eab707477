//! What inventories saw, remembered in one SQLite file: when each token was first seen, what
//! changed between runs, and how each source's listing went. It never holds a secret: tokens
//! are kept by id, a fingerprint where the vendor's id is the secret.

mod changes;
mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use access_tokens_runtime::time::{from_unix_millis, to_unix_millis};
use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

pub use changes::{Change, ChangeKind, Changes, Since};

use super::{FirstSeen, Identity, Inventory, Listing, Permissions, Seen, TokenRecord};

/// Why the history could not be used. Its message names the file; the store holds no secret
/// to show.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// The store could not be opened, read or written.
    #[error("{path}: {why}")]
    Store {
        /// The store's file.
        path: PathBuf,
        /// What SQLite or the file system said.
        why: String,
    },
    /// The store was written by a newer release, whose schema this one does not know: it is
    /// left as it is, never written.
    #[error(
        "{path}: written by a newer access-tokens (schema version {found}; this one knows up to \
         {known}): left as it is"
    )]
    Newer {
        /// The store's file.
        path: PathBuf,
        /// Its schema version.
        found: u32,
        /// The newest this release knows.
        known: u32,
    },
}

/// A run of the history: its number, and when it was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub struct Run {
    /// Its number, from 1, in order.
    pub id: i64,
    /// When its inventory ran, Unix milliseconds.
    pub at_unix_ms: i64,
}

impl Run {
    /// When its inventory ran.
    pub fn at(&self) -> SystemTime {
        from_unix_millis(self.at_unix_ms)
    }
}

/// What [`History::prune`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pruned {
    /// Runs.
    pub runs: usize,
    /// Tokens gone before the oldest run kept.
    pub tokens: usize,
}

/// The history store: one SQLite file, in WAL mode, whose writers wait for each other (a
/// cron run and `serve` at once), created readable by its owner alone.
#[derive(Debug)]
pub struct History {
    connection: Connection,
    path: PathBuf,
}

/// How long a writer waits for another to finish.
const BUSY: Duration = Duration::from_secs(30);

impl History {
    /// Opens the store at `path`, creating it (mode 0600) and its schema if it is not there,
    /// and bringing an older one up to date. A store from a newer release is refused.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, HistoryError> {
        let path = path.as_ref().to_owned();
        let failed = |why: &dyn std::fmt::Display| HistoryError::Store {
            path: path.clone(),
            why: why.to_string(),
        };
        if !path.exists() {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(false);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(&path).map_err(|e| failed(&e))?;
        }
        let connection = Connection::open(&path).map_err(|e| failed(&e))?;
        connection.busy_timeout(BUSY).map_err(|e| failed(&e))?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(|e| failed(&e))?;
        // In WAL mode, a commit that a power cut may undo but never corrupt: a run's record is
        // worth no disk flush of its own.
        connection.pragma_update(None, "synchronous", "NORMAL").map_err(|e| failed(&e))?;
        let mut history = Self { connection, path };
        history.migrate()?;
        Ok(history)
    }

    fn failed(&self, why: &dyn std::fmt::Display) -> HistoryError {
        HistoryError::Store { path: self.path.clone(), why: why.to_string() }
    }

    /// Applies the migrations the store lacks, in one transaction; refuses a newer store.
    fn migrate(&mut self) -> Result<(), HistoryError> {
        let known = schema::MIGRATIONS.len() as u32;
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| HistoryError::Store { path: self.path.clone(), why: e.to_string() })?;
        let found: u32 = transaction
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| HistoryError::Store { path: self.path.clone(), why: e.to_string() })?;
        if found > known {
            return Err(HistoryError::Newer { path: self.path.clone(), found, known });
        }
        for migration in &schema::MIGRATIONS[found as usize..] {
            transaction
                .execute_batch(migration)
                .map_err(|e| HistoryError::Store { path: self.path.clone(), why: e.to_string() })?;
        }
        transaction
            .pragma_update(None, "user_version", known)
            .and_then(|()| transaction.commit())
            .map_err(|e| HistoryError::Store { path: self.path.clone(), why: e.to_string() })
    }

    /// The store's schema version.
    pub fn version(&self) -> Result<u32, HistoryError> {
        self.connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| self.failed(&e))
    }

    /// Records `inventory`, run `at`: each source's outcome; for each source that answered,
    /// the tokens it did not have before (first seen now), the ones whose state changed, and
    /// the ones it no longer lists. An unchanged token writes nothing, and a source whose
    /// listing is as last recorded (by a digest of its tokens' identities and states) reads
    /// none either: what a cron run that finds nothing new pays. One transaction.
    pub fn record(&mut self, inventory: &Inventory, at: SystemTime) -> Result<Run, HistoryError> {
        let path = self.path.clone();
        let failed =
            |e: rusqlite::Error| HistoryError::Store { path: path.clone(), why: e.to_string() };
        let unwritable =
            |e: serde_json::Error| HistoryError::Store { path: path.clone(), why: e.to_string() };
        let at_unix_ms = to_unix_millis(at);
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        transaction
            .execute("INSERT INTO runs (at_unix_ms) VALUES (?1)", params![at_unix_ms])
            .map_err(failed)?;
        let run = transaction.last_insert_rowid();
        for timing in &inventory.timings {
            let listing = inventory.listings.iter().find(|listing| listing.source == timing.source);
            let error = inventory
                .failures
                .iter()
                .find(|failure| failure.source == timing.source)
                .map(|failure| failure.error.to_string());
            transaction
                .execute(
                    "INSERT INTO source_runs (run, source, vendor, listed, tokens, took_ms, error) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        run,
                        timing.source,
                        timing.vendor.to_string(),
                        timing.listed,
                        listing.map_or(0, |listing| listing.len() as i64),
                        i64::try_from(timing.took.as_millis()).unwrap_or(i64::MAX),
                        error,
                    ],
                )
                .map_err(failed)?;
        }
        for listing in &inventory.listings {
            // Nothing changed since the source's last listing: no token to read or write.
            let digest = listing_digest(listing);
            let recorded: Option<Vec<u8>> = transaction
                .query_row(
                    "SELECT digest FROM listings WHERE source = ?1",
                    params![listing.source],
                    |row| row.get(0),
                )
                .optional()
                .map_err(failed)?;
            if recorded.as_deref() == Some(&digest[..]) {
                continue;
            }
            transaction
                .execute(
                    "INSERT INTO listings (source, digest) VALUES (?1, ?2) \
                     ON CONFLICT (source) DO UPDATE SET digest = ?2",
                    params![listing.source, &digest[..]],
                )
                .map_err(failed)?;
            let mut present: HashMap<String, String> = HashMap::new();
            {
                let mut select = transaction
                    .prepare(
                        "SELECT id, state FROM tokens WHERE source = ?1 AND removed_run IS NULL",
                    )
                    .map_err(failed)?;
                let rows = select
                    .query_map(params![listing.source], |row| Ok((row.get(0)?, row.get(1)?)))
                    .map_err(failed)?;
                for row in rows {
                    let (id, state) = row.map_err(failed)?;
                    present.insert(id, state);
                }
            }
            let mut upsert = transaction
                .prepare(
                    "INSERT INTO tokens (source, id, vendor, first_run, first_seen_unix_ms, \
                     removed_run, state) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6) \
                     ON CONFLICT (source, id) DO UPDATE SET removed_run = NULL, state = ?6",
                )
                .map_err(failed)?;
            let mut changed = transaction
                .prepare("INSERT INTO states (source, id, run, state) VALUES (?1, ?2, ?3, ?4)")
                .map_err(failed)?;
            for record in listing.records() {
                let Some(id) = record.id() else { continue };
                let id = id.to_string();
                let state = serde_json::to_string(&State::of(&record)).map_err(unwritable)?;
                if present.remove(&id).is_some_and(|before| before == state) {
                    continue;
                }
                upsert
                    .execute(params![
                        listing.source,
                        id,
                        record.vendor().to_string(),
                        run,
                        at_unix_ms,
                        state
                    ])
                    .map_err(failed)?;
                changed.execute(params![listing.source, id, run, state]).map_err(failed)?;
            }
            let mut removed = transaction
                .prepare("UPDATE tokens SET removed_run = ?3 WHERE source = ?1 AND id = ?2")
                .map_err(failed)?;
            for id in present.keys() {
                removed.execute(params![listing.source, id, run]).map_err(failed)?;
            }
        }
        transaction.commit().map_err(failed)?;
        Ok(Run { id: run, at_unix_ms })
    }

    /// Records, in `run`, a source that failed before it could be listed (its credential
    /// unreadable, its login refused: what a tool finds before an inventory starts), as
    /// [`record`](Self::record) records one whose listing failed. `why` holds no secret.
    pub fn unreachable(
        &mut self,
        run: Run,
        source: &str,
        vendor: super::Vendor,
        why: &str,
    ) -> Result<(), HistoryError> {
        self.connection
            .execute(
                "INSERT OR IGNORE INTO source_runs (run, source, vendor, listed, tokens, took_ms, \
                 error) VALUES (?1, ?2, ?3, 0, 0, 0, ?4)",
                params![run.id, source, vendor.to_string(), why],
            )
            .map(drop)
            .map_err(|e| self.failed(&e))
    }

    /// What the runs saw of the tokens listed now: when each was first seen, and whether it
    /// appeared in the latest run (its source having been listed in an earlier one).
    pub fn seen(&self) -> Result<Seen, HistoryError> {
        let failed = |e: rusqlite::Error| self.failed(&e);
        let latest: Option<i64> = self
            .connection
            .query_row("SELECT max(id) FROM runs", [], |row| row.get(0))
            .map_err(failed)?;
        let Some(latest) = latest else { return Ok(Seen::new()) };
        // Sources listed before the latest run: their new tokens appeared; a new source's are
        // merely first seen.
        let mut listed_before = self
            .connection
            .prepare("SELECT DISTINCT source FROM source_runs WHERE listed = 1 AND run < ?1")
            .map_err(failed)?;
        let before: std::collections::HashSet<String> = listed_before
            .query_map(params![latest], |row| row.get(0))
            .map_err(failed)?
            .collect::<Result<_, _>>()
            .map_err(failed)?;
        let mut select = self
            .connection
            .prepare("SELECT source, id, first_run, first_seen_unix_ms FROM tokens WHERE removed_run IS NULL")
            .map_err(failed)?;
        let rows = select
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })
            .map_err(failed)?;
        let mut seen = Seen::new();
        for row in rows {
            let (source, id, first_run, first_seen) = row.map_err(failed)?;
            let appeared = first_run == latest && before.contains(&source);
            let first = FirstSeen::new(from_unix_millis(first_seen), appeared);
            seen.insert(&source, token_id(id), first);
        }
        Ok(seen)
    }

    /// The runs recorded, oldest first.
    pub fn runs(&self) -> Result<Vec<Run>, HistoryError> {
        let failed = |e: rusqlite::Error| self.failed(&e);
        let mut select = self
            .connection
            .prepare("SELECT id, at_unix_ms FROM runs ORDER BY id")
            .map_err(failed)?;
        let rows = select
            .query_map([], |row| Ok(Run { id: row.get(0)?, at_unix_ms: row.get(1)? }))
            .map_err(failed)?;
        rows.collect::<Result<_, _>>().map_err(failed)
    }

    /// Removes the runs before `before` (never the latest), their sources' outcomes, the
    /// states superseded before the oldest run kept, and the tokens gone before it. A token's
    /// first-seen time is kept as long as the token is.
    pub fn prune(&mut self, before: SystemTime) -> Result<Pruned, HistoryError> {
        let path = self.path.clone();
        let failed =
            |e: rusqlite::Error| HistoryError::Store { path: path.clone(), why: e.to_string() };
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let oldest_kept: Option<i64> = transaction
            .query_row(
                "SELECT min(id) FROM runs WHERE at_unix_ms >= ?1 OR id = (SELECT max(id) FROM runs)",
                params![to_unix_millis(before)],
                |row| row.get(0),
            )
            .optional()
            .map_err(failed)?
            .flatten();
        let Some(oldest) = oldest_kept else {
            return Ok(Pruned { runs: 0, tokens: 0 });
        };
        transaction
            .execute("DELETE FROM source_runs WHERE run < ?1", params![oldest])
            .map_err(failed)?;
        // A state superseded by a later one before the oldest run kept says nothing any more.
        transaction
            .execute(
                "DELETE FROM states WHERE run < ?1 AND EXISTS (SELECT 1 FROM states AS later \
                 WHERE later.source = states.source AND later.id = states.id \
                 AND later.run > states.run AND later.run <= ?1)",
                params![oldest],
            )
            .map_err(failed)?;
        let tokens = transaction
            .execute(
                "DELETE FROM tokens WHERE removed_run IS NOT NULL AND removed_run < ?1",
                params![oldest],
            )
            .map_err(failed)?;
        transaction
            .execute(
                "DELETE FROM states WHERE NOT EXISTS (SELECT 1 FROM tokens \
                 WHERE tokens.source = states.source AND tokens.id = states.id)",
                [],
            )
            .map_err(failed)?;
        let runs = transaction
            .execute("DELETE FROM runs WHERE id < ?1", params![oldest])
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
        Ok(Pruned { runs, tokens })
    }

    /// The store's size on disk, in bytes (its pages in use).
    pub fn size(&self) -> Result<u64, HistoryError> {
        let pages: i64 = self
            .connection
            .query_row("SELECT page_count - freelist_count FROM pragma_page_count(), pragma_freelist_count()", [], |row| row.get(0))
            .map_err(|e| self.failed(&e))?;
        let size: i64 = self
            .connection
            .pragma_query_value(None, "page_size", |row| row.get(0))
            .map_err(|e| self.failed(&e))?;
        Ok((pages * size).unsigned_abs())
    }
}

/// A token's state as `changes` compares it: name, account, enabled, permissions and expiry;
/// nothing secret. Kept as JSON, its fields in this order (as every version wrote them, so
/// that an unchanged token compares equal).
#[derive(serde::Serialize)]
struct State<'r> {
    account: Option<std::borrow::Cow<'r, str>>,
    enabled: Option<bool>,
    expires: Expiry,
    name: Option<&'r str>,
    read: Option<bool>,
    write: Option<bool>,
}

/// An expiry to the minute, as people read it: one moved by seconds is no change.
enum Expiry {
    /// Unix minutes.
    At(i64),
    Never,
    Unknown,
}

impl serde::Serialize for Expiry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::At(minutes) => {
                let at = from_unix_millis(minutes.saturating_mul(60_000));
                serializer.collect_str(&format_args!("{} UTC", super::utc_minute(at)))
            }
            Self::Never => serializer.serialize_str("never"),
            Self::Unknown => serializer.serialize_none(),
        }
    }
}

impl<'r> State<'r> {
    fn of(record: &TokenRecord<'r>) -> Self {
        let readings = record.readings();
        let permissions = readings.permissions;
        let expires = match readings.expires {
            super::Moment::At(at) => Expiry::At(to_unix_millis(at).div_euclid(60_000)),
            super::Moment::Never => Expiry::Never,
            super::Moment::Unknown { .. } => Expiry::Unknown,
        };
        Self {
            account: record.account().and_then(|account| account.name),
            enabled: readings.enabled,
            expires,
            name: record.name(),
            read: permissions.map(|Permissions { read, .. }| read),
            write: permissions.map(|Permissions { write, .. }| write),
        }
    }

    /// Appends its fields to `out`, unambiguously and cheaply (for a digest, not for reading).
    fn append(&self, out: &mut Vec<u8>) {
        fn text(out: &mut Vec<u8>, text: Option<&str>) {
            match text {
                Some(text) => {
                    out.extend_from_slice(&(text.len() as u64 + 1).to_le_bytes());
                    out.extend_from_slice(text.as_bytes());
                }
                None => out.extend_from_slice(&0_u64.to_le_bytes()),
            }
        }
        let flag = |flag: Option<bool>| flag.map_or(0, |flag| 1 + u8::from(flag));
        text(out, self.account.as_deref());
        text(out, self.name);
        out.extend_from_slice(&[flag(self.enabled), flag(self.read), flag(self.write)]);
        match self.expires {
            Expiry::At(minutes) => {
                out.push(1);
                out.extend_from_slice(&minutes.to_le_bytes());
            }
            Expiry::Never => out.push(2),
            Expiry::Unknown => out.push(3),
        }
    }
}

/// A listing as the store compares it: SHA-256 over each token's identity and state, in the
/// vendor's order. The same as its source's last recorded one, no token changed.
///
/// Where the secret is what tells a token apart, the digest takes the secret itself, as its
/// fingerprint does, rather than the fingerprint (one SHA-256 each would cost more than the
/// rest of the digest): the digest is as one-way as a fingerprint, and the secret is handed
/// to it directly, never copied into the buffer.
fn listing_digest(listing: &Listing) -> Vec<u8> {
    const CHUNK: usize = 64 * 1024;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buffer = Vec::with_capacity(CHUNK + 1024);
    for record in listing.records() {
        match record.identity() {
            Some(Identity::Id(id)) => {
                buffer.push(1);
                buffer.extend_from_slice(&(id.len() as u64).to_le_bytes());
                buffer.extend_from_slice(id.as_bytes());
            }
            Some(Identity::Secret(secret)) => {
                let secret = secret.expose_secret().as_bytes();
                buffer.push(2);
                buffer.extend_from_slice(&(secret.len() as u64).to_le_bytes());
                context.update(&buffer);
                buffer.clear();
                context.update(secret);
            }
            None => continue,
        }
        State::of(&record).append(&mut buffer);
        if buffer.len() >= CHUNK {
            context.update(&buffer);
            buffer.clear();
        }
    }
    context.update(&buffer);
    context.finish().as_ref().to_vec()
}

/// A token id as the store keeps it: a fingerprint's `sha256:…`, else the vendor's.
fn token_id(id: String) -> super::TokenId {
    if id.starts_with("sha256:") {
        super::TokenId::Fingerprint(id)
    } else {
        super::TokenId::Vendor(id)
    }
}

#[cfg(test)]
mod tests {
    use super::{Expiry, State};

    /// A state is compared as its JSON: written otherwise than schema version 1 wrote it, every
    /// token of an older store would read as changed.
    #[test]
    fn a_state_is_written_as_schema_version_one_wrote_it() {
        let state = State {
            account: Some("guy2".into()),
            enabled: None,
            expires: Expiry::Never,
            name: None,
            read: None,
            write: None,
        };
        assert_eq!(
            serde_json::to_string(&state).unwrap(),
            r#"{"account":"guy2","enabled":null,"expires":"never","name":null,"read":null,"write":null}"#
        );
        let state = State {
            account: None,
            enabled: Some(true),
            expires: Expiry::At(2_000_000_000 / 60),
            name: Some("dashboards"),
            read: Some(true),
            write: Some(false),
        };
        assert_eq!(
            serde_json::to_string(&state).unwrap(),
            r#"{"account":null,"enabled":true,"expires":"2033-05-18 03:33 UTC","name":"dashboards","read":true,"write":false}"#
        );
        let unknown = State { expires: Expiry::Unknown, ..state };
        assert!(serde_json::to_string(&unknown).unwrap().contains(r#""expires":null"#));
    }
}
