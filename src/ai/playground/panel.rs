//! "Try this persona": the playground card under the strategy editor. The person writes as the
//! lead; each answer shows what it would do and, on demand, the request an AI endpoint is sent.
//! It needs JavaScript (the conversation lives in the page); without it the card says so.
use leptos::{html::Textarea, prelude::*};

use super::{
    api::TryPersona,
    model::{PlaygroundReply, PlaygroundTurn},
};
use crate::{
    chat::{model::MAX_MESSAGE_CHARS, pages::composer::enter_sends},
    strategies::{model::StrategyForm, prompt::LeadContext},
    ui::forms::{FieldError, FormError, action_error},
};

/// One shown turn: what was said, and for the persona's, what it would do.
#[derive(Clone)]
struct Shown {
    id: usize,
    turn: PlaygroundTurn,
    action: Option<String>,
    failed: bool,
}

#[component]
pub fn Playground(draft: RwSignal<StrategyForm>) -> impl IntoView {
    let ask = ServerAction::<TryPersona>::new();
    let error = action_error(ask);
    let shown = RwSignal::new(Vec::<Shown>::new());
    let last = RwSignal::new(None::<PlaygroundReply>);
    let typed = RwSignal::new(String::new());
    let area = NodeRef::<Textarea>::new();
    // The action's answer joins the conversation once.
    Effect::new(move |_| {
        if let Some(Ok(reply)) = ask.value().get() {
            shown.update(|turns| {
                let id = turns.len();
                let turn = PlaygroundTurn { lead: false, text: reply.text.clone() };
                turns.push(Shown { id, turn, action: reply.action.clone(), failed: reply.failed });
            });
            last.set(Some(reply));
        }
    });
    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = typed.get_untracked().trim().to_owned();
        if text.is_empty() || ask.pending().get_untracked() {
            return;
        }
        shown.update(|turns| {
            let id = turns.len();
            turns.push(Shown { id, turn: PlaygroundTurn { lead: true, text }, action: None, failed: false });
        });
        typed.set(String::new());
        // Failed answers are not part of the conversation the persona reads.
        let turns = shown.with_untracked(|turns| {
            turns.iter().filter(|shown| !shown.failed).map(|shown| shown.turn.clone()).collect::<Vec<_>>()
        });
        ask.dispatch(TryPersona { form: draft.get_untracked(), turns });
    };
    let start_over = move |_| {
        shown.set(Vec::new());
        last.set(None);
    };
    let lead = LeadContext::example();
    view! {
        <section class="card playground" aria-labelledby="playground-title" data-testid="playground">
            <div class="playground-header">
                <h2 id="playground-title">"Try this persona"</h2>
                <button type="button" class="button button-quiet" on:click=start_over
                    disabled=move || shown.with(Vec::is_empty)>"Start over"</button>
            </div>
            <p class="hint">
                {format!(
                    "Write as a lead ({} of {}) to the persona as it stands above, saved or not. Its free times are your real ones; nothing is saved or booked.",
                    lead.name, lead.company
                )}
            </p>
            <noscript><p class="notice">"The playground needs JavaScript."</p></noscript>
            <div class="playground-layout">
                <div class="playground-chat">
                    // Reversed flex: the newest stays in view as answers arrive, without a script.
                    <div class="chat-scroll playground-scroll">
                        <ol class="messages playground-messages" aria-live="polite" data-testid="playground-messages">
                            <For each=move || shown.get() key=|shown| shown.id let(shown)>
                                <PlaygroundMessage shown />
                            </For>
                        </ol>
                    </div>
                    {move || shown.with(Vec::is_empty).then(|| view! {
                        <p class="muted" data-testid="playground-empty">"Say hello as the lead to start."</p>
                    })}
                    {move || ask.pending().get().then(|| view! {
                        <p class="muted" role="status">"The persona is writing…"</p>
                    })}
                    <FormError error />
                    <form class="form-stack playground-composer" on:submit=send>
                        <label for="playground-message" class="visually-hidden">"Your message as the lead"</label>
                        <textarea id="playground-message" name="message" rows="2" maxlength=MAX_MESSAGE_CHARS
                            placeholder="Hi, I saw your ad. How does it work?" node_ref=area
                            prop:value=move || typed.get() on:input=move |event| typed.set(event_target_value(&event))
                            on:keydown=enter_sends(area)></textarea>
                        <FieldError error field="message" />
                        <div class="form-actions">
                            <button type="submit" class="button" disabled=move || ask.pending().get()>"Send as the lead"</button>
                        </div>
                    </form>
                </div>
                <details class="disclosure playground-request" data-testid="playground-request">
                    <summary>"The request an AI endpoint is sent"</summary>
                    {move || match last.get() {
                        Some(reply) => view! {
                            <p class="hint">{format!("The last answer came from {}.", reply.responder)}</p>
                            <pre class="playground-sent" tabindex="0">{reply.request}</pre>
                        }
                        .into_any(),
                        None => view! { <p class="muted">"Shown after the first answer."</p> }.into_any(),
                    }}
                </details>
            </div>
        </section>
    }
}

#[component]
fn PlaygroundMessage(shown: Shown) -> impl IntoView {
    let (class, who) = match (shown.turn.lead, shown.failed) {
        (true, _) => ("message message-client", "Lead (you)"),
        (false, false) => ("message message-ai", "AI"),
        (false, true) => ("message message-system message-private", "The app"),
    };
    view! {
        <li class=class data-testid="playground-message">
            <p class="message-meta">{who}</p>
            <p class="message-body">{shown.turn.text}</p>
            {shown.action.map(|action| view! {
                <p class="badge badge-accent playground-action" data-testid="playground-action">{action}</p>
            })}
        </li>
    }
}
