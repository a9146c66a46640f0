//! `/pipeline`: the board. A card moves by dragging it onto another stage (the board scrolls
//! sideways when the card nears its edge), or with its Move menu: a button that opens a small
//! popover menu of stages (arrows, Enter, Escape), which without JavaScript is a plain form post.
//! The board changes at once and the move is undone, with a message, if the server refuses it.
//! The board is as tall as the window; each column scrolls on its own and shows more cards a page
//! at a time.
use leptos::prelude::*;

use super::{
    api::client_filters,
    detail_api::{load_pipeline, move_client},
    list_page::{FilterForm, current_query},
    model::{ClientQuery, STATUSES, status_label},
    pipeline::{PipelineBoard, PipelineCard, PipelineCards},
};
use crate::shared::AppError;
use crate::ui::page::PageHeader;

#[cfg(feature = "ssr")]
use crate::server::request::respond;
#[cfg(feature = "ssr")]
use crate::users::auth::signed_in;

/// The next cards of one column: `query.status` is the stage, `query.after` the column's cursor.
#[server(prefix = "/api", endpoint = "load_pipeline_cards")]
pub async fn load_pipeline_cards(#[server(flatten)] query: ClientQuery) -> Result<PipelineCards, AppError> {
    respond(
        async {
            let (state, user) = signed_in().await?;
            super::pipeline_service::more_cards(&state, &user, &query).await
        }
        .await,
    )
}

#[component]
pub fn PipelinePage() -> impl IntoView {
    let query = current_query();
    let board = Resource::new(move || query.get(), load_pipeline);
    let filters = Resource::new(|| (), |_| client_filters());
    view! {
        <div class="pipeline-page">
            <PageHeader title="Pipeline" subtitle="Drag a card to another stage, or use its Move menu." />
            <section class="card pipeline-filters" aria-label="Filters">
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
        </div>
    }
}

/// The element with `id`, as an `HtmlElement`.
#[cfg(feature = "hydrate")]
fn element_by_id(id: &str) -> Option<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    document().get_element_by_id(id).and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
}

/// Puts the keyboard focus back on a card's Move button after the card changed columns.
fn focus_move_button(id: i64) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        if let Some(button) = element_by_id(&format!("move-button-{id}")) {
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

/// While a card is dragged near the board's left or right edge, scrolls the board that way, so
/// every column can be reached (browsers fire `dragover` continually while the pointer rests).
fn scroll_near_edge(event: &leptos::ev::DragEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(board) = event.current_target().and_then(|target| target.dyn_into::<web_sys::Element>().ok()) else {
            return;
        };
        let rect = board.get_bounding_client_rect();
        let x = f64::from(event.client_x());
        let edge = (rect.width() / 8.0).clamp(32.0, 96.0);
        let step = if x < rect.left() + edge {
            -24.0
        } else if x > rect.right() - edge {
            24.0
        } else {
            return;
        };
        board.scroll_by_with_x_and_y(step, 0.0);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = event;
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
    // Whether columns lie beyond the board's left and right edges: the edge then fades out.
    let board_ref = NodeRef::<leptos::html::Div>::new();
    let beyond = RwSignal::new((false, false));
    let measure = move || {
        if let Some(board) = board_ref.get_untracked() {
            let left = f64::from(board.scroll_left());
            let end = f64::from(board.scroll_width() - board.client_width());
            let edges = (left > 1.0, left < end - 1.0);
            if beyond.get_untracked() != edges {
                beyond.set(edges);
            }
        }
    };
    Effect::new(move |_| {
        board_ref.track();
        measure();
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());
    let board_class = move || {
        let (left, right) = beyond.get();
        format!("board{}{}", if left { " beyond-left" } else { "" }, if right { " beyond-right" } else { "" })
    };
    view! {
        <p class=message_class role="status" aria-live="polite" data-testid="pipeline-message">
            {move || state.message.get().1}
        </p>
        <div class=board_class data-testid="pipeline-board" node_ref=board_ref on:scroll=move |_| measure()
            on:dragover=move |event| {
                if state.dragged.get_untracked().is_some() {
                    scroll_near_edge(&event);
                }
            }>
            {STATUSES.iter().enumerate().map(|(index, (status, label))| {
                let status: &'static str = status;
                view! { <Column index status label state query=query.clone() back=back.clone() /> }
            }).collect_view()}
        </div>
    }
}

#[component]
fn Column(
    index: usize,
    status: &'static str,
    label: &'static str,
    state: BoardState,
    query: ClientQuery,
    back: String,
) -> impl IntoView {
    let column = move |read: fn(&super::pipeline::PipelineColumn) -> Option<String>| {
        state.board.with(|board| board.columns.get(index).and_then(read))
    };
    let total = move || column(|c| Some(c.total_label())).unwrap_or_default();
    let cards = move || state.board.with(|board| board.columns.get(index).map(|c| c.cards.clone()).unwrap_or_default());
    let next = move || column(|c| c.next.clone());
    // Without JavaScript "Show more" opens the list at the column's next cards (the list's
    // default order is the board's); with it, the cards are added to the column.
    let stage_query =
        ClientQuery { status: status.to_owned(), sort: String::new(), dir: String::new(), ..query.first_page() };
    let more_href = {
        let stage_query = stage_query.clone();
        move || {
            let after = next().unwrap_or_default();
            format!("/clients{}", ClientQuery { after, ..stage_query.clone() }.to_query_string())
        }
    };
    let loading = RwSignal::new(false);
    let load_more = move |event: leptos::ev::MouseEvent| {
        event.prevent_default();
        let Some(after) = next() else { return };
        if loading.get_untracked() {
            return;
        }
        loading.set(true);
        let page_query = ClientQuery { after, ..stage_query.clone() };
        leptos::task::spawn_local(async move {
            match load_pipeline_cards(page_query).await {
                Ok(page) => state.board.update(|board| board.append(status, page)),
                Err(error) => state.message.set((true, format!("More cards could not be loaded: {error}"))),
            }
            loading.set(false);
        });
    };
    let column_class =
        move || if state.drop_target.get() == Some(status) { "board-column drop-target" } else { "board-column" };
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
                // Cleared here, not only on `dragend`: that fires on the card's old element, which
                // the move takes out of the page, so it never reaches the card's handler.
                let dropped = state.dragged.get_untracked();
                state.dragged.set(None);
                if let Some(id) = dropped {
                    state.move_card(id, status);
                }
            }>
            <header class="board-column-header">
                <h2 id=format!("stage-{status}")><span class=format!("stage-dot status-{status}") aria-hidden="true"></span>{label}</h2>
                <span class="board-count" data-testid="stage-total">{total}</span>
            </header>
            <div class="board-column-body">
                <ul class="board-cards">
                    <For each=cards key=|card| card.id let:card>
                        <Card card state back=back.clone() />
                    </For>
                </ul>
                <a class="board-more" href=more_href hidden=move || next().is_none() aria-busy=move || loading.get().to_string()
                    data-testid="show-more" on:click=load_more>
                    {move || if loading.get() { "Loading…" } else { "Show more" }}
                </a>
            </div>
        </section>
    }
}

