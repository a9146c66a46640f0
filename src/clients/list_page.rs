//! `/clients`: the list with search, filters, sortable columns, keyset pages and bulk actions.
//! The query lives in the URL; the filter form is a GET form and the bulk form a plain post, so
//! the page works without JavaScript too.
use leptos::{form::ActionForm, prelude::*};
use leptos_router::{components::Form, hooks::use_query_map};

use super::{
    api::{BulkClients, FilterChoices, client_filters, list_clients},
    model::{ClientPage, ClientQuery, Direction, STATUSES, SortKey, status_label},
};
use crate::ui::{
    forms::{FieldError, FormError, action_error},
    page::PageHeader,
};

pub(crate) fn current_query() -> Memo<ClientQuery> {
    let query = use_query_map();
    Memo::new(move |_| {
        let map = query.read();
        ClientQuery::from_pairs(|key| map.get(key))
    })
}

#[component]
pub fn ClientsPage() -> impl IntoView {
    let query = current_query();
    let bulk = ServerAction::<BulkClients>::new();
    let page = Resource::new(move || (query.get(), bulk.version().get()), |(query, _)| list_clients(query));
    let filters = Resource::new(|| (), |_| client_filters());
    view! {
        <PageHeader title="Clients" subtitle="Every lead, searchable and sortable.">
            <a class="button button-quiet" href="/clients/import">"Import"</a>
            // A download, not a page: `rel="external"` keeps the router's hands off it.
            <a class="button button-quiet" rel="external" download="" data-testid="clients-export"
                href=move || format!("/clients/export.csv{}", query.get().first_page().to_query_string())>
                "Export CSV"
            </a>
            <a class="button" href="/clients/new">"New client"</a>
        </PageHeader>
        <section class="card" aria-label="Clients">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let filters = filters.await.unwrap_or_default();
                    view! { <FilterForm query=query.get_untracked() filters /> }
                })}
            </Transition>
            <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading clients…" lines=8 /> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <ClientTable page query=query.get() bulk /> }.into_any(),
                        Err(error) => view! { <p class="error-panel" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The search and filter form; the pipeline board shows every stage, so it leaves out the status.
#[component]
pub(crate) fn FilterForm(
    query: ClientQuery,
    filters: FilterChoices,
    #[prop(default = true)] with_status: bool,
) -> impl IntoView {
    let status = query.status.clone();
    let strategy = query.strategy;
    let owner = query.owner;
    let admin = !filters.owners.is_empty();
    view! {
        <Form method="GET" action="" attr:class="filters" attr:role="search">
            <div class="field grow">
                <label for="client-search">"Search"</label>
                <input id="client-search" type="search" name="q" value=query.q.clone()
                    placeholder="Name, email, phone or company" data-search-shortcut="" />
            </div>
            {with_status.then(|| view! {
                <div class="field">
                    <label for="client-status">"Status"</label>
                    <select id="client-status" name="status">
                        <option value="" selected=status.is_empty()>"Any status"</option>
                        {STATUSES.iter().map(|(value, label)| {
                            view! { <option value=*value selected=status == *value>{*label}</option> }
                        }).collect_view()}
                    </select>
                </div>
            })}
            <div class="field">
                <label for="client-strategy">"Strategy"</label>
                <select id="client-strategy" name="strategy">
                    <option value="" selected=strategy.is_none()>"Any strategy"</option>
                    {filters.strategies.into_iter().map(|(id, name)| {
                        view! { <option value=id selected=strategy == Some(id)>{name}</option> }
                    }).collect_view()}
                </select>
            </div>
            {admin.then(|| view! {
                <div class="field">
                    <label for="client-owner">"Owner"</label>
                    <select id="client-owner" name="owner">
                        <option value="" selected=owner.is_none()>"Everyone"</option>
                        {filters.owners.into_iter().map(|(id, name)| {
                            view! { <option value=id selected=owner == Some(id)>{name}</option> }
                        }).collect_view()}
                    </select>
                </div>
            })}
            {(!query.sort.is_empty()).then(|| view! { <input type="hidden" name="sort" value=query.sort.clone() /> })}
            {(!query.dir.is_empty()).then(|| view! { <input type="hidden" name="dir" value=query.dir.clone() /> })}
            <button type="submit" class="button">"Apply"</button>
        </Form>
    }
}

/// A column header that sorts by `key`: first click in its natural direction, then flips.
#[component]
fn SortHeader(label: &'static str, key: SortKey, query: ClientQuery) -> impl IntoView {
    let active = query.sort_key() == key;
    let direction = if active { query.direction().flipped() } else { key.natural_direction() };
    let target =
        ClientQuery { sort: key.as_str().to_owned(), dir: direction.as_str().to_owned(), ..query.first_page() };
    let aria_sort = match (active, query.direction()) {
        (false, _) => "none",
        (true, Direction::Asc) => "ascending",
        (true, Direction::Desc) => "descending",
    };
    let arrow = match (active, query.direction()) {
        (false, _) => "",
        (true, Direction::Asc) => " ↑",
        (true, Direction::Desc) => " ↓",
    };
    view! {
        <th scope="col" aria-sort=aria_sort>
            <a class="sort-link" href=format!("/clients{}", target.to_query_string())>{label}{arrow}</a>
        </th>
    }
}

#[component]
fn ClientTable(page: ClientPage, query: ClientQuery, bulk: ServerAction<BulkClients>) -> impl IntoView {
    if page.rows.is_empty() {
        let filtered = query.first_page() != ClientQuery::default();
        return view! {
            <div class="empty-state" data-testid="clients-empty">
                {if filtered {
                    view! {
                        <p class="empty-title">"No client matches these filters."</p>
                        <a class="button button-quiet" href="/clients">"Clear the filters"</a>
                    }.into_any()
                } else {
                    view! {
                        <p class="empty-title">"No clients yet."</p>
                        <p class="muted">"Add your first lead, or import them from a spreadsheet."</p>
                        <a class="button" href="/clients/new">"New client"</a>
                    }.into_any()
                }}
            </div>
        }
        .into_any();
    }
    let admin = page.rows.iter().any(|row| row.owner_name.is_some());
    let error = action_error(bulk);
    let outcome = move || match bulk.value().get() {
        Some(Ok(1)) => Some("1 client changed.".to_owned()),
        Some(Ok(changed)) => Some(format!("{changed} clients changed.")),
        _ => None,
    };
    let link = |cursor: Option<String>, forward: bool| {
        cursor.map(|cursor| {
            let target = if forward {
                ClientQuery { after: cursor, before: String::new(), ..query.clone() }
            } else {
                ClientQuery { before: cursor, after: String::new(), ..query.clone() }
            };
            format!("/clients{}", target.to_query_string())
        })
    };
    let next = link(page.next.clone(), true);
    let prev = link(page.prev.clone(), false);
    let total = page.total_label();
    let strategies: Vec<(i64, String)> = {
        let mut seen: Vec<(i64, String)> =
            page.rows.iter().map(|row| (row.strategy_id, row.strategy_name.clone())).collect();
        seen.sort();
        seen.dedup();
        seen
    };
    view! {
        <ActionForm action=bulk attr:class="bulk-form" attr:id="bulk-form">
            <FormError error />
            <FieldError error field="ids" />
            <div class="table-wrap">
                <table class="data-table" data-testid="clients-table">
                    <thead>
                        <tr>
                            <th scope="col" class="select-cell"><span class="visually-hidden">"Select"</span></th>
                            <SortHeader label="Name" key=SortKey::Name query=query.clone() />
                            <th scope="col">"Email"</th>
                            <th scope="col">"Phone"</th>
                            <th scope="col">"Company"</th>
                            <SortHeader label="Status" key=SortKey::Status query=query.clone() />
                            <th scope="col">"Strategy"</th>
                            {admin.then(|| view! { <th scope="col">"Owner"</th> })}
                            <SortHeader label="Last activity" key=SortKey::Activity query=query.clone() />
                            <SortHeader label="Added" key=SortKey::Created query=query.clone() />
                        </tr>
                    </thead>
                    <tbody>
                        {page.rows.into_iter().enumerate().map(|(index, row)| {
                            let status_class = format!("badge status-{}", row.status);
                            view! {
                                <tr data-testid="client-row" data-id=row.id>
                                    <td class="select-cell">
                                        <input type="checkbox" name=format!("ids[{index}]") value=row.id
                                            aria-label=format!("Select {}", row.name) />
                                    </td>
                                    <th scope="row"><a href=format!("/clients/{}", row.id)>{row.name.clone()}</a></th>
                                    <td>{row.email.clone().unwrap_or_default()}</td>
                                    <td>{row.phone.clone().unwrap_or_default()}</td>
                                    <td>{row.company.clone().unwrap_or_default()}</td>
                                    <td><span class=status_class>{status_label(&row.status)}</span></td>
                                    <td>{row.strategy_name.clone()}</td>
                                    {admin.then(|| view! { <td>{row.owner_name.clone().unwrap_or_default()}</td> })}
                                    <td class="nowrap">{row.last_activity_at.clone()}</td>
                                    <td class="nowrap">{row.created_at.clone()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <fieldset class="bulk-actions">
                <legend>"With the selected clients"</legend>
                <label class="visually-hidden" for="bulk-action">"Action"</label>
                <select id="bulk-action" name="action">
                    <option value="status">"Set status to"</option>
                    <option value="strategy">"Give strategy"</option>
                    <option value="delete">"Delete"</option>
                </select>
                <label class="visually-hidden" for="bulk-status">"Status"</label>
                <select id="bulk-status" name="status">
                    {STATUSES.iter().map(|(value, label)| view! { <option value=*value>{*label}</option> }).collect_view()}
                </select>
                <label class="visually-hidden" for="bulk-strategy">"Strategy"</label>
                <select id="bulk-strategy" name="strategy_id">
                    {strategies.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                </select>
                <label class="checkbox">
                    <input type="checkbox" name="confirm" value="yes" />
                    " Yes, delete them (for Delete)"
                </label>
                <button type="submit" class="button" disabled=move || bulk.pending().get()>"Apply"</button>
                <FieldError error field="confirm" />
                <FieldError error field="status" />
                <FieldError error field="strategy_id" />
                <p class="outcome" role="status" data-testid="bulk-outcome">{outcome}</p>
            </fieldset>
        </ActionForm>
        <nav class="pager" aria-label="Pages">
            <span class="muted" data-testid="clients-total">{total}</span>
            {prev.map(|href| view! { <a class="button button-quiet" href=href rel="prev">"Previous"</a> })}
            {next.map(|href| view! { <a class="button button-quiet" href=href rel="next">"Next"</a> })}
        </nav>
    }
    .into_any()
}
