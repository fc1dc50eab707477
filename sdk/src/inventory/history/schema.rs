//! The history store's schema, one migration per version, applied in order from the store's
//! version (SQLite's `user_version`) on. A migration is never changed once released: the next
//! version adds one.

/// Each version's migration; the store's version is how many have been applied.
pub(super) const MIGRATIONS: [&str; 2] = [V1, V2];

/// Version 1: the runs, each source's outcome in each, and the tokens with their changes.
///
/// - `tokens`: every token ever seen, by source and id (a fingerprint where the vendor's id is
///   the secret), when it was first seen, and the run it went missing in (`NULL` while it is
///   listed); `state` is its latest state.
/// - `states`: a token's state each time it changed (first seen included), for `changes`:
///   name, account, enabled, permissions and expiry, as JSON. Nothing secret.
/// - An unchanged token writes nothing: a run is a row in `runs` and one per source.
const V1: &str = "
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    at_unix_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE source_runs (
    run INTEGER NOT NULL,
    source TEXT NOT NULL,
    vendor TEXT NOT NULL,
    listed INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    took_ms INTEGER NOT NULL,
    error TEXT,
    PRIMARY KEY (run, source)
) STRICT;
CREATE TABLE tokens (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    vendor TEXT NOT NULL,
    first_run INTEGER NOT NULL,
    first_seen_unix_ms INTEGER NOT NULL,
    removed_run INTEGER,
    state TEXT NOT NULL,
    PRIMARY KEY (source, id)
) STRICT;
CREATE TABLE states (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    run INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (source, id, run)
) STRICT;
CREATE INDEX states_by_run ON states (run);
CREATE INDEX tokens_by_removal ON tokens (removed_run);
";

/// Version 2: each source's last recorded listing, as a digest of its tokens' ids and states,
/// so that a run in which a source's tokens did not change reads and writes none of them.
const V2: &str = "
CREATE TABLE listings (
    source TEXT PRIMARY KEY,
    digest BLOB NOT NULL
) STRICT;
";
