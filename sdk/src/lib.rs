//! Typed async clients for the access-token APIs of four vendors.

mod error;
mod secret;
mod time;
pub mod transport;

pub mod bamboo;
pub mod entuity;
pub mod insight;
pub mod magpie;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{DecodeDetail, DecodeKind, Error, InvalidReason};
pub use secret::{RawBody, Secret};
pub use time::Expiry;

/// The README's examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
