//! A sink in HashiCorp Vault's, or OpenBao's, KV version 2 secrets engine: where most services
//! read a token from, directly, through Vault Agent, or synced into Kubernetes.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use access_tokens_runtime::builder::BuilderCore;
use access_tokens_runtime::checks;
use access_tokens_runtime::time::to_unix_millis;
use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode, Url};
use serde_json::{Map, Value, json};

use super::{Ledger, NewCredential, Sink, SinkLock};
use crate::{Error, InvalidReason, Secret};

/// Keeps the secret in a field of a KV version 2 secret, as an application reads it, with the
/// rotation's other entries beside it at sibling paths:
///
/// - The new secret is stored as pending at `PATH.pending`, where readers of `PATH` never see
///   it, read back from there when a rotation resumes, and removed (every version) when the
///   rotation finishes.
/// - It is promoted by a check-and-set write to `PATH`, against the version the rotation read:
///   the previous secret stays as the version before, the secret's other fields are kept, and
///   a concurrent writer makes the promotion fail, before anything is retired, instead of
///   being overwritten.
/// - The rotation's [`Ledger`] (ids and times, no secret) is kept at `PATH.rotation`, its lock
///   at `PATH.lock` (taken by a check-and-set create, let go at the end of the run, taken over
///   once its lease has ended if a run died holding it), and a pending secret that is not the
///   target's is set aside at `PATH.pending.rejected`.
///
/// [`check`](Sink::check), run before anything is created, finds a sealed or unreachable
/// server, a token that is not valid, a missing or version 1 mount, and each capability the
/// token lacks on these paths. Errors name the path, never a value, and never repeat Vault's
/// own messages, which are not trusted to be free of one.
#[derive(Clone)]
pub struct VaultSink {
    http: reqwest::Client,
    address: Url,
    token: HeaderValue,
    namespace: Option<HeaderValue>,
    mount: String,
    path: String,
    field: String,
    lock_lease: Duration,
    /// The secret's version as [`current`](Sink::current) read it, for the check-and-set of
    /// [`promote`](Sink::promote).
    read_version: Arc<Mutex<Option<u64>>>,
}

impl std::fmt::Debug for VaultSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSink")
            .field("address", &self.address.as_str())
            .field("mount", &self.mount)
            .field("path", &self.path)
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

/// A [`VaultSink`] being set up: the address's HTTP settings, then
/// [`token`](Self::token) finishes it.
#[derive(Debug)]
#[must_use = "a builder does nothing until it is finished with `token`"]
pub struct VaultSinkBuilder {
    core: BuilderCore,
    mount: String,
    path: String,
    field: String,
    namespace: Option<String>,
    lock_lease: Duration,
}

impl VaultSink {
    /// Starts a sink for the secret at `path` (`app/token`) of the KV version 2 mount `secret`,
    /// its field `token`, on the Vault or OpenBao server at `address`
    /// (`https://vault.example.com:8200`).
    pub fn builder(address: impl AsRef<str>, path: impl Into<String>) -> VaultSinkBuilder {
        VaultSinkBuilder {
            core: BuilderCore::new("vault", "address", checks::base_url(address.as_ref())),
            mount: "secret".to_owned(),
            path: path.into(),
            field: "token".to_owned(),
            namespace: None,
            lock_lease: Duration::from_secs(15 * 60),
        }
    }
}

impl VaultSinkBuilder {
    crate::macros::http_settings!();

    /// The KV version 2 mount (default `secret`).
    pub fn mount(mut self, mount: impl Into<String>) -> Self {
        self.mount = mount.into();
        self
    }

    /// The field of the secret that holds the token (default `token`); its other fields are
    /// kept as they are.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }

    /// The Vault Enterprise namespace (`X-Vault-Namespace`).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// How long a run's lock lasts if the run dies holding it (default 15 minutes): a later run
    /// takes it over after that.
    pub fn lock_lease(mut self, lease: Duration) -> Self {
        self.lock_lease = lease;
        self
    }

    /// Finishes with the Vault token the sink authenticates with.
    pub fn token(self, token: impl Into<Secret>) -> Result<VaultSink, Error> {
        let (address, connection) = self.core.connect()?;
        let address = Url::parse(address)
            .map_err(|_| Error::invalid("address", InvalidReason::NotHttpUrl))?;
        for (field, value) in [("mount", &self.mount), ("path", &self.path)] {
            for segment in value.split('/') {
                checks::path_segment(field, segment)?;
            }
        }
        checks::path_segment("field", &self.field)?;
        let token = token.into();
        let mut token = checks::header_value("token", token.expose_secret().to_owned())?;
        token.set_sensitive(true);
        let namespace = self
            .namespace
            .map(|namespace| checks::header_value("namespace", namespace))
            .transpose()?;
        Ok(VaultSink {
            http: connection.http.clone(),
            address,
            token,
            namespace,
            mount: self.mount,
            path: self.path,
            field: self.field,
            lock_lease: self.lock_lease,
            read_version: Arc::default(),
        })
    }
}

