//! Pure domain types and rules. No `cfg`, no I/O: everything here compiles for WASM and the server,
//! so the browser and the server can never disagree about a rule.

pub mod codecommit;
pub mod credentials;
pub mod deadlines;
pub mod entitlements;
pub mod export;
pub mod ids;
pub mod leak;
pub mod notices;
pub mod password_policy;
pub mod policy_editor;
pub mod review;
pub mod rotation;
pub mod secret;
pub mod services;
pub mod signing_cert;
pub mod ssh_key;
pub mod strength;
pub mod viewer;

pub use credentials::*;
pub use export::csv_report_cell_row;
pub use ids::{IamUserName, IdError, PortalUserName};
pub use password_policy::{EffectivePolicy, PasswordPolicy};
pub use secret::{OneTimeSecret, Password};
pub use viewer::{BackendKind, Frame, Role, Viewer};

/// Percent-encode everything but RFC 3986's unreserved characters: safe in a query value and in a URI
/// path segment (page links, the `otpauth://` URI).
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// Format a UTC instant the way every table shows it: `2026-11-23 14:05`.
pub fn fmt_utc(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}
