//! The administrators' credential review, built for size: one `GenerateCredentialReport` +
//! `GetCredentialReport` for the whole account (not per-user calls), parsed once and cached with its
//! generation time; every page request filters, sorts and pages the cached rows in memory. "Who owns
//! this key?" is one `GetAccessKeyLastUsed`, which names the owner.
//!
//! What the report lacks (key ids, MFA devices by type, SSH keys, service credentials per service,
//! signing certificates, the quarantine policy) needs six calls per user. A background task reads them once per report, at most `--review-concurrency` users
//! at a time, while pages are served from the report alone; the page shows its progress and fills the
//! columns in as they arrive.

use crate::iam::{Caller, IamBackend, IamError, ReportState, CODECOMMIT, QUARANTINE_POLICY_ARN};
use crate::portal::{iam_error, internal, Portal};
use app::api::admin::PortalAccountSummary;
use app::api::admin::{KeyOwner, ReviewPage};
use app::domain::review::{lines_csv, parse_report, select, slot_key_ids, DetailsProgress, ReviewQuery, ReviewRow, UserDetails, PAGE_SIZE};
use app::domain::services::ServiceSpec;
use app::domain::{AccessKeyId, IamUserName, MfaDevice, ServiceCredential};
use app::error::AppError;
use app::ssr::Ctx;
use app::ssr::Principal;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use time::OffsetDateTime;

#[derive(Clone)]
pub struct CachedReport {
    pub generated_at: OffsetDateTime,
    pub rows: Arc<Vec<ReviewRow>>,
    pub csv: Arc<String>,
    /// The password policy's maximum age when the report was read.
    pub password_max_age: Option<u16>,
    pub details: Arc<Details>,
}

/// Per-user details as they arrive, and how far the task reading them has got.
pub struct Details {
    by_user: RwLock<HashMap<String, UserDetails>>,
    done: AtomicUsize,
    failed: AtomicUsize,
    finished: AtomicBool,
    /// When the last user's details arrived (the inventory's freshness).
    finished_at: Mutex<Option<OffsetDateTime>>,
    stopped: Mutex<Option<String>>,
    total: usize,
    concurrency: usize,
    task: Mutex<Option<tokio::task::AbortHandle>>,
    /// Per listing (MFA devices, SSH keys, service credentials, signing certificates, attached
    /// policies): listings that worked and that failed.
    counts: [Health; 5],
}

/// An operation that failed for the first users and never worked (an emulator without it, a role
/// without the permission) is not called again for this report: each failure can cost seconds of SDK
/// retries, and it would fail for every user alike.
#[derive(Default)]
struct Health {
    worked: AtomicUsize,
    failed: AtomicUsize,
}

const GIVE_UP_AFTER: usize = 3;

impl Health {
    fn given_up(&self) -> bool {
        self.worked.load(Ordering::Relaxed) == 0 && self.failed.load(Ordering::Relaxed) >= GIVE_UP_AFTER
    }

    /// The listing, `None` when IAM would not give it; only "the user is gone" fails the user.
    fn list<T>(&self, listed: Result<Vec<T>, IamError>) -> Result<Option<Vec<T>>, IamError> {
        match listed {
            Ok(v) => {
                self.worked.fetch_add(1, Ordering::Relaxed);
                Ok(Some(v))
            }
            Err(e @ IamError::NotFound(_)) => Err(e),
            Err(e) => {
                tracing::debug!(error = %e, "a per-user count is unavailable");
                self.failed.fetch_add(1, Ordering::Relaxed);
                Ok(None)
            }
        }
    }
}

impl Details {
    fn new(total: usize, concurrency: usize) -> Self {
        Details {
            by_user: RwLock::default(),
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            finished: AtomicBool::new(total == 0),
            finished_at: Mutex::default(),
            stopped: Mutex::default(),
            total,
            concurrency,
            task: Mutex::default(),
            counts: Default::default(),
        }
    }

    pub fn get(&self, user: &str) -> Option<UserDetails> {
        self.by_user.read().unwrap_or_else(|p| p.into_inner()).get(user).cloned()
    }

    pub fn progress(&self) -> DetailsProgress {
        DetailsProgress {
            done: self.done.load(Ordering::Relaxed),
            total: self.total,
            failed: self.failed.load(Ordering::Relaxed),
            finished: self.finished.load(Ordering::Relaxed),
            finished_at: *self.finished_at.lock().unwrap_or_else(|p| p.into_inner()),
            stopped: self.stopped.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            concurrency: self.concurrency,
        }
    }

