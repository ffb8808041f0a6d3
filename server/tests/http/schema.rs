//! The SQLite and PostgreSQL migrations are hand-kept twins (migrations/sqlite, migrations/postgres,
//! and the embedded IAM's pair): after migrating, both databases must have the same tables, the same
//! columns in each, and the same explicit indexes. Skipped (saying so) without PostgreSQL.

use crate::support::*;
use std::collections::BTreeSet;

#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    columns: BTreeSet<(String, String)>,
    indexes: BTreeSet<String>,
}

async fn schema(db: &server::db::Db) -> Schema {
    let (columns, indexes) = match db.kind {
        server::db::DbKind::Sqlite => (
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != '_sqlx_migrations'",
            // Explicit indexes only: those behind UNIQUE and PRIMARY KEY have no SQL.
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
        ),
        server::db::DbKind::Postgres => (
            "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c
             JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name != '_sqlx_migrations'",
            "SELECT indexname::text FROM pg_indexes i WHERE schemaname = current_schema()
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        ),
    };
    Schema {
        columns: sqlx::query_as::<_, (String, String)>(columns).fetch_all(&db.pool).await.unwrap().into_iter().collect(),
        indexes: sqlx::query_scalar::<_, String>(indexes).fetch_all(&db.pool).await.unwrap().into_iter().collect(),
    }
}

#[tokio::test]
async fn sqlite_and_postgresql_migrations_declare_the_same_schema() {
    testkit::require_env!("KEYDESK_TEST_POSTGRES_URL", "migration parity");
    let (lite, pg) = (TestApp::with(Backend::Sqlite, &[]).await, TestApp::with(Backend::Postgres, &[]).await);
    for (what, a, b) in [
        ("portal", &lite.portal.db, &pg.portal.db),
        ("embedded IAM", lite.portal.embedded.as_ref().unwrap().db(), pg.portal.embedded.as_ref().unwrap().db()),
    ] {
        let (a, b) = (schema(a).await, schema(b).await);
        assert!(!a.columns.is_empty(), "{what}: no tables read");
        let only = |x: &BTreeSet<(String, String)>, y: &BTreeSet<(String, String)>| x.difference(y).cloned().collect::<Vec<_>>();
        assert!(
            a.columns == b.columns,
            "{what} columns only in SQLite: {:?}; only in PostgreSQL: {:?}",
            only(&a.columns, &b.columns),
            only(&b.columns, &a.columns)
        );
        assert_eq!(a.indexes, b.indexes, "{what} indexes");
        eprintln!("{what}: {} columns and {} indexes alike on SQLite and PostgreSQL", a.columns.len(), a.indexes.len());
    }
}

/// The kit's PostgreSQL databases do not outlive their test: a CI cluster that kept every test's two
/// databases held about a thousand after one run.
#[tokio::test]
async fn a_test_app_on_postgresql_drops_its_databases_when_done() {
    let server = testkit::require_env!("KEYDESK_TEST_POSTGRES_URL", "database clean-up");
    let app = TestApp::with(Backend::Postgres, &[]).await;
    app.add_account("alice", app::domain::Role::Employee).await;
    let names: Vec<String> = app.databases.iter().map(|d| d.name.clone()).collect();
    let admin = sqlx::PgPool::connect(&server).await.unwrap();
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pg_database WHERE datname = ANY($1)")
            .bind(&names)
            .fetch_one(&admin)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 2, "both databases exist while the app runs");
    drop(app);
    assert_eq!(count().await, 0, "the databases of {names:?} are gone");
}
