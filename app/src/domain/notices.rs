//! The words of the notices keydesk sends to a person whenever their credentials change (by them, by the
//! help desk, by enforcement) and before a key's deadline. The same text goes into the portal's
//! notification list and the e-mail. Never a secret, and never a full credential id: ids show their last
//! 4 characters.

use super::deadlines::last4;
use super::fmt_utc;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One notice: a title (the e-mail subject) and a body; `link` is a portal path to act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoticeKind {
    Change,
    Reminder,
    Enforcement,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Change => "change",
            NoticeKind::Reminder => "reminder",
            NoticeKind::Enforcement => "enforcement",
        }
    }

    pub fn parse(s: &str) -> NoticeKind {
        match s {
            "reminder" => NoticeKind::Reminder,
            "enforcement" => NoticeKind::Enforcement,
            _ => NoticeKind::Change,
        }
    }
}

/// The prefixes of IAM credential ids that notices shorten (access keys, service credentials, SSH keys).
const ID_PREFIXES: [&str; 4] = ["AKIA", "ASIA", "ACCA", "APKA"];

/// Replace every credential id in `text` by its last 4 characters.
pub fn mask_ids(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let core = word.trim_end_matches(['.', ',', ')', ';']);
            let is_id = core.len() >= 16
                && ID_PREFIXES.iter().any(|p| core.starts_with(p))
                && core.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if is_id {
                format!("{}{}", last4(core), &word[core.len()..])
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a successful audited change means to the credentials' owner, or `None` for steps that change
/// nothing they use (starting or cancelling an MFA enrolment, a resync).
pub fn change_notice(
    action: &str,
    subject: Option<&str>,
    actor: &str,
    by_owner: bool,
    reason: Option<&str>,
    at: OffsetDateTime,
    ask: &str,
) -> Option<Notice> {
    let s = subject.map(mask_ids).unwrap_or_default();
    let (title, what): (&str, String) = match action.strip_prefix("helpdesk.").unwrap_or(action) {
        "access_key.create" => ("A new access key was created", format!("Access key {s} was created for your IAM user")),
        "access_key.activate" => ("An access key was activated", format!("Your access key {s} was activated")),
        "access_key.deactivate" => ("An access key was deactivated", format!("Your access key {s} was deactivated")),
        "access_key.delete" => ("An access key was deleted", format!("Your access key {s} was deleted")),
        "password.change" => ("Your console password was changed", "Your AWS console password was changed".to_owned()),
        "password.reset" => {
            ("Your console password was reset", "Your AWS console password was reset; choose a new one at your next sign-in".to_owned())
        }
        "mfa.enable" => ("An MFA device was enabled", format!("MFA device {s} was enabled for your IAM user")),
        "mfa.remove" => ("An MFA device was removed", format!("MFA device {s} was removed from your IAM user")),
        "git_credential.create" => ("New HTTPS Git credentials", "HTTPS Git credentials for CodeCommit were generated".to_owned()),
        "git_credential.reset" => ("HTTPS Git password reset", format!("The password of your HTTPS Git credential {s} was reset")),
        "git_credential.activate" => ("HTTPS Git credential activated", format!("Your HTTPS Git credential {s} was activated")),
        "git_credential.deactivate" => ("HTTPS Git credential deactivated", format!("Your HTTPS Git credential {s} was deactivated")),
        "git_credential.delete" => ("HTTPS Git credential deleted", format!("Your HTTPS Git credential {s} was deleted")),
        "service_credential.create" => {
            ("New service credentials", format!("Service-specific credentials {s} were generated for your IAM user"))
        }
        "service_credential.reset" => {
            ("Service credential reset", format!("The password or secret of your service credential {s} was reset"))
        }
        "service_credential.activate" => ("Service credential activated", format!("Your service credential {s} was activated")),
        "service_credential.deactivate" => ("Service credential deactivated", format!("Your service credential {s} was deactivated")),
        "service_credential.delete" => ("Service credential deleted", format!("Your service credential {s} was deleted")),
        "ssh_key.upload" => ("New SSH public key", format!("An SSH public key ({s}) was uploaded for CodeCommit")),
        "ssh_key.activate" => ("SSH public key activated", format!("Your SSH public key {s} was activated")),
        "ssh_key.deactivate" => ("SSH public key deactivated", format!("Your SSH public key {s} was deactivated")),
        "ssh_key.delete" => ("SSH public key deleted", format!("Your SSH public key {s} was deleted")),
        "signing_cert.upload" => ("New signing certificate", format!("An X.509 signing certificate ({s}) was uploaded for your IAM user")),
        "signing_cert.activate" => ("Signing certificate activated", format!("Your signing certificate {s} was activated")),
        "signing_cert.deactivate" => ("Signing certificate deactivated", format!("Your signing certificate {s} was deactivated")),
        "signing_cert.delete" => ("Signing certificate deleted", format!("Your signing certificate {s} was deleted")),
        "leak.notify" => (
            "Your access key was exposed",
            format!("Your access key {s} was found exposed outside your company. It must not be used again: create a new key, move your tools to it, and the help desk will delete the old one once the new key is in use. This notice was sent"),
        ),
        "password.followup" => (
            "Your temporary console password was replaced",
            "Your temporary console password from the help desk was not changed in time, so it was replaced with a random one nobody knows; ask the help desk for a new reset. This happened".to_owned(),
        ),
        "request.create" => (
            "A help-desk request about your credentials",
            format!("A request to {s} was filed; it takes effect only if a second person approves it in time. It was filed"),
        ),
        "request.reject" => ("A help-desk request was rejected", format!("The request to {s} was rejected; nothing changed")),
        "request.lapse" => ("A help-desk request lapsed", format!("The request to {s} lapsed; nothing changed")),
        "quarantine.detach" => ("The AWS quarantine was lifted", "The quarantine AWS put on your IAM user after the exposed key was lifted".to_owned()),
        _ => return None,
    };
    // An exposed key's notice opens the rotation guide for that key.
    let link = match (action, subject) {
        ("helpdesk.leak.notify", Some(key)) => rotation_link(key),
        _ => "/".to_owned(),
    };
    let by = if by_owner { "by you (your keydesk account)".to_owned() } else { format!("by {actor}") };
    let mut body = format!("{what} on {} UTC, {by}.", fmt_utc(at));
    if let Some(r) = reason {
        body.push_str(&format!(" Reason given: {r}."));
    }
    // Only a change made as the owner can be someone else in their name; a help-desk or enforcement
    // change already says who made it and why.
    if by_owner {
        body.push_str(&format!(" If this was not you, tell {ask} at once and check your credentials in keydesk."));
    } else {
        body.push_str(&format!(" Questions about it? Ask {ask}."));
    }
    let kind = if action.starts_with("enforcement.") { NoticeKind::Enforcement } else { NoticeKind::Change };
    Some(Notice { kind, title: title.to_owned(), body, link: Some(link) })
}

/// An audited action in words, for the history of changes ("An access key was deactivated" rather
/// than `access_key.deactivate`).
pub fn action_label(action: &str) -> String {
    if let Some(n) = change_notice(action, Some("…"), "", true, None, OffsetDateTime::UNIX_EPOCH, "") {
        return n.title;
    }
    let base = action.strip_prefix("helpdesk.").unwrap_or(action);
    let named = match base {
        "mfa.create" => Some("MFA enrolment started"),
        "mfa.cancel" => Some("MFA enrolment cancelled"),
        "mfa.resync" => Some("MFA device resynchronised"),
        "portal.sign_in" => Some("Signed in to keydesk"),
        "portal.sign_out" => Some("Signed out of keydesk"),
        "portal.reauth" => Some("Confirmed the password"),
        _ => None,
    };
    if let Some(n) = named {
        return n.to_owned();
    }
    let words = base.replace(['.', '_'], " ");
    let mut chars = words.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// An audit outcome in words, and whether it is a failure to show as one.
pub fn outcome_label(outcome: &str) -> (&'static str, bool) {
    match outcome {
        "success" => ("Done", false),
        "pending" => ("Interrupted (being checked)", true),
        "refused" => ("Refused", true),
        "orphan_deleted" => ("Undone: the answer was lost", true),
        "resolved_not_created" => ("Not made: IAM did not create it", true),
        _ => ("Failed", true),
    }
}

/// The reminder for an active key `days_left` days from its deadline `due` (0 or less: overdue).
pub fn reminder_notice(key_id: &str, created_at: OffsetDateTime, due: OffsetDateTime, days_left: i64, max_age_days: u32) -> Notice {
    let k = last4(key_id);
    let (title, when) = if days_left <= 0 {
        (format!("Access key {k} is overdue for rotation"), format!("reached its {max_age_days}-day deadline on {} UTC", fmt_utc(due)))
    } else {
        (
            format!("Rotate access key {k} within {}", super::days(days_left)),
            format!("reaches its {max_age_days}-day deadline on {} UTC", fmt_utc(due)),
        )
    };
    Notice {
        kind: NoticeKind::Reminder,
        title,
        body: format!(
            "Your access key {k}, created on {} UTC, {when}. Rotate it without downtime: keydesk guides you through creating a new key, switching over, and deactivating the old one.",
            fmt_utc(created_at)
        ),
        link: Some(rotation_link(key_id)),
    }
}

/// The notice after enforcement deactivated an overdue key.
pub fn deactivated_notice(key_id: &str, due: OffsetDateTime, ask: &str) -> Notice {
    let k = last4(key_id);
    Notice {
        kind: NoticeKind::Enforcement,
        title: format!("Access key {k} was deactivated: past its deadline"),
        body: format!(
            "Your access key {k} passed its rotation deadline on {} UTC, so keydesk deactivated it as your organisation's policy requires. Create a new key in keydesk; if something still needs the old one, ask {ask}.",
            fmt_utc(due)
        ),
        link: Some("/#access-keys".to_owned()),
    }
}

/// The suggestion to delete an inactive key nobody has used for a while.
pub fn delete_suggestion(key_id: &str, idle_days: i64) -> Notice {
    let k = last4(key_id);
    Notice {
        kind: NoticeKind::Reminder,
        title: format!("Delete inactive access key {k}?"),
        body: format!("Your inactive access key {k} has not been used for {idle_days} days. If nothing needs it, delete it in keydesk."),
        link: Some("/#access-keys".to_owned()),
    }
}

/// The portal path that opens the guided rotation of a key. It names the key by its last 4 characters
/// only (the link travels by e-mail); the page finds the key among the person's own.
pub fn rotation_link(key_id: &str) -> String {
    format!("/?rotate-ending={}#access-keys", last4(key_id).trim_start_matches('…'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ids_are_shortened_everywhere_and_nothing_else_is() {
        assert_eq!(mask_ids("AKIAIOSFODNN7EXAMPLE"), "…MPLE");
        assert_eq!(mask_ids("key AKIAIOSFODNN7EXAMPLE, then APKA0123456789ABCDEF."), "key …MPLE, then …CDEF.");
        assert_eq!(mask_ids("arn:aws:iam::123456789012:mfa/alice-phone"), "arn:aws:iam::123456789012:mfa/alice-phone");
        assert_eq!(mask_ids("AKIA-not-an-id"), "AKIA-not-an-id");
    }

    #[test]
    fn change_notices_say_what_when_who_and_what_to_do() {
        let at = datetime!(2026-11-30 10:00 UTC);
        let n = change_notice(
            "helpdesk.access_key.deactivate",
            Some("AKIAIOSFODNN7EXAMPLE"),
            "carol",
            false,
            Some("leaked in a repo"),
            at,
            "IT",
        )
        .unwrap();
        assert_eq!(n.title, "An access key was deactivated");
        assert_eq!(
            n.body,
            "Your access key …MPLE was deactivated on 2026-11-30 10:00 UTC, by carol. Reason given: leaked in a repo. Questions about it? Ask IT."
        );
        assert!(!n.body.contains("AKIAIOSFODNN7EXAMPLE"));
        let own = change_notice("password.change", None, "alice", true, None, at, "IT").unwrap();
        assert!(own.body.contains("by you (your keydesk account)"));
        assert!(own.body.ends_with("If this was not you, tell IT at once and check your credentials in keydesk."));
        assert_eq!(change_notice("mfa.create", Some("x"), "alice", true, None, at, "IT"), None);
        assert_eq!(change_notice("portal.sign_in", None, "alice", true, None, at, "IT"), None);
    }

    #[test]
    fn reminders_link_to_the_rotation_by_the_last_four_characters() {
        let created = datetime!(2026-01-01 00:00 UTC);
        let n = reminder_notice("AKIAIOSFODNN7EXAMPLE", created, datetime!(2026-04-01 00:00 UTC), 7, 90);
        assert_eq!(n.title, "Rotate access key …MPLE within 7 days");
        assert_eq!(n.link.as_deref(), Some("/?rotate-ending=MPLE#access-keys"));
        assert!(!format!("{n:?}").contains("AKIAIOSFODNN7EXAMPLE"));
        let overdue = reminder_notice("AKIAIOSFODNN7EXAMPLE", created, datetime!(2026-04-01 00:00 UTC), 0, 90);
        assert!(overdue.title.contains("overdue"));
    }

    #[test]
    fn history_names_actions_in_words_and_failures_as_failures() {
        assert_eq!(action_label("ssh_key.upload"), "New SSH public key");
        assert_eq!(action_label("helpdesk.access_key.deactivate"), "An access key was deactivated");
        assert_eq!(action_label("mfa.resync"), "MFA device resynchronised");
        assert_eq!(action_label("quota.raise"), "Quota raise");
        assert!(!action_label("git_credential.reset").contains(['_', '.']));
        assert_eq!(outcome_label("success"), ("Done", false));
        for failed in ["failure", "refused", "pending", "orphan_deleted", "resolved_not_created", "something_new"] {
            assert!(outcome_label(failed).1, "{failed} shows as a failure");
        }
    }
}
