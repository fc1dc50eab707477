//! Where `rotate` puts a source's new secret: the `[sink]` its configuration chooses (a file, a
//! Vault or OpenBao KV version 2 secret, or a command), or `-o FILE`.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use access_tokens::Secret;
use access_tokens::rotation::{
    CommandSink, FileSink, Ledger, NewCredential, Sink, SinkLock, VaultSink,
};

use crate::config::{Config, SecretRef, SinkSettings, Source, private_directory};
use crate::connect::Named;
use crate::failure::Failure;

/// One of the tool's sinks.
#[derive(Debug)]
pub enum ToolSink {
    /// A file the application reads.
    File(FileSink),
    /// A KV version 2 secret.
    Vault(VaultSink),
    /// A command per stage.
    Command(CommandSink),
}

impl ToolSink {
    /// The sink of the source `name`: `-o FILE`, else its `[sink]` (`file`, `vault` or
    /// `command`, exactly one), else an Insight.io source's `api_token` file.
    pub fn of(
        config: &Config,
        name: &str,
        source: &Source,
        output: Option<&Path>,
    ) -> Result<Self, Failure> {
        let named = Named { config, name, source };
        let settings = source.sink();
        if let Some(path) = output {
            return file(&named, path.to_owned(), settings);
        }
        let Some(settings) = settings else {
            return match insight_token_file(source) {
                Some(file) => Ok(Self::File(FileSink::new(config.relative(file)))),
                None => Err(no_sink(&named)),
            };
        };
        match (&settings.file, &settings.vault, &settings.command) {
            (Some(path), None, None) => file(&named, config.relative(path), Some(settings)),
            (None, Some(vault), None) => Ok(Self::Vault(named.vault_sink(vault)?)),
            (None, None, Some(command)) => command_sink(&named, command, settings),
            (None, None, None) => match insight_token_file(source) {
                Some(path) => file(&named, config.relative(path), Some(settings)),
                None => Err(no_sink(&named)),
            },
            _ => Err(named.missing("sink", "is one of `file`, `vault` and `command`, not several")),
        }
    }

    /// The file the secret goes to, for a file sink.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Self::File(sink) => Some(sink.path()),
            Self::Vault(_) | Self::Command(_) => None,
        }
    }
}

/// An Insight.io source's `api_token` file: its rotation writes there by default.
fn insight_token_file(source: &Source) -> Option<&Path> {
    match source {
        Source::Insight(insight) => insight.api_token.as_ref().and_then(SecretRef::file),
        _ => None,
    }
}

fn no_sink(named: &Named<'_, Source>) -> Failure {
    named.missing(
        "sink",
        &format!(
            "rotating needs somewhere for the new secret: `-o FILE`, or `file`, `vault` or \
             `command` under [sources.{}.sink]",
            named.name
        ),
    )
}

/// A file sink at `path`, with the `[sink]`'s `mode` and `group`.
fn file(
    named: &Named<'_, Source>,
    path: PathBuf,
    settings: Option<&SinkSettings>,
) -> Result<ToolSink, Failure> {
    let mut sink = FileSink::new(path);
    if let Some(settings) = settings {
        if let Some(mode) = settings.mode {
            sink = sink.mode(mode.0);
        }
        if let Some(group) = &settings.group {
            sink = sink.group(group.id().map_err(|why| named.missing("sink.group", &why))?);
        }
    }
    Ok(ToolSink::File(sink))
}

/// A command sink running `command`, its ledger and lock in the `state` file.
fn command_sink(
    named: &Named<'_, Source>,
    command: &[String],
    settings: &SinkSettings,
) -> Result<ToolSink, Failure> {
    let Some((program, arguments)) = command.split_first() else {
        return Err(named.missing("sink.command", "the command is empty"));
    };
    let state = match &settings.state {
        Some(state) => named.config.relative(state),
        None => named.config.sink_state_path(named.name).ok_or_else(|| {
            named
                .missing("sink.state", "no state_dir, HOME or XDG_STATE_HOME to keep the ledger in")
        })?,
    };
    if let Some(directory) = state.parent() {
        private_directory(directory)
            .map_err(|e| named.missing("sink.state", &format!("{}: {e}", directory.display())))?;
    }
    let mut sink = CommandSink::new(program.clone(), arguments.iter().cloned())
        .pass_env(settings.env.iter().cloned())
        .state_file(state);
    if let Some(timeout) = settings.timeout {
        sink = sink.timeout(timeout.0);
    }
    Ok(ToolSink::Command(sink))
}

/// Calls `$method` on whichever sink this is.
macro_rules! each {
    ($self:ident, $sink:ident => $call:expr) => {
        match $self {
            Self::File($sink) => $call,
            Self::Vault($sink) => $call,
            Self::Command($sink) => $call,
        }
    };
}

impl Sink for ToolSink {
    async fn store(&self, credential: &NewCredential<'_>) -> io::Result<()> {
        each!(self, sink => sink.store(credential).await)
    }

    async fn promote(&self) -> io::Result<()> {
        each!(self, sink => sink.promote().await)
    }

    async fn finish(&self) -> io::Result<()> {
        each!(self, sink => sink.finish().await)
    }

    async fn pending(&self) -> io::Result<Option<Secret>> {
        each!(self, sink => sink.pending().await)
    }

    async fn set_aside_pending(&self) -> io::Result<()> {
        each!(self, sink => sink.set_aside_pending().await)
    }

    async fn current(&self) -> io::Result<Option<Secret>> {
        each!(self, sink => sink.current().await)
    }

    async fn check(&self) -> io::Result<()> {
        each!(self, sink => sink.check().await)
    }

    fn describe(&self) -> String {
        each!(self, sink => sink.describe())
    }

    fn name(&self) -> String {
        each!(self, sink => sink.name())
    }

    async fn lock(&self, wait: Duration) -> io::Result<SinkLock> {
        each!(self, sink => sink.lock(wait).await)
    }

    async fn check_lock(&self) -> io::Result<()> {
        each!(self, sink => sink.check_lock().await)
    }

    async fn ledger(&self) -> io::Result<Ledger> {
        each!(self, sink => sink.ledger().await)
    }

    async fn save_ledger(&self, ledger: &Ledger) -> io::Result<()> {
        each!(self, sink => sink.save_ledger(ledger).await)
    }
}
