//! `access-tokens entuity SOURCE …`: the Entuity facade's calls.

use std::time::SystemTime;

use access_tokens::entuity;
use access_tokens::inventory::Source;

use crate::args::EntuityCommand;
use crate::config::{EntuitySource, days};
use crate::connect::Named;
use crate::failure::Failure;
use crate::listing;
use crate::new_secret;
use crate::output::{Out, done, moment_of, table};

/// Runs `command` on the source `named`.
pub async fn run(
    named: Named<'_, EntuitySource>,
    command: &EntuityCommand,
    out: Out,
) -> Result<(), Failure> {
    let client = named.client()?;
    let name = named.name;
    let failed = |error| named.failed(&error);
    match command {
        EntuityCommand::List => listing::list_one(Source::entuity(name, client), out).await,
        EntuityCommand::Create { user, description, expires_in_days, output } => {
            let mut new = match (&user.user, user.user_id) {
                (Some(user), _) => entuity::NewAccessToken::for_user_name(user),
                (None, Some(id)) => entuity::NewAccessToken::for_user_id(id),
                (None, None) => unreachable!("clap requires one"),
            };
            if let Some(description) = description {
                new = new.with_description(description);
            }
            if let Some(n) = expires_in_days {
                new = new.expiring_at(SystemTime::now() + days(*n));
            }
            let create = async {
                let created = client.create_token(&new).await?;
                Ok((created.token_value, Some(created.token_id.to_string())))
            };
            new_secret::create(output, out, name, create).await
        }
        EntuityCommand::Get { id } => {
            let token = client.get_token(*id).await.map_err(failed)?;
            let dash = || "-".to_owned();
            let rows = vec![
                vec!["id".into(), token.token_id.to_string()],
                vec!["user".into(), token.user_name.clone().unwrap_or_else(dash)],
                vec!["description".into(), token.description.clone().unwrap_or_else(dash)],
                vec!["created (UTC)".into(), moment_of(token.created_at())],
                vec!["expires (UTC)".into(), token.expiry().map_or_else(dash, expiry)],
                vec!["changed (UTC)".into(), moment_of(token.last_updated_at())],
            ];
            out.show(&token, || table(&["field", "value"], &rows, &["value"]))
        }
        EntuityCommand::Update { id, description, expires_in_days } => {
            let update = entuity::AccessTokenUpdate {
                description: description.clone(),
                expiry_time_sec: expires_in_days.map(|n| unix_seconds(SystemTime::now() + days(n))),
                ..Default::default()
            };
            client.update_token(*id, &update).await.map_err(failed)?;
            done(out, name, "updated", &id.to_string())
        }
        EntuityCommand::Delete { id } => {
            client.delete_token(*id).await.map_err(failed)?;
            done(out, name, "deleted", &id.to_string())
        }
    }
}

fn expiry(expiry: access_tokens::Expiry) -> String {
    match expiry {
        access_tokens::Expiry::Never => "never".into(),
        access_tokens::Expiry::At(at) => moment_of(Some(at)),
    }
}

fn unix_seconds(at: SystemTime) -> i64 {
    at.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64)
}
