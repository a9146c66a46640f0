//! `/bookings/{id}`: one booking with everything about it, and the forms that change it: details,
//! reschedule, cancel (with a reason) and the outcome. Every form is a plain post that works
//! without JavaScript; a refusal (a clash, a time the clocks skip) shows next to its form.
//!
//! With JavaScript the page follows the tab's live stream: a change made elsewhere (another tab, a
//! teammate, the lead on the public booking page, the AI) shows in the heading and the details at
//! once, while the forms keep what is typed in them and say that the booking changed, with a
//! button that brings the change into them.
use leptos::{form::ActionForm, prelude::*, server_fn::ServerFn as _};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::status::StatusBadge;
use crate::{
    bookings::{
        api::{CancelBooking, EditBooking, RecordBookingOutcome, RescheduleFromForm, load_booking},
        calendar::{BookingPage, CalendarView},
        live::{BookingChanged, EVENT_NAME},
        model::BookingStatus,
    },
    shared::AppError,
    ui::{
        form_flash::kept,
        forms::{FieldError, FormError, action_error, successes, textarea_html},
        live::{TabStream, settled_reload},
    },
};

#[component]
pub fn BookingDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()));
    let edit = ServerAction::<EditBooking>::new();
    crate::ui::toast::announce(edit.value(), "Booking saved.");
    let reschedule = ServerAction::<RescheduleFromForm>::new();
    crate::ui::toast::announce(reschedule.value(), "Booking moved.");
    let cancel = ServerAction::<CancelBooking>::new();
    crate::ui::toast::announce(cancel.value(), "Booking cancelled.");
    let outcome = ServerAction::<RecordBookingOutcome>::new();
    crate::ui::toast::announce(outcome.value(), "Outcome recorded.");
    let loading = RwSignal::new(false);
    let actions = Actions { edit, reschedule, cancel, outcome, loading };
    let saved = [successes(edit), successes(reschedule), successes(cancel), successes(outcome)];
    let page = Resource::new_blocking(
        move || (id.get(), saved.map(|memo| memo.get())),
        |(id, ..)| {
            crate::ui::page::page_data(async move {
                match id {
                    Some(id) => load_booking(id).await,
                    None => Err(AppError::NotFound("This booking".to_owned())),
                }
            })
        },
    );
    let title = move || page.get().and_then(Result::ok).map(|page| heading(&page)).unwrap_or_default();
    let refresh = Callback::new(move |()| page.refetch());
    view! {
        <Title text=title />
        <Transition
            fallback=|| view! { <crate::ui::page::Skeleton label="Loading the booking…" lines=6 /> }
            set_pending=loading.write_only()
        >
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <Booking page actions refresh /> }.into_any(),
                    Err(error) => view! {
                        <crate::ui::page::ErrorPage error back_href="/bookings" back_label="Back to the calendar" />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    edit: ServerAction<EditBooking>,
    reschedule: ServerAction<RescheduleFromForm>,
    cancel: ServerAction<CancelBooking>,
    outcome: ServerAction<RecordBookingOutcome>,
    /// The page is reading the booking again (after one of its own forms saved).
    loading: RwSignal<bool>,
}

impl Actions {
    /// One of the page's own changes is under way: what the stream says next is that change.
    fn busy(self) -> bool {
        self.loading.get_untracked()
            || self.edit.pending().get_untracked()
            || self.reschedule.pending().get_untracked()
            || self.cancel.pending().get_untracked()
            || self.outcome.pending().get_untracked()
    }
}

/// The booking as it is now in `shown`: read again when the stream tells of a change to it (or
/// reopens, having perhaps missed one). A change to the booking that is not the page's own sets
/// `changed`; the page's other facts (whether it has started) move with the clock, which is no news.
fn follow(id: i64, shown: RwSignal<BookingPage>, changed: RwSignal<bool>, actions: Actions) {
    let Some(tab) = use_context::<TabStream>() else { return };
    let reload = settled_reload(move || {
        leptos::task::spawn_local(async move {
            let Ok(now) = load_booking(id).await else { return };
            // `None`: the page is gone meanwhile.
            let Some((same, news)) = shown.try_with_untracked(|shown| (*shown == now, shown.booking != now.booking))
            else {
                return;
            };
            if same || actions.busy() {
                return;
            }
            shown.try_set(now);
            if news {
                changed.try_set(true);
            }
        });
    });
    let about_this =
        move |data: String| serde_json::from_str::<BookingChanged>(&data).is_ok_and(|event| event.booking_id == id);
    tab.listen(
        EVENT_NAME,
        move |data| {
            if about_this(data) {
                reload()
            }
        },
        Some(Callback::new(move |()| reload())),
    );
}

