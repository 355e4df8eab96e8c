//! The span: the message that crosses the rings, and its exact mapping to
//! and from the official OTLP types (`opentelemetry-proto`).
//!
//! A [`Span`] fits a ring slot (checked at compile time by
//! `#[ring_message]`, SC-OWN-1): its variable-size parts — attributes,
//! events, links — sit behind one `Box` each, and what every span of one
//! service shares (resource, instrumentation scope) behind an `Arc`, so a
//! span moves through the pipeline by a 120-byte copy and its heap parts
//! never move at all.

use std::sync::Arc;

use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1 as proto;

/// A 16-byte trace id; all zero is invalid in OTLP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id; all zero means "none" (no parent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SpanId(pub [u8; 8]);

impl SpanId {
    /// The id that means "no span".
    pub const NONE: SpanId = SpanId([0; 8]);

    /// `true` for [`SpanId::NONE`].
    pub fn is_none(&self) -> bool {
        *self == Self::NONE
    }
}

/// OTLP `SpanKind`, kept as its integer so unknown values survive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpanKind(pub i32);

impl SpanKind {
    /// `SPAN_KIND_INTERNAL`.
    pub const INTERNAL: SpanKind = SpanKind(1);
    /// `SPAN_KIND_SERVER`.
    pub const SERVER: SpanKind = SpanKind(2);
    /// `SPAN_KIND_CLIENT`.
    pub const CLIENT: SpanKind = SpanKind(3);
}

/// OTLP status: code (0 unset, 1 ok, 2 error) and message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Status {
    /// `STATUS_CODE_*` as its integer.
    pub code: i32,
    /// Human-readable message (usually only for errors).
    pub message: Box<str>,
}

/// Where spans come from: the resource (`service.name` and the rest) and
/// the instrumentation scope. Shared by every span of one origin.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Origin {
    /// The OTLP resource, `service.name` among its attributes.
    pub resource: Resource,
    /// The resource's schema URL.
    pub resource_schema_url: String,
    /// The instrumentation scope.
    pub scope: InstrumentationScope,
    /// The scope's schema URL.
    pub scope_schema_url: String,
}

impl Origin {
    /// An origin for `service`, with `service.name` set and an unnamed scope.
    pub fn service(service: &str) -> Arc<Origin> {
        Arc::new(Origin {
            resource: Resource {
                attributes: vec![string_attr("service.name", service)],
                ..Default::default()
            },
            scope: InstrumentationScope {
                name: "span-collector".into(),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    /// The `service.name` resource attribute, if set.
    pub fn service_name(&self) -> Option<&str> {
        self.resource
            .attributes
            .iter()
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                any_value::Value::StringValue(s) => Some(s.as_str()),
                _ => None,
            })
    }
}

/// What a span rarely has: events, links, trace state, flags and the
/// counts of what its source dropped. One box, so the slot stays small.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpanDetail {
    /// Timed events within the span.
    pub events: Vec<proto::span::Event>,
    /// Links to other spans.
    pub links: Vec<proto::span::Link>,
    /// W3C trace state.
    pub trace_state: String,
    /// W3C trace flags and OTLP span flags.
    pub flags: u32,
    /// Attributes the source dropped.
    pub dropped_attributes_count: u32,
    /// Events the source dropped.
    pub dropped_events_count: u32,
    /// Links the source dropped.
    pub dropped_links_count: u32,
}

/// One finished span. At most 128 bytes (checked at compile time); the
/// attributes and the detail are boxed by `#[ring_message]` (`#[ring(boxed)]`).
#[ringmpsc::ring_message(max_size = 128)]
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The trace this span belongs to.
    pub trace_id: TraceId,
    /// This span.
    pub span_id: SpanId,
    /// The parent span, or [`SpanId::NONE`] for a root.
    pub parent_span_id: SpanId,
    /// Operation name.
    pub name: String,
    /// Server, client, internal, ...
    pub kind: SpanKind,
    /// Start, nanoseconds since the Unix epoch.
    pub start_time_unix_nano: u64,
    /// End, nanoseconds since the Unix epoch.
    pub end_time_unix_nano: u64,
    /// Outcome.
    pub status: Status,
    /// Key/value attributes, in order (string, bool, int, double, arrays, ...).
    #[ring(boxed)]
    pub attributes: Vec<KeyValue>,
    /// Events, links and the rest.
    #[ring(boxed)]
    pub detail: SpanDetail,
    /// Resource and scope, shared.
    pub origin: Arc<Origin>,
}

/// A string attribute.
pub fn string_attr(key: &str, value: &str) -> KeyValue {
    attr(key, any_value::Value::StringValue(value.into()))
}

/// An attribute of any value.
pub fn attr(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

/// An array attribute value.
pub fn array(values: Vec<any_value::Value>) -> any_value::Value {
    any_value::Value::ArrayValue(ArrayValue {
        values: values.into_iter().map(|v| AnyValue { value: Some(v) }).collect(),
    })
}

/// A key/value list attribute value.
pub fn kv_list(values: Vec<KeyValue>) -> any_value::Value {
    any_value::Value::KvlistValue(KeyValueList { values })
}

fn id<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    match bytes.len() {
        0 => Some([0; N]),
        _ => bytes.try_into().ok(),
    }
}

/// An OTLP span that cannot be a [`Span`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpanError {
    /// `trace_id` is not 16 bytes.
    #[error("trace_id must be 16 bytes, got {0}")]
    TraceId(usize),
    /// `span_id` or `parent_span_id` is not 8 bytes.
    #[error("span_id and parent_span_id must be 8 bytes, got {0}")]
    SpanId(usize),
}

