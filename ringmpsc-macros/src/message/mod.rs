//! `#[ring_message]` and `#[derive(RingMessage)]`.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;

/// Which macro is running: the attribute rewrites fields, the derive does not.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Attribute,
    Derive,
}

pub(crate) fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut input: syn::DeriveInput = match syn::parse2(item.clone()) {
        Ok(input) => input,
        Err(_) => {
            let error = syn::Error::new_spanned(&item, "`#[ring_message]` applies to a struct or an enum");
            // Keep the item so one mistake does not cascade into others.
            let error = error.into_compile_error();
            return quote!(#error #item);
        }
    };
    let mut errors = Errors::default();
    let options = parse::options_from_args(args, &mut errors);
    let message = parse::message(&input, Flavor::Attribute, options, &mut errors);
    validate::message(&input, &message, &mut errors);
    match errors.finish(()) {
        Ok(()) => expand::attribute(&mut input, &message),
        Err(error) => {
            // Emit the item without our field attributes, plus the errors.
            parse::strip_field_attrs(&mut input);
            let error = error.into_compile_error();
            quote!(#error #input)
        }
    }
}

pub(crate) fn derive(item: TokenStream) -> TokenStream {
    let input: syn::DeriveInput = match syn::parse2(item) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let mut errors = Errors::default();
    let options = parse::options_from_attrs(&input.attrs, &mut errors);
    let message = parse::message(&input, Flavor::Derive, options, &mut errors);
    validate::message(&input, &message, &mut errors);
    match errors.finish(()) {
        Ok(()) => expand::derive(&input, &message),
        Err(error) => error.into_compile_error(),
    }
}
