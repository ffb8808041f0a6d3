//! Account settings for administrators: the account password policy, read, saved and deleted through
//! the admin role (`iam:UpdateAccountPasswordPolicy`, `iam:DeleteAccountPasswordPolicy`), each change
//! freshly authenticated and audited with every value before and after.

use crate::audit::Outcome;
use crate::iam::IamError;
use crate::portal::entitlements::SETTING;
use crate::portal::internal;
use crate::portal::{iam_error, Portal};
use app::domain::entitlements::NO_SUCH_GROUP;
use app::domain::password_policy::EffectivePolicy;
use app::domain::policy_editor::{audit_change, changed_fields, PolicyInput};
use app::error::AppError;
use app::ssr::Ctx;
use app::ssr::Principal;
use http::request::Parts;

impl Portal {
    /// Save `input` (or delete the custom policy when `None`); returns what changed.
    pub(crate) async fn save_password_policy(
        &self,
        req: &Parts,
        who: &Principal,
        input: Option<&PolicyInput>,
    ) -> Result<Vec<String>, AppError> {
        let caller = self.admin_caller(who)?;
        let after = match input {
            Some(input) => EffectivePolicy::Custom(input.parse().map_err(|mut errors| {
                let first = errors.remove(0);
                AppError::invalid(first.field, first.message)
            })?),
            None => EffectivePolicy::IamDefault,
        };
        self.require_fresh_auth(who)?;
        let before = self.iam.account_password_policy(&caller).await.map_err(|e| iam_error("reading the account password policy", e))?;
        if before == after {
            return match after {
                EffectivePolicy::IamDefault => {
                    Err(AppError::NotFound { message: "There is no custom password policy: IAM's default already applies.".into() })
                }
                EffectivePolicy::Custom(_) => Ok(vec![]),
            };
        }
        let action = if input.is_some() { "admin.password_policy.update" } else { "admin.password_policy.delete" };
        let intent = self.audit_intent_with_reason(req, who, None, action, None, None, Some(audit_change(&before, &after))).await?;
        let result = match &after {
            EffectivePolicy::Custom(p) => self.iam.set_account_password_policy(&caller, Some(p)).await,
            EffectivePolicy::IamDefault => match self.iam.set_account_password_policy(&caller, None).await {
                // Deleted meanwhile (by someone else, or on the console): the outcome is the one asked for.
                Err(IamError::NotFound(_)) => Ok(()),
                other => other,
            },
        };
        match &result {
            Ok(()) => self.audit_final(intent, Outcome::Success, None, None).await,
            Err(e) => self.audit_final(intent, Outcome::Failure, None, Some(e.to_string())).await,
        }
        result.map_err(|e| iam_error("saving the account password policy", e))?;
        self.review.policy_changed(after.max_age_days()).await;
        tracing::info!(action, "account password policy changed");
        Ok(changed_fields(&before, &after))
    }
}

#[async_trait::async_trait]
impl app::api::settings::SettingsPort for Portal {
    async fn password_policy(&self, cx: &Ctx) -> Result<app::domain::password_policy::EffectivePolicy, AppError> {
        let who = &cx.who;
        let caller = self.admin_caller(who)?;
        self.iam.account_password_policy(&caller).await.map_err(|e| iam_error("reading the account password policy", e))
    }

    async fn update_password_policy(&self, cx: &Ctx, input: &app::domain::policy_editor::PolicyInput) -> Result<Vec<String>, AppError> {
        let req = &cx.req;
        let who = &cx.who;
        self.save_password_policy(req, who, Some(input)).await
    }

    async fn delete_password_policy(&self, cx: &Ctx) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        self.save_password_policy(req, who, None).await.map(drop)
    }

    /// The entitlements, for administrators.
    async fn entitlements(&self, cx: &Ctx) -> Result<app::domain::entitlements::Entitlements, AppError> {
        let who = &cx.who;
        self.admin_caller(who)?;
        self.entitlements().await
    }

    /// Save the entitlements the form describes (administrators, freshly authenticated, audited with
    /// both versions); returns what changed.
    async fn update_entitlements(&self, cx: &Ctx, input: &app::domain::entitlements::EntitlementsInput) -> Result<Vec<String>, AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let caller = self.admin_caller(who)?;
        let after = input.parse().map_err(|(field, message)| AppError::invalid(field, message))?;
        self.require_fresh_auth(who)?;
        let before = self.entitlements().await?;
        let changes = after.changes_from(&before);
        if changes.is_empty() {
            return Ok(changes);
        }
        let detail = format!("before: {}; after: {}", before.describe(), after.describe());
        let intent = self.audit_intent_with_reason(req, who, None, "admin.entitlements.update", None, None, Some(detail)).await?;
        let doc = serde_json::to_string(&after).map_err(|e| internal("serialising the entitlements failed", e))?;
        match self.db.put_setting(SETTING, &doc, self.clock.now(), who.viewer.user.as_str()).await {
            Ok(()) => self.audit_final(intent, Outcome::Success, None, None).await,
            Err(e) => {
                self.audit_final(intent, Outcome::Failure, None, Some("the database refused the write".into())).await;
                return Err(internal("saving the entitlements failed", e));
            }
        }
        tracing::info!(changes = changes.len(), "self-service entitlements changed");
        // A listed group IAM does not have (a typo, or one not made yet) grants nobody anything: saved as
        // asked, but said. A failed check is not a reason to refuse the save.
        let mut warnings = Vec::new();
        for group in after.groups.keys().filter(|g| !before.groups.keys().any(|b| b.eq_ignore_ascii_case(g))) {
            if let Ok(false) = self.iam.group_exists(&caller, group).await {
                warnings.push(format!(
                    "{NO_SUCH_GROUP}{group} — nobody gets these rights yet. Check the spelling, or create the group in IAM."
                ));
            }
        }
        Ok(changes.into_iter().chain(warnings).collect())
    }

    async fn work_role_catalogue(&self, cx: &Ctx) -> Result<app::domain::temporary::WorkRoleCatalogue, AppError> {
        self.catalogue_for_admin(cx).await
    }

    async fn save_work_role(
        &self,
        cx: &Ctx,
        original: Option<&str>,
        input: &app::domain::work_roles::WorkRoleInput,
    ) -> Result<Vec<String>, AppError> {
        Portal::save_work_role(self, cx, original, input).await
    }

    async fn remove_work_role(&self, cx: &Ctx, id: &str) -> Result<(), AppError> {
        Portal::remove_work_role(self, cx, id).await
    }

    async fn save_identity_center(&self, cx: &Ctx, input: &app::domain::work_roles::IdentityCenterInput) -> Result<bool, AppError> {
        Portal::save_identity_center(self, cx, input).await
    }
}
