//! `access_tokens::entuity` on the wire, against `openapi/entuity.yaml`.

use std::time::{Duration, UNIX_EPOCH};

use access_tokens::entuity::{AccessTokenUpdate, Client, NewAccessToken};
use access_tokens::{Error, Expiry, InvalidReason, RetryPolicy};
use access_tokens_tests::{
    Operation, assert_never_printed, assert_nothing_sent, check_error_statuses,
    check_hostile_responses, check_requests, header,
};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER: &str = "admin";
const PASSWORD: &str = "3ntu1ty-4dm1n";
/// `admin:3ntu1ty-4dm1n` in base64.
const BASIC: &str = "Basic YWRtaW46M250dTF0eS00ZG0xbg==";

// The vendor's own examples ("Access Token Details RESTful API"), spacing as published.
const VENDOR_TOKEN: &str = include_str!("../fixtures/entuity/access_token.json");
const VENDOR_UPDATED: &str = include_str!("../fixtures/entuity/updated_access_token.json");
// The list envelope with the vendor's detail example and the facts of its list example (a
// never-expiring `another123` whose description names another user).
const TOKEN_LIST: &str = include_str!("../fixtures/entuity/access_tokens.json");
const VALUE: &str = "WlT6a0I6gGAc6V6h0XqM/L2PUVzUQ63H";

#[derive(Debug, Clone, Copy)]
enum Op {
    List,
    Create,
    Get,
    Update,
    Delete,
}

const ALL_OPS: [Op; 5] = [Op::List, Op::Create, Op::Get, Op::Update, Op::Delete];

fn new_token() -> NewAccessToken {
    NewAccessToken::for_user_name("guy2")
        .expiring_at(UNIX_EPOCH + Duration::from_secs(1_682_418_245))
        .with_description("Token for guy2")
}

fn update() -> AccessTokenUpdate {
    AccessTokenUpdate { description: Some("Edited description".into()), ..Default::default() }
}

impl Operation for Op {
    type Client = Client;

    fn route(self) -> (&'static str, String) {
        let (method, path) = match self {
            Op::List => ("GET", "/api/accessTokens"),
            Op::Create => ("POST", "/api/accessTokens"),
            Op::Get => ("GET", "/api/accessTokens/17"),
            Op::Update => ("PUT", "/api/accessTokens/17"),
            Op::Delete => ("DELETE", "/api/accessTokens/17"),
        };
        (method, path.to_owned())
    }

    fn query(self) -> Option<&'static str> {
        Some("media=json")
    }

    fn success(self) -> ResponseTemplate {
        let body = match self {
            Op::List => TOKEN_LIST,
            Op::Create | Op::Get => VENDOR_TOKEN,
            Op::Update => VENDOR_UPDATED,
            Op::Delete => return ResponseTemplate::new(200),
        };
        ResponseTemplate::new(200).set_body_raw(body, "application/json")
    }

    fn request_body(self) -> Option<(&'static str, Vec<u8>)> {
        let body = match self {
            Op::Create => json!({
                "userName": "guy2", "expiryTimeSec": 1_682_418_245, "description": "Token for guy2"
            }),
            Op::Update => json!({ "description": "Edited description" }),
            Op::List | Op::Get | Op::Delete => return None,
        };
        Some(("application/json", body.to_string().into_bytes()))
    }

    async fn call(self, client: &Client) -> Result<(), Error> {
        match self {
            Op::List => client.list_tokens().await.map(drop),
            Op::Create => client.create_token(&new_token()).await.map(drop),
            Op::Get => client.get_token(17).await.map(drop),
            Op::Update => client.update_token(17, &update()).await.map(drop),
            Op::Delete => client.delete_token(17).await,
        }
    }
}

fn client_for(server: &MockServer) -> Client {
    Client::builder(server.uri()).basic_auth(USER, PASSWORD).expect("valid settings")
}

#[tokio::test]
async fn every_operation_sends_the_documented_request() {
    for (op, request) in check_requests(&ALL_OPS, |server, _| client_for(server)).await {
        assert_eq!(header(&request, "authorization"), Some(BASIC), "{op:?}");
        let accept = if matches!(op, Op::Delete) { "*/*" } else { "application/json" };
        assert_eq!(header(&request, "accept"), Some(accept), "{op:?}");
    }
}

#[tokio::test]
async fn every_error_status_reaches_the_caller_typed_with_its_status_and_body() {
    let server = MockServer::start().await;
    check_error_statuses(&ALL_OPS, &client_for(&server), &server).await;
}

