//! `access_tokens::insight` on the wire, against `openapi/insight.yaml`.

use std::time::{Duration, UNIX_EPOCH};

use access_tokens::insight::{ApiGeneration, Client, ClientBuilder, Credentials, SessionClient};
use access_tokens::{Error, Expiry, InvalidReason, RetryPolicy};
use access_tokens_tests::{
    Operation, assert_api_error, assert_never_printed, assert_nothing_sent, check_error_statuses,
    check_hostile_responses, check_requests, header, only_request,
};
use serde_json::json;
use wiremock::matchers::{any, header as header_is, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const API_TOKEN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const COOKIE: &str = "id=53ss10n-c00k13; PLAY_SESSION=abc";
const PASSWORD: &str = "s3cret pass&more";
const OAUTH: &str = "gho_0auth-t0ken";

// The vendor's own examples (user guide and API reference of lambdalab/docs).
const VENDOR_LIST: &str = include_str!("../fixtures/insight/api_tokens.json");
const VENDOR_AUTHENTICATED: &str = include_str!("../fixtures/insight/authenticated_token.json");
const VENDOR_NEW: &str = include_str!("../fixtures/insight/new_api_token.json");
const VENDOR_UNAUTHORIZED: &str = include_str!("../fixtures/insight/unauthorized.json");

/// Every way in, so that one operation table covers them all.
struct Clients {
    token: Client,
    session: SessionClient,
    base_url: String,
    generation: ApiGeneration,
    configure: fn(ClientBuilder) -> ClientBuilder,
}

impl Clients {
    fn builder(&self) -> ClientBuilder {
        (self.configure)(Client::builder(&self.base_url).api_generation(self.generation))
    }
}

fn clients_for(server: &MockServer, generation: ApiGeneration) -> Clients {
    clients_at(&server.uri(), generation, |builder| builder)
}

fn clients_at(
    base_url: &str,
    generation: ApiGeneration,
    configure: fn(ClientBuilder) -> ClientBuilder,
) -> Clients {
    let builder = || configure(Client::builder(base_url).api_generation(generation));
    Clients {
        token: builder().api_token(API_TOKEN).unwrap(),
        session: builder().session_cookie(COOKIE).unwrap(),
        base_url: base_url.to_owned(),
        generation,
        configure,
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    List(ApiGeneration),
    Revoke(ApiGeneration),
    Create(ApiGeneration),
    Password,
    Ldap,
    Provider,
}

const GENERATIONS: [ApiGeneration; 2] = [ApiGeneration::Reference, ApiGeneration::UserGuide];

fn all_ops() -> Vec<Op> {
    let per_generation =
        GENERATIONS.iter().flat_map(|&g| [Op::List(g), Op::Revoke(g), Op::Create(g)]);
    per_generation.chain([Op::Password, Op::Ldap, Op::Provider]).collect()
}

impl Op {
    fn generation(self) -> ApiGeneration {
        match self {
            Op::List(g) | Op::Revoke(g) | Op::Create(g) => g,
            Op::Password | Op::Ldap | Op::Provider => ApiGeneration::default(),
        }
    }
}

impl Operation for Op {
    type Client = Clients;

    fn route(self) -> (&'static str, String) {
        use ApiGeneration::{Reference, UserGuide};
        let (method, path) = match self {
            Op::List(Reference) => ("GET", "/api/token"),
            Op::Revoke(Reference) => ("DELETE", "/api/token"),
            Op::Create(Reference) => ("POST", "/api/token"),
            Op::List(UserGuide) => ("GET", "/api/getApiTokens"),
            Op::Revoke(UserGuide) => ("GET", "/api/revokeApiToken"),
            Op::Create(UserGuide) => ("GET", "/api/createApiToken"),
            Op::Password => ("POST", "/api/authenticate/userpass"),
            Op::Ldap => ("POST", "/api/authenticate/ldap"),
            Op::Provider => ("POST", "/api/authenticate/github"),
            other => unreachable!("no route for {other:?}"),
        };
        (method, path.to_owned())
    }

    fn success(self) -> ResponseTemplate {
        let body = match self {
            Op::List(_) => VENDOR_LIST,
            Op::Create(_) => VENDOR_NEW,
            Op::Password | Op::Ldap | Op::Provider => VENDOR_AUTHENTICATED,
            Op::Revoke(_) => return ResponseTemplate::new(200),
        };
        ResponseTemplate::new(200).set_body_raw(body, "application/json")
    }

    fn request_body(self) -> Option<(&'static str, Vec<u8>)> {
        match self {
            Op::Password | Op::Ldap => Some((
                "application/x-www-form-urlencoded",
                b"username=ada%40example.com&password=s3cret+pass%26more".to_vec(),
            )),
            Op::Provider => Some((
                "application/json",
                json!({ "email": "ada@example.com", "info": { "accessToken": OAUTH } })
                    .to_string()
                    .into_bytes(),
            )),
            Op::List(_) | Op::Revoke(_) | Op::Create(_) => None,
        }
    }

    async fn call(self, clients: &Clients) -> Result<(), Error> {
        let authenticate =
            |credentials| async { clients.builder().authenticate(credentials).await };
        match self {
            Op::List(_) => clients.token.list_tokens().await.map(drop),
            Op::Revoke(_) => clients.token.clone().revoke_this_token().await,
            Op::Create(_) => clients.session.create_token().await.map(drop),
            Op::Password => {
                authenticate(Credentials::password("ada@example.com", PASSWORD)).await.map(drop)
            }
            Op::Ldap => {
                authenticate(Credentials::ldap("ada@example.com", PASSWORD)).await.map(drop)
            }
            Op::Provider => authenticate(Credentials::provider("github", "ada@example.com", OAUTH))
                .await
                .map(drop),
        }
    }
}

#[tokio::test]
async fn every_operation_sends_the_documented_request_with_its_credential() {
    let ops = all_ops();
    for (op, request) in
        check_requests(&ops, |server, op| clients_for(server, op.generation())).await
    {
        let (token, cookie) = match op {
            Op::List(_) | Op::Revoke(_) => (Some(API_TOKEN), None),
            Op::Create(_) => (None, Some(COOKIE)),
            Op::Password | Op::Ldap | Op::Provider => (None, None),
        };
        assert_eq!(header(&request, "x-auth-token"), token, "{op:?}");
        assert_eq!(header(&request, "cookie"), cookie, "{op:?}");
        assert_eq!(header(&request, "authorization"), None, "{op:?}");
        let accept = if matches!(op, Op::Revoke(_)) { "*/*" } else { "application/json" };
        assert_eq!(header(&request, "accept"), Some(accept), "{op:?}");
    }
}

#[tokio::test]
async fn every_error_status_reaches_the_caller_typed_with_its_status_and_body() {
    for generation in GENERATIONS {
        let server = MockServer::start().await;
        let ops: Vec<Op> =
            all_ops().into_iter().filter(|op| op.generation() == generation).collect();
        check_error_statuses(&ops, &clients_for(&server, generation), &server).await;
    }
}

#[tokio::test]
async fn the_documented_401_carries_the_vendors_message() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401).set_body_raw(VENDOR_UNAUTHORIZED, "application/json"),
        )
        .mount(&server)
        .await;
    let error =
        clients_for(&server, ApiGeneration::Reference).token.list_tokens().await.unwrap_err();
    assert_api_error(&error, 401, Some("Credentials required"), VENDOR_UNAUTHORIZED.as_bytes());
    assert_eq!(
        error.to_string(),
        "list_tokens: the server answered 401 Unauthorized: Credentials required"
    );
}

