//! Changes to what progenitor writes where no setting can: each rewrite finds its place by the
//! shape of the syntax tree (paths, method names, argument patterns) and fails with the reason
//! if progenitor's output no longer has that shape, rather than leaving it as it was.

mod api_version;
mod executor;
mod json_schema;
mod path_segments;

use std::collections::BTreeMap;

/// Every rewrite, in order; `repeatable` says which operations may be repeated
/// ([`retries`](super::retries)).
pub fn apply(file: &mut syn::File, repeatable: &BTreeMap<String, bool>) -> Result<(), String> {
    json_schema::behind_its_feature(file)?;
    api_version::removed(file)?;
    executor::for_every_operation(file, repeatable)
}

/// The methods of the generated code's `impl` blocks: its operations, among others.
fn methods(file: &mut syn::File) -> impl Iterator<Item = &mut syn::ImplItemFn> {
    let items = file.items.iter_mut().filter_map(|item| match item {
        syn::Item::Impl(block) => Some(block.items.iter_mut()),
        _ => None,
    });
    items.flatten().filter_map(|item| match item {
        syn::ImplItem::Fn(method) => Some(method),
        _ => None,
    })
}

/// Whether `path`'s last segments are `tail` (`["ResponseValue", "empty"]` matches
/// `progenitor_client::ResponseValue::empty`).
fn ends_with(path: &syn::Path, tail: &[&str]) -> bool {
    path.segments.len() >= tail.len()
        && path
            .segments
            .iter()
            .rev()
            .zip(tail.iter().rev())
            .all(|(segment, name)| segment.ident == name)
}

/// Whether `expr` is the path `tail` ends, e.g. a variable (`["request"]`) or `self`.
fn is_path(expr: &syn::Expr, tail: &[&str]) -> bool {
    matches!(expr, syn::Expr::Path(path) if ends_with(&path.path, tail))
}

/// Whether `expr` is the string literal `text`.
fn is_str(expr: &syn::Expr, text: &str) -> bool {
    matches!(expr, syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(lit), .. }) if lit.value() == text)
}

/// Whether `tokens` hold the identifier `name` anywhere, in a macro's arguments too.
fn mentions(tokens: proc_macro2::TokenStream, name: &str) -> bool {
    tokens.into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) => ident == name,
        proc_macro2::TokenTree::Group(group) => mentions(group.stream(), name),
        _ => false,
    })
}