#[tokio::test]
async fn the_vendors_examples_parse_with_stats_nested_and_times_as_system_times() {
    let server = MockServer::start().await;
    let client = client_for(&server);
    Mock::given(any()).respond_with(Op::Get.success()).mount(&server).await;
    let token = client.get_token(17).await.unwrap();
    assert_eq!(token.token_id, 17);
    assert_eq!(token.token_value.expose_secret(), VALUE);
    assert_eq!(token.user_id, Some(10));
    assert_eq!(token.user_name.as_deref(), Some("guy2"));
    assert_eq!(token.created_by.as_deref(), Some("admin"));
    assert_eq!(token.active_session_count, Some(0));
    let seconds = |s| UNIX_EPOCH + Duration::from_secs(s);
    // The example's token was born expired: its expiry precedes its creation.
    assert_eq!(token.expiry(), Some(Expiry::At(seconds(1_682_418_245))));
    assert!(token.expiry().unwrap().is_expired_at(token.created_at().unwrap()));
    assert_eq!(token.created_at(), Some(seconds(1_683_033_889)));
    assert_eq!(token.expiry_time_sec, Some(1_682_418_245), "raw value kept");
    let stats = token.stats.unwrap();
    assert_eq!((stats.login_count, stats.last_login_at()), (Some(0), None));

    server.reset().await;
    Mock::given(any()).respond_with(Op::List.success()).mount(&server).await;
    let tokens = client.list_tokens().await.unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[1].token_value.expose_secret(), "another123");
    assert_eq!(tokens[1].expiry(), Some(Expiry::Never));
    assert_eq!(tokens[1].stats.as_ref().unwrap().last_login_at(), Some(seconds(1_683_050_000)));

    server.reset().await;
    Mock::given(any()).respond_with(Op::Update.success()).mount(&server).await;
    let updated = client.update_token(17, &update()).await.unwrap();
    assert_eq!(updated.description.as_deref(), Some("Edited description"));
    assert_eq!(updated.last_updated_at(), Some(seconds(1_683_034_410)));
}

#[tokio::test]
async fn a_partial_update_sends_only_the_given_fields() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Op::Update.success()).mount(&server).await;
    let update = AccessTokenUpdate { expiry_time_sec: Some(0), ..Default::default() };
    client_for(&server).update_token(17, &update).await.unwrap();
    let request = access_tokens_tests::only_request(&server).await;
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, json!({ "expiryTimeSec": 0 }));
}

#[tokio::test]
async fn a_created_token_in_an_unexpected_response_still_reaches_the_caller() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({ "id": 9, "value": "fr3sh-v4lue" })),
        )
        .mount(&server)
        .await;
    let error = client_for(&server).create_token(&new_token()).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(201));
    assert!(error.body().unwrap().expose_text().contains("fr3sh-v4lue"));
    assert_never_printed("fr3sh-v4lue", &[error.to_string(), format!("{error:?}")]);
}

#[tokio::test]
async fn bad_settings_are_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    let refused = |result: Result<Client, Error>| match result {
        Err(Error::InvalidInput { field, reason }) => (field, reason),
        other => panic!("expected invalid input, got {other:?}"),
    };
    assert_eq!(
        refused(Client::builder(server.uri()).basic_auth("", PASSWORD)),
        ("username", InvalidReason::Empty)
    );
    assert_eq!(
        refused(Client::builder("https://h/?x").basic_auth(USER, PASSWORD)),
        ("base URL", InvalidReason::UrlHasQueryOrFragment)
    );
    assert_nothing_sent(&server).await;
    let client =
        Client::builder("https://entuity.example.com/").basic_auth(USER, PASSWORD).unwrap();
    assert_eq!(client.base_url(), "https://entuity.example.com/api");
}

#[tokio::test]
async fn token_values_never_appear_in_debug_or_display() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Op::List.success()).mount(&server).await;
    let client = client_for(&server);
    let tokens = client.list_tokens().await.unwrap();
    let printed =
        [format!("{client:?}"), format!("{tokens:?}"), format!("{:?}", client.generated())];
    for secret in [VALUE, "another123", PASSWORD, BASIC] {
        assert_never_printed(secret, &printed);
    }
}

#[tokio::test]
async fn hostile_responses_give_typed_errors_and_keep_bodies() {
    check_hostile_responses(&ALL_OPS, |url, _| {
        Client::builder(url)
            .timeout(Duration::from_millis(300))
            .retry(RetryPolicy::NEVER)
            .basic_auth(USER, PASSWORD)
            .unwrap()
    })
    .await;
}

#[tokio::test]
async fn a_serialized_token_list_is_not_read_back_with_its_values_redacted() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Op::List.success()).mount(&server).await;
    let tokens = client_for(&server).list_tokens().await.unwrap();
    let serialized = serde_json::to_string(&tokens).unwrap();
    assert!(serialized.contains(r#""tokenValue":"[REDACTED]""#), "{serialized}");
    let error = serde_json::from_str::<Vec<access_tokens::entuity::AccessToken>>(&serialized);
    assert!(error.unwrap_err().to_string().starts_with("a redacted secret"));
}
