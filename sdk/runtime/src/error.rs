//! The SDK's one error type.

use std::fmt;

use reqwest::StatusCode;

use crate::secret::{RawBody, Secret};

/// Everything that can go wrong in a call, by whether and how the server answered.
///
/// The HTTP client's and the TLS library's errors are wrapped in types of this crate
/// ([`TransportError`], [`TlsError`]); the status is the `http` crate's `StatusCode`, which
/// reqwest re-exports and every Rust HTTP stack shares: a major release of `http` would be a
/// major release of this crate.
///
/// No variant's `Display` or `Debug` contains a credential or a response body: bodies are kept
/// in a [`RawBody`], which prints only its length, so that a token the server showed once can
/// still be recovered with [`Error::body`] when its response did not match the document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SDK refused an argument before sending anything.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Which argument, e.g. `token_id`.
        field: &'static str,
        /// What is wrong with it.
        reason: InvalidReason,
    },

    /// The request was sent, or may have been, but no complete response came back: the
    /// connection failed, timed out, or broke while the body was read.
    #[error("{operation}: {}", if source.is_timeout() { "timed out" } else { "no response from the server" })]
    Transport {
        /// The operation, named as in the vendor's OpenAPI document.
        operation: &'static str,
        /// The HTTP client's error, without the request's URL.
        #[source]
        source: TransportError,
    },

    /// TLS could not be set up: a root certificate given to the builder is not a valid
    /// certificate, a client certificate's key does not fit it, or the platform has no root
    /// certificates at all.
    // The source is the reason; it is not repeated here, so that a chain printed cause by
    // cause shows it once.
    #[error("cannot set up TLS")]
    Tls {
        /// What the TLS library reported.
        #[source]
        source: TlsError,
    },

    /// The server answered with a credential this client cannot send as it is configured (a
    /// Magpie session that cannot travel in a cookie). The credential is not lost:
    /// [`Error::credential`] hands it back, e.g. to build a client with another setting.
    #[error("{operation}: the {field} the server returned {reason}")]
    UnusableCredential {
        /// The operation that returned it.
        operation: &'static str,
        /// What it is, e.g. `session token`.
        field: &'static str,
        /// Why it cannot be sent.
        reason: InvalidReason,
        /// The credential itself.
        credential: Secret,
    },

    /// The server answered with a status other than 2xx (redirects to another origin are not
    /// followed, so 3xx can land here too).
    #[error("{operation}: the server answered {status}{}", VendorMessage(message.as_deref()))]
    Api {
        /// The operation, named as in the vendor's OpenAPI document.
        operation: &'static str,
        /// The HTTP status.
        status: StatusCode,
        /// The message in the vendor's error body, where it has one.
        message: Option<String>,
        /// The whole body, as received.
        body: RawBody,
    },

    /// The response body was longer than the client accepts (`max_response_bytes` on the
    /// builder); it was not read into memory.
    #[error("{operation}: the response body is longer than {limit} bytes")]
    ResponseTooLarge {
        /// The operation, named as in the vendor's OpenAPI document.
        operation: &'static str,
        /// The limit that was passed.
        limit: usize,
    },

    /// The server answered with a success status, but the body does not match the document.
    /// The body is kept: for calls that create a token it holds the only copy of the secret.
    #[error("{operation}: the response body does not match the document ({detail})")]
    Decode {
        /// The operation, named as in the vendor's OpenAPI document.
        operation: &'static str,
        /// The success status it came with (any 2xx: a 201 where the document says 200 is
        /// decoded all the same).
        status: StatusCode,
        /// Where and how decoding failed, without the offending value.
        detail: DecodeDetail,
        /// The whole body, as received.
        body: RawBody,
    },
}

