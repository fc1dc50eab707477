//! Create a read-only Agent APIs token for a build script, then list all tokens.
//!
//! Against your Bamboo: `BAMBOO_URL=https://ci.example.com/bamboo BAMBOO_USER=… BAMBOO_PASSWORD=…
//! cargo run --example bamboo`. Without those variables it runs against the simulator.

use access_tokens::bamboo::{Client, NewToken};
use access_tokens::testing::Bamboo;

#[tokio::main]
async fn main() -> Result<(), access_tokens::Error> {
    let simulator = Bamboo::start().await;
    simulator.add_admin("admin", "admin");
    let url = std::env::var("BAMBOO_URL").unwrap_or_else(|_| simulator.url());
    let user = std::env::var("BAMBOO_USER").unwrap_or_else(|_| "admin".into());
    let password = std::env::var("BAMBOO_PASSWORD").unwrap_or_else(|_| "admin".into());

    let client = Client::builder(url).basic_auth(user, password)?;
    let token = NewToken::new("nightly agent report").with_read(true);
    let created = client.create_token(&token).await?;
    println!("created {:?}; give its uuid to the script as its secret", created.name);
    for token in client.list_tokens().await? {
        println!("- {} (read: {}, change: {})", token.name, token.read, token.change);
    }
    Ok(())
}
