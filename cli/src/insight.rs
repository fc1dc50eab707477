//! `access-tokens insight SOURCE …`: the Insight.io facade's calls.

use access_tokens::inventory::{Source, TokenId, Vendor};

use crate::args::InsightCommand;
use crate::config::InsightSource;
use crate::connect::Named;
use crate::failure::Failure;
use crate::listing;
use crate::new_secret;
use crate::output::{Out, done};

/// Runs `command` on the source `named`.
pub async fn run(
    named: Named<'_, InsightSource>,
    command: &InsightCommand,
    out: Out,
) -> Result<(), Failure> {
    let name = named.name;
    let id = |secret: &access_tokens::Secret| TokenId::fingerprint(Vendor::Insight, secret);
    match command {
        InsightCommand::Authenticate(output) => {
            let credentials = named.credentials()?.ok_or_else(|| {
                named.missing("user", "authenticating needs `user` and `password`")
            })?;
            let builder = named.builder()?;
            let create = async {
                let issued = builder.authenticate(credentials).await?;
                let fingerprint = id(&issued.token).to_string();
                Ok((issued.token, Some(fingerprint)))
            };
            new_secret::create(output, out, name, create).await
        }
        InsightCommand::List => {
            listing::list_one(Source::insight(name, named.client()?), out).await
        }
        InsightCommand::Create(output) => {
            let session = named.session()?;
            let create = async {
                let created = session.create_token().await?;
                let fingerprint = id(&created.token).to_string();
                Ok((created.token, Some(fingerprint)))
            };
            new_secret::create(output, out, name, create).await
        }
        InsightCommand::Revoke => {
            let client = named.client()?;
            let revoked = id(&client.api_token()).to_string();
            client.revoke_this_token().await.map_err(|e| named.failed(&e))?;
            done(out, name, "revoked", &revoked)
        }
    }
}
