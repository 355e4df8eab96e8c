ringmpsc::channel! {
    Feed(capacity = 64) {}
}

fn main() {}
