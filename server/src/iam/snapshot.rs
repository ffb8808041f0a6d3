//! A person's credentials in one read: what "My security credentials" shows, asked of IAM at once.
//!
//! Against AWS that is the single calls, made concurrently ([`by_calls`]): IAM has no call that
//! answers them together. The embedded IAM answers from one read of the user's document and the
//! account's password policy (one database round trip instead of about a dozen). The contract suite's
//! `snapshot_matches_the_single_calls` holds both to the same answers as the single calls.

use super::{Caller, IamBackend, IamResult, PasswordState};
use app::domain::signing_cert::SigningCert;
use app::domain::*;

/// Which parts to read: a self-service session may be granted only some of them, and keydesk reads
/// nothing its session may not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SnapshotParts {
    pub password: bool,
    /// The access keys, each with its last use, and the user's tags (the keys' descriptions).
    pub access_keys: bool,
    pub mfa_devices: bool,
    pub service_credentials: bool,
    /// The SSH public keys, each with its body and fingerprint.
    pub ssh_keys: bool,
    pub signing_certs: bool,
}

impl SnapshotParts {
    pub const ALL: SnapshotParts = SnapshotParts {
        password: true,
        access_keys: true,
        mfa_devices: true,
        service_credentials: true,
        ssh_keys: true,
        signing_certs: true,
    };
}

/// The answers. A part not asked for is empty (`None` for the password). The user, the password and
/// the access keys fail the whole read when they fail (the page cannot stand without them); the other
/// parts fail on their own, so the page can still show the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsSnapshot {
    pub user: IamUser,
    pub password: Option<PasswordState>,
    /// Oldest first, as `ListAccessKeys` is answered here, each with `GetAccessKeyLastUsed`'s answer.
    pub access_keys: Vec<(AccessKeySummary, KeyLastUsed)>,
    pub tags: Vec<(String, String)>,
    pub mfa_devices: IamResult<Vec<MfaDevice>>,
    /// Every service's (Git credentials and the others).
    pub service_credentials: IamResult<Vec<ServiceCredential>>,
    /// Each key with `GetSSHPublicKey`'s answer in the SSH encoding (a key whose details cannot be read
    /// is still listed).
    pub ssh_keys: IamResult<Vec<(SshKeySummary, IamResult<SshKeyDetail>)>>,
    pub signing_certs: IamResult<Vec<SigningCert>>,
}

/// The snapshot made of the single calls, run concurrently: what every backend without a read of its
/// own answers (AWS), and what the contract suite compares the embedded IAM's read with.
pub async fn by_calls<B: IamBackend + ?Sized>(
    iam: &B,
    caller: &Caller,
    user: &IamUserName,
    parts: SnapshotParts,
) -> IamResult<CredentialsSnapshot> {
    let core = async {
        tokio::try_join!(
            iam.get_user(caller, user),
            async {
                match parts.password {
                    true => iam.password_state(caller, user).await.map(Some),
                    false => Ok(None),
                }
            },
            async {
                if !parts.access_keys {
                    return Ok((vec![], vec![]));
                }
                let (keys, tags) = tokio::try_join!(iam.list_access_keys(caller, user), iam.list_user_tags(caller, user))?;
                let used = futures::future::try_join_all(keys.iter().map(|k| iam.access_key_last_used(caller, &k.id))).await?;
                Ok((keys.into_iter().zip(used.into_iter().map(|(_, last)| last)).collect(), tags))
            },
        )
    };
    let (core, mfa_devices, service_credentials, ssh_keys, signing_certs) = tokio::join!(
        core,
        async {
            match parts.mfa_devices {
                true => iam.list_mfa_devices(caller, user).await,
                false => Ok(vec![]),
            }
        },
        async {
            match parts.service_credentials {
                true => iam.list_service_credentials(caller, user, None).await,
                false => Ok(vec![]),
            }
        },
        async {
            if !parts.ssh_keys {
                return Ok(vec![]);
            }
            let keys = iam.list_ssh_keys(caller, user).await?;
            let details = futures::future::join_all(keys.iter().map(|k| iam.get_ssh_key(caller, user, &k.id, SshEncoding::Ssh))).await;
            Ok(keys.into_iter().zip(details).collect())
        },
        async {
            match parts.signing_certs {
                true => iam.list_signing_certs(caller, user).await,
                false => Ok(vec![]),
            }
        },
    );
    let (user, password, (access_keys, tags)) = core?;
    Ok(CredentialsSnapshot { user, password, access_keys, tags, mfa_devices, service_credentials, ssh_keys, signing_certs })
}
