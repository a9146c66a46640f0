//! `/strategies`: search, sort and page through the strategies the user reaches. The search is a
//! GET form, so it works without JavaScript and every view has its own address.
use leptos::prelude::*;
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    api::list_strategies,
    model::{StrategyList, StrategyRow, StrategySort},
};
use crate::ui::{page::PageHeader, url::encode_component};

#[component]
pub fn StrategiesPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let sort = move || StrategySort::parse(&query.read().get("sort").unwrap_or_default());
    let page = move || query.read().get("page").and_then(|page| page.parse::<u64>().ok()).unwrap_or(1);
    let strategies = Resource::new(
        move || (search(), sort(), page()),
        |(q, sort, page)| list_strategies(q, sort.as_str().to_owned(), page),
    );
    view! {
        <PageHeader title="Strategies" subtitle="The AI sales personas that talk to your leads.">
            <a class="button" href="/strategies/new">"New strategy"</a>
        </PageHeader>
        <DeletedNotice />
        <section class="card" aria-labelledby="strategies-title">
            <div class="toolbar">
                <h2 id="strategies-title">"Saved strategies"</h2>
                <Form method="GET" action="" attr:role="search" attr:class="search-form strategy-search">
                    <label class="visually-hidden" for="strategy-search">"Search strategies"</label>
                    <input id="strategy-search" type="search" name="q" placeholder="Search by name or tag"
                        value=search />
                    <label class="visually-hidden" for="strategy-sort">"Sort by"</label>
                    <select id="strategy-sort" name="sort">
                        {StrategySort::ALL
                            .into_iter()
                            .map(|option| {
                                view! {
                                    <option value=option.as_str() selected=move || sort() == option>
                                        {option.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <button type="submit" class="button button-quiet">"Search"</button>
                </Form>
            </div>
            <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading strategies…" lines=8 /> }>
                {move || Suspend::new(async move {
                    match strategies.await {
                        Ok(list) => view! { <StrategyTable list search=search() /> }.into_any(),
                        Err(error) => view! { <p class="error-panel" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// After a delete the browser lands here with `?deleted=1`.
#[component]
fn DeletedNotice() -> impl IntoView {
    let query = use_query_map();
    let failed = crate::ui::form_flash::has_failure();
    let deleted = move || query.read().get("deleted").is_some() && !failed;
    view! {
        <Show when=deleted>
            <p class="notice notice-success" role="status">"The strategy is deleted."</p>
        </Show>
    }
}

#[component]
fn EmptyState(search: String) -> impl IntoView {
    if search.is_empty() {
        view! {
            <div class="empty-state">
                <p class="empty-title">"No strategies yet."</p>
                <p class="muted">
                    "A strategy is the persona that chats with your leads: its tone, its goal and how it answers objections."
                </p>
                <a class="button" href="/strategies/new">"Create your first strategy"</a>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="empty-state">
                <p class="empty-title">{format!("No strategy matches “{search}”.")}</p>
                <a class="button button-quiet" href="/strategies">"Show all strategies"</a>
            </div>
        }
        .into_any()
    }
}

fn page_link(search: &str, sort: StrategySort, page: u64) -> String {
    let mut pairs = Vec::new();
    if !search.is_empty() {
        pairs.push(format!("q={}", encode_component(search)));
    }
    if sort != StrategySort::default() {
        pairs.push(format!("sort={}", sort.as_str()));
    }
    if page > 1 {
        pairs.push(format!("page={page}"));
    }
    if pairs.is_empty() { "/strategies".to_owned() } else { format!("/strategies?{}", pairs.join("&")) }
}

#[component]
fn StrategyTable(list: StrategyList, search: String) -> impl IntoView {
    if list.rows.is_empty() {
        return view! { <EmptyState search /> }.into_any();
    }
    let shows_owners = list.shows_owners;
    let summary = format!(
        "{} strateg{} · page {} of {}",
        list.total,
        if list.total == 1 { "y" } else { "ies" },
        list.page,
        list.pages
    );
    let previous = (list.page > 1).then(|| page_link(&search, list.sort, list.page - 1));
    let next = (list.page < list.pages).then(|| page_link(&search, list.sort, list.page + 1));
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid="strategies-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Tag"</th>
                        <th scope="col">"Tone"</th>
                        <th scope="col">"Creativity"</th>
                        <th scope="col">"Clients"</th>
                        {shows_owners.then(|| view! { <th scope="col">"Owner"</th> })}
                        <th scope="col">"Changed"</th>
                    </tr>
                </thead>
                <tbody>
                    {list.rows.into_iter().map(|row| view! { <StrategyRowView row shows_owners /> }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            <span class="muted">{summary}</span>
            {previous.map(|href| view! { <a class="button button-quiet" href=href rel="prev">"Previous"</a> })}
            {next.map(|href| view! { <a class="button button-quiet" href=href rel="next">"Next"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn StrategyRowView(row: StrategyRow, shows_owners: bool) -> impl IntoView {
    let name = row.name.clone();
    view! {
        <tr data-testid="strategy-row" data-name=name>
            <th scope="row">
                <a href=format!("/strategies/{}", row.id)>{row.name}</a>
                {row.is_default.then(|| view! { " " <span class="badge badge-ok" title="Your new clients get this strategy">"Default"</span> })}
                {row.shared.then(|| view! { " " <span class="badge badge-accent" title="Shared with the team">"Shared"</span> })}
            </th>
            <td>{(!row.tag.is_empty()).then(|| view! { <span class="badge badge-neutral">{row.tag}</span> })}</td>
            <td class="strategy-tone">{row.tone}</td>
            <td>{format!("{}/10", row.creativity)}</td>
            <td>{row.clients}</td>
            {shows_owners.then(|| view! { <td>{row.owner_name.unwrap_or_default()}</td> })}
            <td>{row.updated_on}</td>
        </tr>
    }
}
