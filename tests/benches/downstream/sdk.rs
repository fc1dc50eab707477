//! A tiny downstream app on `access-tokens`: lists the caller's Magpie tokens and creates one.
//! `cargo xtask bench` times its cold build and its rebuilds; the apps that link two clients
//! time calls.
//!
//! usage: MAGPIE_SESSION=<token> sdk <base URL> (without a URL the app only proves it builds)

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), access_tokens::Error> {
    let Some(url) = std::env::args().nth(1) else { return Ok(()) };
    let session = std::env::var("MAGPIE_SESSION").unwrap_or_default();
    let client = access_tokens::magpie::Client::builder(url).session_token(session)?;
    println!("{} tokens", client.list_tokens().await?.len());
    client.create_token().await?;
    println!("created one");
    Ok(())
}
