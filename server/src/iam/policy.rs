//! The session policy keydesk passes to STS AssumeRole for an employee: it narrows the user role to that
//! one IAM user (at any path) and to MFA devices named after them, so a keydesk bug cannot reach another
//! user's credentials. The effective permissions are the intersection with the role's own policy.
//! The only `*` resource is for `iam:GetAccountPasswordPolicy`, which IAM cannot scope to a resource.

use app::domain::entitlements::{Capability, BASE_USER_ACTIONS};
use app::domain::IamUserName;
use serde_json::json;
use std::collections::BTreeSet;

/// STS limit on the plaintext of an inline session policy.
pub const MAX_SESSION_POLICY_CHARS: usize = 2048;

/// Actions an employee's session may take on their own IAM user when entitled to everything.
pub fn user_actions(caps: &BTreeSet<Capability>) -> Vec<&'static str> {
    let mut actions: Vec<&'static str> = Vec::new();
    // Git credentials and the other service credentials share their non-create actions: list each once.
    for a in BASE_USER_ACTIONS.iter().copied().chain(caps.iter().flat_map(|c| c.user_actions().iter().copied())) {
        if !actions.contains(&a) {
            actions.push(a);
        }
    }
    actions
}

/// The services whose credentials `caps` may create, for the `iam:ServiceSpecificCredentialServiceName`
/// condition on `CreateServiceSpecificCredential`.
pub fn created_services(caps: &BTreeSet<Capability>) -> Vec<&'static str> {
    caps.iter().flat_map(|c| c.created_services()).collect()
}

/// Tagging actions: allowed on the own user only for the tags keydesk writes, key descriptions whose
/// tag key is the access key id (review L8). A Deny with an `aws:TagKeys` condition says so in a few
/// characters, whatever the user name's length.
pub const TAG_ACTIONS: &[&str] = &["iam:TagUser", "iam:UntagUser"];

/// The tag keys a self-service session may set or remove: access key ids (`AKIA…`).
pub const SELF_SERVICE_TAG_KEYS: &str = "AKIA*";

/// Actions on the user's own virtual MFA devices (`mfa/<user>/*`: see [`super::own_mfa_path`]).
pub const MFA_ACTIONS: &[&str] = &["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"];

/// The session policy document for `user` in `account`, entitled to everything.
pub fn self_service_policy(account: &str, user: &IamUserName) -> String {
    entitled_policy(account, user, &Capability::ALL.into_iter().collect())
}

