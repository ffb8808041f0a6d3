//! SECURITY.md §2: every goal G1…G22 and every finding of the security review (H1, M1-M3, L1-L13)
//! measured against the real router (and, for the shared-state goals, two keydesk instances on one
//! database). Each goal is its own test, so it can be filtered, retried and reported by name; each
//! prints its rows and writes them to `target/security-report/`, and `.ci/security-report` (run by
//! `.ci/test`) joins them into one table — goal, database, figure, verdict — in `target/security-report.md`.
//! Run them with `cargo test -p server --test security -- --nocapture`.
//!
//! PostgreSQL rows appear when `KEYDESK_TEST_POSTGRES_URL` is set (`.ci/run` starts a cluster), moto
//! rows when `KEYDESK_TEST_MOTO_URL` is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::print_stderr)] // test code: a panic is the failure
use testkit as support;

mod abuse;
mod faults;
mod instances;
mod integrity;
mod ldap;
mod oidc;
mod report;
mod review;
mod review_low;
mod secrets;

use report::Report;

/// One test per goal: `goal!(test_name, module::function)` for a goal measured once, `per_db` for one
/// measured on every configured database. The macro's line orders the joined table.
macro_rules! goal {
    ($name:ident, $($f:ident)::+) => {
        #[tokio::test]
        async fn $name() {
            let mut report = Report::default();
            $($f)::+(&mut report).await;
            report.finish(stringify!($name), line!());
        }
    };
    ($name:ident, per_db $($f:ident)::+) => {
        #[tokio::test]
        async fn $name() {
            let mut report = Report::default();
            for db in support::databases() {
                $($f)::+(&mut report, db).await;
            }
            report.finish(stringify!($name), line!());
        }
    };
}

goal!(g1_concurrent_creates, per_db instances::g1_concurrent_creates_across_two_instances);
goal!(g1_shared_sessions, per_db instances::sessions_are_shared_by_the_instances);
goal!(g10_shared_back_off, per_db instances::g10_back_off_is_shared_and_bounded);
goal!(g4_lost_responses, per_db faults::g4_lost_responses);
goal!(g4_interrupted_changes, per_db faults::interrupted_changes_are_settled);
goal!(l5_step_up_not_frozen, per_db review::l5_anonymous_failures_do_not_freeze_step_up);
goal!(m1_revoked_sessions, per_db review::m1_revoked_sessions_stay_revoked);
goal!(g10_per_address_limit, instances::g10_per_address_limit);
goal!(g10_hashing_bounded, instances::g10_hashing_is_bounded);
goal!(l4_canonical_addresses, review::l4_addresses_are_canonical);
goal!(g7_database_gone, instances::database_gone_for_five_seconds);
goal!(g5_throttling, faults::g5_throttling);
goal!(g5_throttling_aws_sdk, faults::g5_throttling_through_the_aws_sdk);
goal!(g7_iam_down, faults::g7_iam_down);
goal!(g8_audit_before_iam, faults::g8_no_mutation_without_an_audit_intent);
goal!(g11_no_enumeration, abuse::g11_no_user_enumeration);
goal!(g12_sessions, abuse::g12_sessions);
goal!(g13_step_up_everywhere, abuse::g13_step_up_everywhere);
goal!(h1_password_admission, review::h1_every_password_check_is_admitted);
goal!(m2_held_keys, review::m2_held_keys_stay_off);
goal!(l10_quarantine_stays, review::l10_quarantine_stays_while_the_leak_is_on);
goal!(l11_failures_bounded, review::l11_failures_stay_bounded);
goal!(m3_help_desk_scope, review_low::m3_help_desk_scope);
goal!(l1_mfa_longer_names, review_low::l1_mfa_devices_of_a_longer_name);
goal!(l2_git_forms, review_low::l2_git_forms_stay_on_git);
goal!(l3_no_error_text_from_links, review_low::l3_no_error_text_from_links);
goal!(l6_four_eyes, review_low::l6_four_eyes_are_two_people);
goal!(l7_passwd_ends_sessions, review_low::l7_passwd_ends_sessions);
goal!(l8_tags_for_descriptions, review_low::l8_tags_only_for_key_descriptions);
goal!(l9_metrics_not_public, review_low::l9_metrics_not_public_by_default);
goal!(l12_no_config_passwords, review_low::l12_no_passwords_in_configuration_errors);
goal!(l13_ending_sessions_step_up, review_low::l13_ending_sessions_needs_step_up);
goal!(g14_idor, abuse::g14_idor);
goal!(g15_g18_every_route, abuse::g15_g18_every_route);
goal!(hostile_inputs, abuse::bad_input_everywhere);
goal!(g16_canaries, secrets::g16_canaries);
goal!(g16_oidc_canaries, secrets::g16_oidc_canaries);
goal!(g16_ldap_canaries, secrets::g16_ldap_canaries);
goal!(g16_temporary_credentials, secrets::g16_temporary_credentials);
goal!(g19_password_hashes, secrets::g19_password_hashes);
goal!(g22_audit_records, integrity::g22_audit_records);
goal!(g27_token_matrix, per_db oidc::g27_token_matrix);
goal!(g27_provider_faults, oidc::g27_provider_faults);
goal!(g28_identity, per_db oidc::g28_identity);
goal!(g29_step_up, per_db oidc::g29_step_up);
goal!(g30_logout, per_db oidc::g30_logout);
goal!(g31_directory_sign_in, per_db ldap::g31_directory_sign_in);
goal!(g32_directory_tls, ldap::g32_directory_tls);
goal!(g33_directory_step_up, per_db ldap::g33_directory_step_up);
goal!(g17_browser, g17_note);

/// G17 is measured in Chromium; its row says where.
async fn g17_note(report: &mut Report) {
    report.g17_note();
}

/// G20 runs synchronously (proptest).
#[test]
fn g20_parsers_never_panic() {
    let mut report = Report::default();
    integrity::g20_parsers_never_panic(&mut report);
    report.finish("g20_parsers_never_panic", line!());
}
