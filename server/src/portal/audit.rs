//! The audit log as administrators and the help desk read it: filtered, paged, exported as CSV.

use crate::audit::{AuditFilter, AuditRecord};
use crate::db::accounts::from_ts;
use crate::portal::{internal, Portal};
use app::api::audit::{AuditEntry, AuditIntent, AuditPage, AuditQuery, AUDIT_PAGE_SIZE};
use app::domain::csv_report_cell_row;
use app::error::AppError;
use app::ssr::Ctx;
use app::ssr::Principal;
use time::format_description::well_known::Rfc3339;

fn day(field: &str, raw: &str) -> Result<Option<time::OffsetDateTime>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw, &format)
        .map(|d| Some(d.midnight().assume_utc()))
        .map_err(|_| AppError::invalid(field, format!("Enter the date as YYYY-MM-DD (not {raw:?}).")))
}

fn entry(r: AuditRecord) -> AuditEntry {
    let (id, at, actor, actor_role, target_user, action, subject, outcome, reason, detail, intent_id, intent_at) = r;
    let intent = intent_id.zip(intent_at).map(|(id, at)| AuditIntent { id, at: from_ts(at) });
    AuditEntry { id, at: from_ts(at), actor, actor_role, target_user, action, subject, outcome, reason, detail, intent }
}

impl Portal {
    fn audit_filter(&self, who: &Principal, q: &AuditQuery) -> Result<AuditFilter, AppError> {
        if !(who.viewer.role.is_admin() || who.viewer.role.is_helpdesk()) {
            return Err(AppError::Forbidden);
        }
        let text = |s: &str| Some(s.trim().chars().take(128).collect::<String>()).filter(|s| !s.is_empty());
        let from = day("from", &q.from)?;
        // "to" is inclusive: everything before the next midnight.
        let to = day("to", &q.to)?.map(|d| d + time::Duration::days(1));
        if let (Some(f), Some(t)) = (from, to) {
            if f >= t {
                return Err(AppError::invalid("to", "The end date is before the start date."));
            }
        }
        Ok(AuditFilter { actor: text(&q.actor), target: text(&q.target), action: text(&q.action), outcome: text(&q.outcome), from, to })
    }
}

#[async_trait::async_trait]
impl app::api::audit::AuditPort for Portal {
    async fn audit_log(&self, cx: &Ctx, q: &app::api::audit::AuditQuery) -> Result<app::api::audit::AuditPage, AppError> {
        let who = &cx.who;
        let filter = self.audit_filter(who, q)?;
        let size = AUDIT_PAGE_SIZE as i64;
        let offset = i64::try_from(q.page).unwrap_or(0).saturating_mul(size);
        let (rows, total) =
            self.db.list_audit(&filter, size, offset, true).await.map_err(|e| internal("reading the audit log failed", e))?;
        let total = usize::try_from(total).unwrap_or(0);
        let pages = total.div_ceil(AUDIT_PAGE_SIZE).max(1);
        Ok(AuditPage { entries: rows.into_iter().map(entry).collect(), total, page: q.page.min(pages - 1), pages })
    }

    async fn audit_csv(&self, cx: &Ctx, q: &app::api::audit::AuditQuery) -> Result<(String, String), AppError> {
        let who = &cx.who;
        let filter = self.audit_filter(who, q)?;
        // The export keeps every record, intents included: auditors reconcile them by id.
        let (rows, _) = self.db.list_audit(&filter, 100_000, 0, false).await.map_err(|e| internal("reading the audit log failed", e))?;
        let mut csv = String::from("id,at,actor,actor_role,target_user,action,subject,outcome,reason,detail\r\n");
        for e in rows.into_iter().map(entry) {
            let cells = [
                e.id.to_string(),
                e.at.format(&Rfc3339).unwrap_or_default(),
                e.actor.unwrap_or_default(),
                e.actor_role.unwrap_or_default(),
                e.target_user.unwrap_or_default(),
                e.action,
                e.subject.unwrap_or_default(),
                e.outcome,
                e.reason.unwrap_or_default(),
                e.detail.unwrap_or_default(),
            ];
            csv.push_str(&csv_report_cell_row(&cells));
            csv.push_str("\r\n");
        }
        Ok((format!("keydesk-audit-{}.csv", self.clock.now().date()), csv))
    }
}
