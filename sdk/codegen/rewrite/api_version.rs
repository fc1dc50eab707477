//! No `api-version` header: progenitor adds one to every request, with the document's
//! version as its value, but no vendor defines it, and the documents are the wire contract.

use super::{ends_with, is_path, is_str, methods};

/// Takes out of every operation the statement that appends the `api-version` header
/// (`header_map.append(HeaderName::from_static("api-version"), …)`).
///
/// Fails if an operation builds a header map without that statement: progenitor then adds the
/// header some other way, which this would leave in place.
pub fn removed(file: &mut syn::File) -> Result<(), String> {
    for method in methods(file) {
        let name = method.sig.ident.to_string();
        let stmts = &mut method.block.stmts;
        let builds_headers = stmts.iter().any(builds_a_header_map);
        let before = stmts.len();
        stmts.retain(|stmt| !appends_api_version(stmt));
        if builds_headers && stmts.len() != before - 1 {
            return Err(format!("`{name}` does not add the `api-version` header as expected"));
        }
    }
    Ok(())
}

/// `let mut header_map = ::reqwest::header::HeaderMap::with_capacity(…);`
fn builds_a_header_map(stmt: &syn::Stmt) -> bool {
    match stmt {
        syn::Stmt::Local(syn::Local { init: Some(init), .. }) => matches!(
            &*init.expr,
            syn::Expr::Call(call) if is_path(&call.func, &["HeaderMap", "with_capacity"])
        ),
        _ => false,
    }
}

/// `header_map.append(::reqwest::header::HeaderName::from_static("api-version"), …);`
fn appends_api_version(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Expr(syn::Expr::MethodCall(call), _) = stmt else { return false };
    let name = match call.args.first() {
        Some(syn::Expr::Call(name)) => name,
        _ => return false,
    };
    call.method == "append"
        && is_path(&call.receiver, &["header_map"])
        && matches!(&*name.func, syn::Expr::Path(path) if ends_with(&path.path, &["HeaderName", "from_static"]))
        && name.args.first().is_some_and(|text| is_str(text, "api-version"))
}

#[cfg(test)]
mod tests {
    use super::super::super::testing::{HEADER, generate_from};

    #[test]
    fn no_api_version_header_is_generated() {
        let document = format!(
            "{HEADER}paths:\n  /a:\n    get:\n      operationId: get_a\n      parameters:\n        \
             - {{name: X-Kept, in: header, required: true, schema: {{type: string}}}}\n      \
             responses: {{'204': {{description: none}}}}\n  /b:\n    get:\n      \
             operationId: get_b\n      responses: {{'204': {{description: none}}}}\n"
        );
        let code = generate_from("api-version", &document).unwrap();
        assert!(!code.contains("\"api-version\""), "{code}");
        assert!(code.contains(".append(\"X-Kept\""), "{code}");
    }
}
