//! OTLP/HTTP protobuf: `POST URL/v1/traces` with an
//! `ExportTraceServiceRequest` built from the official `opentelemetry-proto`
//! types, gzip, headers and a timeout, honouring the standard
//! `OTEL_EXPORTER_OTLP_*` variables. Retries only what OTLP says is
//! retryable (429, 502, 503, 504, connection errors and timeouts).

use std::time::Duration;

use prost::Message;

use super::{BoxFuture, Exporter};
use crate::batcher::Batch;
use crate::error::{ConfigError, ExportError};
use crate::metrics::DropReason;
use crate::retry::{parse_retry_after, CircuitBreaker, RetryPolicy};
use crate::span::request_of;

/// How to reach the endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct OtlpSettings {
    /// The full URL, `/v1/traces` included.
    pub url: String,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// Gzip the body.
    pub gzip: bool,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
}

impl OtlpSettings {
    /// Settings for `endpoint` (`/v1/traces` appended unless it ends with
    /// it), headers, compression and timeout from the standard
    /// `OTEL_EXPORTER_OTLP_[TRACES_]{HEADERS,COMPRESSION,TIMEOUT}` variables.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for a malformed variable.
    pub fn from_endpoint(endpoint: &str) -> Result<Self, ConfigError> {
        Self::with_env(endpoint, |name| std::env::var(name).ok())
    }

    /// As [`from_endpoint`](Self::from_endpoint), reading variables from `env`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for a malformed variable.
    pub fn with_env(endpoint: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| {
            env(&format!("OTEL_EXPORTER_OTLP_TRACES_{name}"))
                .or_else(|| env(&format!("OTEL_EXPORTER_OTLP_{name}")))
        };
        let trimmed = endpoint.trim_end_matches('/');
        let url = if trimmed.ends_with("/v1/traces") {
            trimmed.to_owned()
        } else {
            format!("{trimmed}/v1/traces")
        };
        let headers = match var("HEADERS") {
            None => Vec::new(),
            Some(list) => parse_headers(&list)?,
        };
        let gzip = match var("COMPRESSION").as_deref().map(str::trim) {
            None | Some("gzip") => true,
            Some("none") | Some("") => false,
            Some(other) => {
                return Err(ConfigError::Invalid(format!(
                    "OTEL_EXPORTER_OTLP_COMPRESSION: `{other}` is not `gzip` or `none`"
                )))
            }
        };
        let timeout = match var("TIMEOUT") {
            None => Duration::from_secs(10),
            Some(ms) => Duration::from_millis(ms.trim().parse().map_err(|_| {
                ConfigError::Invalid(format!("OTEL_EXPORTER_OTLP_TIMEOUT: `{ms}` is not milliseconds"))
            })?),
        };
        Ok(OtlpSettings {
            url,
            headers,
            gzip,
            timeout,
            retry: RetryPolicy::default(),
        })
    }
}

