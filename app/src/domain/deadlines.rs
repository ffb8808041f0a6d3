//! Access-key deadlines: the organisation's maximum key age, the reminder stages before it, the grace
//! for idle inactive keys, and what happens at the deadline. Pure rules, shared by the user's page (the
//! deadline and stage beside each key), the admin page and the server's reminder job.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

pub use super::limits::{IDLE_AFTER_DAYS, ROTATE_AFTER_DAYS};

/// What keydesk does when an active key reaches its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Enforcement {
    /// Tell the owner (once) that the key is overdue; leave it active.
    Notify,
    /// Deactivate the key, audit it, and tell the owner.
    Deactivate,
}

impl Enforcement {
    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Notify => "notify",
            Enforcement::Deactivate => "deactivate",
        }
    }
}

/// The organisation policy for long-lived access keys (configuration; read-only in the portal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPolicy {
    pub max_age_days: u32,
    /// Days before the deadline at which a reminder goes out, most distant first (e.g. 14, 7, 1).
    pub reminder_days: Vec<u32>,
    /// An inactive key unused for this many days: keydesk suggests deleting it.
    pub inactive_grace_days: u32,
    pub enforcement: Enforcement,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        KeyPolicy {
            max_age_days: ROTATE_AFTER_DAYS as u32,
            reminder_days: vec![14, 7, 1],
            inactive_grace_days: 30,
            enforcement: Enforcement::Notify,
        }
    }
}

/// Where an active key stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// Further from the deadline than the first reminder.
    OnTrack,
    /// Within this many days of the deadline (one of the policy's reminder stages).
    Reminder(u32),
    /// At or past the deadline.
    Overdue,
    /// An administrator exempted the owner until this instant.
    Exempt(OffsetDateTime),
}

impl Stage {
    /// The identifier under which this stage's reminder is recorded (once per key, ever), if it has one.
    pub fn reminder_id(self) -> Option<String> {
        match self {
            Stage::Reminder(d) => Some(format!("remind-{d}")),
            Stage::Overdue => Some("overdue".to_owned()),
            Stage::OnTrack | Stage::Exempt(_) => None,
        }
    }
}

/// One active key's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDeadline {
    pub due: OffsetDateTime,
    /// Whole days left, rounded up (a key due in 13.5 days has 14 left); 0 or less: overdue.
    pub days_left: i64,
    pub stage: Stage,
}

impl KeyPolicy {
    /// Check the policy's values, with a message naming the setting at fault.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=3650).contains(&self.max_age_days) {
            return Err(format!("the maximum key age must be 1 to 3650 days, not {}", self.max_age_days));
        }
        if self.reminder_days.iter().any(|d| *d == 0 || *d >= self.max_age_days) {
            return Err(format!("each reminder stage must be 1 to {} days before the deadline", self.max_age_days - 1));
        }
        if self.reminder_days.windows(2).any(|w| w[0] <= w[1]) {
            return Err("list the reminder stages from the most distant to the nearest, without repeats (e.g. 14,7,1)".into());
        }
        if !(1..=3650).contains(&self.inactive_grace_days) {
            return Err(format!("the grace for inactive keys must be 1 to 3650 days, not {}", self.inactive_grace_days));
        }
        Ok(())
    }

    /// The deadline of an active key created at `created_at`, seen at `now`; `exempt_until` is the
    /// owner's exemption, if any.
    pub fn deadline(&self, created_at: OffsetDateTime, now: OffsetDateTime, exempt_until: Option<OffsetDateTime>) -> KeyDeadline {
        let due = created_at + Duration::days(i64::from(self.max_age_days));
        let days_left = days_until(due, now);
        let stage = match exempt_until {
            Some(until) if until > now => Stage::Exempt(until),
            _ if days_left <= 0 => Stage::Overdue,
            _ => self.reminder_days.iter().rev().find(|d| days_left <= i64::from(**d)).map_or(Stage::OnTrack, |d| Stage::Reminder(*d)),
        };
        KeyDeadline { due, days_left, stage }
    }

    /// Whether an inactive key last used (or created) at `idle_since` should be suggested for deletion.
    pub fn suggest_deletion(&self, idle_since: OffsetDateTime, now: OffsetDateTime) -> bool {
        (now - idle_since).whole_days() >= i64::from(self.inactive_grace_days)
    }

    /// The policy in one sentence, for the admin page and notices.
    pub fn describe(&self) -> String {
        let stages = self.reminder_days.iter().map(|d| format!("{d}")).collect::<Vec<_>>().join(", ");
        let at_deadline = match self.enforcement {
            Enforcement::Notify => "the owner is told the key is overdue",
            Enforcement::Deactivate => "keydesk deactivates the key and tells the owner",
        };
        format!(
            "Access keys must be rotated every {} days. Reminders go out {stages} days before the deadline; at the deadline {at_deadline}. Inactive keys unused for {} days are suggested for deletion.",
            self.max_age_days, self.inactive_grace_days
        )
    }
}

