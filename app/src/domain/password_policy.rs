//! The IAM account password policy and the one validator keydesk uses for IAM console passwords: the
//! browser runs [`PasswordPolicy::check`] on every keystroke and the server runs it again before calling
//! IAM, so both always give the same verdict. Character set, length limits and the symbol set follow IAM.

use serde::{Deserialize, Serialize};

/// The characters IAM counts as symbols.
pub const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";
/// IAM's absolute password length limits.
pub const IAM_MAX_LEN: usize = 128;

/// The account password policy (`GetAccountPasswordPolicy`). `None` fields mean "not set".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_length: u8,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub allow_users_to_change: bool,
    pub max_age_days: Option<u16>,
    pub reuse_prevention: Option<u8>,
    pub hard_expiry: bool,
}

/// The policy in force: the account's custom policy, or IAM's default when none is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EffectivePolicy {
    Custom(PasswordPolicy),
    IamDefault,
}

/// One rule of the policy and whether a candidate password meets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCheck {
    pub rule: Rule,
    pub met: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    MinLength(u8),
    MaxLength,
    Charset,
    Uppercase,
    Lowercase,
    Number,
    Symbol,
    /// IAM's default policy: at least three of the four character classes.
    ThreeOfFourClasses,
}

impl Rule {
    /// The rule as the checklist words it.
    pub fn describe(&self) -> String {
        match self {
            Rule::MinLength(n) => format!("At least {n} characters"),
            Rule::MaxLength => format!("At most {IAM_MAX_LEN} characters"),
            Rule::Charset => "Only letters, digits, spaces, symbols and Latin-1 characters".to_owned(),
            Rule::Uppercase => "At least one uppercase letter (A–Z)".to_owned(),
            Rule::Lowercase => "At least one lowercase letter (a–z)".to_owned(),
            Rule::Number => "At least one number (0–9)".to_owned(),
            Rule::Symbol => format!("At least one symbol ({})", SYMBOLS.chars().map(String::from).collect::<Vec<_>>().join(" ")),
            Rule::ThreeOfFourClasses => "At least three of: uppercase, lowercase, numbers, symbols".to_owned(),
        }
    }
}

/// A candidate password's verdict: every rule with whether it is met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub checks: Vec<RuleCheck>,
}

impl Verdict {
    pub fn is_ok(&self) -> bool {
        self.checks.iter().all(|c| c.met)
    }

    /// The first unmet rule, worded as an error.
    pub fn first_failure(&self) -> Option<String> {
        self.checks.iter().find(|c| !c.met).map(|c| format!("The password does not meet the policy: {}.", c.rule.describe().to_lowercase()))
    }
}

/// Characters IAM accepts in a password: tab, LF, CR and U+0020–U+00FF.
pub fn iam_char(c: char) -> bool {
    matches!(c, '\u{09}' | '\u{0A}' | '\u{0D}' | '\u{20}'..='\u{FF}')
}

#[derive(Default)]
struct Classes {
    upper: bool,
    lower: bool,
    number: bool,
    symbol: bool,
}

fn classes(pw: &str) -> Classes {
    let mut c = Classes::default();
    for ch in pw.chars() {
        c.upper |= ch.is_ascii_uppercase();
        c.lower |= ch.is_ascii_lowercase();
        c.number |= ch.is_ascii_digit();
        c.symbol |= SYMBOLS.contains(ch);
    }
    c
}

impl PasswordPolicy {
    /// IAM's minimum for `MinimumPasswordLength`.
    pub const MIN_LENGTH_FLOOR: u8 = 6;

