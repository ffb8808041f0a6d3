//! The help-desk page. Only help-desk staff reach it (server-enforced by the gate's 403 and by every
//! help-desk server function). Find a user by IAM user name or access key id (`?q=`, a GET form that
//! works without JavaScript), then act with a reason: deactivate or reactivate a key (the leaked-key
//! path) and delete it once inactive, reset the console password to a generated one, remove a lost MFA
//! device, deactivate an HTTPS Git credential or an SSH key.
//!
//! The page is drawn on the server and its forms post with or without JavaScript: the page comes back
//! with the answer (`server/src/url_errors.rs`). What must answer in place is an island: the case's
//! reason and ticket ([`CaseFields`], asked once per person and sent with every action's form), the
//! reset with its generated password, the approval of a request (which may answer with one), and the
//! revocation of temporary credentials (whose answer names the roles).

use crate::api::access_keys::ConfirmPassword;
use crate::api::helpdesk::*;
use crate::components::answer::{posts_to, refusal, use_answer};
use crate::components::{ErrorView, Gate, OneTimeSecretDialog, SecretField, SectionCard, SectionReauth, Shell};
use crate::components::{InlineReauth, BUTTON, DANGER, INPUT, SECONDARY};
use crate::domain::{fmt_utc, Frame, Role};
use crate::error::AppError;
use crate::pages::{Bundle, IslandScripts};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

/// Where the help desk's forms land, and whose refusals the desk's password prompt answers for.
const DESK_PLACE: &str = "find-user";
/// Where the four-eyes requests are (the administrators' card, the help desk's list).
const REQUESTS_PLACE: &str = "requests";

#[component]
pub fn HelpdeskPage() -> impl IntoView {
    view! {
        <Title text="Help desk"/>
        <Shell>
            <Gate any_of=&[Role::Helpdesk, Role::Admin]>
                <h1 class="text-2xl font-semibold tracking-tight">"Help desk"</h1>
                <div class="mt-6 grid gap-6">
                    {
                        let admin = use_context::<Frame>().and_then(|f| f.viewer).is_some_and(|v| v.role.is_admin());
                        if admin {
                            view! {
                                <SectionCard id=REQUESTS_PLACE title="Requests needing a second person"
                                    subtitle="Help-desk actions under four eyes wait here for another person's approval. Approving executes them once; each step is audited and told to the person.">
                                    <Requests admin=true/>
                                </SectionCard>
                            }.into_any()
                        } else {
                            view! {
                                <SectionCard id=DESK_PLACE title="Find a user"
                                    subtitle="By IAM user name, or paste a leaked access key id (AKIA…) to find its owner. Every action needs a reason, which the person sees.">
                                    <Desk/>
                                </SectionCard>
                            }.into_any()
                        }
                    }
                </div>
            </Gate>
        </Shell>
    }
}

/// The refusals of the desk's server-drawn forms, as the page is drawn: whether one asks for a
/// password confirmation, and the first other.
fn desk_refusal() -> (bool, Option<AppError>) {
    refusal([
        ServerAction::<HelpdeskSetKeyStatus>::new().value().get_untracked().map(|r| r.map(drop)),
        ServerAction::<HelpdeskDeleteKey>::new().value().get_untracked(),
        ServerAction::<HelpdeskDeactivateCodecommit>::new().value().get_untracked(),
        ServerAction::<HelpdeskRemoveMfa>::new().value().get_untracked().map(|r| r.map(drop)),
        ServerAction::<HelpdeskNotifyLeak>::new().value().get_untracked(),
        ServerAction::<HelpdeskDetachQuarantine>::new().value().get_untracked(),
    ])
}

