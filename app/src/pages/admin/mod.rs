//! The administrators' pages: the credential review, the audit log (also the help desk's) and the
//! rotation deadlines.

mod audit;
mod deadlines;
mod review;

pub use audit::{AuditPage, AUDIT_CSV_PATH};
pub use review::{AdminPage, REPORT_CSV_PATH, REVIEW_CSV_PATH};
