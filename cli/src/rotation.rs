//! `rotate` and `retire-due`: a source's target rotated into its sink (a file), with the
//! source's rotation settings; `--dry-run` prints the plan instead.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use access_tokens::rotation::{FileSink, Report, Rotate, Rotation, State};
use tokio::io::AsyncReadExt as _;

use crate::config::{Config, SecretRef, Source};
use crate::connect::Named;
use crate::failure::Failure;
use crate::output::Out;

/// How long the hook after promotion may run.
const HOOK_TIMEOUT: Duration = Duration::from_secs(120);

/// What `rotate` was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Rotate.
    Rotate,
    /// Print the plan, change nothing.
    Plan,
    /// Retire what waited out its grace window, nothing else.
    RetireDue,
}

/// Runs `action` for the source `name`, its new secret in `output` (else the source's sink
/// file).
pub async fn run(
    config: &Config,
    name: &str,
    output: Option<&Path>,
    action: Action,
    out: Out,
) -> Result<(), Failure> {
    let source = config.source(name)?;
    let sink = sink(config, name, source, output)?;
    let rotation = rotation(config, name, source, sink.path())?;
    match source {
        Source::Magpie(source) => {
            let target = Named { config, name, source }.rotation_target().await?;
            execute(&rotation, &target, &sink, action, name, out).await
        }
        Source::Bamboo(source) => {
            let target = Named { config, name, source }.rotation_target()?;
            execute(&rotation, &target, &sink, action, name, out).await
        }
        Source::Entuity(source) => {
            let target = Named { config, name, source }.rotation_target()?;
            execute(&rotation, &target, &sink, action, name, out).await
        }
        Source::Insight(source) => {
            let named = Named { config, name, source };
            named.check_sink_is_the_api_token(sink.path())?;
            let target = named.rotation_target()?;
            execute(&rotation, &target, &sink, action, name, out).await
        }
    }
}

/// The file sink: `-o FILE`, else the source's `sink.file`, else an Insight.io source's
/// `api_token` file (relative to the configuration's directory), with the sink's `mode` and
/// `group`.
fn sink(
    config: &Config,
    name: &str,
    source: &Source,
    output: Option<&Path>,
) -> Result<FileSink, Failure> {
    let settings = source.sink();
    let api_token = match source {
        Source::Insight(insight) => insight.api_token.as_ref().and_then(SecretRef::file),
        _ => None,
    };
    let path = match (output, settings.and_then(|sink| sink.file.as_deref()).or(api_token)) {
        (Some(path), _) => path.to_owned(),
        (None, Some(file)) => config.relative(file),
        (None, None) => {
            return Err(Failure::config(format!(
                "{}: rotating needs a file for the new secret: `-o FILE`, or `file` under \
                 [sources.{name}.sink]",
                config.key(name, "sink")
            )));
        }
    };
    let mut sink = FileSink::new(path);
    if let Some(settings) = settings {
        if let Some(mode) = settings.mode {
            sink = sink.mode(mode.0);
        }
        if let Some(group) = &settings.group {
            let gid = group.id().map_err(|why| {
                Failure::config(format!("{}: {why}", config.key(name, "sink.group")))
            })?;
            sink = sink.group(gid);
        }
    }
    Ok(sink)
}

/// The rotation as the source's `[rotation]` settings and the `[policy]` say.
fn rotation(
    config: &Config,
    name: &str,
    source: &Source,
    file: &Path,
) -> Result<Rotation, Failure> {
    let settings = source.rotation();
    let mut rotation = Rotation::new()
        .named(settings.name.clone().unwrap_or_else(|| name.to_owned()))
        .retire(settings.retire);
    if let Some(grace) = settings.retire_after {
        rotation = rotation.retire_after(grace.0);
    }
    if let Some(days) = settings.lifetime_days {
        rotation = rotation.lifetime(crate::config::days(days));
    }
    if let Some(max) = config.policy.as_ref().and_then(|policy| policy.max_age()) {
        rotation = rotation.max_lifetime(max);
    }
    if let Some(command) = &settings.after_promote {
        let Some((program, arguments)) = command.split_first() else {
            return Err(Failure::config(format!(
                "{}: the command is empty",
                config.key(name, "rotation.after_promote")
            )));
        };
        let hook =
            Hook { program: program.clone(), arguments: arguments.to_vec(), file: file.to_owned() };
        rotation = rotation.after_promote(move || hook.clone().run());
    }
    Ok(rotation)
}

/// The command run after promotion.
#[derive(Debug, Clone)]
struct Hook {
    program: String,
    arguments: Vec<String>,
    /// The secret's file, which the command is told of (`ACCESS_TOKENS_FILE`).
    file: PathBuf,
}

/// What the hook's environment keeps of the tool's: the tool's own may hold credentials
/// (`{ env = "..." }`), which the hook must not see.
const HOOK_ENVIRONMENT: [&str; 8] =
    ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"];

impl Hook {
    /// Runs the command with the secret's path in `ACCESS_TOKENS_FILE`, no secret in its
    /// arguments or environment, for at most [`HOOK_TIMEOUT`]; its exit status decides. What it
    /// prints is not shown: it may read the secret's file.
    async fn run(self) -> Result<(), String> {
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(&self.arguments)
            .env_clear()
            .envs(HOOK_ENVIRONMENT.iter().filter_map(|name| Some((name, std::env::var_os(name)?))))
            .env("ACCESS_TOKENS_FILE", &self.file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child =
            command.spawn().map_err(|e| format!("`{}` did not start: {e}", self.program))?;
        let mut stderr = child.stderr.take();
        let waited = tokio::time::timeout(HOOK_TIMEOUT, async {
            let mut drained = Vec::new();
            if let Some(stderr) = &mut stderr {
                let _ = stderr.read_to_end(&mut drained).await;
            }
            child.wait().await
        })
        .await;
        match waited {
            Err(_) => {
                Err(format!("`{}` ran longer than {} s", self.program, HOOK_TIMEOUT.as_secs()))
            }
            Ok(Err(error)) => Err(format!("`{}`: {error}", self.program)),
            Ok(Ok(status)) if status.success() => Ok(()),
            Ok(Ok(status)) => Err(format!("`{}` exited with {status}", self.program)),
        }
    }
}

/// Plans, rotates or retires what is due, and prints it.
async fn execute<T: Rotate>(
    rotation: &Rotation,
    target: &T,
    sink: &FileSink,
    action: Action,
    name: &str,
    out: Out,
) -> Result<(), Failure> {
    match action {
        Action::Plan => {
            let plan = rotation.plan(target, sink).await;
            out.show(&plan, || format!("{name}: {plan}"))?;
            if plan.is_ready() {
                Ok(())
            } else {
                Err(Failure::Failed(format!("source `{name}`: a rotation would not start (above)")))
            }
        }
        Action::Rotate | Action::RetireDue => {
            let report = if action == Action::Rotate {
                rotation.run(target, sink).await
            } else {
                rotation.retire_due(target, sink).await
            };
            out.show(&report, || format!("{name}: {report}\n"))?;
            match report.state {
                State::Rotated | State::DueRetired => Ok(()),
                _ => Err(Failure::Failed(stopped(name, &report))),
            }
        }
    }
}

/// Why a rotation stopped, with the failure's causes, and what to do.
fn stopped(name: &str, report: &Report) -> String {
    let why = match report.failure() {
        Some((step, failure)) => format!(" at {step}: {}", crate::failure::chain(failure)),
        None => String::new(),
    };
    format!("source `{name}`: the rotation stopped ({}){why}; run it again to resume", report.state)
}
