//! How guessable a password is, beyond what IAM's policy checks: a small estimator in the spirit of
//! zxcvbn (which keydesk does not ship: its dictionaries and regex engine would roughly double the WASM
//! bundle). The password is split, by dynamic programming, into the cheapest sequence of pieces an
//! attacker would try — common passwords (the 10,000 most frequent of zxcvbn's list, MIT), the user's
//! own names, repeats, sequences, keyboard runs, years — and single characters from its alphabet; the
//! estimate is the sum of the pieces' log10 guesses. Runs in the browser on every keystroke and on the
//! server before IAM is called, so both always agree.
//!
//! The common list (79 KB, 41 KB gzip) is compiled into the server only. The browser fetches it from
//! [`common_list_path`] when a person starts typing a new password ([`provide_common_list`]): every other
//! page's bundle is that much lighter, and a password never leaves the browser to be rated (#28).
//! Until it arrives, the estimate is made without it ([`common_list_ready`] says which).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The list, in the server (and in tests).
#[cfg(not(feature = "hydrate"))]
pub static COMMON_LIST: &str = include_str!("common_passwords.txt");

/// How many passwords the common list holds (for the message).
pub const COMMON_COUNT: usize = 10_000;

/// Where the server serves the list: the name carries a hash of its content (set by `app/build.rs`),
/// so browsers may keep it forever.
pub fn common_list_path() -> String {
    format!("/common-passwords-{}.txt", env!("KEYDESK_COMMON_LIST_HASH"))
}

static RANKS: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();

fn ranks_of(list: &'static str) -> HashMap<&'static str, usize> {
    list.lines().enumerate().map(|(i, w)| (w, i + 1)).collect()
}

fn common_rank(word: &str) -> Option<usize> {
    #[cfg(not(feature = "hydrate"))]
    let ranks = Some(RANKS.get_or_init(|| ranks_of(COMMON_LIST)));
    #[cfg(feature = "hydrate")]
    let ranks = RANKS.get();
    ranks?.get(word).copied()
}

/// Give the browser's estimator the list fetched from [`common_list_path`] (the first call wins).
pub fn provide_common_list(text: String) {
    RANKS.get_or_init(|| ranks_of(Box::leak(text.into_boxed_str())));
}

/// Does the estimator know the common passwords yet? Always in the server.
pub fn common_list_ready() -> bool {
    cfg!(not(feature = "hydrate")) || RANKS.get().is_some()
}

const KEYBOARD_ROWS: [&str; 4] = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890"];

/// The estimate shown under the password field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strength {
    /// 0 (guessable in under a thousand tries) to 4 (over 10^10 guesses), as zxcvbn scores.
    pub score: u8,
    pub guesses_log10: f64,
    /// Why it is weak, in words a person can act on. Empty for a strong password.
    pub warnings: Vec<String>,
}

impl Strength {
    pub fn label(&self) -> &'static str {
        ["Very weak", "Weak", "Fair", "Strong", "Very strong"][usize::from(self.score.min(4))]
    }

    /// How long guessing it would take, in plain words (an attacker who stole the hashes and tries
    /// about ten thousand guesses a second, as the score's bands assume).
    pub fn in_words(&self) -> &'static str {
        match self.guesses_log10 {
            g if g < 3.0 => "guessed almost at once",
            g if g < 6.0 => "guessed within minutes",
            g if g < 8.0 => "guessed within days",
            g if g < 10.0 => "would take years to guess",
            _ => "would take centuries to guess",
        }
    }
}

/// The lowest score keydesk calls acceptable when weak passwords are blocked.
pub const BLOCK_BELOW_SCORE: u8 = 3;

/// Undo the common character substitutions (p@ssw0rd → password).
fn unleet(c: char) -> char {
    match c {
        '@' | '4' => 'a',
        '0' => 'o',
        '1' | '!' => 'i',
        '3' => 'e',
        '5' | '$' => 's',
        '7' => 't',
        other => other,
    }
}

