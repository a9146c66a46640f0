//! `/clients/{id}`: everything about one lead. The profile with its status and notes, the
//! conversation and the activity timeline (both latest first, paged through the URL, so links
//! and the back button work), and the bookings.
use leptos::{form::ActionForm, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    detail::{ActivityEntry, ClientDetail, MessageRow, NoteEntry, TimelinePage, role_label},
    detail_api::{
        AddClientNote, DeleteClient, MoveClient, client_activity, client_messages, client_notes, client_profile,
    },
    model::{STATUSES, status_label},
};
use crate::{
    shared::AppError,
    ui::forms::{FieldError, FormError, action_error},
};

fn loading(what: &'static str) -> impl IntoView {
    view! { <crate::ui::page::Skeleton label=what lines=3 /> }
}

/// A timeline that could not load. For a client that cannot be shown at all, nothing: the page's
/// one error message says it.
fn failure(error: AppError) -> AnyView {
    match error {
        AppError::NotFound(_) | AppError::Forbidden => ().into_any(),
        error => view! { <p class="error-panel" role="alert">{error.to_string()}</p> }.into_any(),
    }
}

#[component]
pub fn ClientPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()));
    let param = move |key: &'static str| move || query.read().get(key).unwrap_or_default();
    let status_change = ServerAction::<MoveClient>::new();
    crate::ui::toast::announce(status_change.value(), "Stage changed.");
    let note_added = ServerAction::<AddClientNote>::new();
    crate::ui::toast::announce(note_added.value(), "Note added.");
    let detail = Resource::new_blocking(
        move || (id.get(), status_change.version().get()),
        |(id, _)| {
            crate::ui::page::page_data(async move {
                match id {
                    Some(id) => client_profile(id).await,
                    None => Err(AppError::NotFound("This client".to_owned())),
                }
            })
        },
    );
    let (messages_older, messages_newer) = (param("messages_older"), param("messages_newer"));
    let messages = Resource::new(
        move || (id.get(), messages_older(), messages_newer()),
        |(id, older, newer)| client_messages(id.unwrap_or_default(), older, newer),
    );
    let (notes_older, notes_newer) = (param("notes_older"), param("notes_newer"));
    // Reloaded after a note is added, not after a refused one (which keeps what was typed).
    let notes_added = Memo::new(move |previous: Option<&usize>| {
        let version = note_added.version().get();
        if note_added.value().with(|outcome| matches!(outcome, Some(Ok(_)))) {
            version
        } else {
            previous.copied().unwrap_or_default()
        }
    });
    // Awaited with the profile, in its part of the page: a part of its own nested in the profile
    // would be streamed in a template that only a script moves into place (no notes without
    // JavaScript).
    let notes = Resource::new_blocking(
        move || (id.get(), notes_older(), notes_newer(), notes_added.get()),
        |(id, older, newer, _)| client_notes(id.unwrap_or_default(), older, newer),
    );
    let (activity_older, activity_newer) = (param("activity_older"), param("activity_newer"));
    let activity = Resource::new(
        move || {
            (id.get(), activity_older(), activity_newer(), status_change.version().get(), note_added.version().get())
        },
        |(id, older, newer, _, _)| client_activity(id.unwrap_or_default(), older, newer),
    );
    let timelines = move || {
        view! {
            <div class="client-columns">
                <section class="card" aria-labelledby="conversation-heading">
                    <h2 id="conversation-heading">"Conversation"</h2>
                    <Transition fallback=|| loading("Loading messages…")>
                        {move || Suspend::new(async move {
                            match messages.await {
                                Ok(page) => view! { <Conversation page /> }.into_any(),
                                Err(error) => failure(error),
                            }
                        })}
                    </Transition>
                </section>
                <section class="card" aria-labelledby="activity-heading">
                    <h2 id="activity-heading">"Activity"</h2>
                    <Transition fallback=|| loading("Loading activity…")>
                        {move || Suspend::new(async move {
                            match activity.await {
                                Ok(page) => view! { <Activity page /> }.into_any(),
                                Err(error) => failure(error),
                            }
                        })}
                    </Transition>
                </section>
            </div>
        }
    };
    // The title is read when the document's head is written, which waits for this blocking
    // resource: set inside the streamed part, it could miss the head.
    let title = move || detail.get().and_then(Result::ok).map(|client| client.name).unwrap_or_default();
    view! {
        <Title text=title />
        <Transition fallback=|| loading("Loading the client…")>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(client) => {
                        let notes = notes.await;
                        view! { <ClientSummary client status_change note_added notes /> }.into_any()
                    }
                    Err(error) => {
                        view! { <crate::ui::page::ErrorPage error back_href="/clients" back_label="Back to the clients" /> }
                            .into_any()
                    }
                }
            })}
        </Transition>
        {timelines()}
    }
}

