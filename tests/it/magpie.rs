//! `access_tokens::magpie` on the wire, against `openapi/magpie.yaml`.

use std::time::Duration;

use access_tokens::magpie::{Client, Login, SessionTransport};
use access_tokens::{DecodeKind, Error, InvalidReason, RetryPolicy, Secret};
use access_tokens_tests::{
    ERROR_BODIES, Operation, assert_api_error, assert_never_printed, assert_nothing_sent,
    check_error_statuses, check_hostile_responses, check_requests, header, only_request,
};
use serde_json::json;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PREFIX: &str = "/api/magpie";
const SESSION: &str = "s3ss10n-t0k3n-9f8e";
const NEW_TOKEN: &str = "n3w-4cc3ss-t0k3n-77aa";
const PASSWORD: &str = "P@ssW0rd!-hunter2";
const PAT: &str = "p3rs0n4l-4cc3ss-t0k3n";

// The vendor's own examples, from the Access Token and Login API pages.
const VENDOR_NEW_TOKEN: &str = include_str!("../fixtures/magpie/new_access_token.json");
const VENDOR_SESSION: &str = include_str!("../fixtures/magpie/session_token.json");
// The vendor shows no list item; this is the shape its console suggests, plus a field the
// document does not know.
const TOKEN_LIST: &str = include_str!("../fixtures/magpie/access_tokens.json");

/// Every operation the facade offers, so that the wire and error checks cover all of them.
#[derive(Debug, Clone, Copy)]
enum Op {
    Version,
    List,
    Create,
    Disable,
    Enable,
    Describe,
    Delete,
    ServiceList,
    ServiceCreate,
    ServiceRotate,
}

const ALL_OPS: [Op; 10] = [
    Op::Version,
    Op::List,
    Op::Create,
    Op::Disable,
    Op::Enable,
    Op::Describe,
    Op::Delete,
    Op::ServiceList,
    Op::ServiceCreate,
    Op::ServiceRotate,
];

const TOKEN_ID: &str = "tok-42";
const SERVICE_ACCOUNT: &str = "svc@example.com";
/// The service account as a path segment: everything but the unreserved characters encoded.
const SERVICE_ACCOUNT_SEGMENT: &str = "svc%40example.com";
const DESCRIPTION: &str = "CI deploy key \"prod\"\nline two: ünïcode";

impl Operation for Op {
    type Client = Client;

    fn route(self) -> (&'static str, String) {
        let (method, rest) = match self {
            Op::Version => ("GET", "/version".to_owned()),
            Op::List => ("GET", "/access-token".to_owned()),
            Op::Create => ("POST", "/access-token".to_owned()),
            Op::Disable => ("PUT", format!("/access-token/{TOKEN_ID}/status/true")),
            Op::Enable => ("PUT", format!("/access-token/{TOKEN_ID}/status/false")),
            Op::Describe => ("PUT", format!("/access-token/{TOKEN_ID}/description")),
            Op::Delete => ("DELETE", format!("/access-token/{TOKEN_ID}")),
            Op::ServiceList => ("GET", format!("/access-token/user/{SERVICE_ACCOUNT_SEGMENT}")),
            Op::ServiceCreate => ("POST", format!("/access-token/user/{SERVICE_ACCOUNT_SEGMENT}")),
            Op::ServiceRotate => {
                ("POST", format!("/access-token/rotate/{SERVICE_ACCOUNT_SEGMENT}"))
            }
        };
        (method, format!("{PREFIX}{rest}"))
    }

    fn success(self) -> ResponseTemplate {
        let ok = ResponseTemplate::new(200);
        match self {
            Op::Version => ok.set_body_json(json!({"version": "2024.3"})),
            Op::List | Op::ServiceList => ok.set_body_raw(TOKEN_LIST, "application/json"),
            Op::Create | Op::ServiceCreate | Op::ServiceRotate => {
                ok.set_body_json(json!({ "token": NEW_TOKEN }))
            }
            Op::Disable | Op::Enable | Op::Describe | Op::Delete => ok,
        }
    }