fn alphabet_size(pw: &str) -> f64 {
    let mut size = 0u32;
    if pw.chars().any(|c| c.is_ascii_lowercase()) {
        size += 26;
    }
    if pw.chars().any(|c| c.is_ascii_uppercase()) {
        size += 26;
    }
    if pw.chars().any(|c| c.is_ascii_digit()) {
        size += 10;
    }
    if pw.chars().any(|c| c.is_ascii_punctuation() || c == ' ') {
        size += 33;
    }
    if !pw.is_ascii() {
        size += 100;
    }
    f64::from(size.max(10))
}

/// Consecutive code points going one way (abcd, 4321), or a run along a keyboard row.
fn is_run(s: &[char]) -> bool {
    let step = |d: i64| s.windows(2).all(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0])) == d);
    if step(1) || step(-1) {
        return true;
    }
    let text: String = s.iter().collect();
    let reversed: String = s.iter().rev().collect();
    KEYBOARD_ROWS.iter().any(|row| row.contains(&text) || row.contains(&reversed))
}

fn is_year(s: &[char]) -> bool {
    s.len() == 4 && s.iter().all(char::is_ascii_digit) && matches!(s[0..2], ['1', '9'] | ['2', '0'])
}

/// What the cheapest cover of the password used, for the warnings.
#[derive(Default)]
struct Found {
    common: bool,
    whole_common: bool,
    user_input: bool,
    pattern: bool,
}

