//! The audit log: one append-only table (database triggers refuse UPDATE and DELETE). Records who did
//! what to whose credentials, and how it ended. Never a secret: callers pass identifiers and outcomes.

use crate::db::{accounts::ts, Db, DbError};
use time::OffsetDateTime;

/// How an audited call ended: the words stored in `audit_events.outcome` (the pages put them in words
/// through `app::domain::notices::outcome_label`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Outcome {
    /// An intent: written before IAM is called; its final record follows.
    #[default]
    Pending,
    Success,
    Failure,
    /// Refused by keydesk's own rules before any change (a held key, say).
    Refused,
    /// An ambiguous create that turned out to have happened.
    Resolved,
    /// An ambiguous create that turned out not to have happened.
    ResolvedNotCreated,
    /// An ambiguous create whose credential nobody saw: deleted.
    OrphanDeleted,
    /// keydesk stopped between the intent and IAM's answer; IAM's state is what happened.
    Interrupted,
    /// An ambiguous outcome keydesk could not settle: the person is asked to check.
    Unresolved,
    /// An ambiguous reset whose new secret was lost: the credential was switched off.
    DeactivatedAfterAmbiguousReset,
    /// A follow-up that found nothing left to do.
    NotNeeded,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Refused => "refused",
            Outcome::Resolved => "resolved",
            Outcome::ResolvedNotCreated => "resolved_not_created",
            Outcome::OrphanDeleted => "orphan_deleted",
            Outcome::Interrupted => "interrupted",
            Outcome::Unresolved => "unresolved",
            Outcome::DeactivatedAfterAmbiguousReset => "deactivated_after_ambiguous_reset",
            Outcome::NotNeeded => "not_needed",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditEvent {
    pub actor: Option<String>,
    pub actor_role: Option<String>,
    pub target_user: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    /// On a final record: the id of the intent it completes.
    pub intent_id: Option<i64>,
}

impl Db {
    /// Append one event and return its id.
    pub async fn append_audit(&self, at: OffsetDateTime, e: &AuditEvent) -> Result<i64, DbError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO audit_events (at, actor, actor_role, target_user, action, subject, outcome, detail, reason, request_id, client_ip, intent_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(ts(at))
        .bind(e.actor.as_deref())
        .bind(e.actor_role.as_deref())
        .bind(e.target_user.as_deref())
        .bind(&e.action)
        .bind(e.subject.as_deref())
        .bind(e.outcome.as_str())
        .bind(e.detail.as_deref())
        .bind(e.reason.as_deref())
        .bind(e.request_id.as_deref())
        .bind(e.client_ip.as_deref())
        .bind(e.intent_id)
        .fetch_one(&self.pool)
        .await?;
        // Counted once written: every sign-in, step-up, help-desk action and reconciliation passes here.
        crate::metrics::audited(&e.action, e.outcome.as_str());
        Ok(id)
    }
}

/// A help-desk change to someone's credentials, as that person's page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpdeskRecord {
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub reason: Option<String>,
}

/// keydesk's own records "My security credentials" shows beside IAM's, read in one statement (the
/// page is the portal's most visited, and on SQLite every statement is a hand-off to a connection's
/// thread and back).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialsPageRecords {
    /// Successful help-desk actions (`helpdesk.*`; not the self-service changes of someone whose role
    /// is help desk) on the person since the day asked, newest first (at most 10).
    pub helpdesk_actions: Vec<HelpdeskRecord>,
    /// See [`Db::last_password_change`].
    pub last_password_change: Option<OffsetDateTime>,
    /// When the person's exemption from key deadlines ends, if one is in force.
    pub exempt_until: Option<OffsetDateTime>,
}

