//! A real Prometheus (Debian's `prometheus` package) scraping a loopback target, and its
//! `promtool`, for the tests of the tool's metrics.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A Prometheus server with its own scratch storage, stopped by its PID when dropped.
#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    port: u16,
    directory: PathBuf,
}

/// Whether `program` runs here; where it does not, says so loudly (and fails in CI, where
/// `.ci/run` installs it).
pub fn installed(program: &str) -> bool {
    if Command::new(program).arg("--version").output().is_ok() {
        return true;
    }
    let why =
        format!("{program} is not installed (apt-get install prometheus): its tests did not run");
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
    eprintln!("\n*** SKIPPED: {why} ***\n");
    false
}

impl Prometheus {
    /// Starts a server scraping `target` (`127.0.0.1:PORT`) every `interval` seconds, or
    /// `None` where it is not installed (outside CI).
    pub fn scraping(target: &str, interval: u32) -> Option<Self> {
        if !installed("prometheus") {
            return None;
        }
        let port =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
        let directory =
            std::env::temp_dir().join(format!("prometheus-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let config = directory.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: {interval}s\n  evaluation_interval: {interval}s\n\
                 scrape_configs:\n  - job_name: access-tokens\n    static_configs:\n      \
                 - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", directory.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts");
        let prometheus = Self { child, port, directory };
        let deadline = Instant::now() + Duration::from_secs(30);
        while prometheus.get("/-/ready").is_none_or(|(status, _)| status != 200) {
            assert!(Instant::now() < deadline, "prometheus did not become ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(prometheus)
    }

    /// The result of the instant query `expression`: the API's `data.result` as JSON text.
    pub fn query(&self, expression: &str) -> String {
        let encoded: String = expression
            .bytes()
            .map(|byte| match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' => {
                    char::from(byte).to_string()
                }
                byte => format!("%{byte:02X}"),
            })
            .collect();
        let (status, body) =
            self.get(&format!("/api/v1/query?query={encoded}")).expect("an answer");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// `GET path`: the status and the body, or `None` if nothing answers.
    fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).ok()?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        let status = answer.split(' ').nth(1)?.parse().ok()?;
        let body = answer.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())?;
        Some((status, body))
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}
