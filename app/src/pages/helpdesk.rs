//! The help-desk page. Only help-desk staff reach it (server-enforced by the gate's 403 and by every
//! help-desk server function). Find a user by IAM user name or access key id (`?q=`, a GET form that
//! works without JavaScript), then act with a reason: deactivate or reactivate a key (the leaked-key
//! path) and delete it once inactive, reset the console password to a generated one, remove a lost MFA
//! device, deactivate an HTTPS Git credential or an SSH key.

use crate::api::access_keys::ConfirmPassword;
use crate::api::helpdesk::*;
use crate::components::{ErrorView, Gate, OneTimeSecretDialog, SecretField, SectionCard, Shell};
use crate::components::{InlineReauth, BUTTON, DANGER, INPUT, SECONDARY};
use crate::domain::{fmt_utc, Role};
use crate::error::AppError;
use crate::pages::IslandScripts;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, Copy)]
struct DeskActions {
    key: ServerAction<HelpdeskSetKeyStatus>,
    delete: ServerAction<HelpdeskDeleteKey>,
    codecommit: ServerAction<HelpdeskDeactivateCodecommit>,
    reset: ServerAction<HelpdeskResetPassword>,
    mfa: ServerAction<HelpdeskRemoveMfa>,
    notify: ServerAction<HelpdeskNotifyLeak>,
    detach: ServerAction<HelpdeskDetachQuarantine>,
    decide: ServerAction<HelpdeskDecide>,
    revoke: ServerAction<HelpdeskRevokeTemporary>,
    confirm: ServerAction<ConfirmPassword>,
}

impl DeskActions {
    fn error(&self) -> Option<AppError> {
        let e = |v: Option<AppError>| v;
        e(self.key.value().get().and_then(Result::err))
            .or_else(|| self.reset.value().get().and_then(Result::err))
            .or_else(|| self.mfa.value().get().and_then(Result::err))
            .or_else(|| self.delete.value().get().and_then(Result::err))
            .or_else(|| self.codecommit.value().get().and_then(Result::err))
            .or_else(|| self.notify.value().get().and_then(Result::err))
            .or_else(|| self.detach.value().get().and_then(Result::err))
            .or_else(|| self.decide.value().get().and_then(Result::err))
            .or_else(|| self.revoke.value().get().and_then(Result::err))
    }

    /// The message of a request just filed (the action needs a second person), if any.
    fn requested(&self) -> Option<String> {
        let reset = self.reset.value().get().and_then(Result::ok).and_then(|o| o.requested);
        reset
            .or_else(|| self.key.value().get().and_then(Result::ok).flatten())
            .or_else(|| self.mfa.value().get().and_then(Result::ok).flatten())
    }
}

#[component]
pub fn HelpdeskPage() -> impl IntoView {
    view! {
        <Title text="Help desk"/>
        <Shell>
            <Gate any_of=&[Role::Helpdesk, Role::Admin]>
                <h1 class="text-2xl font-semibold tracking-tight">"Help desk"</h1>
                <div class="mt-6 grid gap-6">
                    {move || {
                        let admin = crate::components::use_session().frame.get().and_then(Result::ok).and_then(|f| f.viewer).is_some_and(|v| v.role.is_admin());
                        if admin {
                            view! {
                                <SectionCard id="requests" title="Requests needing a second person"
                                    subtitle="Help-desk actions under four eyes wait here for another person's approval. Approving executes them once; each step is audited and told to the person.">
                                    <IslandScripts/><AdminRequests frame=crate::components::gate_frame()/>
                                </SectionCard>
                            }.into_any()
                        } else {
                            view! {
                                <SectionCard id="find-user" title="Find a user"
                                    subtitle="By IAM user name, or paste a leaked access key id (AKIA…) to find its owner. Every action needs a reason, which the person sees.">
                                    <IslandScripts/><Desk frame=crate::components::gate_frame()/>
                                </SectionCard>
                            }.into_any()
                        }
                    }}
                </div>
            </Gate>
        </Shell>
    }
}

fn desk_actions() -> DeskActions {
    DeskActions {
        key: ServerAction::new(),
        delete: ServerAction::new(),
        codecommit: ServerAction::new(),
        reset: ServerAction::new(),
        mfa: ServerAction::new(),
        notify: ServerAction::new(),
        detach: ServerAction::new(),
        decide: ServerAction::new(),
        revoke: ServerAction::new(),
        confirm: ServerAction::new(),
    }
}

