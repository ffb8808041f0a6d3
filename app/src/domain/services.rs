//! The AWS services that issue service-specific credentials, in one table: what each credential is
//! called, whether it is a user name + password or an API key (alias + secret, optionally expiring),
//! the help an employee reads, and the one-time CSV. The embedded IAM accepts exactly these services;
//! the page and the server functions know no service outside this table.

use super::entitlements::Capability;
use super::export::csv_cell;
use super::OneTimeSecret;

/// How a service's credential looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialShape {
    /// `ServiceUserName` (`<user>-at-<account>`) and `ServicePassword`; never expires.
    UserAndPassword,
    /// `ServiceCredentialAlias` and `ServiceCredentialSecret`; may expire after `CredentialAgeDays`.
    ApiKey,
}

/// One service that issues service-specific credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceSpec {
    /// keydesk's short name, used in forms, ids and file names.
    pub slug: &'static str,
    /// IAM's `ServiceName`.
    pub service_name: &'static str,
    pub label: &'static str,
    /// What one credential is called ("HTTPS Git credentials", "API key").
    pub noun: &'static str,
    pub shape: CredentialShape,
    /// What it is for and how to use it, one paragraph.
    pub help: &'static str,
    /// AWS documentation about this credential.
    pub docs: &'static str,
}

/// The services IAM's `CreateServiceSpecificCredential` accepts (API reference, 2026): CodeCommit has its
/// own section (Git clone commands, SSH keys); the others share the generic one.
pub const SERVICES: &[ServiceSpec] = &[
    ServiceSpec {
        slug: "codecommit",
        service_name: "codecommit.amazonaws.com",
        label: "AWS CodeCommit",
        noun: "HTTPS Git credentials",
        shape: CredentialShape::UserAndPassword,
        help: "A user name and password for HTTPS Git connections to CodeCommit repositories.",
        docs: "https://docs.aws.amazon.com/codecommit/latest/userguide/setting-up-gc.html",
    },
    ServiceSpec {
        slug: "keyspaces",
        service_name: "cassandra.amazonaws.com",
        label: "Amazon Keyspaces (for Apache Cassandra)",
        noun: "Keyspaces credentials",
        shape: CredentialShape::UserAndPassword,
        help: "A user name and password for Cassandra drivers and cqlsh connecting to Amazon Keyspaces with \
               plain-text authentication over TLS (port 9142). They never expire; reset the password to rotate.",
        docs: "https://docs.aws.amazon.com/keyspaces/latest/devguide/programmatic.credentials.ssc.html",
    },
    ServiceSpec {
        slug: "bedrock",
        service_name: "bedrock.amazonaws.com",
        label: "Amazon Bedrock",
        noun: "Bedrock API key",
        shape: CredentialShape::ApiKey,
        help: "A long-term API key for Amazon Bedrock: the secret is the key itself, sent as a bearer token \
               (for example in the AWS_BEARER_TOKEN_BEDROCK environment variable). It works only for Bedrock, \
               and stops working on its expiry date.",
        docs: "https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html",
    },
    ServiceSpec {
        slug: "logs",
        service_name: "logs.amazonaws.com",
        label: "Amazon CloudWatch Logs",
        noun: "CloudWatch Logs API key",
        shape: CredentialShape::ApiKey,
        help: "A long-term API key for sending logs to CloudWatch Logs over HTTP with a bearer token. It works \
               only for CloudWatch Logs, and stops working on its expiry date.",
        docs: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_HTTP_Endpoints.html",
    },
];

/// IAM's range for `CredentialAgeDays`.
pub const MAX_CREDENTIAL_AGE_DAYS: u32 = 36_600;
/// IAM allows this many credentials per service per user.
pub use super::limits::MAX_CREDENTIALS_PER_SERVICE as PER_SERVICE;

