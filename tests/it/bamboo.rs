//! `access_tokens::bamboo` on the wire, against `openapi/bamboo.yaml`.

use access_tokens::bamboo::{Client, NewToken, PluginVersion, Token};
use std::time::Duration;

use access_tokens::{Error, InvalidReason, RetryPolicy, Secret};
use access_tokens_tests::{
    Operation, assert_never_printed, assert_nothing_sent, check_error_statuses,
    check_hostile_responses, check_requests, header, only_request,
};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const CONTEXT: &str = "/bamboo";
const USER: &str = "admin";
const PASSWORD: &str = "b4mb00-4dm1n-pw";
/// `admin:b4mb00-4dm1n-pw` in base64.
const BASIC: &str = "Basic YWRtaW46YjRtYjAwLTRkbTFuLXB3";

// The vendor's own examples, from the plugin's "Access Token Operations" page.
const VENDOR_LIST: &str = include_str!("../fixtures/bamboo/tokens.json");
const VENDOR_CREATED: &str = include_str!("../fixtures/bamboo/token.json");
const VENDOR_UPDATED: &str = include_str!("../fixtures/bamboo/updated_token.json");
const UUID: &str = "7ba167aa-631c-4771-b197-fcb459cc7fd7";

#[derive(Debug, Clone, Copy)]
enum Op {
    List(PluginVersion),
    Create(PluginVersion),
    Update(PluginVersion),
}

const VERSIONS: [PluginVersion; 2] = [PluginVersion::V1_5OrLater, PluginVersion::Before1_5];

fn all_ops() -> Vec<Op> {
    VERSIONS.iter().flat_map(|&v| [Op::List(v), Op::Create(v), Op::Update(v)]).collect()
}

fn new_token() -> NewToken {
    NewToken::new("informational name").with_read(true)
}

fn updated_token() -> Token {
    Token { uuid: Secret::new(UUID), name: "give me more power".into(), read: true, change: true }
}

impl Op {
    fn version(self) -> PluginVersion {
        match self {
            Op::List(v) | Op::Create(v) | Op::Update(v) => v,
        }
    }
}

impl Operation for Op {
    type Client = Client;

    fn route(self) -> (&'static str, String) {
        let (method, path) = match (self, self.version()) {
            (Op::List(_), PluginVersion::V1_5OrLater) => ("GET", "/rest/agent-config/1.0/tokens/"),
            (Op::Create(_), PluginVersion::V1_5OrLater) => {
                ("POST", "/rest/agent-config/1.0/tokens/")
            }
            (Op::Update(_), PluginVersion::V1_5OrLater) => {
                ("PUT", "/rest/agent-config/1.0/tokens/7ba167aa-631c-4771-b197-fcb459cc7fd7")
            }
            (Op::List(_), _) => ("GET", "/rest/agent/1.0/tokens/"),
            (Op::Create(_), _) => ("POST", "/rest/agent/1.0/tokens"),
            (Op::Update(_), _) => {
                ("PUT", "/rest/agent/1.0/tokens/7ba167aa-631c-4771-b197-fcb459cc7fd7")
            }
        };
        (method, format!("{CONTEXT}{path}"))
    }

    fn success(self) -> ResponseTemplate {
        let body = match self {
            Op::List(_) => VENDOR_LIST,
            Op::Create(_) => VENDOR_CREATED,
            Op::Update(_) => VENDOR_UPDATED,
        };
        ResponseTemplate::new(200).set_body_raw(body, "application/json")
    }

    fn request_body(self) -> Option<(&'static str, Vec<u8>)> {
        let body = match self {
            Op::List(_) => return None,
            Op::Create(_) => json!({"name": "informational name", "read": true, "change": false}),
            Op::Update(_) => serde_json::from_str(VENDOR_UPDATED).unwrap(),
        };
        Some(("application/json", body.to_string().into_bytes()))
    }

