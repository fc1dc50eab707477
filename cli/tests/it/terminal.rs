//! The binary on a terminal: a pseudo-terminal as its controlling terminal and its stderr,
//! as a person at a shell runs it, with stdin and stdout still pipes.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use super::{Fleet, PASSWORD, Run, command};

/// Long enough for any run here; a run that waits longer is stuck on the terminal.
const PATIENCE: Duration = Duration::from_secs(30);

/// Where the binary's stdin and stdout are while the terminal is its controlling terminal and
/// stderr.
#[derive(Clone, Copy)]
enum Streams<'a> {
    /// Stdin the terminal, stdout a pipe.
    Stdin,
    /// Stdin a pipe with this text, stdout a pipe.
    Piped(&'a str),
    /// Stdin and stdout the terminal.
    All,
}

impl Fleet {
    /// Runs the binary on `config` with `args` on a new terminal, `stdin` piped in (else the
    /// terminal is stdin too), and types each of `replies`' answers when its prompt shows, in
    /// turn. `Run::stderr` is what the terminal showed.
    fn on_terminal(
        &self,
        config: &Path,
        args: &[&str],
        stdin: Option<&str>,
        replies: &[(&str, &str)],
    ) -> Run {
        let streams = stdin.map_or(Streams::Stdin, Streams::Piped);
        self.on_terminal_with(config, args, streams, replies).0
    }

    /// [`on_terminal`](Self::on_terminal) with stdout the terminal too.
    fn on_terminal_stdout(&self, config: &Path, args: &[&str], replies: &[(&str, &str)]) -> Run {
        self.on_terminal_with(config, args, Streams::All, replies).0
    }

    /// Runs as [`on_terminal`](Self::on_terminal) does, with `streams`, and tells whether the
    /// terminal echoes once the binary has left it.
    fn on_terminal_with(
        &self,
        config: &Path,
        args: &[&str],
        streams: Streams<'_>,
        replies: &[(&str, &str)],
    ) -> (Run, bool) {
        let (pty, pts) = pty_process::blocking::open().unwrap();
        let command = pty_process::blocking::Command::from(command(config, args));
        let command = match streams {
            Streams::Stdin => command.stdout(Stdio::piped()),
            Streams::Piped(_) => command.stdout(Stdio::piped()).stdin(Stdio::piped()),
            Streams::All => command,
        };
        let mut child = command.spawn(pts).unwrap();
        if let Streams::Piped(stdin) = streams {
            child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        }
        let stdout = child.stdout.take();
        let (shown, stdout) = std::thread::scope(|scope| {
            let stdout = scope.spawn(move || {
                let mut text = String::new();
                if let Some(mut stdout) = stdout {
                    stdout.read_to_string(&mut text).unwrap();
                }
                text
            });
            let (chunks, received) = channel();
            let pty = &pty;
            // Reads until the child is gone and the terminal reports EIO.
            scope.spawn(move || {
                let mut buffer = [0; 4096];
                while let Ok(read @ 1..) = (&*pty).read(&mut buffer) {
                    if chunks.send(buffer[..read].to_vec()).is_err() {
                        break;
                    }
                }
            });
            let shown = converse(pty, &received, replies);
            if shown.is_err() {
                // Else the readers wait for it forever.
                let _ = child.kill();
            }
            (shown, stdout.join().unwrap())
        });
        let shown = shown.unwrap_or_else(|stuck| panic!("{stuck}"));
        let code = child.wait().unwrap().code().expect("exited");
        let run = Run { code, stdout, stderr: shown };
        eprintln!(
            "$ access-tokens {} (on a terminal)\n{}{:?}\n(exit {code})",
            args.join(" "),
            run.stdout,
            run.stderr
        );
        self.keep(args, &run);
        (run, echoes(&pty))
    }
}

