//! IAM credential kinds as keydesk exchanges them: identifiers (validated newtypes), statuses and
//! summaries. A `*Summary` never holds a secret; a `Created*` holds exactly one [`OneTimeSecret`].

use super::ids::IamUserName;
use super::secret::OneTimeSecret;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// Declares an IAM identifier newtype: fixed prefixes, then 16+ upper-case letters and digits.
macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, [$($prefix:literal),+]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// IAM's ids are upper case: one pasted in lower case (from chat, say) means the same id.
            pub fn parse(s: &str) -> Result<Self, String> {
                let s = s.trim().to_ascii_uppercase();
                let ok = [$($prefix),+].iter().any(|p| s.starts_with(p))
                    && (20..=128).contains(&s.len())
                    && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
                if ok {
                    Ok(Self(s))
                } else {
                    Err(format!(
                        concat!("{:?} is not ", $what, " (it starts with {} followed by upper-case letters and digits, 20 characters in all)."),
                        s.chars().take(40).collect::<String>(),
                        [$($prefix),+].join(" or ")
                    ))
                }
            }
            pub fn as_str(&self) -> &str { &self.0 }
            /// The last four characters, for places that must not show the whole id (e-mails).
            pub fn last4(&self) -> &str { &self.0[self.0.len() - 4..] }
        }
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> { Self::parse(&s) }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String { v.0 }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
    };
}

prefixed_id!(
    /// An access key id: `AKIA…` (long-term) or `ASIA…` (temporary STS credentials).
    AccessKeyId, "an access key id", ["AKIA", "ASIA"]
);
prefixed_id!(
    /// A service-specific credential id (`ACCA…`).
    ServiceCredentialId, "a service-specific credential id", ["ACCA"]
);
prefixed_id!(
    /// An SSH public key id (`APKA…`); CodeCommit's SSH user name.
    SshKeyId, "an SSH public key id", ["APKA"]
);

/// Status of an access key, service credential or SSH key. IAM may add values (`Expired` exists for
/// some service credentials): unknown ones are kept and shown, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Active,
    Inactive,
    Expired,
    Other(String),
}

impl Status {
    pub fn parse(s: &str) -> Status {
        match s {
            "Active" => Status::Active,
            "Inactive" => Status::Inactive,
            "Expired" => Status::Expired,
            other => Status::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Status::Active => "Active",
            Status::Inactive => "Inactive",
            Status::Expired => "Expired",
            Status::Other(s) => s,
        }
    }

    pub fn is_active(&self) -> bool {
        matches!(self, Status::Active)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The two statuses a person may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SetStatus {
    Active,
    Inactive,
}

impl SetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SetStatus::Active => "Active",
            SetStatus::Inactive => "Inactive",
        }
    }
}

impl From<SetStatus> for Status {
    fn from(s: SetStatus) -> Status {
        match s {
            SetStatus::Active => Status::Active,
            SetStatus::Inactive => Status::Inactive,
        }
    }
}

/// An IAM user as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamUser {
    pub name: IamUserName,
    pub user_id: String,
    pub arn: String,
    pub path: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub password_last_used: Option<OffsetDateTime>,
}

/// One page of users and the marker for the next, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<IamUser>,
    pub next_marker: Option<String>,
}

/// A console password's metadata (never the password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub reset_required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessKeySummary {
    pub id: AccessKeyId,
    pub status: Status,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// `GetAccessKeyLastUsed`: all `None` when the key was never used.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KeyLastUsed {
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
    pub service: Option<String>,
    pub region: Option<String>,
}

/// A new access key with its secret, which IAM returns this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedAccessKey {
    pub key: AccessKeySummary,
    pub secret: OneTimeSecret,
}

/// An MFA device assigned to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaDevice {
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    pub enabled_at: OffsetDateTime,
}

/// The kind of an MFA device, told by its serial: virtual devices have an `…:mfa/NAME` ARN, passkeys and
/// security keys (FIDO) a `…:u2f/…` ARN, hardware TOTP tokens a plain serial number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaKind {
    Virtual,
    HardwareTotp,
    SecurityKey,
}

impl MfaKind {
    pub fn label(self) -> &'static str {
        match self {
            MfaKind::Virtual => "Authenticator app (virtual)",
            MfaKind::HardwareTotp => "Hardware TOTP token",
            MfaKind::SecurityKey => "Passkey or security key",
        }
    }

    /// One word for inventories and exports.
    pub fn short(self) -> &'static str {
        match self {
            MfaKind::Virtual => "virtual",
            MfaKind::HardwareTotp => "hardware",
            MfaKind::SecurityKey => "security-key",
        }
    }

    /// Whether the device shows one-time codes (it can be resynchronised, and it works for
    /// `aws sts get-session-token --token-code`).
    pub fn gives_codes(self) -> bool {
        self != MfaKind::SecurityKey
    }
}

impl MfaDevice {
    /// Virtual devices have an IAM ARN as serial; hardware tokens have a plain serial number.
    pub fn is_virtual(&self) -> bool {
        self.kind() == MfaKind::Virtual
    }

    /// "virtual alice-phone", "hardware GAHT10000001": the type and the name or serial people know.
    pub fn inventory_label(&self) -> String {
        let name = match self.kind() {
            MfaKind::HardwareTotp => self.serial.as_str(),
            _ => self.serial.rsplit('/').next().unwrap_or(&self.serial),
        };
        format!("{} {name}", self.kind().short())
    }

    pub fn kind(&self) -> MfaKind {
        if self.serial.starts_with("arn:aws:iam::") && self.serial.contains(":mfa/") {
            MfaKind::Virtual
        } else if self.serial.starts_with("arn:aws:iam::") && self.serial.contains(":u2f/") {
            MfaKind::SecurityKey
        } else {
            MfaKind::HardwareTotp
        }
    }
}

