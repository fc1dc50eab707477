//! The tiny app of `sdk.rs` on `reqwest` and `serde` alone: the Magpie list and create calls
//! written by hand.

use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code, reason = "decoded as a real app would, never read")]
struct AccessToken {
    id: Option<String>,
    description: Option<String>,
    disabled: Option<bool>,
    created: Option<serde_json::Value>,
    expires: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "decoded as a real app would, never read")]
struct NewAccessToken {
    token: String,
}

/// One call with the session token, decoded as `T`.
async fn call<T: for<'de> Deserialize<'de>>(
    request: reqwest::RequestBuilder,
) -> reqwest::Result<T> {
    let session = std::env::var("MAGPIE_SESSION").unwrap_or_default();
    let response = request.header("authorization", format!("token {session}")).send().await?;
    response.error_for_status()?.json().await
}

#[tokio::main(flavor = "current_thread")]
pub async fn main() -> reqwest::Result<()> {
    let Some(url) = std::env::args().nth(1) else { return Ok(()) };
    let url = format!("{url}/access-token");
    let http = reqwest::Client::new();
    println!("{} tokens", call::<Vec<AccessToken>>(http.get(&url)).await?.len());
    call::<NewAccessToken>(http.post(&url)).await?;
    println!("created one");
    Ok(())
}