/// Estimate `password`; `user_inputs` are words an attacker would try first (the user's names).
pub fn estimate(password: &str, user_inputs: &[&str]) -> Strength {
    let original: Vec<char> = password.chars().collect();
    let lower: Vec<char> = password.to_lowercase().chars().collect();
    // Lower-casing can change the length (rare non-ASCII); then only single characters are matched.
    let n = original.len();
    let same_len = lower.len() == n;
    let plain: Vec<char> = lower.iter().map(|&c| unleet(c)).collect();
    let inputs: Vec<Vec<char>> =
        user_inputs.iter().map(|u| u.to_lowercase().chars().collect::<Vec<_>>()).filter(|u| u.len() >= 3).collect();
    let per_char = alphabet_size(password).log10();

    // best[i]: (log10 guesses to cover the first i characters, piece count, where the last piece began, its kind)
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Char,
        Common,
        User,
        Pattern,
    }
    let mut best: Vec<(f64, usize, usize, Kind)> = vec![(f64::INFINITY, 0, 0, Kind::Char); n + 1];
    best[0] = (0.0, 0, 0, Kind::Char);
    for i in 0..n {
        let (base, pieces, _, _) = best[i];
        if !base.is_finite() {
            continue;
        }
        let mut relax = |j: usize, cost: f64, kind: Kind| {
            let total = base + cost;
            if total < best[j].0 {
                best[j] = (total, pieces + 1, i, kind);
            }
        };
        relax(i + 1, per_char, Kind::Char);
        if !same_len {
            continue;
        }
        for j in (i + 3)..=n.min(i + 40) {
            let seg = &lower[i..j];
            let len = (j - i) as f64;
            let variants = if original[i..j] != *seg || plain[i..j] != *seg { 2f64.log10() } else { 0.0 };
            if j - i >= 4 {
                let word: String = plain[i..j].iter().collect();
                let literal: String = seg.iter().collect();
                if let Some(rank) = common_rank(&literal).or_else(|| common_rank(&word)) {
                    relax(j, (rank as f64).log10() + variants, Kind::Common);
                }
            }
            if inputs.iter().any(|u| u.as_slice() == seg || u.as_slice() == &plain[i..j]) {
                relax(j, 1.0 + variants, Kind::User);
            }
            if seg.iter().all(|&c| c == seg[0]) {
                relax(j, per_char + len.log10(), Kind::Pattern);
            } else if is_run(seg) {
                relax(j, 26f64.log10() + len.log10() + 0.3, Kind::Pattern);
            } else if is_year(seg) {
                relax(j, 140f64.log10(), Kind::Pattern);
            }
        }
    }
    let (raw, pieces, _, _) = best[n];
    // Combining pieces costs the attacker a little: the order and count of pieces must be guessed too.
    let guesses_log10 = if n == 0 { 0.0 } else { raw + (pieces.max(1) as f64).log10() };

    let mut found = Found::default();
    let mut at = n;
    while at > 0 {
        let (_, _, from, kind) = best[at];
        match kind {
            Kind::Common => {
                found.common = true;
                found.whole_common |= from == 0 && at == n;
            }
            Kind::User => found.user_input = true,
            Kind::Pattern => found.pattern = true,
            Kind::Char => {}
        }
        at = from;
    }
    // A user name inside the password is worth a warning even when another cover was cheaper.
    found.user_input |= same_len
        && inputs.iter().any(|u| plain.windows(u.len()).any(|w| w == u.as_slice()) || lower.windows(u.len()).any(|w| w == u.as_slice()));

    let score = match guesses_log10 {
        g if g < 3.0 => 0,
        g if g < 6.0 => 1,
        g if g < 8.0 => 2,
        g if g < 10.0 => 3,
        _ => 4,
    };
    let mut warnings = Vec::new();
    if found.whole_common {
        warnings.push(format!("This is one of the {COMMON_COUNT} most common passwords."));
    } else if found.common && score < BLOCK_BELOW_SCORE {
        warnings.push("It contains a common password; attackers try those first.".to_owned());
    }
    if found.user_input {
        warnings.push("It contains your user name.".to_owned());
    }
    if found.pattern && score < BLOCK_BELOW_SCORE {
        warnings.push("Repeats, sequences (abcd, 1234), keyboard runs (qwerty) and years are easy to guess.".to_owned());
    }
    if score < BLOCK_BELOW_SCORE && warnings.is_empty() && n > 0 {
        warnings.push("Too easy to guess: make it longer, for example a few unrelated words.".to_owned());
    }
    Strength { score, guesses_log10, warnings }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_very_weak_whatever_the_case_or_substitutions() {
        for pw in ["password", "Password", "P@ssw0rd", "123456789", "qwertyuiop", "dragon"] {
            let s = estimate(pw, &[]);
            assert!(s.score <= 1, "{pw}: {s:?}");
            assert!(s.warnings.iter().any(|w| w.contains("common")), "{pw}: {s:?}");
        }
        assert_eq!(common_rank("123456"), Some(1));
        assert_eq!(COMMON_LIST.lines().count(), COMMON_COUNT);
    }

    #[test]
    fn the_user_name_is_found_and_cheap() {
        let with = estimate("alice-Xy9!alice", &["alice"]);
        let without = estimate("alice-Xy9!alice", &[]);
        assert!(with.warnings.iter().any(|w| w.contains("user name")), "{with:?}");
        assert!(with.guesses_log10 < without.guesses_log10);
        assert!(estimate("ALICE2024", &["alice"]).warnings.iter().any(|w| w.contains("user name")));
    }

    #[test]
    fn patterns_cost_little() {
        for pw in ["aaaaaaaaaaaa", "abcdefghijkl", "987654321098", "asdfghjkl", "Qwerty1990"] {
            let s = estimate(pw, &[]);
            assert!(s.score <= 2, "{pw}: {s:?}");
            assert!(!s.warnings.is_empty(), "{pw}");
        }
    }

    #[test]
    fn long_random_and_passphrases_are_strong() {
        for pw in ["k7#Vq2!mZp9@Lr4$", "correct horse battery staple", "Tr0ub4dor&3-orbit-Wand-Lichen"] {
            let s = estimate(pw, &[]);
            assert!(s.score >= 3, "{pw}: {s:?}");
            assert!(s.warnings.is_empty(), "{pw}: {s:?}");
        }
    }

    #[test]
    fn longer_never_means_weaker_for_random_suffixes() {
        let a = estimate("Zq8#", &[]).guesses_log10;
        let b = estimate("Zq8#t", &[]).guesses_log10;
        assert!(b > a);
        assert_eq!(estimate("", &[]).score, 0);
    }

    #[test]
    fn non_ascii_is_handled() {
        let s = estimate("ÄÖÜäöüß-Éé-ñ", &["Ä"]);
        assert!(s.guesses_log10.is_finite());
        // Lower-casing İ changes the length: only single characters are counted, no panic.
        assert!(estimate("İİİİpassword", &["password"]).guesses_log10.is_finite());
    }

    #[test]
    fn strength_is_told_in_plain_words() {
        assert_eq!(estimate("password", &[]).in_words(), "guessed almost at once");
        assert_eq!(estimate("Granite-Tulip-42-fox-Quartz-Meadow", &[]).in_words(), "would take centuries to guess");
    }
}
