//! `/clients`: the list with search, filters, sortable columns, keyset pages and bulk actions.
//! The query lives in the URL; the filter form is a GET form and the bulk form a plain post, so
//! the page works without JavaScript too. With it, the search applies as it is typed and the
//! filters as they change (the URL follows, without empty parameters), and the bulk actions sit
//! in a bar that appears once rows are ticked. Which inputs the bar shows for the chosen action,
//! and the phone's card layout, are CSS (`:has`, media queries), so they need no script either.
use leptos::{form::ActionForm, prelude::*, wasm_bindgen, web_sys};
use leptos_router::{
    NavigateOptions,
    hooks::{use_location, use_navigate, use_query_map},
};

use super::{
    api::{BulkClients, FilterChoices, client_filters, list_clients},
    model::{ClientPage, ClientQuery, Direction, STATUSES, SortKey, StrategyChoice, status_label},
};
use crate::ui::{
    forms::{FieldError, FormError, OwnerFilter, action_error},
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
        <section class="card clients-card" aria-label="Clients">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let filters = filters.await.unwrap_or_default();
                    view! { <FilterForm query=query.get_untracked() filters /> }
                })}
            </Transition>
            <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading clients…" lines=8 /> }>
                {move || Suspend::new(async move {
                    // Every strategy the user may give, not only those of the clients on this page.
                    let strategies = filters.await.map(|filters| filters.strategies).unwrap_or_default();
                    match page.await {
                        Ok(page) => view! { <ClientTable page query=query.get() bulk strategies /> }.into_any(),
                        Err(error) => view! { <p class="error-panel" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// `query` with the filter `name` set to `value`, from its first page.
fn with_filter(query: ClientQuery, name: &str, value: String) -> ClientQuery {
    let id = |value: &str| value.trim().parse::<i64>().ok();
    let query = query.first_page();
    match name {
        "q" => ClientQuery { q: value, ..query },
        "status" => ClientQuery { status: value, ..query },
        "strategy" => ClientQuery { strategy: id(&value), ..query },
        "owner" => ClientQuery { owner: id(&value), ..query },
        "from" => ClientQuery { from: value, ..query },
        "to" => ClientQuery { to: value, ..query },
        _ => query,
    }
}

/// How long typing rests before the search runs.
const SEARCH_DELAY_MS: u64 = 250;

/// The search and filter form; the pipeline board shows every stage, so it leaves out the status.
/// Without JavaScript it is a GET form (the server drops its empty fields from the address); with
/// it, each change goes straight into the URL through the router, so the list follows while the
/// search box keeps its focus and caret.
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
    let active = usize::from(query.status_filter().is_some() && with_status)
        + usize::from(strategy.is_some())
        + usize::from(owner.is_some() && admin)
        + usize::from(query.has_created_filter());
    let current = current_query();
    let navigate = use_navigate();
    let path = use_location().pathname;
    // Every keystroke bumps the count; a search runs only if no other key came during the delay.
    let typed = StoredValue::new(0u32);
    let apply = move |name: &str, value: String, replace: bool| {
        let target = with_filter(current.get_untracked(), name, value);
        let url = format!("{}{}", path.get_untracked(), target.to_query_string());
        navigate(&url, NavigateOptions { replace, scroll: false, ..Default::default() });
    };
    let field_name =
        |event: &leptos::ev::Event| event_target::<web_sys::Element>(event).get_attribute("name").unwrap_or_default();
    view! {
        <form method="get" action="" class="filters" role="search"
            on:input={
                let apply = apply.clone();
                move |event| {
                    if field_name(&event) != "q" {
                        return;
                    }
                    let value = event_target_value(&event);
                    let ticket = typed.get_value().wrapping_add(1);
                    typed.set_value(ticket);
                    let apply = apply.clone();
                    set_timeout(
                        move || {
                            if typed.get_value() == ticket {
                                apply("q", value, true);
                            }
                        },
                        std::time::Duration::from_millis(SEARCH_DELAY_MS),
                    );
                }
            }
            on:change={
                let apply = apply.clone();
                move |event| {
                    let name = field_name(&event);
                    if name != "q" {
                        apply(&name, event_target_value(&event), false);
                    }
                }
            }
            on:submit=move |event| {
                event.prevent_default();
                typed.update_value(|ticket| *ticket = ticket.wrapping_add(1));
                let search = event_target::<web_sys::Element>(&event)
                    .query_selector("[name=q]")
                    .ok()
                    .flatten()
                    .map(|input| wasm_bindgen::JsCast::unchecked_into::<web_sys::HtmlInputElement>(input).value());
                apply("q", search.unwrap_or_default(), false);
            }>
            <div class="field grow">
                <label for="client-search">"Search"</label>
                <input id="client-search" type="search" name="q" value=query.q.clone() autocomplete="off"
                    placeholder="Name, email, phone or company" data-search-shortcut="" />
            </div>
            <details class="filter-fold" open={active > 0}>
                <summary class="button button-quiet">
                    "Filters"
                    {(active > 0).then(|| view! { <span class="badge badge-accent">{active}</span> })}
                </summary>
                <div class="filter-fields">
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
                    {admin.then(|| view! { <OwnerFilter id="client-owner" owners=filters.owners selected=owner /> })}
                    <div class="field">
                        <label for="client-from">"Added from"</label>
                        <input id="client-from" type="date" name="from" value=query.from.clone() />
                    </div>
                    <div class="field">
                        <label for="client-to">"Added until"</label>
                        <input id="client-to" type="date" name="to" value=query.to.clone() />
                    </div>
                    {(!query.sort.is_empty()).then(|| view! { <input type="hidden" name="sort" value=query.sort.clone() /> })}
                    {(!query.dir.is_empty()).then(|| view! { <input type="hidden" name="dir" value=query.dir.clone() /> })}
                    <button type="submit" class="button filters-apply">"Apply"</button>
                </div>
            </details>
        </form>
    }
}

/// A column header that sorts by `key`: first click in its natural direction, then flips. The
/// header says the current order (`aria-sort`, an arrow) and the link what a click does.
#[component]
fn SortHeader(label: &'static str, key: SortKey, query: ClientQuery, class: &'static str) -> impl IntoView {
    let active = query.sort_key() == key;
    let direction = if active { query.direction().flipped() } else { key.natural_direction() };
    let target =
        ClientQuery { sort: key.as_str().to_owned(), dir: direction.as_str().to_owned(), ..query.first_page() };
    let (aria_sort, state) = match (active, query.direction()) {
        (false, _) => ("none", "sort-link"),
        (true, Direction::Asc) => ("ascending", "sort-link sort-asc"),
        (true, Direction::Desc) => ("descending", "sort-link sort-desc"),
    };
    let order = match (key, direction) {
        (SortKey::Name, Direction::Asc) => "by name, A to Z",
        (SortKey::Name, Direction::Desc) => "by name, Z to A",
        (SortKey::Status, Direction::Asc) => "by stage, in pipeline order",
        (SortKey::Status, Direction::Desc) => "by stage, in reverse pipeline order",
        (SortKey::Activity, Direction::Desc) => "by last activity, latest first",
        (SortKey::Activity, Direction::Asc) => "by last activity, earliest first",
        (SortKey::Created, Direction::Desc) => "by date added, newest first",
        (SortKey::Created, Direction::Asc) => "by date added, oldest first",
    };
    view! {
        <th scope="col" class=class aria-sort=aria_sort>
            <a class=state href=format!("/clients{}", target.to_query_string()) title=format!("Sort {order}")>{label}</a>
        </th>
    }
}

/// Ticks (`Some`) or leaves every row's box, then counts the ticked ones.
fn tick_rows(tick: Option<bool>) -> usize {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Ok(boxes) = document().query_selector_all("[data-testid=client-row] input[type=checkbox]") else {
            return 0;
        };
        let mut ticked = 0;
        for index in 0..boxes.length() {
            if let Some(input) = boxes.item(index).and_then(|node| node.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                if let Some(tick) = tick {
                    input.set_checked(tick);
                }
                ticked += usize::from(input.checked());
            }
        }
        ticked
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = tick;
        0
    }
}

#[component]
fn ClientTable(
    page: ClientPage,
    query: ClientQuery,
    bulk: ServerAction<BulkClients>,
    strategies: Vec<StrategyChoice>,
) -> impl IntoView {
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
    // The selection: how many rows are ticked, and whether it is every client matching the
    // filters; "all N matching" is offered when they fill more than this page.
    let on_page = page.rows.len();
    let selected = RwSignal::new(0usize);
    let all_matching = RwSignal::new(false);
    let matching = (!page.total.capped && page.total.count > on_page as u64).then(|| page.total.label());
    let count = {
        let matching = matching.clone().unwrap_or_default();
        move || {
            if all_matching.get() {
                format!("All {matching} matching clients selected")
            } else {
                format!("{} selected", selected.get())
            }
        }
    };
    let on_change = move |event: leptos::ev::Event| {
        let target = event_target::<web_sys::Element>(&event);
        let checked = event_target_checked(&event);
        let ticked = match target.id().as_str() {
            "select-page" => tick_rows(Some(checked)),
            "select-matching" => {
                all_matching.set(checked);
                tick_rows(checked.then_some(true))
            }
            _ if target.get_attribute("name").is_some_and(|name| name.starts_with("ids[")) => tick_rows(None),
            _ => return,
        };
        if ticked < on_page {
            all_matching.set(false);
        }
        selected.set(ticked);
    };
    view! {
        <ActionForm action=bulk attr:class="bulk-form" attr:id="bulk-form" on:change=on_change>
            <FormError error />
            <FieldError error field="ids" />
            <div class="table-wrap">
                <table class=if admin { "data-table clients-table with-owner" } else { "data-table clients-table" }
                    data-testid="clients-table"
                    on:pointerover=|_| crate::app::warm_client_page()
                    on:focusin=|_| crate::app::warm_client_page()>
                    <thead>
                        <tr>
                            <th scope="col" class="select-cell">
                                <input type="checkbox" id="select-page" aria-label="Select every client on this page"
                                    prop:checked={move || selected.get() == on_page}
                                    prop:indeterminate={move || (1..on_page).contains(&selected.get())} />
                            </th>
                            <SortHeader label="Name" key=SortKey::Name query=query.clone() class="c-name" />
                            <th scope="col" class="c-email">"Email"</th>
                            <th scope="col" class="c-phone">"Phone"</th>
                            <th scope="col" class="c-company">"Company"</th>
                            <SortHeader label="Stage" key=SortKey::Status query=query.clone() class="c-status" />
                            <th scope="col" class="c-strategy">"Strategy"</th>
                            {admin.then(|| view! { <th scope="col" class="c-owner">"Owner"</th> })}
                            <SortHeader label="Activity" key=SortKey::Activity query=query.clone() class="c-activity" />
                            <SortHeader label="Added" key=SortKey::Created query=query.clone() class="c-added" />
                        </tr>
                    </thead>
                    <tbody>
                        {page.rows.into_iter().enumerate().map(|(index, row)| {
                            let status_class = format!("badge status-{}", row.status);
                            let email = row.email.unwrap_or_default();
                            let phone = row.phone.unwrap_or_default();
                            let company = row.company.unwrap_or_default();
                            let owner = row.owner_name.unwrap_or_default();
                            view! {
                                <tr data-testid="client-row" data-id=row.id>
                                    <td class="select-cell">
                                        <input type="checkbox" name=format!("ids[{index}]") value=row.id
                                            aria-label=format!("Select {}", row.name) />
                                    </td>
                                    <th scope="row" class="c-name">
                                        <a href=format!("/clients/{}", row.id) title=row.name.clone()>{row.name.clone()}</a>
                                    </th>
                                    <td class="c-email" title=email.clone()>{email.clone()}</td>
                                    <td class="c-phone" title=phone.clone()>{phone.clone()}</td>
                                    <td class="c-company" title=company.clone()>{company.clone()}</td>
                                    <td class="c-status"><span class=status_class>{status_label(&row.status)}</span></td>
                                    <td class="c-strategy" title=row.strategy_name.clone()>{row.strategy_name.clone()}</td>
                                    {admin.then(|| view! { <td class="c-owner" title=owner.clone()>{owner.clone()}</td> })}
                                    <td class="c-activity">{row.last_activity_at}</td>
                                    <td class="c-added">{row.created_at}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <fieldset class="selection-bar" data-testid="selection-bar">
                <legend class="visually-hidden">"With the selected clients"</legend>
                <span class="selection-count" role="status" data-testid="selection-count">{count}</span>
                {matching.map(|matching| view! {
                    <label class="checkbox select-matching">
                        <input type="checkbox" id="select-matching" name="scope" value="matching" prop:checked=all_matching />
                        {format!(" Select all {matching} matching")}
                    </label>
                })}
                <input type="hidden" name="filter" value=query.first_page().to_query_string() />
                <span class="selection-controls">
                    <label class="visually-hidden" for="bulk-action">"Action"</label>
                    <select id="bulk-action" name="action">
                        <option value="status">"Move to stage"</option>
                        <option value="strategy">"Give strategy"</option>
                        <option value="delete">"Delete"</option>
                    </select>
                    <span class="bulk-input for-status">
                        <label class="visually-hidden" for="bulk-status">"Stage"</label>
                        <select id="bulk-status" name="status">
                            {STATUSES.iter().map(|(value, label)| view! { <option value=*value>{*label}</option> }).collect_view()}
                        </select>
                    </span>
                    <span class="bulk-input for-strategy">
                        <label class="visually-hidden" for="bulk-strategy">"Strategy"</label>
                        <select id="bulk-strategy" name="strategy_id">
                            {strategies.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                        </select>
                    </span>
                    <label class="checkbox bulk-input for-delete">
                        <input type="checkbox" name="confirm" value="yes" />
                        " Yes, delete them"
                    </label>
                    <button type="submit" class="button button-small bulk-apply" disabled=move || bulk.pending().get()>"Apply"</button>
                </span>
                <FieldError error field="confirm" />
                <FieldError error field="status" />
                <FieldError error field="strategy_id" />
            </fieldset>
            <p class="outcome" role="status" data-testid="bulk-outcome">{outcome}</p>
        </ActionForm>
        <nav class="pager" aria-label="Pages">
            <span class="muted" data-testid="clients-total">{total}</span>
            {prev.map(|href| view! { <a class="button button-quiet" href=href rel="prev">"Previous"</a> })}
            {next.map(|href| view! { <a class="button button-quiet" href=href rel="next">"Next"</a> })}
        </nav>
    }
    .into_any()
}
