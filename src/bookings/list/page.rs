//! `/bookings/list`: the bookings as a table, newest start first by default, with filters for the
//! days they were made or start, their status and (admins) whose. A GET form: without JavaScript
//! the browser loads the address; with it as well (a full load; the page is small). On a phone the
//! filters fold behind a button and each booking is a card. With JavaScript the page follows the
//! tab's live stream: a booking made or changed elsewhere shows without a reload.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    api::load_booking_list,
    model::{BookingListPage, BookingListQuery, Sort, StatusFilter},
};
use crate::{
    bookings::{live::EVENT_NAME, pages::status::StatusBadge},
    ui::{forms::OwnerFilter, live::use_live_reload},
};

fn current_query() -> Memo<BookingListQuery> {
    let map = use_query_map();
    Memo::new(move |_| {
        let map = map.read();
        let get = |key: &str| map.get(key).unwrap_or_default();
        BookingListQuery {
            q: get("q"),
            made_from: get("made_from"),
            made_to: get("made_to"),
            from: get("from"),
            to: get("to"),
            status: get("status"),
            owner: get("owner"),
            sort: get("sort"),
            after: get("after"),
        }
    })
}

#[component]
pub fn BookingListPage() -> impl IntoView {
    let query = current_query();
    let (refresh, set_refresh) = signal(0u32);
    let data = Resource::new_blocking(
        move || (query.get(), refresh.get()),
        |(query, _)| crate::ui::page::page_data(load_booking_list(query)),
    );
    // A booking made or changed anywhere (by a colleague, the AI, a guest) shows without a reload.
    use_live_reload(EVENT_NAME, move || set_refresh.update(|n| *n = n.wrapping_add(1)));
    view! {
        <Title text="Bookings list" />
        <header class="page-header">
            <div>
                <h1>"Bookings"</h1>
                <p class="muted">"Every booking you can see: search by client, filter by the days it was made or starts."</p>
            </div>
            <div class="page-actions">
                <a class="button button-quiet" href="/bookings">"Calendar"</a>
                <a class="button" href="/bookings/new">"New booking"</a>
            </div>
        </header>
        <section class="card list-card booking-list-card" aria-label="Bookings">
            <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading bookings…" lines=8 /> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) => view! { <BookingList page query=query.get_untracked() /> }.into_any(),
                        Err(error) => view! {
                            <crate::ui::page::ErrorPage error back_href="/bookings/list" back_label="Back to every booking" />
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn BookingList(page: BookingListPage, query: BookingListQuery) -> impl IntoView {
    let total = page.total_label();
    let zone = page.timezone.clone();
    let with_owner = page.rows.iter().any(|row| row.owner_name.is_some());
    let next = page.next.clone().map(|after| BookingListQuery { after, ..query.clone() }.href());
    let first = (!query.after.is_empty()).then(|| BookingListQuery { after: String::new(), ..query.clone() }.href());
    let filtered = query.is_filtered();
    let searched = !query.q.trim().is_empty();
    let body = if page.rows.is_empty() {
        view! {
            <div class="empty-state" data-testid="booking-list-empty">
                <p class="empty-title">
                    {match (searched, query.filter_count() > 0) {
                        (true, true) => "No booking matches this search and these filters.",
                        (true, false) => "No booking matches this search.",
                        (false, true) => "No booking matches these filters.",
                        (false, false) => "No bookings yet.",
                    }}
                </p>
                <p class="muted">
                    {if filtered {
                        "Clear the search and the filters to see every booking."
                    } else {
                        "Bookings made from the calendar, by the AI or on your booking page are listed here."
                    }}
                </p>
                {filtered.then(|| view! { <a class="button button-quiet" href="/bookings/list">"Clear all"</a> })}
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="table-wrap">
                <table class="data-table booking-table" class:with-owner=with_owner data-testid="booking-list">
                    <thead>
                        <tr>
                            <th scope="col" class="b-when">"Starts"</th>
                            <th scope="col" class="b-who">"Client"</th>
                            <th scope="col" class="b-what">"Type"</th>
                            {with_owner.then(|| view! { <th scope="col" class="b-owner">"Owner"</th> })}
                            <th scope="col" class="b-status">"Status"</th>
                            <th scope="col" class="b-made">"Booked"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {page.rows.into_iter().map(|row| {
                            let what = if row.subject.trim().is_empty() || row.subject == row.booking_type {
                                row.booking_type.clone()
                            } else {
                                format!("{} · {}", row.booking_type, row.subject)
                            };
                            view! {
                                <tr data-testid="booking-row" data-id=row.id>
                                    <th scope="row" class="b-when">
                                        <a href=format!("/bookings/{}", row.id)>{row.when.clone()}</a>
                                    </th>
                                    <td class="b-who">
                                        {match row.client_id {
                                            Some(id) => view! { <a href=format!("/clients/{id}")>{row.who.clone()}</a> }.into_any(),
                                            None => view! { <span>{row.who.clone()}</span> }.into_any(),
                                        }}
                                    </td>
                                    <td class="b-what" title=what.clone()>{what.clone()}</td>
                                    {row.owner_name.clone().map(|owner| view! { <td class="b-owner">{owner}</td> })}
                                    <td class="b-status"><StatusBadge status=row.status /></td>
                                    <td class="b-made"><span class="b-label">"Booked "</span>{row.made.clone()}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <Filters query=query.clone() owners=page.owners.clone() />
        <p class="muted booking-list-summary" role="status">
            <strong data-testid="booking-count">{total}</strong>
            {format!(" · times in {zone}")}
        </p>
        {body}
        {(next.is_some() || first.is_some()).then(|| view! {
            <nav class="pager" aria-label="Booking pages">
                {first.map(|href| view! { <a class="button button-quiet" href=href>"First page"</a> })}
                {next.map(|href| view! {
                    <a class="button button-quiet" href=href rel="next" data-testid="booking-list-next">"Next page"</a>
                })}
            </nav>
        })}
    }
}

#[component]
fn Filters(query: BookingListQuery, owners: Vec<(i64, String)>) -> impl IntoView {
    let select = |choices: &[(&'static str, &'static str)], current: String| {
        choices
            .iter()
            .map(|(value, label)| view! { <option value=*value selected=current == *value>{*label}</option> })
            .collect_view()
    };
    let active = query.filter_count();
    let date = |id: &'static str, name: &'static str, label: &'static str, value: String| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type="date" name=name value=value />
            </div>
        }
    };
    // An unknown value shows as the default it is read as.
    let sort = Sort::CHOICES
        .iter()
        .find(|(value, _)| Sort::parse(value) == query.sort())
        .map(|(value, _)| (*value).to_owned())
        .unwrap_or_default();
    let status = StatusFilter::CHOICES
        .iter()
        .find(|(value, _)| StatusFilter::parse(value) == query.status())
        .map(|(value, _)| (*value).to_owned())
        .unwrap_or_default();
    view! {
        <form method="get" action="/bookings/list" class="filters booking-filters" role="search" aria-label="Filter bookings">
            <div class="field grow">
                <label for="booking-q">"Search"</label>
                <input id="booking-q" type="search" name="q" placeholder="Client name, email, phone or company"
                    value=query.q.clone() maxlength="200" autocomplete="off" />
            </div>
            <details class="filter-fold" open={active > 0}>
                <summary class="button button-quiet">
                    "Filters"
                    {(active > 0).then(|| view! { <span class="badge badge-accent">{active}</span> })}
                </summary>
                <div class="filter-fields">
                    {date("booking-made-from", "made_from", "Booked from", query.made_from.clone())}
                    {date("booking-made-to", "made_to", "Booked until", query.made_to.clone())}
                    {date("booking-from", "from", "Starts from", query.from.clone())}
                    {date("booking-to", "to", "Starts until", query.to.clone())}
                    <div class="field">
                        <label for="booking-status">"Status"</label>
                        <select id="booking-status" name="status">{select(&StatusFilter::CHOICES, status)}</select>
                    </div>
                    {(!owners.is_empty()).then(|| view! {
                        <OwnerFilter id="booking-owner" owners selected=query.owner() />
                    })}
                    <div class="field">
                        <label for="booking-sort">"Order"</label>
                        <select id="booking-sort" name="sort">{select(&Sort::CHOICES, sort)}</select>
                    </div>
                    <button type="submit" class="button button-quiet">"Filter"</button>
                </div>
            </details>
        </form>
    }
}