/// The largest answer read from Vault: its answers here are a few hundred bytes.
const MAX_ANSWER: usize = 1024 * 1024;

/// An answer from Vault: its status and JSON body (`Null` when it had none).
struct Answer {
    status: StatusCode,
    body: Value,
}

/// What a write with check-and-set came to.
enum Written {
    /// Written as this version.
    Version(u64),
    /// The secret's version is not the one given.
    Conflict,
}

impl VaultSink {
    /// The secret's entry and its siblings, relative to the mount.
    fn entry(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.path)
    }

    /// `mount/path`, as people name a KV secret.
    fn shown(&self, entry: &str) -> String {
        format!("{}/{entry}", self.mount)
    }

    /// Calls Vault: `method` on `/v1/` and `segments`, with `body`.
    async fn call(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<Value>,
    ) -> io::Result<Answer> {
        let mut url = self.address.clone();
        url.path_segments_mut()
            .map_err(|()| io::Error::other("the Vault address cannot take a path"))?
            .pop_if_empty()
            .push("v1")
            .extend(segments.iter().flat_map(|segment| segment.split('/')));
        let mut request =
            self.http.request(method, url).header("X-Vault-Token", self.token.clone());
        if let Some(namespace) = &self.namespace {
            request = request.header("X-Vault-Namespace", namespace.clone());
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let unreachable = |error: reqwest::Error| {
            io::Error::other(format!(
                "Vault at {} did not answer: {}",
                self.address,
                crate::causes(&error.without_url())
            ))
        };
        let mut response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if bytes.len() + chunk.len() > MAX_ANSWER {
                return Err(io::Error::other("Vault's answer is longer than 1 MiB"));
            }
            bytes.extend_from_slice(&chunk);
        }
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return Err(io::Error::other(format!(
                "Vault at {} is sealed or unavailable (503)",
                self.address
            )));
        }
        Ok(Answer { status, body })
    }

    /// Why Vault refused `what` on `path`, by its status alone.
    fn refused(&self, status: StatusCode, what: &str, path: &str, capability: &str) -> io::Error {
        let why = match status {
            StatusCode::FORBIDDEN => format!(
                "permission denied: the token needs `{capability}` on `{path}` (or is not valid)"
            ),
            StatusCode::NOT_FOUND => format!("`{path}` is not there (no such mount?)"),
            status => format!("Vault answered {status}"),
        };
        let kind = if status == StatusCode::FORBIDDEN {
            io::ErrorKind::PermissionDenied
        } else {
            io::ErrorKind::Other
        };
        io::Error::new(kind, format!("Vault: {what} `{path}`: {why}"))
    }

    /// The latest version of `entry`'s data and its version number; `None` when it has none
    /// (never written, deleted or destroyed).
    async fn read(&self, entry: &str) -> io::Result<Option<(Map<String, Value>, u64)>> {
        let answer = self.call(Method::GET, &[&self.mount, "data", entry], None).await?;
        match answer.status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return Ok(None),
            status => return Err(self.refused(status, "reading", &self.shown(entry), "read")),
        }
        let data = &answer.body["data"];
        let version = data["metadata"]["version"].as_u64().unwrap_or_default();
        Ok(data["data"].as_object().map(|fields| (fields.clone(), version)))
    }

    /// The token field of `entry`, if it has one.
    async fn read_value(&self, entry: &str) -> io::Result<Option<Secret>> {
        let read = self.read(entry).await?;
        Ok(read.and_then(|(fields, _)| self.value(&fields)))
    }

    fn value(&self, fields: &Map<String, Value>) -> Option<Secret> {
        fields.get(&self.field).and_then(Value::as_str).map(|value| Secret::new(value.to_owned()))
    }

    /// Writes `fields` as `entry`'s next version, only if its version is `cas` when given (0:
    /// only if it has none).
    async fn write(
        &self,
        entry: &str,
        fields: Map<String, Value>,
        cas: Option<u64>,
    ) -> io::Result<Written> {
        let mut body = json!({ "data": fields });
        if let Some(cas) = cas {
            body["options"] = json!({ "cas": cas });
        }
        let answer = self.call(Method::POST, &[&self.mount, "data", entry], Some(body)).await?;
        match answer.status {
            StatusCode::OK | StatusCode::NO_CONTENT => {
                Ok(Written::Version(answer.body["data"]["version"].as_u64().unwrap_or_default()))
            }
            // The only refusal of a well-formed write with check-and-set. Vault's message says
            // so too, and is read for nothing else.
            StatusCode::BAD_REQUEST if cas.is_some() => Ok(Written::Conflict),
            status => Err(self.refused(status, "writing", &self.shown(entry), "update")),
        }
    }

    /// Removes `entry` and every version of it.
    async fn destroy(&self, entry: &str) -> io::Result<()> {
        let answer = self.call(Method::DELETE, &[&self.mount, "metadata", entry], None).await?;
        match answer.status {
            StatusCode::OK | StatusCode::NO_CONTENT | StatusCode::NOT_FOUND => Ok(()),
            status => Err(self.refused(status, "removing", &self.shown(entry), "delete")),
        }
    }

    /// The lock entry's holder and end, if a run holds it now.
    async fn lock_holder(&self) -> io::Result<Option<(String, u64, i64)>> {
        let Some((fields, version)) = self.read(&self.entry(".lock")).await? else {
            return Ok(None);
        };
        let until = fields.get("until_unix_ms").and_then(Value::as_i64).unwrap_or_default();
        let holder = fields.get("holder").and_then(Value::as_str).unwrap_or("a run").to_owned();
        Ok(Some((holder, version, until)))
    }

    /// Checks what `check` checks, the token and the mount; then the capabilities.
    async fn check_token_and_mount(&self) -> io::Result<()> {
        let lookup = self.call(Method::GET, &["auth", "token", "lookup-self"], None).await?;
        if lookup.status == StatusCode::FORBIDDEN {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("Vault at {}: the token is not valid (expired, or revoked?)", self.address),
            ));
        }
        let mounts = ["sys", "internal", "ui", "mounts", &self.mount];
        let mount = self.call(Method::GET, &mounts, None).await?;
        if mount.status != StatusCode::OK {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("Vault: no mount `{}` that this token can see", self.mount),
            ));
        }
        let data = &mount.body["data"];
        match (data["type"].as_str(), data["options"]["version"].as_str()) {
            (Some("kv"), Some("2")) => Ok(()),
            (Some("kv"), _) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "Vault: `{}` is a KV version 1 mount; the sink needs version 2 (versions and \
                     check-and-set)",
                    self.mount
                ),
            )),
            (kind, _) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "Vault: `{}` is a {} mount, not KV version 2",
                    self.mount,
                    kind.unwrap_or("unknown")
                ),
            )),
        }
    }
}

