//! `channel!`: parse → validate → expand.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

use crate::errors::Errors;

pub(crate) fn channel(input: TokenStream) -> TokenStream {
    let decl: parse::ChannelDecl = match syn::parse2(input) {
        Ok(decl) => decl,
        Err(error) => return error.into_compile_error(),
    };
    let mut errors = Errors::default();
    let valid = validate::channel(&decl, &mut errors);
    match (errors.finish(), valid) {
        (Ok(()), Some(valid)) => expand::channel(&decl, &valid),
        (Err(error), _) => {
            // Also declare the types, empty, so that code using them does not
            // add "cannot find type" noise to the real error.
            let mut tokens = error.into_compile_error();
            tokens.extend(expand::stubs(&decl));
            tokens
        }
        (Ok(()), None) => unreachable!("validation without errors yields a channel"),
    }
}