    async fn call(self, client: &Client) -> Result<(), Error> {
        match self {
            Op::List(_) => client.list_tokens().await.map(drop),
            Op::Create(_) => client.create_token(&new_token()).await.map(drop),
            Op::Update(_) => client.update_token(&updated_token()).await.map(drop),
        }
    }
}

fn client_for(server: &MockServer, version: PluginVersion) -> Client {
    Client::builder(format!("{}{CONTEXT}/", server.uri()))
        .plugin_version(version)
        .basic_auth(USER, PASSWORD)
        .expect("valid settings")
}

#[tokio::test]
async fn every_operation_sends_the_documented_request_for_both_plugin_generations() {
    let ops = all_ops();
    for (op, request) in check_requests(&ops, |server, op| client_for(server, op.version())).await {
        assert_eq!(header(&request, "authorization"), Some(BASIC), "{op:?}");
        assert_eq!(header(&request, "accept"), Some("application/json"), "{op:?}");
        let xsrf = if matches!(op, Op::List(_)) { None } else { Some("no-check") };
        assert_eq!(header(&request, "x-atlassian-token"), xsrf, "{op:?}");
    }
}

#[tokio::test]
async fn every_error_status_reaches_the_caller_typed_with_its_status_and_body() {
    for version in VERSIONS {
        let server = MockServer::start().await;
        let ops: Vec<Op> = all_ops().into_iter().filter(|op| op.version() == version).collect();
        check_error_statuses(&ops, &client_for(&server, version), &server).await;
    }
}

#[tokio::test]
async fn the_vendors_examples_parse_into_the_generated_types() {
    let server = MockServer::start().await;
    let client = client_for(&server, PluginVersion::V1_5OrLater);
    Mock::given(any())
        .respond_with(Op::List(PluginVersion::V1_5OrLater).success())
        .mount(&server)
        .await;
    let tokens = client.list_tokens().await.unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0].uuid.expose_secret(), "d0ea6653-05e2-4d51-9d89-665cdfe86be6");
    assert_eq!(
        (tokens[0].name.as_str(), tokens[0].read, tokens[0].change),
        ("readOnly", true, false)
    );
    assert_eq!(
        (tokens[1].name.as_str(), tokens[1].read, tokens[1].change),
        ("read and write", true, true)
    );

    server.reset().await;
    Mock::given(any())
        .respond_with(Op::Create(PluginVersion::V1_5OrLater).success())
        .mount(&server)
        .await;
    let created = client.create_token(&new_token()).await.unwrap();
    assert_eq!(created.uuid.expose_secret(), UUID);
    assert_eq!(created.name, "informational name");

    server.reset().await;
    Mock::given(any())
        .respond_with(Op::Update(PluginVersion::V1_5OrLater).success())
        .mount(&server)
        .await;
    assert_eq!(client.update_token(&updated_token()).await.unwrap(), updated_token());
}

#[tokio::test]
async fn a_created_uuid_in_an_unexpected_response_still_reaches_the_caller() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": UUID, "name": "x" })))
        .mount(&server)
        .await;
    let error = client_for(&server, PluginVersion::V1_5OrLater)
        .create_token(&new_token())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode { operation: "create_token", .. }), "{error:?}");
    assert!(error.body().unwrap().expose_text().contains(UUID));
    assert_never_printed(UUID, &[error.to_string(), format!("{error:?}")]);
}

