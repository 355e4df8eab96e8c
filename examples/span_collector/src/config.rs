//! The command line, its defaults, and the exporter it names.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use crate::bridge::BridgeSettings;
use crate::error::ConfigError;
use crate::exporter::{Exporter, JsonLinesExporter, OtlpHttpExporter, OtlpSettings, StdoutExporter};
use crate::pipeline::MAX_WORKERS;

/// Generates realistic traces on N producer threads and runs them through
/// the whole pipeline: ring-decomposed ingest, batching by trace, export.
#[derive(Debug, Clone, Parser)]
#[command(name = "span-collector", version, about)]
pub struct Cli {
    /// Producer threads generating spans (1..=16).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=MAX_WORKERS as i64))]
    pub producers: u16,
    /// Spans to generate in all.
    #[arg(long, default_value_t = 200_000)]
    pub spans: u64,
    /// Where spans go: `stdout`, `json:PATH` or `otlp:URL`. Default: the
    /// `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT` if set, else a JSON lines file.
    #[arg(long)]
    pub exporter: Option<String>,
    /// Spans per exported batch (at least 1).
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    /// Longest a span waits in a partial batch, milliseconds.
    #[arg(long, default_value_t = 200)]
    pub flush_interval_ms: u64,
    /// Also write the final report as JSON to this file.
    #[arg(long)]
    pub report_json: Option<PathBuf>,
    /// `serve`: run as an OTLP receiver instead.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// An OTLP receiver: OTLP/HTTP `POST /v1/traces` (protobuf or JSON, gzip
    /// accepted) and OTLP/gRPC, into the pipeline; `GET /metrics` in
    /// Prometheus text. Stops on SIGINT/SIGTERM after draining and flushing.
    Serve(ServeCli),
}

/// Flags of `serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeCli {
    /// OTLP/HTTP address.
    #[arg(long, default_value = "127.0.0.1:4318")]
    pub listen: std::net::SocketAddr,
    /// OTLP/gRPC address (none by default).
    #[arg(long)]
    pub grpc_listen: Option<std::net::SocketAddr>,
    /// Where spans go: `stdout`, `json:PATH` or `otlp:URL` (a relay).
    #[arg(long)]
    pub exporter: Option<String>,
    /// Write the final report as JSON to this file.
    #[arg(long)]
    pub report_json: Option<PathBuf>,
    /// Largest request body in bytes, compressed or not.
    #[arg(long, default_value_t = 4 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Spans per exported batch.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    /// Longest a span waits in a partial batch, milliseconds.
    #[arg(long, default_value_t = 200)]
    pub flush_interval_ms: u64,
}

impl ServeCli {
    /// The arguments of [`crate::serve::serve`].
    pub fn args(&self) -> crate::serve::ServeArgs {
        crate::serve::ServeArgs {
            listen: self.listen,
            grpc_listen: self.grpc_listen,
            exporter: self.exporter.clone(),
            report_json: self.report_json.clone(),
            max_body: self.max_body_bytes,
            bridge: BridgeSettings {
                batch_size: self.batch_size as usize,
                flush_interval: Duration::from_millis(self.flush_interval_ms),
                ..BridgeSettings::default()
            },
        }
    }
}

/// The JSON lines file written when no exporter is named.
pub fn default_output() -> PathBuf {
    std::env::temp_dir().join("span-collector").join("spans.jsonl")
}

/// An exporter named on the command line.
#[derive(Debug, Clone, PartialEq)]
pub enum ExporterSpec {
    /// A line per batch on standard output.
    Stdout,
    /// OTLP/JSON lines appended to a file.
    Json(PathBuf),
    /// OTLP/HTTP protobuf to an endpoint.
    Otlp(String),
}

impl ExporterSpec {
    /// Parses `stdout`, `json:PATH` or `otlp:URL`.
    ///
    /// # Errors
    /// [`ConfigError::Exporter`] for anything else.
    pub fn parse(spec: &str) -> Result<Self, ConfigError> {
        if spec == "stdout" {
            return Ok(ExporterSpec::Stdout);
        }
        match spec.split_once(':') {
            Some(("json", path)) if !path.is_empty() => Ok(ExporterSpec::Json(PathBuf::from(path))),
            Some(("otlp", url)) if !url.is_empty() => Ok(ExporterSpec::Otlp(url.to_owned())),
            _ => Err(ConfigError::Exporter(spec.to_owned())),
        }
    }

    /// The exporter for `flag`, or the default: the standard OTLP endpoint
    /// variable if set, else [`default_output`].
    ///
    /// # Errors
    /// [`ConfigError`] for a malformed flag.
    pub fn from_flag_or_env(flag: Option<&str>) -> Result<Self, ConfigError> {
        if let Some(flag) = flag {
            return Self::parse(flag);
        }
        let traces = std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty());
        let base = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty());
        Ok(match (traces, base) {
            (Some(url), _) | (None, Some(url)) => ExporterSpec::Otlp(url),
            (None, None) => ExporterSpec::Json(default_output()),
        })
    }

    /// Builds the exporter.
    ///
    /// # Errors
    /// [`ConfigError`] when the file cannot be opened or a variable is malformed.
    pub async fn build(&self) -> Result<Arc<dyn Exporter>, ConfigError> {
        Ok(match self {
            ExporterSpec::Stdout => Arc::new(StdoutExporter),
            ExporterSpec::Json(path) => Arc::new(
                JsonLinesExporter::open(path)
                    .await
                    .map_err(|e| ConfigError::Invalid(format!("cannot open {}: {e}", path.display())))?,
            ),
            ExporterSpec::Otlp(url) => Arc::new(OtlpHttpExporter::new(OtlpSettings::from_endpoint(url)?)?),
        })
    }
}

impl Cli {
    /// The consumer task's settings.
    pub fn bridge(&self) -> BridgeSettings {
        BridgeSettings {
            batch_size: self.batch_size as usize,
            flush_interval: Duration::from_millis(self.flush_interval_ms),
            ..BridgeSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exporter_specs() {
        assert_eq!(ExporterSpec::parse("stdout").unwrap(), ExporterSpec::Stdout);
        assert_eq!(
            ExporterSpec::parse("json:/tmp/x.jsonl").unwrap(),
            ExporterSpec::Json("/tmp/x.jsonl".into())
        );
        assert_eq!(
            ExporterSpec::parse("otlp:http://h:4318").unwrap(),
            ExporterSpec::Otlp("http://h:4318".into())
        );
        for bad in ["", "json:", "kafka:x", "otlp"] {
            assert!(ExporterSpec::parse(bad).is_err(), "{bad}");
        }
    }
}