impl Span {
    /// The span of an OTLP span from `origin`, every field kept.
    ///
    /// # Errors
    /// [`SpanError`] when an id has the wrong length.
    pub fn from_proto(span: proto::Span, origin: Arc<Origin>) -> Result<Span, SpanError> {
        let trace_id = id::<16>(&span.trace_id).ok_or(SpanError::TraceId(span.trace_id.len()))?;
        let span_id = id::<8>(&span.span_id).ok_or(SpanError::SpanId(span.span_id.len()))?;
        let parent = id::<8>(&span.parent_span_id).ok_or(SpanError::SpanId(span.parent_span_id.len()))?;
        let status = span.status.unwrap_or_default();
        Ok(Span {
            trace_id: TraceId(trace_id),
            span_id: SpanId(span_id),
            parent_span_id: SpanId(parent),
            name: span.name,
            kind: SpanKind(span.kind),
            start_time_unix_nano: span.start_time_unix_nano,
            end_time_unix_nano: span.end_time_unix_nano,
            status: Status {
                code: status.code,
                message: status.message.into_boxed_str(),
            },
            attributes: Box::new(span.attributes),
            detail: Box::new(SpanDetail {
                events: span.events,
                links: span.links,
                trace_state: span.trace_state,
                flags: span.flags,
                dropped_attributes_count: span.dropped_attributes_count,
                dropped_events_count: span.dropped_events_count,
                dropped_links_count: span.dropped_links_count,
            }),
            origin,
        })
    }

    /// The OTLP span, every field kept (an empty `parent_span_id` for a root).
    pub fn to_proto(&self) -> proto::Span {
        let detail = &*self.detail;
        proto::Span {
            trace_id: self.trace_id.0.to_vec(),
            span_id: self.span_id.0.to_vec(),
            trace_state: detail.trace_state.clone(),
            parent_span_id: if self.parent_span_id.is_none() {
                Vec::new()
            } else {
                self.parent_span_id.0.to_vec()
            },
            flags: detail.flags,
            name: self.name.clone(),
            kind: self.kind.0,
            start_time_unix_nano: self.start_time_unix_nano,
            end_time_unix_nano: self.end_time_unix_nano,
            attributes: (*self.attributes).clone(),
            dropped_attributes_count: detail.dropped_attributes_count,
            events: detail.events.clone(),
            dropped_events_count: detail.dropped_events_count,
            links: detail.links.clone(),
            dropped_links_count: detail.dropped_links_count,
            status: (self.status.code != 0 || !self.status.message.is_empty()).then(|| proto::Status {
                message: self.status.message.to_string(),
                code: self.status.code,
            }),
        }
    }
}

/// The spans of one OTLP request, each with the origin (resource and
/// scope) it came from, in request order; a span whose ids have the wrong
/// length is an `Err` in its place, so the caller can count it as rejected.
pub fn spans_from_request(
    request: opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest,
) -> Vec<Result<Span, SpanError>> {
    let mut out = Vec::new();
    for resource_spans in request.resource_spans {
        let resource = resource_spans.resource.unwrap_or_default();
        for scope_spans in resource_spans.scope_spans {
            let origin = Arc::new(Origin {
                resource: resource.clone(),
                resource_schema_url: resource_spans.schema_url.clone(),
                scope: scope_spans.scope.unwrap_or_default(),
                scope_schema_url: scope_spans.schema_url,
            });
            out.extend(
                scope_spans
                    .spans
                    .into_iter()
                    .map(|s| Span::from_proto(s, Arc::clone(&origin))),
            );
        }
    }
    out
}

/// One OTLP request for `spans`: one `ResourceSpans` per resource, one
/// `ScopeSpans` per scope, spans in the order given.
pub fn request_of<'a>(
    spans: impl IntoIterator<Item = &'a Span>,
) -> opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest {
    let mut resource_spans: Vec<proto::ResourceSpans> = Vec::new();
    let mut last: Option<*const Origin> = None;
    for span in spans {
        let origin = Arc::as_ptr(&span.origin);
        if last != Some(origin) {
            last = Some(origin);
            let o = &*span.origin;
            let scope = proto::ScopeSpans {
                scope: Some(o.scope.clone()),
                spans: Vec::new(),
                schema_url: o.scope_schema_url.clone(),
            };
            match resource_spans.last_mut() {
                Some(rs)
                    if rs.resource.as_ref() == Some(&o.resource)
                        && rs.schema_url == o.resource_schema_url =>
                {
                    rs.scope_spans.push(scope)
                }
                _ => resource_spans.push(proto::ResourceSpans {
                    resource: Some(o.resource.clone()),
                    scope_spans: vec![scope],
                    schema_url: o.resource_schema_url.clone(),
                }),
            }
        }
        let rs = resource_spans.last_mut().expect("pushed above");
        let ss = rs.scope_spans.last_mut().expect("pushed above");
        ss.spans.push(span.to_proto());
    }
    opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest { resource_spans }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SC-OWN-1: the slot budget holds.
    #[test]
    fn span_fits_a_slot() {
        const { assert!(<Span as ringmpsc::RingMessage>::SIZE <= 128) };
        assert_eq!(
            <Span as ringmpsc::RingMessage>::BOXED_FIELDS,
            ["attributes", "detail"]
        );
    }
}
