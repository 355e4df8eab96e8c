//! Expand: assumes a validated message and produces tokens only.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Data, DeriveInput, Fields};

use super::parse::{strip_field_attrs, Message, Storage};

/// The item with its collections boxed, plus the trait impl and checks.
pub(crate) fn attribute(input: &mut DeriveInput, message: &Message) -> TokenStream {
    let mut plans = message.fields.iter();
    let mut rewrite = |fields: &mut Fields| {
        for field in fields.iter_mut() {
            let plan = plans.next().expect("one plan per field");
            if plan.storage == Storage::Boxed {
                let ty = &field.ty;
                field.ty = syn::parse_quote!(::std::boxed::Box<#ty>);
            }
        }
    };
    match &mut input.data {
        Data::Struct(s) => rewrite(&mut s.fields),
        Data::Enum(e) => e.variants.iter_mut().for_each(|v| rewrite(&mut v.fields)),
        Data::Union(_) => unreachable!("rejected by validation"),
    }
    strip_field_attrs(input);
    let checks = derive(input, message);
    quote!(#input #checks)
}

/// The `RingMessage` impl and the compile-time layout check.
pub(crate) fn derive(input: &DeriveInput, message: &Message) -> TokenStream {
    let ident = &input.ident;
    let name = ident.to_string();
    let boxed = message
        .fields
        .iter()
        .filter(|f| f.storage != Storage::Inline)
        .map(|f| &f.label);
    let (max_size, max_align) = (message.max_size(), message.max_align());
    // Spanned at the type's name: that is where the errors point.
    quote_spanned! {ident.span()=>
        impl ::ringmpsc::RingMessage for #ident {
            const SIZE: usize = ::core::mem::size_of::<Self>();
            const ALIGN: usize = ::core::mem::align_of::<Self>();
            const BOXED_FIELDS: &'static [&'static str] = &[#(#boxed),*];
        }

        const _: () = ::ringmpsc::__private::check_layout(
            #name,
            ::core::mem::size_of::<#ident>(),
            ::core::mem::align_of::<#ident>(),
            #max_size,
            #max_align,
        );
    }
}
