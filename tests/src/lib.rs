//! Helpers shared by the vendor test modules in `it/`.

use access_tokens::Error;
use access_tokens_loopback::buffered_request;
pub use access_tokens_loopback::reqwest_builder;
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

/// What a [`RawServer`] does with one connection.
#[derive(Debug, Clone)]
pub enum RawReply {
    /// Reads the request, then closes the connection without answering.
    Close,
    /// Reads the request and writes these bytes, then closes.
    Bytes(Vec<u8>),
    /// Reads the request and writes these bytes one at a time, `gap` apart, then closes.
    Trickle(Vec<u8>, std::time::Duration),
    /// Reads the request, writes the first `at` bytes, waits `pause`, writes the rest, then
    /// closes.
    Pause { bytes: Vec<u8>, at: usize, pause: std::time::Duration },
}

/// A loopback HTTP/1.1 server for what wiremock cannot do: answers that break off, trickle, or
/// have no length. The n-th connection gets the n-th reply (the last one repeats), and every
/// connection is counted.
#[derive(Debug)]
pub struct RawServer {
    address: std::net::SocketAddr,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl RawServer {
    /// Starts serving `replies` on `127.0.0.1`.
    pub async fn start(replies: Vec<RawReply>) -> Self {
        use std::sync::atomic::Ordering;
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let reply = replies[n.min(replies.len() - 1)].clone();
                tokio::spawn(async move {
                    read_request_head(&mut socket).await;
                    match reply {
                        RawReply::Close => {}
                        RawReply::Bytes(bytes) => {
                            let _ = socket.write_all(&bytes).await;
                        }
                        RawReply::Trickle(bytes, gap) => {
                            for byte in bytes {
                                if socket.write_all(&[byte]).await.is_err() {
                                    break;
                                }
                                tokio::time::sleep(gap).await;
                            }
                        }
                        RawReply::Pause { bytes, at, pause } => {
                            let _ = socket.write_all(&bytes[..at]).await;
                            tokio::time::sleep(pause).await;
                            let _ = socket.write_all(&bytes[at..]).await;
                        }
                    }
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self { address, connections }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.address)
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Reads up to the end of the request's head and its `Content-Length` body.
pub async fn read_request_head(socket: &mut (impl tokio::io::AsyncRead + Unpin)) {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let Ok(n) = socket.read(&mut buffer).await else { return };
        if n == 0 {
            return;
        }
        received.extend_from_slice(&buffer[..n]);
        if buffered_request(&received).is_some() {
            return;
        }
    }
}

/// An HTTP/1.1 response with `status`, a JSON `body`, and a `Content-Length` that may lie.
pub fn raw_response(status: u16, content_length: usize, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {content_length}\r\nconnection: close\r\n\r\n"
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Bodies no document describes, each sent with status 200.
const HOSTILE_BODIES: [(&str, &str, &[u8]); 4] = [
    ("truncated JSON", "application/json", br#"{"token": "s3cr3t-cut-sh"#),
    (
        "wrong field types",
        "application/json",
        br#"{"token": 12345, "uuid": 1, "tokenId": "x", "items": 3}"#,
    ),
    ("HTML", "text/html", b"<html><body>Welcome! Please log in.</body></html>"),
    ("empty", "application/json", b""),
];

/// Answers every operation with each hostile body and with broken connections, and checks
/// that each outcome is typed: success where the document promises no body, a decode error
/// that still holds the exact body, or a transport error (a timeout for the trickle). Nothing
/// may panic. `client_at` builds a client for a base URL, with a short timeout and no retries.
pub async fn check_hostile_responses<O: Operation>(
    operations: &[O],
    client_at: impl Fn(&str, O) -> O::Client,
) {
    let server = MockServer::start().await;
    for &op in operations {
        let client = client_at(&server.uri(), op);
        for (name, content_type, body) in HOSTILE_BODIES {
            server.reset().await;
            let reply = ResponseTemplate::new(200).set_body_raw(body, content_type);
            Mock::given(any()).respond_with(reply).mount(&server).await;
            match op.call(&client).await {
                Ok(()) => {}
                Err(Error::Decode { body: got, .. }) => {
                    assert_eq!(got.expose_bytes(), body, "{op:?}, {name}: the body is kept whole");
                }
                Err(other) => {
                    panic!("{op:?}, {name}: expected success or a decode error, got {other:?}")
                }
            }
        }

        let reset =
            RawServer::start(vec![RawReply::Bytes(raw_response(200, 400, br#"{"token": "s3cr"#))])
                .await;
        match op.call(&client_at(&reset.uri(), op)).await {
            Ok(()) | Err(Error::Transport { .. }) => {}
            Err(other) => {
                panic!("{op:?}, reset mid-body: expected a transport error, got {other:?}")
            }
        }
        let gap = std::time::Duration::from_millis(150);
        let trickle =
            RawServer::start(vec![RawReply::Trickle(raw_response(200, 2, b"[]"), gap)]).await;
        let error = op.call(&client_at(&trickle.uri(), op)).await.expect_err("a stalled answer");
        assert!(error.is_timeout(), "{op:?}, slow trickle: expected a timeout, got {error:?}");
    }
}
