//! `access_tokens::testing`: the simulators behave as the vendors document, through the
//! facades, so their bodies parse with the same generated types as the vendors' examples.

use std::time::Duration;

use access_tokens::bamboo::{self, NewToken, PluginVersion};
use access_tokens::entuity::{self, AccessTokenUpdate, NewAccessToken};
use access_tokens::insight::{self, ApiGeneration, Credentials};
use access_tokens::magpie::{self, Login, SessionTransport};
use access_tokens::testing::{Bamboo, Entuity, Fault, Insight, Magpie};
use access_tokens::{DecodeKind, Error, Expiry, RetryPolicy};

fn status(result: Result<impl std::fmt::Debug, Error>) -> u16 {
    result.expect_err("an error status").status().expect("a status").as_u16()
}

#[tokio::test]
async fn magpie_keeps_a_token_lifecycle() {
    let sim = Magpie::start().await;
    sim.add_user("ada@example.com", "pw");
    let ada = magpie::Client::builder(sim.url())
        .login(Login::password("ada@example.com", "pw"))
        .await
        .unwrap();

    let created = ada.create_token().await.unwrap();
    let listed = ada.list_tokens().await.unwrap();
    assert_eq!(listed.len(), 1);
    let id = listed[0].id.clone().unwrap();
    assert_eq!(listed[0].disabled, Some(false));

    // The new token is a personal access token: it logs in, until disabled.
    let pat = || Login::personal_access_token(created.token.clone());
    magpie::Client::builder(sim.url()).login(pat()).await.unwrap();
    ada.disable(&id).await.unwrap();
    assert_eq!(ada.list_tokens().await.unwrap()[0].disabled, Some(true));
    assert_eq!(status(magpie::Client::builder(sim.url()).login(pat()).await), 401);
    ada.enable(&id).await.unwrap();
    magpie::Client::builder(sim.url()).login(pat()).await.unwrap();

    ada.set_description(&id, "laptop ✓").await.unwrap();
    assert_eq!(ada.list_tokens().await.unwrap()[0].description.as_deref(), Some("laptop ✓"));
    ada.delete(&id).await.unwrap();
    assert!(ada.list_tokens().await.unwrap().is_empty());
    assert_eq!(status(ada.delete(&id).await), 404);
}

#[tokio::test]
async fn magpie_lets_only_administrators_manage_service_accounts() {
    let sim = Magpie::start().await;
    sim.add_admin("root@example.com", "admin-pw");
    sim.add_user("ada@example.com", "pw");
    sim.add_service_account("ci@example.com");
    let (ada_token, _) = sim.add_access_token("ada@example.com");
    let admin = magpie::Client::builder(sim.url())
        .session_transport(SessionTransport::Cookie)
        .login(Login::password("root@example.com", "admin-pw"))
        .await
        .unwrap();
    let ci = admin.service_account("ci@example.com");

    let first = ci.create().await.unwrap();
    ci.create().await.unwrap();
    assert_eq!(ci.list().await.unwrap().len(), 2);
    let rotated = ci.rotate().await.unwrap();
    assert_ne!(rotated.token, first.token);
    assert_eq!(sim.token_count("ci@example.com"), 1);
    let only = ci.list().await.unwrap().remove(0).id.unwrap();
    admin.set_description(&only, "deploys").await.unwrap();

    assert_eq!(status(admin.service_account("nobody@example.com").list().await), 404);
    assert_eq!(status(admin.delete(&ada_token).await), 403, "not a service account's token");
    let ada = magpie::Client::builder(sim.url())
        .login(Login::password("ada@example.com", "pw"))
        .await
        .unwrap();
    assert_eq!(status(ada.service_account("ci@example.com").list().await), 403);
    assert_eq!(status(ada.disable(&only).await), 403);
    assert_eq!(
        status(
            magpie::Client::builder(sim.url()).session_token("stale").unwrap().list_tokens().await
        ),
        401
    );
    assert_eq!(
        status(
            magpie::Client::builder(sim.url())
                .login(Login::password("ada@example.com", "wrong"))
                .await
        ),
        401
    );
}

