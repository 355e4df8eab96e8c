use std::rc::Rc;

#[ringmpsc::ring_message]
struct Shared {
    value: Rc<u64>,
}

fn main() {}
