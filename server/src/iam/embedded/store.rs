//! The embedded IAM's storage: one JSON document per IAM user in its own database, changed by
//! compare-and-swap, the faults tests switch on, and the demo's hooks (key use, backdating).

use super::*;

impl EmbeddedIam {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock, faults: Arc::new(Faults::default()) }
    }

    /// The fault switches (tests only).
    /// The database it keeps IAM's state in (the schema parity test reads its tables).
    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn faults(&self) -> Arc<Faults> {
        self.faults.clone()
    }

    pub(super) fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    pub(super) async fn enter(&self) -> IamResult<()> {
        self.faults.calls.fetch_add(1, Ordering::Relaxed);
        let latency = self.faults.latency_ms.load(Ordering::Relaxed);
        if latency > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
        }
        if self.faults.unavailable.load(Ordering::Relaxed) {
            return Err(IamError::Unavailable("injected outage".into()));
        }
        let pct = self.faults.throttle_percent.load(Ordering::Relaxed);
        if pct > 0 && OsRng.gen_range(0..100) < pct {
            return Err(IamError::Throttled);
        }
        Ok(())
    }

    /// After a committed mutation: maybe pretend the response was lost.
    pub(super) fn leave<T>(&self, value: T) -> IamResult<T> {
        let lost = self.faults.lose_responses.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if lost {
            Err(IamError::Ambiguous("injected: the change was applied but the response was lost".into()))
        } else {
            Ok(value)
        }
    }

    // ---------- authority (what the assumed role's policy would allow) ----------

    /// Whether `caller` may read (or change, with `write`) `user`'s credentials of kind `need` (`None`:
    /// the user itself and its groups). A self-service session needs its own user and, like the AWS
    /// session policy keydesk generates, the capability among its entitlements.
    /// Whether `caller` may read (or `write`) `user`'s credentials; a self-service session also needs one
    /// of the capabilities in `need` (any of them; none listed: the base actions every session has).
    pub(super) fn may_touch(&self, caller: &Caller, user: &IamUserName, write: bool, need: &[Capability]) -> IamResult<()> {
        if let (Caller::SelfService { caps, .. }, Some(first)) = (caller, need.first()) {
            if !need.iter().any(|c| caps.contains(c)) {
                return Err(IamError::AccessDenied(format!("the session policy grants no {} actions", first.id())));
            }
        }
        let ok = match caller {
            Caller::SelfService { iam_user, .. } => iam_user.fold() == user.fold(),
            Caller::Helpdesk { .. } | Caller::Service { .. } => true,
            Caller::Admin { .. } => !write,
        };
        if ok {
            Ok(())
        } else {
            Err(IamError::AccessDenied(format!(
                "{} may not {} credentials of IAM user {user}",
                caller.portal_user(),
                if write { "change" } else { "read" }
            )))
        }
    }

    pub(super) fn may_list(&self, caller: &Caller) -> IamResult<()> {
        match caller {
            Caller::SelfService { .. } => Err(IamError::AccessDenied("listing all users needs the help-desk or admin role".into())),
            _ => Ok(()),
        }
    }

    /// The session policy's `aws:TagKeys` condition: a self-service session tags only with access key
    /// ids (`AKIA*`, key descriptions).
    pub(super) fn may_tag(&self, caller: &Caller, key: &str) -> IamResult<()> {
        match caller {
            Caller::SelfService { .. } if !key.starts_with(super::policy::SELF_SERVICE_TAG_KEYS.trim_end_matches('*')) => {
                Err(IamError::AccessDenied(format!("the session policy allows tag keys {} only", super::policy::SELF_SERVICE_TAG_KEYS)))
            }
            _ => Ok(()),
        }
    }

    pub(super) fn may_manage_device(&self, caller: &Caller, serial: &str) -> IamResult<()> {
        match caller {
            Caller::SelfService { caps, .. } if !caps.contains(&Capability::Mfa) => {
                Err(IamError::AccessDenied("the session policy grants no MFA device actions".into()))
            }
            Caller::SelfService { iam_user, .. } if !is_own_mfa_serial(iam_user, serial) => {
                Err(IamError::AccessDenied(format!("a self-service session may only manage MFA devices under mfa/{iam_user}/")))
            }
            Caller::Admin { .. } => Err(IamError::AccessDenied("administrators review; they do not change MFA devices".into())),
            _ => Ok(()),
        }
    }

    // ---------- storage ----------

    pub(super) async fn load_user(&self, user: &IamUserName) -> IamResult<(UserDoc, i64)> {
        let (doc, row) = self.user_row("SELECT doc, version FROM iam_users WHERE name_fold = $1", user).await?;
        Ok((doc, row.try_get("version").map_err(db_err)?))
    }

    /// The user's document and the account's password policy, in one statement (the credentials page's
    /// one read).
    pub(super) async fn load_user_and_policy(&self, user: &IamUserName) -> IamResult<(UserDoc, EffectivePolicy)> {
        let sql = "SELECT doc, (SELECT value FROM iam_account WHERE key = 'password_policy') AS policy FROM iam_users WHERE name_fold = $1";
        let (doc, row) = self.user_row(sql, user).await?;
        Ok((doc, policy_from(row.try_get("policy").map_err(db_err)?)?))
    }

    /// The user's document, read by `sql` (binding the folded name as `$1`), with the rest of its row.
    async fn user_row(&self, sql: &'static str, user: &IamUserName) -> IamResult<(UserDoc, sqlx::any::AnyRow)> {
        let row = sqlx::query(sql)
            .bind(user.fold())
            .fetch_optional(&self.db.pool)
            .await
            .map_err(db_err)?
            .ok_or_else(|| IamError::NotFound(format!("The user with name {user} cannot be found.")))?;
        let doc: String = row.try_get("doc").map_err(db_err)?;
        Ok((serde_json::from_str(&doc).map_err(db_err)?, row))
    }

    /// Write `doc` back if nobody changed it since `version` was read; `Ok(false)` when someone did.
    pub(super) async fn write_user(conn: &mut sqlx::AnyConnection, user: &IamUserName, doc: &UserDoc, version: i64) -> IamResult<bool> {
        let res = sqlx::query("UPDATE iam_users SET doc = $1, version = version + 1 WHERE name_fold = $2 AND version = $3")
            .bind(serde_json::to_string(doc).map_err(db_err)?)
            .bind(user.fold())
            .bind(version)
            .execute(conn)
            .await
            .map_err(db_err)?;
        Ok(res.rows_affected() == 1)
    }

    /// Apply `f` to the user's document atomically; `f` may also return index rows to insert and ids to
    /// remove from the index. Retries when another writer got there first.
    pub(super) async fn mutate<T>(
        &self,
        user: &IamUserName,
        f: impl Fn(&mut UserDoc) -> IamResult<(T, Vec<(String, &'static str)>, Vec<String>)>,
    ) -> IamResult<T> {
        for _ in 0..CAS_ATTEMPTS {
            let (mut doc, version) = self.load_user(user).await?;
            let (out, add, remove) = f(&mut doc)?;
            let mut tx = self.db.pool.begin().await.map_err(db_err)?;
            if !Self::write_user(&mut tx, user, &doc, version).await? {
                tx.rollback().await.map_err(db_err)?;
                tokio::task::yield_now().await;
                continue;
            }
            for (id, kind) in &add {
                sqlx::query("INSERT INTO iam_credential_index (id, kind, user_fold) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(*kind)
                    .bind(user.fold())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            for id in &remove {
                sqlx::query("DELETE FROM iam_credential_index WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
            }
            tx.commit().await.map_err(db_err)?;
            return Ok(out);
        }
        Err(IamError::Conflict("too much concurrent modification; try again".into()))
    }

    pub(super) async fn load_device(&self, serial: &str) -> IamResult<(MfaDoc, i64)> {
        let row = sqlx::query("SELECT doc, version FROM iam_virtual_mfa WHERE serial = $1")
            .bind(serial)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(db_err)?
            .ok_or_else(|| IamError::NotFound(format!("MFA device with serial number {serial} not found.")))?;
        let doc: String = row.try_get("doc").map_err(db_err)?;
        Ok((serde_json::from_str(&doc).map_err(db_err)?, row.try_get("version").map_err(db_err)?))
    }

    pub(super) async fn save_device(&self, conn: &mut sqlx::AnyConnection, doc: &MfaDoc, version: i64) -> IamResult<bool> {
        let res =
            sqlx::query("UPDATE iam_virtual_mfa SET doc = $1, version = version + 1, user_fold = $2 WHERE serial = $3 AND version = $4")
                .bind(serde_json::to_string(doc).map_err(db_err)?)
                .bind(doc.user.as_ref().map(|u| u.to_ascii_lowercase()))
                .bind(&doc.serial)
                .bind(version)
                .execute(conn)
                .await
                .map_err(db_err)?;
        Ok(res.rows_affected() == 1)
    }

    pub(super) async fn account_value(&self, key: &str) -> IamResult<Option<String>> {
        sqlx::query_scalar("SELECT value FROM iam_account WHERE key = $1").bind(key).fetch_optional(&self.db.pool).await.map_err(db_err)
    }

    pub(super) async fn set_account_value(&self, key: &str, value: Option<&str>) -> IamResult<()> {
        match value {
            Some(v) => {
                sqlx::query("INSERT INTO iam_account (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                    .bind(key)
                    .bind(v)
                    .execute(&self.db.pool)
                    .await
                    .map_err(db_err)?
            }
            None => sqlx::query("DELETE FROM iam_account WHERE key = $1").bind(key).execute(&self.db.pool).await.map_err(db_err)?,
        };
        Ok(())
    }

    pub(super) async fn effective_policy(&self) -> IamResult<EffectivePolicy> {
        policy_from(self.account_value("password_policy").await?)
    }

    pub(super) fn user_view(&self, d: &UserDoc) -> IamResult<IamUser> {
        Ok(IamUser {
            name: IamUserName::parse(&d.name).map_err(db_err)?,
            user_id: d.user_id.clone(),
            arn: format!("arn:aws:iam::{ACCOUNT_ID}:user{}{}", d.path, d.name),
            path: d.path.clone(),
            created_at: t(d.created_at),
            password_last_used: d.password_last_used.map(t),
        })
    }

    /// `Update*` for any stored credential kind: set the status of credential `id` of `user`.
    pub(super) async fn set_credential_status<C: StoredCredential>(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &str,
        status: SetStatus,
        list: fn(&mut UserDoc) -> &mut Vec<C>,
    ) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, C::CAPABILITIES)?;
        self.mutate(user, |d| {
            let c = list(d).iter_mut().find(|c| c.id() == id).ok_or_else(|| not_found(C::WHAT, id))?;
            c.set_status(status);
            Ok(((), vec![], vec![]))
        })
        .await?;
        self.leave(())
    }

    /// `Delete*` for any stored credential kind; the id leaves the owner index too.
    pub(super) async fn delete_credential<C: StoredCredential>(
        &self,
        caller: &Caller,
        user: &IamUserName,
        id: &str,
        list: fn(&mut UserDoc) -> &mut Vec<C>,
    ) -> IamResult<()> {
        self.enter().await?;
        self.may_touch(caller, user, true, C::CAPABILITIES)?;
        self.mutate(user, |d| {
            let items = list(d);
            let before = items.len();
            items.retain(|c| c.id() != id);
            if items.len() == before {
                return Err(not_found(C::WHAT, id));
            }
            Ok(((), vec![], vec![id.to_owned()]))
        })
        .await?;
        self.leave(())
    }

    // ---------- administration of the emulation itself (demo seeding, tests) ----------

    /// Make a hardware TOTP token known, as AWS knows the seeds of the tokens it sells: it can then be
    /// enabled for a user by its serial number and two codes. For the demo and tests.
    pub async fn register_hardware_token(&self, serial: &str, seed_b32: &str) -> IamResult<()> {
        if totp::base32_decode(seed_b32).is_none() {
            return Err(IamError::InvalidInput("the seed is not Base32".into()));
        }
        let doc = MfaDoc {
            serial: serial.to_owned(),
            seed_b32: seed_b32.to_owned(),
            created_at: self.now(),
            user: None,
            enabled_at: None,
            last_step: None,
        };
        sqlx::query(
            "INSERT INTO iam_virtual_mfa (serial, doc, version, user_fold) VALUES ($1, $2, 0, NULL) ON CONFLICT (serial) DO NOTHING",
        )
        .bind(serial)
        .bind(serde_json::to_string(&doc).map_err(db_err)?)
        .execute(&self.db.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    /// Create an IAM user (`CreateUser`). Errors: EntityAlreadyExists (names are case-insensitive).
    pub async fn create_user(&self, user: &IamUserName, path: &str, created_at: OffsetDateTime) -> IamResult<IamUser> {
        if !(path.starts_with('/') && path.ends_with('/')) {
            return Err(IamError::InvalidInput("a path starts and ends with /".into()));
        }
        let doc = UserDoc {
            name: user.to_string(),
            user_id: new_id("AIDA"),
            path: path.to_owned(),
            created_at: created_at.unix_timestamp(),
            password_last_used: None,
            login: None,
            password_history: vec![],
            access_keys: vec![],
            tags: vec![],
            mfa: vec![],
            service_credentials: vec![],
            ssh_keys: vec![],
            groups: vec![],
            signing_certs: vec![],
            attached_policies: vec![],
        };
        let res = sqlx::query("INSERT INTO iam_users (name_fold, doc, version) VALUES ($1, $2, 0) ON CONFLICT (name_fold) DO NOTHING")
            .bind(user.fold())
            .bind(serde_json::to_string(&doc).map_err(db_err)?)
            .execute(&self.db.pool)
            .await
            .map_err(db_err)?;
        if res.rows_affected() == 0 {
            return Err(IamError::EntityAlreadyExists(format!("User with name {user} already exists.")));
        }
        self.user_view(&doc)
    }

    /// Set or delete (`None`) the account password policy.
    pub async fn set_password_policy(&self, policy: Option<&PasswordPolicy>) -> IamResult<()> {
        if let Some(p) = policy {
            if !(6..=128).contains(&p.minimum_length)
                || p.max_age_days.is_some_and(|d| !(1..=1095).contains(&d))
                || p.reuse_prevention.is_some_and(|n| !(1..=24).contains(&n))
            {
                return Err(IamError::InvalidInput("password policy value out of range".into()));
            }
        }
        let json = policy.map(serde_json::to_string).transpose().map_err(db_err)?;
        self.set_account_value("password_policy", json.as_deref()).await
    }

    /// `AddUserToGroup` (the group is created on first use; IAM's group names: 1-128 of
    /// `[A-Za-z0-9+=,.@_-]`). Idempotent. For demos and tests: keydesk never changes membership.
    pub async fn add_user_to_group(&self, user: &IamUserName, group: &str) -> IamResult<()> {
        let valid = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
        if group.is_empty() || group.chars().count() > 128 || !group.chars().all(valid) {
            return Err(IamError::InvalidInput(format!("{group:?} is not a valid IAM group name")));
        }
        self.mutate(user, |d| {
            if !d.groups.iter().any(|g| g.eq_ignore_ascii_case(group)) {
                d.groups.push(group.to_owned());
                d.groups.sort();
            }
            Ok(((), vec![], vec![]))
        })
        .await
    }

    /// Attach a managed policy (`AttachUserPolicy`), as AWS does with the quarantine policy when it finds
    /// a key exposed. For the demo and tests.
    pub async fn attach_user_policy(&self, user: &IamUserName, policy_arn: &str) -> IamResult<()> {
        self.mutate(user, |d| {
            if !d.attached_policies.iter().any(|p| p == policy_arn) {
                d.attached_policies.push(policy_arn.to_owned());
            }
            Ok(((), vec![], vec![]))
        })
        .await
    }

    /// Record that a key signed a request (what AWS does when a key is used).
    pub async fn record_key_use(&self, key: &AccessKeyId, at: OffsetDateTime, service: &str, region: &str) -> IamResult<()> {
        let owner = self.owner_of(key.as_str()).await?;
        let id = key.to_string();
        self.mutate(&owner, |d| {
            let k = d.access_keys.iter_mut().find(|k| k.id == id).ok_or_else(|| IamError::NotFound(id.clone()))?;
            k.last_used = Some((at.unix_timestamp(), service.to_owned(), region.to_owned()));
            Ok(((), vec![], vec![]))
        })
        .await
    }

    /// Backdate a key's creation (demo data with realistic ages).
    pub async fn backdate_key(&self, user: &IamUserName, key: &AccessKeyId, created_at: OffsetDateTime) -> IamResult<()> {
        let id = key.to_string();
        self.mutate(user, |d| {
            let k = d.access_keys.iter_mut().find(|k| k.id == id).ok_or_else(|| IamError::NotFound(id.clone()))?;
            k.created_at = created_at.unix_timestamp();
            Ok(((), vec![], vec![]))
        })
        .await
    }

    /// Backdate a console password's last change and record a last console sign-in (demo data).
    pub async fn backdate_password(
        &self,
        user: &IamUserName,
        changed_at: OffsetDateTime,
        last_used: Option<OffsetDateTime>,
    ) -> IamResult<()> {
        self.mutate(user, |d| {
            let l = d.login.as_mut().ok_or_else(|| IamError::NotFound("no login profile".into()))?;
            l.changed_at = changed_at.unix_timestamp();
            l.created_at = l.created_at.min(l.changed_at);
            d.password_last_used = last_used.map(|t| t.unix_timestamp());
            Ok(((), vec![], vec![]))
        })
        .await
    }

    /// Would Git's sign-in with this service user name and password succeed (credential active, password
    /// current)? What CodeCommit asks IAM; for tests and demos.
    pub async fn service_password_works(&self, user: &IamUserName, service_user_name: &str, password: &str) -> IamResult<bool> {
        let (d, _) = self.load_user(user).await?;
        Ok(d.service_credentials
            .iter()
            .any(|c| c.service_user_name == service_user_name && c.status == "Active" && password_matches(&c.password_hash, password)))
    }

    /// When the console password last changed (the credential report's `password_last_changed`).
    pub async fn password_changed_at(&self, user: &IamUserName) -> IamResult<Option<OffsetDateTime>> {
        Ok(self.load_user(user).await?.0.login.map(|l| t(l.changed_at)))
    }

    pub(super) async fn owner_of(&self, id: &str) -> IamResult<IamUserName> {
        let fold: Option<String> = sqlx::query_scalar("SELECT user_fold FROM iam_credential_index WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.db.pool)
            .await
            .map_err(db_err)?;
        let fold = fold.ok_or_else(|| IamError::NotFound(format!("The Access Key with id {id} cannot be found.")))?;
        let row =
            sqlx::query("SELECT doc FROM iam_users WHERE name_fold = $1").bind(&fold).fetch_one(&self.db.pool).await.map_err(db_err)?;
        let doc: UserDoc = serde_json::from_str(&row.try_get::<String, _>("doc").map_err(db_err)?).map_err(db_err)?;
        IamUserName::parse(&doc.name).map_err(db_err)
    }

    pub(super) fn check_codes(code1: &str, code2: &str) -> IamResult<()> {
        if totp::well_formed(code1) && totp::well_formed(code2) {
            Ok(())
        } else {
            Err(IamError::InvalidAuthenticationCode("Authentication codes are six digits.".into()))
        }
    }

    pub(super) async fn all_users(&self) -> IamResult<Vec<UserDoc>> {
        let rows = sqlx::query("SELECT doc FROM iam_users ORDER BY name_fold").fetch_all(&self.db.pool).await.map_err(db_err)?;
        rows.iter().map(|r| serde_json::from_str::<UserDoc>(&r.try_get::<String, _>("doc").map_err(db_err)?).map_err(db_err)).collect()
    }

    pub(super) async fn build_report(&self) -> IamResult<String> {
        let policy = self.effective_policy().await?;
        let rfc = |s: i64| t(s).format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let mut csv = CREDENTIAL_REPORT_COLUMNS.join(",");
        for d in self.all_users().await? {
            let key = |i: usize| d.access_keys.get(i);
            let mut row: Vec<String> = vec![
                d.name.clone(),
                format!("arn:aws:iam::{ACCOUNT_ID}:user{}{}", d.path, d.name),
                rfc(d.created_at),
                d.login.is_some().to_string(),
                d.password_last_used.map_or_else(|| "no_information".into(), rfc),
                d.login.as_ref().map_or_else(|| "N/A".into(), |l| rfc(l.changed_at)),
                match (&d.login, policy.max_age_days()) {
                    (Some(l), Some(days)) => rfc(l.changed_at + i64::from(days) * 86_400),
                    _ => "N/A".into(),
                },
                (!d.mfa.is_empty()).to_string(),
            ];
            for i in 0..2 {
                match key(i) {
                    Some(k) => {
                        row.push((k.status == "Active").to_string());
                        row.push(rfc(k.created_at));
                        match &k.last_used {
                            Some((at, service, region)) => row.extend([rfc(*at), region.clone(), service.clone()]),
                            None => row.extend(["N/A".into(), "N/A".into(), "N/A".into()]),
                        }
                    }
                    None => row.extend(["false".into(), "N/A".into(), "N/A".into(), "N/A".into(), "N/A".into()]),
                }
            }
            row.extend(["false".into(), "N/A".into(), "false".into(), "N/A".into()]);
            csv.push('\n');
            csv.push_str(&row.join(","));
        }
        Ok(csv)
    }
}

/// The account's password policy from its stored JSON (none stored: IAM's default).
fn policy_from(json: Option<String>) -> IamResult<EffectivePolicy> {
    Ok(match json {
        Some(json) => EffectivePolicy::Custom(serde_json::from_str(&json).map_err(db_err)?),
        None => EffectivePolicy::IamDefault,
    })
}
