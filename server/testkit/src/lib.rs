//! keydesk's test kit, the one place for what tests share: a fresh PostgreSQL database that is dropped
//! afterwards ([`postgres`]), moto set-up ([`moto`]), the "skip unless configured" rule
//! ([`require_env!`]), certificate, RSA and TOTP fixtures ([`fixtures`]), the HTTP reply and the
//! percentile helpers ([`reply`], [`stats`]), and keydesk's real router around throw-away databases
//! and a manual clock ([`harness`]).
//!
//! A dev-dependency of `server`: the HTTP and security tests, the operations and CLI tests, the IAM
//! conformance suite and the benchmarks all take their helpers from here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)] // test code: a panic is the failure

pub mod fixtures;
pub mod harness;
pub mod idp;
pub mod ldap;
pub mod moto;
pub mod postgres;
pub mod reply;
pub mod stats;

pub use fixtures::*;
pub use harness::*;
pub use reply::{form_request, page_form_request, urlencode, Reply};

/// A site directory `keydesk` starts with: `pkg/` holding each family's script under the plain name
/// (`keydesk-<family>.js`, [`app::pages::Bundle::files`]), nothing else built.
pub fn unbuilt_site(site: &std::path::Path) {
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    for bundle in app::pages::Bundle::ALL {
        std::fs::write(site.join("pkg").join(&bundle.files("keydesk")[0]), "// built").unwrap();
    }
}

/// The value of the environment variable `$var`, or — when it is not set — a note naming what is
/// skipped and `return Default::default()` from the calling function (`()` for a test, `None` for a
/// harness factory). Every "needs PostgreSQL / moto / the SMTP sink" test says so through this one rule.
#[macro_export]
macro_rules! require_env {
    ($var:literal, $what:expr) => {
        match ::std::env::var($var) {
            Ok(value) => value,
            Err(_) => {
                eprintln!("note: {} skipped ({} is not set; .ci/test sets it)", $what, $var);
                return Default::default();
            }
        }
    };
}
