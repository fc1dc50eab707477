//! Turns the response to a call into its result: the decoded body of a success, or an
//! [`Error`] that keeps the status, the vendor's message and the body, and prints neither.

use futures_util::FutureExt as _;
use futures_util::future::{Either, ready};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{DecodeDetail, Error};
use crate::secret::{REDACTED, RawBody, Secret};

/// The most of a response body the SDK keeps when a response is an error.
const MAX_KEPT_BODY: usize = 1024 * 1024;
/// The most of a vendor's error message that goes into an error's `Display`.
const MAX_MESSAGE_CHARS: usize = 200;

/// The JSON body of a 2xx response, decoded; any other status is [`Error::Api`].
///
/// A plain function returning the future, as are those below: an `async fn` would keep the
/// response it is given for as long as it runs, beside the body reader that holds it too.
pub(crate) fn json<T: DeserializeOwned>(
    operation: &'static str,
    response: reqwest::Response,
    secrets: &[Secret],
) -> impl Future<Output = Result<T, Error>> + use<T> {
    let status = response.status();
    if !status.is_success() {
        return Either::Left(api_error(operation, response, secrets));
    }
    Either::Right(response.bytes().map(move |body| {
        let body = body.map_err(|source| Error::transport(operation, source))?;
        serde_json::from_slice(&body).map_err(|e| Error::Decode {
            operation,
            status,
            detail: DecodeDetail::from(&e),
            body: RawBody::new(body.into(), false),
        })
    }))
}

/// `Ok` for a 2xx response, whatever its body; any other status is [`Error::Api`].
pub(crate) fn empty(
    operation: &'static str,
    response: reqwest::Response,
    secrets: &[Secret],
) -> impl Future<Output = Result<(), Error>> + use<> {
    if response.status().is_success() {
        Either::Left(ready(Ok(())))
    } else {
        Either::Right(api_error(operation, response, secrets))
    }
}

/// The error for a non-2xx response, boxed: inline, its body-reading future made every call's
/// future 800 bytes larger. It keeps copies of `secrets`, so that the mapped future borrows
/// nothing.
fn api_error<T>(
    operation: &'static str,
    response: reqwest::Response,
    secrets: &[Secret],
) -> impl Future<Output = Result<T, Error>> + use<T> {
    Box::pin(read_api_error(operation, response, secrets.to_vec())).map(Err)
}

/// The error for a non-2xx response, with at most [`MAX_KEPT_BODY`] bytes of its body, and the
/// vendor's message without any of `secrets`.
async fn read_api_error(
    operation: &'static str,
    mut response: reqwest::Response,
    secrets: Vec<Secret>,
) -> Error {
    let status: StatusCode = response.status();
    let mut bytes = Vec::new();
    let mut truncated = false;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_KEPT_BODY - bytes.len();
                if chunk.len() > room {
                    bytes.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(source) => return Error::transport(operation, source),
        }
    }
    let body = RawBody::new(bytes, truncated);
    Error::Api { operation, status, message: vendor_message(&body, &secrets), body }
}

/// The human-readable message of a JSON error body such as `{"error": "Credentials required"}`,
/// stripped of control characters, with every one of `secrets` it quotes replaced by
/// [`REDACTED`] (before it is shortened, so that no beginning of one is left), and shortened.
fn vendor_message(body: &RawBody, secrets: &[Secret]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body.expose_bytes()).ok()?;
    let message = ["error", "message", "detail", "error_description"]
        .iter()
        .find_map(|key| value.get(key)?.as_str())?;
    let mut clean: String = message.chars().filter(|c| !c.is_control()).collect();
    // Longest first, so that a secret inside another (a token in its header value) does not
    // leave the rest of the longer one.
    let mut secrets: Vec<&str> = secrets.iter().map(Secret::expose_secret).collect();
    secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    for secret in secrets.into_iter().filter(|secret| !secret.is_empty()) {
        if clean.contains(secret) {
            clean = clean.replace(secret, REDACTED);
        }
    }
    let clean: String = clean.chars().take(MAX_MESSAGE_CHARS).collect();
    (!clean.is_empty()).then_some(clean)
}

#[cfg(test)]
mod tests {
    use super::{MAX_MESSAGE_CHARS, RawBody, Secret, vendor_message};

    fn message(body: &str) -> Option<String> {
        vendor_message(&RawBody::new(body.as_bytes().to_vec(), false), &[])
    }

    #[test]
    fn vendor_messages_never_quote_a_credential_that_was_sent() {
        let sent = [Secret::new("s3cr3t"), Secret::new("token s3cr3t"), Secret::new("")];
        let quoting = |text: &str| {
            let body = serde_json::json!({ "error": text }).to_string();
            vendor_message(&RawBody::new(body.into_bytes(), false), &sent).unwrap()
        };
        assert_eq!(
            quoting("rejected authorization: token s3cr3t"),
            "rejected authorization: [REDACTED]"
        );
        assert_eq!(quoting("bad s3cr3t, s3cr3t"), "bad [REDACTED], [REDACTED]");
        // Cut after redaction: no beginning of a secret is left at the end.
        let long = format!("{}s3cr3t", "x".repeat(MAX_MESSAGE_CHARS - 3));
        assert!(!quoting(&long).contains("s3c"));
        // Control characters inside it do not hide it.
        assert_eq!(quoting("s3c\r\nr3t"), "[REDACTED]");
    }

    #[test]
    fn vendor_messages_are_read_from_the_usual_fields() {
        assert_eq!(
            message(r#"{"error": "Credentials required"}"#).as_deref(),
            Some("Credentials required")
        );
        assert_eq!(message(r#"{"message": "no such token"}"#).as_deref(), Some("no such token"));
        assert_eq!(message(r#"{"error": {"code": 7}}"#), None);
        assert_eq!(message("<html>nope</html>"), None);
        assert_eq!(message(r#"{"error": ""}"#), None);
    }

    #[test]
    fn vendor_messages_are_shortened_and_stripped_of_control_characters() {
        let long = format!(r#"{{"error": "a\r\nb{}"}}"#, "x".repeat(500));
        let shown = message(&long).unwrap();
        assert!(shown.starts_with("abx"));
        assert_eq!(shown.chars().count(), MAX_MESSAGE_CHARS);
    }
}
