//! Exchange an Insight.io password for an API token, list the user's tokens, and revoke it.
//!
//! Against your server: `INSIGHT_URL=https://insight.example.com INSIGHT_USER=…
//! INSIGHT_PASSWORD=… cargo run --example insight`. Without those variables it runs against
//! the simulator.

use access_tokens::insight::{Client, Credentials};
use access_tokens::testing::Insight;

#[tokio::main]
async fn main() -> Result<(), access_tokens::Error> {
    let simulator = Insight::start().await;
    simulator.add_user("ada", "correct horse");
    let url = std::env::var("INSIGHT_URL").unwrap_or_else(|_| simulator.url());
    let user = std::env::var("INSIGHT_USER").unwrap_or_else(|_| "ada".into());
    let password = std::env::var("INSIGHT_PASSWORD").unwrap_or_else(|_| "correct horse".into());

    let builder = Client::builder(url);
    let issued = builder.authenticate(Credentials::password(user, password)).await?;
    println!("new token, expires {:?}", issued.expiry());
    let client = builder.api_token(issued.token)?;
    for token in client.list_tokens().await? {
        println!("- {:?}, created {:?}", token.uid, token.created_at());
    }
    client.revoke_this_token().await?;
    println!("revoked it again");
    Ok(())
}