/// Parse `14,7,1` into reminder stages (the order is checked by [`KeyPolicy::validate`]).
pub fn parse_stages(s: &str) -> Result<Vec<u32>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<u32>().map_err(|_| format!("{p:?} is not a number of days")))
        .collect()
}

/// The last 4 characters of a key id, as e-mails and notices show it ("…WXYZ").
/// Whole days from `now` until `due`, rounded up (a deadline 30 days away reads "30" until it is
/// 29 days away, and 0 or less once reached).
pub fn days_until(due: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let secs = (due - now).whole_seconds();
    secs.div_euclid(86_400) + i64::from(secs.rem_euclid(86_400) > 0)
}

pub fn last4(id: &str) -> String {
    let tail: String = id.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn stages_follow_the_days_left_rounded_up() {
        let p = KeyPolicy::default();
        let created = datetime!(2026-01-01 12:00 UTC);
        let at = |days: i64, hours: i64| p.deadline(created, created + Duration::days(days) + Duration::hours(hours), None);
        assert_eq!(at(0, 0).due, datetime!(2026-04-01 12:00 UTC));
        assert_eq!(at(0, 0).stage, Stage::OnTrack);
        assert_eq!((at(75, 0).days_left, at(75, 0).stage), (15, Stage::OnTrack));
        assert_eq!((at(76, 0).days_left, at(76, 0).stage), (14, Stage::Reminder(14)));
        assert_eq!((at(76, 12).days_left, at(76, 12).stage), (14, Stage::Reminder(14)), "13.5 days left is 14");
        assert_eq!((at(82, 23).days_left, at(82, 23).stage), (8, Stage::Reminder(14)));
        assert_eq!(at(83, 0).stage, Stage::Reminder(7));
        assert_eq!(at(89, 0).stage, Stage::Reminder(1));
        assert_eq!((at(90, 0).days_left, at(90, 0).stage), (0, Stage::Overdue));
        assert_eq!(at(200, 0).stage, Stage::Overdue);
        let until = created + Duration::days(100);
        assert_eq!(p.deadline(created, created + Duration::days(95), Some(until)).stage, Stage::Exempt(until));
        assert_eq!(p.deadline(created, created + Duration::days(101), Some(until)).stage, Stage::Overdue, "exemptions end");
        assert_eq!(Stage::Reminder(7).reminder_id().as_deref(), Some("remind-7"));
    }

    #[test]
    fn policies_are_validated_and_stages_parsed() {
        assert!(KeyPolicy::default().validate().is_ok());
        let with = |days: &[u32]| KeyPolicy { reminder_days: days.to_vec(), ..KeyPolicy::default() }.validate();
        assert!(with(&[1, 7]).unwrap_err().contains("most distant"));
        assert!(with(&[7, 7]).is_err());
        assert!(with(&[90]).unwrap_err().contains("1 to 89"));
        assert!(with(&[]).is_ok(), "no reminders: only the deadline");
        assert_eq!(parse_stages("14, 7,1").unwrap(), vec![14, 7, 1]);
        assert!(parse_stages("14,x").unwrap_err().contains("\"x\""));
        assert_eq!(last4("AKIAIOSFODNN7EXAMPLE"), "…MPLE");
    }

    #[test]
    fn idle_inactive_keys_are_suggested_after_the_grace() {
        let p = KeyPolicy::default();
        let t = datetime!(2026-01-01 00:00 UTC);
        assert!(!p.suggest_deletion(t, t + Duration::days(29)));
        assert!(p.suggest_deletion(t, t + Duration::days(30)));
    }
}
