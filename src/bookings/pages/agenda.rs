//! The agenda: upcoming bookings grouped by day, a page at a time (a keyset cursor in the address).
use leptos::prelude::*;

use super::status::StatusBadge;
use crate::bookings::calendar::{CalendarData, CalendarQuery};

#[component]
pub fn Agenda(data: CalendarData, query: CalendarQuery) -> impl IntoView {
    let later = data.agenda_after.clone().map(|after| {
        let base = query.href(data.view, data.date);
        format!("{base}&after={}", crate::ui::url::encode_component(&after))
    });
    let new_href = format!("/bookings/new?date={}&owner={}", data.date, data.owner_id);
    if data.agenda.is_empty() {
        return view! {
            <section class="card empty-state agenda-empty" data-testid="agenda-empty">
                <p class="empty-title">"No upcoming bookings"</p>
                <p class="muted">"Bookings from this day on will be listed here."</p>
                <a class="button" href=new_href>"New booking"</a>
            </section>
        }
        .into_any();
    }
    view! {
        <div class="agenda" data-testid="agenda">
            {data.agenda.into_iter().map(|day| {
                let heading_class = if day.is_today { "agenda-date is-today" } else { "agenda-date" };
                view! {
                    <section class="agenda-day" aria-label=day.long_label.clone()>
                        <h2 class=heading_class>
                            {day.long_label.clone()}
                            {day.is_today.then(|| view! { <span class="agenda-today">"Today"</span> })}
                        </h2>
                        <ol class="agenda-list">
                            {day.entries.into_iter().map(|entry| {
                                let title = entry.title();
                                let meta_type = entry.booking_type.clone();
                                let cancelled = entry.status == crate::bookings::model::BookingStatus::Cancelled;
                                view! {
                                    <li class="agenda-item" class:is-cancelled=cancelled data-testid="agenda-item">
                                        <span class="agenda-time">{entry.time_label.clone()}</span>
                                        <div class="agenda-main">
                                            <a class="agenda-title" href=format!("/bookings/{}", entry.id)>{title}</a>
                                            <p class="agenda-meta">
                                                {meta_type}
                                                {entry.client_id.zip(entry.client_name.clone()).map(|(id, name)| view! {
                                                    " · " <a href=format!("/clients/{id}")>{name}</a>
                                                })}
                                                {(!entry.location.is_empty()).then(|| format!(" · {}", entry.location))}
                                            </p>
                                        </div>
                                        <StatusBadge status=entry.status />
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    </section>
                }
            }).collect_view()}
            {later.map(|href| view! {
                <nav class="pager" aria-label="Agenda pages">
                    <a class="button button-quiet" href=href>"Later bookings"</a>
                </nav>
            })}
        </div>
    }
    .into_any()
}
