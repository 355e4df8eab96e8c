//! Parse: the options, and for each field how it is stored. Produces no
//! tokens; every problem goes to the error collector with its span.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::{Attribute, Data, DeriveInput, Fields, LitInt, Token, Type};

use super::Flavor;
use crate::errors::Errors;

/// Default and largest-allowed slot limits.
pub(crate) const DEFAULT_MAX_SIZE: usize = 128;
pub(crate) const DEFAULT_MAX_ALIGN: usize = 128;

/// `max_size = N, max_align = N`, each with the span of its value.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) max_size: Option<(usize, LitInt)>,
    pub(crate) max_align: Option<(usize, LitInt)>,
}

/// How a field is stored in the slot.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Storage {
    /// As declared.
    Inline,
    /// Rewritten to `Box<T>` (auto-boxed collection or `#[ring(boxed)]`).
    Boxed,
    /// Declared as `Box<T>` already.
    AlreadyBoxed,
}

pub(crate) struct FieldPlan {
    /// Where the field is: its variant's index (`None` in a struct) and
    /// its index among that variant's (or struct's) fields.
    pub(crate) variant: Option<usize>,
    pub(crate) index: usize,
    /// `field`, `0`, or `Variant.field`.
    pub(crate) label: String,
    pub(crate) storage: Storage,
    /// The field's type as declared.
    pub(crate) ty: Type,
    /// The `#[cfg(..)]` predicates of the field and of its variant: the
    /// field exists when all hold.
    pub(crate) cfg: Vec<TokenStream>,
}

pub(crate) struct Message {
    pub(crate) flavor: Flavor,
    pub(crate) options: Options,
    /// One per field, in declaration order (variants in order for enums).
    pub(crate) fields: Vec<FieldPlan>,
}

impl Message {
    pub(crate) fn max_size(&self) -> usize {
        self.options
            .max_size
            .as_ref()
            .map_or(DEFAULT_MAX_SIZE, |(v, _)| *v)
    }
    pub(crate) fn max_align(&self) -> usize {
        self.options
            .max_align
            .as_ref()
            .map_or(DEFAULT_MAX_ALIGN, |(v, _)| *v)
    }
}

/// Options of the attribute form: `#[ring_message(max_size = 64)]`.
pub(crate) fn options_from_args(args: TokenStream, errors: &mut Errors) -> Options {
    let mut options = Options::default();
    let parser = syn::meta::parser(|meta| parse_option(meta, &mut options, errors));
    if let Err(error) = parser.parse2(args) {
        errors.push(error);
    }
    options
}

/// Options of the derive form: a `#[ring_message(...)]` helper attribute.
pub(crate) fn options_from_attrs(attrs: &[Attribute], errors: &mut Errors) -> Options {
    let mut options = Options::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("ring_message")) {
        if matches!(attr.meta, syn::Meta::Path(_)) {
            continue;
        }
        if let Err(error) = attr.parse_nested_meta(|meta| parse_option(meta, &mut options, errors)) {
            errors.push(error);
        }
    }
    options
}

fn parse_option(
    meta: syn::meta::ParseNestedMeta<'_>,
    options: &mut Options,
    errors: &mut Errors,
) -> syn::Result<()> {
    let slot = if meta.path.is_ident("max_size") {
        &mut options.max_size
    } else if meta.path.is_ident("max_align") {
        &mut options.max_align
    } else {
        let name = ident_name(&meta.path);
        errors.spanned(
            &meta.path,
            format!("unknown option `{name}` in `#[ring_message]`, expected `max_size` or `max_align`"),
        );
        // Skip its value, if any, and go on with the next option.
        if meta.input.peek(Token![=]) {
            meta.value()?.parse::<syn::Expr>()?;
        }
        return Ok(());
    };
    let name = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
    let lit: LitInt = meta.value()?.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("`{name}` expects an integer literal, e.g. `{name} = 128`"),
        )
    })?;
    let value = lit.base10_parse::<usize>()?;
    if slot.is_some() {
        errors.spanned(
            &meta.path,
            format!("duplicate option `{name}` in `#[ring_message]`"),
        );
    }
    *slot = Some((value, lit));
    Ok(())
}

/// The storage plan of every field.
pub(crate) fn message(input: &DeriveInput, flavor: Flavor, options: Options, errors: &mut Errors) -> Message {
    let mut fields = Vec::new();
    let mut plan = |variant: Option<(usize, &syn::Variant)>, all: &Fields, errors: &mut Errors| {
        for (index, field) in all.iter().enumerate() {
            let name = field
                .ident
                .as_ref()
                .map_or_else(|| index.to_string(), ToString::to_string);
            let label = match variant {
                Some((_, variant)) => format!("{}.{name}", variant.ident),
                None => name,
            };
            let storage = field_storage(field, flavor, errors);
            let mut cfg = variant.map(|(_, v)| cfg_predicates(&v.attrs)).unwrap_or_default();
            cfg.extend(cfg_predicates(&field.attrs));
            fields.push(FieldPlan {
                variant: variant.map(|(v, _)| v),
                index,
                label,
                storage,
                ty: field.ty.clone(),
                cfg,
            });
        }
    };
    match &input.data {
        Data::Struct(s) => plan(None, &s.fields, errors),
        Data::Enum(e) => {
            for (v, variant) in e.variants.iter().enumerate() {
                plan(Some((v, variant)), &variant.fields, errors);
            }
        }
        // Rejected by validation.
        Data::Union(_) => {}
    }
    Message {
        flavor,
        options,
        fields,
    }
}

