//! Fuzzing the receiver's decode paths with proptest (SC-SERVE-2): any
//! bytes, as protobuf or JSON, plain or gzip-labelled, and any mutation of
//! a valid request decode to a request or to a 4xx answer — never a
//! panic, never more than the limit decompressed.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use prost::Message;
use span_collector::generate::TraceGenerator;
use span_collector::serve::decode_request;
use span_collector::span::{request_of, spans_from_request};

const LIMIT: usize = 64 * 1024;

fn headers(content_type: &'static str, gzip: bool) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static(content_type));
    if gzip {
        h.insert("content-encoding", HeaderValue::from_static("gzip"));
    }
    h
}

fn check(content_type: &'static str, gzip: bool, body: Vec<u8>) {
    match decode_request(&headers(content_type, gzip), Bytes::from(body), LIMIT) {
        Ok((request, _)) => {
            // Converting never panics either; bad ids are per-span errors.
            let _ = spans_from_request(request);
        }
        Err((status, message)) => {
            assert!(status.is_client_error(), "{status}");
            assert!(!message.is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..4096), gzip in any::<bool>(), json in any::<bool>()) {
        let ct = if json { "application/json" } else { "application/x-protobuf" };
        check(ct, gzip, body);
    }

    #[test]
    fn mutated_valid_requests(seed in any::<u64>(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16), json in any::<bool>()) {
        let spans = TraceGenerator::new(seed).trace(4);
        let request = request_of(&spans);
        let mut body = if json { serde_json::to_vec(&request).unwrap() } else { request.encode_to_vec() };
        for (at, byte) in flips {
            let len = body.len();
            body[at % len] ^= byte;
        }
        check(if json { "application/json" } else { "application/x-protobuf" }, false, body);
    }
}
