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
        Self::Failed(format!("source `{source}`: {}", chain(error)))
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

/// `error` and each of its causes, `: `-separated, a cause whose words are already shown left
/// out: "list_tokens: no response from the server: client error (Connect): tcp connect error:
/// Connection refused (os error 111)".
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut shown = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let text = error.to_string();
        if !shown.contains(&text) {
            shown.push_str(": ");
            shown.push_str(&text);
        }
        cause = error.source();
    }
    shown
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::chain;

    /// An error saying `text`, caused by `cause`.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|cause| cause as _)
        }
    }

    #[test]
    fn a_chain_shows_each_cause_once() {
        let refused = Layer("connection refused", None);
        let error =
            Layer("list: no response", Some(Box::new(Layer("connect", Some(refused.into())))));
        assert_eq!(chain(&error), "list: no response: connect: connection refused");
        let said = Layer("list: connect failed", Some(Box::new(Layer("connect", None))));
        assert_eq!(chain(&said), "list: connect failed");
    }
}
