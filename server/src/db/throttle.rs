//! Sign-in throttling in the portal database, so every instance sees the same counts (SECURITY.md G10).
//!
//! - **Per account name** (as typed, lower-cased and hashed, existing or not): the first [`FREE_FAILURES`]
//!   consecutive failures cost nothing; from then on each failure blocks the name for twice as long as the
//!   one before, from 1 s up to [`MAX_BACKOFF_SECS`]. That evaluates at most ~20 wrong passwords per
//!   account per hour. A success clears the count; a day without attempts forgets it.
//! - **Per client address:** at most [`IP_MAX_FAILURES`] failures per [`IP_WINDOW_SECS`], whichever
//!   accounts they were for.
//!
//! Every attempt is counted *before* its password is checked (and given back on success), with a
//! compare-and-swap on the row, so fifty concurrent guesses get the same treatment as fifty in a row.

use super::{Db, DbError};

/// Consecutive failures an account name gets before back-off starts.
pub const FREE_FAILURES: i64 = 5;
/// The longest back-off (15 minutes).
pub const MAX_BACKOFF_SECS: i64 = 15 * 60;
/// Failures forgotten after this long without an attempt.
pub const FORGET_AFTER_SECS: i64 = 24 * 3600;
/// Failures one client address may have per window.
pub const IP_MAX_FAILURES: i64 = 100;
pub const IP_WINDOW_SECS: i64 = 10 * 60;

/// How long `failures` consecutive failures block an account name after the last of them.
pub fn backoff_secs(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        0
    } else {
        1i64.checked_shl((failures - FREE_FAILURES).min(30) as u32).unwrap_or(i64::MAX).min(MAX_BACKOFF_SECS)
    }
}

/// The answer to "may this attempt be evaluated?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Go ahead; the attempt is counted as this many consecutive failures until it succeeds.
    Counted(i64),
    /// Refused without evaluating; try again in this many seconds.
    Blocked(i64),
}

#[derive(Debug, Clone, Copy)]
struct Row {
    failures: i64,
    first_at: i64,
    last_at: i64,
    blocked_until: i64,
}

/// A subject's throttle state, as the help desk sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: i64,
    pub blocked_until: i64,
    pub last_at: i64,
}

/// The row of an account name as typed. Hashed, because people type their password into the user-name
/// field: what they typed must not sit in the database (and it keeps the key short however long the
/// input). The same name, however cased or padded, always gives the same row.
pub fn account_subject(typed: &str) -> String {
    hashed_subject("user", typed)
}

fn hashed_subject(prefix: &str, name: &str) -> String {
    use sha2::Digest;
    let normalized = name.trim().to_lowercase();
    format!("{prefix}:{}", data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(normalized.as_bytes())))
}

/// The row of a signed-in person's own password confirmations (step-up, password change): separate from
/// the sign-in row, so anonymous failures cannot freeze a signed-in person's step-up (SECURITY.md L5).
pub fn reauth_subject(user: &str) -> String {
    hashed_subject("reauth", user)
}

