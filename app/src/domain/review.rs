//! The administrators' credential review: IAM's credential report parsed into rows, each assessed
//! (CIS-style findings and a verdict), then searched, filtered, sorted and paged. Pure: the server runs
//! it over its cached report for every page request, so the browser only ever receives one page.

use super::csv_report_cell_row;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Rows per page of the review table.
pub const PAGE_SIZE: usize = 50;
/// Active keys older than this are flagged by default (CIS: rotate every 90 days).
pub const DEFAULT_KEY_AGE_DAYS: u32 = super::limits::ROTATE_AFTER_DAYS as u32;
/// Credentials unused this long are flagged (CIS: 45 days).
pub const UNUSED_DAYS: i64 = super::limits::IDLE_AFTER_DAYS;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySlot {
    pub present: bool,
    pub active: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_rotated: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used: Option<OffsetDateTime>,
    pub last_used_service: Option<String>,
}

/// What the credential report does not say about a user, gathered per user (`ListAccessKeys`,
/// `ListMFADevices`, `ListSSHPublicKeys`, `ListServiceSpecificCredentials`) after the report loads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetails {
    /// The id of the key in each report slot.
    pub key_ids: [Option<String>; 2],
    /// Each `None` when IAM would not list them (an emulator without the operation, a role without
    /// the permission): the column then says so instead of showing 0.
    pub mfa_devices: Option<u16>,
    pub ssh_keys: Option<u16>,
    pub git_credentials: Option<u16>,
    /// Each MFA device as "type name" ("virtual alice-phone", "hardware GAHT10000001").
    #[serde(default)]
    pub mfa_by_type: Vec<String>,
    /// Service-specific credentials other than CodeCommit's, per service slug (only services in use).
    #[serde(default)]
    pub service_credentials: Option<Vec<(String, u16)>>,
    #[serde(default)]
    pub signing_certs: Option<u16>,
    /// Whether AWS quarantined the user (`AWSCompromisedKeyQuarantineV3` attached).
    #[serde(default)]
    pub quarantined: Option<bool>,
    /// The user's keys the help desk holds after a leak (deactivated or reported by it; from keydesk's
    /// audit log, not IAM).
    #[serde(default)]
    pub held_keys: Vec<String>,
}

impl UserDetails {
    /// Why the user counts as exposed: a key AWS or the help desk found leaked.
    pub fn exposure(&self) -> Option<String> {
        if self.quarantined == Some(true) {
            Some("AWS quarantined this user after finding an exposed access key.".into())
        } else {
            self.held_keys.first().map(|key| format!("The help desk holds the leaked access key {key}: make sure a replacement is in use."))
        }
    }
}

impl UserDetails {
    /// "keyspaces 1; bedrock 2" (empty when none).
    pub fn services_summary(&self) -> String {
        self.service_credentials.as_deref().unwrap_or_default().iter().map(|(slug, n)| format!("{slug} {n}")).collect::<Vec<_>>().join("; ")
    }
}

/// How far the per-user details have got.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailsProgress {
    pub done: usize,
    pub total: usize,
    /// Users whose details could not be read (each counted once).
    pub failed: usize,
    pub finished: bool,
    /// When the last user's details arrived: how fresh the inventory is.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Why the details stopped, when IAM refused them outright (missing permissions, say).
    pub stopped: Option<String>,
    /// Calls in flight at most.
    pub concurrency: usize,
}

impl DetailsProgress {
    pub fn percent(&self) -> usize {
        (self.done * 100).checked_div(self.total).unwrap_or(100)
    }
}

/// `12345` as `12,345`.
pub fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Which listed key sits in which report slot. The report's `access_key_N_last_rotated` is the key's
/// creation time, so a key whose creation second equals a slot's goes there; any key left over fills
/// the remaining present slots in creation order.
pub fn slot_key_ids(row: &ReviewRow, keys: &[(String, OffsetDateTime)]) -> [Option<String>; 2] {
    let mut keys: Vec<&(String, OffsetDateTime)> = keys.iter().collect();
    keys.sort_by_key(|(_, t)| *t);
    let mut taken = vec![false; keys.len()];
    let mut ids: [Option<String>; 2] = [None, None];
    for (slot, id) in ids.iter_mut().enumerate() {
        let Some(rotated) = row.keys[slot].last_rotated else { continue };
        if let Some(i) = (0..keys.len()).find(|&i| !taken[i] && keys[i].1.unix_timestamp() == rotated.unix_timestamp()) {
            taken[i] = true;
            *id = Some(keys[i].0.clone());
        }
    }
    for (slot, id) in ids.iter_mut().enumerate() {
        if id.is_none() && row.keys[slot].present {
            if let Some(i) = (0..keys.len()).find(|&i| !taken[i]) {
                taken[i] = true;
                *id = Some(keys[i].0.clone());
            }
        }
    }
    ids
}

