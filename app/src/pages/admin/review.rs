//! The administrator's page. Only admins reach it: the gate refuses other roles with 403, and the
//! server function behind the table refuses them too.

use crate::api::admin::{get_credential_review, list_portal_accounts, RefreshCredentialReview, ReviewPage};
use crate::components::{ErrorView, Gate, SectionCard, Shell};
use crate::domain::review::{DetailsProgress, Filter, KeySlot, ReviewLine, ReviewQuery, SortKey, Verdict};
use crate::domain::{fmt_utc, Role};
use crate::pages::{Bundle, IslandScripts};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <Title text="Admin"/>
        <Shell>
            <Gate role=Role::Admin>
                <h1 class="text-2xl font-semibold tracking-tight">"Administration"</h1>
                <BreakGlassNotice/>
                <div class="mt-6 grid grid-cols-1 gap-6">
                    <SectionCard id="review" title="Credential review"
                        subtitle="Every IAM user's password, MFA and access keys from IAM's credential report, with what needs attention. Read-only: the help desk makes changes.">
                        <CredentialReview/>
                    </SectionCard>
                    <SectionCard id="deadlines" title="Access-key deadlines and notices"
                        subtitle="The rotation policy, what enforcement would do, exemptions, and whether reminders reach people.">
                        <super::deadlines::KeyDeadlines/>
                    </SectionCard>
                    <SectionCard id="temporary-issuance" title="Temporary credentials issued"
                        subtitle="Sessions of work roles keydesk issued in the last 30 days, per role and person. Each one's access key id is in the audit log and matches CloudTrail.">
                        <IssuanceTable/>
                    </SectionCard>
                    <SectionCard id="accounts" title="Portal accounts"
                        subtitle="Who can sign in to keydesk, their role and the IAM user each one acts for. Manage them with `keydesk user`.">
                        <AccountsTable/>
                    </SectionCard>
                </div>
            </Gate>
        </Shell>
    }
}

