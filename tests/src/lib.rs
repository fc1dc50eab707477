//! Helpers shared by the vendor test modules in `it/`.

use access_tokens::Error;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The one request the server received; fails if there were none or several.
pub async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.expect("request recording is on");
    assert_eq!(requests.len(), 1, "expected exactly one request, got {requests:#?}");
    requests.remove(0)
}

/// Fails unless the server received no request at all.
pub async fn assert_nothing_sent(server: &MockServer) {
    let requests = server.received_requests().await.expect("request recording is on");
    assert!(requests.is_empty(), "expected no request, got {requests:#?}");
}

/// A header's value, or `None` when absent.
pub fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).map(|value| value.to_str().expect("ASCII header"))
}

/// An error body every operation is checked with, and the vendor message it should yield.
#[derive(Debug, Clone, Copy)]
pub struct ErrorBody {
    /// What kind of body, for failure messages.
    pub name: &'static str,
    /// The body's content type, if it has one.
    pub content_type: Option<&'static str>,
    /// The body.
    pub bytes: &'static [u8],
    /// The message the SDK should take from it.
    pub message: Option<&'static str>,
}

impl ErrorBody {
    /// A response with this body and `status`.
    pub fn respond(&self, status: u16) -> ResponseTemplate {
        let template = ResponseTemplate::new(status);
        match self.content_type {
            Some(content_type) => template.set_body_raw(self.bytes, content_type),
            None => template,
        }
    }
}

/// A JSON error with a message, a proxy's HTML page, and nothing.
pub const ERROR_BODIES: [ErrorBody; 3] = [
    ErrorBody {
        name: "JSON",
        content_type: Some("application/json"),
        bytes: br#"{"error": "Credentials required"}"#,
        message: Some("Credentials required"),
    },
    ErrorBody {
        name: "HTML",
        content_type: Some("text/html"),
        bytes: b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        message: None,
    },
    ErrorBody { name: "empty", content_type: None, bytes: b"", message: None },
];

/// The statuses every operation's error mapping is checked with.
pub const ERROR_STATUSES: [u16; 4] = [401, 403, 404, 500];

/// Checks that `error` is the typed API error for `status`, with the vendor's message and the
/// whole body kept.
pub fn assert_api_error(error: &Error, status: u16, message: Option<&str>, body: &[u8]) {
    match error {
        Error::Api { status: got, message: got_message, body: got_body, .. } => {
            assert_eq!(got.as_u16(), status, "{error}");
            assert_eq!(got_message.as_deref(), message, "{error}");
            assert_eq!(got_body.expose_bytes(), body, "{error}");
        }
        other => panic!("expected an API error with status {status}, got {other:?}"),
    }
}

/// Fails if `secret` shows up in the `Debug` or `Display` of anything in `printed`.
pub fn assert_never_printed(secret: &str, printed: &[String]) {
    for text in printed {
        assert!(!text.contains(secret), "secret {secret:?} printed in {text}");
    }
}

/// One operation of a vendor's facade, described for the shared wire and error checks.
pub trait Operation: Copy + std::fmt::Debug {
    /// The facade client the operation is called on.
    type Client;

    /// The method and the full path (with the test's arguments) the document gives it.
    fn route(self) -> (&'static str, String);

    /// The query string it must send, if any.
    fn query(self) -> Option<&'static str> {
        None
    }

    /// A documented success response.
    fn success(self) -> ResponseTemplate;

    /// The content type and body it must send, if it sends one. JSON bodies are compared as
    /// JSON values.
    fn request_body(self) -> Option<(&'static str, Vec<u8>)>;

    /// Calls the facade, dropping the result's value.
    fn call(self, client: &Self::Client) -> impl Future<Output = Result<(), Error>>;
}

/// Calls each operation against a fresh server answering its documented success, checks the
/// method, path, query, content type, length and body on the wire, and returns each request
/// for the vendor's own header checks.
pub async fn check_requests<O: Operation>(
    operations: &[O],
    client_for: impl Fn(&MockServer, O) -> O::Client,
) -> Vec<(O, Request)> {
    let mut checked = Vec::new();
    for &op in operations {
        let server = MockServer::start().await;
        let (verb, route) = op.route();
        Mock::given(method(verb))
            .and(path(route.as_str()))
            .respond_with(op.success())
            .mount(&server)
            .await;

        op.call(&client_for(&server, op)).await.unwrap_or_else(|e| panic!("{op:?}: {e}"));

        let request = only_request(&server).await;
        assert_eq!(request.method.as_str(), verb, "{op:?}");
        assert_eq!(request.url.path(), route, "{op:?}");
        assert_eq!(request.url.query(), op.query(), "{op:?}");
        assert_eq!(header(&request, "api-version"), None, "{op:?}");
        match op.request_body() {
            Some((content_type, body)) => {
                assert_eq!(header(&request, "content-type"), Some(content_type), "{op:?}");
                let sent = String::from_utf8_lossy(&request.body);
                let expected = String::from_utf8_lossy(&body);
                match content_type {
                    "application/json" => {
                        let sent: serde_json::Value = serde_json::from_str(&sent).unwrap();
                        let expected: serde_json::Value = serde_json::from_str(&expected).unwrap();
                        assert_eq!(sent, expected, "{op:?}");
                    }
                    // A form's fields are unordered.
                    "application/x-www-form-urlencoded" => {
                        let fields = |form: &str| {
                            let mut fields: Vec<String> =
                                form.split('&').map(str::to_owned).collect();
                            fields.sort();
                            fields
                        };
                        assert_eq!(fields(&sent), fields(&expected), "{op:?}");
                    }
                    _ => assert_eq!(sent, expected, "{op:?}"),
                }
            }
            None => {
                assert_eq!(header(&request, "content-type"), None, "{op:?}");
                assert!(request.body.is_empty(), "{op:?}");
                if matches!(verb, "POST" | "PUT") {
                    assert_eq!(header(&request, "content-length"), Some("0"), "{op:?}");
                }
            }
        }
        checked.push((op, request));
    }
    checked
}

/// Answers every operation with each error status and body, and checks each reaches the
/// caller as the typed API error with its status, the vendor's message and the whole body.
pub async fn check_error_statuses<O: Operation>(
    operations: &[O],
    client: &O::Client,
    server: &MockServer,
) {
    for &op in operations {
        for status in ERROR_STATUSES {
            for body in ERROR_BODIES {
                server.reset().await;
                Mock::given(any()).respond_with(body.respond(status)).mount(server).await;
                let error = op.call(client).await.expect_err("an error status");
                assert_api_error(&error, status, body.message, body.bytes);
                let shown = error.to_string();
                assert!(shown.contains(&status.to_string()), "{op:?} {}: {shown}", body.name);
            }
        }
    }
}
