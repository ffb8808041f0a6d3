//! The console-password section: state, the policy in words, and the change form whose checklist ticks
//! live (the same `refusal` the server runs) with a strength estimate beyond IAM's rules.

use super::access_keys::CredentialActions;
use crate::api::credentials::{PasswordView, PASSWORD_WARN_DAYS};
use crate::api::password::ChangePassword;
use crate::components::badge;
use crate::components::ErrorView;
use crate::components::{BUTTON, INPUT};
use crate::domain::days;
use crate::domain::password_policy::{refusal, EffectivePolicy};
use crate::domain::strength::{common_list_ready, estimate, BLOCK_BELOW_SCORE};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

fn policy_words(policy: &EffectivePolicy) -> Vec<String> {
    match policy {
        EffectivePolicy::IamDefault => vec![
            "No custom policy: IAM's default applies.".to_owned(),
            "At least 8 characters with 3 of: uppercase, lowercase, numbers, symbols.".to_owned(),
            "Users may change their own password; passwords never expire.".to_owned(),
        ],
        EffectivePolicy::Custom(p) => {
            let mut classes = Vec::new();
            for (on, what) in [
                (p.require_uppercase, "an uppercase letter"),
                (p.require_lowercase, "a lowercase letter"),
                (p.require_numbers, "a number"),
                (p.require_symbols, "a symbol"),
            ] {
                if on {
                    classes.push(what);
                }
            }
            let mut words = vec![if classes.is_empty() {
                format!("At least {} characters.", p.minimum_length)
            } else {
                format!("At least {} characters, with {}.", p.minimum_length, classes.join(", "))
            }];
            words.push(match p.reuse_prevention {
                Some(n) => format!("Cannot reuse any of your last {n} passwords."),
                None => "Earlier passwords may be reused.".to_owned(),
            });
            words.push(match p.max_age_days {
                Some(d) if p.hard_expiry => {
                    format!("Expires after {d} days; once expired only an administrator can reset it (hard expiry).")
                }
                Some(d) => format!("Expires after {d} days; you then choose a new one at sign-in."),
                None => "Never expires.".to_owned(),
            });
            words.push(
                if p.allow_users_to_change { "Users may change their own password." } else { "Users may not change their own password." }
                    .to_owned(),
            );
            words
        }
    }
}

