//! The history the tool keeps of its inventories (`[history]`): recorded by `inventory`,
//! `audit` and `serve` unless `--no-record`, read by the audit (first-seen ages, tokens that
//! appeared) and by `changes`.

use std::time::SystemTime;

use access_tokens::inventory::{Change, ChangeKind, Changes, History, Seen, Since, utc_minute};

use crate::config::{Config, days, private_directory};
use crate::failure::Failure;
use crate::listing::Listed;
use crate::output::{Out, count, table};

/// How long runs are kept unless `[history] retention_days` says.
const RETENTION_DAYS: u64 = 400;

/// The store of `config`, opened (created, brought up to date) before anything is listed, so
/// that one that cannot be used stops the run first.
pub fn open(config: &Config) -> Result<History, Failure> {
    let path = config.history_path()?;
    if let Some(directory) = path.parent() {
        private_directory(directory)
            .map_err(|e| Failure::config(format!("{}: {e}", directory.display())))?;
    }
    History::open(&path).map_err(|e| Failure::config(format!("history: {e}")))
}

/// Records what `listed` found in `history` (the sources that failed before listing too),
/// prunes what is past the retention, and gives what the runs saw, for the audit.
pub fn record(config: &Config, history: &mut History, listed: &Listed) -> Result<Seen, Failure> {
    let failed =
        |e: access_tokens::inventory::HistoryError| Failure::Failed(format!("history: {e}"));
    let now = SystemTime::now();
    let run = history.record(&listed.inventory, now).map_err(failed)?;
    for (name, why) in &listed.unreachable {
        if let Ok(source) = config.source(name) {
            history.unreachable(run, name, source.vendor(), why).map_err(failed)?;
        }
    }
    let retention = days(config.history.retention_days.unwrap_or(RETENTION_DAYS));
    history.prune(now.checked_sub(retention).unwrap_or(SystemTime::UNIX_EPOCH)).map_err(failed)?;
    history.seen().map_err(failed)
}

/// `changes [--since SPAN|RUN]`: what was added, removed and changed between the latest run
/// and the one before it (or the one `since` names).
pub fn changes(config: &Config, since: Option<&str>, out: Out) -> Result<(), Failure> {
    let since = match since {
        None => Since::Previous,
        Some(run) if run.bytes().all(|b| b.is_ascii_digit()) => Since::Run(
            run.parse().map_err(|_| Failure::config(format!("--since {run}: not a run")))?,
        ),
        Some(span) => Since::Ago(
            span.parse::<crate::config::Span>()
                .map_err(|why| Failure::config(format!("--since: {why} (or a run's number)")))?
                .0,
        ),
    };
    let path = config.history_path()?;
    if !path.exists() {
        return Err(Failure::config(format!(
            "{}: no history yet: `inventory` or `audit` records one",
            path.display()
        )));
    }
    let history = open(config)?;
    let found = history.changes(since).map_err(|e| Failure::Failed(format!("history: {e}")))?;
    out.show(&found, || text(&found))
}

/// The changes as a table, with the runs compared.
fn text(found: &Changes) -> String {
    let Some(to) = found.to else { return "no run recorded yet\n".to_owned() };
    let mut text = match found.from {
        Some(from) => format!(
            "changes from run {} ({} UTC) to run {} ({} UTC)\n",
            from.id,
            utc_minute(from.at()),
            to.id,
            utc_minute(to.at())
        ),
        None => {
            format!("everything run {} ({} UTC) saw, the first run\n", to.id, utc_minute(to.at()))
        }
    };
    let rows: Vec<Vec<String>> = found
        .changes
        .iter()
        .map(|change| {
            let kind = match change.change {
                ChangeKind::Added => "added",
                ChangeKind::Removed => "removed",
                ChangeKind::Changed => "changed",
                _ => "other",
            };
            vec![kind.to_owned(), change.source.clone(), change.id.to_string(), what(change)]
        })
        .collect();
    text.push_str(&table(&["change", "source", "id", "what"], &rows, &["source", "what"]));
    text.push_str(&format!("{}\n", count(found.changes.len(), "change")));
    if !found.unlisted.is_empty() {
        text.push_str(&format!(
            "not listed in the latest run, so their changes are not known: {}\n",
            found.unlisted.join(", ")
        ));
    }
    text
}

/// What changed, field by field: `enabled true → false`; for an added token, its name.
fn what(change: &Change) -> String {
    let shown = |value: Option<&serde_json::Value>| match value {
        None | Some(serde_json::Value::Null) => "-".to_owned(),
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(value) => value.to_string(),
    };
    match change.change {
        ChangeKind::Changed => change
            .fields()
            .iter()
            .map(|field| {
                let before = change.before.as_ref().and_then(|state| state.get(field));
                let after = change.after.as_ref().and_then(|state| state.get(field));
                format!("{field} {} → {}", shown(before), shown(after))
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => {
            let state = change.after.as_ref().or(change.before.as_ref());
            let name = state.and_then(|state| state.get("name"));
            match name {
                Some(serde_json::Value::String(name)) => name.clone(),
                _ => String::new(),
            }
        }
    }
}
