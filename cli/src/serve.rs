//! `serve`: the inventory and the audit every interval, served from the last result: the
//! metrics on `/metrics`, `/healthz`, and the JSON on `/inventory` and `/audit`; sources with
//! `rotate_every` rotated when due, under the same lock as `rotate`. SIGHUP re-reads the
//! configuration (a bad one keeps the old); SIGTERM and Ctrl-C stop it cleanly.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use access_tokens::inventory::{Health, Seen};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use tokio::net::TcpListener;

use crate::args::Choice;
use crate::config::Config;
use crate::failure::Failure;
use crate::output::Out;
use crate::{history, listing, metrics, rotation};

/// What the last run found, as it is served.
#[derive(Debug, Default)]
struct Served {
    metrics: Bytes,
    inventory: Bytes,
    audit: Bytes,
    /// When the last run ended; `None` before the first.
    last_run: Option<SystemTime>,
}

/// Serves on `listen`, running every `interval` on the configuration at `path`.
pub async fn run(
    path: &Path,
    listen: SocketAddr,
    interval: Duration,
    out: Out,
) -> Result<(), Failure> {
    let config = Config::load(path)?;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| Failure::config(format!("--listen {listen}: {e}")))?;
    let bound = listener.local_addr().map_err(|e| Failure::Failed(e.to_string()))?;
    out.note(format_args!(
        "access-tokens: serving http://{bound}/metrics, every {} s",
        interval.as_secs()
    ));
    let served = Arc::new(RwLock::new(Served::default()));
    let runs = tokio::spawn(runs(path.to_owned(), config, interval, served.clone(), out));
    let stop = stopped();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let served = served.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let served = served.clone();
                        async move { Ok::<_, Infallible>(answer(&request, &served)) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
                });
            }
        }
    }
    runs.abort();
    out.note("access-tokens: stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut terminate) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The answer to `request`, from what the last run found: a scrape never waits for the
/// vendors.
fn answer(request: &Request<Incoming>, served: &RwLock<Served>) -> Response<Full<Bytes>> {
    let respond = |status: StatusCode, kind: &'static str, body: Bytes| {
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert("content-type", hyper::header::HeaderValue::from_static(kind));
        response
    };
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            Bytes::from_static(b"GET only\n"),
        );
    }
    let served = served.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    let ready = served.last_run.is_some();
    let json = "application/json";
    match (request.uri().path(), ready) {
        ("/healthz", true) => respond(StatusCode::OK, "text/plain", Bytes::from_static(b"ok\n")),
        (_, false) => respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            Bytes::from_static(b"the first inventory is still running\n"),
        ),
        ("/metrics", true) => respond(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            served.metrics.clone(),
        ),
        ("/inventory", true) => respond(StatusCode::OK, json, served.inventory.clone()),
        ("/audit", true) => respond(StatusCode::OK, json, served.audit.clone()),
        _ => respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            Bytes::from_static(b"/metrics, /healthz, /inventory or /audit\n"),
        ),
    }
}

/// Runs the inventory and the audit every `interval`, the rotations that are due after them,
/// and re-reads the configuration at `path` on SIGHUP.
async fn runs(
    path: PathBuf,
    mut config: Config,
    interval: Duration,
    served: Arc<RwLock<Served>>,
    out: Out,
) {
    let mut health = Health::new();
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    // Its output goes nowhere: the run is served, and summed up on stderr.
    let silent = Out { json: false, quiet: true, lines: false };
    loop {
        let started = Instant::now();
        once(&config, &mut health, &served, out).await;
        rotate_due(&config, silent, out).await;
        out.note(format_args!("access-tokens: ran in {:.1} s", started.elapsed().as_secs_f64()));
        let wait = tokio::time::sleep(interval);
        #[cfg(unix)]
        if let Some(hangup) = &mut hangup {
            tokio::select! {
                () = wait => {}
                _ = hangup.recv() => {
                    match Config::load(&path) {
                        Ok(new) => {
                            config = new;
                            out.note("access-tokens: configuration re-read");
                        }
                        Err(failure) => out.warn(format_args!(
                            "access-tokens: configuration not re-read, the old one kept: {}",
                            failure.message().unwrap_or("invalid")
                        )),
                    }
                }
            }
            continue;
        }
        wait.await;
    }
}

/// One inventory and audit of every source, served.
async fn once(config: &Config, health: &mut Health, served: &RwLock<Served>, out: Out) {
    let every = Choice { names: Vec::new(), sources: Vec::new(), vendor: Vec::new() };
    let silent = Out { json: false, quiet: true, lines: false };
    let listed = match listing::list(config, &every, silent).await {
        Ok(listed) => listed,
        Err(failure) => {
            out.warn(format_args!("access-tokens: {}", failure.message().unwrap_or("failed")));
            return;
        }
    };
    listed.warn_failures(out);
    // Each run recorded in the history, as a cron run's is; one that cannot be is logged.
    let recorded =
        history::open(config).and_then(|mut store| history::record(config, &mut store, &listed));
    let seen = recorded.unwrap_or_else(|failure| {
        out.warn(format_args!("access-tokens: {}", failure.message().unwrap_or("history")));
        Seen::new()
    });
    let policy = config.policy.clone().unwrap_or_default().policy();
    let now = listed.inventory.server_now().unwrap_or_else(SystemTime::now);
    let audit = listed.inventory.audit_seen(&policy, now, &seen);
    metrics::record(config, &listed, health, SystemTime::now()).await;
    let rendered = Bytes::from(metrics::render(&listed, &audit, health, &seen));
    let inventory = Bytes::from(listed.to_json().to_string());
    let mut audited = serde_json::to_value(&audit).expect("an audit serializes");
    audited["failures"] = listed.to_json()["failures"].take();
    let mut served = served.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    *served = Served {
        metrics: rendered,
        inventory,
        audit: Bytes::from(audited.to_string()),
        last_run: Some(SystemTime::now()),
    };
}

/// Rotates each source whose `rotate_every` has passed since its last rotation.
async fn rotate_due(config: &Config, silent: Out, out: Out) {
    for (name, source) in &config.sources {
        let Some(every) = source.rotation().rotate_every else { continue };
        let last = rotation::last_rotated(config, name, source).await;
        if last.is_some_and(|last| last + every.0 > SystemTime::now()) {
            continue;
        }
        match rotation::run(config, name, None, rotation::Action::Rotate, silent).await {
            Ok(()) => out.note(format_args!("access-tokens: rotated source `{name}`")),
            Err(failure) => out.warn(format_args!(
                "access-tokens: rotating source `{name}`: {}",
                failure.message().unwrap_or("failed")
            )),
        }
    }
}
