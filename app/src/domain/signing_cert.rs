//! X.509 signing certificates (IAM allows 2 per user): what IAM stores and what the page shows. The
//! server inspects each certificate (it parses, is within its validity, has a key of a safe size)
//! before IAM sees it; the body is a public certificate, never a private key.

use super::credentials::Status;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// IAM's limit of signing certificates per user.
pub use super::limits::MAX_SIGNING_CERTS;
/// IAM's limit on the PEM body (characters).
pub const MAX_CERT_BODY: usize = 16_384;

/// A certificate as IAM lists it (`ListSigningCertificates` returns the body too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningCert {
    pub id: String,
    pub status: Status,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    pub body: String,
}

/// What keydesk reads from a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// SHA-256 of the DER encoding, upper-case hex pairs joined by colons (as `openssl x509 -fingerprint -sha256`).
    pub sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// "RSA 2048", "EC P-256".
    pub key: String,
}

/// A certificate as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningCertView {
    pub id: String,
    pub status: Status,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    /// `None` when keydesk cannot read a certificate someone uploaded elsewhere.
    pub info: Option<CertInfo>,
    pub expired: bool,
}

/// IAM's rule for a certificate id: 24 to 128 word characters.
pub fn cert_id_ok(id: &str) -> bool {
    (24..=128).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_ids_follow_iams_pattern() {
        assert!(cert_id_ok("TA7SMP42TDN5Z26OBPJE7EXAMPLE"));
        assert!(!cert_id_ok("short"));
        assert!(!cert_id_ok("TA7SMP42TDN5Z26OBPJE7EXAMPLE/../x"));
    }
}
