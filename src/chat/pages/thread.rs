//! `/chat/{client_id}`: the conversation with one client. The messages oldest to newest (older
//! ones a link away, keyed by time and id), the composer (Enter sends, Shift+Enter makes a new
//! line; a private-note box), the AI mode and the state, and the client's card beside it.
//! Without JavaScript every form is a plain post that comes back here; with it, the thread
//! reloads in place after a send and whenever the stream brings news of this client.
//! Everything a lead wrote is text nodes: escaped, never markup.
use leptos::{form::ActionForm, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    super::api::{SendChatMessage, SetChatAiMode, SetChatState, load_thread},
    live::use_chat_stream,
    query_string,
};
use crate::{
    chat::model::{AiMode, ClientCard, ConversationState, MAX_MESSAGE_CHARS, Thread, ThreadMessage, role_label},
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
    let (refresh, set_refresh) = signal(0u32);
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
                refresh.get(),
                sent.get(),
                set_mode.version().get(),
                set_state.version().get(),
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
    use_chat_stream(None, move |event| {
        if Some(event.client_id()) == client_id.get_untracked() {
            set_refresh.update(|n| *n = n.wrapping_add(1));
        }
    });
    let title = move || thread.get().and_then(Result::ok).map(|thread| thread.client.name).unwrap_or_default();
    view! {
        <Title text=title />
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading the conversation…" lines=8 /> }>
            {move || Suspend::new(async move {
                match thread.await {
                    Ok(thread) => view! { <ThreadView thread send set_mode set_state /> }.into_any(),
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
) -> impl IntoView {
    let client = thread.client.clone();
    let id = client.id;
    let older = thread.older.clone().map(|cursor| format!("/chat/{id}{}", query_string(&[("older", &cursor)])));
    let paged = !use_query_map().get_untracked().get("older").unwrap_or_default().is_empty();
    let state_class = match thread.state {
        ConversationState::Waiting => "badge badge-danger",
        ConversationState::Closed => "badge badge-neutral",
        ConversationState::Open => "badge badge-ok",
    };
    view! {
        <header class="page-header">
            <div>
                <p class="breadcrumb"><a href="/chat">"Chat"</a></p>
                <h1>
                    {client.name.clone()} " "
                    <span class=state_class data-testid="conversation-state">{thread.state.label()}</span>
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
                {if thread.messages.is_empty() {
                    view! { <p class="muted" data-testid="thread-empty">"No messages yet. Write the first one below."</p> }
                        .into_any()
                } else {
                    // The wrapper starts scrolled to its end (the newest), without a script.
                    view! {
                        <div class="chat-scroll">
                            <ol class="messages chat-messages" data-testid="thread-messages" aria-live="polite">
                                {thread.messages.into_iter().map(|message| view! { <Message message /> }).collect_view()}
                            </ol>
                        </div>
                    }
                    .into_any()
                }}
                {paged.then(|| view! {
                    <p class="hint"><a href=format!("/chat/{id}")>"Back to the newest messages"</a></p>
                })}
                <Composer client_id=id send />
            </section>
            <aside class="chat-side">
                <ClientPanel client />
                <ConversationControls client_id=id mode=thread.ai_mode state=thread.state set_mode set_state />
            </aside>
        </div>
    }
}

#[component]
fn Message(message: ThreadMessage) -> impl IntoView {
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
                {message.private.then(|| view! { " · " <span class="badge badge-accent">"Private note"</span> })}
                " · " <time datetime=message.at.to_rfc3339()>{message.sent_at.clone()}</time>
                {(message.delivery == "failed").then(|| view! {
                    " · " <span class="badge badge-danger">"Not delivered"</span>
                    {message.failure_reason.clone().map(|reason| view! { " " <span class="muted">{reason}</span> })}
                })}
            </p>
            <p class="message-body">{message.body.clone()}</p>
        </li>
    }
}

/// The composer: a plain form post without JavaScript; with it, Enter sends and Shift+Enter makes
/// a new line.
#[component]
fn Composer(client_id: i64, send: ServerAction<SendChatMessage>) -> impl IntoView {
    let error = action_error(send);
    let path = <SendChatMessage as leptos::server_fn::ServerFn>::PATH;
    let typed = crate::ui::form_flash::kept(path, "body");
    let was_private = crate::ui::form_flash::kept(path, "private").is_some();
    let area = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if matches!(send.value().get(), Some(Ok(_)))
            && let Some(area) = area.get_untracked()
        {
            area.set_value("");
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
fn ClientPanel(client: ClientCard) -> impl IntoView {
    let status_class = format!("badge status-{}", client.status);
    let id = client.id;
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
    mode: AiMode,
    state: ConversationState,
    set_mode: ServerAction<SetChatAiMode>,
    set_state: ServerAction<SetChatState>,
) -> impl IntoView {
    let mode_error = action_error(set_mode);
    let state_error = action_error(set_state);
    let (next_state, next_label) = match state {
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
                        <button type="submit" class="segment" aria-pressed=if choice == mode { "true" } else { "false" }
                            data-mode=choice.as_str()>
                            {choice.label()}
                        </button>
                    </ActionForm>
                }).collect_view()}
            </div>
            <p class="hint">"Until the AI persona is connected, leads' messages wait for a person."</p>
            <FormError error=mode_error />
            <ActionForm action=set_state attr:class="inline-form">
                <input type="hidden" name="client_id" value=client_id />
                <input type="hidden" name="state" value=next_state.as_str() />
                <button type="submit" class="button button-quiet" data-testid="conversation-toggle">{next_label}</button>
            </ActionForm>
            <FormError error=state_error />
        </section>
    }
}
