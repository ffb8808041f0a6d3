//! The administrator's page. Only admins reach it: the gate refuses other roles with 403, and the
//! server function behind the table refuses them too.

use crate::api::admin::list_portal_accounts;
use crate::components::{ErrorView, Gate, SectionCard, Shell};
use crate::domain::Role;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <Title text="Admin"/>
        <Shell>
            <Gate role=Role::Admin>
                <h1 class="text-2xl font-semibold tracking-tight">"Administration"</h1>
                <div class="mt-6 grid gap-6">
                    <SectionCard id="accounts" title="Portal accounts"
                        subtitle="Who can sign in to keydesk, their role and the IAM user each one acts for. Manage them with `keydesk user`.">
                        <AccountsTable/>
                    </SectionCard>
                </div>
            </Gate>
        </Shell>
    }
}

#[component]
fn AccountsTable() -> impl IntoView {
    let accounts = Resource::new(|| (), |_| list_portal_accounts());
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading accounts…"</p> }>
            {move || Suspend::new(async move {
                match accounts.await {
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                    Ok(rows) => view! {
                        <div class="overflow-x-auto">
                            <table class="min-w-full divide-y divide-slate-200 text-sm">
                                <thead class="text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                                    <tr>
                                        <th scope="col" class="py-2 pr-4">"User"</th>
                                        <th scope="col" class="py-2 pr-4">"Role"</th>
                                        <th scope="col" class="py-2 pr-4">"IAM user"</th>
                                        <th scope="col" class="py-2 pr-4">"Status"</th>
                                        <th scope="col" class="py-2 pr-4">"Last sign-in (UTC)"</th>
                                    </tr>
                                </thead>
                                <tbody class="divide-y divide-slate-100">
                                    {rows.into_iter().map(|a| view! {
                                        <tr>
                                            <td class="py-2 pr-4"><span class="font-medium">{a.display_name}</span>
                                                <span class="block font-mono text-xs text-slate-500">{a.user.to_string()}</span></td>
                                            <td class="py-2 pr-4">{a.role.label()}</td>
                                            <td class="py-2 pr-4 font-mono">{a.iam_user.to_string()}</td>
                                            <td class="py-2 pr-4">{if a.disabled { "Disabled" } else { "Active" }}</td>
                                            <td class="py-2 pr-4 tabular-nums">{a.last_sign_in_at.map(crate::domain::fmt_utc).unwrap_or_else(|| "never".to_owned())}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
