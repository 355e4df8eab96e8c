//! Expand a planned `channel!` into its types. Produces tokens only.
//!
//! The rings form one `RingSet` type: a balanced tree of pairs with one
//! leaf per entry (a `FixedRing` or an array of them), so any number of
//! entries fits and the nesting stays logarithmic. An entry that `#[cfg]`
//! removes keeps its leaf, as `()`, so the tree's shape never depends on
//! `cfg`. The runtime returns producers and consumers in that same shape,
//! which the generated code takes apart by index path; it holds no
//! `unsafe`.
//!
//! Capacities and group sizes that are const expressions are checked by
//! `const` items the expansion emits, spanned at the expression; the types
//! use a usable value either way, so a bad value is the only error.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Attribute, Ident};

use super::parse::ChannelDecl;
use super::validate::{Plan, Producer, Size};

struct Names {
    channel: Ident,
    producers: Ident,
    consumer: Ident,
    handler: Ident,
    metrics: Ident,
    rings: Ident,
}

fn names(decl: &ChannelDecl) -> Names {
    let channel = decl.name.clone();
    Names {
        producers: format_ident!("{}Producers", channel),
        consumer: format_ident!("{}Consumer", channel),
        handler: format_ident!("{}Handler", channel),
        metrics: format_ident!("{}Metrics", channel),
        rings: format_ident!("__{}Rings", channel),
        channel,
    }
}

