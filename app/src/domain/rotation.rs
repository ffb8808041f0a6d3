//! The guided "rotate without downtime" flow (AWS's documented procedure), as a pure function of the
//! keys as IAM lists them plus two confirmations the person gives. Nothing is stored: reloading the
//! page (`?rotate=<old key id>&watched=1&verified=1`) shows the same step.

use super::credentials::{AccessKeyId, AccessKeySummary, KeyLastUsed};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Create the second key (the old one keeps working meanwhile).
    CreateNew,
    /// Put the new key into every application; watch the old key's last use until it stops changing.
    UpdateAndWatch,
    /// Deactivate the old key (reversible).
    Deactivate,
    /// Check nothing broke; reactivate in one click if something did.
    Verify,
    /// Delete the old key for good.
    Delete,
}

pub const STEPS: [(Step, &str); 5] = [
    (Step::CreateNew, "Create a new access key"),
    (Step::UpdateAndWatch, "Update your applications and watch the old key's last use"),
    (Step::Deactivate, "Deactivate the old key"),
    (Step::Verify, "Check that nothing broke"),
    (Step::Delete, "Delete the old key"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// At `step`; `new_key` once there is one.
    At { step: Step, new_key: Option<AccessKeyId> },
    /// A new key is needed but both slots are taken by other keys.
    Blocked,
    /// The old key is gone: rotation complete.
    Done,
}

/// Where the rotation of `old` stands. `keys` are the user's keys as listed now.
pub fn progress(old: &AccessKeyId, keys: &[(AccessKeySummary, KeyLastUsed)], watched: bool, verified: bool) -> Progress {
    let Some((old_key, _)) = keys.iter().find(|(k, _)| &k.id == old) else { return Progress::Done };
    let new_key =
        keys.iter().find(|(k, _)| &k.id != old && k.created_at >= old_key.created_at && k.status.is_active()).map(|(k, _)| k.id.clone());
    let Some(new_key) = new_key else {
        return if keys.len() >= 2 { Progress::Blocked } else { Progress::At { step: Step::CreateNew, new_key: None } };
    };
    let step = match (old_key.status.is_active(), watched, verified) {
        (true, false, _) => Step::UpdateAndWatch,
        (true, true, _) => Step::Deactivate,
        (false, _, false) => Step::Verify,
        (false, _, true) => Step::Delete,
    };
    Progress::At { step, new_key: Some(new_key) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::credentials::Status;
    use time::macros::datetime;

    fn key(id: &str, status: Status, day: u8) -> (AccessKeySummary, KeyLastUsed) {
        let created_at = datetime!(2026-01-01 00:00 UTC) + time::Duration::days(i64::from(day));
        (AccessKeySummary { id: AccessKeyId::parse(id).unwrap(), status, created_at }, KeyLastUsed::default())
    }

    const OLD: &str = "AKIAOLDOLDOLDOLDOLD1";
    const NEW: &str = "AKIANEWNEWNEWNEWNEW2";
    const OTHER: &str = "AKIAOTHEROTHEROTHER3";

    #[test]
    fn walks_the_aws_procedure() {
        let old = AccessKeyId::parse(OLD).unwrap();
        let new = Some(AccessKeyId::parse(NEW).unwrap());
        let at = |step| Progress::At { step, new_key: new.clone() };
        assert_eq!(progress(&old, &[key(OLD, Status::Active, 0)], false, false), Progress::At { step: Step::CreateNew, new_key: None });
        let both = [key(OLD, Status::Active, 0), key(NEW, Status::Active, 90)];
        assert_eq!(progress(&old, &both, false, false), at(Step::UpdateAndWatch));
        assert_eq!(progress(&old, &both, true, false), at(Step::Deactivate));
        let off = [key(OLD, Status::Inactive, 0), key(NEW, Status::Active, 90)];
        assert_eq!(progress(&old, &off, true, false), at(Step::Verify));
        assert_eq!(progress(&old, &off, true, true), at(Step::Delete));
        assert_eq!(progress(&old, &[key(NEW, Status::Active, 90)], true, true), Progress::Done);
    }

    #[test]
    fn an_older_or_inactive_second_key_is_not_the_replacement() {
        let old = AccessKeyId::parse(OLD).unwrap();
        assert_eq!(progress(&old, &[key(OLD, Status::Active, 10), key(OTHER, Status::Active, 5)], false, false), Progress::Blocked);
        assert_eq!(progress(&old, &[key(OLD, Status::Active, 10), key(OTHER, Status::Inactive, 50)], false, false), Progress::Blocked);
    }
}
