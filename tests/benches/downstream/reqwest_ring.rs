//! The `reqwest` app on the ring crypto provider (reqwest's `rustls-no-provider` feature plus
//! rustls's `ring`), which needs the provider installed before the first client is built.

#[path = "reqwest.rs"]
mod app;

fn main() -> reqwest::Result<()> {
    rustls::crypto::ring::default_provider().install_default().unwrap();
    app::main()
}
