//! What the vendor clients of [access-tokens] share below their vendor modules: the request
//! context the generated code calls into, the executor of calls (limits, retries, tracing), the
//! error type, secrets and expiry times.
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

pub mod error;
pub mod execute;
#[doc(hidden)]
pub mod random;
pub mod secret;
pub mod time;
pub mod transport;

pub use error::{DecodeDetail, DecodeKind, Error, InvalidReason};
pub use execute::RetryPolicy;
pub use secret::{RawBody, Secret};
pub use time::Expiry;