    /// Stop reading (a newer report replaces this one).
    fn abort(&self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }

    fn start(self: &Arc<Self>, iam: Arc<dyn IamBackend>, caller: Caller, rows: Arc<Vec<ReviewRow>>, clock: crate::clock::SharedClock) {
        let details = self.clone();
        let handle = tokio::spawn(async move {
            let started = std::time::Instant::now();
            let mut reads = futures::stream::iter(0..rows.len())
                .map(|i| {
                    let (iam, caller, rows) = (iam.clone(), caller.clone(), rows.clone());
                    let details = details.clone();
                    async move { (i, details.read(iam.as_ref(), &caller, &rows[i]).await) }
                })
                .buffer_unordered(details.concurrency);
            while let Some((i, read)) = reads.next().await {
                match read {
                    Ok(d) => {
                        details.by_user.write().unwrap_or_else(|p| p.into_inner()).insert(rows[i].user.clone(), d);
                    }
                    // Every other user would be refused the same way: say so once and stop.
                    Err(IamError::AccessDenied(m)) => {
                        tracing::warn!(error = %m, "the credential review may not read per-user details");
                        *details.stopped.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!(
                            "IAM refused to list a user's credentials ({m}). Give the admin role iam:ListAccessKeys, iam:ListMFADevices, iam:ListSSHPublicKeys, iam:ListServiceSpecificCredentials, iam:ListSigningCertificates and iam:ListAttachedUserPolicies."
                        ));
                        break;
                    }
                    Err(e) => {
                        // Deleted since the report, say: the report's columns still stand.
                        tracing::debug!(user = %rows[i].user, error = %e, "per-user details unavailable");
                        details.failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                details.done.fetch_add(1, Ordering::Relaxed);
            }
            *details.finished_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(clock.now());
            details.finished.store(true, Ordering::Relaxed);
            let p = details.progress();
            tracing::info!(users = p.done, failed = p.failed, ms = started.elapsed().as_millis() as u64, "credential review details read");
        });
        *self.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle.abort_handle());
    }
}

impl Details {
    /// The six calls for one user, one after another (so `--review-concurrency` bounds calls in
    /// flight). The user gone, or the key listing refused, fails the user; a listing IAM will not give
    /// (moto has no service-specific credentials) is left unknown rather than failing the rest.
    async fn read(&self, iam: &dyn IamBackend, caller: &Caller, row: &ReviewRow) -> Result<UserDetails, IamError> {
        let user = IamUserName::parse(&row.user).map_err(|e| IamError::InvalidInput(e.to_string()))?;
        let keys: Vec<(String, OffsetDateTime)> =
            iam.list_access_keys(caller, &user).await?.into_iter().map(|k| (k.id.to_string(), k.created_at)).collect();
        let [mfa, ssh, services, certs, policies] = &self.counts;
        let devices = if mfa.given_up() { None } else { mfa.list(iam.list_mfa_devices(caller, &user).await)? };
        let ssh_keys = if ssh.given_up() { None } else { ssh.list(iam.list_ssh_keys(caller, &user).await)? };
        let creds = if services.given_up() { None } else { services.list(iam.list_service_credentials(caller, &user, None).await)? };
        let certs = if certs.given_up() { None } else { certs.list(iam.list_signing_certs(caller, &user).await)? };
        let attached = if policies.given_up() { None } else { policies.list(iam.list_attached_user_policies(caller, &user).await)? };
        Ok(UserDetails {
            key_ids: slot_key_ids(row, &keys),
            mfa_devices: devices.as_ref().map(|v| count(v.len())),
            mfa_by_type: devices.iter().flatten().map(MfaDevice::inventory_label).collect(),
            ssh_keys: ssh_keys.as_ref().map(|v| count(v.len())),
            git_credentials: creds.as_ref().map(|c| count(c.iter().filter(|c| c.service_name == CODECOMMIT).count())),
            service_credentials: creds.as_ref().map(|c| per_service(c)),
            signing_certs: certs.as_ref().map(|v| count(v.len())),
            quarantined: attached.map(|a| a.iter().any(|p| p == QUARANTINE_POLICY_ARN)),
            held_keys: vec![],
        })
    }
}

