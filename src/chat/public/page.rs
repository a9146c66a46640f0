//! `/talk/{slug}`: the public chat. First a short form (name, an email or a phone, the message);
//! then the conversation, the newest at the bottom, and a composer (Enter sends, Shift+Enter
//! makes a new line). With JavaScript, answers arrive live over `/talk/{slug}/events`; without
//! it every form is a plain post and the page comes back with the conversation. Outside the app's
//! layout: the lead is not signed in. Everything anyone wrote is a text node, never markup.
use leptos::{form::ActionForm, prelude::*, server_fn::ServerFn as _};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::{
    api::{SendTalkMessage, StartTalk, talk_page},
    model::{LeadThread, PublicChat, events_path},
};
use crate::{
    bookings::public::page::{PublicError, initials},
    chat::model::{MAX_MESSAGE_CHARS, ThreadMessage},
    ui::{
        form_flash::kept,
        forms::{FieldError, FormError, action_error, invalid, textarea_html},
        page::page_data,
    },
};

#[component]
pub fn TalkPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let start = ServerAction::<StartTalk>::new();
    // Loaded again once the lead has started (their cookie then reaches the conversation).
    let started = Memo::new(move |previous: Option<&usize>| {
        let version = start.version().get();
        if start.value().with(|outcome| matches!(outcome, Some(Ok(())))) {
            version
        } else {
            previous.copied().unwrap_or_default()
        }
    });
    let data = Resource::new_blocking(move || (slug.get(), started.get()), |(slug, _)| page_data(talk_page(slug)));
    view! {
        <main class="booking-page talk-page" id="main">
            <Suspense fallback=|| view! { <div class="card booking-card skeleton" aria-busy="true"></div> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) => view! { <TalkView page start /> }.into_any(),
                        Err(error) => view! { <PublicError error /> }.into_any(),
                    }
                })}
            </Suspense>
            <p class="booking-footer muted">"Chat by CRM"</p>
        </main>
    }
}

#[component]
fn TalkView(page: PublicChat, start: ServerAction<StartTalk>) -> impl IntoView {
    let title = format!("Chat with {}", page.owner_name);
    view! {
        <Title text=title.clone() />
        <section class="card booking-card talk-card" aria-labelledby="talk-heading">
            <header class="talk-header">
                <span class="avatar" aria-hidden="true">{initials(&page.owner_name)}</span>
                <div>
                    <h1 id="talk-heading">{title}</h1>
                    <p class="muted">"We usually answer within minutes during working hours."</p>
                </div>
            </header>
            {match page.lead {
                Some(lead) => view! { <Conversation slug=page.slug zone=page.zone lead /> }.into_any(),
                None if page.open => view! { <StartForm slug=page.slug start /> }.into_any(),
                None => view! {
                    <p class="muted" data-testid="talk-closed">"This chat is not open yet. Please come back later."</p>
                }
                .into_any(),
            }}
        </section>
    }
}

#[component]
fn StartForm(slug: String, start: ServerAction<StartTalk>) -> impl IntoView {
    let error = action_error(start);
    let field = |name: &str| kept(StartTalk::PATH, name);
    view! {
        <ActionForm action=start attr:class="form-stack talk-start" attr:aria-label="Start a conversation">
            <FormError error />
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="timezone" value=crate::ui::forms::browser_time_zone() />
            <div class="field">
                <label for="name">"Your name"</label>
                <input id="name" name="name" autocomplete="name" required maxlength="200" value=field("name")
                    aria-invalid=invalid(error, "name") aria-describedby="name-error" />
                <FieldError error field="name" />
            </div>
            <div class="talk-contact">
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="email" maxlength="254"
                        value=field("email") aria-invalid=invalid(error, "email") aria-describedby="email-error" />
                    <FieldError error field="email" />
                </div>
                <div class="field">
                    <label for="phone">"or phone"</label>
                    <input id="phone" name="phone" type="tel" autocomplete="tel" maxlength="40" value=field("phone")
                        aria-invalid=invalid(error, "phone") aria-describedby="phone-error" />
                    <FieldError error field="phone" />
                </div>
            </div>
            <p class="hint">"An email or a phone number, so that we can answer you after you leave this page."</p>
            <div class="field">
                <label for="talk-body">"Your message"</label>
                <textarea id="talk-body" name="body" rows="4" required maxlength=MAX_MESSAGE_CHARS.to_string()
                    aria-invalid=invalid(error, "body") aria-describedby="body-error"
                    inner_html=textarea_html(&field("body").unwrap_or_default())></textarea>
                <FieldError error field="body" />
            </div>
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || start.pending().get()>
                    {move || if start.pending().get() { "Sending…" } else { "Start the conversation" }}
                </button>
            </div>
        </ActionForm>
    }
}

