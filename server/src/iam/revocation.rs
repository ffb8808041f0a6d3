//! AWS's standard revocation of temporary credentials, narrowed to one person: an inline policy on the
//! work role denying everything to sessions whose `aws:SourceIdentity` is that person and whose
//! `aws:TokenIssueTime` is before the revocation. keydesk keeps one such policy per role
//! ([`POLICY_NAME`]), one statement per person (a later revocation replaces an earlier one: it denies
//! more), and drops a statement once no session it could affect can still be alive.

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The inline policy keydesk writes on a work role.
pub const POLICY_NAME: &str = "keydesk-revocations";
/// IAM's limit on a role's inline policies together (characters, whitespace not counted).
pub const ROLE_POLICY_LIMIT: usize = 10_240;
/// The longest a session of any role lasts: a statement older than this denies nothing any more.
pub const LONGEST_SESSION_SECS: i64 = app::domain::temporary::MAX_SESSION_SECS as i64;

/// One person's sessions issued before `before` are revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The source identity keydesk set: the person's portal user name.
    pub person: String,
    /// Whole seconds (IAM compares `aws:TokenIssueTime` to the second).
    pub before: OffsetDateTime,
}

/// Why a revocation cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationError {
    #[error(
        "the role's revocation policy would exceed IAM's {ROLE_POLICY_LIMIT}-character limit ({0} people revoked in the last 12 hours); use \"Revoke active sessions\" on the role in the AWS console"
    )]
    TooLarge(usize),
}

fn stamp(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).unwrap_or_default()
}

/// The policy document for `revocations` (none: `None`, the policy is to be deleted). Compact JSON:
/// IAM counts every character but whitespace.
pub fn document(revocations: &[Revocation]) -> Result<Option<String>, RevocationError> {
    if revocations.is_empty() {
        return Ok(None);
    }
    let statements: Vec<Value> = revocations
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "Sid": format!("KeydeskRevoke{i}"),
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": { "aws:SourceIdentity": r.person },
                    "DateLessThan": { "aws:TokenIssueTime": stamp(r.before) },
                },
            })
        })
        .collect();
    let doc = json!({ "Version": "2012-10-17", "Statement": statements }).to_string();
    if doc.chars().filter(|c| !c.is_whitespace()).count() > ROLE_POLICY_LIMIT {
        return Err(RevocationError::TooLarge(revocations.len()));
    }
    Ok(Some(doc))
}

/// The revocations a document keydesk wrote holds (statements it did not write are ignored).
pub fn parse(doc: &str) -> Vec<Revocation> {
    let Ok(v) = serde_json::from_str::<Value>(doc) else { return vec![] };
    let statements = match &v["Statement"] {
        Value::Array(a) => a.clone(),
        s @ Value::Object(_) => vec![s.clone()],
        _ => vec![],
    };
    statements
        .iter()
        .filter(|s| s["Effect"] == "Deny" && s["Sid"].as_str().is_some_and(|sid| sid.starts_with("KeydeskRevoke")))
        .filter_map(|s| {
            let person = s["Condition"]["StringEquals"]["aws:SourceIdentity"].as_str()?.to_owned();
            let before = OffsetDateTime::parse(s["Condition"]["DateLessThan"]["aws:TokenIssueTime"].as_str()?, &Rfc3339).ok()?;
            Some(Revocation { person, before })
        })
        .collect()
}

/// `existing` with `new` added (replacing the same person's earlier one unless that is later), and
/// without the statements no live session can match at `now`. People in a stable order.
pub fn merge(existing: Vec<Revocation>, new: Option<Revocation>, now: OffsetDateTime) -> Vec<Revocation> {
    let mut all: Vec<Revocation> = existing.into_iter().filter(|r| !expired(r, now)).collect();
    if let Some(new) = new {
        match all.iter_mut().find(|r| r.person == new.person) {
            Some(r) => r.before = r.before.max(new.before),
            None => all.push(new),
        }
    }
    all.sort_by(|a, b| a.person.cmp(&b.person));
    all
}

/// Has every session `r` could deny expired at `now`?
pub fn expired(r: &Revocation, now: OffsetDateTime) -> bool {
    (now - r.before).whole_seconds() > LONGEST_SESSION_SECS
}

/// Would IAM deny a call of a session of source identity `person` issued at `issued_at` under `doc`?
/// (The embedded IAM's emulation of the two condition operators keydesk writes.)
pub fn denies(doc: &str, person: &str, issued_at: OffsetDateTime) -> bool {
    parse(doc).iter().any(|r| r.person == person && issued_at < r.before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    #[test]
    fn one_statement_per_person_the_latest_kept_and_old_ones_dropped() {
        let t = datetime!(2026-12-06 12:00 UTC);
        let r = |p: &str, at| Revocation { person: p.into(), before: at };
        let merged = merge(vec![r("bob", t), r("alice", t)], Some(r("bob", t + time::Duration::hours(1))), t + time::Duration::hours(2));
        assert_eq!(merged, vec![r("alice", t), r("bob", t + time::Duration::hours(1))]);
        let later = merge(merged, None, t + time::Duration::hours(12) + time::Duration::minutes(30));
        assert_eq!(later, vec![r("bob", t + time::Duration::hours(1))], "alice's can match nothing any more");
        assert_eq!(document(&[]), Ok(None), "no statement left: the policy goes");
    }

    #[test]
    fn the_deny_matches_that_person_before_that_time_only() {
        let t = datetime!(2026-12-06 12:00:00 UTC);
        let doc = document(&[Revocation { person: "alice".into(), before: t }]).unwrap().unwrap();
        assert!(denies(&doc, "alice", t - time::Duration::seconds(1)));
        assert!(!denies(&doc, "alice", t), "issued at the revocation's second or later: allowed");
        assert!(!denies(&doc, "bob", t - time::Duration::hours(1)));
        assert!(doc.contains(r#""DateLessThan":{"aws:TokenIssueTime":"2026-12-06T12:00:00Z"}"#), "{doc}");
    }

    proptest! {
        /// Any set of people (IAM source identities) and times: the document parses back to exactly
        /// those people and times, names nobody else, and is written only under IAM's size limit.
        #[test]
        fn the_document_names_exactly_those_people_and_times(
            people in proptest::collection::btree_set("[A-Za-z0-9_+=,.@-]{2,64}", 0..60),
            offsets in proptest::collection::vec(0i64..43_200, 60),
        ) {
            let base = datetime!(2026-12-06 00:00 UTC);
            let revs: Vec<Revocation> = people
                .iter()
                .zip(offsets)
                .map(|(p, o)| Revocation { person: p.clone(), before: base + time::Duration::seconds(o) })
                .collect();
            match document(&revs) {
                Ok(None) => prop_assert!(revs.is_empty()),
                Ok(Some(doc)) => {
                    prop_assert!(doc.chars().filter(|c| !c.is_whitespace()).count() <= ROLE_POLICY_LIMIT);
                    let v: Value = serde_json::from_str(&doc).unwrap();
                    prop_assert_eq!(v["Statement"].as_array().unwrap().len(), revs.len());
                    prop_assert_eq!(parse(&doc), revs.clone());
                    for r in &revs {
                        prop_assert!(denies(&doc, &r.person, r.before - time::Duration::seconds(1)));
                        prop_assert!(!denies(&doc, &r.person, r.before));
                    }
                    prop_assert!(!denies(&doc, "somebody-else-entirely", base));
                }
                Err(RevocationError::TooLarge(n)) => {
                    prop_assert_eq!(n, revs.len());
                    // Refused only when the document really would not fit.
                    prop_assert!(revs.len() > 25);
                }
            }
        }
    }
}
