//! Self-service service-specific credentials for every service in the services table (CodeCommit's
//! HTTPS Git credentials, Amazon Keyspaces, Amazon Bedrock and CloudWatch Logs API keys). One code path
//! for all of them, following the mutation protocol (mutation.rs): entitlement, validation, recent
//! sign-in, per-user lease, audit intent, the IAM call, and reconciliation of a lost answer. Passwords
//! and API-key secrets exist only in the answer to a create or reset.

use crate::audit::Outcome;
use crate::iam::{Caller, IamError};
use crate::portal::mutation::Proof;
use crate::portal::{days_between, iam_error, Portal};
use app::api::services::ServiceCredentialView;
use app::domain::services::{ServiceSpec, PER_SERVICE};
use app::domain::{CreatedServiceCredential, IamUserName, ServiceCredential, ServiceCredentialId, SetStatus};
use app::error::AppError;
use app::ssr::Ctx;

pub(crate) fn credential_id(raw: &str) -> Result<ServiceCredentialId, AppError> {
    ServiceCredentialId::parse(raw.trim()).map_err(|m| AppError::invalid("credential_id", m))
}

/// The service a form names by its slug, or a clear refusal.
pub(crate) fn service(slug: &str) -> Result<&'static ServiceSpec, AppError> {
    ServiceSpec::by_slug(slug.trim()).ok_or_else(|| {
        let known: Vec<&str> = app::domain::services::SERVICES.iter().map(|s| s.slug).collect();
        AppError::invalid("service", format!("keydesk knows no service “{}”; choose one of {}.", slug.trim(), known.join(", ")))
    })
}

/// The audit action for `verb` on `spec`'s credentials: Git credentials keep their own names.
fn action(spec: &ServiceSpec, verb: &str) -> String {
    if spec.is_codecommit() {
        format!("git_credential.{verb}")
    } else {
        format!("service_credential.{verb}")
    }
}

/// The audit subject: the credential id and, for the generic section, the service it is for.
fn subject(spec: &ServiceSpec, id: &ServiceCredentialId) -> String {
    if spec.is_codecommit() {
        id.to_string()
    } else {
        format!("{id} ({})", spec.label)
    }
}

fn gone(spec: &ServiceSpec, id: &str) -> AppError {
    AppError::NotFound { message: format!("You have no {} {id} (any more). Reload the page to see the current state.", spec.noun) }
}

impl Portal {
    async fn credentials_for(&self, caller: &Caller, me: &IamUserName, spec: &ServiceSpec) -> Result<Vec<ServiceCredential>, AppError> {
        self.iam
            .list_service_credentials(caller, me, Some(spec.service_name))
            .await
            .map_err(|e| iam_error(&format!("listing your {}", spec.noun), e))
    }

    /// Every credential of the generic section's services, as the page lists them.
    pub(crate) fn service_views(&self, creds: Vec<ServiceCredential>) -> Vec<ServiceCredentialView> {
        let now = self.clock.now();
        creds
            .into_iter()
            .filter(|c| ServiceSpec::by_service_name(&c.service_name).is_some_and(|s| !s.is_codecommit()))
            .map(|c| ServiceCredentialView {
                age_days: days_between(c.created_at, now),
                // Rounded up: a key created for 30 days shows "in 30 days" at first.
                expires_in_days: c.expires_at.map(|at| app::domain::deadlines::days_until(at, now)),
                credential: c,
            })
            .collect()
    }

    /// After an ambiguous create: a credential that appeared has a secret nobody saw; delete it.
    async fn reconcile_service_create(
        &self,
        caller: &Caller,
        me: &IamUserName,
        spec: &ServiceSpec,
        before: &[ServiceCredential],
    ) -> (Outcome, String) {
        for pause_ms in [0u64, 200, 600, 1800] {
            tokio::time::sleep(std::time::Duration::from_millis(pause_ms)).await;
            let Ok(now) = self.iam.list_service_credentials(caller, me, Some(spec.service_name)).await else {
                continue;
            };
            let orphans: Vec<_> = now.iter().filter(|c| !before.iter().any(|b| b.id == c.id)).collect();
            if orphans.is_empty() && pause_ms > 0 {
                return (Outcome::ResolvedNotCreated, format!("No {} were created. You can try again.", spec.plural()));
            }
            for orphan in orphans {
                if self.iam.delete_service_credential(caller, me, &orphan.id).await.is_ok() {
                    tracing::warn!(credential = %orphan.id, service = spec.slug, "deleted a service credential whose secret was lost in transit");
                    return (
                        Outcome::OrphanDeleted,
                        format!(
                            "{} ({}) were created but the secret was lost on the way, so keydesk deleted them. You can try again.",
                            capitalised(spec.plural()),
                            orphan.public_part()
                        ),
                    );
                }
            }
        }
        tracing::error!(user = %me, service = spec.slug, "could not reconcile an ambiguous service-credential create");
        (Outcome::Unresolved, format!("Check your {} below before trying again, and delete any whose secret you never saw.", spec.plural()))
    }
}

