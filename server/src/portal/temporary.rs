//! Temporary credentials for work roles: the catalogue administrators keep (one portal setting, read
//! by every instance), the roles a person may use (by keydesk role or IAM group), and an issuance —
//! the role's session from STS, returned once and never stored, audited with its access key id so
//! CloudTrail's records can be matched to the person.

use super::*;
use crate::audit::Outcome;
use crate::iam::WorkRoleRequest;
use app::domain::temporary::{
    check_duration, duration_choices, human_duration, session_name, sso_setup, DurationError, IssuedSession, Membership, MyWorkRoles,
    WorkRole, WorkRoleCatalogue, WorkRoleOffer, CHAINED_SESSION_SECS,
};
use app::domain::work_roles::{changed_fields, IdentityCenterInput, WorkRoleInput};
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

    /// The catalogue's roles `who` may use (and the catalogue). A person with no IAM user is in no IAM
    /// group.
    async fn usable_roles(&self, who: &Principal) -> Result<(Vec<WorkRole>, WorkRoleCatalogue), AppError> {
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
        let member = Membership { role: who.viewer.role, iam_groups: &groups, idp_groups: &who.idp_groups };
        Ok((catalogue.roles.iter().filter(|r| r.may_use(member)).cloned().collect(), catalogue))
    }

    /// Change the catalogue: `edit` gets the stored one and says what to save (nothing when unchanged),
    /// audited under its action with its detail (the entry before and after). The read, the change and
    /// the write hold the catalogue's lease, so two administrators' saves never overwrite each other.
    async fn edit_catalogue<R>(
        &self,
        cx: &Ctx,
        edit: impl FnOnce(&mut WorkRoleCatalogue) -> Result<CatalogueEdit<R>, AppError>,
    ) -> Result<R, AppError> {
        self.with_lease(format!("setting:{CATALOGUE}"), async {
            let mut catalogue = self.work_role_catalogue().await?;
            let (action, detail, answer) = match edit(&mut catalogue)? {
                CatalogueEdit::Unchanged(answer) => return Ok(answer),
                CatalogueEdit::Save { action, detail, answer } => (action, detail, answer),
            };
            let intent = self.audit_intent_with_reason(&cx.req, &cx.who, None, action, None, None, Some(detail)).await?;
            let doc = serde_json::to_string(&catalogue).map_err(|e| internal("serialising the work roles failed", e))?;
            match self.db.put_setting(CATALOGUE, &doc, self.clock.now(), cx.who.viewer.user.as_str()).await {
                Ok(()) => {
                    self.audit_final(intent, Outcome::Success, None, None).await;
                    tracing::info!(action, "work-role catalogue changed");
                    Ok(answer)
                }
                Err(e) => {
                    self.audit_final(intent, Outcome::Failure, None, Some("the database refused the write".into())).await;
                    Err(internal("saving the work roles failed", e))
                }
            }
        })
        .await
    }

    /// The catalogue, for its editor (administrators).
    pub(crate) async fn catalogue_for_admin(&self, cx: &Ctx) -> Result<WorkRoleCatalogue, AppError> {
        self.admin_caller(&cx.who)?;
        self.work_role_catalogue().await
    }

    /// Add an entry, or replace the one whose short name was `original` (administrators, freshly
    /// authenticated); what changed, worded for a person (empty when nothing did).
    pub(crate) async fn save_work_role(&self, cx: &Ctx, original: Option<&str>, input: &WorkRoleInput) -> Result<Vec<String>, AppError> {
        self.admin_caller(&cx.who)?;
        let after = input.parse().map_err(|mut errors| {
            let (field, message) = errors.remove(0);
            AppError::invalid(field, message)
        })?;
        self.require_fresh_auth(&cx.who)?;
        let original = original.map(str::trim).filter(|o| !o.is_empty());
        self.edit_catalogue(cx, |catalogue| {
            if catalogue.roles.iter().any(|r| r.id == after.id && Some(r.id.as_str()) != original) {
                return Err(AppError::invalid(
                    "id",
                    format!("Another work role is already called {}: choose another short name.", after.id),
                ));
            }
            let Some(id) = original else {
                let detail = format!("added: {}", after.describe());
                let answer = vec![format!("Added {}", after.display_name)];
                catalogue.roles.push(after);
                return Ok(CatalogueEdit::Save { action: "admin.work_roles.add", detail, answer });
            };
            let Some(slot) = catalogue.roles.iter_mut().find(|r| r.id == id) else {
                return Err(AppError::NotFound {
                    message: format!("There is no work role {id} any more: someone removed it. Reload the page."),
                });
            };
            let changed = changed_fields(slot, &after);
            if changed.is_empty() {
                return Ok(CatalogueEdit::Unchanged(vec![]));
            }
            let detail = format!("before: {}; after: {}", slot.describe(), after.describe());
            let answer = vec![format!("Saved {}: {}", after.display_name, changed.join(", "))];
            *slot = after;
            Ok(CatalogueEdit::Save { action: "admin.work_roles.update", detail, answer })
        })
        .await
    }

    /// Remove the entry `id` (administrators, freshly authenticated). Sessions already issued last
    /// until they expire.
    pub(crate) async fn remove_work_role(&self, cx: &Ctx, id: &str) -> Result<(), AppError> {
        self.admin_caller(&cx.who)?;
        self.require_fresh_auth(&cx.who)?;
        self.edit_catalogue(cx, |catalogue| {
            let Some(at) = catalogue.roles.iter().position(|r| r.id == id) else {
                return Err(AppError::NotFound { message: format!("There is no work role {id}: it was removed already.") });
            };
            let gone = catalogue.roles.remove(at);
            Ok(CatalogueEdit::Save {
                action: "admin.work_roles.remove",
                detail: format!("before: {}; after: (none)", gone.describe()),
                answer: (),
            })
        })
        .await
    }

    /// Set or clear IAM Identity Center's start URL and region (administrators, freshly authenticated).
    pub(crate) async fn save_identity_center(&self, cx: &Ctx, input: &IdentityCenterInput) -> Result<bool, AppError> {
        self.admin_caller(&cx.who)?;
        let after = input.parse().map_err(|(field, message)| AppError::invalid(field, message))?;
        self.require_fresh_auth(&cx.who)?;
        self.edit_catalogue(cx, |catalogue| {
            if catalogue.identity_center == after {
                return Ok(CatalogueEdit::Unchanged(false));
            }
            let show = |ic: &Option<app::domain::temporary::IdentityCenter>| match ic {
                None => "(none)".to_owned(),
                Some(ic) => format!("{} {} session={}", ic.start_url, ic.region, ic.session_name),
            };
            let detail = format!("before: {}; after: {}", show(&catalogue.identity_center), show(&after));
            catalogue.identity_center = after;
            Ok(CatalogueEdit::Save { action: "admin.identity_center.update", detail, answer: true })
        })
        .await
    }
}

