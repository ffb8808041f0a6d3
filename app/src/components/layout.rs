//! The page frame, rendered on the server only (it is in no island). `SessionCtx` (provided once by
//! `App`) holds the frame resource and the sign-out action. `Gate` renders its children only for a
//! signed-in viewer with the required role; the server functions behind each page enforce the same rule.

use crate::api::auth::{get_frame, SignOut};
use crate::components::ErrorView;
use crate::domain::{BackendKind, Frame, Role};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};

#[derive(Clone, Copy)]
pub struct SessionCtx {
    pub frame: Resource<Result<Frame, AppError>>,
    pub sign_out: ServerAction<SignOut>,
}

impl SessionCtx {
    /// Must be called inside the `Router`. The frame is fetched again on every navigation, so the
    /// header follows sign-in (which redirects), sign-out and server-side expiry.
    pub fn provide() -> Self {
        let sign_out = ServerAction::<SignOut>::new();
        let path = leptos_router::hooks::use_location().pathname;
        let frame = Resource::new(move || (path.get(), sign_out.version().get()), |_| get_frame());
        let ctx = SessionCtx { frame, sign_out };
        provide_context(ctx);
        ctx
    }
}

pub fn use_session() -> SessionCtx {
    expect_context::<SessionCtx>()
}

/// Set the HTTP status of the server-rendered page (no-op in the browser).
pub fn set_status(_status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(res), Ok(code)) = (use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(_status)) {
        res.set_status(code);
    }
}

/// The layout of every page: header with product name, navigation by role, the signed-in user and
/// sign-out; a badge when the embedded (demo) IAM is in use; the page body.
#[component]
pub fn Shell(children: Children) -> impl IntoView {
    view! {
        <div class="min-h-screen bg-slate-50 text-slate-900">
            <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:shadow">
                "Skip to content"
            </a>
            <Header/>
            <main id="main" class="mx-auto max-w-6xl px-4 py-8 sm:px-6">{children()}</main>
            <footer class="mx-auto max-w-6xl px-4 pb-8 text-xs text-slate-500 sm:px-6">
                "keydesk — self-service credentials for AWS IAM"
            </footer>
        </div>
    }
}

#[component]
fn Header() -> impl IntoView {
    let session = use_session();
    view! {
        <header class="border-b border-slate-200 bg-white">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3 sm:px-6">
                <a href="/" class="flex items-center gap-2 rounded text-lg font-semibold tracking-tight text-slate-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
                    <span aria-hidden="true" class="inline-flex h-7 w-7 items-center justify-center rounded-md bg-indigo-600 text-sm font-bold text-white">"k"</span>
                    "keydesk"
                </a>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.frame.await {
                            Ok(frame) => view! { <HeaderBody frame/> }.into_any(),
                            Err(_) => ().into_any(),
                        }
                    })}
                </Transition>
            </div>
        </header>
    }
}

#[component]
fn HeaderBody(frame: Frame) -> impl IntoView {
    let session = use_session();
    let badge = (frame.backend == BackendKind::Embedded).then(|| {
        view! {
            <span data-testid="demo-badge" title="keydesk is using its built-in IAM emulation; nothing here touches an AWS account."
                class="rounded-full bg-amber-100 px-2.5 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-amber-300">
                // Short where the administrators' six links and the name must share one line (1280 px).
                <span class="2xl:hidden">"Demo data"</span><span class="hidden 2xl:inline">"Local IAM — demo data"</span>
            </span>
        }
    });
    let nav = frame.viewer.clone().map(|v| {
        let link = "rounded px-1.5 py-1 text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600 aria-[current=page]:bg-indigo-50 aria-[current=page]:text-indigo-700";
        view! {
            <nav aria-label="Main" class="flex flex-wrap items-center gap-1">
                <A href="/" attr:class=link>"My credentials"</A>
                <A href=crate::paths::ACTIVITY_PATH attr:class=link>"My activity"</A>
                {(v.role.is_helpdesk() || v.role.is_admin()).then(|| view! { <A href=crate::paths::HELPDESK_PATH attr:class=link>"Help desk"</A> })}
                {v.role.is_admin().then(|| view! { <A href=crate::paths::ADMIN_PATH attr:class=link>"Admin"</A> })}
                {(v.role.is_admin() || v.role.is_helpdesk()).then(|| view! { <A href=crate::paths::AUDIT_PATH attr:class=link>"Audit log"</A> })}
                {v.role.is_admin().then(|| view! { <A href=crate::paths::SETTINGS_PATH attr:class=link>"Account settings"</A> })}
            </nav>
        }
    });
    let unread = frame.unread;
    let user = frame.viewer.map(|v| view! {
        <div class="flex items-center gap-3 text-sm">
            <a href=format!("{}#notifications", crate::paths::ACTIVITY_PATH) data-testid="notifications-link"
                aria-label=if unread == 0 { "Notifications: none unread".to_owned() } else { format!("Notifications: {unread} unread") }
                class="relative rounded-md p-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600">
                <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" class="h-5 w-5">
                    <path fill-rule="evenodd" d="M10 2a6 6 0 0 0-6 6c0 1.887-.454 3.665-1.257 5.234a.75.75 0 0 0 .515 1.076 32.91 32.91 0 0 0 3.256.508 3.5 3.5 0 0 0 6.972 0 32.903 32.903 0 0 0 3.256-.508.75.75 0 0 0 .515-1.076A11.448 11.448 0 0 1 16 8a6 6 0 0 0-6-6ZM8.05 14.943a33.54 33.54 0 0 0 3.9 0 2 2 0 0 1-3.9 0Z" clip-rule="evenodd"/>
                </svg>
                {(unread > 0).then(|| view! {
                    <span class="absolute -right-1 -top-1 min-w-4 rounded-full bg-red-600 px-1 text-center text-[10px] font-semibold leading-4 text-white" data-testid="unread-count">
                        {if unread > 99 { "99+".to_owned() } else { unread.to_string() }}
                    </span>
                })}
            </a>
            <span class="text-right leading-tight" title=format!("{}, acting for IAM user {}", v.role.label(), v.iam_user)>
                <span class="block font-medium" data-testid="viewer-name">{v.display_name}</span>
                <span class="block text-xs text-slate-500">{v.role.label()} " · " <span class="font-mono">{v.iam_user.to_string()}</span></span>
            </span>
            <ActionForm action=session.sign_out>
                <button type="submit" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600">
                    "Sign out"
                </button>
            </ActionForm>
        </div>
    });
    view! {
        {badge}
        {nav}
        <div class="ml-auto">{user}</div>
    }
}

