//! Expand a validated `channel!` into its types. Produces tokens only.
//!
//! The rings form one `RingSet` type: a balanced tree of pairs with one
//! leaf per entry (a `FixedRing` or an array of them), so any number of
//! entries fits and the nesting stays logarithmic. The runtime returns
//! producers and consumers in that same shape, which the generated code
//! takes apart by index path; it holds no `unsafe`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Ident};

use super::parse::ChannelDecl;
use super::validate::{Producer, ValidChannel};

struct Names {
    channel: Ident,
    producers: Ident,
    consumer: Ident,
    handler: Ident,
    rings: Ident,
}

fn names(decl: &ChannelDecl) -> Names {
    let channel = decl.name.clone();
    Names {
        producers: format_ident!("{}Producers", channel),
        consumer: format_ident!("{}Consumer", channel),
        handler: format_ident!("{}Handler", channel),
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
        [one] => one.clone(),
        _ => {
            let (left, right) = items.split_at(items.len() / 2);
            let (left, right) = (tree(left), tree(right));
            quote!((#left, #right))
        }
    }
}

fn docs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("doc"))
}

pub(crate) fn channel(decl: &ChannelDecl, valid: &ValidChannel<'_>) -> TokenStream {
    let Names {
        channel,
        producers,
        consumer,
        handler,
        rings,
    } = names(decl);
    let vis = &decl.vis;
    let attrs = &decl.attrs;
    let capacity = valid.capacity;
    let metrics = valid.metrics;
    let n = valid.producers.len();
    let total: usize = valid.producers.iter().map(|p| p.group.unwrap_or(1)).sum();

    let ring_types = valid.producers.iter().map(|p| {
        let message = p.message;
        match p.group {
            None => quote!(::ringmpsc::__private::FixedRing<#message, #capacity>),
            Some(k) => quote!([::ringmpsc::__private::FixedRing<#message, #capacity>; #k]),
        }
    });
    let ring_set = tree(&ring_types.collect::<Vec<_>>());

    let message_checks = valid.producers.iter().map(|p| {
        let message = p.message;
        quote_spanned! {message.span()=>
            const _: () = {
                fn assert_ring_message<M: ::ringmpsc::RingMessage>() {}
                let _ = assert_ring_message::<#message>;
            };
        }
    });

    let producer_fields = valid.producers.iter().map(producer_field);
    let producer_inits = valid.producers.iter().enumerate().map(|(i, p)| {
        let name = &p.entry.name;
        let path = path(i, n);
        quote!(#name: producers #path)
    });
    let handler_methods = valid.producers.iter().map(handler_method);
    let poll_arms = poll_arms(valid);
    let len_terms = valid.producers.iter().enumerate().map(|(i, p)| {
        let path = path(i, n);
        match p.group {
            None => quote!(len += self.rings #path.len();),
            Some(_) => quote!(len += self.rings #path.iter().map(|r| r.len()).sum::<usize>();),
        }
    });

    let channel_doc = format!(
        "Creates the channel: one allocation holding all {total} rings of {capacity} slots, the producers (one field each) and the consumer."
    );
    let producers_doc = format!("The producers of [`{channel}`], one public field per declared producer.");
    let consumer_doc = format!(
        "The consumer of [`{channel}`]: drains every ring into a [`{handler}`]. Dropping it closes the channel and drops what is still queued."
    );
    let handler_doc = format!("Receives the messages of [`{channel}`], one method per declared producer.");

    quote! {
        #(#attrs)*
        #[derive(Debug, Clone, Copy)]
        #vis struct #channel {
            _private: (),
        }

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        type #rings = #ring_set;

        #(#message_checks)*

        impl #channel {
            /// Slots in each producer's ring.
            pub const CAPACITY: usize = #capacity;
            /// Producers (rings) in the channel.
            pub const PRODUCERS: usize = #total;

            #[doc = #channel_doc]
            #[must_use]
            pub fn channel() -> (#producers, #consumer) {
                let (producers, rings, control) =
                    ::ringmpsc::__private::fixed_channel::<#rings>(#metrics);
                (
                    #producers { #(#producer_inits,)* },
                    #consumer { control, rings, next: 0 },
                )
            }
        }

        #[doc = #producers_doc]
        #[derive(Debug)]
        #vis struct #producers {
            #(#producer_fields)*
        }

        #[doc = #handler_doc]
        #vis trait #handler {
            #(#handler_methods)*
        }

        #[doc = #consumer_doc]
        #vis struct #consumer {
            // Dropped first: closes the whole channel at once, then each
            // ring's consumer drops what is still queued.
            control: ::ringmpsc::__private::FixedControl,
            rings: <#rings as ::ringmpsc::__private::RingSet>::Consumers,
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
            /// turns.
            pub fn consume_all_up_to<H: #handler + ?Sized>(&mut self, limit: usize, handler: &mut H) -> usize {
                // `next` stays below the ring count, so no division is needed.
                let mut ring = self.next;
                let mut taken = 0;
                for _ in 0..#total {
                    if taken >= limit {
                        break;
                    }
                    let served = self.poll(ring, limit - taken, handler);
                    ring = if ring + 1 >= #total { 0 } else { ring + 1 };
                    if served > 0 {
                        // The next call starts after the last ring served.
                        self.next = ring;
                        taken += served;
                    }
                }
                taken
            }

            fn poll<H: #handler + ?Sized>(&mut self, ring: usize, limit: usize, handler: &mut H) -> usize {
                match ring {
                    #(#poll_arms)*
                    _ => 0,
                }
            }

            /// Blocks until a message is queued; then drain in bulk with
            /// `consume_all`. The error once the channel is empty and
            /// nothing can arrive any more: it is closed, or every producer
            /// was dropped.
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

            /// Messages queued across all rings (a snapshot).
            pub fn len(&self) -> usize {
                let mut len = 0;
                #(#len_terms)*
                len
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

fn producer_field(p: &Producer<'_>) -> TokenStream {
    let name = &p.entry.name;
    let message = p.message;
    let mut docs: Vec<TokenStream> = docs(&p.entry.attrs).map(|a| quote!(#a)).collect();
    if docs.is_empty() {
        let doc = match p.group {
            None => format!("Producer `{name}`."),
            Some(k) => format!("The {k} producers of group `{name}`."),
        };
        docs.push(quote!(#[doc = #doc]));
    }
    let ty = match p.group {
        None => quote!(::ringmpsc::Producer<#message>),
        Some(k) => quote!([::ringmpsc::Producer<#message>; #k]),
    };
    quote! {
        #(#docs)*
        pub #name: #ty,
    }
}

fn handler_method(p: &Producer<'_>) -> TokenStream {
    let name = &p.entry.name;
    let message = p.message;
    let mut docs: Vec<TokenStream> = docs(&p.entry.attrs).map(|a| quote!(#a)).collect();
    if docs.is_empty() {
        let doc = match p.group {
            None => format!("A message from producer `{name}`."),
            Some(_) => format!("A message from producer `{name}[index]`."),
        };
        docs.push(quote!(#[doc = #doc]));
    }
    match p.group {
        None => quote! { #(#docs)* fn #name(&mut self, msg: #message); },
        Some(_) => quote! { #(#docs)* fn #name(&mut self, index: usize, msg: #message); },
    }
}

fn poll_arms(valid: &ValidChannel<'_>) -> Vec<TokenStream> {
    let n = valid.producers.len();
    let mut base = 0usize;
    let mut arms = Vec::new();
    for (i, p) in valid.producers.iter().enumerate() {
        let name = &p.entry.name;
        let path = path(i, n);
        match p.group {
            None => arms.push(quote! {
                #base => self.rings #path.consume_up_to_owned(limit, |msg| handler.#name(msg)),
            }),
            Some(k) => {
                let end = base + k;
                arms.push(quote! {
                    r if (#base..#end).contains(&r) => {
                        let index = r - #base;
                        self.rings #path[index].consume_up_to_owned(limit, |msg| handler.#name(index, msg))
                    }
                });
            }
        }
        base += p.group.unwrap_or(1);
    }
    arms
}

/// On an invalid declaration: the types, empty, so that uses of them do not
/// bury the real error under "cannot find type".
pub(crate) fn stubs(decl: &ChannelDecl) -> TokenStream {
    let Names {
        channel,
        producers,
        consumer,
        handler,
        ..
    } = names(decl);
    let vis = &decl.vis;
    let span = Span::call_site();
    quote_spanned! {span=>
        #vis struct #channel;
        #vis struct #producers;
        #vis struct #consumer;
        #vis trait #handler {}
    }
}
