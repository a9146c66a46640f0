//! `/bookings`: the signed-in user's calendar (an admin picks whose), as a week or day time grid or
//! an agenda. View, date and owner live in the address; ← and → move by a week or day, T goes to
//! today. With JavaScript it follows the tab's live stream, so a booking made or changed elsewhere
//! shows without a reload.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{agenda::Agenda, week::TimeGrid};
use crate::bookings::{
    api::load_calendar,
    calendar::{CalendarData, CalendarQuery, CalendarView},
};

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let map = query_map.read();
        let get = |key: &str| map.get(key).unwrap_or_default();
        CalendarQuery { view: get("view"), date: get("date"), owner: get("owner"), after: get("after") }
    });
    let (refresh, set_refresh) = signal(0u32);
    let data = Resource::new_blocking(
        move || (query.get(), refresh.get()),
        |(query, _)| crate::ui::page::page_data(load_calendar(query)),
    );
    // A booking made or changed anywhere (by a colleague, the AI, a guest) shows without a reload.
    crate::ui::live::use_live_reload(crate::bookings::live::EVENT_NAME, move || {
        set_refresh.update(|n| *n = n.wrapping_add(1))
    });
    view! {
        <Title text="Bookings" />
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading the calendar…" lines=8 /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Calendar data query=query.get_untracked() /> }.into_any(),
                    Err(error) => view! {
                        <crate::ui::page::ErrorPage error back_href="/bookings" back_label="Back to my calendar" />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// ← / → / T move the calendar (not while typing or with a modifier held).
fn keyboard_navigation(previous: String, next: String, today: String) {
    let navigate = leptos_router::hooks::use_navigate();
    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        if event.ctrl_key() || event.meta_key() || event.alt_key() || event.default_prevented() {
            return;
        }
        if crate::ui::command_palette::typing_in_field(&event) {
            return;
        }
        let href = match event.key().as_str() {
            "ArrowLeft" => &previous,
            "ArrowRight" => &next,
            "t" | "T" => &today,
            _ => return,
        };
        event.prevent_default();
        navigate(href, Default::default());
    });
    on_cleanup(move || handle.remove());
}

#[component]
fn Calendar(data: CalendarData, query: CalendarQuery) -> impl IntoView {
    let view_kind = data.view;
    let previous = query.href(view_kind, data.previous);
    let next = query.href(view_kind, data.next);
    let today = query.href(view_kind, data.today);
    keyboard_navigation(previous.clone(), next.clone(), today.clone());
    let tabs = CalendarView::ALL
        .iter()
        .map(|(kind, label)| {
            let href = query.href(Some(*kind), data.date);
            let selected = view_kind == Some(*kind);
            // Without a chosen view the screen decides: week on a desk, agenda on a phone.
            let class = match (view_kind, kind) {
                (None, CalendarView::Week) => "segment is-default-wide",
                (None, CalendarView::Agenda) => "segment is-default-narrow",
                _ => "segment",
            };
            view! {
                <a class=class href=href aria-current=selected.then_some("page")>{*label}</a>
            }
        })
        .collect_view();
    let owner_select = (!data.owners.is_empty()).then(|| {
        let owner_id = data.owner_id;
        let navigate = leptos_router::hooks::use_navigate();
        let date = data.date;
        let query = query.clone();
        let hidden_view = query.view();
        view! {
            <form method="get" action="/bookings" class="owner-picker">
                {hidden_view.map(|view| view! { <input type="hidden" name="view" value=view.as_str() /> })}
                <input type="hidden" name="date" value=data.date.to_string() />
                <label class="visually-hidden" for="calendar-owner">"Whose calendar"</label>
                <select id="calendar-owner" name="owner" on:change=move |event| {
                    let owner = CalendarQuery { owner: event_target_value(&event), after: String::new(), ..query.clone() };
                    navigate(&owner.href(owner.view(), date), Default::default());
                }>
                    {data.owners.iter().map(|(id, name)| view! {
                        <option value=*id selected=*id == owner_id>{name.clone()}</option>
                    }).collect_view()}
                </select>
                <button type="submit" class="button button-quiet button-small">"Show"</button>
            </form>
        }
    });
    let list_href = if data.owners.is_empty() {
        "/bookings/list".to_owned()
    } else {
        format!("/bookings/list?owner={}", data.owner_id)
    };
    let new_href = format!("/bookings/new?date={}&owner={}", data.date, data.owner_id);
    let settings_href = format!("/bookings/settings?owner={}", data.owner_id);
    let zone = data.timezone.clone();
    let body = match view_kind {
        Some(CalendarView::Agenda) => view! { <Agenda data=data.clone() query=query.clone() /> }.into_any(),
        Some(_) => view! { <TimeGrid data=data.clone() query=query.clone() /> }.into_any(),
        None => view! {
            <div class="default-wide"><TimeGrid data=data.clone() query=query.clone() /></div>
            <div class="default-narrow"><Agenda data=data.clone() query=query.clone() /></div>
        }
        .into_any(),
    };
    view! {
        <header class="page-header calendar-header">
            <div>
                <h1>"Bookings"</h1>
                <p class="muted">
                    {if data.owners.is_empty() { String::new() } else { format!("{}'s calendar · ", data.owner_name) }}
                    "Times in " {zone} "."
                </p>
            </div>
            <div class="page-actions">
                <a class="button button-quiet" href=settings_href>"Availability"</a>
                <a class="button" href=new_href data-testid="new-booking">"New booking"</a>
            </div>
        </header>
        <div class="calendar-toolbar" role="toolbar" aria-label="Calendar">
            <div class="calendar-nav">
                <a class="button button-quiet button-small" href=today aria-keyshortcuts="t">"Today"</a>
                <a class="icon-button" href=previous aria-label="Previous" aria-keyshortcuts="ArrowLeft">"‹"</a>
                <a class="icon-button" href=next aria-label="Next" aria-keyshortcuts="ArrowRight">"›"</a>
                <h2 class="calendar-title" data-testid="calendar-title">{data.title.clone()}</h2>
            </div>
            <div class="calendar-controls">
                {owner_select}
                <nav class="segmented" aria-label="View">
                    {tabs}
                    <a class="segment" href=list_href data-testid="booking-list-link">"List"</a>
                </nav>
            </div>
        </div>
        {body}
    }
}
