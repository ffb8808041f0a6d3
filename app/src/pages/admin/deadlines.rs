//! The administrators' view of access-key deadlines: the organisation policy (configuration, read-only
//! here), the dry run of enforcement, per-user exemptions (reason and end date, audited), e-mail
//! delivery, and the last run of the reminder job with the users notices reach only in the portal.

use crate::api::access_keys::ConfirmPassword;
use crate::api::deadlines::*;
use crate::components::ErrorView;
use crate::components::{InlineReauth, BUTTON, INPUT, SECONDARY, TH};
use crate::domain::deadlines::Enforcement;
use crate::domain::fmt_utc;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Drawn on the server, with no island: the dry run is a link that loads the page with `?dry-run=1`,
/// and the exemption forms post to their server functions, whose answer loads this page again (with
/// the refusal in its address when there is one, shown here).
#[component]
pub fn KeyDeadlines() -> impl IntoView {
    let set = ServerAction::<SetKeyExemption>::new();
    let remove = ServerAction::<RemoveKeyExemption>::new();
    let dry_run = crate::components::location::use_query_map().with_untracked(|q| q.get("dry-run").is_some_and(|v| v == "1"));
    let preview = Resource::new(
        move || dry_run,
        |on| async move {
            if on {
                Some(preview_enforcement().await)
            } else {
                None
            }
        },
    );
    let confirm = ServerAction::<ConfirmPassword>::new();
    let view_data = Resource::new(|| (), |_| get_deadlines());
    let asks = Signal::derive(move || {
        matches!(set.value().get(), Some(Err(AppError::ReauthRequired)))
            || matches!(remove.value().get(), Some(Err(AppError::ReauthRequired)))
    });
    view! {
        <InlineReauth confirm asks message="Changing exemptions needs a recent sign-in. Confirm your password, then repeat."/>
        <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Reading key deadlines…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                    Ok(d) => view! { <DeadlinesBody d set remove preview/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DeadlinesBody(
    d: DeadlinesView,
    set: ServerAction<SetKeyExemption>,
    remove: ServerAction<RemoveKeyExemption>,
    preview: Resource<Option<Result<Vec<OverdueKeyView>, AppError>>>,
) -> impl IntoView {
    let mode = d.policy.enforcement;
    let dry_run = move |result: Option<Result<Vec<OverdueKeyView>, AppError>>| {
        result.map(|r| match r {
            Err(error) => view! { <ErrorView error/> }.into_any(),
            Ok(keys) if keys.is_empty() => {
                view! { <p class="mt-2 text-sm text-emerald-800" data-testid="dry-run-empty">"No active key is past its deadline: enforcement would deactivate nothing."</p> }.into_any()
            }
            Ok(keys) => view! {
                <p class="mt-2 text-sm text-slate-800" data-testid="dry-run-count">
                    {format!("{} key{} past the deadline{}:", keys.len(), if keys.len() == 1 { " is" } else { "s are" },
                        if mode == Enforcement::Deactivate { ", and will be deactivated at the next run" } else { " (enforcement is notify: they stay active)" })}
                </p>
                <div class="overflow-x-auto"><table class="mt-2 min-w-full text-sm" data-testid="dry-run">
                    <thead><tr><th scope="col" class=TH>"IAM user"</th><th scope="col" class=TH>"Access key"</th>
                        <th scope="col" class=TH>"Deadline (UTC)"</th><th scope="col" class=TH>"Days over"</th></tr></thead>
                    <tbody class="divide-y divide-slate-100">
                        {keys.into_iter().map(|k| view! {
                            <tr data-testid="dry-run-row"><td class="py-1.5 pr-4">{k.user}</td><td class="py-1.5 pr-4 font-mono text-xs">{k.key_id}</td>
                                <td class="py-1.5 pr-4 tabular-nums">{fmt_utc(k.due)}</td><td class="py-1.5 pr-4 tabular-nums">{k.days_over}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any(),
        })
    };
    let delivery = if d.smtp_configured {
        format!("{} sent, {} waiting, {} given up after repeated failures.", d.emails_sent, d.emails_pending, d.emails_failed)
    } else {
        "No SMTP server is configured (--smtp-url): notices appear in the portal only.".to_owned()
    };
    view! {
        <p class="text-sm text-slate-800" data-testid="key-policy">{d.policy.describe()}</p>
        <p class="mt-1 text-xs text-slate-500">
            {format!("Set in keydesk's configuration (--key-max-age-days, --key-reminder-days, --inactive-key-grace-days, --key-enforcement={}); the job runs every {} minutes on one instance at a time.", mode.as_str(), d.job_interval_minutes)}
        </p>

        <h3 class="mt-5 text-sm font-semibold text-slate-900">"Enforcement dry run"</h3>
        <p class="mt-1 text-sm text-slate-600">"Which active keys are past their deadline now, exemptions respected: what --key-enforcement=deactivate would deactivate."</p>
        <a href=format!("{}?dry-run=1#deadlines", crate::paths::ADMIN_PATH) rel="external" class=format!("mt-2 inline-block {SECONDARY}") data-testid="dry-run-button">"Run the dry run"</a>
        <Suspense fallback=|| view! { <p class="mt-2 text-sm text-slate-500" role="status">"Checking every user's keys…"</p> }>
            {move || Suspend::new(async move { dry_run(preview.await) })}
        </Suspense>

        <h3 class="mt-6 text-sm font-semibold text-slate-900">"Exemptions"</h3>
        {if d.exemptions.is_empty() {
            view! { <p class="mt-1 text-sm text-slate-500">"Nobody is exempt."</p> }.into_any()
        } else {
            view! {
                <div class="overflow-x-auto"><table class="mt-2 min-w-full text-sm" data-testid="exemptions">
                    <thead><tr><th scope="col" class=TH>"IAM user"</th><th scope="col" class=TH>"Until (UTC)"</th>
                        <th scope="col" class=TH>"Reason"</th><th scope="col" class=TH>"By"</th><th scope="col" class=TH><span class="sr-only">"Action"</span></th></tr></thead>
                    <tbody class="divide-y divide-slate-100">
                        {d.exemptions.into_iter().map(|e| view! {
                            <tr data-testid="exemption-row">
                                <td class="py-1.5 pr-4 font-mono">{e.user.clone()}</td>
                                <td class="py-1.5 pr-4 tabular-nums">{fmt_utc(e.until)}</td>
                                <td class="py-1.5 pr-4">{e.reason}</td>
                                <td class="py-1.5 pr-4">{e.by}</td>
                                <td class="py-1.5 text-right">
                                    <ActionForm action=remove>
                                        <input type="hidden" name="user" value=e.user.clone()/>
                                        <button type="submit" class=SECONDARY aria-label=format!("End the exemption of {}", e.user)>"End"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        <ActionForm action=set attr:class="mt-3 grid gap-3 sm:grid-cols-[10rem_1fr_10rem_auto] sm:items-end" attr:data-testid="exemption-form">
            <label class="text-sm font-medium text-slate-800">"IAM user"
                <input name="user" required class=format!("mt-1 {INPUT}") autocomplete="off" data-testid="exemption-user"/></label>
            <label class="text-sm font-medium text-slate-800">"Reason (audited, shown to the user)"
                <input name="reason" required minlength="5" maxlength="500" class=format!("mt-1 {INPUT}") data-testid="exemption-reason"/></label>
            <label class="text-sm font-medium text-slate-800">"Until"
                <input name="until" type="date" required class=format!("mt-1 {INPUT}") data-testid="exemption-until"/></label>
            <button type="submit" class=BUTTON data-testid="exemption-save">"Exempt"</button>
        </ActionForm>
        // A refusal shows under the form it answers (the page comes back at this section).
        {set.value().get_untracked().and_then(Result::err).or_else(|| remove.value().get_untracked().and_then(Result::err))
            .filter(|e| *e != AppError::ReauthRequired)
            .map(|error| view! { <div class="mt-3" data-testid="exemption-error"><ErrorView error/></div> })}

        <h3 class="mt-6 text-sm font-semibold text-slate-900">"E-mail delivery"</h3>
        <p class="mt-1 text-sm text-slate-700" data-testid="delivery-summary">{delivery}</p>
        {(!d.delivery_problems.is_empty()).then(|| view! {
            <div class="overflow-x-auto"><table class="mt-2 min-w-full text-sm" data-testid="delivery-problems">
                <thead><tr><th scope="col" class=TH>"User"</th><th scope="col" class=TH>"Recipient"</th><th scope="col" class=TH>"Attempts"</th>
                    <th scope="col" class=TH>"Last error"</th></tr></thead>
                <tbody class="divide-y divide-slate-100">
                    {d.delivery_problems.into_iter().map(|p| view! {
                        <tr><td class="py-1.5 pr-4">{p.user}</td><td class="py-1.5 pr-4">{p.recipient}</td>
                            <td class="py-1.5 pr-4 tabular-nums">{format!("{}{}", p.attempts, if p.given_up { " (given up)" } else { "" })}</td>
                            <td class="py-1.5 pr-4 text-xs text-red-800">{p.error}</td></tr>
                    }).collect_view()}
                </tbody>
            </table></div>
        })}

        <h3 class="mt-6 text-sm font-semibold text-slate-900">"Last run of the reminder job"</h3>
        {match d.last_job {
            None => view! { <p class="mt-1 text-sm text-slate-500">"It has not run yet."</p> }.into_any(),
            Some(j) => view! {
                <p class="mt-1 text-sm text-slate-700" data-testid="last-job">
                    {format!("{} UTC: {} users, {} active keys; {} reminders, {} keys deactivated, {} deletion suggestions{}.",
                        fmt_utc(j.at), j.users, j.active_keys, j.reminders, j.deactivated, j.deletion_suggestions,
                        if j.errors > 0 { format!("; {} users' keys could not be read", j.errors) } else { String::new() })}
                </p>
                {(!j.without_address.is_empty()).then(|| view! {
                    <p class="mt-2 text-sm text-amber-900" data-testid="without-address">
                        {crate::components::code_spans(&format!("Told in the portal only (no e-mail address: set one with `keydesk user email` or the IAM tag `email`): {}", j.without_address.join(", ")))}
                    </p>
                })}
            }.into_any(),
        }}
    }
}