fn count(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// How many credentials of each non-CodeCommit service, in the services table's order.
fn per_service(creds: &[ServiceCredential]) -> Vec<(String, u16)> {
    ServiceSpec::generic()
        .filter_map(|s| {
            let n = creds.iter().filter(|c| c.service_name == s.service_name).count();
            (n > 0).then(|| (s.slug.to_owned(), count(n)))
        })
        .collect()
}

/// The parsed report, shared by all requests (and held while one request fetches a new one, so a
/// crowd of admins causes one generation, not many).
#[derive(Default)]
pub struct ReviewCache(tokio::sync::Mutex<Option<CachedReport>>);

impl ReviewCache {
    /// The account password policy changed: the review judges password ages by the new maximum.
    pub async fn policy_changed(&self, max_age_days: Option<u16>) {
        if let Some(cached) = self.0.lock().await.as_mut() {
            cached.password_max_age = max_age_days;
        }
    }
}

/// How long to wait for IAM to finish a report.
const REPORT_POLLS: u32 = 60;
const REPORT_POLL_MS: u64 = 500;

impl Portal {
    pub(crate) fn admin_caller(&self, who: &Principal) -> Result<Caller, AppError> {
        if !who.viewer.role.is_admin() {
            return Err(AppError::Forbidden);
        }
        Ok(Caller::admin(who.viewer.user.to_string()))
    }

    /// The cached report, fetched from IAM first when there is none.
    pub async fn review_report(&self, caller: &Caller) -> Result<CachedReport, AppError> {
        let mut cache = self.review.0.lock().await;
        if let Some(cached) = cache.as_ref() {
            return Ok(cached.clone());
        }
        let err = |e| iam_error("reading the credential report", e);
        // Started or Complete alike: IAM answers GetCredentialReport with "not ready" until it is.
        let _: ReportState = self.iam.generate_credential_report(caller).await.map_err(err)?;
        let mut polls = 0;
        let report = loop {
            match self.iam.get_credential_report(caller).await {
                Ok(report) => break report,
                Err(IamError::Conflict(_) | IamError::NotFound(_)) if polls < REPORT_POLLS => {
                    polls += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(REPORT_POLL_MS)).await;
                }
                Err(e) => return Err(err(e)),
            }
        };
        let rows = Arc::new(parse_report(&report.csv).map_err(|e| internal("the credential report could not be read", e))?);
        tracing::info!(users = rows.len(), generated_at = %report.generated_at, "credential report loaded");
        let password_max_age = match rows.first().map(|r| IamUserName::parse(&r.user)) {
            Some(Ok(u)) => self.iam.password_state(caller, &u).await.ok().and_then(|s| s.policy.max_age_days()),
            _ => None,
        };
        let details = Arc::new(Details::new(rows.len(), usize::from(self.config.settings.review_concurrency)));
        details.start(self.iam.clone(), caller.clone(), rows.clone(), self.clock.clone());
        let cached = CachedReport { generated_at: report.generated_at, rows, csv: Arc::new(report.csv), password_max_age, details };
        *cache = Some(cached.clone());
        Ok(cached)
    }

    /// The rows the query selects, and what the search said about a key id.
    async fn reviewed(
        &self,
        caller: &Caller,
        query: &ReviewQuery,
    ) -> Result<(CachedReport, Vec<app::domain::review::ReviewLine>, Option<KeyOwner>, Option<String>, Option<u16>), AppError> {
        let report = self.review_report(caller).await?;
        let now = self.clock.now();
        let password_max_age = report.password_max_age;
        let (mut owner, mut notice) = (None, None);
        if let Ok(key_id) = AccessKeyId::parse(query.search.trim()) {
            match self.iam.access_key_last_used(caller, &key_id).await {
                Ok((user, last_used)) => owner = Some(KeyOwner { key_id: key_id.to_string(), user, last_used }),
                Err(IamError::NotFound(_)) => notice = Some(format!("No IAM user in this account owns the access key {key_id}.")),
                Err(e) => return Err(iam_error("finding the owner of an access key", e)),
            }
        }
        // Keys the help desk holds, from the audit log: one read per page, whatever the number of users.
        let held = self.db.helpdesk_held_keys().await.map_err(|e| internal("reading the help desk's holds failed", e))?;
        let details = |u: &str| {
            report.details.get(u).map(|mut d| {
                d.held_keys = d.key_ids.iter().flatten().filter(|k| held.contains(k.as_str())).cloned().collect();
                d
            })
        };
        let lines = match (&owner, &notice) {
            (_, Some(_)) => vec![],
            (Some(o), None) => select(&report.rows, query, now, password_max_age, Some(o.user.as_str()), &details),
            (None, None) => select(&report.rows, query, now, password_max_age, None, &details),
        };
        Ok((report, lines, owner, notice, password_max_age))
    }

    /// Every row the query selects, as CSV, with a file name carrying the report's date.
    pub async fn review_csv(&self, who: &Principal, query: &ReviewQuery) -> Result<(String, String), AppError> {
        let caller = self.admin_caller(who)?;
        let (report, lines, ..) = self.reviewed(&caller, query).await?;
        Ok((format!("keydesk-review-{}.csv", report.generated_at.date()), lines_csv(&lines)))
    }

    /// IAM's credential report, byte for byte.
    pub async fn raw_credential_report(&self, who: &Principal) -> Result<(String, String), AppError> {
        let caller = self.admin_caller(who)?;
        let report = self.review_report(&caller).await?;
        // As IAM wrote it, except that a cell a spreadsheet would run as a formula (an IAM user named
        // `=cmd`) is shown as text.
        Ok((format!("credential-report-{}.csv", report.generated_at.date()), app::domain::export::neutralize_report(&report.csv)))
    }
}

