//! The shell completions and the man page, made from the command line's definition.

use clap::CommandFactory as _;
use clap_complete::Shell;

use crate::args::{Cli, EXIT_CODES};
use crate::config::Config;

/// The completion script for `shell`: subcommands, flags and their values, and the
/// configuration's source names where a source is expected.
pub fn completions(shell: Shell, config: Option<&Config>) -> Vec<u8> {
    let mut command = Cli::command();
    if let Some(config) = config {
        let names: Vec<String> = config.sources.keys().cloned().collect();
        command = with_source_names(command, &names);
    }
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "access-tokens", &mut script);
    if shell == Shell::Bash {
        script = bash_nested_subcommands(&String::from_utf8_lossy(&script)).into_bytes();
    }
    script
}

/// `command` with `names` as the possible values of every argument that takes a source, for
/// completion only (the parser never sees it).
fn with_source_names(command: clap::Command, names: &[String]) -> clap::Command {
    let command = command.mut_args(|argument| match argument.get_id().as_str() {
        "source" | "sources" | "names" => {
            let values = names.iter().map(|name| clap::builder::PossibleValue::new(name.clone()));
            argument.value_parser(clap::builder::PossibleValuesParser::new(values))
        }
        _ => argument,
    });
    let subcommands: Vec<String> =
        command.get_subcommands().map(|sub| sub.get_name().to_owned()).collect();
    subcommands.into_iter().fold(command, |command, name| {
        command.mut_subcommand(name, |sub| with_source_names(sub, names))
    })
}

/// clap_complete's bash script for a binary whose name has a hyphen completes only the first
/// word (clap-rs/clap#6421, #6529): the loop over the words names each state from the binary
/// name with `-` turned to `__` (`access__tokens__subcmd__audit`), but the `case` that
/// completes a state names it with the hyphen turned to a subcommand separator
/// (`access__subcmd__tokens__subcmd__audit`), so no state past the first has a label. Naming
/// the labels as the loop does fixes it; the test sources the script in bash and completes a
/// nested subcommand.
fn bash_nested_subcommands(script: &str) -> String {
    script.replace("access__subcmd__tokens", "access__tokens")
}

/// The man page: name, synopsis, description, options, the commands (each described here,
/// not in pages of their own), and the configuration, its files, the environment and the exit
/// status.
pub fn man_page() -> Vec<u8> {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    let rendered = man
        .render_title(&mut page)
        .and_then(|()| man.render_name_section(&mut page))
        .and_then(|()| man.render_synopsis_section(&mut page))
        .and_then(|()| man.render_description_section(&mut page))
        .and_then(|()| man.render_options_section(&mut page));
    rendered.expect("writing to memory");
    let mut roff = String::from(".SH COMMANDS\n");
    commands(&command, "", &mut roff);
    for (title, text) in SECTIONS {
        roff.push_str(&format!(".SH {title}\n"));
        for paragraph in text.split("\n\n") {
            roff.push_str(".PP\n");
            roff.push_str(&escape(paragraph));
            roff.push('\n');
        }
    }
    roff.push_str(".SH \"EXIT STATUS\"\n.nf\n");
    roff.push_str(&escape(EXIT_CODES.trim_start_matches("Exit codes:\n")));
    roff.push_str("\n.fi\n");
    page.extend_from_slice(roff.as_bytes());
    page
}

/// Each subcommand of `command`, as `access-tokens a b` and what it does, nested.
fn commands(command: &clap::Command, prefix: &str, roff: &mut String) {
    for sub in command.get_subcommands().filter(|sub| sub.get_name() != "help") {
        let name = format!("{prefix}{} ", sub.get_name());
        let positionals: Vec<String> = sub
            .get_positionals()
            .map(|argument| format!("<{}>", argument.get_id().as_str().to_uppercase()))
            .collect();
        roff.push_str(&format!(
            ".TP\n\\fBaccess\\-tokens {}\\fR{}\n{}\n",
            escape(name.trim_end()),
            escape(&format!(" {}", positionals.join(" "))).trim_end(),
            escape(&sub.get_about().map(ToString::to_string).unwrap_or_default())
        ));
        commands(sub, &name, roff);
    }
}

/// `text` safe in roff: backslashes and hyphens escaped, no line starting with a control
/// character.
fn escape(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace('\\', "\\e").replace('-', "\\-");
            if line.starts_with(['.', '\'']) { format!("\\&{line}") } else { line }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The man page's sections beyond the command line.
const SECTIONS: [(&str, &str); 3] = [
    (
        "CONFIGURATION",
        "A TOML file names the sources, each a table [sources.NAME] with vendor = \"magpie\", \
\"bamboo\", \"entuity\" or \"insight\", its url, and its account's credentials. A credential \
is { env = \"NAME\" }, { file = \"path\" } or { prompt = \"text\" }, never the value itself; \
a file must be its owner's alone (mode 0600), or its group may read it with \
readable_by_group = true. Relative paths are relative to the configuration's directory, and \
~ is the home directory. The configuration itself must not be writable by its group or \
others.

Magpie: user and password, personal_access_token or session_token; service_account. Bamboo: \
user, password, plugin (\"1.5\" or \"pre-1.5\"), token_name, read, change. Entuity: user, \
password, token_user, token_description. Insight.io: api_token, user, password, ldap, \
session_cookie, api_generation (\"reference\" or \"user-guide\").

Every source: timeout (\"30s\"), ca_file, proxy, proxy_user, proxy_password, client_cert, \
client_key, allow_insecure_http. [sources.NAME.rotation]: retire (\"replaced\" or \"all\"), \
retire_after, lifetime_days, after_promote, name, rotate_every. [sources.NAME.sink]: file (with \
mode, group), or vault (address, mount, path, field, namespace, token, and the connection keys \
of a source), or command (with env, timeout, state). \
[policy]: max_age_days, max_idle_days, expiring_within_days, require_expiry, \
max_tokens_per_account, appeared (\"low\" to \"critical\", or \"never\"). [history]: path, \
retention_days. At the top: state_dir (where the \
history and command sinks' ledgers are kept).

access-tokens config check validates the file without sending anything.",
    ),
    (
        "FILES",
        "$XDG_CONFIG_HOME/access-tokens/config.toml, else ~/.config/access-tokens/config.toml: \
the configuration, unless --config or ACCESS_TOKENS_CONFIG names another.

STATE_DIR/history.sqlite where state_dir is set, else \
$XDG_DATA_HOME/access-tokens/history.sqlite, else ~/.local/share/access-tokens/history.sqlite: \
the history inventories record, unless [history] path names another.

Beside a rotation's file FILE: FILE.pending (the new secret until the rotation finishes), \
FILE.rotation (its ledger: ids and times, no secret), FILE.lock, and FILE.pending.rejected \
(a pending secret that was not the target's).",
    ),
    (
        "ENVIRONMENT",
        "ACCESS_TOKENS_CONFIG: the configuration file. ACCESS_TOKENS_LOG: what to log on stderr, \
as a filter (access_tokens=debug); -v and -vv set one. HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, \
NO_PROXY: the proxy, unless a source sets proxy. COLUMNS: the width tables fit. \
ACCESS_TOKENS_FILE: given to a rotation's after_promote command, the path of the file that \
holds the new secret.",
    ),
];