/// `key=value,key2=value2`, values percent-decoded (W3C baggage format).
fn parse_headers(list: &str) -> Result<Vec<(String, String)>, ConfigError> {
    list.split(',')
        .filter(|h| !h.trim().is_empty())
        .map(|h| {
            let (k, v) = h.split_once('=').ok_or_else(|| {
                ConfigError::Invalid(format!("OTEL_EXPORTER_OTLP_HEADERS: `{h}` is not `key=value`"))
            })?;
            Ok((k.trim().to_owned(), percent_decode(v.trim())))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Posts batches to an OTLP/HTTP endpoint.
#[derive(Debug)]
pub struct OtlpHttpExporter {
    settings: OtlpSettings,
    client: reqwest::Client,
    breaker: CircuitBreaker,
}

/// What one attempt came to.
enum Attempt {
    Done,
    Retry(Option<Duration>, String),
    GiveUp(String),
}

impl OtlpHttpExporter {
    /// An exporter for `settings`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when the HTTP client cannot be built.
    pub fn new(settings: OtlpSettings) -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .build()
            .map_err(|e| ConfigError::Invalid(format!("HTTP client: {e}")))?;
        Ok(OtlpHttpExporter {
            settings,
            client,
            breaker: CircuitBreaker::new(3, Duration::from_secs(5)),
        })
    }

    /// The request body: protobuf, gzipped if configured. Encoded once per
    /// batch; retries resend these bytes.
    fn body(&self, batch: &Batch) -> Result<Vec<u8>, ExportError> {
        let proto = request_of(&batch.spans).encode_to_vec();
        if !self.settings.gzip {
            return Ok(proto);
        }
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&proto)
            .and_then(|()| gz.finish())
            .map_err(|e| ExportError::new(DropReason::ExportFailed, format!("gzip: {e}")))
    }

    async fn attempt(&self, body: &[u8]) -> Attempt {
        let mut request = self
            .client
            .post(&self.settings.url)
            .header("content-type", "application/x-protobuf")
            .body(body.to_vec());
        if self.settings.gzip {
            request = request.header("content-encoding", "gzip");
        }
        for (k, v) in &self.settings.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        match request.send().await {
            Err(e) => Attempt::Retry(None, format!("{}: {e}", self.settings.url)),
            Ok(response) => {
                let status = response.status();
                if status.is_success() {
                    return Attempt::Done;
                }
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after);
                let message = format!("{} answered {status}", self.settings.url);
                match status.as_u16() {
                    429 | 502 | 503 | 504 => Attempt::Retry(retry_after, message),
                    _ => Attempt::GiveUp(message),
                }
            }
        }
    }
}

impl Exporter for OtlpHttpExporter {
    fn export<'a>(&'a self, batch: &'a Batch) -> BoxFuture<'a, Result<(), ExportError>> {
        Box::pin(async move {
            if self.breaker.is_open() {
                return Err(ExportError::new(
                    DropReason::CircuitOpen,
                    format!("{}: circuit open after repeated failures", self.settings.url),
                ));
            }
            let body = self.body(batch)?;
            let policy = self.settings.retry;
            let mut attempt = 1;
            loop {
                match self.attempt(&body).await {
                    Attempt::Done => {
                        self.breaker.success();
                        return Ok(());
                    }
                    Attempt::GiveUp(message) => {
                        // The endpoint is alive; the data is the problem.
                        self.breaker.success();
                        return Err(ExportError::new(DropReason::Rejected, message));
                    }
                    Attempt::Retry(after, message) => {
                        if attempt >= policy.max_attempts.max(1) {
                            self.breaker.failure();
                            return Err(ExportError::new(
                                DropReason::RetriesExhausted,
                                format!("{message} (after {attempt} attempts)"),
                            ));
                        }
                        tokio::time::sleep(policy.delay(attempt, after)).await;
                        attempt += 1;
                    }
                }
            }
        })
    }

    fn destination(&self) -> String {
        self.settings.url.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_and_variables() {
        let env = |name: &str| match name {
            "OTEL_EXPORTER_OTLP_HEADERS" => Some("api-key=a%20b, x-tenant=7".to_owned()),
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT" => Some("2500".to_owned()),
            "OTEL_EXPORTER_OTLP_COMPRESSION" => Some("none".to_owned()),
            _ => None,
        };
        let s = OtlpSettings::with_env("http://127.0.0.1:4318/", env).unwrap();
        assert_eq!(s.url, "http://127.0.0.1:4318/v1/traces");
        assert_eq!(
            s.headers,
            [("api-key".into(), "a b".into()), ("x-tenant".into(), "7".into())]
        );
        assert_eq!(s.timeout, Duration::from_millis(2500));
        assert!(!s.gzip);
        let s = OtlpSettings::with_env("http://h/v1/traces", |_| None).unwrap();
        assert_eq!(s.url, "http://h/v1/traces");
        assert!(s.gzip);
        assert!(
            OtlpSettings::with_env("http://h", |n| (n == "OTEL_EXPORTER_OTLP_TIMEOUT")
                .then(|| "x".into()))
            .is_err()
        );
    }
}
