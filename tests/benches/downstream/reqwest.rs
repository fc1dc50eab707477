//! A downstream app on `reqwest` and `serde` alone: the Magpie list and create calls written by
//! hand. `cargo xtask bench` times its cold build against the same app on `access-tokens`.

#[path = "calls.rs"]
mod calls;

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

async fn call<T: for<'de> Deserialize<'de>>(request: reqwest::RequestBuilder) -> T {
    let response = request.header("authorization", "token s").send().await.unwrap();
    response.error_for_status().unwrap().json().await.unwrap()
}

#[tokio::main(flavor = "current_thread")]
pub async fn main() {
    let Some(count) = calls::count() else { return };
    let url = calls::serve().await;
    let http = reqwest::Client::builder().build().unwrap();
    let list = || call::<Vec<AccessToken>>(http.get(format!("{url}/access-token")));
    let create = || call::<NewAccessToken>(http.post(format!("{url}/access-token")));
    calls::measure(count, || async { drop(list().await) }, || async { drop(create().await) }).await;
}
