//! RFC 6238 TOTP (HMAC-SHA1, 30-second steps, 6 digits), as virtual MFA apps compute it, and the
//! Base32 seeds IAM hands out.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;

/// The code for time step `step` (Unix seconds / 30).
pub fn code(seed: &[u8], step: i64) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(seed) else { return String::new() };
    mac.update(&(step as u64).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[19] & 0x0f);
    let bin =
        (u32::from(h[offset] & 0x7f) << 24) | (u32::from(h[offset + 1]) << 16) | (u32::from(h[offset + 2]) << 8) | u32::from(h[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// Six ASCII digits, as IAM requires of an authentication code.
pub fn well_formed(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The step `s` in `earliest..=latest` where `code1` is the code of `s` and `code2` of `s + 1`.
pub fn find_consecutive(seed: &[u8], code1: &str, code2: &str, earliest: i64, latest: i64) -> Option<i64> {
    (earliest..=latest).find(|s| code(seed, *s) == code1 && code(seed, s + 1) == code2)
}

pub fn base32_encode(bytes: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(bytes)
}

pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    data_encoding::BASE32_NOPAD.decode(s.trim_end_matches('=').as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_test_vectors() {
        // RFC 6238 appendix B, SHA-1 seed, truncated to 6 digits.
        let seed = b"12345678901234567890";
        for (t, expected) in [(59, "287082"), (1_111_111_109, "081804"), (1_234_567_890, "005924"), (2_000_000_000, "279037")] {
            assert_eq!(code(seed, step_at(t)), expected, "t={t}");
        }
    }

    #[test]
    fn finds_consecutive_codes_only() {
        let seed = b"12345678901234567890";
        let s = step_at(1_234_567_890);
        let (a, b) = (code(seed, s), code(seed, s + 1));
        assert_eq!(find_consecutive(seed, &a, &b, s - 1, s + 1), Some(s));
        assert_eq!(find_consecutive(seed, &b, &a, s - 1, s + 1), None);
        assert_eq!(find_consecutive(seed, &a, &a, s - 1, s + 1), None);
        assert!(well_formed("012345") && !well_formed("12345") && !well_formed("12345a"));
        assert_eq!(base32_decode(&base32_encode(seed)).unwrap(), seed);
    }
}
