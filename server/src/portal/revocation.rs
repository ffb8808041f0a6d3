//! The help desk's response to leaked temporary credentials: a case opened by a person's name or a
//! pasted `ASIA…` key id (from the ledger: which role, whose session), and revocation — AWS's standard
//! deny on the role for the person's source identity and earlier issue times (iam/revocation.rs),
//! written under a lease per role so instances never overwrite each other's statements. The roles with
//! statements are remembered (portal setting `revocations`), and a sweep removes each statement once
//! the longest session it could match has expired, so role policies never fill up.

use super::*;
use crate::audit::Outcome;
use crate::db::temporary::TemporarySessionRow;
use crate::iam::revocation::{self, Revocation, LONGEST_SESSION_SECS, POLICY_NAME};
use app::domain::temporary::{LedgerSession, RevokeOutcome, TemporaryCase};
use app::domain::PortalUserName;
use app::ssr::Ctx;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The `portal_settings` row naming the roles whose revocation policy holds statements: role ARN → the
/// earliest revocation time written there (Unix seconds), which says when the next one can go.
pub const PENDING: &str = "revocations";

fn ledger_session(r: &TemporarySessionRow, now: OffsetDateTime) -> LedgerSession {
    LedgerSession {
        access_key_id: r.access_key_id.clone(),
        role: r.role_name.clone(),
        role_arn: r.role_arn.clone(),
        issued_at: crate::db::accounts::from_ts(r.issued_at),
        expires_at: crate::db::accounts::from_ts(r.expires_at),
        live: r.expires_at > now.unix_timestamp(),
    }
}

impl Portal {
    async fn pending_revocations(&self) -> Result<BTreeMap<String, i64>, AppError> {
        match self.db.setting(PENDING).await.map_err(|e| internal("reading the pending revocations failed", e))? {
            None => Ok(BTreeMap::new()),
            Some(doc) => serde_json::from_str(&doc).map_err(|e| internal("the pending revocations do not parse", e)),
        }
    }

    /// Record `role_arn`'s earliest statement (none: the role has no statement left). The map is one
    /// document shared by every role: it is read, changed and written under its own lease (taken inside
    /// the role's, always in that order), so revocations of two roles at once both stay recorded.
    async fn set_pending(&self, role_arn: &str, earliest: Option<i64>) -> Result<(), AppError> {
        self.with_lease(format!("setting:{PENDING}"), async {
            let mut pending = self.pending_revocations().await?;
            match earliest {
                Some(t) => pending.insert(role_arn.to_owned(), t),
                None => pending.remove(role_arn),
            };
            let doc = serde_json::to_string(&pending).map_err(|e| internal("serialising the pending revocations failed", e))?;
            self.db
                .put_setting(PENDING, &doc, self.clock.now(), "keydesk")
                .await
                .map_err(|e| internal("saving the pending revocations failed", e))
        })
        .await
    }

    /// Rewrite `role_arn`'s revocation policy: `add` merged in, statements that can match nothing any
    /// more dropped (the policy deleted when none is left). Under the role's lease.
    async fn rewrite_revocations(&self, role_arn: &str, add: Option<Revocation>) -> Result<(), AppError> {
        self.with_lease(format!("role:{role_arn}"), async {
            let svc = Caller::keydesk();
            let now = self.clock.now();
            let existing = match self.iam.role_policy(&svc, role_arn, POLICY_NAME).await {
                Ok(doc) => doc.map(|d| revocation::parse(&d)).unwrap_or_default(),
                Err(e) => return Err(policy_error(role_arn, e)),
            };
            let merged = revocation::merge(existing, add, now);
            let written = match revocation::document(&merged).map_err(|e| AppError::NotAllowed { message: format!("{role_arn}: {e}.") })? {
                Some(doc) => self.iam.put_role_policy(&svc, role_arn, POLICY_NAME, &doc).await,
                None => self.iam.delete_role_policy(&svc, role_arn, POLICY_NAME).await,
            };
            written.map_err(|e| policy_error(role_arn, e))?;
            self.set_pending(role_arn, merged.iter().map(|r| r.before.unix_timestamp()).min()).await
        })
        .await
    }

    /// Remove the revocation statements that can match no live session any more (the session cleanup
    /// runs this every ten minutes). Roles it cannot rewrite now are tried again next time.
    pub async fn sweep_revocations(&self) -> Result<usize, AppError> {
        let now = self.clock.now().unix_timestamp();
        let mut swept = 0;
        for (role_arn, earliest) in self.pending_revocations().await? {
            if now - earliest <= LONGEST_SESSION_SECS {
                continue;
            }
            match self.rewrite_revocations(&role_arn, None).await {
                Ok(()) => swept += 1,
                Err(e) => {
                    tracing::warn!(role = %role_arn, error = %e, "could not remove expired revocation statements; next sweep tries again")
                }
            }
        }
        Ok(swept)
    }

