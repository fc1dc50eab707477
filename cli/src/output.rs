//! What a command prints: a table or lines for people, JSON for programs, or nothing.

use std::io::{self, Write};
use std::time::SystemTime;

use access_tokens::inventory::{Inventory, Moment, TokenRecord, utc_minute};
use serde::Serialize;

use crate::failure::Failure;

/// How to print, from the global flags.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    /// `--json`.
    pub json: bool,
    /// `--quiet`.
    pub quiet: bool,
}

impl Out {
    /// Prints `value` as JSON with `--json`, else the `human` text, unless `--quiet`.
    pub fn show(
        &self,
        value: &impl Serialize,
        human: impl FnOnce() -> String,
    ) -> Result<(), Failure> {
        if self.quiet {
            return Ok(());
        }
        let mut stdout = io::stdout().lock();
        let written = if self.json {
            serde_json::to_writer_pretty(&mut stdout, value)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(stdout))
        } else {
            write!(stdout, "{}", human())
        };
        written.map_err(|e| Failure::Failed(format!("stdout: {e}")))
    }

    /// A line on stderr, unless `--quiet`: what went wrong with part of the work.
    pub fn warn(&self, line: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }
}

/// What a change prints: `source: enabled tok-1`, or the same as JSON.
pub fn done(out: Out, source: &str, action: &'static str, id: &str) -> Result<(), Failure> {
    #[derive(Serialize)]
    struct Done<'a> {
        source: &'a str,
        action: &'static str,
        id: &'a str,
    }
    out.show(&Done { source, action, id }, || format!("{source}: {action} {id}\n"))
}

/// Columns padded to their widest cell, the last one unpadded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let header: Vec<String> = headers.iter().map(|h| h.to_uppercase()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let last = row.len().saturating_sub(1);
        for (index, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if index == last {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        text.push('\n');
    }
    text
}

/// An inventory's records as a table, and its failed sources after it.
pub fn records_table(inventory: &Inventory) -> String {
    let rows: Vec<Vec<String>> = inventory.records().map(|record| record_row(&record)).collect();
    let headers =
        ["source", "vendor", "id", "account", "name", "access", "created", "last used", "expires"];
    let mut text = table(&headers, &rows);
    text.push_str(&format!("{} tokens\n", inventory.len()));
    text
}

fn record_row(record: &TokenRecord<'_>) -> Vec<String> {
    let dash = || "-".to_owned();
    vec![
        record.source().to_owned(),
        record.vendor().to_string(),
        record.id().map_or_else(dash, |id| id.to_string()),
        record.account().and_then(|a| a.name).map_or_else(dash, |name| name.into_owned()),
        record.name().map_or_else(dash, str::to_owned),
        access(record),
        moment(&record.created()),
        moment(&record.last_used()),
        moment(&record.expires()),
    ]
}

/// What the token may do: `disabled`, `read`, `read+write`, `none` (Bamboo's retired ones),
/// `enabled`, or `-` where the vendor says nothing.
fn access(record: &TokenRecord<'_>) -> String {
    match (record.enabled(), record.permissions()) {
        (Some(false), _) => "disabled".into(),
        (_, Some(p)) => match (p.read, p.write) {
            (true, true) => "read+write".into(),
            (true, false) => "read".into(),
            (false, true) => "write".into(),
            (false, false) => "none".into(),
        },
        (Some(true), None) => "enabled".into(),
        (None, None) => "-".into(),
    }
}

/// `2026-12-04 18:30`, `never`, or `unknown`.
pub fn moment(moment: &Moment) -> String {
    match moment {
        Moment::At(at) => utc_minute(*at),
        Moment::Never => "never".into(),
        Moment::Unknown { .. } => "unknown".into(),
    }
}

/// A time as [`utc_minute`], or `unknown`.
pub fn moment_of(at: Option<SystemTime>) -> String {
    at.map_or_else(|| "unknown".into(), utc_minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_every_column_but_the_last() {
        let rows = vec![vec!["a".to_owned(), "bbb".to_owned()], vec!["cc".into(), "d".into()]];
        assert_eq!(table(&["x", "y"], &rows), "X   Y\na   bbb\ncc  d\n");
    }
}
