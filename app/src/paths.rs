//! Every page's address, named once: the router's routes, the navigation, the forms and the server
//! (redirects, the no-JavaScript posts, reminder links) all use these.

/// "My security credentials", the start page.
pub const CREDENTIALS_PATH: &str = "/";
pub const SIGN_IN_PATH: &str = "/sign-in";
/// Administrators' break-glass sign-in with a keydesk password, when an identity provider is the front door.
pub const BREAK_GLASS_PATH: &str = "/sign-in/local";
/// Where a sign-in through the identity provider starts (served by the server, not the app).
pub const IDP_SIGN_IN_PATH: &str = "/auth/oidc/start";
/// A fresh sign-in at the identity provider for a sensitive action; `?return_to=` the page to come back to.
pub const IDP_STEP_UP_PATH: &str = "/auth/oidc/step-up";
/// The one-time page of a key created without JavaScript (its form posts here).
pub const NEW_KEY_PATH: &str = "/access-keys/new";
/// Where the temporary-credentials form posts without JavaScript: the answer is the one-time page.
pub const NEW_TEMPORARY_PATH: &str = "/temporary-credentials/new";
pub const ADMIN_PATH: &str = "/admin";
pub const HELPDESK_PATH: &str = "/helpdesk";
pub const AUDIT_PATH: &str = "/audit";
pub const SETTINGS_PATH: &str = "/settings";
pub const ACTIVITY_PATH: &str = "/activity";

/// The section of its page that a form posting to server function `endpoint` belongs to, for forms
/// drawn on the server (they post with or without JavaScript): the answer's redirect back to the page
/// ends in `#<section>`, so the browser shows the section where the result or the refusal is, not the
/// top of a long page. `None`: the redirect goes back as it came.
pub fn form_section(endpoint: &str) -> Option<&'static str> {
    match endpoint {
        "set_key_exemption" | "remove_key_exemption" => Some("deadlines"),
        "refresh_credential_review" => Some("review"),
        "mark_notifications_read" => Some("notifications"),
        "upload_signing_cert" | "set_signing_cert_status" | "delete_signing_cert" => Some("signing-certificates"),
        "resync_mfa" | "remove_mfa" | "enable_mfa" => Some("mfa"),
        "set_service_credential_status" | "delete_service_credential" => Some("service-credentials"),
        "set_git_credential_status" | "delete_git_credential" => Some("git-credentials"),
        "set_ssh_key_status" | "delete_ssh_key" | "upload_ssh_key" => Some("ssh-keys"),
        "change_password" => Some("password"),
        "set_access_key_status" | "delete_access_key" => Some("access-keys"),
        _ => None,
    }
}

/// The server functions whose success a server-drawn page states in a line of its own when the
/// answer comes back (`?done=<endpoint>`): the rest show their success in what the page then lists.
pub fn reports_done(endpoint: &str) -> bool {
    matches!(endpoint, "upload_signing_cert" | "resync_mfa" | "enable_mfa" | "upload_ssh_key" | "change_password")
}

/// Whether `id` may name a place on a page in a form's address (`?at=<id>`): an element id as keydesk
/// writes them, so nothing else reaches the redirect or the page.
pub fn is_place(id: &str) -> bool {
    !id.is_empty() && id.len() <= 96 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