/// What each path the sink uses needs of the token, by the capabilities Vault names;
/// `create|update` is either (writing a new secret takes `create`, an existing one `update`).
const NEEDED: [(&str, &str, &[&str]); 7] = [
    ("data", "", &["read", "create|update"]),
    ("data", ".pending", &["read", "create|update"]),
    ("metadata", ".pending", &["delete"]),
    ("data", ".pending.rejected", &["create|update"]),
    ("data", ".rotation", &["read", "create|update"]),
    ("data", ".lock", &["read", "create|update"]),
    ("metadata", ".lock", &["delete"]),
];

impl Sink for VaultSink {
    async fn store(&self, credential: &NewCredential<'_>) -> io::Result<()> {
        let mut fields = Map::new();
        fields.insert(self.field.clone(), credential.secret.expose_secret().into());
        self.write(&self.entry(".pending"), fields, None).await.map(drop)
    }

    async fn promote(&self) -> io::Result<()> {
        let pending = self.read_value(&self.entry(".pending")).await?.ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "no pending secret to promote")
        })?;
        let (mut fields, version) = self.read(&self.path).await?.unwrap_or_default();
        if self.value(&fields).is_some_and(|current| current == pending) {
            return Ok(());
        }
        let expected = *self.read_version.lock().unwrap_or_else(PoisonError::into_inner);
        let cas = expected.unwrap_or(version);
        fields.insert(self.field.clone(), pending.expose_secret().into());
        match self.write(&self.path, fields, Some(cas)).await? {
            Written::Version(version) => {
                *self.read_version.lock().unwrap_or_else(PoisonError::into_inner) = Some(version);
                Ok(())
            }
            Written::Conflict => Err(io::Error::other(format!(
                "Vault: another writer changed `{}` since the rotation read it (version {cas}): \
                 the new secret is not promoted, and the old one is still current",
                self.shown(&self.path)
            ))),
        }
    }

    async fn finish(&self) -> io::Result<()> {
        self.destroy(&self.entry(".pending")).await
    }

    async fn pending(&self) -> io::Result<Option<Secret>> {
        self.read_value(&self.entry(".pending")).await
    }

    async fn set_aside_pending(&self) -> io::Result<()> {
        let pending = self.entry(".pending");
        if let Some((fields, _)) = self.read(&pending).await? {
            self.write(&self.entry(".pending.rejected"), fields, None).await?;
        }
        self.destroy(&pending).await
    }

    async fn current(&self) -> io::Result<Option<Secret>> {
        let read = self.read(&self.path).await?;
        let version = read.as_ref().map_or(0, |(_, version)| *version);
        *self.read_version.lock().unwrap_or_else(PoisonError::into_inner) = Some(version);
        Ok(read.and_then(|(fields, _)| self.value(&fields)))
    }

    /// The token valid, the mount KV version 2, and every capability the paths need.
    async fn check(&self) -> io::Result<()> {
        self.check_token_and_mount().await?;
        let paths: Vec<String> = NEEDED
            .iter()
            .map(|(kind, suffix, _)| format!("{}/{kind}/{}", self.mount, self.entry(suffix)))
            .collect();
        let answer = self
            .call(Method::POST, &["sys", "capabilities-self"], Some(json!({ "paths": paths })))
            .await?;
        if answer.status != StatusCode::OK {
            return Err(self.refused(
                answer.status,
                "checking the capabilities on",
                &self.path,
                "read",
            ));
        }
        for ((_, _, needed), path) in NEEDED.iter().zip(&paths) {
            let granted: Vec<&str> = answer.body["data"][path]
                .as_array()
                .map(|granted| granted.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if granted.contains(&"root") {
                continue;
            }
            let lacking: Vec<&str> = needed
                .iter()
                .copied()
                .filter(|need| !need.split('|').any(|capability| granted.contains(&capability)))
                .collect();
            if !lacking.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!("Vault: the token lacks `{}` on `{path}`", lacking.join("`, `")),
                ));
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "Vault KV version 2 secret `{}`, field `{}`, at {}",
            self.shown(&self.path),
            self.field,
            self.address
        )
    }

    fn name(&self) -> String {
        self.path.rsplit('/').next().unwrap_or("rotation").to_owned()
    }

    async fn lock(&self, wait: Duration) -> io::Result<SinkLock> {
        let started = Instant::now();
        let entry = self.entry(".lock");
        loop {
            let now = to_unix_millis(SystemTime::now());
            let until =
                now.saturating_add(i64::try_from(self.lock_lease.as_millis()).unwrap_or(i64::MAX));
            let mut fields = Map::new();
            fields.insert("holder".into(), holder().into());
            fields.insert("until_unix_ms".into(), until.into());
            // Free: created where there is none. Held by a run that died: taken over once its
            // lease has ended, against the version read, so that two runs cannot both.
            let cas = match self.lock_holder().await? {
                None => 0,
                Some((_, version, until)) if until < now => version,
                Some((holder, _, until)) if started.elapsed() >= wait => {
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        format!(
                            "another rotation into `{}` is running ({holder}; its lock ends at \
                             {})",
                            self.shown(&self.path),
                            crate::inventory::utc_minute(
                                access_tokens_runtime::time::from_unix_millis(until)
                            )
                        ),
                    ));
                }
                Some(_) => {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
            };
            if let Written::Version(_) = self.write(&entry, fields, Some(cas)).await? {
                let sink = self.clone();
                return Ok(SinkLock::released_by(move || async move {
                    let _ = sink.destroy(&sink.entry(".lock")).await;
                }));
            }
        }
    }

    async fn check_lock(&self) -> io::Result<()> {
        let now = to_unix_millis(SystemTime::now());
        match self.lock_holder().await? {
            Some((holder, _, until)) if until >= now => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("another rotation into `{}` is running ({holder})", self.shown(&self.path)),
            )),
            _ => Ok(()),
        }
    }

    async fn ledger(&self) -> io::Result<Ledger> {
        let entry = self.entry(".rotation");
        let Some((fields, _)) = self.read(&entry).await? else { return Ok(Ledger::default()) };
        let text = fields.get("ledger").and_then(Value::as_str).unwrap_or_default();
        Ledger::from_json(text).map_err(|why| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("Vault `{}`: {why}", self.shown(&entry)),
            )
        })
    }

    async fn save_ledger(&self, ledger: &Ledger) -> io::Result<()> {
        let mut fields = Map::new();
        fields.insert("ledger".into(), ledger.to_json().into());
        self.write(&self.entry(".rotation"), fields, None).await.map(drop)
    }
}

/// Who holds a lock, for the message a waiting run gives: this host and process.
fn holder() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "this host".to_owned());
    format!("{host}, process {}", std::process::id())
}