/// The serial number of a hardware TOTP token as IAM accepts it (`SerialNumber`: 9 to 256 of letters,
/// digits and `_+=/:,.@-`), trimmed; virtual devices and security keys have ARNs, which are refused here.
pub fn hardware_serial(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("Enter the serial number printed on the back of the token.".into());
    }
    if s.starts_with("arn:") {
        return Err("That is the ARN of a virtual device or security key; enter the serial number printed on the token.".into());
    }
    if !(9..=256).contains(&s.len()) {
        return Err(format!(
            "A serial number has 9 to 256 characters; “{}” has {}.",
            s.chars().take(40).collect::<String>(),
            s.chars().count()
        ));
    }
    if let Some(bad) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(*c))) {
        return Err(format!("A serial number cannot contain “{bad}”: only letters, digits and _+=/:,.@- are allowed."));
    }
    Ok(s.to_owned())
}

/// A new virtual MFA device: the Base32 seed (the secret) and its otpauth URI for the QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedVirtualMfa {
    pub serial: String,
    pub seed: OneTimeSecret,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceCredential {
    pub id: ServiceCredentialId,
    pub service_name: String,
    /// `<user>-at-<account>` for user-name-and-password services; empty for API keys.
    pub service_user_name: String,
    /// The public part of an API key (Bedrock, CloudWatch Logs); `None` for the other services.
    #[serde(default)]
    pub alias: Option<String>,
    pub status: Status,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When an API key created with an expiry stops working.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

impl ServiceCredential {
    /// What identifies it to a person and to the service: the alias of an API key, else the user name.
    pub fn public_part(&self) -> &str {
        self.alias.as_deref().filter(|a| !a.is_empty()).unwrap_or(&self.service_user_name)
    }
}

/// A new or reset service-specific credential and its password, returned this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedServiceCredential {
    pub credential: ServiceCredential,
    pub password: OneTimeSecret,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshKeySummary {
    pub id: SshKeyId,
    pub status: Status,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
}

/// `GetSSHPublicKey`: the key body in the requested encoding and IAM's (MD5) fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshKeyDetail {
    pub summary: SshKeySummary,
    pub fingerprint: String,
    pub body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SshEncoding {
    Ssh,
    Pem,
}

/// The CSV credential report and when IAM generated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialReport {
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    pub csv: String,
}

/// The credential report's columns, in IAM's order.
pub const CREDENTIAL_REPORT_COLUMNS: [&str; 22] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

/// Who a credential belongs to, for look-ups by id ("who owns this key?").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyOwner {
    pub user: IamUserName,
    pub key: AccessKeySummary,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardware_serials_follow_iams_pattern() {
        assert_eq!(hardware_serial("  GAHT12345678 "), Ok("GAHT12345678".to_owned()));
        assert!(hardware_serial("").unwrap_err().contains("back of the token"));
        assert!(hardware_serial("GAHT1").unwrap_err().contains("9 to 256"));
        assert!(hardware_serial("GAHT 12345678").unwrap_err().contains("“ ”"));
        assert!(hardware_serial("arn:aws:iam::123456789012:mfa/alice").unwrap_err().contains("ARN"));
        assert!(hardware_serial(&"A".repeat(257)).is_err());
    }

    #[test]
    fn mfa_devices_are_told_apart_by_serial() {
        let at = time::OffsetDateTime::UNIX_EPOCH;
        let kind = |serial: &str| MfaDevice { serial: serial.into(), enabled_at: at }.kind();
        assert_eq!(kind("arn:aws:iam::123456789012:mfa/alice-phone"), MfaKind::Virtual);
        assert_eq!(kind("arn:aws:iam::123456789012:u2f/user/alice/yubikey-ABCDEFGHIJKLMNOPQRSTUVWXYZ"), MfaKind::SecurityKey);
        assert_eq!(kind("GAHT12345678"), MfaKind::HardwareTotp);
        assert!(!MfaKind::SecurityKey.gives_codes() && MfaKind::HardwareTotp.gives_codes());
    }

    #[test]
    fn ids_validate_prefix_length_and_alphabet() {
        assert!(AccessKeyId::parse("AKIAIOSFODNN7EXAMPLE").is_ok());
        assert!(AccessKeyId::parse(" ASIAIOSFODNN7EXAMPLE ").is_ok());
        assert!(AccessKeyId::parse("AKIAIOSFODNN7EXAMPL").is_err(), "19 characters");
        // IAM's ids are upper case: a lower-case paste is the same id.
        assert_eq!(AccessKeyId::parse("akiaiosfodnn7example").unwrap().as_str(), "AKIAIOSFODNN7EXAMPLE");
        assert!(AccessKeyId::parse("AKIAIOSFODNN7EXAMPL+").is_err());
        let e = AccessKeyId::parse("APKAIOSFODNN7EXAMPLE").unwrap_err();
        assert!(e.contains("not an access key id") && e.contains("AKIA or ASIA"), "{e}");
        assert!(SshKeyId::parse("APKAIOSFODNN7EXAMPLE").is_ok());
        assert!(ServiceCredentialId::parse("ACCAIOSFODNN7EXAMPLE").is_ok());
        assert_eq!(AccessKeyId::parse("AKIAIOSFODNN7EXAMPLE").unwrap().last4(), "MPLE");
    }

    #[test]
    fn unknown_statuses_are_kept() {
        assert_eq!(Status::parse("Active"), Status::Active);
        assert_eq!(Status::parse("Bogus"), Status::Other("Bogus".into()));
        assert_eq!(Status::parse("Bogus").to_string(), "Bogus");
    }
}
