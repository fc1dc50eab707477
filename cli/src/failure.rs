//! Why a command did not succeed, and the exit code that says so (`--help` lists them).

use std::process::ExitCode;

/// A command's failure. Its message names no secret: the SDK's errors hold none, their causes
/// neither (transport and TLS errors, without the URL), and the configuration's never quote a
/// credential.
#[derive(Debug)]
pub enum Failure {
    /// A usage or configuration error, found before anything was done: exit 2.
    Config(String),
    /// `config check` found problems, printed already: exit 2.
    Problems,
    /// A source or a call failed: exit 3.
    Failed(String),
    /// Some sources failed, said already, and what the others gave is printed: exit 3.
    Partial,
    /// The audit found something at or above `--fail-on`, printed already: exit 1.
    Findings,
    /// `revoke-leaked` found nothing to revoke (or, for Magpie, only candidates), printed
    /// already: exit 1.
    NotRevoked,
}

impl Failure {
    /// A usage or configuration error.
    pub fn config(message: String) -> Self {
        Self::Config(message)
    }

    /// A call to `source` that failed, with its causes.
    pub fn call(source: &str, error: &(dyn std::error::Error + 'static)) -> Self {
        Self::Failed(format!("source `{source}`: {}", access_tokens::causes(error)))
    }

    /// The process's exit code.
    pub fn code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Findings | Self::NotRevoked => 1,
            Self::Config(_) | Self::Problems => 2,
            Self::Failed(_) | Self::Partial => 3,
        })
    }

    /// What to print on stderr, if anything is left to say.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Config(message) | Self::Failed(message) => Some(message),
            Self::Partial | Self::Findings | Self::NotRevoked | Self::Problems => None,
        }
    }
}