/// The notes log's page, loaded by the page (a resource made inside the streamed summary would be
/// made again each time the summary renders) with the profile.
type NotesPage = Result<TimelinePage<NoteEntry>, AppError>;

/// `?{key}_older=…` links of a timeline, keeping the other timeline's position.
fn timeline_links<T>(page: &TimelinePage<T>, key: &str) -> (Option<String>, Option<String>) {
    let query = use_query_map().get_untracked();
    let link = |direction: &str, cursor: &str| {
        let mut query = query.clone();
        query.remove(&format!("{key}_older"));
        query.remove(&format!("{key}_newer"));
        query.insert(format!("{key}_{direction}"), cursor.to_owned());
        query.to_query_string()
    };
    (
        page.newer.as_deref().map(|cursor| link("newer", cursor)),
        page.older.as_deref().map(|cursor| link("older", cursor)),
    )
}

#[component]
fn ClientSummary(
    client: ClientDetail,
    status_change: ServerAction<MoveClient>,
    note_added: ServerAction<AddClientNote>,
    notes: NotesPage,
) -> impl IntoView {
    let status_error = action_error(status_change);
    let subtitle =
        [client.position.clone(), client.company.clone()].into_iter().flatten().collect::<Vec<_>>().join(", ");
    let status_class = format!("badge status-{}", client.status);
    let fact = |label: &'static str, value: Option<String>| {
        value.filter(|value| !value.is_empty()).map(|value| view! { <dt>{label}</dt><dd>{value}</dd> })
    };
    let id = client.id;
    let bookings = client.clone();
    view! {
        <header class="page-header">
            <div>
                <p class="breadcrumb"><a href="/clients">"Clients"</a></p>
                <h1>{client.name.clone()} " " <span class=status_class data-testid="client-status">{status_label(&client.status)}</span></h1>
                <p class="muted">{subtitle}</p>
            </div>
            <div class="page-actions">
                <a class="button button-quiet" href=format!("/bookings/new?client={id}") data-testid="book-a-time">"Book a time"</a>
                <a class="button" href=format!("/clients/{id}/edit")>"Edit"</a>
            </div>
        </header>
        <div class="client-grid">
            <section class="card" aria-labelledby="profile-heading">
                <h2 id="profile-heading">"Profile"</h2>
                <dl class="facts">
                    {client.email.clone().map(|email| view! {
                        <dt>"Email"</dt><dd><a href=crate::ui::url::mailto(&email)>{email.clone()}</a></dd>
                    })}
                    {client.phone.clone().map(|phone| view! {
                        <dt>"Phone"</dt><dd><a href=format!("tel:{phone}")>{phone.clone()}</a></dd>
                    })}
                    {fact("Company", client.company.clone())}
                    {fact("Position", client.position.clone())}
                    {fact("External id", client.external_id.clone())}
                    <dt>"Strategy"</dt>
                    <dd><a href=format!("/strategies/{}", client.strategy_id)>{client.strategy_name.clone()}</a></dd>
                    <dt>"Owner"</dt><dd>{client.owner_name.clone()}</dd>
                    <dt>"Added"</dt><dd>{client.created_at.clone()}</dd>
                    <dt>"Last activity"</dt><dd>{client.last_activity_at.clone()}</dd>
                </dl>
                <p class="hint">"Times in " {client.timezone.clone()} "."</p>
            </section>
            <section class="card" aria-labelledby="stage-heading">
                <h2 id="stage-heading">"Pipeline stage"</h2>
                <StageTrack status=client.status.clone() />
                <ActionForm action=status_change attr:class="inline-form">
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="back" value=format!("/clients/{id}") />
                    <label for="client-status-select">"Stage"</label>
                    <select id="client-status-select" name="status">
                        {STATUSES.iter().map(|(value, label)| {
                            view! { <option value=*value selected=client.status == *value>{*label}</option> }
                        }).collect_view()}
                    </select>
                    <button type="submit" class="button" disabled=move || status_change.pending().get()>"Move"</button>
                </ActionForm>
                <FormError error=status_error />
                <FieldError error=status_error field="status" />
            </section>
            <Notes id initial=client.initial_notes.clone() added=client.created_at.clone() note_added log=notes />
            <Bookings client=bookings />
        </div>
        <DeleteClientForm id name=client.name.clone() />
    }
}

