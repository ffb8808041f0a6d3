//! Prometheus metrics (`metrics` facade, `metrics-exporter-prometheus` for the text format).
//!
//! Labels are drawn from closed sets only: route templates (never the raw path), HTTP methods and
//! statuses, IAM operation names, audit action names and outcomes. No user name, key id or other
//! identifier ever becomes a label, so a scrape reveals counts, not who did what.
//!
//! | metric | labels |
//! |---|---|
//! | `keydesk_http_requests_total`, `keydesk_http_request_duration_seconds` | route, method, status |
//! | `keydesk_iam_calls_total`, `keydesk_iam_call_duration_seconds` | operation, outcome |
//! | `keydesk_iam_attempts_total` (AWS backend: every HTTP attempt, so retries = attempts − calls) | operation |
//! | `keydesk_sign_ins_total`, `keydesk_reauthentications_total` | outcome |
//! | `keydesk_helpdesk_actions_total` | action, outcome |
//! | `keydesk_reconciliations_total` (ambiguous creates and pending intents, settled) | action, outcome |
//! | `keydesk_audit_events_total` | outcome |

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// Seconds: 1 ms to 30 s, finer where pages and IAM calls usually land.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder, installed on first use. Several portals in one process (tests) share it.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_duration_seconds".into()), BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics will stay empty");
        }
        // Histogram samples are buffered until upkeep folds them into the buckets: without a scraper
        // they would pile up for ever. A plain thread, so it works whichever runtime (or none) is there.
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || loop {
            std::thread::sleep(Duration::from_secs(5));
            upkeep.run_upkeep();
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start the metrics upkeep thread");
        }
        handle
    })
}

/// The Prometheus text exposition of everything recorded so far.
pub fn render() -> String {
    let h = handle();
    h.run_upkeep();
    h.render()
}

/// One answered HTTP request. `route` is the router's template (`/credentials`, `/api/create_key…`).
pub fn http_request(route: &str, method: &http::Method, status: http::StatusCode, took: Duration) {
    let labels = [("route", route.to_owned()), ("method", method.as_str().to_owned()), ("status", status.as_u16().to_string())];
    metrics::counter!("keydesk_http_requests_total", &labels).increment(1);
    metrics::histogram!("keydesk_http_request_duration_seconds", &labels).record(took.as_secs_f64());
}

/// One IAM call as the portal saw it (after any SDK retries): its operation, outcome and duration.
pub fn iam_call(operation: &'static str, outcome: &'static str, took: Duration) {
    metrics::counter!("keydesk_iam_calls_total", "operation" => operation, "outcome" => outcome).increment(1);
    metrics::histogram!("keydesk_iam_call_duration_seconds", "operation" => operation).record(took.as_secs_f64());
}

/// One HTTP attempt the AWS SDK made (the first and each retry).
pub fn iam_attempt(operation: &str) {
    metrics::counter!("keydesk_iam_attempts_total", "operation" => operation.to_owned()).increment(1);
}

/// Every audit record written, counted by what it says. The audit log is the one place every sign-in,
/// re-authentication, help-desk action and reconciliation passes, so counting there misses none.
pub fn audited(action: &str, outcome: &str) {
    if outcome == "pending" {
        return; // an intent; its final record is counted
    }
    metrics::counter!("keydesk_audit_events_total", "outcome" => outcome.to_owned()).increment(1);
    let (action, outcome) = (action.to_owned(), outcome.to_owned());
    match action.as_str() {
        "portal.sign_in" => metrics::counter!("keydesk_sign_ins_total", "outcome" => outcome).increment(1),
        "portal.reauth" => metrics::counter!("keydesk_reauthentications_total", "outcome" => outcome).increment(1),
        a if a.starts_with("helpdesk.") => {
            metrics::counter!("keydesk_helpdesk_actions_total", "action" => action, "outcome" => outcome).increment(1)
        }
        _ if !matches!(outcome.as_str(), "success" | "failure") => {
            metrics::counter!("keydesk_reconciliations_total", "action" => action, "outcome" => outcome).increment(1)
        }
        _ => {}
    }
}

/// A sign-in (or password confirmation) refused before its password was checked: `busy` (the hashing
/// queue is full), `throttled_ip` or `locked` (the account name's back-off). Audited ones are counted
/// by [`audited`] under the same metric.
pub fn sign_in_refused(why: &'static str) {
    metrics::counter!("keydesk_sign_ins_total", "outcome" => why).increment(1);
}

/// An [`crate::iam::IamError`]'s kind, as a label value.
pub fn outcome_of<T>(r: &crate::iam::IamResult<T>) -> &'static str {
    use crate::iam::IamError as E;
    match r {
        Ok(_) => "ok",
        Err(E::NotFound(_)) => "not_found",
        Err(E::LimitExceeded(_)) => "limit_exceeded",
        Err(E::EntityAlreadyExists(_)) => "already_exists",
        Err(E::PolicyViolation(_)) => "policy_violation",
        Err(E::InvalidAuthenticationCode(_)) => "invalid_code",
        Err(E::InvalidInput(_)) => "invalid_input",
        Err(E::Conflict(_)) => "conflict",
        Err(E::AccessDenied(_)) => "access_denied",
        Err(E::Throttled) => "throttled",
        Err(E::Unavailable(_)) => "unavailable",
        Err(E::Ambiguous(_)) => "ambiguous",
        Err(_) => "other",
    }
}
