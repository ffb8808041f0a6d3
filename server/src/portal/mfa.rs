//! Self-service changes to the caller's own MFA devices. Each follows the
//! mutation protocol (mutation.rs): fresh re-authentication, the per-user lease, audit intent first,
//! one final audit record. Passwords, seeds and QR codes are never logged, stored or audited.

use crate::audit::Outcome;

use crate::iam::{is_own_mfa_serial, mfa_name_well_formed, own_mfa_path, totp, IamError};
use crate::portal::mutation::Proof;
use crate::portal::{iam_error, internal, Portal};
use app::api::credentials::PasswordView;
use app::api::mfa::{MfaEnrolment, MAX_MFA_DEVICES};
use app::domain::entitlements::Capability;
use app::domain::{OneTimeSecret, Password};
use app::error::AppError;
use app::ssr::Ctx;
use app::ssr::Principal;
use http::request::Parts;

impl Portal {
    /// The password section's state for `who`, derived from what IAM reports.
    /// `password_override`: a listed group explicitly grants the console password, which lets its
    /// members change it even when the account policy does not let users do so.
    /// `changed_at`: keydesk's own record of the last change or reset ([`crate::db::Db::last_password_change`]);
    /// the age counts from it when it is later than the login profile's creation.
    pub(crate) fn password_view(
        &self,
        state: crate::iam::PasswordState,
        password_override: bool,
        changed_at: Option<time::OffsetDateTime>,
    ) -> PasswordView {
        let now = self.clock.now();
        let age_days =
            state.profile.as_ref().map(|p| crate::portal::days_between(changed_at.map_or(p.created_at, |c| c.max(p.created_at)), now));
        let expires_in_days = match (age_days, state.policy.max_age_days()) {
            (Some(age), Some(max)) => Some(i64::from(max) - age),
            _ => None,
        };
        let cannot_change = if !state.policy.allow_users_to_change() && !password_override {
            Some(
                "The account password policy does not let users change their own password. Ask the help desk to set one for you."
                    .to_owned(),
            )
        } else if state.policy.hard_expiry() && expires_in_days.is_some_and(|d| d < 0) {
            Some(
                "Your password has expired and the account policy (hard expiry) lets only an administrator reset it. Ask the help desk."
                    .to_owned(),
            )
        } else {
            None
        };
        PasswordView {
            profile: state.profile,
            policy: state.policy,
            age_days,
            expires_in_days,
            cannot_change,
            block_weak: self.config.settings.block_weak_passwords,
        }
    }

    fn own_device(&self, who: &Principal, serial: &str) -> Result<(), AppError> {
        if !is_own_mfa_serial(&who.viewer.iam_user, serial) {
            return Err(AppError::invalid("serial", "That is not one of your MFA devices."));
        }
        Ok(())
    }

    /// Run one idempotent IAM change on the caller's own user: the proof of who they are, the per-user
    /// lease, audit intent first and the final record after. (Eight arguments: each call names the
    /// change's parts in place, which a struct would only wrap.)
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn fresh_audited(
        &self,
        req: &Parts,
        who: &Principal,
        proof: Proof,
        action: &str,
        subject: &str,
        context: &str,
        call: impl std::future::Future<Output = Result<(), IamError>>,
    ) -> Result<(), AppError> {
        if proof == Proof::StepUpWindow {
            self.require_fresh_auth(who)?;
        }
        let me = who.viewer.iam_user.clone();
        self.with_user_lease(&me, async {
            let intent = self.audit_intent(req, who, &me, action, Some(subject.to_owned())).await?;
            let result = call.await;
            self.finish(intent, result, context).await
        })
        .await
    }
}

/// Two six-digit codes, trimmed.
fn two_codes<'a>(code1: &'a str, code2: &'a str) -> Result<(&'a str, &'a str), AppError> {
    let (c1, c2) = (code1.trim(), code2.trim());
    if !(totp::well_formed(c1) && totp::well_formed(c2)) {
        return Err(AppError::invalid("code", "Each code is the 6 digits your authenticator app shows."));
    }
    Ok((c1, c2))
}

