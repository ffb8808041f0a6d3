//! keydesk's AWS backend pointed at a `moto_server`: the SDK configuration, the three roles keydesk
//! assumes (created in moto first), and the command-line arguments naming them.

/// The account moto answers as.
pub const ACCOUNT: &str = "123456789012";

/// The roles keydesk assumes, as `--aws-*-role-arn` flag and role name.
pub const ROLES: [(&str, &str); 3] =
    [("--aws-user-role-arn", "keydesk-user"), ("--aws-helpdesk-role-arn", "keydesk-helpdesk"), ("--aws-admin-role-arn", "keydesk-admin")];

/// The ARN of one of keydesk's roles in moto's account.
pub fn role_arn(role: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{role}")
}

/// The SDK configuration for moto at `url` and an IAM client with which keydesk's roles now exist.
pub async fn setup(url: &str) -> (aws_config::SdkConfig, aws_sdk_iam::Client) {
    let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "keydesk-tests"))
        .endpoint_url(url)
        .load()
        .await;
    let admin = aws_sdk_iam::Client::new(&base);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}}]}}"#
    );
    for (_, role) in ROLES {
        // Tests share one moto and race to create the roles; one wins, the rest see EntityAlreadyExists.
        let _ = admin.create_role().role_name(role).assume_role_policy_document(&trust).send().await;
    }
    (base, admin)
}

/// `keydesk` arguments for the AWS backend on moto at `url`.
pub fn args(url: &str) -> Vec<String> {
    // Four eyes is portal logic, the same on every backend (tested on the embedded one); here the help
    // desk acts at once so each IAM call can be checked against moto.
    let mut args: Vec<String> = ["--iam-backend", "aws", "--four-eyes", "none"].map(String::from).to_vec();
    for (flag, role) in ROLES {
        args.push(flag.into());
        args.push(role_arn(role));
    }
    for flag in ["--iam-endpoint", "--sts-endpoint"] {
        args.push(flag.into());
        args.push(url.into());
    }
    args
}
