//! The administrators' credential review, built for size: one `GenerateCredentialReport` +
//! `GetCredentialReport` for the whole account (not per-user calls), parsed once and cached with its
//! generation time; every page request filters, sorts and pages the cached rows in memory. "Who owns
//! this key?" is one `GetAccessKeyLastUsed`, which names the owner.

use crate::iam::{Caller, IamError, ReportState};
use crate::portal::{iam_error, internal, Portal};
use app::api::admin::{KeyOwner, ReviewPage};
use app::domain::review::{lines_csv, parse_report, select, ReviewQuery, ReviewRow, PAGE_SIZE};
use app::domain::AccessKeyId;
use app::error::AppError;
use app::ssr::Principal;
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Clone)]
pub struct CachedReport {
    pub generated_at: OffsetDateTime,
    pub rows: Arc<Vec<ReviewRow>>,
    pub csv: Arc<String>,
}

/// The parsed report, shared by all requests (and held while one request fetches a new one, so a
/// crowd of admins causes one generation, not many).
#[derive(Default)]
pub struct ReviewCache(tokio::sync::Mutex<Option<CachedReport>>);

/// How long to wait for IAM to finish a report.
const REPORT_POLLS: u32 = 60;
const REPORT_POLL_MS: u64 = 500;

impl Portal {
    fn admin_caller(&self, who: &Principal) -> Result<Caller, AppError> {
        if !who.viewer.role.is_admin() {
            return Err(AppError::Forbidden);
        }
        Ok(Caller::Admin { portal_user: who.viewer.user.to_string() })
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
        let rows = parse_report(&report.csv).map_err(|e| internal("the credential report could not be read", e))?;
        tracing::info!(users = rows.len(), generated_at = %report.generated_at, "credential report loaded");
        let cached = CachedReport { generated_at: report.generated_at, rows: Arc::new(rows), csv: Arc::new(report.csv) };
        *cache = Some(cached.clone());
        Ok(cached)
    }

    pub(crate) async fn do_refresh_review(&self, who: &Principal) -> Result<(), AppError> {
        let caller = self.admin_caller(who)?;
        *self.review.0.lock().await = None;
        self.review_report(&caller).await.map(drop)
    }

    /// The rows the query selects, and what the search said about a key id.
    async fn reviewed(
        &self,
        caller: &Caller,
        query: &ReviewQuery,
    ) -> Result<(CachedReport, Vec<app::domain::review::ReviewLine>, Option<KeyOwner>, Option<String>, Option<u16>), AppError> {
        let report = self.review_report(caller).await?;
        let now = self.clock.now();
        let password_max_age = match report.rows.first() {
            Some(r) => match app::domain::IamUserName::parse(&r.user) {
                Ok(u) => self.iam.password_state(caller, &u).await.ok().and_then(|s| s.policy.max_age_days()),
                Err(_) => None,
            },
            None => None,
        };
        let (mut owner, mut notice) = (None, None);
        if let Ok(key_id) = AccessKeyId::parse(query.search.trim()) {
            match self.iam.access_key_last_used(caller, &key_id).await {
                Ok((user, last_used)) => owner = Some(KeyOwner { key_id: key_id.to_string(), user, last_used }),
                Err(IamError::NotFound(_)) => notice = Some(format!("No IAM user in this account owns the access key {key_id}.")),
                Err(e) => return Err(iam_error("finding the owner of an access key", e)),
            }
        }
        let lines = match (&owner, &notice) {
            (_, Some(_)) => vec![],
            (Some(o), None) => select(&report.rows, query, now, password_max_age, Some(o.user.as_str())),
            (None, None) => select(&report.rows, query, now, password_max_age, None),
        };
        Ok((report, lines, owner, notice, password_max_age))
    }

    pub(crate) async fn do_credential_review(&self, who: &Principal, query: &ReviewQuery) -> Result<ReviewPage, AppError> {
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
        })
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
        Ok((format!("credential-report-{}.csv", report.generated_at.date()), report.csv.as_ref().clone()))
    }
}
