//! Expand: assumes a validated message and produces tokens only.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Field};

use super::parse::{strip_field_attrs, FieldPlan, Message, Storage};

/// The item with its collections boxed, plus the trait impl and checks.
pub(crate) fn attribute(input: &mut DeriveInput, message: &Message) -> TokenStream {
    for plan in message.fields.iter().filter(|p| p.storage == Storage::Boxed) {
        if let Some(field) = field_mut(&mut input.data, plan) {
            let ty = &field.ty;
            // Spanned at the field, so that lints and errors about it point
            // there, not at the attribute. Boxing a collection is the point.
            field.ty = syn::parse_quote_spanned!(ty.span()=> ::std::boxed::Box<#ty>);
            field
                .attrs
                .push(syn::parse_quote!(#[allow(clippy::box_collection)]));
        }
    }
    strip_field_attrs(input);
    let checks = derive(input, message);
    quote!(#input #checks)
}

/// The field a plan was made for.
fn field_mut<'a>(data: &'a mut Data, plan: &FieldPlan) -> Option<&'a mut Field> {
    let fields = match (data, plan.variant) {
        (Data::Struct(s), None) => &mut s.fields,
        (Data::Enum(e), Some(v)) => &mut e.variants.iter_mut().nth(v)?.fields,
        _ => return None,
    };
    fields.iter_mut().nth(plan.index)
}

/// The `RingMessage` impl and the compile-time layout check.
pub(crate) fn derive(input: &DeriveInput, message: &Message) -> TokenStream {
    let ident = &input.ident;
    let name = ident.to_string();
    let boxed_fields = boxed_fields(message);
    // Inline fields only: a boxed one is a pointer, already the remedy.
    let sizes = message
        .fields
        .iter()
        .filter(|f| f.storage == Storage::Inline)
        .enumerate()
        .map(|(i, f)| {
            let (label, ty) = (&f.label, &f.ty);
            let size = quote!(::core::option::Option::Some((#label, ::core::mem::size_of::<#ty>())));
            gated(
                &f.cfg,
                &format_ident!("__FIELD_{}", i),
                &quote!(::ringmpsc::__private::FieldSize),
                size,
            )
        });
    let (max_size, max_align) = (message.max_size(), message.max_align());
    // Spanned at the type's name: that is where the errors point. The panic
    // is in our own `const`, so the error has no frames of library code.
    quote_spanned! {ident.span()=>
        impl ::ringmpsc::RingMessage for #ident {
            const SIZE: usize = ::core::mem::size_of::<Self>();
            const ALIGN: usize = ::core::mem::align_of::<Self>();
            const BOXED_FIELDS: &'static [&'static str] = #boxed_fields;
        }

        const _: () = if let ::core::option::Option::Some(error) = ::ringmpsc::__private::layout_error(
            #name,
            ::core::mem::size_of::<#ident>(),
            ::core::mem::align_of::<#ident>(),
            #max_size,
            #max_align,
            &[#(#sizes),*],
        ) {
            ::core::panic!("{}", error.as_str())
        };
    }
}

/// `BOXED_FIELDS`: a plain list, or, when `#[cfg]` gates some of them, a
/// list built at compile time from the fields that exist.
fn boxed_fields(message: &Message) -> TokenStream {
    let boxed: Vec<_> = message
        .fields
        .iter()
        .filter(|f| f.storage != Storage::Inline)
        .collect();
    if boxed.iter().all(|f| f.cfg.is_empty()) {
        let labels = boxed.iter().map(|f| &f.label);
        return quote!(&[#(#labels),*]);
    }
    let count = boxed.len();
    let each = boxed.iter().enumerate().map(|(i, f)| {
        let label = &f.label;
        gated(
            &f.cfg,
            &format_ident!("__BOXED_{}", i),
            &quote!(::core::option::Option<&'static str>),
            quote!(::core::option::Option::Some(#label)),
        )
    });
    quote!({
        const ALL: [::core::option::Option<&'static str>; #count] = [#(#each),*];
        const LEN: usize = ::ringmpsc::__private::count_present(&ALL);
        const PRESENT: [&'static str; LEN] = ::ringmpsc::__private::keep_present(&ALL);
        &PRESENT
    })
}

/// `value` when the `#[cfg]` predicates hold, else `None`: a block of two
/// gated `const` items named `name`, since `#[cfg]` cannot gate an
/// expression.
fn gated(cfg: &[TokenStream], name: &syn::Ident, ty: &TokenStream, value: TokenStream) -> TokenStream {
    if cfg.is_empty() {
        return value;
    }
    quote!({
        #[cfg(all(#(#cfg),*))]
        const #name: #ty = #value;
        #[cfg(not(all(#(#cfg),*)))]
        const #name: #ty = ::core::option::Option::None;
        #name
    })
}
