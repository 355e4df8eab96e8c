//! Message types checked for a ring slot: the [`RingMessage`] trait and the
//! compile-time layout check that `#[ring_message]` and
//! `#[derive(RingMessage)]` emit.

/// A type checked to fit a ring slot and to cross threads.
///
/// Implemented by `#[ring_message]` and `#[derive(RingMessage)]`, which
/// check at compile time that the type's size and alignment stay within the
/// limits (128 and 128 bytes by default), and by the common std types: the
/// primitives, `()`, `String`, `&'static str`, `Box<T>`, `Vec<T>`,
/// `Arc<T>`, `Option<M>` of a message, `Duration`, `Instant` and
/// `SystemTime`. `channel!` accepts only `RingMessage` types. A type from
/// another crate is declared through a newtype (or sent as a `Box`).
///
/// ```
/// use ringmpsc::RingMessage;
///
/// #[ringmpsc::ring_message]
/// struct Tick {
///     price: u64,
///     qty: u32,
/// }
///
/// assert_eq!(Tick::SIZE, 16);
/// assert_eq!(Tick::ALIGN, 8);
/// assert!(Tick::BOXED_FIELDS.is_empty());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a ring message",
    label = "not a `RingMessage`",
    note = "declare it with `#[ringmpsc::ring_message]` or `#[derive(ringmpsc::RingMessage)]`",
    note = "a type from another crate cannot be declared here: wrap it in a newtype, `#[ringmpsc::ring_message] struct MyMessage(their::Type);`, or box it, `Box<their::Type>`",
    note = "a message must be `Send + 'static`: an `Rc`, a `Cell` or a reference cannot be one"
)]
pub trait RingMessage: Send + 'static {
    /// `size_of::<Self>()`: the bytes one ring slot holds.
    const SIZE: usize;
    /// `align_of::<Self>()`.
    const ALIGN: usize;
    /// Fields stored behind a `Box` (auto-boxed collections and
    /// `#[ring(boxed)]` fields), as `field`, `0` for tuple fields, or
    /// `Variant.field` in enums.
    const BOXED_FIELDS: &'static [&'static str];
}

/// The common std types are ring messages out of the box: they are small
/// (at most 24 bytes), own their data (or are `'static`) and cross threads.
macro_rules! std_messages {
    ($($ty:ty),* $(,)?) => {$(
        impl RingMessage for $ty {
            const SIZE: usize = core::mem::size_of::<Self>();
            const ALIGN: usize = core::mem::align_of::<Self>();
            const BOXED_FIELDS: &'static [&'static str] = &[];
        }
    )*};
}

std_messages!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    String,
    &'static str,
    std::time::Duration,
    std::time::Instant,
    std::time::SystemTime,
);

/// `Box<T>` is one pointer (two for `Box<[T]>`, `Box<str>`, `Box<dyn ..>`),
/// however large `T` is: the way to send a large value.
impl<T: ?Sized + Send + 'static> RingMessage for Box<T> {
    const SIZE: usize = core::mem::size_of::<Self>();
    const ALIGN: usize = core::mem::align_of::<Self>();
    const BOXED_FIELDS: &'static [&'static str] = &[];
}

impl<T: Send + 'static> RingMessage for Vec<T> {
    const SIZE: usize = core::mem::size_of::<Self>();
    const ALIGN: usize = core::mem::align_of::<Self>();
    const BOXED_FIELDS: &'static [&'static str] = &[];
}

impl<T: ?Sized + Send + Sync + 'static> RingMessage for std::sync::Arc<T> {
    const SIZE: usize = core::mem::size_of::<Self>();
    const ALIGN: usize = core::mem::align_of::<Self>();
    const BOXED_FIELDS: &'static [&'static str] = &[];
}

/// `Option` of a message: at most one tag larger than the message.
impl<T: RingMessage> RingMessage for Option<T> {
    const SIZE: usize = core::mem::size_of::<Self>();
    const ALIGN: usize = core::mem::align_of::<Self>();
    const BOXED_FIELDS: &'static [&'static str] = T::BOXED_FIELDS;
}