/// Where the client is on the way from lead to won: the stages passed, the current one, the ones
/// ahead; a lost client shows the stages greyed, with the loss at the end.
#[component]
fn StageTrack(status: String) -> impl IntoView {
    let path: Vec<_> = STATUSES.iter().filter(|(value, _)| *value != "lost").collect();
    let lost = status == "lost";
    let reached = path.iter().position(|(value, _)| *value == status);
    view! {
        <ol class="stage-track" aria-label="Pipeline">
            {path.iter().enumerate().map(|(index, (value, label))| {
                let state = match reached {
                    Some(current) if index < current => "passed",
                    Some(current) if index == current => "current",
                    _ => "ahead",
                };
                let class = format!("stage-step stage-step-{state} status-{value}");
                let current = (state == "current").then_some("step");
                view! { <li class=class aria-current=current><span class="stage-step-dot"></span>{*label}</li> }
            }).collect_view()}
            {lost.then(|| view! {
                <li class="stage-step stage-step-current status-lost" aria-current="step">
                    <span class="stage-step-dot"></span>"Lost"
                </li>
            })}
        </ol>
    }
}

/// Deleting asks for a ticked box first; without JavaScript the disclosure and the form still work.
#[component]
fn DeleteClientForm(id: i64, name: String) -> impl IntoView {
    let delete = ServerAction::<DeleteClient>::new();
    crate::ui::toast::announce(delete.value(), "Client deleted.");
    let error = action_error(delete);
    view! {
        <details class="card disclosure delete-client" open=move || error.get().is_some()>
            <summary>"Delete this client…"</summary>
            <ActionForm action=delete attr:class="form-stack">
                <FormError error />
                <input type="hidden" name="id" value=id />
                <p>
                    "Deletes " <strong>{name.clone()}</strong> ", the conversation and the notes. Bookings stay in the "
                    "calendar without the client. The activity log keeps what the client held."
                </p>
                <label class="checkbox">
                    <input type="checkbox" name="confirm" value="on" aria-describedby="confirm-error" />
                    " Yes, delete " {name}
                </label>
                <FieldError error field="confirm" />
                <div class="form-actions">
                    <button type="submit" class="button button-danger" disabled=move || delete.pending().get()>
                        "Delete permanently"
                    </button>
                </div>
            </ActionForm>
        </details>
    }
}

/// The notes log: a box to add one, then the notes newest first (paged through the URL), and the
/// notes given when the client was added, last.
#[component]
fn Notes(
    id: i64,
    initial: String,
    added: String,
    note_added: ServerAction<AddClientNote>,
    log: NotesPage,
) -> impl IntoView {
    let error = action_error(note_added);
    let typed = crate::ui::form_flash::kept(<AddClientNote as leptos::server_fn::ServerFn>::PATH, "body");
    let note_box = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if matches!(note_added.value().get(), Some(Ok(_)))
            && let Some(area) = note_box.get_untracked()
        {
            area.set_value("");
        }
    });
    let initial = (!initial.trim().is_empty()).then_some(initial);
    view! {
        <section class="card notes" aria-labelledby="notes-heading">
            <h2 id="notes-heading">"Notes"</h2>
            <ActionForm action=note_added attr:class="form-stack">
                <input type="hidden" name="id" value=id />
                <label class="visually-hidden" for="client-note">"New note"</label>
                <textarea id="client-note" name="body" rows="3" maxlength="20000" node_ref=note_box
                    placeholder="Add a note: a call, what they asked, what comes next…"
                    aria-describedby="body-error" inner_html=crate::ui::forms::textarea_html(&typed.unwrap_or_default())>
                </textarea>
                <FormError error />
                <FieldError error field="body" />
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || note_added.pending().get()>
                        {move || if note_added.pending().get() { "Adding…" } else { "Add note" }}
                    </button>
                </div>
            </ActionForm>
            {match log {
                Ok(page) if page.items.is_empty() && page.newer.is_none() && initial.is_none() => {
                    view! { <p class="muted" data-testid="notes-empty">"No notes yet."</p> }.into_any()
                }
                Ok(page) => view! { <NoteLog page /> }.into_any(),
                Err(error) => failure(error),
            }}
            {initial.map(|text| view! {
                <div class="note note-initial" data-testid="initial-notes">
                    <p class="note-meta">"Given when the client was added · " {added}</p>
                    <p class="note-body">{text}</p>
                </div>
            })}
        </section>
    }
}

