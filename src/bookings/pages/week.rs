//! The time grid of a week or a day: hours down, days across, each booking placed by its time over
//! the shaded working hours, and a line at the current time. Positions are CSS classes (`r-N`: the
//! first quarter-hour row, `d-N`: rows covered), since the page's CSP admits no inline styles.
use leptos::prelude::*;

use super::status::status_label;
use crate::bookings::calendar::{CalendarData, CalendarQuery, CalendarView};

#[component]
pub fn TimeGrid(data: CalendarData, query: CalendarQuery) -> impl IntoView {
    let columns = if data.days.len() == 1 { "cal-grid cal-days-1" } else { "cal-grid cal-days-7" };
    let rows = data.rows;
    let empty = data.days.iter().all(|day| day.entries.is_empty()).then(|| {
        let what = if data.days.len() == 1 { "this day" } else { "this week" };
        view! { <p class="muted cal-empty" data-testid="calendar-empty">"No bookings " {what} "."</p> }
    });
    let now_row = data.now_row;
    let heads = data
        .days
        .iter()
        .map(|day| {
            let href = query.href(Some(CalendarView::Day), day.date);
            let class = if day.is_today { "cal-day-head is-today" } else { "cal-day-head" };
            let (weekday, number) =
                day.short_label.split_once(' ').map(|(a, b)| (a.to_owned(), b.to_owned())).unwrap_or_default();
            view! {
                <a class=class href=href aria-label=day.long_label.clone()>
                    <span class="cal-weekday">{weekday}</span>
                    <span class="cal-daynum">{number}</span>
                </a>
            }
        })
        .collect_view();
    view! {
        {empty}
        <div class="cal-scroll card">
            <div class=columns data-testid="time-grid">
                <div class="cal-head">
                    <div class="cal-corner" aria-hidden="true"></div>
                    {heads}
                </div>
                <div class="cal-body">
                    <div class="cal-hours" aria-hidden="true">
                        {data.hour_labels.into_iter().map(|label| view! { <div class="cal-hour">{label}</div> }).collect_view()}
                    </div>
                    {data.days.into_iter().map(|day| {
                        let count = day.entries.len();
                        let label = match count {
                            0 => format!("{}, no bookings", day.long_label),
                            1 => format!("{}, 1 booking", day.long_label),
                            n => format!("{}, {n} bookings", day.long_label),
                        };
                        view! {
                            <section class="cal-col" class:is-today=day.is_today aria-label=label
                                data-date=day.date.to_string()>
                                <div class=format!("cal-fill r-1 d-{rows}") aria-hidden="true"></div>
                                {day.working.iter().map(|(row, span)| view! {
                                    <div class=format!("cal-work r-{row} d-{span}") aria-hidden="true"></div>
                                }).collect_view()}
                                {now_row.filter(|_| day.is_today).map(|row| view! {
                                    <div class=format!("cal-now r-{row}") data-testid="now-line" aria-hidden="true"></div>
                                })}
                                {day.entries.into_iter().map(|entry| {
                                    let class = format!(
                                        "cal-event booking-{} r-{} d-{}{}",
                                        entry.status.as_str(), entry.row, entry.span,
                                        if entry.span <= 2 { " is-short" } else { "" },
                                    );
                                    let title = entry.title();
                                    let aria = format!("{}, {}, {}", entry.time_label, title, status_label(entry.status));
                                    view! {
                                        <a class=class href=format!("/bookings/{}", entry.id) aria-label=aria
                                            data-testid="calendar-event">
                                            <span class="cal-event-title">{title}</span>
                                            <span class="cal-event-time">{entry.time_label}</span>
                                        </a>
                                    }
                                }).collect_view()}
                            </section>
                        }
                    }).collect_view()}
                </div>
            </div>
        </div>
    }
}
