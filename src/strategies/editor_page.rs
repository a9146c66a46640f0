//! `/strategies/new` and `/strategies/:id`: the strategy editor, with a live preview of the system
//! prompt beside it. Every form is an `ActionForm`, so it also works as a plain form post; the
//! preview follows the fields as they are typed when JavaScript runs, and shows the saved version
//! otherwise.
use leptos::{form::ActionForm, prelude::*, server_fn::ServerFn as _};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    api::{
        CreateStrategy, DeleteStrategy, DuplicateStrategy, MakeDefaultStrategy, ShareStrategy, UpdateStrategy,
        get_strategy,
    },
    model::{
        AI_MODES, MAX_AI_MESSAGE_CAP, MAX_CREATIVITY, MAX_NAME_CHARS, MAX_REPLY_DELAY_SECS, MAX_TAG_CHARS,
        MAX_TAKEOVER_MINUTES, MAX_TEXT_CHARS, MAX_TONE_CHARS, StrategyDetails, StrategyForm, StrategyOption,
        draft_fields,
    },
    prompt::{LeadContext, system_prompt},
};
use crate::{
    shared::AppError,
    ui::{
        forms::{FieldError, FormError, action_error, invalid},
        page::PageHeader,
    },
};

#[component]
pub fn NewStrategyPage() -> impl IntoView {
    let create = ServerAction::<CreateStrategy>::new();
    let error = action_error(create);
    let draft = RwSignal::new(with_kept_values(StrategyForm::default(), CreateStrategy::PATH));
    view! {
        <PageHeader title="New strategy" subtitle="Describe the persona; the preview shows what the AI will be told." />
        <div class="strategy-editor">
            <ActionForm action=create attr:class="card form-stack strategy-form" attr:aria-label="Strategy">
                <FormError error />
                <StrategyFieldset draft error />
                <div class="form-actions">
                    <button type="submit" class="button" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Creating…" } else { "Create strategy" }}
                    </button>
                    <a class="button button-quiet" href="/strategies">"Cancel"</a>
                </div>
            </ActionForm>
            <PromptPreview draft />
        </div>
        <crate::ai::playground::Playground draft />
    }
}

