#[ringmpsc::ring_message]
fn handler() {}

fn main() {}
