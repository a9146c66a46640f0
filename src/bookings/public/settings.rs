//! The settings page's "Booking link and calendar feed" section: the public page's address and its
//! slug (changeable), and the secret calendar feed address with "Regenerate".
use leptos::{form::ActionForm, prelude::*, server_fn::ServerFn as _};

use super::{
    api::{RegenerateCalendarFeed, SetBookingSlug, load_booking_links},
    model::BookingLinks,
};
use crate::ui::{
    form_flash::kept,
    forms::{FieldError, FormError, action_error, invalid},
};

/// The address of this site as the browser sees it (for links to copy), empty on the server.
fn browser_origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window().and_then(|window| window.location().origin().ok()).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

#[component]
pub fn BookingLinksSection() -> impl IntoView {
    let set_slug = ServerAction::<SetBookingSlug>::new();
    let regenerate = ServerAction::<RegenerateCalendarFeed>::new();
    let slug_error = action_error(set_slug);
    let feed_error = action_error(regenerate);
    let links = Resource::new(|| (), |_| load_booking_links());
    // What the last successful change answered, else what was loaded.
    let saved = RwSignal::new(None::<BookingLinks>);
    Effect::new(move |_| {
        if let Some(Ok(links)) = set_slug.value().get() {
            saved.set(Some(links));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(links)) = regenerate.value().get() {
            saved.set(Some(links));
        }
    });
    let current = move || saved.get().or_else(|| links.get().and_then(Result::ok));
    let (origin, set_origin) = signal(String::new());
    Effect::new(move |_| set_origin.set(browser_origin()));
    view! {
        <section class="card settings-section" aria-labelledby="booking-links-title" data-testid="booking-links">
            <h2 id="booking-links-title">"Booking link and calendar feed"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let loaded = links.await;
                    match current().map(Ok).unwrap_or(loaded) {
                        Ok(links) => view! { <LinksForms links origin set_slug regenerate slug_error feed_error /> }.into_any(),
                        Err(error) => view! { <p class="error-panel" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn LinksForms(
    links: BookingLinks,
    origin: ReadSignal<String>,
    set_slug: ServerAction<SetBookingSlug>,
    regenerate: ServerAction<RegenerateCalendarFeed>,
    slug_error: Signal<Option<crate::shared::AppError>>,
    feed_error: Signal<Option<crate::shared::AppError>>,
) -> impl IntoView {
    let page_path = links.page_path.clone();
    let feed_path = links.feed_path.clone();
    let slug_value = kept(SetBookingSlug::PATH, "booking_slug").unwrap_or(links.slug.clone());
    view! {
        <p class="muted">
            "Leads book a time on your public page. "
            {(!links.booking_enabled).then_some("It says booking is closed until you tick “Let the AI persona book appointments” above.")}
        </p>
        <p>
            <a href=links.page_path.clone() data-testid="booking-page-link">
                {move || format!("{}{page_path}", origin.get())}
            </a>
        </p>
        <ActionForm action=set_slug attr:class="form-stack narrow">
            <FormError error=slug_error />
            <div class="field">
                <label for="booking_slug">"Your booking link ends in"</label>
                <input id="booking_slug" name="booking_slug" value=slug_value maxlength="48" required
                    pattern="[a-z0-9]+(-[a-z0-9]+)*" aria-invalid=invalid(slug_error, "booking_slug")
                    aria-describedby="booking_slug-hint booking_slug-error" />
                <p class="hint" id="booking_slug-hint">"Lower-case letters, digits and single hyphens. The old link stops working."</p>
                <FieldError error=slug_error field="booking_slug" />
            </div>
            <div class="form-actions">
                <button type="submit" class="button">"Save link"</button>
            </div>
        </ActionForm>
        <h3>"Calendar feed"</h3>
        <p class="muted">
            "Subscribe to this secret address in Google Calendar, Apple Calendar or Outlook to see your bookings there. "
            "Google refreshes subscribed calendars only every several hours, so new bookings show up there late."
        </p>
        <p class="feed-url">
            <code data-testid="calendar-feed-url">{move || format!("{}{feed_path}", origin.get())}</code>
        </p>
        <ActionForm action=regenerate attr:class="form-actions">
            <FormError error=feed_error />
            <button type="submit" class="button button-quiet">"Regenerate"</button>
            <span class="hint">"Gives the feed a new address; the old one stops working."</span>
        </ActionForm>
    }
}