/// The booking's facts, as a definition list.
fn facts(page: &BookingPage) -> impl IntoView + use<> {
    let booking = &page.booking;
    let fact = |label: &'static str, value: &str| {
        (!value.trim().is_empty()).then(|| view! { <dt>{label}</dt><dd>{value.to_owned()}</dd> })
    };
    view! {
        <dl class="facts" data-testid="booking-facts">
            <dt>"Type"</dt><dd>{booking.booking_type.clone()}</dd>
            <dt>"When"</dt><dd>{page.when.clone()}</dd>
            <dt>"Client"</dt>
            <dd>{match (booking.client_id, page.client_name.clone()) {
                (Some(client), Some(name)) => view! { <a href=format!("/clients/{client}")>{name}</a> }.into_any(),
                _ => view! { <span class="muted">"None"</span> }.into_any(),
            }}</dd>
            {fact("Subject", &booking.subject)}
            {fact("Location", &booking.location)}
            {fact("Notes", &booking.notes)}
            {fact("Cancelled because", &booking.cancel_reason)}
            <dt>"Owner"</dt><dd>{page.owner_name.clone()}</dd>
        </dl>
    }
}

fn heading(page: &BookingPage) -> String {
    let booking = &page.booking;
    [booking.subject.clone(), page.client_name.clone().unwrap_or_default(), booking.booking_type.clone()]
        .into_iter()
        .find(|text| !text.trim().is_empty())
        .unwrap_or_else(|| "Booking".to_owned())
}

#[component]
fn Booking(page: BookingPage, actions: Actions, refresh: Callback<()>) -> impl IntoView {
    let booking = page.booking.clone();
    let id = booking.id;
    let active = booking.status.is_active();
    let closable = page.started && booking.status != BookingStatus::Cancelled;
    let shown = RwSignal::new(page.clone());
    let changed = RwSignal::new(false);
    follow(id, shown, changed, actions);
    let back = format!("/bookings?view={}&date={}&owner={}", CalendarView::Week.as_str(), page.date, booking.owner_id);
    view! {
        <header class="page-header">
            <div>
                <p class="breadcrumb"><a href=back>"Calendar"</a></p>
                <h1 data-testid="booking-heading">
                    {move || shown.with(heading)} " "
                    {move || view! { <StatusBadge status=shown.with(|page| page.booking.status) /> }}
                </h1>
                <p class="muted" data-testid="booking-when">
                    {move || shown.with(|page| format!("{} · {}", page.when, page.timezone))}
                </p>
            </div>
        </header>
        <Show when=move || changed.get()>
            <div class="notice notice-warning" role="status" data-testid="booking-changed">
                <p>"This booking was just changed elsewhere: the heading and the details show it as it is now. \
                    The forms below still hold what they had."</p>
                <button type="button" class="button button-quiet" on:click=move |_| refresh.run(())>
                    "Show the change in the forms"
                </button>
            </div>
        </Show>
        <div class="client-grid booking-grid">
            <section class="card" aria-labelledby="booking-facts-heading">
                <h2 id="booking-facts-heading">"Details"</h2>
                {move || shown.with(facts)}
            </section>
            {closable.then(|| view! { <Outcome id action=actions.outcome /> })}
            {active.then(|| view! { <Reschedule id date=page.date.clone() time=page.time.clone() zone=page.timezone.clone() action=actions.reschedule /> })}
            <EditDetails page=page.clone() action=actions.edit />
            {active.then(|| view! { <Cancel id action=actions.cancel /> })}
        </div>
    }
}

