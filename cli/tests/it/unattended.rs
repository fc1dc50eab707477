//! The tool as cron, CI and systemd run it: errors with their causes, logs, sources that fail
//! alone, paths and permissions, values never echoed, conflicts found before anything is sent,
//! the configuration checked offline, filters, output that fits and parses, completion and the
//! man page.

use std::path::Path;
use std::process::{Command, Stdio};

use access_tokens::testing::Fault;
use serde_json::Value;

use super::{Fleet, PASSWORD, PASSWORD_VAR, Run, binary, command, write_private};

impl Fleet {
    /// Runs `sh -c script` with the binary as `$BIN` and the configuration as `$CONFIG`, and
    /// keeps what it printed.
    fn shell(&self, script: &str) -> Run {
        let output = Command::new("sh")
            .arg("-c")
            .arg(script)
            .env("BIN", env!("CARGO_BIN_EXE_access-tokens"))
            .env("CONFIG", &self.config)
            .env(PASSWORD_VAR, PASSWORD)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let run = Run::from(output);
        eprintln!("$ {script}\n{}{}(exit {})", run.stdout, run.stderr, run.code);
        self.keep(&[script], &run);
        run
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_prints_its_causes_and_verbose_logs_each_call_without_a_secret() {
    let fleet = Fleet::start("causes").await;
    fleet.configure(
        "[sources.refused]\nvendor = \"entuity\"\nurl = \"http://127.0.0.1:1\"\nuser = \"admin\"\n\
         password = { env = \"ACCESS_TOKENS_TEST_PASSWORD\" }\n",
    );
    let refused = fleet.run(&["entuity", "refused", "list"]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("list_access_tokens: no response from the server: ")
            && refused.stderr.to_lowercase().contains("connection refused"),
        "the cause, not only the summary: {}",
        refused.stderr
    );
    // TLS to a plain-http port says so.
    let plain = fleet.entuity.url().replace("http://", "https://");
    fleet.configure(&format!(
        "[sources.tls]\nvendor = \"entuity\"\nurl = \"{plain}\"\nuser = \"admin\"\n\
             password = {{ env = \"ACCESS_TOKENS_TEST_PASSWORD\" }}\n"
    ));
    let tls = fleet.run(&["entuity", "tls", "list"]);
    assert_eq!(tls.code, 3, "{}", tls.stderr);
    assert_ne!(tls.stderr, refused.stderr.replace("refused", "tls"));
    assert!(!tls.stderr.to_lowercase().contains("connection refused"), "{}", tls.stderr);

    let verbose = fleet.run(&["-v", "entuity", "entuity", "list"]);
    assert_eq!(verbose.code, 0, "{}", verbose.stderr);
    assert!(verbose.stderr.contains("list_access_tokens"), "{}", verbose.stderr);
    let filtered = fleet
        .run_with(&["entuity", "entuity", "list"], &[("ACCESS_TOKENS_LOG", "access_tokens=debug")]);
    assert!(filtered.stderr.contains("list_access_tokens"), "{}", filtered.stderr);
    let wrong = fleet.run_with(&["entuity", "entuity", "list"], &[("ACCESS_TOKENS_LOG", "=[")]);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    assert!(wrong.stderr.contains("ACCESS_TOKENS_LOG"), "{}", wrong.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_that_fails_for_any_reason_fails_alone_and_quiet_still_says_why() {
    let fleet = Fleet::start("alone").await;
    fleet.configure(
        "[sources.unset]\nvendor = \"bamboo\"\nurl = \"http://127.0.0.1:1\"\nuser = \"admin\"\n\
         password = { env = \"ACCESS_TOKENS_UNSET_FOR_TEST\" }\n\
         [sources.badurl]\nvendor = \"entuity\"\nurl = \"not a url\"\nuser = \"admin\"\n\
         password = { env = \"ACCESS_TOKENS_TEST_PASSWORD\" }\n",
    );
    let run = fleet.run(&["--json", "inventory"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let json = run.json();
    let failed: Vec<&str> = json["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["source"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["badurl", "unset"]);
    assert_eq!(json["records"].as_array().unwrap().len(), 5, "the others are listed");
    let quiet = fleet.run(&["--quiet", "inventory"]);
    assert_eq!((quiet.code, quiet.stdout.as_str()), (3, ""));
    assert!(quiet.stderr.contains("source `unset`, key `password`"), "{}", quiet.stderr);
    assert!(quiet.stderr.contains("source `badurl`, key `url`"), "{}", quiet.stderr);
    let audit = fleet.run(&["-q", "audit", "--fail-on", "never"]);
    assert_eq!(audit.code, 3);
    assert!(audit.stderr.contains("source `unset`"), "{}", audit.stderr);

    // Alone, a wrong URL is the configuration's mistake: exit 2, the source named once.
    let alone = fleet.run(&["entuity", "badurl", "list"]);
    assert_eq!(alone.code, 2, "{}", alone.stderr);
    assert_eq!(alone.stderr.matches("badurl").count(), 1, "{}", alone.stderr);
    assert!(alone.stderr.contains("key `url`"), "{}", alone.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_are_the_configurations_and_files_others_may_read_are_refused() {
    let fleet = Fleet::start("paths").await;
    let home = fleet.path("home");
    std::fs::create_dir(&home).unwrap();
    write_private(&home.join("cookie"), "x\n");
    // `insight.token` relative to the configuration, `~/cookie` in the home directory: the
    // run happens elsewhere, as cron runs it.
    let text = fleet.config_text().replace(
        &format!(
            "{{ file = \"{}/insight.token\" }}",
            fleet.path("").display().to_string().trim_end_matches('/')
        ),
        "{ file = \"insight.token\" }",
    );
    std::fs::write(
        &fleet.config,
        text.replace(&format!("{}", fleet.path("cookie").display()), "~/cookie"),
    )
    .unwrap();
    let mut elsewhere = command(&fleet.config, &["insight", "insight", "list"]);
    let output = elsewhere.current_dir("/").env("HOME", &home).output().unwrap();
    let run = Run::from(output);
    fleet.keep(&["insight", "insight", "list", "(from /)"], &run);
    assert_eq!(run.code, 0, "{}", run.stderr);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let token = fleet.path("insight.token");
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
        let open = fleet.run(&["insight", "insight", "list"]);
        assert_eq!(open.code, 2, "{}", open.stderr);
        assert!(
            open.stderr.contains("may be read or changed by others (mode 0644): run `chmod 600"),
            "{}",
            open.stderr
        );
        // Its group may read it when the configuration says so; others never.
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o640)).unwrap();
        let shared = std::fs::read_to_string(&fleet.config).unwrap().replace(
            "{ file = \"insight.token\" }",
            "{ file = \"insight.token\", readable_by_group = true }",
        );
        std::fs::write(&fleet.config, shared).unwrap();
        assert_eq!(fleet.run(&["insight", "insight", "list"]).code, 0);
        std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(fleet.run(&["insight", "insight", "list"]).code, 2);

        std::fs::set_permissions(&fleet.config, std::fs::Permissions::from_mode(0o666)).unwrap();
        let writable = fleet.run(&["sources"]);
        assert_eq!(writable.code, 2, "{}", writable.stderr);
        assert!(writable.stderr.contains("run `chmod go-w"), "{}", writable.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_typed_in_the_wrong_place_is_never_echoed_nor_sent() {
    let mut fleet = Fleet::start("wrong-place").await;
    let uuid = fleet.bamboo.tokens()[0].uuid.clone();
    let entuity = fleet.entuity_values().await.remove(0);
    let magpie = fleet.secrets[1].clone();
    for (args, secret) in [
        (vec!["bamboo", "bamboo", "update", uuid.expose_secret(), "--read", "true"], &uuid),
        (vec!["entuity", "entuity", "get", entuity.expose_secret()], &entuity),
        (vec!["magpie", "magpie", magpie.expose_secret()], &magpie),
        (vec!["audit", "--max-age-days", entuity.expose_secret()], &entuity),
        (vec!["audit", &format!("--max-age-days={}", entuity.expose_secret())], &entuity),
        (vec!["audit", "--fail-on", entuity.expose_secret()], &entuity),
        (vec!["inventory", "--vendor", entuity.expose_secret()], &entuity),
        (vec!["rotate", "entuity", "--dry-run", entuity.expose_secret()], &entuity),
    ] {
        let args: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
        let run = binary(&fleet.config, &args, "");
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains(secret.expose_secret()), "{args:?}: {}", run.stderr);
        assert!(!run.stdout.contains(secret.expose_secret()));
    }
    // A Magpie id goes in the URL's path: one the listing does not show is never sent.
    let before = fleet.magpie.requests();
    let enable = fleet.run(&["magpie", "magpie", "enable", magpie.expose_secret()]);
    assert_eq!(enable.code, 3, "{}", enable.stderr);
    assert!(enable.stderr.contains("not shown, and not sent"), "{}", enable.stderr);
    assert_eq!(fleet.magpie.requests() - before, 2, "the login and the listing, nothing else");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_and_lost_secrets_are_refused_before_anything_is_sent() {
    let fleet = Fleet::start("before").await;
    let before = (fleet.magpie.requests(), fleet.magpie.token_count(super::ADA));
    let exists = fleet.path("exists.token");
    write_private(&exists, "");
    for args in [
        vec!["--json", "magpie", "magpie", "create", "--stdout"],
        vec!["magpie", "magpie", "create", "-o", exists.to_str().unwrap()],
    ] {
        let run = fleet.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
    }
    // Stdout sent nowhere: the secret would be lost with exit 0.
    for redirect in [">/dev/null", ">&-", ">/dev/full"] {
        let run = fleet.shell(&format!(
            "\"$BIN\" --config \"$CONFIG\" magpie magpie create --stdout {redirect}"
        ));
        assert_eq!(run.code, 2, "{redirect}: {}", run.stderr);
        assert!(
            run.stderr.contains("the new secret would be lost; nothing was created"),
            "{}",
            run.stderr
        );
    }
    assert_eq!((fleet.magpie.requests(), fleet.magpie.token_count(super::ADA)), before, "no call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_check_and_sources_describe_the_configuration_without_a_call() {
    let fleet = Fleet::start("check").await;
    let before = fleet.entuity.requests();
    let sources = fleet.run(&["--json", "sources"]);
    assert_eq!(sources.code, 0, "{}", sources.stderr);
    let listed = sources.json();
    let names: Vec<&str> =
        listed["sources"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["bamboo", "entuity", "insight", "magpie", "magpie-ci"]);
    let good = fleet.run(&["config", "check"]);
    assert_eq!(good.code, 0, "{}", good.stderr);
    assert!(good.stdout.contains("ok       entuity (entuity)"), "{}", good.stdout);

    fleet.configure(
        "[sources.bad]\nvendor = \"entuity\"\nurl = \"http://192.0.2.1\"\nuser = \"admin\"\n\
         password = { env = \"ACCESS_TOKENS_UNSET_FOR_TEST\" }\nproxy = \"not a proxy\"\n\
         [sources.bad.rotation]\nafter_promote = [\"no-such-program-here\"]\n",
    );
    let bad = fleet.run(&["--json", "config", "check"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    let json = bad.json();
    let problems: Vec<String> = json["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "bad")
        .unwrap()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("key `password`: the environment variable"), "{problems:?}");
    assert!(problems[1].contains("key `"), "{problems:?}");
    assert!(problems[2].contains("`no-such-program-here` is not a file"), "{problems:?}");
    assert_eq!(json["ok"], false);
    assert_eq!(fleet.entuity.requests(), before, "nothing sent");

    // Plain http to another machine passes once allowed.
    fleet.configure(
        "[sources.plain]\nvendor = \"entuity\"\nurl = \"http://192.0.2.1\"\nuser = \"admin\"\n\
         password = { env = \"ACCESS_TOKENS_TEST_PASSWORD\" }\n",
    );
    let refused = fleet.run(&["config", "check"]);
    assert!(
        refused.stdout.contains("source `plain`, key `url`: must use https"),
        "{}",
        refused.stdout
    );
    fleet.configure("[sources.plain]\nvendor = \"entuity\"\nurl = \"http://192.0.2.1\"\nuser = \"admin\"\n\
         password = { env = \"ACCESS_TOKENS_TEST_PASSWORD\" }\nallow_insecure_http = true\ntimeout = \"5s\"\n",
    );
    assert_eq!(fleet.run(&["config", "check"]).code, 0);

    std::fs::write(&fleet.config, "").unwrap();
    let empty = fleet.run(&["audit"]);
    assert_eq!(empty.code, 2, "an empty configuration audits nothing: {}", empty.stderr);
    assert!(empty.stderr.contains("no sources"), "{}", empty.stderr);
    let typed = "[sources.u]\nvendor = \"bamboo\"\nurl = \"x\"\nuser = { env = \"X\" }\npassword = { env = \"X\" }\n";
    std::fs::write(&fleet.config, typed).unwrap();
    let wrong = fleet.run(&["config", "check"]);
    assert_eq!(wrong.code, 2);
    assert!(
        wrong.stderr.contains(":4: source `u`, key `user`: invalid type: map"),
        "{}",
        wrong.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_choose_sources_once_and_tables_fit_and_count_right() {
    let fleet = Fleet::start("filters").await;
    let ids = |run: &Run| {
        run.json()["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["source"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let twice = fleet.run(&["--json", "inventory", "bamboo", "bamboo"]);
    assert_eq!(ids(&twice), ["bamboo"]);
    let flags = fleet.run(&["--json", "inventory", "--source", "entuity", "--source", "bamboo"]);
    assert_eq!(ids(&flags), ["bamboo", "entuity"]);
    let magpie = fleet.run(&["--json", "inventory", "--vendor", "magpie"]);
    assert_eq!(ids(&magpie), ["magpie", "magpie-ci"]);
    let audited = fleet.run(&["--json", "audit", "--vendor", "bamboo", "--fail-on", "never"]);
    let findings = audited.json()["findings"].as_array().unwrap().clone();
    assert!(
        findings.iter().all(|f| f["token"]["source"] == "bamboo"),
        "self-contained: {findings:?}"
    );
    let unknown = fleet.run(&["inventory", "--source", "nobody"]);
    assert_eq!(unknown.code, 2);

    // Nine columns do not fit in 60, and the table says so, its names cut; three do.
    let narrow = fleet.run_with(&["inventory"], &[("COLUMNS", "60")]);
    assert_eq!(narrow.code, 0, "{}", narrow.stderr);
    assert!(narrow.stdout.contains("\nmagpie-…  magpie   tok-2 "), "{}", narrow.stdout);
    assert!(
        narrow.stdout.ends_with(
            "(the table is wider than this terminal's 60 columns: --json has every field)\n\
         5 tokens; times in UTC\n"
        ),
        "{}",
        narrow.stdout
    );
    let audit = fleet.run_with(
        &["audit", "--fail-on", "never", "--max-tokens-per-account", "0"],
        &[("COLUMNS", "60")],
    );
    assert!(audit.stdout.lines().all(|line| line.chars().count() <= 60), "{}", audit.stdout);
    assert!(audit.stdout.lines().count() > 7, "findings wrap: {}", audit.stdout);
    let one = fleet.run(&[
        "audit",
        "--vendor",
        "bamboo",
        "--fail-on",
        "never",
        "--max-tokens-per-account",
        "0",
    ]);
    assert!(one.stdout.contains(" in 1 token\n"), "{}", one.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_prints_one_json_document_of_one_shape() {
    let mut fleet = Fleet::start("json").await;
    let demo = fleet.run(&["--json", "demo"]);
    assert_eq!(demo.code, 0, "{}", demo.stderr);
    let documents: Vec<Value> =
        demo.stdout.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect();
    assert_eq!(documents.len(), 9, "one a command");
    let leaked = fleet.entuity_values().await.remove(0);
    for (value, ids) in [(leaked.expose_secret(), 1), (leaked.expose_secret(), 0)] {
        let run = fleet.run_with_stdin(&["--json", "revoke-leaked", "entuity"], value);
        assert_eq!(run.json()["ids"].as_array().map(Vec::len), Some(ids), "{}", run.stdout);
    }
    let candidates = fleet
        .run_with_stdin(&["--json", "revoke-leaked", "magpie"], fleet.secrets[1].expose_secret());
    assert_eq!(candidates.code, 1);
    assert_eq!(candidates.json()["ids"].as_array().map(Vec::len), Some(1));
}

#[test]
fn completion_reaches_nested_subcommands_and_source_names_and_the_man_page_is_whole() {
    let directory =
        std::env::temp_dir().join(format!("access-tokens-completion-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let config = directory.join("config.toml");
    std::fs::write(&config, "[sources.acme-prod]\nvendor = \"entuity\"\nurl = \"https://e.example\"\nuser = \"a\"\npassword = { env = \"X\" }\n").unwrap();
    let script = binary(&config, &["completions", "bash"], "");
    assert_eq!(script.code, 0, "{}", script.stderr);
    let file = directory.join("completion.bash");
    std::fs::write(&file, &script.stdout).unwrap();
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let probe = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; \
             _access__tokens access-tokens '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display(),
            words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let output = Command::new("bash").arg("-c").arg(probe).output().unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let nested = complete("access-tokens magpie acme service-account ci ");
    assert!(nested.lines().any(|l| l == "rotate"), "nested subcommands: {nested:?}");
    let flags = complete("access-tokens audit --fail-on ");
    assert!(flags.lines().any(|l| l == "high"), "flag values: {flags:?}");
    let sources = complete("access-tokens rotate ");
    assert!(sources.lines().any(|l| l == "acme-prod"), "source names: {sources:?}");
    for shell in ["zsh", "fish"] {
        let script = binary(&config, &["completions", shell], "");
        assert!(script.stdout.contains("acme-prod"), "{shell}");
    }
    let man = binary(&config, &["man"], "");
    for section in
        [".SH COMMANDS", ".SH CONFIGURATION", ".SH FILES", ".SH ENVIRONMENT", ".SH \"EXIT STATUS\""]
    {
        assert!(man.stdout.contains(section), "{section}");
    }
    assert!(
        !man.stdout.contains("access\\-tokens\\-magpie(1)"),
        "no page of its own is referred to"
    );
    let piped = Command::new("sh")
        .arg("-c")
        .arg("\"$BIN\" completions bash | head -1")
        .env("BIN", env!("CARGO_BIN_EXE_access-tokens"))
        .output()
        .unwrap();
    assert!(piped.status.success());
    assert_eq!(String::from_utf8_lossy(&piped.stderr), "", "a closed pipe ends the output quietly");
    std::fs::remove_dir_all(&directory).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_keys_reach_the_builders() {
    let fleet = Fleet::start("connection").await;
    // A server slower than the source's timeout: the call ends at the timeout, typed.
    fleet.entuity.inject(Fault::Delay(std::time::Duration::from_secs(5)), 3);
    fleet.configure("");
    let text = std::fs::read_to_string(&fleet.config)
        .unwrap()
        .replace("token_user = \"guy2\"\n", "token_user = \"guy2\"\ntimeout = \"1s\"\n");
    std::fs::write(&fleet.config, text).unwrap();
    let started = std::time::Instant::now();
    let slow = fleet.run(&["entuity", "entuity", "list"]);
    assert_eq!(slow.code, 3, "{}", slow.stderr);
    assert!(slow.stderr.contains("timed out"), "{}", slow.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "the timeout, not the server");
    // Certificates and keys are read as the configuration says, named when wrong.
    let pem = fleet.path("not.pem");
    write_private(&pem, "not a certificate\n");
    fleet.configure(&format!(
            "[sources.tls]\nvendor = \"entuity\"\nurl = \"https://127.0.0.1:1\"\nuser = \"admin\"\n\
             password = {{ env = \"ACCESS_TOKENS_TEST_PASSWORD\" }}\nca_file = \"{pem}\"\n\
             [sources.cert]\nvendor = \"entuity\"\nurl = \"https://127.0.0.1:1\"\nuser = \"admin\"\n\
             password = {{ env = \"ACCESS_TOKENS_TEST_PASSWORD\" }}\nclient_cert = \"{pem}\"\n",
            pem = pem.display()
        ),
    );
    let check = fleet.run(&["config", "check"]);
    assert!(check.stdout.contains("source `tls`, key `ca_file`"), "{}", check.stdout);
    assert!(
        check.stdout.contains("source `cert`, key `client_key`: needed with `client_cert`"),
        "{}",
        check.stdout
    );
}

/// The shipped units run where systemd lets them write: their home read-only
/// (`ProtectHome=yes`), `/var/lib/access-tokens` theirs (`StateDirectory=`). The audit unit's
/// command, run with the unit's environment and a home it cannot write, keeps its history
/// there, where the serve unit keeps it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_units_keep_the_history_in_their_state_directory() {
    let fleet = Fleet::start("units").await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/systemd");
    // `/var/lib` of the units, here.
    let var_lib = fleet.path("var-lib");
    let mut environments = Vec::new();
    for unit in ["access-tokens-audit.service", "access-tokens-serve.service"] {
        let text = std::fs::read_to_string(root.join(unit)).unwrap();
        let values = |key: &str| -> Vec<String> {
            text.lines().filter_map(|line| line.strip_prefix(key)).map(str::to_owned).collect()
        };
        assert_eq!(values("StateDirectory="), ["access-tokens"], "{unit}");
        assert_eq!(values("ProtectHome="), ["yes"], "{unit}");
        environments.push((values("Environment="), values("ExecStart=")));
    }
    assert_eq!(environments[0].0, environments[1].0, "the same places for both units");
    let (environment, exec) = &environments[0];
    // A configuration that does not say where the history goes, as most will not.
    let config = fleet.path("unit.toml");
    let text = fleet.config_text();
    let without_history =
        text.replace(&format!("path = \"{}\"", fleet.path("history.sqlite").display()), "");
    assert_ne!(text, without_history);
    std::fs::write(&config, without_history).unwrap();
    let exec = exec[0]
        .replace("/usr/local/bin/access-tokens", env!("CARGO_BIN_EXE_access-tokens"))
        .replace("/etc/access-tokens/config.toml", config.to_str().unwrap());
    let words: Vec<&str> = exec.split_whitespace().collect();
    // As the unit runs it (`with_environment`), or with its home alone.
    let run = |args: &[&str], with_environment: bool| {
        let mut command = Command::new(args[0]);
        command.args(&args[1..]).env_clear().env(PASSWORD_VAR, PASSWORD);
        command.env("HOME", "/dev/null/home");
        for assignment in environment.iter().flat_map(|line| line.split_whitespace()) {
            let (name, value) = assignment.split_once('=').unwrap();
            if with_environment {
                command.env(name, value.replace("/var/lib", var_lib.to_str().unwrap()));
            }
        }
        let output = command.stdin(Stdio::null()).output().unwrap();
        let run = Run::from(output);
        fleet.keep(args, &run);
        run
    };
    std::fs::create_dir_all(var_lib.join("access-tokens")).unwrap();
    // `config check` says so when the history could not be kept.
    let check = [&words[..3], &["config", "check"]].concat();
    let homeless = run(&check, false);
    assert_eq!(homeless.code, 2, "{}", homeless.stdout);
    assert!(homeless.stdout.contains("the history, /dev/null/home/"), "{}", homeless.stdout);
    assert!(homeless.stdout.contains("/dev/null is not a directory"), "{}", homeless.stdout);
    assert_eq!(run(&check, true).code, 0);
    let audit = run(&words, true);
    assert!([0, 1].contains(&audit.code), "{}", audit.stderr);
    assert!(var_lib.join("access-tokens/history.sqlite").exists(), "{}", audit.stderr);
}

/// The README's unattended recipes: the systemd units it shows are the ones shipped, and
/// `systemd-analyze verify` accepts them where it is installed.
#[test]
fn the_readmes_systemd_units_are_the_shipped_ones_and_verify() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for unit in ["access-tokens-audit.service", "access-tokens-audit.timer"] {
        let shipped = std::fs::read_to_string(root.join("cli/contrib/systemd").join(unit)).unwrap();
        assert!(readme.contains(&shipped), "README shows {unit} as shipped");
    }
    // Verified with the binary built here where the unit names the installed one.
    let directory =
        std::env::temp_dir().join(format!("access-tokens-units-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let units =
        ["access-tokens-audit.service", "access-tokens-audit.timer", "access-tokens-serve.service"];
    for unit in units {
        let text = std::fs::read_to_string(root.join("cli/contrib/systemd").join(unit)).unwrap();
        let text =
            text.replace("/usr/local/bin/access-tokens", env!("CARGO_BIN_EXE_access-tokens"));
        std::fs::write(directory.join(unit), text).unwrap();
    }
    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .args(units.map(|unit| directory.join(unit)))
        .output();
    std::fs::remove_dir_all(&directory).unwrap();
    match verify {
        Ok(output) => {
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        }
        Err(_) => eprintln!("systemd-analyze is not installed: the units are not verified here"),
    }
}

#[test]
fn an_interrupted_demo_removes_its_folder_whose_name_cannot_be_guessed() {
    let demos = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                path.file_name().unwrap().to_string_lossy().starts_with("access-tokens-demo-")
            })
            .collect()
    };
    for _ in 0..5 {
        let before = demos();
        let mut child = command(Path::new("unused.toml"), &["demo"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let folder = loop {
            if let Some(new) = demos().into_iter().find(|path| !before.contains(path)) {
                break Some(new);
            }
            if child.try_wait().unwrap().is_some() {
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        };
        let Some(folder) = folder else { continue };
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.contains(&child.id().to_string()), "not named after its process: {name}");
        let sent = Command::new("kill").arg("-INT").arg(child.id().to_string()).status().unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        if status.code() == Some(0) {
            continue; // it had finished: try again
        }
        assert_eq!(status.code(), Some(130));
        assert!(!folder.exists(), "{} is left behind", folder.display());
        return;
    }
    panic!("the demo was never caught running");
}
