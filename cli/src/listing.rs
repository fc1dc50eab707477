//! Listing sources into one inventory, with progress on a terminal, and printing it.

use std::io::IsTerminal as _;

use access_tokens::inventory::{Inventory, Progress, Source};
use serde_json::{Value, json};

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
            for (source, error) in &self.unreachable {
                failures.push(json!({ "source": source, "error": error }));
            }
        }
        value
    }

    /// Warns of each failed source on stderr.
    pub fn warn_failures(&self, out: Out) {
        for failure in &self.inventory.failures {
            out.warn(format_args!("source `{}`: {}", failure.source, failure.error));
        }
        for (source, error) in &self.unreachable {
            out.warn(format_args!("source `{source}`: {error}"));
        }
    }
}

/// Lists the sources `names` of `config` (all of them when empty). A configuration error
/// stops it; a source that fails is in the result.
pub async fn list(config: &Config, names: &[String], out: Out) -> Result<Listed, Failure> {
    let names: Vec<&str> = if names.is_empty() {
        config.sources.keys().map(String::as_str).collect()
    } else {
        names.iter().map(String::as_str).collect()
    };
    let mut sources = Vec::new();
    let mut unreachable = Vec::new();
    for name in names {
        match connect::inventory_source(config, name).await {
            Ok(source) => sources.push(source),
            Err(Failure::Failed(message)) => unreachable.push((name.to_owned(), message)),
            Err(other) => return Err(other),
        }
    }
    Ok(Listed { inventory: collect(&sources, out).await, unreachable })
}

/// Lists `sources`, four at a time, showing progress when stderr is a terminal.
pub async fn collect(sources: &[Source], out: Out) -> Inventory {
    let progress = !out.quiet && std::io::stderr().is_terminal();
    let inventory = Inventory::collect(sources, 4, |event| {
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
