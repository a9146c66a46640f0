//! The slot picker of the public pages, like Cal.com's: a month of days (those with free slots
//! can be chosen), the chosen day's times, and the time-zone select. Every choice is a link or a
//! GET form that keeps the others in the address, so it works the same without JavaScript.
use chrono::{Datelike, Duration, NaiveDate};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::model::slot_dates;
use crate::bookings::model::Slot;

/// What the address says is chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    pub tz: String,
    pub date: Option<NaiveDate>,
    /// "YYYY-MM": the month shown.
    pub month: Option<NaiveDate>,
    /// The chosen slot's start, as RFC 3339.
    pub slot: Option<String>,
}

impl Choice {
    /// `path?…` with this choice (empty parts left out).
    pub fn href(&self, path: &str) -> String {
        let mut query: Vec<(&str, String)> = Vec::new();
        if !self.tz.is_empty() {
            query.push(("tz", self.tz.clone()));
        }
        if let Some(date) = self.date {
            query.push(("date", date.format("%Y-%m-%d").to_string()));
        }
        if let Some(month) = self.month {
            query.push(("month", month.format("%Y-%m").to_string()));
        }
        if let Some(slot) = &self.slot {
            query.push(("slot", slot.clone()));
        }
        if query.is_empty() {
            return path.to_owned();
        }
        let encoded: Vec<String> = query.iter().map(|(key, value)| format!("{key}={}", encode(value))).collect();
        format!("{path}?{}", encoded.join("&"))
    }
}

/// Percent-encodes what a query value may not hold literally (zones have `/` and `+`).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

fn next_month(first: NaiveDate) -> NaiveDate {
    first_of_month(first + Duration::days(32))
}

fn previous_month(first: NaiveDate) -> NaiveDate {
    first_of_month(first - Duration::days(1))
}

/// The day shown: the chosen one if it has slots, else the first with slots.
pub fn shown_date(slots: &[Slot], chosen: Option<NaiveDate>) -> Option<NaiveDate> {
    let dates = slot_dates(slots);
    chosen.filter(|date| dates.contains(date)).or_else(|| dates.first().copied())
}