fn capitalised(s: String) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

#[async_trait::async_trait]
impl app::api::services::ServicesPort for Portal {
    async fn create_service_credential(
        &self,
        cx: &Ctx,
        service: &str,
        age_days: Option<&str>,
    ) -> Result<app::domain::CreatedServiceCredential, AppError> {
        self.create_credential(cx, self::service(service)?, age_days).await
    }

    async fn reset_service_credential(&self, cx: &Ctx, service: &str, id: &str) -> Result<app::domain::CreatedServiceCredential, AppError> {
        self.reset_credential(cx, self::service(service)?, id).await
    }

    async fn set_service_credential_status(&self, cx: &Ctx, service: &str, id: &str, status: SetStatus) -> Result<(), AppError> {
        self.set_credential_status(cx, self::service(service)?, id, status).await
    }

    async fn delete_service_credential(&self, cx: &Ctx, service: &str, id: &str, confirm: &str) -> Result<(), AppError> {
        self.delete_credential(cx, self::service(service)?, id, confirm).await
    }
}

impl Portal {
    /// Generate a credential of `spec`'s service (this page's services, and CodeCommit's Git credentials):
    /// entitlement, expiry checked against the maximum, the 2-per-service limit, a lost answer reconciled.
    pub(crate) async fn create_credential(
        &self,
        cx: &Ctx,
        spec: &'static ServiceSpec,
        raw_days: Option<&str>,
    ) -> Result<CreatedServiceCredential, AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, spec.capability()).await?;
        let max_days = self.config.settings.api_key_max_days;
        let days = spec.expiry_days(raw_days, max_days).map_err(|m| AppError::invalid("age_days", m))?;
        self.require_fresh_auth(who)?;
        let me = who.viewer.iam_user.clone();
        self.with_user_lease(&me, async {
            let before = self.credentials_for(&caller, &me, spec).await?;
            if before.len() >= PER_SERVICE {
                let fix = if spec.expires() { "Delete one first." } else { "Delete one first, or reset the password of one you have." };
                return Err(AppError::LimitExceeded {
                    message: format!("You already have {PER_SERVICE} {} (inactive and expired ones count too). {fix}", spec.plural()),
                });
            }
            let intent = self.audit_intent(req, who, &me, &action(spec, "create"), None).await?;
            match self.iam.create_service_credential(&caller, &me, spec.service_name, days).await {
                Ok(created) => {
                    self.audit_final(intent, Outcome::Success, Some(subject(spec, &created.credential.id)), None).await;
                    Ok(created)
                }
                Err(IamError::Ambiguous(cause)) => {
                    let (outcome, message) = self.reconcile_service_create(&caller, &me, spec, &before).await;
                    self.audit_final(intent, outcome, None, Some(cause)).await;
                    Err(AppError::Ambiguous { message })
                }
                Err(e) => {
                    self.audit_final(intent, Outcome::Failure, None, Some(e.to_string())).await;
                    Err(iam_error(&format!("generating {}", spec.plural()), e))
                }
            }
        })
        .await
    }

    /// Reset a credential's secret (any service of the table): the old one stops working; an ambiguous
    /// answer is reset once more so the person sees the secret that works.
    pub(crate) async fn reset_credential(
        &self,
        cx: &Ctx,
        spec: &'static ServiceSpec,
        raw_id: &str,
    ) -> Result<CreatedServiceCredential, AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, spec.capability()).await?;
        let id = credential_id(raw_id)?;
        self.require_fresh_auth(who)?;
        let me = who.viewer.iam_user.clone();
        let secret = if spec.expires() { "secret" } else { "password" };
        self.with_user_lease(&me, async {
            if !self.credentials_for(&caller, &me, spec).await?.iter().any(|c| c.id == id) {
                return Err(gone(spec, id.as_str()));
            }
            let intent = self.audit_intent(req, who, &me, &action(spec, "reset"), Some(subject(spec, &id))).await?;
            match self.iam.reset_service_credential(&caller, &me, &id).await {
                Ok(reset) => {
                    self.audit_final(intent, Outcome::Success, None, None).await;
                    Ok(reset)
                }
                Err(IamError::Ambiguous(cause)) => {
                    // The old secret may already be dead and the new one was never seen. A second
                    // reset supersedes it with one the person does see.
                    match self.iam.reset_service_credential(&caller, &me, &id).await {
                        Ok(reset) => {
                            self.audit_final(intent, Outcome::Success, None, Some(format!("reset again after: {cause}"))).await;
                            Ok(reset)
                        }
                        Err(second) => {
                            let deactivated = self.iam.update_service_credential(&caller, &me, &id, SetStatus::Inactive).await.is_ok();
                            let outcome = if deactivated { Outcome::DeactivatedAfterAmbiguousReset } else { Outcome::Unresolved };
                            self.audit_final(intent, outcome, None, Some(format!("{cause}; then {second}"))).await;
                            Err(AppError::Ambiguous {
                                message: if deactivated {
                                    format!("The reset may have happened, but its new {secret} was lost on the way, so keydesk deactivated these credentials. Reset them again, then activate them.")
                                } else {
                                    format!("The reset may have happened, but its new {secret} was lost on the way. Reset again before using these credentials.")
                                },
                            })
                        }
                    }
                }
                Err(e) => {
                    self.audit_final(intent, Outcome::Failure, None, Some(e.to_string())).await;
                    Err(iam_error(&format!("resetting the {secret} of {}", spec.plural()), e))
                }
            }
        })
        .await
    }

    /// Activate or deactivate a credential of `spec`'s service.
    pub(crate) async fn set_credential_status(
        &self,
        cx: &Ctx,
        spec: &'static ServiceSpec,
        raw_id: &str,
        status: SetStatus,
    ) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, spec.capability()).await?;
        let id = credential_id(raw_id)?;
        self.require_fresh_auth(who)?;
        let me = who.viewer.iam_user.clone();
        let verb = if status == SetStatus::Active { "activate" } else { "deactivate" };
        // Every form names its service (the Git section CodeCommit): the credential must be one of that
        // service's, so a Git form cannot switch a Bedrock key, nor a Keyspaces form a Git credential, by
        // its id — whatever the person is entitled to (review L2). Reset and delete check the same.
        if !self.credentials_for(&caller, &me, spec).await?.iter().any(|c| c.id == id) {
            return Err(gone(spec, id.as_str()));
        }
        let call = self.iam.update_service_credential(&caller, &me, &id, status);
        let context = format!("changing the status of {}", spec.plural());
        self.fresh_audited(req, who, Proof::StepUpWindow, &action(spec, verb), &subject(spec, &id), &context, call).await
    }

    /// Delete a credential of `spec`'s service, its public part typed back.
    pub(crate) async fn delete_credential(
        &self,
        cx: &Ctx,
        spec: &'static ServiceSpec,
        raw_id: &str,
        confirm: &str,
    ) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, spec.capability()).await?;
        let id = credential_id(raw_id)?;
        self.require_fresh_auth(who)?;
        let me = who.viewer.iam_user.clone();
        self.with_user_lease(&me, async {
            let creds = self.credentials_for(&caller, &me, spec).await?;
            let cred = creds.iter().find(|c| c.id == id).ok_or_else(|| gone(spec, id.as_str()))?;
            if confirm.trim() != cred.public_part() {
                return Err(AppError::invalid(
                    "confirm",
                    format!("Type the {} {} exactly to confirm the deletion.", spec.public_label(), cred.public_part()),
                ));
            }
            let intent = self.audit_intent(req, who, &me, &action(spec, "delete"), Some(subject(spec, &id))).await?;
            let result = self.iam.delete_service_credential(&caller, &me, &id).await;
            self.finish(intent, result, &format!("deleting {}", spec.plural())).await
        })
        .await
    }
}
