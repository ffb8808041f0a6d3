//! The audit log page (administrators and the help desk): a GET filter form (works without
//! JavaScript), newest events first, 100 per page, and a CSV export of everything the filters match.

use crate::api::audit::{get_audit_log, AuditQuery};
use crate::components::{ErrorView, Gate, SectionCard, Shell};
use crate::domain::notices::{action_label, outcome_label};
use crate::domain::{fmt_utc, Role};
use leptos::prelude::*;
use leptos_meta::Title;

/// Where the filtered audit log downloads as CSV (same query string as the page).
pub const AUDIT_CSV_PATH: &str = "/audit.csv";

const INPUT: &str = "mt-1 block w-40 rounded-md border border-slate-300 px-2 py-1.5 text-sm";

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <Title text="Audit log"/>
        <Shell>
            <Gate any_of=&[Role::Admin, Role::Helpdesk]>
                <h1 class="text-2xl font-semibold tracking-tight">"Audit log"</h1>
                <div class="mt-6">
                    <SectionCard id="audit" title="Every change to credentials"
                        subtitle="Append-only: the database refuses to change or delete an entry. Each change is recorded as an intent before IAM is called and a final entry after; it shows here as one row with its outcome (open “Intent” for the first), and Outcome “pending” lists the intents.">
                        <AuditTable/>
                    </SectionCard>
                </div>
            </Gate>
        </Shell>
    }
}

/// Server-only, like the whole page: the filters are a GET form and the table is drawn from the
/// request's query, so nothing of it is sent to the browser as WASM.
#[component]
fn AuditTable() -> impl IntoView {
    let params = crate::components::location::use_query_map();
    let query = Memo::new(move |_| {
        params.with(|p| {
            let get = |k: &str| p.get(k).unwrap_or_default();
            AuditQuery {
                actor: get("actor"),
                target: get("target"),
                action: get("action"),
                outcome: get("outcome"),
                from: get("from"),
                to: get("to"),
                page: get("page").parse::<usize>().map_or(0, |p| p.saturating_sub(1)),
            }
        })
    });
    let log = Resource::new(
        move || query.get(),
        |q| get_audit_log(Some(q.actor), Some(q.target), Some(q.action), Some(q.outcome), Some(q.from), Some(q.to), Some(q.page)),
    );
    let q0 = query.get_untracked();
    let field = |name: &'static str, label: &'static str, value: String, placeholder: &'static str| {
        view! { <label class="text-sm"><span class="block font-medium text-slate-800">{label}</span>
        <input name=name value=value placeholder=placeholder class=INPUT data-testid=format!("audit-{name}")/></label> }
    };
    view! {
        <form method="get" action=crate::paths::AUDIT_PATH class="flex flex-wrap items-end gap-3" role="search">
            {field("actor", "Actor", q0.actor.clone(), "carol")}
            {field("target", "Target IAM user", q0.target.clone(), "alice")}
            {field("action", "Action starts with", q0.action.clone(), "helpdesk.")}
            <label class="text-sm"><span class="block font-medium text-slate-800">"Outcome"</span>
                <select name="outcome" class=INPUT data-testid="audit-outcome">
                    {["", "pending", "success", "failure", "orphan_deleted", "resolved_not_created", "unresolved"].into_iter().map(|o| view! {
                        <option value=o selected=o == q0.outcome>{if o.is_empty() { "any" } else { o }}</option>
                    }).collect_view()}
                </select></label>
            <label class="text-sm"><span class="block font-medium text-slate-800">"From"</span>
                <input type="date" name="from" value=q0.from.clone() class=INPUT/></label>
            <label class="text-sm"><span class="block font-medium text-slate-800">"To (inclusive)"</span>
                <input type="date" name="to" value=q0.to.clone() class=INPUT/></label>
            <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="audit-apply">"Filter"</button>
            <a href=crate::paths::AUDIT_PATH class="text-sm text-indigo-700 underline">"Reset"</a>
        </form>
        <Transition fallback=|| view! { <p class="mt-4 text-sm text-slate-500">"Loading the audit log…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match log.await {
                    Err(error) => view! { <div class="mt-4"><ErrorView error/></div> }.into_any(),
                    Ok(page) => {
                        let link = |p: usize| format!("/audit?{}", AuditQuery { page: p, ..q.clone() }.to_query_string());
                        let prev = (page.page > 0).then(|| link(page.page - 1));
                        let next = (page.page + 1 < page.pages).then(|| link(page.page + 1));
                        view! {
                            <div class="mt-4 flex flex-wrap items-center justify-between gap-3 text-sm text-slate-600">
                                <p data-testid="audit-total">{format!("{} matching events", page.total)}</p>
                                <a class="text-indigo-700 underline" href=format!("{AUDIT_CSV_PATH}?{}", q.to_query_string()) download data-testid="audit-export">"Export (.csv)"</a>
                            </div>
                            <div class="mt-2 overflow-x-auto">
                                <table class="min-w-full divide-y divide-slate-200 text-sm">
                                    <thead class="text-left text-xs font-semibold uppercase tracking-wide text-slate-500"><tr>
                                        <th scope="col" class="py-2 pr-3">"When (UTC)"</th><th scope="col" class="py-2 pr-3">"Actor"</th>
                                        <th scope="col" class="py-2 pr-3">"Target"</th><th scope="col" class="py-2 pr-3">"Action"</th>
                                        <th scope="col" class="py-2 pr-3">"Subject"</th><th scope="col" class="py-2 pr-3">"Outcome"</th>
                                        <th scope="col" class="py-2 pr-3">"Reason / detail"</th>
                                    </tr></thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {page.entries.into_iter().map(|e| view! {
                                            <tr data-testid="audit-row">
                                                <td class="py-1.5 pr-3 tabular-nums whitespace-nowrap">{fmt_utc(e.at)}</td>
                                                <td class="py-1.5 pr-3">{e.actor.unwrap_or_default()}<span class="block text-xs text-slate-500">{e.actor_role.unwrap_or_default()}</span></td>
                                                <td class="py-1.5 pr-3 font-mono">{e.target_user.unwrap_or_default()}</td>
                                                <td class="py-1.5 pr-3">{action_label(&e.action)}<span class="block font-mono text-xs text-slate-500">{e.action.clone()}</span></td>
                                                <td class="py-1.5 pr-3 font-mono text-xs break-all">{e.subject.unwrap_or_default()}</td>
                                                <td class="py-1.5 pr-3" data-testid="audit-outcome">
                                                    {let (words, failed) = outcome_label(&e.outcome);
                                                     view! { <span class=if failed { "font-medium text-red-700" } else { "text-emerald-800" }>{words}</span> }}
                                                    {e.intent.map(|i| view! {
                                                        <details class="text-xs text-slate-500" data-testid="audit-intent">
                                                            <summary class="cursor-pointer">"Intent"</summary>
                                                            {format!("#{} recorded {} UTC, before IAM was called", i.id, fmt_utc(i.at))}
                                                        </details>
                                                    })}
                                                </td>
                                                <td class="py-1.5 pr-3 text-xs">{e.reason.unwrap_or_default()}<span class="block text-slate-500">{e.detail.unwrap_or_default()}</span></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <nav class="mt-3 flex items-center gap-3 text-sm" aria-label="Pages">
                                {prev.map(|h| view! { <a href=h class="text-indigo-700 underline" rel="prev">"← Newer"</a> })}
                                <span>{format!("Page {} of {}", page.page + 1, page.pages)}</span>
                                {next.map(|h| view! { <a href=h class="text-indigo-700 underline" rel="next">"Older →"</a> })}
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
