//! The settings page's "Chat on your website" section: the websites that may show the public chat
//! in a frame, and the snippet to paste into them.
use leptos::{form::ActionForm, prelude::*, server_fn::ServerFn as _};

use super::{
    api::{SaveEmbedOrigins, load_embed_settings},
    model::EmbedSettings,
};
use crate::ui::{
    form_flash::kept,
    forms::{FieldError, FormError, action_error, invalid, textarea_html},
};

#[component]
pub fn EmbedSection() -> impl IntoView {
    let save = ServerAction::<SaveEmbedOrigins>::new();
    let error = action_error(save);
    let loaded = Resource::new(|| (), |_| load_embed_settings());
    view! {
        <section class="card settings-section" aria-labelledby="embed-title" data-testid="embed-settings">
            <h2 id="embed-title">"Chat on your website"</h2>
            <p class="muted">
                "Leads can chat with you on your public chat page. To show it inside your own website, list the "
                "website's address here and paste the snippet into its HTML. Other websites cannot show it."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(settings) => view! { <EmbedForm settings save error /> }.into_any(),
                        Err(error) => view! { <p class="error-panel" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn EmbedForm(
    settings: EmbedSettings,
    save: ServerAction<SaveEmbedOrigins>,
    error: Signal<Option<crate::shared::AppError>>,
) -> impl IntoView {
    let typed = kept(SaveEmbedOrigins::PATH, "embed_origins").unwrap_or_else(|| settings.origins.join("\n"));
    let current = RwSignal::new(settings);
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            current.set(saved);
        }
    });
    let snippet = move || current.with(EmbedSettings::snippet);
    let (copied, set_copied) = signal(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&snippet());
            set_copied.set(true);
        }
    };
    #[cfg(not(feature = "hydrate"))]
    let _ = set_copied;
    view! {
        <ActionForm action=save attr:class="form-stack narrow">
            <FormError error />
            <div class="field">
                <label for="embed_origins">"Websites that may show your chat"</label>
                <textarea id="embed_origins" name="embed_origins" rows="3" spellcheck="false"
                    placeholder="https://www.example.com" aria-invalid=invalid(error, "embed_origins")
                    aria-describedby="embed_origins-hint embed_origins-error"
                    inner_html=textarea_html(&typed)></textarea>
                <p class="hint" id="embed_origins-hint">
                    "One address per line, like https://www.example.com (no page path). Empty: only on its own page."
                </p>
                <FieldError error field="embed_origins" />
            </div>
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save websites" }}
                </button>
                <p role="status" class="outcome" data-testid="embed-outcome">
                    {move || matches!(save.value().get(), Some(Ok(_))).then_some("Saved.")}
                </p>
            </div>
        </ActionForm>
        <h3>"Snippet"</h3>
        <p class="muted">
            "Your chat page: " <a href=move || current.with(|settings| settings.talk_url.clone())
                data-testid="talk-page-link">{move || current.with(|settings| settings.talk_url.clone())}</a>
        </p>
        <pre class="snippet"><code data-testid="embed-snippet">{snippet}</code></pre>
        <div class="form-actions">
            <button type="button" class="button button-quiet" on:click=copy>"Copy snippet"</button>
            <p role="status" class="outcome">{move || copied.get().then_some("Copied.")}</p>
        </div>
    }
}
