//! Account settings for administrators: the account password policy, read, saved and deleted through
//! the admin role (`iam:UpdateAccountPasswordPolicy`, `iam:DeleteAccountPasswordPolicy`), each change
//! freshly authenticated and audited with every value before and after.

use crate::iam::IamError;
use crate::portal::{iam_error, Portal};
use app::domain::password_policy::EffectivePolicy;
use app::domain::policy_editor::{audit_change, changed_fields, PolicyInput};
use app::error::AppError;
use app::ssr::Principal;
use http::request::Parts;

impl Portal {
    pub(crate) async fn do_password_policy(&self, who: &Principal) -> Result<EffectivePolicy, AppError> {
        let caller = self.admin_caller(who)?;
        self.iam.account_password_policy(&caller).await.map_err(|e| iam_error("reading the account password policy", e))
    }

    /// Save `input` (or delete the custom policy when `None`); returns what changed.
    pub(crate) async fn do_set_password_policy(
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
            Ok(()) => self.audit_final(intent, "success", None, None).await,
            Err(e) => self.audit_final(intent, "failure", None, Some(e.to_string())).await,
        }
        result.map_err(|e| iam_error("saving the account password policy", e))?;
        self.review.policy_changed(after.max_age_days()).await;
        tracing::info!(action, "account password policy changed");
        Ok(changed_fields(&before, &after))
    }
}