/// A message assembled at compile time, for the panics of the checks that
/// the macros emit.
#[doc(hidden)]
#[derive(Debug)]
pub struct ConstMessage {
    buf: [u8; 512],
    len: usize,
}

impl ConstMessage {
    const fn new() -> Self {
        ConstMessage {
            buf: [0; 512],
            len: 0,
        }
    }

    const fn push_str(mut self, s: &str) -> Self {
        let bytes = s.as_bytes();
        let mut i = 0;
        // Truncates at a char boundary so the buffer stays valid UTF-8.
        while i < bytes.len() && self.len < self.buf.len() {
            let b = bytes[i];
            let char_len = if b < 0x80 {
                1
            } else if b >= 0xF0 {
                4
            } else if b >= 0xE0 {
                3
            } else {
                2
            };
            if self.len + char_len > self.buf.len() {
                break;
            }
            let mut k = 0;
            while k < char_len {
                self.buf[self.len] = bytes[i + k];
                self.len += 1;
                k += 1;
            }
            i += char_len;
        }
        self
    }

    const fn push_usize(mut self, mut n: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while count > 0 && self.len < self.buf.len() {
            count -= 1;
            self.buf[self.len] = digits[count];
            self.len += 1;
        }
        self
    }

    /// The message so far.
    pub const fn as_str(&self) -> &str {
        let (bytes, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(_) => "ring message check failed",
        }
    }
}

