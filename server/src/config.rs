//! Command line and environment (`KEYDESK_*`). Everything is validated here, before anything starts, so a
//! bad setting fails fast with one clear line instead of a panic later.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "keydesk",
    version,
    about = "Self-service credentials portal for AWS IAM",
    long_about = "Self-service credentials portal for AWS IAM.\n\nWithout a subcommand keydesk serves the portal. \
Every option can also be set with the environment variable shown."
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    /// Built-in IAM emulation with IAM's rules, persisted in its own database. No AWS account needed.
    Embedded,
    /// Real AWS IAM through STS AssumeRole per signed-in user.
    Aws,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "KEYDESK_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// The URL people use to reach keydesk (scheme://host[:port]); requests must come from this origin.
    /// Defaults to http://<listen>.
    #[arg(long, env = "KEYDESK_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Portal database: sqlite://FILE (created if missing) or postgres://USER:PASSWORD@HOST/DB.
    #[arg(long, env = "KEYDESK_DATABASE_URL", default_value = "sqlite://keydesk.db")]
    pub database_url: String,

    /// Maximum connections in the database pool.
    #[arg(long, env = "KEYDESK_DB_MAX_CONNECTIONS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub db_max_connections: u32,

    /// Which IAM keydesk manages.
    #[arg(long, env = "KEYDESK_IAM_BACKEND", value_enum, default_value_t = BackendChoice::Embedded)]
    pub iam_backend: BackendChoice,

    /// Database of the embedded IAM (separate from the portal's, which never holds an IAM secret).
    #[arg(long, env = "KEYDESK_EMBEDDED_IAM_DATABASE_URL", default_value = "sqlite://keydesk-iam.db")]
    pub embedded_iam_database_url: String,

    /// AWS region of the IAM and STS endpoints (aws backend).
    #[arg(long, env = "KEYDESK_AWS_REGION", default_value = "us-east-1")]
    pub aws_region: String,

    /// Role employees' sessions assume (aws backend); narrowed per user by a session policy.
    #[arg(long, env = "KEYDESK_AWS_USER_ROLE_ARN")]
    pub aws_user_role_arn: Option<String>,

    /// Role help-desk sessions assume (aws backend).
    #[arg(long, env = "KEYDESK_AWS_HELPDESK_ROLE_ARN")]
    pub aws_helpdesk_role_arn: Option<String>,

    /// Role admin sessions assume: read-only review and the credential report (aws backend).
    #[arg(long, env = "KEYDESK_AWS_ADMIN_ROLE_ARN")]
    pub aws_admin_role_arn: Option<String>,

    /// Override the IAM endpoint, e.g. an emulator on http://127.0.0.1:5000 (aws backend).
    #[arg(long, env = "KEYDESK_IAM_ENDPOINT")]
    pub iam_endpoint: Option<String>,

    /// Override the STS endpoint (aws backend).
    #[arg(long, env = "KEYDESK_STS_ENDPOINT")]
    pub sts_endpoint: Option<String>,

    /// Lifetime of assumed-role sessions in seconds (900-3600; role chaining caps it at one hour).
    #[arg(long, env = "KEYDESK_AWS_SESSION_SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(i32).range(900..=3600))]
    pub aws_session_seconds: i32,

    /// Seed demo accounts and IAM users and print their sign-in details (embedded backend only).
    #[arg(long, env = "KEYDESK_DEMO")]
    pub demo: bool,

    /// Sign a session out after this many minutes without a request.
    #[arg(long, env = "KEYDESK_IDLE_TIMEOUT_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub idle_timeout_minutes: u32,

    /// Sign a session out this many minutes after sign-in, however active it is.
    #[arg(long, env = "KEYDESK_ABSOLUTE_TIMEOUT_MINUTES", default_value_t = 480, value_parser = clap::value_parser!(u32).range(1..=10080))]
    pub absolute_timeout_minutes: u32,

    /// Sensitive actions need a password confirmation newer than this many minutes.
    #[arg(long, env = "KEYDESK_REAUTH_WINDOW_MINUTES", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub reauth_window_minutes: u32,

    /// Refuse new console passwords that the strength estimate calls weak (by default keydesk only warns).
    #[arg(long, env = "KEYDESK_BLOCK_WEAK_PASSWORDS")]
    pub block_weak_passwords: bool,

    /// The issuer name authenticator apps show next to enrolled MFA devices.
    #[arg(long, env = "KEYDESK_MFA_ISSUER", default_value = "AWS")]
    pub mfa_issuer: String,

    /// Let the help desk act on the IAM users of administrators and help-desk colleagues too (by
    /// default it may only look at them).
    #[arg(long, env = "KEYDESK_HELPDESK_MAY_ACT_ON_STAFF")]
    pub helpdesk_may_act_on_staff: bool,

    /// IAM users without a keydesk account that the help desk may act on anyway: those whose IAM path
    /// starts with this prefix (e.g. `/people/`). By default the help desk acts only on IAM users that
    /// belong to an employee's keydesk account; AWS administrators and service users stay out of reach.
    #[arg(long, env = "KEYDESK_HELPDESK_ALLOW_PATH")]
    pub helpdesk_allow_path: Option<String>,

    /// Likewise, IAM users carrying this tag, as `key=value` (e.g. `helpdesk=allowed`).
    #[arg(long, env = "KEYDESK_HELPDESK_ALLOW_TAG", value_parser = parse_tag)]
    pub helpdesk_allow_tag: Option<(String, String)>,

    /// IAM calls in flight at most while the credential review reads per-user details (key ids, MFA
    /// devices, SSH keys, Git credentials) that the credential report lacks.
    #[arg(long, env = "KEYDESK_REVIEW_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub review_concurrency: u16,

    /// The AWS region the CodeCommit clone commands on the credentials page name (each person can
    /// change it there); IAM itself is global.
    #[arg(long, env = "KEYDESK_CODECOMMIT_REGION", default_value = "us-east-1", value_parser = parse_region)]
    pub codecommit_region: String,

    /// The longest expiry (days) an employee may choose for an API key (Amazon Bedrock, CloudWatch Logs);
    /// such keys always expire. IAM's own maximum is 36600.
    #[arg(long, env = "KEYDESK_API_KEY_MAX_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=36600))]
    pub api_key_max_days: u32,

    /// Help-desk actions that need a second person (comma-separated): `password-reset`, `mfa-removal`,
    /// `key-reactivation`; `none` for none. The first files a request with a reason; another help-desk
    /// member or an administrator approves it within --four-eyes-hours, then keydesk executes it.
    #[arg(
        long,
        env = "KEYDESK_FOUR_EYES",
        value_enum,
        value_delimiter = ',',
        default_value = "password-reset,mfa-removal,key-reactivation"
    )]
    pub four_eyes: Vec<FourEyes>,

    /// Hours a four-eyes request waits for approval before it lapses.
    #[arg(long, env = "KEYDESK_FOUR_EYES_HOURS", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=72))]
    pub four_eyes_hours: u32,

    /// Hours a temporary password from a help-desk reset may stay unchanged: after that keydesk resets
    /// it again to a random password nobody knows (still to be changed at sign-in) and tells the person
    /// and the help desk.
    #[arg(long, env = "KEYDESK_TEMP_PASSWORD_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub temp_password_hours: u32,

    /// Serve Prometheus metrics (`GET /metrics`) on this separate address, e.g. 127.0.0.1:9300.
    #[arg(long, env = "KEYDESK_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Without --metrics-listen: answer `/metrics` on the main address too, to loopback clients that
    /// send no forwarding header. Off by default: a proxy on the same host that adds no
    /// X-Forwarded-For would make them public (review L9).
    #[arg(long, env = "KEYDESK_METRICS_ON_MAIN")]
    pub metrics_on_main: bool,

    /// Reverse proxies whose X-Forwarded-For / X-Request-Id headers are believed (comma-separated IPs).
    #[arg(long, env = "KEYDESK_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,

    /// Send the session cookie without `Secure` (named `keydesk` instead of `__Host-keydesk`).
    /// Only for plain-http development on a loopback address; refused otherwise.
    #[arg(long, env = "KEYDESK_INSECURE_COOKIE")]
    pub insecure_cookie: bool,

    /// Log format.
    #[arg(long, env = "KEYDESK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,

    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `keydesk=debug,info`.
    #[arg(long, env = "KEYDESK_LOG", default_value = "info")]
    pub log: String,

    /// Maximum age of an active access key in days: its deadline (shown beside each key; reminders before it).
    #[arg(long, env = "KEYDESK_KEY_MAX_AGE_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub key_max_age_days: u32,

    /// Days before a key's deadline at which reminders go out, most distant first.
    #[arg(long, env = "KEYDESK_KEY_REMINDER_DAYS", default_value = "14,7,1")]
    pub key_reminder_days: String,

    /// An inactive key unused for this many days is suggested for deletion (once).
    #[arg(long, env = "KEYDESK_INACTIVE_KEY_GRACE_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub inactive_key_grace_days: u32,

    /// At a key's deadline: `notify` its owner, or `deactivate` the key (and notify). Check the admin
    /// page's dry run before switching to `deactivate`.
    #[arg(long, env = "KEYDESK_KEY_ENFORCEMENT", value_enum, default_value_t = EnforcementChoice::Notify)]
    pub key_enforcement: EnforcementChoice,

    /// How often the reminder and enforcement job runs (minutes). One instance runs it at a time.
    #[arg(long, env = "KEYDESK_JOB_INTERVAL_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub job_interval_minutes: u32,

    /// SMTP server for notices: smtp://host:port (STARTTLS when offered; `?tls=required` to insist),
    /// smtps://host:port (TLS from the start); user:password@ for authentication. Unset: notices stay
    /// in the portal.
    #[arg(long, env = "KEYDESK_SMTP_URL")]
    pub smtp_url: Option<String>,

    /// The From address of notices, e.g. "keydesk <keydesk@example.com>". Required with --smtp-url.
    #[arg(long, env = "KEYDESK_SMTP_FROM")]
    pub smtp_from: Option<String>,

    /// Directory with the built site (assets.txt, pkg/keydesk-<hash>.css, each family's
    /// pkg/keydesk-<hash>-<family>.js and _bg.wasm, favicon).
    #[arg(long, env = "KEYDESK_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    #[command(flatten)]
    pub oidc: crate::oidc::config::OidcSettings,

    #[command(flatten)]
    pub ldap: crate::ldap::config::LdapSettings,
}

