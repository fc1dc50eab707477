//! Create an Entuity access token that expires in 30 days, then list tokens with their expiry.
//!
//! Against your server: `ENTUITY_URL=https://entuity.example.com ENTUITY_USER=…
//! ENTUITY_PASSWORD=… ENTUITY_TOKEN_USER=… cargo run --example entuity`. Without those
//! variables it runs against the simulator.

use std::time::{Duration, SystemTime};

use access_tokens::entuity::{Client, NewAccessToken};
use access_tokens::testing::Entuity;

#[tokio::main]
async fn main() -> Result<(), access_tokens::Error> {
    let simulator = Entuity::start().await;
    simulator.add_admin("admin", "admin");
    simulator.add_user("guy2", "guy2");
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let url = std::env::var("ENTUITY_URL").unwrap_or_else(|_| simulator.url());

    let client = Client::builder(url)
        .basic_auth(var("ENTUITY_USER", "admin"), var("ENTUITY_PASSWORD", "admin"))?;
    let in_30_days = SystemTime::now() + Duration::from_secs(30 * 86_400);
    let request = NewAccessToken::for_user_name(var("ENTUITY_TOKEN_USER", "guy2"))
        .expiring_at(in_30_days)
        .with_description("created by the access-tokens example");
    let created = client.create_token(&request).await?;
    println!("created token {}", created.token_id);
    for token in client.list_tokens().await? {
        println!("- {} for {:?}: expires {:?}", token.token_id, token.user_name, token.expiry());
    }
    Ok(())
}
