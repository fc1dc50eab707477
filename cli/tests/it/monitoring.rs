//! The metrics: `audit --prometheus FILE` checked by `promtool`, the shipped alert rules tested
//! by it, and `serve` scraped by a real Prometheus, a deleted token's series gone after the
//! next interval; the units and the manifest that run `serve`.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use access_tokens::entuity;
use access_tokens_loopback::{Prometheus, installed};

use super::{Fleet, PASSWORD, Run, command};

const DAY: Duration = Duration::from_secs(86_400);

impl Fleet {
    /// Creates a token for guy2 expiring in `days`, and gives its id and expiry in Unix
    /// seconds.
    async fn expiring_token(&mut self, days: u32) -> (i64, u64) {
        let admin =
            entuity::Client::builder(self.entuity.url()).basic_auth("admin", PASSWORD).unwrap();
        let at = SystemTime::now() + DAY * days;
        let request = entuity::NewAccessToken::for_user_name("guy2").expiring_at(at);
        let created = admin.create_token(&request).await.unwrap();
        self.secrets.push(created.token_value);
        (created.token_id, at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs())
    }

    /// Deletes the Entuity token `id`.
    async fn delete_token(&self, id: i64) {
        let admin =
            entuity::Client::builder(self.entuity.url()).basic_auth("admin", PASSWORD).unwrap();
        admin.delete_token(id).await.unwrap();
    }
}

/// Asserts that `text` holds none of the fleet's secrets, nor anything shaped like one.
fn assert_secret_free(fleet: &Fleet, text: &str) {
    for secret in &fleet.secrets {
        assert!(!text.contains(secret.expose_secret()), "a secret in the metrics");
    }
    assert!(access_tokens::testing::longest_secret_like_run(text) < 8, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_writes_metrics_for_the_textfile_collector_that_promtool_accepts() {
    let mut fleet = Fleet::start("textfile").await;
    let (id, expires) = fleet.expiring_token(3).await;
    let file = fleet.path("access_tokens.prom");
    let run = fleet.run(&["audit", "--fail-on", "never", "--prometheus", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let metrics = std::fs::read_to_string(&file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o644);
    }
    let expiry = format!(
        "access_tokens_token_expiry_timestamp_seconds{{source=\"entuity\",vendor=\"entuity\",\
         account=\"guy2\",id=\"{id}\",name=\"\"}} {expires}"
    );
    assert!(metrics.contains(&expiry), "{metrics}");
    // The fleet's first Entuity token never expires: no series, never a 0.
    assert!(!metrics.contains("id=\"17\",name=\"\"} 0\n"), "{metrics}");
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("access_tokens_token_expiry") && l.contains("id=\"17\""))
    );
    for line in [
        "access_tokens_source_up{source=\"bamboo\",vendor=\"bamboo\"} 1",
        "access_tokens_source_errors_total{source=\"bamboo\",vendor=\"bamboo\"} 0",
        "access_tokens_source_tokens{source=\"entuity\",vendor=\"entuity\"} 2",
        "access_tokens_findings{source=\"entuity\",rule=\"expiring_soon\",severity=\"low\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} not in {metrics}");
    }
    assert_secret_free(&fleet, &metrics);
    if installed("promtool") {
        let mut check = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        check.stdin.take().unwrap().write_all(metrics.as_bytes()).unwrap();
        let checked = check.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&checked.stdout).into_owned()
            + &String::from_utf8_lossy(&checked.stderr);
        assert!(checked.status.success() && said.trim().is_empty(), "promtool: {said}");
    }
}

#[test]
fn the_alert_rules_that_ship_pass_their_promtool_tests() {
    if !installed("promtool") {
        return;
    }
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/prometheus");
    let tested = Command::new("promtool")
        .args(["test", "rules", "access-tokens.rules.test.yml"])
        .current_dir(&rules)
        .output()
        .unwrap();
    assert!(
        tested.status.success(),
        "{}{}",
        String::from_utf8_lossy(&tested.stdout),
        String::from_utf8_lossy(&tested.stderr)
    );
}

