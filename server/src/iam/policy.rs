//! The session policy keydesk passes to STS AssumeRole for an employee: it narrows the user role to that
//! one IAM user (at any path) and to MFA devices named after them, so a keydesk bug cannot reach another
//! user's credentials. The effective permissions are the intersection with the role's own policy.
//! The only `*` resource is for `iam:GetAccountPasswordPolicy`, which IAM cannot scope to a resource.

use app::domain::IamUserName;
use serde_json::json;

/// STS limit on the plaintext of an inline session policy.
pub const MAX_SESSION_POLICY_CHARS: usize = 2048;

/// Actions an employee's session may take on their own IAM user.
pub const USER_ACTIONS: &[&str] = &[
    "iam:GetUser",
    "iam:GetLoginProfile",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:ListAccessKeys",
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:DeleteAccessKey",
    "iam:GetAccessKeyLastUsed",
    "iam:ListUserTags",
    "iam:ListGroupsForUser",
    "iam:TagUser",
    "iam:UntagUser",
    "iam:ListMFADevices",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:DeactivateMFADevice",
    "iam:ListServiceSpecificCredentials",
    "iam:CreateServiceSpecificCredential",
    "iam:UpdateServiceSpecificCredential",
    "iam:ResetServiceSpecificCredential",
    "iam:DeleteServiceSpecificCredential",
    "iam:ListSSHPublicKeys",
    "iam:GetSSHPublicKey",
    "iam:UploadSSHPublicKey",
    "iam:UpdateSSHPublicKey",
    "iam:DeleteSSHPublicKey",
];

/// Actions on the user's own virtual MFA devices (`mfa/<user>` and `mfa/<user>-*`).
pub const MFA_ACTIONS: &[&str] = &["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"];

/// The session policy document for `user` in `account`.
pub fn self_service_policy(account: &str, user: &IamUserName) -> String {
    let name = user.as_str();
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnUser",
                "Effect": "Allow",
                "Action": USER_ACTIONS,
                "Resource": [
                    format!("arn:aws:iam::{account}:user/{name}"),
                    format!("arn:aws:iam::{account}:user/*/{name}"),
                ],
            },
            {
                "Sid": "OwnMfaDevices",
                "Effect": "Allow",
                "Action": MFA_ACTIONS,
                "Resource": [
                    format!("arn:aws:iam::{account}:mfa/{name}"),
                    format!("arn:aws:iam::{account}:mfa/{name}-*"),
                ],
            },
            {
                "Sid": "AccountPasswordPolicy",
                "Effect": "Allow",
                "Action": "iam:GetAccountPasswordPolicy",
                "Resource": "*",
            },
        ],
    })
    .to_string()
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
                        || rest == format!("mfa/{name}")
                        || rest == format!("mfa/{name}-*");
                    prop_assert!(ok, "{} names something other than {}", r, name);
                }
            }
        }
    }

    #[test]
    fn longest_names_fit() {
        let user = IamUserName::parse(&"a".repeat(64)).unwrap();
        assert!(self_service_policy("123456789012", &user).len() <= MAX_SESSION_POLICY_CHARS);
    }
}
