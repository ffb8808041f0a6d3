//! keydesk's scheduler: the access-key job (deadline reminders, enforcement, deletion suggestions) every
//! `--job-interval-minutes`, and e-mail delivery every 30 s or when a notice is queued. With several
//! instances on one database, a job lease (`job:keys`) lets one instance at a time run the key job, and
//! the reminder ledger's primary key makes every notice go out once per key and stage, ever.

use crate::audit::AuditEvent;
use crate::audit::Outcome;
use crate::iam::{Caller, IamBackend};
use crate::portal::Portal;
use app::domain::deadlines::{Enforcement, Stage};
use app::domain::notices::{deactivated_notice, delete_suggestion, reminder_notice};
use app::domain::{AccessKeySummary, IamUserName, SetStatus};
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::Arc;
use time::OffsetDateTime;

/// The lease that lets one instance at a time run the key job.
pub const KEY_JOB: &str = "job:keys";
/// How long the key job's lease lasts if its holder dies mid-run.
pub const KEY_JOB_LEASE_SECONDS: i64 = 15 * 60;

/// What one run of the key job did (stored as the last run's report, shown to administrators).
pub type KeyJobReport = app::api::deadlines::JobView;

/// An active key past its deadline, as the dry run lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueKey {
    pub user: IamUserName,
    pub key: AccessKeySummary,
    pub due: OffsetDateTime,
    pub days_over: i64,
}

/// Run the jobs until the process ends.
pub async fn run_forever(portal: Arc<Portal>) {
    let mail = {
        let portal = portal.clone();
        async move {
            loop {
                portal.deliver_due().await;
                crate::notices::wait_for_mail(&portal).await;
            }
        }
    };
    let keys = {
        let portal = portal.clone();
        async move {
            let every = std::time::Duration::from_secs(u64::from(portal.config.settings.job_interval_minutes) * 60);
            // A short pause first: start-up (demo seeding, migrations) finishes before the first scan.
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            loop {
                match portal.run_key_job().await {
                    Ok(Some(r)) => tracing::info!(
                        users = r.users,
                        reminders = r.reminders,
                        deactivated = r.deactivated,
                        suggestions = r.deletion_suggestions,
                        "key job done"
                    ),
                    Ok(None) => tracing::debug!("key job running on another instance"),
                    Err(e) => tracing::warn!(error = %e, "key job failed; next run at the next interval"),
                }
                tokio::time::sleep(every).await;
            }
        }
    };
    // Changes keydesk was interrupted in (portal/mutation.rs): at start, then every 10 s (one indexed query).
    let settle = {
        let portal = portal.clone();
        async move {
            loop {
                match portal.settle_unfinished_intents().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(settled = n, "settled interrupted changes"),
                    Err(e) => tracing::warn!(error = %e, "settling interrupted changes failed; trying again shortly"),
                }
                tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            }
        }
    };
    tokio::join!(mail, keys, settle);
}

/// The read-only authority the job lists users and keys with; deactivation uses the help-desk role.
fn reader() -> Caller {
    Caller::admin("keydesk")
}

impl Portal {
    /// Every IAM user and their access keys (bounded concurrency); users whose keys cannot be read are
    /// counted, not fatal.
    async fn all_keys(&self) -> Result<(Vec<(IamUserName, Vec<AccessKeySummary>)>, usize), String> {
        let mut users = Vec::new();
        let mut marker = None;
        loop {
            let page = self.iam.list_users(&reader(), marker, 1000).await.map_err(|e| format!("listing IAM users: {e}"))?;
            users.extend(page.users.into_iter().map(|u| u.name));
            marker = page.next_marker;
            if marker.is_none() {
                break;
            }
        }
        let iam: &dyn IamBackend = &*self.iam;
        let results: Vec<_> = futures::stream::iter(users)
            .map(|u| async move {
                let keys = iam.list_access_keys(&reader(), &u).await;
                (u, keys)
            })
            .buffer_unordered(usize::from(self.config.settings.review_concurrency))
            .collect()
            .await;
        let mut out = Vec::with_capacity(results.len());
        let mut errors = 0;
        for (u, keys) in results {
            match keys {
                Ok(k) => out.push((u, k)),
                Err(e) => {
                    errors += 1;
                    tracing::warn!(user = %u, error = %e, "key job: could not list this user's keys");
                }
            }
        }
        out.sort_by_key(|a| a.0.fold());
        Ok((out, errors))
    }

