//! The command line, as clap parses it; the man page and the completions are made from it.

use std::path::PathBuf;

use access_tokens::inventory::Severity;
use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Create, list, audit, rotate and revoke API access tokens on Silect Magpie, Agent APIs for
/// Bamboo, Entuity and Insight.io.
///
/// Sources (vendor, URL, account) and where their credentials come from are named in a TOML
/// configuration file. Credentials come from the environment, a file, or a prompt, never from
/// the command line.
#[derive(Debug, Parser)]
#[command(name = "access-tokens", version, after_long_help = EXIT_CODES)]
pub struct Cli {
    /// The configuration file [default: $ACCESS_TOKENS_CONFIG, else
    /// $XDG_CONFIG_HOME/access-tokens/config.toml, else ~/.config/access-tokens/config.toml]
    #[arg(long, short, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print JSON (a stable shape, never a secret) instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print no progress and no summary: only what was asked for, and errors (always, on
    /// stderr).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Log each call the library makes (operation, outcome, attempts, time; never a secret)
    /// on stderr: -v, and -vv for more. ACCESS_TOKENS_LOG sets the filter instead
    /// (`access_tokens=debug`).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Go on without asking: deleting, revoking, Magpie's own rotate, and a secret printed on
    /// a terminal. Without it they are confirmed on a terminal, and refused elsewhere.
    #[arg(long, short, global = true)]
    pub yes: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Shown after `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    audit findings at or above --fail-on; revoke-leaked revoked nothing
  2    usage or configuration error: nothing was done
  3    a source or a call failed (the rest of the output is still printed)
  130  interrupted";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Silect Magpie: your access tokens, and service accounts'.
    Magpie {
        /// The source, as named in the configuration.
        source: String,
        #[command(subcommand)]
        command: MagpieCommand,
    },
    /// Agent APIs for Bamboo: every token, by administrator.
    Bamboo {
        /// The source, as named in the configuration.
        source: String,
        #[command(subcommand)]
        command: BambooCommand,
    },
    /// Entuity: every user's access tokens, by administrator.
    Entuity {
        /// The source, as named in the configuration.
        source: String,
        #[command(subcommand)]
        command: EntuityCommand,
    },
    /// Insight.io: a user's API tokens.
    Insight {
        /// The source, as named in the configuration.
        source: String,
        #[command(subcommand)]
        command: InsightCommand,
    },
    /// Lists the tokens of every source (or of those chosen) as one table, and records what it
    /// saw in the history.
    Inventory {
        #[command(flatten)]
        choice: Choice,
        #[command(flatten)]
        recording: Recording,
    },
    /// What changed between the last two inventories recorded (or since --since): tokens
    /// added, removed, and changed (enabled, permissions, expiry, name).
    Changes {
        /// Compare with the last run at least this long ago (`1d`, `2w`), or with run N.
        #[arg(long, value_name = "SPAN|RUN")]
        since: Option<String>,
    },
    /// Lists the tokens of every source (or of those named) and audits them against the
    /// policy: the configuration's `[policy]`, else the recommended one, changed by flags.
    Audit(AuditArgs),
    /// Rotates a source's credential: creates one, writes it to a file as pending, checks it,
    /// makes it current, runs the source's `after_promote` command, retires what it replaces
    /// (at once, or after `retire_after`) and confirms it. Run it again after a failure: it
    /// resumes.
    Rotate {
        /// The source; its configuration names the target (`service_account`, `token_name`,
        /// `token_user`, ...) and, under `[sources.NAME.rotation]`, what is retired and when.
        source: String,
        /// Where the new secret goes [default: the source's `sink.file`, or an Insight.io
        /// source's `api_token` file]: replaced whole, keeping the file's owner, group and
        /// mode, the pending secret beside it in FILE.pending until the rotation finishes.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Check everything and print what would be created, where its secret would go and
        /// what would be retired; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Retires the tokens a rotation replaced whose grace window (`retire_after`) has ended.
    RetireDue {
        /// The source.
        source: String,
        /// The rotation's file [default: as for `rotate`].
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Revokes the token whose value is read from stdin (asked without echo on a terminal) or a
    /// file, found by constant-time comparison, and confirms it. Magpie lists no values: it
    /// prints the candidates.
    RevokeLeaked {
        /// The source to search.
        source: String,
        /// Read the value from this file instead of stdin.
        #[arg(long, value_name = "FILE")]
        value_file: Option<PathBuf>,
    },
    /// Runs an inventory, an audit and a rotation against simulators seeded with a demo fleet,
    /// in this process: nothing to set up.
    #[cfg(feature = "demo")]
    Demo,
    /// Runs the inventory and the audit every --interval and serves the last result: Prometheus
    /// metrics on /metrics, /healthz, and the JSON on /inventory and /audit; rotates the
    /// sources with `rotate_every` when due. SIGHUP re-reads the configuration; SIGTERM or
    /// Ctrl-C stops it.
    Serve {
        /// The address to listen on; another than loopback only when given.
        #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:9477")]
        listen: std::net::SocketAddr,
        /// How often to list and audit (`90s`, `5m`, `1h`).
        #[arg(long, value_name = "SPAN", default_value = "5m")]
        interval: crate::config::Span,
    },
    /// Lists the configuration's sources: name, vendor, URL, account, where `rotate` writes.
    Sources,
    /// Checks the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Prints a shell completion script, with the configuration's source names.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Prints the man page (roff).
    Man,
}

/// `config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Checks the file offline: its syntax and keys, that every credential can be read (a
    /// prompt is not asked), file permissions, URLs and files named. Exit 2 if anything is
    /// wrong, with every problem listed.
    Check,
}

/// Which sources a command covers: those named, of the vendors named; all by default.
#[derive(Debug, Clone, Args)]
pub struct Choice {
    /// Sources, by name [default: all]; the same as --source.
    #[arg(value_name = "SOURCE")]
    pub names: Vec<String>,
    /// A source, by name (repeatable).
    #[arg(long = "source", value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Only the sources of this vendor (repeatable).
    #[arg(long, value_enum, value_name = "VENDOR")]
    pub vendor: Vec<VendorName>,
}

/// A vendor, as `--vendor` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VendorName {
    /// Silect Magpie.
    Magpie,
    /// Agent APIs for Bamboo.
    Bamboo,
    /// Entuity.
    Entuity,
    /// Insight.io.
    Insight,
}