impl Error {
    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } | Self::Decode { status, .. } => Some(*status),
            Self::Transport { source, .. } => source.status(),
            Self::InvalidInput { .. }
            | Self::ResponseTooLarge { .. }
            | Self::Tls { .. }
            | Self::UnusableCredential { .. } => None,
        }
    }

    /// The operation that failed, named as in the vendor's OpenAPI document; `None` for what
    /// failed before any operation (an argument, TLS).
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Self::Transport { operation, .. }
            | Self::UnusableCredential { operation, .. }
            | Self::Api { operation, .. }
            | Self::ResponseTooLarge { operation, .. }
            | Self::Decode { operation, .. } => Some(operation),
            Self::InvalidInput { .. } | Self::Tls { .. } => None,
        }
    }

    /// The response body, when the server sent one. Treat it as a secret.
    pub fn body(&self) -> Option<&RawBody> {
        match self {
            Self::Api { body, .. } | Self::Decode { body, .. } => Some(body),
            Self::Transport { .. }
            | Self::InvalidInput { .. }
            | Self::ResponseTooLarge { .. }
            | Self::Tls { .. }
            | Self::UnusableCredential { .. } => None,
        }
    }

    /// The credential the server returned, when this client could not use it
    /// ([`Error::UnusableCredential`]).
    pub fn credential(&self) -> Option<&Secret> {
        match self {
            Self::UnusableCredential { credential, .. } => Some(credential),
            _ => None,
        }
    }

    /// The message in the vendor's error body, when it has one.
    pub fn vendor_message(&self) -> Option<&str> {
        match self {
            Self::Api { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Transport { source, .. } if source.is_timeout())
    }

    /// A transport error without its URL: path segments can be credentials (Bamboo's token
    /// ids are), and error chains end up in logs.
    pub(crate) fn transport(operation: &'static str, source: reqwest::Error) -> Self {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&source);
        while let Some(error) = cause {
            if let Some(too_large) = error.downcast_ref::<ResponseTooLarge>() {
                return Self::ResponseTooLarge { operation, limit: too_large.limit };
            }
            cause = error.source();
        }
        Self::Transport { operation, source: TransportError(source.without_url()) }
    }

    #[doc(hidden)]
    pub fn invalid(field: &'static str, reason: InvalidReason) -> Self {
        Self::InvalidInput { field, reason }
    }
}

/// What the HTTP client reported when no complete response came back, without the request's
/// URL.
///
/// Opaque, so that a major release of the HTTP client is not a breaking change of this crate:
/// it prints the client's message, and its [`source`](std::error::Error::source) chain leads
/// to the I/O or TLS error underneath.
#[derive(Debug)]
pub struct TransportError(reqwest::Error);

impl TransportError {
    /// Whether the call timed out.
    pub fn is_timeout(&self) -> bool {
        self.0.is_timeout()
    }

    /// Whether connecting to the server failed.
    pub fn is_connect(&self) -> bool {
        self.0.is_connect()
    }

