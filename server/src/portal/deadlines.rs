//! The administrators' rotation deadlines: the policy and the last job run, the dry run of
//! enforcement, and exemptions (audited, the person told).

use crate::audit::Outcome;
use crate::portal::{internal, Portal};
use app::api::deadlines::*;
use app::domain::notices::NoticeKind;
use app::domain::{fmt_utc, IamUserName};
use app::error::AppError;
use app::ssr::Ctx;

#[async_trait::async_trait]
impl app::api::deadlines::DeadlinesPort for Portal {
    async fn deadlines(&self, cx: &Ctx) -> Result<app::api::deadlines::DeadlinesView, AppError> {
        let who = &cx.who;
        self.admin_caller(who)?;
        let now = self.clock.now();
        let db_err = |e| internal("reading key deadlines failed", e);
        let exemptions = self
            .db
            .exemptions(now)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|e| ExemptionView { user: e.iam_user, reason: e.reason, until: e.until, by: e.created_by })
            .collect();
        let outbox = self.db.outbox_summary().await.map_err(db_err)?;
        let last_job = self.last_key_job().await;
        Ok(DeadlinesView {
            policy: self.config.key_policy.clone(),
            exemptions,
            smtp_configured: self.mailer.is_some(),
            emails_pending: outbox.pending,
            emails_sent: outbox.sent,
            emails_failed: outbox.failed,
            delivery_problems: outbox
                .problems
                .into_iter()
                .map(|(user, recipient, attempts, error, given_up)| DeliveryProblem { user, recipient, attempts, error, given_up })
                .collect(),
            last_job,
            job_interval_minutes: self.config.settings.job_interval_minutes,
        })
    }

    async fn enforcement_preview(&self, cx: &Ctx) -> Result<Vec<app::api::deadlines::OverdueKeyView>, AppError> {
        let who = &cx.who;
        self.admin_caller(who)?;
        let keys = self.overdue_keys().await.map_err(|e| internal("the enforcement dry run failed", e))?;
        Ok(keys
            .into_iter()
            .map(|k| OverdueKeyView { user: k.user.to_string(), key_id: k.key.id.to_string(), due: k.due, days_over: k.days_over })
            .collect())
    }

    async fn set_exemption(&self, cx: &Ctx, user: &str, reason: &str, until: &str) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let caller = self.admin_caller(who)?;
        let target = IamUserName::parse(user.trim()).map_err(|m| AppError::invalid("user", m.to_string()))?;
        let reason = app::domain::check_reason(reason).map_err(|m| AppError::invalid("reason", m))?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let day = time::Date::parse(until.trim(), format).map_err(|_| AppError::invalid("until", "Enter the end date as YYYY-MM-DD."))?;
        let until = day.with_hms(23, 59, 59).map_err(|e| internal("date", e))?.assume_utc();
        let now = self.clock.now();
        if until <= now {
            return Err(AppError::invalid("until", "The end date must be in the future."));
        }
        if until > now + time::Duration::days(366) {
            return Err(AppError::invalid("until", "Exemptions last at most a year: set a date within the next 366 days."));
        }
        self.require_fresh_auth(who)?;
        // The user must exist: an exemption for a typo would silently do nothing.
        self.iam.get_user(&caller, &target).await.map_err(|e| crate::portal::iam_error("looking up the user", e))?;
        let detail = Some(format!("until={}", fmt_utc(until)));
        let intent = self.audit_intent_with_reason(req, who, Some(&target), "admin.key_exemption.set", None, Some(reason), detail).await?;
        match self.db.set_exemption(&target.fold(), reason, until, who.viewer.user.as_str(), now).await {
            Ok(()) => self.audit_final(intent, Outcome::Success, None, None).await,
            Err(e) => {
                self.audit_final(intent, Outcome::Failure, None, Some("database write failed".into())).await;
                return Err(internal("saving the exemption failed", e));
            }
        }
        let notice = app::domain::notices::Notice {
            kind: NoticeKind::Change,
            title: "Your access keys are exempt from the rotation deadline".into(),
            body: format!(
                "{} exempted your access keys from the rotation deadline until {} UTC. Reason: {reason}. Rotate them before then.",
                who.viewer.user,
                fmt_utc(until)
            ),
            link: Some("/#access-keys".into()),
        };
        self.notify(&target, &notice).await;
        Ok(())
    }

    async fn remove_exemption(&self, cx: &Ctx, user: &str) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        self.admin_caller(who)?;
        let target = IamUserName::parse(user.trim()).map_err(|m| AppError::invalid("user", m.to_string()))?;
        self.require_fresh_auth(who)?;
        let intent = self.audit_intent_with_reason(req, who, Some(&target), "admin.key_exemption.remove", None, None, None).await?;
        match self.db.remove_exemption(&target.fold()).await {
            Ok(true) => {
                self.audit_final(intent, Outcome::Success, None, None).await;
                Ok(())
            }
            Ok(false) => {
                self.audit_final(intent, Outcome::Failure, None, Some("no exemption".into())).await;
                Err(AppError::NotFound { message: format!("{target} has no exemption (any more).") })
            }
            Err(e) => {
                self.audit_final(intent, Outcome::Failure, None, Some("database write failed".into())).await;
                Err(internal("removing the exemption failed", e))
            }
        }
    }
}
