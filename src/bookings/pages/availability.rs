//! `/bookings/settings`: when one can be booked. The weekly hours (one or more windows a day), date
//! overrides (a day off, or other hours on one date) and the booking types. Every form is a plain
//! post; an admin edits someone else's with `?owner=`.
use leptos::{form::ActionForm, prelude::*, server_fn::ServerFn as _};
use leptos_router::hooks::use_query_map;

use crate::{
    bookings::{
        api::{
            CreateBookingType, DeleteBookingType, SetDateOverride, SetWeeklyHours, UpdateBookingType,
            booking_availability, list_booking_types,
        },
        model::{AvailabilityView, BookingType, BookingTypeFields, LocationKind},
        pages::owner_picker::OwnerPicker,
    },
    shared::AppError,
    ui::{
        form_flash::{kept, kept_form},
        forms::{FieldError, FormError, action_error, successes, textarea_html},
        page::PageHeader,
    },
};

#[component]
pub fn AvailabilityPage() -> impl IntoView {
    let query = use_query_map();
    let owner = Memo::new(move |_| query.read().get("owner").and_then(|id| id.trim().parse::<i64>().ok()));
    let weekly = ServerAction::<SetWeeklyHours>::new();
    crate::ui::toast::announce(weekly.value(), "Weekly hours saved.");
    let dated = ServerAction::<SetDateOverride>::new();
    crate::ui::toast::announce(dated.value(), "Date saved.");
    let created = ServerAction::<CreateBookingType>::new();
    crate::ui::toast::announce(created.value(), "Booking type added.");
    let updated = ServerAction::<UpdateBookingType>::new();
    crate::ui::toast::announce(updated.value(), "Booking type saved.");
    let deleted = ServerAction::<DeleteBookingType>::new();
    crate::ui::toast::announce(deleted.value(), "Booking type deleted.");
    let (weekly_saved, dated_saved) = (successes(weekly), successes(dated));
    let (created_saved, updated_saved, deleted_saved) = (successes(created), successes(updated), successes(deleted));
    let availability = Resource::new_blocking(
        move || (owner.get(), weekly_saved.get(), dated_saved.get()),
        |(owner, ..)| crate::ui::page::page_data(booking_availability(owner)),
    );
    let types = Resource::new_blocking(
        move || (owner.get(), created_saved.get(), updated_saved.get(), deleted_saved.get()),
        |(owner, ..)| list_booking_types(owner),
    );
    view! {
        <PageHeader title="Availability" subtitle="When you can be booked, and what can be booked.">
            <a class="button button-quiet" href="/bookings">"Calendar"</a>
        </PageHeader>
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading availability…" lines=8 /> }>
            {move || Suspend::new(async move {
                match (availability.await, types.await) {
                    (Ok(view), Ok(types)) => view! {
                        {(!view.owners.is_empty()).then(|| view! {
                            <div class="availability-owner">
                                <p class="muted" data-testid="availability-owner">{format!("{}'s availability", view.owner_name)}</p>
                                <OwnerPicker path="/bookings/settings" label="Whose availability"
                                    owners=view.owners.clone() owner_id=view.owner_id />
                            </div>
                        })}
                        <div class="availability-grid">
                            <WeeklyHours view=view.clone() action=weekly />
                            <Overrides view action=dated />
                        </div>
                        <BookingTypes types owner=owner.get_untracked() created updated deleted />
                    }.into_any(),
                    (Err(error), _) | (_, Err(error)) => view! {
                        <crate::ui::page::ErrorPage error back_href="/bookings" back_label="Back to the calendar" />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn WeeklyHours(view: AvailabilityView, action: ServerAction<SetWeeklyHours>) -> impl IntoView {
    let error = action_error(action);
    view! {
        <section class="card" aria-labelledby="weekly-heading">
            <h2 id="weekly-heading">"Weekly hours"</h2>
            <p class="hint">"One or more windows a day, like 09:00-12:00, 13:00-17:00. Empty: not working. In " {view.timezone.clone()} "."</p>
            <ActionForm action attr:class="form-stack weekly-hours" attr:data-testid="weekly-hours">
                <input type="hidden" name="owner_id" value=view.owner_id />
                <FormError error />
                {crate::users::profile::WEEKDAYS.iter().zip(view.weekly.iter()).map(|((key, label), hours)| {
                    let value = kept(SetWeeklyHours::PATH, key).unwrap_or_else(|| hours.clone());
                    let id = format!("weekly-{key}");
                    view! {
                        <div class="weekly-day">
                            <label for=id.clone()>{*label}</label>
                            <div class="field">
                                <input id=id name=*key value=value placeholder="Not working" autocomplete="off"
                                    aria-describedby=format!("{key}-error") />
                                <FieldError error field=key />
                            </div>
                        </div>
                    }
                }).collect_view()}
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || action.pending().get()>"Save weekly hours"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn Overrides(view: AvailabilityView, action: ServerAction<SetDateOverride>) -> impl IntoView {
    let error = action_error(action);
    let owner_id = view.owner_id;
    view! {
        <section class="card" aria-labelledby="overrides-heading">
            <h2 id="overrides-heading">"Date overrides"</h2>
            <p class="hint">"A day off, or other hours on one date. Leave the hours empty for a day off."</p>
            <ActionForm action attr:class="form-stack" attr:data-testid="override-form">
                <input type="hidden" name="owner_id" value=owner_id />
                <FormError error />
                <div class="form-row">
                    <div class="field">
                        <label for="override-date">"Date"</label>
                        <input id="override-date" type="date" name="date" required
                            value=kept(SetDateOverride::PATH, "date").unwrap_or_default() aria-describedby="date-error" />
                        <FieldError error field="date" />
                    </div>
                    <div class="field">
                        <label for="override-hours">"Hours"</label>
                        <input id="override-hours" name="hours" placeholder="Day off" autocomplete="off"
                            value=kept(SetDateOverride::PATH, "hours").unwrap_or_default() aria-describedby="hours-error" />
                        <FieldError error field="hours" />
                    </div>
                </div>
                <div class="form-actions">
                    <button type="submit" class="button button-quiet">"Save date"</button>
                </div>
            </ActionForm>
            {if view.overrides.is_empty() {
                view! { <p class="muted">"No dates with their own hours."</p> }.into_any()
            } else {
                view! {
                    <ul class="override-list" data-testid="overrides">
                        {view.overrides.into_iter().map(|item| view! {
                            <li>
                                <span class="override-date">{item.date.format("%a %-d %b %Y").to_string()}</span>
                                <span class="muted">{if item.hours.is_empty() { "Day off".to_owned() } else { item.hours.clone() }}</span>
                                <ActionForm action attr:class="override-remove">
                                    <input type="hidden" name="owner_id" value=owner_id />
                                    <input type="hidden" name="date" value=item.date.to_string() />
                                    <input type="hidden" name="clear" value="true" />
                                    <button type="submit" class="button button-quiet button-small"
                                        aria-label=format!("Remove {}", item.date)>"Remove"</button>
                                </ActionForm>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn BookingTypes(
    types: Vec<BookingType>,
    owner: Option<i64>,
    created: ServerAction<CreateBookingType>,
    updated: ServerAction<UpdateBookingType>,
    deleted: ServerAction<DeleteBookingType>,
) -> impl IntoView {
    let create_error = action_error(created);
    let update_error = action_error(updated);
    let delete_error = action_error(deleted);
    let failed_delete = kept_form(DeleteBookingType::PATH).and_then(|form| form.get("id").cloned());
    let only_one = types.len() == 1;
    let new_values = kept_form(CreateBookingType::PATH);
    let new_open = new_values.is_some();
    let failed_update = kept_form(UpdateBookingType::PATH).and_then(|form| form.get("id").cloned());
    view! {
        <section class="card" aria-labelledby="types-heading">
            <h2 id="types-heading">"Booking types"</h2>
            <p class="hint">"What can be booked with you: each has its length, buffers, notice and where it takes place."</p>
            <ul class="type-list" data-testid="booking-types">
                {types.into_iter().map(|t| {
                    let id = t.id;
                    let delete_open = failed_delete.as_deref() == Some(id.to_string().as_str());
                    let open = delete_open || failed_update.as_deref() == Some(id.to_string().as_str());
                    let summary = format!("{} min · /{}{}", t.duration_min, t.slug, if t.active { "" } else { " · off" });
                    let name = t.name.clone();
                    let delete_name = t.name.clone();
                    view! {
                        <li>
                            <details class="type-item" open=open>
                                <summary><strong>{name}</strong> <span class="muted">{summary}</span></summary>
                                <ActionForm action=updated attr:class="form-stack" attr:novalidate="">
                                    <input type="hidden" name="id" value=id />
                                    <FormError error=update_error />
                                    <TypeFields prefix=format!("type-{id}-") values=t.fields()
                                        kept=if open { kept_form(UpdateBookingType::PATH) } else { None }
                                        error=update_error />
                                    <div class="form-actions">
                                        <button type="submit" class="button">"Save type"</button>
                                    </div>
                                </ActionForm>
                                <DeleteType id name=delete_name only_one open=delete_open action=deleted error=delete_error />
                            </details>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <details class="type-item type-new" open=new_open>
                <summary><strong>"New booking type"</strong></summary>
                <ActionForm action=created attr:class="form-stack" attr:novalidate="" attr:data-testid="new-type-form">
                    {owner.map(|owner| view! { <input type="hidden" name="owner_id" value=owner /> })}
                    <FormError error=create_error />
                    <TypeFields prefix="type-new-".to_owned() values=BookingTypeFields { name: String::new(), slug: String::new(), ..BookingTypeFields::default_call() }
                        kept=new_values error=create_error />
                    <div class="form-actions">
                        <button type="submit" class="button">"Add type"</button>
                    </div>
                </ActionForm>
            </details>
        </section>
    }
}

/// Deleting a type, behind its own disclosure and a ticked box. The last type cannot go: the page
/// says so instead of offering it.
#[component]
fn DeleteType(
    id: i64,
    name: String,
    only_one: bool,
    open: bool,
    action: ServerAction<DeleteBookingType>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    if only_one {
        return view! {
            <p class="hint" data-testid="last-type">
                "Your only booking type cannot be deleted: add another first, or switch bookings off in Settings."
            </p>
        }
        .into_any();
    }
    let (check, check_label) = (format!("delete-type-{id}"), format!("delete-type-{id}"));
    let button = format!("Delete {name}");
    view! {
        <details class="disclosure delete-type" open=open>
            <summary>"Delete this type…"</summary>
            <ActionForm action attr:class="form-stack" attr:data-testid="delete-type-form">
                <FormError error />
                <input type="hidden" name="id" value=id />
                <p class="hint">
                    "It leaves your booking page and the new-booking form. Bookings already made with it keep it."
                </p>
                <label class="checkbox" for=check_label>
                    <input id=check type="checkbox" name="confirm" value="on" aria-describedby="confirm-error" />
                    " Yes, delete " {name}
                </label>
                <FieldError error field="confirm" />
                <div class="form-actions">
                    <button type="submit" class="button button-danger" disabled=move || action.pending().get()>
                        {button}
                    </button>
                </div>
            </ActionForm>
        </details>
    }
    .into_any()
}

#[component]
fn TypeFields(
    prefix: String,
    values: BookingTypeFields,
    kept: Option<std::collections::BTreeMap<String, String>>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let kept = kept.unwrap_or_default();
    let value = |field: &str, fallback: String| kept.get(field).cloned().unwrap_or(fallback);
    let active = if kept.is_empty() { values.active } else { kept.contains_key("active") };
    let kind = value("location_kind", values.location_kind.as_str().to_owned());
    let number = |field: &'static str, label: &'static str, current: String| {
        let id = format!("{prefix}{field}");
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input id=id type="number" min="0" name=field value=value(field, current)
                    aria-describedby=format!("{prefix}{field}-error") />
                <FieldError error field prefix=prefix.clone() />
            </div>
        }
    };
    let text = |field: &'static str, label: &'static str, current: String| {
        let id = format!("{prefix}{field}");
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input id=id name=field value=value(field, current) autocomplete="off"
                    aria-describedby=format!("{prefix}{field}-error") />
                <FieldError error field prefix=prefix.clone() />
            </div>
        }
    };
    let description = value("description", values.description.clone());
    view! {
        <div class="form-grid">
            {text("name", "Name", values.name.clone())}
            {text("slug", "URL slug", values.slug.clone())}
            {number("duration_min", "Duration (minutes)", values.duration_min.to_string())}
            {number("slot_interval_min", "Start every (minutes)", values.slot_interval_min.to_string())}
            {number("buffer_before_min", "Buffer before (minutes)", values.buffer_before_min.to_string())}
            {number("buffer_after_min", "Buffer after (minutes)", values.buffer_after_min.to_string())}
            {number("min_notice_min", "Minimum notice (minutes)", values.min_notice_min.to_string())}
            {number("rolling_days", "Bookable days ahead", values.rolling_days.to_string())}
            {number("max_per_day", "At most per day (empty: no cap)", values.max_per_day.map(|n| n.to_string()).unwrap_or_default())}
            <div class="field">
                <label for=format!("{prefix}location_kind")>"Takes place by"</label>
                <select id=format!("{prefix}location_kind") name="location_kind">
                    {[LocationKind::Video, LocationKind::Phone, LocationKind::Address, LocationKind::Text].into_iter().map(|option| {
                        let label = match option {
                            LocationKind::Video => "Video link",
                            LocationKind::Phone => "Phone",
                            LocationKind::Address => "Address",
                            LocationKind::Text => "Other",
                        };
                        view! { <option value=option.as_str() selected=kind == option.as_str()>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            {text("location_value", "Location (link, number or address)", values.location_value.clone())}
        </div>
        <div class="field">
            <label for=format!("{prefix}description")>"Description"</label>
            <textarea id=format!("{prefix}description") name="description" rows="2" maxlength="2000"
                inner_html=textarea_html(&description)></textarea>
            <FieldError error field="description" prefix=prefix.clone() />
        </div>
        <label class="checkbox">
            <input type="checkbox" name="active" value="on" checked=active />
            " Can be booked"
        </label>
    }
}