#[component]
fn Outcome(id: i64, action: ServerAction<RecordBookingOutcome>) -> impl IntoView {
    let error = action_error(action);
    view! {
        <section class="card" aria-labelledby="outcome-heading">
            <h2 id="outcome-heading">"How did it go?"</h2>
            <ActionForm action attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <button type="submit" class="button" name="outcome" value="completed">"Mark completed"</button>
                <button type="submit" class="button button-quiet" name="outcome" value="no_show">"No-show"</button>
            </ActionForm>
            <FormError error />
        </section>
    }
}

#[component]
fn Reschedule(
    id: i64,
    date: String,
    time: String,
    zone: String,
    action: ServerAction<RescheduleFromForm>,
) -> impl IntoView {
    let error = action_error(action);
    let path = RescheduleFromForm::PATH;
    let date = kept(path, "date").unwrap_or(date);
    let time = kept(path, "time").unwrap_or(time);
    view! {
        <section class="card" aria-labelledby="reschedule-heading">
            <h2 id="reschedule-heading">"Reschedule"</h2>
            <ActionForm action attr:class="form-stack" attr:data-testid="reschedule-form">
                <input type="hidden" name="id" value=id />
                <FormError error />
                <div class="form-row">
                    <div class="field">
                        <label for="reschedule-date">"Date"</label>
                        <input id="reschedule-date" type="date" name="date" value=date required aria-describedby="date-error" />
                        <FieldError error field="date" />
                    </div>
                    <div class="field">
                        <label for="reschedule-time">"Start"</label>
                        <input id="reschedule-time" type="time" name="time" value=time required aria-describedby="time-error" />
                        <FieldError error field="time" />
                    </div>
                </div>
                <p class="hint">"In " {zone} ". The length and buffers stay; an overlap is refused."</p>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || action.pending().get()>"Move booking"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn EditDetails(page: BookingPage, action: ServerAction<EditBooking>) -> impl IntoView {
    let error = action_error(action);
    let path = EditBooking::PATH;
    let booking = page.booking;
    let subject = kept(path, "subject").unwrap_or(booking.subject);
    let location = kept(path, "location").unwrap_or(booking.location);
    let notes = kept(path, "notes").unwrap_or(booking.notes);
    view! {
        <section class="card" aria-labelledby="edit-heading">
            <h2 id="edit-heading">"Subject, location and notes"</h2>
            <ActionForm action attr:class="form-stack" attr:data-testid="edit-booking-form">
                <input type="hidden" name="id" value=booking.id />
                <FormError error />
                <div class="field">
                    <label for="booking-subject">"Subject"</label>
                    <input id="booking-subject" name="subject" maxlength="300" value=subject aria-describedby="subject-error" />
                    <FieldError error field="subject" />
                </div>
                <div class="field">
                    <label for="booking-location">"Location"</label>
                    <input id="booking-location" name="location" maxlength="300" value=location aria-describedby="location-error" />
                    <FieldError error field="location" />
                </div>
                <div class="field">
                    <label for="booking-notes">"Notes"</label>
                    <textarea id="booking-notes" name="notes" rows="4" maxlength="5000" aria-describedby="notes-error"
                        inner_html=textarea_html(&notes)></textarea>
                    <FieldError error field="notes" />
                </div>
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || action.pending().get()>"Save"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn Cancel(id: i64, action: ServerAction<CancelBooking>) -> impl IntoView {
    let error = action_error(action);
    let reason = kept(CancelBooking::PATH, "reason").unwrap_or_default();
    view! {
        <details class="card disclosure cancel-booking" open=move || error.get().is_some()>
            <summary>"Cancel this booking…"</summary>
            <ActionForm action attr:class="form-stack" attr:data-testid="cancel-form">
                <input type="hidden" name="id" value=id />
                <FormError error />
                <div class="field">
                    <label for="cancel-reason">"Reason (optional)"</label>
                    <textarea id="cancel-reason" name="reason" rows="2" maxlength="500" aria-describedby="reason-error"
                        inner_html=textarea_html(&reason)></textarea>
                    <FieldError error field="reason" />
                </div>
                <p class="hint">"The time becomes free again."</p>
                <div class="form-actions">
                    <button type="submit" class="button button-danger" disabled=move || action.pending().get()>
                        "Cancel booking"
                    </button>
                </div>
            </ActionForm>
        </details>
    }
}
