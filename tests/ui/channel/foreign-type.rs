use std::net::SocketAddr;

ringmpsc::channel! {
    Feed(capacity = 64) {
        peers: SocketAddr,
    }
}

fn main() {
    let (_producers, _consumer) = Feed::channel();
}
