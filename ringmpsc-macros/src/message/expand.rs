//! Expand: assumes a validated message and produces tokens only.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Data, DeriveInput, Field};

use super::parse::{strip_field_attrs, FieldPlan, Message, Storage};

/// The item with its collections boxed, plus the trait impl and checks.
pub(crate) fn attribute(input: &mut DeriveInput, message: &Message) -> TokenStream {
    for plan in message.fields.iter().filter(|p| p.storage == Storage::Boxed) {
        if let Some(field) = field_mut(&mut input.data, plan) {
            let ty = &field.ty;
            field.ty = syn::parse_quote!(::std::boxed::Box<#ty>);
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