#[component]
fn NoteLog(page: TimelinePage<NoteEntry>) -> impl IntoView {
    let (newer, older) = timeline_links(&page, "notes");
    view! {
        <ol class="notes-log" data-testid="client-notes">
            {page.items.into_iter().map(|note| view! {
                <li class="note">
                    <p class="note-meta"><strong>{note.author}</strong> " · " {note.at}</p>
                    <p class="note-body">{note.body}</p>
                </li>
            }).collect_view()}
        </ol>
        <TimelinePager newer older label="Note pages" />
    }
}

#[component]
fn Bookings(client: ClientDetail) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="bookings-heading">
            <h2 id="bookings-heading">"Bookings"</h2>
            {if client.bookings.is_empty() {
                view! { <p class="muted" data-testid="bookings-empty">"No appointments booked yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="booking-list" data-testid="client-bookings">
                        {client.bookings.into_iter().map(|booking| view! {
                            <li>
                                <a href=format!("/bookings/{}", booking.id)><strong>{booking.subject}</strong></a>
                                " " <span class="badge badge-neutral">{booking.status.replace('_', " ")}</span>
                                <br />
                                <span class="muted">{booking.starts_at} " – " {booking.ends_at}</span>
                                {booking.location.map(|location| view! { <br /><span class="muted">{location}</span> })}
                            </li>
                        }).collect_view()}
                    </ul>
                    {client.more_bookings.then(|| view! { <p class="hint">"Showing the latest 20 bookings."</p> })}
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn TimelinePager(newer: Option<String>, older: Option<String>, label: &'static str) -> impl IntoView {
    (newer.is_some() || older.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label=label>
                {newer.map(|href| view! { <a class="button button-quiet" href=href>"Newer"</a> })}
                {older.map(|href| view! { <a class="button button-quiet" href=href>"Older"</a> })}
            </nav>
        }
    })
}

#[component]
fn Conversation(page: TimelinePage<MessageRow>) -> impl IntoView {
    let (newer, older) = timeline_links(&page, "messages");
    if page.items.is_empty() {
        return view! { <p class="muted" data-testid="messages-empty">"No messages yet."</p> }.into_any();
    }
    view! {
        <ol class="messages" data-testid="client-messages">
            {page.items.into_iter().map(|message| {
                let class = format!("message message-{}", message.role);
                view! {
                    <li class=class>
                        <p class="message-meta">
                            <strong>{role_label(&message.role)}</strong>
                            " · " {message.sent_at} " · " {message.channel}
                        </p>
                        <p class="message-body">{message.body}</p>
                    </li>
                }
            }).collect_view()}
        </ol>
        <TimelinePager newer older label="Conversation pages" />
    }
    .into_any()
}

#[component]
fn Activity(page: TimelinePage<ActivityEntry>) -> impl IntoView {
    let (newer, older) = timeline_links(&page, "activity");
    if page.items.is_empty() {
        return view! { <p class="muted">"No recorded activity."</p> }.into_any();
    }
    view! {
        <ol class="timeline" data-testid="client-activity">
            {page.items.into_iter().map(|entry| view! {
                <li>
                    <p><strong>{entry.actor}</strong> " " {entry.verb} <span class="muted">" · " {entry.at}</span></p>
                    {(!entry.changes.is_empty()).then(|| view! {
                        <ul class="changes">
                            {entry.changes.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                        </ul>
                    })}
                </li>
            }).collect_view()}
        </ol>
        <TimelinePager newer older label="Activity pages" />
    }
    .into_any()
}