    fn request_body(self) -> Option<(&'static str, Vec<u8>)> {
        match self {
            Op::Describe => Some(("text/plain", DESCRIPTION.as_bytes().to_vec())),
            _ => None,
        }
    }

    async fn call(self, client: &Client) -> Result<(), Error> {
        match self {
            Op::Version => client.version().await.map(drop),
            Op::List => client.list_tokens().await.map(drop),
            Op::Create => client.create_token().await.map(drop),
            Op::Disable => client.disable(TOKEN_ID).await,
            Op::Enable => client.enable(TOKEN_ID).await,
            Op::Describe => client.set_description(TOKEN_ID, DESCRIPTION).await,
            Op::Delete => client.delete(TOKEN_ID).await,
            Op::ServiceList => client.service_account(SERVICE_ACCOUNT).list().await.map(drop),
            Op::ServiceCreate => client.service_account(SERVICE_ACCOUNT).create().await.map(drop),
            Op::ServiceRotate => client.service_account(SERVICE_ACCOUNT).rotate().await.map(drop),
        }
    }
}

fn client_for(server: &MockServer, transport: SessionTransport) -> Client {
    Client::builder(format!("{}{PREFIX}", server.uri()))
        .session_transport(transport)
        .session_token(SESSION)
        .expect("valid settings")
}

async fn check_wire(transport: SessionTransport) {
    let requests = check_requests(&ALL_OPS, |server, _| client_for(server, transport)).await;
    for (op, request) in requests {
        let (authorization, cookie) = match transport {
            SessionTransport::Header => (Some(format!("token {SESSION}")), None),
            SessionTransport::Cookie => (None, Some(format!("token={SESSION}"))),
            other => unreachable!("no test for {other:?}"),
        };
        assert_eq!(header(&request, "authorization"), authorization.as_deref(), "{op:?}");
        assert_eq!(header(&request, "cookie"), cookie.as_deref(), "{op:?}");
        assert!(header(&request, "user-agent").unwrap().starts_with("access-tokens/"));
        let returns_json = !matches!(op, Op::Disable | Op::Enable | Op::Describe | Op::Delete);
        let accept = if returns_json { "application/json" } else { "*/*" };
        assert_eq!(header(&request, "accept"), Some(accept), "{op:?}");
    }
}

#[tokio::test]
async fn every_operation_sends_the_documented_request_with_the_session_header() {
    check_wire(SessionTransport::Header).await;
}

#[tokio::test]
async fn every_operation_sends_the_documented_request_with_the_session_cookie() {
    check_wire(SessionTransport::Cookie).await;
}

#[tokio::test]
async fn every_error_status_reaches_the_caller_typed_with_its_status_and_body() {
    let server = MockServer::start().await;
    check_error_statuses(&ALL_OPS, &client_for(&server, SessionTransport::Header), &server).await;
}

#[tokio::test]
async fn lists_parse_into_the_documented_fields_and_tolerate_unknown_ones() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(TOKEN_LIST, "application/json"))
        .mount(&server)
        .await;
    let client = client_for(&server, SessionTransport::Header);

    for tokens in [
        client.list_tokens().await.unwrap(),
        client.service_account(SERVICE_ACCOUNT).list().await.unwrap(),
    ] {
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].id.as_deref(), Some("tok-42"));
        assert_eq!(tokens[0].description.as_deref(), Some("laptop"));
        assert_eq!(tokens[0].disabled, Some(false));
        assert_eq!(tokens[0].created, Some(json!("2024-05-01T10:00:00Z")));
        assert_eq!(tokens[0].expires, Some(json!(1735689600)));
        assert_eq!(tokens[1].id.as_deref(), Some("tok-43"));
        assert_eq!(tokens[1].disabled, Some(true));
        assert_eq!(tokens[1].description, None);
    }
}