/// One IAM user as the credential report describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRow {
    pub user: String,
    pub path: String,
    pub password_enabled: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub password_last_changed: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub password_last_used: Option<OffsetDateTime>,
    pub mfa_active: bool,
    pub keys: [KeySlot; 2],
}

fn date(v: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(v, &Rfc3339).ok()
}

fn known(v: &str) -> Option<String> {
    (!matches!(v, "" | "N/A" | "no_information" | "not_supported")).then(|| v.to_owned())
}

/// Parse IAM's credential report (columns found by name; the `<root_account>` row skipped).
pub fn parse_report(csv: &str) -> Result<Vec<ReviewRow>, String> {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().ok_or("the credential report is empty")?.split(',').map(str::trim).collect();
    let col = |name: &str| header.iter().position(|h| *h == name).ok_or(format!("the credential report has no {name} column"));
    let user = col("user")?;
    let arn = col("arn")?;
    let pw = col("password_enabled")?;
    let pw_used = col("password_last_used")?;
    let pw_changed = col("password_last_changed")?;
    let mfa = col("mfa_active")?;
    let mut slots = Vec::new();
    for i in 1..=2 {
        slots.push((
            col(&format!("access_key_{i}_active"))?,
            col(&format!("access_key_{i}_last_rotated"))?,
            col(&format!("access_key_{i}_last_used_date"))?,
            col(&format!("access_key_{i}_last_used_service"))?,
        ));
    }
    let mut rows = Vec::new();
    for (n, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let cell = |i: usize| cells.get(i).copied().unwrap_or("");
        if cells.len() < header.len() {
            return Err(format!("line {} of the credential report has {} of {} columns", n + 2, cells.len(), header.len()));
        }
        if cell(user) == "<root_account>" {
            continue;
        }
        let path = cell(arn)
            .split_once(":user")
            .map(|(_, rest)| rest.rsplit_once('/').map_or("/".to_owned(), |(p, _)| format!("{p}/")))
            .unwrap_or_else(|| "/".into());
        let keys = [0, 1].map(|i| {
            let (active, rotated, used, service) = slots[i];
            let last_rotated = date(cell(rotated));
            KeySlot {
                present: last_rotated.is_some(),
                active: cell(active) == "true",
                last_rotated,
                last_used: date(cell(used)),
                last_used_service: known(cell(service)),
            }
        });
        rows.push(ReviewRow {
            user: cell(user).to_owned(),
            path,
            password_enabled: cell(pw) == "true",
            password_last_changed: date(cell(pw_changed)),
            password_last_used: date(cell(pw_used)),
            mfa_active: cell(mfa) == "true",
            keys,
        });
    }
    Ok(rows)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Verdict {
    Ok,
    Attention,
    AtRisk,
    /// A key was found leaked (AWS's quarantine, or the help desk's leak response).
    Exposed,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "OK",
            Verdict::Attention => "Attention",
            Verdict::AtRisk => "At risk",
            Verdict::Exposed => "Exposed",
        }
    }
}

/// What the review concludes about one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub verdict: Verdict,
    pub findings: Vec<String>,
    pub password_age_days: Option<i64>,
    /// Age of the oldest active key.
    pub active_key_age_days: Option<i64>,
    pub key_age_days: [Option<i64>; 2],
    pub old_key: bool,
    pub unused_key: bool,
    pub never_used_key: bool,
    pub console_without_mfa: bool,
    pub old_password: bool,
}

fn days(from: OffsetDateTime, now: OffsetDateTime) -> i64 {
    (now - from).whole_days().max(0)
}

