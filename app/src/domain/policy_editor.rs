//! The administrators' editor of the account password policy: the form's raw values checked against
//! `UpdateAccountPasswordPolicy`'s bounds (the same code runs live in the browser and on the server),
//! each field compared with the CIS AWS Foundations Benchmark, and a before/after summary for the audit.

use super::password_policy::{EffectivePolicy, PasswordPolicy};
use serde::{Deserialize, Serialize};

/// The form as submitted: numbers as typed (blank means "never" / "off"), checkboxes as booleans.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyInput {
    pub minimum_length: String,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub allow_users_to_change: bool,
    pub max_age_days: String,
    pub reuse_prevention: String,
    pub hard_expiry: bool,
}

/// A field the form names, with what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl PolicyInput {
    /// The form pre-filled with a policy (IAM's default shows as IAM's documented behaviour: 8
    /// characters, users may change their password, nothing expires).
    pub fn from_policy(p: &EffectivePolicy) -> Self {
        match p {
            EffectivePolicy::Custom(p) => PolicyInput {
                minimum_length: p.minimum_length.to_string(),
                require_symbols: p.require_symbols,
                require_numbers: p.require_numbers,
                require_uppercase: p.require_uppercase,
                require_lowercase: p.require_lowercase,
                allow_users_to_change: p.allow_users_to_change,
                max_age_days: p.max_age_days.map(|d| d.to_string()).unwrap_or_default(),
                reuse_prevention: p.reuse_prevention.map(|n| n.to_string()).unwrap_or_default(),
                hard_expiry: p.hard_expiry,
            },
            EffectivePolicy::IamDefault => {
                PolicyInput { minimum_length: "8".into(), allow_users_to_change: true, ..PolicyInput::default() }
            }
        }
    }

    /// Check every field (all errors at once, so the form can mark each).
    pub fn parse(&self) -> Result<PasswordPolicy, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut number = |field: &'static str, raw: &str, what: &str, lo: u32, hi: u32, blank_ok: bool| -> Option<u32> {
            let raw = raw.trim();
            if raw.is_empty() {
                if !blank_ok {
                    errors.push(FieldError { field, message: format!("Enter the {what} ({lo}–{hi}).") });
                }
                return None;
            }
            match raw.parse::<u32>() {
                Ok(n) if (lo..=hi).contains(&n) => Some(n),
                Ok(n) => {
                    errors
                        .push(FieldError { field, message: format!("The {what} must be between {lo} and {hi} (IAM's limits), not {n}.") });
                    None
                }
                Err(_) => {
                    errors.push(FieldError { field, message: format!("The {what} must be a whole number between {lo} and {hi}.") });
                    None
                }
            }
        };
        let minimum_length = number("minimum_length", &self.minimum_length, "minimum length", 6, 128, false);
        let max_age_days = number("max_age_days", &self.max_age_days, "maximum age in days", 1, 1095, true);
        let reuse_prevention = number(
            "reuse_prevention",
            &self.reuse_prevention,
            "number of previous passwords",
            1,
            super::limits::MAX_PASSWORD_REUSE.into(),
            true,
        );
        if self.hard_expiry && self.max_age_days.trim().is_empty() {
            errors.push(FieldError {
                field: "hard_expiry",
                message: "Hard expiry needs a maximum age: without one no password ever expires.".into(),
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PasswordPolicy {
            minimum_length: minimum_length.unwrap_or(8) as u8,
            require_symbols: self.require_symbols,
            require_numbers: self.require_numbers,
            require_uppercase: self.require_uppercase,
            require_lowercase: self.require_lowercase,
            allow_users_to_change: self.allow_users_to_change,
            max_age_days: max_age_days.map(|d| d as u16),
            reuse_prevention: reuse_prevention.map(|n| n as u8),
            hard_expiry: self.hard_expiry,
        })
    }
}

impl PolicyInput {
    /// The policy as far as the form says it, for the CIS verdicts beside fields while another field
    /// is still invalid (a field that does not parse reads as unset).
    pub fn best_effort(&self) -> PasswordPolicy {
        let num = |raw: &str, lo: u32, hi: u32| raw.trim().parse::<u32>().ok().filter(|n| (lo..=hi).contains(n));
        PasswordPolicy {
            minimum_length: num(&self.minimum_length, 6, 128).unwrap_or(6) as u8,
            require_symbols: self.require_symbols,
            require_numbers: self.require_numbers,
            require_uppercase: self.require_uppercase,
            require_lowercase: self.require_lowercase,
            allow_users_to_change: self.allow_users_to_change,
            max_age_days: num(&self.max_age_days, 1, 1095).map(|d| d as u16),
            reuse_prevention: num(&self.reuse_prevention, 1, super::limits::MAX_PASSWORD_REUSE.into()).map(|n| n as u8),
            hard_expiry: self.hard_expiry,
        }
    }
}

