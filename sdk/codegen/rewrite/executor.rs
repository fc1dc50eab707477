//! Every operation handed to the SDK's executor, ending in the SDK's own result.

use std::collections::BTreeMap;

use super::{ends_with, is_path, methods, path_segments};

/// Hands each operation to the SDK's executor, so that it ends in the SDK's own result:
/// `Result<T, crate::Error>`, where `T` is the documented success body (`()` for none).
///
/// progenitor writes each operation as: build the request, name it (`let info =
/// OperationInfo { operation_id: … }`), await the `pre` hook, `self.exec(request, &info)`, the
/// `post` hook, then match the status into its own `Error`, whose `Display` prints a body that
/// did not decode (a new token, for a create). What it builds is kept, inside a closure whose
/// `?`s stay progenitor's, run with secrets serializing as their values
/// (`Secret::exposed_while`: a body is serialized as it is built); the rest becomes one call of
/// `crate::execute::json` (or `empty`) with the operation's id and whether it may be repeated,
/// which sends, retries, traces, and maps the response to the decoded body or to
/// `crate::Error`. The same ids and flags are listed in `OPERATIONS`, for the facades' renewal
/// of credentials. No operation name is typed anywhere else.
pub fn for_every_operation(
    file: &mut syn::File,
    repeatable: &BTreeMap<String, bool>,
) -> Result<(), String> {
    let mut operations = Vec::new();
    for method in methods(file) {
        let name = method.sig.ident.to_string();
        let stmts = &mut method.block.stmts;
        let Some(named) = stmts.iter().position(|stmt| names_the_operation(stmt).is_some()) else {
            continue;
        };
        let id = names_the_operation(&stmts[named])
            .flatten()
            .ok_or_else(|| format!("`{name}` does not name its operation as expected"))?;
        let rest = &stmts[named + 1..];
        if !rest.iter().any(executes) {
            return Err(format!("`{name}` does not call `exec` as expected"));
        }
        let success = success_type(&method.sig.output)
            .ok_or_else(|| format!("`{name}` does not return progenitor's result as expected"))?;
        let empty = matches!(&success, syn::Type::Tuple(tuple) if tuple.elems.is_empty());
        let reads = if empty { "empty" } else { "from_response" };
        if !rest.iter().any(|stmt| stmt_calls(stmt, &["ResponseValue", reads])) {
            return Err(format!("`{name}` answers with a body the SDK cannot read"));
        }
        let repeatable = *repeatable
            .get(&id)
            .ok_or_else(|| format!("`{name}`: operation `{id}` is not in the document"))?;
        let build = &mut stmts[..named];
        path_segments::encoded_by_the_sdk(&name, build)?;
        let build = &*build;
        let execute: syn::Path =
            if empty { syn::parse_quote!(empty) } else { syn::parse_quote!(json) };
        method.sig.output = syn::parse_quote!(-> Result<#success, crate::Error>);
        method.block = syn::parse_quote!({
            let request = crate::Secret::exposed_while(|| -> crate::execute::Built {
                #(#build)*
                Ok(request)
            });
            crate::execute::#execute(
                &self.client,
                &self.inner,
                request,
                &crate::execute::Operation { id: #id, repeatable: #repeatable },
            )
            .await
        });
        operations
            .push(quote::quote!(crate::execute::Operation { id: #id, repeatable: #repeatable }));
    }
    without_progenitor_results(file);
    file.items.push(syn::parse_quote! {
        /// Every operation, by the document's `operationId`, and whether a call of it may be
        /// repeated (GET, HEAD, PUT and DELETE, unless the document marks it `x-never-retry`).
        pub const OPERATIONS: &[crate::execute::Operation] = &[#(#operations),*];
    });
    Ok(())
}

/// `Some(id)` for `let info = OperationInfo { operation_id: "id" };` (`Some(None)` if its id is
/// not a string literal), `None` for any other statement.
fn names_the_operation(stmt: &syn::Stmt) -> Option<Option<String>> {
    let syn::Stmt::Local(syn::Local { pat, init: Some(init), .. }) = stmt else { return None };
    let syn::Pat::Ident(binding) = pat else { return None };
    let syn::Expr::Struct(info) = &*init.expr else { return None };
    if binding.ident != "info" || !ends_with(&info.path, &["OperationInfo"]) {
        return None;
    }
    let id = info.fields.iter().find_map(|field| match (&field.member, &field.expr) {
        (
            syn::Member::Named(member),
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(id), .. }),
        ) if member == "operation_id" => Some(id.value()),
        _ => None,
    });
    Some(id)
}

/// `let result = self.exec(request, &info).await;`
fn executes(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Local(syn::Local { init: Some(init), .. }) = stmt else { return false };
    let syn::Expr::Await(awaited) = &*init.expr else { return false };
    let syn::Expr::MethodCall(call) = &*awaited.base else { return false };
    let arguments: Vec<&syn::Expr> = call.args.iter().collect();
    call.method == "exec"
        && is_path(&call.receiver, &["self"])
        && matches!(arguments[..], [request, syn::Expr::Reference(info)]
            if is_path(request, &["request"]) && is_path(&info.expr, &["info"]))
}

/// Whether `stmt` calls the function whose path ends with `tail`, anywhere in the expressions
/// progenitor writes around its calls (awaits, `?`, matches, blocks, arguments).
fn stmt_calls(stmt: &syn::Stmt, tail: &[&str]) -> bool {
    match stmt {
        syn::Stmt::Local(syn::Local { init: Some(init), .. }) => expr_calls(&init.expr, tail),
        syn::Stmt::Expr(expr, _) => expr_calls(expr, tail),
        _ => false,
    }
}

fn expr_calls(expr: &syn::Expr, tail: &[&str]) -> bool {
    match expr {
        syn::Expr::Call(call) => {
            is_path(&call.func, tail) || call.args.iter().any(|arg| expr_calls(arg, tail))
        }
        syn::Expr::MethodCall(call) => {
            expr_calls(&call.receiver, tail) || call.args.iter().any(|arg| expr_calls(arg, tail))
        }
        syn::Expr::Await(awaited) => expr_calls(&awaited.base, tail),
        syn::Expr::Try(tried) => expr_calls(&tried.expr, tail),
        syn::Expr::Paren(inner) => expr_calls(&inner.expr, tail),
        syn::Expr::Match(matched) => matched.arms.iter().any(|arm| expr_calls(&arm.body, tail)),
        syn::Expr::Block(block) => block.block.stmts.iter().any(|stmt| stmt_calls(stmt, tail)),
        _ => false,
    }
}

/// `T` in progenitor's `Result<ResponseValue<T>, Error<…>>`.
fn success_type(output: &syn::ReturnType) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, result) = output else { return None };
    let argument = |ty: &syn::Type, outer: &str| -> Option<syn::Type> {
        let syn::Type::Path(path) = ty else { return None };
        let last = path.path.segments.last()?;
        let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else { return None };
        match arguments.args.first()? {
            syn::GenericArgument::Type(inner) if last.ident == outer => Some(inner.clone()),
            _ => None,
        }
    };
    argument(&argument(result, "Result")?, "ResponseValue")
}

/// Takes progenitor's `Error` and `ResponseValue` out of what the generated module re-exports:
/// no operation returns them any more, and `generated::Error` beside the SDK's would mislead.
fn without_progenitor_results(file: &mut syn::File) {
    for item in &mut file.items {
        let syn::Item::Use(used) = item else { continue };
        if !matches!(used.vis, syn::Visibility::Public(_)) {
            continue;
        }
        let syn::UseTree::Path(path) = &mut used.tree else { continue };
        let syn::UseTree::Group(group) = &mut *path.tree else { continue };
        let kept = std::mem::take(&mut group.items).into_iter().filter(|tree| {
            !matches!(tree, syn::UseTree::Name(name) if name.ident == "Error" || name.ident == "ResponseValue")
        });
        group.items = kept.collect();
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::testing::{HEADER, flat, generate_from};

    #[test]
    fn operations_end_in_the_sdks_executor_and_result() {
        let document = format!(
            "{HEADER}paths:\n  /a:\n    get:\n      operationId: get_a\n      responses:\n        \
             '200': {{description: ok, content: {{application/json: {{schema: {{type: string}}}}}}}}\n    \
             delete:\n      operationId: delete_a\n      responses: {{'204': {{description: none}}}}\n"
        );
        let code = generate_from("executor", &document).unwrap();
        let flat = flat(&code);
        assert!(flat.contains("->Result<::std::string::String,crate::Error>{"), "{code}");
        assert!(flat.contains("->Result<(),crate::Error>{"), "{code}");
        assert!(
            flat.contains(
                "crate::execute::json(&self.client,&self.inner,request,\
                 &crate::execute::Operation{id:\"get_a\",repeatable:true,},).await"
            ),
            "{code}"
        );
        assert!(flat.contains("crate::execute::empty(&self.client,&self.inner,request,"), "{code}");
        assert!(
            flat.contains(
                "pubconstOPERATIONS:&[crate::execute::Operation]=&[crate::execute::Operation{id:\
                 \"get_a\",repeatable:true,},crate::execute::Operation{id:\"delete_a\",\
                 repeatable:true,},];"
            ),
            "{code}"
        );
        // Nothing of progenitor's results, hooks or operation names is left to call.
        for gone in
            ["ResponseValue", "Error<", "OperationInfo {", "self.exec(", "self.pre(", "self.post("]
        {
            assert!(!code.contains(gone), "{gone}: {code}");
        }
        assert!(code.contains("pub use progenitor_client::{ByteStream, ClientInfo};"), "{code}");
        assert_eq!(code.matches("operation_id").count(), 0, "{code}");
    }

    #[test]
    fn a_statement_is_recognised_by_its_shape_not_its_spelling() {
        let named: syn::Stmt = syn::parse_quote!(let info = OperationInfo { operation_id: "x" };);
        assert_eq!(super::names_the_operation(&named), Some(Some("x".to_owned())));
        let other: syn::Stmt = syn::parse_quote!(let info = Other { operation_id: "x" };);
        assert_eq!(super::names_the_operation(&other), None);
        let exec: syn::Stmt = syn::parse_quote!(let result = self.exec(request, &info).await;);
        assert!(super::executes(&exec));
        // The same statement printed differently is the same tree.
        let spaced: syn::Stmt =
            syn::parse_quote!(let result = self . exec ( request , & info ) . await ;);
        assert!(super::executes(&spaced));
        let other: syn::Stmt = syn::parse_quote!(let result = self.exec(request).await;);
        assert!(!super::executes(&other));
    }
}
