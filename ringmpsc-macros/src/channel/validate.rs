//! Validate a parsed `channel!`: every problem becomes a spanned error, and
//! the declaration becomes a plan that always expands to valid code (bad
//! values replaced by usable ones), so the error is the only one the user
//! sees. Produces no tokens.

use std::collections::HashSet;

use proc_macro2::TokenStream;
use syn::{Attribute, Expr, ExprLit, Lit, Type};

use super::parse::{ChannelDecl, Entry};
use crate::errors::Errors;

/// Capacity limits: the runtime's `ring_bits` range 1..=20.
pub(crate) const MIN_CAPACITY: usize = 2;
pub(crate) const MAX_CAPACITY: usize = 1 << 20;
/// Most rings in one channel, the runtime's `max_producers` limit.
pub(crate) const MAX_RINGS: usize = 128;

/// A capacity or group size: a literal checked here, or a const expression
/// checked by the compiler through a `const` the expansion emits.
pub(crate) enum Size<'a> {
    Literal(usize),
    Expr(&'a Expr),
}

/// What to expand.
pub(crate) struct Plan<'a> {
    pub(crate) capacity: Size<'a>,
    pub(crate) metrics: bool,
    /// Declared producers, duplicates left out.
    pub(crate) producers: Vec<Producer<'a>>,
    /// The declaration names no producer (reported).
    pub(crate) empty: bool,
}

/// One entry: a single producer (`group == None`) or a group of them.
pub(crate) struct Producer<'a> {
    pub(crate) entry: &'a Entry,
    pub(crate) message: &'a Type,
    pub(crate) group: Option<Size<'a>>,
    /// The `#[cfg(..)]` predicates: the entry exists when all hold.
    pub(crate) cfg: Vec<TokenStream>,
    /// Every other attribute, for the field and the handler method.
    pub(crate) attrs: Vec<&'a Attribute>,
}

/// The plan, and every problem found, combined.
pub(crate) fn channel(decl: &ChannelDecl) -> (Plan<'_>, syn::Result<()>) {
    let errors = &mut Errors::default();
    let mut capacity = None;
    let mut metrics = false;
    let mut seen_options = HashSet::new();
    for option in &decl.options {
        let key = option.key.to_string();
        if !seen_options.insert(key.clone()) {
            errors.spanned(&option.key, format!("duplicate option `{key}` in `channel!`"));
            continue;
        }
        match key.as_str() {
            "capacity" => capacity = Some(check_capacity(&option.value, errors)),
            "metrics" => match &option.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Bool(b), ..
                }) => metrics = b.value,
                other => errors.spanned(other, "`metrics` expects `true` or `false`"),
            },
            _ => errors.spanned(
                &option.key,
                format!("unknown option `{key}` in `channel!`, expected `capacity` or `metrics`"),
            ),
        }
    }
    if capacity.is_none() {
        errors.spanned(
            &decl.name,
            format!(
                "missing `capacity = N` in `channel!`, e.g. `{}(capacity = 4096)`",
                decl.name
            ),
        );
    }
    let empty = decl.entries.is_empty();
    if empty {
        errors.spanned(
            &decl.name,
            format!("`channel!` `{}` declares no producer", decl.name),
        );
    }

    let mut names = HashSet::new();
    let mut producers = Vec::new();
    for entry in &decl.entries {
        if let Some(error) = &entry.misspelt_group {
            errors.push(error.clone());
        }
        let name = entry.name.to_string();
        if !names.insert(name.clone()) {
            errors.spanned(&entry.name, format!("duplicate producer `{name}` in `channel!`"));
            continue;
        }
        let (message, group) = match &entry.ty {
            Type::Array(array) => (&*array.elem, Some(check_group(&name, &array.len, errors))),
            ty => (ty, None),
        };
        let cfg = entry
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("cfg"))
            .filter_map(|a| match a.meta.require_list() {
                Ok(list) => Some(list.tokens.clone()),
                Err(error) => {
                    errors.push(error);
                    None
                }
            })
            .collect();
        let attrs = entry.attrs.iter().filter(|a| !a.path().is_ident("cfg")).collect();
        producers.push(Producer {
            entry,
            message,
            group,
            cfg,
            attrs,
        });
    }
    let result = std::mem::take(errors).finish(());
    let plan = Plan {
        capacity: capacity.unwrap_or(Size::Literal(MIN_CAPACITY)),
        metrics,
        producers,
        empty,
    };
    (plan, result)
}

fn int_literal(expr: &Expr) -> Option<&syn::LitInt> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => Some(int),
        Expr::Group(g) => int_literal(&g.expr),
        _ => None,
    }
}

/// The powers of two in range closest below and above `n` (the runtime's
/// `capacity_error` says the same for a const expression).
fn nearest_powers_of_two(n: usize) -> String {
    let below = (n >= MIN_CAPACITY).then(|| 1usize << (usize::BITS - 1 - n.leading_zeros()).min(20));
    let above = (n < MAX_CAPACITY).then(|| n.next_power_of_two().max(MIN_CAPACITY));
    match (below, above) {
        (Some(below), Some(above)) => format!("; the nearest are `{below}` and `{above}`"),
        (Some(one), None) | (None, Some(one)) => format!("; the nearest is `{one}`"),
        (None, None) => String::new(),
    }
}

fn check_capacity<'a>(value: &'a Expr, errors: &mut Errors) -> Size<'a> {
    let Some(lit) = int_literal(value) else {
        return Size::Expr(value);
    };
    let fallback = Size::Literal(MIN_CAPACITY);
    let Ok(capacity) = lit.base10_parse::<usize>() else {
        errors.spanned(lit, "`capacity` is too large");
        return fallback;
    };
    if !capacity.is_power_of_two() {
        errors.spanned(
            lit,
            format!(
                "capacity `{capacity}` is not a power of two{}",
                nearest_powers_of_two(capacity)
            ),
        );
        return fallback;
    }
    if !(MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity) {
        errors.spanned(
            lit,
            format!("capacity `{capacity}` is out of range {MIN_CAPACITY}..={MAX_CAPACITY}"),
        );
        return fallback;
    }
    Size::Literal(capacity)
}

fn check_group<'a>(name: &str, len: &'a Expr, errors: &mut Errors) -> Size<'a> {
    let Some(lit) = int_literal(len) else {
        return Size::Expr(len);
    };
    match lit.base10_parse::<usize>() {
        Ok(0) => errors.spanned(
            lit,
            format!("producer group `{name}` has size 0: it needs at least one producer"),
        ),
        Ok(n) if n > MAX_RINGS => errors.spanned(
            lit,
            format!("producer group `{name}` has size {n}, more than the limit of {MAX_RINGS} producers"),
        ),
        Ok(n) => return Size::Literal(n),
        Err(e) => errors.push(e),
    }
    Size::Literal(1)
}

#[cfg(test)]
mod tests {
    use super::nearest_powers_of_two;

    #[test]
    fn nearest_powers_of_two_match_the_runtime_check() {
        assert_eq!(nearest_powers_of_two(1000), "; the nearest are `512` and `1024`");
        assert_eq!(nearest_powers_of_two(0), "; the nearest is `2`");
        assert_eq!(nearest_powers_of_two(3_000_000), "; the nearest is `1048576`");
    }
}
