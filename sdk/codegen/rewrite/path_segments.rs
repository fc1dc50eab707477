//! Path parameters encoded by the SDK: progenitor's `encode_path` leaves `;`, `=`, `,` and `&`
//! in a path segment as they are, and Tomcat-based servers such as Bamboo's read what follows a
//! `;` as a path parameter.

use quote::ToTokens as _;
use syn::punctuated::Punctuated;

use super::{is_path, mentions};

/// Makes every `encode_path(…)` among the arguments of the `format!` that builds an operation's
/// URL a call of the SDK's `crate::checks::encode_path_segment`, which encodes everything
/// outside the unreserved characters.
///
/// Fails if `encode_path` is left anywhere in `stmts`: progenitor then calls it some other
/// way, which this would miss.
pub fn encoded_by_the_sdk(name: &str, stmts: &mut [syn::Stmt]) -> Result<(), String> {
    for stmt in stmts.iter_mut() {
        let syn::Stmt::Local(syn::Local { init: Some(init), .. }) = stmt else { continue };
        let syn::Expr::Macro(url) = &mut *init.expr else { continue };
        if !url.mac.path.is_ident("format") {
            continue;
        }
        let mut arguments = url
            .mac
            .parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
            .map_err(|e| format!("`{name}`: its URL's `format!` does not parse: {e}"))?;
        for argument in arguments.iter_mut() {
            if let syn::Expr::Call(call) = argument
                && is_path(&call.func, &["encode_path"])
            {
                *call.func = syn::parse_quote!(crate::checks::encode_path_segment);
            }
        }
        url.mac.tokens = arguments.into_token_stream();
    }
    let left = stmts.iter().any(|stmt| mentions(stmt.to_token_stream(), "encode_path"));
    if left {
        return Err(format!("`{name}` encodes a path parameter other than expected"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::super::testing::{HEADER, flat, generate_from};

    #[test]
    fn path_parameters_are_encoded_by_the_sdk() {
        let document = format!(
            "{HEADER}paths:\n  /a/{{id}}/{{kind}}:\n    get:\n      operationId: get_a\n      \
             parameters:\n        \
             - {{name: id, in: path, required: true, schema: {{type: string}}}}\n        \
             - {{name: kind, in: path, required: true, schema: {{type: boolean}}}}\n      \
             responses: {{'204': {{description: none}}}}\n"
        );
        let code = flat(&generate_from("path-encoding", &document).unwrap());
        assert!(code.contains(",crate::checks::encode_path_segment(&id.to_string()),"), "{code}");
        assert!(code.contains(",crate::checks::encode_path_segment(&kind.to_string()),"), "{code}");
        assert!(!code.contains("encode_path("), "{code}");
    }
}