/// Keyboard use of an open Move menu: arrows (and Home, End) go from stage to stage; Enter picks
/// one (the buttons' own behaviour) and Escape closes the menu (the popover's own).
fn menu_keys(event: &leptos::ev::KeyboardEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(menu) = event.current_target().and_then(|target| target.dyn_into::<web_sys::Element>().ok()) else {
            return;
        };
        let current = document().active_element();
        let sibling = |forward: bool| {
            let current = current.clone()?;
            let next = if forward { current.next_element_sibling() } else { current.previous_element_sibling() };
            next.filter(|element| element.tag_name() == "BUTTON")
        };
        let target = match event.key().as_str() {
            "ArrowDown" => sibling(true).or_else(|| menu.query_selector("button").ok().flatten()),
            "ArrowUp" => sibling(false).or_else(|| menu.query_selector("button:last-of-type").ok().flatten()),
            "Home" => menu.query_selector("button").ok().flatten(),
            "End" => menu.query_selector("button:last-of-type").ok().flatten(),
            _ => return,
        };
        event.prevent_default();
        if let Some(target) = target.and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = target.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = event;
}

/// After the Move button opened its menu, puts the focus on the menu's first stage.
fn focus_first_stage(id: i64) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        let Some(menu) = element_by_id(&format!("move-menu-{id}")) else { return };
        if menu.matches(":popover-open").unwrap_or(false)
            && let Some(Ok(first)) =
                menu.query_selector("button").ok().flatten().map(wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>)
        {
            let _ = first.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
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
    let dragging = move || state.dragged.get() == Some(id);
    let menu_id = format!("move-menu-{id}");
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
            <div class="board-card-top">
                <a class="board-card-name" href=format!("/clients/{id}")>{card.name.clone()}</a>
                <button type="button" class="move-trigger" id=format!("move-button-{id}") popovertarget=menu_id.clone()
                    aria-haspopup="menu" aria-label=format!("Move {}", card.name) title="Move to another stage"
                    on:click=move |_| focus_first_stage(id)>
                    <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
                        <path d="M2 5h10m-3-3 3 3-3 3M14 11H4m3-3-3 3 3 3" fill="none" stroke="currentColor"
                            stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" />
                    </svg>
                </button>
            </div>
            {card.company.clone().map(|company| view! { <span class="board-card-company">{company}</span> })}
            <span class="board-card-meta">
                {card.strategy_name.clone()}
                {card.owner_name.clone().map(|owner| format!(" · {owner}"))}
            </span>
            <form popover="" id=menu_id class="move-menu" role="menu" aria-label=format!("Move {} to", card.name)
                method="post" action="/api/move_client" on:keydown=move |event| menu_keys(&event)>
                {STATUSES.iter().filter(|(status, _)| *status != current).map(|(status, label)| {
                    let status: &'static str = status;
                    view! {
                        <button type="submit" name="status" value=status role="menuitem"
                            on:click=move |event| {
                                event.prevent_default();
                                state.move_card(id, status);
                            }>
                            <span class=format!("stage-dot status-{status}") aria-hidden="true"></span>
                            {*label}
                        </button>
                    }
                }).collect_view()}
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="back" value=back />
            </form>
        </li>
    }
}
