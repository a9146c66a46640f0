//! `/pipeline`: the board. A card moves by dragging it onto another stage, or with its Move menu
//! (the keyboard way, and a plain form post without JavaScript). The board changes at once and
//! the move is undone, with a message, if the server refuses it.
use leptos::prelude::*;

use super::{
    api::client_filters,
    detail_api::{load_pipeline, move_client},
    list_page::{FilterForm, current_query},
    model::{ClientQuery, STATUSES, status_label},
    pipeline::{PipelineBoard, PipelineCard},
};
use crate::ui::page::PageHeader;

#[component]
pub fn PipelinePage() -> impl IntoView {
    let query = current_query();
    let board = Resource::new(move || query.get(), load_pipeline);
    let filters = Resource::new(|| (), |_| client_filters());
    view! {
        <PageHeader title="Pipeline" subtitle="Drag a card to another stage, or use its Move menu." />
        <section class="card" aria-label="Filters">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let filters = filters.await.unwrap_or_default();
                    view! { <FilterForm query=query.get_untracked() filters with_status=false /> }
                })}
            </Transition>
        </section>
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading the board…" lines=8 /> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(board) => view! { <Board board query=query.get_untracked() /> }.into_any(),
                    Err(error) => view! { <p class="card error-panel" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Puts the keyboard focus back on a card's Move button after the card changed columns.
fn focus_move_button(id: i64) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let button = document()
            .get_element_by_id(&format!("move-button-{id}"))
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(button) = button {
            let _ = button.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

#[derive(Clone, Copy)]
struct BoardState {
    board: RwSignal<PipelineBoard>,
    dragged: RwSignal<Option<i64>>,
    drop_target: RwSignal<Option<&'static str>>,
    message: RwSignal<(bool, String)>,
    toasts: Option<crate::ui::toast::Toasts>,
}

impl BoardState {
    /// Moves the card on the board, then on the server; puts it back if the server refuses.
    fn move_card(self, id: i64, to: &'static str) {
        let Some((from, name)) = self.board.with_untracked(|board| {
            board.columns.iter().find_map(|column| {
                column.cards.iter().find(|card| card.id == id).map(|card| (column.status.clone(), card.name.clone()))
            })
        }) else {
            return;
        };
        if from == to || !self.board.try_update(|board| board.move_card(id, to)).unwrap_or(false) {
            return;
        }
        self.message.set((false, format!("Moved {name} to {}.", status_label(to))));
        focus_move_button(id);
        leptos::task::spawn_local(async move {
            if let Err(error) = move_client(id, to.to_owned(), String::new()).await {
                self.board.update(|board| {
                    board.move_card(id, &from);
                });
                let text = format!("{name} was not moved: {error}");
                if let Some(toasts) = self.toasts {
                    toasts.failure(text.clone());
                }
                self.message.set((true, text));
                focus_move_button(id);
            }
        });
    }
}

#[component]
fn Board(board: PipelineBoard, query: ClientQuery) -> impl IntoView {
    let state = BoardState {
        board: RwSignal::new(board),
        dragged: RwSignal::new(None),
        drop_target: RwSignal::new(None),
        message: RwSignal::new((false, String::new())),
        toasts: crate::ui::toast::use_toasts(),
    };
    let back = format!("/pipeline{}", query.to_query_string());
    let message_class = move || if state.message.get().0 { "form-error" } else { "outcome" };
    view! {
        <p class=message_class role="status" aria-live="polite" data-testid="pipeline-message">
            {move || state.message.get().1}
        </p>
        <div class="board" data-testid="pipeline-board">
            {STATUSES.iter().enumerate().map(|(index, (status, label))| {
                let status: &'static str = status;
                let list_link = format!("/clients{}", ClientQuery { status: status.to_owned(), ..query.first_page() }.to_query_string());
                let total = move || state.board.with(|board| board.columns.get(index).map(|c| c.total_label()).unwrap_or_default());
                let cards = move || state.board.with(|board| board.columns.get(index).map(|c| c.cards.clone()).unwrap_or_default());
                let back = back.clone();
                let column_class = move || {
                    if state.drop_target.get() == Some(status) { "board-column drop-target" } else { "board-column" }
                };
                view! {
                    <section class=column_class aria-labelledby=format!("stage-{status}") data-status=status
                        on:dragover=move |event| {
                            if state.dragged.get_untracked().is_some() {
                                event.prevent_default();
                                state.drop_target.set(Some(status));
                            }
                        }
                        on:dragleave=move |_| state.drop_target.set(None)
                        on:drop=move |event| {
                            event.prevent_default();
                            state.drop_target.set(None);
                            if let Some(id) = state.dragged.get_untracked() {
                                state.move_card(id, status);
                            }
                        }>
                        <header class="board-column-header">
                            <h2 id=format!("stage-{status}")>{*label}</h2>
                            <span class="badge badge-neutral" data-testid="stage-total">{total}</span>
                        </header>
                        <ul class="board-cards">
                            <For each=cards key=|card| card.id let:card>
                                <Card card state back=back.clone() />
                            </For>
                        </ul>
                        <a class="board-more" href=list_link.clone()>"Open in the list"</a>
                    </section>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
fn Card(card: PipelineCard, state: BoardState, back: String) -> impl IntoView {
    let id = card.id;
    let current = state.board.with_untracked(|board| {
        board
            .columns
            .iter()
            .find(|column| column.cards.iter().any(|c| c.id == id))
            .map(|column| column.status.clone())
            .unwrap_or_default()
    });
    let chosen = RwSignal::new(current.clone());
    let dragging = move || state.dragged.get() == Some(id);
    view! {
        <li class="board-card" class:dragging=dragging draggable="true" data-testid="pipeline-card" data-id=id
            on:dragstart=move |event| {
                state.dragged.set(Some(id));
                // Firefox starts a drag only when it carries data.
                #[cfg(feature = "hydrate")]
                if let Some(transfer) = event.data_transfer() {
                    let _ = transfer.set_data("text/plain", &id.to_string());
                    transfer.set_effect_allowed("move");
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = event;
            }
            on:dragend=move |_| {
                state.dragged.set(None);
                state.drop_target.set(None);
            }>
            <a class="board-card-name" href=format!("/clients/{id}")>{card.name.clone()}</a>
            {card.company.clone().map(|company| view! { <span class="muted">{company}</span> })}
            <span class="board-card-meta">
                {card.strategy_name.clone()}
                {card.owner_name.clone().map(|owner| format!(" · {owner}"))}
            </span>
            <form class="board-card-move" method="post" action="/api/move_client"
                on:submit=move |event| {
                    event.prevent_default();
                    if let Some((status, _)) = STATUSES.iter().find(|(status, _)| *status == chosen.get_untracked()) {
                        state.move_card(id, status);
                    }
                }>
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="back" value=back />
                <label class="visually-hidden" for=format!("move-{id}")>{format!("Move {} to", card.name)}</label>
                <select id=format!("move-{id}") name="status" on:change=move |event| chosen.set(event_target_value(&event))>
                    {STATUSES.iter().map(|(status, label)| {
                        view! { <option value=*status selected=current == *status>{*label}</option> }
                    }).collect_view()}
                </select>
                <button type="submit" class="button button-small" id=format!("move-button-{id}")>"Move"</button>
            </form>
        </li>
    }
}
