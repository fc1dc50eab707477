//! Every named schema in every document against the generated type of the same name: the same
//! property names, the same required set, the same alternatives. progenitor is known to drop
//! or merge inline shapes silently; this is where that would show.

use std::collections::BTreeSet;

use schemars::schema_for;
use serde_json::Value;

/// What a schema says about the JSON it accepts, as far as this check compares.
#[derive(Debug, PartialEq, Eq)]
enum Shape {
    Object { properties: BTreeSet<String>, required: BTreeSet<String>, closed: bool },
    OneOf(BTreeSet<String>),
    Enum(BTreeSet<String>),
    Any,
}

impl Shape {
    fn of(schema: &Value) -> Self {
        let names = |key: &str| -> BTreeSet<String> {
            schema[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        if let Some(properties) = schema["properties"].as_object() {
            return Shape::Object {
                properties: properties.keys().cloned().collect(),
                required: names("required"),
                closed: schema["additionalProperties"] == Value::Bool(false),
            };
        }
        if schema["enum"].is_array() {
            return Shape::Enum(names("enum"));
        }
        let alternatives = schema["oneOf"].as_array().or(schema["anyOf"].as_array());
        match alternatives {
            Some(alternatives) => Shape::OneOf(
                alternatives
                    .iter()
                    .map(|alt| {
                        let reference = alt["$ref"].as_str().expect("alternatives are named");
                        reference.rsplit('/').next().unwrap().to_owned()
                    })
                    .collect(),
            ),
            None => Shape::Any,
        }
    }
}

macro_rules! schemas {
    ($($name:ident),* $(,)?) => {
        vec![$((stringify!($name), schema_for!($name).to_value())),*]
    };
}

/// The generated types of an API, by schema name.
fn generated(api: &str) -> Vec<(&'static str, Value)> {
    match api {
        "bamboo" => {
            use access_tokens::bamboo::generated::types::*;
            schemas![NewToken, Token, XsrfCheck]
        }
        "entuity" => {
            use access_tokens::entuity::generated::types::*;
            schemas![
                AccessToken,
                AccessTokenList,
                AccessTokenStats,
                AccessTokenUpdate,
                Media,
                NewAccessToken
            ]
        }
        "insight" => {
            use access_tokens::insight::generated::types::*;
            schemas![
                ApiToken,
                AuthenticatedToken,
                Credentials,
                ErrorBody,
                NewApiToken,
                ProviderCredentials,
                ProviderToken,
            ]
        }
        "magpie" => {
            use access_tokens::magpie::generated::types::*;
            schemas![
                AccessToken,
                AccessTokenLogin,
                LoginRequest,
                NewAccessToken,
                PasswordLogin,
                SessionToken,
                SingleSignOnLogin,
                Version,
            ]
        }
        other => panic!("register the generated types of openapi/{other}.yaml in this test"),
    }
}

#[test]
fn generated_types_have_the_documents_properties_and_required_fields() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let api = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let document: Value =
            serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let documented = document["components"]["schemas"].as_object().unwrap();
        let generated = generated(&api);

        let generated_names: BTreeSet<&str> = generated.iter().map(|(name, _)| *name).collect();
        let documented_names: BTreeSet<&str> = documented.keys().map(String::as_str).collect();
        assert_eq!(generated_names, documented_names, "{api}: schemas without a checked type");

        for (name, schema) in &generated {
            assert_eq!(Shape::of(schema), Shape::of(&documented[*name]), "{api}: {name}");
            checked += 1;
        }
    }
    assert!(checked > 0, "no schema was checked");
}
