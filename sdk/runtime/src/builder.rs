//! What every vendor's `ClientBuilder` holds: the checked base URL and the HTTP options, and,
//! once a client is finished, the connection it made, which every later client of the same
//! builder shares (one connection pool for Insight.io's `authenticate` then `api_token`).

use std::sync::OnceLock;

use crate::error::{Error, InvalidReason};
use crate::http_client::{Connection, HttpOptions};

/// The part of a vendor's `ClientBuilder` that is the same for all four.
#[derive(Debug)]
#[doc(hidden)]
pub struct BuilderCore {
    vendor: &'static str,
    /// The base URL, or the argument that was refused and why: a builder reports a bad URL
    /// when it is finished, as often as it is finished.
    base_url: Result<String, (&'static str, InvalidReason)>,
    http: HttpOptions,
    connection: OnceLock<Connection>,
}

impl BuilderCore {
    /// A builder for `vendor`'s server at `base_url`, as [`checks::base_url`] left it; a
    /// refusal is reported against `field` (`"base URL"`, or what the caller gave instead).
    ///
    /// [`checks::base_url`]: crate::checks::base_url
    pub fn new(
        vendor: &'static str,
        field: &'static str,
        base_url: Result<String, InvalidReason>,
    ) -> Self {
        Self {
            vendor,
            base_url: base_url.map_err(|reason| (field, reason)),
            http: HttpOptions::default(),
            connection: OnceLock::new(),
        }
    }

    /// The HTTP options, for a setting to change; a connection already made is dropped, so
    /// that the next client is built with the change.
    pub fn http_mut(&mut self) -> &mut HttpOptions {
        self.connection.take();
        &mut self.http
    }

    /// The checked base URL and the builder's connection, made on the first call.
    pub fn connect(&self) -> Result<(&str, &Connection), Error> {
        let base_url =
            self.base_url.as_deref().map_err(|&(field, reason)| Error::invalid(field, reason))?;
        if let Some(connection) = self.connection.get() {
            return Ok((base_url, connection));
        }
        let connection = self.http.connect(self.vendor, base_url)?;
        Ok((base_url, self.connection.get_or_init(|| connection)))
    }
}