/// Which benchmark text a recommendation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CisSource {
    /// CIS AWS Foundations Benchmark v3.0 (current): 1.8 and 1.9.
    Current,
    /// CIS v1.2 (1.5–1.7, 1.11), withdrawn in later versions: NIST SP 800-63B advises against
    /// composition rules and periodic expiry.
    Withdrawn,
}

/// One field against its CIS recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CisCheck {
    pub field: &'static str,
    pub recommendation: &'static str,
    pub source: CisSource,
    pub met: bool,
}

/// Every field with a CIS recommendation, and whether `p` meets it.
pub fn cis_checks(p: &PasswordPolicy) -> Vec<CisCheck> {
    let check = |field, recommendation, source, met| CisCheck { field, recommendation, source, met };
    vec![
        check(
            "minimum_length",
            "CIS 1.8: at least 14 characters",
            CisSource::Current,
            p.minimum_length >= super::limits::CIS_PASSWORD_MIN_LENGTH,
        ),
        check(
            "reuse_prevention",
            "CIS 1.9: prevent reuse of the last 24 passwords",
            CisSource::Current,
            p.reuse_prevention == Some(super::limits::CIS_PASSWORD_REUSE),
        ),
        check("require_uppercase", "CIS v1.2 1.5: require an upper-case letter", CisSource::Withdrawn, p.require_uppercase),
        check("require_lowercase", "CIS v1.2 1.6: require a lower-case letter", CisSource::Withdrawn, p.require_lowercase),
        check("require_symbols", "CIS v1.2 1.7: require a symbol", CisSource::Withdrawn, p.require_symbols),
        check("require_numbers", "CIS v1.2 1.8: require a number", CisSource::Withdrawn, p.require_numbers),
        check(
            "max_age_days",
            "CIS v1.2 1.11: expire passwords within 90 days",
            CisSource::Withdrawn,
            p.max_age_days.is_some_and(|d| d <= super::limits::CIS_PASSWORD_MAX_AGE_DAYS),
        ),
    ]
}

/// The check for one field, if CIS has a recommendation for it.
pub fn cis_check(p: &PasswordPolicy, field: &str) -> Option<CisCheck> {
    cis_checks(p).into_iter().find(|c| c.field == field)
}

/// A policy's fields as `name=value` pairs, in the form's order.
fn fields(p: &EffectivePolicy) -> Vec<(&'static str, String)> {
    match p {
        EffectivePolicy::IamDefault => vec![("policy", "IAM default".into())],
        EffectivePolicy::Custom(p) => {
            let opt = |o: Option<String>| o.unwrap_or_else(|| "none".into());
            vec![
                ("minimum_length", p.minimum_length.to_string()),
                ("require_symbols", p.require_symbols.to_string()),
                ("require_numbers", p.require_numbers.to_string()),
                ("require_uppercase", p.require_uppercase.to_string()),
                ("require_lowercase", p.require_lowercase.to_string()),
                ("allow_users_to_change", p.allow_users_to_change.to_string()),
                ("max_age_days", opt(p.max_age_days.map(|d| d.to_string()))),
                ("reuse_prevention", opt(p.reuse_prevention.map(|n| n.to_string()))),
                ("hard_expiry", p.hard_expiry.to_string()),
            ]
        }
    }
}

/// For the audit record: `before: …; after: …` with every field, so the record stands alone.
pub fn audit_change(before: &EffectivePolicy, after: &EffectivePolicy) -> String {
    let line = |p: &EffectivePolicy| fields(p).into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
    format!("before: {}; after: {}", line(before), line(after))
}

/// The fields that differ, worded for a person ("minimum_length 8 → 14").
pub fn changed_fields(before: &EffectivePolicy, after: &EffectivePolicy) -> Vec<String> {
    let (b, a) = (fields(before), fields(after));
    if b.len() != a.len() {
        return vec![match after {
            EffectivePolicy::IamDefault => "custom policy deleted: IAM's default applies".into(),
            EffectivePolicy::Custom(_) => "custom policy set".into(),
        }];
    }
    b.into_iter()
        .zip(a)
        .filter(|((_, x), (_, y))| x != y)
        .map(|((k, x), (_, y))| format!("{} {} → {}", label(k), words(k, &x), words(k, &y)))
        .collect()
}

/// A field's name as the settings page shows it (the audit record keeps the plain keys).
fn label(key: &str) -> &'static str {
    match key {
        "minimum_length" => "Minimum length",
        "require_symbols" => "Require a symbol",
        "require_numbers" => "Require a number",
        "require_uppercase" => "Require an uppercase letter",
        "require_lowercase" => "Require a lowercase letter",
        "allow_users_to_change" => "Users may change their own password",
        "max_age_days" => "Maximum age",
        "reuse_prevention" => "Remembered passwords",
        "hard_expiry" => "Expired passwords need an administrator",
        _ => "Policy",
    }
}

