//! "My activity": the person's notifications (reminders and notices of every change to their
//! credentials), their portal sign-ins, their open sessions (sign out one or all others), when each of
//! their credentials was last used, and the history of changes with who made them.

use crate::api::access_keys::ConfirmPassword;
use crate::api::activity::*;
use crate::components::{ErrorView, Gate, SectionCard, Shell};
use crate::components::{InlineReauth, BUTTON, DANGER, SECONDARY, TH};
use crate::domain::fmt_utc;
use crate::domain::notices::NoticeKind;
use crate::domain::viewer::browser_summary;
use crate::error::AppError;
use crate::pages::{Bundle, IslandScripts};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

pub use crate::paths::ACTIVITY_PATH;

const TD: &str = "py-2 pr-4 align-top";

#[component]
pub fn ActivityPage() -> impl IntoView {
    view! {
        <Title text="My activity"/>
        <Shell>
            <Gate>
                <Activity/>
            </Gate>
        </Shell>
    }
}

/// Server-only: the page is drawn on the server, and marking notices read is a form post answered by
/// the page again. Ending sessions and changing the keydesk password are islands.
#[component]
fn Activity() -> impl IntoView {
    let read = ServerAction::<MarkNotificationsRead>::new();
    let activity = Resource::new(|| (), |_| get_activity());
    // A keydesk password exists only for people who sign in with one (not through the provider or the
    // directory, whose passwords are changed there).
    let own_password = use_context::<crate::domain::Frame>().is_none_or(|f| f.signed_in_with == crate::domain::SignedInWith::Password);
    view! {
        <h1 class="text-2xl font-semibold tracking-tight">"My activity"</h1>
        <p class="mt-1 text-sm text-slate-600">"Notices about your credentials, where you are signed in, and every change to your credentials."</p>
        <Transition fallback=|| view! { <p class="mt-6 text-sm text-slate-500">"Loading your activity…"</p> }>
            {move || Suspend::new(async move {
                match activity.await {
                    Err(error) => view! { <div class="mt-6"><ErrorView error/></div> }.into_any(),
                    Ok(a) => {
                        let (sessions, usage, sign_ins, history) = (a.sessions.clone(), a.usage.clone(), a.sign_ins.clone(), a.history.clone());
                        let temporary = a.temporary_sessions.clone();
                        view! {
                        <div class="mt-6 grid grid-cols-1 gap-6">
                            <SectionCard id="notifications" title="Notifications"
                                subtitle="Reminders before your access keys' deadlines and a notice of every change to your credentials.">
                                <Notifications a read/>
                            </SectionCard>
                            <SectionCard id="sessions" title="Sessions"
                                subtitle="Where you are signed in to keydesk now. Sign out any you do not recognise.">
                                <IslandScripts bundle=Bundle::Activity/><SessionsIsland sessions frame=crate::components::gate_frame()/>
                            </SectionCard>
                            {own_password.then(|| view! {
                                <SectionCard id="portal-password" title="Your keydesk password"
                                    subtitle="The password you sign in to keydesk with (not your AWS console password).">
                                    <IslandScripts bundle=Bundle::Activity/><PortalPassword/>
                                </SectionCard>
                            })}
                            {(!temporary.is_empty()).then(|| view! {
                                <SectionCard id="temporary-sessions" title="My temporary sessions"
                                    subtitle="Temporary credentials keydesk issued you that have not expired yet. The access key id is what CloudTrail records for each call made with them.">
                                    <TemporarySessions rows=temporary/>
                                </SectionCard>
                            })}
                            <SectionCard id="usage" title="Credential use"
                                subtitle="When each of your credentials was last used, as IAM reports it.">
                                {match usage {
                                    Ok(rows) => view! { <Usage rows/> }.into_any(),
                                    Err(error) => view! { <ErrorView error/> }.into_any(),
                                }}
                            </SectionCard>
                            <SectionCard id="sign-ins" title="Sign-ins" subtitle="Your latest keydesk sign-ins, successful or not.">
                                <SignIns rows=sign_ins/>
                            </SectionCard>
                            <SectionCard id="history" title="Changes to your credentials"
                                subtitle="Every change recorded in keydesk's audit log, by you, the help desk or keydesk itself.">
                                <History rows=history/>
                            </SectionCard>
                        </div>
                    }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn Notifications(a: ActivityView, read: ServerAction<MarkNotificationsRead>) -> impl IntoView {
    let delivery = match &a.email {
        Some(address) => format!("Also sent by e-mail to {address}."),
        None => "You have no e-mail address in keydesk: notices appear here only. Ask your administrators to add one.".to_owned(),
    };
    view! {
        <div class="flex flex-wrap items-center justify-between gap-3">
            <p class="text-sm text-slate-600" data-testid="delivery">{delivery}</p>
            {(a.unread > 0).then(|| view! {
                <ActionForm action=read>
                    <button type="submit" class=SECONDARY data-testid="mark-read">{format!("Mark {} as read", a.unread)}</button>
                </ActionForm>
            })}
        </div>
        {if a.notifications.is_empty() {
            view! { <p class="mt-3 text-sm text-slate-500" data-testid="no-notifications">"No notifications yet."</p> }.into_any()
        } else {
            view! {
                <ul class="mt-3 divide-y divide-slate-100" data-testid="notification-list">
                    {a.notifications.into_iter().map(|n| {
                        let tone = match n.kind {
                            NoticeKind::Reminder => "bg-amber-500",
                            NoticeKind::Enforcement => "bg-red-600",
                            NoticeKind::Change => "bg-indigo-500",
                        };
                        view! {
                            <li class="flex gap-3 py-3" data-testid="notification" data-read=n.read.to_string()>
                                <span aria-hidden="true" class=format!("mt-1.5 h-2 w-2 shrink-0 rounded-full {}", if n.read { "bg-slate-300" } else { tone })></span>
                                <div class="min-w-0">
                                    <p class="text-sm font-medium text-slate-900">
                                        {(!n.read).then(|| view! { <span class="sr-only">"Unread: "</span> })}
                                        {n.title}
                                    </p>
                                    <p class="mt-0.5 text-sm text-slate-700">{n.body}</p>
                                    <p class="mt-1 text-xs text-slate-500">
                                        {format!("{} UTC", fmt_utc(n.at))}
                                        {n.link.map(|l| view! { <a href=l class="ml-3 font-medium text-indigo-700 underline">"Open"</a> })}
                                    </p>
                                </div>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

/// The sessions and their sign-out, in place: the answer says how many were signed out, and the list
/// is read again.
#[cfg_attr(any(feature = "ssr", feature = "islands-activity"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "islands-activity")), component)]
fn SessionsIsland(sessions: Vec<SessionView>, frame: crate::domain::Frame) -> impl IntoView {
    provide_context(frame);
    let end = ServerAction::<EndSessions>::new();
    let rows = RwSignal::new(sessions);
    Effect::new(move |_| {
        if matches!(end.value().get(), Some(Ok(_))) {
            leptos::task::spawn_local(async move {
                if let Ok(a) = get_activity().await {
                    rows.set(a.sessions);
                }
            });
        }
    });
    let ended = move || match end.value().get() {
        Some(Ok(0)) => Some("No other session was open.".to_owned()),
        Some(Ok(1)) => Some("1 session signed out: its cookie no longer works.".to_owned()),
        Some(Ok(n)) => Some(format!("{n} sessions signed out: their cookies no longer work.")),
        _ => None,
    };
    // Ending sessions needs a recent password check: a stolen session must not sign its owner out and
    // keep itself (SECURITY.md L13).
    let confirm = ServerAction::<ConfirmPassword>::new();
    let asks = Signal::derive(move || matches!(end.value().get(), Some(Err(AppError::ReauthRequired))));
    let end_error = move || end.value().get().and_then(Result::err).filter(|e| *e != AppError::ReauthRequired);
    view! {
        {move || ended().map(|m| view! { <p class="mb-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 ring-1 ring-emerald-200" role="status" data-testid="sessions-ended">{m}</p> })}
        <InlineReauth confirm asks message="Signing sessions out needs a recent sign-in. Confirm your password, then sign them out again."/>
        {move || end_error().map(|error| view! { <div class="mb-3"><ErrorView error/></div> })}
        {move || view! { <Sessions sessions=rows.get() end/> }}
    }
}

#[component]
fn Sessions(sessions: Vec<SessionView>, end: ServerAction<EndSessions>) -> impl IntoView {
    let others = sessions.iter().filter(|s| !s.current).count();
    view! {
        <div class="overflow-x-auto">
            <table class="min-w-full text-sm">
                <thead><tr>
                    <th scope="col" class=TH>"Browser"</th>
                    <th scope="col" class=TH>"IP address"</th>
                    <th scope="col" class=TH>"Signed in (UTC)"</th>
                    <th scope="col" class=TH>"Last active (UTC)"</th>
                    <th scope="col" class=TH><span class="sr-only">"Action"</span></th>
                </tr></thead>
                <tbody class="divide-y divide-slate-100">
                    {sessions.into_iter().map(|s| view! {
                        <tr data-testid="session-row" data-current=s.current.to_string()>
                            <td class=TD title=s.browser.clone().unwrap_or_default()>{s.browser.as_deref().map_or_else(|| "unknown".into(), browser_summary)}</td>
                            <td class=format!("{TD} font-mono text-xs")>{s.ip.clone().unwrap_or_else(|| "unknown".into())}</td>
                            <td class=format!("{TD} tabular-nums")>{fmt_utc(s.signed_in_at)}</td>
                            <td class=format!("{TD} tabular-nums")>{fmt_utc(s.last_seen)}</td>
                            <td class="py-2 text-right align-top">
                                {if s.current {
                                    view! { <span class="text-xs font-medium text-emerald-700">"This session"</span> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=end>
                                            <input type="hidden" name="handle" value=s.handle.clone()/>
                                            <button type="submit" class=SECONDARY data-testid="end-session">"Sign out this session"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {(others > 0).then(|| view! {
            <ActionForm action=end attr:class="mt-3">
                <input type="hidden" name="handle" value="others"/>
                <button type="submit" class=DANGER data-testid="end-others">{format!("Sign out all other sessions ({others})")}</button>
            </ActionForm>
        })}
    }
}

/// An island: the answer (changed, and how many sessions were signed out) shows in place.
#[cfg_attr(any(feature = "ssr", feature = "islands-activity"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "islands-activity")), component)]
fn PortalPassword() -> impl IntoView {
    let change = ServerAction::<ChangePortalPassword>::new();
    let done = move || match change.value().get() {
        Some(Ok(0)) => Some("Password changed.".to_owned()),
        Some(Ok(n)) => Some(format!("Password changed, and {n} other session{} signed out.", if n == 1 { "" } else { "s" })),
        _ => None,
    };
    let error = move || change.value().get().and_then(Result::err);
    let field = "mt-1 block w-full max-w-sm rounded-md border border-slate-300 px-3 py-1.5 text-sm shadow-sm";
    view! {
        {move || done().map(|m| view! { <p class="mb-3 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 ring-1 ring-emerald-200" role="status" data-testid="portal-password-changed">{m}</p> })}
        {move || error().map(|error| view! { <div class="mb-3"><ErrorView error/></div> })}
        <details class="rounded-lg border border-slate-200 bg-slate-50 open:bg-white" data-testid="portal-password">
            <summary class="cursor-pointer px-4 py-2 text-sm font-medium text-indigo-700">"Change your keydesk password"</summary>
            <ActionForm action=change attr:class="grid gap-3 px-4 pb-4">
                <label class="text-sm font-medium text-slate-800">"Current password"
                    <input type="password" name="current" required autocomplete="current-password" class=field data-testid="portal-current"/></label>
                <label class="text-sm font-medium text-slate-800">"New password (12 characters or more)"
                    <input type="password" name="new_password" required minlength="12" autocomplete="new-password" class=field data-testid="portal-new"/></label>
                <label class="text-sm font-medium text-slate-800">"Repeat the new password"
                    <input type="password" name="repeat_password" required minlength="12" autocomplete="new-password" class=field data-testid="portal-repeat"/></label>
                <label class="flex items-center gap-2 text-sm text-slate-800">
                    <input type="checkbox" name="sign_out_others" checked data-testid="portal-sign-out-others"/>
                    "Sign out my other sessions"
                </label>
                <div><button type="submit" class=BUTTON data-testid="portal-password-save">"Change password"</button></div>
            </ActionForm>
        </details>
    }
}

#[component]
fn Usage(rows: Vec<UsageView>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="text-sm text-slate-500">"You have no console password, access keys or CodeCommit credentials."</p> }
            .into_any();
    }
    view! {
        <div class="overflow-x-auto"><table class="min-w-full text-sm" data-testid="usage">
            <thead><tr>
                <th scope="col" class=TH>"Credential"</th>
                <th scope="col" class=TH>"Status"</th>
                <th scope="col" class=TH>"Last used"</th>
            </tr></thead>
            <tbody class="divide-y divide-slate-100">
                {rows.into_iter().map(|u| view! {
                    <tr><td class=format!("{TD} font-mono text-xs")>{u.what}</td><td class=TD>{u.status}</td><td class=TD>{u.last_used}</td></tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}

#[component]
fn TemporarySessions(rows: Vec<TemporarySessionView>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto"><table class="min-w-full text-sm" data-testid="temporary-sessions">
            <thead><tr>
                <th scope="col" class=TH>"Role"</th>
                <th scope="col" class=TH>"Access key id"</th>
                <th scope="col" class=TH>"Issued (UTC)"</th>
                <th scope="col" class=TH>"Expires (UTC)"</th>
            </tr></thead>
            <tbody class="divide-y divide-slate-100">
                {rows.into_iter().map(|r| view! {
                    <tr>
                        <td class=TD><span class="font-medium">{r.role}</span><span class="block break-all font-mono text-xs text-slate-500">{r.role_arn}</span></td>
                        <td class=format!("{TD} font-mono text-xs")>{r.access_key_id}</td>
                        <td class=format!("{TD} tabular-nums")>{fmt_utc(r.issued_at)}</td>
                        <td class=format!("{TD} tabular-nums")>{fmt_utc(r.expires_at)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

#[component]
fn SignIns(rows: Vec<SignInView>) -> impl IntoView {
    view! {
        <div class="overflow-x-auto"><table class="min-w-full text-sm" data-testid="sign-ins">
            <thead><tr>
                <th scope="col" class=TH>"When (UTC)"</th>
                <th scope="col" class=TH>"Result"</th>
                <th scope="col" class=TH>"IP address"</th>
                <th scope="col" class=TH>"Browser"</th>
            </tr></thead>
            <tbody class="divide-y divide-slate-100">
                {rows.into_iter().map(|r| view! {
                    <tr>
                        <td class=format!("{TD} tabular-nums")>{fmt_utc(r.at)}</td>
                        <td class=TD>{if r.succeeded {
                            view! { <span class="text-emerald-700">"Signed in"</span> }.into_any()
                        } else {
                            view! { <span class="font-medium text-red-700">"Wrong password"</span> }.into_any()
                        }}</td>
                        <td class=format!("{TD} font-mono text-xs")>{r.ip.unwrap_or_else(|| "unknown".into())}</td>
                        <td class=format!("{TD} text-xs text-slate-600") title=r.browser.clone().unwrap_or_default()>{r.browser.as_deref().map_or_else(|| "unknown".into(), browser_summary)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

#[component]
fn History(rows: Vec<HistoryView>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="text-sm text-slate-500">"No changes recorded yet."</p> }.into_any();
    }
    view! {
        <div class="overflow-x-auto">
            <table class="min-w-full text-sm" data-testid="history">
                <thead><tr>
                    <th scope="col" class=TH>"When (UTC)"</th>
                    <th scope="col" class=TH>"Who"</th>
                    <th scope="col" class=TH>"What"</th>
                    <th scope="col" class=TH>"Outcome"</th>
                    <th scope="col" class=TH>"Reason"</th>
                </tr></thead>
                <tbody class="divide-y divide-slate-100">
                    {rows.into_iter().map(|h| view! {
                        <tr data-testid="history-row">
                            <td class=format!("{TD} tabular-nums")>{fmt_utc(h.at)}</td>
                            <td class=TD>{if h.by_you { "you".to_owned() } else { h.actor.clone() }}</td>
                            <td class=TD><span data-testid="history-action">{crate::domain::notices::action_label(&h.action)}</span>
                                {h.subject.map(|s| view! { <span class="block break-all font-mono text-xs text-slate-500">{s}</span> })}</td>
                            <td class=TD>{
                                let (label, failed) = crate::domain::notices::outcome_label(&h.outcome);
                                view! { <span data-testid="history-outcome" data-failed=failed.to_string()
                                    class=if failed { "rounded-full bg-red-50 px-2 py-0.5 text-xs font-medium text-red-800 ring-1 ring-red-200" } else { "text-slate-700" }>{label}</span> }
                            }</td>
                            <td class=TD>{h.reason.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
