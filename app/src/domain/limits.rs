//! IAM's quotas and the CIS AWS Foundations Benchmark thresholds keydesk applies, each defined once:
//! the pages, the server's rules and the embedded IAM all read them from here.

/// Access keys per IAM user, active or not.
pub const MAX_ACCESS_KEYS: usize = 2;
/// SSH public keys per IAM user (CodeCommit).
pub const MAX_SSH_KEYS: usize = 5;
/// Service-specific credentials per IAM user and service (CodeCommit's HTTPS Git credentials, and
/// each service of the services table).
pub const MAX_CREDENTIALS_PER_SERVICE: usize = 2;
/// MFA devices per IAM user.
pub const MAX_MFA_DEVICES: usize = 8;
/// X.509 signing certificates per IAM user.
pub const MAX_SIGNING_CERTS: usize = 2;
/// Tags per IAM user.
pub const MAX_TAGS: usize = 50;
/// The most previous passwords IAM can remember against reuse (`PasswordReusePrevention` is 1..=24).
pub const MAX_PASSWORD_REUSE: u8 = 24;

/// CIS: rotate access keys every 90 days (v1.2 1.4, v3 1.14).
pub const ROTATE_AFTER_DAYS: i64 = 90;
/// CIS: disable credentials unused for 45 days or more (v3 1.12).
pub const IDLE_AFTER_DAYS: i64 = 45;
/// CIS v3 1.8: passwords of at least 14 characters.
pub const CIS_PASSWORD_MIN_LENGTH: u8 = 14;
/// CIS v3 1.9: prevent reuse of the last 24 passwords.
pub const CIS_PASSWORD_REUSE: u8 = 24;
/// CIS v1.2 1.11 (withdrawn later): expire passwords within 90 days.
pub const CIS_PASSWORD_MAX_AGE_DAYS: u16 = 90;
