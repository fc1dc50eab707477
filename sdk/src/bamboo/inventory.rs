//! Bamboo in an inventory: every token of a server, and what a record reads from a token.

use futures_util::future::BoxFuture;

use super::{Client, Token};
use crate::inventory::{
    Account, List, Permissions, Readings, Source, TokenId, Tokens, Vendor, VendorToken,
};
use crate::{Error, ServerClock};

impl Source {
    /// Every token of a Bamboo server.
    pub fn bamboo(name: impl Into<String>, client: Client) -> Self {
        Self::new(name, Listed(client))
    }
}

#[derive(Debug)]
struct Listed(Client);

impl List for Listed {
    fn vendor(&self) -> Vendor {
        Vendor::Bamboo
    }

    fn list(&self) -> BoxFuture<'_, Result<(Tokens, Option<ServerClock>), Error>> {
        Box::pin(async move {
            Ok((Tokens::new(None, self.0.list_tokens().await?), self.0.server_clock()))
        })
    }
}

impl VendorToken for Token {
    const VENDOR: Vendor = Vendor::Bamboo;

    /// The uuid is the secret itself: its fingerprint.
    fn id(&self) -> Option<TokenId> {
        Some(TokenId::fingerprint(Vendor::Bamboo, &self.uuid))
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
