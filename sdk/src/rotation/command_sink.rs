//! A sink that hands the secret to a command, for any store without a sink of its own: the
//! Vault or OpenBao CLI, `kubectl`, `aws secretsmanager`, a script.

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{FileSink, Ledger, NewCredential, Sink, SinkLock};
use crate::Secret;

/// What a command run by the tool keeps of the tool's environment: the tool's own may hold
/// credentials (`{ env = "..." }` in its configuration), which the command must not see.
pub const BASE_ENVIRONMENT: [&str; 8] =
    ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"];

/// Runs a command once per stage of a rotation, the stage its last argument:
///
/// - `store`: keep the secret, read from stdin, as pending (where readers do not see it yet);
/// - `promote`: make the secret, read from stdin again, the current one;
/// - `finish`: forget the pending one (no stdin);
/// - `current`: print the current secret on stdout, for the rotation to tell which token it
///   replaces; a command that cannot exits non-zero (the rotation then retires none as
///   replaced, and says so).
///
/// The secret reaches the command on stdin only, never in its arguments or environment. The
/// command keeps [`BASE_ENVIRONMENT`] of this process's environment and the variables
/// [`pass_env`](Self::pass_env) names (a store's address and token) or [`env`](Self::env)
/// sets, and no other. Its exit
/// status decides; it is stopped after the [`timeout`](Self::timeout). What it prints is
/// never shown as it is: stdout may be a secret, and a failure's message is its stderr's last
/// line with every secret the stage handled replaced by `[REDACTED]`.
///
/// The pending secret lives in this process between `store` and `promote`: a run that stops
/// in between cannot resume with it, and the next run creates another and retires the first
/// (the ledger names it). The ledger and the lock live in a file of this machine's
/// ([`state_file`](Self::state_file)).
#[derive(Debug)]
pub struct CommandSink {
    program: String,
    arguments: Vec<String>,
    pass_env: Vec<String>,
    env: Vec<(String, OsString)>,
    timeout: Duration,
    state: Option<FileSink>,
    pending: Mutex<Option<Secret>>,
}

impl CommandSink {
    /// A sink running `program` with `arguments`, then the stage.
    pub fn new(
        program: impl Into<String>,
        arguments: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            program: program.into(),
            arguments: arguments.into_iter().map(Into::into).collect(),
            pass_env: Vec::new(),
            env: Vec::new(),
            timeout: Duration::from_secs(60),
            state: None,
            pending: Mutex::new(None),
        }
    }

    /// Passes these variables of this process's environment to the command, besides
    /// [`BASE_ENVIRONMENT`].
    pub fn pass_env(mut self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.pass_env.extend(names.into_iter().map(Into::into));
        self
    }

    /// Sets the variable `name` to `value` for the command: a store's address, or its own
    /// credential (never the rotated secret, which goes on stdin).
    pub fn env(mut self, name: impl Into<String>, value: impl Into<OsString>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// How long each stage may run (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Keeps the rotation's ledger in `path.rotation` and its lock in `path.lock`, as a
    /// [`FileSink`] at `path` would (the file itself is never written).
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state = Some(FileSink::new(path));
        self
    }

    /// Runs the `stage`, `secret` on its stdin; gives its stdout.
    async fn run(
        &self,
        stage: &str,
        secret: Option<&Secret>,
        known: &[&Secret],
    ) -> io::Result<Vec<u8>> {
        let shown = format!("`{} … {stage}`", self.program);
        let environment = BASE_ENVIRONMENT
            .iter()
            .map(|name| (*name).to_owned())
            .chain(self.pass_env.iter().cloned())
            .filter_map(|name| Some((name.clone(), std::env::var_os(&name)?)))
            .chain(self.env.iter().cloned())
            .collect::<Vec<(String, OsString)>>();
        let mut child = tokio::process::Command::new(&self.program)
            .args(&self.arguments)
            .arg(stage)
            .env_clear()
            .envs(environment)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("{shown} did not start: {e}")))?;
        let (mut stdin, mut stdout, mut stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let ran = tokio::time::timeout(self.timeout, async {
            if let (Some(stdin), Some(secret)) = (&mut stdin, secret) {
                // A command that does not read stdin closes it: that is its business.
                let _ = stdin.write_all(secret.expose_secret().as_bytes()).await;
                let _ = stdin.write_all(b"\n").await;
            }
            drop(stdin.take());
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let read_out = async {
                if let Some(stdout) = &mut stdout {
                    let _ = stdout.read_to_end(&mut out).await;
                }
            };
            let read_err = async {
                if let Some(stderr) = &mut stderr {
                    let _ = stderr.read_to_end(&mut err).await;
                }
            };
            futures_util::future::join(read_out, read_err).await;
            child.wait().await.map(|status| (status, out, err))
        })
        .await;
        let (status, out, err) = match ran {
            Err(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{shown} ran longer than {} s", self.timeout.as_secs()),
                ));
            }
            Ok(ran) => ran.map_err(|e| io::Error::new(e.kind(), format!("{shown}: {e}")))?,
        };
        if status.success() {
            return Ok(out);
        }
        let mut said = String::from_utf8_lossy(&err).trim().lines().last().unwrap_or("").to_owned();
        for secret in known {
            said = said.replace(secret.expose_secret(), "[REDACTED]");
        }
        let said: String = said.chars().take(300).collect();
        let said = if said.is_empty() { String::new() } else { format!(": {said}") };
        Err(io::Error::other(format!("{shown} exited with {status}{said}")))
    }

    fn remembered(&self) -> Option<Secret> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn remember(&self, secret: Option<Secret>) {
        *self.pending.lock().unwrap_or_else(PoisonError::into_inner) = secret;
    }
}

