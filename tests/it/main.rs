//! Behaviour tests: one module per vendor, plus checks that span all documents.

mod magpie;
mod schemas;
