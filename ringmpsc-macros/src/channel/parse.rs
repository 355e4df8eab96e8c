//! Parse `channel!`'s input into a typed AST that keeps every span:
//!
//! ```text
//! #[attrs] vis Name(option = value, ...) { #[attrs] name: Type, name: [Type; N], ... }
//! ```

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{braced, parenthesized, Attribute, Expr, Ident, Token, Type, Visibility};

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

/// `name: Type` or `name: [Type; N]`, with its doc comments.
pub(crate) struct Entry {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) ty: Type,
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
        let ty = input.parse()?;
        Ok(Entry { attrs, name, ty })
    }
}
