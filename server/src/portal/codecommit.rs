//! Self-service AWS CodeCommit credentials: HTTPS Git credentials (service-specific credentials) and
//! SSH public keys. Every change follows the mutation protocol (mutation.rs). Git passwords exist only
//! in the answer to a create or reset; a pasted SSH key body is validated before anything else and never
//! logged, audited or echoed (it might be a private key pasted by mistake).

use crate::audit::Outcome;
use crate::iam::{Caller, IamError, CODECOMMIT};
use crate::portal::mutation::Proof;
use crate::portal::{days_between, iam_error, Portal};
use app::api::codecommit::{GitCredentialView, SshKeyView};
use app::api::credentials::MAX_SSH_KEYS;
use app::domain::entitlements::Capability;
use app::domain::services::{ServiceSpec, SERVICES};
use app::domain::ssh_key::{self, ParsedSshKey};
use app::domain::{IamUserName, ServiceCredential, SetStatus, SshEncoding, SshKeyId, SshKeySummary};
use app::error::AppError;
use app::ssr::Ctx;

/// CodeCommit's row of the services table.
fn git() -> &'static ServiceSpec {
    SERVICES.iter().find(|s| s.service_name == CODECOMMIT).unwrap_or(&SERVICES[0])
}

fn ssh_key_id(raw: &str) -> Result<SshKeyId, AppError> {
    SshKeyId::parse(raw.trim()).map_err(|m| AppError::invalid("key_id", m))
}

impl Portal {
    /// The Git credentials among `creds`, as the page lists them.
    pub(crate) fn git_views(&self, creds: Vec<ServiceCredential>) -> Vec<GitCredentialView> {
        let now = self.clock.now();
        creds
            .into_iter()
            .filter(|c| c.service_name == CODECOMMIT)
            .map(|c| GitCredentialView { age_days: days_between(c.created_at, now), credential: c })
            .collect()
    }

    /// The SSH keys as the page lists them: `GetSSHPublicKey` per key (at most 5) for the fingerprints.
    pub(crate) async fn ssh_views(&self, caller: &Caller, me: &IamUserName, keys: Vec<SshKeySummary>) -> Vec<SshKeyView> {
        let mut read = Vec::with_capacity(keys.len());
        for key in keys {
            let detail = self.iam.get_ssh_key(caller, me, &key.id, SshEncoding::Ssh).await;
            read.push((key, detail));
        }
        self.ssh_views_of(read)
    }