impl Sink for CommandSink {
    async fn store(&self, credential: &NewCredential<'_>) -> io::Result<()> {
        self.run("store", Some(credential.secret), &[credential.secret]).await?;
        self.remember(Some(credential.secret.clone()));
        Ok(())
    }

    async fn promote(&self) -> io::Result<()> {
        let pending = self.remembered().ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "no pending secret to promote")
        })?;
        self.run("promote", Some(&pending), &[&pending]).await.map(drop)
    }

    async fn finish(&self) -> io::Result<()> {
        let known: Vec<Secret> = self.remembered().into_iter().collect();
        self.run("finish", None, &known.iter().collect::<Vec<_>>()).await?;
        self.remember(None);
        Ok(())
    }

    async fn pending(&self) -> io::Result<Option<Secret>> {
        Ok(self.remembered())
    }

    async fn set_aside_pending(&self) -> io::Result<()> {
        self.remember(None);
        Ok(())
    }

    /// The `current` stage's stdout, its trailing newline dropped; nothing if it fails.
    async fn current(&self) -> io::Result<Option<Secret>> {
        let Ok(out) = self.run("current", None, &[]).await else { return Ok(None) };
        let mut text = String::from_utf8(out).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, "the `current` stage printed no text")
        })?;
        let kept = text.trim_end_matches(['\r', '\n']).len();
        text.truncate(kept);
        Ok((!text.is_empty()).then(|| Secret::new(text)))
    }

    /// The program is there to run, and the state file's directory can take the ledger.
    async fn check(&self) -> io::Result<()> {
        let found = if self.program.contains('/') {
            std::path::Path::new(&self.program).is_file()
        } else {
            std::env::var_os("PATH").is_some_and(|path| {
                std::env::split_paths(&path)
                    .any(|directory| directory.join(&self.program).is_file())
            })
        };
        if !found {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("`{}` is not a file, nor found on PATH", self.program),
            ));
        }
        match &self.state {
            Some(state) => state.check().await,
            None => Ok(()),
        }
    }

    fn describe(&self) -> String {
        format!("the command `{} {}` (stage last)", self.program, self.arguments.join(" "))
    }

    fn name(&self) -> String {
        match &self.state {
            Some(state) => state.name(),
            None => "rotation".to_owned(),
        }
    }

    async fn lock(&self, wait: Duration) -> io::Result<SinkLock> {
        match &self.state {
            Some(state) => state.lock(wait).await,
            None => Ok(SinkLock::none()),
        }
    }

    async fn check_lock(&self) -> io::Result<()> {
        match &self.state {
            Some(state) => state.check_lock().await,
            None => Ok(()),
        }
    }

    async fn ledger(&self) -> io::Result<Ledger> {
        match &self.state {
            Some(state) => state.ledger().await,
            None => Ok(Ledger::default()),
        }
    }

    async fn save_ledger(&self, ledger: &Ledger) -> io::Result<()> {
        match &self.state {
            Some(state) => state.save_ledger(ledger).await,
            None => Ok(()),
        }
    }
}
