//! Bamboo in an inventory: every token of a server, and what a record reads from a token.

use std::borrow::Cow;

use super::{Client, Token};
use crate::Secret;
use crate::inventory::{Account, Permissions, Readings, Source, Tokens, Vendor, VendorToken};

impl Source {
    /// Every token of a Bamboo server.
    pub fn bamboo(name: impl Into<String>, client: Client) -> Self {
        Self::new(name, Vendor::Bamboo, move || {
            let client = client.clone();
            async move { Ok((Tokens::new(None, client.list_tokens().await?), client.server_clock())) }
        })
    }
}

impl VendorToken for Token {
    const VENDOR: Vendor = Vendor::Bamboo;

    fn vendor_id(&self) -> Option<Cow<'_, str>> {
        None
    }

    /// The uuid is the secret itself.
    fn secret_id(&self) -> Option<&Secret> {
        Some(&self.uuid)
    }

    fn name(&self) -> Option<&str> {
        Some(&self.name)
    }

    /// A Bamboo token is the server's, no account's.
    fn account(&self) -> Option<Account<'_>> {
        None
    }

    fn readings(&self) -> Readings {
        Readings {
            permissions: Some(Permissions { read: self.read, write: self.change }),
            ..Readings::default()
        }
    }
}
