//! Helpers shared by the vendor test modules in `it/`.

use access_tokens::Error;
use wiremock::{MockServer, Request, ResponseTemplate};

/// The one request the server received; fails if there were none or several.
pub async fn only_request(server: &MockServer) -> Request {
    let mut requests = server
        .received_requests()
        .await
        .expect("request recording is on");
    assert_eq!(
        requests.len(),
        1,
        "expected exactly one request, got {requests:#?}"
    );
    requests.remove(0)
}

/// Fails unless the server received no request at all.
pub async fn assert_nothing_sent(server: &MockServer) {
    let requests = server
        .received_requests()
        .await
        .expect("request recording is on");
    assert!(
        requests.is_empty(),
        "expected no request, got {requests:#?}"
    );
}

/// A header's value, or `None` when absent.
pub fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers
        .get(name)
        .map(|value| value.to_str().expect("ASCII header"))
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
    ErrorBody {
        name: "empty",
        content_type: None,
        bytes: b"",
        message: None,
    },
];

/// The statuses every operation's error mapping is checked with.
pub const ERROR_STATUSES: [u16; 4] = [401, 403, 404, 500];

/// Checks that `error` is the typed API error for `status`, with the vendor's message and the
/// whole body kept.
pub fn assert_api_error(error: &Error, status: u16, message: Option<&str>, body: &[u8]) {
    match error {
        Error::Api {
            status: got,
            message: got_message,
            body: got_body,
            ..
        } => {
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
        assert!(
            !text.contains(secret),
            "secret {secret:?} printed in {text}"
        );
    }
}