#[async_trait::async_trait]
impl app::api::admin::AdminPort for Portal {
    async fn credential_review(&self, cx: &Ctx, query: &app::domain::review::ReviewQuery) -> Result<app::api::admin::ReviewPage, AppError> {
        let who = &cx.who;
        let caller = self.admin_caller(who)?;
        let (report, lines, key_owner, notice, password_max_age) = self.reviewed(&caller, query).await?;
        let matched = lines.len();
        let pages = matched.div_ceil(PAGE_SIZE).max(1);
        let page = query.page.min(pages - 1);
        let lines = lines.into_iter().skip(page * PAGE_SIZE).take(PAGE_SIZE).collect();
        Ok(ReviewPage {
            generated_at: report.generated_at,
            lines,
            matched,
            total: report.rows.len(),
            page,
            pages,
            key_owner,
            notice,
            password_max_age,
            details: report.details.progress(),
        })
    }

    async fn refresh_credential_review(&self, cx: &Ctx) -> Result<(), AppError> {
        let who = &cx.who;
        let caller = self.admin_caller(who)?;
        if let Some(old) = self.review.0.lock().await.take() {
            old.details.abort();
        }
        self.review_report(&caller).await.map(drop)
    }

    async fn list_portal_accounts(&self, cx: &Ctx) -> Result<Vec<PortalAccountSummary>, AppError> {
        let who = &cx.who;
        if !who.viewer.role.is_admin() {
            return Err(AppError::Forbidden);
        }
        let rows = self.db.list_accounts().await.map_err(|e| internal("listing accounts failed", e))?;
        Ok(rows
            .into_iter()
            .map(|a| PortalAccountSummary {
                user: a.user,
                display_name: a.display_name,
                role: a.role,
                iam_user: a.iam_user,
                disabled: a.disabled,
                created_at: a.created_at,
                last_sign_in_at: a.last_sign_in_at,
            })
            .collect())
    }

    async fn break_glass_sign_ins(&self, cx: &Ctx) -> Result<Vec<app::api::admin::BreakGlassUse>, AppError> {
        if !cx.who.viewer.role.is_admin() {
            return Err(AppError::Forbidden);
        }
        let since = self.clock.now() - time::Duration::days(30);
        let rows = self.db.break_glass_uses(since, 50).await.map_err(|e| internal("reading break-glass sign-ins failed", e))?;
        Ok(rows
            .into_iter()
            .map(|(at, user, outcome, client_ip)| app::api::admin::BreakGlassUse { user, at, succeeded: outcome == "success", client_ip })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_that_never_worked_is_given_up_one_that_worked_is_not() {
        let never = Health::default();
        for _ in 0..GIVE_UP_AFTER {
            assert!(!never.given_up());
            assert_eq!(never.list::<()>(Err(IamError::Unavailable("HTTP 500".into()))), Ok(None), "unknown, not 0");
        }
        assert!(never.given_up(), "moto's missing operation: stop paying retries for every user");

        let flaky = Health::default();
        assert_eq!(flaky.list(Ok(vec![(), ()])), Ok(Some(vec![(), ()])));
        for _ in 0..10 {
            assert_eq!(flaky.list::<()>(Err(IamError::Throttled)), Ok(None));
        }
        assert!(!flaky.given_up(), "it worked once: later failures are transient");

        let gone = Health::default();
        assert!(matches!(gone.list::<()>(Err(IamError::NotFound("deleted".into()))), Err(IamError::NotFound(_))), "fails the user");
    }
}
