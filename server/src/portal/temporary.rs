//! Temporary credentials for work roles: the catalogue administrators keep (one portal setting, read
//! by every instance), the roles a person may use (by keydesk role or IAM group), and an issuance —
//! the role's session from STS, returned once and never stored, audited with its access key id so
//! CloudTrail's records can be matched to the person.

use super::*;
use crate::audit::Outcome;
use crate::iam::WorkRoleRequest;
use app::domain::temporary::{
    check_duration, duration_choices, human_duration, session_name, DurationError, IssuedSession, WorkRole, WorkRoleCatalogue,
    WorkRoleOffer, CHAINED_SESSION_SECS,
};
use app::ssr::Ctx;

/// The `portal_settings` row holding the catalogue.
pub const CATALOGUE: &str = "work_roles";

/// STS's alphabet for session tag values (letters, digits, spaces and `_.:/=+-@`); anything else in a
/// reason becomes a space, and the tag is cut at 256 characters.
fn tag_value(text: &str) -> String {
    text.chars().map(|c| if c.is_alphanumeric() || " _.:/=+-@".contains(c) { c } else { ' ' }).take(256).collect()
}

impl Portal {
    /// The administrators' catalogue (empty until one is saved).
    pub async fn work_role_catalogue(&self) -> Result<WorkRoleCatalogue, AppError> {
        match self.db.setting(CATALOGUE).await.map_err(|e| internal("reading the work roles failed", e))? {
            None => Ok(WorkRoleCatalogue::default()),
            Some(doc) => serde_json::from_str(&doc).map_err(|e| internal("the stored work roles do not parse", e)),
        }
    }

    /// Are sessions capped at an hour because keydesk itself runs on a role (role chaining)?
    fn chained(&self) -> bool {
        self.iam.chained_sessions()
    }

    fn offer(&self, r: &WorkRole) -> WorkRoleOffer {
        let max = if self.chained() { r.max_session_secs.min(CHAINED_SESSION_SECS) } else { r.max_session_secs };
        WorkRoleOffer {
            id: r.id.clone(),
            display_name: r.display_name.clone(),
            account_alias: r.account_alias.clone(),
            role_arn: r.role_arn.clone(),
            durations: duration_choices(max),
            sensitive: r.sensitive,
            chained: self.chained(),
        }
    }

    /// The catalogue's roles `who` may use. A person with no IAM user is in no IAM group.
    async fn usable_roles(&self, who: &Principal) -> Result<Vec<WorkRole>, AppError> {
        let catalogue = self.work_role_catalogue().await?;
        let needs_groups = catalogue.roles.iter().any(|r| !r.iam_groups.is_empty() && !r.portal_roles.contains(&who.viewer.role));
        let groups = if needs_groups {
            match self.groups_of(who).await {
                Ok(g) => g,
                Err(AppError::NotFound { .. }) => vec![],
                Err(e) => return Err(e),
            }
        } else {
            vec![]
        };
        Ok(catalogue.roles.into_iter().filter(|r| r.may_use(who.viewer.role, &groups)).collect())
    }
}

/// What the person is told when STS refuses keydesk: what the administrator must fix.
fn refusal(role: &WorkRole, e: IamError) -> AppError {
    match e {
        IamError::AccessDenied(m) => {
            tracing::warn!(role = %role.role_arn, error = %m, "a work role refused keydesk");
            AppError::NotAllowed {
                message: format!(
                    "AWS did not let keydesk assume {} ({}). An administrator must let keydesk's principal perform sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession in that role's trust policy. Nothing was issued.",
                    role.display_name, role.role_arn
                ),
            }
        }
        IamError::InvalidInput(m) => AppError::invalid("duration_secs", format!("AWS refused the request: {m}")),
        other => iam_error("issuing temporary credentials", other),
    }
}

#[async_trait::async_trait]
impl app::api::temporary::TemporaryPort for Portal {
    async fn my_work_roles(&self, cx: &Ctx) -> Result<Vec<WorkRoleOffer>, AppError> {
        Ok(self.usable_roles(&cx.who).await?.iter().map(|r| self.offer(r)).collect())
    }

    async fn issue_temporary_credentials(
        &self,
        cx: &Ctx,
        role_id: &str,
        duration_secs: u32,
        reason: Option<&str>,
    ) -> Result<IssuedSession, AppError> {
        let (req, who) = (&cx.req, &cx.who);
        // A session of a role is a credential: a recent password check first, as for every change.
        self.require_fresh_auth(who)?;
        let Some(role) = self.usable_roles(who).await?.into_iter().find(|r| r.id == role_id) else {
            tracing::warn!(user = %who.viewer.user, role = role_id, "temporary credentials refused: not a role this person may use");
            return Err(AppError::NotAllowed { message: "You may not use that role. Nothing was issued.".into() });
        };
        let offer = self.offer(&role);
        let max = offer.durations.last().copied().unwrap_or(role.max_session_secs);
        let duration = check_duration(duration_secs, max).map_err(|e| match e {
            DurationError::OverRoleMaximum(_) if self.chained() => AppError::invalid(
                "duration_secs",
                format!("keydesk runs on an AWS role itself, so AWS caps these sessions at {} (role chaining).", human_duration(max)),
            ),
            e => AppError::invalid("duration_secs", e.to_string()),
        })?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if role.sensitive && reason.is_none_or(|r| r.chars().count() < 4) {
            return Err(AppError::invalid("reason", format!("{} asks for a reason: say what you need it for.", role.display_name)));
        }
        if reason.is_some_and(|r| r.chars().count() > 500) {
            return Err(AppError::invalid("reason", "A reason has at most 500 characters."));
        }
        let person = who.viewer.user.to_string();
        let mut tags = vec![("keydesk-person".to_owned(), person.clone())];
        if let Some(r) = reason {
            tags.push(("keydesk-reason".to_owned(), tag_value(r)));
        }
        let request = WorkRoleRequest {
            role_arn: role.role_arn.clone(),
            person: person.clone(),
            duration_secs: duration,
            tags,
            policy: role.session_policy.clone(),
        };
        let detail = format!("role={} duration={}s session={}", role.id, duration, session_name(&person));
        let intent = self
            .audit_intent_with_reason(
                req,
                who,
                Some(&who.viewer.iam_user),
                "temporary.issue",
                Some(role.role_arn.clone()),
                reason,
                Some(detail.clone()),
            )
            .await?;
        match self.iam.assume_work_role(&Caller::keydesk(), &request).await {
            Ok(credentials) => {
                let account = if role.account_alias.is_empty() { String::new() } else { format!(" account={}", role.account_alias) };
                let detail = format!("{detail} access_key_id={}{account}", credentials.access_key_id);
                self.audit_final(intent, Outcome::Success, None, Some(detail)).await;
                tracing::info!(user = %person, role = %role.id, access_key_id = %credentials.access_key_id, "temporary credentials issued");
                Ok(IssuedSession { role: offer, duration_secs: duration, credentials })
            }
            Err(e) => {
                self.audit_final(intent, Outcome::Failure, None, Some(format!("{detail} error={e}"))).await;
                Err(refusal(&role, e))
            }
        }
    }
}
