//! What progenitor is asked for: one set of settings for every API.

use progenitor::{GenerationSettings, InterfaceStyle, TagStyle};
use quote::quote;
use schemars08::schema::{InstanceType, SchemaObject};

/// The derive that every generated type gets only with the SDK's `schemars` feature
/// ([`rewrite::json_schema`](super::rewrite)).
pub const JSON_SCHEMA: [&str; 2] = ["schemars", "JsonSchema"];

/// The generator settings shared by every API.
pub fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        // Positional methods check required parameters at compile time; progenitor cannot
        // combine them with separate per-tag traits.
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        // The SDK's per-client context, which the executor adds to every request: credentials,
        // vendor conventions, retries and limits. The operations hand it to the executor
        // directly (`rewrite::executor`), so progenitor's hooks stay its defaults.
        .with_inner_type(quote!(crate::Context))
        // Only with the `schemars` feature: `rewrite::json_schema`.
        .with_derive(JSON_SCHEMA.join("::"))
        .with_derive("PartialEq")
        // Documents mark every credential `format: password`; such values become a type that
        // never prints them, even in the generated layer.
        .with_conversion(
            SchemaObject {
                instance_type: Some(InstanceType::String.into()),
                format: Some("password".to_owned()),
                ..SchemaObject::default()
            },
            "crate::Secret",
            std::iter::empty(),
        );
    settings
}

#[cfg(test)]
mod tests {
    use super::super::testing::{generate_from, only_schemas};

    #[test]
    fn credentials_marked_as_passwords_become_secrets() {
        let document = only_schemas(
            "    Login:
      type: object
      required: [password]
      properties:
        password: {type: string, format: password, description: kept secret}
        user: {type: string}
",
        );
        let code = generate_from("secrets", &document).unwrap();
        assert!(code.contains("pub password: crate::Secret,"), "{code}");
        assert!(code.contains("pub user: ::std::option::Option<::std::string::String>,"), "{code}");
    }
}
