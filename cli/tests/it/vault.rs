//! `rotate` into a Vault (OpenBao) KV version 2 secret and through a command sink, as the
//! configuration's `[sources.NAME.sink]` says, against a real `bao server -dev`.

use std::path::Path;

use access_tokens::Secret;
use access_tokens_loopback::Bao;

use super::Fleet;

/// The variable the configurations here read the Vault token from.
const TOKEN_VARIABLE: &str = "ACCESS_TOKENS_TEST_BAO_TOKEN";

impl Fleet {
    /// Writes guy2's Entuity token (the fleet's) to `path` of `bao`'s `secret` mount, as the
    /// application's, and gives it.
    async fn guy2_in(&mut self, bao: &Bao, path: &str) -> Secret {
        let held = self.entuity_values().await.remove(0);
        let field = format!("token={}", held.expose_secret());
        assert!(
            bao.cli(&["kv", "put", "-mount=secret", path, &field, "user=svc"]).status.success()
        );
        held
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_into_a_kv_v2_secret_after_a_plan_that_checks_the_server() {
    let Some(bao) = Bao::start() else { return };
    let mut fleet = Fleet::start("vault").await;
    let held = fleet.guy2_in(&bao, "app/entuity").await;
    fleet.configure(&format!(
        "[sources.entuity.sink]\nvault = {{ address = \"{}\", path = \"app/entuity\", \
         token = {{ env = \"{TOKEN_VARIABLE}\" }} }}\n",
        bao.address()
    ));
    let variables = [(TOKEN_VARIABLE, Bao::ROOT_TOKEN)];
    let plan = fleet.run_with(&["--json", "rotate", "entuity", "--dry-run"], &variables);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan = plan.json();
    assert!(plan["checks"].as_array().unwrap().iter().all(|c| c["error"].is_null()), "{plan}");
    assert!(
        plan["sink"]
            .as_str()
            .unwrap()
            .starts_with("Vault KV version 2 secret `secret/app/entuity`")
    );
    assert_eq!(plan["replaced"]["value"], "17");
    let sources = fleet.run_with(&["sources"], &variables);
    assert!(sources.stdout.contains("vault secret/app/entuity"), "{}", sources.stdout);

    let run = fleet.run_with(&["rotate", "entuity"], &variables);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("rotated (new 18"), "{}", run.stdout);
    let new = bao.kv_field("app/entuity", "token", None).expect("promoted");
    fleet.secrets.push(Secret::new(new.clone()));
    assert_ne!(new, held.expose_secret());
    assert_eq!(
        bao.kv_field("app/entuity", "token", Some(1)).as_deref(),
        Some(held.expose_secret())
    );
    assert_eq!(bao.kv_field("app/entuity", "user", None).as_deref(), Some("svc"));
    assert_eq!(fleet.entuity_values().await, [Secret::new(new)], "the replaced one retired");

    // A token that may only read: the plan says which capability it lacks, and `rotate`
    // stops before anything is created.
    let reader = bao.token_with_policy(
        "reader",
        "path \"secret/data/app/entuity*\" { capabilities = [\"read\"] }\n",
    );
    let refused = fleet.run_with(&["rotate", "entuity", "--dry-run"], &[(TOKEN_VARIABLE, &reader)]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(
        refused.stdout.contains("entuity rotation plan: would not start"),
        "{}",
        refused.stdout
    );
    let stopped = fleet.run_with(&["rotate", "entuity"], &[(TOKEN_VARIABLE, &reader)]);
    assert_eq!(stopped.code, 3, "{}", stopped.stderr);
    assert!(stopped.stderr.contains("permission denied"), "{}", stopped.stderr);
    assert_eq!(fleet.entuity.token_count(), 1, "nothing created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_through_the_bao_cli_recipe_as_a_command_sink() {
    let Some(bao) = Bao::start() else { return };
    let mut fleet = Fleet::start("command-sink").await;
    let held = fleet.guy2_in(&bao, "app/guy2").await;
    let recipe = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/recipes/bao-kv.sh");
    fleet.configure(&format!(
        "[sources.entuity.sink]\ncommand = [\"sh\", \"{}\", \"app/guy2\"]\nenv = [\"BAO_ADDR\", \"BAO_TOKEN\"]\n\
         state = \"{}\"\n",
        recipe.display(),
        fleet.path("entuity-state").display()
    ));
    let variables = [("BAO_ADDR", bao.address()), ("BAO_TOKEN", Bao::ROOT_TOKEN)];
    let run = fleet.run_with(&["--json", "rotate", "entuity"], &variables);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["replaced"]["value"], "17", "found by the `current` stage: {report}");
    let new = bao.kv_field("app/guy2", "token", None).expect("promoted");
    fleet.secrets.push(Secret::new(new.clone()));
    assert_ne!(new, held.expose_secret());
    assert_eq!(bao.kv_field("app/guy2.pending", "token", None), None, "finished");
    assert!(fleet.path("entuity-state.rotation").exists(), "the ledger in the state file");
    // Without the server's variables passed, the command fails, saying so without a secret.
    let unset = fleet.run_with(&["rotate", "entuity"], &[]);
    assert_eq!(unset.code, 3, "{}", unset.stderr);
    assert!(unset.stderr.contains("store` exited with"), "{}", unset.stderr);
}