#[tokio::test]
async fn create_rotate_and_version_return_the_parsed_body() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(VENDOR_NEW_TOKEN, "application/json"))
        .mount(&server)
        .await;
    let client = client_for(&server, SessionTransport::Header);
    let account = client.service_account(SERVICE_ACCOUNT);
    for created in [client.create_token().await, account.create().await, account.rotate().await] {
        assert_eq!(created.unwrap().token.expose_secret(), "new access token");
    }

    server.reset().await;
    let version = json!({"version": "2024.3", "build": 17});
    Mock::given(method("GET"))
        .and(path("/api/magpie/version"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&version))
        .mount(&server)
        .await;
    assert_eq!(client.version().await.unwrap(), version);
}

/// The escape hatch is the generated client itself, with the facade's session: its
/// operations end in the SDK's own result, like the facade's.
#[tokio::test]
async fn the_generated_client_carries_the_session_and_returns_the_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/magpie/access-token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(TOKEN_LIST, "application/json"))
        .mount(&server)
        .await;
    let client = client_for(&server, SessionTransport::Header);

    let tokens = client.generated().list_access_tokens().await.unwrap();
    assert_eq!(tokens[1].id.as_deref(), Some("tok-43"));
    let request = only_request(&server).await;
    assert_eq!(header(&request, "authorization"), Some(format!("token {SESSION}").as_str()));
}

/// progenitor's own error prints a body that did not decode ("Invalid Response Payload (…)");
/// the generated operations return the SDK's, which keeps the new token in `body()` only.
#[tokio::test]
async fn the_generated_client_prints_no_body_and_keeps_a_token_it_could_not_decode() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "tok": NEW_TOKEN })))
        .mount(&server)
        .await;
    let client = client_for(&server, SessionTransport::Header);

    let error = client.generated().create_access_token().await.unwrap_err();
    let Error::Decode { operation, status, body, .. } = &error else { panic!("{error:?}") };
    assert_eq!((*operation, status.as_u16()), ("create_access_token", 200));
    assert!(body.expose_text().contains(NEW_TOKEN));
    let mut printed = vec![error.to_string(), format!("{error:?}")];
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        printed.push(cause.to_string());
        source = cause.source();
    }
    assert_never_printed(NEW_TOKEN, &printed);
}

#[tokio::test]
async fn login_with_a_password_sends_it_once_and_uses_the_session_afterwards() {
    for transport in [SessionTransport::Header, SessionTransport::Cookie] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/magpie/login"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "token": SESSION })))
            .mount(&server)
            .await;
        let client = Client::builder(format!("{}{PREFIX}", server.uri()))
            .session_transport(transport)
            .login(Login::password("ada@example.com", PASSWORD))
            .await
            .unwrap();
        assert_eq!(client.session_token().expose_secret(), SESSION);

        let login = only_request(&server).await;
        assert_eq!(header(&login, "content-type"), Some("application/json"));
        assert_eq!(header(&login, "authorization"), None);
        assert_eq!(header(&login, "cookie"), None);
        let body: serde_json::Value = serde_json::from_slice(&login.body).unwrap();
        assert_eq!(body, json!({"username": "ada@example.com", "password": PASSWORD}));

        server.reset().await;
        Mock::given(any()).respond_with(ResponseTemplate::new(200)).mount(&server).await;
        client.delete(TOKEN_ID).await.unwrap();
        let next = only_request(&server).await;
        match transport {
            SessionTransport::Header => {
                assert_eq!(header(&next, "authorization"), Some(&*format!("token {SESSION}")));
            }
            SessionTransport::Cookie => {
                assert_eq!(header(&next, "cookie"), Some(&*format!("token={SESSION}")));
            }
            other => unreachable!("no test for {other:?}"),
        }
    }
}

#[tokio::test]
async fn login_with_a_personal_access_token_sends_it_as_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/magpie/login"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(VENDOR_SESSION, "application/json"))
        .mount(&server)
        .await;
    let client = Client::builder(format!("{}{PREFIX}", server.uri()))
        .login(Login::personal_access_token(PAT))
        .await
        .unwrap();
    assert_eq!(client.session_token().expose_secret(), "a token");
    let body: serde_json::Value =
        serde_json::from_slice(&only_request(&server).await.body).unwrap();
    assert_eq!(body, json!({ "token": PAT }));
}