impl Db {
    /// The help-desk actions on IAM user `user` since `since`, the password's last change and the key
    /// exemption in force at `now`, in one statement.
    pub async fn credentials_page_records(
        &self,
        user: &str,
        fold: &str,
        since: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<CredentialsPageRecords, DbError> {
        type Row = (String, Option<i64>, Option<i64>, Option<String>, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT 'helpdesk' AS kind, id, at, actor, action, subject, reason FROM (
                 SELECT id, at, actor, action, subject, reason FROM audit_events
                 WHERE target_user = $1 AND action LIKE 'helpdesk.%' AND outcome = 'success' AND at >= $2
                 ORDER BY id DESC LIMIT 10) AS recent
             UNION ALL
             SELECT 'password', NULL, MAX(at), NULL, NULL, NULL, NULL FROM audit_events
             WHERE lower(target_user) = $3 AND outcome = 'success'
               AND action IN ('password.change', 'helpdesk.password.reset', 'helpdesk.password.followup')
             UNION ALL
             SELECT 'exempt', NULL, until_at, NULL, NULL, NULL, NULL FROM key_exemptions WHERE iam_user = $3 AND until_at > $4",
        )
        .bind(user)
        .bind(ts(since))
        .bind(fold)
        .bind(ts(now))
        .fetch_all(&self.pool)
        .await?;
        let mut records = CredentialsPageRecords::default();
        let mut helpdesk = Vec::new();
        for (kind, id, at, actor, action, subject, reason) in rows {
            let at = at.map(crate::db::accounts::from_ts);
            match (kind.as_str(), at) {
                ("helpdesk", Some(at)) => helpdesk.push((
                    id.unwrap_or_default(),
                    HelpdeskRecord { at, actor: actor.unwrap_or_default(), action: action.unwrap_or_default(), subject, reason },
                )),
                ("password", at) => records.last_password_change = at,
                ("exempt", at) => records.exempt_until = at,
                _ => {}
            }
        }
        helpdesk.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
        records.helpdesk_actions = helpdesk.into_iter().map(|(_, r)| r).collect();
        Ok(records)
    }
}

impl Db {
    /// Successful audited events naming `subject` (a credential id), oldest first: when, the action,
    /// and whose credential it was. Finds the owner of a key that no longer exists.
    pub async fn events_about(&self, subject: &str) -> Result<Vec<(OffsetDateTime, String, Option<String>)>, DbError> {
        let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT at, action, target_user FROM audit_events WHERE subject = $1 AND outcome = 'success' ORDER BY id LIMIT 200",
        )
        .bind(subject)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(at, action, target)| (crate::db::accounts::from_ts(at), action, target)).collect())
    }
}

impl Db {
    /// Help-desk password resets done between `from` and `to`, latest per user: (when, user, by whom).
    pub async fn password_resets_between(
        &self,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<(OffsetDateTime, String, String)>, DbError> {
        let rows: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT at, target_user, actor FROM audit_events
             WHERE action = 'helpdesk.password.reset' AND outcome = 'success' AND at >= $1 AND at <= $2 ORDER BY id DESC",
        )
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(&self.pool)
        .await?;
        let mut latest: Vec<(OffsetDateTime, String, String)> = Vec::new();
        for (at, target, actor) in rows {
            let (Some(target), Some(actor)) = (target, actor) else { continue };
            if !latest.iter().any(|(_, t, _)| t.eq_ignore_ascii_case(&target)) {
                latest.push((crate::db::accounts::from_ts(at), target, actor));
            }
        }
        Ok(latest)
    }

    /// Break-glass sign-ins (and refused attempts) since `since`, newest first: (at, who, outcome, address).
    pub async fn break_glass_uses(
        &self,
        since: OffsetDateTime,
        limit: i64,
    ) -> Result<Vec<(OffsetDateTime, Option<String>, String, Option<String>)>, DbError> {
        let rows: Vec<(i64, Option<String>, String, Option<String>)> = sqlx::query_as(
            "SELECT at, actor, outcome, client_ip FROM audit_events WHERE action = $1 AND at >= $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(crate::portal::auth::BREAK_GLASS_ACTION)
        .bind(ts(since))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(at, who, outcome, ip)| (crate::db::accounts::from_ts(at), who, outcome, ip)).collect())
    }

    /// Whether the follow-up of a temporary password already ran for `user` after `since`.
    pub async fn followed_up_since(&self, user: &str, since: OffsetDateTime) -> Result<bool, DbError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'helpdesk.password.followup' AND target_user = $1 AND at >= $2 AND outcome <> 'pending'",
        )
        .bind(user)
        .bind(ts(since))
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }
}

