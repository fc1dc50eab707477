//! Reading a document: YAML into openapiv3's model, and the responses progenitor is shown.

use std::path::Path;

use openapiv3::{OpenAPI, ReferenceOr, StatusCode};

use super::yaml;

/// The OpenAPI 3.0 document in the YAML file at `path`.
pub fn read(path: &Path) -> Result<OpenAPI, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    yaml::read(&text)
        .and_then(|node| serde::Deserialize::deserialize(node).map_err(|e| e.to_string()))
        .map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))
}

/// Drops every response but the 2xx ones.
///
/// The documents describe the vendors' error responses for their readers, but progenitor panics
/// on operations whose responses have more than one shape and loses the status when an error
/// body does not match its schema. Without them, every other status reaches the SDK's response
/// mapper untouched, with its status and body.
pub fn keep_only_success_responses(spec: &mut OpenAPI) {
    for item in spec.paths.paths.values_mut() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses;
            responses.default = None;
            responses.responses.retain(|status, _| match status {
                StatusCode::Code(code) => (200..300).contains(code),
                StatusCode::Range(range) => *range == 2,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{generate_from, one_operation};

    #[test]
    fn error_responses_of_several_shapes_are_dropped_before_generation() {
        // progenitor alone panics on a JSON 401 next to an empty 404.
        let document = one_operation(&[
            "'200': {description: ok, content: {application/json: {schema: {type: string}}}}",
            "'401': {description: no, content: {application/json: {schema: {type: integer}}}}",
            "'404': {description: gone}",
            "default: {description: other, content: {text/html: {schema: {type: string}}}}",
        ]);
        let code = generate_from("errors", &document).unwrap();
        assert!(code.contains("Result<::std::string::String, crate::Error>"), "{code}");
    }
}
