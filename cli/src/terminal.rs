//! The terminal: prompts without echo that leave it as it was even when interrupted,
//! confirmations, its width; and what an interrupt (Ctrl-C) cleans up before the tool exits.

use std::io::{self, BufRead as _, IsTerminal as _, Write as _};
#[cfg(feature = "demo")]
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::failure::Failure;

/// The terminal's settings while a prompt has turned echo off, to put back on an interrupt:
/// the prompt's own restoring never runs when the process is interrupted, and a shell like
/// dash does not restore them either.
#[cfg(unix)]
static SAVED: Mutex<Option<(std::fs::File, rustix::termios::Termios)>> = Mutex::new(None);

/// A directory of the tool's to remove if it is interrupted (the demo's).
#[cfg(feature = "demo")]
static SCRATCH: Mutex<Option<PathBuf>> = Mutex::new(None);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Asks `text` on the terminal and reads the answer without echo.
pub fn prompt_hidden(text: &str) -> io::Result<String> {
    #[cfg(unix)]
    if let Ok(tty) = std::fs::File::options().read(true).write(true).open("/dev/tty")
        && let Ok(settings) = rustix::termios::tcgetattr(&tty)
    {
        *lock(&SAVED) = Some((tty, settings));
    }
    let answer = rpassword::prompt_password(text);
    // Ctrl-C ends the read before the signal's own handler runs.
    if answer.as_ref().is_err_and(|error| error.kind() == io::ErrorKind::Interrupted) {
        interrupted();
    }
    #[cfg(unix)]
    lock(&SAVED).take();
    answer
}

/// Removes `directory` if the tool is interrupted, until [`forget_scratch`].
#[cfg(feature = "demo")]
pub fn remove_on_interrupt(directory: PathBuf) {
    *lock(&SCRATCH) = Some(directory);
}

/// Forgets the directory [`remove_on_interrupt`] was given.
#[cfg(feature = "demo")]
pub fn forget_scratch() {
    *lock(&SCRATCH) = None;
}

/// From now on, Ctrl-C puts the terminal back as it was, removes the scratch directory and
/// exits with 130, as a shell reports a command ended by SIGINT.
pub fn on_interrupt() {
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            interrupted();
        }
    });
}

/// Puts the terminal back, removes the scratch directory, and exits with 130.
fn interrupted() -> ! {
    #[cfg(unix)]
    if let Some((tty, settings)) = lock(&SAVED).take() {
        let _ = rustix::termios::tcsetattr(&tty, rustix::termios::OptionalActions::Now, &settings);
    }
    #[cfg(feature = "demo")]
    if let Some(directory) = lock(&SCRATCH).take() {
        let _ = std::fs::remove_dir_all(directory);
    }
    eprintln!("\naccess-tokens: interrupted");
    std::process::exit(130);
}

/// Goes on with `--yes`, or when the person at the terminal answers yes to `question`;
/// refuses otherwise, before anything is done.
pub fn confirm(yes: bool, question: &str) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() || !io::stderr().is_terminal() {
        return Err(Failure::config(format!(
            "{question}: not on a terminal to ask; pass --yes to go on"
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = io::stderr().flush();
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::config(format!("cannot read the answer: {e}")))?;
    match answer.trim() {
        "y" | "Y" | "yes" | "YES" | "Yes" => Ok(()),
        _ => Err(Failure::config("not confirmed: nothing was done".into())),
    }
}

/// How many columns stdout's terminal has, when stdout is one (`COLUMNS` overrides it).
pub fn width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(columns);
    }
    let stdout = io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    #[cfg(unix)]
    {
        let size = rustix::termios::tcgetwinsize(&stdout).ok()?;
        (size.ws_col > 0).then_some(usize::from(size.ws_col))
    }
    #[cfg(not(unix))]
    None
}
