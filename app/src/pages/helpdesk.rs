//! The help-desk page. Only help-desk staff reach it (server-enforced by the gate's 403 and by every
//! help-desk server function).

use crate::components::{Gate, SectionCard, Shell};
use crate::domain::Role;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HelpdeskPage() -> impl IntoView {
    view! {
        <Title text="Help desk"/>
        <Shell>
            <Gate role=Role::Helpdesk>
                <h1 class="text-2xl font-semibold tracking-tight">"Help desk"</h1>
                <div class="mt-6 grid gap-6">
                    <SectionCard id="find-user" title="Find a user"
                        subtitle="Look up a user by IAM user name or by access key id to act on their credentials.">
                        <p class="text-sm text-slate-500">"Help-desk actions are not available in this build yet."</p>
                    </SectionCard>
                </div>
            </Gate>
        </Shell>
    }
}
