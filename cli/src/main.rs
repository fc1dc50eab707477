//! `access-tokens`: the SDK's operations, inventory, audit, rotation and revocation from a
//! shell (`cargo install access-tokens-cli`).

mod args;
mod bamboo;
mod config;
mod connect;
#[cfg(feature = "demo")]
mod demo;
mod entuity;
mod failure;
mod fleet;
mod insight;
mod listing;
mod magpie;
mod new_secret;
mod output;
mod rotation;

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};

use crate::args::{Cli, Command};
use crate::config::{Config, Source};
use crate::connect::Named;
use crate::failure::Failure;
use crate::output::Out;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("access-tokens: {error}");
            return ExitCode::from(3);
        }
    };
    match runtime.block_on(run(&cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if let Some(message) = failure.message() {
                eprintln!("access-tokens: {message}");
            }
            failure.code()
        }
    }
}

/// Prints a usage error (or the help) and exits 2 (or 0). An unexpected value is not quoted:
/// it may be a secret someone passed where none is ever taken.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let value = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(value)) => Some(value.as_str()),
        _ => None,
    };
    match (error.kind(), value) {
        (ErrorKind::UnknownArgument, Some(value)) if !value.starts_with('-') => {
            eprintln!(
                "error: an unexpected argument (not shown: it may be a secret; credentials come \
                 from the configuration, and revoke-leaked reads its value from stdin)\n\n{}",
                Cli::command().render_usage()
            );
            ExitCode::from(2)
        }
        _ => {
            let _ = error.print();
            ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
        }
    }
}

async fn run(cli: &Cli) -> Result<(), Failure> {
    let out = Out { json: cli.json, quiet: cli.quiet };
    match &cli.command {
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(*shell, &mut command, "access-tokens", &mut std::io::stdout());
            return Ok(());
        }
        Command::Man => {
            return clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .map_err(|e| Failure::Failed(e.to_string()));
        }
        #[cfg(feature = "demo")]
        Command::Demo => return demo::run(out).await,
        _ => {}
    }
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
        Command::Inventory { sources } => fleet::inventory(config, sources, out).await,
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
        #[cfg(feature = "demo")]
        Command::Demo => unreachable!("handled before the configuration is read"),
        Command::Completions { .. } | Command::Man => {
            unreachable!("handled before the configuration is read")
        }
    }
}
