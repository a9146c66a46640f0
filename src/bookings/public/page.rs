//! The public pages: `/book/{slug}[/{type}]` (the owner's types, then a month of free days, the
//! day's times and the booking form) and `/booking/{token}` (the confirmation and the manage link:
//! the booking, its `.ics`, another time, or a cancellation). Outside the app's layout: the visitor
//! is not signed in. Text the visitor or the owner wrote is only ever a text node or an escaped
//! `<textarea>` content.
use leptos::{form::ActionForm, prelude::*, server_fn::ServerFn as _};
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::{
    api::{BookPublicSlot, CancelPublicBooking, ReschedulePublicBooking, public_booking, public_booking_page},
    model::{ManageView, PublicPage, PublicType},
    picker::{Choice, MonthCalendar, SlotList, ZoneSelect, choice_from_query, detect_time_zone},
};
use crate::{
    bookings::model::{BookingStatus, Slot},
    shared::AppError,
    ui::{
        form_flash::kept,
        forms::{FieldError, FormError, action_error, invalid, textarea_html},
        page::page_data,
    },
};

/// A refusal as a whole page: 404 for an unknown address (its status is set by `page_data`).
#[component]
pub fn PublicError(error: AppError) -> impl IntoView {
    let heading = match &error {
        AppError::NotFound(_) => "Page not found",
        AppError::RateLimited { .. } => "Please wait a moment",
        _ => "Something went wrong",
    };
    view! {
        <Title text=heading />
        <section class="card booking-card booking-message" role="alert" data-testid="public-error">
            <h1>{heading}</h1>
            <p class="muted">{error.to_string()}</p>
        </section>
    }
}

pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|word| word.chars().next()).take(2).flat_map(char::to_uppercase).collect()
}

/// The owner and the type, at the left of the booking card.
#[component]
fn Host(owner_name: String, chosen: Option<PublicType>, #[prop(optional)] when: Option<String>) -> impl IntoView {
    view! {
        <div class="booking-host">
            <span class="avatar" aria-hidden="true">{initials(&owner_name)}</span>
            <p class="muted booking-owner">{owner_name}</p>
            {chosen.map(|chosen| {
                let location = chosen.location_label();
                view! {
                    <h1 class="booking-type-name">{chosen.name}</h1>
                    <ul class="booking-facts">
                        <li><crate::ui::icon::Icon name="clock" />{format!(" {} min", chosen.duration_min)}</li>
                        <li><crate::ui::icon::Icon name="video" />{format!(" {location}")}</li>
                        {when.map(|when| view! { <li class="booking-when"><crate::ui::icon::Icon name="bookings" />" "{when}</li> })}
                    </ul>
                    {(!chosen.description.is_empty()).then(|| view! { <p class="booking-description">{chosen.description}</p> })}
                }
            })}
        </div>
    }
}

