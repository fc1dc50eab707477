//! The commands across sources: `inventory`, `audit` and `revoke-leaked`.

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;
use std::time::SystemTime;

use access_tokens::Secret;
use access_tokens::inventory::{Audit, Health, Seen};
use access_tokens::rotation::{self, Leaked};

use crate::args::{AuditArgs, Choice, Recording};
use crate::config::{Config, Source};
use crate::connect::Named;
use crate::failure::Failure;
use crate::listing::{self, Listed};
use crate::output::{Out, count, table};
use crate::{history, metrics};

/// `inventory`: every chosen source's tokens as one table, recorded in the history.
pub async fn inventory(
    config: &Config,
    choice: &Choice,
    recording: Recording,
    out: Out,
) -> Result<(), Failure> {
    let mut store = (!recording.no_record).then(|| history::open(config)).transpose()?;
    let listed = listing::list(config, choice, out).await?;
    if let Some(store) = &mut store {
        history::record(config, store, &listed)?;
    }
    listing::print(&listed, out)
}

/// `audit`: the inventory judged by the policy, at the servers' time.
pub async fn audit(config: &Config, args: &AuditArgs, out: Out) -> Result<(), Failure> {
    let mut store = (!args.recording.no_record).then(|| history::open(config)).transpose()?;
    let listed = listing::list(config, &args.choice, out).await?;
    let seen = match &mut store {
        Some(store) => history::record(config, store, &listed)?,
        None => Seen::new(),
    };
    let policy = config.policy.clone().unwrap_or_default().with_flags(args).policy();
    let now = listed.inventory.server_now().unwrap_or_else(SystemTime::now);
    let audit = listed.inventory.audit_seen(&policy, now, &seen);
    if let Some(path) = &args.prometheus {
        let mut health = Health::new();
        metrics::record(config, &listed, &mut health, SystemTime::now()).await;
        metrics::write_textfile(path, &metrics::render(&listed, &audit, &health, &seen))?;
    }
    print_audit(&listed, &audit, out)?;
    listed.warn_failures(out);
    if listed.failed() {
        return Err(Failure::Partial);
    }
    match (args.fail_on.0, audit.most_severe()) {
        (Some(threshold), Some(worst)) if worst >= threshold => Err(Failure::Findings),
        _ => Ok(()),
    }
}

/// The audit as a table of findings, or JSON: the audit's (`now_unix_ms`, `findings`) and the
/// inventory's `failures`.
pub fn print_audit(listed: &Listed, audit: &Audit<'_>, out: Out) -> Result<(), Failure> {
    let mut value = serde_json::to_value(audit).expect("an audit serializes");
    value["failures"] = listed.to_json()["failures"].take();
    let human = || {
        let rows: Vec<Vec<String>> = audit
            .iter()
            .map(|finding| {
                vec![
                    finding.severity.to_string(),
                    finding.token.source().to_owned(),
                    finding.message(),
                ]
            })
            .collect();
        let mut text = table(&["severity", "source", "finding"], &rows, &["source", "finding"]);
        let findings = count(audit.len(), "finding");
        text.push_str(&format!("{findings} in {}\n", count(listed.inventory.len(), "token")));
        text
    };
    out.show(&value, human)
}

/// `revoke-leaked`: the token whose value is read from `value_file` (or stdin) revoked.
pub async fn revoke_leaked(
    config: &Config,
    name: &str,
    value_file: Option<&Path>,
    out: Out,
) -> Result<(), Failure> {
    let leaked = read_value(value_file)?;
    let found = match config.source(name)? {
        Source::Magpie(source) => {
            let client = Named { config, name, source }.client().await?;
            rotation::revoke_leaked(&client, &leaked).await
        }
        Source::Bamboo(source) => {
            let client = Named { config, name, source }.client()?;
            rotation::revoke_leaked(&client, &leaked).await
        }
        Source::Entuity(source) => {
            let client = Named { config, name, source }.client()?;
            rotation::revoke_leaked(&client, &leaked).await
        }
        Source::Insight(source) => {
            let builder = Named { config, name, source }.builder()?;
            rotation::revoke_leaked(&builder, &leaked).await
        }
    }
    .map_err(|error| Failure::call(name, &error))?;
    let human = || match &found {
        Leaked::Revoked(id) => format!("{name}: revoked {id}, and confirmed\n"),
        Leaked::NotFound => format!("{name}: no token has that value\n"),
        Leaked::Candidates(ids) => {
            let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
            format!("{name}: Magpie lists no values; the token is one of: {}\n", ids.join(", "))
        }
        _ => format!("{name}: {found:?}\n"),
    };
    out.show(&found, human)?;
    match found {
        Leaked::Revoked(_) => Ok(()),
        _ => Err(Failure::NotRevoked),
    }
}

/// The leaked value: the file's, or stdin's, without its trailing newline. Asked without echo
/// when stdin is a terminal: shown again, it would be in the scrollback and on the screen.
fn read_value(file: Option<&Path>) -> Result<Secret, Failure> {
    let mut value = String::new();
    let read = match file {
        Some(path) => std::fs::read_to_string(path).map(|text| value = text),
        None if std::io::stdin().is_terminal() => {
            rpassword::prompt_password("The leaked value (not shown): ").map(|text| value = text)
        }
        None => std::io::stdin().read_to_string(&mut value).map(drop),
    };
    read.map_err(|error| Failure::config(format!("cannot read the leaked value: {error}")))?;
    let kept = value.trim_end_matches(['\r', '\n']).len();
    value.truncate(kept);
    if value.is_empty() {
        return Err(Failure::config("the leaked value is empty".into()));
    }
    Ok(Secret::new(value))
}