#[tokio::test]
async fn a_refused_login_is_a_typed_error_and_a_strange_one_keeps_the_session() {
    let server = MockServer::start().await;
    let builder = || Client::builder(format!("{}{PREFIX}", server.uri()));
    Mock::given(any()).respond_with(ERROR_BODIES[0].respond(401)).mount(&server).await;
    let error = builder().login(Login::password("ada", PASSWORD)).await.unwrap_err();
    assert_api_error(&error, 401, Some("Credentials required"), ERROR_BODIES[0].bytes);

    server.reset().await;
    let odd = json!({ "session": SESSION });
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(&odd))
        .mount(&server)
        .await;
    let error = builder().login(Login::password("ada", PASSWORD)).await.unwrap_err();
    assert!(matches!(error, Error::Decode { operation: "login", .. }), "{error:?}");
    assert!(error.body().unwrap().expose_text().contains(SESSION));
    assert_never_printed(SESSION, &[error.to_string(), format!("{error:?}")]);
}

#[tokio::test]
async fn a_token_in_an_unexpected_success_response_still_reaches_the_caller() {
    let server = MockServer::start().await;
    let client = client_for(&server, SessionTransport::Header);
    let account = client.service_account(SERVICE_ACCOUNT);
    let cases = [
        // 200 with another shape.
        (ResponseTemplate::new(200).set_body_json(json!({ "tok": NEW_TOKEN })), 200),
        // 201 with another shape: an undocumented success, its status kept.
        (ResponseTemplate::new(201).set_body_json(json!({ "tok": NEW_TOKEN })), 201),
        // Not JSON at all.
        (ResponseTemplate::new(200).set_body_raw(format!("token={NEW_TOKEN}"), "text/plain"), 200),
    ];
    for (response, status) in cases {
        server.reset().await;
        Mock::given(any()).respond_with(response).mount(&server).await;
        for result in [client.create_token().await, account.create().await, account.rotate().await]
        {
            let error = result.expect_err("the body does not match");
            let Error::Decode { status: got, body, .. } = &error else {
                panic!("expected a decode error, got {error:?}")
            };
            assert_eq!(got.as_u16(), status);
            assert!(body.expose_text().contains(NEW_TOKEN));
            assert_never_printed(NEW_TOKEN, &[error.to_string(), format!("{error:?}")]);
        }
    }

    // A 201 whose body is the documented one is a success.
    server.reset().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "token": NEW_TOKEN })))
        .mount(&server)
        .await;
    assert_eq!(client.create_token().await.unwrap().token.expose_secret(), NEW_TOKEN);
    // And an empty 204 is a success for calls without a documented body.
    server.reset().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    client.delete(TOKEN_ID).await.unwrap();
}

#[tokio::test]
async fn decode_errors_say_where_but_not_what() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"[{"disabled": "s3cr3t-ish"}]"#, "application/json"),
        )
        .mount(&server)
        .await;
    let error = client_for(&server, SessionTransport::Header).list_tokens().await.unwrap_err();
    let Error::Decode { detail, .. } = &error else { panic!("{error:?}") };
    assert_eq!(detail.kind, DecodeKind::Data);
    assert_eq!(detail.line, 1);
    assert_never_printed("s3cr3t-ish", &[error.to_string(), format!("{error:?}")]);
}

