//! Counting database round trips: sqlx reports each statement it runs as a `sqlx::query` event; a
//! global tracing layer counts them while switched on, split between the embedded IAM's tables and the
//! portal's. Used by the load benchmark (its printed figure) and by the test that holds the credentials
//! page to its budget. The layer is process-wide: one counter per process, installed once.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// The counters. Off by default: while off, no statement summary is built (that would cost time of
/// its own under load).
#[derive(Default)]
pub struct RoundTrips {
    on: AtomicBool,
    portal: AtomicU64,
    iam: AtomicU64,
}

impl RoundTrips {
    /// Zero the counters and start counting.
    pub fn start(&self) {
        self.portal.store(0, Relaxed);
        self.iam.store(0, Relaxed);
        self.on.store(true, Relaxed);
    }

    /// Stop counting; the statements counted since [`RoundTrips::start`] as (portal, embedded IAM).
    pub fn stop(&self) -> (u64, u64) {
        self.on.store(false, Relaxed);
        (self.portal.load(Relaxed), self.iam.load(Relaxed))
    }
}

/// Install the counting layer as the process's tracing subscriber. With `KEYDESK_BENCH_TRACE_SQL` set,
/// each counted statement is also printed (abridged) to stderr.
pub fn install() -> Arc<RoundTrips> {
    use tracing_subscriber::layer::SubscriberExt;
    let counters = Arc::new(RoundTrips::default());
    let layer = Counter { counters: counters.clone(), print: std::env::var_os("KEYDESK_BENCH_TRACE_SQL").is_some() };
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).expect("a tracing subscriber was already set");
    counters
}

/// The embedded IAM's tables (migrations/embedded-iam); every other table is the portal's.
const IAM_TABLES: [&str; 4] = ["iam_users", "iam_virtual_mfa", "iam_credential_index", "iam_account"];

struct Counter {
    counters: Arc<RoundTrips>,
    print: bool,
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Counter {
    fn register_callsite(&self, meta: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        if meta.target() == "sqlx::query" {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(&self, meta: &tracing::Metadata<'_>, _: tracing_subscriber::layer::Context<'_, S>) -> bool {
        meta.target() == "sqlx::query" && self.counters.on.load(Relaxed)
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        /// The statement's text, from the fields sqlx names it by.
        struct Statement(String);
        impl tracing::field::Visit for Statement {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "db.statement" || field.name() == "summary" {
                    self.0.push_str(&format!("{value:?} "));
                }
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "db.statement" || field.name() == "summary" {
                    self.0.push_str(value);
                    self.0.push(' ');
                }
            }
        }
        let mut text = Statement(String::new());
        event.record(&mut text);
        let iam = IAM_TABLES.iter().any(|t| {
            text.0.match_indices(t).any(|(i, _)| !text.0[i + t.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
        });
        if self.print {
            eprintln!(
                "sql {}: {}",
                if iam { "iam" } else { "portal" },
                text.0.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(140).collect::<String>()
            );
        }
        let counter = if iam { &self.counters.iam } else { &self.counters.portal };
        counter.fetch_add(1, Relaxed);
    }
}