    /// The CIS AWS Foundations Benchmark recommendations: at least 14 characters, all four character
    /// classes, expiry after 90 days, no reuse of the last 24 passwords.
    pub fn cis_recommended() -> Self {
        PasswordPolicy {
            minimum_length: super::limits::CIS_PASSWORD_MIN_LENGTH,
            require_symbols: true,
            require_numbers: true,
            require_uppercase: true,
            require_lowercase: true,
            allow_users_to_change: true,
            max_age_days: Some(super::limits::CIS_PASSWORD_MAX_AGE_DAYS),
            reuse_prevention: Some(super::limits::CIS_PASSWORD_REUSE),
            hard_expiry: false,
        }
    }
}

impl EffectivePolicy {
    pub fn min_length(&self) -> usize {
        match self {
            EffectivePolicy::Custom(p) => usize::from(p.minimum_length.max(PasswordPolicy::MIN_LENGTH_FLOOR)),
            EffectivePolicy::IamDefault => 8,
        }
    }

    pub fn allow_users_to_change(&self) -> bool {
        match self {
            EffectivePolicy::Custom(p) => p.allow_users_to_change,
            // Without a custom policy IAM lets users change their own password.
            EffectivePolicy::IamDefault => true,
        }
    }

    pub fn max_age_days(&self) -> Option<u16> {
        match self {
            EffectivePolicy::Custom(p) => p.max_age_days,
            EffectivePolicy::IamDefault => None,
        }
    }

    pub fn reuse_prevention(&self) -> Option<u8> {
        match self {
            EffectivePolicy::Custom(p) => p.reuse_prevention,
            EffectivePolicy::IamDefault => None,
        }
    }

    pub fn hard_expiry(&self) -> bool {
        matches!(self, EffectivePolicy::Custom(p) if p.hard_expiry)
    }

    /// Check a candidate password against every rule of the policy (reuse is checked by IAM, which
    /// alone knows the password history).
    pub fn check(&self, pw: &str) -> Verdict {
        let len = pw.chars().count();
        let c = classes(pw);
        let mut checks = vec![
            RuleCheck { rule: Rule::MinLength(self.min_length() as u8), met: len >= self.min_length() },
            RuleCheck { rule: Rule::MaxLength, met: len <= IAM_MAX_LEN },
            RuleCheck { rule: Rule::Charset, met: pw.chars().all(iam_char) },
        ];
        match self {
            EffectivePolicy::Custom(p) => {
                let mut add = |on: bool, rule: Rule, met: bool| {
                    if on {
                        checks.push(RuleCheck { rule, met });
                    }
                };
                add(p.require_uppercase, Rule::Uppercase, c.upper);
                add(p.require_lowercase, Rule::Lowercase, c.lower);
                add(p.require_numbers, Rule::Number, c.number);
                add(p.require_symbols, Rule::Symbol, c.symbol);
            }
            EffectivePolicy::IamDefault => {
                let n = [c.upper, c.lower, c.number, c.symbol].iter().filter(|b| **b).count();
                checks.push(RuleCheck { rule: Rule::ThreeOfFourClasses, met: n >= 3 });
            }
        }
        Verdict { checks }
    }
}

/// Why a new console password is refused, or `None` when keydesk will send it to IAM. The browser
/// runs this to enable the submit button and the server runs it again before calling IAM, so the words
/// a person sees are the same on both sides. `block_weak` turns the strength warnings into a refusal.
pub fn refusal(policy: &EffectivePolicy, password: &str, repeat: &str, user_name: &str, block_weak: bool) -> Option<String> {
    if let Some(failure) = policy.check(password).first_failure() {
        return Some(failure);
    }
    if block_weak {
        let strength = crate::domain::strength::estimate(password, &[user_name]);
        if strength.score < crate::domain::strength::BLOCK_BELOW_SCORE {
            return Some(format!(
                "The password is too easy to guess ({}). {}",
                strength.label().to_lowercase(),
                strength.warnings.join(" ")
            ));
        }
    }
    if password != repeat {
        return Some("The two passwords are not the same.".to_owned());
    }
    None
}

