//! `access-tokens`: the SDK's operations, inventory, audit, rotation and revocation from a
//! shell, cron, CI or a systemd timer (`cargo install access-tokens-cli`).

mod args;
mod bamboo;
mod config;
mod connect;
#[cfg(feature = "demo")]
mod demo;
mod entuity;
mod failure;
mod fleet;
mod help;
mod history;
mod insight;
mod listing;
mod logging;
mod magpie;
mod metrics;
mod new_secret;
mod output;
mod rotation;
mod serve;
mod sink;
mod sources;
mod terminal;
mod usage;

use std::process::ExitCode;

use clap::Parser as _;

use crate::args::{Cli, Command, ConfigCommand};
use crate::config::{Config, Source};
use crate::connect::Named;
use crate::failure::Failure;
use crate::output::Out;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage::error(&error),
    };
    if let Err(failure) = logging::start(cli.verbose) {
        return report(&failure);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("access-tokens: {error}");
            return ExitCode::from(3);
        }
    };
    match runtime.block_on(run(&cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure),
    }
}

/// Prints what is left to say of `failure` on stderr (always, `--quiet` or not), and gives
/// its exit code.
fn report(failure: &Failure) -> ExitCode {
    if let Some(message) = failure.message() {
        for line in message.lines() {
            eprintln!("access-tokens: {line}");
        }
    }
    failure.code()
}

async fn run(cli: &Cli) -> Result<(), Failure> {
    let out = Out { json: cli.json, quiet: cli.quiet, lines: false };
    if let Command::Serve { listen, interval } = &cli.command {
        // It stops cleanly on Ctrl-C and SIGTERM, of its own.
        let path = Config::location(cli.config.as_deref())?;
        return serve::run(&path, *listen, interval.0, out).await;
    }
    terminal::on_interrupt();
    match &cli.command {
        Command::Completions { shell } => {
            // The configuration's source names complete too, when there is one to read.
            let config = Config::location(cli.config.as_deref()).ok().and_then(|path| {
                std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|text| Config::parse(&path, &text).ok())
            });
            return output::raw(&help::completions(*shell, config.as_ref()));
        }
        Command::Man => return output::raw(&help::man_page()),
        #[cfg(feature = "demo")]
        Command::Demo => return demo::run(Out { lines: true, ..out }).await,
        _ => {}
    }
    // Usage mistakes are found before anything is read, asked or sent.
    usage::check(cli)?;
    let config = Config::load(&Config::location(cli.config.as_deref())?)?;
    run_configured(&config, &cli.command, out).await
}

/// Runs a command that needs the configuration.
pub async fn run_configured(config: &Config, command: &Command, out: Out) -> Result<(), Failure> {
    let wrong = |name: &str, vendor: &str| {
        Failure::config(format!(
            "{}: source `{name}` is not a {vendor} source",
            config.path.display()
        ))
    };
    match command {
        Command::Magpie { source: name, command } => match config.source(name)? {
            Source::Magpie(source) => {
                magpie::run(Named { config, name, source }, command, out).await
            }
            _ => Err(wrong(name, "magpie")),
        },
        Command::Bamboo { source: name, command } => match config.source(name)? {
            Source::Bamboo(source) => {
                bamboo::run(Named { config, name, source }, command, out).await
            }
            _ => Err(wrong(name, "bamboo")),
        },
        Command::Entuity { source: name, command } => match config.source(name)? {
            Source::Entuity(source) => {
                entuity::run(Named { config, name, source }, command, out).await
            }
            _ => Err(wrong(name, "entuity")),
        },
        Command::Insight { source: name, command } => match config.source(name)? {
            Source::Insight(source) => {
                insight::run(Named { config, name, source }, command, out).await
            }
            _ => Err(wrong(name, "insight")),
        },
        Command::Inventory { choice, recording } => {
            fleet::inventory(config, choice, *recording, out).await
        }
        Command::Changes { since } => history::changes(config, since.as_deref(), out),
        Command::Audit(args) => fleet::audit(config, args, out).await,
        Command::Rotate { source, output, dry_run } => {
            let action = if *dry_run { rotation::Action::Plan } else { rotation::Action::Rotate };
            rotation::run(config, source, output.as_deref(), action, out).await
        }
        Command::RetireDue { source, output } => {
            rotation::run(config, source, output.as_deref(), rotation::Action::RetireDue, out).await
        }
        Command::RevokeLeaked { source, value_file } => {
            fleet::revoke_leaked(config, source, value_file.as_deref(), out).await
        }
        Command::Sources => sources::list(config, out),
        Command::Config { command: ConfigCommand::Check } => sources::check(config, out),
        #[cfg(feature = "demo")]
        Command::Demo => unreachable!("handled before the configuration is read"),
        Command::Completions { .. } | Command::Man | Command::Serve { .. } => {
            unreachable!("handled before the configuration is read")
        }
    }
}
