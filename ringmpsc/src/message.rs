//! Message types checked for a ring slot: the [`RingMessage`] trait and the
//! compile-time layout check that `#[ring_message]` and
//! `#[derive(RingMessage)]` emit.

/// A type checked to fit a ring slot and to cross threads.
///
/// Implemented by `#[ring_message]` and `#[derive(RingMessage)]`, which
/// check at compile time that the type's size and alignment stay within the
/// limits (128 and 128 bytes by default). `channel!` accepts only
/// `RingMessage` types.
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
    note = "declare it with `#[ringmpsc::ring_message]` or `#[derive(ringmpsc::RingMessage)]`"
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

/// A message assembled at compile time.
struct ConstMessage {
    buf: [u8; 256],
    len: usize,
}

impl ConstMessage {
    const fn new() -> Self {
        ConstMessage {
            buf: [0; 256],
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

    const fn as_str(&self) -> &str {
        let (bytes, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(_) => "ring message layout check failed",
        }
    }
}

/// The compile-time check behind `#[ring_message]`: fails const evaluation,
/// with a message naming the type, its size or alignment and the limit.
#[doc(hidden)]
pub const fn check_layout(type_name: &str, size: usize, align: usize, max_size: usize, max_align: usize) {
    if size > max_size {
        let msg = ConstMessage::new()
            .push_str("ring message `")
            .push_str(type_name)
            .push_str("` is ")
            .push_usize(size)
            .push_str(" bytes, over the limit of ")
            .push_usize(max_size)
            .push_str(" bytes (`max_size`); box its large fields with `#[ring(boxed)]` or raise `max_size`");
        panic!("{}", msg.as_str());
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
        panic!("{}", msg.as_str());
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::ConstMessage;

    #[test]
    fn const_message_formats_numbers_and_truncates_safely() {
        let m = ConstMessage::new()
            .push_str("a")
            .push_usize(0)
            .push_str("b")
            .push_usize(12345);
        assert_eq!(m.as_str(), "a0b12345");
        let long = "é".repeat(200);
        let m = ConstMessage::new().push_str(&long);
        assert_eq!(m.as_str().len(), 256);
        assert!(m.as_str().chars().all(|c| c == 'é'));
    }
}
