//! Self-service entitlements, enforced: which credentials a signed-in employee may manage comes from the
//! stored entitlements (administrators edit them on the settings page; every change is audited) and the
//! employee's IAM groups (`ListGroupsForUser`, cached briefly). Every self-service call obtains its IAM
//! caller through [`Portal::entitled_caller`], so no code path reaches IAM without the check, and the
//! caller carries the entitlements into the AWS session policy.

pub mod caller;

use crate::iam::Caller;
use crate::portal::{iam_error, internal, Portal};
use app::domain::entitlements::{Capability, Entitlements};
use app::error::AppError;
use app::ssr::Principal;
use std::collections::{BTreeSet, HashMap};
use time::{Duration, OffsetDateTime};

/// The `portal_settings` row holding the entitlements.
pub const SETTING: &str = "entitlements";
/// How long a user's IAM groups are reused before `ListGroupsForUser` is asked again.
pub const GROUPS_TTL: Duration = Duration::seconds(60);

/// IAM group membership per user (folded name), with when it was read.
#[derive(Default)]
pub struct GroupCache(std::sync::Mutex<HashMap<String, (OffsetDateTime, Vec<String>)>>);

/// What one employee may manage, and why.
#[derive(Debug, Clone)]
pub struct Entitled {
    pub caps: BTreeSet<Capability>,
    pub entitlements: Entitlements,
    /// A listed group grants the console password explicitly: that overrides the password policy's
    /// "users may not change their own password".
    pub password_override: bool,
}

impl Entitled {
    pub fn may(&self, cap: Capability) -> bool {
        self.caps.contains(&cap)
    }
}

impl Portal {
    /// The stored entitlements, or everyone-may-do-everything when none were saved.
    pub async fn entitlements(&self) -> Result<Entitlements, AppError> {
        match self.db.setting(SETTING).await.map_err(|e| internal("reading the entitlements failed", e))? {
            None => Ok(Entitlements::default()),
            Some(doc) => serde_json::from_str(&doc).map_err(|e| internal("the stored entitlements do not parse", e)),
        }
    }

    /// `who`'s IAM groups, read through their own session (base actions only) and cached briefly.
    pub(crate) async fn groups_of(&self, who: &Principal) -> Result<Vec<String>, AppError> {
        let me = &who.viewer.iam_user;
        let now = self.clock.now();
        if let Some((at, groups)) = self.groups.0.lock().unwrap_or_else(|p| p.into_inner()).get(&me.fold()) {
            if now - *at < GROUPS_TTL && *at <= now {
                return Ok(groups.clone());
            }
        }
        let base = Caller::self_service(who.viewer.user.to_string(), me.clone(), BTreeSet::new());
        let groups = self.iam.list_groups_for_user(&base, me).await.map_err(|e| iam_error("reading your IAM groups", e))?;
        self.groups.0.lock().unwrap_or_else(|p| p.into_inner()).insert(me.fold(), (now, groups.clone()));
        Ok(groups)
    }

    /// What `who` may manage themselves. IAM is asked for their groups only when some group is listed.
    pub async fn entitled(&self, who: &Principal) -> Result<Entitled, AppError> {
        let entitlements = self.entitlements().await?;
        if entitlements.groups.is_empty() {
            return Ok(Entitled { caps: entitlements.default.clone(), entitlements, password_override: false });
        }
        let groups = self.groups_of(who).await?;
        Ok(Entitled {
            caps: entitlements.for_groups(&groups),
            password_override: entitlements.explicitly_granted(&groups, Capability::ConsolePassword),
            entitlements,
        })
    }

    /// The caller's own scoped IAM authority for `cap`, or 403 with whom to ask when they are not
    /// entitled to it.
    pub(crate) async fn entitled_caller(&self, who: &Principal, cap: Capability) -> Result<(Caller, Entitled), AppError> {
        let entitled = self.entitled(who).await?;
        if !entitled.may(cap) {
            tracing::info!(capability = cap.id(), "refused: not entitled");
            return Err(AppError::NotAllowed { message: entitled.entitlements.refusal(cap) });
        }
        Ok((self.caller_for(who, &entitled), entitled))
    }

    /// `who`'s self-service caller carrying exactly their entitlements (`entitled` is the check's answer).
    pub(crate) fn caller_for(&self, who: &Principal, entitled: &Entitled) -> Caller {
        Caller::self_service(who.viewer.user.to_string(), who.viewer.iam_user.clone(), entitled.caps.clone())
    }
}
