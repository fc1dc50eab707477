//! What `cargo xtask bench` measures besides its default sections, and what the report says
//! it left out.

/// What a run measures besides the default sections.
pub struct Options {
    /// Rebuilds that explain the default's: after an edit of the app's own source, with all four
    /// vendors, and the SDK's own `cargo build` here.
    pub(super) rebuilds: bool,
    /// Cold builds of the reqwest app on aws-lc-rs and on native-tls, the measurements behind
    /// the SDK's choice of ring.
    pub(super) tls_providers: bool,
    /// A git revision whose SDK is built and called like today's, for before/after figures.
    pub(super) before: Option<String>,
    /// Cold builds three times each, in turns, for medians: a single one varies by ±15% here.
    pub(super) cold_builds: bool,
    /// Sections 7 and 9, a rotation into OpenBao and an inventory recorded in the history, in a
    /// harness of their own that compiles SQLite and the simulators.
    pub(super) stores: bool,
}

impl Options {
    /// Reads `[--rebuilds] [--tls-providers] [--before REV] [--cold-builds] [--stores]`; `None`
    /// for anything else.
    pub fn parse(args: &[&str]) -> Option<Self> {
        let mut options = Options {
            rebuilds: false,
            tls_providers: false,
            before: None,
            cold_builds: false,
            stores: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match *arg {
                "--rebuilds" => options.rebuilds = true,
                "--tls-providers" => options.tls_providers = true,
                "--before" => options.before = Some((*args.next()?).to_owned()),
                "--cold-builds" => options.cold_builds = true,
                "--stores" => options.stores = true,
                _ => return None,
            }
        }
        Some(options)
    }

    /// The command that runs with these options, as the report names it.
    pub fn command(&self) -> String {
        let mut command = "cargo xtask bench".to_owned();
        if self.rebuilds {
            command.push_str(" --rebuilds");
        }
        if self.tls_providers {
            command.push_str(" --tls-providers");
        }
        if let Some(revision) = &self.before {
            command.push_str(&format!(" --before {revision}"));
        }
        if self.cold_builds {
            command.push_str(" --cold-builds");
        }
        if self.stores {
            command.push_str(" --stores");
        }
        command
    }

    /// What the report says was not measured, and the option that measures it.
    pub fn not_measured(&self) -> Vec<(String, String)> {
        let mut not_measured = Vec::new();
        let mut left_out = |section: &str, what: &str| {
            not_measured.push((section.to_owned(), what.to_owned()));
        };
        if !self.rebuilds {
            left_out(
                "Build cost",
                "release rebuilds of the app after editing its own source (the floor under every \
                 rebuild) and, with all four vendors, openapi/magpie.yaml; the SDK's own `cargo \
                 build` after that edit: `cargo xtask bench --rebuilds`",
            );
        }
        if !self.tls_providers {
            left_out(
                "TLS provider",
                "cold builds of the reqwest app on aws-lc-rs and native-tls: `cargo xtask bench \
                 --tls-providers`",
            );
        }
        if !self.cold_builds {
            left_out(
                "Cold builds, median of 3 in turns",
                "each cold build three times, in turns with the others, and the SDK built without \
                 `codegen`: `cargo xtask bench --cold-builds`",
            );
        }
        if self.before.is_none() {
            left_out(
                "Before/after",
                "the SDK at an earlier git revision, built, rebuilt and called next to today's: \
                 `cargo xtask bench --before REV`",
            );
        }
        if !self.stores {
            left_out(
                "7. rotation and 9. history",
                "an Entuity rotation into a file and into OpenBao, and an inventory recorded in \
                 the history, whose harness compiles SQLite and the simulators (about two minutes \
                 more): `cargo xtask bench --stores`",
            );
        }
        not_measured
    }
}

#[cfg(test)]
mod tests {
    use super::Options;

    #[test]
    fn options_name_the_command_that_ran() {
        let parsed = |args: &[&str]| Options::parse(args).map(|options| options.command());
        assert_eq!(parsed(&[]).as_deref(), Some("cargo xtask bench"));
        assert_eq!(
            parsed(&[
                "--stores",
                "--cold-builds",
                "--before",
                "e23cbb2",
                "--tls-providers",
                "--rebuilds"
            ])
            .as_deref(),
            Some(
                "cargo xtask bench --rebuilds --tls-providers --before e23cbb2 --cold-builds \
                 --stores"
            )
        );
        assert_eq!(parsed(&["--before"]), None, "a revision is required");
        let left_out = |args: &[&str]| -> Vec<String> {
            Options::parse(args).unwrap().not_measured().into_iter().map(|(s, _)| s).collect()
        };
        assert!(left_out(&[]).contains(&"7. rotation and 9. history".to_owned()));
        assert!(!left_out(&["--stores"]).contains(&"7. rotation and 9. history".to_owned()));
        assert_eq!(parsed(&["--tls"]), None);
    }
}
