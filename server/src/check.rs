//! `keydesk check`: the deployment's preflight. One line per check (`ok` or `FAIL` with what to do),
//! stopping at the first failure: the configuration, the portal database and its migrations (reported,
//! not applied), the embedded IAM's database, or — with the aws backend — keydesk's own AWS identity
//! and each role it assumes, then each work role of the catalogue (assumed once, for 15 minutes, the
//! credentials dropped unseen), and the built site.

use crate::config::{BackendChoice, Config};
use crate::db::{Db, DbKind, Schema};

async fn database(url: &str, schema: Schema) -> Result<String, String> {
    let db = Db::open(url, 1).await.map_err(|e| format!("unreachable: {e}"))?;
    db.ping().await.map_err(|e| format!("no answer: {e}"))?;
    let (applied, pending) = db.migration_status(schema).await?;
    let kind = match db.kind {
        DbKind::Sqlite => "SQLite",
        DbKind::Postgres => "PostgreSQL",
    };
    Ok(format!("{kind} reachable; {applied} migrations applied, {pending} pending (keydesk applies them at start)"))
}

/// Assume each work role of the catalogue once through `iam`; the ones keydesk cannot assume, named.
async fn work_roles(portal_db: &str, iam: &dyn crate::iam::IamBackend) -> Result<String, String> {
    use app::domain::temporary::{WorkRoleCatalogue, MIN_SESSION_SECS};
    let db = Db::open(portal_db, 1).await.map_err(|e| format!("the portal database is unreachable: {e}"))?;
    let catalogue: WorkRoleCatalogue = match db.setting(crate::portal::temporary::CATALOGUE).await {
        Ok(Some(doc)) => serde_json::from_str(&doc).map_err(|e| format!("the stored catalogue does not parse: {e}"))?,
        Ok(None) => return Ok("none in the catalogue".into()),
        Err(_) => return Ok("not checked: the portal database's migrations are pending".into()),
    };
    let mut refused = Vec::new();
    for role in &catalogue.roles {
        let request = crate::iam::WorkRoleRequest {
            role_arn: role.role_arn.clone(),
            person: "check".into(),
            duration_secs: MIN_SESSION_SECS,
            tags: vec![("keydesk-person".into(), "keydesk check".into())],
            policy: role.session_policy.clone(),
        };
        if let Err(e) = iam.assume_work_role(&crate::iam::Caller::keydesk(), &request).await {
            refused.push(format!("{} ({}): {e}", role.id, role.role_arn));
        }
    }
    let n = catalogue.roles.len();
    if refused.is_empty() {
        Ok(format!("keydesk assumed each of the {n} role{} of the catalogue", if n == 1 { "" } else { "s" }))
    } else {
        Err(format!(
            "keydesk cannot assume {} of {n}: {}. Each role's trust policy must let keydesk's principal call sts:AssumeRole, sts:SetSourceIdentity and sts:TagSession (docs/temporary-credentials.md)",
            refused.len(),
            refused.join("; ")
        ))
    }
}

/// Run every check, printing each result with `line`; true when all passed.
pub async fn run(config: &Config, line: &mut dyn FnMut(String)) -> bool {
    let s = &config.settings;
    let backend = match s.iam_backend {
        BackendChoice::Embedded => "embedded",
        BackendChoice::Aws => "aws",
    };
    line(format!("ok   configuration: {backend} IAM backend, listening on {}, public URL {}", s.listen, config.public_origin));
    let mut step = |name: &str, result: Result<String, String>| match result {
        Ok(detail) => {
            line(format!("ok   {name}: {detail}"));
            true
        }
        Err(why) => {
            line(format!("FAIL {name}: {why}"));
            false
        }
    };
    if !step("portal database", database(&s.database_url, Schema::Portal).await) {
        return false;
    }
    let clock = std::sync::Arc::new(crate::clock::SystemClock);
    let iam: Option<Box<dyn crate::iam::IamBackend>> = match s.iam_backend {
        BackendChoice::Embedded => {
            if !step("embedded IAM database", database(&s.embedded_iam_database_url, Schema::EmbeddedIam).await) {
                return false;
            }
            match Db::open(&s.embedded_iam_database_url, 1).await {
                Ok(db) => Some(Box::new(crate::iam::embedded::EmbeddedIam::new(db, clock))),
                Err(_) => None,
            }
        }
        BackendChoice::Aws => {
            let checked = async {
                let aws = crate::iam::aws::AwsIam::from_env(crate::aws_settings(s), clock).await?;
                aws.check().await?;
                Ok::<_, String>(aws)
            };
            match checked.await {
                Ok(aws) => {
                    step("AWS", Ok("keydesk's identity resolves and the user, help-desk and admin roles can be assumed".to_owned()));
                    Some(Box::new(aws))
                }
                Err(why) => {
                    step("AWS", Err(why));
                    return false;
                }
            }
        }
    };
    if let Some(iam) = iam {
        if !step("work roles", work_roles(&s.database_url, iam.as_ref()).await) {
            return false;
        }
    }
    if let Some(cfg) = &config.oidc {
        let checked = async {
            let oidc = crate::oidc::Oidc::new(cfg.clone())?;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            oidc.check(now).await.map_err(|e| e.to_string())
        };
        if !step("identity provider", checked.await) {
            return false;
        }
    }
    if let Some(cfg) = &config.ldap {
        let checked = async {
            let directory = crate::ldap::Directory::new(cfg.clone())?;
            directory.check().await.map_err(|e| e.to_string())
        };
        if !step("directory", checked.await) {
            return false;
        }
    }
    let site = crate::http::site_assets(&s.site_root).map(|name| {
        let families = app::pages::Bundle::ALL.map(|b| b.name()).join(", ");
        format!("{} has {name}'s scripts ({families})", s.site_root.join("pkg").display())
    });
    step("site", site)
}
