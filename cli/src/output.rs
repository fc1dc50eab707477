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
    /// `--quiet`: nothing on stdout but a secret asked for, no progress, no summary; errors
    /// are printed all the same.
    pub quiet: bool,
    /// JSON documents one a line (JSON lines), for a command that prints several: the demo.
    pub lines: bool,
}

impl Out {
    /// Prints `value` as JSON with `--json`, else the `human` text, unless `--quiet`. A reader
    /// that stopped reading (`| head`) ends the output quietly, as for `ls`.
    pub fn show(
        &self,
        value: &impl Serialize,
        human: impl FnOnce() -> String,
    ) -> Result<(), Failure> {
        if self.quiet {
            return Ok(());
        }
        let mut stdout = io::stdout().lock();
        let written = match (self.json, self.lines) {
            (true, false) => serde_json::to_writer_pretty(&mut stdout, value)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(stdout)),
            (true, true) => serde_json::to_writer(&mut stdout, value)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(stdout)),
            (false, _) => write!(stdout, "{}", human()),
        };
        written.and_then(|()| stdout.flush()).or_else(closed_pipe)
    }

    /// A line on stderr: what went wrong with part of the work. Printed whatever the flags.
    pub fn warn(&self, line: impl std::fmt::Display) {
        eprintln!("{line}");
    }

    /// A summary on stderr, unless `--quiet`.
    pub fn note(&self, line: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }
}

/// Writes `bytes` to stdout as they are (a completion script, the man page).
pub fn raw(bytes: &[u8]) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(bytes).and_then(|()| stdout.flush()).or_else(closed_pipe)
}

/// A write to stdout that failed: fine if the reader has gone (a closed pipe), else a failure.
fn closed_pipe(error: io::Error) -> Result<(), Failure> {
    if error.kind() == io::ErrorKind::BrokenPipe {
        return Ok(());
    }
    Err(Failure::Failed(format!("stdout: {error}")))
}

/// `1 token`, `2 tokens`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
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

/// Columns padded to their widest cell, the last one unpadded, fitted to the terminal's
/// width when stdout is one: the widest of the `shrinkable` columns are cut (`…`), and a
/// shrinkable last column wraps instead; a table that still does not fit says so.
pub fn table(headers: &[&str], rows: &[Vec<String>], shrinkable: &[&str]) -> String {
    fit(headers, rows, shrinkable, crate::terminal::width())
}

/// [`table`] for a terminal of `terminal` columns, if any.
fn fit(
    headers: &[&str],
    rows: &[Vec<String>],
    shrinkable: &[&str],
    terminal: Option<usize>,
) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let last = headers.len().saturating_sub(1);
    let total = |widths: &[usize]| widths.iter().sum::<usize>() + 2 * last;
    let wraps = shrinkable.contains(&headers[last]);
    if let Some(terminal) = terminal {
        // A last column that wraps loses nothing: it narrows first, to a readable width; then
        // the widest of the others are cut; then the last column narrows further.
        const NARROWEST: usize = 8;
        const READABLE: usize = 24;
        let narrow = |widths: &mut Vec<usize>, index: usize, floor: usize| {
            let excess = total(widths).saturating_sub(terminal);
            widths[index] = widths[index].saturating_sub(excess).max(floor).min(widths[index]);
        };
        if wraps {
            narrow(&mut widths, last, READABLE);
        }
        while total(&widths) > terminal {
            let widest = (0..last)
                .filter(|&index| shrinkable.contains(&headers[index]))
                .filter(|&index| widths[index] > NARROWEST)
                .max_by_key(|&index| widths[index]);
            let Some(index) = widest else { break };
            narrow(&mut widths, index, NARROWEST);
        }
        if wraps {
            narrow(&mut widths, last, NARROWEST);
        }
    }
    let mut text = String::new();
    let header: Vec<String> = headers.iter().map(|h| h.to_uppercase()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (index, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if index == last {
                let mut pieces = if wraps { wrap(cell, widths[last]) } else { vec![cell.clone()] };
                let indent = line.chars().count();
                line.push_str(&pieces.remove(0));
                for piece in pieces {
                    line.push('\n');
                    line.push_str(&" ".repeat(indent));
                    line.push_str(&piece);
                }
            } else {
                line.push_str(&format!("{:<width$}  ", cut(cell, *width)));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    if let Some(terminal) = terminal
        && total(&widths) > terminal
    {
        text.push_str(&format!(
            "(the table is wider than this terminal's {terminal} columns: --json has every \
             field)\n"
        ));
    }
    text
}

/// `cell` cut to `width` characters, `…` last where it was cut.
fn cut(cell: &str, width: usize) -> String {
    if cell.chars().count() <= width {
        return cell.to_owned();
    }
    let kept: String = cell.chars().take(width.saturating_sub(1)).collect();
    kept + "…"
}

/// `cell` in lines of at most `width` characters, broken at spaces where it can be.
fn wrap(cell: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in cell.split(' ') {
        let line = lines.last_mut().expect("a line");
        let length = line.chars().count();
        if length > 0 && length + 1 + word.chars().count() > width {
            lines.push(word.to_owned());
        } else {
            if length > 0 {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// An inventory's records as a table, and its failed sources after it.
pub fn records_table(inventory: &Inventory) -> String {
    let rows: Vec<Vec<String>> = inventory.records().map(|record| record_row(&record)).collect();
    let headers =
        ["source", "vendor", "id", "account", "name", "access", "created", "last used", "expires"];
    let mut text = table(&headers, &rows, &["source", "account", "name"]);
    text.push_str(&format!("{}; times in UTC\n", count(inventory.len(), "token")));
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
    fn tables_fit_a_narrow_terminal_cutting_or_wrapping_what_may_be_cut() {
        let rows = vec![vec![
            "tok-1".to_owned(),
            "a rather long description".to_owned(),
            "the token is older than the policy allows, by far".to_owned(),
        ]];
        let fitted = fit(&["id", "name", "finding"], &rows, &["name", "finding"], Some(40));
        assert_eq!(
            fitted,
            "ID     NAME      FINDING\n\
             tok-1  a rathe…  the token is older than\n\
             \x20                the policy allows, by\n\
             \x20                far\n"
        );
        assert!(fitted.lines().all(|line| line.chars().count() <= 40), "{fitted}");
        let unfit = fit(
            &["id", "name"],
            &rows[..].iter().map(|r| r[..2].to_vec()).collect::<Vec<_>>(),
            &[],
            Some(10),
        );
        assert!(
            unfit.ends_with(
                "(the table is wider than this terminal's 10 columns: --json has every field)\n"
            ),
            "{unfit}"
        );
        assert_eq!(count(1, "finding"), "1 finding");
        assert_eq!(count(0, "token"), "0 tokens");
    }

    #[test]
    fn tables_pad_every_column_but_the_last() {
        let rows = vec![vec!["a".to_owned(), "bbb".to_owned()], vec!["cc".into(), "d".into()]];
        assert_eq!(table(&["x", "y"], &rows, &[]), "X   Y\na   bbb\ncc  d\n");
    }
}
