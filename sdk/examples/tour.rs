//! A tour of the four clients, each against its in-process simulator: a realistic token
//! lifecycle per vendor, and what a refused credential looks like. Secrets are masked.
//!
//! Run with `cargo run --example tour`. It needs no network and no configuration.

use std::io::Write;

use access_tokens::testing::{Bamboo, Entuity, Insight, Magpie};
use access_tokens::{Error, Secret, bamboo, entuity, insight, magpie};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result {
    run(&mut std::io::stdout()).await
}

/// Walks every vendor, writing the transcript to `out`.
pub async fn run(out: &mut impl Write) -> Result {
    magpie_tour(out).await?;
    bamboo_tour(out).await?;
    entuity_tour(out).await?;
    insight_tour(out).await
}

async fn magpie_tour(out: &mut impl Write) -> Result {
    let sim = Magpie::start().await;
    sim.add_user("ada@acme.example", "correct horse");
    sim.add_admin("root@acme.example", "admin pass");
    sim.add_service_account("ci@acme.example");
    writeln!(out, "== Silect Magpie, simulated at {}", sim.url())?;

    let ada = magpie::Client::builder(sim.url())
        .login(magpie::Login::password("ada@acme.example", "correct horse"))
        .await?;
    writeln!(out, "logged in as ada@acme.example, session {}", masked(&ada.session_token()))?;
    let created = ada.create_token().await?;
    writeln!(out, "created a personal access token {} (shown once)", masked(&created.token))?;
    let id = ada.list_tokens().await?.remove(0).id.unwrap_or_default();
    writeln!(out, "listed it as {id}")?;
    ada.disable(&id).await?;
    ada.set_description(&id, "laptop").await?;
    let token = ada.list_tokens().await?.remove(0);
    writeln!(
        out,
        "disabled and described it: disabled={:?}, {:?}",
        token.disabled, token.description
    )?;

    let admin = magpie::Client::builder(sim.url())
        .login(magpie::Login::password("root@acme.example", "admin pass"))
        .await?;
    let ci = admin.service_account("ci@acme.example");
    ci.create().await?;
    ci.create().await?;
    let rotated = ci.rotate().await?;
    let left = ci.list().await?.len();
    writeln!(out, "rotated ci@acme.example: {left} token left, {}", masked(&rotated.token))?;
    ada.delete(&id).await?;
    writeln!(out, "deleted {id}")?;
    refused(out, ada.service_account("ci@acme.example").list().await)?;
    writeln!(out)?;
    Ok(())
}

async fn bamboo_tour(out: &mut impl Write) -> Result {
    let sim = Bamboo::start().await;
    sim.add_admin("admin", "b4mboo");
    writeln!(out, "== Agent APIs for Bamboo, simulated at {}", sim.url())?;

    let client = bamboo::Client::builder(sim.url()).basic_auth("admin", "b4mboo")?;
    let new = bamboo::NewToken::new("agent drain").with_read(true);
    let mut token = client.create_token(&new).await?;
    writeln!(out, "created {:?} (read only), uuid {}", token.name, masked(&token.uuid))?;
    token.change = true;
    client.update_token(&token).await?;
    let listed = client.list_tokens().await?;
    writeln!(out, "granted change; listed {} token, change={}", listed.len(), listed[0].change)?;
    let intruder = bamboo::Client::builder(sim.url()).basic_auth("admin", "guess")?;
    refused(out, intruder.list_tokens().await)?;
    writeln!(out)?;
    Ok(())
}

async fn entuity_tour(out: &mut impl Write) -> Result {
    let sim = Entuity::start().await;
    sim.add_admin("admin", "3ntuity");
    sim.add_user("guy2", "guy2 pass");
    writeln!(out, "== Entuity, simulated at {}", sim.url())?;

    let client = entuity::Client::builder(sim.url()).basic_auth("admin", "3ntuity")?;
    let token = client
        .create_token(
            &entuity::NewAccessToken::for_user_name("guy2").with_description("dashboards"),
        )
        .await?;
    writeln!(
        out,
        "created token {} for guy2, value {}",
        token.token_id,
        masked(&token.token_value)
    )?;
    writeln!(out, "it expires: {:?}", token.expiry())?;
    let update = entuity::AccessTokenUpdate {
        description: Some("wall dashboards".into()),
        ..Default::default()
    };
    let updated = client.update_token(token.token_id, &update).await?;
    writeln!(out, "described it as {:?}", updated.description)?;
    client.delete_token(token.token_id).await?;
    writeln!(out, "deleted it; {} tokens left", client.list_tokens().await?.len())?;
    refused(out, client.get_token(token.token_id).await)?;
    writeln!(out)?;
    Ok(())
}

async fn insight_tour(out: &mut impl Write) -> Result {
    let sim = Insight::start().await;
    sim.add_user("ada", "insight pass");
    writeln!(out, "== Insight.io, simulated at {}", sim.url())?;

    let builder = insight::Client::builder(sim.url());
    let issued =
        builder.authenticate(insight::Credentials::password("ada", "insight pass")).await?;
    writeln!(
        out,
        "authenticated ada: token {}, expires {:?}",
        masked(&issued.token),
        issued.expiry()
    )?;
    let browser = insight::Client::builder(sim.url()).session_cookie(sim.browser_session("ada"))?;
    let second = browser.create_token().await?;
    writeln!(out, "created another from a browser session: {}", masked(&second.token))?;
    let client = builder.api_token(issued.token)?;
    writeln!(out, "listed {} tokens", client.list_tokens().await?.len())?;
    let revoked = client.clone();
    revoked.revoke_this_token().await?;
    writeln!(out, "revoked the first token (the server answers 200 either way)")?;
    refused(out, client.list_tokens().await)?;
    Ok(())
}

/// Prints how an expected refusal looks; anything else is an error of the tour.
fn refused<T>(out: &mut impl Write, result: std::result::Result<T, Error>) -> Result {
    match result {
        Err(error @ Error::Api { .. }) => Ok(writeln!(out, "refused as expected: {error}")?),
        Err(error) => Err(error.into()),
        Ok(_) => Err("expected the server to refuse".into()),
    }
}

/// Only the length: transcripts like this one end up in terminals and CI logs.
fn masked(secret: &Secret) -> String {
    format!("[masked, {} chars]", secret.expose_secret().chars().count())
}