/// What the audit page filters on (each `None` matches everything).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub target: Option<String>,
    /// A prefix of the action name (`access_key.`, `helpdesk.`, …).
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
}

/// One row of the log: id, at, actor, actor's role, target, action, subject, outcome, reason, detail,
/// and for a final record the intent it completes (id, at).
pub type AuditRecord = (
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

impl Db {
    /// Matching events, newest first, and how many match in all. With `fold`, a change is one row:
    /// an intent whose final record exists is left out (the final record names it), unless intents
    /// are what the filter asks for; an intent still without its final record stays.
    pub async fn list_audit(&self, f: &AuditFilter, limit: i64, offset: i64, fold: bool) -> Result<(Vec<AuditRecord>, i64), DbError> {
        const MATCH: &str = "WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR target_user = $2)
             AND ($3 IS NULL OR action LIKE $3) AND ($4 IS NULL OR outcome = $4)
             AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6)";
        let folded = fold && f.outcome.as_deref() != Some(Outcome::Pending.as_str());
        let where_ = if folded {
            format!(
                "{MATCH} AND NOT (outcome = 'pending' AND EXISTS (SELECT 1 FROM audit_events done WHERE done.intent_id = audit_events.id))"
            )
        } else {
            MATCH.to_owned()
        };
        let where_ = where_.as_str();
        let action = f.action.as_ref().map(|a| format!("{}%", a.replace(['%', '_'], "")));
        let (from, to) = (f.from.map(ts), f.to.map(ts));
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM audit_events {where_}"))
            .bind(f.actor.as_deref())
            .bind(f.target.as_deref())
            .bind(action.as_deref())
            .bind(f.outcome.as_deref())
            .bind(from)
            .bind(to)
            .fetch_one(&self.pool)
            .await?;
        let rows: Vec<AuditRecord> = sqlx::query_as(&format!(
            "SELECT id, at, actor, actor_role, target_user, action, subject, outcome, reason, detail, intent_id,
                    (SELECT intent.at FROM audit_events intent WHERE intent.id = audit_events.intent_id)
             FROM audit_events {where_}
             ORDER BY id DESC LIMIT $7 OFFSET $8"
        ))
        .bind(f.actor.as_deref())
        .bind(f.target.as_deref())
        .bind(action.as_deref())
        .bind(f.outcome.as_deref())
        .bind(from)
        .bind(to)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok((rows, total))
    }
}

/// One audit record as "My activity" shows it.
#[derive(Debug, Clone)]
pub struct ActivityRecord {
    pub at: OffsetDateTime,
    pub actor: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub detail: Option<String>,
    pub client_ip: Option<String>,
}

type ActivityTuple = (i64, Option<String>, String, Option<String>, String, Option<String>, Option<String>, Option<String>);

fn activity_record((at, actor, action, subject, outcome, reason, detail, client_ip): ActivityTuple) -> ActivityRecord {
    ActivityRecord { at: crate::db::accounts::from_ts(at), actor, action, subject, outcome, reason, detail, client_ip }
}