    pub(crate) async fn temporary_case(&self, cx: &Ctx, query: &str) -> Result<TemporaryCase, AppError> {
        self.helpdesk_caller(&cx.who)?;
        let query = query.trim();
        let now = self.clock.now();
        let db_err = |e| internal("reading the temporary-session ledger failed", e);
        // A temporary access key id (an access key id beginning ASIA), or a person's name.
        let temporary_key = app::domain::AccessKeyId::parse(query).ok().filter(|k| k.as_str().starts_with("ASIA"));
        let (person, found) = if let Some(key) = temporary_key {
            let query = key.as_str();
            match self.db.temporary_session(query).await.map_err(db_err)? {
                Some(row) => (row.portal_user.clone(), Some(ledger_session(&row, now))),
                None => {
                    return Err(AppError::NotFound {
                        message: format!(
                            "keydesk did not issue {query}. Find its role session in CloudTrail (userIdentity.accessKeyId = {query}); an administrator can revoke that role's active sessions on the AWS console."
                        ),
                    })
                }
            }
        } else {
            let name = PortalUserName::parse(query)
                .map_err(|_| AppError::invalid("query", "Enter a keydesk user name or a temporary access key id (ASIA…)."))?;
            (name.to_string(), None)
        };
        let since = now - time::Duration::seconds(LONGEST_SESSION_SECS);
        let sessions: Vec<LedgerSession> =
            self.db.recent_temporary_sessions(&person, since).await.map_err(db_err)?.iter().map(|r| ledger_session(r, now)).collect();
        let mut roles: Vec<(String, String)> = Vec::new();
        for s in sessions.iter().filter(|s| s.live) {
            if !roles.iter().any(|(arn, _)| *arn == s.role_arn) {
                roles.push((s.role_arn.clone(), s.role.clone()));
            }
        }
        Ok(TemporaryCase { person, found, sessions, roles })
    }

    pub(crate) async fn revoke_temporary(
        &self,
        cx: &Ctx,
        person: &str,
        role: &str,
        reason: &str,
        ticket: Option<&str>,
    ) -> Result<RevokeOutcome, AppError> {
        let (req, who) = (&cx.req, &cx.who);
        self.helpdesk_caller(who)?;
        let (reason, ticket) = Self::case_reason(reason, ticket)?;
        let person = PortalUserName::parse(person.trim()).map_err(|m| AppError::invalid("person", m.to_string()))?;
        Self::remember_case(req, person.as_str(), reason, ticket).await;
        self.require_fresh_auth(who)?;
        let case = self.temporary_case(cx, person.as_str()).await?;
        // Only roles the ledger shows the person holding a live session of: the help desk never writes
        // a deny on an arbitrary role.
        let roles: Vec<(String, String)> = match role.trim() {
            "all" => case.roles.clone(),
            arn => case.roles.iter().filter(|(a, _)| a == arn).cloned().collect(),
        };
        if roles.is_empty() {
            return Err(AppError::NotFound {
                message: format!(
                    "{person} holds no live temporary credentials{} issued by keydesk: nothing to revoke.",
                    if role.trim() == "all" { "" } else { " for that role" }
                ),
            });
        }
        let target = self.db.find_account(&person).await.map_err(|e| internal("reading the account failed", e))?.map(|a| a.iam_user);
        let now = self.clock.now();
        // aws:TokenIssueTime has whole seconds: a session issued in this second, before or after this
        // moment, reads as this second. Revoke up to the next one, so none issued until now escapes.
        let before = now.replace_nanosecond(0).unwrap_or(now) + time::Duration::seconds(1);
        let mut outcome = RevokeOutcome { revoked: vec![], failed: vec![] };
        for (arn, name) in roles {
            let detail = format!(
                "person={person} role={arn} before={}{}",
                app::domain::fmt_utc(before),
                ticket.map(|t| format!(" ticket={t}")).unwrap_or_default()
            );
            let intent = self
                .audit_intent_with_reason(
                    req,
                    who,
                    target.as_ref(),
                    "helpdesk.temporary.revoke",
                    Some(name.clone()),
                    Some(reason),
                    Some(detail),
                )
                .await?;
            match self.rewrite_revocations(&arn, Some(Revocation { person: person.to_string(), before })).await {
                Ok(()) => {
                    self.audit_final(intent, Outcome::Success, None, None).await;
                    tracing::info!(person = %person, role = %arn, "temporary credentials revoked");
                    outcome.revoked.push(name);
                }
                Err(e) => {
                    self.audit_final(intent, Outcome::Failure, None, Some(e.to_string())).await;
                    outcome.failed.push(format!("{name}: {e}"));
                }
            }
        }
        Ok(outcome)
    }
}

/// What the help desk is told when a role's policy cannot be read or written.
fn policy_error(role_arn: &str, e: IamError) -> AppError {
    match e {
        IamError::AccessDenied(m) => {
            tracing::warn!(role = %role_arn, error = %m, "keydesk may not write a work role's policy");
            AppError::NotAllowed {
                message: format!(
                    "keydesk may not change {role_arn}'s policies: its principal needs iam:GetRolePolicy, iam:PutRolePolicy and iam:DeleteRolePolicy on the role (a role in another account: revoke its sessions on that account's console)."
                ),
            }
        }
        IamError::NotFound(_) => {
            AppError::NotFound { message: format!("The role {role_arn} no longer exists: its sessions cannot be used.") }
        }
        other => iam_error("writing the role's revocation policy", other),
    }
}
