//! Validate a parsed `channel!`: every problem becomes a spanned error;
//! produces no tokens.

use std::collections::HashMap;

use syn::{Expr, ExprLit, Lit, Type};

use super::parse::{ChannelDecl, Entry};
use crate::errors::Errors;

/// Capacity limits: the runtime's `ring_bits` range 1..=20.
pub(crate) const MIN_CAPACITY: usize = 2;
pub(crate) const MAX_CAPACITY: usize = 1 << 20;
/// Most rings in one channel, the runtime's `max_producers` limit.
pub(crate) const MAX_RINGS: usize = 128;

/// A checked declaration.
pub(crate) struct ValidChannel<'a> {
    pub(crate) capacity: usize,
    pub(crate) metrics: bool,
    pub(crate) producers: Vec<Producer<'a>>,
}

/// One entry: a single producer (`group == None`) or a group of them.
pub(crate) struct Producer<'a> {
    pub(crate) entry: &'a Entry,
    pub(crate) message: &'a Type,
    pub(crate) group: Option<usize>,
}

/// The checked declaration, or every problem found, combined.
pub(crate) fn channel(decl: &ChannelDecl) -> syn::Result<ValidChannel<'_>> {
    let errors = &mut Errors::default();
    // Stays at the minimum when missing or invalid; the error says why.
    let mut capacity = MIN_CAPACITY;
    let mut metrics = false;
    let mut seen_options = HashMap::new();
    for option in &decl.options {
        let key = option.key.to_string();
        if seen_options.insert(key.clone(), ()).is_some() {
            errors.spanned(&option.key, format!("duplicate option `{key}` in `channel!`"));
            continue;
        }
        match key.as_str() {
            "capacity" => capacity = check_capacity(&option.value, errors).unwrap_or(capacity),
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
    if !seen_options.contains_key("capacity") {
        errors.spanned(
            &decl.name,
            format!(
                "missing `capacity = N` in `channel!`, e.g. `{}(capacity = 4096)`",
                decl.name
            ),
        );
    }
    if decl.entries.is_empty() {
        errors.spanned(
            &decl.name,
            format!("`channel!` `{}` declares no producer", decl.name),
        );
    }

    let mut names = HashMap::new();
    let mut producers = Vec::new();
    let mut rings = 0usize;
    for entry in &decl.entries {
        let name = entry.name.to_string();
        if names.insert(name.clone(), ()).is_some() {
            errors.spanned(&entry.name, format!("duplicate producer `{name}` in `channel!`"));
        }
        let (message, group) = match &entry.ty {
            Type::Array(array) => (&*array.elem, check_group(&name, &array.len, errors)),
            ty => (ty, None),
        };
        rings += group.unwrap_or(1);
        producers.push(Producer {
            entry,
            message,
            group,
        });
    }
    if rings > MAX_RINGS {
        errors.spanned(
            &decl.name,
            format!(
                "`channel!` `{}` declares {rings} producers, more than the limit of {MAX_RINGS}",
                decl.name
            ),
        );
    }
    std::mem::take(errors).finish(ValidChannel {
        capacity,
        metrics,
        producers,
    })
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

fn check_capacity(value: &Expr, errors: &mut Errors) -> Option<usize> {
    let Some(lit) = int_literal(value) else {
        errors.spanned(
            value,
            "`capacity` expects an integer literal, e.g. `capacity = 4096`",
        );
        return None;
    };
    let Ok(capacity) = lit.base10_parse::<usize>() else {
        errors.spanned(lit, "`capacity` is too large");
        return None;
    };
    if !capacity.is_power_of_two() {
        errors.spanned(lit, format!("capacity `{capacity}` is not a power of two"));
        return None;
    }
    if !(MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity) {
        errors.spanned(
            lit,
            format!("capacity `{capacity}` is out of range {MIN_CAPACITY}..={MAX_CAPACITY}"),
        );
        return None;
    }
    Some(capacity)
}

fn check_group(name: &str, len: &Expr, errors: &mut Errors) -> Option<usize> {
    let Some(lit) = int_literal(len) else {
        errors.spanned(
            len,
            format!("the size of producer group `{name}` must be an integer literal"),
        );
        return Some(1);
    };
    match lit.base10_parse::<usize>() {
        Ok(0) => {
            errors.spanned(
                lit,
                format!("producer group `{name}` has size 0: it needs at least one producer"),
            );
            Some(1)
        }
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(e);
            Some(1)
        }
    }
}
