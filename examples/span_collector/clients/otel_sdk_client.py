"""Sends spans to `span-collector serve` with the official OpenTelemetry
Python SDK and checks what the collector exported.

    python3 otel_sdk_client.py send http|grpc ENDPOINT COUNT SERVICE
    python3 otel_sdk_client.py check JSONL COUNT SERVICE...

`send` ends N spans (each with attributes of every type) through the
SDK's BatchSpanProcessor and the OTLP exporter of the given protocol;
`check` reads the collector's OTLP/JSON lines and verifies every span
arrived once, with its name, service.name, ids, times and attributes.
"""

import json
import sys


def send(protocol, endpoint, count, service):
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if protocol == "http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=endpoint + "/v1/traces")
    else:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=endpoint, insecure=True)
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter, max_export_batch_size=100))
    tracer = provider.get_tracer("otel-sdk-client")
    for i in range(count):
        with tracer.start_as_current_span(f"{service}-op-{i}") as span:
            span.set_attribute("index", i)
            span.set_attribute("ok", True)
            span.set_attribute("ratio", i / 10)
            span.set_attribute("tags", ["a", "b"])
            span.set_attribute("label", f"value-{i}")
    if not provider.force_flush(30_000):
        sys.exit(f"{protocol}: force_flush timed out")
    provider.shutdown()


def check(path, count, services):
    seen = {}
    with open(path) as f:
        for line in f:
            request = json.loads(line)
            for rs in request["resourceSpans"]:
                attrs = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
                service = attrs["service.name"]["stringValue"]
                for ss in rs["scopeSpans"]:
                    for span in ss["spans"]:
                        key = (service, span["name"])
                        if key in seen:
                            sys.exit(f"exported twice: {key}")
                        seen[key] = span
    for service in services:
        for i in range(count):
            span = seen.get((service, f"{service}-op-{i}"))
            if span is None:
                sys.exit(f"missing: {service}-op-{i}")
            assert len(span["traceId"]) == 32 and len(span["spanId"]) == 16, span
            assert int(span["endTimeUnixNano"]) >= int(span["startTimeUnixNano"]) > 0, span
            attrs = {a["key"]: a["value"] for a in span["attributes"]}
            assert attrs["index"]["intValue"] in (str(i), i), attrs
            assert attrs["ok"]["boolValue"] is True, attrs
            assert abs(attrs["ratio"]["doubleValue"] - i / 10) < 1e-9, attrs
            assert [v["stringValue"] for v in attrs["tags"]["arrayValue"]["values"]] == ["a", "b"], attrs
            assert attrs["label"]["stringValue"] == f"value-{i}", attrs
    print(f"ok: {count} spans from each of {', '.join(services)} exported once, intact")


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        check(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
