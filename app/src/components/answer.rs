//! The answer a form drawn on the server came back with (`server/src/url_errors.rs`): its server
//! function's refusal (which Leptos' `ServerAction` reads from the address), the place whose form
//! was refused (`open=`) and the success the page states (`done=`).

use crate::error::AppError;
use leptos::prelude::*;

/// A form's address that names its place on the page (`/api/<endpoint>?at=<place>`): the answer lands
/// there, and a refusal comes back with `open=<place>`.
pub fn posts_to<S: leptos::server_fn::ServerFn>(place: &str) -> String {
    format!("{}?at={place}", S::PATH)
}

/// What the address says about the last answer; each is empty when it says nothing.
pub struct Answer {
    /// The place or endpoint whose success the page states.
    pub done: String,
    /// The place whose form was refused, to be drawn open again.
    pub open: String,
}

pub fn use_answer() -> Answer {
    super::location::use_query_map()
        .with_untracked(|q| Answer { done: q.get("done").unwrap_or_default(), open: q.get("open").unwrap_or_default() })
}

/// Of the answers of a section's forms (their actions' values as the page is drawn): whether one asks
/// for a password confirmation (the section's `SectionReauth`), and the first other refusal.
pub fn refusal(answers: impl IntoIterator<Item = Option<Result<(), AppError>>>) -> (bool, Option<AppError>) {
    let mut asks = false;
    let mut error = None;
    for refused in answers.into_iter().flatten().filter_map(Result::err) {
        match refused {
            AppError::ReauthRequired => asks = true,
            other => {
                error.get_or_insert(other);
            }
        }
    }
    (asks, error)
}