#[tokio::test]
async fn the_vendors_examples_parse_and_times_are_milliseconds() {
    let server = MockServer::start().await;
    let clients = clients_for(&server, ApiGeneration::UserGuide);
    Mock::given(any())
        .respond_with(Op::List(ApiGeneration::UserGuide).success())
        .mount(&server)
        .await;
    let tokens = clients.token.list_tokens().await.unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0].uid.as_deref(), Some("ldap@user.0"));
    assert!(tokens[0].api_token.expose_secret().starts_with("95e1110da97b"));
    assert_eq!(tokens[0].created_at(), Some(UNIX_EPOCH + Duration::from_millis(1_496_357_580_959)));
    assert_eq!(
        tokens[1].last_used_at(),
        Some(UNIX_EPOCH + Duration::from_millis(1_496_358_254_649))
    );

    server.reset().await;
    Mock::given(any())
        .respond_with(Op::Create(ApiGeneration::UserGuide).success())
        .mount(&server)
        .await;
    assert_eq!(clients.session.create_token().await.unwrap().token.expose_secret(), "83dc98…");
}

#[tokio::test]
async fn authenticating_returns_the_token_and_a_client_that_uses_it() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(Op::Password.success()).mount(&server).await;
    let builder = Client::builder(server.uri());
    let issued =
        builder.authenticate(Credentials::password("ada@example.com", PASSWORD)).await.unwrap();
    // The vendor's example is shortened with an ellipsis, which no header can carry: the
    // token still reaches the caller, and only building a client from it fails.
    assert_eq!(issued.token.expose_secret(), "961bb2a95e21…4889c0");
    assert_eq!(issued.expires_on.as_deref(), Some("292278994-08-17T07:12:55.807Z"), "raw kept");
    assert_eq!(issued.expiry(), Some(Expiry::Never));
    assert!(matches!(
        builder.api_token(issued.token.clone()),
        Err(Error::InvalidInput { field: "API token", reason: InvalidReason::NotHeaderSafe })
    ));

    server.reset().await;
    let minted = json!({ "token": API_TOKEN, "expiresOn": "292278994-08-17T07:12:55.807Z" });
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(minted))
        .mount(&server)
        .await;
    let builder = Client::builder(server.uri());
    let issued = builder.authenticate(Credentials::ldap("ada", PASSWORD)).await.unwrap();
    let client = builder.api_token(issued.token.clone()).unwrap();
    assert_eq!(client.api_token(), issued.token);

    server.reset().await;
    Mock::given(any())
        .respond_with(Op::List(ApiGeneration::Reference).success())
        .mount(&server)
        .await;
    client.list_tokens().await.unwrap();
    assert_eq!(header(&only_request(&server).await, "x-auth-token"), Some(API_TOKEN));
}

