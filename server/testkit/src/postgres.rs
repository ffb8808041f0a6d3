//! Fresh PostgreSQL databases on the server named by `KEYDESK_TEST_POSTGRES_URL`, dropped when the
//! test is done with them.

use sqlx::Connection;

/// The configured PostgreSQL server's URL (a database on it that keydesk may connect to), if any.
pub fn configured() -> Option<String> {
    std::env::var("KEYDESK_TEST_POSTGRES_URL").ok()
}

/// A database made for one test. Dropping it drops the database (`WITH (FORCE)`, so connections a
/// pool still holds do not keep it alive).
#[derive(Debug)]
pub struct FreshDatabase {
    /// The URL keydesk connects to.
    pub url: String,
    /// The database's name on the server.
    pub name: String,
    server: String,
}

impl FreshDatabase {
    /// A new, empty database on the configured server. Panics when none is configured: check
    /// [`configured`] (or use [`require_env!`](crate::require_env)) first.
    pub async fn create() -> FreshDatabase {
        let server = configured().expect("KEYDESK_TEST_POSTGRES_URL is not set");
        let name = format!("keydesk_t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&server).await.unwrap();
        sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
        let (prefix, _) = server.rsplit_once('/').unwrap();
        FreshDatabase { url: format!("{prefix}/{name}"), name, server }
    }

    /// [`FreshDatabase::create`] for a synchronous test.
    pub fn create_blocking() -> FreshDatabase {
        on_own_runtime(Self::create())
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop may run inside a Tokio runtime, which must not block on another: a thread of its own.
        let dropped = on_own_runtime(async move {
            let mut conn = sqlx::PgConnection::connect(&server).await?;
            sqlx::Executor::execute(&mut conn, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await
        });
        if let Err(e) = dropped {
            eprintln!("note: test database {} was not dropped: {e}", self.name);
        }
    }
}

/// Run `f` to completion on a current-thread runtime on a thread of its own.
fn on_own_runtime<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)).join().unwrap()
}
