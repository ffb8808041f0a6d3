//! `AppError` is the only error type that crosses the wire. Every variant is something a person can act
//! on and is worded for them; unexpected failures become `Internal { incident }`, whose cause is logged on
//! the server under the incident id and never sent to the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    #[error("Please sign in to continue.")]
    NotSignedIn,
    /// One message for every sign-in failure, so the answer never tells which part was wrong.
    #[error("The user name or password is incorrect.")]
    SignInFailed,
    #[error("Too many attempts. Wait {retry_after_secs} seconds and try again.")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("This request came from another site and was refused. Reload keydesk and try again.")]
    CrossSite,
    #[error("Confirm your password to continue: this action needs a recent sign-in.")]
    ReauthRequired,
    #[error("{message}")]
    InvalidInput { field: String, message: String },
    #[error("{message}")]
    NotFound { message: String },
    /// The person signed in (through the identity provider) but the AWS account has no IAM user of
    /// their name: typical of IAM Identity Center and federated people. keydesk never creates one.
    #[error("keydesk knows you as {user}, but this AWS account has no IAM user of that name, and keydesk never creates one.")]
    NoIamUser { user: String },
    #[error("{message}")]
    LimitExceeded { message: String },
    #[error("{message}")]
    Conflict { message: String },
    #[error("{message}")]
    NotAllowed { message: String },
    #[error("AWS IAM is busy right now. Nothing was changed; try again in a moment.")]
    IamBusy,
    #[error("AWS IAM cannot be reached right now. Nothing was changed; try again later.")]
    IamUnavailable,
    /// keydesk's own database is unreachable (a fail-over, a restart): nothing was changed and the
    /// session is intact; the same request works once it is back.
    #[error("keydesk cannot reach the company directory right now, so it cannot check your password. Try again in a moment.")]
    DirectoryUnavailable,
    #[error("keydesk cannot reach its database right now. Nothing was changed and you are still signed in; try again in a moment.")]
    PortalUnavailable,
    #[error("keydesk could not tell whether AWS IAM applied the change. {message}")]
    Ambiguous { message: String },
    #[error("Something went wrong on our side (incident {incident}). Nothing secret was lost; please try again or quote the incident to support.")]
    Internal { incident: String },
    /// The request never reached our code (network down, malformed request); the text comes from the
    /// server-function transport and carries no server-side detail.
    #[error("The request could not be completed: {message}")]
    Transport { message: String },
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::InvalidInput { field: field.into(), message: message.into() }
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::NotSignedIn => S::UNAUTHORIZED,
            AppError::SignInFailed => S::UNAUTHORIZED,
            AppError::TooManyAttempts { .. } => S::TOO_MANY_REQUESTS,
            AppError::Forbidden | AppError::CrossSite | AppError::NotAllowed { .. } => S::FORBIDDEN,
            AppError::ReauthRequired => S::UNAUTHORIZED,
            AppError::InvalidInput { .. } => S::UNPROCESSABLE_ENTITY,
            AppError::NotFound { .. } | AppError::NoIamUser { .. } => S::NOT_FOUND,
            AppError::LimitExceeded { .. } | AppError::Conflict { .. } => S::CONFLICT,
            // Throttled by IAM: nothing changed, try again shortly — a 429, never a 5xx (SECURITY.md G5).
            AppError::IamBusy => S::TOO_MANY_REQUESTS,
            // IAM unreachable: an answer, not a keydesk fault; the browser shows a retry hint.
            AppError::IamUnavailable | AppError::PortalUnavailable | AppError::DirectoryUnavailable => S::SERVICE_UNAVAILABLE,
            AppError::Ambiguous { .. } => S::CONFLICT,
            AppError::Internal { .. } => S::INTERNAL_SERVER_ERROR,
            AppError::Transport { .. } => S::BAD_REQUEST,
        }
    }

    /// True when trying the same thing again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            AppError::IamBusy
                | AppError::IamUnavailable
                | AppError::PortalUnavailable
                | AppError::DirectoryUnavailable
                | AppError::Transport { .. }
        )
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let message = match value {
            ServerFnErrorErr::Request(_) => "the server could not be reached".to_owned(),
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => "the form was incomplete or malformed".to_owned(),
            ServerFnErrorErr::Deserialization(_) | ServerFnErrorErr::Response(_) => "the server's answer could not be read".to_owned(),
            // Anything else is internal plumbing: say so without forwarding its text.
            _ => "an unexpected error occurred".to_owned(),
        };
        AppError::Transport { message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_json() {
        let e = AppError::invalid("password", "Too short.");
        let s = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&s).unwrap(), e);
    }

    #[test]
    fn transport_errors_do_not_forward_server_text() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::ServerError("arn:aws:iam::123456789012:user/alice policy text".into()));
        assert!(!e.to_string().contains("arn:aws"));
    }

    #[test]
    fn sign_in_failure_is_one_message() {
        assert_eq!(AppError::SignInFailed.to_string(), "The user name or password is incorrect.");
        assert_eq!(AppError::SignInFailed.status(), http::StatusCode::UNAUTHORIZED);
    }
}