/// A month of days, Monday first; days with free slots link to their times.
#[component]
pub fn MonthCalendar(slots: Vec<Slot>, choice: Choice, path: String) -> impl IntoView {
    let dates = slot_dates(&slots);
    let selected = shown_date(&slots, choice.date);
    let Some(first_free) = dates.first().copied() else {
        return view! { <p class="muted booking-none">"No free times in the coming weeks."</p> }.into_any();
    };
    let last_free = dates.last().copied().unwrap_or(first_free);
    let month = first_of_month(choice.month.or(selected).unwrap_or(first_free));
    let offset = month.weekday().num_days_from_monday();
    let days_in_month = (next_month(month) - month).num_days();
    let link = |choice: Choice| choice.href(&path);
    let prev = (previous_month(month) >= first_of_month(first_free))
        .then(|| link(Choice { month: Some(previous_month(month)), date: None, slot: None, ..choice.clone() }));
    let next = (next_month(month) <= last_free)
        .then(|| link(Choice { month: Some(next_month(month)), date: None, slot: None, ..choice.clone() }));
    let cells = (0..offset)
        .map(|_| view! { <span class="day day-blank" aria-hidden="true"></span> }.into_any())
        .chain((0..days_in_month).map(|n| {
            let day = month + Duration::days(n);
            let label = day.format("%-d").to_string();
            let full = day.format("%A %-d %B").to_string();
            if dates.contains(&day) {
                let href = link(Choice { date: Some(day), month: Some(month), slot: None, ..choice.clone() });
                let current = (Some(day) == selected).then_some("date");
                view! {
                    <a class="day day-free" href=href aria-current=current aria-label=format!("{full}, free times")
                        data-date=day.format("%Y-%m-%d").to_string()>{label}</a>
                }
                .into_any()
            } else {
                view! { <span class="day" aria-label=full>{label}</span> }.into_any()
            }
        }))
        .collect_view();
    view! {
        <div class="month">
            <div class="month-head">
                <h2 class="month-title">{month.format("%B %Y").to_string()}</h2>
                <div class="month-nav">
                    {match prev {
                        Some(href) => view! { <a class="icon-button" href=href aria-label="Previous month">"‹"</a> }.into_any(),
                        None => view! { <span class="icon-button disabled" aria-hidden="true">"‹"</span> }.into_any(),
                    }}
                    {match next {
                        Some(href) => view! { <a class="icon-button" href=href aria-label="Next month">"›"</a> }.into_any(),
                        None => view! { <span class="icon-button disabled" aria-hidden="true">"›"</span> }.into_any(),
                    }}
                </div>
            </div>
            <div class="weekdays" aria-hidden="true">
                {["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(|day| view! { <span>{day}</span> }).collect_view()}
            </div>
            <div class="days">{cells}</div>
        </div>
    }
    .into_any()
}

/// The free times of the shown day; each links to the form for it.
#[component]
pub fn SlotList(slots: Vec<Slot>, choice: Choice, path: String) -> impl IntoView {
    let Some(day) = shown_date(&slots, choice.date) else { return ().into_any() };
    let times = slots
        .into_iter()
        .filter(|slot| slot.date == day)
        .map(|slot| {
            let start = slot.starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let href = Choice { date: Some(day), slot: Some(start.clone()), ..choice.clone() }.href(&path);
            view! { <li><a class="slot" href=href data-start=start>{slot.time}</a></li> }
        })
        .collect_view();
    view! {
        <div class="slot-day">
            <h2 class="slot-day-title">{day.format("%a %-d %b").to_string()}</h2>
            <ul class="slot-list" aria-label=format!("Free times on {}", day.format("%A %-d %B"))>{times}</ul>
        </div>
    }
    .into_any()
}

/// The zone select: a GET form (Apply without JavaScript; with it the choice applies at once).
#[component]
pub fn ZoneSelect(
    timezones: Vec<String>,
    current: String,
    choice: Choice,
    path: String,
    #[prop(optional)] error: Option<String>,
) -> impl IntoView {
    let navigate = use_navigate();
    let on_change = {
        let (choice, path) = (choice.clone(), path.clone());
        move |event: leptos::ev::Event| {
            let tz = event_target_value(&event);
            navigate(&Choice { tz, slot: None, ..choice.clone() }.href(&path), Default::default());
        }
    };
    view! {
        <form method="get" action=path.clone() class="zone-form">
            {choice.date.map(|date| view! { <input type="hidden" name="date" value=date.format("%Y-%m-%d").to_string() /> })}
            <label for="tz" class="zone-label">"Time zone"</label>
            <div class="zone-row">
                <select id="tz" name="tz" on:change=on_change aria-invalid=if error.is_some() { "true" } else { "false" }
                    aria-describedby="tz-error">
                    {timezones
                        .into_iter()
                        .map(|zone| {
                            let selected = zone == current;
                            view! { <option value=zone.clone() selected=selected>{zone.replace('_', " ")}</option> }
                        })
                        .collect_view()}
                </select>
                <button type="submit" class="button button-quiet zone-apply">"Apply"</button>
            </div>
            {error.map(|message| view! { <p class="field-error" id="tz-error" role="alert">{message}</p> })}
        </form>
    }
}

/// With JavaScript, a first visit without `tz` in the address moves to the browser's own zone
/// (once the page has loaded: a refusal page stays as it is).
pub fn detect_time_zone(choice: Memo<Choice>, path: Memo<String>, loaded: Signal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        let navigate = use_navigate();
        Effect::new(move |_| {
            let current = choice.get();
            if !current.tz.is_empty() || !loaded.get() {
                return;
            }
            let options =
                js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
            let Some(zone) = js_sys::Reflect::get(&options, &"timeZone".into()).ok().and_then(|zone| zone.as_string())
            else {
                return;
            };
            let href = Choice { tz: zone, ..current }.href(&path.get_untracked());
            navigate(&href, leptos_router::NavigateOptions { replace: true, ..Default::default() });
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (choice, path, loaded);
}

/// The choice in the address of the current page.
pub fn choice_from_query() -> Memo<Choice> {
    let query = leptos_router::hooks::use_query_map();
    Memo::new(move |_| {
        let query = query.read();
        let date = |text: String| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
        Choice {
            tz: query.get("tz").unwrap_or_default(),
            date: query.get("date").and_then(date),
            month: query.get("month").and_then(|month| date(format!("{month}-01"))),
            slot: query.get("slot").filter(|slot| slot.len() <= 40),
        }
    })
}
