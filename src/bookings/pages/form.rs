//! `/bookings/new?client=…&start=…`: book a free time of a booking type (its slots come from the
//! one free-slot function) or a time of one's own, for a client or none. Choosing the type, the
//! first day and searching the owner's clients is a plain GET form, so the slots and the client
//! select fill without JavaScript too; a clash comes back next to the form with what was typed.
use leptos::{form::ActionForm, prelude::*, server_fn::ServerFn as _};
use leptos_router::hooks::use_query_map;

use crate::{
    bookings::{
        api::{BookFromForm, load_booking_form},
        calendar::BookingFormData,
        pages::owner_picker::OwnerPicker,
    },
    ui::{
        form_flash::kept,
        forms::{FieldError, FormError, action_error, textarea_html},
        page::PageHeader,
    },
};

#[component]
pub fn NewBookingPage() -> impl IntoView {
    let query = use_query_map();
    let request = Memo::new(move |_| {
        let map = query.read();
        let get = |key: &str| map.get(key).unwrap_or_default();
        let id = |key: &str| get(key).trim().parse::<i64>().ok();
        (id("owner"), id("client"), id("type"), get("date"), get("start"), get("client_q"))
    });
    let data = Resource::new_blocking(
        move || request.get(),
        |(owner, client, booking_type, date, start, client_q)| {
            crate::ui::page::page_data(load_booking_form(owner, client, booking_type, date, start, client_q))
        },
    );
    view! {
        <PageHeader title="New booking" subtitle="A free time of a booking type, or a time of your own." />
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading free times…" lines=6 /> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <BookingFormView data /> }.into_any(),
                    Err(error) => view! {
                        <crate::ui::page::ErrorPage error back_href="/bookings" back_label="Back to the calendar" />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BookingFormView(data: BookingFormData) -> impl IntoView {
    let action = ServerAction::<BookFromForm>::new();
    crate::ui::toast::announce(action.value(), "Booked.");
    let error = action_error(action);
    let path = BookFromForm::PATH;
    let typed = |field: &str, fallback: String| kept(path, field).unwrap_or(fallback);
    let chosen_slot = kept(path, "slot").unwrap_or_default();
    let own_time = kept(path, "slot").is_some_and(|slot| slot.is_empty()) || !data.start_time.is_empty();
    let chosen_type = data.types.iter().find(|t| Some(t.id) == data.type_id).cloned();
    let next_week = data.date + chrono::Duration::days(7);
    let client_id = data.client.as_ref().map(|(id, _)| id.to_string()).unwrap_or_default();
    let more_href = format!(
        "/bookings/new?owner={}&type={}&date={next_week}{}{}",
        data.owner_id,
        data.type_id.map(|id| id.to_string()).unwrap_or_default(),
        if client_id.is_empty() { String::new() } else { format!("&client={client_id}") },
        if data.client_q.is_empty() {
            String::new()
        } else {
            format!("&client_q={}", crate::ui::url::encode_component(&data.client_q))
        },
    );
    // The client the form books for: what was typed before a refusal, else the one the address
    // names, else the search's only match.
    let chosen_client =
        kept(path, "client_id").unwrap_or_else(|| match (&data.client, data.client_choices.as_slice()) {
            (Some((id, _)), _) => id.to_string(),
            (None, [(id, _, _)]) => id.to_string(),
            _ => String::new(),
        });
    let client_hint = match (data.client_q.is_empty(), data.client_choices.len()) {
        (true, _) => "Find a client above by name or email to attach one.".to_owned(),
        (false, 0) => format!("No client matches “{}”.", data.client_q),
        (false, _) => format!("Clients matching “{}”.", data.client_q),
    };
    let duration = chosen_type.as_ref().map(|t| t.duration_min.to_string()).unwrap_or_else(|| "30".to_owned());
    // Types and clients are the owner's own: another owner's form keeps only the day.
    let keep = vec![("date", data.date.to_string())];
    view! {
        <OwnerPicker path="/bookings/new" label="Whose calendar" owners=data.owners.clone() owner_id=data.owner_id keep />
        <form method="get" action="/bookings/new" class="card slot-picker" data-testid="slot-picker">
            <input type="hidden" name="owner" value=data.owner_id />
            {data.client.as_ref().map(|(id, _)| view! { <input type="hidden" name="client" value=*id /> })}
            <div class="field">
                <label for="picker-type">"Booking type"</label>
                <select id="picker-type" name="type">
                    {data.types.iter().map(|t| view! {
                        <option value=t.id selected=Some(t.id) == data.type_id>
                            {format!("{} · {} min", t.name, t.duration_min)}
                        </option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="picker-date">"From"</label>
                <input id="picker-date" type="date" name="date" value=data.date.to_string() />
            </div>
            <div class="field">
                <label for="picker-client">"Find a client"</label>
                <input id="picker-client" type="search" name="client_q" value=data.client_q.clone()
                    maxlength="200" placeholder="Name or email" />
            </div>
            <button type="submit" class="button button-quiet">"Show free times"</button>
        </form>
        <ActionForm action attr:class="card form-stack booking-form" attr:novalidate="" attr:data-testid="booking-form">
            <input type="hidden" name="owner_id" value=data.owner_id />
            <input type="hidden" name="booking_type_id" value=data.type_id.map(|id| id.to_string()).unwrap_or_default() />
            <FormError error />
            {data.client.clone().map(|(id, name)| view! {
                <p class="booking-for">"For " <a href=format!("/clients/{id}")>{name}</a></p>
            })}
            <div class="field">
                <label for="booking-client">"Client"</label>
                <select id="booking-client" name="client_id" aria-describedby="client-hint client_id-error"
                    data-testid="client-select">
                    <option value="" selected=chosen_client.is_empty()>"No client"</option>
                    {data.client_choices.iter().map(|(id, name, email)| {
                        let label = if email.is_empty() { name.clone() } else { format!("{name} · {email}") };
                        view! { <option value=*id selected=chosen_client == id.to_string()>{label}</option> }
                    }).collect_view()}
                </select>
                <p class="hint" id="client-hint">{client_hint}</p>
                <FieldError error field="client_id" />
            </div>
            <fieldset class="slots" aria-describedby="slot-error">
                <legend>
                    "Free times"
                    {chosen_type.as_ref().map(|t| format!(" · {}", t.name))}
                    <span class="muted">" · " {data.timezone.clone()}</span>
                </legend>
                {if data.slot_days.is_empty() {
                    view! {
                        <p class="muted" data-testid="no-slots">
                            "No free times in these seven days. " <a href=more_href.clone()>"Look at the next week"</a>
                        </p>
                    }.into_any()
                } else {
                    view! {
                        <div class="slot-days">
                            {data.slot_days.into_iter().map(|(label, slots)| {
                                let chosen_slot = chosen_slot.clone();
                                view! {
                                    <div class="slot-day">
                                        <h3>{label}</h3>
                                        <div class="slot-grid">
                                            {slots.into_iter().map(|slot| {
                                                let value = slot.starts_at.to_rfc3339();
                                                let checked = value == chosen_slot;
                                                view! {
                                                    <label class="slot">
                                                        <input type="radio" name="slot" value=value checked=checked />
                                                        <span>{slot.time}</span>
                                                    </label>
                                                }
                                            }).collect_view()}
                                        </div>
                                    </div>
                                }
                            }).collect_view()}
                        </div>
                        <p class="hint"><a href=more_href>"Later free times"</a></p>
                    }.into_any()
                }}
                <label class="slot slot-own">
                    <input type="radio" name="slot" value="" checked=own_time data-testid="own-time" />
                    <span>"A time of my own"</span>
                </label>
                <FieldError error field="slot" />
            </fieldset>
            <div class="form-row own-time">
                <div class="field">
                    <label for="booking-date">"Date"</label>
                    <input id="booking-date" type="date" name="date" value=typed("date", data.start_date.clone()) aria-describedby="date-error" />
                    <FieldError error field="date" />
                </div>
                <div class="field">
                    <label for="booking-time">"Start"</label>
                    <input id="booking-time" type="time" name="time" value=typed("time", data.start_time.clone()) aria-describedby="time-error" />
                    <FieldError error field="time" />
                </div>
                <div class="field">
                    <label for="booking-duration">"Minutes"</label>
                    <input id="booking-duration" type="number" min="5" max="1440" step="5" name="duration_min"
                        value=typed("duration_min", duration) aria-describedby="duration_min-error" />
                    <FieldError error field="duration_min" />
                </div>
            </div>
            <p class="hint">"A time of your own may fall outside your hours; it may not overlap another booking."</p>
            <div class="field">
                <label for="new-subject">"Subject"</label>
                <input id="new-subject" name="subject" maxlength="300" value=typed("subject", String::new()) aria-describedby="subject-error" />
                <FieldError error field="subject" />
            </div>
            <div class="field">
                <label for="new-location">"Location"</label>
                <input id="new-location" name="location" maxlength="300" value=typed("location", String::new())
                    placeholder=chosen_type.as_ref().map(|t| t.location_value.clone()).unwrap_or_default() aria-describedby="location-error" />
                <FieldError error field="location" />
            </div>
            <div class="field">
                <label for="new-notes">"Notes"</label>
                <textarea id="new-notes" name="notes" rows="3" maxlength="5000" aria-describedby="notes-error"
                    inner_html=textarea_html(&typed("notes", String::new()))></textarea>
                <FieldError error field="notes" />
            </div>
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Booking…" } else { "Book" }}
                </button>
                <a class="button button-quiet" href="/bookings">"Cancel"</a>
            </div>
        </ActionForm>
    }
}
