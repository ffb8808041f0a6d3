//! A leaked access key's case, as the help desk works it: deactivate the key now, tell the owner and
//! guide them to a replacement, delete the leaked key once the replacement is in use, then lift the
//! quarantine AWS put on the user (`AWSCompromisedKeyQuarantineV3`). Where the case stands is computed
//! from IAM's state and the audit log, so it is the same on every instance and after a restart.

use super::{KeyLastUsed, Status};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeakStep {
    Deactivate,
    Notify,
    Replace,
    Delete,
    Detach,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepState {
    Done,
    /// The step to take now.
    Next,
    /// Waiting on someone else (the owner's replacement), or on an earlier step.
    Waiting,
    /// Does not apply (no quarantine, or IAM would not say).
    NotNeeded,
}

/// Everything the triage page knows about one leaked key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakCase {
    pub key_id: String,
    /// `None` once the key is deleted.
    pub status: Option<Status>,
    pub last_used: Option<KeyLastUsed>,
    /// When the owner was told (the help desk's "notify" step), if they were.
    #[serde(with = "time::serde::rfc3339::option")]
    pub notified_at: Option<OffsetDateTime>,
    /// A key of the owner's created after the leaked one and used since: the replacement.
    pub replacement: Option<String>,
    /// Whether AWS quarantined the owner; `None` when IAM would not say.
    pub quarantined: Option<bool>,
}

impl LeakStep {
    pub fn title(self) -> &'static str {
        match self {
            LeakStep::Deactivate => "Deactivate the leaked key now",
            LeakStep::Notify => "Tell the owner and guide them to a replacement",
            LeakStep::Replace => "The owner creates a replacement and uses it",
            LeakStep::Delete => "Delete the leaked key",
            LeakStep::Detach => "Lift the AWS quarantine",
        }
    }
}

impl LeakCase {
    fn deactivated(&self) -> bool {
        !matches!(self.status, Some(Status::Active))
    }

    fn deleted(&self) -> bool {
        self.status.is_none()
    }

    /// Each step and its state, in order. Deleting waits for the replacement to be used (the owner's
    /// work must not break a second time); lifting the quarantine waits for the deletion.
    pub fn steps(&self) -> Vec<(LeakStep, StepState)> {
        use StepState::*;
        let deactivate = if self.deactivated() { Done } else { Next };
        let notify = match (self.notified_at.is_some(), self.deactivated()) {
            (true, _) => Done,
            (false, true) => Next,
            (false, false) => Waiting,
        };
        let replace = if self.replacement.is_some() || self.deleted() { Done } else { Waiting };
        let delete = match (self.deleted(), self.deactivated() && self.replacement.is_some()) {
            (true, _) => Done,
            (false, true) => Next,
            (false, false) => Waiting,
        };
        let detach = match self.quarantined {
            None => NotNeeded,
            Some(false) if self.deleted() => Done,
            Some(false) => NotNeeded,
            Some(true) if self.deleted() => Next,
            Some(true) => Waiting,
        };
        let mut steps = vec![
            (LeakStep::Deactivate, deactivate),
            (LeakStep::Notify, notify),
            (LeakStep::Replace, replace),
            (LeakStep::Delete, delete),
            (LeakStep::Detach, detach),
        ];
        // Only one step is "next": the first of them.
        let mut seen = false;
        for (_, s) in &mut steps {
            if *s == Next {
                if seen {
                    *s = Waiting;
                }
                seen = true;
            }
        }
        steps
    }

    /// Where the case stands, in one sentence.
    pub fn summary(&self) -> String {
        match self.steps().into_iter().find(|(_, s)| *s == StepState::Next) {
            Some((step, _)) => format!("Next: {}.", step.title().to_lowercase()),
            None if self.steps().iter().any(|(_, s)| *s == StepState::Waiting) => {
                "Waiting for the owner to create a replacement key and use it.".to_owned()
            }
            None => "Closed: the leaked key is gone and nothing is left to do.".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StepState::*;

    fn case() -> LeakCase {
        LeakCase {
            key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            status: Some(Status::Active),
            last_used: None,
            notified_at: None,
            replacement: None,
            quarantined: Some(true),
        }
    }

    fn states(c: &LeakCase) -> Vec<StepState> {
        c.steps().into_iter().map(|(_, s)| s).collect()
    }

    #[test]
    fn the_case_moves_step_by_step_with_one_next_step() {
        let mut c = case();
        assert_eq!(states(&c), [Next, Waiting, Waiting, Waiting, Waiting]);
        c.status = Some(Status::Inactive);
        assert_eq!(states(&c), [Done, Next, Waiting, Waiting, Waiting]);
        c.notified_at = Some(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(states(&c), [Done, Done, Waiting, Waiting, Waiting]);
        assert!(c.summary().contains("Waiting for the owner"), "{}", c.summary());
        c.replacement = Some("AKIANEWKEY0000000001".into());
        assert_eq!(states(&c), [Done, Done, Done, Next, Waiting]);
        c.status = None;
        assert_eq!(states(&c), [Done, Done, Done, Done, Next]);
        assert!(c.summary().contains("lift the aws quarantine"), "{}", c.summary());
        c.quarantined = Some(false);
        assert_eq!(states(&c), [Done, Done, Done, Done, Done]);
        assert!(c.summary().starts_with("Closed"));
    }

    #[test]
    fn without_a_quarantine_the_last_step_does_not_apply() {
        let mut c = case();
        c.quarantined = Some(false);
        assert_eq!(states(&c)[4], NotNeeded);
        c.quarantined = None;
        c.status = None;
        assert_eq!(states(&c), [Done, Next, Done, Done, NotNeeded], "deleted before anyone was told: tell them still");
    }
}