/// The enrolment QR code as SVG: the `otpauth://` URI authenticator apps scan (RFC 6238 defaults).
fn qr_svg(issuer: &str, account: &str, seed_b32: &str) -> Result<OneTimeSecret, AppError> {
    let enc = app::domain::percent_encode;
    let uri = format!("otpauth://totp/{}:{}?secret={seed_b32}&issuer={}", enc(issuer), enc(account), enc(issuer));
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| internal("drawing the MFA QR code failed", e))?;
    let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build();
    Ok(OneTimeSecret::new(svg))
}

#[async_trait::async_trait]
impl app::api::mfa::MfaPort for Portal {
    async fn start_mfa_enrolment(&self, cx: &Ctx, name: &str) -> Result<app::api::mfa::MfaEnrolment, AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::Mfa).await?;
        let me = who.viewer.iam_user.clone();
        let name = name.trim();
        if !mfa_name_well_formed(name) {
            return Err(AppError::invalid(
                "device_name",
                "Name the device with letters, digits and + = , . @ _ - only (up to 226 characters), for example phone.",
            ));
        }
        // Under the person's own IAM path, which the session policy grants and no other user shares.
        let path = own_mfa_path(&me);
        self.require_fresh_auth(who)?;
        self.with_user_lease(&me, async {
            let devices = self.iam.list_mfa_devices(&caller, &me).await.map_err(|e| iam_error("listing MFA devices", e))?;
            if devices.len() >= MAX_MFA_DEVICES {
                return Err(AppError::LimitExceeded {
                    message: format!("IAM allows {MAX_MFA_DEVICES} MFA devices per user. Remove one first."),
                });
            }
            let serial = format!("arn:aws:iam::{}:mfa{path}{name}", self.iam.account_id());
            if devices.iter().any(|d| d.serial == serial) {
                return Err(AppError::Conflict { message: format!("You already have a device named {name}. Choose another name.") });
            }
            // An enrolment abandoned earlier (tab closed) left an unassigned device with this name:
            // delete it, so enrolment never leaves orphans and the name can be reused.
            match self.iam.delete_virtual_mfa(&caller, &serial).await {
                Ok(()) => tracing::info!(serial = %serial, "removed an abandoned MFA enrolment"),
                Err(IamError::NotFound(_)) => {}
                Err(e) => return Err(iam_error("cleaning up an abandoned MFA enrolment", e)),
            }
            let intent = self.audit_intent(req, who, &me, "mfa.create", Some(serial.clone())).await?;
            match self.iam.create_virtual_mfa(&caller, &path, name).await {
                Ok(created) => {
                    self.audit_final(intent, Outcome::Success, Some(created.serial.clone()), None).await;
                    let qr_svg = qr_svg(&self.config.settings.mfa_issuer, &me.to_string(), created.seed.expose())?;
                    Ok(MfaEnrolment { serial: created.serial, seed: created.seed, qr_svg })
                }
                Err(e) => {
                    self.audit_final(intent, Outcome::Failure, None, Some(e.to_string())).await;
                    Err(iam_error("creating a virtual MFA device", e))
                }
            }
        })
        .await
    }

    async fn enable_mfa(&self, cx: &Ctx, serial: &str, code1: &str, code2: &str) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::Mfa).await?;
        // A virtual device the person started enrolling (an ARN naming them), or a hardware TOTP token
        // by the serial number printed on it.
        let hardware = !serial.trim_start().starts_with("arn:");
        let serial = if hardware {
            app::domain::hardware_serial(serial).map_err(|m| AppError::invalid("serial", m))?
        } else {
            self.own_device(who, serial)?;
            serial.to_owned()
        };
        let (c1, c2) = two_codes(code1, code2)?;
        if c1 == c2 {
            return Err(AppError::invalid("code", "Enter two different, consecutive codes: wait for the device to show the next one."));
        }
        let (caller, me) = (caller, who.viewer.iam_user.clone());
        let call = self.iam.enable_mfa(&caller, &me, &serial, c1, c2);
        match self.fresh_audited(req, who, Proof::StepUpWindow, "mfa.enable", &serial, "enabling an MFA device", call).await {
            Err(AppError::NotFound { .. }) if hardware => Err(AppError::invalid(
                "serial",
                format!("AWS knows no hardware MFA token with serial number {serial}. Check the number on the back of the token."),
            )),
            Err(AppError::Conflict { message }) if hardware && message.starts_with("It already exists") => Err(AppError::Conflict {
                message: format!("The token {serial} is already assigned to an IAM user; a token serves one user. Ask the help desk to remove it there first."),
            }),
            other => other,
        }
    }

    /// Drop a device whose enrolment was never finished. As strongly gated as enrolment and removal
    /// (step-up; SECURITY.md L1, Keycloak #16442).
    async fn cancel_mfa_enrolment(&self, cx: &Ctx, serial: &str) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::Mfa).await?;
        self.own_device(who, serial)?;
        let delete = async {
            match self.iam.delete_virtual_mfa(&caller, serial).await {
                Err(IamError::NotFound(_)) => Ok(()),
                other => other,
            }
        };
        self.fresh_audited(req, who, Proof::StepUpWindow, "mfa.cancel", serial, "cancelling an MFA enrolment", delete).await
    }

    async fn resync_mfa(&self, cx: &Ctx, serial: &str, code1: &str, code2: &str) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::Mfa).await?;
        if serial.contains(":mfa/") {
            self.own_device(who, serial)?;
        }
        let (c1, c2) = two_codes(code1, code2)?;
        let (caller, me) = (caller, who.viewer.iam_user.clone());
        self.fresh_audited(
            req,
            who,
            Proof::StepUpWindow,
            "mfa.resync",
            serial,
            "resynchronising an MFA device",
            self.iam.resync_mfa(&caller, &me, serial, c1, c2),
        )
        .await
    }

    async fn remove_mfa(&self, cx: &Ctx, serial: &str, password: &Password) -> Result<(), AppError> {
        let req = &cx.req;
        let who = &cx.who;
        let (caller, _) = self.entitled_caller(who, Capability::Mfa).await?;
        if serial.contains(":mfa/") {
            self.own_device(who, serial)?;
        }
        // A fresh proof of the first factor, whatever the step-up window (a session left open must not
        // be enough to strip the second). AWS offers no way to check a code against an assigned device
        // short of resynchronising it, so the proof is the keydesk password, through the same
        // admission control as a sign-in.
        if who.signed_in_with == app::domain::SignedInWith::Provider {
            // No keydesk password to give: a sign-in at the identity provider within the last two
            // minutes (a step-up made for this removal) stands in for it.
            if self.clock.now() - who.authenticated_at > time::Duration::minutes(2) {
                return Err(AppError::ReauthRequired);
            }
        } else if !self.confirm_own_password(req, who, password, "portal.reauth").await? {
            return Err(AppError::invalid("password", "That password is not correct: the device was not removed."));
        }
        let (caller, me) = (caller, who.viewer.iam_user.clone());
        let remove = async {
            self.iam.deactivate_mfa(&caller, &me, serial).await?;
            if serial.contains(":mfa/") {
                // A virtual device goes back to "unassigned" on deactivation; delete it too.
                match self.iam.delete_virtual_mfa(&caller, serial).await {
                    Err(IamError::NotFound(_)) => {}
                    other => other?,
                }
            }
            Ok(())
        };
        self.fresh_audited(req, who, Proof::PasswordWithRequest, "mfa.remove", serial, "removing an MFA device", remove).await
    }
}
