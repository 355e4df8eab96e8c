use std::rc::Rc;

ringmpsc::channel! {
    Feed(capacity = 64) {
        shared: Rc<u64>,
    }
}

fn main() {
    let (_producers, _consumer) = Feed::channel();
}