/// The row of a client address. An IPv6 client is keyed on its /64: one host commonly holds a whole
/// /64 and could otherwise rotate addresses to dodge the limit (review L4).
pub fn ip_subject(ip: &std::net::IpAddr) -> String {
    match ip.to_canonical() {
        std::net::IpAddr::V4(v4) => format!("ip:{v4}"),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("ip6:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

impl Db {
    /// Forget subjects idle for a day and no longer blocked (review L11: the table stays as small as the
    /// set of names and addresses tried recently). Returns how many rows went.
    pub async fn purge_idle_throttle(&self, now: i64) -> Result<u64, DbError> {
        let res = sqlx::query("DELETE FROM sign_in_throttle WHERE last_at < $1 AND blocked_until < $2")
            .bind(now - FORGET_AFTER_SECS)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected())
    }

    async fn throttle_row(&self, subject: &str) -> Result<Option<Row>, DbError> {
        let row: Option<(i64, i64, i64, i64)> =
            sqlx::query_as("SELECT failures, first_at, last_at, blocked_until FROM sign_in_throttle WHERE subject = $1")
                .bind(subject)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(failures, first_at, last_at, blocked_until)| Row { failures, first_at, last_at, blocked_until }))
    }

    /// Replace `old` with `new` if nobody changed the row meanwhile (insert when `old` is `None`).
    async fn swap_throttle(&self, subject: &str, old: Option<Row>, new: Row) -> Result<bool, DbError> {
        let sql = match old {
            None => {
                "INSERT INTO sign_in_throttle (subject, failures, first_at, last_at, blocked_until) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (subject) DO NOTHING"
            }
            Some(_) => {
                "UPDATE sign_in_throttle SET failures = $2, first_at = $3, last_at = $4, blocked_until = $5
                 WHERE subject = $1 AND failures = $6 AND last_at = $7"
            }
        };
        let mut query = sqlx::query(sql).bind(subject).bind(new.failures).bind(new.first_at).bind(new.last_at).bind(new.blocked_until);
        if let Some(old) = old {
            query = query.bind(old.failures).bind(old.last_at);
        }
        Ok(query.execute(&self.pool).await?.rows_affected() == 1)
    }

    /// Count one attempt for `subject` under `rule` (old row or none, now) -> new row or the wait.
    async fn admit(&self, subject: &str, rule: impl Fn(Option<Row>) -> Result<Row, i64>) -> Result<Admission, DbError> {
        // A lost race means another attempt was counted first: read again. Bounded, then refuse briefly.
        for _ in 0..16 {
            let old = self.throttle_row(subject).await?;
            let new = match rule(old) {
                Ok(new) => new,
                Err(wait) => return Ok(Admission::Blocked(wait.max(1))),
            };
            if self.swap_throttle(subject, old, new).await? {
                return Ok(Admission::Counted(new.failures));
            }
        }
        Ok(Admission::Blocked(1))
    }

    /// Count a sign-in (or password confirmation) attempt for an account name.
    pub async fn admit_account_attempt(&self, subject: &str, now: i64) -> Result<Admission, DbError> {
        self.admit(subject, |old| {
            let old = old.filter(|r| now - r.last_at < FORGET_AFTER_SECS);
            match old {
                Some(r) if r.blocked_until > now => Err(r.blocked_until - now),
                Some(r) => {
                    let failures = r.failures + 1;
                    Ok(Row { failures, first_at: r.first_at, last_at: now, blocked_until: now + backoff_secs(failures) })
                }
                None => Ok(Row { failures: 1, first_at: now, last_at: now, blocked_until: now + backoff_secs(1) }),
            }
        })
        .await
    }

    /// Count a sign-in attempt from a client address.
    pub async fn admit_ip_attempt(&self, subject: &str, now: i64) -> Result<Admission, DbError> {
        self.admit(subject, |old| match old.filter(|r| now - r.first_at < IP_WINDOW_SECS) {
            Some(r) if r.failures >= IP_MAX_FAILURES => Err(r.first_at + IP_WINDOW_SECS - now),
            Some(r) => Ok(Row { failures: r.failures + 1, last_at: now, ..r }),
            None => Ok(Row { failures: 1, first_at: now, last_at: now, blocked_until: 0 }),
        })
        .await
    }

    /// A successful sign-in: the account name's failures are forgotten.
    pub async fn clear_throttle(&self, subject: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sign_in_throttle WHERE subject = $1").bind(subject).execute(&self.pool).await?;
        Ok(())
    }

    /// A successful sign-in from an address: its counted attempt is given back.
    pub async fn give_back_ip_attempt(&self, subject: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE sign_in_throttle SET failures = failures - 1 WHERE subject = $1 AND failures > 0")
            .bind(subject)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The state of an account name, for the help desk (`None`: no recent failures).
    pub async fn throttle_state(&self, subject: &str, now: i64) -> Result<Option<ThrottleState>, DbError> {
        Ok(self.throttle_row(subject).await?.filter(|r| now - r.last_at < FORGET_AFTER_SECS && r.failures > 0).map(|r| ThrottleState {
            failures: r.failures,
            blocked_until: r.blocked_until,
            last_at: r.last_at,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_the_fifth_failure_and_caps_at_fifteen_minutes() {
        assert_eq!((1..=4).map(backoff_secs).collect::<Vec<_>>(), [0, 0, 0, 0]);
        assert_eq!((5..=10).map(backoff_secs).collect::<Vec<_>>(), [1, 2, 4, 8, 16, 32]);
        assert_eq!(backoff_secs(15), 900);
        assert_eq!(backoff_secs(1000), 900);
    }

    /// The most wrong passwords one account name can have evaluated in an hour, attacking as fast as the
    /// back-off allows: under SECURITY.md's 100.
    #[test]
    fn at_most_a_few_dozen_evaluations_per_account_per_hour() {
        let (mut t, mut n) = (0i64, 0i64);
        while t < 3600 {
            n += 1;
            t += backoff_secs(n);
        }
        assert!(n <= 100, "{n} evaluations in an hour");
        assert!(n <= 25, "{n}");
    }
}
