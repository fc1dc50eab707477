//! The SDK's Magpie client as an app makes and calls it. A macro, so that the before/after app
//! can make one from each of the two SDKs it links.

/// Defines `$name`, a [`crate::calls::Client`] on the Magpie client of the SDK crate `$sdk`.
macro_rules! sdk_client {
    ($name:ident, $sdk:ident) => {
        struct $name($sdk::magpie::Client);

        impl $name {
            fn new(url: String) -> Self {
                Self($sdk::magpie::Client::builder(url).session_token("s").unwrap())
            }
        }

        impl crate::calls::Client for $name {
            async fn list(&self) {
                drop(self.0.list_tokens().await.unwrap())
            }

            async fn create(&self) {
                drop(self.0.create_token().await.unwrap())
            }
        }
    };
}