/// The index path of leaf `i` in the balanced pair tree of `n` leaves,
/// e.g. `.1 .0`; empty for a single leaf.
fn path(i: usize, n: usize) -> TokenStream {
    if n <= 1 {
        return TokenStream::new();
    }
    let left = n / 2;
    if i < left {
        let rest = path(i, left);
        quote!(.0 #rest)
    } else {
        let rest = path(i - left, n - left);
        quote!(.1 #rest)
    }
}

/// `items` as a balanced tree of pairs, in the shape `path` walks.
fn tree(items: &[TokenStream]) -> TokenStream {
    match items {
        [] => quote!(()),
        [one] => one.clone(),
        _ => {
            let (left, right) = items.split_at(items.len() / 2);
            let (left, right) = (tree(left), tree(right));
            quote!((#left, #right))
        }
    }
}

/// A const panicking with the error a runtime check returns, spanned at
/// `node` (from its first token to its last, as `syn::Error` does); the
/// panic is in the user's crate, so the error shows no library frames.
fn const_check(node: &impl ToTokens, check: TokenStream) -> TokenStream {
    let mut tokens = node.to_token_stream().into_iter();
    let start = tokens.next().map_or_else(Span::call_site, |t| t.span());
    let end = tokens.last().map_or(start, |t| t.span());
    let panic = quote_spanned!(start=> ::core::panic!);
    // Only the parentheses take the span: `error` must keep this macro's
    // hygiene to name the binding below.
    let mut args = Group::new(Delimiter::Parenthesis, quote!("{}", error.as_str()));
    args.set_span(end);
    quote! {
        const _: () = if let ::core::option::Option::Some(error) = #check {
            #panic #args
        };
    }
}

/// `#[cfg(all(..))]` for an entry's predicates, or nothing.
fn cfg_attr(p: &Producer<'_>) -> TokenStream {
    let cfg = &p.cfg;
    if cfg.is_empty() {
        TokenStream::new()
    } else {
        quote!(#[cfg(all(#(#cfg),*))])
    }
}

/// The entry's docs and other attributes, with a default doc when it has
/// none.
fn attrs_with_doc(p: &Producer<'_>, default_doc: String) -> TokenStream {
    let attrs = &p.attrs;
    let has_doc = attrs.iter().any(|a: &&Attribute| a.path().is_ident("doc"));
    let doc = (!has_doc).then(|| quote!(#[doc = #default_doc]));
    quote!(#doc #(#attrs)*)
}

pub(crate) fn channel(decl: &ChannelDecl, plan: &Plan<'_>) -> TokenStream {
    let Names {
        channel,
        producers,
        consumer,
        handler,
        metrics: metrics_type,
        rings,
    } = names(decl);
    let vis = &decl.vis;
    let attrs = &decl.attrs;
    let metrics = plan.metrics;
    let n = plan.producers.len();
    let name_text = channel.to_string();

    // Sizes: one occurrence of each user expression, in a hidden const.
    let (capacity, capacity_items, capacity_check) = match plan.capacity {
        Size::Literal(c) => (quote!(#c), TokenStream::new(), TokenStream::new()),
        Size::Expr(expr) => (
            quote!(::ringmpsc::__private::usable_capacity(Self::__CAPACITY)),
            quote!(const __CAPACITY: usize = #expr;),
            const_check(
                expr,
                quote!(::ringmpsc::__private::capacity_error(#channel::__CAPACITY)),
            ),
        ),
    };
    let ring_consts = plan.producers.iter().enumerate().map(|(i, p)| {
        let cfg = cfg_attr(p);
        let (size, rings) = (format_ident!("__SIZE_{}", i), format_ident!("__RINGS_{}", i));
        let (count, declared) = match &p.group {
            None => (quote!(1), None),
            Some(Size::Literal(k)) => (quote!(#k), None),
            Some(Size::Expr(expr)) => (
                quote!(::ringmpsc::__private::usable_group_size(Self::#size)),
                Some(quote!(#cfg const #size: usize = #expr;)),
            ),
        };
        let absent = (!p.cfg.is_empty()).then(|| {
            let cfg = &p.cfg;
            quote!(#[cfg(not(all(#(#cfg),*)))] const #rings: usize = 0;)
        });
        let base = format_ident!("__BASE_{}", i);
        let before = (0..i).map(|j| format_ident!("__RINGS_{}", j));
        quote! {
            #declared
            #cfg const #rings: usize = #count;
            #absent
            const #base: usize = 0 #(+ Self::#before)*;
        }
    });
    let group_checks = plan.producers.iter().enumerate().filter_map(|(i, p)| {
        let Some(Size::Expr(expr)) = &p.group else {
            return None;
        };
        let cfg = cfg_attr(p);
        let name = p.entry.name.to_string();
        let size = format_ident!("__SIZE_{}", i);
        let check = const_check(
            expr,
            quote!(::ringmpsc::__private::group_size_error(#name, #channel::#size)),
        );
        Some(quote!(#cfg #check))
    });
    let all_rings = (0..n).map(|i| format_ident!("__RINGS_{}", i));
    let rings_check = (!plan.empty).then(|| {
        const_check(
            &decl.name,
            quote!(::ringmpsc::__private::rings_error(#name_text, #channel::PRODUCERS)),
        )
    });

    // The ring tree, with `()` leaves for entries `#[cfg]` removed.
    let group_len = |i: usize| {
        let rings = format_ident!("__RINGS_{}", i);
        quote!({ #channel::#rings })
    };
    let mut leaf_aliases = TokenStream::new();
    let leaves: Vec<TokenStream> = plan
        .producers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let message = p.message;
            let ring = quote!(::ringmpsc::__private::FixedRing<#message, { #channel::CAPACITY }>);
            let ring = match &p.group {
                None => ring,
                Some(_) => {
                    let len = group_len(i);
                    quote!([#ring; #len])
                }
            };
            if p.cfg.is_empty() {
                return ring;
            }
            let cfg = &p.cfg;
            let alias = format_ident!("__{}Ring{}", channel, i);
            leaf_aliases.extend(quote! {
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                #[cfg(all(#(#cfg),*))]
                type #alias = #ring;
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                #[cfg(not(all(#(#cfg),*)))]
                type #alias = ();
            });
            quote!(#alias)
        })
        .collect();
    let ring_set = tree(&leaves);

    let message_checks = plan.producers.iter().map(|p| {
        let message = p.message;
        let cfg = cfg_attr(p);
        quote_spanned! {message.span()=>
            #cfg
            const _: () = {
                fn assert_ring_message<M: ::ringmpsc::RingMessage>() {}
                let _ = assert_ring_message::<#message>;
            };
        }
    });

    let producer_fields = plan.producers.iter().enumerate().map(|(i, p)| {
        let name = &p.entry.name;
        let message = p.message;
        let cfg = cfg_attr(p);
        let attrs = attrs_with_doc(
            p,
            match p.group {
                None => format!("Producer `{name}`."),
                Some(_) => format!("The producers of group `{name}`."),
            },
        );
        let ty = match p.group {
            None => quote!(::ringmpsc::Producer<#message>),
            Some(_) => {
                let len = group_len(i);
                quote!([::ringmpsc::Producer<#message>; #len])
            }
        };
        quote!(#attrs #cfg pub #name: #ty,)
    });
    let producer_inits = plan.producers.iter().enumerate().map(|(i, p)| {
        let name = &p.entry.name;
        let cfg = cfg_attr(p);
        let path = path(i, n);
        quote!(#cfg #name: producers #path,)
    });
    let handler_methods = plan.producers.iter().map(|p| {
        let name = &p.entry.name;
        let message = p.message;
        let cfg = cfg_attr(p);
        let attrs = attrs_with_doc(
            p,
            match p.group {
                None => format!("A message from producer `{name}`."),
                Some(_) => format!("A message from producer `{name}[index]`."),
            },
        );
        match p.group {
            None => quote! { #attrs #cfg fn #name(&mut self, msg: #message); },
            Some(_) => quote! { #attrs #cfg fn #name(&mut self, index: usize, msg: #message); },
        }
    });
    let poll_arms = plan.producers.iter().enumerate().map(|(i, p)| {
        let name = &p.entry.name;
        let cfg = cfg_attr(p);
        let path = path(i, n);
        let (base, count) = (format_ident!("__BASE_{}", i), format_ident!("__RINGS_{}", i));
        match p.group {
            None => quote! {
                #cfg
                r if r == #channel::#base => {
                    self.rings #path.consume_up_to_owned(limit, |msg| handler.#name(msg))
                }
            },
            Some(_) => quote! {
                #cfg
                r if (#channel::#base..#channel::#base + #channel::#count).contains(&r) => {
                    let index = r - #channel::#base;
                    self.rings #path[index].consume_up_to_owned(limit, |msg| handler.#name(index, msg))
                }
            },
        }
    });
    let metrics_fields = plan.producers.iter().enumerate().map(|(i, p)| {
        let name = &p.entry.name;
        let cfg = cfg_attr(p);
        // The entry's attributes but its docs (`#[allow]`, `#[deprecated]`).
        let attrs = p.attrs.iter().filter(|a| !a.path().is_ident("doc"));
        match p.group {
            None => {
                let doc = format!("Counters of producer `{name}`.");
                quote!(#[doc = #doc] #(#attrs)* #cfg pub #name: ::ringmpsc::MetricsSnapshot,)
            }
            Some(_) => {
                let doc = format!("Counters of each producer of group `{name}`.");
                let len = group_len(i);
                quote!(#[doc = #doc] #(#attrs)* #cfg pub #name: [::ringmpsc::MetricsSnapshot; #len],)
            }
        }
    });
    let metrics_inits = plan.producers.iter().enumerate().map(|(i, p)| {
        let name = &p.entry.name;
        let cfg = cfg_attr(p);
        let path = path(i, n);
        match p.group {
            None => quote!(#cfg #name: self.rings #path.metrics(),),
            Some(_) => quote!(#cfg #name: self.rings #path.each_ref().map(|r| r.metrics()),),
        }
    });

    let channel_doc = format!(
        "Creates the channel: one allocation holding every ring ([`{channel}::PRODUCERS`] rings of [`{channel}::CAPACITY`] slots), the producers (one field each) and the consumer. The allocation is written once here (zeros), so its pages are present before the first push and the first lap takes no page faults."
    );
    let producers_doc = format!("The producers of [`{channel}`], one public field per declared producer.");
    let consumer_doc = format!(
        "The consumer of [`{channel}`]: drains every ring into a [`{handler}`]. Dropping it closes the channel and drops what is still queued."
    );
    let handler_doc = format!("Receives the messages of [`{channel}`], one method per declared producer.");
    let metrics_doc = format!(
        "The counters of each producer of [`{channel}`] (all zero unless declared with `metrics = true`)."
    );

    quote! {
        #(#attrs)*
        #[derive(Debug, Clone, Copy)]
        #vis struct #channel {
            _private: (),
        }

        impl #channel {
            /// Slots in each producer's ring.
            pub const CAPACITY: usize = #capacity;
            /// Producers (rings) in the channel.
            pub const PRODUCERS: usize = 0 #(+ Self::#all_rings)*;

            #[doc = #channel_doc]
            #[must_use]
            #[allow(deprecated, unused_variables)]
            pub fn channel() -> (#producers, #consumer) {
                use ::ringmpsc::__private::{BuildRings as _, NotRingMessages as _};
                let (producers, rings, control): (
                    <#rings as ::ringmpsc::__private::RingShape>::Producers,
                    <#rings as ::ringmpsc::__private::RingShape>::Consumers,
                    ::ringmpsc::__private::FixedControl,
                ) = (&::ringmpsc::__private::Build::<#rings>::new()).build(#metrics);
                (
                    #producers { #(#producer_inits)* },
                    #consumer { control, rings, next: 0 },
                )
            }
        }

        // Where each entry's rings start and how many it has (0 when
        // `#[cfg]` removed it).
        #[doc(hidden)]
        #[allow(dead_code)]
        impl #channel {
            #capacity_items
            #(#ring_consts)*
        }

        #capacity_check
        #(#group_checks)*
        #rings_check
        #(#message_checks)*

        #leaf_aliases
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        type #rings = #ring_set;

        #[doc = #producers_doc]
        #[derive(Debug)]
        #vis struct #producers {
            #(#producer_fields)*
        }

        #[doc = #handler_doc]
        #vis trait #handler {
            #(#handler_methods)*
        }

        #[doc = #metrics_doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #vis struct #metrics_type {
            #(#metrics_fields)*
        }

        #[doc = #consumer_doc]
        #vis struct #consumer {
            // Dropped first: closes the whole channel at once, then each
            // ring's consumer drops what is still queued.
            control: ::ringmpsc::__private::FixedControl,
            rings: <#rings as ::ringmpsc::__private::RingShape>::Consumers,
            next: usize,
        }

        impl #consumer {
            /// Consumes every message present in every ring, handing each to
            /// `handler` by value; returns the count.
            pub fn consume_all<H: #handler + ?Sized>(&mut self, handler: &mut H) -> usize {
                self.consume_all_up_to(usize::MAX, handler)
            }

            /// Consumes at most `limit` messages. Each call starts with the
            /// ring after the last one served, so busy producers take equal
            /// turns. A pass that took half a ring or more from one ring
            /// (rings of at most 512 slots) makes one more pass, never a
            /// third, as `ringmpsc::Channel`'s drain does.
            pub fn consume_all_up_to<H: #handler + ?Sized>(&mut self, limit: usize, handler: &mut H) -> usize {
                let mut taken = 0;
                for _pass in 0..2 {
                    // `next` stays below the ring count, so no division is needed.
                    let mut ring = self.next;
                    // The most taken from one ring this pass.
                    let mut most = 0;
                    for _ in 0..#channel::PRODUCERS {
                        if taken >= limit {
                            return taken;
                        }
                        let served = self.poll(ring, limit - taken, handler);
                        ring = if ring + 1 >= #channel::PRODUCERS { 0 } else { ring + 1 };
                        if served > 0 {
                            // The next call starts after the last ring served.
                            self.next = ring;
                            taken += served;
                            most = most.max(served);
                        }
                    }
                    if most < const { ::ringmpsc::__private::second_pass_from(#channel::CAPACITY) } {
                        break;
                    }
                }
                taken
            }

            #[allow(deprecated)]
            fn poll<H: #handler + ?Sized>(&mut self, ring: usize, limit: usize, handler: &mut H) -> usize {
                match ring {
                    #(#poll_arms)*
                    _ => 0,
                }
            }

            /// Blocks until a message is queued; then drain in bulk with
            /// `consume_all`. The error once the channel is empty and
            /// nothing can arrive any more: it is closed, or every producer
            /// was dropped. While producers are still publishing and only a
            /// few messages are queued, it lets a batch gather first (at
            /// most 2 µs), as `ringmpsc::Channel::ready` does.
            pub fn ready(&mut self) -> ::core::result::Result<(), ::ringmpsc::RecvError> {
                self.control.ready()
            }

            /// Like `ready`, waiting at most `timeout`.
            pub fn ready_timeout(
                &mut self,
                timeout: ::core::time::Duration,
            ) -> ::core::result::Result<(), ::ringmpsc::RecvTimeoutError> {
                self.control.ready_timeout(timeout)
            }

            /// The async `ready`: waits without blocking the thread (no
            /// CPU while waiting), on any executor. Dropping the future
            /// leaves no registration behind.
            pub fn ready_async(&mut self) -> ::ringmpsc::ReadyFuture<'_> {
                self.control.ready_async()
            }

            /// The counters of every ring, summed (all zero unless declared
            /// with `metrics = true`).
            pub fn metrics(&self) -> ::ringmpsc::MetricsSnapshot {
                ::ringmpsc::__private::ConsumerSet::metrics(&self.rings)
            }

            /// The counters of each producer, one field per producer.
            #[allow(deprecated)]
            pub fn producer_metrics(&self) -> #metrics_type {
                #metrics_type { #(#metrics_inits)* }
            }

            /// Messages queued across all rings (a snapshot).
            pub fn len(&self) -> usize {
                ::ringmpsc::__private::ConsumerSet::len(&self.rings)
            }

            /// `true` when no message is queued.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// Closes the channel: pushes fail from now on (values come
            /// back); queued messages can still be consumed.
            pub fn close(&self) {
                self.control.close();
            }

            /// `true` once the channel is closed.
            pub fn is_closed(&self) -> bool {
                self.control.is_closed()
            }
        }

        impl ::core::fmt::Debug for #consumer {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!(#consumer))
                    .field("len", &self.len())
                    .field("closed", &self.is_closed())
                    .finish()
            }
        }
    }
}
