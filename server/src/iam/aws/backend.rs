//! IAM's operations through the AWS SDK: each call made with the caller's own assumed-role session.

use super::*;

#[async_trait]
impl IamBackend for AwsIam {
    fn kind(&self) -> BackendKind {
        BackendKind::Aws
    }

    fn account_id(&self) -> &str {
        &self.account
    }

    fn chained_sessions(&self) -> bool {
        self.runs_on_role.load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn get_user(&self, caller: &Caller, user: &IamUserName) -> IamResult<IamUser> {
        let out = call!(self.client(caller).await?.get_user().user_name(user.as_str()))?;
        user_view(out.user().ok_or_else(|| bad_reply("GetUser"))?)
    }

    async fn list_users(&self, caller: &Caller, marker: Option<String>, max_items: u32) -> IamResult<UserPage> {
        let max = max_items.clamp(1, 1000) as i32;
        let out = call!(self.client(caller).await?.list_users().set_marker(marker).max_items(max))?;
        let users = out.users().iter().map(user_view).collect::<IamResult<Vec<_>>>()?;
        let next_marker = if out.is_truncated() { out.marker().map(str::to_owned) } else { None };
        Ok(UserPage { users, next_marker })
    }

    async fn password_state(&self, caller: &Caller, user: &IamUserName) -> IamResult<PasswordState> {
        let client = self.client(caller).await?;
        let profile = match call!(client.get_login_profile().user_name(user.as_str())) {
            Ok(out) => {
                out.login_profile().map(|p| LoginProfile { created_at: dt(p.create_date()), reset_required: p.password_reset_required() })
            }
            Err(IamError::NotFound(_)) => {
                // NoSuchEntity means "no login profile" only if the user exists.
                call!(client.get_user().user_name(user.as_str()))?;
                None
            }
            Err(e) => return Err(e),
        };
        let policy = read_policy(&client).await?;
        Ok(PasswordState { profile, policy })
    }

    async fn account_password_policy(&self, caller: &Caller) -> IamResult<EffectivePolicy> {
        read_policy(&self.client(caller).await?).await
    }

    async fn set_account_password_policy(&self, caller: &Caller, policy: Option<&PasswordPolicy>) -> IamResult<()> {
        let client = self.client(caller).await?;
        match policy {
            None => drop(call!(mutating client.delete_account_password_policy())?),
            Some(p) => call!(mutating client
                .update_account_password_policy()
                .minimum_password_length(i32::from(p.minimum_length))
                .require_symbols(p.require_symbols)
                .require_numbers(p.require_numbers)
                .require_uppercase_characters(p.require_uppercase)
                .require_lowercase_characters(p.require_lowercase)
                .allow_users_to_change_password(p.allow_users_to_change)
                .set_max_password_age(p.max_age_days.map(i32::from))
                .set_password_reuse_prevention(p.reuse_prevention.map(i32::from))
                .hard_expiry(p.hard_expiry))
            .map(drop)?,
        };
        Ok(())
    }

    async fn set_password(&self, caller: &Caller, user: &IamUserName, password: &Password, reset_required: bool) -> IamResult<()> {
        let client = self.client(caller).await?;
        let exists = match call!(client.get_login_profile().user_name(user.as_str())) {
            Ok(_) => true,
            Err(IamError::NotFound(_)) => false,
            Err(e) => return Err(e),
        };
        // The password is always sent with the flag: moto deletes the profile when only the flag is.
        if exists {
            call!(mutating client
                .update_login_profile()
                .user_name(user.as_str())
                .password(password.expose())
                .password_reset_required(reset_required))?;
        } else {
            call!(create client
                .create_login_profile()
                .user_name(user.as_str())
                .password(password.expose())
                .password_reset_required(reset_required))?;
        }
        Ok(())
    }

    async fn list_access_keys(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<AccessKeySummary>> {
        let out = call!(self.client(caller).await?.list_access_keys().user_name(user.as_str()))?;
        let mut keys = out
            .access_key_metadata()
            .iter()
            .map(|k| {
                Ok(AccessKeySummary {
                    id: key_id(k.access_key_id().ok_or_else(|| bad_reply("ListAccessKeys"))?)?,
                    status: k.status().map(status).unwrap_or(Status::Other("unknown".into())),
                    created_at: odt(k.create_date()),
                })
            })
            .collect::<IamResult<Vec<_>>>()?;
        keys.sort_by_key(|k| k.created_at);
        Ok(keys)
    }

    async fn create_access_key(&self, caller: &Caller, user: &IamUserName) -> IamResult<CreatedAccessKey> {
        let out = call!(create self.client(caller).await?.create_access_key().user_name(user.as_str()))?;
        let k = out.access_key().ok_or_else(|| bad_reply("CreateAccessKey"))?;
        Ok(CreatedAccessKey {
            key: AccessKeySummary { id: key_id(k.access_key_id())?, status: status(k.status()), created_at: odt(k.create_date()) },
            secret: OneTimeSecret::new(k.secret_access_key()),
        })
    }

    async fn update_access_key(&self, caller: &Caller, user: &IamUserName, key: &AccessKeyId, to: SetStatus) -> IamResult<()> {
        call!(mutating self
            .client(caller)
            .await?
            .update_access_key()
            .user_name(user.as_str())
            .access_key_id(key.as_str())
            .status(set_status(to)))?;
        Ok(())
    }

    async fn delete_access_key(&self, caller: &Caller, user: &IamUserName, key: &AccessKeyId) -> IamResult<()> {
        call!(mutating self.client(caller).await?.delete_access_key().user_name(user.as_str()).access_key_id(key.as_str()))?;
        Ok(())
    }

    async fn access_key_last_used(&self, caller: &Caller, key: &AccessKeyId) -> IamResult<(IamUserName, KeyLastUsed)> {
        let out = call!(self.client(caller).await?.get_access_key_last_used().access_key_id(key.as_str()))?;
        let owner = IamUserName::parse(out.user_name().ok_or_else(|| bad_reply("GetAccessKeyLastUsed"))?)
            .map_err(|e| IamError::Other(e.to_string()))?;
        let last = out
            .access_key_last_used()
            .map(|l| KeyLastUsed {
                at: l.last_used_date().map(dt),
                // IAM reports "N/A" for a key never used.
                service: Some(l.service_name()).filter(|s| !s.is_empty() && *s != "N/A").map(str::to_owned),
                region: Some(l.region()).filter(|s| !s.is_empty() && *s != "N/A").map(str::to_owned),
            })
            .unwrap_or_default();
        Ok((owner, last))
    }

    async fn list_groups_for_user(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<String>> {
        let client = self.client(caller).await?;
        let (mut groups, mut marker) = (Vec::new(), None);
        loop {
            let out = call!(client.list_groups_for_user().user_name(user.as_str()).set_marker(marker.take()))?;
            groups.extend(out.groups().iter().map(|g| g.group_name().to_owned()));
            match out.marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        groups.sort();
        Ok(groups)
    }

    async fn group_exists(&self, caller: &Caller, group: &str) -> IamResult<bool> {
        let client = self.client(caller).await?;
        match call!(client.get_group().group_name(group).max_items(1)) {
            Ok(_) => Ok(true),
            Err(IamError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn list_attached_user_policies(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<String>> {
        let client = self.client(caller).await?;
        let (mut arns, mut marker) = (Vec::new(), None);
        loop {
            let out = call!(client.list_attached_user_policies().user_name(user.as_str()).set_marker(marker.take()))?;
            arns.extend(out.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_owned)));
            match out.marker() {
                Some(m) if out.is_truncated() => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        Ok(arns)
    }

    async fn detach_user_policy(&self, caller: &Caller, user: &IamUserName, policy_arn: &str) -> IamResult<()> {
        call!(mutating self.client(caller).await?.detach_user_policy().user_name(user.as_str()).policy_arn(policy_arn))?;
        Ok(())
    }

    async fn list_user_tags(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<(String, String)>> {
        let out = call!(self.client(caller).await?.list_user_tags().user_name(user.as_str()))?;
        Ok(out.tags().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect())
    }

    async fn tag_user(&self, caller: &Caller, user: &IamUserName, key: &str, value: &str) -> IamResult<()> {
        let tag = Tag::builder().key(key).value(value).build().map_err(|e| IamError::InvalidInput(e.to_string()))?;
        call!(mutating self.client(caller).await?.tag_user().user_name(user.as_str()).tags(tag))?;
        Ok(())
    }

    async fn untag_user(&self, caller: &Caller, user: &IamUserName, key: &str) -> IamResult<()> {
        call!(mutating self.client(caller).await?.untag_user().user_name(user.as_str()).tag_keys(key))?;
        Ok(())
    }

    async fn create_virtual_mfa(&self, caller: &Caller, path: &str, name: &str) -> IamResult<CreatedVirtualMfa> {
        let out = call!(create self.client(caller).await?.create_virtual_mfa_device().path(path).virtual_mfa_device_name(name))?;
        let d = out.virtual_mfa_device().ok_or_else(|| bad_reply("CreateVirtualMFADevice"))?;
        let seed = d.base32_string_seed().ok_or_else(|| bad_reply("CreateVirtualMFADevice"))?;
        let seed = String::from_utf8(seed.as_ref().to_vec()).map_err(|_| bad_reply("CreateVirtualMFADevice"))?;
        Ok(CreatedVirtualMfa { serial: d.serial_number().to_owned(), seed: OneTimeSecret::new(seed) })
    }

    async fn enable_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str, code1: &str, code2: &str) -> IamResult<()> {
        call!(mutating self
            .client(caller)
            .await?
            .enable_mfa_device()
            .user_name(user.as_str())
            .serial_number(serial)
            .authentication_code1(code1)
            .authentication_code2(code2))?;
        Ok(())
    }

    async fn resync_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str, code1: &str, code2: &str) -> IamResult<()> {
        call!(mutating self
            .client(caller)
            .await?
            .resync_mfa_device()
            .user_name(user.as_str())
            .serial_number(serial)
            .authentication_code1(code1)
            .authentication_code2(code2))?;
        Ok(())
    }

    async fn deactivate_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str) -> IamResult<()> {
        call!(mutating self.client(caller).await?.deactivate_mfa_device().user_name(user.as_str()).serial_number(serial))?;
        Ok(())
    }

    async fn delete_virtual_mfa(&self, caller: &Caller, serial: &str) -> IamResult<()> {
        call!(mutating self.client(caller).await?.delete_virtual_mfa_device().serial_number(serial))?;
        Ok(())
    }

    async fn list_mfa_devices(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<MfaDevice>> {
        let out = call!(self.client(caller).await?.list_mfa_devices().user_name(user.as_str()))?;
        Ok(out.mfa_devices().iter().map(|d| MfaDevice { serial: d.serial_number().to_owned(), enabled_at: dt(d.enable_date()) }).collect())
    }

    async fn list_unassigned_virtual_mfa(&self, caller: &Caller) -> IamResult<Vec<String>> {
        let client = self.client(caller).await?;
        let (mut serials, mut marker) = (Vec::new(), None);
        loop {
            let out = call!(client.list_virtual_mfa_devices().assignment_status(AssignmentStatusType::Unassigned).set_marker(marker))?;
            // Only serials leave this function: moto returns every device's seed here.
            serials.extend(out.virtual_mfa_devices().iter().filter(|d| d.user().is_none()).map(|d| d.serial_number().to_owned()));
            match out.marker().filter(|_| out.is_truncated()) {
                Some(m) => marker = Some(m.to_owned()),
                None => break,
            }
        }
        Ok(serials)
    }

    async fn create_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        service: &str,
        age_days: Option<u32>,
    ) -> IamResult<CreatedServiceCredential> {
        let out = call!(create self
            .client(caller)
            .await?
            .create_service_specific_credential()
            .user_name(user.as_str())
            .service_name(service)
            .set_credential_age_days(age_days.map(|d| i32::try_from(d).unwrap_or(i32::MAX))))?;
        let c = out.service_specific_credential().ok_or_else(|| bad_reply("CreateServiceSpecificCredential"))?;
        created_credential(c, None)
    }

    async fn list_service_credentials(
        &self,
        caller: &Caller,
        user: &IamUserName,
        service: Option<&str>,
    ) -> IamResult<Vec<ServiceCredential>> {
        let out = call!(self
            .client(caller)
            .await?
            .list_service_specific_credentials()
            .user_name(user.as_str())
            .set_service_name(service.map(str::to_owned)))?;
        out.service_specific_credentials()
            .iter()
            .map(|c| {
                let id = ServiceCredentialId::parse(c.service_specific_credential_id()).map_err(IamError::Other)?;
                Ok(service_credential!(c, id))
            })
            .collect()
    }

    async fn update_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &ServiceCredentialId,
        to: SetStatus,
    ) -> IamResult<()> {
        call!(mutating self
            .client(caller)
            .await?
            .update_service_specific_credential()
            .user_name(user.as_str())
            .service_specific_credential_id(id.as_str())
            .status(set_status(to)))?;
        Ok(())
    }

    async fn reset_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &ServiceCredentialId,
    ) -> IamResult<CreatedServiceCredential> {
        let out = call!(create self
            .client(caller)
            .await?
            .reset_service_specific_credential()
            .user_name(user.as_str())
            .service_specific_credential_id(id.as_str()))?;
        let c = out.service_specific_credential().ok_or_else(|| bad_reply("ResetServiceSpecificCredential"))?;
        created_credential(c, Some(id))
    }

    async fn delete_service_credential(&self, caller: &Caller, user: &IamUserName, id: &ServiceCredentialId) -> IamResult<()> {
        call!(mutating self
            .client(caller)
            .await?
            .delete_service_specific_credential()
            .user_name(user.as_str())
            .service_specific_credential_id(id.as_str()))?;
        Ok(())
    }

    async fn upload_ssh_key(&self, caller: &Caller, user: &IamUserName, body: &str) -> IamResult<SshKeySummary> {
        let out = call!(create self.client(caller).await?.upload_ssh_public_key().user_name(user.as_str()).ssh_public_key_body(body))?;
        let k = out.ssh_public_key().ok_or_else(|| bad_reply("UploadSSHPublicKey"))?;
        Ok(SshKeySummary {
            id: SshKeyId::parse(k.ssh_public_key_id()).map_err(IamError::Other)?,
            status: status(k.status()),
            uploaded_at: odt(k.upload_date()),
        })
    }

    async fn list_ssh_keys(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<SshKeySummary>> {
        let out = call!(self.client(caller).await?.list_ssh_public_keys().user_name(user.as_str()))?;
        out.ssh_public_keys()
            .iter()
            .map(|k| {
                Ok(SshKeySummary {
                    id: SshKeyId::parse(k.ssh_public_key_id()).map_err(IamError::Other)?,
                    status: status(k.status()),
                    uploaded_at: dt(k.upload_date()),
                })
            })
            .collect()
    }

    async fn get_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId, encoding: SshEncoding) -> IamResult<SshKeyDetail> {
        let enc = match encoding {
            SshEncoding::Ssh => EncodingType::Ssh,
            SshEncoding::Pem => EncodingType::Pem,
        };
        let out =
            call!(self.client(caller).await?.get_ssh_public_key().user_name(user.as_str()).ssh_public_key_id(id.as_str()).encoding(enc))?;
        let k = out.ssh_public_key().ok_or_else(|| bad_reply("GetSSHPublicKey"))?;
        Ok(SshKeyDetail {
            summary: SshKeySummary { id: id.clone(), status: status(k.status()), uploaded_at: odt(k.upload_date()) },
            fingerprint: k.fingerprint().to_owned(),
            body: k.ssh_public_key_body().to_owned(),
        })
    }

    async fn update_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId, to: SetStatus) -> IamResult<()> {
        call!(mutating self.client(caller).await?.update_ssh_public_key().user_name(user.as_str()).ssh_public_key_id(id.as_str()).status(set_status(to)))?;
        Ok(())
    }

    async fn delete_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId) -> IamResult<()> {
        call!(mutating self.client(caller).await?.delete_ssh_public_key().user_name(user.as_str()).ssh_public_key_id(id.as_str()))?;
        Ok(())
    }

    async fn upload_signing_cert(&self, caller: &Caller, user: &IamUserName, body: &str) -> IamResult<SigningCert> {
        let out = call!(create self.client(caller).await?.upload_signing_certificate().user_name(user.as_str()).certificate_body(body))?;
        let c = out.certificate().ok_or_else(|| bad_reply("UploadSigningCertificate"))?;
        Ok(signing_cert(c))
    }

    async fn list_signing_certs(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<SigningCert>> {
        let out = call!(self.client(caller).await?.list_signing_certificates().user_name(user.as_str()))?;
        Ok(out.certificates().iter().map(signing_cert).collect())
    }

    async fn update_signing_cert(&self, caller: &Caller, user: &IamUserName, id: &str, status: SetStatus) -> IamResult<()> {
        call!(mutating self
            .client(caller)
            .await?
            .update_signing_certificate()
            .user_name(user.as_str())
            .certificate_id(id)
            .status(set_status(status)))?;
        Ok(())
    }

    async fn delete_signing_cert(&self, caller: &Caller, user: &IamUserName, id: &str) -> IamResult<()> {
        call!(mutating self.client(caller).await?.delete_signing_certificate().user_name(user.as_str()).certificate_id(id))?;
        Ok(())
    }

    async fn generate_credential_report(&self, caller: &Caller) -> IamResult<ReportState> {
        let out = call!(self.client(caller).await?.generate_credential_report())?;
        Ok(match out.state() {
            Some(ReportStateType::Complete) => ReportState::Complete,
            Some(ReportStateType::Inprogress) => ReportState::InProgress,
            _ => ReportState::Started,
        })
    }

    async fn get_credential_report(&self, caller: &Caller) -> IamResult<CredentialReport> {
        let out = call!(self.client(caller).await?.get_credential_report()).map_err(|e| match e {
            IamError::Other(m) if m.contains("ReportInProgress") => {
                IamError::Conflict("the credential report is still being generated".into())
            }
            IamError::Other(m) if m.contains("ReportNotPresent") || m.contains("ReportExpired") => IamError::NotFound(m),
            other => other,
        })?;
        let csv = String::from_utf8(out.content().ok_or_else(|| bad_reply("GetCredentialReport"))?.as_ref().to_vec())
            .map_err(|_| bad_reply("GetCredentialReport"))?;
        Ok(CredentialReport { generated_at: odt(out.generated_time()), csv })
    }

    async fn role_policy(&self, caller: &Caller, role_arn: &str, name: &str) -> IamResult<Option<String>> {
        let role = service_role(caller, role_arn)?;
        match call!(self.client(caller).await?.get_role_policy().role_name(role).policy_name(name)) {
            // IAM answers with the document URL-encoded (RFC 3986).
            Ok(out) => Ok(Some(percent_decoded(out.policy_document()))),
            Err(IamError::NotFound(m)) if m.contains("policy") || m.contains(name) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn put_role_policy(&self, caller: &Caller, role_arn: &str, name: &str, document: &str) -> IamResult<()> {
        let role = service_role(caller, role_arn)?;
        call!(mutating self.client(caller).await?.put_role_policy().role_name(role).policy_name(name).policy_document(document))?;
        Ok(())
    }

    async fn delete_role_policy(&self, caller: &Caller, role_arn: &str, name: &str) -> IamResult<()> {
        let role = service_role(caller, role_arn)?;
        match call!(mutating self.client(caller).await?.delete_role_policy().role_name(role).policy_name(name)) {
            Ok(_) | Err(IamError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn assume_work_role(&self, caller: &Caller, request: &WorkRoleRequest) -> IamResult<temporary::TemporaryCredentials> {
        if !matches!(caller, Caller::Service { .. }) {
            return Err(IamError::AccessDenied("only keydesk's own principal assumes work roles".into()));
        }
        // keydesk's own credentials (not a person's scoped session): the work role trusts keydesk's
        // principal, with sts:SetSourceIdentity and sts:TagSession.
        let mut req = self
            .sts
            .assume_role()
            .role_arn(&request.role_arn)
            .role_session_name(temporary::session_name(&request.person))
            .source_identity(&request.person)
            .duration_seconds(request.duration_secs as i32);
        for (k, v) in &request.tags {
            let tag = aws_sdk_sts::types::Tag::builder().key(k).value(v).build().map_err(|e| IamError::InvalidInput(e.to_string()))?;
            req = req.tags(tag);
        }
        if let Some(p) = &request.policy {
            req = req.policy(p);
        }
        let out = req.send().await.map_err(|e| map_error(e, false))?;
        let c = out.credentials().ok_or_else(|| bad_reply("AssumeRole"))?;
        Ok(temporary::TemporaryCredentials {
            access_key_id: c.access_key_id().to_owned(),
            secret_access_key: OneTimeSecret::new(c.secret_access_key()),
            session_token: OneTimeSecret::new(c.session_token()),
            expiration: dt(c.expiration()),
            assumed_role_arn: out.assumed_role_user().map(|u| u.arn().to_owned()).unwrap_or_default(),
        })
    }
}

/// The role name of `role_arn`, for keydesk's own principal (the only caller that writes work roles'
/// policies).
fn service_role<'a>(caller: &Caller, role_arn: &'a str) -> IamResult<&'a str> {
    if !matches!(caller, Caller::Service { .. }) {
        return Err(IamError::AccessDenied("only keydesk's own principal writes work roles' policies".into()));
    }
    crate::iam::role_arn_parts(role_arn)
        .map(|(_, name)| name)
        .ok_or_else(|| IamError::InvalidInput(format!("{role_arn:?} is not a role ARN.")))
}

/// IAM's URL-encoded policy document (RFC 3986: `+` stays `+`), decoded; text that is not valid UTF-8
/// after decoding is returned as it came.
fn percent_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8().map_or_else(|_| text.to_owned(), |d| d.into_owned())
}

#[cfg(test)]
mod decode_tests {
    #[test]
    fn iams_encoded_documents_decode() {
        assert_eq!(super::percent_decoded("%7B%22a%22%3A%22b%2Bc%20d%22%7D"), r#"{"a":"b+c d"}"#);
        assert_eq!(super::percent_decoded(r#"{"plain":"100%"}"#), r#"{"plain":"100%"}"#);
    }
}