/// A field's value in words: yes/no, "90 days", "none".
fn words(key: &str, value: &str) -> String {
    match (key, value) {
        (_, "true") => "yes".into(),
        (_, "false") => "no".into(),
        ("max_age_days", "none") => "never expires".into(),
        ("max_age_days", d) => format!("{d} days"),
        ("reuse_prevention", "none") => "none".into(),
        ("minimum_length", n) => format!("{n} characters"),
        (_, v) => v.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PolicyInput {
        PolicyInput::from_policy(&EffectivePolicy::Custom(PasswordPolicy::cis_recommended()))
    }

    #[test]
    fn the_form_round_trips_every_field() {
        let p = PasswordPolicy { hard_expiry: true, reuse_prevention: None, ..PasswordPolicy::cis_recommended() };
        assert_eq!(PolicyInput::from_policy(&EffectivePolicy::Custom(p.clone())).parse(), Ok(p));
        let default = PolicyInput::from_policy(&EffectivePolicy::IamDefault).parse().unwrap();
        assert_eq!((default.minimum_length, default.allow_users_to_change, default.max_age_days), (8, true, None));
    }

    #[test]
    fn each_bound_has_its_message_and_all_errors_come_at_once() {
        for (len, ok) in [("5", false), ("6", true), ("128", true), ("129", false), ("", false), ("x", false), (" 14 ", true)] {
            let r = PolicyInput { minimum_length: len.into(), ..input() }.parse();
            assert_eq!(r.is_ok(), ok, "{len:?}: {r:?}");
        }
        for (age, ok) in [("0", false), ("1", true), ("1095", true), ("1096", false), ("", true), ("-3", false)] {
            assert_eq!(PolicyInput { max_age_days: age.into(), ..input() }.parse().is_ok(), ok, "{age:?}");
        }
        for (n, ok) in [("0", false), ("1", true), ("24", true), ("25", false), ("", true)] {
            assert_eq!(PolicyInput { reuse_prevention: n.into(), ..input() }.parse().is_ok(), ok, "{n:?}");
        }
        let errors = PolicyInput { minimum_length: "200".into(), reuse_prevention: "99".into(), ..input() }.parse().unwrap_err();
        assert_eq!(errors.iter().map(|e| e.field).collect::<Vec<_>>(), ["minimum_length", "reuse_prevention"]);
        assert_eq!(errors[0].message, "The minimum length must be between 6 and 128 (IAM's limits), not 200.");
        let e = PolicyInput { hard_expiry: true, max_age_days: "".into(), ..input() }.parse().unwrap_err();
        assert_eq!(e[0].field, "hard_expiry");
        let partly = PolicyInput { minimum_length: "5".into(), ..input() };
        assert_eq!(partly.best_effort().reuse_prevention, Some(24), "valid fields still count while another is wrong");
    }

    #[test]
    fn cis_verdicts() {
        let cis = PasswordPolicy::cis_recommended();
        assert!(cis_checks(&cis).iter().all(|c| c.met), "{:?}", cis_checks(&cis));
        let weak = PasswordPolicy { minimum_length: 8, reuse_prevention: Some(5), max_age_days: None, ..cis };
        let failed: Vec<&str> = cis_checks(&weak).into_iter().filter(|c| !c.met).map(|c| c.field).collect();
        assert_eq!(failed, ["minimum_length", "reuse_prevention", "max_age_days"]);
        assert_eq!(cis_check(&weak, "minimum_length").unwrap().source, CisSource::Current);
        assert_eq!(cis_check(&weak, "hard_expiry"), None);
    }

    #[test]
    fn the_audit_names_before_and_after() {
        let before = EffectivePolicy::Custom(PasswordPolicy { minimum_length: 8, ..PasswordPolicy::cis_recommended() });
        let after = EffectivePolicy::Custom(PasswordPolicy::cis_recommended());
        let a = audit_change(&before, &after);
        assert!(a.starts_with("before: minimum_length=8 require_symbols=true"), "{a}");
        assert!(a.contains("; after: minimum_length=14 "), "{a}");
        assert_eq!(changed_fields(&before, &after), ["Minimum length 8 characters → 14 characters"]);
        assert_eq!(changed_fields(&after, &EffectivePolicy::IamDefault), ["custom policy deleted: IAM's default applies"]);
        assert_eq!(audit_change(&after, &EffectivePolicy::IamDefault).split("; after: ").nth(1), Some("policy=IAM default"));
    }
}
