//! SECURITY.md §2 as one report: every goal G1…G22 measured against the real router (and, for the
//! shared-state goals, two keydesk instances on one database), printed as one table — goal, database,
//! figure, verdict — and written to `target/security-report.md`. Run it with
//! `cargo test -p server --test security -- --nocapture`.
//!
//! One test function runs every measurement in turn so the table comes out whole; a goal that is missed
//! still lets the others be measured, and the test fails at the end naming it. PostgreSQL rows appear
//! when `KEYDESK_TEST_POSTGRES_URL` is set (`.ci/run` starts a cluster), moto rows when
//! `KEYDESK_TEST_MOTO_URL` is.

#[path = "../http/support.rs"]
#[allow(dead_code)]
mod support;

mod abuse;
mod faults;
mod instances;
mod integrity;
mod report;
mod secrets;

use report::Report;

#[tokio::test]
async fn every_goal_in_security_md_prints_its_figure_and_meets_it() {
    // The canary goal records every log line at TRACE while it runs; installed first, before anything
    // logs (the subscriber is process-wide).
    let logs = secrets::LogCapture::install();
    let mut report = Report::default();

    for db in support::databases() {
        instances::g1_concurrent_creates_across_two_instances(&mut report, db).await;
        instances::sessions_are_shared_by_the_instances(&mut report, db).await;
        instances::g10_back_off_is_shared_and_bounded(&mut report, db).await;
        faults::g4_lost_responses(&mut report, db).await;
        faults::interrupted_changes_are_settled(&mut report, db).await;
    }
    instances::g10_per_address_limit(&mut report).await;
    instances::g10_hashing_is_bounded(&mut report).await;
    instances::database_gone_for_five_seconds(&mut report).await;
    faults::g5_throttling(&mut report).await;
    faults::g5_throttling_through_the_aws_sdk(&mut report).await;
    faults::g7_iam_down(&mut report).await;
    faults::g8_no_mutation_without_an_audit_intent(&mut report).await;
    abuse::g11_no_user_enumeration(&mut report).await;
    abuse::g12_sessions(&mut report).await;
    abuse::g13_step_up_everywhere(&mut report).await;
    abuse::g14_idor(&mut report).await;
    abuse::g15_g18_every_route(&mut report).await;
    abuse::bad_input_everywhere(&mut report).await;
    secrets::g16_canaries(&mut report, &logs).await;
    secrets::g19_password_hashes(&mut report).await;
    integrity::g20_parsers_never_panic(&mut report);
    integrity::g22_audit_records(&mut report).await;
    report.g17_note();

    report.finish();
}
