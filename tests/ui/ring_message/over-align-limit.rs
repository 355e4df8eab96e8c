#[ringmpsc::ring_message(max_size = 512, max_align = 64)]
#[repr(align(256))]
struct Aligned {
    value: u8,
}

fn main() {}