#[tokio::test]
async fn user_names_and_ids_are_percent_encoded_as_one_path_segment() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Op::List.success()).mount(&server).await;
    let client = client_for(&server, SessionTransport::Header);
    let cases = [
        ("svc@example.com", "/api/magpie/access-token/user/svc%40example.com"),
        ("a;b=c,d&e+f", "/api/magpie/access-token/user/a%3Bb%3Dc%2Cd%26e%2Bf"),
        ("a-b.c_d~e", "/api/magpie/access-token/user/a-b.c_d~e"),
        ("svc account", "/api/magpie/access-token/user/svc%20account"),
        ("a/b?c#d%e", "/api/magpie/access-token/user/a%2Fb%3Fc%23d%25e"),
        ("ünï", "/api/magpie/access-token/user/%C3%BCn%C3%AF"),
    ];
    for (user_name, expected) in cases {
        server.reset().await;
        Mock::given(any()).respond_with(Op::List.success()).mount(&server).await;
        client.service_account(user_name).list().await.unwrap();
        assert_eq!(only_request(&server).await.url.path(), expected);
    }
    server.reset().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    client.disable("id with space/slash").await.unwrap();
    assert_eq!(
        only_request(&server).await.url.path(),
        "/api/magpie/access-token/id%20with%20space%2Fslash/status/true"
    );
}

#[tokio::test]
async fn bad_ids_and_user_names_are_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    let client = client_for(&server, SessionTransport::Header);
    let cases = [
        ("", InvalidReason::Empty),
        (".", InvalidReason::DotSegment),
        ("..", InvalidReason::DotSegment),
        ("a\nb", InvalidReason::ControlCharacter),
        ("a\\..", InvalidReason::Backslash),
    ];
    for (bad, reason) in cases {
        let account = client.service_account(bad);
        let results = [
            ("token_id", client.disable(bad).await),
            ("token_id", client.enable(bad).await),
            ("token_id", client.set_description(bad, "x").await),
            ("token_id", client.delete(bad).await),
            ("user_name", account.list().await.map(drop)),
            ("user_name", account.create().await.map(drop)),
            ("user_name", account.rotate().await.map(drop)),
        ];
        for (field, result) in results {
            match result {
                Err(Error::InvalidInput { field: got, reason: got_reason }) => {
                    assert_eq!((got, got_reason), (field, reason), "{bad:?}");
                }
                other => panic!("{bad:?}: expected invalid input, got {other:?}"),
            }
        }
    }
    assert_nothing_sent(&server).await;
}

#[tokio::test]
async fn bad_settings_and_credentials_are_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    let base = format!("{}{PREFIX}", server.uri());
    let refused = |result: Result<Client, Error>| match result {
        Err(Error::InvalidInput { field, reason }) => (field, reason),
        other => panic!("expected invalid input, got {other:?}"),
    };
    let session = |token: &str, transport| {
        Client::builder(&base).session_transport(transport).session_token(token)
    };
    let header = SessionTransport::Header;
    let cookie = SessionTransport::Cookie;
    assert_eq!(refused(session("", header)), ("session token", InvalidReason::Empty));
    assert_eq!(refused(session(" ab", header)), ("session token", InvalidReason::NotHeaderSafe));
    assert_eq!(refused(session("a\tb", header)), ("session token", InvalidReason::NotHeaderSafe));
    assert_eq!(refused(session("a b", cookie)), ("session token", InvalidReason::NotCookieSafe));
    assert_eq!(
        refused(session("a\r\nX: y", header)),
        ("session token", InvalidReason::NotHeaderSafe)
    );
    assert_eq!(refused(session("a;b", cookie)), ("session token", InvalidReason::NotCookieSafe));
    assert_eq!(refused(session("ü", cookie)), ("session token", InvalidReason::NotHeaderSafe));

    let with_base = |base: &str| Client::builder(base).session_token(SESSION);
    assert_eq!(refused(with_base("ftp://h/x")), ("base URL", InvalidReason::NotHttpUrl));
    assert_eq!(
        refused(with_base("http://u:p@h/x")),
        ("base URL", InvalidReason::UrlHasCredentials)
    );
    assert_eq!(
        refused(with_base("http://h/x?a=b")),
        ("base URL", InvalidReason::UrlHasQueryOrFragment)
    );
    assert_eq!(refused(with_base("not a url://")), ("base URL", InvalidReason::NotHttpUrl));
    assert_eq!(refused(with_base("bad_org")), ("organization", InvalidReason::NotHostLabel));
    assert_eq!(refused(with_base("-acme")), ("organization", InvalidReason::NotHostLabel));
    assert_eq!(refused(with_base("")), ("organization", InvalidReason::NotHostLabel));

    let login = |login| async { Client::builder(&base).login(login).await };
    assert_eq!(
        refused(login(Login::password("", PASSWORD)).await),
        ("username", InvalidReason::Empty)
    );
    assert_eq!(
        refused(login(Login::password("ada", "")).await),
        ("password", InvalidReason::Empty)
    );
    assert_eq!(
        refused(login(Login::personal_access_token("")).await),
        ("personal access token", InvalidReason::Empty)
    );
    assert_nothing_sent(&server).await;
}

