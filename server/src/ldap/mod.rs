//! Sign-in against an LDAP directory or Active Directory, in LTB Self Service Password's pattern:
//! keydesk binds as its service account, searches for the person with the configured filter (what they
//! typed goes in escaped per RFC 4515, so `*)(uid=*` is a literal name, not a filter), then binds as the
//! one entry it found with the password typed.
//!
//! - Always over TLS: LDAPS, or StartTLS before anything else is sent. A server that does not do
//!   StartTLS gets no bind at all, the service account's included.
//! - Never with an empty password: a simple bind with a name and no password is an "unauthenticated
//!   bind" (RFC 4513 §5.1.2) that many directories answer with success.
//! - The role comes from the group attribute (`memberOf`) through the role map, at every sign-in.
//!
//! Who may try, how often, and what is audited is decided before the directory is asked, by the same
//! admission as a keydesk password (auth/admission.rs).

pub mod config;

use crate::oidc::identity::{highest_role, Person, MAX_GROUPS};
use app::domain::{IamUserName, Password};
use config::{normalize_dn, LdapConfig};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, SearchOptions};
use secrecy::ExposeSecret;
use std::sync::Arc;

/// A person's entry, after the directory accepted their password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub dn: String,
    pub username: Option<String>,
    pub display_name: Option<String>,
    /// The group DNs, in [`normalize_dn`] form.
    pub groups: Vec<String>,
}

/// What the directory says of a login and password.
#[derive(Debug)]
pub enum Verdict {
    Right(Entry),
    /// Wrong password, unknown login, or a login that names several entries (indistinguishable).
    Wrong,
}

/// The directory could not answer. Never a statement about the password.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("the directory cannot be reached over TLS: {0}")]
    Unreachable(String),
    #[error("the directory did not answer within {0} seconds")]
    Timeout(u64),
    #[error("the directory refused keydesk's service account (--ldap-bind-dn, --ldap-bind-password-file)")]
    ServiceBind,
    #[error("the directory refused the search: {0}")]
    Search(String),
}

/// Why a person the directory accepted gets no keydesk sign-in. Shown to them and audited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("your directory entry has no {0}, which keydesk reads your user name from")]
    NoUsername(String),
    #[error("your user name in the directory is not a valid IAM user name")]
    NotAnIamName,
    #[error("none of your directory groups gives access to keydesk")]
    NoMappedGroup,
}

/// The answer to a directory sign-in where no directory is configured.
pub fn not_configured() -> app::error::AppError {
    app::error::AppError::NotAllowed { message: "Sign-in with a directory account is not configured here.".into() }
}

/// LDAP's result code for a wrong password (and, in Active Directory, a disabled or locked account).
const INVALID_CREDENTIALS: u32 = 49;
/// The search found more entries than the size limit of 2.
const SIZE_LIMIT_EXCEEDED: u32 = 4;

/// The directory keydesk signs people in against.
pub struct Directory {
    pub cfg: LdapConfig,
    settings: LdapConnSettings,
    /// Checks under way at once: a slow directory makes sign-ins wait their turn, not pile up.
    queue: Arc<tokio::sync::Semaphore>,
}

/// Directory checks in flight at most.
const CONCURRENT_CHECKS: usize = 16;

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory").field("url", &self.cfg.url).finish_non_exhaustive()
    }
}