/// The help desk's search and the case on screen, drawn on the server.
#[component]
fn Desk() -> impl IntoView {
    let q = crate::components::location::use_query_map().with_untracked(|p| p.get("q").unwrap_or_default());
    let by_temporary_key = q.trim().starts_with("ASIA");
    let looked_up = !q.trim().is_empty();
    let (asks, error) = desk_refusal();
    let requested = use_answer().done == REQUESTED_PLACE;
    let q_field = q.clone();
    view! {
        <form method="get" action=crate::paths::HELPDESK_PATH role="search" class="flex flex-wrap items-end gap-2">
            <label class="text-sm">
                <span class="block font-medium text-slate-800">"User name, access key id or temporary key id (ASIA…)"</span>
                <input name="q" value=q_field required autofocus class=format!("mt-1 w-80 font-mono {INPUT}") data-testid="desk-query"/>
            </label>
            <button type="submit" class=BUTTON data-testid="desk-find">"Find"</button>
        </form>
        <div class="mt-4"><SectionReauth place=DESK_PLACE asks/></div>
        {error.map(|error| view! { <div class="mt-4"><ErrorView error/></div> })}
        {requested.then(|| view! {
            <p class="mt-4 rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-900 ring-1 ring-sky-200" role="status" data-testid="desk-requested">
                "This needs a second person: the request is filed and listed below. Another help-desk member or an administrator must approve it; until then nothing changes."
            </p>
        })}
        <Requests admin=false/>
        <Suspense fallback=|| view! { <p class="mt-4 text-sm text-slate-500">"Looking up…"</p> }>
            {move || {
                let q = q.clone();
                Suspend::new(async move {
                    // A temporary key id (ASIA…) is a case of temporary credentials, not of an IAM user.
                    if !looked_up || by_temporary_key {
                        return if looked_up { view! { <TemporaryCase q ask_reason=true/> }.into_any() } else { ().into_any() };
                    }
                    match helpdesk_find(q.clone()).await {
                        Err(error) => view! { <div class="mt-4"><ErrorView error/></div><TemporaryCase q ask_reason=true/> }.into_any(),
                        Ok(view) => {
                            let note = helpdesk_case_note(view.user.name.to_string()).await.unwrap_or_default();
                            // The user card asks for the case's reason when it offers actions; else the
                            // temporary-credentials card does.
                            let ask_reason = view.protected.is_some();
                            view! { <UserCard view note/><TemporaryCase q ask_reason/> }.into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

/// The temporary-credentials case of the person looked up (or of the pasted `ASIA…` key id).
#[component]
fn TemporaryCase(q: String, ask_reason: bool) -> impl IntoView {
    let by_key = q.trim().starts_with("ASIA");
    let case = Resource::new(|| (), move |_| helpdesk_temporary_case(q.clone()));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match case.await {
                    // Looked up by name: only worth a card when keydesk issued them something lately.
                    Ok(case) if case.sessions.is_empty() && !by_key => ().into_any(),
                    Ok(case) => {
                        // The case's reason is read only where this card asks for it.
                        let ask = if ask_reason { Some(helpdesk_case_note(case.person.clone()).await.unwrap_or_default()) } else { None };
                        view! { <TemporaryCaseCard case ask/> }.into_any()
                    }
                    Err(error) if by_key => view! { <div class="mt-4"><ErrorView error/></div> }.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Suspense>
    }
}

/// The reason and ticket of one action without JavaScript: each form asks (a form can only send its
/// own inputs), offering the case's last ones. With JavaScript they are not there at all (`noscript`):
/// the case's fields ([`CaseFields`]) are asked once and put into every form marked `data-case` as it
/// is sent.
fn reason_fields(id: &str, note: &CaseNote) -> impl IntoView {
    view! {
        // Without JavaScript its inputs sit side by side with the form's button, as if the `noscript`
        // were not there; with it, the browser shows none of it (only then may it be `contents`).
        <noscript class="[@media(scripting:none)]:contents">{reason_inputs(id, note)}</noscript>
    }
}

/// One form's own reason and ticket inputs, starting with `note`'s.
fn reason_inputs(id: &str, note: &CaseNote) -> impl IntoView {
    view! {
        <label class="w-72 max-w-full text-xs text-slate-700">"Reason (the person sees it)"
            <input name="reason" required maxlength="500" value=note.reason.clone() class=INPUT id=format!("reason-{id}")/></label>
        <label class="w-32 text-xs text-slate-700">"Ticket (optional)"
            <input name="ticket" maxlength="100" value=note.ticket.clone() class=INPUT/></label>
    }
}

/// The case's reason and ticket, once per person looked up, checked as the person types by the same
/// rule the server applies, and sent with every form of the page marked `data-case` (a `formdata`
/// listener: the forms are drawn on the server, or are other islands). Hidden until the page is
/// hydrated: without JavaScript each form asks itself. It starts with what this session last sent for
/// this person (`note`), so the reason survives each action's page load.
#[cfg_attr(any(feature = "ssr", feature = "islands-helpdesk"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "islands-helpdesk")), component)]
fn CaseFields(note: CaseNote) -> impl IntoView {
    // Drawn by the server with the value (a property is not), kept by the signal once hydrated.
    let (first_reason, first_ticket) = (note.reason.clone(), note.ticket.clone());
    let reason = RwSignal::new(note.reason);
    let ticket = RwSignal::new(note.ticket);
    let hydrated = crate::components::use_hydrated();
    #[cfg(feature = "hydrate")]
    crate::components::browser::on_form_data("data-case", move || {
        vec![("reason", reason.try_get_untracked().unwrap_or_default()), ("ticket", ticket.try_get_untracked().unwrap_or_default())]
    });
    let verdict = move || reason.with(|r| crate::domain::check_reason(r).map(drop));
    view! {
        <fieldset class="min-w-0 rounded-lg border border-slate-200 bg-white p-4" data-testid="desk-case" hidden=move || !hydrated.get()>
            <legend class="px-1 text-sm font-semibold">"This case"</legend>
            <p class="text-xs text-slate-600">"Every action below is recorded with this reason and ticket, and the person sees the reason."</p>
            <div class="mt-2 flex flex-wrap items-end gap-3">
                <label class="w-80 max-w-full text-xs text-slate-700" for="case-reason">"Reason (the person sees it)"
                    <input id="case-reason" maxlength="500" class=INPUT data-testid="desk-reason"
                        value=first_reason prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))
                        aria-describedby="case-reason-check"/></label>
                <label class="w-32 text-xs text-slate-700" for="case-ticket">"Ticket (optional)"
                    <input id="case-ticket" maxlength="100" class=INPUT data-testid="desk-ticket"
                        value=first_ticket prop:value=move || ticket.get() on:input=move |ev| ticket.set(event_target_value(&ev))/></label>
            </div>
            <p id="case-reason-check" class="mt-1 text-xs" aria-live="polite" data-testid="desk-reason-check">
                {move || match (reason.with(String::is_empty), verdict()) {
                    (true, _) => view! { <span class="text-slate-500">"Say why before you act: a few words the person will understand."</span> }.into_any(),
                    (false, Ok(())) => view! { <span class="text-emerald-800">"✓ Reason given"</span> }.into_any(),
                    (false, Err(why)) => view! { <span class="text-red-700">{why}</span> }.into_any(),
                }}
            </p>
        </fieldset>
    }
}

/// The case's fields, with the page's WASM.
fn case_fields(note: CaseNote) -> impl IntoView {
    view! { <IslandScripts bundle=Bundle::Helpdesk/><CaseFields note/> }
}

/// A person's temporary credentials from keydesk's ledger (the last 12 hours), the session a pasted
/// key id named, and revocation of the live ones.
#[component]
fn TemporaryCaseCard(
    case: crate::domain::temporary::TemporaryCase,
    /// The case's reason and ticket so far, when this card asks for them (no user card above does).
    ask: Option<CaseNote>,
) -> impl IntoView {
    let crate::domain::temporary::TemporaryCase { person, found, sessions, roles } = case;
    let can_revoke = !roles.is_empty();
    view! {
        <section class="mt-6 grid gap-4 rounded-lg border border-slate-200 p-4 [&>leptos-island]:contents" data-testid="desk-temporary" aria-labelledby="desk-temporary-title">
            <h3 id="desk-temporary-title" class="text-base font-semibold">"Temporary credentials of "<span class="font-mono">{person.clone()}</span></h3>
            {found.map(|s| view! {
                <p class="rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-900 ring-1 ring-sky-200 [overflow-wrap:anywhere]" data-testid="desk-temporary-found">
                    <span class="font-mono">{s.access_key_id.clone()}</span>{format!(
                        " is a session of {} ({}) keydesk issued to {} at {} UTC; it {} {} UTC.",
                        s.role, s.role_arn, person, crate::domain::fmt_utc(s.issued_at),
                        if s.live { "expires" } else { "expired" }, crate::domain::fmt_utc(s.expires_at)
                    )}
                </p>
            })}
            {if sessions.is_empty() {
                view! { <p class="text-sm text-slate-600">"keydesk issued them no temporary credentials in the last 12 hours."</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto"><table class="min-w-full text-sm" data-testid="desk-temporary-sessions">
                        <thead><tr>
                            <th scope="col" class=crate::components::TH>"Role"</th>
                            <th scope="col" class=crate::components::TH>"Access key id"</th>
                            <th scope="col" class=crate::components::TH>"Issued (UTC)"</th>
                            <th scope="col" class=crate::components::TH>"Expires (UTC)"</th>
                        </tr></thead>
                        <tbody class="divide-y divide-slate-100">
                            {sessions.into_iter().map(|s| view! {
                                <tr class=if s.live { "" } else { "text-slate-400" }>
                                    <td class="py-2 pr-4">{s.role}</td>
                                    <td class="py-2 pr-4 font-mono text-xs">{s.access_key_id}</td>
                                    <td class="py-2 pr-4 tabular-nums">{crate::domain::fmt_utc(s.issued_at)}</td>
                                    <td class="py-2 pr-4 tabular-nums">{if s.live { crate::domain::fmt_utc(s.expires_at) } else { "expired".into() }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
            {can_revoke.then(|| view! {
                {ask.map(case_fields)}
                <IslandScripts bundle=Bundle::Helpdesk/><RevokeTemporary frame=crate::components::gate_frame() person=person.clone() roles/>
                <p class="text-xs text-slate-600">"A deny on each role for their sessions issued until now (AWS's standard revocation, narrowed to this person). It takes effect within minutes; new credentials they get afterwards work, so also remove what lets them get more if that is the point. keydesk removes the deny once the longest session it could match has expired."</p>
            })}
        </section>
    }
}

#[component]
fn UserCard(view: HelpdeskView, note: CaseNote) -> impl IntoView {
    let user = view.user.name.to_string();
    let can_act = view.protected.is_none();
    let found_by = view.found_by_key.clone();
    let (u1, u2, u3, u4) = (user.clone(), user.clone(), user.clone(), user.clone());
    // An island's wrapper is no grid item of its own: its content is (so the case's fields, hidden
    // without JavaScript, leave no gap).
    view! {
        <div class="mt-6 grid gap-5 [&>leptos-island]:contents" data-testid="desk-user">
            {found_by.map(|k| view! {
                <p class="rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-900 ring-1 ring-sky-200" data-testid="desk-owner">
                    "Access key " <span class="font-mono">{k}</span> " belongs to " <strong class="font-mono">{user.clone()}</strong> "."
                </p>
            })}
            <div>
                <h3 class="text-lg font-semibold"><span class="font-mono">{user.clone()}</span></h3>
                <p class="break-all font-mono text-xs text-slate-500">{view.user.arn.clone()}</p>
                {(!view.groups.is_empty()).then(|| view! {
                    <p class="mt-1 text-xs text-slate-600" data-testid="desk-groups">{format!("IAM groups: {}", view.groups.join(", "))}</p>
                })}
            </div>
            {can_act.then(|| case_fields(note.clone()))}
            {view.case.clone().map(|case| view! { <LeakCasePanel case user=user.clone() can_act quarantined=view.quarantined note=note.clone()/> })}
            {(view.quarantined == Some(true) && view.case.is_none()).then(|| view! {
                <p class="rounded-md bg-red-50 px-3 py-2 text-sm text-red-900 ring-1 ring-red-200" data-testid="desk-quarantined">
                    "AWS quarantined this user (AWSCompromisedKeyQuarantineV3): it found one of their access keys exposed. Search for the leaked key id to work the case."
                </p>
            })}
            {view.protected.clone().map(|why| view! { <p class="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="desk-protected">{why}</p> })}
            {view.sign_in_pauses.iter().map(|p| {
                let text = match p.paused_until {
                    Some(until) => format!(
                        "keydesk sign-in paused for account {} until {} after {} failed attempts. The pause lifts by itself; the person can try again then.",
                        p.account, crate::domain::fmt_utc(until), p.failures
                    ),
                    None if p.backing_off => format!(
                        "{} failed keydesk sign-ins for account {} recently (the last at {}): each further failure pauses sign-in, for longer each time (up to 15 minutes). A correct password resets the count.",
                        p.failures, p.account, crate::domain::fmt_utc(p.last_failure)
                    ),
                    None => format!(
                        "{} failed keydesk sign-ins for account {} recently (the last at {}); a few more and sign-in pauses for a while.",
                        p.failures, p.account, crate::domain::fmt_utc(p.last_failure)
                    ),
                };
                view! { <p class="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="desk-sign-in-pause">{text}</p> }
            }).collect_view()}
            <section>
                <h4 class="text-sm font-semibold">"Access keys"</h4>
                {if view.keys.is_empty() { view! { <p class="text-sm text-slate-600">"No access keys."</p> }.into_any() } else { view! {
                    <ul class="mt-2 divide-y divide-slate-100 text-sm">
                        {view.keys.into_iter().map(|k| {
                            let id = k.key.id.to_string();
                            let active = k.key.status.is_active();
                            let used = k.last_used.at.map(|t| format!("last used {} UTC{}", fmt_utc(t), k.last_used.service.clone().map(|s| format!(" ({s})")).unwrap_or_default())).unwrap_or_else(|| "never used".into());
                            let u = u1.clone();
                            let (row_id, label_id, del_id, del_user) = (id.clone(), id.clone(), id.clone(), u.clone());
                            view! {
                                <li class="flex flex-wrap items-end justify-between gap-3 py-3" data-testid="desk-key" data-key=row_id>
                                    <div>
                                        <span class="font-mono">{label_id}</span> " " {crate::components::status_badge(&k.key.status)}
                                        <span class="block text-xs text-slate-600">{format!("{} days old · {used}", k.age_days)}</span>
                                    </div>
                                    {can_act.then(|| view! {
                                        <form method="post" action={posts_to::<HelpdeskSetKeyStatus>(DESK_PLACE)} data-case="" class="flex flex-wrap items-end gap-2">
                                            <input type="hidden" name="user" value=u/>
                                            <input type="hidden" name="key_id" value=id.clone()/>
                                            <input type="hidden" name="active" value=(!active).to_string()/>
                                            {reason_fields(&id, &note)}
                                            <button type="submit" class=if active { DANGER } else { SECONDARY } data-testid="desk-toggle-key">
                                                {if active { "Deactivate" } else { "Reactivate" }}</button>
                                        </form>
                                    })}
                                    {(can_act && !active).then(|| view! {
                                        <form method="post" action={posts_to::<HelpdeskDeleteKey>(DESK_PLACE)} data-case="" class="flex w-full flex-wrap items-end justify-end gap-2">
                                            <input type="hidden" name="user" value=del_user/>
                                            <input type="hidden" name="key_id" value=del_id.clone()/>
                                            {reason_fields(&format!("delete-{del_id}"), &note)}
                                            <button type="submit" class=DANGER data-testid="desk-delete-key">"Delete inactive key"</button>
                                        </form>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any() }}
            </section>
            <section>
                <h4 class="text-sm font-semibold">"Console password"</h4>
                <p class="text-sm text-slate-700">{match &view.login_profile {
                    None => "No console password.".to_owned(),
                    Some(p) if p.reset_required => format!("Set {} UTC · must be changed at next sign-in", fmt_utc(p.created_at)),
                    Some(p) => format!("Set {} UTC", fmt_utc(p.created_at)),
                }}</p>
                {(can_act && view.login_profile.is_some()).then(|| view! { <IslandScripts bundle=Bundle::Helpdesk/><ResetPassword frame=crate::components::gate_frame() user=u2/> })}
                {(can_act && view.login_profile.is_none()).then(|| view! {
                    <p class="mt-1 text-xs text-slate-500" data-testid="desk-no-password">"The help desk resets console passwords; it does not create one where there is none. Ask an AWS administrator."</p>
                })}
            </section>
            <section>
                <h4 class="text-sm font-semibold">"MFA devices"</h4>
                {if view.mfa_devices.is_empty() { view! { <p class="text-sm text-slate-600">"No MFA device."</p> }.into_any() } else { view! {
                    <ul class="mt-2 divide-y divide-slate-100 text-sm">
                        {view.mfa_devices.into_iter().map(|d| {
                            let u = u3.clone();
                            view! {
                                <li class="flex flex-wrap items-end justify-between gap-3 py-3">
                                    <span class="font-mono text-xs">{d.serial.clone()}</span>
                                    {can_act.then(|| view! {
                                        <form method="post" action={posts_to::<HelpdeskRemoveMfa>(DESK_PLACE)} data-case="" class="flex flex-wrap items-end gap-2">
                                            <input type="hidden" name="user" value=u/>
                                            <input type="hidden" name="serial" value=d.serial.clone()/>
                                            {reason_fields("mfa", &note)}
                                            <button type="submit" class=DANGER data-testid="desk-remove-mfa">"Remove lost device"</button>
                                        </form>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any() }}
            </section>
            <CodeCommitCredentials git=view.git_credentials ssh=view.ssh_keys user=u4 can_act note=note.clone()/>
        </div>
    }
}

/// The leaked-key case: the key's state and last use, the quarantine, and the guided steps with the one
/// to take now (each audited with a reason, which the owner sees).
#[component]
fn LeakCasePanel(
    case: crate::domain::leak::LeakCase,
    user: String,
    can_act: bool,
    quarantined: Option<bool>,
    note: CaseNote,
) -> impl IntoView {
    use crate::domain::leak::{LeakStep, StepState};
    let steps = case.steps();
    let summary = case.summary();
    let key_id = case.key_id.clone();
    let state = match &case.status {
        None => "deleted".to_owned(),
        Some(s) => s.to_string(),
    };
    let used = case.last_used.clone().map(|u| match u.at {
        Some(at) => format!(
            "last used {} UTC{}{}",
            fmt_utc(at),
            u.service.map(|s| format!(" · {s}")).unwrap_or_default(),
            u.region.map(|r| format!(" · {r}")).unwrap_or_default()
        ),
        None => "never used".to_owned(),
    });
    let form = move |step: LeakStep| -> AnyView {
        let (user, key) = (user.clone(), key_id.clone());
        match step {
            LeakStep::Deactivate => view! {
                <form method="post" action={posts_to::<HelpdeskSetKeyStatus>(DESK_PLACE)} data-case="" class="mt-2 flex flex-wrap items-end gap-2">
                    <input type="hidden" name="user" value=user/><input type="hidden" name="key_id" value=key/>
                    <input type="hidden" name="active" value="false"/>
                    {reason_fields("case-deactivate", &note)}
                    <button type="submit" class=DANGER data-testid="case-deactivate">"Deactivate now"</button>
                </form>
            }.into_any(),
            LeakStep::Notify => view! {
                <form method="post" action={posts_to::<HelpdeskNotifyLeak>(DESK_PLACE)} data-case="" class="mt-2 flex flex-wrap items-end gap-2">
                    <input type="hidden" name="user" value=user/><input type="hidden" name="key_id" value=key/>
                    {reason_fields("case-notify", &note)}
                    <button type="submit" class=BUTTON data-testid="case-notify">"Notify the owner"</button>
                </form>
                <p class="mt-1 text-xs text-slate-500">"The owner gets a notice (and e-mail) that opens keydesk's rotation guide for this key."</p>
            }.into_any(),
            LeakStep::Delete => view! {
                <form method="post" action={posts_to::<HelpdeskDeleteKey>(DESK_PLACE)} data-case="" class="mt-2 flex flex-wrap items-end gap-2">
                    <input type="hidden" name="user" value=user/><input type="hidden" name="key_id" value=key/>
                    {reason_fields("case-delete", &note)}
                    <button type="submit" class=DANGER data-testid="case-delete">"Delete the leaked key"</button>
                </form>
            }.into_any(),
            LeakStep::Detach => view! {
                <form method="post" action={posts_to::<HelpdeskDetachQuarantine>(DESK_PLACE)} data-case="" class="mt-2 flex flex-wrap items-end gap-2">
                    <input type="hidden" name="user" value=user/>
                    {reason_fields("case-detach", &note)}
                    <label class="flex items-center gap-2 text-xs text-slate-700">
                        <input type="checkbox" name="confirm" value="yes" required data-testid="case-detach-confirm"/>
                        "The leaked key is deleted and the owner works with a new one"
                    </label>
                    <button type="submit" class=DANGER data-testid="case-detach">"Lift the quarantine"</button>
                </form>
            }.into_any(),
            LeakStep::Replace => ().into_any(),
        }
    };
    view! {
        <section aria-labelledby="case-heading" class="rounded-xl border-2 border-red-200 bg-red-50/40 p-4" data-testid="leak-case">
            <h4 id="case-heading" class="text-base font-semibold text-red-950">"Leaked-key case " <span class="font-mono text-sm">{case.key_id.clone()}</span></h4>
            <p class="mt-1 text-sm text-slate-800" data-testid="case-key-state">{format!("The key is {state}")}{used.map(|u| format!(" · {u}"))}"."</p>
            <p class="mt-1 text-sm" data-testid="case-quarantine">{match quarantined {
                Some(true) => "AWS quarantined this user (AWSCompromisedKeyQuarantineV3 is attached): they cannot create or change access keys until it is lifted.",
                Some(false) => "No AWS quarantine on this user.",
                None => "keydesk could not read whether AWS quarantined this user (the help-desk role needs iam:ListAttachedUserPolicies).",
            }}</p>
            <p class="mt-2 text-sm font-medium text-slate-900" role="status" data-testid="case-summary">{summary}</p>
            <ol class="mt-3 grid gap-3">
                {steps.into_iter().enumerate().map(|(i, (step, st))| {
                    let (mark, class) = match st {
                        StepState::Done => ("✓", "text-emerald-800"),
                        StepState::Next => ("→", "font-semibold text-slate-900"),
                        StepState::Waiting => ("…", "text-slate-500"),
                        StepState::NotNeeded => ("–", "text-slate-400 line-through"),
                    };
                    let state_word = match st { StepState::Done => "done", StepState::Next => "next", StepState::Waiting => "waiting", StepState::NotNeeded => "not needed" };
                    view! {
                        <li class="text-sm" data-testid="case-step" data-state=state_word>
                            <span class=class><span aria-hidden="true" class="inline-block w-5">{mark}</span>{format!("{}. {}", i + 1, step.title())}<span class="sr-only">{format!(" ({state_word})")}</span></span>
                            {(st == StepState::Next && can_act).then(|| form(step))}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// HTTPS Git credentials and SSH keys, each active one with "Deactivate" (the help desk contains;
/// deleting stays with the person).
#[component]
fn CodeCommitCredentials(
    git: Result<Vec<crate::domain::ServiceCredential>, String>,
    ssh: Result<Vec<crate::domain::SshKeySummary>, String>,
    user: String,
    can_act: bool,
    note: CaseNote,
) -> impl IntoView {
    let row = move |kind: &'static str, id: String, label: String, status: crate::domain::Status, created: String| {
        let active = status.is_active();
        let user = user.clone();
        let form_id = id.clone();
        let sub = if label == id { format!("{created} UTC") } else { format!("{id} · {created} UTC") };
        view! {
            <li class="flex flex-wrap items-end justify-between gap-3 py-3" data-testid=format!("desk-{kind}") data-id=id.clone()>
                <div>
                    <span class="font-mono">{label}</span> " " {crate::components::status_badge(&status)}
                    <span class="block text-xs text-slate-600">{sub}</span>
                </div>
                {(can_act && active).then(|| view! {
                    <form method="post" action={posts_to::<HelpdeskDeactivateCodecommit>(DESK_PLACE)} data-case="" class="flex flex-wrap items-end gap-2">
                        <input type="hidden" name="user" value=user/>
                        <input type="hidden" name="kind" value=kind/>
                        <input type="hidden" name="id" value=form_id.clone()/>
                        {reason_fields(&format!("{kind}-{form_id}"), &note)}
                        <button type="submit" class=DANGER data-testid=format!("desk-deactivate-{kind}")>"Deactivate"</button>
                    </form>
                })}
            </li>
        }
    };
    let list = |items: Vec<AnyView>, none: &'static str| {
        if items.is_empty() {
            view! { <p class="text-sm text-slate-600">{none}</p> }.into_any()
        } else {
            view! { <ul class="mt-2 divide-y divide-slate-100 text-sm">{items}</ul> }.into_any()
        }
    };
    let unavailable = |e: String| view! { <p class="text-sm text-amber-900">{e}</p> }.into_any();
    let row2 = row.clone();
    view! {
        <section>
            <h4 class="text-sm font-semibold">"HTTPS Git credentials (CodeCommit)"</h4>
            {match git {
                Err(e) => unavailable(e),
                Ok(v) => list(v.into_iter().map(|c| row("git", c.id.to_string(), c.service_user_name.clone(), c.status, format!("created {}", fmt_utc(c.created_at))).into_any()).collect(), "No Git credentials."),
            }}
        </section>
        <section>
            <h4 class="text-sm font-semibold">"SSH public keys (CodeCommit)"</h4>
            {match ssh {
                Err(e) => unavailable(e),
                Ok(v) => list(v.into_iter().map(|k| row2("ssh", k.id.to_string(), k.id.to_string(), k.status, format!("uploaded {}", fmt_utc(k.uploaded_at))).into_any()).collect(), "No SSH keys."),
            }}
        </section>
    }
}

/// The reset of a console password to a generated one: live, since the password exists only in the
/// answer (a form's redirect would lose it), so offered once the page is hydrated. A reset filed for a
/// second person loads the page anew, which says so and lists the request.
#[cfg_attr(any(feature = "ssr", feature = "islands-helpdesk"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "islands-helpdesk")), component)]
fn ResetPassword(frame: Frame, user: String) -> impl IntoView {
    provide_context(frame);
    let reset = ServerAction::<HelpdeskResetPassword>::new();
    let confirm = ServerAction::<ConfirmPassword>::new();
    let hydrated = crate::components::use_hydrated();
    Effect::new(move |_| {
        if reset.value().with(|v| matches!(v, Some(Ok(o)) if o.requested.is_some())) {
            crate::components::browser::show_answer(Some(REQUESTED_PLACE), DESK_PLACE);
        }
    });
    let asks = Signal::derive(move || matches!(reset.value().get(), Some(Err(AppError::ReauthRequired))));
    let forget = Callback::new(move |()| {
        reset.value().set(None);
        crate::components::browser::show_answer(None, DESK_PLACE);
    });
    view! {
        {move || (!hydrated.get()).then(|| view! {
            <p class="mt-1 text-xs text-slate-500">"Resetting a password needs JavaScript: the generated password is shown once."</p>
        })}
        {move || hydrated.get().then(|| {
            let user = user.clone();
            view! {
                <InlineReauth confirm asks message="Help-desk actions need a recent sign-in. Confirm your password, then repeat the action."/>
                <ActionForm action=reset attr:class="mt-2 flex flex-wrap items-end gap-2" attr:data-case="">
                    <input type="hidden" name="user" value=user/>
                    <button type="submit" class=SECONDARY disabled=move || reset.pending().get() data-testid="desk-reset-password">"Reset to a generated password"</button>
                </ActionForm>
                <p class="mt-1 text-xs text-slate-500">"keydesk generates a password that meets the policy and shows it to you once; the person must change it at their next sign-in."</p>
            }
        })}
        {move || reset.value().get().and_then(Result::err).filter(|e| *e != AppError::ReauthRequired).map(|error| view! { <div class="mt-2"><ErrorView error/></div> })}
        {move || reset.value().get().and_then(Result::ok).and_then(|o| o.password).map(|pw| view! { <GeneratedPassword pw forget/> })}
    }
}

/// The generated password, once, with the hand-over advice; "Done" forgets it.
#[component]
fn GeneratedPassword(pw: crate::domain::OneTimeSecret, forget: Callback<()>) -> impl IntoView {
    let fields =
        vec![SecretField { label: "Generated password", value: pw.expose().to_owned(), secret: true, testid: "desk-generated-password" }];
    view! {
        <OneTimeSecretDialog title="The new console password"
            intro="Hand this password over through a separate channel (phone, in person). It is shown once; the person must change it at their next console sign-in."
            fields what="generated password" testid="desk-generated" prefix="desk" on_close=forget/>
    }
}

/// Revoking a person's temporary credentials: live, since its answer names the roles revoked (and any
/// that could not be). Without JavaScript the form asks for its own reason and posts; the page comes
/// back with a refusal, if any.
#[cfg_attr(any(feature = "ssr", feature = "islands-helpdesk"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "islands-helpdesk")), component)]
fn RevokeTemporary(frame: Frame, person: String, roles: Vec<(String, String)>) -> impl IntoView {
    provide_context(frame);
    let revoke = ServerAction::<HelpdeskRevokeTemporary>::new();
    let confirm = ServerAction::<ConfirmPassword>::new();
    let hydrated = crate::components::use_hydrated();
    let asks = Signal::derive(move || matches!(revoke.value().get(), Some(Err(AppError::ReauthRequired))));
    let done = move || {
        revoke.value().get().and_then(Result::ok).map(|o| {
            let mut text = if o.revoked.is_empty() { String::new() } else { format!("Revoked for {}: ", o.revoked.join(", ")) };
            if !o.revoked.is_empty() {
                text.push_str("AWS refuses their earlier sessions within minutes; credentials issued from now on work.");
            }
            if !o.failed.is_empty() {
                text.push_str(&format!(" Not revoked: {}.", o.failed.join("; ")));
            }
            text
        })
    };
    view! {
        <InlineReauth confirm asks message="Help-desk actions need a recent sign-in. Confirm your password, then repeat the action."/>
        {move || revoke.value().get().and_then(Result::err).filter(|e| *e != AppError::ReauthRequired).map(|error| view! { <ErrorView error/> })}
        {move || done().map(|m| view! { <p class="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 ring-1 ring-emerald-200" role="status" data-testid="desk-revoked">{m}</p> })}
        <ActionForm action=revoke attr:class="flex flex-wrap items-end gap-3" attr:data-testid="desk-revoke-form" attr:data-case="">
            <input type="hidden" name="person" value=person/>
            <label class="text-xs text-slate-700" for="revoke-role">"Revoke their sessions of"
                <select id="revoke-role" name="role" class=format!("block {INPUT}") data-testid="desk-revoke-role">
                    <option value="all">"every role they hold a session of"</option>
                    {roles.into_iter().map(|(arn, name)| view! { <option value=arn>{name}</option> }).collect_view()}
                </select>
            </label>
            // Without JavaScript the form asks itself; with it, the case's fields fill these in.
            {move || (!hydrated.get()).then(|| reason_inputs("revoke", &CaseNote::default()))}
            <button type="submit" class=DANGER disabled=move || revoke.pending().get() data-testid="desk-revoke">"Revoke"</button>
        </ActionForm>
    }
}

/// Four-eyes requests, drawn on the server: those waiting for a second person (approve or reject, not
/// one's own, each an island: approving may answer with a generated password), then the latest decided
/// ones with who decided and how it ended.
#[component]
fn Requests(
    /// The administrators' view: the list alone (inside their card), and "No requests." when empty.
    admin: bool,
) -> impl IntoView {
    let list = Resource::new(|| (), |_| helpdesk_requests());
    let (asks, error) = refusal([ServerAction::<HelpdeskDecide>::new().value().get_untracked().map(|r| r.map(drop))]);
    view! {
        <Suspense fallback=|| ()>
            {move || { let error = error.clone(); Suspend::new(async move {
                let rows = match list.await {
                    Err(error) => return view! { <div class="mt-4"><ErrorView error/></div> }.into_any(),
                    Ok(rows) if rows.is_empty() => {
                        return admin.then(|| view! { <p class="text-sm text-slate-600" data-testid="desk-no-requests">"No requests."</p> }).into_any();
                    }
                    Ok(rows) => rows,
                };
                let list = view! {
                    <SectionReauth place=REQUESTS_PLACE asks/>
                    {error.clone().map(|error| view! { <div class="mb-3"><ErrorView error/></div> })}
                    <ul class="divide-y divide-slate-100 text-sm" data-testid="desk-requests">
                        {rows.into_iter().map(|r| if r.state == "pending" && !r.mine {
                            view! { <IslandScripts bundle=Bundle::Helpdesk/><PendingRequest frame=crate::components::gate_frame() r/> }.into_any()
                        } else {
                            view! { <RequestRow r/> }.into_any()
                        }).collect_view()}
                    </ul>
                };
                if admin {
                    list.into_any()
                } else {
                    view! {
                        <section id=REQUESTS_PLACE aria-labelledby="requests-heading" class="mt-6 rounded-xl border border-slate-200 p-4">
                            <h3 id="requests-heading" class="mb-2 text-base font-semibold">"Requests needing a second person"</h3>
                            {list}
                        </section>
                    }.into_any()
                }
            })}}
        </Suspense>
    }
}

/// What a request is and where it stands.
fn request_status(r: &RequestView) -> String {
    let by = || r.decided_by.clone().unwrap_or_default();
    match r.state.as_str() {
        "pending" if r.mine => format!("waiting for another person until {} UTC", fmt_utc(r.expires_at)),
        "pending" => format!("waiting for approval until {} UTC", fmt_utc(r.expires_at)),
        "executed" => format!("approved by {} and done", by()),
        "failed" => format!("approved by {}, but it failed: {}", by(), r.outcome.clone().unwrap_or_default()),
        "rejected" => format!("rejected by {}", by()),
        "lapsed" => "lapsed: nobody approved it in time".to_owned(),
        other => other.to_owned(),
    }
}

/// Who asks for what, and why.
fn request_summary(r: &RequestView) -> impl IntoView {
    view! {
        <span><strong>{r.requested_by.clone()}</strong>" asks to "<span data-testid="desk-request-what">{r.what.clone()}</span></span>
    }
}

fn request_filed(r: &RequestView) -> String {
    format!(
        "Reason: {}{} · filed {} UTC · ",
        r.reason,
        r.ticket.clone().map(|t| format!(" (ticket {t})")).unwrap_or_default(),
        fmt_utc(r.requested_at)
    )
}

/// A request nobody here can decide now (one's own, or decided): drawn on the server.
#[component]
fn RequestRow(r: RequestView) -> impl IntoView {
    view! {
        <li class="grid gap-1 py-3" data-testid="desk-request" data-state=r.state.clone() data-id=r.id.clone()>
            {request_summary(&r)}
            <span class="text-xs text-slate-600">{request_filed(&r)}<span data-testid="desk-request-state">{request_status(&r)}</span></span>
        </li>
    }
}

/// A request waiting for the viewer's decision. Approving executes it and may answer with a generated
/// password, shown here once (so a reset's approval needs JavaScript); the decision's row then says how
/// it ended, and the page is loaded anew once the password is put away. Rejecting posts with or without
/// JavaScript.
#[cfg_attr(any(feature = "ssr", feature = "islands-helpdesk"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "islands-helpdesk")), component)]
fn PendingRequest(frame: Frame, r: RequestView) -> impl IntoView {
    provide_context(frame);
    let decide = ServerAction::<HelpdeskDecide>::new();
    // A refusal in the address (a rejection posted without JavaScript) is the list's to show, once.
    decide.value().set(None);
    let confirm = ServerAction::<ConfirmPassword>::new();
    let hydrated = crate::components::use_hydrated();
    let me = use_context::<Frame>().and_then(|f| f.viewer).map(|v| v.user.to_string()).unwrap_or_default();
    let (approve_id, reject_id) = (r.id.clone(), r.id.clone());
    let answers_secret = r.answers_secret;
    // Decided here: executed (or rejected) with no password to show, the server draws the row anew.
    Effect::new(move |_| {
        if decide.value().with(|v| matches!(v, Some(Ok(None)))) {
            crate::components::browser::show_answer(None, REQUESTS_PLACE);
        }
    });
    let decided = move || decide.value().with(|v| matches!(v, Some(Ok(Some(_)))));
    let state = move || if decided() { "executed".to_owned() } else { "pending".to_owned() };
    let status = {
        let r = r.clone();
        move || if decided() { format!("approved by {me} and done") } else { request_status(&r) }
    };
    let asks = Signal::derive(move || matches!(decide.value().get(), Some(Err(AppError::ReauthRequired))));
    let forget = Callback::new(move |()| {
        decide.value().set(None);
        crate::components::browser::show_answer(None, REQUESTS_PLACE);
    });
    view! {
        <li class="grid gap-1 py-3" data-testid="desk-request" data-state=state data-id=r.id.clone()>
            {request_summary(&r)}
            <span class="text-xs text-slate-600">{request_filed(&r)}<span data-testid="desk-request-state">{status}</span></span>
            <InlineReauth confirm asks message="Deciding needs a recent sign-in. Confirm your password, then decide again."/>
            {move || decide.value().get().and_then(Result::err).filter(|e| *e != AppError::ReauthRequired).map(|error| view! { <ErrorView error/> })}
            {move || (!decided()).then(|| {
                let (approve_id, reject_id) = (approve_id.clone(), reject_id.clone());
                view! {
                    <div class="mt-1 flex flex-wrap items-center gap-2">
                        {move || (hydrated.get() || !answers_secret).then(|| {
                            let approve_id = approve_id.clone();
                            view! {
                                <ActionForm action=decide>
                                    <input type="hidden" name="id" value=approve_id/><input type="hidden" name="approve" value="true"/>
                                    <button type="submit" class=BUTTON disabled=move || decide.pending().get() data-testid="desk-approve">"Approve and execute"</button>
                                </ActionForm>
                            }
                        })}
                        <ActionForm action=decide>
                            <input type="hidden" name="id" value=reject_id/><input type="hidden" name="approve" value="false"/>
                            <button type="submit" class=SECONDARY disabled=move || decide.pending().get() data-testid="desk-reject">"Reject"</button>
                        </ActionForm>
                        {move || (!hydrated.get() && answers_secret).then(|| view! {
                            <span class="text-xs text-slate-500">"Approving needs JavaScript: the generated password is shown once."</span>
                        })}
                    </div>
                }
            })}
            {move || decide.value().get().and_then(Result::ok).flatten().map(|pw| view! { <GeneratedPassword pw forget/> })}
        </li>
    }
}