/// A password for the help desk to hand over: at least 20 characters (longer if the policy asks), one of
/// every character class IAM knows, the rest drawn from all of them. `pick(n)` must return a uniformly
/// random number below `n` (the server passes the OS random generator). The result always passes
/// [`refusal`] for `policy` (property-tested).
pub fn generate(policy: &EffectivePolicy, user_name: &str, mut pick: impl FnMut(usize) -> usize) -> String {
    const UPPER: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &str = "abcdefghijkmnopqrstuvwxyz";
    const DIGITS: &str = "23456789";
    let classes = [UPPER, LOWER, DIGITS, SYMBOLS];
    let all: Vec<char> = classes.concat().chars().collect();
    let length = policy.min_length().clamp(20, IAM_MAX_LEN);
    loop {
        let mut chars: Vec<char> = classes
            .iter()
            .map(|c| {
                let c: Vec<char> = c.chars().collect();
                c[pick(c.len())]
            })
            .collect();
        while chars.len() < length {
            chars.push(all[pick(all.len())]);
        }
        for i in (1..chars.len()).rev() {
            chars.swap(i, pick(i + 1));
        }
        let candidate: String = chars.into_iter().collect();
        if refusal(policy, &candidate, &candidate, user_name, true).is_none() {
            return candidate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn generated_passwords_satisfy_any_policy(
            min in 6u8..=128, symbols: bool, numbers: bool, upper: bool, lower: bool, seed: u64,
        ) {
            let policy = EffectivePolicy::Custom(PasswordPolicy {
                minimum_length: min, require_symbols: symbols, require_numbers: numbers, require_uppercase: upper,
                require_lowercase: lower, ..PasswordPolicy::cis_recommended()
            });
            let mut state = seed | 1;
            let pw = generate(&policy, "alice", |n| {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                (state % n as u64) as usize
            });
            proptest::prop_assert_eq!(refusal(&policy, &pw, &pw, "alice", true), None);
            proptest::prop_assert!(pw.chars().count() >= usize::from(min).max(20));
        }
    }

    fn custom() -> PasswordPolicy {
        PasswordPolicy::cis_recommended()
    }

    #[test]
    fn length_boundaries() {
        let p = EffectivePolicy::Custom(custom());
        assert!(!p.check("Aa1!aaaaaaaaa").is_ok(), "13 characters");
        assert!(p.check("Aa1!aaaaaaaaaa").is_ok(), "14 characters");
        assert!(p.check(&format!("Aa1!{}", "a".repeat(124))).is_ok(), "128 characters");
        assert!(!p.check(&format!("Aa1!{}", "a".repeat(125))).is_ok(), "129 characters");
        let d = EffectivePolicy::IamDefault;
        assert!(!d.check("Aa1aaaa").is_ok(), "7 characters");
        assert!(d.check("Aa1aaaaa").is_ok(), "8 characters, 3 classes");
    }

    #[test]
    fn each_class_is_checked_only_when_required() {
        let mut p = custom();
        let ok = "Abcdefgh1234!x";
        assert!(EffectivePolicy::Custom(p.clone()).check(ok).is_ok());
        for (bad, rule) in [
            ("abcdefgh1234!x", Rule::Uppercase),
            ("ABCDEFGH1234!X", Rule::Lowercase),
            ("Abcdefghijkl!x", Rule::Number),
            ("Abcdefgh1234xx", Rule::Symbol),
        ] {
            let v = EffectivePolicy::Custom(p.clone()).check(bad);
            assert_eq!(v.checks.iter().filter(|c| !c.met).map(|c| c.rule.clone()).collect::<Vec<_>>(), [rule], "{bad}");
        }
        p.require_symbols = false;
        assert!(EffectivePolicy::Custom(p).check("Abcdefgh1234xx").is_ok());
    }

    #[test]
    fn only_iams_symbols_count() {
        let p = EffectivePolicy::Custom(PasswordPolicy {
            require_uppercase: false,
            require_lowercase: false,
            require_numbers: false,
            ..custom()
        });
        for s in SYMBOLS.chars() {
            assert!(p.check(&format!("aaaaaaaaaaaaa{s}")).is_ok(), "{s} is a symbol");
        }
        for s in ['~', '`', '"', ';', ':', '<', '>', ',', '.', '?', '/', '\\', ' ', 'é'] {
            assert!(!p.check(&format!("aaaaaaaaaaaaa{s}")).is_ok(), "{s:?} is not an IAM symbol");
        }
    }

    #[test]
    fn iam_character_set() {
        assert!(iam_char('\t') && iam_char('\n') && iam_char('\r') && iam_char(' ') && iam_char('ÿ'));
        assert!(!iam_char('\u{0B}') && !iam_char('\u{1F}') && !iam_char('\u{100}') && !iam_char('€') && !iam_char('😀'));
        let d = EffectivePolicy::IamDefault;
        assert!(!d.check("Aa1aaaaa€").is_ok());
        assert!(d.check("Aa1 aaaé").is_ok());
    }

    #[test]
    fn default_policy_needs_three_of_four_classes() {
        let d = EffectivePolicy::IamDefault;
        assert!(!d.check("aaaaaaaa11").is_ok());
        assert!(d.check("aaaaaaaa1!").is_ok());
        assert!(d.check("AAAAAAAAa!").is_ok());
        assert!(d.allow_users_to_change() && !d.hard_expiry() && d.max_age_days().is_none());
    }

    #[test]
    fn first_failure_names_the_rule() {
        let v = EffectivePolicy::Custom(custom()).check("short");
        assert_eq!(v.first_failure().unwrap(), "The password does not meet the policy: at least 14 characters.");
    }

    mod refusal_is_the_checklist {
        use super::super::*;
        use proptest::prelude::*;

        fn policies() -> impl Strategy<Value = EffectivePolicy> {
            (6u8..=20, any::<[bool; 4]>(), any::<bool>()).prop_map(|(len, c, default)| {
                if default {
                    EffectivePolicy::IamDefault
                } else {
                    let mut p = PasswordPolicy::cis_recommended();
                    p.minimum_length = len;
                    (p.require_uppercase, p.require_lowercase, p.require_numbers, p.require_symbols) = (c[0], c[1], c[2], c[3]);
                    EffectivePolicy::Custom(p)
                }
            })
        }

        proptest! {
            /// What the browser shows (the checklist) and what the server enforces (refusal) are one
            /// function: refused exactly when a checklist line is unticked, with that line's words.
            #[test]
            fn refusal_matches_the_checklist(policy in policies(), pw in "[ -~\u{a0}-\u{ff}\u{100}-\u{110}\t]{0,30}") {
                let verdict = policy.check(&pw);
                let refused = refusal(&policy, &pw, &pw, "alice", false);
                prop_assert_eq!(refused.is_some(), !verdict.is_ok());
                if let Some(message) = refused {
                    let unmet = verdict.checks.iter().find(|c| !c.met).map(|c| c.rule.describe().to_lowercase()).unwrap_or_default();
                    prop_assert!(message.contains(&unmet));
                }
            }
        }

        #[test]
        fn a_mismatch_and_a_weak_password_are_refused_after_the_policy() {
            let p = EffectivePolicy::IamDefault;
            assert_eq!(refusal(&p, "Abcdef1!xyz", "Abcdef1!xy", "bob", false).as_deref(), Some("The two passwords are not the same."));
            assert_eq!(refusal(&p, "Password1!", "Password1!", "bob", false), None, "weak passwords only warn by default");
            let blocked = refusal(&p, "Password1!", "Password1!", "bob", true).unwrap_or_default();
            assert!(blocked.starts_with("The password is too easy to guess"), "{blocked}");
            assert_eq!(refusal(&p, "vivid-Otter-91-lantern", "vivid-Otter-91-lantern", "bob", true), None);
        }
    }
}
