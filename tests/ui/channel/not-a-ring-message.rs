struct Plain(u64);

ringmpsc::channel! {
    Feed(capacity = 64) {
        plain: Plain,
    }
}

fn main() {}
