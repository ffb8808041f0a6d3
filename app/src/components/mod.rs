//! Building blocks shared by the pages: the layout frame (header, navigation, demo badge), the access
//! gate that redirects anonymous visitors and refuses the wrong role, and the error view.

pub mod browser;
mod error_view;
mod layout;

pub use error_view::ErrorView;
pub use layout::{set_status, use_session, Gate, ManagedNotice, SectionCard, SessionCtx, Shell};
