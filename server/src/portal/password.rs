//! The caller's own console password: changed through `UpdateLoginProfile` after keydesk's own
//! step-up (SECURITY.md §1.1), under the account policy, with IAM's refusals worded for people.

use crate::iam::IamError;
use crate::portal::{iam_error, internal, Portal};
use app::domain::entitlements::Capability;
use app::domain::password_policy::refusal;
use app::domain::Password;
use app::error::AppError;
use app::ssr::Ctx;

#[async_trait::async_trait]
impl app::api::password::PasswordPort for Portal {
    async fn change_password(&self, cx: &Ctx, new: &Password, repeat: &Password) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, entitled) = self.entitled_caller(who, Capability::ConsolePassword).await?;
        self.require_fresh_auth(who)?;
        let me = who.viewer.iam_user.clone();
        let state = self.iam.password_state(&caller, &me).await.map_err(|e| iam_error("reading the password policy", e))?;
        let changed = self.db.last_password_change(&me.fold()).await.map_err(|e| internal("reading the password's last change", e))?;
        let view = self.password_view(state, entitled.password_override, changed);
        if let Some(reason) = view.cannot_change {
            return Err(AppError::NotAllowed { message: reason });
        }
        if let Some(reason) = refusal(&view.policy, new.expose(), repeat.expose(), me.as_str(), view.block_weak) {
            return Err(AppError::invalid("new_password", reason));
        }
        self.with_user_lease(&me, async {
            let intent = self.audit_intent(req, who, &me, "password.change", None).await?;
            let result = self.iam.set_password(&caller, &me, new, false).await;
            let result = result.map_err(|e| match e {
                // IAM's own words for reuse are cryptic; say what to do.
                IamError::PolicyViolation(m) if m.contains("last") => {
                    IamError::PolicyViolation(format!("{m} Choose a password you have not used recently."))
                }
                other => other,
            });
            self.finish(intent, result, "changing the console password").await
        })
        .await
    }
}
