//! Validate: what the message macros reject. Produces no tokens.

use syn::{Data, DeriveInput};

use super::parse::Message;
use super::Flavor;
use crate::errors::Errors;

pub(crate) fn message(input: &DeriveInput, message: &Message, errors: &mut Errors) {
    let macro_name = match message.flavor {
        Flavor::Attribute => "#[ring_message]",
        Flavor::Derive => "#[derive(RingMessage)]",
    };
    if let Data::Union(u) = &input.data {
        errors.spanned(
            u.union_token,
            format!("`{macro_name}` does not support unions: which field is live cannot be known, so it cannot cross threads safely"),
        );
    }
    let ident = &input.ident;
    if let Some(lifetime) = input.generics.lifetimes().next() {
        let lifetime = &lifetime.lifetime;
        errors.spanned(
            lifetime,
            format!("ring messages must own their data: `{ident}` borrows for `{lifetime}`, but a message outlives the code that sent it; use owned types (`String`, `Vec<T>`, `Box<T>`, `Arc<T>`) instead of references"),
        );
    } else if !input.generics.params.is_empty() {
        errors.spanned(
            &input.generics,
            format!("`{macro_name}` does not support generic types: the size of `{ident}` depends on its parameters and cannot be checked at its declaration"),
        );
    }
    if let Some((align, lit)) = &message.options.max_align {
        if !align.is_power_of_two() {
            errors.spanned(lit, format!("`max_align = {align}` is not a power of two"));
        }
    }
    if let Some((0, lit)) = &message.options.max_size {
        errors.spanned(lit, "`max_size = 0` leaves no room for any message");
    }
}