/// The predicates of the `#[cfg(..)]` attributes among `attrs`.
pub(crate) fn cfg_predicates(attrs: &[Attribute]) -> Vec<TokenStream> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .filter_map(|a| a.meta.require_list().ok().map(|list| list.tokens.clone()))
        .collect()
}

/// `#[cfg_attr(pred, ring(..))]`: the attribute runs before `cfg_attr` is
/// resolved, so it would never see the option.
fn ring_under_cfg_attr(attr: &Attribute) -> bool {
    if !attr.path().is_ident("cfg_attr") {
        return false;
    }
    let Ok(list) = attr.meta.require_list() else {
        return false;
    };
    let parsed =
        syn::punctuated::Punctuated::<syn::Meta, Token![,]>::parse_terminated.parse2(list.tokens.clone());
    parsed.is_ok_and(|metas| metas.iter().skip(1).any(|m| m.path().is_ident("ring")))
}

/// Reads `#[ring(boxed)]` / `#[ring(inline)]` and decides the storage.
fn field_storage(field: &syn::Field, flavor: Flavor, errors: &mut Errors) -> Storage {
    for attr in field.attrs.iter().filter(|a| ring_under_cfg_attr(a)) {
        errors.spanned(
            attr,
            "`#[ring(..)]` cannot be put under `cfg_attr`: the storage of a field is decided before `cfg` is evaluated; write `#[ring(boxed)]` or `#[ring(inline)]` directly, or gate the whole field with `#[cfg(..)]`",
        );
    }
    let mut boxed: Option<Span> = None;
    let mut inline: Option<Span> = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("ring")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("boxed") {
                boxed = Some(attr.path().get_ident().map_or_else(Span::call_site, |i| i.span()));
            } else if meta.path.is_ident("inline") {
                inline = Some(attr.path().get_ident().map_or_else(Span::call_site, |i| i.span()));
            } else {
                let name = ident_name(&meta.path);
                errors.spanned(
                    &meta.path,
                    format!("unknown field option `{name}`, expected `#[ring(boxed)]` or `#[ring(inline)]`"),
                );
            }
            Ok(())
        });
        if let Err(error) = result {
            errors.push(error);
        }
        if boxed.is_some() && inline.is_some() {
            errors.spanned(
                attr,
                "conflicting field attributes: `#[ring(boxed)]` and `#[ring(inline)]` on the same field",
            );
            return Storage::Inline;
        }
    }
    if is_box(&field.ty) {
        return Storage::AlreadyBoxed;
    }
    if boxed.is_some() {
        if flavor == Flavor::Derive {
            errors.spanned(
                &field.ty,
                "`#[ring(boxed)]` needs `#[ring_message]`: `#[derive(RingMessage)]` does not rewrite fields",
            );
        }
        return Storage::Boxed;
    }
    if inline.is_none() && flavor == Flavor::Attribute && is_collection(&field.ty) {
        return Storage::Boxed;
    }
    Storage::Inline
}

/// The name of a one-segment path, for messages.
fn ident_name(path: &syn::Path) -> String {
    path.get_ident()
        .map_or_else(|| "?".to_owned(), ToString::to_string)
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

/// A variable-size collection, in any path form (`HashMap<..>`,
/// `std::collections::HashMap<..>`, `::std::collections::hash_map::HashMap<..>`).
pub(crate) fn is_collection(ty: &Type) -> bool {
    const COLLECTIONS: [&str; 6] = [
        "HashMap",
        "BTreeMap",
        "HashSet",
        "BTreeSet",
        "VecDeque",
        "LinkedList",
    ];
    last_segment(ty).is_some_and(|s| COLLECTIONS.iter().any(|c| s.ident == c))
}

fn is_box(ty: &Type) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == "Box")
}

/// Removes our `#[ring(..)]` field attributes (the compiler does not know
/// them), also those under `cfg_attr` (already reported).
pub(crate) fn strip_field_attrs(input: &mut DeriveInput) {
    let ours = |a: &Attribute| a.path().is_ident("ring") || ring_under_cfg_attr(a);
    let strip = |fields: &mut Fields| {
        for field in fields.iter_mut() {
            field.attrs.retain(|a| !ours(a));
        }
    };
    match &mut input.data {
        Data::Struct(s) => strip(&mut s.fields),
        Data::Enum(e) => e.variants.iter_mut().for_each(|v| strip(&mut v.fields)),
        Data::Union(u) => {
            for field in u.fields.named.iter_mut() {
                field.attrs.retain(|a| !ours(a));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collections_in_any_path_form() {
        for src in [
            "HashMap<String, u8>",
            "std::collections::HashMap<K, V>",
            "::std::collections::hash_map::HashMap<K, V, S>",
            "collections::BTreeSet<u8>",
            "VecDeque<u8>",
            "LinkedList<u8>",
            "BTreeMap<u8, u8>",
            "HashSet<u8>",
        ] {
            let ty: Type = syn::parse_str(src).unwrap();
            assert!(is_collection(&ty), "{src}");
        }
        for src in [
            "Vec<u8>",
            "String",
            "Box<HashMap<u8, u8>>",
            "Option<HashMap<u8, u8>>",
            "[u8; 4]",
        ] {
            let ty: Type = syn::parse_str(src).unwrap();
            assert!(!is_collection(&ty), "{src}");
        }
    }
}
