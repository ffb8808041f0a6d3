//! Pure domain types and rules. No `cfg`, no I/O: everything here compiles for WASM and the server,
//! so the browser and the server can never disagree about a rule.

pub mod codecommit;
pub mod credentials;
pub mod deadlines;
pub mod entitlements;
pub mod export;
pub mod ids;
pub mod leak;
pub mod limits;
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
pub mod temporary;
pub mod viewer;
pub mod work_roles;

pub use credentials::*;
pub use export::csv_report_cell_row;
pub use ids::{IamUserName, IdError, PortalUserName};
pub use password_policy::{EffectivePolicy, PasswordPolicy};
pub use secret::{OneTimeSecret, Password};
pub use viewer::{BackendKind, Frame, LocalPasswords, Role, SignInOptions, SignedInWith, Viewer};

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

/// "1 day", "3 days".
pub fn days(n: i64) -> String {
    format!("{n} day{}", if n == 1 { "" } else { "s" })
}

/// How long ago, in words, for something `secs` seconds back: "just now", "3 min ago", "5 hours ago",
/// "2 days ago". IAM reports last use to the minute at best, so nothing finer is said.
pub fn ago(secs: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match secs.max(0) {
        s if s < 60 => "just now".to_owned(),
        s if s < 3_600 => format!("{} min ago", s / 60),
        s if s < 86_400 => plural(s / 3_600, "hour"),
        s => plural(s / 86_400, "day"),
    }
}

/// The most a reason may say (it is audited and shown to the person).
pub const MAX_REASON: usize = 500;

/// A reason for a change made to someone else's credentials (help desk, exemptions): it is audited and
/// shown to the person, so it must say something. Returns the trimmed reason, or what to fix.
pub fn check_reason(reason: &str) -> Result<&str, String> {
    const PLACEHOLDERS: [&str; 12] =
        ["test", "testing", "n/a", "none", "no reason", "asdf", "qwerty", "reason", "todo", "tbd", "because", "whatever"];
    let reason = reason.trim();
    let letters = reason.chars().filter(|c| c.is_alphabetic()).count();
    let mut distinct: Vec<char> = reason.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if reason.is_empty() {
        return Err("Give a reason: it is recorded and shown to the person.".into());
    }
    if reason.chars().count() > MAX_REASON || reason.chars().any(char::is_control) {
        return Err(format!("Keep the reason to one line of at most {MAX_REASON} characters."));
    }
    if reason.chars().count() < 8 || letters < 3 || distinct.len() < 5 || PLACEHOLDERS.contains(&reason.to_lowercase().as_str()) {
        return Err(
            "Say what happened in a few words (at least 8 characters), e.g. \"key found in a public repository\": the person reads it."
                .into(),
        );
    }
    Ok(reason)
}

#[cfg(test)]
mod reason_tests {
    use super::{ago, check_reason};

    #[test]
    fn ago_says_the_largest_whole_unit() {
        assert_eq!(ago(-5), "just now");
        assert_eq!(ago(59), "just now");
        assert_eq!(ago(180), "3 min ago");
        assert_eq!(ago(3_600), "1 hour ago");
        assert_eq!(ago(7_300), "2 hours ago");
        assert_eq!(ago(86_400 * 3 + 5), "3 days ago");
    }

    #[test]
    fn a_reason_must_say_something() {
        for bad in ["", "  ", "x", "test", "forgot", "n/a", "xxxxxxxxxx", "........", "12345678", "TESTING", "asdf asdf"] {
            assert!(check_reason(bad).is_err(), "{bad:?} was accepted");
        }
        for good in ["locked out", "Key found in a public repository", "SEC-42: laptop stolen", "vendor contract"] {
            assert_eq!(check_reason(&format!(" {good} ")), Ok(good));
        }
        assert!(check_reason(&"a".repeat(501)).is_err());
        assert!(check_reason("two\nlines here").is_err());
    }
}
