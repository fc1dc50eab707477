//! A downstream app on `access-tokens`: lists and creates Magpie tokens. `cargo xtask bench`
//! times its cold build and calls it the way it calls the other apps here.

#[path = "calls.rs"]
mod calls;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(count) = calls::count() else { return };
    let url = calls::serve().await;
    let client = access_tokens::magpie::Client::builder(url).session_token("s").unwrap();
    let list = || async { drop(client.list_tokens().await.unwrap()) };
    let create = || async { drop(client.create_token().await.unwrap()) };
    calls::measure(count, list, create).await;
}