/// What an administrator sees here: the requests, with the password confirmation and the generated
/// password of an approved reset.
#[island]
fn AdminRequests(frame: crate::domain::Frame) -> impl IntoView {
    provide_context(frame);
    let actions = desk_actions();
    provide_context(actions);
    let asks = Signal::derive(move || matches!(actions.error(), Some(AppError::ReauthRequired)));
    view! {
        <InlineReauth confirm=actions.confirm asks message="Approving needs a recent sign-in. Confirm your password, then approve again."/>
        {move || actions.error().filter(|e| *e != AppError::ReauthRequired).map(|error| view! { <div class="mt-4"><ErrorView error/></div> })}
        <GeneratedPassword/>
        <Requests empty_note=true/>
    }
}

/// The help desk's island: search, cases and actions change in place.
#[island]
fn Desk(frame: crate::domain::Frame) -> impl IntoView {
    provide_context(frame);
    let params = crate::components::location::use_query_map();
    let q = Memo::new(move |_| params.with(|p| p.get("q").unwrap_or_default()));
    let actions = desk_actions();
    provide_context(actions);
    let case = CaseReason {
        reason: RwSignal::new(String::new()),
        ticket: RwSignal::new(String::new()),
        hydrated: crate::components::use_hydrated(),
    };
    // Another person, another case.
    Effect::new(move |previous: Option<String>| {
        let now = q.get();
        if previous.is_some_and(|p| p != now) {
            case.reason.set(String::new());
            case.ticket.set(String::new());
        }
        now
    });
    provide_context(case);
    let found = Resource::new(
        move || {
            (
                q.get(),
                actions.key.version().get(),
                actions.mfa.version().get(),
                actions.reset.version().get(),
                actions.delete.version().get(),
                actions.codecommit.version().get(),
                actions.notify.version().get(),
                actions.detach.version().get(),
                actions.decide.version().get(),
            )
        },
        |(q, ..)| async move {
            // A temporary key id (ASIA…) is a case of temporary credentials, not of an IAM user.
            if q.trim().is_empty() || q.trim().starts_with("ASIA") {
                None
            } else {
                Some(helpdesk_find(q).await)
            }
        },
    );
    let temporary = Resource::new(
        move || (q.get(), actions.revoke.version().get()),
        |(q, _)| async move {
            if q.trim().is_empty() {
                None
            } else {
                Some(helpdesk_temporary_case(q).await)
            }
        },
    );
    let asks = Signal::derive(move || matches!(actions.error(), Some(AppError::ReauthRequired)));
    view! {
        <form method="get" action=crate::paths::HELPDESK_PATH role="search" class="flex flex-wrap items-end gap-2">
            <label class="text-sm">
                <span class="block font-medium text-slate-800">"User name, access key id or temporary key id (ASIA…)"</span>
                <input name="q" value=q.get_untracked() required autofocus class=format!("mt-1 w-80 font-mono {INPUT}") data-testid="desk-query"/>
            </label>
            <button type="submit" class=BUTTON data-testid="desk-find">"Find"</button>
        </form>
        <InlineReauth confirm=actions.confirm asks message="Help-desk actions need a recent sign-in. Confirm your password, then repeat the action."/>
        {move || actions.error().filter(|e| *e != AppError::ReauthRequired).map(|error| view! { <div class="mt-4"><ErrorView error/></div> })}
        {move || actions.requested().map(|m| view! {
            <p class="mt-4 rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-900 ring-1 ring-sky-200" role="status" data-testid="desk-requested">{m}</p>
        })}
        <GeneratedPassword/>
        <Requests/>
        <Transition fallback=|| view! { <p class="mt-4 text-sm text-slate-500">"Looking up…"</p> }>
            {move || Suspend::new(async move {
                match found.await {
                    None => ().into_any(),
                    Some(Err(error)) => view! { <div class="mt-4"><ErrorView error/></div> }.into_any(),
                    Some(Ok(view)) => view! { <UserCard view/> }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let by_key = q.get_untracked().trim().starts_with("ASIA");
                let case = temporary.await;
                // The user card above asks for the case's reason when it offers actions; else this one does.
                let user_card_asks = !by_key && found.await.is_some_and(|r| r.is_ok_and(|v| v.protected.is_none()));
                match case {
                    None => ().into_any(),
                    // Looked up by name: only worth a card when keydesk issued them something lately.
                    Some(Ok(case)) if case.sessions.is_empty() && !by_key => ().into_any(),
                    Some(Ok(case)) => view! { <TemporaryCaseCard case ask_reason=!user_card_asks/> }.into_any(),
                    Some(Err(error)) if by_key => view! { <div class="mt-4"><ErrorView error/></div> }.into_any(),
                    Some(Err(_)) => ().into_any(),
                }
            })}
        </Transition>
    }
}

/// The reason and ticket of the case on screen: asked once, above the person's credentials, and sent
/// with every action taken for that case. Owned by the desk (not the card, which is re-rendered after
/// each action), and emptied when another person is looked up.
#[derive(Clone, Copy)]
struct CaseReason {
    reason: RwSignal<String>,
    ticket: RwSignal<String>,
    hydrated: ReadSignal<bool>,
}

/// The reason and ticket of one action. With JavaScript they come from the case's fields (hidden
/// inputs that follow them); without it each form asks, as a form can only send its own inputs.
fn reason_fields(id: String) -> impl IntoView {
    let case = expect_context::<CaseReason>();
    move || {
        if case.hydrated.get() {
            view! {
                <input type="hidden" name="reason" prop:value=move || case.reason.get()/>
                <input type="hidden" name="ticket" prop:value=move || case.ticket.get()/>
            }
            .into_any()
        } else {
            view! {
                <label class="text-xs text-slate-700">"Reason (the person sees it)"
                    <input name="reason" required maxlength="500" class=format!("block w-72 {INPUT}") id=format!("reason-{id}") data-testid="desk-reason"/></label>
                <label class="text-xs text-slate-700">"Ticket (optional)"
                    <input name="ticket" maxlength="100" class=format!("block w-32 {INPUT}") data-testid="desk-ticket"/></label>
            }
            .into_any()
        }
    }
}

/// The case's reason and ticket, once per person looked up (with JavaScript), checked as the person
/// types by the same rule the server applies.
#[component]
fn CaseFields() -> impl IntoView {
    let case = expect_context::<CaseReason>();
    let verdict = move || case.reason.with(|r| crate::domain::check_reason(r).map(drop));
    move || {
        case.hydrated.get().then(|| {
            view! {
                <fieldset class="rounded-lg border border-slate-200 bg-white p-4" data-testid="desk-case">
                    <legend class="px-1 text-sm font-semibold">"This case"</legend>
                    <p class="text-xs text-slate-600">"Every action below is recorded with this reason and ticket, and the person sees the reason."</p>
                    <div class="mt-2 flex flex-wrap items-end gap-3">
                        <label class="text-xs text-slate-700" for="case-reason">"Reason (the person sees it)"
                            <input id="case-reason" maxlength="500" class=format!("block w-80 max-w-full {INPUT}") data-testid="desk-reason"
                                prop:value=move || case.reason.get() on:input=move |ev| case.reason.set(event_target_value(&ev))
                                aria-describedby="case-reason-check"/></label>
                        <label class="text-xs text-slate-700" for="case-ticket">"Ticket (optional)"
                            <input id="case-ticket" maxlength="100" class=format!("block w-32 {INPUT}") data-testid="desk-ticket"
                                prop:value=move || case.ticket.get() on:input=move |ev| case.ticket.set(event_target_value(&ev))/></label>
                    </div>
                    <p id="case-reason-check" class="mt-1 text-xs" aria-live="polite" data-testid="desk-reason-check">
                        {move || match (case.reason.with(String::is_empty), verdict()) {
                            (true, _) => view! { <span class="text-slate-500">"Say why before you act: a few words the person will understand."</span> }.into_any(),
                            (false, Ok(())) => view! { <span class="text-emerald-800">"✓ Reason given"</span> }.into_any(),
                            (false, Err(why)) => view! { <span class="text-red-700">{why}</span> }.into_any(),
                        }}
                    </p>
                </fieldset>
            }
        })
    }
}

/// A person's temporary credentials from keydesk's ledger (the last 12 hours), the session a pasted
/// key id named, and revocation of the live ones.
#[component]
fn TemporaryCaseCard(case: crate::domain::temporary::TemporaryCase, ask_reason: bool) -> impl IntoView {
    let actions = expect_context::<DeskActions>();
    let crate::domain::temporary::TemporaryCase { person, found, sessions, roles } = case;
    let done = move || {
        actions.revoke.value().get().and_then(Result::ok).map(|o| {
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
    let can_revoke = !roles.is_empty();
    view! {
        <section class="mt-6 grid gap-4 rounded-lg border border-slate-200 p-4" data-testid="desk-temporary" aria-labelledby="desk-temporary-title">
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
            {move || done().map(|m| view! { <p class="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 ring-1 ring-emerald-200" role="status" data-testid="desk-revoked">{m}</p> })}
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
                {ask_reason.then(|| view! { <CaseFields/> })}
                <ActionForm action=actions.revoke attr:class="flex flex-wrap items-end gap-3" attr:data-testid="desk-revoke-form">
                    <input type="hidden" name="person" value=person.clone()/>
                    <label class="text-xs text-slate-700" for="revoke-role">"Revoke their sessions of"
                        <select id="revoke-role" name="role" class=format!("block {INPUT}") data-testid="desk-revoke-role">
                            <option value="all">"every role they hold a session of"</option>
                            {roles.into_iter().map(|(arn, name)| view! { <option value=arn>{name}</option> }).collect_view()}
                        </select>
                    </label>
                    {reason_fields("revoke".into())}
                    <button type="submit" class=DANGER data-testid="desk-revoke">"Revoke"</button>
                </ActionForm>
                <p class="text-xs text-slate-600">"A deny on each role for their sessions issued until now (AWS's standard revocation, narrowed to this person). It takes effect within minutes; new credentials they get afterwards work, so also remove what lets them get more if that is the point. keydesk removes the deny once the longest session it could match has expired."</p>
            })}
        </section>
    }
}

#[component]
fn UserCard(view: HelpdeskView) -> impl IntoView {
    let actions = expect_context::<DeskActions>();
    let user = view.user.name.to_string();
    let can_act = view.protected.is_none();
    let found_by = view.found_by_key.clone();
    let (u1, u2, u3, u4) = (user.clone(), user.clone(), user.clone(), user.clone());
    // The generated password exists only in the action's answer: without JavaScript the form's redirect
    // would lose it after the reset, so the reset is offered once the page is hydrated.
    let hydrated = crate::components::use_hydrated();
    view! {
        <div class="mt-6 grid gap-5" data-testid="desk-user">
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
            {can_act.then(|| view! { <CaseFields/> })}
            {view.case.clone().map(|case| view! { <LeakCasePanel case user=user.clone() can_act quarantined=view.quarantined/> })}
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
                                        <ActionForm action=actions.key attr:class="flex flex-wrap items-end gap-2">
                                            <input type="hidden" name="user" value=u/>
                                            <input type="hidden" name="key_id" value=id.clone()/>
                                            <input type="hidden" name="active" value=(!active).to_string()/>
                                            {reason_fields(id.clone())}
                                            <button type="submit" class=if active { DANGER } else { SECONDARY } data-testid="desk-toggle-key">
                                                {if active { "Deactivate" } else { "Reactivate" }}</button>
                                        </ActionForm>
                                    })}
                                    {(can_act && !active).then(|| view! {
                                        <ActionForm action=actions.delete attr:class="flex w-full flex-wrap items-end justify-end gap-2">
                                            <input type="hidden" name="user" value=del_user/>
                                            <input type="hidden" name="key_id" value=del_id.clone()/>
                                            {reason_fields(format!("delete-{del_id}"))}
                                            <button type="submit" class=DANGER data-testid="desk-delete-key">"Delete inactive key"</button>
                                        </ActionForm>
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
                {let has_password = view.login_profile.is_some(); move || { let u2 = u2.clone(); (can_act && has_password && hydrated.get()).then(move || view! {
                    <ActionForm action=actions.reset attr:class="mt-2 flex flex-wrap items-end gap-2">
                        <input type="hidden" name="user" value=u2/>
                        {reason_fields("password".into())}
                        <button type="submit" class=SECONDARY data-testid="desk-reset-password">"Reset to a generated password"</button>
                    </ActionForm>
                    <p class="mt-1 text-xs text-slate-500">"keydesk generates a password that meets the policy and shows it to you once; the person must change it at their next sign-in."</p>
                })}}
                {(can_act && view.login_profile.is_none()).then(|| view! {
                    <p class="mt-1 text-xs text-slate-500" data-testid="desk-no-password">"The help desk resets console passwords; it does not create one where there is none. Ask an AWS administrator."</p>
                })}
                {let has_password = view.login_profile.is_some(); move || (can_act && has_password && !hydrated.get()).then(|| view! {
                    <p class="mt-1 text-xs text-slate-500">"Resetting a password needs JavaScript: the generated password is shown once."</p>
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
                                        <ActionForm action=actions.mfa attr:class="flex flex-wrap items-end gap-2">
                                            <input type="hidden" name="user" value=u/>
                                            <input type="hidden" name="serial" value=d.serial.clone()/>
                                            {reason_fields("mfa".into())}
                                            <button type="submit" class=DANGER data-testid="desk-remove-mfa">"Remove lost device"</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any() }}
            </section>
            <CodeCommitCredentials git=view.git_credentials ssh=view.ssh_keys user=u4 can_act/>
        </div>
    }
}

/// The leaked-key case: the key's state and last use, the quarantine, and the guided steps with the one
/// to take now (each audited with a reason, which the owner sees).
#[component]
fn LeakCasePanel(case: crate::domain::leak::LeakCase, user: String, can_act: bool, quarantined: Option<bool>) -> impl IntoView {
    use crate::domain::leak::{LeakStep, StepState};
    let actions = expect_context::<DeskActions>();
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
                <ActionForm action=actions.key attr:class="mt-2 flex flex-wrap items-end gap-2">
                    <input type="hidden" name="user" value=user/><input type="hidden" name="key_id" value=key/>
                    <input type="hidden" name="active" value="false"/>
                    {reason_fields("case-deactivate".into())}
                    <button type="submit" class=DANGER data-testid="case-deactivate">"Deactivate now"</button>
                </ActionForm>
            }.into_any(),
            LeakStep::Notify => view! {
                <ActionForm action=actions.notify attr:class="mt-2 flex flex-wrap items-end gap-2">
                    <input type="hidden" name="user" value=user/><input type="hidden" name="key_id" value=key/>
                    {reason_fields("case-notify".into())}
                    <button type="submit" class=BUTTON data-testid="case-notify">"Notify the owner"</button>
                </ActionForm>
                <p class="mt-1 text-xs text-slate-500">"The owner gets a notice (and e-mail) that opens keydesk's rotation guide for this key."</p>
            }.into_any(),
            LeakStep::Delete => view! {
                <ActionForm action=actions.delete attr:class="mt-2 flex flex-wrap items-end gap-2">
                    <input type="hidden" name="user" value=user/><input type="hidden" name="key_id" value=key/>
                    {reason_fields("case-delete".into())}
                    <button type="submit" class=DANGER data-testid="case-delete">"Delete the leaked key"</button>
                </ActionForm>
            }.into_any(),
            LeakStep::Detach => view! {
                <ActionForm action=actions.detach attr:class="mt-2 flex flex-wrap items-end gap-2">
                    <input type="hidden" name="user" value=user/>
                    {reason_fields("case-detach".into())}
                    <label class="flex items-center gap-2 text-xs text-slate-700">
                        <input type="checkbox" name="confirm" value="yes" required data-testid="case-detach-confirm"/>
                        "The leaked key is deleted and the owner works with a new one"
                    </label>
                    <button type="submit" class=DANGER data-testid="case-detach">"Lift the quarantine"</button>
                </ActionForm>
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
) -> impl IntoView {
    let actions = expect_context::<DeskActions>();
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
                    <ActionForm action=actions.codecommit attr:class="flex flex-wrap items-end gap-2">
                        <input type="hidden" name="user" value=user/>
                        <input type="hidden" name="kind" value=kind/>
                        <input type="hidden" name="id" value=form_id.clone()/>
                        {reason_fields(format!("{kind}-{form_id}"))}
                        <button type="submit" class=DANGER data-testid=format!("desk-deactivate-{kind}")>"Deactivate"</button>
                    </ActionForm>
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

/// The generated password, once, with the hand-over advice; "Done" forgets it.
#[component]
fn GeneratedPassword() -> impl IntoView {
    let actions = expect_context::<DeskActions>();
    let forget = Callback::new(move |()| {
        actions.reset.value().set(None);
        actions.decide.value().set(None);
    });
    move || {
        let reset = actions.reset.value().get().and_then(Result::ok).and_then(|o| o.password);
        reset.or_else(|| actions.decide.value().get().and_then(Result::ok).flatten()).map(|pw| {
            let fields =
                vec![SecretField { label: "Generated password", value: pw.expose().to_owned(), secret: true, testid: "desk-generated-password" }];
            view! {
                <OneTimeSecretDialog title="The new console password"
                    intro="Hand this password over through a separate channel (phone, in person). It is shown once; the person must change it at their next console sign-in."
                    fields what="generated password" testid="desk-generated" prefix="desk" on_close=forget/>
            }
        })
    }
}

/// Four-eyes requests: those waiting for a second person (approve or reject, not one's own), then the
/// latest decided ones with who decided and how it ended.
#[component]
fn Requests(
    /// The administrators' view: the list alone, and "No requests." when there are none.
    #[prop(optional)]
    empty_note: bool,
) -> impl IntoView {
    let actions = expect_context::<DeskActions>();
    let list = Resource::new(
        move || (actions.key.version().get(), actions.mfa.version().get(), actions.reset.version().get(), actions.decide.version().get()),
        |_| helpdesk_requests(),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match list.await {
                    Err(error) => view! { <div class="mt-4"><ErrorView error/></div> }.into_any(),
                    Ok(rows) if rows.is_empty() => empty_note.then(|| view! { <p class="text-sm text-slate-600" data-testid="desk-no-requests">"No requests."</p> }).into_any(),
                    Ok(rows) => {
                        let list = view! {
                            <ul class="divide-y divide-slate-100 text-sm" data-testid="desk-requests">
                                {rows.into_iter().map(|r| view! { <RequestRow r/> }).collect_view()}
                            </ul>
                        };
                        if empty_note {
                            // Inside the administrators' own card, which has the heading: the list alone.
                            list.into_any()
                        } else {
                            view! {
                                <section aria-labelledby="requests-heading" class="mt-6 rounded-xl border border-slate-200 p-4">
                                    <h3 id="requests-heading" class="mb-2 text-base font-semibold">"Requests needing a second person"</h3>
                                    {list}
                                </section>
                            }.into_any()
                        }
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn RequestRow(r: RequestView) -> impl IntoView {
    let actions = expect_context::<DeskActions>();
    let pending = r.state == "pending";
    let (approve_id, reject_id) = (r.id.clone(), r.id.clone());
    let status = match r.state.as_str() {
        "pending" if r.mine => format!("waiting for another person until {} UTC", fmt_utc(r.expires_at)),
        "pending" => format!("waiting for approval until {} UTC", fmt_utc(r.expires_at)),
        "executed" => format!("approved by {} and done", r.decided_by.clone().unwrap_or_default()),
        "failed" => {
            format!("approved by {}, but it failed: {}", r.decided_by.clone().unwrap_or_default(), r.outcome.clone().unwrap_or_default())
        }
        "rejected" => format!("rejected by {}", r.decided_by.clone().unwrap_or_default()),
        "lapsed" => "lapsed: nobody approved it in time".to_owned(),
        other => other.to_owned(),
    };
    view! {
        <li class="grid gap-1 py-3" data-testid="desk-request" data-state=r.state.clone() data-id=r.id.clone()>
            <span><strong>{r.requested_by.clone()}</strong>" asks to "<span data-testid="desk-request-what">{r.what.clone()}</span></span>
            <span class="text-xs text-slate-600">{format!("Reason: {}{} · filed {} UTC · ", r.reason, r.ticket.clone().map(|t| format!(" (ticket {t})")).unwrap_or_default(), fmt_utc(r.requested_at))}
                <span data-testid="desk-request-state">{status}</span></span>
            {(pending && !r.mine).then(|| view! {
                <div class="mt-1 flex flex-wrap gap-2">
                    <ActionForm action=actions.decide>
                        <input type="hidden" name="id" value=approve_id/><input type="hidden" name="approve" value="true"/>
                        <button type="submit" class=BUTTON data-testid="desk-approve">"Approve and execute"</button>
                    </ActionForm>
                    <ActionForm action=actions.decide>
                        <input type="hidden" name="id" value=reject_id/><input type="hidden" name="approve" value="false"/>
                        <button type="submit" class=SECONDARY data-testid="desk-reject">"Reject"</button>
                    </ActionForm>
                </div>
            })}
        </li>
    }
}
