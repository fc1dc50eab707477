//! Revoking a leaked token by its value, by the retire-and-confirm path rotations use.

use access_tokens::inventory::TokenId;
use access_tokens::rotation::{self, Leaked};
use access_tokens::testing::{BambooFixture, InsightFixture, MagpieFixture};
use access_tokens::{Secret, insight};

use super::{entuity_with_two_tokens, insight_works, is};

#[tokio::test]
async fn a_leaked_entuity_token_is_found_by_value_deleted_and_confirmed() {
    let (fixture, second) = entuity_with_two_tokens().await;
    let leaked = fixture.client.get_token(second).await.unwrap().token_value;
    let found = rotation::revoke_leaked(&fixture.client, &leaked).await.unwrap();
    assert_eq!(found, Leaked::Revoked(TokenId::Vendor(second.to_string())));
    assert!(is(404)(&fixture.client.get_token(second).await.unwrap_err()));
    assert_eq!(fixture.server.token_count(), 1);
    let again = rotation::revoke_leaked(&fixture.client, &leaked).await.unwrap();
    assert_eq!(again, Leaked::NotFound);
    assert!(
        !format!("{found:?} {}", serde_json::to_string(&found).unwrap())
            .contains(leaked.expose_secret())
    );
}

#[tokio::test]
async fn a_leaked_bamboo_uuid_loses_its_permissions() {
    let fixture = BambooFixture::start().await.unwrap();
    let leaked = fixture.server.add_token("deploy", true, true);
    let kept = fixture.server.add_token("deploy", true, true);
    let found = rotation::revoke_leaked(&fixture.client, &leaked.uuid).await.unwrap();
    let id = TokenId::fingerprint(access_tokens::inventory::Vendor::Bamboo, &leaked.uuid);
    assert_eq!(found, Leaked::Revoked(id));
    let tokens = fixture.server.tokens();
    assert!(tokens.iter().any(|t| t.uuid == leaked.uuid && !t.read && !t.change));
    assert!(tokens.iter().any(|t| t.uuid == kept.uuid && t.read && t.change));
}

#[tokio::test]
async fn a_leaked_insight_token_is_revoked_and_refused_afterwards() {
    let fixture = InsightFixture::start().await.unwrap();
    let builder = insight::Client::builder(&fixture.url);
    let leaked = fixture.client.api_token();
    let found = rotation::revoke_leaked(&builder, &leaked).await.unwrap();
    assert!(matches!(found, Leaked::Revoked(TokenId::Fingerprint(_))));
    assert!(!insight_works(&builder, &leaked).await);
    assert_eq!(rotation::revoke_leaked(&builder, &leaked).await.unwrap(), Leaked::NotFound);
}

#[tokio::test]
async fn magpie_lists_no_values_so_a_live_leak_gives_its_users_tokens_and_a_dead_one_nothing() {
    let fixture = MagpieFixture::start().await.unwrap();
    let (leaked_id, leaked) = fixture.server.add_access_token("ada@example.com");
    fixture.server.add_access_token("root@example.com");
    // Searched from the administrator's client: narrowed to the tokens of the user the value
    // logs in as, ada's, not the administrator's own.
    let found = rotation::revoke_leaked(&fixture.admin, &leaked).await.unwrap();
    let Leaked::Candidates(candidates) = found else { panic!("{found:?}") };
    let ids: Vec<String> = candidates.iter().map(ToString::to_string).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&leaked_id), "{ids:?}");
    assert_eq!(fixture.server.token_count("ada@example.com"), 2, "nothing revoked");
    // A value that logs in as nobody is no live token.
    fixture.client.delete(&leaked_id).await.unwrap();
    let gone = rotation::revoke_leaked(&fixture.admin, &leaked).await.unwrap();
    assert_eq!(gone, Leaked::NotFound);
    let never = rotation::revoke_leaked(&fixture.admin, &Secret::new("0123456789abcdef")).await;
    assert_eq!(never.unwrap(), Leaked::NotFound);
}
