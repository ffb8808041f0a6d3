//! [`Metered`]: any [`IamBackend`] with every call counted and timed by operation and outcome
//! (`keydesk_iam_calls_total`, `keydesk_iam_call_duration_seconds`). The portal talks to IAM only
//! through it, so the figures cover both backends the same way.

use super::{Caller, IamBackend, IamResult, PasswordState, ReportState, WorkRoleRequest};
use app::domain::signing_cert::SigningCert;
use app::domain::*;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Instant;

pub struct Metered(pub Arc<dyn IamBackend>);

async fn observe<T>(operation: &'static str, call: impl std::future::Future<Output = IamResult<T>>) -> IamResult<T> {
    let started = Instant::now();
    let result = call.await;
    crate::metrics::iam_call(operation, crate::metrics::outcome_of(&result), started.elapsed());
    result
}

/// The forwarding impl: one line per trait method, `IamOperationName method(args) -> result`.
macro_rules! metered {
    ($($op:literal $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        #[async_trait]
        impl IamBackend for Metered {
            fn kind(&self) -> BackendKind {
                self.0.kind()
            }
            fn account_id(&self) -> &str {
                self.0.account_id()
            }
            fn chained_sessions(&self) -> bool {
                self.0.chained_sessions()
            }
            fn reads_snapshots(&self) -> bool {
                self.0.reads_snapshots()
            }
            /// One read where the backend has one; otherwise the single calls, each counted.
            async fn credentials_snapshot(
                &self,
                caller: &Caller,
                user: &IamUserName,
                parts: super::snapshot::SnapshotParts,
            ) -> IamResult<super::snapshot::CredentialsSnapshot> {
                match self.0.reads_snapshots() {
                    true => observe("CredentialsSnapshot", self.0.credentials_snapshot(caller, user, parts)).await,
                    false => super::snapshot::by_calls(self, caller, user, parts).await,
                }
            }
            $(async fn $name(&self, caller: &Caller, $($arg: $ty),*) -> IamResult<$ret> {
                observe($op, self.0.$name(caller, $($arg),*)).await
            })*
        }
    };
}

metered! {
    "GetUser" get_user(user: &IamUserName) -> IamUser;
    "ListUsers" list_users(marker: Option<String>, max_items: u32) -> UserPage;
    "GetLoginProfile" password_state(user: &IamUserName) -> PasswordState;
    "GetAccountPasswordPolicy" account_password_policy() -> EffectivePolicy;
    "UpdateAccountPasswordPolicy" set_account_password_policy(policy: Option<&PasswordPolicy>) -> ();
    "UpdateLoginProfile" set_password(user: &IamUserName, password: &Password, reset_required: bool) -> ();
    "ListAccessKeys" list_access_keys(user: &IamUserName) -> Vec<AccessKeySummary>;
    "CreateAccessKey" create_access_key(user: &IamUserName) -> CreatedAccessKey;
    "UpdateAccessKey" update_access_key(user: &IamUserName, key: &AccessKeyId, status: SetStatus) -> ();
    "DeleteAccessKey" delete_access_key(user: &IamUserName, key: &AccessKeyId) -> ();
    "GetAccessKeyLastUsed" access_key_last_used(key: &AccessKeyId) -> (IamUserName, KeyLastUsed);
    "ListGroupsForUser" list_groups_for_user(user: &IamUserName) -> Vec<String>;
    "GetGroup" group_exists(group: &str) -> bool;
    "ListAttachedUserPolicies" list_attached_user_policies(user: &IamUserName) -> Vec<String>;
    "DetachUserPolicy" detach_user_policy(user: &IamUserName, policy_arn: &str) -> ();
    "ListUserTags" list_user_tags(user: &IamUserName) -> Vec<(String, String)>;
    "TagUser" tag_user(user: &IamUserName, key: &str, value: &str) -> ();
    "UntagUser" untag_user(user: &IamUserName, key: &str) -> ();
    "CreateVirtualMFADevice" create_virtual_mfa(path: &str, name: &str) -> CreatedVirtualMfa;
    "EnableMFADevice" enable_mfa(user: &IamUserName, serial: &str, code1: &str, code2: &str) -> ();
    "ResyncMFADevice" resync_mfa(user: &IamUserName, serial: &str, code1: &str, code2: &str) -> ();
    "DeactivateMFADevice" deactivate_mfa(user: &IamUserName, serial: &str) -> ();
    "DeleteVirtualMFADevice" delete_virtual_mfa(serial: &str) -> ();
    "ListMFADevices" list_mfa_devices(user: &IamUserName) -> Vec<MfaDevice>;
    "ListVirtualMFADevices" list_unassigned_virtual_mfa() -> Vec<String>;
    "CreateServiceSpecificCredential" create_service_credential(user: &IamUserName, service: &str, age_days: Option<u32>) -> CreatedServiceCredential;
    "ListServiceSpecificCredentials" list_service_credentials(user: &IamUserName, service: Option<&str>) -> Vec<ServiceCredential>;
    "UpdateServiceSpecificCredential" update_service_credential(user: &IamUserName, id: &ServiceCredentialId, status: SetStatus) -> ();
    "ResetServiceSpecificCredential" reset_service_credential(user: &IamUserName, id: &ServiceCredentialId) -> CreatedServiceCredential;
    "DeleteServiceSpecificCredential" delete_service_credential(user: &IamUserName, id: &ServiceCredentialId) -> ();
    "UploadSSHPublicKey" upload_ssh_key(user: &IamUserName, body: &str) -> SshKeySummary;
    "ListSSHPublicKeys" list_ssh_keys(user: &IamUserName) -> Vec<SshKeySummary>;
    "GetSSHPublicKey" get_ssh_key(user: &IamUserName, id: &SshKeyId, encoding: SshEncoding) -> SshKeyDetail;
    "UpdateSSHPublicKey" update_ssh_key(user: &IamUserName, id: &SshKeyId, status: SetStatus) -> ();
    "DeleteSSHPublicKey" delete_ssh_key(user: &IamUserName, id: &SshKeyId) -> ();
    "UploadSigningCertificate" upload_signing_cert(user: &IamUserName, body: &str) -> SigningCert;
    "ListSigningCertificates" list_signing_certs(user: &IamUserName) -> Vec<SigningCert>;
    "UpdateSigningCertificate" update_signing_cert(user: &IamUserName, id: &str, status: SetStatus) -> ();
    "DeleteSigningCertificate" delete_signing_cert(user: &IamUserName, id: &str) -> ();
    "GenerateCredentialReport" generate_credential_report() -> ReportState;
    "GetCredentialReport" get_credential_report() -> CredentialReport;
    "AssumeRole" assume_work_role(request: &WorkRoleRequest) -> temporary::TemporaryCredentials;
    "GetRolePolicy" role_policy(role_arn: &str, name: &str) -> Option<String>;
    "PutRolePolicy" put_role_policy(role_arn: &str, name: &str, document: &str) -> ();
    "DeleteRolePolicy" delete_role_policy(role_arn: &str, name: &str) -> ();
}