    /// The page's view of SSH keys read with their details (a key whose details could not be read
    /// shows without fingerprints).
    pub(crate) fn ssh_views_of(&self, keys: Vec<(SshKeySummary, crate::iam::IamResult<app::domain::SshKeyDetail>)>) -> Vec<SshKeyView> {
        let now = self.clock.now();
        keys.into_iter()
            .map(|(key, detail)| {
                let parsed = detail.as_ref().ok().and_then(|d| ssh_key::parse(&d.body).ok());
                SshKeyView {
                    md5_fingerprint: detail.ok().map(|d| d.fingerprint),
                    sha256_fingerprint: parsed.as_ref().map(ParsedSshKey::sha256_fingerprint),
                    bits: parsed.as_ref().map(|p| p.bits),
                    comment: None,
                    age_days: days_between(key.uploaded_at, now),
                    key,
                }
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl app::api::codecommit::CodeCommitPort for Portal {
    async fn create_git_credential(&self, cx: &Ctx) -> Result<app::domain::CreatedServiceCredential, AppError> {
        self.create_credential(cx, git(), None).await
    }

    async fn reset_git_credential(&self, cx: &Ctx, id: &str) -> Result<app::domain::CreatedServiceCredential, AppError> {
        self.reset_credential(cx, git(), id).await
    }

    async fn set_git_credential_status(&self, cx: &Ctx, id: &str, status: SetStatus) -> Result<(), AppError> {
        self.set_credential_status(cx, git(), id, status).await
    }

    async fn delete_git_credential(&self, cx: &Ctx, id: &str, confirm: &str) -> Result<(), AppError> {
        self.delete_credential(cx, git(), id, confirm).await
    }

    async fn upload_ssh_key(&self, cx: &Ctx, body: &str) -> Result<app::api::codecommit::SshKeyView, AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::SshKeys).await?;
        // First, before anything is logged or sent: a private key or garbage stops here, unechoed.
        let parsed = ssh_key::parse(body).map_err(|e| AppError::invalid("public_key", e.to_string()))?;
        self.require_fresh_auth(who)?;
        let (caller, me) = (caller, who.viewer.iam_user.clone());
        let md5 = parsed.md5_fingerprint();
        // IAM gets the canonical OpenSSH line (without the comment, which may hold a host or email).
        let canonical = parsed.openssh();
        self.with_user_lease(&me, async {
            let keys = self.iam.list_ssh_keys(&caller, &me).await.map_err(|e| iam_error("listing SSH keys", e))?;
            let existing = self.ssh_views(&caller, &me, keys).await;
            if let Some(same) = existing.iter().find(|k| k.md5_fingerprint.as_deref() == Some(md5.as_str())) {
                return Err(AppError::Conflict { message: format!("You already uploaded this key: it is SSH key {}.", same.key.id) });
            }
            if existing.len() >= MAX_SSH_KEYS {
                return Err(AppError::LimitExceeded {
                    message: format!("You already have {MAX_SSH_KEYS} SSH public keys (inactive ones count too). Delete one first."),
                });
            }
            let intent = self.audit_intent(req, who, &me, "ssh_key.upload", Some(parsed.sha256_fingerprint())).await?;
            let view = |key: SshKeySummary| SshKeyView {
                age_days: days_between(key.uploaded_at, self.clock.now()),
                key,
                md5_fingerprint: Some(md5.clone()),
                sha256_fingerprint: Some(parsed.sha256_fingerprint()),
                bits: Some(parsed.bits),
                comment: parsed.comment.clone(),
            };
            match self.iam.upload_ssh_key(&caller, &me, &canonical).await {
                Ok(key) => {
                    self.audit_final(intent, Outcome::Success, Some(key.id.to_string()), None).await;
                    Ok(view(key))
                }
                Err(IamError::Ambiguous(cause)) => {
                    // A public key is no secret: if it arrived, the upload simply succeeded.
                    for pause_ms in [200u64, 600, 1800] {
                        tokio::time::sleep(std::time::Duration::from_millis(pause_ms)).await;
                        let Ok(now) = self.iam.list_ssh_keys(&caller, &me).await else { continue };
                        let views = self.ssh_views(&caller, &me, now).await;
                        if let Some(found) = views.into_iter().find(|k| k.md5_fingerprint.as_deref() == Some(md5.as_str())) {
                            self.audit_final(
                                intent,
                                Outcome::Success,
                                Some(found.key.id.to_string()),
                                Some(format!("found after: {cause}")),
                            )
                            .await;
                            return Ok(view(found.key));
                        }
                    }
                    self.audit_final(intent, Outcome::ResolvedNotCreated, None, Some(cause)).await;
                    Err(AppError::Ambiguous { message: "The key did not arrive in IAM. You can upload it again.".into() })
                }
                Err(e) => {
                    self.audit_final(intent, Outcome::Failure, None, Some(e.to_string())).await;
                    Err(match e {
                        IamError::EntityAlreadyExists(_) => AppError::Conflict { message: "You already uploaded this key.".into() },
                        IamError::InvalidInput(m) => AppError::invalid("public_key", format!("IAM refused the key: {m}")),
                        other => iam_error("uploading an SSH key", other),
                    })
                }
            }
        })
        .await
    }

    async fn set_ssh_key_status(&self, cx: &Ctx, raw_id: &str, status: SetStatus) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::SshKeys).await?;
        let id = ssh_key_id(raw_id)?;
        let (caller, me) = (caller, who.viewer.iam_user.clone());
        let action = if status == SetStatus::Active { "ssh_key.activate" } else { "ssh_key.deactivate" };
        let call = self.iam.update_ssh_key(&caller, &me, &id, status);
        self.fresh_audited(req, who, Proof::StepUpWindow, action, id.as_str(), "changing the status of an SSH key", call).await
    }

    async fn delete_ssh_key(&self, cx: &Ctx, raw_id: &str, confirm: &str) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::SshKeys).await?;
        let id = ssh_key_id(raw_id)?;
        if confirm.trim() != id.as_str() {
            return Err(AppError::invalid("confirm", format!("Type the SSH key id {id} exactly to confirm the deletion.")));
        }
        let (caller, me) = (caller, who.viewer.iam_user.clone());
        let call = self.iam.delete_ssh_key(&caller, &me, &id);
        self.fresh_audited(req, who, Proof::StepUpWindow, "ssh_key.delete", id.as_str(), "deleting an SSH key", call).await
    }
}
