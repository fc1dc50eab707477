//! Which operations may be repeated after a failure, by their method and the document's
//! `x-never-retry` marks.

use std::collections::BTreeMap;

use openapiv3::{OpenAPI, ReferenceOr};

/// The extension that marks an operation as never to be repeated, with the reason, where its
/// method alone would allow it (a GET that creates a token).
const NEVER_RETRY: &str = "x-never-retry";

/// Whether each operation (by `operationId`) may be repeated after a failure: GET, HEAD, PUT
/// and DELETE may, unless marked [`NEVER_RETRY`]; every other method never is.
///
/// Fails on a mark without a reason, so that each one says why it is there.
pub fn repeatable_operations(spec: &OpenAPI) -> Result<BTreeMap<String, bool>, String> {
    let mut repeatable = BTreeMap::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, operation) in item.iter() {
            let Some(id) = &operation.operation_id else { continue };
            let marked = match operation.extensions.get(NEVER_RETRY) {
                None => false,
                Some(reason) if reason.as_str().is_some_and(|r| !r.trim().is_empty()) => true,
                Some(_) => {
                    return Err(format!("{method} {path}: `{NEVER_RETRY}` must give the reason"));
                }
            };
            let idempotent = matches!(method, "get" | "head" | "put" | "delete");
            repeatable.insert(id.clone(), idempotent && !marked);
        }
    }
    Ok(repeatable)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{HEADER, flat, generate_from};

    /// `operationId: op` under `/a` as each method, in a document of its own: whether its call
    /// and the document's table of operations say it may be repeated.
    fn repeatable(method: &str, mark: &str) -> Result<bool, String> {
        let document = format!(
            "{HEADER}paths:\n  /a:\n    {method}:\n      operationId: op\n{mark}      \
             responses: {{'204': {{description: none}}}}\n"
        );
        let code = flat(&generate_from(&format!("repeatable-{method}"), &document)?);
        match (code.matches("repeatable:true").count(), code.matches("repeatable:false").count()) {
            (2, 0) => Ok(true),
            (0, 2) => Ok(false),
            _ => Err(code),
        }
    }

    #[test]
    fn only_idempotent_methods_are_repeatable_unless_the_document_says_never() {
        for method in ["get", "head", "put", "delete"] {
            assert_eq!(repeatable(method, ""), Ok(true), "{method}");
            let mark = "      x-never-retry: each call creates a token\n";
            assert_eq!(repeatable(method, mark), Ok(false), "{method}");
        }
        for method in ["post", "patch", "options"] {
            assert_eq!(repeatable(method, ""), Ok(false), "{method}");
        }
        let error = repeatable("get", "      x-never-retry: ''\n").unwrap_err();
        assert_eq!(error, "get /a: `x-never-retry` must give the reason");
        let error = repeatable("get", "      x-never-retry: true\n").unwrap_err();
        assert!(error.contains("must give the reason"), "{error}");
    }

    /// Insight.io's side-effect GETs are marked in its document; taking the marks out makes
    /// them repeatable, as any GET.
    #[test]
    fn the_insight_documents_marks_decide_what_is_repeated() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk/openapi/insight.yaml");
        let marked = std::fs::read_to_string(&path).unwrap();
        let flags = |document: &str| {
            let code = flat(&generate_from("insight-marks", document).unwrap());
            ["create_api_token", "revoke_api_token", "revoke_token", "list_tokens"].map(|id| {
                let at = code.find(&format!("id:\"{id}\",repeatable:")).unwrap();
                code[at..].split(':').nth(2).unwrap().starts_with("true")
            })
        };
        assert_eq!(flags(&marked), [false, false, false, true]);
        let mut unmarked = String::new();
        let mut lines = marked.lines().peekable();
        while let Some(line) = lines.next() {
            if line.trim_start().starts_with("x-never-retry:") {
                // A folded reason goes on over the lines indented deeper.
                let depth = line.len() - line.trim_start().len();
                while lines.peek().is_some_and(|next| next.len() - next.trim_start().len() > depth)
                {
                    lines.next();
                }
                continue;
            }
            unmarked.push_str(line);
            unmarked.push('\n');
        }
        assert_eq!(flags(&unmarked), [true, true, true, true]);
    }
}