#[tokio::test]
async fn bad_credentials_and_uuids_are_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    let base = format!("{}{CONTEXT}", server.uri());
    let refused = |result: Result<Client, Error>| match result {
        Err(Error::InvalidInput { field, reason }) => (field, reason),
        other => panic!("expected invalid input, got {other:?}"),
    };
    assert_eq!(
        refused(Client::builder(&base).basic_auth("", PASSWORD)),
        ("username", InvalidReason::Empty)
    );
    assert_eq!(
        refused(Client::builder(&base).basic_auth("ad:min", PASSWORD)),
        ("username", InvalidReason::Colon)
    );
    assert_eq!(
        refused(Client::builder(&base).basic_auth(USER, "pw\r\nX-Evil: 1")),
        ("password", InvalidReason::ControlCharacter)
    );
    assert_eq!(
        refused(Client::builder("ftp://ci.example.com").basic_auth(USER, PASSWORD)),
        ("base URL", InvalidReason::NotHttpUrl)
    );

    let client = client_for(&server, PluginVersion::V1_5OrLater);
    for (uuid, reason) in [("", InvalidReason::Empty), ("..", InvalidReason::DotSegment)] {
        let token = Token { uuid: Secret::new(uuid), ..updated_token() };
        match client.update_token(&token).await {
            Err(Error::InvalidInput { field: "uuid", reason: got }) => assert_eq!(got, reason),
            other => panic!("{uuid:?}: expected invalid input, got {other:?}"),
        }
    }
    assert_nothing_sent(&server).await;
}

#[tokio::test]
async fn a_unicode_password_is_sent_as_utf8_basic_credentials() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Op::List(PluginVersion::V1_5OrLater).success())
        .mount(&server)
        .await;
    let client = Client::builder(server.uri()).basic_auth("jürgen", "pässwörd").unwrap();
    client.list_tokens().await.unwrap();
    // base64("jürgen:pässwörd") in UTF-8.
    assert_eq!(
        header(&only_request(&server).await, "authorization"),
        Some("Basic asO8cmdlbjpww6Rzc3fDtnJk")
    );
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_display() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Op::List(PluginVersion::V1_5OrLater).success())
        .mount(&server)
        .await;
    let client = client_for(&server, PluginVersion::V1_5OrLater);
    let tokens = client.list_tokens().await.unwrap();
    let printed =
        [format!("{client:?}"), format!("{:?}", client.generated()), format!("{tokens:?}")];
    for secret in [PASSWORD, BASIC, "YWRtaW46", "d0ea6653", UUID] {
        assert_never_printed(secret, &printed);
    }
}

#[tokio::test]
async fn the_context_path_is_kept_and_the_version_chosen_once() {
    let client =
        Client::builder("https://ci.example.com/bamboo/").basic_auth(USER, PASSWORD).unwrap();
    assert_eq!(client.base_url(), "https://ci.example.com/bamboo");
    assert_eq!(client.plugin_version(), PluginVersion::V1_5OrLater);
    let old = Client::builder("https://ci.example.com")
        .plugin_version(PluginVersion::Before1_5)
        .basic_auth(USER, PASSWORD)
        .unwrap();
    assert_eq!(old.plugin_version(), PluginVersion::Before1_5);
}

#[tokio::test]
async fn hostile_responses_give_typed_errors_and_keep_bodies() {
    check_hostile_responses(&all_ops(), |url, op| {
        Client::builder(format!("{url}{CONTEXT}"))
            .plugin_version(op.version())
            .timeout(Duration::from_millis(300))
            .retry(RetryPolicy::NEVER)
            .basic_auth(USER, PASSWORD)
            .unwrap()
    })
    .await;
}

/// Tomcat reads what follows a `;` in a path segment as a path parameter, and `=`, `,` and
/// `&` are reserved too: a uuid holding them reaches the server percent-encoded, as one
/// segment, and the body keeps it as it is.
#[tokio::test]
async fn reserved_characters_in_a_uuid_are_percent_encoded_in_the_path() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(|request: &wiremock::Request| {
            ResponseTemplate::new(200).set_body_raw(request.body.clone(), "application/json")
        })
        .mount(&server)
        .await;
    let client = client_for(&server, PluginVersion::V1_5OrLater);
    let uuid = "a;jsessionid=x,y&z/ü";
    let token = Token { uuid: Secret::new(uuid), ..updated_token() };

    let updated = client.update_token(&token).await.unwrap();
    assert_eq!(updated.uuid.expose_secret(), uuid);
    let request = only_request(&server).await;
    assert_eq!(
        request.url.path(),
        "/bamboo/rest/agent-config/1.0/tokens/a%3Bjsessionid%3Dx%2Cy%26z%2F%C3%BC"
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["uuid"], uuid);
}
