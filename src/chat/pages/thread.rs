//! `/chat/{client_id}`: the conversation with one client. The messages oldest to newest (older
//! ones a link away, keyed by time and id), the composer (Enter sends, Shift+Enter makes a new
//! line; a private-note box), the AI mode and the state, and the client's card beside it.
//! Without JavaScript every form is a plain post that comes back here; with it, the thread
//! reloads in place after this person acts, and what the stream brings (others' messages, state
//! and mode changes) is added in place, so a draft being typed, the focus and the scroll stay.
//! Everything a lead wrote is text nodes: escaped, never markup.
use chrono::{DateTime, Utc};
use leptos::{form::ActionForm, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    super::api::{SendChatMessage, SetChatAiMode, SetChatState, load_thread},
    live::use_chat_stream,
    query_string,
};
use crate::{
    ai::api::AiAction,
    chat::model::{
        AiDraft, AiMode, ChatEvent, ClientCard, ConversationState, MAX_MESSAGE_CHARS, Thread, ThreadMessage, role_label,
    },
    clients::model::status_label,
    shared::AppError,
    ui::forms::{FieldError, FormError, action_error},
};

#[component]
pub fn ThreadPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let client_id = Memo::new(move |_| params.read().get("client_id").and_then(|id| id.parse::<i64>().ok()));
    let older = Memo::new(move |_| query.read().get("older").unwrap_or_default());
    let send = ServerAction::<SendChatMessage>::new();
    let set_mode = ServerAction::<SetChatAiMode>::new();
    crate::ui::toast::announce(set_mode.value(), "AI mode changed.");
    let set_state = ServerAction::<SetChatState>::new();
    // Retry, resume, send or discard a draft: the toast says which was done.
    let ai = ServerAction::<AiAction>::new();
    if let Some(toasts) = crate::ui::toast::use_toasts() {
        Effect::new(move |_| {
            if let Some(Ok(done)) = ai.value().get() {
                toasts.success(done);
            }
        });
    }
    // Reloaded after a message is sent, not after a refused one (which keeps what was typed).
    let sent = Memo::new(move |previous: Option<&usize>| {
        let version = send.version().get();
        if send.value().with(|outcome| matches!(outcome, Some(Ok(_)))) {
            version
        } else {
            previous.copied().unwrap_or_default()
        }
    });
    let thread = Resource::new_blocking(
        move || {
            (
                client_id.get(),
                older.get(),
                sent.get(),
                set_mode.version().get(),
                set_state.version().get(),
                ai.version().get(),
            )
        },
        |(id, older, ..)| {
            crate::ui::page::page_data(async move {
                match id {
                    Some(id) => load_thread(id, older).await,
                    None => Err(AppError::NotFound("This conversation".to_owned())),
                }
            })
        },
    );
    let title = move || thread.get().and_then(Result::ok).map(|thread| thread.client.name).unwrap_or_default();
    view! {
        <Title text=title />
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading the conversation…" lines=8 /> }>
            {move || Suspend::new(async move {
                match thread.await {
                    Ok(thread) => view! { <ThreadView thread send set_mode set_state ai /> }.into_any(),
                    Err(error) => view! {
                        <crate::ui::page::ErrorPage error back_href="/chat" back_label="Back to the inbox" />
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ThreadView(
    thread: Thread,
    send: ServerAction<SendChatMessage>,
    set_mode: ServerAction<SetChatAiMode>,
    set_state: ServerAction<SetChatState>,
    ai: ServerAction<AiAction>,
) -> impl IntoView {
    let id = thread.client.id;
    let name = thread.client.name.clone();
    let older = thread.older.clone().map(|cursor| format!("/chat/{id}{}", query_string(&[("older", &cursor)])));
    let paged = !use_query_map().get_untracked().get("older").unwrap_or_default().is_empty();
    let live = LiveThread::follow(&thread, paged);
    let state = live.state;
    let state_class = move || match state.get() {
        ConversationState::Waiting => "badge badge-danger",
        ConversationState::Closed => "badge badge-neutral",
        ConversationState::Open => "badge badge-ok",
    };
    let arrived = live.messages;
    let empty = thread.messages.is_empty();
    // The newest message shown: a failed AI reply offers a retry only while it is the last word.
    let first_newest = thread.messages.last().map_or(0, |message| message.id);
    let newest =
        Memo::new(move |_| arrived.with(|messages| messages.last().map_or(first_newest, |message| message.id)));
    // "Edit" puts the AI's draft in the composer.
    let prefill = RwSignal::new(None::<String>);
    let ai_error = action_error(ai);
    view! {
        <header class="page-header">
            <div>
                <p class="breadcrumb"><a href="/chat">"Chat"</a></p>
                <h1>
                    {name} " "
                    <span class=state_class data-testid="conversation-state">{move || state.get().label()}</span>
                </h1>
            </div>
        </header>
        <div class="chat-layout">
            <section class="card chat-thread" aria-labelledby="thread-heading">
                <h2 id="thread-heading" class="visually-hidden">"Messages"</h2>
                {older.map(|href| view! {
                    <nav class="pager chat-older" aria-label="Older messages">
                        <a class="button button-quiet" href=href data-testid="thread-older">"Older messages"</a>
                    </nav>
                })}
                {move || (empty && arrived.with(Vec::is_empty)).then(|| view! {
                    <p class="muted" data-testid="thread-empty">"No messages yet. Write the first one below."</p>
                })}
                // The wrapper starts scrolled to its end (the newest), without a script.
                <div class="chat-scroll">
                    <ol class="messages chat-messages" data-testid="thread-messages" aria-live="polite">
                        {thread.messages.into_iter().map(|message| view! { <Message message client_id=id newest ai /> }).collect_view()}
                        <For each=move || arrived.get() key=|message| message.id let(message)>
                            <Message message client_id=id newest ai />
                        </For>
                    </ol>
                </div>
                {paged.then(|| view! {
                    <p class="hint"><a href=format!("/chat/{id}")>"Back to the newest messages"</a></p>
                })}
                <FormError error=ai_error />
                <DraftCard client_id=id draft=live.draft ai prefill />
                <Composer client_id=id send prefill draft=thread.ai_draft.clone() />
            </section>
            <aside class="chat-side">
                <ClientPanel card=live.card />
                <ConversationControls client_id=id mode=live.mode state paused=live.paused set_mode set_state ai />
            </aside>
        </div>
    }
}

/// What the live stream changes on a shown thread: the messages that arrived after it was read,
/// its state and its AI mode, and the client's card (the AI books and moves the stage).
#[derive(Clone, Copy)]
struct LiveThread {
    messages: RwSignal<Vec<ThreadMessage>>,
    state: RwSignal<ConversationState>,
    mode: RwSignal<AiMode>,
    /// Until when the AI sleeps after a person's message: in the viewer's time, and the instant.
    paused: RwSignal<Option<(String, DateTime<Utc>)>>,
    /// The AI's draft answer in "AI suggests" mode.
    draft: RwSignal<Option<AiDraft>>,
    card: RwSignal<ClientCard>,
    /// How many of the stream's events changed the above: a read of the thread that one arrived
    /// during may be older than the event, and is not applied.
    changes: StoredValue<u64>,
}

impl LiveThread {
    /// Follows the team's stream for `thread`'s client from the moment it was read. A page of
    /// older messages takes no new ones (they belong at the other end of the conversation).
    fn follow(thread: &Thread, paged: bool) -> Self {
        let live = LiveThread {
            messages: RwSignal::new(Vec::new()),
            state: RwSignal::new(thread.state),
            mode: RwSignal::new(thread.ai_mode),
            paused: RwSignal::new(thread.ai_paused_until.clone().zip(thread.ai_paused_at)),
            draft: RwSignal::new(thread.ai_draft.clone()),
            card: RwSignal::new(thread.client.clone()),
            changes: StoredValue::new(0),
        };
        end_the_pause_on_time(live.paused);
        let client_id = thread.client.id;
        let shown: std::collections::HashSet<i64> = thread.messages.iter().map(|message| message.id).collect();
        let on_event = move |event: ChatEvent| {
            if event.client_id() != client_id {
                return;
            }
            match event {
                ChatEvent::Message { message, .. } => {
                    // A replayed message the page has already counted changes nothing.
                    let known = shown.contains(&message.id)
                        || live.messages.with_untracked(|messages| messages.iter().any(|known| known.id == message.id));
                    if known {
                        return;
                    }
                    live.changes.try_update_value(|changes| *changes += 1);
                    live.state.update(|state| *state = state.after_message(&message.role, message.private));
                    if live
                        .draft
                        .with_untracked(|draft| draft.as_ref().is_some_and(|draft| draft.outdated_by(&message)))
                    {
                        live.draft.set(None);
                    }
                    if message.role == "ai" {
                        refresh_card(live.card, client_id);
                    }
                    if !paged {
                        mark_seen(client_id, message.id);
                        live.messages.update(|messages| {
                            let at = messages.partition_point(|known| known.id < message.id);
                            messages.insert(at, message);
                        });
                    }
                }
                ChatEvent::Conversation { state, ai_mode, ai_paused_label, ai_paused_until, ai_draft, .. } => {
                    live.changes.try_update_value(|changes| *changes += 1);
                    live.state.set(state);
                    live.mode.set(ai_mode);
                    live.paused.set(ai_paused_label.zip(ai_paused_until));
                    live.draft.set(ai_draft);
                }
                // The AI's note in the thread says so; the frame's toast is for other pages.
                ChatEvent::HandedOff { .. } | ChatEvent::Read { .. } => {}
            }
        };
        // Messages are replayed when the stream opens; the state, mode, pause, draft and card are read again.
        use_chat_stream(thread.stream_after, on_event, move || refresh_state(live, client_id));
        live
    }
}

/// Takes the "AI is paused" notice down when the pause ends (the server lets the AI answer again
/// from then on; nothing is announced at that moment).
fn end_the_pause_on_time(paused: RwSignal<Option<(String, DateTime<Utc>)>>) {
    Effect::new(move |_| {
        let Some((_, until)) = paused.get() else { return };
        #[cfg(feature = "hydrate")]
        {
            // A browser timer runs at most about 24 days ahead.
            let left = (until.timestamp_millis() - js_sys::Date::now() as i64).clamp(0, i64::from(i32::MAX));
            set_timeout(
                move || {
                    paused.try_update(|paused| {
                        if paused.as_ref().is_some_and(|(_, shown)| *shown == until) {
                            *paused = None;
                        }
                    });
                },
                std::time::Duration::from_millis(left as u64),
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = until;
    });
}

/// Reads the client's card again: the AI's message may come with a booking and a new stage. It
/// comes with the thread (a server function of its own would add its client code to this page).
fn refresh_card(card: RwSignal<ClientCard>, client_id: i64) {
    leptos::task::spawn_local(async move {
        if let Ok(fresh) = load_thread(client_id, String::new()).await {
            card.try_set(fresh.client);
        }
    });
}

/// Reads what the stream does not replay (the state, AI mode, pause, draft and card) again, once the
/// stream is open: a change between the page's read and the stream's start is not lost.
///
/// An event that arrives while the read is under way may be newer than what the read saw (a draft
/// committed just after it): the read is then made again, until one comes back with no event
/// in between. Past a few tries the events, which carry the whole conversation, are left to say.
fn refresh_state(live: LiveThread, client_id: i64) {
    const TRIES: usize = 3;
    leptos::task::spawn_local(async move {
        for _ in 0..TRIES {
            let Some(before) = live.changes.try_get_value() else { return };
            let Ok(fresh) = load_thread(client_id, String::new()).await else { return };
            live.card.try_set(fresh.client);
            if live.changes.try_get_value() != Some(before) {
                continue;
            }
            live.state.try_set(fresh.state);
            live.mode.try_set(fresh.ai_mode);
            live.paused.try_set(fresh.ai_paused_until.zip(fresh.ai_paused_at));
            live.draft.try_set(fresh.ai_draft);
            return;
        }
    });
}

/// A message that arrived while the thread is in view has been seen: the read mark follows it (as
/// opening the thread does), so the inbox does not count it as unread.
fn mark_seen(client_id: i64, message_id: i64) {
    #[cfg(feature = "hydrate")]
    {
        let visible = web_sys::window()
            .and_then(|window| window.document())
            .is_some_and(|document| document.visibility_state() == web_sys::VisibilityState::Visible);
        if visible {
            leptos::task::spawn_local(async move {
                let _ = super::super::api::mark_chat_read(client_id, Some(message_id)).await;
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (client_id, message_id);
}

#[component]
fn Message(message: ThreadMessage, client_id: i64, newest: Memo<i64>, ai: ServerAction<AiAction>) -> impl IntoView {
    let mut class = format!("message message-{}", message.role);
    if message.private {
        class.push_str(" message-private");
    }
    let who = match (&message.author, message.role.as_str()) {
        (Some(author), "agent") => author.clone(),
        _ => role_label(&message.role).to_owned(),
    };
    view! {
        <li class=class data-testid="thread-message" data-id=message.id>
            <p class="message-meta">
                <strong>{who}</strong>
                {message.private.then(|| {
                    let badge = if message.role == "system" { "Only the team sees this" } else { "Private note" };
                    view! { " · " <span class="badge badge-accent">{badge}</span> }
                })}
                " · " <time datetime=message.at.to_rfc3339()>{message.sent_at.clone()}</time>
                {(message.delivery == "failed").then(|| view! {
                    " · " <span class="badge badge-danger">"Not delivered"</span>
                    {message.failure_reason.clone().map(|reason| view! { " " <span class="muted">{reason}</span> })}
                })}
            </p>
            <p class="message-body">{message.body.clone()}</p>
            {(message.role == "system" && message.delivery == "failed").then(|| {
                let id = message.id;
                view! {
                    <Show when=move || newest.get() == id>
                        <AiButton ai client_id action="retry" label="Retry the AI reply" form_class="inline-form message-actions" />
                    </Show>
                }
            })}
        </li>
    }
}

/// One of the AI's buttons on the thread: a small form (a plain post without JavaScript) asking
/// `ai_action` for `action`.
#[component]
fn AiButton(
    ai: ServerAction<AiAction>,
    client_id: i64,
    action: &'static str,
    label: &'static str,
    #[prop(optional)] quiet: bool,
    #[prop(default = "inline-form")] form_class: &'static str,
) -> impl IntoView {
    let class = if quiet { "button button-small button-quiet" } else { "button button-small" };
    view! {
        <ActionForm action=ai attr:class=form_class>
            <input type="hidden" name="client_id" value=client_id />
            <input type="hidden" name="action" value=action />
            <button type="submit" class=class data-action=action disabled=move || ai.pending().get()>{label}</button>
        </ActionForm>
    }
}

/// "AI suggests": the AI's draft answer, to send as is, edit in the composer, or discard.
#[component]
fn DraftCard(
    client_id: i64,
    draft: RwSignal<Option<AiDraft>>,
    ai: ServerAction<AiAction>,
    prefill: RwSignal<Option<String>>,
) -> impl IntoView {
    move || {
        draft.get().map(|draft| {
            let text = draft.text.clone();
            let edit = move |event: leptos::ev::MouseEvent| {
                event.prevent_default();
                prefill.set(Some(text.clone()));
            };
            view! {
                <section class="chat-draft" aria-label="The AI's suggested answer" data-testid="ai-draft">
                    <p class="message-meta"><strong>"AI suggests"</strong></p>
                    <p class="message-body">{draft.text.clone()}</p>
                    {draft.action.clone().map(|action| view! { <p class="hint">{action}</p> })}
                    <div class="form-actions">
                        <AiButton ai client_id action="send_draft" label="Send as is" />
                        <a class="button button-small button-quiet" href=format!("/chat/{client_id}?edit_draft=1#chat-body")
                            on:click=edit>"Edit"</a>
                        <AiButton ai client_id action="discard_draft" label="Discard" quiet=true />
                    </div>
                </section>
            }
        })
    }
}

/// The composer: a plain form post without JavaScript; with it, Enter sends and Shift+Enter makes
/// a new line. "Edit" on the AI's draft fills it (`prefill`, or `?edit_draft=1` without a script).
#[component]
fn Composer(
    client_id: i64,
    send: ServerAction<SendChatMessage>,
    prefill: RwSignal<Option<String>>,
    draft: Option<AiDraft>,
) -> impl IntoView {
    let error = action_error(send);
    let path = <SendChatMessage as leptos::server_fn::ServerFn>::PATH;
    let editing = use_query_map().get_untracked().get("edit_draft").is_some();
    let typed = crate::ui::form_flash::kept(path, "body").or_else(|| draft.filter(|_| editing).map(|draft| draft.text));
    let was_private = crate::ui::form_flash::kept(path, "private").is_some();
    let area = NodeRef::<leptos::html::Textarea>::new();
    // What was sent, so that its success clears the composer only if it still holds that: the
    // message can arrive through the live stream before the answer does, and the person may have
    // started the next one meanwhile.
    let sent = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        if let Some(input) = send.input().get() {
            sent.set_value(Some(input.body));
        }
    });
    Effect::new(move |_| {
        if matches!(send.value().get(), Some(Ok(_)))
            && let Some(area) = area.get_untracked()
        {
            let unchanged = sent.get_value().is_none_or(|body| body.trim() == area.value().trim());
            if unchanged {
                area.set_value("");
            }
            let _ = area.focus();
        }
    });
    Effect::new(move |_| {
        if let Some(text) = prefill.get()
            && let Some(area) = area.get_untracked()
        {
            area.set_value(&text);
            let _ = area.focus();
        }
    });
    let on_keydown = crate::chat::pages::composer::enter_sends(area);
    view! {
        <ActionForm action=send attr:class="form-stack chat-composer">
            <input type="hidden" name="client_id" value=client_id />
            <label class="visually-hidden" for="chat-body">"Message"</label>
            <textarea id="chat-body" name="body" rows="3" maxlength=MAX_MESSAGE_CHARS.to_string() node_ref=area
                placeholder="Write a message… (Enter sends, Shift+Enter for a new line)"
                aria-describedby="body-error" on:keydown=on_keydown
                inner_html=crate::ui::forms::textarea_html(&typed.unwrap_or_default())>
            </textarea>
            <FormError error />
            <FieldError error field="body" />
            <div class="form-actions chat-composer-actions">
                <label class="checkbox">
                    <input type="checkbox" name="private" value="on" checked=was_private data-testid="private-note" />
                    " Private note (only the team sees it)"
                </label>
                <button type="submit" class="button" disabled=move || send.pending().get()>
                    {move || if send.pending().get() { "Sending…" } else { "Send" }}
                </button>
            </div>
        </ActionForm>
    }
}

#[component]
fn ClientPanel(card: RwSignal<ClientCard>) -> impl IntoView {
    move || {
        let client = card.get();
        view! { <ClientFacts client /> }
    }
}

#[component]
fn ClientFacts(client: ClientCard) -> impl IntoView {
    let status_class = format!("badge status-{}", client.status);
    let id = client.id;
    let upcoming = client.upcoming.clone();
    view! {
        <section class="card" aria-labelledby="chat-client-heading" data-testid="chat-client-card">
            <h2 id="chat-client-heading">
                <a href=format!("/clients/{id}")>{client.name.clone()}</a>
            </h2>
            <dl class="facts">
                <dt>"Stage"</dt>
                <dd><span class=status_class>{status_label(&client.status)}</span></dd>
                {client.email.clone().map(|email| view! {
                    <dt>"Email"</dt><dd><a href=crate::ui::url::mailto(&email)>{email.clone()}</a></dd>
                })}
                {client.phone.clone().map(|phone| view! {
                    <dt>"Phone"</dt><dd><a href=format!("tel:{phone}")>{phone.clone()}</a></dd>
                })}
                {client.company.clone().map(|company| view! { <dt>"Company"</dt><dd>{company}</dd> })}
                <dt>"Strategy"</dt>
                <dd><a href=format!("/strategies/{}", client.strategy_id)>{client.strategy_name.clone()}</a></dd>
                <dt>"Owner"</dt><dd>{client.owner_name.clone()}</dd>
                <dt>"Bookings"</dt>
                <dd data-testid="chat-card-bookings">
                    {if upcoming.is_empty() {
                        view! { <span class="muted">"None coming up"</span> }.into_any()
                    } else {
                        view! {
                            <ul class="card-bookings">
                                {upcoming.into_iter().map(|booking| view! {
                                    <li><a href=format!("/bookings/{}", booking.id)>{booking.starts}</a>
                                        " " <span class="muted">{booking.title}</span></li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </dd>
            </dl>
            <div class="form-actions">
                <a class="button" href=format!("/bookings/new?client={id}") data-testid="chat-book-a-time">"Book a time"</a>
                <a class="button button-quiet" href=format!("/clients/{id}")>"Client page"</a>
            </div>
        </section>
    }
}

/// The AI mode (one small form per choice, so each is a plain post) and the state.
#[component]
fn ConversationControls(
    client_id: i64,
    mode: RwSignal<AiMode>,
    state: RwSignal<ConversationState>,
    paused: RwSignal<Option<(String, DateTime<Utc>)>>,
    set_mode: ServerAction<SetChatAiMode>,
    set_state: ServerAction<SetChatState>,
    ai: ServerAction<AiAction>,
) -> impl IntoView {
    let mode_error = action_error(set_mode);
    let state_error = action_error(set_state);
    let next = move || match state.get() {
        ConversationState::Closed => (ConversationState::Open, "Reopen the conversation"),
        _ => (ConversationState::Closed, "Close the conversation"),
    };
    view! {
        <section class="card" aria-labelledby="chat-ai-heading">
            <h2 id="chat-ai-heading">"AI persona"</h2>
            <div class="segmented chat-ai-modes" role="group" aria-label="AI mode" data-testid="ai-mode">
                {AiMode::ALL.into_iter().map(|choice| view! {
                    <ActionForm action=set_mode attr:class="inline-form">
                        <input type="hidden" name="client_id" value=client_id />
                        <input type="hidden" name="mode" value=choice.as_str() />
                        <button type="submit" class="segment"
                            aria-pressed=move || if choice == mode.get() { "true" } else { "false" }
                            data-mode=choice.as_str()>
                            {choice.label()}
                        </button>
                    </ActionForm>
                }).collect_view()}
            </div>
            <p class="hint">
                "With “AI answers”, the persona of the client's strategy answers each message of the lead. "
                "A message of yours cancels an answer it was preparing and pauses it for the strategy's takeover time."
            </p>
            <FormError error=mode_error />
            {move || paused.get().filter(|_| mode.get() == AiMode::Auto).map(|(until, _)| view! {
                <div class="chat-paused" data-testid="ai-paused">
                    <p>{format!("The AI is paused until {until}: a person answered the lead.")}</p>
                    <AiButton ai client_id action="resume" label="Resume the AI now" />
                </div>
            })}
            <ActionForm action=set_state attr:class="inline-form">
                <input type="hidden" name="client_id" value=client_id />
                <input type="hidden" name="state" value=move || next().0.as_str() />
                <button type="submit" class="button button-quiet" data-testid="conversation-toggle">
                    {move || next().1}
                </button>
            </ActionForm>
            <FormError error=state_error />
        </section>
    }
}
