//! openapi-generator's client and the SDK in one app, which `cargo xtask bench` runs to time
//! them per call against each other (section 5).

#[path = "calls.rs"]
mod calls;
#[path = "peer_client.rs"]
mod peer_client;
#[macro_use]
#[path = "sdk_client.rs"]
mod sdk_client;

sdk_client!(Sdk, access_tokens);

fn main() {
    // For the peer's reqwest client, which has no TLS provider of its own (see `peer.rs`).
    rustls::crypto::ring::default_provider().install_default().unwrap();
    calls::main(peer_client::Peer::new, Sdk::new);
}