#[tokio::test]
async fn expiries_tell_never_from_a_date_and_keep_what_they_cannot_read() {
    let server = MockServer::start().await;
    let cases = [
        (
            json!("2018-06-13T10:00:00.000Z"),
            Some(Expiry::At(UNIX_EPOCH + Duration::from_secs(1_528_884_000))),
        ),
        (json!("next tuesday"), None),
        (serde_json::Value::Null, None),
    ];
    for (expires_on, expected) in cases {
        server.reset().await;
        let body = json!({ "token": API_TOKEN, "expiresOn": expires_on });
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_json(&body))
            .mount(&server)
            .await;
        let issued = Client::builder(server.uri())
            .authenticate(Credentials::ldap("ada", PASSWORD))
            .await
            .unwrap();
        assert_eq!(issued.expiry(), expected, "{expires_on}");
    }
}

#[tokio::test]
async fn revoking_answers_ok_for_any_token_and_is_sent_once() {
    for generation in GENERATIONS {
        let server = MockServer::start().await;
        Mock::given(any()).respond_with(ResponseTemplate::new(200)).expect(1).mount(&server).await;
        clients_for(&server, generation).token.revoke_this_token().await.unwrap();
    }
}

#[tokio::test]
async fn the_user_guides_side_effect_gets_are_never_repeated() {
    let server = MockServer::start().await;
    let clients = clients_for(&server, ApiGeneration::UserGuide);
    Mock::given(any()).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    assert!(clients.session.create_token().await.is_err());
    assert!(clients.token.clone().revoke_this_token().await.is_err());
    let requests = server.received_requests().await.unwrap();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/api/createApiToken", "/api/revokeApiToken"]);
}