#[tokio::test]
async fn base_urls_are_normalised_and_keep_their_path() {
    let base =
        |input: &str| Client::builder(input).session_token(SESSION).unwrap().base_url().to_owned();
    assert_eq!(base("Acme"), "https://acme.silect.is/api/magpie");
    assert_eq!(base("http://127.0.0.1:8080/api/magpie/"), "http://127.0.0.1:8080/api/magpie");
    assert_eq!(base("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
    assert_eq!(base("HTTP://LOCALHOST/a/b"), "http://localhost/a/b");

    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Op::List.success()).mount(&server).await;
    let client =
        Client::builder(format!("{}/proxy/magpie/", server.uri())).session_token(SESSION).unwrap();
    client.list_tokens().await.unwrap();
    assert_eq!(only_request(&server).await.url.path(), "/proxy/magpie/access-token");
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_display() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "token": NEW_TOKEN })))
        .mount(&server)
        .await;
    let base = format!("{}{PREFIX}", server.uri());
    let header_client = client_for(&server, SessionTransport::Header);
    let cookie_client = client_for(&server, SessionTransport::Cookie);
    let created = header_client.create_token().await.unwrap();
    let login = Login::password("ada", PASSWORD);
    let pat = Login::personal_access_token(PAT);
    let builder = Client::builder(&base);
    let error = Client::builder(&base).session_token("bad\ntoken").unwrap_err();

    let printed = [
        format!("{header_client:?}"),
        format!("{cookie_client:?}"),
        format!("{:?}", header_client.generated()),
        format!("{:?}", header_client.session_token()),
        format!("{created:?}"),
        format!("{login:?}"),
        format!("{pat:?}"),
        format!("{builder:?}"),
        format!("{error:?}"),
        error.to_string(),
    ];
    for secret in [SESSION, NEW_TOKEN, PASSWORD, PAT, "bad\ntoken"] {
        assert_never_printed(secret, &printed);
    }
    assert!(printed[4].contains("Secret([REDACTED])"), "{}", printed[4]);
    assert_eq!(format!("{:?}", Secret::new("x")), "Secret([REDACTED])");
}

#[tokio::test]
async fn timeouts_are_typed_and_bounded() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let client = Client::builder(format!("{}{PREFIX}", server.uri()))
        .timeout(Duration::from_millis(200))
        .session_token(SESSION)
        .unwrap();
    let started = std::time::Instant::now();
    let error = client.delete(TOKEN_ID).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(matches!(error, Error::Transport { operation: "delete_access_token", .. }));
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_so_the_session_stays_home() {
    let elsewhere = MockServer::start().await;
    Mock::given(any()).respond_with(Op::List.success()).mount(&elsewhere).await;
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/steal", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let error = client_for(&server, SessionTransport::Header).list_tokens().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(302));
    assert_nothing_sent(&elsewhere).await;
}

#[tokio::test]
async fn a_caller_supplied_http_client_is_used() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Op::List.success()).mount(&server).await;
    let http = access_tokens_tests::reqwest_builder().user_agent("my-app/1.0").build().unwrap();
    let client = Client::builder(format!("{}{PREFIX}", server.uri()))
        .http_client(http)
        .session_token(SESSION)
        .unwrap();
    client.list_tokens().await.unwrap();
    let request = only_request(&server).await;
    assert_eq!(header(&request, "user-agent"), Some("my-app/1.0"));
    assert_eq!(header(&request, "authorization"), Some(&*format!("token {SESSION}")));
}

