//! Parse `channel!`'s input into a typed AST that keeps every span:
//!
//! ```text
//! #[attrs] vis Name(option = value, ...) { #[attrs] name: Type, name: [Type; N], ... }
//! ```

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{braced, bracketed, parenthesized, Attribute, Expr, Ident, Token, Type, Visibility};

pub(crate) struct ChannelDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    pub(crate) options: Punctuated<ChannelOption, Token![,]>,
    pub(crate) entries: Punctuated<Entry, Token![,]>,
}

/// `key = value` inside the parentheses.
pub(crate) struct ChannelOption {
    pub(crate) key: Ident,
    pub(crate) value: Expr,
}

/// `name: Type` or `name: [Type; N]`, with its attributes.
pub(crate) struct Entry {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) ty: Type,
    /// A group written `Type[N]`: reported, and read as `[Type; N]` so the
    /// rest of the declaration is still checked.
    pub(crate) misspelt_group: Option<syn::Error>,
}

impl Parse for ChannelDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let name: Ident = input.parse()?;
        if !input.peek(syn::token::Paren) {
            return Err(syn::Error::new(
                input.span(),
                format!("expected `(capacity = N)` after `{name}`, e.g. `{name}(capacity = 4096) {{ .. }}`"),
            ));
        }
        let content;
        parenthesized!(content in input);
        let options = content.parse_terminated(ChannelOption::parse, Token![,])?;
        let content;
        braced!(content in input);
        let entries = content.parse_terminated(Entry::parse, Token![,])?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the channel declaration"));
        }
        Ok(ChannelDecl {
            attrs,
            vis,
            name,
            options,
            entries,
        })
    }
}

impl Parse for ChannelOption {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = input.parse()?;
        input.parse::<Token![=]>()?;
        let value = input.parse()?;
        Ok(ChannelOption { key, value })
    }
}

impl Parse for Entry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        let mut ty: Type = input.parse()?;
        let mut misspelt_group = None;
        if input.peek(syn::token::Bracket) {
            let content;
            let bracket = bracketed!(content in input);
            let len: Expr = content.parse()?;
            let (elem, size) = (source(&ty), source(&len));
            let hint = format!("a producer group is written `[{elem}; {size}]`, not `{elem}[{size}]`");
            misspelt_group = Some(syn::Error::new(bracket.span.join(), hint));
            ty = Type::Array(syn::TypeArray {
                bracket_token: bracket,
                elem: Box::new(ty),
                semi_token: Token![;](bracket.span.join()),
                len,
            });
        }
        Ok(Entry {
            attrs,
            name,
            ty,
            misspelt_group,
        })
    }
}

/// Tokens as a user would write them: `Vec<u8>`, not `Vec < u8 >`.
fn source(tokens: &impl quote::ToTokens) -> String {
    let text = tokens.to_token_stream().to_string();
    [
        (" :: ", "::"),
        (":: ", "::"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
    ]
    .iter()
    .fold(text, |text, (from, to)| text.replace(from, to))
}
