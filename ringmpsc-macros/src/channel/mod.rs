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
    // Expanded also after an error, with usable values in place of the bad
    // ones, so code using the channel compiles and the error is the only one.
    let (plan, checked) = validate::channel(&decl);
    let mut tokens = expand::channel(&decl, &plan);
    if let Err(error) = checked {
        tokens.extend(error.into_compile_error());
    }
    tokens
}