impl Db {
    /// Finished changes to IAM user `fold`'s credentials (anyone's), newest first.
    pub async fn history_of(&self, fold: &str, limit: i64) -> Result<Vec<ActivityRecord>, DbError> {
        let rows: Vec<ActivityTuple> = sqlx::query_as(
            "SELECT at, actor, action, subject, outcome, reason, detail, client_ip FROM audit_events
             WHERE lower(target_user) = $1 AND outcome <> 'pending' ORDER BY id DESC LIMIT $2",
        )
        .bind(fold)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(activity_record).collect())
    }

    /// When keydesk last changed or reset IAM user `fold`'s console password (the owner's change, a
    /// help-desk reset, the temporary password's follow-up). IAM's login profile keeps its creation
    /// date through changes, so this is what the password's age counts from.
    pub async fn last_password_change(&self, fold: &str) -> Result<Option<OffsetDateTime>, DbError> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(at) FROM audit_events WHERE lower(target_user) = $1 AND outcome = 'success'
             AND action IN ('password.change', 'helpdesk.password.reset', 'helpdesk.password.followup')",
        )
        .bind(fold)
        .fetch_one(&self.pool)
        .await?;
        Ok(at.map(crate::db::accounts::from_ts))
    }

    /// Sign-in attempts to portal account `user`, newest first.
    pub async fn sign_ins_of(&self, user: &str, limit: i64) -> Result<Vec<ActivityRecord>, DbError> {
        let rows: Vec<ActivityTuple> = sqlx::query_as(
            "SELECT at, actor, action, subject, outcome, reason, detail, client_ip FROM audit_events
             WHERE actor = $1 AND action = 'portal.sign_in' ORDER BY id DESC LIMIT $2",
        )
        .bind(user)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(activity_record).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    async fn records_are_read_in_one_statement(db: &Db) {
        let now = datetime!(2026-12-07 10:00 UTC);
        let event = |action: &str, target: &str, subject: &str, outcome: Outcome| AuditEvent {
            actor: Some("carol".into()),
            target_user: Some(target.into()),
            action: action.into(),
            subject: Some(subject.into()),
            outcome,
            reason: Some(format!("ticket for {subject}")),
            ..AuditEvent::default()
        };
        let empty = db.credentials_page_records("Alice", "alice", now - time::Duration::days(90), now).await.unwrap();
        assert_eq!(empty, CredentialsPageRecords::default());
        // Twelve help-desk actions on alice over twelve days; others' and failed ones around them.
        for day in 0..12 {
            let at = now - time::Duration::days(12 - day);
            db.append_audit(at, &event("helpdesk.access_key.deactivate", "Alice", &format!("AKIA{day:016}"), Outcome::Success))
                .await
                .unwrap();
            db.append_audit(at, &event("helpdesk.access_key.deactivate", "bob", "AKIABOB", Outcome::Success)).await.unwrap();
            db.append_audit(at, &event("helpdesk.access_key.delete", "Alice", "AKIAFAILED", Outcome::Failure)).await.unwrap();
        }
        let changed = now - time::Duration::days(3);
        db.append_audit(changed - time::Duration::days(30), &event("password.change", "Alice", "", Outcome::Success)).await.unwrap();
        db.append_audit(changed, &event("helpdesk.password.reset", "ALICE", "", Outcome::Success)).await.unwrap();
        db.append_audit(now, &event("password.change", "Alice", "", Outcome::Failure)).await.unwrap();
        db.set_exemption("alice", "migration", now + time::Duration::days(5), "dave", now).await.unwrap();
        db.set_exemption("bob", "ended", now - time::Duration::days(1), "dave", now - time::Duration::days(9)).await.unwrap();

        let r = db.credentials_page_records("Alice", "alice", now - time::Duration::days(10), now).await.unwrap();
        let subjects: Vec<_> = r.helpdesk_actions.iter().map(|h| h.subject.clone().unwrap_or_default()).collect();
        // The newest first: the reset (its target spelled ALICE is not "Alice"'s), then day 11 down to day 2.
        let expected: Vec<String> = (2..12).rev().map(|day| format!("AKIA{day:016}")).collect();
        assert_eq!(subjects, expected, "the ten newest successful help-desk actions on alice since the day asked");
        assert_eq!(r.helpdesk_actions[0].reason.as_deref(), Some("ticket for AKIA0000000000000011"));
        assert_eq!(r.last_password_change, Some(changed), "the latest successful change, whatever the name's case");
        assert_eq!(r.exempt_until, Some(now + time::Duration::days(5)));
        let bob = db.credentials_page_records("bob", "bob", now - time::Duration::days(90), now).await.unwrap();
        assert_eq!(
            (bob.helpdesk_actions.len(), bob.last_password_change, bob.exempt_until),
            (10, None, None),
            "an ended exemption is none"
        );
    }

    #[tokio::test]
    async fn credentials_page_records_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}", dir.path().join("portal.db").display()), 2).await.unwrap();
        records_are_read_in_one_statement(&db).await;
    }

    #[tokio::test]
    async fn credentials_page_records_on_postgres() {
        testkit::require_env!("KEYDESK_TEST_POSTGRES_URL", "credentials page records on PostgreSQL");
        let fresh = testkit::postgres::FreshDatabase::create().await;
        let db = Db::connect(&fresh.url, 2).await.unwrap();
        records_are_read_in_one_statement(&db).await;
    }
}
