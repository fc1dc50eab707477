//! The arguments a vendor module puts into a URL or a header: checked before anything is
//! sent, each failure an [`Error::InvalidInput`] naming the argument, and path segments
//! encoded.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::error::{Error, InvalidReason};

/// Checks and normalises a base URL: absolute http(s), no credentials, query or fragment, and
/// no trailing slash (the generated code appends paths that start with one). A path prefix
/// such as `/bamboo` is kept.
#[doc(hidden)]
pub fn base_url(input: &str) -> Result<String, InvalidReason> {
    let url = Url::parse(input).map_err(|_| InvalidReason::NotHttpUrl)?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(InvalidReason::NotHttpUrl);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InvalidReason::UrlHasCredentials);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(InvalidReason::UrlHasQueryOrFragment);
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Whether credentials may go to `base_url` without an opt-in: over https, or to this machine.
pub(crate) fn is_secure_or_local(base_url: &str) -> bool {
    let Ok(url) = Url::parse(base_url) else { return false };
    if url.scheme() == "https" {
        return true;
    }
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// Checks a value that goes into a URL path as one segment.
///
/// The generated code percent-encodes most characters, but not `\`, which URL parsing turns
/// into `/`, and `.` and `..` would be resolved as relative paths: each would reach another
/// endpoint.
#[doc(hidden)]
pub fn path_segment<'a>(field: &'static str, value: &'a str) -> Result<&'a str, Error> {
    let reason = if value.is_empty() {
        InvalidReason::Empty
    } else if value == "." || value == ".." {
        InvalidReason::DotSegment
    } else if value.chars().any(char::is_control) {
        InvalidReason::ControlCharacter
    } else if value.contains('\\') {
        InvalidReason::Backslash
    } else {
        return Ok(value);
    };
    Err(Error::invalid(field, reason))
}

/// Every byte but the unreserved characters of RFC 3986 (letters, digits, `-`, `.`, `_`, `~`):
/// what a path segment may carry as it is. Everything else is percent-encoded, `;` and `=`
/// included, which Tomcat-based servers (Bamboo) would read as path parameters.
const RESERVED_IN_SEGMENT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `value` as one path segment, every character outside the unreserved set percent-encoded:
/// what the generated code calls instead of progenitor's `encode_path`, which leaves `;`, `=`,
/// `,`, `&` and others as they are.
#[doc(hidden)]
pub fn encode_path_segment(value: &str) -> String {
    utf8_percent_encode(value, RESERVED_IN_SEGMENT).to_string()
}

/// Checks that a value is non-empty.
#[doc(hidden)]
pub fn non_empty<'a>(field: &'static str, value: &'a str) -> Result<&'a str, Error> {
    if value.is_empty() { Err(Error::invalid(field, InvalidReason::Empty)) } else { Ok(value) }
}

/// Checks a credential that goes into a header: non-empty printable ASCII, which keeps CR and
/// LF (header injection) out, with no space at either end (HTTP would strip it).
#[doc(hidden)]
pub fn header_token<'a>(field: &'static str, value: &'a str) -> Result<&'a str, Error> {
    non_empty(field, value)?;
    let printable = value.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    if printable && value.trim() == value {
        Ok(value)
    } else {
        Err(Error::invalid(field, InvalidReason::NotHeaderSafe))
    }
}

/// A checked credential as a header value, e.g. `token <session>` after [`header_token`].
#[doc(hidden)]
pub fn header_value(field: &'static str, value: String) -> Result<HeaderValue, Error> {
    HeaderValue::try_from(value).map_err(|_| Error::invalid(field, InvalidReason::NotHeaderSafe))
}

/// Checks a credential that goes into a cookie value: a header token without the characters a
/// cookie value cannot hold (RFC 6265 `cookie-octet`).
#[doc(hidden)]
pub fn cookie_token<'a>(field: &'static str, value: &'a str) -> Result<&'a str, Error> {
    header_token(field, value)?;
    if value.contains([' ', ';', ',', '"', '\\']) {
        Err(Error::invalid(field, InvalidReason::NotCookieSafe))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::encode_path_segment;

    #[test]
    fn path_segments_keep_only_unreserved_characters() {
        assert_eq!(encode_path_segment("Az09-._~"), "Az09-._~");
        assert_eq!(
            encode_path_segment("a;b=c,d&e/f?g#h%i j"),
            "a%3Bb%3Dc%2Cd%26e%2Ff%3Fg%23h%25i%20j"
        );
        assert_eq!(encode_path_segment("ü@:+!$'()*"), "%C3%BC%40%3A%2B%21%24%27%28%29%2A");
    }
}