/// Every break-glass sign-in of the last 30 days, where every administrator sees it. Nothing when
/// there was none.
#[component]
fn BreakGlassNotice() -> impl IntoView {
    let uses = Resource::new(|| (), |_| crate::api::admin::list_break_glass_sign_ins());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let uses = uses.await.unwrap_or_default();
                (!uses.is_empty()).then(|| view! {
                    <section class="mt-6 rounded-xl border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" data-testid="break-glass-uses"
                        aria-labelledby="break-glass-title">
                        <h2 id="break-glass-title" class="font-semibold">"Break-glass sign-ins in the last 30 days"</h2>
                        <p class="mt-1">"Sign-ins with a keydesk password instead of the identity provider. Check that each one was expected."</p>
                        <ul class="mt-2 list-disc space-y-1 pl-5">
                            {uses.into_iter().map(|u| {
                                let who = u.user.unwrap_or_else(|| "someone".into());
                                let what = if u.succeeded { "signed in" } else { "was refused (not an administrator)" };
                                let from = u.client_ip.map(|ip| format!(" from {ip}")).unwrap_or_default();
                                view! { <li>{format!("{who} {what} on {} UTC{from}", fmt_utc(u.at))}</li> }
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Transition>
    }
}

#[component]
fn IssuanceTable() -> impl IntoView {
    let counts = Resource::new(|| (), |_| crate::api::temporary::get_temporary_issuance());
    const TH: &str = crate::components::TH;
    let td = "py-2 pr-4 align-top";
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Reading the ledger…"</p> }>
            {move || Suspend::new(async move {
                match counts.await {
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="text-sm text-slate-500">"None in the last 30 days."</p> }.into_any(),
                    Ok(rows) => view! {
                        <div class="overflow-x-auto"><table class="min-w-full text-sm" data-testid="issuance">
                            <thead><tr>
                                <th scope="col" class=TH>"Role"</th>
                                <th scope="col" class=TH>"Person"</th>
                                <th scope="col" class=format!("{TH} text-right")>"Sessions"</th>
                                <th scope="col" class=TH>"Last (UTC)"</th>
                            </tr></thead>
                            <tbody class="divide-y divide-slate-100">
                                {rows.into_iter().map(|r| view! {
                                    <tr data-role=r.role_id.clone()>
                                        <td class=td>{r.role}</td>
                                        <td class=format!("{td} font-mono text-xs")>{r.person}</td>
                                        <td class=format!("{td} text-right tabular-nums")>{r.issued}</td>
                                        <td class=format!("{td} tabular-nums")>{fmt_utc(r.last_at)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                }
            })}
        </Transition>
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

/// Where the filtered review downloads as CSV (same query string as the page).
pub const REVIEW_CSV_PATH: &str = "/admin/review.csv";
/// Where IAM's own credential report downloads.
pub const REPORT_CSV_PATH: &str = "/admin/credential-report.csv";

const TH: &str = "py-2 pr-3 text-left text-xs font-semibold uppercase tracking-wide text-slate-500 whitespace-nowrap";
const TD: &str = "py-2 pr-3 align-top";

/// Drawn on the server: the filters are a GET form and the sort and page are links, so every change
/// is a page load with or without JavaScript. Two small islands update in place: the progress of the
/// per-user details while they are read ([`DetailsWatch`]) and the report's "Refresh"
/// ([`RefreshReport`]).
#[component]
fn CredentialReview() -> impl IntoView {
    let params = crate::components::location::use_query_map();
    let query = params.with_untracked(|q| {
        ReviewQuery::from_params(
            q.get_str("search"),
            q.get_str("filter"),
            q.get_str("age"),
            q.get_str("sort"),
            q.get_str("desc"),
            q.get_str("page"),
        )
    });
    let review = Resource::new(
        {
            let q = query.clone();
            move || q.clone()
        },
        |q| async move { fetch_review(&q).await },
    );
    view! {
        <form method="get" action=crate::paths::ADMIN_PATH class="flex flex-wrap items-end gap-3" role="search" data-testid="review-filters">
            <label class="w-full text-sm sm:w-auto">
                <span class="block font-medium text-slate-800">"User name or access key id"</span>
                <input name="search" value=query.search.clone() placeholder="alice or AKIA…" class="mt-1 w-full rounded-md sm:w-64 border border-slate-300 px-3 py-1.5 text-sm" data-testid="review-search"/>
            </label>
            <label class="w-full text-sm sm:w-auto">
                <span class="block font-medium text-slate-800">"Show"</span>
                <select name="filter" class="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm sm:w-auto" data-testid="review-filter">
                    {Filter::ALL.iter().map(|(f, id, label)| view! { <option value=*id selected=*f == query.filter>{*label}</option> }).collect_view()}
                </select>
            </label>
            <label class="text-sm">
                <span class="block font-medium text-slate-800">"N (key age, days)"</span>
                <input name="age" type="number" min="1" max="3650" value=query.key_age_days.to_string() class="mt-1 w-24 rounded-md border border-slate-300 px-2 py-1.5 text-sm" data-testid="review-age"/>
            </label>
            // The sort comes from the table's header links: applying a filter keeps the chosen order.
            <input type="hidden" name="sort" value=query.sort.id()/>
            <input type="hidden" name="desc" value=u8::from(query.descending).to_string()/>
            <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500" data-testid="review-apply">"Apply"</button>
            <a href=crate::paths::ADMIN_PATH class="text-sm text-indigo-700 underline">"Reset"</a>
        </form>
        <Suspense fallback=|| view! { <p class="mt-4 text-sm text-slate-500" role="status">"Reading IAM's credential report… (IAM can take a few seconds to generate it)"</p> }>
            {move || {
                let query = query.clone();
                Suspend::new(async move {
                    match review.await {
                        Err(error) => view! { <div class="mt-4"><ErrorView error/></div> }.into_any(),
                        Ok(page) => view! { <ReviewTable page query/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// One page of the review, as `query` asks for it.
async fn fetch_review(q: &ReviewQuery) -> Result<ReviewPage, crate::error::AppError> {
    get_credential_review(
        Some(q.search.clone()),
        Some(q.filter.id().to_owned()),
        Some(q.key_age_days.to_string()),
        Some(q.sort.id().to_owned()),
        Some(u8::from(q.descending).to_string()),
        Some((q.page + 1).to_string()),
    )
    .await
}

fn link(q: &ReviewQuery) -> String {
    format!("/admin?{}", q.to_query_string())
}

/// Progress of the per-user details: why they stopped, how many failed, or, while they are read, the
/// [`DetailsWatch`] island.
#[component]
fn DetailsStatus(progress: DetailsProgress, query: ReviewQuery) -> impl IntoView {
    let counts = crate::domain::review::group_thousands;
    if let Some(why) = progress.stopped {
        return view! {
            <p class="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200" role="status" data-testid="details-stopped">
                "Key ids and the MFA, SSH key and Git credential counts are not shown: " {why}
            </p>
        }
        .into_any();
    }
    if progress.finished {
        return (progress.failed > 0)
            .then(|| {
                view! {
                    <p class="mt-3 text-sm text-slate-600" role="status" data-testid="details-failed">
                        {format!("Details of {} users could not be read (deleted since the report?); their report columns stand.", counts(progress.failed))}
                    </p>
                }
            })
            .into_any();
    }
    view! { <IslandScripts bundle=Bundle::Admin/><DetailsWatch progress query/> }.into_any()
}

/// The progress line of the per-user details, updated in place: it asks for the same page again every
/// 1.5 s (the next question only once the last is answered) and loads the page anew when the details
/// are all in, or stopped, so the table shows them. Without JavaScript the "Update" link does the same.
#[cfg_attr(any(feature = "ssr", feature = "islands-admin"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "islands-admin")), component)]
fn DetailsWatch(progress: DetailsProgress, query: ReviewQuery) -> impl IntoView {
    let again = link(&query);
    let progress = RwSignal::new(progress);
    Effect::new(move |_| {
        let asking = StoredValue::new(false);
        let query = query.clone();
        let tick = move || {
            if asking.get_value() {
                return;
            }
            asking.set_value(true);
            let query = query.clone();
            leptos::task::spawn_local(async move {
                if let Ok(page) = fetch_review(&query).await {
                    if page.details.finished || page.details.stopped.is_some() {
                        crate::components::browser::reload();
                        return;
                    }
                    progress.set(page.details);
                }
                asking.set_value(false);
            });
        };
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_millis(1500)) {
            on_cleanup(move || handle.clear());
        }
    });
    let counts = crate::domain::review::group_thousands;
    view! {
        <div class="mt-3 rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700 ring-1 ring-slate-200" role="status" aria-live="polite" data-testid="details-progress">
            <label class="flex flex-wrap items-center gap-3">
                <span>{move || progress.with(|p| format!(
                    "Reading every credential kind per user (key ids, MFA devices by type, SSH keys, service credentials, certificates, quarantine): {} of {} users ({}%), {} at a time.",
                    counts(p.done), counts(p.total), p.percent(), p.concurrency
                ))}</span>
                <progress class="h-2 w-48" max=move || progress.with(|p| p.total.to_string()) value=move || progress.with(|p| p.done.to_string())></progress>
            </label>
            <span class="block text-xs text-slate-500">"Sorting and exports use what has arrived; columns still being read show “…” until all are in. "
                <a href=again class="text-indigo-700 underline">"Update"</a></span>
        </div>
    }
}

/// Ask IAM for a new credential report: the answer loads the page anew. Without JavaScript the form
/// posts, and the server function's answer sends the browser back to this page.
#[cfg_attr(any(feature = "ssr", feature = "islands-admin"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "islands-admin")), component)]
fn RefreshReport() -> impl IntoView {
    let refresh = ServerAction::<RefreshCredentialReview>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = refresh.value().get() {
            crate::components::browser::reload();
        }
    });
    view! {
        {move || refresh.value().get().and_then(Result::err).map(|error| view! { <ErrorView error/> })}
        <ActionForm action=refresh>
            <button type="submit" class="rounded-md border border-slate-300 bg-white px-3 py-1 text-sm" title="IAM makes a new report at most every 4 hours"
                disabled=move || refresh.pending().get()>{move || if refresh.pending().get() { "Refreshing…" } else { "Refresh" }}</button>
        </ActionForm>
    }
}

#[component]
fn ReviewTable(page: ReviewPage, query: ReviewQuery) -> impl IntoView {
    let header = |key: SortKey, label: &'static str| {
        let active = query.sort == key;
        let next = ReviewQuery { sort: key, descending: active && !query.descending, page: 0, ..query.clone() };
        let aria = if active {
            if query.descending {
                "descending"
            } else {
                "ascending"
            }
        } else {
            "none"
        };
        let arrow = if active {
            if query.descending {
                " ↓"
            } else {
                " ↑"
            }
        } else {
            ""
        };
        view! { <th scope="col" class=TH aria-sort=aria><a href=link(&next) class="hover:text-indigo-700" data-sort=key.id()>{label}{arrow}</a></th> }
    };
    let csv_href = format!("{REVIEW_CSV_PATH}?{}", query.to_query_string());
    let prev = (page.page > 0).then(|| link(&ReviewQuery { page: page.page - 1, ..query.clone() }));
    let next = (page.page + 1 < page.pages).then(|| link(&ReviewQuery { page: page.page + 1, ..query.clone() }));
    let nobody = page.matched == 0 && page.notice.is_none();
    view! {
        <div class="mt-4 flex flex-wrap items-center justify-between gap-3 text-sm text-slate-600">
            <p data-testid="review-meta">
                {format!("Credential report generated {} UTC · {} users · ", fmt_utc(page.generated_at), page.total)}
                {page.details.finished_at.map(|t| view! { <span data-testid="inventory-read">{format!("every credential kind read {} UTC · ", fmt_utc(t))}</span> })}
                <strong class="text-slate-900" data-testid="review-matched">{format!("{} shown by this filter", page.matched)}</strong>
            </p>
            <div class="flex flex-wrap items-center gap-3">
                <a href=csv_href class="text-indigo-700 underline" data-testid="review-export" download>"Export these rows (.csv)"</a>
                <a href=REPORT_CSV_PATH class="text-indigo-700 underline" data-testid="review-raw" download>"IAM's credential report (.csv)"</a>
                <IslandScripts bundle=Bundle::Admin/><RefreshReport/>
            </div>
        </div>
        {page.key_owner.map(|o| view! {
            <p class="mt-3 rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-900 ring-1 ring-sky-200" data-testid="key-owner">
                "Access key " <span class="font-mono">{o.key_id.clone()}</span> " belongs to " <strong class="font-mono">{o.user.to_string()}</strong>
                {format!(" · last used {}", o.last_used.at.map(|t| format!("{} UTC{}", fmt_utc(t), o.last_used.service.map(|s| format!(" ({s})")).unwrap_or_default())).unwrap_or_else(|| "never".into()))}
                ". The help desk can deactivate it."
            </p>
        })}
        <DetailsStatus progress=page.details.clone() query=query.clone()/>
        {page.notice.map(|n| view! { <p class="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200" role="status" data-testid="review-notice">{n}</p> })}
        <div class="mt-3 overflow-x-auto">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="review-table">
                <thead><tr>
                    {header(SortKey::User, "User")}
                    {header(SortKey::Verdict, "Verdict")}
                    {header(SortKey::PasswordAge, "Password")}
                    {header(SortKey::LastSignIn, "Console sign-in")}
                    {header(SortKey::Mfa, "MFA")}
                    {header(SortKey::Key1Age, "Access key 1")}
                    {header(SortKey::Key2Age, "Access key 2")}
                    {header(SortKey::ActiveKeyAge, "Oldest active key")}
                    {header(SortKey::SshKeys, "SSH keys")}
                    {header(SortKey::GitCredentials, "Git credentials")}
                    <th scope="col" class=TH>"Other credentials"</th>
                </tr></thead>
                <tbody class="divide-y divide-slate-100">
                    {page.lines.into_iter().map(|l| view! { <ReviewRowView l/> }).collect_view()}
                </tbody>
            </table>
        </div>
        {nobody.then(|| view! { <p class="mt-3 text-sm text-slate-600">"No user matches."</p> })}
        <nav class="mt-3 flex items-center gap-3 text-sm" aria-label="Pages">
            {prev.map(|h| view! { <a href=h class="text-indigo-700 underline" rel="prev">"← Previous"</a> })}
            <span data-testid="review-page">{format!("Page {} of {}", page.page + 1, page.pages)}</span>
            {next.map(|h| view! { <a href=h class="text-indigo-700 underline" rel="next" data-testid="review-next">"Next →"</a> })}
        </nav>
    }
}

fn key_cell(k: &KeySlot, age: Option<i64>, id: Option<String>) -> AnyView {
    if !k.present {
        return view! { <span class="text-slate-400">"—"</span> }.into_any();
    }
    let id = id.map(|id| view! { <span class="block font-mono text-xs text-slate-700" data-testid="key-id">{id}</span> });
    let status = if k.active { "Active" } else { "Inactive" };
    let used = match (k.last_used, &k.last_used_service) {
        (Some(t), Some(s)) => format!("used {} · {s}", fmt_utc(t)),
        (Some(t), None) => format!("used {}", fmt_utc(t)),
        (None, _) => "never used".into(),
    };
    view! {
        {id}
        <span class=if k.active { "font-medium text-slate-900" } else { "text-slate-500" }>{status}</span>
        <span class="block text-xs text-slate-600">{age.map(|a| format!("{a} days old")).unwrap_or_default()}</span>
        <span class="block text-xs text-slate-500">{used}</span>
    }
    .into_any()
}

#[component]
fn ReviewRowView(l: ReviewLine) -> impl IntoView {
    let (r, a, d) = (l.row, l.assessment, l.details);
    let key_id = |i: usize| d.as_ref().and_then(|d| d.key_ids[i].clone());
    let count = |f: fn(&crate::domain::review::UserDetails) -> Option<u16>, what: &'static str| match d.as_ref().map(f) {
        Some(Some(n)) => view! { <span>{n}</span> }.into_any(),
        Some(None) => view! { <span class="text-slate-400" title=format!("IAM would not list {what}")>"n/a"</span> }.into_any(),
        None => view! { <span class="text-slate-400" title=format!("{what}: still being read")>"…"</span> }.into_any(),
    };
    let devices = d.as_ref().and_then(|d| d.mfa_devices).unwrap_or(0);
    let mfa = match (r.mfa_active, devices) {
        (true, n) if n > 1 => format!("Yes · {n} devices"),
        (true, _) => "Yes".to_owned(),
        (false, n) if n > 0 => format!("No · {n} assigned"),
        (false, _) if r.password_enabled => "No".to_owned(),
        (false, _) => "—".to_owned(),
    };
    // The MFA devices by type and name, under the yes/no the report gives.
    let mfa_types = d.as_ref().map(|d| d.mfa_by_type.clone()).unwrap_or_default();
    let quarantined = d.as_ref().and_then(|d| d.quarantined).unwrap_or(false);
    let others = match d.as_ref() {
        None => view! { <span class="text-slate-400" title="still being read">"…"</span> }.into_any(),
        Some(d) => {
            let mut parts: Vec<String> = d.service_credentials.iter().flatten().map(|(slug, n)| format!("{slug} {n}")).collect();
            if let Some(n) = d.signing_certs.filter(|n| *n > 0) {
                parts.push(format!("certificates {n}"));
            }
            if parts.is_empty() {
                view! { <span class="text-slate-400">"—"</span> }.into_any()
            } else {
                view! { <ul class="text-xs">{parts.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul> }.into_any()
            }
        }
    };
    let verdict_class = match a.verdict {
        Verdict::Ok => "bg-emerald-50 text-emerald-800 ring-emerald-200",
        Verdict::Attention => "bg-amber-50 text-amber-900 ring-amber-200",
        Verdict::AtRisk => "bg-red-50 text-red-800 ring-red-200",
        Verdict::Exposed => "bg-red-700 text-white ring-red-800",
    };
    view! {
        <tr data-testid="review-row" data-user=r.user.clone()>
            <td class=TD><span class="font-mono font-medium">{r.user.clone()}</span><span class="block text-xs text-slate-500">{r.path.clone()}</span>
                {quarantined.then(|| view! { <span class="mt-1 inline-flex rounded-full bg-red-50 px-2 py-0.5 text-xs font-medium text-red-800 ring-1 ring-red-200" data-testid="quarantined"
                    title="AWS attached AWSCompromisedKeyQuarantineV3 after finding an exposed key">"Quarantined"</span> })}</td>
            <td class=TD>
                <span class=format!("inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 {verdict_class}") data-testid="verdict">{a.verdict.label()}</span>
                <ul class="mt-1 w-56 text-xs text-slate-600">{a.findings.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul>
            </td>
            <td class=TD>{if r.password_enabled { a.password_age_days.map(|d| format!("Yes · {d} days")).unwrap_or_else(|| "Yes".into()) } else { "No".into() }}</td>
            <td class=format!("{TD} tabular-nums")>{r.password_last_used.map(fmt_utc).unwrap_or_else(|| if r.password_enabled { "never".into() } else { "—".into() })}</td>
            <td class=TD data-testid="mfa">{mfa}
                {(!mfa_types.is_empty()).then(|| view! { <ul class="mt-1 text-xs text-slate-600" data-testid="mfa-types">{mfa_types.into_iter().map(|t| view! { <li class="font-mono">{t}</li> }).collect_view()}</ul> })}</td>
            <td class=TD>{key_cell(&r.keys[0], a.key_age_days[0], key_id(0))}</td>
            <td class=TD>{key_cell(&r.keys[1], a.key_age_days[1], key_id(1))}</td>
            <td class=format!("{TD} tabular-nums")>{a.active_key_age_days.map(|d| format!("{d} days")).unwrap_or_else(|| "—".into())}</td>
            <td class=format!("{TD} tabular-nums") data-testid="ssh-count">{count(|d| d.ssh_keys, "SSH keys")}</td>
            <td class=format!("{TD} tabular-nums") data-testid="git-count">{count(|d| d.git_credentials, "Git credentials")}</td>
            <td class=TD data-testid="other-credentials">{others}</td>

        </tr>
    }
}
