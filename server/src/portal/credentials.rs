//! X.509 signing certificates on the employee's own user: inspected before IAM sees them (one PEM
//! certificate, within its validity, RSA of 2048 bits or more or an EC key on P-256/P-384/P-521), then
//! uploaded, activated/deactivated and deleted through the mutation protocol. A pasted private key is
//! refused without being echoed, logged or stored.

use crate::audit::Outcome;
use crate::iam::snapshot::SnapshotParts;
use crate::portal::days_between;
use crate::portal::mutation::Proof;
use crate::portal::{iam_error, Portal};
use ::time::OffsetDateTime;
use app::api::credentials::{AccessKeyView, CredentialsOverview};
use app::domain::entitlements::Capability;
use app::domain::signing_cert::{cert_id_ok, CertInfo, SigningCert, SigningCertView, MAX_CERT_BODY, MAX_SIGNING_CERTS};
use app::domain::SetStatus;
use app::error::AppError;
use app::ssr::Ctx;
use x509_parser::prelude::parse_x509_pem;

/// Read a PEM certificate whatever its dates and key size (for listing), or say why it cannot be read.
/// Also returns the RSA key size, if RSA.
pub fn read(pem: &str) -> Result<(CertInfo, Option<usize>), String> {
    let text = pem.trim();
    if text.contains("PRIVATE KEY") {
        return Err("That is a private key. Paste the certificate (it starts with -----BEGIN CERTIFICATE-----); never share the private key. keydesk kept nothing of what you pasted.".into());
    }
    if text.is_empty() {
        return Err("Paste a PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----).".into());
    }
    if text.chars().count() > MAX_CERT_BODY {
        return Err(format!("IAM accepts certificates of at most {MAX_CERT_BODY} characters."));
    }
    if text.matches("-----BEGIN CERTIFICATE-----").count() > 1 {
        return Err("Upload one certificate at a time, not a chain.".into());
    }
    let (_, pem) = parse_x509_pem(text.as_bytes())
        .map_err(|_| "That is not a PEM certificate: it must start with -----BEGIN CERTIFICATE-----.".to_owned())?;
    if pem.label != "CERTIFICATE" {
        return Err(format!("That is a PEM {}, not a certificate.", pem.label.to_lowercase()));
    }
    let cert = pem.parse_x509().map_err(|e| format!("The certificate cannot be read ({e})."))?;
    let validity = cert.validity();
    let (key, rsa_bits) = match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => (format!("RSA {}", rsa.key_size()), Some(rsa.key_size())),
        Ok(x509_parser::public_key::PublicKey::EC(_)) => {
            let curve = cert
                .public_key()
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| oid.to_id_string())
                .unwrap_or_default();
            let name = match curve.as_str() {
                "1.2.840.10045.3.1.7" => "EC P-256",
                "1.3.132.0.34" => "EC P-384",
                "1.3.132.0.35" => "EC P-521",
                _ => return Err("The certificate's elliptic curve is not one IAM users sign with (use P-256, P-384 or P-521).".into()),
            };
            (name.to_owned(), None)
        }
        _ => return Err("The certificate's key type is not supported: use RSA (2048 bits or more) or EC (P-256, P-384, P-521).".into()),
    };
    use sha2::Digest;
    let digest = sha2::Sha256::digest(&pem.contents);
    let info = CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sha256: digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":"),
        not_before: validity.not_before.to_datetime(),
        not_after: validity.not_after.to_datetime(),
        key,
    };
    Ok((info, rsa_bits))
}

/// What keydesk accepts for upload: a readable certificate, valid at `now`, with a key of a safe size.
pub fn inspect(pem: &str, now: OffsetDateTime) -> Result<CertInfo, String> {
    let (info, rsa_bits) = read(pem)?;
    if let Some(bits) = rsa_bits.filter(|b| *b < 2048) {
        return Err(format!("The certificate's RSA key has {bits} bits; use 2048 bits or more."));
    }
    if info.not_after <= now {
        return Err(format!("The certificate expired on {} UTC. Upload a current one.", app::domain::fmt_utc(info.not_after)));
    }
    if info.not_before > now {
        return Err(format!("The certificate is not valid before {} UTC.", app::domain::fmt_utc(info.not_before)));
    }
    Ok(info)
}

impl Portal {
    pub(crate) fn cert_views(&self, certs: Vec<SigningCert>) -> Vec<SigningCertView> {
        let now = self.clock.now();
        certs
            .into_iter()
            .map(|c| {
                // A certificate uploaded elsewhere may be expired or odd: still list it, with what can be read.
                let info = read(&c.body).ok().map(|(i, _)| i);
                let expired = info.as_ref().is_some_and(|i| i.not_after <= now);
                SigningCertView { id: c.id, status: c.status, uploaded_at: c.uploaded_at, info, expired }
            })
            .collect()
    }

