//! Two clients of the SDK in one app, timed against each other as the other pairs are: how far
//! apart two identical sides read (the noise floor of those comparisons). The test suite runs
//! it for a few calls, so that the timing loop cannot rot.

#[path = "calls.rs"]
mod calls;
#[macro_use]
#[path = "sdk_client.rs"]
mod sdk_client;

sdk_client!(Sdk, access_tokens);

fn main() {
    calls::main(Sdk::new, Sdk::new);
}