#[tokio::test]
async fn a_created_token_in_an_unexpected_response_still_reaches_the_caller() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "apiToken": "fr3sh-t0k3n" })),
        )
        .mount(&server)
        .await;
    let clients = clients_for(&server, ApiGeneration::Reference);
    let results = [
        clients.session.create_token().await.map(drop),
        clients.builder().authenticate(Credentials::password("ada", PASSWORD)).await.map(drop),
    ];
    for result in results {
        let error = result.unwrap_err();
        assert!(matches!(error, Error::Decode { .. }), "{error:?}");
        assert!(error.body().unwrap().expose_text().contains("fr3sh-t0k3n"));
        assert_never_printed("fr3sh-t0k3n", &[error.to_string(), format!("{error:?}")]);
    }
}

#[tokio::test]
async fn bad_credentials_are_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    let builder = || Client::builder(server.uri());
    let reason = |error: Error| match error {
        Error::InvalidInput { field, reason } => (field, reason),
        other => panic!("expected invalid input, got {other:?}"),
    };
    assert_eq!(reason(builder().api_token("").unwrap_err()), ("API token", InvalidReason::Empty));
    assert_eq!(
        reason(builder().api_token("a\nb").unwrap_err()),
        ("API token", InvalidReason::NotHeaderSafe)
    );
    assert_eq!(
        reason(builder().session_cookie("id=a\r\nb").unwrap_err()),
        ("session cookie", InvalidReason::NotHeaderSafe)
    );
    let authenticate =
        |credentials| async { builder().authenticate(credentials).await.map(drop).unwrap_err() };
    assert_eq!(
        reason(authenticate(Credentials::password("", PASSWORD)).await),
        ("username", InvalidReason::Empty)
    );
    assert_eq!(
        reason(authenticate(Credentials::provider("..", "a@b", OAUTH)).await),
        ("provider", InvalidReason::DotSegment)
    );
    assert_eq!(
        reason(authenticate(Credentials::provider("github", "", OAUTH)).await),
        ("email", InvalidReason::Empty)
    );
    assert_nothing_sent(&server).await;
}

#[tokio::test]
async fn secrets_never_appear_in_debug_or_display() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Op::List(ApiGeneration::Reference).success())
        .mount(&server)
        .await;
    let clients = clients_for(&server, ApiGeneration::Reference);
    let tokens = clients.token.list_tokens().await.unwrap();
    let credentials = [
        Credentials::password("ada", PASSWORD),
        Credentials::ldap("ada", PASSWORD),
        Credentials::provider("github", "ada@example.com", OAUTH),
    ];
    let printed = [
        format!("{:?}", clients.token),
        format!("{:?}", clients.session),
        format!("{tokens:?}"),
        format!("{credentials:?}"),
    ];
    for secret in [API_TOKEN, "53ss10n-c00k13", PASSWORD, OAUTH, "95e1110da97b", "c9d1a9dd3ec6"] {
        assert_never_printed(secret, &printed);
    }
}

#[tokio::test]
async fn hostile_responses_give_typed_errors_and_keep_bodies() {
    let strict: fn(ClientBuilder) -> ClientBuilder =
        |builder| builder.timeout(Duration::from_millis(300)).retry(RetryPolicy::NEVER);
    check_hostile_responses(&all_ops(), |url, op| clients_at(url, op.generation(), strict)).await;
}

// Tokens that stop working.