#[component]
pub fn PasswordSection(password: PasswordView, iam_user: String) -> impl IntoView {
    let reset = password.profile.as_ref().is_some_and(|p| p.reset_required);
    let status = match &password.profile {
        Some(p) if p.reset_required => {
            view! { <span>"Set — "{badge("reset required", "bg-amber-50 text-amber-900 ring-amber-300")}</span> }.into_any()
        }
        Some(_) => view! { <span>"Set"</span> }.into_any(),
        None => view! { <span>"No console password"</span> }.into_any(),
    };
    let expiry = match password.expires_in_days {
        None => view! { <span>"Never"</span> }.into_any(),
        Some(d) if d < 0 => badge(format!("Expired {} ago", days(-d)), "bg-red-50 text-red-800 ring-red-200").into_any(),
        Some(0) => badge("Expires today", "bg-red-50 text-red-800 ring-red-200").into_any(),
        Some(d) if d <= PASSWORD_WARN_DAYS => badge(format!("In {}", days(d)), "bg-amber-50 text-amber-900 ring-amber-300").into_any(),
        Some(d) => view! { <span>{format!("In {}", days(d))}</span> }.into_any(),
    };
    let has_profile = password.profile.is_some();
    let words = policy_words(&password.policy);
    // Open the form when it must be used now, or when a JavaScript-free post of it was refused (the
    // refusal comes back in the address). With JavaScript the form answers in place.
    let refused = matches!(ServerAction::<ChangePassword>::new().value().get_untracked(), Some(Err(e)) if e != AppError::ReauthRequired);
    let open = reset || refused;
    let changed = crate::components::answer::use_answer().done == "change_password";
    view! {
        {changed.then(|| view! {
            <p class="mb-4 text-sm font-medium text-emerald-800" role="status" data-testid="password-changed">"Password changed. Use it at your next AWS console sign-in."</p>
        })}
        {reset.then(|| view! {
            <p class="mb-4 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-300" role="status" data-testid="reset-required">
                "Your password was reset by the help desk. Choose a new one now: until you do, the AWS console will ask for it at your next sign-in."
            </p>
        })}
        <dl class="grid gap-3 text-sm sm:grid-cols-3">
            <div><dt class="text-slate-500">"Status"</dt><dd class="mt-0.5 font-medium" data-testid="password-status">{status}</dd></div>
            <div><dt class="text-slate-500">"Age"</dt><dd class="mt-0.5 tabular-nums" data-testid="password-age">
                {password.age_days.map(|d| format!("{} old", days(d))).unwrap_or_else(|| "—".into())}</dd></div>
            <div><dt class="text-slate-500">"Expires"</dt><dd class="mt-0.5" data-testid="password-expiry">{if has_profile { expiry } else { view! { <span>"—"</span> }.into_any() }}</dd></div>
            <div class="sm:col-span-3"><dt class="text-slate-500">"Account password policy"</dt>
                <dd class="mt-0.5"><ul class="list-inside list-disc" data-testid="policy-words">{words.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul></dd></div>
        </dl>
        {match password.cannot_change.clone() {
            Some(reason) => view! { <p class="mt-4 rounded-md bg-slate-100 px-3 py-2 text-sm text-slate-700" data-testid="cannot-change">{reason}</p> }.into_any(),
            None => view! {
                <details class="mt-4 rounded-lg border border-slate-200 bg-slate-50 open:bg-white" open=open data-testid="change-password">
                    <summary class="cursor-pointer list-none rounded-lg px-4 py-3 text-sm font-semibold text-indigo-700 focus-visible:outline-2 focus-visible:outline-indigo-600">
                        {if has_profile { "Change password" } else { "Create a console password" }}
                    </summary>
                    {super::section_island(super::Part::PasswordForm { policy: password.policy.clone(), block_weak: password.block_weak, iam_user, autofocus: reset })}
                </details>
            }.into_any(),
        }}
    }
}

/// The change form, live: its checklist ticks as the password is typed. A change loads the page anew,
/// which says so and shows the password's new age; a refusal answers in place, keeping what was typed.
#[component]
pub fn ChangeForm(policy: EffectivePolicy, block_weak: bool, iam_user: String, autofocus: bool) -> impl IntoView {
    let actions = expect_context::<CredentialActions>();
    Effect::new(move |_| {
        if matches!(actions.password().value().get(), Some(Ok(()))) {
            crate::components::browser::show_answer(Some("change_password"), "password");
        }
    });
    let pw = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let policy = StoredValue::new(policy);
    let user = StoredValue::new(iam_user);
    // The common-password list arrives when the person first focuses the field (domain::strength);
    // the estimate is made again then.
    let list_ready = RwSignal::new(common_list_ready());
    let load_list = move || crate::components::browser::load_common_passwords(move || list_ready.set(true));
    // A field focused before the page was interactive (autofocus) never sees its focus event.
    Effect::new(move |_| {
        if autofocus {
            load_list();
        }
    });
    let verdict = move || policy.with_value(|p| p.check(&pw.get()));
    let strength = move || {
        list_ready.track();
        user.with_value(|u| estimate(&pw.get(), &[u.as_str()]))
    };
    let refused = move || {
        list_ready.track();
        policy.with_value(|p| user.with_value(|u| refusal(p, &pw.get(), &repeat.get(), u, block_weak)))
    };
    let error = move || actions.password().value().get().and_then(Result::err).filter(|e| *e != AppError::ReauthRequired);
    // Without JavaScript the button stays enabled and the server answers with the same words.
    let hydrated = crate::components::use_hydrated();
    let tick = |met: bool| if met { ("✓", "text-emerald-700") } else { ("○", "text-slate-500") };
    view! {
        <ActionForm action=actions.password() attr:class="grid gap-4 px-4 pb-4 sm:grid-cols-2">
            <div class="grid gap-3">
                <div>
                    <label for="new-password" class="block text-sm font-medium text-slate-800">"New password"</label>
                    <input id="new-password" name="new_password" type="password" required autocomplete="new-password" maxlength="128"
                        class=INPUT autofocus=autofocus aria-describedby="password-rules password-strength"
                        on:focus=move |_| load_list() on:input=move |ev| pw.set(event_target_value(&ev)) prop:value=move || pw.get()/>
                </div>
                <div>
                    <label for="repeat-password" class="block text-sm font-medium text-slate-800">"Repeat the new password"</label>
                    <input id="repeat-password" name="repeat_password" type="password" required autocomplete="new-password" maxlength="128"
                        class=INPUT on:input=move |ev| repeat.set(event_target_value(&ev)) prop:value=move || repeat.get()/>
                </div>
                {move || error().map(|error| view! { <ErrorView error/> })}
                <div>
                    <button type="submit" class=BUTTON data-testid="change-password-submit"
                        disabled=move || actions.password().pending().get() || (hydrated.get() && refused().is_some())>
                        {move || if actions.password().pending().get() { "Saving…" } else { "Set new password" }}
                    </button>
                </div>
            </div>
            <div class="text-sm">
                <p class="font-medium text-slate-800">"Requirements"</p>
                <ul id="password-rules" class="mt-1 grid gap-0.5" data-testid="password-checklist" aria-live="polite">
                    {move || verdict().checks.into_iter().map(|c| {
                        let (mark, class) = tick(c.met);
                        view! { <li class=class data-met=c.met.to_string()>{mark} " " {c.rule.describe()}</li> }
                    }).collect_view()}
                    {move || {
                        let (mark, class) = tick(!repeat.get().is_empty() && pw.get() == repeat.get());
                        view! { <li class=class>{mark} " Both entries match"</li> }
                    }}
                    // The strength verdict is one more line of the checklist: required when keydesk
                    // blocks weak passwords, otherwise marked as advice (it does not hold the button).
                    {move || {
                        let s = strength();
                        let strong = !pw.get().is_empty() && s.score >= BLOCK_BELOW_SCORE;
                        if block_weak {
                            let (mark, class) = tick(strong);
                            view! { <li class=class data-testid="strength-rule" data-met=strong.to_string()>{mark} " Hard to guess (at least “Strong”)"</li> }.into_any()
                        } else if strong || pw.get().is_empty() {
                            view! { <li class="text-slate-500" data-testid="strength-rule" data-met=strong.to_string()>{if strong { "✓" } else { "○" }} " Advice: hard to guess (at least “Strong”)"</li> }.into_any()
                        } else {
                            view! { <li class="font-medium text-amber-800" data-testid="strength-rule" data-met="false">"! Advice: easy to guess — choose a longer, less common password"</li> }.into_any()
                        }
                    }}
                </ul>
                <div id="password-strength" class="mt-3" data-testid="password-strength"
                    data-common-list=move || if list_ready.get() { "ready" } else { "pending" }>
                    {move || {
                        let s = strength();
                        let empty = pw.get().is_empty();
                        // A width class, not a `style` attribute: the CSP allows no inline styles.
                        let width = if empty { "w-0" } else { ["w-1/5", "w-2/5", "w-3/5", "w-4/5", "w-full"][usize::from(s.score).min(4)] };
                        let color = match s.score { 0 | 1 => "bg-red-500", 2 => "bg-amber-500", 3 => "bg-emerald-500", _ => "bg-emerald-600" };
                        view! {
                            <p class="font-medium text-slate-800">"Strength: "
                                <span data-testid="strength-label">{if empty { "—".to_owned() } else { s.label().to_owned() }}</span>
                                {(!empty).then(|| view! { <span class="font-normal text-slate-500" data-testid="strength-words">{format!(" · {}", s.in_words())}</span> })}
                            </p>
                            <div class="mt-1 h-2 w-full rounded bg-slate-200" aria-hidden="true"><div class=format!("h-2 rounded {color} {width}")></div></div>
                            <ul class="mt-1 text-xs text-amber-900" data-testid="strength-warnings">
                                {s.warnings.into_iter().filter(|_| !empty).map(|w| view! { <li>{w}</li> }).collect_view()}
                            </ul>
                            {(block_weak && !empty && s.score < BLOCK_BELOW_SCORE).then(|| view! {
                                <p class="mt-1 text-xs font-medium text-red-700">"keydesk requires at least “Strong” here."</p>
                            })}
                        }
                    }}
                </div>
            </div>
        </ActionForm>
    }
}
