//! Every page's address, named once: the router's routes, the navigation, the forms and the server
//! (redirects, the no-JavaScript posts, reminder links) all use these.

/// "My security credentials", the start page.
pub const CREDENTIALS_PATH: &str = "/";
pub const SIGN_IN_PATH: &str = "/sign-in";
/// The one-time page of a key created without JavaScript (its form posts here).
pub const NEW_KEY_PATH: &str = "/access-keys/new";
pub const ADMIN_PATH: &str = "/admin";
pub const HELPDESK_PATH: &str = "/helpdesk";
pub const AUDIT_PATH: &str = "/audit";
pub const SETTINGS_PATH: &str = "/settings";
pub const ACTIVITY_PATH: &str = "/activity";
