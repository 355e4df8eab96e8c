ringmpsc::channel! {
    Feed(capacity = 64) {}
}

fn main() {
    let (_producers, mut consumer) = Feed::channel();
    assert!(consumer.is_empty());
}
