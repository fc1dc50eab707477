//! A short tour of the Magpie client against a local stand-in server: log in, create, list,
//! disable, describe, rotate and delete tokens, and see how a refused session looks.
//!
//! Run with `cargo run --example tour`. It needs no network: the server is in this process.

use access_tokens::magpie::{Client, Login};
use access_tokens::{Error, Secret};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SESSION: &str = "7f3c9a1e-session";

#[tokio::main]
async fn main() -> Result<(), Error> {
    let server = magpie_stand_in().await;
    let base_url = format!("{}/api/magpie", server.uri());
    println!("Magpie stand-in listening at {base_url}\n");

    let client = Client::builder(&base_url)
        .login(Login::password("ada@acme.example", "correct horse battery staple"))
        .await?;
    println!("logged in as ada@acme.example; session {}", masked(client.session_token()));

    let created = client.create_token().await?;
    println!(
        "created a personal access token {} (shown once: store it now)",
        masked(&created.token)
    );

    for token in client.list_tokens().await? {
        let id = token.id.as_deref().unwrap_or("?");
        let state = if token.disabled == Some(true) { "disabled" } else { "enabled" };
        println!("listed token {id}: {state}, {:?}", token.description.as_deref().unwrap_or(""));
    }

    client.disable("tok-1").await?;
    println!("disabled tok-1");
    client.set_description("tok-1", "laptop, retired").await?;
    println!("described tok-1 as \"laptop, retired\"");

    let rotated = client.service_account("ci@acme.example").rotate().await?;
    println!("rotated ci@acme.example: its only token is now {}", masked(&rotated.token));

    client.delete("tok-1").await?;
    println!("deleted tok-1");

    let stale = Client::builder(&base_url).session_token("expired-session")?;
    match stale.list_tokens().await {
        Err(error @ Error::Api { .. }) => println!("an expired session is refused: {error}"),
        other => println!("unexpected: {other:?}"),
    }
    println!("\ndone: {} requests served", server.received_requests().await.map_or(0, |r| r.len()));
    Ok(())
}

/// Only the length: a transcript like this one ends up in terminals and CI logs.
fn masked(secret: &Secret) -> String {
    format!("[masked, {} chars]", secret.expose_secret().chars().count())
}

/// Answers the calls of the tour the way Magpie documents them.
async fn magpie_stand_in() -> MockServer {
    let server = MockServer::start().await;
    let authorized = || header("authorization", format!("token {SESSION}").as_str());
    let route = |verb: &str, route: &str| {
        Mock::given(method(verb)).and(path(format!("/api/magpie{route}")))
    };
    let ok_json = |body| ResponseTemplate::new(200).set_body_json(body);

    route("POST", "/login").respond_with(ok_json(json!({ "token": SESSION }))).mount(&server).await;
    route("POST", "/access-token")
        .and(authorized())
        .respond_with(ok_json(json!({ "token": "b2c4e6f8a0-new-personal-token" })))
        .mount(&server)
        .await;
    route("GET", "/access-token")
        .and(authorized())
        .respond_with(ok_json(json!([
            { "id": "tok-1", "description": "laptop", "disabled": false },
            { "id": "tok-2", "description": "ci runner", "disabled": true },
        ])))
        .mount(&server)
        .await;
    for (verb, tail) in [("PUT", "/status/true"), ("PUT", "/description"), ("DELETE", "")] {
        route(verb, &format!("/access-token/tok-1{tail}"))
            .and(authorized())
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
    }
    route("POST", "/access-token/rotate/ci@acme.example")
        .and(authorized())
        .respond_with(ok_json(json!({ "token": "9d8c7b6a5f-rotated-service-token" })))
        .mount(&server)
        .await;
    // Anything else, such as a call with an expired session, is refused.
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({ "error": "session expired" })),
        )
        .mount(&server)
        .await;
    server
}
