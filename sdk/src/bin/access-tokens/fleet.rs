//! The commands across sources: `inventory`, `audit`, `rotate` and `revoke-leaked`.

use std::io::{IsTerminal as _, Read as _};
use std::path::Path;
use std::time::SystemTime;

use access_tokens::inventory::{Audit, Severity};
use access_tokens::rotation::{self, FileSink, InsightCreate, Leaked, Server, State, Target};
use access_tokens::{Secret, bamboo, entuity};

use crate::args::{AuditArgs, FailOn};
use crate::config::{Config, Source};
use crate::connect::Named;
use crate::failure::Failure;
use crate::listing::{self, Listed};
use crate::output::{Out, table};

/// `inventory`: every source's tokens as one table.
pub async fn inventory(config: &Config, sources: &[String], out: Out) -> Result<(), Failure> {
    let listed = listing::list(config, sources, out).await?;
    listing::print(&listed, out)
}

/// `audit`: the inventory judged by the policy, at the servers' time.
pub async fn audit(config: &Config, args: &AuditArgs, out: Out) -> Result<(), Failure> {
    let listed = listing::list(config, &args.sources, out).await?;
    let policy = config.policy.clone().unwrap_or_default().with_flags(args).policy();
    let now = listed.inventory.server_now().unwrap_or_else(SystemTime::now);
    let audit = listed.inventory.audit(&policy, now);
    print_audit(&listed, &audit, out)?;
    listed.warn_failures(out);
    if listed.failed() {
        return Err(Failure::Partial);
    }
    let threshold = match args.fail_on {
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    };
    match (threshold, audit.most_severe()) {
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
        let mut text = table(&["severity", "source", "finding"], &rows);
        text.push_str(&format!("{} findings in {} tokens\n", audit.len(), listed.inventory.len()));
        text
    };
    out.show(&value, human)
}

/// `rotate`: the source's target rotated, the new secret in `output`.
pub async fn rotate(config: &Config, name: &str, output: &Path, out: Out) -> Result<(), Failure> {
    let sink = FileSink::new(output);
    let report = match config.source(name)? {
        Source::Magpie(source) => {
            let client = Named { config, name, source }.client().await?;
            let target = match &source.service_account {
                Some(account) => Target::magpie_service_account(&client, account),
                None => Target::magpie_personal(&client),
            };
            rotation::rotate(&target, &sink).await
        }
        Source::Bamboo(source) => {
            let named = Named { config, name, source };
            let token_name = source.token_name.as_ref().ok_or_else(|| {
                named.missing("token_name", "rotating needs the name of the tokens to replace")
            })?;
            let token =
                bamboo::NewToken::new(token_name).with_read(source.read).with_change(source.change);
            let client = named.client()?;
            rotation::rotate(&Target::Bamboo { client: &client, token: &token }, &sink).await
        }
        Source::Entuity(source) => {
            let named = Named { config, name, source };
            let user = source.token_user.as_ref().ok_or_else(|| {
                named.missing("token_user", "rotating needs the user whose tokens to replace")
            })?;
            let mut token = entuity::NewAccessToken::for_user_name(user);
            if let Some(description) = &source.token_description {
                token = token.with_description(description);
            }
            let client = named.client()?;
            rotation::rotate(&Target::Entuity { client: &client, token: &token }, &sink).await
        }
        Source::Insight(source) => {
            let named = Named { config, name, source };
            let builder = named.builder()?;
            // By credentials where the source has them, else by its browser session.
            let (credentials, session);
            let create = match named.credentials()? {
                Some(found) => {
                    credentials = found;
                    InsightCreate::Credentials(&credentials)
                }
                None => {
                    session = named.session()?;
                    InsightCreate::Session(&session)
                }
            };
            rotation::rotate(&Target::Insight { create, builder: &builder }, &sink).await
        }
    };
    let human = || format!("{name}: {report}\n");
    out.show(&report, human)?;
    match report.state {
        State::Rotated => Ok(()),
        _ => Err(Failure::Failed(format!(
            "source `{name}`: the rotation stopped ({}); run it again to resume",
            report.state
        ))),
    }
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
            rotation::revoke_leaked(Server::Magpie(&client), &leaked).await
        }
        Source::Bamboo(source) => {
            let client = Named { config, name, source }.client()?;
            rotation::revoke_leaked(Server::Bamboo(&client), &leaked).await
        }
        Source::Entuity(source) => {
            let client = Named { config, name, source }.client()?;
            rotation::revoke_leaked(Server::Entuity(&client), &leaked).await
        }
        Source::Insight(source) => {
            let builder = Named { config, name, source }.builder()?;
            rotation::revoke_leaked(Server::Insight(&builder), &leaked).await
        }
    }
    .map_err(|error| Failure::call(name, error))?;
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
        _ => Err(Failure::Failed(format!("source `{name}`: nothing was revoked"))),
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