/// The session policy document for `user` in `account` granting exactly the IAM actions of `caps`:
/// the MFA-device statement only with [`Capability::Mfa`], the password policy only with
/// [`Capability::ConsolePassword`].
/// Statements carry no `Sid`: with a 64-character user name the document must still fit STS's 2,048
/// characters.
pub fn entitled_policy(account: &str, user: &IamUserName, caps: &BTreeSet<Capability>) -> String {
    let name = user.as_str();
    let mut statements = vec![json!({
        "Effect": "Allow",
        "Action": user_actions(caps),
        "Resource": [
            format!("arn:aws:iam::{account}:user/{name}"),
            format!("arn:aws:iam::{account}:user/*/{name}"),
        ],
    })];
    if caps.contains(&Capability::AccessKeys) {
        statements.push(json!({
            "Effect": "Deny",
            "Action": TAG_ACTIONS,
            "Resource": "*",
            "Condition": { "ForAnyValue:StringNotLike": { "aws:TagKeys": SELF_SERVICE_TAG_KEYS } },
        }));
    }
    let services = created_services(caps);
    if !services.is_empty() {
        statements.push(json!({
            "Effect": "Allow",
            "Action": "iam:CreateServiceSpecificCredential",
            "Resource": [
                format!("arn:aws:iam::{account}:user/{name}"),
                format!("arn:aws:iam::{account}:user/*/{name}"),
            ],
            "Condition": { "StringEquals": { "iam:ServiceSpecificCredentialServiceName": services } },
        }));
    }
    if caps.contains(&Capability::Mfa) {
        statements.push(json!({
            "Effect": "Allow",
            "Action": MFA_ACTIONS,
            "Resource": format!("arn:aws:iam::{account}:mfa/{name}/*"),
        }));
    }
    if caps.contains(&Capability::ConsolePassword) {
        statements.push(json!({
            "Effect": "Allow",
            "Action": "iam:GetAccountPasswordPolicy",
            "Resource": "*",
        }));
    }
    json!({ "Version": "2012-10-17", "Statement": statements }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn resources(doc: &serde_json::Value) -> Vec<(Vec<String>, Vec<String>)> {
        doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["Effect"] != "Deny")
            .map(|s| {
                let list = |v: &serde_json::Value| match v {
                    serde_json::Value::String(s) => vec![s.clone()],
                    serde_json::Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
                    _ => panic!("bad shape"),
                };
                assert_eq!(s["Effect"], "Allow");
                (list(&s["Action"]), list(&s["Resource"]))
            })
            .collect()
    }

    /// IAM's resource matching: `*` any run of characters, `?` one character, case-sensitive.
    fn arn_matches(pattern: &str, arn: &str) -> bool {
        let (p, a): (Vec<char>, Vec<char>) = (pattern.chars().collect(), arn.chars().collect());
        let mut m = vec![vec![false; a.len() + 1]; p.len() + 1];
        m[0][0] = true;
        for i in 1..=p.len() {
            m[i][0] = m[i - 1][0] && p[i - 1] == '*';
            for j in 1..=a.len() {
                m[i][j] = match p[i - 1] {
                    '*' => m[i - 1][j] || m[i][j - 1],
                    '?' => m[i - 1][j - 1],
                    c => m[i - 1][j - 1] && c == a[j - 1],
                };
            }
        }
        m[p.len()][a.len()]
    }

    proptest! {
        /// G26 / SECURITY.md L1: the policy of `u` allows nothing on another user `v`'s resources, in
        /// particular when `v` is `u` plus a suffix (`alice` and `alice-admin`): not the user, not a
        /// virtual MFA device under `v`'s path nor one named with `v`'s name at the root.
        #[test]
        fn policy_reaches_no_other_user(u in "[A-Za-z0-9+=,.@_-]{1,40}", suffix in "[A-Za-z0-9+=,.@_-]{1,20}", device in "[A-Za-z0-9_-]{1,20}") {
            let account = "123456789012";
            let user = IamUserName::parse(&u).unwrap();
            let doc: serde_json::Value = serde_json::from_str(&self_service_policy(account, &user)).unwrap();
            let patterns: Vec<String> = resources(&doc).into_iter().flat_map(|(_, r)| r).filter(|r| r != "*").collect();
            for v in [format!("{u}{suffix}"), format!("{u}-{suffix}"), format!("{suffix}{u}")] {
                let theirs = [
                    format!("arn:aws:iam::{account}:user/{v}"),
                    format!("arn:aws:iam::{account}:user/team/{v}"),
                    format!("arn:aws:iam::{account}:mfa/{v}/{device}"),
                    format!("arn:aws:iam::{account}:mfa/{v}"),
                    format!("arn:aws:iam::{account}:mfa/{v}-{device}"),
                ];
                for arn in &theirs {
                    for p in &patterns {
                        prop_assert!(!arn_matches(p, arn), "{}'s policy pattern {} matches {}", u, p, arn);
                    }
                }
            }
            // And it does reach the own devices.
            let own = format!("arn:aws:iam::{account}:mfa/{u}/{device}");
            prop_assert!(patterns.iter().any(|p| arn_matches(p, &own)), "{} reaches none of its own devices", u);
        }
    }

    #[test]
    fn the_matcher_follows_iam_wildcards() {
        assert!(arn_matches("arn:aws:iam::1:mfa/alice-*", "arn:aws:iam::1:mfa/alice-admin-phone"), "the old pattern's flaw");
        assert!(!arn_matches("arn:aws:iam::1:mfa/alice/*", "arn:aws:iam::1:mfa/alice-admin/phone"));
        assert!(arn_matches("a?c", "abc") && !arn_matches("a?c", "ac"));
    }

    proptest! {
        /// For every valid user name: the document parses, stays under STS's size limit, names exactly
        /// that user, and uses `*` only for the one action that has no resource.
        #[test]
        fn policy_names_exactly_one_user(name in "[A-Za-z0-9+=,.@_-]{1,64}", account in "[0-9]{12}") {
            let user = IamUserName::parse(&name).unwrap();
            let text = self_service_policy(&account, &user);
            prop_assert!(text.chars().count() <= MAX_SESSION_POLICY_CHARS, "{} chars", text.len());
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            for (actions, res) in resources(&doc) {
                for r in &res {
                    if r == "*" {
                        prop_assert_eq!(&actions, &vec!["iam:GetAccountPasswordPolicy".to_owned()]);
                        continue;
                    }
                    let prefix = format!("arn:aws:iam::{account}:");
                    prop_assert!(r.starts_with(&prefix), "{}", r);
                    let rest = &r[prefix.len()..];
                    let ok = rest == format!("user/{name}")
                        || rest == format!("user/*/{name}")
                        || rest == format!("mfa/{name}/*");
                    prop_assert!(ok, "{} names something other than {}", r, name);
                }
            }
        }
    }

    proptest! {
        /// For any entitlement set: the actions on the user's own ARNs are exactly the base actions and
        /// those of the entitled capabilities, MFA devices and the password policy appear only with their
        /// capability, and nothing names another user.
        #[test]
        fn the_policy_grants_exactly_the_entitled_actions(bits in 0u8..128, name in "[A-Za-z0-9+=,.@_-]{1,64}") {
            let caps: BTreeSet<Capability> = Capability::ALL.into_iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, c)| c).collect();
            let user = IamUserName::parse(&name).unwrap();
            let text = entitled_policy("123456789012", &user, &caps);
            prop_assert!(text.chars().count() <= MAX_SESSION_POLICY_CHARS);
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            let own = [format!("arn:aws:iam::123456789012:user/{name}"), format!("arn:aws:iam::123456789012:user/*/{name}")];
            let mut granted_on_user = BTreeSet::new();
            let (mut mfa, mut policy) = (false, false);
            let mut creatable: Vec<String> = Vec::new();
            for statement in doc["Statement"].as_array().unwrap() {
                if statement["Action"] == "iam:CreateServiceSpecificCredential" {
                    creatable = serde_json::from_value(statement["Condition"]["StringEquals"]["iam:ServiceSpecificCredentialServiceName"].clone()).unwrap();
                    prop_assert!(!creatable.is_empty());
                }
            }
            // L8: tagging is allowed only with the access-key capability, and then restricted to
            // key-description tags by a Deny.
            let deny: Vec<&serde_json::Value> = doc["Statement"].as_array().unwrap().iter().filter(|s| s["Effect"] == "Deny").collect();
            prop_assert_eq!(deny.len(), usize::from(caps.contains(&Capability::AccessKeys)));
            for d in deny {
                prop_assert_eq!(&d["Condition"]["ForAnyValue:StringNotLike"]["aws:TagKeys"], SELF_SERVICE_TAG_KEYS);
                prop_assert_eq!(&d["Resource"], "*");
            }
            for (actions, res) in resources(&doc) {
                if actions == ["iam:CreateServiceSpecificCredential"] {
                    prop_assert_eq!(&res, &own.to_vec());
                } else if res == own {
                    granted_on_user.extend(actions);
                } else if res == ["*"] {
                    prop_assert_eq!(&actions, &vec!["iam:GetAccountPasswordPolicy".to_owned()]);
                    policy = true;
                } else {
                    prop_assert_eq!(&res, &vec![format!("arn:aws:iam::123456789012:mfa/{name}/*")]);
                    prop_assert_eq!(&actions, &MFA_ACTIONS.iter().map(|a| a.to_string()).collect::<Vec<_>>());
                    mfa = true;
                }
            }
            let expected: BTreeSet<String> = BASE_USER_ACTIONS.iter().chain(caps.iter().flat_map(|c| c.user_actions().iter())).map(|a| a.to_string()).collect();
            prop_assert_eq!(granted_on_user, expected);
            let expected_services: Vec<String> = caps.iter().flat_map(|c| c.created_services()).map(str::to_owned).collect();
            prop_assert_eq!(creatable, expected_services);
            prop_assert_eq!(mfa, caps.contains(&Capability::Mfa));
            prop_assert_eq!(policy, caps.contains(&Capability::ConsolePassword));
        }
    }

    #[test]
    fn everything_is_what_employees_had_before_entitlements() {
        let user = IamUserName::parse("alice").unwrap();
        let doc: serde_json::Value = serde_json::from_str(&self_service_policy("123456789012", &user)).unwrap();
        let actions = doc["Statement"][0]["Action"].as_array().unwrap().len();
        let all: BTreeSet<&str> = Capability::ALL.iter().flat_map(|c| c.user_actions().iter().copied()).collect();
        assert_eq!(actions, 2 + all.len());
        // Own user, the tag restriction, service-credential creation by service, MFA devices, password policy.
        assert_eq!(doc["Statement"].as_array().unwrap().len(), 5);
        let services = &doc["Statement"][2]["Condition"]["StringEquals"]["iam:ServiceSpecificCredentialServiceName"];
        assert_eq!(services.as_array().unwrap().len(), app::domain::services::SERVICES.len());
    }

    #[test]
    fn longest_names_fit() {
        let user = IamUserName::parse(&"a".repeat(64)).unwrap();
        assert!(self_service_policy("123456789012", &user).len() <= MAX_SESSION_POLICY_CHARS);
    }
}