/// A help-desk action that can be put under four eyes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FourEyes {
    PasswordReset,
    MfaRemoval,
    KeyReactivation,
    /// No action needs a second person.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnforcementChoice {
    Notify,
    Deactivate,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the portal (the default).
    Serve,
    /// Check the deployment: configuration, databases and migrations, the AWS identity and roles (aws
    /// backend), the built site. One line per check; exits 1 at the first failure. Changes nothing.
    Check,
    /// Manage portal accounts. Passwords are read from the terminal or standard input, never from argv.
    #[command(subcommand)]
    User(UserCommand),
    /// Do what AWS would do, in the embedded IAM (demos and tests; refused with --iam-backend aws).
    #[command(subcommand)]
    Simulate(SimulateCommand),
}

#[derive(Debug, Subcommand)]
pub enum SimulateCommand {
    /// Record that an access key signed a request just now, as AWS records when an application uses
    /// it: its "last used" moves (the rotation guide then warns that something still uses an old key).
    KeyUse {
        /// The access key id.
        key_id: String,
        /// The AWS service the request went to.
        #[arg(long, default_value = "s3")]
        service: String,
        /// The region the request went to.
        #[arg(long, default_value = "us-east-1")]
        region: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a portal account.
    Add {
        /// Portal user name (letters, digits and + = , . @ _ -).
        name: String,
        /// Role of the account.
        #[arg(long, value_parser = ["employee", "helpdesk", "admin"], default_value = "employee")]
        role: String,
        /// IAM user this account manages (defaults to the portal user name).
        #[arg(long)]
        iam_user: Option<String>,
        /// Name shown in the header (defaults to the portal user name).
        #[arg(long)]
        display_name: Option<String>,
        /// Address for notices about this account's IAM credentials.
        #[arg(long)]
        email: Option<String>,
    },
    /// Set (or, with no address, clear) the e-mail address notices go to.
    Email { name: String, address: Option<String> },
    /// Set a new password for a portal account.
    Passwd { name: String },
    /// Disable a portal account (it can no longer sign in; its sessions end on their next request).
    Disable { name: String },
    /// Enable a disabled portal account.
    Enable { name: String },
    /// List portal accounts.
    List,
}

/// Settings checked for consistency, with derived values.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    /// The public origin, e.g. `https://keydesk.example.com` (no trailing slash).
    pub public_origin: String,
    pub secure_cookie: bool,
    /// The access-key deadline policy.
    pub key_policy: app::domain::deadlines::KeyPolicy,
    /// The OpenID Connect provider, when one is configured.
    pub oidc: Option<crate::oidc::config::OidcConfig>,
    /// The LDAP directory or Active Directory people sign in against, when one is configured.
    pub ldap: Option<crate::ldap::config::LdapConfig>,
    /// Who may use keydesk's own passwords.
    pub local_sign_in: crate::oidc::config::LocalSignIn,
}