#[tokio::test]
async fn faults_apply_to_the_next_calls_in_order() {
    let sim = Magpie::start().await;
    sim.add_user("ada", "pw");
    let client = magpie::Client::builder(sim.url())
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::NEVER)
        .login(Login::password("ada", "pw"))
        .await
        .unwrap();

    sim.inject(Fault::Status(503), 2);
    sim.inject(Fault::Delay(Duration::from_secs(2)), 1);
    sim.inject(Fault::TruncatedBody, 1);
    assert_eq!(status(client.list_tokens().await), 503);
    assert_eq!(status(client.create_token().await), 503);
    assert_eq!(sim.token_count("ada"), 0, "a fault status does nothing");
    assert!(client.list_tokens().await.unwrap_err().is_timeout());
    // The server created the token but sent half a body: the error keeps what came.
    let error = client.create_token().await.unwrap_err();
    let Error::Decode { detail, body, .. } = &error else { panic!("{error:?}") };
    assert_eq!(detail.kind, DecodeKind::Eof);
    assert!(body.expose_text().starts_with("{\"token\""));
    assert_eq!(sim.token_count("ada"), 1);
    assert_eq!(client.list_tokens().await.unwrap().len(), 1, "faults are used up");
}

#[tokio::test]
async fn bamboo_keeps_tokens_and_checks_administrators() {
    for version in [PluginVersion::V1_5OrLater, PluginVersion::Before1_5] {
        let sim = Bamboo::start_with(version).await;
        sim.add_admin("admin", "pw");
        sim.add_user("dev", "pw");
        let seeded = sim.add_token("seeded", true, false);
        let builder = || bamboo::Client::builder(sim.url()).plugin_version(version);
        let client = builder().basic_auth("admin", "pw").unwrap();

        let mut created =
            client.create_token(&NewToken::new("drain").with_read(true)).await.unwrap();
        let listed = client.list_tokens().await.unwrap();
        assert_eq!(listed, [seeded, created.clone()]);
        created.change = true;
        created.name = "drain and enable".into();
        assert_eq!(client.update_token(&created).await.unwrap(), created);
        assert_eq!(sim.tokens()[1], created);

        let mut unknown = created.clone();
        unknown.uuid = "00000000-0000-4000-a000-000000000000".into();
        assert_eq!(status(client.update_token(&unknown).await), 404);
        assert_eq!(status(builder().basic_auth("dev", "pw").unwrap().list_tokens().await), 403);
        assert_eq!(
            status(builder().basic_auth("admin", "wrong").unwrap().list_tokens().await),
            401
        );
    }
    let old = Bamboo::start_with(PluginVersion::Before1_5).await;
    old.add_admin("admin", "pw");
    let new_client = bamboo::Client::builder(old.url()).basic_auth("admin", "pw").unwrap();
    assert_eq!(status(new_client.list_tokens().await), 404, "1.5 paths on an older plugin");
}

#[tokio::test]
async fn entuity_keeps_tokens_with_partial_updates() {
    let sim = Entuity::start().await;
    sim.add_admin("admin", "pw");
    sim.add_user("guy2", "pw2");
    let client = entuity::Client::builder(sim.url()).basic_auth("admin", "pw").unwrap();

    let created = client
        .create_token(&NewAccessToken::for_user_name("guy2").with_description("dashboards"))
        .await
        .unwrap();
    assert_eq!(created.user_name.as_deref(), Some("guy2"));
    assert_eq!(created.expiry(), Some(Expiry::Never));
    assert_eq!(created.created_by.as_deref(), Some("admin"));
    assert_eq!(client.list_tokens().await.unwrap(), std::slice::from_ref(&created));

    let update = AccessTokenUpdate { expiry_time_sec: Some(4_102_444_800), ..Default::default() };
    let updated = client.update_token(created.token_id, &update).await.unwrap();
    assert_eq!(updated.description.as_deref(), Some("dashboards"), "untouched fields stay");
    assert!(matches!(updated.expiry(), Some(Expiry::At(_))));
    assert_eq!(client.get_token(created.token_id).await.unwrap(), updated);

    client.delete_token(created.token_id).await.unwrap();
    assert_eq!(status(client.get_token(created.token_id).await), 404);
    assert_eq!(sim.token_count(), 0);
    assert_eq!(status(client.create_token(&NewAccessToken::for_user_name("nobody")).await), 404);
    let guy2 = entuity::Client::builder(sim.url()).basic_auth("guy2", "pw2").unwrap();
    assert_eq!(status(guy2.list_tokens().await), 403);
    let stranger = entuity::Client::builder(sim.url()).basic_auth("admin", "nope").unwrap();
    assert_eq!(status(stranger.list_tokens().await), 401);
}