impl ServiceSpec {
    pub fn by_slug(slug: &str) -> Option<&'static ServiceSpec> {
        SERVICES.iter().find(|s| s.slug == slug)
    }

    pub fn by_service_name(name: &str) -> Option<&'static ServiceSpec> {
        SERVICES.iter().find(|s| s.service_name == name)
    }

    /// The noun for several: "Keyspaces credentials", "Bedrock API keys".
    pub fn plural(&self) -> String {
        if self.noun.ends_with("credentials") {
            self.noun.to_owned()
        } else {
            format!("{}s", self.noun)
        }
    }

    /// What the public part of a credential is called where a person must type it.
    pub fn public_label(&self) -> &'static str {
        match (self.slug, self.shape) {
            ("codecommit", _) => "Git user name",
            (_, CredentialShape::UserAndPassword) => "user name",
            (_, CredentialShape::ApiKey) => "alias",
        }
    }

    /// CodeCommit's HTTPS Git credentials, which have their own section and entitlement.
    pub fn is_codecommit(&self) -> bool {
        self.slug == "codecommit"
    }

    /// The entitlement that lets a person manage this service's credentials; the session policy
    /// grants creating them per service name.
    pub fn capability(&self) -> Capability {
        if self.is_codecommit() {
            Capability::GitCredentials
        } else {
            Capability::ServiceCredentials
        }
    }

    pub fn expires(&self) -> bool {
        self.shape == CredentialShape::ApiKey
    }

    /// The services of the generic section (all but CodeCommit).
    pub fn generic() -> impl Iterator<Item = &'static ServiceSpec> {
        SERVICES.iter().filter(|s| !s.is_codecommit())
    }

    /// The validated expiry for a new credential: required for API keys, between 1 and `max_days`
    /// (the administrators' maximum, itself at most IAM's 36,600); refused for the other services.
    pub fn expiry_days(&self, raw: Option<&str>, max_days: u32) -> Result<Option<u32>, String> {
        let raw = raw.map(str::trim).filter(|s| !s.is_empty());
        match (self.expires(), raw) {
            (false, None) => Ok(None),
            (false, Some(_)) => Err(format!("{} do not expire; leave the expiry empty.", self.noun)),
            (true, None) => Err(format!("Choose after how many days the {} expires (1 to {max_days}).", self.noun)),
            (true, Some(raw)) => match raw.parse::<u32>() {
                Ok(days) if (1..=max_days.min(MAX_CREDENTIAL_AGE_DAYS)).contains(&days) => Ok(Some(days)),
                Ok(_) => Err(format!("The expiry must be between 1 and {} days (your administrators' maximum).", max_days)),
                Err(_) => Err(format!("“{raw}” is not a number of days: enter a whole number from 1 to {max_days}.")),
            },
        }
    }

    /// The one-time CSV for a new or reset credential: file name and body (`\r\n`, cells guarded against
    /// spreadsheet formulas).
    pub fn csv(&self, iam_user: &str, public_part: &str, secret: &OneTimeSecret) -> (String, String) {
        let header = match self.shape {
            CredentialShape::UserAndPassword => "User Name,Password",
            CredentialShape::ApiKey => "Alias,Secret",
        };
        let body = format!("{header}\r\n{},{}\r\n", csv_cell(public_part), csv_cell(secret.expose()));
        (format!("{iam_user}_{}_credentials.csv", self.slug), body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_is_listed_once_with_a_distinct_slug() {
        for (i, s) in SERVICES.iter().enumerate() {
            assert!(SERVICES[i + 1..].iter().all(|o| o.slug != s.slug && o.service_name != s.service_name));
            assert_eq!(ServiceSpec::by_slug(s.slug), Some(s));
            assert_eq!(ServiceSpec::by_service_name(s.service_name), Some(s));
            assert!(s.docs.starts_with("https://docs.aws.amazon.com/"));
        }
        assert_eq!(ServiceSpec::generic().count(), SERVICES.len() - 1);
        assert!(ServiceSpec::by_slug("ec2").is_none());
    }

    #[test]
    fn expiry_is_required_for_api_keys_only_and_bounded() {
        let bedrock = ServiceSpec::by_slug("bedrock").unwrap();
        let keyspaces = ServiceSpec::by_slug("keyspaces").unwrap();
        assert_eq!(bedrock.expiry_days(Some(" 30 "), 90), Ok(Some(30)));
        assert_eq!(bedrock.expiry_days(Some("90"), 90), Ok(Some(90)));
        assert!(bedrock.expiry_days(Some("91"), 90).unwrap_err().contains("between 1 and 90"));
        assert!(bedrock.expiry_days(Some("0"), 90).is_err());
        assert!(bedrock.expiry_days(Some("-3"), 90).unwrap_err().contains("not a number"));
        assert!(bedrock.expiry_days(None, 90).unwrap_err().contains("Choose"));
        assert!(bedrock.expiry_days(Some("40000"), 50_000).is_err(), "IAM's own maximum holds");
        assert_eq!(keyspaces.expiry_days(None, 90), Ok(None));
        assert_eq!(keyspaces.expiry_days(Some(""), 90), Ok(None));
        assert!(keyspaces.expiry_days(Some("3"), 90).unwrap_err().contains("do not expire"));
    }

    #[test]
    fn csv_names_the_parts_by_shape_and_guards_formulas() {
        let bedrock = ServiceSpec::by_slug("bedrock").unwrap();
        let (file, body) = bedrock.csv("alice", "alice+1-at-123456789012", &OneTimeSecret::new("=cmd"));
        assert_eq!(file, "alice_bedrock_credentials.csv");
        assert!(body.starts_with("Alias,Secret\r\nalice+1-at-123456789012,"));
        assert!(!body.contains(",=cmd"), "{body}");
        let (_, body) = ServiceSpec::by_slug("keyspaces").unwrap().csv("bob", "bob-at-1", &OneTimeSecret::new("pw"));
        assert_eq!(body, "User Name,Password\r\nbob-at-1,pw\r\n");
    }
}
