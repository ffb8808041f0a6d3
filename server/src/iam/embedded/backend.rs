//! IAM's operations on the embedded documents, with IAM's own rules and limits.

use super::*;

#[async_trait]
impl IamBackend for EmbeddedIam {
    fn kind(&self) -> BackendKind {
        BackendKind::Embedded
    }

    fn account_id(&self) -> &str {
        ACCOUNT_ID
    }

    fn reads_snapshots(&self) -> bool {
        true
    }

    /// One read of the user's document and the account's password policy; each part is allowed or
    /// refused as its single call would be.
    async fn credentials_snapshot(&self, caller: &Caller, user: &IamUserName, parts: SnapshotParts) -> IamResult<CredentialsSnapshot> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[])?;
        let (d, policy) = self.load_user_and_policy(user).await?;
        let may = |need: Capability| self.may_touch(caller, user, false, &[need]);
        let password = match parts.password {
            true => Some(may(Capability::ConsolePassword).map(|()| PasswordState { profile: login_profile(&d), policy })?),
            false => None,
        };
        let (access_keys, tags) = match parts.access_keys {
            true => {
                may(Capability::AccessKeys)?;
                let keys = d.access_keys.iter().map(|k| Ok((key_view(k)?, key_last_used(k)))).collect::<IamResult<Vec<_>>>()?;
                (keys, d.tags.clone())
            }
            false => (vec![], vec![]),
        };
        let now = self.now();
        let part = |asked: bool, need: &[Capability]| -> IamResult<bool> {
            Ok(asked && self.may_touch(caller, user, false, need).map(|()| true)?)
        };
        Ok(CredentialsSnapshot {
            user: self.user_view(&d)?,
            password,
            access_keys,
            tags,
            mfa_devices: part(parts.mfa_devices, &[Capability::Mfa]).map(|asked| if asked { mfa_views(&d) } else { vec![] }),
            service_credentials: part(parts.service_credentials, &[Capability::GitCredentials, Capability::ServiceCredentials])
                .and_then(|asked| d.service_credentials.iter().filter(|_| asked).map(|c| cred_view(c, now)).collect()),
            ssh_keys: part(parts.ssh_keys, &[Capability::SshKeys]).and_then(|asked| {
                d.ssh_keys.iter().filter(|_| asked).map(|k| Ok((ssh_view(k)?, ssh_detail(k, SshEncoding::Ssh)))).collect()
            }),
            signing_certs: part(parts.signing_certs, &[Capability::SigningCertificates])
                .map(|asked| d.signing_certs.iter().filter(|_| asked).map(cert_view).collect()),
        })
    }

    async fn get_user(&self, caller: &Caller, user: &IamUserName) -> IamResult<IamUser> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[])?;
        self.user_view(&self.load_user(user).await?.0)
    }

    async fn list_users(&self, caller: &Caller, marker: Option<String>, max_items: u32) -> IamResult<UserPage> {
        self.enter().await?;
        self.may_list(caller)?;
        let max = i64::from(max_items.clamp(1, 1000));
        let rows = sqlx::query("SELECT name_fold, doc FROM iam_users WHERE name_fold > $1 ORDER BY name_fold LIMIT $2")
            .bind(marker.unwrap_or_default())
            .bind(max + 1)
            .fetch_all(&self.db.pool)
            .await
            .map_err(db_err)?;
        let mut users = Vec::new();
        let mut next_marker = None;
        for (i, r) in rows.iter().enumerate() {
            if i as i64 == max {
                next_marker = users.last().map(|u: &IamUser| u.name.fold());
                break;
            }
            let d: UserDoc = serde_json::from_str(&r.try_get::<String, _>("doc").map_err(db_err)?).map_err(db_err)?;
            users.push(self.user_view(&d)?);
        }
        Ok(UserPage { users, next_marker })
    }

    async fn password_state(&self, caller: &Caller, user: &IamUserName) -> IamResult<PasswordState> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::ConsolePassword])?;
        let (d, _) = self.load_user(user).await?;
        Ok(PasswordState { profile: login_profile(&d), policy: self.effective_policy().await? })
    }

    async fn account_password_policy(&self, _caller: &Caller) -> IamResult<EffectivePolicy> {
        self.enter().await?;
        self.effective_policy().await
    }

    async fn set_account_password_policy(&self, caller: &Caller, policy: Option<&PasswordPolicy>) -> IamResult<()> {
        self.enter().await?;
        if !matches!(caller, Caller::Admin { .. } | Caller::Service { .. }) {
            return Err(IamError::AccessDenied(format!("{} may not change the account password policy", caller.portal_user())));
        }
        if policy.is_none() && self.effective_policy().await? == EffectivePolicy::IamDefault {
            return Err(IamError::NotFound("The account policy with name PasswordPolicy cannot be found.".into()));
        }
        self.set_password_policy(policy).await
    }

    async fn set_password(&self, caller: &Caller, user: &IamUserName, password: &Password, reset_required: bool) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::ConsolePassword])?;
        let policy = self.effective_policy().await?;
        if let Some(msg) = policy.check(password.expose()).first_failure() {
            return Err(IamError::PolicyViolation(msg));
        }
        let (d, _) = self.load_user(user).await?;
        let reuse = usize::from(policy.reuse_prevention().unwrap_or(0));
        // Hash checks are slow by design: run them off the async threads.
        let history: Vec<String> = d.password_history.iter().take(reuse).cloned().collect();
        let pw = password.expose().to_owned();
        let (reused, new_hash) =
            tokio::task::spawn_blocking(move || (history.iter().any(|h| password_matches(h, &pw)), hash_password(&pw)))
                .await
                .map_err(db_err)?;
        if reused {
            return Err(IamError::PolicyViolation(format!(
                "Policy constraint violation: the password was one of the last {reuse} passwords used."
            )));
        }
        let now = self.now();
        self.mutate(user, |d| {
            let created_at = d.login.as_ref().map_or(now, |l| l.created_at);
            d.login = Some(LoginDoc { created_at, changed_at: now, reset_required });
            d.password_history.insert(0, new_hash.clone());
            d.password_history.truncate(24);
            Ok(((), vec![], vec![]))
        })
        .await?;
        self.leave(())
    }

    async fn list_access_keys(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<AccessKeySummary>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::AccessKeys])?;
        self.load_user(user).await?.0.access_keys.iter().map(key_view).collect()
    }

    async fn create_access_key(&self, caller: &Caller, user: &IamUserName) -> IamResult<CreatedAccessKey> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::AccessKeys])?;
        let now = self.now();
        let (id, secret) = (new_id("AKIA"), new_secret(40));
        let summary = self
            .mutate(user, |d| {
                if d.access_keys.len() >= MAX_ACCESS_KEYS {
                    return Err(IamError::LimitExceeded(format!("Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}")));
                }
                let k = KeyDoc { id: id.clone(), status: "Active".into(), created_at: now, last_used: None };
                let v = key_view(&k)?;
                d.access_keys.push(k);
                Ok((v, vec![(id.clone(), "access_key")], vec![]))
            })
            .await?;
        self.leave(CreatedAccessKey { key: summary, secret: OneTimeSecret::new(secret) })
    }

    async fn update_access_key(&self, caller: &Caller, user: &IamUserName, key: &AccessKeyId, status: SetStatus) -> IamResult<()> {
        self.set_credential_status(caller, user, key.as_str(), status, |d| &mut d.access_keys).await
    }

    async fn delete_access_key(&self, caller: &Caller, user: &IamUserName, key: &AccessKeyId) -> IamResult<()> {
        self.delete_credential(caller, user, key.as_str(), |d| &mut d.access_keys).await
    }

    async fn access_key_last_used(&self, caller: &Caller, key: &AccessKeyId) -> IamResult<(IamUserName, KeyLastUsed)> {
        self.enter().await?;
        let owner = self.owner_of(key.as_str()).await?;
        self.may_touch(caller, &owner, false, &[Capability::AccessKeys])?;
        let (d, _) = self.load_user(&owner).await?;
        let k = d.access_keys.iter().find(|k| k.id == key.as_str()).ok_or_else(|| not_found("Access Key", key.as_str()))?;
        Ok((owner, key_last_used(k)))
    }

    async fn list_user_tags(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<(String, String)>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::AccessKeys])?;
        Ok(self.load_user(user).await?.0.tags)
    }

    async fn list_groups_for_user(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<String>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[])?;
        Ok(self.load_user(user).await?.0.groups)
    }

    /// The embedded IAM keeps groups only as its users' memberships: a group exists while it has one.
    async fn group_exists(&self, caller: &Caller, group: &str) -> IamResult<bool> {
        self.enter().await?;
        if matches!(caller, Caller::SelfService { .. }) {
            return Err(IamError::AccessDenied("the self-service session policy grants no iam:GetGroup".into()));
        }
        Ok(self.all_users().await?.iter().any(|u| u.groups.iter().any(|g| g.eq_ignore_ascii_case(group))))
    }

    async fn list_attached_user_policies(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<String>> {
        self.enter().await?;
        if matches!(caller, Caller::SelfService { .. }) {
            return Err(IamError::AccessDenied("the self-service session policy grants no iam:ListAttachedUserPolicies".into()));
        }
        Ok(self.load_user(user).await?.0.attached_policies)
    }

    async fn detach_user_policy(&self, caller: &Caller, user: &IamUserName, policy_arn: &str) -> IamResult<()> {
        self.enter().await?;
        if !matches!(caller, Caller::Helpdesk { .. } | Caller::Service { .. }) {
            return Err(IamError::AccessDenied(format!("{} may not detach policies", caller.portal_user())));
        }
        self.mutate(user, |d| {
            let before = d.attached_policies.len();
            d.attached_policies.retain(|p| p != policy_arn);
            if d.attached_policies.len() == before {
                return Err(IamError::NotFound(format!("Policy {policy_arn} was not found attached to user {user}.")));
            }
            Ok(((), vec![], vec![]))
        })
        .await?;
        self.leave(())
    }

    async fn tag_user(&self, caller: &Caller, user: &IamUserName, key: &str, value: &str) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::AccessKeys])?;
        self.may_tag(caller, key)?;
        if key.is_empty() || key.chars().count() > 128 {
            return Err(IamError::InvalidInput("A tag key has 1 to 128 characters.".into()));
        }
        if value.chars().count() > 256 {
            return Err(IamError::InvalidInput("A tag value has at most 256 characters.".into()));
        }
        self.mutate(user, |d| {
            let count = d.tags.len();
            match d.tags.iter_mut().find(|(k, _)| k == key) {
                Some(tag) => tag.1 = value.to_owned(),
                None if count >= MAX_TAGS => return Err(IamError::LimitExceeded(format!("A user can have at most {MAX_TAGS} tags."))),
                None => d.tags.push((key.to_owned(), value.to_owned())),
            }
            Ok(((), vec![], vec![]))
        })
        .await?;
        self.leave(())
    }

    async fn untag_user(&self, caller: &Caller, user: &IamUserName, key: &str) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::AccessKeys])?;
        self.may_tag(caller, key)?;
        self.mutate(user, |d| {
            d.tags.retain(|(k, _)| k != key);
            Ok(((), vec![], vec![]))
        })
        .await?;
        self.leave(())
    }

    async fn create_virtual_mfa(&self, caller: &Caller, path: &str, name: &str) -> IamResult<CreatedVirtualMfa> {
        self.enter().await?;
        if !super::mfa_name_well_formed(name) {
            return Err(IamError::InvalidInput("A device name has 1 to 226 letters, digits and + = , . @ _ -.".into()));
        }
        if !super::path_well_formed(path) {
            return Err(IamError::InvalidInput("A path is / or /segments/ of printable characters, at most 512.".into()));
        }
        let serial = format!("arn:aws:iam::{ACCOUNT_ID}:mfa{path}{name}");
        self.may_manage_device(caller, &serial)?;
        let mut seed = [0u8; 40];
        OsRng.fill_bytes(&mut seed);
        let doc = MfaDoc {
            serial: serial.clone(),
            seed_b32: totp::base32_encode(&seed),
            created_at: self.now(),
            user: None,
            enabled_at: None,
            last_step: None,
        };
        let res = sqlx::query(
            "INSERT INTO iam_virtual_mfa (serial, doc, version, user_fold) VALUES ($1, $2, 0, NULL) ON CONFLICT (serial) DO NOTHING",
        )
        .bind(&serial)
        .bind(serde_json::to_string(&doc).map_err(db_err)?)
        .execute(&self.db.pool)
        .await
        .map_err(db_err)?;
        if res.rows_affected() == 0 {
            return Err(IamError::EntityAlreadyExists(format!("MFADevice entity at the same path and name already exists: {name}")));
        }
        self.leave(CreatedVirtualMfa { serial, seed: OneTimeSecret::new(doc.seed_b32) })
    }

    async fn enable_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str, code1: &str, code2: &str) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::Mfa])?;
        Self::check_codes(code1, code2)?;
        let now_step = totp::step_at(self.now());
        for _ in 0..CAS_ATTEMPTS {
            let (mut dev, dev_version) = self.load_device(serial).await?;
            if dev.user.is_some() {
                return Err(IamError::EntityAlreadyExists("MFA device is already in use.".into()));
            }
            let seed = totp::base32_decode(&dev.seed_b32).ok_or_else(|| db_err("corrupt seed"))?;
            // code2 may be the current code or one step either side (clock skew).
            let step = totp::find_consecutive(&seed, code1, code2, now_step - 2, now_step)
                .ok_or_else(|| IamError::InvalidAuthenticationCode("Authentication code for device is not valid.".into()))?;
            let (mut doc, version) = self.load_user(user).await?;
            if doc.mfa.len() >= MAX_MFA {
                return Err(IamError::LimitExceeded(format!("Cannot exceed quota for MFADevicesPerUser: {MAX_MFA}")));
            }
            let now = self.now();
            doc.mfa.push(AssignedMfa { serial: serial.to_owned(), enabled_at: now });
            dev.user = Some(doc.name.clone());
            dev.enabled_at = Some(now);
            dev.last_step = Some(step + 1);
            let mut tx = self.db.pool.begin().await.map_err(db_err)?;
            let user_ok = Self::write_user(&mut tx, user, &doc, version).await?;
            if user_ok && self.save_device(&mut tx, &dev, dev_version).await? {
                tx.commit().await.map_err(db_err)?;
                return self.leave(());
            }
            tx.rollback().await.map_err(db_err)?;
        }
        Err(IamError::Conflict("too much concurrent modification; try again".into()))
    }

    async fn resync_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str, code1: &str, code2: &str) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::Mfa])?;
        Self::check_codes(code1, code2)?;
        let now_step = totp::step_at(self.now());
        for _ in 0..CAS_ATTEMPTS {
            let (mut dev, version) = self.load_device(serial).await?;
            if dev.user.as_deref().map(str::to_ascii_lowercase) != Some(user.fold()) {
                return Err(IamError::NotFound(format!("MFA device {serial} is not assigned to {user}.")));
            }
            let seed = totp::base32_decode(&dev.seed_b32).ok_or_else(|| db_err("corrupt seed"))?;
            // Resync accepts a wider window (drifted clocks), but never a step already used.
            let earliest = dev.last_step.map_or(now_step - 20, |l| (l + 1).max(now_step - 20));
            let step = totp::find_consecutive(&seed, code1, code2, earliest, now_step + 20)
                .ok_or_else(|| IamError::InvalidAuthenticationCode("Authentication code for device is not valid.".into()))?;
            dev.last_step = Some(step + 1);
            let mut conn = self.db.pool.acquire().await.map_err(db_err)?;
            if self.save_device(&mut conn, &dev, version).await? {
                return self.leave(());
            }
        }
        Err(IamError::Conflict("too much concurrent modification; try again".into()))
    }

    async fn deactivate_mfa(&self, caller: &Caller, user: &IamUserName, serial: &str) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::Mfa])?;
        for _ in 0..CAS_ATTEMPTS {
            let (mut doc, version) = self.load_user(user).await?;
            let before = doc.mfa.len();
            doc.mfa.retain(|m| m.serial != serial);
            if doc.mfa.len() == before {
                return Err(IamError::NotFound(format!("MFA device {serial} is not assigned to {user}.")));
            }
            let mut tx = self.db.pool.begin().await.map_err(db_err)?;
            let user_ok = Self::write_user(&mut tx, user, &doc, version).await?;
            // Hardware devices have no virtual-device row; virtual ones go back to "unassigned".
            let dev_ok = match self.load_device(serial).await {
                Ok((mut dev, v)) => {
                    dev.user = None;
                    dev.enabled_at = None;
                    self.save_device(&mut tx, &dev, v).await?
                }
                Err(IamError::NotFound(_)) => true,
                Err(e) => return Err(e),
            };
            if user_ok && dev_ok {
                tx.commit().await.map_err(db_err)?;
                return self.leave(());
            }
            tx.rollback().await.map_err(db_err)?;
        }
        Err(IamError::Conflict("too much concurrent modification; try again".into()))
    }

    async fn delete_virtual_mfa(&self, caller: &Caller, serial: &str) -> IamResult<()> {
        self.enter().await?;
        self.may_manage_device(caller, serial)?;
        if !serial.contains(":mfa/") {
            return Err(IamError::NotFound(format!("VirtualMFADevice with serial {serial} not found.")));
        }
        let (dev, version) = self.load_device(serial).await?;
        if dev.user.is_some() {
            return Err(IamError::Conflict("MFA device is still assigned to a user; deactivate it first.".into()));
        }
        let res = sqlx::query("DELETE FROM iam_virtual_mfa WHERE serial = $1 AND version = $2")
            .bind(serial)
            .bind(version)
            .execute(&self.db.pool)
            .await
            .map_err(db_err)?;
        if res.rows_affected() == 0 {
            return Err(IamError::Conflict("the device changed meanwhile; try again".into()));
        }
        self.leave(())
    }

    async fn list_mfa_devices(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<MfaDevice>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::Mfa])?;
        Ok(mfa_views(&self.load_user(user).await?.0))
    }

    async fn list_unassigned_virtual_mfa(&self, caller: &Caller) -> IamResult<Vec<String>> {
        self.enter().await?;
        let serials: Vec<String> = sqlx::query_scalar("SELECT serial FROM iam_virtual_mfa WHERE user_fold IS NULL ORDER BY serial")
            .fetch_all(&self.db.pool)
            .await
            .map_err(db_err)?;
        // Hardware tokens share the device store but are no virtual devices.
        let serials: Vec<String> = serials.into_iter().filter(|s| s.contains(":mfa/")).collect();
        Ok(match caller {
            // A self-service session sees only its own devices (its policy names only those).
            Caller::SelfService { iam_user, .. } => serials.into_iter().filter(|s| is_own_mfa_serial(iam_user, s)).collect(),
            _ => serials,
        })
    }

    async fn create_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        service: &str,
        age_days: Option<u32>,
    ) -> IamResult<CreatedServiceCredential> {
        use app::domain::services::{ServiceSpec, MAX_CREDENTIAL_AGE_DAYS};
        self.enter().await?;
        // The session policy scopes creation by `iam:ServiceSpecificCredentialServiceName`.
        let needed = ServiceSpec::by_service_name(service).map_or(Capability::ServiceCredentials, ServiceSpec::capability);
        self.may_touch(caller, user, true, &[needed])?;
        let Some(spec) = ServiceSpec::by_service_name(service) else {
            return Err(IamError::InvalidInput(format!("{service} does not issue service-specific credentials.")));
        };
        match age_days {
            Some(_) if !spec.expires() => {
                return Err(IamError::InvalidInput(format!("CredentialAgeDays is not valid for {service}: its credentials do not expire.")))
            }
            Some(d) if !(1..=MAX_CREDENTIAL_AGE_DAYS).contains(&d) => {
                return Err(IamError::InvalidInput(format!("CredentialAgeDays must be between 1 and {MAX_CREDENTIAL_AGE_DAYS}.")))
            }
            _ => {}
        }
        let (now, id) = (self.now(), new_id("ACCA"));
        let (service_user_name, alias, secret) = if spec.expires() {
            // The alias is the IAM user name with a version and creation suffix, as IAM documents it.
            let alias = format!("{user}+1-at-{ACCOUNT_ID}-{now}");
            let secret = new_api_key_secret(&alias);
            (String::new(), Some(alias), secret)
        } else {
            (format!("{user}-at-{ACCOUNT_ID}"), None, new_service_password())
        };
        let password_hash = hash_password(&secret);
        let expires_at = age_days.map(|d| now + i64::from(d) * 86_400);
        let cred = self
            .mutate(user, |d| {
                if d.service_credentials.iter().filter(|c| c.service == service).count() >= MAX_SERVICE_CREDENTIALS {
                    return Err(IamError::LimitExceeded(format!(
                        "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {MAX_SERVICE_CREDENTIALS}"
                    )));
                }
                let c = ServiceCredDoc {
                    id: id.clone(),
                    service: service.to_owned(),
                    // The stored name follows the stored user's spelling of its own name.
                    service_user_name: if service_user_name.is_empty() { String::new() } else { format!("{}-at-{ACCOUNT_ID}", d.name) },
                    status: "Active".into(),
                    created_at: now,
                    password_hash: password_hash.clone(),
                    alias: alias.clone(),
                    expires_at,
                };
                let v = cred_view(&c, now)?;
                d.service_credentials.push(c);
                Ok((v, vec![(id.clone(), "service_credential")], vec![]))
            })
            .await?;
        self.leave(CreatedServiceCredential { credential: cred, password: OneTimeSecret::new(secret) })
    }

    async fn list_service_credentials(
        &self,
        caller: &Caller,
        user: &IamUserName,
        service: Option<&str>,
    ) -> IamResult<Vec<ServiceCredential>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::GitCredentials, Capability::ServiceCredentials])?;
        let (d, _) = self.load_user(user).await?;
        let now = self.now();
        d.service_credentials.iter().filter(|c| service.is_none_or(|s| c.service == s)).map(|c| cred_view(c, now)).collect()
    }

    async fn update_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &ServiceCredentialId,
        status: SetStatus,
    ) -> IamResult<()> {
        self.set_credential_status(caller, user, id.as_str(), status, |d| &mut d.service_credentials).await
    }

    async fn reset_service_credential(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &ServiceCredentialId,
    ) -> IamResult<CreatedServiceCredential> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::GitCredentials, Capability::ServiceCredentials])?;
        let now = self.now();
        let (credential, password) = self
            .mutate(user, |d| {
                let c = d
                    .service_credentials
                    .iter_mut()
                    .find(|c| c.id == id.as_str())
                    .ok_or_else(|| not_found("service-specific credential", id.as_str()))?;
                // An API key gets a new secret under the same alias; the expiry stays.
                let secret = match &c.alias {
                    Some(alias) => new_api_key_secret(alias),
                    None => new_service_password(),
                };
                c.password_hash = hash_password(&secret);
                Ok(((cred_view(c, now)?, secret), vec![], vec![]))
            })
            .await?;
        self.leave(CreatedServiceCredential { credential, password: OneTimeSecret::new(password) })
    }

    async fn delete_service_credential(&self, caller: &Caller, user: &IamUserName, id: &ServiceCredentialId) -> IamResult<()> {
        self.delete_credential(caller, user, id.as_str(), |d| &mut d.service_credentials).await
    }

    async fn upload_ssh_key(&self, caller: &Caller, user: &IamUserName, body: &str) -> IamResult<SshKeySummary> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::SshKeys])?;
        let parsed = ssh_key::parse(body).map_err(|e| IamError::InvalidInput(e.to_string()))?;
        use base64::Engine;
        let blob = base64::engine::general_purpose::STANDARD.encode(&parsed.blob);
        let (now, id) = (self.now(), new_id("APKA"));
        let summary = self
            .mutate(user, |d| {
                if d.ssh_keys.iter().any(|k| k.blob == blob) {
                    return Err(IamError::EntityAlreadyExists("The SSH public key has already been uploaded for this user.".into()));
                }
                if d.ssh_keys.len() >= MAX_SSH_KEYS {
                    return Err(IamError::LimitExceeded(format!("Cannot exceed quota for PublicKeysPerUser: {MAX_SSH_KEYS}")));
                }
                let k = SshDoc { id: id.clone(), status: "Active".into(), uploaded_at: now, blob: blob.clone() };
                let v = ssh_view(&k)?;
                d.ssh_keys.push(k);
                Ok((v, vec![(id.clone(), "ssh_key")], vec![]))
            })
            .await?;
        self.leave(summary)
    }

    async fn list_ssh_keys(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<SshKeySummary>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::SshKeys])?;
        self.load_user(user).await?.0.ssh_keys.iter().map(ssh_view).collect()
    }

    async fn get_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId, encoding: SshEncoding) -> IamResult<SshKeyDetail> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::SshKeys])?;
        let (d, _) = self.load_user(user).await?;
        let k = d.ssh_keys.iter().find(|k| k.id == id.as_str()).ok_or_else(|| not_found("SSH public key", id.as_str()))?;
        ssh_detail(k, encoding)
    }

    async fn upload_signing_cert(&self, caller: &Caller, user: &IamUserName, body: &str) -> IamResult<SigningCert> {
        self.enter().await?;
        self.may_touch(caller, user, true, &[Capability::SigningCertificates])?;
        // IAM parses the certificate; compare certificates by their DER bytes, not by PEM text.
        let der = cert_der(body)
            .ok_or_else(|| IamError::InvalidInput("The certificate is malformed: it is not a PEM X.509 certificate.".into()))?;
        let (now, id) = (self.now(), format!("{}{}", new_id("TA"), &new_id("")[..10]));
        let cert = self
            .mutate(user, |d| {
                if d.signing_certs.iter().any(|c| cert_der(&c.body).as_deref() == Some(&der[..])) {
                    return Err(IamError::EntityAlreadyExists("The certificate has already been uploaded for this user.".into()));
                }
                if d.signing_certs.len() >= MAX_SIGNING_CERTS {
                    return Err(IamError::LimitExceeded(format!(
                        "Cannot exceed quota for SigningCertificatesPerUser: {MAX_SIGNING_CERTS}"
                    )));
                }
                let c = CertDoc { id: id.clone(), status: "Active".into(), uploaded_at: now, body: body.trim().to_owned() };
                let view = cert_view(&c);
                d.signing_certs.push(c);
                Ok((view, vec![], vec![]))
            })
            .await?;
        self.leave(cert)
    }

    async fn list_signing_certs(&self, caller: &Caller, user: &IamUserName) -> IamResult<Vec<SigningCert>> {
        self.enter().await?;
        self.may_touch(caller, user, false, &[Capability::SigningCertificates])?;
        Ok(self.load_user(user).await?.0.signing_certs.iter().map(cert_view).collect())
    }

    async fn update_signing_cert(&self, caller: &Caller, user: &IamUserName, id: &str, status: SetStatus) -> IamResult<()> {
        self.set_credential_status(caller, user, id, status, |d| &mut d.signing_certs).await
    }

    async fn delete_signing_cert(&self, caller: &Caller, user: &IamUserName, id: &str) -> IamResult<()> {
        self.delete_credential(caller, user, id, |d| &mut d.signing_certs).await
    }

    async fn update_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId, status: SetStatus) -> IamResult<()> {
        self.set_credential_status(caller, user, id.as_str(), status, |d| &mut d.ssh_keys).await
    }

    async fn delete_ssh_key(&self, caller: &Caller, user: &IamUserName, id: &SshKeyId) -> IamResult<()> {
        self.delete_credential(caller, user, id.as_str(), |d| &mut d.ssh_keys).await
    }

    async fn generate_credential_report(&self, caller: &Caller) -> IamResult<ReportState> {
        self.enter().await?;
        self.may_list(caller)?;
        let now = self.clock.now();
        if let Some(at) = self.account_value("report_generated_at").await? {
            if now - t(at.parse().unwrap_or(0)) < REPORT_TTL {
                return Ok(ReportState::Complete);
            }
        }
        let csv = self.build_report().await?;
        self.set_account_value("report_csv", Some(&csv)).await?;
        self.set_account_value("report_generated_at", Some(&now.unix_timestamp().to_string())).await?;
        Ok(ReportState::Started)
    }

    async fn get_credential_report(&self, caller: &Caller) -> IamResult<CredentialReport> {
        self.enter().await?;
        self.may_list(caller)?;
        let (Some(at), Some(csv)) = (self.account_value("report_generated_at").await?, self.account_value("report_csv").await?) else {
            return Err(IamError::NotFound("Credential report not present; generate one first.".into()));
        };
        Ok(CredentialReport { generated_at: t(at.parse().unwrap_or(0)), csv })
    }

    async fn assume_work_role(&self, caller: &Caller, request: &WorkRoleRequest) -> IamResult<temporary::TemporaryCredentials> {
        self.enter().await?;
        if !matches!(caller, Caller::Service { .. }) {
            return Err(IamError::AccessDenied("only keydesk's own principal assumes work roles".into()));
        }
        self.assume(request).await
    }

    async fn role_policy(&self, caller: &Caller, role_arn: &str, name: &str) -> IamResult<Option<String>> {
        self.enter().await?;
        only_keydesk(caller)?;
        self.get_role_policy(role_arn, name).await
    }

    async fn put_role_policy(&self, caller: &Caller, role_arn: &str, name: &str, document: &str) -> IamResult<()> {
        self.enter().await?;
        only_keydesk(caller)?;
        self.set_role_policy(role_arn, name, Some(document)).await
    }

    async fn delete_role_policy(&self, caller: &Caller, role_arn: &str, name: &str) -> IamResult<()> {
        self.enter().await?;
        only_keydesk(caller)?;
        self.set_role_policy(role_arn, name, None).await
    }
}

/// Work roles' policies are keydesk's own business: people's scoped sessions never write them.
fn only_keydesk(caller: &Caller) -> IamResult<()> {
    match caller {
        Caller::Service { .. } => Ok(()),
        _ => Err(IamError::AccessDenied("only keydesk's own principal writes work roles' policies".into())),
    }
}