/// What the terminal showed until the child left it, each of `replies`' answers typed after its
/// prompt, but only once echo is off: typed earlier, the terminal itself would echo it.
fn converse(
    pty: &pty_process::blocking::Pty,
    received: &Receiver<Vec<u8>>,
    replies: &[(&str, &str)],
) -> Result<String, String> {
    let deadline = Instant::now() + PATIENCE;
    let text = |shown: &[u8]| String::from_utf8_lossy(shown).into_owned();
    // Whether more came before the child left.
    let more = |shown: &mut Vec<u8>| match received
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        Ok(chunk) => {
            shown.extend(chunk);
            Ok(true)
        }
        Err(RecvTimeoutError::Disconnected) => Ok(false),
        Err(RecvTimeoutError::Timeout) => Err(format!("stuck at {:?}", text(shown))),
    };
    let mut shown = Vec::new();
    for (prompt, answer) in replies {
        let from = shown.len();
        while !text(&shown[from..]).contains(prompt) {
            if !more(&mut shown).map_err(|stuck| format!("waiting for {prompt:?}: {stuck}"))? {
                return Err(format!("no {prompt:?} in {:?}", text(&shown)));
            }
        }
        // A question answered in the open ("[y/N]") echoes; a secret's prompt does not.
        while !prompt.contains("[y/N]") && echoes(pty) {
            if Instant::now() > deadline {
                return Err(format!("the terminal still echoes after {:?}", text(&shown)));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        // Ctrl-C is typed alone; an answer ends with Enter.
        let typed = if *answer == INTERRUPT { answer.to_string() } else { format!("{answer}\n") };
        (&*pty).write_all(typed.as_bytes()).map_err(|e| e.to_string())?;
    }
    while more(&mut shown)? {}
    String::from_utf8(shown).map_err(|e| e.to_string())
}

/// Whether the terminal echoes what is typed; a pseudo-terminal's two ends share one setting.
fn echoes(pty: &pty_process::blocking::Pty) -> bool {
    let modes = rustix::termios::tcgetattr(pty).unwrap().local_modes;
    modes.contains(rustix::termios::LocalModes::ECHO)
}

/// Ctrl-C, as typed on a terminal.
const INTERRUPT: &str = "\x03";

/// What the binary asks for an Entuity source whose password is `{ prompt }`.
const PASSWORD_PROMPT: &str = "Entuity password: ";

/// A configuration, in the fleet's directory, of its Entuity server with that source.
fn prompting_config(fleet: &Fleet) -> PathBuf {
    let config = fleet.path("prompt.toml");
    let url = fleet.entuity.url();
    let text = format!(
        "[sources.entuity]\nvendor = \"entuity\"\nurl = \"{url}\"\nuser = \"admin\"\n\
         password = {{ prompt = \"Entuity password\" }}\n"
    );
    std::fs::write(&config, text).unwrap();
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompted_password_is_answered_on_the_terminal_unechoed_while_stdin_is_a_pipe() {
    let mut fleet = Fleet::start("prompt").await;
    let leaked = fleet.entuity_values().await.remove(0);
    let config = prompting_config(&fleet);
    let args = ["revoke-leaked", "entuity"];
    let value = format!("{}\n", leaked.expose_secret());

    let unanswered = fleet.on_terminal(&config, &args, Some(&value), &[(PASSWORD_PROMPT, "")]);
    assert_eq!(unanswered.code, 2, "{:?}", unanswered.stderr);
    let refusal = "source `entuity`, key `password`: nothing was entered";
    assert!(unanswered.stderr.contains(refusal), "{:?}", unanswered.stderr);
    assert_eq!(fleet.entuity.token_count(), 1);

    let replies = [(PASSWORD_PROMPT, PASSWORD)];
    let answered = fleet.on_terminal(&config, &args, Some(&value), &replies);
    assert_eq!(answered.code, 0, "{:?}", answered.stderr);
    assert_eq!(answered.stdout, "entuity: revoked 17, and confirmed\n");
    assert_eq!(fleet.entuity.token_count(), 0);
    assert!(!answered.stderr.contains(PASSWORD), "echoed: {:?}", answered.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaked_value_typed_on_the_terminal_is_asked_for_and_not_echoed() {
    let mut fleet = Fleet::start("typed").await;
    let leaked = fleet.entuity_values().await.remove(0);
    let config = prompting_config(&fleet);
    let replies =
        [("The leaked value (not shown): ", leaked.expose_secret()), (PASSWORD_PROMPT, PASSWORD)];
    let typed = fleet.on_terminal(&config, &["revoke-leaked", "entuity"], None, &replies);
    assert_eq!(typed.code, 0, "{:?}", typed.stderr);
    assert_eq!(typed.stdout, "entuity: revoked 17, and confirmed\n");
    assert_eq!(fleet.entuity.token_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_shows_on_a_terminal_and_never_on_stdout() {
    let fleet = Fleet::start("progress").await;
    let listed = fleet.on_terminal(&fleet.config, &["--json", "inventory"], Some(""), &[]);
    assert_eq!(listed.code, 0, "{:?}", listed.stderr);
    assert_eq!(listed.json()["records"].as_array().unwrap().len(), 5);
    for shown in ["] listing bamboo…", "[5/5] ", " tokens"] {
        assert!(listed.stderr.contains(shown), "no {shown:?} in {:?}", listed.stderr);
    }
    assert!(listed.stderr.ends_with("\r\x1b[2K"), "the line is cleared: {:?}", listed.stderr);

    let quiet = fleet.on_terminal(&fleet.config, &["--quiet", "inventory"], Some(""), &[]);
    assert_eq!((quiet.code, quiet.stderr.as_str()), (0, ""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_at_a_hidden_prompt_leaves_the_terminal_echoing() {
    let fleet = Fleet::start("interrupt").await;
    let config = prompting_config(&fleet);
    let replies = [(PASSWORD_PROMPT, INTERRUPT)];
    let args = ["entuity", "entuity", "list"];
    let (interrupted, echoes) =
        fleet.on_terminal_with(&config, &args, Streams::Piped(""), &replies);
    assert_eq!(interrupted.code, 130, "{:?}", interrupted.stderr);
    assert!(interrupted.stderr.contains("interrupted"), "{:?}", interrupted.stderr);
    assert!(echoes, "the terminal echoes again, as before the prompt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_for_a_terminal_and_a_deletion_are_confirmed_first() {
    let fleet = Fleet::start("confirm").await;
    let tokens = fleet.magpie.token_count(super::ADA);
    let create = ["magpie", "magpie", "create", "--stdout"];
    let question = "stays in the scrollback? [y/N] ";
    let declined = fleet.on_terminal_stdout(&fleet.config, &create, &[(question, "n")]);
    assert_eq!(declined.code, 2, "{:?}", declined.stderr);
    assert!(declined.stderr.contains("not confirmed: nothing was done"), "{:?}", declined.stderr);
    assert_eq!(fleet.magpie.token_count(super::ADA), tokens, "nothing created");
    let delete = ["magpie", "magpie", "delete", "tok-1"];
    let kept = fleet.on_terminal(
        &fleet.config,
        &delete,
        None,
        &[("tok-1 of source `magpie`? [y/N] ", "")],
    );
    assert_eq!(kept.code, 2);
    assert_eq!(fleet.magpie.token_count(super::ADA), tokens);
    let deleted = fleet.on_terminal(&fleet.config, &delete, None, &[("[y/N] ", "y")]);
    assert_eq!(deleted.code, 0, "{:?}", deleted.stderr);
    assert_eq!(fleet.magpie.token_count(super::ADA), tokens - 1);
}
