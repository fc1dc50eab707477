//! `access-tokens magpie SOURCE …`: the Magpie facade's calls.

use access_tokens::inventory::Source;
use access_tokens::magpie;

use crate::args::{MagpieCommand, ServiceAccountCommand};
use crate::config::MagpieSource;
use crate::connect::Named;
use crate::failure::Failure;
use crate::listing;
use crate::new_secret;
use crate::output::{Out, done};

/// Runs `command` on the source `named`.
pub async fn run(
    named: Named<'_, MagpieSource>,
    command: &MagpieCommand,
    out: Out,
) -> Result<(), Failure> {
    let client = named.client().await?;
    let name = named.name;
    let failed = |error| named.failed(&error);
    if let MagpieCommand::Enable { id }
    | MagpieCommand::Disable { id }
    | MagpieCommand::Describe { id, .. }
    | MagpieCommand::Delete { id } = command
    {
        listed(&named, &client, id).await?;
    }
    match command {
        MagpieCommand::List => listing::list_one(Source::magpie(name, client), out).await,
        MagpieCommand::Create(output) => {
            let create = async { client.create_token().await.map(|t| (t.token, None)) };
            new_secret::create(output, out, name, create).await
        }
        MagpieCommand::Enable { id } => {
            client.enable(id).await.map_err(failed)?;
            done(out, name, "enabled", id)
        }
        MagpieCommand::Disable { id } => {
            client.disable(id).await.map_err(failed)?;
            done(out, name, "disabled", id)
        }
        MagpieCommand::Describe { id, description } => {
            client.set_description(id, description).await.map_err(failed)?;
            done(out, name, "described", id)
        }
        MagpieCommand::Delete { id } => {
            client.delete(id).await.map_err(failed)?;
            done(out, name, "deleted", id)
        }
        MagpieCommand::ServiceAccount { user, command } => {
            let account = client.service_account(user);
            match command {
                ServiceAccountCommand::List => {
                    let source = Source::magpie_service_account(name, client.clone(), user);
                    listing::list_one(source, out).await
                }
                ServiceAccountCommand::Create(output) => {
                    let create = async { account.create().await.map(|t| (t.token, None)) };
                    new_secret::create(output, out, name, create).await
                }
                ServiceAccountCommand::Rotate(output) => {
                    let rotate = async { account.rotate().await.map(|t| (t.token, None)) };
                    new_secret::create(output, out, name, rotate).await
                }
            }
        }
    }
}

/// Refuses an id the user's listing does not show, without showing or sending it: ids go in
/// the URL's path, where a token's value typed by mistake would reach the server's logs.
async fn listed(
    named: &Named<'_, MagpieSource>,
    client: &magpie::Client,
    id: &str,
) -> Result<(), Failure> {
    let tokens = client.list_tokens().await.map_err(|e| named.failed(&e))?;
    if tokens.iter().any(|token| token.id.as_deref() == Some(id)) {
        return Ok(());
    }
    Err(Failure::Failed(format!(
        "source `{}`: none of the {} tokens listed has that id (not shown, and not sent: it may \
         be a secret); `magpie {} list` shows the ids",
        named.name,
        tokens.len(),
        named.name
    )))
}