impl Config {
    pub fn from_settings(mut settings: Settings) -> Result<Config, String> {
        crate::db::parse_url(&settings.database_url).map_err(|e| format!("--database-url: {e}"))?;
        if settings.iam_backend == BackendChoice::Embedded {
            crate::db::parse_url(&settings.embedded_iam_database_url).map_err(|e| format!("--embedded-iam-database-url: {e}"))?;
        }
        if settings.idle_timeout_minutes > settings.absolute_timeout_minutes {
            return Err(format!(
                "--idle-timeout-minutes ({}) cannot exceed --absolute-timeout-minutes ({})",
                settings.idle_timeout_minutes, settings.absolute_timeout_minutes
            ));
        }
        if settings.demo && settings.iam_backend != BackendChoice::Embedded {
            return Err("--demo seeds fake IAM users and is only allowed with --iam-backend embedded".into());
        }
        if settings.demo && settings.helpdesk_allow_path.is_none() && settings.helpdesk_allow_tag.is_none() {
            // The demo's people without a keydesk account carry this tag (demo.rs); svc-backup does not.
            settings.helpdesk_allow_tag = Some((crate::demo::HELPDESK_TAG.0.into(), crate::demo::HELPDESK_TAG.1.into()));
        }
        if settings.iam_backend == BackendChoice::Aws {
            for (flag, value) in [
                ("--aws-user-role-arn", &settings.aws_user_role_arn),
                ("--aws-helpdesk-role-arn", &settings.aws_helpdesk_role_arn),
                ("--aws-admin-role-arn", &settings.aws_admin_role_arn),
            ] {
                match value {
                    None => return Err(format!("{flag} is required with --iam-backend aws")),
                    Some(arn) if crate::iam::aws::account_of(arn).is_none() || !arn.contains(":role/") => {
                        return Err(format!("{flag} {arn:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"))
                    }
                    Some(_) => {}
                }
            }
            for (flag, value) in [("--iam-endpoint", &settings.iam_endpoint), ("--sts-endpoint", &settings.sts_endpoint)] {
                if let Some(url) = value {
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        return Err(format!("{flag} {url:?} must be an http:// or https:// URL"));
                    }
                }
            }
        }
        let public_origin = match &settings.public_url {
            Some(u) => parse_origin(u)?,
            None => format!("http://{}", settings.listen),
        };
        if settings.insecure_cookie && !settings.listen.ip().is_loopback() {
            return Err("--insecure-cookie is only allowed when --listen is a loopback address".into());
        }
        let secure_cookie = !settings.insecure_cookie;
        let key_policy = app::domain::deadlines::KeyPolicy {
            max_age_days: settings.key_max_age_days,
            reminder_days: app::domain::deadlines::parse_stages(&settings.key_reminder_days)
                .map_err(|e| format!("--key-reminder-days: {e}"))?,
            inactive_grace_days: settings.inactive_key_grace_days,
            enforcement: match settings.key_enforcement {
                EnforcementChoice::Notify => app::domain::deadlines::Enforcement::Notify,
                EnforcementChoice::Deactivate => app::domain::deadlines::Enforcement::Deactivate,
            },
        };
        key_policy.validate().map_err(|e| format!("--key-reminder-days / --key-max-age-days: {e}"))?;
        match (&settings.smtp_url, &settings.smtp_from) {
            (Some(url), Some(from)) => {
                crate::notices::check_smtp(url, from)?;
            }
            (Some(_), None) => return Err("--smtp-from is required with --smtp-url".into()),
            (None, Some(_)) => return Err("--smtp-from needs --smtp-url".into()),
            (None, None) => {}
        }
        let oidc = settings.oidc.check(&public_origin)?;
        let ldap = settings.ldap.check()?;
        if oidc.is_some() && ldap.is_some() {
            return Err("--oidc-issuer and --ldap-url are two front doors: configure one of them".into());
        }
        let external = oidc.is_some() || ldap.is_some();
        let local_sign_in = match settings.oidc.local_sign_in {
            Some(choice) => choice,
            None if external => crate::oidc::config::LocalSignIn::Breakglass,
            None => crate::oidc::config::LocalSignIn::Enabled,
        };
        if !external && local_sign_in != crate::oidc::config::LocalSignIn::Enabled {
            return Err(
                "--local-sign-in breakglass or disabled needs an identity provider (--oidc-issuer) or a directory (--ldap-url): nobody could sign in"
                    .into(),
            );
        }
        Ok(Config { settings, public_origin, secure_cookie, key_policy, oidc, ldap, local_sign_in })
    }
}

