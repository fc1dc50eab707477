//! `sources` and `config check`: what the configuration names, and whether it would work,
//! found without sending anything.

use serde::Serialize;

use crate::config::{Config, SecretRef, Source};
use crate::connect;
use crate::failure::Failure;
use crate::output::{Out, count, table};

/// A source as `sources` shows it.
#[derive(Debug, Serialize)]
struct Shown<'a> {
    name: &'a str,
    vendor: String,
    url: &'a str,
    account: Option<&'a str>,
    /// Where `rotate` writes, if the source says.
    sink: Option<String>,
}

/// `sources`: every source's name, vendor, URL, account and rotation file.
pub fn list(config: &Config, out: Out) -> Result<(), Failure> {
    let shown: Vec<Shown<'_>> = config
        .sources
        .iter()
        .map(|(name, source)| Shown {
            name,
            vendor: source.vendor().to_string(),
            url: source.url(),
            account: source.account(),
            sink: sink(config, source),
        })
        .collect();
    let human = || {
        let dash = || "-".to_owned();
        let rows: Vec<Vec<String>> = shown
            .iter()
            .map(|source| {
                vec![
                    source.name.to_owned(),
                    source.vendor.clone(),
                    source.url.to_owned(),
                    source.account.map_or_else(dash, str::to_owned),
                    source.sink.clone().unwrap_or_else(dash),
                ]
            })
            .collect();
        let mut text =
            table(&["name", "vendor", "url", "account", "sink"], &rows, &["url", "sink"]);
        text.push_str(&format!("{}\n", count(shown.len(), "source")));
        text
    };
    out.show(&serde_json::json!({ "sources": shown }), human)
}

/// Where `rotate` writes for `source` without `-o`: a file, a Vault secret, or a command.
fn sink(config: &Config, source: &Source) -> Option<String> {
    let settings = source.sink();
    if let Some(vault) = settings.and_then(|sink| sink.vault.as_ref()) {
        let mount = vault.mount.as_deref().unwrap_or("secret");
        return Some(format!("vault {mount}/{}", vault.path));
    }
    if let Some(command) = settings.and_then(|sink| sink.command.as_ref()) {
        return Some(format!("command {}", command.join(" ")));
    }
    let file = settings.and_then(|sink| sink.file.as_deref()).or(match source {
        Source::Insight(insight) => insight.api_token.as_ref().and_then(SecretRef::file),
        _ => None,
    })?;
    Some(config.relative(file).display().to_string())
}

/// One source's problems, as `config check` reports them.
#[derive(Debug, Serialize)]
struct Checked<'a> {
    name: &'a str,
    vendor: String,
    problems: Vec<String>,
}

/// `config check`: every credential readable (a prompt is not asked), every file private,
/// every URL and connection setting one a client can be built with, every rotation's
/// directory there, and every `after_promote` program found; nothing is sent. Exit 2 with
/// every problem listed.
pub fn check(config: &Config, out: Out) -> Result<(), Failure> {
    let mut checked = Vec::new();
    for (name, source) in &config.sources {
        let mut problems = Vec::new();
        for (key, reference) in source.credentials() {
            if matches!(reference, SecretRef::Prompt(_)) {
                continue;
            }
            if let Err(failure) = reference.read(config.key(name, key)) {
                problems.extend(failure.message().map(str::to_owned));
            }
        }
        if let Err(failure) = connect::offline(config, name) {
            problems.extend(failure.message().map(str::to_owned));
        }
        if source.sink().is_some_and(|sink| sink.vault.is_some() || sink.command.is_some())
            && let Err(failure) = crate::sink::ToolSink::of(config, name, source, None)
        {
            problems.extend(failure.message().map(str::to_owned));
        }
        if let Some(file) = source.sink().and_then(|sink| sink.file.as_deref()) {
            let path = config.relative(file);
            let directory = path.parent().filter(|d| !d.as_os_str().is_empty());
            if directory.is_some_and(|directory| !directory.is_dir()) {
                problems.push(format!(
                    "{}: no directory for {}",
                    config.key(name, "sink.file"),
                    path.display()
                ));
            }
        }
        if let Some(program) = source.rotation().after_promote.as_ref().and_then(|c| c.first())
            && !found(program)
        {
            problems.push(format!(
                "{}: `{program}` is not a file, nor found on PATH",
                config.key(name, "rotation.after_promote")
            ));
        }
        checked.push(Checked { name, vendor: source.vendor().to_string(), problems });
    }
    let mut general = Vec::new();
    if config.sources.is_empty() {
        general.push(format!("{}: no sources: add a [sources.NAME] table", config.path.display()));
    }
    // Where `inventory`, `audit` and `serve` record unless --no-record.
    let history = config.history_path();
    match &history {
        Ok(path) => general.extend(unwritable(path).map(|why| {
            format!(
                "{}: the history, {}: {why}: set `state_dir` or [history] `path`, or pass \
                 --no-record",
                config.path.display(),
                path.display()
            )
        })),
        Err(failure) => general.extend(failure.message().map(str::to_owned)),
    }
    let ok = general.is_empty() && checked.iter().all(|source| source.problems.is_empty());
    let value = serde_json::json!({
        "path": config.path.display().to_string(),
        "history": history.ok().map(|path| path.display().to_string()),
        "ok": ok,
        "problems": general,
        "sources": checked,
    });
    let human = || {
        let mut text = String::new();
        for source in &checked {
            if source.problems.is_empty() {
                text.push_str(&format!("ok       {} ({})\n", source.name, source.vendor));
            }
            for problem in &source.problems {
                text.push_str(&format!("problem  {problem}\n"));
            }
        }
        for problem in &general {
            text.push_str(&format!("problem  {problem}\n"));
        }
        let sources = count(checked.len(), "source");
        let verdict = if ok { "fine" } else { "not fine" };
        text.push_str(&format!("{}: {sources}, {verdict}\n", config.path.display()));
        text
    };
    out.show(&value, human)?;
    if ok { Ok(()) } else { Err(Failure::Problems) }
}

/// Why a file at `path` could not be created, if it could not: its nearest existing ancestor
/// is not a directory, or not one this user may write in (another's, or a read-only mount).
fn unwritable(path: &std::path::Path) -> Option<String> {
    let existing = path.ancestors().skip(1).find(|ancestor| ancestor.exists())?;
    if !existing.is_dir() {
        return Some(format!("{} is not a directory", existing.display()));
    }
    #[cfg(unix)]
    if let Err(error) = rustix::fs::access(existing, rustix::fs::Access::WRITE_OK) {
        return Some(format!("{}: {}", existing.display(), std::io::Error::from(error)));
    }
    None
}

/// Whether `program` is a file, or one on `PATH`.
fn found(program: &str) -> bool {
    if program.contains('/') {
        return std::path::Path::new(program).is_file();
    }
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|directory| directory.join(program).is_file())
    })
}
