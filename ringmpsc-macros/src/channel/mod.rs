//! `channel!`: parse → validate → expand.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

pub(crate) fn channel(input: TokenStream) -> TokenStream {
    let decl: parse::ChannelDecl = match syn::parse2(input) {
        Ok(decl) => decl,
        Err(error) => return error.into_compile_error(),
    };
    match validate::channel(&decl) {
        Ok(valid) => expand::channel(&decl, &valid),
        Err(error) => {
            // Also declare the types, empty, so that code using them does not
            // add "cannot find type" noise to the real error.
            let mut tokens = error.into_compile_error();
            tokens.extend(expand::stubs(&decl));
            tokens
        }
    }
}