    fn cert_id(raw: &str) -> Result<String, AppError> {
        let id = raw.trim();
        if !cert_id_ok(id) {
            return Err(AppError::invalid("certificate_id", "That is not a certificate id."));
        }
        Ok(id.to_owned())
    }
}

impl Portal {
    /// The person's credentials as IAM has them, read in parallel (only what they are entitled to).
    async fn read_my_credentials(&self, cx: &Ctx) -> Result<CredentialsOverview, AppError> {
        let who = &cx.who;
        let me = &who.viewer.iam_user;
        let entitled = self.entitled(who).await?;
        let caller = self.caller_for(who, &entitled);
        let may = |c| entitled.may(c);
        let err = |e| iam_error("reading own credentials", e);
        // Only what the employee is entitled to is read: their session policy grants nothing else.
        let parts = SnapshotParts {
            password: may(Capability::ConsolePassword),
            access_keys: may(Capability::AccessKeys),
            mfa_devices: may(Capability::Mfa),
            // One listing serves the Git section and the other services' (either entitlement grants
            // ListServiceSpecificCredentials).
            service_credentials: may(Capability::GitCredentials) || may(Capability::ServiceCredentials),
            ssh_keys: may(Capability::SshKeys),
            signing_certs: may(Capability::SigningCertificates),
        };
        let now = self.clock.now();
        let fold = me.fold();
        // IAM in one read, and keydesk's own records beside it in another. Those are worth a warning,
        // not the page, when they cannot be read: without the last change the profile's date stands.
        let since = now - time::Duration::days(90);
        let (snapshot, records) = tokio::join!(
            self.iam.credentials_snapshot(&caller, me, parts),
            self.db.credentials_page_records(me.as_str(), &fold, since, now)
        );
        let records = records.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not read keydesk's records for the credentials page");
            Default::default()
        });
        let (changed, exempt_until) = (records.last_password_change.filter(|_| parts.password), records.exempt_until);
        let helpdesk_actions = records
            .helpdesk_actions
            .into_iter()
            .map(|r| app::api::helpdesk::HelpdeskNotice {
                at: r.at,
                what: app::api::helpdesk::describe(&r.action, r.subject.as_deref()),
                actor: r.actor,
                reason: r.reason,
            })
            .collect();
        let s = snapshot.map_err(err)?;
        let git_credentials = match may(Capability::GitCredentials) {
            true => s.service_credentials.clone().map(|c| self.git_views(c)).map_err(err),
            false => Ok(vec![]),
        };
        let service_credentials = match may(Capability::ServiceCredentials) {
            true => s.service_credentials.map(|c| self.service_views(c)).map_err(err),
            false => Ok(vec![]),
        };
        let (user, tags) = (s.user, s.tags);
        let password = s.password.map(|p| (p, changed));
        // Only an inactive key can be switched back on: only then are holds worth a look-up, and the
        // quarantine (one per user) is read once.
        let warn = |e: AppError| {
            tracing::warn!(error = %e, "could not tell whether a key is held");
            false
        };
        let quarantined = match s.access_keys.iter().any(|(k, _)| !k.status.is_active()) {
            true => self.quarantined(who, me).await.unwrap_or_else(warn),
            false => false,
        };
        let mut access_keys = Vec::with_capacity(s.access_keys.len());
        for (key, last_used) in s.access_keys {
            let description = tags.iter().find(|(k, _)| k == key.id.as_str()).map(|(_, v)| v.clone());
            let hold = match key.status.is_active() {
                true => None,
                false if self.helpdesk_holds(&key.id).await.unwrap_or_else(warn) => Some(crate::holds::Hold::Helpdesk),
                false => quarantined.then_some(crate::holds::Hold::Quarantine),
            };
            access_keys.push(AccessKeyView {
                hold: hold.map(|h| h.explain().to_owned()),
                age_days: days_between(key.created_at, now),
                idle_days: days_between(last_used.at.unwrap_or(key.created_at), now),
                last_used_secs: last_used.at.map(|at| (now - at).whole_seconds()),
                deadline: key.status.is_active().then(|| self.config.key_policy.deadline(key.created_at, now, exempt_until)),
                key,
                last_used,
                description,
            });
        }
        Ok(CredentialsOverview {
            user,
            password: password.map(|(p, changed)| self.password_view(p, entitled.password_override, changed)),
            entitled: entitled.caps.clone(),
            signing_certs: s.signing_certs.map(|c| self.cert_views(c)).map_err(err),
            ask: entitled.entitlements.ask.clone(),
            access_keys,
            mfa_devices: s.mfa_devices.map_err(err),
            git_credentials,
            ssh_keys: s.ssh_keys.map(|k| self.ssh_views_of(k)).map_err(err),
            codecommit_region: self.config.settings.codecommit_region.clone(),
            service_credentials,
            api_key_max_days: self.config.settings.api_key_max_days,
            helpdesk_actions,
        })
    }
}

