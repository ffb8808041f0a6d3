//! `keydesk check`: the deployment's preflight. One line per check (`ok` or `FAIL` with what to do),
//! stopping at the first failure: the configuration, the portal database and its migrations (reported,
//! not applied), the embedded IAM's database, or — with the aws backend — keydesk's own AWS identity
//! and each role it assumes, and the built site.

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
    let iam = match s.iam_backend {
        BackendChoice::Embedded => step("embedded IAM database", database(&s.embedded_iam_database_url, Schema::EmbeddedIam).await),
        BackendChoice::Aws => {
            let checked = async {
                let aws = crate::iam::aws::AwsIam::from_env(crate::aws_settings(s), std::sync::Arc::new(crate::clock::SystemClock)).await?;
                aws.check().await?;
                Ok::<_, String>("keydesk's identity resolves and the user, help-desk and admin roles can be assumed".to_owned())
            };
            step("AWS", checked.await)
        }
    };
    if !iam {
        return false;
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
    let site = crate::http::site_assets(&s.site_root).map(|name| format!("{} has {name}.js", s.site_root.join("pkg").display()));
    step("site", site)
}
