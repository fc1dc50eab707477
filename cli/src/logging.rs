//! The library's tracing on stderr, for `-v`, `-vv` and `ACCESS_TOKENS_LOG`: each call's
//! vendor, operation, outcome, attempts and time, never a secret (the SDK's spans and events
//! hold none).

use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::failure::Failure;

/// The variable whose value, a filter like `access_tokens=debug,info`, decides what is logged.
pub const VARIABLE: &str = "ACCESS_TOKENS_LOG";

/// Starts logging as `-v` given `verbose` times, or `ACCESS_TOKENS_LOG`, say; nothing
/// otherwise. `-v` logs each call, `-vv` each attempt and wait too. The variable can name
/// other crates' targets, which log what they log.
pub fn start(verbose: u8) -> Result<(), Failure> {
    let filter = match std::env::var(VARIABLE) {
        Ok(text) if !text.is_empty() => text.parse::<Targets>().map_err(|error| {
            Failure::config(format!("{VARIABLE}: not a filter like `access_tokens=debug`: {error}"))
        })?,
        _ => match verbose {
            0 => return Ok(()),
            1 => "access_tokens=debug,access_tokens_runtime=debug".parse().expect("a filter"),
            _ => "access_tokens=trace,access_tokens_runtime=trace".parse().expect("a filter"),
        },
    };
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(filter)
        .try_init()
        .map_err(|error| Failure::config(format!("cannot start logging: {error}")))
}