#[async_trait::async_trait]
impl app::api::credentials::CredentialsPort for Portal {
    async fn my_credentials(&self, cx: &Ctx) -> Result<CredentialsOverview, AppError> {
        match self.read_my_credentials(cx).await {
            // Nothing of the person's could be found: when their IAM user does not exist at all (an
            // IAM Identity Center or federated person signed in through the provider), say that.
            Err(AppError::NotFound { message }) => match self.iam.get_user(&crate::iam::Caller::keydesk(), &cx.who.viewer.iam_user).await {
                Err(crate::iam::IamError::NotFound(_)) => Err(AppError::NoIamUser { user: cx.who.viewer.iam_user.to_string() }),
                _ => Err(AppError::NotFound { message }),
            },
            other => other,
        }
    }

    async fn upload_signing_cert(&self, cx: &Ctx, body: &str) -> Result<app::domain::signing_cert::SigningCertView, AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::SigningCertificates).await?;
        let info = inspect(body, self.clock.now()).map_err(|m| AppError::invalid("certificate", m))?;
        self.require_fresh_auth(who)?;
        let me = who.viewer.iam_user.clone();
        self.with_user_lease(&me, async {
            let existing = self.iam.list_signing_certs(&caller, &me).await.map_err(|e| iam_error("listing certificates", e))?;
            if existing.len() >= MAX_SIGNING_CERTS {
                return Err(AppError::LimitExceeded {
                    message: format!("IAM allows {MAX_SIGNING_CERTS} signing certificates per user. Delete one first."),
                });
            }
            if existing.iter().any(|c| read(&c.body).is_ok_and(|(i, _)| i.sha256 == info.sha256)) {
                return Err(AppError::Conflict { message: "You have uploaded this certificate already.".into() });
            }
            let intent = self.audit_intent(req, who, &me, "signing_cert.upload", Some(info.sha256.clone())).await?;
            match self.iam.upload_signing_cert(&caller, &me, body.trim()).await {
                Ok(cert) => {
                    self.audit_final(intent, Outcome::Success, Some(cert.id.clone()), Some(format!("sha256={}", info.sha256))).await;
                    Ok(self.cert_views(vec![cert]).remove(0))
                }
                Err(crate::iam::IamError::Ambiguous(cause)) => {
                    // Uploading the same certificate again is refused as a duplicate, so listing tells.
                    let now = self.iam.list_signing_certs(&caller, &me).await.unwrap_or_default();
                    let landed = now.iter().any(|c| read(&c.body).is_ok_and(|(i, _)| i.sha256 == info.sha256));
                    self.audit_final(intent, if landed { Outcome::Resolved } else { Outcome::ResolvedNotCreated }, None, Some(cause)).await;
                    Err(AppError::Ambiguous {
                        message: if landed {
                            "The upload went through although IAM's answer was lost. Reload the page.".into()
                        } else {
                            "Nothing was uploaded. You can try again.".into()
                        },
                    })
                }
                Err(e) => {
                    self.audit_final(intent, Outcome::Failure, None, Some(e.to_string())).await;
                    Err(iam_error("uploading a signing certificate", e))
                }
            }
        })
        .await
    }

    async fn set_signing_cert_status(&self, cx: &Ctx, id: &str, status: SetStatus) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::SigningCertificates).await?;
        let id = Self::cert_id(id)?;
        let action = if status == SetStatus::Active { "signing_cert.activate" } else { "signing_cert.deactivate" };
        let me = who.viewer.iam_user.clone();
        let call = self.iam.update_signing_cert(&caller, &me, &id, status);
        self.fresh_audited(req, who, Proof::StepUpWindow, action, &id, "changing a signing certificate's status", call).await
    }

    async fn delete_signing_cert(&self, cx: &Ctx, id: &str, confirm: &str) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::SigningCertificates).await?;
        let id = Self::cert_id(id)?;
        if confirm.trim() != id {
            return Err(AppError::invalid("confirm", format!("Type the certificate id {id} exactly to confirm the deletion.")));
        }
        let me = who.viewer.iam_user.clone();
        let call = self.iam.delete_signing_cert(&caller, &me, &id);
        self.fresh_audited(req, who, Proof::StepUpWindow, "signing_cert.delete", &id, "deleting a signing certificate", call).await
    }
}