/// rustls on aws-lc-rs, trusting the configured certificate authorities or Mozilla's roots.
fn tls_config(ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    match ca_pem {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| format!("--ldap-ca-file: {e}"))?;
                roots.add(cert).map_err(|e| format!("--ldap-ca-file: {e}"))?;
            }
            if roots.is_empty() {
                return Err("--ldap-ca-file holds no certificate".into());
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl Directory {
    pub fn new(cfg: LdapConfig) -> Result<Self, String> {
        let tls = tls_config(cfg.ca_pem.as_deref())?;
        let settings = LdapConnSettings::new().set_conn_timeout(cfg.timeout).set_config(Arc::new(tls)).set_starttls(cfg.starttls);
        Ok(Directory { cfg, settings, queue: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_CHECKS)) })
    }

    /// A place in the queue of directory checks, or `None` when it is full.
    pub fn admit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.queue.clone().try_acquire_owned().ok()
    }

    /// A connection, TLS established (StartTLS first on `ldap://`).
    async fn connect(&self) -> Result<Ldap, DirectoryError> {
        let (conn, ldap) = LdapConnAsync::with_settings(self.settings.clone(), &self.cfg.url)
            .await
            .map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    /// `f` within the configured time.
    async fn timed<T>(&self, f: impl std::future::Future<Output = Result<T, DirectoryError>>) -> Result<T, DirectoryError> {
        tokio::time::timeout(self.cfg.timeout, f).await.unwrap_or(Err(DirectoryError::Timeout(self.cfg.timeout.as_secs())))
    }

    async fn service_bind(&self, ldap: &mut Ldap) -> Result<(), DirectoryError> {
        let r = ldap
            .simple_bind(&self.cfg.bind_dn, self.cfg.bind_password.expose_secret())
            .await
            .map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
        match r.rc {
            0 => Ok(()),
            INVALID_CREDENTIALS => Err(DirectoryError::ServiceBind),
            rc => Err(DirectoryError::Unreachable(format!("the service account's bind answered {rc}: {}", r.text))),
        }
    }

    /// Search for `login` as the service account, then bind as the entry found with `password`.
    pub async fn authenticate(&self, login: &str, password: &Password) -> Result<Verdict, DirectoryError> {
        // An empty password never reaches the directory (an unauthenticated bind "succeeds").
        if password.expose().is_empty() || login.trim().is_empty() || login.len() > 256 {
            return Ok(Verdict::Wrong);
        }
        self.timed(async {
            let mut ldap = self.connect().await?;
            self.service_bind(&mut ldap).await?;
            let filter = self.cfg.user_filter.replace("{login}", &ldap3::ldap_escape(login));
            let attrs = [&self.cfg.username_attribute, &self.cfg.display_name_attribute, &self.cfg.group_attribute];
            let found = ldap
                .with_search_options(SearchOptions::new().sizelimit(2))
                .search(&self.cfg.base_dn, Scope::Subtree, &filter, attrs.map(String::as_str).to_vec())
                .await
                .map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
            let (entries, result) = (found.0, found.1);
            match result.rc {
                0 => {}
                SIZE_LIMIT_EXCEEDED => {
                    tracing::warn!("a login matches several directory entries; refused (make --ldap-user-filter unique)");
                    let _ = ldap.unbind().await;
                    return Ok(Verdict::Wrong);
                }
                rc => return Err(DirectoryError::Search(format!("result {rc}: {}", result.text))),
            }
            let mut entries = entries.into_iter().map(SearchEntry::construct);
            let (Some(entry), None) = (entries.next(), entries.next()) else {
                let _ = ldap.unbind().await;
                return Ok(Verdict::Wrong);
            };
            let right = self.bind_as(&mut ldap, &entry.dn, password).await?;
            let _ = ldap.unbind().await;
            if !right {
                return Ok(Verdict::Wrong);
            }
            Ok(Verdict::Right(Entry {
                username: first(&entry, &self.cfg.username_attribute),
                display_name: first(&entry, &self.cfg.display_name_attribute),
                groups: values(&entry, &self.cfg.group_attribute).iter().map(|g| normalize_dn(g)).collect(),
                dn: entry.dn,
            }))
        })
        .await
    }

    /// Is `password` the password of the entry `dn` (a step-up of a person signed in through the
    /// directory)? One bind as that entry; no search.
    pub async fn confirm(&self, dn: &str, password: &Password) -> Result<bool, DirectoryError> {
        if password.expose().is_empty() || dn.is_empty() {
            return Ok(false);
        }
        self.timed(async {
            let mut ldap = self.connect().await?;
            let right = self.bind_as(&mut ldap, dn, password).await?;
            let _ = ldap.unbind().await;
            Ok(right)
        })
        .await
    }

    async fn bind_as(&self, ldap: &mut Ldap, dn: &str, password: &Password) -> Result<bool, DirectoryError> {
        if dn.is_empty() || password.expose().is_empty() {
            return Ok(false);
        }
        let r = ldap.simple_bind(dn, password.expose()).await.map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
        match r.rc {
            0 => Ok(true),
            INVALID_CREDENTIALS => Ok(false),
            rc => {
                // e.g. 53 "unwilling to perform" for an account the directory has locked.
                tracing::warn!(rc, text = %r.text, "the directory refused a person's bind");
                Ok(false)
            }
        }
    }

    /// For `keydesk check`: TLS, the service account's bind, and the search base, or what failed.
    pub async fn check(&self) -> Result<String, DirectoryError> {
        self.timed(async {
            let mut ldap = self.connect().await?;
            self.service_bind(&mut ldap).await?;
            let base = ldap
                .search(&self.cfg.base_dn, Scope::Base, "(objectClass=*)", vec!["1.1"])
                .await
                .map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
            let _ = ldap.unbind().await;
            match base.1.rc {
                0 => Ok(format!(
                    "{} reached over {}; the service account signed in; {} exists",
                    self.cfg.url,
                    if self.cfg.starttls { "StartTLS" } else { "LDAPS" },
                    self.cfg.base_dn
                )),
                rc => Err(DirectoryError::Search(format!("--ldap-base-dn {}: result {rc}: {}", self.cfg.base_dn, base.1.text))),
            }
        })
        .await
    }

    /// The person an accepted entry names, in keydesk's terms.
    pub fn person(&self, entry: &Entry) -> Result<Person, Refusal> {
        let attr = &self.cfg.username_attribute;
        let name = entry.username.clone().filter(|n| !n.is_empty()).ok_or_else(|| Refusal::NoUsername(attr.clone()))?;
        let iam_user = IamUserName::parse(&name).map_err(|_| Refusal::NotAnIamName)?;
        let role = highest_role(&self.cfg.role_map, |g| entry.groups.iter().any(|x| x == g)).ok_or(Refusal::NoMappedGroup)?;
        let display_name = entry
            .display_name
            .as_deref()
            .map(|n| n.trim().chars().take(100).collect::<String>())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| iam_user.to_string());
        Ok(Person { iam_user: iam_user.to_string(), display_name, role, groups: entry.groups.iter().take(MAX_GROUPS).cloned().collect() })
    }
}

/// An attribute's values; attribute names compare without regard to case, as LDAP's do.
fn values<'a>(entry: &'a SearchEntry, attr: &str) -> &'a [String] {
    entry.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(attr)).map(|(_, v)| v.as_slice()).unwrap_or(&[])
}

fn first(entry: &SearchEntry, attr: &str) -> Option<String> {
    values(entry, attr).first().cloned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn what_people_type_is_a_literal_in_the_filter() {
        // RFC 4515 §3: `*`, `(`, `)`, `\` and NUL are written as \XX.
        assert_eq!(ldap3::ldap_escape("*)(uid=*"), r"\2a\29\28uid=\2a");
        assert_eq!(ldap3::ldap_escape("a\\b\0"), r"a\5cb\00");
    }
}
