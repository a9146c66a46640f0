//! `/chat`: the inbox. Conversations with the newest activity first, a page at a time (the
//! address holds the filters and the page's start), unread counts for the viewer, and, with
//! JavaScript, live: any event of the stream reloads the page's data in place.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{super::api::load_inbox, live::use_chat_stream, query_string};
use crate::{
    chat::model::{AiMode, ChatEvent, ConversationState, InboxPage, InboxQuery, InboxRow, UNREAD_CAP, role_label},
    clients::model::{STATUSES, status_label},
    shared::numbers::group_thousands,
    ui::{forms::OwnerFilter, page::PageHeader},
};

fn current_query() -> Memo<InboxQuery> {
    let query = use_query_map();
    Memo::new(move |_| {
        let map = query.read();
        let get = |key: &str| map.get(key).unwrap_or_default();
        InboxQuery {
            q: get("q"),
            show: get("show"),
            ai: get("ai"),
            stage: get("stage"),
            owner: get("owner"),
            from: get("from"),
            to: get("to"),
            after: get("after"),
        }
    })
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let query = current_query();
    let (refresh, set_refresh) = signal(0u32);
    let page = Resource::new(move || (query.get(), refresh.get()), |(query, _)| load_inbox(query));
    // A hand-off comes with its note and its state change, which refresh the list already.
    // A (re)opened stream replays no state change: the page reads itself again.
    // Once for a burst of events.
    let reload = crate::ui::live::settled_reload(move || set_refresh.update(|n| *n = n.wrapping_add(1)));
    use_chat_stream(
        None,
        move |event| {
            if !matches!(event, ChatEvent::HandedOff { .. }) {
                reload();
            }
        },
        reload,
    );
    view! {
        <PageHeader title="Chat" subtitle="Conversations with your leads, the newest activity first." />
        <section class="card inbox-card" aria-label="Conversations">
            <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading conversations…" lines=6 /> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <Inbox page query=query.get_untracked() /> }.into_any(),
                        Err(error) => view! { <p class="error-panel" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Inbox(page: InboxPage, query: InboxQuery) -> impl IntoView {
    let filtered = !(query.q.is_empty()
        && query.show.is_empty()
        && query.ai.is_empty()
        && query.stage.is_empty()
        && query.owner.is_empty()
        && query.from.is_empty()
        && query.to.is_empty());
    let next = page.next.clone().map(|after| {
        format!(
            "/chat{}",
            query_string(&[
                ("q", &query.q),
                ("show", &query.show),
                ("ai", &query.ai),
                ("stage", &query.stage),
                ("owner", &query.owner),
                ("from", &query.from),
                ("to", &query.to),
                ("after", &after),
            ])
        )
    });
    let first = (!query.after.is_empty()).then(|| {
        format!(
            "/chat{}",
            query_string(&[
                ("q", &query.q),
                ("show", &query.show),
                ("ai", &query.ai),
                ("stage", &query.stage),
                ("owner", &query.owner),
                ("from", &query.from),
                ("to", &query.to),
            ])
        )
    });
    let searched = page.searched;
    let earlier = !query.after.is_empty();
    // A window is read for a common search or, without one, for a range of days many
    // conversations were active in.
    let (many, narrow) = if query.q.trim().is_empty() {
        ("Many conversations were active in these days", "or choose fewer days")
    } else {
        ("Many clients match", "or add a word")
    };
    let rows_empty = page.rows.is_empty();
    view! {
        <InboxFilters query=query.clone() owners=page.owners.clone() />
        {if page.rows.is_empty() && searched.is_some() {
            view! {
                <div class="empty-state" data-testid="inbox-empty">
                    <p class="empty-title">
                        {format!(
                            "No match in the {} {} conversations.",
                            group_thousands(searched.unwrap_or_default()),
                            if earlier { "next" } else { "most recent" },
                        )}
                    </p>
                    <p class="muted">{format!("{many}: search older conversations, {narrow}.")}</p>
                </div>
            }
            .into_any()
        } else if page.rows.is_empty() {
            view! {
                <div class="empty-state" data-testid="inbox-empty">
                    <p class="empty-title">
                        {if filtered { "No conversation matches these filters." } else { "No conversations yet." }}
                    </p>
                    <p class="muted">
                        {if filtered {
                            "Clear the filters to see every conversation."
                        } else {
                            "A conversation starts with the first message to or from a client: open a client and write."
                        }}
                    </p>
                </div>
            }
            .into_any()
        } else {
            view! {
                <ul class="inbox-list" data-testid="inbox-list">
                    {page.rows.into_iter().map(|row| view! { <InboxItem row /> }).collect_view()}
                </ul>
            }
            .into_any()
        }}
        {(next.is_some() || first.is_some()).then(|| view! {
            <nav class="pager" aria-label="Conversation pages">
                {(searched.is_some() && !rows_empty).then(|| view! {
                    <p class="muted" data-testid="inbox-searched">
                        {format!(
                            "{many}: these are the matches in the {} {} conversations.",
                            group_thousands(searched.unwrap_or_default()),
                            if earlier { "next" } else { "most recent" },
                        )}
                    </p>
                })}
                {first.map(|href| view! { <a class="button button-quiet" href=href>"Newest"</a> })}
                {next.map(|href| view! {
                    <a class="button button-quiet" href=href data-testid="inbox-older">
                        {if searched.is_some() { "Search older" } else { "Older" }}
                    </a>
                })}
            </nav>
        })}
    }
}

#[component]
fn InboxItem(row: InboxRow) -> impl IntoView {
    let unread = row.unread;
    let waiting = row.state == ConversationState::Waiting;
    let class = if unread > 0 { "inbox-item inbox-unread" } else { "inbox-item" };
    let preview_label =
        if row.preview_private { "Private note".to_owned() } else { role_label(&row.preview_role).to_owned() };
    let status_class = format!("badge status-{}", row.client_status);
    view! {
        <li class=class data-testid="inbox-item" data-client=row.client_id>
            <a class="inbox-link" href=format!("/chat/{}", row.client_id)>
                <span class="inbox-top">
                    <strong class="inbox-name">{row.client_name.clone()}</strong>
                    <span class="muted inbox-time">{row.last_activity.clone()}</span>
                </span>
                <span class="inbox-preview">
                    {(!row.preview.is_empty()).then(|| view! {
                        <span class="inbox-who">{preview_label} ": "</span>
                    })}
                    {row.preview.clone()}
                </span>
                <span class="inbox-badges">
                    <span class=status_class>{status_label(&row.client_status)}</span>
                    {waiting.then(|| view! { <span class="badge badge-danger">"Waiting"</span> })}
                    {(row.state == ConversationState::Closed).then(|| view! { <span class="badge badge-neutral">"Closed"</span> })}
                    {(row.ai_mode != AiMode::Off).then(|| view! { <span class="badge badge-accent">{row.ai_mode.label()}</span> })}
                    {row.owner_name.clone().map(|owner| view! { <span class="muted">{owner}</span> })}
                    {(unread > 0).then(|| {
                        let shown = if unread >= UNREAD_CAP { format!("{UNREAD_CAP}+") } else { unread.to_string() };
                        let label = format!("{shown} unread");
                        view! {
                            <span class="badge badge-ok inbox-count" data-testid="unread-count"
                                aria-label=label>{shown}</span>
                        }
                    })}
                </span>
            </a>
        </li>
    }
}

/// A GET form: without JavaScript the browser loads `/chat?…`; with it as well (a full load keeps
/// the stream simple and the page is small). On a phone the filters other than the search fold
/// behind a button, as the clients list's do.
#[component]
fn InboxFilters(query: InboxQuery, owners: Vec<(i64, String)>) -> impl IntoView {
    let option = |value: &'static str, label: &'static str, current: &str| {
        view! { <option value=value selected=current == value>{label}</option> }
    };
    let show = query.show.clone();
    let ai = query.ai.clone();
    let stage = query.stage.clone();
    let owner = query.owner.clone();
    let active = [&query.show, &query.ai, &query.stage, &query.from, &query.to]
        .into_iter()
        .filter(|value| !value.is_empty())
        .count()
        + usize::from(!owners.is_empty() && !owner.is_empty());
    view! {
        <form method="get" action="/chat" class="filters inbox-filters" role="search">
            <div class="field grow">
                <label for="inbox-q">"Search"</label>
                <input id="inbox-q" type="search" name="q" placeholder="Name, email, phone or company" value=query.q.clone()
                    maxlength="200" autocomplete="off" />
            </div>
            <details class="filter-fold" open={active > 0}>
                <summary class="button button-quiet">
                    "Filters"
                    {(active > 0).then(|| view! { <span class="badge badge-accent">{active}</span> })}
                </summary>
                <div class="filter-fields">
                    <div class="field">
                        <label for="inbox-show">"Show"</label>
                        <select id="inbox-show" name="show">
                            {option("", "All conversations", &show)}
                            {option("waiting", "Waiting for a reply", &show)}
                            {option("unread", "Unread", &show)}
                        </select>
                    </div>
                    <div class="field">
                        <label for="inbox-ai">"AI mode"</label>
                        <select id="inbox-ai" name="ai">
                            {option("", "Any AI mode", &ai)}
                            {AiMode::ALL.into_iter().map(|mode| option(mode.as_str(), mode.label(), &ai)).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="inbox-stage">"Stage"</label>
                        <select id="inbox-stage" name="stage">
                            {option("", "Any stage", &stage)}
                            {STATUSES.iter().map(|(value, label)| option(value, label, &stage)).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="inbox-from">"Active from"</label>
                        <input id="inbox-from" type="date" name="from" value=query.from.clone() />
                    </div>
                    <div class="field">
                        <label for="inbox-to">"Active until"</label>
                        <input id="inbox-to" type="date" name="to" value=query.to.clone() />
                    </div>
                    {(!owners.is_empty()).then(|| view! {
                        <OwnerFilter id="inbox-owner" owners selected=owner.trim().parse().ok() />
                    })}
                    <button type="submit" class="button button-quiet">"Filter"</button>
                </div>
            </details>
        </form>
    }
}
