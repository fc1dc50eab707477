//! Behaviour tests: one module per vendor, plus checks that span all documents.

mod audit_example;
mod bamboo;
mod entuity;
mod insight;
mod inventory;
mod magpie;
mod properties;
mod reliability;
mod schemas;
mod testing;
mod tour;
