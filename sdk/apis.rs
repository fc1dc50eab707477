//! The vendor APIs: each has a document `openapi/<name>.yaml`, a reviewed snapshot of its
//! generated client `generated/<name>.rs`, a cargo feature and a module `access_tokens::<name>`
//! of its name. Included by `build.rs` and by `cargo xtask`.

/// Every vendor API, by name.
pub const APIS: &[&str] = &["bamboo", "entuity", "insight", "magpie"];

/// The APIs whose cargo features are on, as build scripts see them: `feature_set` says
/// whether an environment variable is set (`CARGO_FEATURE_MAGPIE` for `magpie`). A vendor
/// that is not compiled is not generated either, so turning vendors off makes builds cheaper.
#[allow(dead_code, reason = "build.rs calls it; xtask, which includes this file too, does not")]
pub fn enabled(feature_set: impl Fn(&str) -> bool) -> impl Iterator<Item = &'static str> {
    APIS.iter()
        .copied()
        .filter(move |api| feature_set(&format!("CARGO_FEATURE_{}", api.to_uppercase())))
}

/// Where an API's document lives, relative to the `sdk` package.
#[allow(dead_code, reason = "the build without the `codegen` feature does not generate")]
pub fn document_path(api: &str) -> String {
    format!("openapi/{api}.yaml")
}

/// Where an API's snapshot lives, relative to the `sdk` package.
#[allow(dead_code, reason = "the build with the `codegen` feature generates instead")]
pub fn snapshot_path(api: &str) -> String {
    format!("generated/{api}.rs")
}

#[cfg(test)]
mod tests {
    use super::{APIS, enabled};

    #[test]
    fn only_the_vendors_whose_features_are_on_are_built() {
        let set = |on: &'static [&str]| move |variable: &str| on.contains(&variable);
        let enabled = |on| enabled(set(on)).collect::<Vec<_>>();
        assert_eq!(enabled(&["CARGO_FEATURE_MAGPIE"]), ["magpie"]);
        assert_eq!(
            enabled(&["CARGO_FEATURE_INSIGHT", "CARGO_FEATURE_BAMBOO", "CARGO_FEATURE_TESTING"]),
            ["bamboo", "insight"]
        );
        assert_eq!(enabled(&["CARGO_FEATURE_TESTING"]), Vec::<&str>::new());
        assert_eq!(APIS.len(), 4);
    }
}
