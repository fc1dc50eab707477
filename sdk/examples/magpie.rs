//! Create, describe and list Magpie access tokens.
//!
//! Against your organization: `MAGPIE_URL=acme MAGPIE_USER=… MAGPIE_PASSWORD=… cargo run
//! --example magpie`. Without those variables it runs against the simulator.

use access_tokens::magpie::{Client, Login};
use access_tokens::testing::Magpie;

#[tokio::main]
async fn main() -> Result<(), access_tokens::Error> {
    let simulator = Magpie::start().await;
    simulator.add_user("ada@acme.example", "correct horse");
    let url = std::env::var("MAGPIE_URL").unwrap_or_else(|_| simulator.url());
    let user = std::env::var("MAGPIE_USER").unwrap_or_else(|_| "ada@acme.example".into());
    let password = std::env::var("MAGPIE_PASSWORD").unwrap_or_else(|_| "correct horse".into());

    let client = Client::builder(url).login(Login::password(user, password)).await?;
    let created = client.create_token().await?;
    println!(
        "new token ({} chars): store it now, it is shown only once",
        created.token.expose_secret().len()
    );

    let newest = client.list_tokens().await?.into_iter().last().and_then(|t| t.id);
    if let Some(id) = newest {
        client.set_description(&id, "created by the access-tokens example").await?;
        println!("described token {id}");
    }
    Ok(())
}
