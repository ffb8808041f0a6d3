//! X.509 signing certificates on the employee's own user: upload (inspected first: parses, valid today,
//! RSA ≥ 2048 or EC on a standard curve, one at a time, never a private key), the 2-certificate limit,
//! duplicates, status and delete, each audited and told to the owner.

use crate::support::*;
use app::api::credentials::CredentialsOverview;
use app::domain::signing_cert::SigningCertView;
use app::error::AppError;
use http::StatusCode;
use time::Duration;

/// A self-signed RSA-1024 certificate valid until 2126 (public; generated with openssl, key discarded).
const RSA_1024: &str = "-----BEGIN CERTIFICATE-----
MIICDjCCAXegAwIBAgIUB2Hlaqmr/6zaJnpxqI/zgpdtOWEwDQYJKoZIhvcNAQEL
BQAwGDEWMBQGA1UEAwwNd2Vhay1yc2EtMTAyNDAgFw0yNjExMzAwMTU0MTBaGA8y
MTI2MTEwNjAxNTQxMFowGDEWMBQGA1UEAwwNd2Vhay1yc2EtMTAyNDCBnzANBgkq
hkiG9w0BAQEFAAOBjQAwgYkCgYEAuzUhzqyvCV8L4+f+N4zwjJ25bcUGZNIX4Hsr
/m5/YlfMs/y7LrDzHI1bMEgWqyriYEFvvvBMLtH+rFPquQHOCjq/XWevxnK29+34
j3ZG61J1AY4vJedyzz4C3OGWezqOpmLzaiBTZbEl4AjRvuoD0Rv5xhVejmyjKkgR
Jh6iyk8CAwEAAaNTMFEwHQYDVR0OBBYEFBiGsCPG23IZkJF3JSArHa8rpI6QMB8G
A1UdIwQYMBaAFBiGsCPG23IZkJF3JSArHa8rpI6QMA8GA1UdEwEB/wQFMAMBAf8w
DQYJKoZIhvcNAQELBQADgYEAa33VqFxn3CldpyC8ueLpR/vzLlMGF7sx8mgkeeBc
jcOVgCO+bGrveLvpjY7xS0XHK1Ph/FKbLBhwjAFqiP+HxcE2MQuydJ/DKd6fG3x2
qui+zOP2XeYk3WwyuIaUP/idM9Cb5Q9f+ElTLpzqrYRUbNTdwm2jX7wfyt6SsUCR
DC4=
-----END CERTIFICATE-----";

/// A certificate for `cn` valid from `from` to `to` days around the test clock's start, and its key.
fn cert(cn: &str, from: i64, to: i64) -> (String, String) {
    certificate(cn, start_time() + Duration::days(from), start_time() + Duration::days(to))
}

async fn upload(app: &TestApp, cookie: &str, pem: &str) -> Reply {
    app.server_fn(Some(cookie), "upload_signing_cert", &[("certificate", pem)]).await
}

async fn certs(app: &TestApp, cookie: &str) -> Vec<SigningCertView> {
    let r = app.server_fn(Some(cookie), "get_my_credentials", &[]).await;
    let o: CredentialsOverview = serde_json::from_str(&r.body).unwrap();
    o.signing_certs.unwrap()
}

#[tokio::test]
async fn certificates_are_inspected_uploaded_limited_deactivated_and_deleted() {
    let (app, _, alice) = admin_and_employee().await;
    let (good, _) = cert("build-signer", -1, 365);
    let r = upload(&app, &alice, &good).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let view: SigningCertView = serde_json::from_str(&r.body).unwrap();
    let info = view.info.clone().unwrap();
    assert_eq!(info.subject, "CN=build-signer");
    assert_eq!(info.key, "EC P-256");
    assert_eq!(info.sha256.len(), 95, "32 bytes as colon-separated hex: {}", info.sha256);
    assert!(!view.expired);
    assert_eq!(certs(&app, &alice).await, vec![view.clone()], "the page lists what was uploaded");

    let r = upload(&app, &alice, &good).await;
    assert_eq!(
        (r.status, r.app_error()),
        (StatusCode::CONFLICT, AppError::Conflict { message: "You have uploaded this certificate already.".into() })
    );
    let (second, _) = cert("release-signer", 0, 30);
    assert_eq!(upload(&app, &alice, &second).await.status, StatusCode::OK);
    let (third, _) = cert("third", 0, 30);
    let r = upload(&app, &alice, &third).await;
    assert!(matches!(r.app_error(), AppError::LimitExceeded { .. }), "{}", r.body);
    assert_eq!(certs(&app, &alice).await.len(), 2);

    // Deactivate, then delete with the id typed; both audited and told to the owner.
    let id = view.id.as_str();
    let r = app.server_fn(Some(&alice), "set_signing_cert_status", &[("certificate_id", id), ("active", "false")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.server_fn(Some(&alice), "delete_signing_cert", &[("certificate_id", id), ("confirm", "nope")]).await;
    assert!(matches!(r.app_error(), AppError::InvalidInput { field, .. } if field == "confirm"));
    let r = app.server_fn(Some(&alice), "delete_signing_cert", &[("certificate_id", id), ("confirm", id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(certs(&app, &alice).await.len(), 1);
    let trail: Vec<(String, String)> = audit_trail(&app, "signing_cert.").await.into_iter().filter(|(_, o)| o == "success").collect();
    let actions: Vec<&str> = trail.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["signing_cert.upload", "signing_cert.upload", "signing_cert.deactivate", "signing_cert.delete"]);
    let titles: Vec<String> = sqlx::query_scalar("SELECT title FROM notifications WHERE iam_user = 'alice' ORDER BY id")
        .fetch_all(&app.portal.db.pool)
        .await
        .unwrap();
    assert_eq!(titles.first().map(String::as_str), Some("New signing certificate"));
    assert_eq!(titles.last().map(String::as_str), Some("Signing certificate deleted"));
}

#[tokio::test]
async fn every_bad_certificate_is_refused_with_what_to_do_and_nothing_is_uploaded() {
    let (app, _, alice) = admin_and_employee().await;
    let (expired, _) = cert("old", -400, -35);
    let (future, _) = cert("future", 10, 400);
    let (good, private_key) = cert("ok", -1, 30);
    let (other, _) = cert("other", -1, 30);
    let chain = format!("{good}\n{other}");
    for (pem, says) in [
        (expired.as_str(), "expired on"),
        (future.as_str(), "not valid before"),
        (RSA_1024, "RSA key has 1024 bits; use 2048 bits or more"),
        (private_key.as_str(), "That is a private key"),
        ("hello", "not a PEM certificate"),
        ("", "Paste a PEM certificate"),
        (chain.as_str(), "one certificate at a time"),
    ] {
        let r = upload(&app, &alice, pem).await;
        match r.app_error() {
            AppError::InvalidInput { field, message } => {
                assert_eq!(field, "certificate");
                assert!(message.contains(says), "{message:?} should say {says:?}");
            }
            other => panic!("{says}: {other:?}"),
        }
    }
    // The private key is never echoed.
    let r = upload(&app, &alice, &private_key).await;
    let key_line = private_key.lines().nth(1).unwrap();
    assert!(!r.body.contains(key_line), "the answer does not repeat the private key");
    assert!(certs(&app, &alice).await.is_empty(), "nothing was uploaded");
    assert!(audit_trail(&app, "signing_cert.").await.is_empty(), "a refused input never reaches the audit log as an attempt");
}
