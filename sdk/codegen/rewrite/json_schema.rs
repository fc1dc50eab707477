//! The `JsonSchema` derive, only with the SDK's `schemars` feature.

use syn::punctuated::Punctuated;

use super::super::settings::JSON_SCHEMA;
use super::ends_with;

/// Moves the `JsonSchema` derive of every generated type into
/// `#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]`.
///
/// The schema code is most of what the SDK crate compiles with all four vendors, and it is
/// compiled again on every document edit; an application that does not ask for JSON schemas
/// should not pay for it. progenitor has no setting for a conditional derive, so the derive it
/// was asked for is moved.
///
/// Fails if types were generated and none had the derive (a progenitor release that spells
/// derives otherwise), rather than dropping it silently.
pub fn behind_its_feature(file: &mut syn::File) -> Result<(), String> {
    let types = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => module.content.as_mut(),
        _ => None,
    });
    let Some((_, items)) = types else { return Ok(()) };
    let derive: syn::Path = syn::parse_str(&JSON_SCHEMA.join("::")).expect("a path");
    let mut types_with_schemas = 0;
    for item in items.iter_mut() {
        let attrs = match item {
            syn::Item::Struct(item) => &mut item.attrs,
            syn::Item::Enum(item) => &mut item.attrs,
            _ => continue,
        };
        let Some(derives) = attrs.iter_mut().find(|attr| attr.path().is_ident("derive")) else {
            continue;
        };
        let paths = derives
            .parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            .map_err(|e| format!("a derive the generator wrote does not parse: {e}"))?;
        let count = paths.len();
        let kept: Punctuated<syn::Path, syn::Token![,]> =
            paths.into_iter().filter(|path| !ends_with(path, &JSON_SCHEMA)).collect();
        if kept.len() == count {
            continue;
        }
        *derives = syn::parse_quote!(#[derive(#kept)]);
        let at = attrs.iter().position(|attr| attr.path().is_ident("derive")).map_or(0, |i| i + 1);
        attrs.insert(at, syn::parse_quote!(#[cfg_attr(feature = "schemars", derive(#derive))]));
        types_with_schemas += 1;
    }
    let has_types =
        items.iter().any(|item| matches!(item, syn::Item::Struct(_) | syn::Item::Enum(_)));
    if has_types && types_with_schemas == 0 {
        return Err(format!("no generated type derives `{}`", JSON_SCHEMA.join("::")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::super::testing::{generate_from, only_schemas};

    #[test]
    fn json_schemas_are_derived_only_with_the_schemars_feature() {
        let document = only_schemas(
            "    Token: {type: object, properties: {id: {type: string}}}
    Kind: {type: string, enum: [read, write]}
",
        );
        let code = generate_from("schemas", &document).unwrap();
        let conditional = "#[cfg_attr(feature = \"schemars\", derive(schemars::JsonSchema))]";
        assert_eq!(code.matches(conditional).count(), 2, "{code}");
        assert_eq!(code.matches("JsonSchema").count(), 2, "no other derive of it: {code}");
        assert!(code.contains("PartialEq)]\n    #[cfg_attr"), "the other derives stay: {code}");
    }
}