/// Renders `children` only for a signed-in viewer (with `role`, when given). Anonymous visitors are
/// redirected to the sign-in page; a signed-in viewer without the role sees a 403 page.
#[component]
pub fn Gate(
    #[prop(optional)] role: Option<Role>,
    #[prop(optional)] any_of: Option<&'static [Role]>,
    children: ChildrenFn,
) -> impl IntoView {
    let session = use_session();
    let children = StoredValue::new(children);
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may = |r: Role| role.is_none_or(|want| r == want) && any_of.is_none_or(|roles| roles.contains(&r));
                match session.frame.await {
                    Ok(frame) => match frame.viewer.as_ref().map(|v| v.role) {
                        Some(r) if may(r) => {
                            provide_context(frame);
                            children.with_value(|c| c()).into_any()
                        }
                        Some(_) => {
                            set_status(403);
                            view! { <ErrorView error=AppError::Forbidden/> }.into_any()
                        }
                        None => view! { <Redirect path=crate::paths::SIGN_IN_PATH/> }.into_any(),
                    },
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The frame of the signed-in viewer a [`Gate`] let through, for its children: a page's island takes it
/// as a prop (an island in the browser sees no context from outside itself) and provides it again.
pub fn gate_frame() -> Frame {
    expect_context::<Frame>()
}

/// Shown instead of a section the employee may not manage themselves: who decides, and whom to ask.
#[component]
pub fn ManagedNotice(cap: crate::domain::entitlements::Capability, #[prop(into)] ask: String) -> impl IntoView {
    view! {
        <div class="flex gap-3 rounded-md bg-slate-50 px-4 py-3 text-sm text-slate-700 ring-1 ring-slate-200" role="note"
            data-testid=format!("managed-{}", cap.id())>
            <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" class="mt-0.5 h-4 w-4 shrink-0 text-slate-500">
                <path fill-rule="evenodd" d="M10 1a4.5 4.5 0 0 0-4.5 4.5V9H5a2 2 0 0 0-2 2v6a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-6a2 2 0 0 0-2-2h-.5V5.5A4.5 4.5 0 0 0 10 1Zm3 8V5.5a3 3 0 1 0-6 0V9h6Z" clip-rule="evenodd"/>
            </svg>
            <p>{crate::domain::entitlements::managed_by_administrators(cap, &ask)}</p>
        </div>
    }
}

/// A titled card for one section of a page.
#[component]
pub fn SectionCard(
    #[prop(into)] title: String,
    #[prop(into)] id: String,
    #[prop(optional, into)] subtitle: Option<String>,
    children: Children,
) -> impl IntoView {
    let heading = format!("{id}-heading");
    let labelled_by = heading.clone();
    view! {
        <section id=id aria-labelledby=labelled_by class="min-w-0 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:p-6">
            <h2 id=heading class="text-lg font-semibold text-slate-900">{title}</h2>
            {subtitle.map(|s| view! { <p class="mt-1 text-sm text-slate-600">{super::code_spans(&s)}</p> })}
            <div class="mt-4">{children()}</div>
        </section>
    }
}
