use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    api::system_status,
    model::{ServiceState, StatusReport, format_uptime},
};

#[component]
pub fn StatusPage() -> impl IntoView {
    // Admins only: the status decides the page (403 for anyone else), so it holds the response.
    let status = Resource::new_blocking(|| (), |_| crate::ui::page::page_data(system_status()));
    view! {
        <Suspense fallback=|| view! { <crate::ui::page::Skeleton label="Loading status…" lines=5 /> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(status) => view! {
                        <Title text="Status" />
                        <header class="page-header">
                            <h1>"System status"</h1>
                            <p class="muted">"What this server runs on, and whether its services answer."</p>
                        </header>
                        <StatusTable status />
                    }
                    .into_any(),
                    Err(error) => view! { <crate::ui::page::ErrorPage error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StatusTable(status: StatusReport) -> impl IntoView {
    let badge = |state: &ServiceState| {
        let class = match state {
            ServiceState::Up => "badge badge-ok",
            ServiceState::Down => "badge badge-danger",
            ServiceState::Embedded => "badge badge-neutral",
        };
        view! { <span class=class>{state.label()}</span> }
    };
    view! {
        <section class="card">
            <dl class="facts" data-testid="status">
                <dt>"Version"</dt>
                <dd data-testid="status-version">{status.version.clone()}</dd>
                <dt>"Uptime"</dt>
                <dd>{format_uptime(status.uptime_secs)}</dd>
                <dt>"Database"</dt>
                <dd data-testid="status-database">{status.database_kind.clone()} " " {badge(&status.database)}</dd>
                <dt>"Redis"</dt>
                <dd data-testid="status-redis">{badge(&status.redis)}</dd>
                <dt>"Schema version"</dt>
                <dd data-testid="status-schema">
                    {status.schema_version.clone().unwrap_or_else(|| "none".to_owned())}
                </dd>
            </dl>
        </section>
    }
}
