//! Listing sources into one inventory, with progress on a terminal, and printing it.

use std::io::IsTerminal as _;

use access_tokens::inventory::{DEFAULT_CONCURRENCY, Inventory, Progress, Source};
use serde_json::{Value, json};

use crate::args::Choice;
use crate::config::Config;
use crate::connect;
use crate::failure::Failure;
use crate::output::{self, Out};

/// An inventory, and the sources that could not even be connected to (a failed login).
#[derive(Debug)]
pub struct Listed {
    /// What the sources listed.
    pub inventory: Inventory,
    /// Sources that failed before listing: name and message.
    pub unreachable: Vec<(String, String)>,
}

impl Listed {
    /// Whether any source failed.
    pub fn failed(&self) -> bool {
        !self.inventory.failures.is_empty() || !self.unreachable.is_empty()
    }

    /// The inventory's JSON (`records`, `failures`, `clocks`), the unreachable sources among
    /// the failures.
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(&self.inventory).expect("an inventory serializes");
        if let Some(failures) = value["failures"].as_array_mut() {
            // Each error with its causes, as on stderr.
            for (shown, failure) in failures.iter_mut().zip(&self.inventory.failures) {
                shown["error"] = access_tokens::causes(&failure.error).into();
            }
            for (source, error) in &self.unreachable {
                failures.push(json!({ "source": source, "error": error }));
            }
        }
        value
    }

    /// Warns of each failed source on stderr.
    pub fn warn_failures(&self, out: Out) {
        for failure in &self.inventory.failures {
            out.warn(format_args!(
                "source `{}`: {}",
                failure.source,
                access_tokens::causes(&failure.error)
            ));
        }
        for (source, error) in &self.unreachable {
            // A configuration problem names the source already.
            if error.contains(&format!("source `{source}`")) {
                out.warn(error);
            } else {
                out.warn(format_args!("source `{source}`: {error}"));
            }
        }
    }
}

/// The sources a command covers, each once, in the configuration's order: those named
/// (positionally or with `--source`), of the vendors given; all of them when none is named.
/// No source at all, or a name the configuration does not have, is a usage error.
pub fn chosen<'a>(config: &'a Config, choice: &Choice) -> Result<Vec<&'a str>, Failure> {
    if config.sources.is_empty() {
        return Err(Failure::config(format!(
            "{}: no sources: add a [sources.NAME] table (`access-tokens config check` checks it)",
            config.path.display()
        )));
    }
    let named: Vec<&str> = choice.names.iter().chain(&choice.sources).map(String::as_str).collect();
    for name in &named {
        config.source(name)?;
    }
    let chosen: Vec<&str> = config
        .sources
        .iter()
        .filter(|(name, _)| named.is_empty() || named.contains(&name.as_str()))
        .filter(|(_, source)| {
            choice.vendor.is_empty()
                || choice.vendor.iter().any(|vendor| vendor.is(source.vendor()))
        })
        .map(|(name, _)| name.as_str())
        .collect();
    if chosen.is_empty() {
        return Err(Failure::config(format!(
            "{}: no source is of the vendors given",
            config.path.display()
        )));
    }
    Ok(chosen)
}

/// Lists the sources `choice` covers. A source that fails for any reason, its credentials
/// unreadable or its URL wrong as much as its server down, is that source's failure, in the
/// result: the others are listed all the same.
pub async fn list(config: &Config, choice: &Choice, out: Out) -> Result<Listed, Failure> {
    let mut sources = Vec::new();
    let mut unreachable = Vec::new();
    for name in chosen(config, choice)? {
        match connect::inventory_source(config, name).await {
            Ok(source) => sources.push(source),
            Err(failure) => {
                let message = failure.message().unwrap_or("failed");
                let message =
                    message.strip_prefix(&format!("source `{name}`: ")).unwrap_or(message);
                unreachable.push((name.to_owned(), message.to_owned()));
            }
        }
    }
    Ok(Listed { inventory: collect(&sources, out).await, unreachable })
}

/// Lists `sources`, [`DEFAULT_CONCURRENCY`] at a time, showing progress when stderr is a
/// terminal.
pub async fn collect(sources: &[Source], out: Out) -> Inventory {
    let progress = !out.quiet && std::io::stderr().is_terminal();
    let inventory = Inventory::collect(sources, DEFAULT_CONCURRENCY, |event| {
        if !progress {
            return;
        }
        match event {
            Progress::Started { source, done, total } => {
                eprint!("\r\x1b[2K[{done}/{total}] listing {source}…");
            }
            Progress::Listed { source, tokens, done, total } => {
                eprint!("\r\x1b[2K[{done}/{total}] {source}: {tokens} tokens");
            }
            Progress::Failed { source, done, total, .. } => {
                eprint!("\r\x1b[2K[{done}/{total}] {source}: failed");
            }
            _ => {}
        }
    })
    .await;
    if progress {
        eprint!("\r\x1b[2K");
    }
    inventory
}

/// Prints `listed` as a table or JSON, and fails with `Partial` if a source failed.
pub fn print(listed: &Listed, out: Out) -> Result<(), Failure> {
    out.show(&listed.to_json(), || output::records_table(&listed.inventory))?;
    listed.warn_failures(out);
    if listed.failed() { Err(Failure::Partial) } else { Ok(()) }
}

/// Lists the one source `source` and prints it.
pub async fn list_one(source: Source, out: Out) -> Result<(), Failure> {
    let inventory = collect(std::slice::from_ref(&source), out).await;
    print(&Listed { inventory, unreachable: Vec::new() }, out)
}