pub fn assess(row: &ReviewRow, now: OffsetDateTime, key_age_limit: u32, password_max_age: Option<u16>) -> Assessment {
    let mut findings = Vec::new();
    let mut verdict = Verdict::Ok;
    let mut flag = |level: Verdict, text: String, findings: &mut Vec<String>| {
        verdict = verdict.max(level);
        findings.push(text);
    };
    let key_age_days = [0, 1].map(|i| row.keys[i].last_rotated.map(|t| days(t, now)));
    let active_ages: Vec<i64> = (0..2).filter(|&i| row.keys[i].active).filter_map(|i| key_age_days[i]).collect();
    let active_key_age_days = active_ages.iter().copied().max();
    let old_key = active_ages.iter().any(|&a| a > i64::from(key_age_limit));
    if old_key {
        flag(Verdict::AtRisk, format!("An active access key is older than {key_age_limit} days: rotate it."), &mut findings);
    }
    let mut unused_key = false;
    let mut never_used_key = false;
    for k in row.keys.iter().filter(|k| k.active) {
        match (k.last_used, k.last_rotated) {
            (None, Some(created)) => {
                never_used_key = true;
                if days(created, now) >= UNUSED_DAYS {
                    unused_key = true;
                }
            }
            (Some(used), _) if days(used, now) >= UNUSED_DAYS => unused_key = true,
            _ => {}
        }
    }
    if never_used_key {
        flag(Verdict::Attention, "An active access key has never been used: deactivate it if nothing needs it.".into(), &mut findings);
    }
    if unused_key {
        flag(Verdict::AtRisk, format!("An active access key is unused for {UNUSED_DAYS}+ days: deactivate it."), &mut findings);
    }
    let console_without_mfa = row.password_enabled && !row.mfa_active;
    if console_without_mfa {
        flag(Verdict::AtRisk, "Console password without MFA.".into(), &mut findings);
    }
    let password_age_days = row.password_enabled.then(|| row.password_last_changed.map(|t| days(t, now))).flatten();
    let old_password = matches!((password_age_days, password_max_age), (Some(age), Some(max)) if age > i64::from(max));
    if old_password {
        flag(Verdict::Attention, "The password is older than the policy's maximum age.".into(), &mut findings);
    }
    if row.password_enabled && row.password_last_used.is_some_and(|t| days(t, now) >= UNUSED_DAYS) {
        flag(Verdict::Attention, format!("No console sign-in for {UNUSED_DAYS}+ days: remove the password if unneeded."), &mut findings);
    }
    Assessment {
        verdict,
        findings,
        password_age_days,
        active_key_age_days,
        key_age_days,
        old_key,
        unused_key,
        never_used_key,
        console_without_mfa,
        old_password,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Filter {
    #[default]
    All,
    OldKeys,
    UnusedKeys,
    NeverUsedKeys,
    NoMfa,
    OldPasswords,
    NeedsAction,
    /// Users AWS quarantined after finding one of their keys exposed (known once details are read).
    Quarantined,
}

impl Filter {
    pub const ALL: [(Filter, &'static str, &'static str); 8] = [
        (Filter::All, "all", "All users"),
        (Filter::NeedsAction, "action", "Needing action (not OK)"),
        (Filter::OldKeys, "old-keys", "Active keys older than N days"),
        (Filter::UnusedKeys, "unused", "Active keys unused 45+ days"),
        (Filter::NeverUsedKeys, "never-used", "Active keys never used"),
        (Filter::NoMfa, "no-mfa", "Console users without MFA"),
        (Filter::OldPasswords, "old-passwords", "Passwords older than the policy's maximum age"),
        (Filter::Quarantined, "quarantined", "Quarantined by AWS (exposed key)"),
    ];
    pub fn parse(s: &str) -> Filter {
        Self::ALL.iter().find(|(_, id, _)| *id == s).map_or(Filter::All, |(f, _, _)| *f)
    }
    pub fn id(self) -> &'static str {
        Self::ALL.iter().find(|(f, _, _)| *f == self).map_or("all", |(_, id, _)| id)
    }
    fn keeps(self, a: &Assessment, details: Option<&UserDetails>) -> bool {
        match self {
            Filter::All => true,
            Filter::Quarantined => details.and_then(|d| d.quarantined).unwrap_or(false),
            Filter::NeedsAction => a.verdict != Verdict::Ok,
            Filter::OldKeys => a.old_key,
            Filter::UnusedKeys => a.unused_key,
            Filter::NeverUsedKeys => a.never_used_key,
            Filter::NoMfa => a.console_without_mfa,
            Filter::OldPasswords => a.old_password,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    #[default]
    User,
    Path,
    Password,
    PasswordAge,
    LastSignIn,
    Mfa,
    Key1Age,
    Key1LastUsed,
    Key2Age,
    Key2LastUsed,
    ActiveKeyAge,
    Verdict,
    SshKeys,
    GitCredentials,
}

impl SortKey {
    pub const ALL: [(SortKey, &'static str); 14] = [
        (SortKey::User, "user"),
        (SortKey::Path, "path"),
        (SortKey::Password, "password"),
        (SortKey::PasswordAge, "password-age"),
        (SortKey::LastSignIn, "last-sign-in"),
        (SortKey::Mfa, "mfa"),
        (SortKey::Key1Age, "key1-age"),
        (SortKey::Key1LastUsed, "key1-used"),
        (SortKey::Key2Age, "key2-age"),
        (SortKey::Key2LastUsed, "key2-used"),
        (SortKey::ActiveKeyAge, "active-key-age"),
        (SortKey::Verdict, "verdict"),
        (SortKey::SshKeys, "ssh-keys"),
        (SortKey::GitCredentials, "git-credentials"),
    ];
    pub fn parse(s: &str) -> SortKey {
        Self::ALL.iter().find(|(_, id)| *id == s).map_or(SortKey::User, |(k, _)| *k)
    }
    pub fn id(self) -> &'static str {
        Self::ALL.iter().find(|(k, _)| *k == self).map_or("user", |(_, id)| id)
    }
}

/// What the person asked the table for (the page's query string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewQuery {
    /// A user-name fragment (case-insensitive). An access key id is resolved to its owner by the server.
    pub search: String,
    pub filter: Filter,
    pub key_age_days: u32,
    pub sort: SortKey,
    pub descending: bool,
    /// 0-based.
    pub page: usize,
}

impl Default for ReviewQuery {
    fn default() -> Self {
        ReviewQuery {
            search: String::new(),
            filter: Filter::All,
            key_age_days: DEFAULT_KEY_AGE_DAYS,
            sort: SortKey::User,
            descending: false,
            page: 0,
        }
    }
}

impl ReviewQuery {
    /// From the page's query-string values (anything unknown or missing takes its default).
    pub fn from_params(
        search: Option<&str>,
        filter: Option<&str>,
        age: Option<&str>,
        sort: Option<&str>,
        desc: Option<&str>,
        page: Option<&str>,
    ) -> Self {
        ReviewQuery {
            search: search.unwrap_or_default().trim().chars().take(128).collect(),
            filter: Filter::parse(filter.unwrap_or_default()),
            key_age_days: age.and_then(|a| a.trim().parse().ok()).filter(|d| (1..=3650).contains(d)).unwrap_or(DEFAULT_KEY_AGE_DAYS),
            sort: SortKey::parse(sort.unwrap_or_default()),
            descending: desc == Some("1") || desc == Some("true"),
            page: page.and_then(|p| p.parse::<usize>().ok()).map_or(0, |p| p.saturating_sub(1)),
        }
    }

    /// The query string that reproduces this query (pages are 1-based there).
    pub fn to_query_string(&self) -> String {
        let enc = super::percent_encode;
        format!(
            "search={}&filter={}&age={}&sort={}&desc={}&page={}",
            enc(&self.search),
            self.filter.id(),
            self.key_age_days,
            self.sort.id(),
            u8::from(self.descending),
            self.page + 1
        )
    }
}

/// One row as the table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewLine {
    pub row: ReviewRow,
    pub assessment: Assessment,
    /// `None` until the per-user details for this user have been read.
    pub details: Option<UserDetails>,
}

fn sort_value(l: &ReviewLine, key: SortKey) -> (i64, String) {
    let t = |o: Option<OffsetDateTime>| o.map_or(i64::MIN, |t| t.unix_timestamp());
    let a = &l.assessment;
    let n = |o: Option<i64>| o.unwrap_or(-1);
    let d = |f: fn(&UserDetails) -> Option<u16>| l.details.as_ref().and_then(f).map_or(-1, i64::from);
    match key {
        SortKey::User => (0, l.row.user.to_lowercase()),
        SortKey::Path => (0, l.row.path.clone()),
        SortKey::Password => (i64::from(l.row.password_enabled), String::new()),
        SortKey::PasswordAge => (n(a.password_age_days), String::new()),
        SortKey::LastSignIn => (t(l.row.password_last_used), String::new()),
        // Active first by the report, then by how many devices (when known).
        SortKey::Mfa => (i64::from(l.row.mfa_active) * 1000 + d(|d| d.mfa_devices).max(0), String::new()),
        SortKey::Key1Age => (n(a.key_age_days[0]), String::new()),
        SortKey::Key1LastUsed => (t(l.row.keys[0].last_used), String::new()),
        SortKey::Key2Age => (n(a.key_age_days[1]), String::new()),
        SortKey::Key2LastUsed => (t(l.row.keys[1].last_used), String::new()),
        SortKey::ActiveKeyAge => (n(a.active_key_age_days), String::new()),
        SortKey::Verdict => (a.verdict as i64, String::new()),
        SortKey::SshKeys => (d(|d| d.ssh_keys), String::new()),
        SortKey::GitCredentials => (d(|d| d.git_credentials), String::new()),
    }
}

/// Search, filter and sort every row (ties broken by user name, so the order is total and stable).
/// `details` answers with what is known of a user beyond the report.
pub fn select(
    rows: &[ReviewRow],
    q: &ReviewQuery,
    now: OffsetDateTime,
    password_max_age: Option<u16>,
    only_user: Option<&str>,
    details: &dyn Fn(&str) -> Option<UserDetails>,
) -> Vec<ReviewLine> {
    let needle = q.search.trim().to_lowercase();
    let mut lines: Vec<ReviewLine> = rows
        .iter()
        .filter(|r| match only_user {
            Some(u) => r.user.eq_ignore_ascii_case(u),
            None => needle.is_empty() || r.user.to_lowercase().contains(&needle),
        })
        .map(|r| {
            let details = details(&r.user);
            let mut assessment = assess(r, now, q.key_age_days, password_max_age);
            if let Some(why) = details.as_ref().and_then(UserDetails::exposure) {
                assessment.verdict = Verdict::Exposed;
                assessment.findings.insert(0, why);
            }
            ReviewLine { assessment, details, row: r.clone() }
        })
        .filter(|l| q.filter.keeps(&l.assessment, l.details.as_ref()))
        .collect();
    lines.sort_by(|a, b| {
        let order = sort_value(a, q.sort).cmp(&sort_value(b, q.sort));
        let order = if q.descending { order.reverse() } else { order };
        order.then_with(|| a.row.user.to_lowercase().cmp(&b.row.user.to_lowercase()))
    });
    lines
}

/// The table as CSV (what the page shows, all matching rows, formula-safe cells).
pub fn lines_csv(lines: &[ReviewLine]) -> String {
    let fmt = |t: Option<OffsetDateTime>| t.and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default();
    let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let mut out = String::from(
        "user,path,password_enabled,password_age_days,password_last_used,mfa_active,mfa_devices,key_1_id,key_1_active,key_1_age_days,key_1_last_used,key_1_last_used_service,key_2_id,key_2_active,key_2_age_days,key_2_last_used,key_2_last_used_service,active_key_age_days,ssh_keys,git_credentials,mfa_device_types,service_credentials,signing_certificates,quarantined,verdict,findings\r\n",
    );
    for l in lines {
        let (r, a) = (&l.row, &l.assessment);
        // Empty while the per-user details are still being read.
        let count = |f: fn(&UserDetails) -> Option<u16>| l.details.as_ref().and_then(f).map(|n| n.to_string()).unwrap_or_default();
        let mut cells = vec![
            r.user.clone(),
            r.path.clone(),
            r.password_enabled.to_string(),
            num(a.password_age_days),
            fmt(r.password_last_used),
            r.mfa_active.to_string(),
            count(|d| d.mfa_devices),
        ];
        for i in 0..2 {
            let k = &r.keys[i];
            cells.extend([
                l.details.as_ref().and_then(|d| d.key_ids[i].clone()).unwrap_or_default(),
                if k.present { k.active.to_string() } else { String::new() },
                num(a.key_age_days[i]),
                fmt(k.last_used),
                k.last_used_service.clone().unwrap_or_default(),
            ]);
        }
        cells.extend([
            num(a.active_key_age_days),
            count(|d| d.ssh_keys),
            count(|d| d.git_credentials),
            l.details.as_ref().map(|d| d.mfa_by_type.join("; ")).unwrap_or_default(),
            l.details.as_ref().filter(|d| d.service_credentials.is_some()).map(UserDetails::services_summary).unwrap_or_default(),
            count(|d| d.signing_certs),
            l.details.as_ref().and_then(|d| d.quarantined).map(|q| q.to_string()).unwrap_or_default(),
            a.verdict.label().to_owned(),
            a.findings.join(" "),
        ]);
        out.push_str(&csv_report_cell_row(&cells));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

    fn report() -> String {
        let header = super::super::CREDENTIAL_REPORT_COLUMNS.join(",");
        [
            header.as_str(),
            "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,no_information,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
            "alice,arn:aws:iam::123456789012:user/alice,2026-01-01T00:00:00+00:00,true,2026-11-20T00:00:00+00:00,2026-10-01T00:00:00+00:00,N/A,true,true,2026-11-01T00:00:00+00:00,2026-11-22T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
            "bob,arn:aws:iam::123456789012:user/eng/bob,2025-01-01T00:00:00+00:00,true,no_information,2025-01-01T00:00:00+00:00,N/A,false,true,2025-06-01T00:00:00+00:00,N/A,N/A,N/A,true,2026-11-20T00:00:00+00:00,2026-11-21T00:00:00+00:00,eu-west-1,iam,false,N/A,false,N/A",
            "ci-bot,arn:aws:iam::123456789012:user/ci-bot,2025-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,2026-08-01T00:00:00+00:00,2026-09-01T00:00:00+00:00,us-east-1,sts,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
        ]
        .join("\n")
    }

    #[test]
    fn parses_the_report_by_column_name_and_skips_root() {
        let rows = parse_report(&report()).unwrap();
        assert_eq!(rows.iter().map(|r| r.user.as_str()).collect::<Vec<_>>(), ["alice", "bob", "ci-bot"]);
        assert_eq!(rows[1].path, "/eng/");
        assert!(rows[1].keys[0].present && rows[1].keys[0].active && rows[1].keys[0].last_used.is_none());
        assert_eq!(rows[0].keys[0].last_used_service.as_deref(), Some("s3"));
        assert!(!rows[0].keys[1].present);
        assert!(parse_report("user,arn\nalice").unwrap_err().contains("password_enabled"));
    }

    #[test]
    fn assessments_name_each_finding() {
        let rows = parse_report(&report()).unwrap();
        let a = |i: usize| assess(&rows[i], NOW, 90, Some(90));
        assert_eq!(a(0).verdict, Verdict::Ok, "{:?}", a(0).findings);
        let bob = a(1);
        assert_eq!(bob.verdict, Verdict::AtRisk);
        assert!(bob.old_key && bob.never_used_key && bob.unused_key && bob.console_without_mfa && bob.old_password, "{bob:?}");
        assert_eq!(bob.active_key_age_days, Some(540));
        let bot = a(2);
        assert!(bot.unused_key && bot.old_key && !bot.console_without_mfa && bot.password_age_days.is_none(), "{bot:?}");
        assert!(!assess(&rows[2], NOW, 200, None).old_key, "the age limit is the query's");
    }

    #[test]
    fn filters_search_and_sorting() {
        let rows = parse_report(&report()).unwrap();
        let q = |f: &str, sort: &str, desc: bool, search: &str| ReviewQuery {
            filter: Filter::parse(f),
            sort: SortKey::parse(sort),
            descending: desc,
            search: search.into(),
            ..ReviewQuery::default()
        };
        let users = |l: Vec<ReviewLine>| l.into_iter().map(|l| l.row.user).collect::<Vec<_>>();
        assert_eq!(users(select(&rows, &q("no-mfa", "user", false, ""), NOW, Some(90), None, &|_| None)), ["bob"]);
        assert_eq!(users(select(&rows, &q("unused", "user", true, ""), NOW, Some(90), None, &|_| None)), ["ci-bot", "bob"]);
        assert_eq!(users(select(&rows, &q("all", "active-key-age", true, ""), NOW, Some(90), None, &|_| None)), ["bob", "ci-bot", "alice"]);
        assert_eq!(users(select(&rows, &q("all", "user", false, "AL"), NOW, Some(90), None, &|_| None)), ["alice"]);
        assert_eq!(
            users(select(&rows, &q("all", "user", false, "zzz"), NOW, Some(90), Some("BOB"), &|_| None)),
            ["bob"],
            "a key owner overrides the text"
        );
        assert_eq!(Filter::parse("nonsense"), Filter::All);
        for (k, id) in SortKey::ALL {
            assert_eq!(SortKey::parse(id), k);
        }
    }

    #[test]
    fn csv_export_is_formula_safe() {
        let mut rows = parse_report(&report()).unwrap();
        rows[0].user = "=HYPERLINK(\"x\")".into();
        let csv = lines_csv(&select(&rows, &ReviewQuery::default(), NOW, None, None, &|_| None));
        assert!(csv.starts_with("user,path,password_enabled"));
        assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{csv}");
        assert_eq!(csv.lines().count(), 4);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!([0, 999, 1000, 10000, 1234567].map(group_thousands), ["0", "999", "1,000", "10,000", "1,234,567"]);
    }

    #[test]
    fn listed_keys_go_to_the_report_slot_with_their_creation_time() {
        let rows = parse_report(&report()).unwrap();
        let bob = &rows[1];
        let k1 = ("AKIAOLDER00000000001".to_owned(), datetime!(2025-06-01 00:00:00.4 UTC));
        let k2 = ("AKIANEWER00000000002".to_owned(), datetime!(2026-11-20 00:00 UTC));
        let ids = slot_key_ids(bob, &[k2.clone(), k1.clone()]);
        assert_eq!(ids, [Some(k1.0.clone()), Some(k2.0.clone())], "matched by the second, whatever the listing order");
        // A key created after the report: no slot claims it by time; it fills a present slot only.
        let alice = &rows[0];
        let ids = slot_key_ids(alice, &[("AKIAAFTER00000000003".into(), datetime!(2026-11-22 00:00 UTC))]);
        assert_eq!(ids, [Some("AKIAAFTER00000000003".to_owned()), None]);
        assert_eq!(slot_key_ids(&rows[2], &[]), [None, None]);
    }

    /// Review M2: a user AWS quarantined, or whose key the help desk holds, is "Exposed" whatever else
    /// the report says, with the reason first.
    #[test]
    fn a_leaked_key_makes_the_user_exposed() {
        let rows = parse_report(&report()).unwrap();
        let q = ReviewQuery::default();
        let held =
            |u: &str| (u == "alice").then(|| UserDetails { held_keys: vec!["AKIAALICE00000000001".into()], ..UserDetails::default() });
        let lines = select(&rows, &q, NOW, Some(90), None, &held);
        let alice = lines.iter().find(|l| l.row.user == "alice").unwrap();
        assert_eq!(alice.assessment.verdict, Verdict::Exposed);
        assert!(alice.assessment.findings[0].contains("AKIAALICE00000000001"), "{:?}", alice.assessment.findings);
        let quarantined = |u: &str| (u == "bob").then(|| UserDetails { quarantined: Some(true), ..UserDetails::default() });
        let lines = select(&rows, &q, NOW, Some(90), None, &quarantined);
        assert_eq!(lines.iter().find(|l| l.row.user == "bob").unwrap().assessment.verdict, Verdict::Exposed);
        assert!(lines.iter().filter(|l| l.row.user != "bob").all(|l| l.assessment.verdict != Verdict::Exposed));
    }

    #[test]
    fn details_fill_the_export_and_sort_the_count_columns() {
        let rows = parse_report(&report()).unwrap();
        let details = |u: &str| match u {
            "alice" => Some(UserDetails {
                key_ids: [Some("AKIAALICE00000000001".into()), None],
                mfa_devices: Some(2),
                ssh_keys: Some(1),
                git_credentials: Some(0),
                mfa_by_type: vec!["virtual alice-phone".into(), "hardware GAHT10000001".into()],
                service_credentials: Some(vec![("keyspaces".into(), 1), ("bedrock".into(), 2)]),
                signing_certs: Some(1),
                quarantined: Some(true),
                held_keys: vec![],
            }),
            "bob" => Some(UserDetails { ssh_keys: Some(3), git_credentials: Some(2), quarantined: Some(false), ..UserDetails::default() }),
            _ => None,
        };
        let q = ReviewQuery { sort: SortKey::SshKeys, descending: true, ..ReviewQuery::default() };
        let lines = select(&rows, &q, NOW, None, None, &details);
        assert_eq!(lines.iter().map(|l| l.row.user.as_str()).collect::<Vec<_>>(), ["bob", "alice", "ci-bot"], "unknown counts sort last");
        let csv = lines_csv(&lines);
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let alice: Vec<&str> = csv.lines().find(|l| l.starts_with("alice")).unwrap().split(',').collect();
        let cell = |name: &str| alice[header.iter().position(|h| *h == name).unwrap()];
        assert_eq!(
            (cell("key_1_id"), cell("mfa_devices"), cell("ssh_keys"), cell("git_credentials")),
            ("AKIAALICE00000000001", "2", "1", "0")
        );
        assert_eq!(
            (cell("mfa_device_types"), cell("service_credentials"), cell("signing_certificates"), cell("quarantined")),
            ("virtual alice-phone; hardware GAHT10000001", "keyspaces 1; bedrock 2", "1", "true"),
            "every credential kind"
        );
        let quarantined = ReviewQuery { filter: Filter::Quarantined, ..ReviewQuery::default() };
        let only: Vec<String> = select(&rows, &quarantined, NOW, None, None, &details).into_iter().map(|l| l.row.user).collect();
        assert_eq!(only, ["alice"], "the quarantine filter keeps known-quarantined users only");
        let bot: Vec<&str> = csv.lines().find(|l| l.starts_with("ci-bot")).unwrap().split(',').collect();
        assert_eq!(bot[header.iter().position(|h| *h == "ssh_keys").unwrap()], "", "not yet known is empty, not 0");
        assert_eq!(csv.lines().find(|l| l.starts_with("bob")).unwrap().split(',').nth(6), Some(""), "unlistable is empty, not 0");
    }

    #[test]
    fn the_query_string_round_trips() {
        let q = ReviewQuery {
            search: "a b&c".into(),
            filter: Filter::NoMfa,
            key_age_days: 30,
            sort: SortKey::Verdict,
            descending: true,
            page: 2,
        };
        let qs = q.to_query_string();
        let get =
            |k: &str| qs.split('&').find_map(|kv| kv.strip_prefix(&format!("{k}="))).map(|v| v.replace("%20", " ").replace("%26", "&"));
        let back = ReviewQuery::from_params(
            get("search").as_deref(),
            get("filter").as_deref(),
            get("age").as_deref(),
            get("sort").as_deref(),
            get("desc").as_deref(),
            get("page").as_deref(),
        );
        assert_eq!(back, q);
        assert_eq!(ReviewQuery::from_params(None, Some("x"), Some("0"), Some("?"), None, Some("-1")), ReviewQuery::default());
    }

    proptest::proptest! {
        #[test]
        fn every_filter_keeps_a_subset_sorted_by_the_key(f in 0usize..7, s in 0usize..14, desc: bool) {
            let rows = parse_report(&report()).unwrap();
            let q = ReviewQuery { filter: Filter::ALL[f].0, sort: SortKey::ALL[s].0, descending: desc, ..ReviewQuery::default() };
            let lines = select(&rows, &q, NOW, Some(90), None, &|u| (u == "bob").then(|| UserDetails { ssh_keys: Some(2), ..UserDetails::default() }));
            proptest::prop_assert!(lines.len() <= rows.len());
            for w in lines.windows(2) {
                let (a, b) = (sort_value(&w[0], q.sort), sort_value(&w[1], q.sort));
                let ordered = if desc { a >= b } else { a <= b };
                proptest::prop_assert!(ordered, "out of order");
            }
        }
    }
}