impl VendorName {
    /// Whether this names `vendor`.
    pub fn is(self, vendor: access_tokens::inventory::Vendor) -> bool {
        use access_tokens::inventory::Vendor;
        matches!(
            (self, vendor),
            (Self::Magpie, Vendor::Magpie)
                | (Self::Bamboo, Vendor::Bamboo)
                | (Self::Entuity, Vendor::Entuity)
                | (Self::Insight, Vendor::Insight)
        )
    }
}

/// Where a secret that a command creates is written: exactly one of the two.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct SecretOutput {
    /// Write it to FILE, created new with mode 0600; an existing file is never overwritten
    /// (and nothing is created).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write it to stdout, alone on a line (not with --json, which never holds a secret; on
    /// a terminal, where it stays in the scrollback, only when confirmed or with --yes).
    #[arg(long)]
    pub stdout: bool,
}

#[derive(Debug, Subcommand)]
pub enum MagpieCommand {
    /// Lists your tokens.
    List,
    /// Creates a token for you.
    Create(SecretOutput),
    /// Enables a token.
    Enable {
        /// The token's id.
        id: String,
    },
    /// Disables a token.
    Disable {
        /// The token's id.
        id: String,
    },
    /// Sets a token's description.
    Describe {
        /// The token's id.
        id: String,
        /// The new description.
        description: String,
    },
    /// Deletes a token (confirmed, or --yes).
    Delete {
        /// The token's id.
        id: String,
    },
    /// A service account's tokens (an administrator's source).
    ServiceAccount {
        /// The service account's user name.
        user: String,
        #[command(subcommand)]
        command: ServiceAccountCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ServiceAccountCommand {
    /// Lists its tokens.
    List,
    /// Creates a token for it.
    Create(SecretOutput),
    /// Magpie's own rotate: deletes every token of the account, then creates one. The old
    /// ones are gone before the new one is written; `access-tokens rotate` is the safe way
    /// (confirmed, or --yes).
    Rotate(SecretOutput),
}

#[derive(Debug, Subcommand)]
pub enum BambooCommand {
    /// Lists every token (values shown as fingerprints).
    List,
    /// Creates a token.
    Create {
        /// Its name.
        name: String,
        /// It may read agents.
        #[arg(long)]
        read: bool,
        /// It may change agents.
        #[arg(long)]
        change: bool,
        #[command(flatten)]
        output: SecretOutput,
    },
    /// Changes a token's name or permissions.
    Update {
        /// The token's id as listed (`sha256:…`): a Bamboo token's value is its id.
        id: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// Whether it may read agents.
        #[arg(long, value_name = "BOOL")]
        read: Option<bool>,
        /// Whether it may change agents.
        #[arg(long, value_name = "BOOL")]
        change: Option<bool>,
    },
}

#[derive(Debug, Subcommand)]
pub enum EntuityCommand {
    /// Lists every token.
    List,
    /// Creates a token for a user.
    Create {
        #[command(flatten)]
        user: EntuityUser,
        /// Its description.
        #[arg(long)]
        description: Option<String>,
        /// Days until it expires [default: never].
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<u64>,
        #[command(flatten)]
        output: SecretOutput,
    },
    /// Shows a token.
    Get {
        /// The token's id.
        id: i64,
    },
    /// Changes a token's description or expiry.
    Update {
        /// The token's id.
        id: i64,
        /// A new description.
        #[arg(long)]
        description: Option<String>,
        /// Days from now until it expires.
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<u64>,
    },
    /// Deletes a token (confirmed, or --yes).
    Delete {
        /// The token's id.
        id: i64,
    },
}

/// Whose token: exactly one of the two.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct EntuityUser {
    /// The user's name.
    #[arg(long)]
    pub user: Option<String>,
    /// The user's id.
    #[arg(long)]
    pub user_id: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub enum InsightCommand {
    /// Exchanges the source's `user` and `password` for a new token.
    Authenticate(SecretOutput),
    /// Lists the tokens of the source's `api_token`'s user.
    List,
    /// Creates a token with the source's `session_cookie`.
    Create(SecretOutput),
    /// Revokes the source's own `api_token` (confirmed, or --yes).
    Revoke,
}

/// Whether an inventory is recorded in the history.
#[derive(Debug, Clone, Copy, Args)]
pub struct Recording {
    /// Do not record this inventory in the history (`[history]`).
    #[arg(long)]
    pub no_record: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub choice: Choice,
    #[command(flatten)]
    pub recording: Recording,
    /// Exit with 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value = "medium")]
    pub fail_on: FailOn,
    /// Tokens older than this many days are findings.
    #[arg(long, value_name = "DAYS")]
    pub max_age_days: Option<u64>,
    /// Tokens unused for longer than this many days are findings.
    #[arg(long, value_name = "DAYS")]
    pub max_idle_days: Option<u64>,
    /// Tokens expiring within this many days are findings.
    #[arg(long, value_name = "DAYS")]
    pub expiring_within_days: Option<u64>,
    /// Tokens that never expire are findings.
    #[arg(long)]
    pub require_expiry: bool,
    /// Accounts with more tokens than this are findings.
    #[arg(long, value_name = "N")]
    pub max_tokens_per_account: Option<usize>,
    /// Also write the metrics (the tokens' times, the findings, the sources' health) to FILE,
    /// for node_exporter's textfile collector: replaced whole, mode 0644.
    #[arg(long, value_name = "FILE")]
    pub prometheus: Option<PathBuf>,
}

/// The least severity that fails an audit, or `None`: never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailOn(pub Option<Severity>);

impl ValueEnum for FailOn {
    fn value_variants<'a>() -> &'a [Self] {
        const ALL: [FailOn; 5] = [
            FailOn(Some(Severity::Low)),
            FailOn(Some(Severity::Medium)),
            FailOn(Some(Severity::High)),
            FailOn(Some(Severity::Critical)),
            FailOn(None),
        ];
        &ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self.0 {
            Some(severity) => PossibleValue::new(severity.name()).help(match severity {
                Severity::Low => "Any finding",
                Severity::Medium => "A policy broken",
                Severity::High => "A token that should not work may still work",
                _ => "A token that should not work is in use",
            }),
            None => PossibleValue::new("never").help("Never: findings are only printed"),
        })
    }
}
