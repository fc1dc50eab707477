//! Why a command did not succeed, and the exit code that says so (`--help` lists them).

use std::fmt;
use std::process::ExitCode;

/// A command's failure. Its message names no secret: the SDK's errors hold none, and the
/// configuration's never quote a credential.
#[derive(Debug)]
pub enum Failure {
    /// A usage or configuration error: exit 2.
    Config(String),
    /// A source or a call failed: exit 3.
    Failed(String),
    /// Some sources failed, and what the others gave is printed: exit 3.
    Partial,
    /// The audit found something at or above `--fail-on`, printed already: exit 1.
    Findings,
}

impl Failure {
    /// A usage or configuration error.
    pub fn config(message: String) -> Self {
        Self::Config(message)
    }

    /// A call to `source` that failed.
    pub fn call(source: &str, error: impl fmt::Display) -> Self {
        Self::Failed(format!("source `{source}`: {error}"))
    }

    /// The process's exit code.
    pub fn code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Findings => 1,
            Self::Config(_) => 2,
            Self::Failed(_) | Self::Partial => 3,
        })
    }

    /// What to print on stderr, if anything is left to say.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Config(message) | Self::Failed(message) => Some(message),
            Self::Partial | Self::Findings => None,
        }
    }
}
