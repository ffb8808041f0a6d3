//! Credential fixtures: SSH public keys, X.509 certificates and TOTP codes.

use time::OffsetDateTime;

/// A syntactically valid RSA public key of `bits` bits (no private half exists); `seed` makes
/// distinct keys.
pub fn rsa_key(bits: usize, seed: u8) -> String {
    use base64::Engine as _;
    let mut n = vec![0xC5u8 ^ seed; bits / 8];
    n[0] = 0x80 | 0x45;
    let mut blob = Vec::new();
    for part in [b"ssh-rsa".to_vec(), vec![1, 0, 1], [vec![0], n].concat()] {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(&part);
    }
    format!("ssh-rsa {} alice@laptop", base64::engine::general_purpose::STANDARD.encode(blob))
}

/// A fresh self-signed EC P-256 certificate for `cn` (subject and `<cn>.example.com`), valid from
/// `not_before` to `not_after`; with its private key. PEM both.
pub fn certificate(cn: &str, not_before: OffsetDateTime, not_after: OffsetDateTime) -> (String, String) {
    let mut params = rcgen::CertificateParams::new(vec![format!("{cn}.example.com")]).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, cn);
    params.not_before = not_before;
    params.not_after = not_after;
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// A certificate for `cn` valid a year around `at` (a day before to a year after).
pub fn certificate_at(cn: &str, at: OffsetDateTime) -> String {
    certificate(cn, at - time::Duration::days(1), at + time::Duration::days(365)).0
}

/// Two consecutive TOTP codes for a virtual MFA seed (Base32) at `at`, `offset` steps later: the
/// pair IAM's EnableMFADevice wants.
pub fn totp_codes(seed_b32: &str, at: OffsetDateTime, offset: i64) -> (String, String) {
    use server::iam::totp;
    let seed = totp::base32_decode(seed_b32).unwrap();
    let step = totp::step_at(at.unix_timestamp()) + offset;
    (totp::code(&seed, step - 1), totp::code(&seed, step))
}
