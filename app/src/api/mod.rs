//! Server functions, grouped by feature. Each is a few lines: who is asking, call the port, respond.
//! All use POST (the default encoding): nothing that changes state is reachable with GET.

pub mod access_keys;
pub mod activity;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod codecommit;
pub mod credentials;
pub mod deadlines;
pub mod helpdesk;
pub mod mfa;
pub mod password;
pub mod services;
pub mod settings;
pub mod temporary;

/// `Port`, the sum of the feature ports named once: the trait and the blanket impl that makes every type
/// implementing all of them a `Port` (so `dyn Port` works).
macro_rules! sum_of_ports {
    ($($port:path),+ $(,)?) => {
        /// Everything the server does for the browser: the sum of the feature ports, each declared beside
        /// its server functions. The server's portal implements each one.
        #[cfg(feature = "ssr")]
        pub trait Port: $($port +)+ 'static {}

        #[cfg(feature = "ssr")]
        impl<T> Port for T where T: $($port +)+ 'static {}
    };
}

sum_of_ports!(
    auth::SessionPort,
    access_keys::AccessKeysPort,
    password::PasswordPort,
    mfa::MfaPort,
    codecommit::CodeCommitPort,
    services::ServicesPort,
    credentials::CredentialsPort,
    helpdesk::HelpdeskPort,
    audit::AuditPort,
    admin::AdminPort,
    settings::SettingsPort,
    activity::ActivityPort,
    deadlines::DeadlinesPort,
    temporary::TemporaryPort,
);

/// The port as stored in the Leptos context.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct PortHandle(pub std::sync::Arc<dyn Port>);

/// The server's port, from the request's context.
#[cfg(feature = "ssr")]
pub fn port() -> Result<std::sync::Arc<dyn Port>, crate::error::AppError> {
    use leptos::prelude::use_context;
    crate::ssr::respond(use_context::<PortHandle>().map(|h| h.0).ok_or_else(|| crate::ssr::incident("port")))
}