#[tokio::test]
async fn a_login_client_authenticates_again_once_on_a_401_and_repeats_the_list() {
    let server = MockServer::start().await;
    const RENEWED: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
    for (token, priority) in [(API_TOKEN, 1), (RENEWED, 2)] {
        let issued = json!({ "token": token, "expiresOn": "2030-01-01T00:00:00.000Z" });
        Mock::given(method("POST"))
            .and(path("/api/authenticate/userpass"))
            .respond_with(ResponseTemplate::new(200).set_body_json(issued))
            .up_to_n_times(1)
            .with_priority(priority)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/token"))
        .and(header_is("x-auth-token", API_TOKEN))
        .respond_with(
            ResponseTemplate::new(401).set_body_raw(VENDOR_UNAUTHORIZED, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/token"))
        .and(header_is("x-auth-token", RENEWED))
        .respond_with(Op::List(ApiGeneration::Reference).success())
        .mount(&server)
        .await;
    let client = Client::builder(server.uri())
        .login(Credentials::password("ada@example.com", PASSWORD))
        .await
        .unwrap();
    assert_eq!(client.api_token().expose_secret(), API_TOKEN);
    let clone = client.clone();

    // Both clones meet the 401 at once; one authentication serves them both.
    let (a, b) = tokio::join!(client.list_tokens(), clone.list_tokens());
    assert_eq!(a.unwrap().len(), b.unwrap().len());
    let sent: Vec<(String, String, Option<String>)> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.url.path().to_owned(),
                header(r, "x-auth-token").map(str::to_owned),
            )
        })
        .collect();
    let authentications = sent.iter().filter(|(m, ..)| m == "POST").count();
    assert_eq!(authentications, 2, "the login and one renewal: {sent:?}");
    let listed_with = |token: &str| {
        sent.iter().filter(|(m, _, t)| m == "GET" && t.as_deref() == Some(token)).count()
    };
    assert_eq!((listed_with(API_TOKEN), listed_with(RENEWED)), (2, 2), "{sent:?}");
    assert_eq!(client.api_token().expose_secret(), RENEWED);
    assert_eq!(clone.api_token(), client.api_token());
}

#[tokio::test]
async fn a_revoked_login_token_is_renewed_against_the_simulator() {
    let insight = access_tokens::testing::Insight::start().await;
    insight.add_user("ada", "pw");
    let builder = || Client::builder(insight.url());
    let client = builder().login(Credentials::password("ada", "pw")).await.unwrap();
    let first = client.api_token();
    builder().api_token(first.clone()).unwrap().revoke_this_token().await.unwrap();
    let listed = client.list_tokens().await.unwrap();
    assert_eq!(insight.authentications(), 2);
    assert_ne!(client.api_token(), first);
    assert_eq!(listed.len(), 1, "the revoked token is gone; the renewed one is listed");
    assert_eq!(listed[0].api_token, client.api_token());
}

#[tokio::test]
async fn a_bare_token_or_a_client_with_relogin_off_reports_the_401() {
    let insight = access_tokens::testing::Insight::start().await;
    insight.add_user("ada", "pw");
    let login = Client::builder(insight.url())
        .relogin(false)
        .login(Credentials::password("ada", "pw"))
        .await
        .unwrap();
    let bare = Client::builder(insight.url()).api_token(login.api_token()).unwrap();
    bare.clone().revoke_this_token().await.unwrap();
    for client in [login, bare] {
        let error = client.list_tokens().await.unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    }
    assert_eq!(insight.authentications(), 1);
}

#[tokio::test]
async fn a_revoke_met_by_a_401_is_not_renewed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Op::Password.success().set_body_json(json!({ "token": API_TOKEN })))
        .mount(&server)
        .await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(401)).mount(&server).await;
    let client = Client::builder(server.uri())
        .login(Credentials::password("ada@example.com", PASSWORD))
        .await
        .unwrap();
    let error = client.revoke_this_token().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    let methods: Vec<String> =
        server.received_requests().await.unwrap().iter().map(|r| r.method.to_string()).collect();
    assert_eq!(methods, ["POST", "DELETE"], "no second authentication");
}

#[tokio::test]
async fn a_renewal_that_fails_returns_its_error_and_the_next_call_tries_again() {
    let insight = access_tokens::testing::Insight::start().await;
    insight.add_user("ada", "pw");
    let builder = || Client::builder(insight.url());
    let client = builder().login(Credentials::password("ada", "pw")).await.unwrap();
    builder().api_token(client.api_token()).unwrap().revoke_this_token().await.unwrap();
    // The call's 401, then the authentication's 500.
    insight.inject_at(2, access_tokens::testing::Fault::Status(500));
    let error = client.list_tokens().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_never_printed("pw\"", &[error.to_string(), format!("{error:?}")]);
    client.list_tokens().await.unwrap();
    assert_eq!(insight.authentications(), 2);
}