#[component]
pub fn EditStrategyPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok());
    let details = Resource::new_blocking(id, |id| {
        crate::ui::page::page_data(async move {
            match id {
                Some(id) => get_strategy(id).await,
                None => Err(AppError::NotFound("This strategy".to_owned())),
            }
        })
    });
    view! {
        <Transition fallback=|| view! { <crate::ui::page::Skeleton label="Loading the strategy…" lines=5 /> }>
            {move || Suspend::new(async move {
                match details.await {
                    Ok(details) => view! {
                        <PageHeader title="Edit strategy" subtitle="Changes apply to the next message the AI writes.">
                            <a class="button button-quiet" href="/strategies">"All strategies"</a>
                        </PageHeader>
                        <EditorNotice />
                        <StrategyEditor details />
                    }
                    .into_any(),
                    Err(error) => view! {
                        <crate::ui::page::ErrorPage error back_href="/strategies" back_label="Back to the strategies" />
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

/// What the last redirect to this page was about (create, copy or save without JavaScript).
#[component]
fn EditorNotice() -> impl IntoView {
    let query = use_query_map();
    let failed = crate::ui::form_flash::has_failure();
    let message = move || {
        let query = query.read();
        // A later failed post returns to the same address.
        if failed {
            None
        } else if query.get("created").is_some() {
            Some("Strategy created. Keep refining it here.")
        } else if query.get("copied").is_some() {
            Some("This is your copy: rename it and make it your own.")
        } else if query.get("saved").is_some() {
            Some("Your changes are saved.")
        } else {
            None
        }
    };
    view! { {move || message().map(|text| view! { <p class="notice notice-success" role="status">{text}</p> })} }
}

#[component]
fn StrategyEditor(details: StrategyDetails) -> impl IntoView {
    let update = ServerAction::<UpdateStrategy>::new();
    let error = action_error(update);
    let strategy = details.strategy;
    let id = strategy.id;
    let draft = RwSignal::new(with_kept_values(strategy.fields.to_form(), UpdateStrategy::PATH));
    let saved_name = {
        let name = strategy.fields.name.clone();
        move || match update.value().get() {
            Some(Ok(saved)) => saved.fields.name,
            _ => name.clone(),
        }
    };
    let saved = move || matches!(update.value().get(), Some(Ok(_)));
    let owner = match (details.owned_by_viewer, details.can_change) {
        (true, _) => None,
        (false, true) => Some(format!("Belongs to {}.", details.owner_name)),
        (false, false) => Some(format!(
            "Shared with the team by {}: you can give it to your clients and copy it, and only they or an admin change it.",
            details.owner_name
        )),
    };
    let can_change = details.can_change;
    let may_be_default = details.owned_by_viewer || details.shared;
    view! {
        <div class="strategy-editor">
            <ActionForm action=update attr:class="card form-stack strategy-form" attr:aria-labelledby="strategy-title">
                <div>
                    <h2 id="strategy-title">
                        {saved_name}
                        {details.shared.then(|| view! { " " <span class="badge badge-accent">"Shared"</span> })}
                    </h2>
                    {owner.map(|text| view! { <p class="muted" data-testid="strategy-owner">{text}</p> })}
                </div>
                <FormError error />
                <input type="hidden" name="id" value=id />
                // Read-only for a shared strategy of someone else: the fields show, nothing posts.
                <fieldset class="plain-fieldset" disabled=!can_change>
                    <StrategyFieldset draft error />
                </fieldset>
                {can_change.then(|| view! {
                    <div class="form-actions">
                        <button type="submit" class="button" disabled=move || update.pending().get()>
                            {move || if update.pending().get() { "Saving…" } else { "Save strategy" }}
                        </button>
                        <p role="status" class="outcome" data-testid="strategy-outcome">{move || saved().then_some("Saved.")}</p>
                    </div>
                })}
            </ActionForm>
            <PromptPreview draft />
        </div>
        <crate::ai::playground::Playground draft />
        <section class="card strategy-actions" aria-labelledby="actions-title">
            <h2 id="actions-title">{if can_change { "Default, sharing, copy or delete" } else { "Default or copy" }}</h2>
            {may_be_default.then(|| view! { <DefaultStrategyForm id is_default=details.is_default /> })}
            {details.can_share.then(|| view! { <ShareStrategyForm id shared=details.shared /> })}
            <DuplicateStrategyForm id />
            {can_change.then(|| view! {
                <DeleteStrategyForm id clients_using=details.clients_using move_targets=details.move_targets />
            })}
        </section>
    }
}

/// Admins share a strategy with the team (every user may give it to their clients) or stop.
#[component]
fn ShareStrategyForm(id: i64, shared: bool) -> impl IntoView {
    let share = ServerAction::<ShareStrategy>::new();
    let error = action_error(share);
    let shared = move || match share.value().get() {
        Some(Ok(now)) => now,
        _ => shared,
    };
    crate::ui::toast::announce(share.value(), "Sharing changed.");
    view! {
        <ActionForm action=share attr:class="form-stack">
            <FormError error />
            <input type="hidden" name="id" value=id />
            <input type="hidden" name="shared" value=move || (!shared()).to_string() />
            <p class="muted" data-testid="strategy-sharing">
                {move || if shared() {
                    "Shared: every user can give it to their clients and make it their default."
                } else {
                    "Only its owner uses it. Share it so that the whole team can."
                }}
            </p>
            <div class="form-actions">
                <button type="submit" class="button button-quiet" disabled=move || share.pending().get()>
                    {move || if shared() { "Stop sharing" } else { "Share with the team" }}
                </button>
            </div>
        </ActionForm>
    }
}

/// Updates the draft from the input that fired `event`.
fn edit(draft: RwSignal<StrategyForm>, field: &'static str) -> impl Fn(leptos::ev::Event) + Copy + 'static {
    move |event| {
        let value = event_target_value(&event);
        draft.update(|form| {
            if let Some(slot) = form.field_mut(field) {
                *slot = value;
            }
        });
    }
}

/// The form as the person left it, when this page shows its failed post (without JavaScript).
fn with_kept_values(mut form: StrategyForm, server_fn: &str) -> StrategyForm {
    for (field, typed) in crate::ui::form_flash::kept_form(server_fn).unwrap_or_default() {
        if let Some(slot) = form.field_mut(&field) {
            *slot = typed;
        }
    }
    form
}

fn initial(draft: RwSignal<StrategyForm>, field: &'static str) -> String {
    draft.with_untracked(|form| form.field(field).cloned().unwrap_or_default())
}

fn described_by(field: &'static str, hint: Option<&'static str>) -> String {
    match hint {
        Some(_) => format!("{field}-hint {field}-error"),
        None => format!("{field}-error"),
    }
}

#[component]
fn Hint(field: &'static str, hint: Option<&'static str>) -> impl IntoView {
    hint.map(|text| view! { <p class="hint" id=format!("{field}-hint")>{text}</p> })
}

#[component]
fn TextField(
    draft: RwSignal<StrategyForm>,
    error: Signal<Option<AppError>>,
    field: &'static str,
    label: &'static str,
    max_chars: usize,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=field>{label}</label>
            <input id=field name=field value=initial(draft, field) maxlength=max_chars required=required
                autocomplete="off" on:input=edit(draft, field) aria-invalid=invalid(error, field)
                aria-describedby=described_by(field, hint) />
            <Hint field hint />
            <FieldError error field />
        </div>
    }
}

#[component]
fn NumberField(
    draft: RwSignal<StrategyForm>,
    error: Signal<Option<AppError>>,
    field: &'static str,
    label: &'static str,
    max: u32,
    hint: &'static str,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=field>{label}</label>
            <input id=field name=field type="number" inputmode="numeric" min="0" max=max step="1" required
                value=initial(draft, field) on:input=edit(draft, field) aria-invalid=invalid(error, field)
                aria-describedby=described_by(field, Some(hint)) />
            <Hint field hint=Some(hint) />
            <FieldError error field />
        </div>
    }
}

/// How new conversations of this strategy's clients start.
#[component]
fn AiModeField(draft: RwSignal<StrategyForm>, error: Signal<Option<AppError>>) -> impl IntoView {
    const FIELD: &str = "default_ai_mode";
    const HINT: &str = "For new conversations; each conversation has its own switch.";
    let chosen = initial(draft, FIELD);
    let chosen = if chosen.is_empty() { "off".to_owned() } else { chosen };
    view! {
        <div class="field">
            <label for=FIELD>"AI mode of new conversations"</label>
            <select id=FIELD name=FIELD on:change=edit(draft, FIELD) aria-invalid=invalid(error, FIELD)
                aria-describedby=described_by(FIELD, Some(HINT))>
                {AI_MODES.into_iter().map(|(value, label)| view! {
                    <option value=value selected=chosen == value>{label}</option>
                }).collect_view()}
            </select>
            <Hint field=FIELD hint=Some(HINT) />
            <FieldError error field=FIELD />
        </div>
    }
}

/// A `<textarea>` takes its initial text as content, not as a `value` attribute. The content is
/// set as escaped inner HTML: a text child would be rendered as " " when empty.
#[component]
fn TextAreaField(
    draft: RwSignal<StrategyForm>,
    error: Signal<Option<AppError>>,
    field: &'static str,
    label: &'static str,
    hint: &'static str,
    #[prop(default = 4)] rows: u32,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=field>{label}</label>
            <textarea id=field name=field rows=rows maxlength=MAX_TEXT_CHARS placeholder=placeholder
                inner_html=crate::ui::forms::textarea_html(&initial(draft, field)) on:input=edit(draft, field)
                aria-invalid=invalid(error, field) aria-describedby=described_by(field, Some(hint))></textarea>
            <Hint field hint=Some(hint) />
            <FieldError error field />
        </div>
    }
}

/// Every field of a strategy, named like [`StrategyForm`]'s fields.
#[component]
fn StrategyFieldset(draft: RwSignal<StrategyForm>, error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <div class="form-grid">
            <TextField draft error field="name" label="Name" max_chars=MAX_NAME_CHARS required=true
                hint="How you recognise it, e.g. “Friendly SaaS closer”." />
            <TextField draft error field="tag" label="Tag" max_chars=MAX_TAG_CHARS
                hint="Optional, to group strategies." />
        </div>
        <TextField draft error field="tone" label="Tone" max_chars=MAX_TONE_CHARS
            hint="How it sounds, e.g. “warm, direct, no jargon”." />
        <TextAreaField draft error field="objective" label="Objective" rows=2
            hint="What a good conversation ends with, e.g. a booked demo." />
        <TextAreaField draft error field="ai_instructions" label="Instructions" rows=6
            hint="Anything the AI must always or never do." />
        <TextAreaField draft error field="qualification_priority" label="Qualification priorities"
            hint="What to find out first, in order." />
        <TextAreaField draft error field="disqualification_criteria" label="Disqualification criteria"
            hint="When the lead is not a fit, and the AI should wind down politely." />
        <TextAreaField draft error field="objection_handling" label="Objection handling"
            hint="Common objections and how to answer them." />
        <TextAreaField draft error field="example_conversation" label="Example conversation" rows=6
            hint="One message per line, each starting with “Lead:” or “AI:”."
            placeholder="Lead: Hi, is this still available?\nAI: It is! What are you hoping to solve?" />
        <fieldset class="strategy-pacing">
            <legend>"Style and pacing"</legend>
            <div class="form-grid">
                <NumberField draft error field="creativity" label="Creativity" max=u32::from(MAX_CREATIVITY)
                    hint="0 sticks to your wording, 10 improvises." />
                <NumberField draft error field="reply_delay_min" label="Shortest reply delay (seconds)"
                    max=MAX_REPLY_DELAY_SECS hint="The AI waits at least this long before answering." />
                <NumberField draft error field="reply_delay_max" label="Longest reply delay (seconds)"
                    max=MAX_REPLY_DELAY_SECS hint="…and at most this long." />
            </div>
        </fieldset>
        <fieldset class="strategy-pacing">
            <legend>"The AI in conversations"</legend>
            <div class="form-grid">
                <AiModeField draft error />
                <NumberField draft error field="takeover_minutes" label="Takeover pause (minutes)"
                    max=MAX_TAKEOVER_MINUTES hint="When a person writes to the lead, the AI stays quiet this long. 0: it does not pause." />
                <NumberField draft error field="ai_message_cap" label="AI messages per conversation"
                    max=MAX_AI_MESSAGE_CAP hint="After this many, the AI hands the conversation to a person." />
                <TextField draft error field="followups" label="Follow up a quiet lead after" max_chars=100
                    hint="When the lead leaves the AI's message unanswered: the wait before each nudge, e.g. “1d, 3d” (m, h, d, w; at most 5). A nudge due at night in the lead's time zone waits until 09:00. Empty: no follow-ups." />
            </div>
        </fieldset>
    }
}

/// The system prompt these fields produce, for an example lead.
#[component]
fn PromptPreview(draft: RwSignal<StrategyForm>) -> impl IntoView {
    let prompt = Memo::new(move |_| system_prompt(&draft_fields(&draft.read()), &LeadContext::example()));
    let lead = LeadContext::example();
    view! {
        <aside class="card prompt-preview" aria-labelledby="preview-title">
            <h2 id="preview-title">"System prompt preview"</h2>
            <p class="hint">
                {format!("What the AI is told before it chats with a lead, here for an example lead, {} of {}.", lead.name, lead.company)}
            </p>
            // Focusable, so that keyboard users can scroll a long prompt.
            <pre data-testid="prompt-preview" tabindex="0">{move || prompt.get()}</pre>
        </aside>
    }
}

/// Whether new clients get this strategy unless another is chosen, and the button to make it so.
#[component]
fn DefaultStrategyForm(id: i64, is_default: bool) -> impl IntoView {
    let make_default = ServerAction::<MakeDefaultStrategy>::new();
    crate::ui::toast::announce(make_default.value(), "New clients now get this strategy.");
    let error = action_error(make_default);
    let is_default = move || is_default || matches!(make_default.value().get(), Some(Ok(())));
    view! {
        <ActionForm action=make_default attr:class="form-stack">
            <FormError error />
            <input type="hidden" name="id" value=id />
            <Show
                when=is_default
                fallback=move || view! {
                    <p class="muted">"Your new clients get your default strategy unless you choose another."</p>
                    <div class="form-actions">
                        <button type="submit" class="button button-quiet" disabled=move || make_default.pending().get()>
                            "Make default for new clients"
                        </button>
                    </div>
                }
            >
                <p data-testid="default-strategy"><span class="badge badge-ok">"Default"</span>
                    " Your new clients get this strategy unless you choose another."</p>
            </Show>
        </ActionForm>
    }
}

#[component]
fn DuplicateStrategyForm(id: i64) -> impl IntoView {
    let duplicate = ServerAction::<DuplicateStrategy>::new();
    let error = action_error(duplicate);
    view! {
        <ActionForm action=duplicate attr:class="form-stack">
            <FormError error />
            <input type="hidden" name="id" value=id />
            <p class="muted">"Try a variation without touching this one: the copy opens in the editor."</p>
            <div class="form-actions">
                <button type="submit" class="button button-quiet" disabled=move || duplicate.pending().get()>
                    "Duplicate"
                </button>
            </div>
        </ActionForm>
    }
}

fn clients_phrase(count: u64) -> String {
    if count == 1 { "1 client".to_owned() } else { format!("{count} clients") }
}

/// Deleting sits behind a disclosure (the first confirmation step) and a second button. Clients
/// using the strategy must move to another strategy of the same owner first.
#[component]
fn DeleteStrategyForm(id: i64, clients_using: u64, move_targets: Vec<StrategyOption>) -> impl IntoView {
    let delete = ServerAction::<DeleteStrategy>::new();
    let error = action_error(delete);
    let field = "move_clients_to";
    let cannot_move = clients_using > 0 && move_targets.is_empty();
    let clients = clients_phrase(clients_using);
    let move_choice = (clients_using > 0 && !cannot_move).then(|| {
        view! {
            <div class="field">
                <label for=field>{format!("Move its {clients} to")}</label>
                <select id=field name=field required aria-invalid=invalid(error, field)
                    aria-describedby=format!("{field}-error")>
                    <option value="">"Choose a strategy"</option>
                    {move_targets
                        .into_iter()
                        .map(|target| view! { <option value=target.id>{target.name}</option> })
                        .collect_view()}
                </select>
                <FieldError error field />
            </div>
        }
    });
    let uses = if clients_using == 1 { "1 client uses".to_owned() } else { format!("{clients} use") };
    let usage = match clients_using {
        0 => "No client uses this strategy.".to_owned(),
        _ if cannot_move => {
            format!("{uses} this strategy. Create another strategy to move them to, then delete this one.")
        }
        _ => format!("{uses} this strategy; they move to the one you choose."),
    };
    view! {
        <details class="disclosure delete-strategy" open=move || error.get().is_some()>
            <summary>"Delete this strategy…"</summary>
            <ActionForm action=delete attr:class="form-stack">
                <FormError error />
                <input type="hidden" name="id" value=id />
                <p data-testid="strategy-usage">{usage}</p>
                {move_choice}
                {(!cannot_move).then(|| view! {
                    <p class="hint">"Deleting cannot be undone."</p>
                    <div class="form-actions">
                        <button type="submit" class="button button-danger" disabled=move || delete.pending().get()>
                            "Delete permanently"
                        </button>
                    </div>
                })}
            </ActionForm>
        </details>
    }
}
