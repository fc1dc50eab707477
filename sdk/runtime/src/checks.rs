//! Checks of the arguments a vendor module puts into a URL or a header, made before anything
//! is sent: each failure is an [`Error::InvalidInput`] naming the argument.

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