    fn status(&self) -> Option<StatusCode> {
        self.0.status()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// What the TLS library reported when TLS could not be set up; opaque for the reason
/// [`TransportError`] is.
#[derive(Debug)]
pub struct TlsError(rustls::Error);

impl TlsError {
    pub(crate) fn new(error: rustls::Error) -> Self {
        Self(error)
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// The body of a response was longer than the client accepts: the error the executor's capped
/// body stream fails with, found again in reqwest's error chain by [`Error::transport`].
#[derive(Debug)]
pub(crate) struct ResponseTooLarge {
    pub(crate) limit: usize,
}

impl fmt::Display for ResponseTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the response body is larger than {} bytes", self.limit)
    }
}

impl std::error::Error for ResponseTooLarge {}

/// Why an argument was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidReason {
    /// It is empty.
    Empty,
    /// It is `.` or `..`, which URL parsing would resolve instead of sending.
    DotSegment,
    /// It contains a control character.
    ControlCharacter,
    /// It contains `\`, which URL parsing would turn into a path separator.
    Backslash,
    /// It must be printable ASCII, without a space at either end, to go into a header.
    NotHeaderSafe,
    /// It contains a character a cookie value cannot carry (space, `;`, `,`, `"`, `\`).
    NotCookieSafe,
    /// It is not an absolute `http` or `https` URL.
    NotHttpUrl,
    /// The URL carries a user name or password; credentials go to the builder instead.
    UrlHasCredentials,
    /// The URL has a query or a fragment, which a base URL cannot keep.
    UrlHasQueryOrFragment,
    /// It is not a valid host-name label (letters, digits and inner hyphens).
    NotHostLabel,
    /// It cannot be encoded into the request.
    NotEncodable,
    /// It is given without the setting it belongs to (proxy credentials without a proxy).
    WithoutProxy,
    /// It makes the request's URL longer than HTTP can carry (64 KiB, fewer characters once
    /// percent-encoded).
    TooLong,
    /// It contains `:`, which HTTP basic authentication cannot carry in a user name.
    Colon,
    /// It is a plain `http://` URL to another machine, where credentials could be read on the
    /// way; see `allow_insecure_http` on the builder.
    InsecureHttp,
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "must not be empty",
            Self::DotSegment => "must not be `.` or `..`",
            Self::ControlCharacter => "must not contain control characters",
            Self::Backslash => "must not contain `\\`",
            Self::NotHeaderSafe => "must be printable ASCII without a space at either end",
            Self::NotCookieSafe => "must not contain spaces, `;`, `,`, `\"` or `\\`",
            Self::NotHttpUrl => "must be an absolute http or https URL",
            Self::UrlHasCredentials => "must not contain a user name or password",
            Self::UrlHasQueryOrFragment => "must not have a query or fragment",
            Self::NotHostLabel => "must be letters, digits and inner hyphens, at most 63",
            Self::NotEncodable => "cannot be encoded into the request; nothing was sent",
            Self::WithoutProxy => "need a proxy URL set with `proxy`",
            Self::TooLong => "is longer than a URL can carry (64 KiB); nothing was sent",
            Self::Colon => "must not contain `:`",
            Self::InsecureHttp => {
                "must use https to send credentials to another machine (or allow_insecure_http)"
            }
        })
    }
}

/// Where a response body stopped matching the document.
///
/// Only the position and the kind of failure are kept: the decoder's own message can quote the
/// offending value, which may be a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeDetail {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
    /// Whether the body was not JSON, ended early, or was JSON of another shape.
    pub kind: DecodeKind,
}

/// How a response body failed to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeKind {
    /// The body is not JSON.
    Syntax,
    /// The body ends before the JSON does (this includes an empty body).
    Eof,
    /// The body is JSON, but not of the documented shape.
    Data,
}

impl From<&serde_json::Error> for DecodeDetail {
    fn from(e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let kind = match e.classify() {
            Category::Eof => DecodeKind::Eof,
            Category::Data => DecodeKind::Data,
            Category::Syntax | Category::Io => DecodeKind::Syntax,
        };
        Self { line: e.line(), column: e.column(), kind }
    }
}

impl fmt::Display for DecodeDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            DecodeKind::Syntax => "not JSON",
            DecodeKind::Eof => "ends early",
            DecodeKind::Data => "unexpected shape",
        };
        write!(f, "{what} at line {}, column {}", self.line, self.column)
    }
}

/// Formats `: <message>` when the vendor sent one.
struct VendorMessage<'a>(Option<&'a str>);

impl fmt::Display for VendorMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(message) => write!(f, ": {message}"),
            None => Ok(()),
        }
    }
}

/// `error` and each of its causes, `: `-separated, leaving out a cause whose words are shown
/// already: "list_tokens: no response from the server: client error (Connect): tcp connect
/// error: Connection refused (os error 111)". The SDK's errors and their causes hold no
/// secret, and no URL.
pub fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut shown = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let text = error.to_string();
        if !shown.contains(&text) {
            shown.push_str(": ");
            shown.push_str(&text);
        }
        cause = error.source();
    }
    shown
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::causes;

    /// An error saying `text`, caused by `cause`.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|cause| cause as _)
        }
    }

    #[test]
    fn a_chain_shows_each_cause_once() {
        let refused = Layer("connection refused", None);
        let error =
            Layer("list: no response", Some(Box::new(Layer("connect", Some(refused.into())))));
        assert_eq!(causes(&error), "list: no response: connect: connection refused");
        let said = Layer("list: connect failed", Some(Box::new(Layer("connect", None))));
        assert_eq!(causes(&said), "list: connect failed");
    }
}
