//! Realistic generated traces: several services calling each other, nested
//! spans, attributes of every type, events and links.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};

use crate::span::{
    array, attr, kv_list, string_attr, Origin, Span, SpanDetail, SpanId, SpanKind, Status, TraceId,
};

const SERVICES: [&str; 5] = ["frontend", "cart", "checkout", "payment", "inventory-db"];
const ROUTES: [&str; 4] = ["GET /", "GET /cart", "POST /checkout", "GET /product/{id}"];

/// Makes traces; one per producer thread (not shared).
#[derive(Debug)]
pub struct TraceGenerator {
    rng: fastrand::Rng,
    origins: Vec<Arc<Origin>>,
}

impl TraceGenerator {
    /// A generator seeded with `seed` (distinct per producer).
    pub fn new(seed: u64) -> Self {
        TraceGenerator {
            rng: fastrand::Rng::with_seed(seed),
            origins: SERVICES.iter().map(|s| Origin::service(s)).collect(),
        }
    }

    fn span_id(&mut self) -> SpanId {
        SpanId((self.rng.u64(1..)).to_be_bytes())
    }

    /// One trace of `len` spans (at least 1): a server root and nested
    /// client/server/internal children across services.
    pub fn trace(&mut self, len: usize) -> Vec<Span> {
        let trace_id = TraceId(self.rng.u128(1..).to_be_bytes());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let mut spans: Vec<Span> = Vec::with_capacity(len);
        for i in 0..len.max(1) {
            let parent = if i == 0 {
                SpanId::NONE
            } else {
                spans[self.rng.usize(..i)].span_id
            };
            let service = if i == 0 {
                0
            } else {
                self.rng.usize(..SERVICES.len())
            };
            let start = now + i as u64 * 1_000;
            let duration = self.rng.u64(50_000..5_000_000);
            let error = self.rng.u8(..50) == 0;
            let route = ROUTES[self.rng.usize(..ROUTES.len())];
            let mut attributes = vec![
                string_attr("http.route", route),
                attr("http.status_code", Value::IntValue(if error { 500 } else { 200 })),
                attr("sampled", Value::BoolValue(true)),
                attr("db.rows", Value::IntValue(self.rng.i64(0..1000))),
                attr("cpu.utilization", Value::DoubleValue(self.rng.f64())),
                attr(
                    "tags",
                    array(vec![
                        Value::StringValue("v2".into()),
                        Value::StringValue("eu".into()),
                    ]),
                ),
            ];
            if self.rng.bool() {
                attributes.push(attr(
                    "retries",
                    array(vec![Value::IntValue(1), Value::IntValue(2)]),
                ));
                attributes.push(attr(
                    "flags",
                    array(vec![Value::BoolValue(true), Value::BoolValue(false)]),
                ));
                attributes.push(attr(
                    "weights",
                    array(vec![Value::DoubleValue(0.5), Value::DoubleValue(1.5)]),
                ));
                attributes.push(attr("peer", kv_list(vec![string_attr("host", "10.0.0.7")])));
            }
            let events = if error {
                vec![Event {
                    time_unix_nano: start + duration / 2,
                    name: "exception".into(),
                    attributes: vec![string_attr("exception.message", "upstream timed out")],
                    dropped_attributes_count: 0,
                }]
            } else {
                Vec::new()
            };
            let links = if i == 0 && self.rng.u8(..10) == 0 {
                vec![Link {
                    trace_id: self.rng.u128(1..).to_be_bytes().to_vec(),
                    span_id: self.rng.u64(1..).to_be_bytes().to_vec(),
                    ..Default::default()
                }]
            } else {
                Vec::new()
            };
            spans.push(Span {
                trace_id,
                span_id: self.span_id(),
                parent_span_id: parent,
                name: if i == 0 {
                    route.to_owned()
                } else {
                    format!("{} call", SERVICES[service])
                },
                kind: match i {
                    0 => SpanKind::SERVER,
                    _ if self.rng.bool() => SpanKind::CLIENT,
                    _ => SpanKind::INTERNAL,
                },
                start_time_unix_nano: start,
                end_time_unix_nano: start + duration,
                status: if error {
                    Status {
                        code: 2,
                        message: "upstream timed out".into(),
                    }
                } else {
                    Status::default()
                },
                attributes: attributes.into(),
                detail: SpanDetail {
                    events,
                    links,
                    flags: 0x101,
                    ..Default::default()
                }
                .into(),
                origin: Arc::clone(&self.origins[service]),
            });
        }
        spans
    }
}
