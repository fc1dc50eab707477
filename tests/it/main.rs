//! Behaviour tests: one module per vendor, plus checks that span all documents.

mod bamboo;
mod entuity;
mod magpie;
mod schemas;
