//! What changed between two runs of the history: tokens added, removed, and changed (name,
//! account, enabled, permissions, expiry).

use std::time::Duration;

use rusqlite::{OptionalExtension as _, params};
use serde::Serialize;

use super::{History, HistoryError, Run, token_id};
use crate::inventory::TokenId;

/// Which run the latest is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Since {
    /// The run before it.
    Previous,
    /// The latest run at least this long before it.
    Ago(Duration),
    /// The run with this number.
    Run(i64),
}

/// The changes between two runs. Serialized as `{"from", "to", "changes": [...],
/// "unlisted": [...]}`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Changes {
    /// The run compared with, if there was one before the latest (else everything is added).
    pub from: Option<Run>,
    /// The latest run, if there is one.
    pub to: Option<Run>,
    /// What changed, by source and id.
    pub changes: Vec<Change>,
    /// The sources whose listing failed in the latest run: what changed in them is not known.
    pub unlisted: Vec<String>,
}

/// A token added, removed or changed between two runs.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Change {
    /// What happened to it.
    pub change: ChangeKind,
    /// Its source.
    pub source: String,
    /// Its id (a fingerprint where the vendor's id is the secret).
    pub id: TokenId,
    /// Its state in the earlier run: `{"name", "account", "enabled", "read", "write",
    /// "expires"}`; none for an added token.
    pub before: Option<serde_json::Value>,
    /// Its state in the latest run; none for a removed one.
    pub after: Option<serde_json::Value>,
}

/// What happened to a token between two runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// Listed now, not then.
    Added,
    /// Listed then, not now (its source listed both times).
    Removed,
    /// Listed both times, in another state.
    Changed,
}

impl Change {
    /// The fields whose values differ: `enabled`, `expires`, ….
    pub fn fields(&self) -> Vec<String> {
        let (Some(before), Some(after)) = (&self.before, &self.after) else { return Vec::new() };
        let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else {
            return Vec::new();
        };
        after
            .iter()
            .filter(|(key, value)| before.get(*key) != Some(value))
            .map(|(key, _)| key.clone())
            .collect()
    }
}

impl History {
    /// What changed between the latest run and the one `since` names.
    pub fn changes(&self, since: Since) -> Result<Changes, HistoryError> {
        let failed = |e: rusqlite::Error| self.failed(&e);
        let run = |id: Option<i64>| -> Result<Option<Run>, HistoryError> {
            let Some(id) = id else { return Ok(None) };
            self.connection
                .query_row("SELECT id, at_unix_ms FROM runs WHERE id = ?1", params![id], |row| {
                    Ok(Run { id: row.get(0)?, at_unix_ms: row.get(1)? })
                })
                .optional()
                .map_err(failed)
        };
        let latest: Option<i64> = self
            .connection
            .query_row("SELECT max(id) FROM runs", [], |row| row.get(0))
            .map_err(failed)?;
        let Some(to) = run(latest)? else {
            return Ok(Changes { from: None, to: None, changes: Vec::new(), unlisted: Vec::new() });
        };
        let from = match since {
            Since::Previous => self
                .connection
                .query_row("SELECT max(id) FROM runs WHERE id < ?1", params![to.id], |row| {
                    row.get(0)
                })
                .map_err(failed)?,
            Since::Ago(span) => {
                let before = to.at_unix_ms - i64::try_from(span.as_millis()).unwrap_or(i64::MAX);
                self.connection
                    .query_row(
                        "SELECT max(id) FROM runs WHERE at_unix_ms <= ?1",
                        params![before],
                        |row| row.get(0),
                    )
                    .map_err(failed)?
            }
            Since::Run(id) => Some(id).filter(|id| *id < to.id),
        };
        let from = run(from)?;
        let (start, end) = (from.map_or(0, |run| run.id), to.id);
        let mut changes = Vec::new();
        let mut query = |sql: &str, change: ChangeKind| -> Result<(), HistoryError> {
            let mut select = self.connection.prepare(sql).map_err(failed)?;
            let rows = select
                .query_map(params![start, end], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, Option<String>>(3)?,
                    ))
                })
                .map_err(failed)?;
            for row in rows {
                let (source, id, before, after) = row.map_err(failed)?;
                let parse = |state: Option<String>| {
                    state.and_then(|state| serde_json::from_str(&state).ok())
                };
                let (before, after) = (parse(before), parse(after));
                if change == ChangeKind::Changed && before == after {
                    continue;
                }
                changes.push(Change { change, source, id: token_id(id), before, after });
            }
            Ok(())
        };
        // The latest state of a token at or before a run.
        let state_at = |run: &str| {
            format!(
                "(SELECT state FROM states AS s WHERE s.source = t.source AND s.id = t.id \
                 AND s.run <= {run} ORDER BY s.run DESC LIMIT 1)"
            )
        };
        query(
            &format!(
                "SELECT source, id, NULL, {} FROM tokens AS t WHERE first_run > ?1 AND first_run <= ?2 \
                 AND (removed_run IS NULL OR removed_run > ?2) ORDER BY source, id",
                state_at("?2")
            ),
            ChangeKind::Added,
        )?;
        query(
            &format!(
                "SELECT source, id, {}, NULL FROM tokens AS t WHERE removed_run > ?1 AND removed_run <= ?2 \
                 AND first_run <= ?1 ORDER BY source, id",
                state_at("?1")
            ),
            ChangeKind::Removed,
        )?;
        query(
            &format!(
                "SELECT source, id, {}, {} FROM tokens AS t WHERE first_run <= ?1 \
                 AND (removed_run IS NULL OR removed_run > ?2) AND EXISTS (SELECT 1 FROM states AS c \
                 WHERE c.source = t.source AND c.id = t.id AND c.run > ?1 AND c.run <= ?2) \
                 ORDER BY source, id",
                state_at("?1"),
                state_at("?2")
            ),
            ChangeKind::Changed,
        )?;
        let mut unlisted = self
            .connection
            .prepare("SELECT source FROM source_runs WHERE run = ?1 AND listed = 0 ORDER BY source")
            .map_err(failed)?;
        let unlisted = unlisted
            .query_map(params![to.id], |row| row.get(0))
            .map_err(failed)?
            .collect::<Result<_, _>>()
            .map_err(failed)?;
        Ok(Changes { from, to: Some(to), changes, unlisted })
    }
}
