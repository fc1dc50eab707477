//! Usage mistakes: clap's errors shown without a value from the command line (it may be a
//! secret typed in the wrong place), and the conflicts and confirmations that are settled
//! before the configuration is read, a prompt is asked or anything is sent.

use std::process::ExitCode;

use clap::CommandFactory as _;

use crate::args::{BambooCommand, Cli, Command, EntuityCommand, InsightCommand, MagpieCommand};
use crate::args::{SecretOutput, ServiceAccountCommand};
use crate::failure::Failure;
use crate::{bamboo, new_secret, terminal};

/// Prints a usage error (or the help, or the version) and gives its exit code: 2 for an
/// error. Every value that came from the command line is left out of what clap says, whatever
/// the kind of error: clap quotes the value it could not take, and the person may have typed
/// a token where an id, a flag's value or a subcommand was expected.
pub fn error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let code = u8::try_from(error.exit_code()).unwrap_or(2);
    if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = error.print();
        return ExitCode::from(code);
    }
    let mut shown = error.render().to_string();
    for value in std::env::args().skip(1).flat_map(|argument| values(&argument)) {
        shown = shown.replace(&format!("'{value}'"), "'…' (not shown: it may be a secret)");
    }
    eprint!("{shown}");
    if !shown.ends_with('\n') {
        eprintln!();
    }
    ExitCode::from(code)
}

/// What of a command-line argument may be a value: all of it, or what follows `=` in
/// `--flag=value`; never the command's own words (subcommands, flags), which clap suggests.
fn values(argument: &str) -> Vec<String> {
    let own = own_words();
    let mut found = Vec::new();
    let (flag, value) = match argument.split_once('=') {
        Some((flag, value)) if flag.starts_with('-') => (Some(flag), value),
        _ => (None, argument),
    };
    if flag.is_some() || !own.iter().any(|word| word == value) {
        found.push(value.to_owned());
    }
    found.retain(|value| !value.is_empty());
    found
}

/// Every subcommand name, flag and possible value of the command line's definition.
fn own_words() -> Vec<String> {
    fn walk(command: &clap::Command, words: &mut Vec<String>) {
        words.push(command.get_name().to_owned());
        for argument in command.get_arguments() {
            if let Some(long) = argument.get_long() {
                words.push(format!("--{long}"));
            }
            if let Some(short) = argument.get_short() {
                words.push(format!("-{short}"));
            }
            for value in argument.get_possible_values() {
                words.push(value.get_name().to_owned());
            }
        }
        for subcommand in command.get_subcommands() {
            walk(subcommand, words);
        }
    }
    let mut words = Vec::new();
    walk(&Cli::command(), &mut words);
    words
}

/// The checks made before anything else: where a new secret would go (`--stdout` with
/// `--json`, a closed stdout, a terminal's scrollback, an existing file), the confirmation of
/// what cannot be undone, and an id that is not one.
pub fn check(cli: &Cli) -> Result<(), Failure> {
    if let Some(output) = secret_output(&cli.command) {
        new_secret::check(output, cli.json, cli.yes)?;
    }
    if let Some(question) = irreversible(&cli.command) {
        terminal::confirm(cli.yes, &question)?;
    }
    if let Command::Bamboo { command: BambooCommand::Update { id, .. }, .. } = &cli.command {
        bamboo::check_id(id)?;
    }
    Ok(())
}

/// Where the secret the command creates goes, if it creates one.
fn secret_output(command: &Command) -> Option<&SecretOutput> {
    match command {
        Command::Magpie { command, .. } => match command {
            MagpieCommand::Create(output) => Some(output),
            MagpieCommand::ServiceAccount { command, .. } => match command {
                ServiceAccountCommand::Create(output) | ServiceAccountCommand::Rotate(output) => {
                    Some(output)
                }
                ServiceAccountCommand::List => None,
            },
            _ => None,
        },
        Command::Bamboo { command: BambooCommand::Create { output, .. }, .. } => Some(output),
        Command::Entuity { command: EntuityCommand::Create { output, .. }, .. } => Some(output),
        Command::Insight { command, .. } => match command {
            InsightCommand::Authenticate(output) | InsightCommand::Create(output) => Some(output),
            InsightCommand::List | InsightCommand::Revoke => None,
        },
        _ => None,
    }
}

/// The question to confirm before a command that cannot be undone.
fn irreversible(command: &Command) -> Option<String> {
    match command {
        Command::Magpie { source, command } => match command {
            MagpieCommand::Delete { id } => {
                Some(format!("Delete token {id} of source `{source}`?"))
            }
            MagpieCommand::ServiceAccount { user, command: ServiceAccountCommand::Rotate(_) } => {
                Some(format!(
                    "Delete every token of service account {user} on source `{source}`, then \
                     create one?"
                ))
            }
            _ => None,
        },
        Command::Entuity { source, command: EntuityCommand::Delete { id } } => {
            Some(format!("Delete token {id} of source `{source}`?"))
        }
        Command::Insight { source, command: InsightCommand::Revoke } => {
            Some(format!("Revoke the API token of source `{source}`?"))
        }
        _ => None,
    }
}
