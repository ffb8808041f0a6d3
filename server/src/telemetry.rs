//! Logging set-up: `tracing` with a pretty or JSON formatter and an EnvFilter. Logs go to standard
//! error, one event per line (JSON: one object per line); standard output carries only what the
//! commands print for people (the listening address, the demo accounts, `keydesk check`'s lines).

use crate::config::LogFormat;
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

pub fn init(format: LogFormat, filter: &str) -> Result<(), String> {
    let filter = EnvFilter::try_new(filter).map_err(|e| format!("--log {filter:?}: {e}"))?;
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Pretty => registry.with(fmt::layer().with_writer(std::io::stderr).with_target(false)).try_init(),
        LogFormat::Json => {
            registry.with(fmt::layer().with_writer(std::io::stderr).json().flatten_event(true).with_current_span(false)).try_init()
        }
    };
    result.map_err(|e| format!("logging: {e}"))
}