#[tokio::test]
async fn hostile_responses_give_typed_errors_and_keep_bodies() {
    check_hostile_responses(&ALL_OPS, |url, _| {
        Client::builder(format!("{url}{PREFIX}"))
            .timeout(Duration::from_millis(300))
            .retry(RetryPolicy::NEVER)
            .session_token(SESSION)
            .unwrap()
    })
    .await;
}

/// A session the server returns that cannot travel in a cookie (a space, `;`, non-ASCII) is
/// handed back in the error, not lost, and not printed.
#[tokio::test]
async fn a_session_that_cannot_travel_in_a_cookie_is_handed_back() {
    for session in ["has space", "semi;colon", "ünïcode"] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/magpie/login"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "token": session })))
            .mount(&server)
            .await;
        let error = Client::builder(format!("{}{PREFIX}", server.uri()))
            .session_transport(SessionTransport::Cookie)
            .login(Login::password("ada@example.com", PASSWORD))
            .await
            .unwrap_err();
        let Error::UnusableCredential { operation, field, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!((*operation, *field), ("login", "session token"));
        assert_eq!(error.credential().map(Secret::expose_secret), Some(session));
        assert_never_printed(session, &[error.to_string(), format!("{error:?}")]);
    }
}

// Sessions that expire.

/// A simulator with ada, and a client that logged her in (and logs in again on a 401).
async fn logged_in() -> (access_tokens::testing::Magpie, Client) {
    let magpie = access_tokens::testing::Magpie::start().await;
    magpie.add_user("ada@example.com", "pw");
    let login = Login::password("ada@example.com", "pw");
    let client = Client::builder(magpie.url()).login(login).await.unwrap();
    (magpie, client)
}

#[tokio::test]
async fn a_login_client_logs_in_again_once_on_a_401_and_repeats_a_list() {
    let (magpie, client) = logged_in().await;
    let clone = client.clone();
    let first = client.session_token();
    magpie.end_sessions();
    // Both clones meet the 401 at once; one login serves them both.
    let (a, b) = tokio::join!(client.list_tokens(), clone.list_tokens());
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    assert_eq!(magpie.logins(), 2);
    assert_ne!(client.session_token(), first);
    assert_eq!(clone.session_token(), client.session_token());
}

#[tokio::test]
async fn a_create_met_by_a_401_is_not_repeated_and_the_next_call_has_a_new_session() {
    let (magpie, client) = logged_in().await;
    magpie.end_sessions();
    let error = client.create_token().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(magpie.token_count("ada@example.com"), 0, "not created, not repeated");
    assert_eq!(magpie.logins(), 2);
    client.create_token().await.unwrap();
    assert_eq!(magpie.token_count("ada@example.com"), 1);
}

#[tokio::test]
async fn a_bare_session_or_a_client_with_relogin_off_reports_the_401() {
    let magpie = access_tokens::testing::Magpie::start().await;
    magpie.add_user("ada@example.com", "pw");
    let login = Client::builder(magpie.url())
        .relogin(false)
        .login(Login::password("ada@example.com", "pw"))
        .await
        .unwrap();
    let bare = Client::builder(magpie.url()).session_token(login.session_token()).unwrap();
    magpie.end_sessions();
    for client in [login, bare] {
        let error = client.list_tokens().await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    }
    assert_eq!(magpie.logins(), 1);
}

#[tokio::test]
async fn a_relogin_that_fails_returns_the_logins_error() {
    let (magpie, client) = logged_in().await;
    magpie.end_sessions();
    // The call's 401, then the login's 500.
    magpie.inject_at(2, access_tokens::testing::Fault::Status(500));
    let error = client.list_tokens().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert!(!format!("{error} {error:?}").contains("pw\""));
    client.list_tokens().await.unwrap();
}
