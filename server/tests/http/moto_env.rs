//! keydesk's AWS backend pointed at a `moto_server`: the SDK configuration, the three roles keydesk
//! assumes (created in moto first), and the command-line arguments naming them. Shared by the HTTP
//! tests and the review benchmark (`#[path]`-included there).

/// The SDK configuration for moto at `url` and an IAM client with which the roles now exist.
pub async fn moto_setup(url: &str) -> (aws_config::SdkConfig, aws_sdk_iam::Client) {
    let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(url)
        .load()
        .await;
    let admin = aws_sdk_iam::Client::new(&base);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
    for role in ["keydesk-user", "keydesk-helpdesk", "keydesk-admin"] {
        // Already there from an earlier run against the same moto: fine.
        let _ = admin.create_role().role_name(role).assume_role_policy_document(trust).send().await;
    }
    (base, admin)
}

/// `keydesk` arguments for the AWS backend on moto at `url`.
pub fn moto_args(url: &str) -> Vec<String> {
    // Four eyes is portal logic, the same on every backend (tested on the embedded one); here the help
    // desk acts at once so each IAM call can be checked against moto.
    let mut args: Vec<String> = ["--iam-backend", "aws", "--four-eyes", "none"].map(String::from).to_vec();
    for (flag, role) in [
        ("--aws-user-role-arn", "keydesk-user"),
        ("--aws-helpdesk-role-arn", "keydesk-helpdesk"),
        ("--aws-admin-role-arn", "keydesk-admin"),
    ] {
        args.push(flag.into());
        args.push(format!("arn:aws:iam::123456789012:role/{role}"));
    }
    for flag in ["--iam-endpoint", "--sts-endpoint"] {
        args.push(flag.into());
        args.push(url.into());
    }
    args
}
