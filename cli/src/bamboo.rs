//! `access-tokens bamboo SOURCE …`: the Bamboo facade's calls. A Bamboo token's value is its
//! only id, so tokens are named by the fingerprint the listing shows, never by their value.

use access_tokens::bamboo;
use access_tokens::inventory::{Source, TokenId, Vendor};

use crate::args::BambooCommand;
use crate::config::BambooSource;
use crate::connect::Named;
use crate::failure::Failure;
use crate::listing;
use crate::new_secret;
use crate::output::{Out, done};

/// Runs `command` on the source `named`.
pub async fn run(
    named: Named<'_, BambooSource>,
    command: &BambooCommand,
    out: Out,
) -> Result<(), Failure> {
    let client = named.client()?;
    let name = named.name;
    match command {
        BambooCommand::List => listing::list_one(Source::bamboo(name, client), out).await,
        BambooCommand::Create { name: token, read, change, output } => {
            let new = bamboo::NewToken::new(token).with_read(*read).with_change(*change);
            let create = async {
                let created = client.create_token(&new).await?;
                let id = fingerprint(&created).to_string();
                Ok((created.uuid, Some(id)))
            };
            new_secret::create(output, out, name, create).await
        }
        BambooCommand::Update { id, name: new_name, read, change } => {
            let tokens = client.list_tokens().await.map_err(|e| named.failed(&e))?;
            let Some(token) = tokens.into_iter().find(|t| fingerprint(t).to_string() == *id) else {
                return Err(Failure::Failed(format!("source `{name}`: no token {id}")));
            };
            let updated = bamboo::Token {
                name: new_name.clone().unwrap_or(token.name),
                read: read.unwrap_or(token.read),
                change: change.unwrap_or(token.change),
                uuid: token.uuid,
            };
            client.update_token(&updated).await.map_err(|e| named.failed(&e))?;
            done(out, name, "updated", id)
        }
    }
}

fn fingerprint(token: &bamboo::Token) -> TokenId {
    TokenId::fingerprint(Vendor::Bamboo, &token.uuid)
}

/// Refuses an id that is not a fingerprint as the listing shows it (`sha256:` and 16 hex
/// digits), without showing it: a Bamboo token's value is its uuid, and a uuid typed here is
/// a secret on the command line, never to be echoed or sent.
pub fn check_id(id: &str) -> Result<(), Failure> {
    let fingerprint = id
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if fingerprint {
        return Ok(());
    }
    Err(Failure::config(
        "the id is not a fingerprint as `bamboo SOURCE list` shows it (`sha256:` and 16 hex \
         digits); it is not shown, and nothing was sent: a token's uuid is its secret"
            .into(),
    ))
}
