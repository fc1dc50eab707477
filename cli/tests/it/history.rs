//! The history through the binary: `inventory` and `audit` record, `changes` shows what
//! changed, the audit flags what appeared, two runs at once both record.

use access_tokens::entuity;

use super::{Fleet, PASSWORD};

impl Fleet {
    fn entuity_admin_client(&self) -> entuity::Client {
        entuity::Client::builder(self.entuity.url()).basic_auth("admin", PASSWORD).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_records_and_changes_shows_what_was_added_removed_and_changed() {
    let mut fleet = Fleet::start("changes").await;
    let none = fleet.run(&["changes"]);
    assert_eq!(none.code, 2, "no history yet: {}", none.stderr);
    assert_eq!(fleet.run(&["inventory", "--no-record"]).code, 0);
    assert!(!fleet.path("history.sqlite").exists(), "--no-record records nothing");
    assert_eq!(fleet.run(&["--quiet", "inventory"]).code, 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(fleet.path("history.sqlite")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let admin = fleet.entuity_admin_client();
    let created =
        admin.create_token(&entuity::NewAccessToken::for_user_name("guy2")).await.unwrap();
    fleet.secrets.push(created.token_value);
    admin.delete_token(17).await.unwrap();
    fleet.bamboo.add_token("agent", true, false);
    assert_eq!(fleet.run(&["--quiet", "inventory"]).code, 0);

    let json = fleet.run(&["--json", "changes"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let changes = json.json();
    let found: Vec<(String, String, String)> = changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let id = c["id"]["value"].as_str().unwrap().to_owned();
            (c["change"].as_str().unwrap().to_owned(), c["source"].as_str().unwrap().to_owned(), id)
        })
        .collect();
    assert!(
        found.contains(&("added".into(), "entuity".into(), created.token_id.to_string())),
        "{found:?}"
    );
    assert!(found.contains(&("removed".into(), "entuity".into(), "17".into())), "{found:?}");
    assert!(
        found.iter().any(|(change, source, _)| change == "added" && source == "bamboo"),
        "{found:?}"
    );
    assert_eq!(changes["from"]["id"], 1);
    let table = fleet.run(&["changes"]);
    assert!(table.stdout.starts_with("changes from run 1 ("), "{}", table.stdout);
    assert!(table.stdout.contains("\nremoved  entuity"), "{}", table.stdout);
    assert!(table.stdout.ends_with("3 changes\n"), "{}", table.stdout);
    let since_first = fleet.run(&["--json", "changes", "--since", "1"]);
    assert_eq!(since_first.json()["from"]["id"], 1);
    let wrong = fleet.run(&["changes", "--since", "soon"]);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_flags_a_token_that_appeared_since_the_last_run() {
    let fleet = Fleet::start("appeared").await;
    assert_eq!(fleet.run(&["--quiet", "audit", "--fail-on", "never"]).code, 0);
    fleet.bamboo.add_token("agent", true, false);
    let audit = fleet.run(&["--json", "audit", "--fail-on", "never"]);
    assert_eq!(audit.code, 0, "{}", audit.stderr);
    let findings = audit.json()["findings"].as_array().unwrap().clone();
    let appeared: Vec<&serde_json::Value> =
        findings.iter().filter(|f| f["rule"] == "appeared").collect();
    assert_eq!(appeared.len(), 1, "{findings:?}");
    assert_eq!(
        (appeared[0]["source"].as_str(), appeared[0]["severity"].as_str()),
        (Some("bamboo"), Some("low"))
    );
    assert!(
        appeared[0]["message"].as_str().unwrap().ends_with("appeared since the last inventory")
    );
    // The policy sets how severe, or turns the rule off.
    let severities = |fleet: &Fleet| -> Vec<String> {
        fleet.bamboo.add_token(&format!("agent-{}", fleet.bamboo.tokens().len()), true, false);
        let audit = fleet.run(&["--json", "audit", "--fail-on", "never"]);
        assert_eq!(audit.code, 0, "{}", audit.stderr);
        let findings = audit.json()["findings"].as_array().unwrap().clone();
        let appeared = findings.iter().filter(|f| f["rule"] == "appeared");
        appeared.map(|f| f["severity"].as_str().unwrap().to_owned()).collect()
    };
    for (setting, expected) in [("\"high\"", &["high"][..]), ("\"never\"", &[])] {
        let text =
            fleet.config_text().replace("[policy]\n", &format!("[policy]\nappeared = {setting}\n"));
        std::fs::write(&fleet.config, text).unwrap();
        assert_eq!(severities(&fleet), expected, "appeared = {setting}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_inventories_at_once_both_record() {
    let fleet = Fleet::start("two-writers").await;
    for run in fleet.run_twice_at_once(&["--quiet", "inventory"]) {
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let changes = fleet.run(&["--json", "changes"]).json();
    assert_eq!(changes["to"]["id"], 2, "both runs recorded");
}