/// What an edit of the catalogue decided: nothing to save, or the change to save and audit.
enum CatalogueEdit<R> {
    Unchanged(R),
    Save { action: &'static str, detail: String, answer: R },
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
    async fn temporary_issuance(&self, cx: &Ctx) -> Result<Vec<app::domain::temporary::IssuanceCount>, AppError> {
        self.admin_caller(&cx.who)?;
        let since = self.clock.now() - time::Duration::days(app::domain::temporary::ISSUANCE_WINDOW_DAYS);
        let rows = self.db.issuance_counts(since).await.map_err(|e| internal("reading the issuance counts failed", e))?;
        Ok(rows
            .into_iter()
            .map(|r| app::domain::temporary::IssuanceCount {
                role_id: r.role_id,
                role: r.role_name,
                person: r.portal_user,
                issued: u32::try_from(r.issued).unwrap_or(u32::MAX),
                last_at: crate::db::accounts::from_ts(r.last_at),
            })
            .collect())
    }

    async fn my_work_roles(&self, cx: &Ctx) -> Result<MyWorkRoles, AppError> {
        let (roles, catalogue) = self.usable_roles(&cx.who).await?;
        let identity_center = catalogue.identity_center.as_ref().and_then(|ic| sso_setup(ic, &roles.iter().collect::<Vec<_>>()));
        Ok(MyWorkRoles { offers: roles.iter().map(|r| self.offer(r)).collect(), identity_center })
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
        let Some(role) = self.usable_roles(who).await?.0.into_iter().find(|r| r.id == role_id) else {
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
                let row = crate::db::temporary::TemporarySessionRow {
                    access_key_id: credentials.access_key_id.clone(),
                    portal_user: person.clone(),
                    role_id: role.id.clone(),
                    role_arn: role.role_arn.clone(),
                    role_name: role.display_name.clone(),
                    issued_at: self.clock.now().unix_timestamp(),
                    expires_at: credentials.expiration.unix_timestamp(),
                };
                // The session exists at AWS whatever happens here; the audit already names its key id.
                if let Err(e) = self.db.record_temporary_session(&row).await {
                    tracing::error!(error = %e, access_key_id = %row.access_key_id, "the temporary-session ledger refused a row");
                }
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