/// A field of a checked message: its label and size (`None` when `#[cfg]`
/// removed it).
#[doc(hidden)]
pub type FieldSize = Option<(&'static str, usize)>;

/// How many fields of a `#[cfg]`-gated list exist.
#[doc(hidden)]
pub const fn count_present(all: &[Option<&'static str>]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < all.len() {
        if all[i].is_some() {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The fields of a `#[cfg]`-gated list that exist, in order; `N` is
/// [`count_present`] of the list.
#[doc(hidden)]
pub const fn keep_present<const N: usize>(all: &[Option<&'static str>]) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut i, mut n) = (0, 0);
    while i < all.len() {
        if let Some(label) = all[i] {
            out[n] = label;
            n += 1;
        }
        i += 1;
    }
    out
}

/// The compile-time check behind `#[ring_message]`: the error when the
/// layout is over a limit, naming the type, its size or alignment, the
/// limit and, for size, its largest fields (the ones to box). The macro
/// panics with it inside its own `const`, so the error points at the type.
#[doc(hidden)]
pub const fn layout_error(
    type_name: &str,
    size: usize,
    align: usize,
    max_size: usize,
    max_align: usize,
    fields: &[FieldSize],
) -> Option<ConstMessage> {
    if size > max_size {
        let mut msg = ConstMessage::new()
            .push_str("ring message `")
            .push_str(type_name)
            .push_str("` is ")
            .push_usize(size)
            .push_str(" bytes, over the limit of ")
            .push_usize(max_size)
            .push_str(" bytes (`max_size`); ");
        msg = push_largest_fields(msg, fields);
        return Some(msg.push_str("or raise `max_size`"));
    }
    if align > max_align {
        let msg = ConstMessage::new()
            .push_str("ring message `")
            .push_str(type_name)
            .push_str("` is aligned to ")
            .push_usize(align)
            .push_str(" bytes, over the limit of ")
            .push_usize(max_align)
            .push_str(" bytes (`max_align`)");
        return Some(msg);
    }
    None
}

/// "box its largest fields with `#[ring(boxed)]`: `a` (64 bytes), `b` (24
/// bytes) " — the three largest fields over one pointer, largest first.
const fn push_largest_fields(mut msg: ConstMessage, fields: &[FieldSize]) -> ConstMessage {
    const SHOWN: usize = 3;
    let pointer = core::mem::size_of::<usize>();
    let mut taken = [usize::MAX; SHOWN];
    let mut shown = 0;
    while shown < SHOWN {
        // The largest field not yet shown.
        let mut best: Option<(usize, &str, usize)> = None;
        let mut i = 0;
        while i < fields.len() {
            let mut already = false;
            let mut k = 0;
            while k < shown {
                already |= taken[k] == i;
                k += 1;
            }
            if let (false, Some((label, size))) = (already, fields[i]) {
                let larger = match best {
                    Some((_, _, best_size)) => size > best_size,
                    None => true,
                };
                if size > pointer && larger {
                    best = Some((i, label, size));
                }
            }
            i += 1;
        }
        let Some((index, label, size)) = best else { break };
        msg = msg
            .push_str(if shown == 0 {
                "box its largest fields with `#[ring(boxed)]`: `"
            } else {
                ", `"
            })
            .push_str(label)
            .push_str("` (")
            .push_usize(size)
            .push_str(" bytes)");
        taken[shown] = index;
        shown += 1;
    }
    if shown == 0 {
        msg.push_str("box its large fields with `#[ring(boxed)]` ")
    } else {
        msg.push_str(", ")
    }
}

/// The capacity check behind `channel!` for a const expression: the
/// literal form is checked by the macro itself, with the same messages.
#[doc(hidden)]
pub const fn capacity_error(capacity: usize) -> Option<ConstMessage> {
    const MIN: usize = 1 << crate::config::MIN_RING_BITS;
    const MAX: usize = 1 << crate::config::MAX_RING_BITS;
    if !capacity.is_power_of_two() {
        let msg = ConstMessage::new()
            .push_str("capacity `")
            .push_usize(capacity)
            .push_str("` is not a power of two");
        return Some(match nearest_powers_of_two(capacity) {
            (Some(below), Some(above)) => msg
                .push_str("; the nearest are `")
                .push_usize(below)
                .push_str("` and `")
                .push_usize(above)
                .push_str("`"),
            (None, Some(one)) | (Some(one), None) => {
                msg.push_str("; the nearest is `").push_usize(one).push_str("`")
            }
            (None, None) => msg,
        });
    }
    if capacity < MIN || capacity > MAX {
        return Some(
            ConstMessage::new()
                .push_str("capacity `")
                .push_usize(capacity)
                .push_str("` is out of range ")
                .push_usize(MIN)
                .push_str("..=")
                .push_usize(MAX),
        );
    }
    None
}

/// The powers of two in the capacity range closest below and above `n`.
#[doc(hidden)]
pub const fn nearest_powers_of_two(n: usize) -> (Option<usize>, Option<usize>) {
    const MIN: usize = 1 << crate::config::MIN_RING_BITS;
    const MAX: usize = 1 << crate::config::MAX_RING_BITS;
    let below = if n < MIN {
        None
    } else if n >= MAX {
        Some(MAX)
    } else {
        Some(1 << (usize::BITS - 1 - n.leading_zeros()))
    };
    let above = if n >= MAX {
        None
    } else if n < MIN {
        Some(MIN)
    } else {
        Some(n.next_power_of_two())
    };
    (below, above)
}

/// `capacity` when valid, else the smallest valid one: what the generated
/// types use, so that a bad capacity yields exactly one error.
#[doc(hidden)]
pub const fn usable_capacity(capacity: usize) -> usize {
    if capacity_error(capacity).is_some() {
        1 << crate::config::MIN_RING_BITS
    } else {
        capacity
    }
}

/// The check of a producer group's size in `channel!`.
#[doc(hidden)]
pub const fn group_size_error(name: &str, size: usize) -> Option<ConstMessage> {
    if size == 0 {
        return Some(
            ConstMessage::new()
                .push_str("producer group `")
                .push_str(name)
                .push_str("` has size 0: it needs at least one producer"),
        );
    }
    if size > crate::config::MAX_PRODUCERS {
        return Some(
            ConstMessage::new()
                .push_str("producer group `")
                .push_str(name)
                .push_str("` has size ")
                .push_usize(size)
                .push_str(", more than the limit of ")
                .push_usize(crate::config::MAX_PRODUCERS)
                .push_str(" producers"),
        );
    }
    None
}

/// A group size the generated types can use: `size` when valid, else 1.
#[doc(hidden)]
pub const fn usable_group_size(size: usize) -> usize {
    if size == 0 || size > crate::config::MAX_PRODUCERS {
        1
    } else {
        size
    }
}

/// The check of a channel's ring count, once `#[cfg]` has removed entries.
#[doc(hidden)]
pub const fn rings_error(channel: &str, rings: usize) -> Option<ConstMessage> {
    if rings == 0 {
        return Some(
            ConstMessage::new()
                .push_str("`channel!` `")
                .push_str(channel)
                .push_str("` declares no producer: `#[cfg]` removed every entry"),
        );
    }
    if rings > crate::config::MAX_PRODUCERS {
        return Some(
            ConstMessage::new()
                .push_str("`channel!` `")
                .push_str(channel)
                .push_str("` declares ")
                .push_usize(rings)
                .push_str(" producers, more than the limit of ")
                .push_usize(crate::config::MAX_PRODUCERS),
        );
    }
    None
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn const_message_formats_numbers_and_truncates_safely() {
        let m = ConstMessage::new()
            .push_str("a")
            .push_usize(0)
            .push_str("b")
            .push_usize(12345);
        assert_eq!(m.as_str(), "a0b12345");
        let long = "é".repeat(400);
        let m = ConstMessage::new().push_str(&long);
        assert_eq!(m.as_str().len(), 512);
        assert!(m.as_str().chars().all(|c| c == 'é'));
    }

    #[test]
    fn capacity_errors_suggest_the_nearest_powers_of_two() {
        assert!(capacity_error(2).is_none() && capacity_error(1 << 20).is_none());
        assert_eq!(
            capacity_error(1000).unwrap().as_str(),
            "capacity `1000` is not a power of two; the nearest are `512` and `1024`"
        );
        assert_eq!(
            capacity_error(0).unwrap().as_str(),
            "capacity `0` is not a power of two; the nearest is `2`"
        );
        assert_eq!(
            capacity_error(3_000_000).unwrap().as_str(),
            "capacity `3000000` is not a power of two; the nearest is `1048576`"
        );
        assert_eq!(
            capacity_error(1).unwrap().as_str(),
            "capacity `1` is out of range 2..=1048576"
        );
        assert_eq!((usable_capacity(1000), usable_capacity(64)), (2, 64));
    }

    #[test]
    fn layout_errors_name_the_largest_fields_that_cfg_kept() {
        let fields = [
            Some(("id", 8)),
            Some(("payload", 200)),
            None,
            Some(("name", 24)),
            Some(("tags", 48)),
            Some(("extra", 16)),
        ];
        let m = layout_error("Span", 296, 8, 128, 128, &fields).unwrap();
        assert_eq!(
            m.as_str(),
            "ring message `Span` is 296 bytes, over the limit of 128 bytes (`max_size`); \
             box its largest fields with `#[ring(boxed)]`: `payload` (200 bytes), \
             `tags` (48 bytes), `name` (24 bytes), or raise `max_size`"
        );
        assert!(layout_error("Span", 128, 8, 128, 128, &fields).is_none());
        let m = layout_error("A", 16, 256, 128, 128, &[]).unwrap();
        assert!(m.as_str().contains("aligned to 256 bytes"), "{}", m.as_str());
    }

    #[test]
    fn group_and_ring_counts_are_checked() {
        assert!(group_size_error("w", 4).is_none());
        assert!(group_size_error("w", 0).unwrap().as_str().contains("has size 0"));
        assert!(group_size_error("w", 129)
            .unwrap()
            .as_str()
            .contains("limit of 128"));
        assert_eq!((usable_group_size(0), usable_group_size(7)), (1, 7));
        assert!(rings_error("C", 0)
            .unwrap()
            .as_str()
            .contains("removed every entry"));
        assert!(rings_error("C", 128).is_none());
    }
}
