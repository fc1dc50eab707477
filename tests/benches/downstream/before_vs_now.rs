//! The SDK at an earlier git revision (the dependency `access-tokens-before`) and today's in
//! one app, which `cargo xtask bench --before REV` runs to time them per call against each
//! other.

#[path = "calls.rs"]
mod calls;
#[macro_use]
#[path = "sdk_client.rs"]
mod sdk_client;

sdk_client!(Before, access_tokens_before);
sdk_client!(Now, access_tokens);

fn main() {
    calls::main(Before::new, Now::new);
}