#[tokio::test]
async fn insight_issues_lists_and_revokes_tokens_in_both_generations() {
    for generation in [ApiGeneration::Reference, ApiGeneration::UserGuide] {
        let sim = Insight::start().await;
        sim.add_user("ada", "pw");
        let builder = || insight::Client::builder(sim.url()).api_generation(generation);

        let issued = builder().authenticate(Credentials::password("ada", "pw")).await.unwrap();
        assert_eq!(issued.expiry(), Some(Expiry::Never));
        let client = builder().api_token(issued.token.clone()).unwrap();
        let browser = builder().session_cookie(sim.browser_session("ada")).unwrap();
        let from_session = browser.create_token().await.unwrap();

        let listed = client.list_tokens().await.unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|t| t.api_token == from_session.token));
        assert!(listed.iter().all(|t| t.uid.as_deref() == Some("userpass@ada")));

        client.clone().revoke_this_token().await.unwrap();
        let error = client.list_tokens().await.unwrap_err();
        assert_eq!(
            (error.status().unwrap().as_u16(), error.vendor_message()),
            (401, Some("Credentials required"))
        );
        // Revoking a token that no longer exists still answers 200, as documented.
        client.revoke_this_token().await.unwrap();
        assert_eq!(sim.token_count(), 1);
    }
}

#[tokio::test]
async fn insight_checks_every_kind_of_credential() {
    let sim = Insight::start().await;
    sim.add_ldap_user("ldap-ada", "ldap-pw");
    sim.add_provider_user("github", "ada@example.com", "gho_token");
    let builder = insight::Client::builder(sim.url());
    builder.authenticate(Credentials::ldap("ldap-ada", "ldap-pw")).await.unwrap();
    builder
        .authenticate(Credentials::provider("github", "ada@example.com", "gho_token"))
        .await
        .unwrap();
    for wrong in [
        Credentials::ldap("ldap-ada", "nope"),
        Credentials::password("ldap-ada", "ldap-pw"),
        Credentials::provider("gitlab", "ada@example.com", "gho_token"),
    ] {
        let error = builder.authenticate(wrong).await.unwrap_err();
        assert_eq!(error.vendor_message(), Some("Credentials required"));
    }
    let stale = insight::Client::builder(sim.url()).session_cookie("id=expired").unwrap();
    assert_eq!(status(stale.create_token().await), 401);
    assert_eq!(sim.token_count(), 2);
}

#[test]
fn secret_like_runs_are_long_hex_runs_with_letters_and_fingerprints_are_not() {
    use access_tokens::testing::longest_secret_like_run;
    let magpie_token = "b3f1c2d4e5a6978801234567890abcdef";
    assert_eq!(longest_secret_like_run(&format!("token {magpie_token} made")), 33);
    assert_eq!(longest_secret_like_run("uuid 6f2a77c1-0b9e-4c1d-9a55-30e2b7c4d001"), 12);
    assert!(longest_secret_like_run("new sha256:0123456789abcdef at 1733300000000") < 8);
    assert!(longest_secret_like_run("access denied, a bad face") < 8);
}
