//! What the vendor clients of [access-tokens] share below their vendor modules. A call runs
//! through it in one direction:
//!
//! - `builder`: what every vendor's `ClientBuilder` holds, and the connection it makes with
//!   `http_client` (timeouts, TLS, redirect policy);
//! - [`context`]: the credentials and policy a generated client hands the executor;
//! - `checks`: the arguments a vendor module checks before anything is sent;
//! - `execute`: the executor of every generated operation (limits, [`retry`], tracing);
//! - `response`: the mapper of its response to a decoded body or an [`Error`];
//! - [`clock`]: the server's clock, which the executor reads from each answer's `Date`.
//!
//! Depend on access-tokens, not on this crate: it re-exports everything a user needs
//! (`access_tokens::Error`, `access_tokens::Secret`, ...). Items hidden from these docs serve
//! access-tokens's vendor modules only and are not a public API; the two crates are released
//! together, and access-tokens requires this crate's exact version.
//!
//! It is a crate of its own so that editing an OpenAPI document, which regenerates and
//! recompiles access-tokens, does not recompile it: with all four vendors, access-tokens took
//! 4.3 s of CPU (3.0 s wall) to compile with this code inside and takes 1.3 s (1.2 s) without
//! (release, 2 cores; BENCHMARKS.md, "Build cost").
//!
//! [access-tokens]: https://docs.rs/access-tokens

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(hidden)]
pub mod builder;
#[doc(hidden)]
pub mod checks;
pub mod clock;
pub mod context;
pub mod error;
#[doc(hidden)]
pub mod execute;
#[doc(hidden)]
pub mod http_client;
#[doc(hidden)]
pub mod random;
mod response;
pub mod retry;
pub mod secret;
pub mod time;

pub use clock::ServerClock;
pub use context::Context;
pub use error::{DecodeDetail, DecodeKind, Error, InvalidReason, TlsError, TransportError, causes};
pub use retry::RetryPolicy;
pub use secret::{RawBody, Secret};
pub use time::Expiry;
