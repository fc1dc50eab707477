//! The inventory's and the audit's Prometheus metrics: the sources' health as the tool knows
//! it, and the textfile `audit --prometheus FILE` writes for node_exporter.

use std::io::Write as _;
use std::path::Path;
use std::time::SystemTime;

use access_tokens::inventory::{Audit, Health, Seen};

use crate::config::Config;
use crate::failure::Failure;
use crate::listing::Listed;

/// `health` with `listed` recorded, run at `at`: each source's outcome (the unreachable ones
/// down), and each source's last rotation as its sink's ledger says.
pub async fn record(config: &Config, listed: &Listed, health: &mut Health, at: SystemTime) {
    health.record(&listed.inventory, at);
    for (name, _) in &listed.unreachable {
        if let Ok(source) = config.source(name) {
            health.unreachable(name, source.vendor());
        }
    }
    for (name, source) in &config.sources {
        if let Some(at) = crate::rotation::last_rotated(config, name, source).await {
            health.rotated(name, at);
        }
    }
}

/// The metrics of `listed` and its `audit`, with what the history saw.
pub fn render(listed: &Listed, audit: &Audit<'_>, health: &Health, seen: &Seen) -> String {
    listed.inventory.prometheus(audit, health, seen)
}

/// Writes `metrics` to `path` whole or not at all, for node_exporter's textfile collector: a
/// new file beside it, synced, mode 0644 (metrics hold no secret), renamed over it.
pub fn write_textfile(path: &Path, metrics: &str) -> Result<(), Failure> {
    let failed = |e: std::io::Error| Failure::Failed(format!("{}: {e}", path.display()));
    let directory = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let staged = directory.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
    let written = options.open(&staged).and_then(|mut file| {
        file.write_all(metrics.as_bytes())?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&staged, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    renamed.map_err(failed)
}