    async fn exemptions_now(&self, now: OffsetDateTime) -> Result<HashMap<String, OffsetDateTime>, String> {
        let rows = self.db.exemptions(now).await.map_err(|e| format!("reading exemptions: {e}"))?;
        Ok(rows.into_iter().map(|r| (r.iam_user, r.until)).collect())
    }

    /// The dry run of enforcement: every active key past its deadline now, exemptions respected.
    pub async fn overdue_keys(&self) -> Result<Vec<OverdueKey>, String> {
        let now = self.clock.now();
        let exempt = self.exemptions_now(now).await?;
        let (users, _) = self.all_keys().await?;
        let policy = &self.config.key_policy;
        let mut out = Vec::new();
        for (user, keys) in users {
            for key in keys.into_iter().filter(|k| k.status.is_active()) {
                let d = policy.deadline(key.created_at, now, exempt.get(&user.fold()).copied());
                if d.stage == Stage::Overdue {
                    out.push(OverdueKey { user: user.clone(), due: d.due, days_over: -d.days_left, key });
                }
            }
        }
        Ok(out)
    }

    /// One run of the key job, if this instance gets the job lease (`Ok(None)` otherwise).
    pub async fn run_key_job(&self) -> Result<Option<KeyJobReport>, String> {
        let holder = uuid::Uuid::new_v4().simple().to_string();
        let now = self.clock.now();
        let got = self.db.try_lease_for(KEY_JOB, &holder, now.unix_timestamp(), KEY_JOB_LEASE_SECONDS).await.map_err(|e| e.to_string())?;
        if !got {
            return Ok(None);
        }
        let result = self.key_job(now).await;
        // Under the same lease: temporary passwords from help-desk resets left unchanged too long.
        match self.follow_up_temporary_passwords().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reset_again = n, "temporary passwords not changed in time were reset again"),
            Err(e) => tracing::warn!(error = %e, "the temporary-password follow-up failed; it runs again with the next job"),
        }
        if let Err(e) = self.db.release_lease(KEY_JOB, &holder).await {
            tracing::warn!(error = %e, "could not release the key job's lease; it expires on its own");
        }
        let report = result?;
        if let Ok(doc) = serde_json::to_string(&report) {
            let _ = self.db.put_setting("key_job_report", &doc, now, "keydesk").await;
        }
        Ok(Some(report))
    }

    /// The last key job's report, if one ran.
    pub async fn last_key_job(&self) -> Option<KeyJobReport> {
        let doc = self.db.setting("key_job_report").await.ok()??;
        serde_json::from_str(&doc).ok()
    }

    async fn key_job(&self, now: OffsetDateTime) -> Result<KeyJobReport, String> {
        let policy = self.config.key_policy.clone();
        let exempt = self.exemptions_now(now).await?;
        let (users, errors) = self.all_keys().await?;
        let mut report = KeyJobReport {
            at: now,
            users: users.len(),
            active_keys: 0,
            reminders: 0,
            deactivated: 0,
            deletion_suggestions: 0,
            without_address: vec![],
            errors,
        };
        let ask = self.entitlements().await.map(|e| e.ask).unwrap_or_else(|_| app::domain::entitlements::DEFAULT_ASK.to_owned());
        for (user, keys) in users {
            let fold = user.fold();
            // Whether a notice for this user found no e-mail address (then it reached the portal only).
            let mut unreached = false;
            for key in keys {
                let id = key.id.to_string();
                if key.status.is_active() {
                    report.active_keys += 1;
                    let d = policy.deadline(key.created_at, now, exempt.get(&fold).copied());
                    if d.stage == Stage::Overdue && policy.enforcement == Enforcement::Deactivate {
                        // Deactivated first, recorded after: a failed attempt is tried again next run.
                        if self.enforce(&user, &key, d.due).await {
                            report.deactivated += 1;
                            if self.claim(&id, "deactivated", &fold, now).await {
                                unreached |= !self.notify(&user, &deactivated_notice(&id, d.due, &ask)).await;
                            }
                        }
                        continue;
                    }
                    let Some(stage) = d.stage.reminder_id() else { continue };
                    if self.claim(&id, &stage, &fold, now).await {
                        report.reminders += 1;
                        let notice = reminder_notice(&id, key.created_at, d.due, d.days_left, policy.max_age_days);
                        unreached |= !self.notify(&user, &notice).await;
                    }
                } else {
                    let last_used = match self.iam.access_key_last_used(&reader(), &key.id).await {
                        Ok((_, used)) => used.at.unwrap_or(key.created_at),
                        Err(e) => {
                            tracing::debug!(error = %e, "key job: last use unknown; skipping the deletion suggestion");
                            continue;
                        }
                    };
                    if policy.suggest_deletion(last_used, now) && self.claim(&id, "delete-suggested", &fold, now).await {
                        report.deletion_suggestions += 1;
                        unreached |= !self.notify(&user, &delete_suggestion(&id, (now - last_used).whole_days())).await;
                    }
                }
            }
            if unreached && report.without_address.len() < 500 {
                report.without_address.push(user.to_string());
            }
        }
        Ok(report)
    }

    /// Record the reminder `stage` of `key_id` as sent; false when it was already (or the database
    /// refuses: then nothing is sent, and the next run tries again).
    async fn claim(&self, key_id: &str, stage: &str, fold: &str, now: OffsetDateTime) -> bool {
        match self.db.claim_reminder(key_id, stage, fold, now).await {
            Ok(first) => first,
            Err(e) => {
                tracing::warn!(error = %e, "could not record a reminder; not sending it now");
                false
            }
        }
    }

    /// Deactivate an overdue key (audited as keydesk itself; intent first, as for every mutation).
    async fn enforce(&self, user: &IamUserName, key: &AccessKeySummary, due: OffsetDateTime) -> bool {
        let base = AuditEvent {
            actor: Some("keydesk".into()),
            actor_role: Some("system".into()),
            target_user: Some(user.to_string()),
            action: "enforcement.access_key.deactivate".into(),
            subject: Some(key.id.to_string()),
            outcome: Outcome::Pending,
            reason: Some(format!("past its {}-day deadline ({} UTC)", self.config.key_policy.max_age_days, app::domain::fmt_utc(due))),
            ..AuditEvent::default()
        };
        let intent = match self.db.append_audit(self.clock.now(), &base).await {
            Ok(id) => id,
            Err(e) => {
                tracing::error!(error = %e, "enforcement: the audit intent could not be written; IAM was not called");
                return false;
            }
        };
        let enforcer = Caller::helpdesk("keydesk-enforcement");
        let result = self.iam.update_access_key(&enforcer, user, &key.id, SetStatus::Inactive).await;
        let (outcome, detail) = match &result {
            Ok(()) => (crate::audit::Outcome::Success, format!("intent={intent}")),
            Err(e) => (crate::audit::Outcome::Failure, format!("intent={intent}; {e}")),
        };
        let event = AuditEvent { outcome, detail: Some(detail), intent_id: Some(intent), ..base };
        if let Err(e) = self.db.append_audit(self.clock.now(), &event).await {
            tracing::error!(error = %e, "enforcement: the final audit record could not be written");
        }
        if let Err(e) = &result {
            tracing::warn!(user = %user, error = %e, "enforcement: could not deactivate an overdue key");
        }
        result.is_ok()
    }
}