#[component]
pub fn BookPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let type_slug = Memo::new(move |_| params.read().get("type"));
    let choice = choice_from_query();
    let book = ServerAction::<BookPublicSlot>::new();
    let error = action_error(book);
    // The slot a refusal was about (without JavaScript: the page comes back with it): the page
    // shows the free times again, with the message, instead of its form.
    let is_taken = move |error: Option<AppError>| matches!(error, Some(AppError::Conflict(_)));
    let refused = RwSignal::new(if is_taken(error.get_untracked()) { choice.get_untracked().slot } else { None });
    let taken_count = Memo::new(move |previous: Option<&usize>| {
        let count = previous.copied().unwrap_or_default();
        if is_taken(error.get()) { count + 1 } else { count }
    });
    let navigate = use_navigate();
    Effect::new(move |_| match book.value().get() {
        Some(Ok(token)) => navigate(&format!("/booking/{token}?done=booked"), Default::default()),
        Some(Err(AppError::Conflict(_))) => refused.set(choice.get_untracked().slot),
        _ => {}
    });
    let path = Memo::new(move |_| match type_slug.get() {
        Some(type_slug) => format!("/book/{}/{type_slug}", slug.get()),
        None => format!("/book/{}", slug.get()),
    });
    let data = Resource::new_blocking(
        move || (slug.get(), type_slug.get(), choice.with(|choice| choice.tz.clone()), taken_count.get()),
        |(slug, type_slug, tz, _)| page_data(public_booking_page(slug, type_slug, tz)),
    );
    detect_time_zone(choice, path, Signal::derive(move || matches!(data.get(), Some(Ok(_)))));
    view! {
        <main class="booking-page" id="main">
            <Suspense fallback=|| view! { <div class="card booking-card skeleton" aria-busy="true"></div> }>
                {move || {
                    // Read here, outside the future, so that a new choice renders again.
                    let choice = choice.get();
                    let form_for = choice.slot.clone().filter(|slot| Some(slot) != refused.get().as_ref());
                    Suspend::new(async move {
                        match data.await {
                            Ok(page) => view! { <BookView page choice form_for book error /> }.into_any(),
                            Err(error) => view! { <PublicError error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <p class="booking-footer muted">"Scheduling by CRM"</p>
        </main>
    }
}

#[component]
fn BookView(
    page: PublicPage,
    choice: Choice,
    form_for: Option<String>,
    book: ServerAction<BookPublicSlot>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let title = match &page.chosen {
        Some(chosen) => format!("{} · {}", chosen.name, page.owner_name),
        None => format!("Book a time with {}", page.owner_name),
    };
    if !page.open {
        return view! {
            <Title text=title />
            <section class="card booking-card booking-message" data-testid="booking-closed">
                <span class="avatar" aria-hidden="true">{initials(&page.owner_name)}</span>
                <h1>"Booking is closed"</h1>
                <p class="muted">{format!("{} is not taking bookings at the moment.", page.owner_name)}</p>
            </section>
        }
        .into_any();
    }
    let Some(chosen) = page.chosen.clone() else {
        return view! { <Title text=title /><TypeList page /> }.into_any();
    };
    let path = format!("/book/{}/{}", page.slug, chosen.slug);
    let slot = form_for.and_then(|start| {
        page.slots
            .iter()
            .find(|slot| slot.starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) == start)
            .cloned()
    });
    match slot {
        Some(time) => {
            view! { <Title text=title /><GuestFormCard page chosen time choice path book error /> }.into_any()
        }
        None => view! { <Title text=title /><SlotsCard page chosen choice path error /> }.into_any(),
    }
}

#[component]
fn TypeList(page: PublicPage) -> impl IntoView {
    let slug = page.slug.clone();
    view! {
        <section class="card booking-card booking-types">
            <Host owner_name=page.owner_name.clone() chosen=None />
            <h1>{format!("Book a time with {}", page.owner_name)}</h1>
            {if page.types.is_empty() {
                view! { <p class="muted">"There is nothing to book here yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="type-list">
                        {page.types.into_iter().map(|t| {
                            let href = format!("/book/{slug}/{}", t.slug);
                            let location = t.location_label();
                            view! {
                                <li>
                                    <a class="type-link" href=href>
                                        <span class="type-name">{t.name}</span>
                                        <span class="muted">{format!("{} min · {location}", t.duration_min)}</span>
                                    </a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn SlotsCard(
    page: PublicPage,
    chosen: PublicType,
    choice: Choice,
    path: String,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let refusal = move || match error.get() {
        Some(AppError::Conflict(message)) => Some(message),
        _ => None,
    };
    view! {
        <section class="card booking-card booking-grid" aria-label="Choose a time">
            <div class="booking-side">
                <Host owner_name=page.owner_name.clone() chosen=Some(chosen) />
                <ZoneSelect timezones=page.timezones.clone() current=page.timezone.clone() choice=choice.clone()
                    path=path.clone() error=page.timezone_error.clone().unwrap_or_default() />
            </div>
            <div class="booking-calendar">
                {move || refusal().map(|message| view! { <p class="form-error" role="alert" data-testid="slot-taken">{message}</p> })}
                <MonthCalendar slots=page.slots.clone() choice=choice.clone() path=path.clone() />
            </div>
            <div class="booking-times">
                <SlotList slots=page.slots choice path />
            </div>
        </section>
    }
}

fn slot_label(slot: &Slot, zone: &str) -> String {
    format!("{}, {} ({})", slot.date.format("%A %-d %B %Y"), slot.time, zone.replace('_', " "))
}

#[component]
fn GuestFormCard(
    page: PublicPage,
    chosen: PublicType,
    time: Slot,
    choice: Choice,
    path: String,
    book: ServerAction<BookPublicSlot>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let back = Choice { slot: None, ..choice }.href(&path);
    let field = |name: &str| kept(BookPublicSlot::PATH, name);
    let when = slot_label(&time, &page.timezone);
    let start = time.starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    view! {
        <section class="card booking-card booking-form-grid">
            <div class="booking-side">
                <Host owner_name=page.owner_name.clone() chosen=Some(chosen.clone()) when=when />
            </div>
            <ActionForm action=book attr:class="form-stack booking-form" attr:aria-label="Your details">
                <FormError error />
                <input type="hidden" name="slug" value=page.slug.clone() />
                <input type="hidden" name="booking_type" value=chosen.slug.clone() />
                <input type="hidden" name="tz" value=page.timezone.clone() />
                <input type="hidden" name="starts_at" value=start />
                <FieldError error field="starts_at" />
                <FieldError error field="timezone" />
                <div class="field">
                    <label for="name">"Your name"</label>
                    <input id="name" name="name" autocomplete="name" required maxlength="200" value=field("name")
                        aria-invalid=invalid(error, "name") aria-describedby="name-error" />
                    <FieldError error field="name" />
                </div>
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="email" required maxlength="254"
                        value=field("email") aria-invalid=invalid(error, "email") aria-describedby="email-error" />
                    <FieldError error field="email" />
                </div>
                <div class="field">
                    <label for="phone">"Phone " <span class="muted">"(optional)"</span></label>
                    <input id="phone" name="phone" type="tel" autocomplete="tel" maxlength="40" value=field("phone")
                        aria-invalid=invalid(error, "phone") aria-describedby="phone-error" />
                    <FieldError error field="phone" />
                </div>
                <div class="field">
                    <label for="note">"Anything that helps prepare? " <span class="muted">"(optional)"</span></label>
                    <textarea id="note" name="note" rows="3" maxlength="2000" aria-invalid=invalid(error, "note")
                        aria-describedby="note-error" inner_html=textarea_html(&field("note").unwrap_or_default())></textarea>
                    <FieldError error field="note" />
                </div>
                {(!page.email_enabled).then(|| view! {
                    <p class="hint">"No confirmation e-mail is sent: the next page has your calendar file and your link to change the booking."</p>
                })}
                <div class="form-actions">
                    <a class="button button-quiet" href=back>"Back"</a>
                    <button type="submit" class="button" disabled=move || book.pending().get()>
                        {move || if book.pending().get() { "Booking…" } else { "Confirm booking" }}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn ManagePage() -> impl IntoView {
    let params = use_params_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let choice = choice_from_query();
    let query = leptos_router::hooks::use_query_map();
    let done = Memo::new(move |_| query.read().get("done").unwrap_or_default());
    let reschedule = ServerAction::<ReschedulePublicBooking>::new();
    let cancel = ServerAction::<CancelPublicBooking>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        let outcome = match (reschedule.value().get(), cancel.value().get()) {
            (Some(Ok(())), _) if reschedule.version().get() > 0 => Some("rescheduled"),
            (_, Some(Ok(()))) if cancel.version().get() > 0 => Some("cancelled"),
            _ => None,
        };
        if let Some(outcome) = outcome {
            navigate(&format!("/booking/{}?done={outcome}", token.get_untracked()), Default::default());
        }
    });
    let data = Resource::new_blocking(
        move || {
            (token.get(), choice.with(|choice| choice.tz.clone()), reschedule.version().get(), cancel.version().get())
        },
        |(token, tz, _, _)| page_data(public_booking(token, tz)),
    );
    view! {
        <main class="booking-page" id="main">
            <Suspense fallback=|| view! { <div class="card booking-card skeleton" aria-busy="true"></div> }>
                {move || {
                    let (choice, done) = (choice.get(), done.get());
                    Suspend::new(async move {
                        match data.await {
                            Ok(view) => view! { <ManageView view choice done reschedule cancel /> }.into_any(),
                            Err(error) => view! { <PublicError error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
            <p class="booking-footer muted">"Scheduling by CRM"</p>
        </main>
    }
}

fn done_message(done: &str, status: BookingStatus) -> Option<&'static str> {
    match (done, status) {
        ("booked", BookingStatus::Confirmed | BookingStatus::Pending) => Some("You are booked."),
        ("rescheduled", BookingStatus::Confirmed | BookingStatus::Pending) => Some("Your booking is moved."),
        ("cancelled", BookingStatus::Cancelled) => Some("Your booking is cancelled."),
        _ => None,
    }
}

#[component]
fn ManageView(
    view: ManageView,
    choice: Choice,
    done: String,
    reschedule: ServerAction<ReschedulePublicBooking>,
    cancel: ServerAction<CancelPublicBooking>,
) -> impl IntoView {
    let heading = if view.status == BookingStatus::Cancelled { "This booking is cancelled" } else { "Your booking" };
    let path = format!("/booking/{}", view.token);
    let ics = format!("/booking/{}/invite.ics", view.token);
    let done = done_message(&done, view.status);
    let email = if view.email_enabled {
        "A confirmation is on its way to your e-mail, with the calendar file."
    } else {
        "No confirmation e-mail is sent: add it to your calendar below and keep this page's address to change it."
    };
    let reschedule_error = action_error(reschedule);
    let cancel_error = action_error(cancel);
    let chosen = choice.slot.clone().and_then(|start| {
        view.slots
            .iter()
            .find(|slot| slot.starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) == start)
            .cloned()
    });
    let status_label = match view.status {
        BookingStatus::Cancelled => "Cancelled",
        BookingStatus::Completed => "Completed",
        BookingStatus::NoShow => "Missed",
        _ => "Confirmed",
    };
    view! {
        <Title text=heading />
        <section class="card booking-card booking-manage" data-testid="booking-manage" data-status=view.status.as_str()>
            {done.map(|message| view! {
                <div class="booking-done" role="status">
                    <span class="done-mark" aria-hidden="true">"✓"</span>
                    <h1>{message}</h1>
                    {(view.status != BookingStatus::Cancelled).then(|| view! { <p class="muted" data-testid="email-note">{email}</p> })}
                </div>
            })}
            {done.is_none().then(|| view! { <h1>{heading}</h1> })}
            <dl class="booking-details">
                <dt>"What"</dt><dd>{format!("{} with {}", view.type_name, view.owner_name)}</dd>
                <dt>"When"</dt><dd data-testid="booking-when">{view.when.clone()}<span class="muted">{format!(" ({})", view.timezone.replace('_', " "))}</span></dd>
                {(!view.location.is_empty()).then(|| view! { <dt>"Where"</dt><dd>{view.location.clone()}</dd> })}
                {(!view.guest_name.is_empty()).then(|| view! { <dt>"Who"</dt><dd>{view.guest_name.clone()}</dd> })}
                <dt>"Status"</dt><dd data-testid="booking-status">{status_label}</dd>
                {(!view.cancel_reason.is_empty()).then(|| view! { <dt>"Reason"</dt><dd>{view.cancel_reason.clone()}</dd> })}
            </dl>
            <p class="booking-links">
                <a class="button button-quiet" href=ics rel="external" download="booking.ics">"Add to calendar (.ics)"</a>
            </p>
        </section>
        {view.changeable.then(|| {
            let slots = view.slots.clone();
            let (token, cancel_token) = (view.token.clone(), view.token.clone());
            view! {
                <section class="card booking-card booking-grid" aria-labelledby="reschedule-title">
                    <div class="booking-side">
                        <h2 id="reschedule-title">"Need another time?"</h2>
                        <p class="muted">"Choose a new day and time; the old one is freed."</p>
                        <ZoneSelect timezones=view.timezones.clone() current=view.timezone.clone() choice=choice.clone() path=path.clone() />
                    </div>
                    {match chosen {
                        Some(slot) => {
                            let back = Choice { slot: None, ..choice.clone() }.href(&path);
                            let label = slot_label(&slot, &view.timezone);
                            view! {
                                <ActionForm action=reschedule attr:class="form-stack booking-form">
                                    <FormError error=reschedule_error />
                                    <FieldError error=reschedule_error field="starts_at" />
                                    <input type="hidden" name="token" value=token.clone() />
                                    <input type="hidden" name="starts_at" value=slot.starts_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) />
                                    <p>"Move it to " <strong>{label}</strong> "?"</p>
                                    <div class="form-actions">
                                        <a class="button button-quiet" href=back>"Back"</a>
                                        <button type="submit" class="button">"Move my booking"</button>
                                    </div>
                                </ActionForm>
                            }.into_any()
                        }
                        None => view! {
                            <div class="booking-calendar">
                                <FormError error=reschedule_error />
                                <MonthCalendar slots=slots.clone() choice=choice.clone() path=path.clone() />
                            </div>
                            <div class="booking-times"><SlotList slots choice=choice.clone() path=path.clone() /></div>
                        }.into_any(),
                    }}
                </section>
                <section class="card booking-card" aria-labelledby="cancel-title">
                    <h2 id="cancel-title">"Cancel"</h2>
                    <ActionForm action=cancel attr:class="form-stack narrow">
                        <FormError error=cancel_error />
                        <input type="hidden" name="token" value=cancel_token />
                        <div class="field">
                            <label for="reason">"Reason " <span class="muted">"(optional)"</span></label>
                            <textarea id="reason" name="reason" rows="2" maxlength="500"
                                aria-invalid=invalid(cancel_error, "reason") aria-describedby="reason-error"
                                inner_html=textarea_html(&kept(CancelPublicBooking::PATH, "reason").unwrap_or_default())></textarea>
                            <FieldError error=cancel_error field="reason" />
                        </div>
                        <div class="form-actions">
                            <button type="submit" class="button button-danger">"Cancel booking"</button>
                        </div>
                    </ActionForm>
                </section>
            }
        })}
    }
}
