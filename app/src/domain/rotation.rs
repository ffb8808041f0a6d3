//! The guided "rotate without downtime" flow (AWS's documented procedure), as a pure function of the
//! keys as IAM lists them, the replacement the person named, and two confirmations they give. Nothing
//! is stored: reloading the page (`?rotate=<old>&new=<new>&watched=1&verified=1`) shows the same step.
//! A second key that already existed is never taken for the replacement unasked: it may serve
//! something else entirely.

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
    /// No replacement named, and another active key newer than the old one exists: ask whether it is
    /// the replacement.
    Choose { candidate: AccessKeyId },
    /// A new key is needed but both slots are taken by other keys.
    Blocked,
    /// The old key is gone: rotation complete.
    Done,
}

/// Where the rotation of `old` stands. `keys` are the user's keys as listed now; `named` is the key the
/// person said replaces it (created in the guide, or chosen there).
pub fn progress(
    old: &AccessKeyId,
    named: Option<&AccessKeyId>,
    keys: &[(AccessKeySummary, KeyLastUsed)],
    watched: bool,
    verified: bool,
) -> Progress {
    let Some((old_key, _)) = keys.iter().find(|(k, _)| &k.id == old) else { return Progress::Done };
    let replacement = |(k, _): &&(AccessKeySummary, KeyLastUsed)| &k.id != old && k.status.is_active();
    let new_key = named.and_then(|n| keys.iter().filter(replacement).find(|(k, _)| &k.id == n)).map(|(k, _)| k.id.clone());
    let Some(new_key) = new_key else {
        let candidate = keys.iter().filter(replacement).find(|(k, _)| k.created_at >= old_key.created_at);
        return match candidate {
            Some((k, _)) => Progress::Choose { candidate: k.id.clone() },
            None if keys.len() >= 2 => Progress::Blocked,
            None => Progress::At { step: Step::CreateNew, new_key: None },
        };
    };
    let step = match (old_key.status.is_active(), watched, verified) {
        (true, false, _) => Step::UpdateAndWatch,
        (true, true, _) => Step::Deactivate,
        (false, _, false) => Step::Verify,
        (false, _, true) => Step::Delete,
    };
    Progress::At { step, new_key: Some(new_key) }
}

/// Whether the old key was used once the new one existed: then something still uses the old key,
/// whatever the person believes. The same second counts (both times are whole seconds, and a use in
/// the second the new key was made did not come from an application already switched to it).
pub fn old_key_still_used(old_last_used: &KeyLastUsed, new_key: &AccessKeySummary) -> bool {
    old_last_used.at.is_some_and(|at| at >= new_key.created_at)
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
        let named = new.as_ref();
        assert_eq!(
            progress(&old, None, &[key(OLD, Status::Active, 0)], false, false),
            Progress::At { step: Step::CreateNew, new_key: None }
        );
        let both = [key(OLD, Status::Active, 0), key(NEW, Status::Active, 90)];
        assert_eq!(progress(&old, named, &both, false, false), at(Step::UpdateAndWatch));
        assert_eq!(progress(&old, named, &both, true, false), at(Step::Deactivate));
        let off = [key(OLD, Status::Inactive, 0), key(NEW, Status::Active, 90)];
        assert_eq!(progress(&old, named, &off, true, false), at(Step::Verify));
        assert_eq!(progress(&old, named, &off, true, true), at(Step::Delete));
        assert_eq!(progress(&old, named, &[key(NEW, Status::Active, 90)], true, true), Progress::Done);
    }

    #[test]
    fn a_second_key_is_the_replacement_only_when_named() {
        let old = AccessKeyId::parse(OLD).unwrap();
        let other = AccessKeyId::parse(OTHER).unwrap();
        let two = [key(OLD, Status::Active, 0), key(OTHER, Status::Active, 90)];
        assert_eq!(progress(&old, None, &two, false, false), Progress::Choose { candidate: other.clone() });
        assert_eq!(progress(&old, None, &two, true, true), Progress::Choose { candidate: other.clone() }, "no step is skipped unasked");
        assert_eq!(
            progress(&old, Some(&other), &two, false, false),
            Progress::At { step: Step::UpdateAndWatch, new_key: Some(other.clone()) }
        );
        // A named key that is the old one, missing or inactive names nothing.
        assert_eq!(progress(&old, Some(&old), &two, false, false), Progress::Choose { candidate: other.clone() });
        let off = [key(OLD, Status::Active, 0), key(OTHER, Status::Inactive, 90)];
        assert_eq!(progress(&old, Some(&other), &off, false, false), Progress::Blocked);
    }

    #[test]
    fn an_older_or_inactive_second_key_is_not_the_replacement() {
        let old = AccessKeyId::parse(OLD).unwrap();
        assert_eq!(progress(&old, None, &[key(OLD, Status::Active, 10), key(OTHER, Status::Active, 5)], false, false), Progress::Blocked);
        assert_eq!(
            progress(&old, None, &[key(OLD, Status::Active, 10), key(OTHER, Status::Inactive, 50)], false, false),
            Progress::Blocked
        );
    }

    #[test]
    fn use_of_the_old_key_after_the_new_one_was_made_is_noticed() {
        let (_, new) = (key(OLD, Status::Active, 0), key(NEW, Status::Active, 90).0);
        let used =
            |day: i64| KeyLastUsed { at: Some(datetime!(2026-01-01 00:00 UTC) + time::Duration::days(day)), ..KeyLastUsed::default() };
        assert!(old_key_still_used(&used(91), &new));
        assert!(old_key_still_used(&used(90), &new), "the same second counts");
        assert!(!old_key_still_used(&used(89), &new));
        assert!(!old_key_still_used(&KeyLastUsed::default(), &new));
    }
}