/// `GET path` on `port`: the status and the body.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    Some((status, answer.split_once("\r\n\r\n")?.1.to_owned()))
}

/// Waits up to `seconds` for `ready`.
fn wait_for(seconds: u64, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !ready() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_feeds_a_real_prometheus_and_a_deleted_tokens_series_goes() {
    let mut fleet = Fleet::start("serve").await;
    let (id, expires) = fleet.expiring_token(3).await;
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let serve = command(&fleet.config, &["serve", "--listen", &listen, "--interval", "1s"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(30, "serve answers /healthz", || get(port, "/healthz").is_some_and(|(s, _)| s == 200));
    let (status, metrics) = get(port, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(metrics.contains(&format!("id=\"{id}\",name=\"\"}} {expires}")), "{metrics}");
    let (_, inventory) = get(port, "/inventory").unwrap();
    let inventory: serde_json::Value = serde_json::from_str(&inventory).unwrap();
    assert_eq!(inventory["records"].as_array().unwrap().len(), 6);
    assert_eq!(get(port, "/nothing").unwrap().0, 404);
    assert_secret_free(&fleet, &metrics);

    if let Some(prometheus) = Prometheus::scraping(&listen, 1) {
        let expiry = format!("access_tokens_token_expiry_timestamp_seconds{{id=\"{id}\"}}");
        wait_for(60, "Prometheus has scraped the token's expiry", || {
            prometheus.query(&expiry).contains(&format!("\"{expires}\""))
        });
        let up = prometheus.query("access_tokens_source_up{source=\"entuity\"}");
        assert!(up.contains("\"1\"]"), "{up}");
        fleet.delete_token(id).await;
        wait_for(60, "the deleted token's series is gone", || {
            prometheus.query(&expiry).contains("\"result\":[]")
        });
    }

    // A broken configuration on SIGHUP keeps the old one; SIGTERM stops it cleanly.
    let config = std::fs::read_to_string(&fleet.config).unwrap();
    std::fs::write(&fleet.config, "[sources.broken\n").unwrap();
    signal(serve.id(), "HUP");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(get(port, "/healthz").map(|(s, _)| s), Some(200), "still serving");
    std::fs::write(&fleet.config, config).unwrap();
    signal(serve.id(), "TERM");
    let output = serve.wait_with_output().unwrap();
    let run = Run::from(output);
    fleet.keep(&["serve"], &run);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("configuration not re-read, the old one kept"), "{}", run.stderr);
    assert!(run.stderr.ends_with("access-tokens: stopped\n"), "{}", run.stderr);
}

/// Sends `SIG<name>` to `pid`.
fn signal(pid: u32, name: &str) {
    assert!(
        Command::new("kill")
            .arg(format!("-{name}"))
            .arg(pid.to_string())
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn the_kubernetes_manifest_runs_serve_with_its_probes() {
    let manifest =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/kubernetes/access-tokens-serve.yaml");
    let text = std::fs::read_to_string(manifest).unwrap();
    let documents: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|document| serde::Deserialize::deserialize(document).unwrap())
        .collect();
    assert_eq!(documents.len(), 2);
    let container = &documents[0]["spec"]["template"]["spec"]["containers"][0];
    let args: Vec<&str> =
        container["args"].as_sequence().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(&args[2..4], ["serve", "--listen"]);
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(documents[1]["kind"], "Service");
    // On a read-only root, what the tool writes (the history, a command sink's ledger) goes
    // where a writable volume is mounted.
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    let writable: Vec<&str> = container["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|mount| mount["readOnly"] != true)
        .map(|mount| mount["mountPath"].as_str().unwrap())
        .collect();
    for variable in ["XDG_DATA_HOME", "XDG_STATE_HOME"] {
        let value = container["env"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|env| env["name"] == variable)
            .and_then(|env| env["value"].as_str())
            .unwrap_or_else(|| panic!("{variable} is set"));
        let directory = format!("{value}/access-tokens");
        assert!(writable.contains(&directory.as_str()), "{directory} in {writable:?}");
    }
}
