//! The caller's own access keys and the step-up that guards every change: create (the secret is
//! returned here only; a lost answer is reconciled and the orphan deleted), activate/deactivate (a key
//! the help desk holds or AWS quarantined stays off) and delete (inactive keys only, id typed back).

use super::*;
use crate::audit::Outcome;
use app::ssr::Ctx;

#[async_trait::async_trait]
impl app::api::access_keys::AccessKeysPort for Portal {
    async fn confirm_password(&self, cx: &Ctx, password: &Password) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        // A stolen session cannot guess the password faster than a sign-in can (auth/admission.rs).
        let user = who.viewer.user.to_string();
        if !self.confirm_own_password(req, who, password, "portal.reauth").await? {
            return Err(AppError::SignInFailed);
        }
        let session = session_of(req)?;
        let mut auth =
            session.get::<SessionAuth>(SESSION_KEY).await.map_err(|e| internal("session read failed", e))?.ok_or(AppError::NotSignedIn)?;
        let now = self.clock.now().unix_timestamp();
        auth.authenticated_at = now;
        auth.last_seen = now;
        // Step-up raises the session's privilege: give it a new id, as at sign-in.
        session.cycle_id().await.map_err(|e| internal("session rotation failed", e))?;
        session.insert(SESSION_KEY, auth).await.map_err(|e| internal("session write failed", e))?;
        session.save().await.map_err(|e| internal("session write failed", e))?;
        self.audit_sign_in(req, Some(&user), "portal.reauth", Outcome::Success).await;
        Ok(())
    }

    async fn create_access_key(&self, cx: &Ctx, description: Option<String>) -> Result<CreatedAccessKey, AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::AccessKeys).await?;
        self.require_fresh_auth(who)?;
        let description = description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        if let Some(d) = &description {
            if d.chars().count() > 256 {
                return Err(AppError::invalid(
                    "description",
                    format!("A description has at most 256 characters (this one has {}).", d.chars().count()),
                ));
            }
        }
        let me = who.viewer.iam_user.clone();
        self.with_user_lease(&me, self.create_key_locked(req, who, caller, &me, description)).await
    }

    async fn set_access_key_status(&self, cx: &Ctx, key_id: &str, status: SetStatus) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::AccessKeys).await?;
        let id = AccessKeyId::parse(key_id).map_err(|m| AppError::invalid("key_id", m))?;
        self.require_fresh_auth(who)?;
        let me = who.viewer.iam_user.clone();
        let action = if status == SetStatus::Active { "access_key.activate" } else { "access_key.deactivate" };
        self.with_user_lease(&me, async {
            if status == SetStatus::Active {
                if let Some(hold) = self.key_hold(who, &me, &id).await? {
                    return Err(self.refuse_reactivation(req, who, &id, &hold).await);
                }
            }
            let intent = self.audit_intent(req, who, &me, action, Some(id.to_string())).await?;
            let result = self.iam.update_access_key(&caller, &me, &id, status).await;
            self.finish(intent, result, "changing an access key's status").await
        })
        .await
    }

    async fn delete_access_key(&self, cx: &Ctx, key_id: &str, confirm: &str) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::AccessKeys).await?;
        let id = AccessKeyId::parse(key_id).map_err(|m| AppError::invalid("key_id", m))?;
        if confirm.trim() != id.as_str() {
            return Err(AppError::invalid("confirm", format!("Type the key id {id} exactly to confirm the deletion.")));
        }
        self.require_fresh_auth(who)?;
        let me = who.viewer.iam_user.clone();
        self.with_user_lease(&me, async {
            let keys = self.iam.list_access_keys(&caller, &me).await.map_err(|e| iam_error("listing keys", e))?;
            match keys.iter().find(|k| k.id == id) {
                None => return Err(AppError::NotFound { message: format!("You have no access key {id} (any more). Reload the page.") }),
                Some(k) if k.status.is_active() => {
                    return Err(AppError::NotAllowed { message: "Deactivate the key first, check nothing broke, then delete it.".into() })
                }
                Some(_) => {}
            }
            let intent = self.audit_intent(req, who, &me, "access_key.delete", Some(id.to_string())).await?;
            let result = self.iam.delete_access_key(&caller, &me, &id).await;
            if result.is_ok() {
                // The console keeps a key's description as a user tag named after it; it goes too.
                if let Err(e) = self.iam.untag_user(&caller, &me, id.as_str()).await {
                    tracing::warn!(error = %e, "the key was deleted but its description tag remains");
                }
            }
            self.finish(intent, result, "deleting an access key").await
        })
        .await
    }
}