/// `scheme://host[:port]` with nothing after it.
fn parse_origin(u: &str) -> Result<String, String> {
    let bad = || format!("--public-url {u:?} must look like https://keydesk.example.com (scheme, host, optional port)");
    let u = u.trim_end_matches('/');
    let (scheme, rest) = u.split_once("://").ok_or_else(bad)?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(bad());
    }
    Ok(u.to_ascii_lowercase())
}

/// `text` with the user information of every URL in it replaced by `***` (`postgres://***@db/x`), so a
/// configuration message or `keydesk check` line never shows a password (review L12). Everything from
/// `://` to the last `@` of the same word goes: a password may itself contain `/` or `@`.
pub fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail.find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ',' | ')')).unwrap_or(tail.len());
        let word = &tail[..end];
        match word.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&word[at..]);
            }
            None => out.push_str(word),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `key=value`, both non-empty (an IAM tag).
fn parse_tag(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
        _ => Err(format!("expected key=value, got {s:?}")),
    }
}

fn parse_region(raw: &str) -> Result<String, String> {
    if app::domain::codecommit::region_ok(raw) {
        Ok(raw.to_owned())
    } else {
        Err(format!("{raw:?} is not an AWS region name such as us-east-1 or eu-central-1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_user_information() {
        assert_eq!(
            redact_userinfo("--database-url postgres://kd:s3cr/et@db:5432/x: refused"),
            "--database-url postgres://***@db:5432/x: refused"
        );
        assert_eq!(redact_userinfo("\"smtp://u:p%40ss@mail\" and sqlite:///tmp/a.db"), "\"smtp://***@mail\" and sqlite:///tmp/a.db");
        assert_eq!(redact_userinfo("no url here"), "no url here");
    }

    fn parse(args: &[&str]) -> Result<Config, String> {
        let mut argv = vec!["keydesk"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        Config::from_settings(cli.settings)
    }

    #[test]
    fn defaults_are_sane() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.public_origin, "http://127.0.0.1:3000");
        assert!(c.secure_cookie);
        assert_eq!(c.settings.iam_backend, BackendChoice::Embedded);
    }

    #[test]
    fn bad_settings_fail_with_one_clear_line() {
        let e = parse(&["--database-url", "mysql://x"]).unwrap_err();
        assert!(e.starts_with("--database-url: unsupported database URL"), "{e}");
        assert!(!e.contains('\n'));
        assert!(parse(&["--iam-backend", "ldap"]).unwrap_err().contains("invalid value 'ldap'"));
        assert!(parse(&["--public-url", "https://x.example/path"]).is_err());
        assert!(parse(&["--idle-timeout-minutes", "600", "--absolute-timeout-minutes", "60"]).is_err());
        assert!(parse(&["--listen", "0.0.0.0:3000", "--insecure-cookie"]).is_err());
        assert!(parse(&["--iam-backend", "aws", "--demo"]).is_err());
        assert!(parse(&["--iam-backend", "aws"]).unwrap_err().contains("--aws-user-role-arn is required"));
        let roles = [
            "--aws-user-role-arn",
            "arn:aws:iam::123456789012:role/u",
            "--aws-helpdesk-role-arn",
            "arn:aws:iam::123456789012:role/h",
            "--aws-admin-role-arn",
            "arn:aws:iam::123456789012:role/a",
        ];
        let mut args = vec!["--iam-backend", "aws"];
        args.extend(roles);
        assert!(parse(&args).is_ok());
        assert!(parse(&["--key-reminder-days", "1,7"]).unwrap_err().contains("most distant"));
        assert!(parse(&["--key-reminder-days", "14,x"]).unwrap_err().contains("not a number"));
        assert!(parse(&["--smtp-url", "smtp://127.0.0.1:25"]).unwrap_err().contains("--smtp-from is required"));
        assert!(parse(&["--smtp-url", "ftp://x", "--smtp-from", "a@b.c"]).unwrap_err().starts_with("--smtp-url"));
        assert!(parse(&["--smtp-url", "smtp://x:25", "--smtp-from", "not an address"]).unwrap_err().starts_with("--smtp-from"));
        assert!(parse(&["--smtp-url", "smtp://127.0.0.1:2525", "--smtp-from", "keydesk <kd@example.com>"]).is_ok());
        args[3] = "not-an-arn";
        assert!(parse(&args).unwrap_err().contains("is not an IAM role ARN"));
    }

    #[test]
    fn public_url_is_normalised() {
        assert_eq!(parse(&["--public-url", "https://Keydesk.Example.com/"]).unwrap().public_origin, "https://keydesk.example.com");
    }
}
