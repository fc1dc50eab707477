//! `rotate` and `retire-due`: a source's target rotated into its sink (a file, a Vault secret,
//! a command), with the source's rotation settings; `--dry-run` prints the plan instead.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use access_tokens::rotation::{BASE_ENVIRONMENT, Report, Rotate, Rotation, Sink as _, State};
use tokio::io::AsyncReadExt as _;

use crate::config::{Config, Source};
use crate::connect::Named;
use crate::failure::Failure;
use crate::output::Out;
use crate::sink::ToolSink;

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

/// Runs `action` for the source `name`, its new secret in `output` (else the source's sink).
pub async fn run(
    config: &Config,
    name: &str,
    output: Option<&Path>,
    action: Action,
    out: Out,
) -> Result<(), Failure> {
    let source = config.source(name)?;
    let sink = ToolSink::of(config, name, source, output)?;
    let rotation = rotation(config, name, source, &sink)?;
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
            named.check_sink_is_the_api_token(sink.file())?;
            let target = named.rotation_target()?;
            execute(&rotation, &target, &sink, action, name, out).await
        }
    }
}

/// When the source `name` was last rotated, as its sink's ledger says; `None` if it has no
/// sink, or none that can be read now.
pub async fn last_rotated(config: &Config, name: &str, source: &Source) -> Option<SystemTime> {
    let sink = ToolSink::of(config, name, source, None).ok()?;
    sink.ledger().await.ok()?.last_rotated()
}

/// The rotation as the source's `[rotation]` settings and the `[policy]` say.
fn rotation(
    config: &Config,
    name: &str,
    source: &Source,
    sink: &ToolSink,
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
        let hook = Hook {
            program: program.clone(),
            arguments: arguments.to_vec(),
            file: sink.file().map(Path::to_owned),
            sink: sink.describe(),
        };
        rotation = rotation.after_promote(move || hook.clone().run());
    }
    Ok(rotation)
}

/// The command run after promotion.
#[derive(Debug, Clone)]
struct Hook {
    program: String,
    arguments: Vec<String>,
    /// The secret's file, which the command is told of (`ACCESS_TOKENS_FILE`), if it is one.
    file: Option<PathBuf>,
    /// Where the secret is, in words (`ACCESS_TOKENS_SINK`).
    sink: String,
}

impl Hook {
    /// Runs the command with the sink in `ACCESS_TOKENS_SINK` (and a file sink's path in
    /// `ACCESS_TOKENS_FILE`), only [`BASE_ENVIRONMENT`] of the tool's environment and no
    /// secret in its arguments or environment, for at most [`HOOK_TIMEOUT`]; its exit status
    /// decides. What it prints is not shown: it may read the secret.
    async fn run(self) -> Result<(), String> {
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(&self.arguments)
            .env_clear()
            .envs(BASE_ENVIRONMENT.iter().filter_map(|name| Some((name, std::env::var_os(name)?))))
            .envs(self.file.iter().map(|file| ("ACCESS_TOKENS_FILE", file)))
            .env("ACCESS_TOKENS_SINK", &self.sink)
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
    sink: &ToolSink,
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
        Some((step, failure)) => format!(" at {step}: {}", access_tokens::causes(failure)),
        None => String::new(),
    };
    format!("source `{name}`: the rotation stopped ({}){why}; run it again to resume", report.state)
}