/// Messages in the order the server keeps them (time, then id), each once.
fn merge(list: &mut Vec<ThreadMessage>, message: ThreadMessage) {
    if list.iter().any(|known| known.id == message.id) {
        return;
    }
    let at = list.partition_point(|known| (known.at, known.id) < (message.at, message.id));
    list.insert(at, message);
}

#[component]
fn Conversation(slug: String, zone: String, lead: LeadThread) -> impl IntoView {
    let send = ServerAction::<SendTalkMessage>::new();
    let error = action_error(send);
    let messages = RwSignal::new(lead.messages);
    let newest = messages.with_untracked(|list| list.iter().map(|message| message.id).max());
    // Only messages come live here, and they are replayed after a reconnect.
    let on_data = move |_: String, data: String| {
        if let Ok(message) = serde_json::from_str::<ThreadMessage>(&data) {
            messages.update(|list| merge(list, message));
        }
    };
    crate::ui::live::use_event_source(&events_path(&slug), newest, &["message"], on_data, || {});
    let area = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if let Some(Ok(message)) = send.value().get() {
            messages.update(|list| merge(list, message));
            if let Some(area) = area.get_untracked() {
                area.set_value("");
                let _ = area.focus();
            }
        }
    });
    let on_keydown = crate::chat::pages::composer::enter_sends(area);
    let typed = kept(SendTalkMessage::PATH, "body").unwrap_or_default();
    view! {
        <p class="muted talk-who">{format!("You are chatting as {}. Times are in {zone}.", lead.name)}</p>
        // The wrapper starts scrolled to its end (the newest), without a script.
        <div class="chat-scroll">
            <ol class="messages talk-messages" data-testid="talk-messages" aria-live="polite">
                <For each=move || messages.get() key=|message| message.id let:message>
                    <TalkMessage message />
                </For>
            </ol>
        </div>
        <ActionForm action=send attr:class="form-stack chat-composer">
            <input type="hidden" name="slug" value=slug />
            <label class="visually-hidden" for="talk-reply">"Message"</label>
            <textarea id="talk-reply" name="body" rows="3" maxlength=MAX_MESSAGE_CHARS.to_string() node_ref=area
                placeholder="Write a message… (Enter sends, Shift+Enter for a new line)"
                aria-describedby="body-error" on:keydown=on_keydown inner_html=textarea_html(&typed)>
            </textarea>
            <FormError error />
            <FieldError error field="body" />
            <div class="form-actions">
                <button type="submit" class="button" disabled=move || send.pending().get()>
                    {move || if send.pending().get() { "Sending…" } else { "Send" }}
                </button>
            </div>
        </ActionForm>
    }
}

#[component]
fn TalkMessage(message: ThreadMessage) -> impl IntoView {
    let mine = message.role == "client";
    let who = match (mine, message.role.as_str(), &message.author) {
        (true, ..) => "You".to_owned(),
        (_, "agent", Some(author)) => author.clone(),
        (_, "ai", _) => "Assistant".to_owned(),
        _ => "Team".to_owned(),
    };
    let class = if mine { "message talk-mine" } else { "message talk-theirs" };
    view! {
        <li class=class data-testid="talk-message" data-id=message.id>
            <p class="message-meta">
                <strong>{who}</strong>
                " · " <time datetime=message.at.to_rfc3339()>{message.sent_at.clone()}</time>
            </p>
            <p class="message-body">{message.body.clone()}</p>
        </li>
    }
}
